"""Extensions of the rectification deadline (延期申请/审批), domain brief §6.

The dept_head asks before the deadline passes; office_staff decides for general
hazards, the office_director for major ones (and 国务院督导 items). The
original deadline never moves; an approval moves the current one.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from workflow.core import policy
from workflow.core.cases import Case
from workflow.core.notifications import department_user_ids, notify, role_user_ids
from workflow.core.service import lock_for_record, record
from workflow.org.models import User
from workflow.org.roles import OFFICE_DIRECTOR, OFFICE_ROLES, OFFICE_STAFF, ROLE_LABELS
from workflow.platform.base import Base, iso_utc, local_today, utcnow
from workflow.platform.errors import Conflict, Forbidden, InvalidInput, NotFound, RuleFailed
from workflow.platform.vocab import HELD_BY_DEPARTMENT

STATUSES = {"pending": "待审批", "approved": "已批准", "rejected": "不予批准"}
# A deadline can only be extended while the department still holds the case


class ExtensionRequest(Base):
    __tablename__ = "extension_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(10), default="pending", index=True)
    reason: Mapped[str] = mapped_column(Text)
    interim_measures: Mapped[str] = mapped_column(Text)
    old_deadline: Mapped[date] = mapped_column(Date)
    new_deadline: Mapped[date] = mapped_column(Date)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    decision_comment: Mapped[str | None] = mapped_column(Text)

    case: Mapped[Case] = relationship()
    requested_by: Mapped[User] = relationship(foreign_keys=[requested_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])

    @staticmethod
    def decider_roles(case: Case) -> frozenset[str]:
        """Who decides: the director for major / 国务院督导 items, else office staff or director."""
        if case.needs_director_to_close:
            return frozenset({OFFICE_DIRECTOR})
        return OFFICE_ROLES

    def decision_refusal(self, user: User) -> Forbidden | None:
        allowed = self.decider_roles(self.case)
        if user.role in allowed:
            return None
        rules = ["director_required"] if user.role == OFFICE_STAFF else ["role_required"]
        names = "、".join(ROLE_LABELS[r] for r in sorted(allowed))
        return Forbidden(f"本事项延期须由{names}审批（当前角色：{user.role_label}）",
                         needed_roles=sorted(allowed), rules=rules)

    def to_dict(self) -> dict:
        return {"id": self.id, "case_id": self.case_id, "status": self.status,
                "status_label": STATUSES[self.status], "reason": self.reason,
                "interim_measures": self.interim_measures,
                "old_deadline": self.old_deadline.isoformat(),
                "new_deadline": self.new_deadline.isoformat(),
                "requested_by": self.requested_by.display_name if self.requested_by else None,
                "requested_at": iso_utc(self.requested_at),
                "decided_by": self.decided_by.display_name if self.decided_by else None,
                "decided_at": iso_utc(self.decided_at), "decision_comment": self.decision_comment}


def _text(value, field: str, label: str, limit: int = 5000) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"须填写{label}（{field}）", field=field)
    if len(value) > limit:
        raise InvalidInput(f"{label}过长（最多 {limit} 字）", field=field)
    return value.strip()


def request_extension(session: Session, case_id: int, actor: User, *, reason, interim_measures,
                      new_deadline: date, now: datetime | None = None) -> ExtensionRequest:
    """The dept_head asks for a later deadline, before the current one has passed."""
    now = now or utcnow()
    reason = _text(reason, "reason", "延期理由")
    interim = _text(interim_measures, "interim_measures", "临时管控措施")
    case = lock_for_record(session, case_id, actor)
    if refusal := policy.extension_refusal(case, actor, local_today(now)):
        raise refusal
    if new_deadline <= case.deadline:
        raise InvalidInput(f"延期后的期限 {new_deadline.isoformat()} 须晚于当前整改期限 "
                           f"{case.deadline.isoformat()}", field="new_deadline")
    ext = ExtensionRequest(case_id=case.id, reason=reason, interim_measures=interim,
                           old_deadline=case.deadline, new_deadline=new_deadline,
                           requested_by_id=actor.id, requested_at=now)
    session.add(ext)
    case.extension_pending = True
    session.flush()
    record(session, case, actor, "extension_request", comment=reason, payload={
        "extension_id": ext.id, "old_deadline": case.deadline.isoformat(),
        "new_deadline": new_deadline.isoformat(), "interim_measures": interim}, now=now)
    session.flush()
    deciders = role_user_ids(session, *ExtensionRequest.decider_roles(case))
    notify(session, deciders, "extension", f"延期申请待审批：{case.display_number}",
           f"申请延期至 {new_deadline.isoformat()}：{reason[:100]}", case_id=case.id, now=now)
    return ext


def get_extension(session: Session, extension_id: int, user: User) -> ExtensionRequest:
    ext = session.get(ExtensionRequest, extension_id)
    if ext is None or not ext.case.can_view(user):
        raise NotFound(f"延期申请 {extension_id} 不存在")
    return ext


def decide_extension(session: Session, extension_id: int, actor: User, *, approve: bool,
                     comment: str | None = None, now: datetime | None = None) -> ExtensionRequest:
    """Approve (move the current deadline) or refuse a pending extension request."""
    now = now or utcnow()
    ext = get_extension(session, extension_id, actor)
    refusal = ext.decision_refusal(actor)
    if refusal:
        raise refusal
    case = lock_for_record(session, ext.case_id, actor)
    session.refresh(ext)
    if ext.status != "pending":
        raise Conflict(f"该延期申请已{STATUSES[ext.status]}，不能重复审批",
                       current_version=case.version, status=case.status)
    comment = (comment or "").strip() or None
    if not approve and not comment:
        raise RuleFailed(["comment_required"])
    if case.status not in HELD_BY_DEPARTMENT:
        raise Conflict(f"事项 {case.display_number} 当前状态“{case.status_label}”不能再调整期限",
                       current_version=case.version, status=case.status)
    ext.status = "approved" if approve else "rejected"
    ext.decided_by_id, ext.decided_at, ext.decision_comment = actor.id, now, comment
    case.extension_pending = False
    if approve:
        case.original_deadline = case.original_deadline or case.deadline
        case.deadline = ext.new_deadline
        case.extended = True
        case.overdue = case.deadline < local_today(now)
    record(session, case, actor, "extension_decision", comment=comment, payload={
        "extension_id": ext.id, "decision": ext.status,
        "deadline": case.deadline.isoformat(),
        "original_deadline": case.original_deadline.isoformat()
        if case.original_deadline else None}, now=now)
    session.flush()
    title = (f"延期已批准：{case.display_number} 期限调整为 {case.deadline.isoformat()}" if approve
             else f"延期未获批准：{case.display_number}")
    notify(session, department_user_ids(session, case.department_id), "extension", title,
           comment or "", case_id=case.id, skip=actor.id, now=now)
    return ext


def extensions_of(session: Session, case: Case) -> list[ExtensionRequest]:
    return list(session.scalars(select(ExtensionRequest).where(
        ExtensionRequest.case_id == case.id).order_by(ExtensionRequest.id)))


def pending_extensions(session: Session, user: User) -> list[ExtensionRequest]:
    """Pending requests this user may decide (the office's to-do list)."""
    rows = session.scalars(select(ExtensionRequest).where(ExtensionRequest.status == "pending")
                           .order_by(ExtensionRequest.requested_at)).all()
    return [e for e in rows if e.decision_refusal(user) is None]


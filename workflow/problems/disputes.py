"""Disputes of jurisdiction (职责异议): a department says a case is not its own.

The department asks with a reason; the office decides by transferring the case
(the ordinary ``transfer`` trigger) or by refusing with a reason. Every
dispute row is kept.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from workflow.core import policy, service
from workflow.core.cases import Case
from workflow.core.notifications import department_user_ids, notify, role_user_ids
from workflow.core.policy import DISPUTE_DECIDERS
from workflow.org.models import Department, User
from workflow.org.roles import OFFICE_STAFF
from workflow.platform.base import Base, iso_utc, utcnow
from workflow.platform.errors import Conflict, Forbidden, InvalidInput, NotFound, RuleFailed

STATUSES = {"open": "待处理", "transferred": "已转办", "refused": "异议不成立"}


class Dispute(Base):
    __tablename__ = "disputes"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))
    suggested_department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    status: Mapped[str] = mapped_column(String(12), default="open", index=True)
    reason: Mapped[str] = mapped_column(Text)
    raised_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    raised_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    decision_comment: Mapped[str | None] = mapped_column(Text)
    to_department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))

    case: Mapped[Case] = relationship()
    department: Mapped[Department] = relationship(foreign_keys=[department_id])
    suggested_department: Mapped[Department | None] = relationship(
        foreign_keys=[suggested_department_id])
    raised_by: Mapped[User] = relationship(foreign_keys=[raised_by_id])

    @staticmethod
    def can_decide(user: User) -> bool:
        return user.role in DISPUTE_DECIDERS

    def to_dict(self) -> dict:
        case = self.case
        return {"id": self.id, "case_id": self.case_id, "case_number": case.display_number,
                "case_title": case.title, "status": self.status,
                "status_label": STATUSES[self.status], "reason": self.reason,
                "department_id": self.department_id, "department": self.department.name,
                "suggested_department_id": self.suggested_department_id,
                "suggested_department": self.suggested_department.name
                if self.suggested_department else None,
                "raised_by": self.raised_by.display_name, "raised_at": iso_utc(self.raised_at),
                "decided_at": iso_utc(self.decided_at), "decision_comment": self.decision_comment,
                "to_department_id": self.to_department_id}


def raise_dispute(session: Session, case_id: int, actor: User, *, reason,
                  suggested_department_id: int | None = None,
                  now: datetime | None = None) -> Dispute:
    """A user of the responsible department disputes jurisdiction, with a reason."""
    if not isinstance(reason, str) or not reason.strip():
        raise InvalidInput("须填写异议理由（reason）", field="reason")
    if len(reason) > 5000:
        raise InvalidInput("异议理由过长（最多 5000 字）", field="reason")
    now = now or utcnow()
    case = service.lock_for_record(session, case_id, actor)
    if refusal := policy.dispute_refusal(case, actor):
        raise refusal
    if suggested_department_id is not None:
        dept = session.get(Department, suggested_department_id)
        if dept is None or not dept.active:
            raise InvalidInput(f"建议的责任部门 {suggested_department_id} 不存在",
                               field="suggested_department_id")
        if suggested_department_id == case.department_id:
            raise InvalidInput("建议的责任部门不能是本部门", field="suggested_department_id")
    if open_dispute(session, case.id) is not None:
        raise Conflict("本事项已有待处理的职责异议", current_version=case.version, status=case.status)
    dispute = Dispute(case_id=case.id, department_id=case.department_id, reason=reason.strip(),
                      suggested_department_id=suggested_department_id, raised_by_id=actor.id,
                      raised_at=now)
    session.add(dispute)
    session.flush()
    service.record(session, case, actor, "dispute", comment=dispute.reason, payload={
        "dispute_id": dispute.id, "suggested_department_id": suggested_department_id}, now=now)
    session.flush()
    notify(session, role_user_ids(session, OFFICE_STAFF), "dispute",
           f"职责异议：{case.display_number}", dispute.reason[:200], case_id=case.id, now=now)
    return dispute


def open_dispute(session: Session, case_id: int) -> Dispute | None:
    return session.scalar(select(Dispute).where(Dispute.case_id == case_id,
                                                Dispute.status == "open"))


def decide_dispute(session: Session, dispute_id: int, actor: User, *, decision: str,
                   comment, department_id: int | None = None, settings=None,
                   now: datetime | None = None) -> Dispute:
    """Transfer the case to ``department_id`` or refuse the dispute; a reason either way."""
    if decision not in ("transfer", "refuse"):
        raise InvalidInput("decision 须为 transfer（转办）或 refuse（异议不成立）", field="decision")
    if comment is not None and not isinstance(comment, str):
        raise InvalidInput("comment 须为文本", field="comment")
    dispute = session.get(Dispute, dispute_id)
    if dispute is None or not dispute.case.can_view(actor):
        raise NotFound(f"职责异议 {dispute_id} 不存在")
    if not Dispute.can_decide(actor):
        raise Forbidden("职责异议由区安委办处理",
                        needed_roles=sorted(DISPUTE_DECIDERS), rules=["role_required"])
    now = now or utcnow()
    case = service.lock_for_record(session, dispute.case_id, actor)
    session.refresh(dispute)
    if dispute.status != "open":
        raise Conflict(f"该职责异议已处理（{STATUSES[dispute.status]}）",
                       current_version=case.version, status=case.status)
    comment = (comment or "").strip()
    if decision == "refuse":
        if not comment:
            raise RuleFailed(["reason_required"])
        dispute.status = "refused"
        service.record(session, case, actor, "dispute_decision", comment=comment, payload={
            "dispute_id": dispute.id, "decision": "refused"}, now=now)
        notify(session, department_user_ids(session, dispute.department_id), "dispute",
               f"职责异议不成立：{case.display_number}", comment, case_id=case.id, now=now)
    else:
        if case.department_id != dispute.department_id:
            # already transferred through the ordinary transfer step: just settle the dispute
            department_id = case.department_id
        else:
            if department_id is None:
                raise InvalidInput("转办须指定新的责任部门（department_id）", field="department_id")
            service.transition(session, case.id, "transfer", actor, version=case.version,
                               comment=comment, data={"department_id": department_id},
                               settings=settings, now=now)
        dispute.status = "transferred"
        dispute.to_department_id = department_id
        to_name = session.get(Department, department_id).name if department_id else ""
        notify(session, department_user_ids(session, dispute.department_id), "dispute",
               f"管辖异议成立，已转办{to_name}：{case.display_number}",
               comment or "区安委办已将该事项转交新的责任单位，本单位可查看办理结果",
               case_id=case.id, now=now)
        service.record(session, case, actor, "dispute_decision", comment=comment or None,
                       payload={"dispute_id": dispute.id, "decision": "transferred",
                                "to_department_id": department_id}, now=now)
    dispute.decided_by_id, dispute.decided_at = actor.id, now
    dispute.decision_comment = comment or None
    session.flush()
    return dispute


def disputes_for_office(session: Session, status: str | None = "open") -> list[Dispute]:
    stmt = select(Dispute).order_by(Dispute.raised_at, Dispute.id)
    if status:
        stmt = stmt.where(Dispute.status == status)
    return list(session.scalars(stmt))


def disputes_of(session: Session, case: Case) -> list[Dispute]:
    return list(session.scalars(select(Dispute).where(Dispute.case_id == case.id)
                                .order_by(Dispute.id)))


def former_holder_disputes(session: Session, case_id: int, department_id: int | None) -> list[Dispute]:
    """Decided disputes the department raised on a case (it may no longer hold the case)."""
    if department_id is None:
        return []
    return list(session.scalars(select(Dispute).where(
        Dispute.case_id == case_id, Dispute.department_id == department_id,
        Dispute.status != "open").order_by(Dispute.id)))

"""Supervision by the office: 催办, 督办, 约谈 candidates, 挂牌督办 and 摘牌.

``CaseAlert`` rows are both the record of every reminder and escalation and the
idempotency key of the daily sweep: one row per (case, kind, deadline), so a
second sweep on the same day finds nothing left to send. Manual actions by the
office have no deadline key and may be repeated.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    exists,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from workflow.core.cases import Case, visible_cases_filter
from workflow.core.notifications import department_user_ids, notify, role_user_ids
from workflow.core.policy import LISTING_ROLES, SUPERVISION_ROLES, listing_state_refusal, refuse_role
from workflow.core.service import lock_for_record, record
from workflow.org.models import Department, User
from workflow.org.roles import OFFICE_DIRECTOR
from workflow.platform.base import Base, iso_utc, local_today, utcnow
from workflow.platform.errors import Conflict, Forbidden, InvalidInput, RuleFailed
from workflow.platform.vocab import LISTING_LEVELS, OPEN_STATUSES, is_choice

# kind → (Chinese name, supervision level it stands for)
ALERT_KINDS = {
    "remind3": ("期限提醒（3个工作日）", 0),
    "remind1": ("期限提醒（1个工作日）", 0),
    "urge": ("催办", 1),
    "supervise": ("督办", 2),
    "interview": ("列入约谈建议名单", 3),
    # 挂牌督办: the listed unit's monthly 进展报告 (``workflow.problems.listings``)
    "list_remind": ("挂牌督办进展报告提醒", 0),
    "list_late": ("挂牌督办进展滞后", 0),
}
LEVEL_LABELS = {0: "无", 1: "催办", 2: "督办", 3: "列入约谈建议名单"}
INTERVIEW_LEVEL = ALERT_KINDS["interview"][1]  # the level of the 约谈建议名单


def alert_label(kind: str) -> str:
    if kind in ALERT_KINDS:
        return ALERT_KINDS[kind][0]
    if kind.startswith("remind"):
        return f"期限提醒（{kind[6:]}个工作日）"
    return kind


class CaseAlert(Base):
    __tablename__ = "case_alerts"
    __table_args__ = (UniqueConstraint("case_id", "kind", "deadline",
                                       name="uq_case_alerts_case_kind_deadline"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(12))
    level: Mapped[int] = mapped_column(Integer, default=0)
    # the deadline the sweep alerted about; NULL for a manual action
    deadline: Mapped[date | None] = mapped_column(Date)
    on_date: Mapped[date] = mapped_column(Date, index=True)
    manual: Mapped[bool] = mapped_column(Boolean, default=False)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    def to_dict(self) -> dict:
        return {"id": self.id, "case_id": self.case_id, "kind": self.kind,
                "kind_label": alert_label(self.kind), "level": self.level,
                "deadline": self.deadline.isoformat() if self.deadline else None,
                "on_date": self.on_date.isoformat(), "manual": self.manual,
                "comment": self.comment, "created_at": iso_utc(self.created_at)}


class CaseListing(Base):
    """One 挂牌督办 or 摘牌 act, with its document number (文号) and dates."""

    __tablename__ = "case_listings"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(8))  # list | delist
    document_number: Mapped[str] = mapped_column(String(100))
    document_date: Mapped[date] = mapped_column(Date)
    due_on: Mapped[date | None] = mapped_column(Date)  # 督办期限 when listing
    comment: Mapped[str | None] = mapped_column(Text)
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # 省/市/区/镇 (None on acts recorded before levels were kept)
    level: Mapped[str | None] = mapped_column(String(10))
    # the approved proposal behind this act; None for an outside listing recorded as decided
    request_id: Mapped[int | None] = mapped_column(ForeignKey("case_listing_requests.id"))

    actor: Mapped[User] = relationship()

    def to_dict(self) -> dict:
        return {"id": self.id, "case_id": self.case_id, "action": self.action,
                "action_label": "挂牌督办" if self.action == "list" else "摘牌",
                "document_number": self.document_number,
                "document_date": self.document_date.isoformat(),
                "due_on": self.due_on.isoformat() if self.due_on else None,
                "comment": self.comment, "actor": self.actor.display_name if self.actor else None,
                "created_at": iso_utc(self.created_at), "level": self.level,
                "level_label": LISTING_LEVELS.get(self.level) if self.level else None,
                "request_id": self.request_id, "external": self.request_id is None}


def _refuse_role(allowed: frozenset[str], what: str, actor: User) -> Forbidden:
    rules = ["director_required"] if allowed == {OFFICE_DIRECTOR} else ["role_required"]
    return refuse_role(allowed, what, actor, rules)


def manual_alert(session: Session, case_id: int, actor: User, kind: str, comment,
                 now: datetime | None = None) -> CaseAlert:
    """The office urges (催办), supervises (督办) or puts a case on the 约谈 list by hand."""
    if not is_choice(kind, SUPERVISION_ROLES):
        raise InvalidInput("action 须为 urge（催办）、supervise（督办）或 interview（约谈）",
                           field="action")
    if not isinstance(comment, str) or not comment.strip():
        raise RuleFailed(["comment_required"])
    now = now or utcnow()
    case = lock_for_record(session, case_id, actor)
    if actor.role not in SUPERVISION_ROLES[kind]:
        raise _refuse_role(SUPERVISION_ROLES[kind], ALERT_KINDS[kind][0], actor)
    if case.status not in OPEN_STATUSES:
        raise Conflict(f"事项 {case.display_number} 当前状态“{case.status_label}”不需要{ALERT_KINDS[kind][0]}",
                       current_version=case.version, status=case.status)
    level = ALERT_KINDS[kind][1]
    alert = CaseAlert(case_id=case.id, kind=kind, level=level, on_date=local_today(now),
                      manual=True, actor_id=actor.id, comment=comment.strip(), created_at=now)
    session.add(alert)
    case.supervision_level = max(case.supervision_level or 0, level)
    record(session, case, actor, kind, comment=comment.strip(),
           payload={"level": level, "manual": True}, now=now)
    session.flush()
    recipients = department_user_ids(session, case.department_id)
    if kind == "interview":
        recipients += role_user_ids(session, OFFICE_DIRECTOR)
    notify(session, recipients, kind, f"{ALERT_KINDS[kind][0]}：{case.display_number}《{case.title[:40]}》",
           comment.strip(), case_id=case.id, skip=actor.id, now=now)
    return alert


def set_listing(session: Session, case_id: int, actor: User, *, action: str,
                document_number, document_date: date | None, due_on: date | None = None,
                comment: str | None = None, level: str | None = None,
                now: datetime | None = None) -> CaseListing:
    """Record a 挂牌督办 (list) or 摘牌 (delist) already decided elsewhere, with its 文号.

    The director records what another authority (省/市, or a 镇 of its own) decided and
    numbered. A 区级 listing is proposed and approved by the 区领导 instead
    (``workflow.problems.listings``), and so is the 摘牌 of such a listing.
    """
    if action not in ("list", "delist"):
        raise InvalidInput("action 须为 list（挂牌督办）或 delist（摘牌）", field="action")
    if level is not None and not is_choice(level, LISTING_LEVELS):
        raise InvalidInput("level 须为 province（省级）、city（市级）或 town（镇级）", field="level")
    if not isinstance(document_number, str) or not document_number.strip():
        raise InvalidInput("须填写文号（document_number）", field="document_number")
    if len(document_number) > 100:
        raise InvalidInput("文号过长（最多 100 字）", field="document_number")
    now = now or utcnow()
    today = local_today(now)
    document_date = document_date or today
    if document_date > today:
        raise InvalidInput("发文日期不能晚于今天", field="document_date")
    if due_on is not None and (action != "list" or due_on < document_date):
        raise InvalidInput("督办期限只在挂牌时填写，且不能早于发文日期", field="due_on")
    case = lock_for_record(session, case_id, actor)
    if actor.role not in LISTING_ROLES:
        raise _refuse_role(LISTING_ROLES, "挂牌督办/摘牌", actor)
    if refusal := listing_state_refusal(case, action):
        raise refusal
    current = current_listing(session, case) if action == "delist" else None
    if level == "district" or (current is not None and current.request_id is not None):
        raise RuleFailed(["leader_approval_required"])
    row = CaseListing(case_id=case.id, action=action, document_number=document_number.strip(),
                      document_date=document_date, due_on=due_on,
                      level=level if action == "list" else (current.level if current else None),
                      comment=(comment or "").strip() or None, actor_id=actor.id, created_at=now)
    session.add(row)
    case.listed = action == "list"
    if case.listed:  # the 台账's 挂牌层级 and 文号 (kept after 摘牌, with 是否挂牌 = 否)
        case.listing_level, case.listing_document = row.level, row.document_number
    record(session, case, actor, action, comment=row.comment, payload={
        "document_number": row.document_number, "document_date": document_date.isoformat(),
        "due_on": due_on.isoformat() if due_on else None, "external": True,
        **({"level": row.level} if row.level else {})}, now=now)
    session.flush()
    title = (f"挂牌督办：{case.display_number}（{row.document_number}）" if action == "list"
             else f"摘牌：{case.display_number}（{row.document_number}）")
    notify(session, department_user_ids(session, case.department_id), "listing", title,
           row.comment or "", case_id=case.id, now=now)
    return row


def current_listing(session: Session, case: Case) -> CaseListing | None:
    """The act that listed the case now (None when it is not listed)."""
    if not case.listed:
        return None
    return session.scalar(select(CaseListing).where(CaseListing.case_id == case.id,
                                                    CaseListing.action == "list")
                          .order_by(CaseListing.id.desc()).limit(1))


def listings_of(session: Session, case: Case) -> list[CaseListing]:
    return list(session.scalars(select(CaseListing).where(CaseListing.case_id == case.id)
                                .order_by(CaseListing.id)))


def alerts_of(session: Session, case: Case) -> list[CaseAlert]:
    return list(session.scalars(select(CaseAlert).where(CaseAlert.case_id == case.id)
                                .order_by(CaseAlert.id)))


def interview_clause():
    """The one 约谈建议名单 rule: open cases at the 约谈 level.

    A case reaches the level when the daily sweep escalates it (``ESCALATE_INTERVIEW_DAYS``
    calendar days overdue; problems only — a 目标任务 escalated by the sweep stays off the
    list) or when the director lists it by hand (列入约谈, any case); it leaves the list
    when it is closed or cancelled. No page or export applies a day count of its own.
    """
    by_hand = exists().where(CaseAlert.case_id == Case.id, CaseAlert.kind == "interview",
                             CaseAlert.manual.is_(True))
    return (Case.status.in_(OPEN_STATUSES) & (Case.supervision_level >= INTERVIEW_LEVEL)
            & ((Case.kind == "problem") | by_hand))


def interview_candidates(session: Session, user: User | None = None) -> list[dict]:
    """The 约谈建议名单: units holding cases of ``interview_clause``, with those cases.

    Most cases first, then by unit name; each unit's cases by deadline. Limited to what
    ``user`` may read when one is given. The home page, the API and any export use this.
    """
    stmt = (select(Case.department_id, Department.name, Case.id, Case.number, Case.title,
                   Case.deadline)
            .join(Department, Department.id == Case.department_id)
            .where(interview_clause())
            .order_by(Case.deadline, Case.id))
    scope = visible_cases_filter(user) if user is not None else None
    if scope is not None:
        stmt = stmt.where(scope)
    by_dept: dict[int, dict] = {}
    for dept_id, name, cid, number, title, deadline in session.execute(stmt).all():
        entry = by_dept.setdefault(dept_id, {"department_id": dept_id, "department": name,
                                             "count": 0, "cases": []})
        entry["count"] += 1
        entry["cases"].append({"id": cid, "number": number, "title": title,
                               "deadline": deadline.isoformat() if deadline else None})
    return sorted(by_dept.values(), key=lambda e: (-e["count"], e["department"]))

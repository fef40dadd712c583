"""挂牌督办 decided by the 区领导: proposal, decision, 文号, monthly progress, 公示.

The 区安委办主任 proposes a listing (level, reasons, deadline) or, once the hazard is
核销 (verified or closed), its 摘牌; a ``leader`` (区领导) approves or refuses. Only an
approved proposal lists or delists the case: the act gets a 文号 in the GB/T 9704 form
``机关代字〔年份〕序号号`` from the numbering counter (one sequence per 机关代字 and year)
and is printed as a 挂牌督办通知书 or 摘牌通知 (``workflow.records.listing``). While listed
and held by the department, the listed unit files a 进展报告 at least once a month; the
daily sweep reminds it and marks the listing 滞后 when a month passes without one.
"""
from __future__ import annotations

import calendar
from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, String, Text, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from workflow.core import policy
from workflow.core.audit import AuditEvent
from workflow.core.cases import Case
from workflow.core.notifications import department_user_ids, notify, role_user_ids
from workflow.core.numbering import next_seq
from workflow.core.service import lock_for_record, record
from workflow.org.models import Department, User
from workflow.org.roles import LEADER, OFFICE_DIRECTOR
from workflow.platform.base import Base, iso_utc, local_today, utcnow
from workflow.platform.errors import Conflict, InvalidInput, NotFound, RuleFailed
from workflow.platform.vocab import HELD_BY_DEPARTMENT, LISTING_LEVELS, is_choice
from workflow.problems.supervision import CaseAlert, CaseListing, current_listing

STATUSES = {"pending": "待审批", "approved": "已批准", "refused": "不予批准"}
ACTIONS = {"list": "挂牌督办", "delist": "摘牌"}
DEFAULT_ISSUER_CODE = "武安委办"


class ListingRequest(Base):
    """A proposal to list (挂牌) or delist (摘牌) a case, and the leader's decision on it."""

    __tablename__ = "case_listing_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(8))  # list | delist
    level: Mapped[str | None] = mapped_column(String(10))
    reasons: Mapped[str] = mapped_column(Text)
    due_on: Mapped[date | None] = mapped_column(Date)  # 督办期限 of a listing
    status: Mapped[str] = mapped_column(String(10), default="pending", index=True)
    proposed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    proposed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)
    decision_comment: Mapped[str | None] = mapped_column(Text)

    case: Mapped[Case] = relationship()
    proposed_by: Mapped[User] = relationship(foreign_keys=[proposed_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])

    def to_dict(self) -> dict:
        return {"id": self.id, "case_id": self.case_id, "action": self.action,
                "action_label": ACTIONS.get(self.action, self.action), "level": self.level,
                "level_label": LISTING_LEVELS.get(self.level) if self.level else None,
                "reasons": self.reasons, "due_on": self.due_on.isoformat() if self.due_on else None,
                "status": self.status, "status_label": STATUSES.get(self.status, self.status),
                "proposed_by": self.proposed_by.display_name if self.proposed_by else None,
                "proposed_at": iso_utc(self.proposed_at),
                "decided_by": self.decided_by.display_name if self.decided_by else None,
                "decided_at": iso_utc(self.decided_at), "comment": self.decision_comment}


def document_number(session: Session, issuer_code: str, year: int) -> str:
    """The next 文号 ``机关代字〔年份〕序号号`` (GB/T 9704-2012 7.2.4), e.g. 武安委办〔2026〕3号."""
    code = (issuer_code or DEFAULT_ISSUER_CODE).strip()
    return f"{code}〔{year}〕{next_seq(session, f'文号:{code}:{year}')}号"


def pending_request(session: Session, case_id: int) -> ListingRequest | None:
    return session.scalar(select(ListingRequest).where(ListingRequest.case_id == case_id,
                                                       ListingRequest.status == "pending"))


def requests_of(session: Session, case: Case) -> list[ListingRequest]:
    return list(session.scalars(select(ListingRequest).where(ListingRequest.case_id == case.id)
                                .order_by(ListingRequest.id)))


def _check_state(case: Case, action: str) -> None:
    """Whether the case may be listed or delisted now (the same check at proposal and decision)."""
    if refusal := policy.listing_state_refusal(case, action):
        raise refusal


def propose(session: Session, case_id: int, actor: User, *, action: str = "list", level=None,
            reasons, due_on: date | None = None, now: datetime | None = None) -> ListingRequest:
    """The director proposes a 挂牌督办 (level, reasons, deadline) or its 摘牌 (reasons)."""
    if not is_choice(action, ACTIONS):
        raise InvalidInput("action 须为 list（挂牌督办）或 delist（摘牌）", field="action")
    if not isinstance(reasons, str) or not reasons.strip():
        raise InvalidInput("须填写挂牌督办/摘牌理由（reasons）", field="reasons")
    if len(reasons) > 5000:
        raise InvalidInput("理由过长（最多 5000 字）", field="reasons")
    now = now or utcnow()
    if action == "list":
        if not is_choice(level, LISTING_LEVELS):
            raise InvalidInput("level 须为 province（省级）、city（市级）、district（区级）或 town（镇级）",
                               field="level")
        if due_on is None:
            raise InvalidInput("须填写督办期限（deadline）", field="deadline")
        if due_on <= local_today(now):
            raise InvalidInput("督办期限须晚于今天", field="deadline")
    elif level is not None or due_on is not None:
        raise InvalidInput("摘牌只填写理由（reasons）", field="level" if level is not None else "deadline")
    case = lock_for_record(session, case_id, actor)
    if refusal := policy.listing_proposal_refusal(actor):
        raise refusal
    _check_state(case, action)
    if pending_request(session, case.id) is not None:
        raise Conflict("本事项已有待区领导审批的挂牌督办/摘牌提请", current_version=case.version,
                       status=case.status)
    if action == "delist":
        listing = current_listing(session, case)
        level = listing.level if listing else None
    req = ListingRequest(case_id=case.id, action=action, level=level, reasons=reasons.strip(),
                         due_on=due_on, proposed_by_id=actor.id, proposed_at=now)
    session.add(req)
    session.flush()
    record(session, case, actor, "listing_proposal", comment=req.reasons, payload={
        "request_id": req.id, "action": action, "level": level,
        "due_on": due_on.isoformat() if due_on else None}, now=now)
    session.flush()
    notify(session, role_user_ids(session, LEADER), "listing",
           f"{ACTIONS[action]}待审批：{case.display_number}《{case.title[:40]}》", req.reasons,
           case_id=case.id, now=now)
    return req


def decide(session: Session, case_id: int, actor: User, *, approve, comment=None,
           issuer_code: str = DEFAULT_ISSUER_CODE, now: datetime | None = None) -> ListingRequest:
    """The 区领导 approves (the case is listed or delisted, with a 文号) or refuses a proposal."""
    if not isinstance(approve, bool):
        raise InvalidInput("approve 须为 true（同意）或 false（不同意）", field="approve")
    if comment is not None and not isinstance(comment, str):
        raise InvalidInput("comment 须为文本", field="comment")
    comment = (comment or "").strip() or None
    now = now or utcnow()
    case = lock_for_record(session, case_id, actor)
    if refusal := policy.listing_decision_refusal(actor):
        raise refusal
    req = pending_request(session, case.id)
    if req is None:
        raise Conflict("本事项没有待审批的挂牌督办/摘牌提请", current_version=case.version,
                       status=case.status)
    if not approve and not comment:
        raise RuleFailed(["comment_required"])
    if approve:
        _check_state(case, req.action)
    req.status = "approved" if approve else "refused"
    req.decided_by_id, req.decided_at, req.decision_comment = actor.id, now, comment
    record(session, case, actor, "listing_decision", comment=comment, payload={
        "request_id": req.id, "action": req.action, "approve": approve}, now=now)
    if approve:
        today = local_today(now)
        row = CaseListing(case_id=case.id, action=req.action,
                          document_number=document_number(session, issuer_code, today.year),
                          document_date=today, due_on=req.due_on, level=req.level,
                          comment=req.reasons, actor_id=actor.id, created_at=now,
                          request_id=req.id)
        session.add(row)
        case.listed = req.action == "list"
        if case.listed:  # the 台账's 挂牌层级 and 文号 (kept after 摘牌, with 是否挂牌 = 否)
            case.listing_level, case.listing_document = row.level, row.document_number
        act = req.action
        record(session, case, actor, act, comment=req.reasons, payload={
            "document_number": row.document_number, "document_date": today.isoformat(),
            "due_on": req.due_on.isoformat() if req.due_on else None, "level": req.level,
            "request_id": req.id}, now=now)
        session.flush()
        notify(session, department_user_ids(session, case.department_id), "listing",
               f"{ACTIONS[req.action]}：{case.display_number}（{row.document_number}）",
               req.reasons, case_id=case.id, now=now)
    session.flush()
    notify(session, [req.proposed_by_id], "listing",
           f"{ACTIONS[req.action]}提请{'已批准' if approve else '未获批准'}：{case.display_number}",
           comment or "", case_id=case.id, skip=actor.id, now=now)
    return req


def listing_act(session: Session, listing_id: int, user: User) -> CaseListing:
    """One listing act the user may read (404 otherwise)."""
    row = session.get(CaseListing, listing_id)
    case = session.get(Case, row.case_id) if row else None
    if row is None or case is None or not case.can_view(user):
        raise NotFound(f"挂牌督办记录 {listing_id} 不存在或无权查看")
    return row


# --- monthly progress of a listed unit ---------------------------------------------------------
def add_months(day: date, months: int = 1) -> date:
    """The same day ``months`` later (the month's last day when it is shorter)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def progress_due(session: Session, case: Case, listing: CaseListing | None = None) -> date | None:
    """When the listed unit's next 进展报告 is due: a month after the listing or the last one.

    None when the case is not listed or no longer held by the department (reported work
    waits on the office, so no progress is owed).
    """
    listing = listing or current_listing(session, case)
    if listing is None or case.status not in HELD_BY_DEPARTMENT:
        return None
    last = session.scalar(select(func.max(AuditEvent.at)).where(
        AuditEvent.case_id == case.id, AuditEvent.action == "progress",
        AuditEvent.at >= listing.created_at))
    anchor = local_today(last) if last else listing.document_date
    return add_months(anchor)


def sweep_progress(session: Session, today: date, now: datetime) -> dict[str, int]:
    """Daily: remind listed units whose monthly report falls due within 3 days, and mark
    them 滞后 (notifying the director too) once it is missed. Idempotent per due date."""
    counts = {"list_remind": 0, "list_late": 0}
    directors = role_user_ids(session, OFFICE_DIRECTOR)
    cases = session.scalars(select(Case).where(Case.listed.is_(True),
                                               Case.status.in_(HELD_BY_DEPARTMENT))
                            .order_by(Case.id)).all()
    for case in cases:
        due = progress_due(session, case)
        if due is None or (due - today).days > 3:
            continue
        kind = "list_late" if today > due else "list_remind"
        exists = session.scalar(select(CaseAlert.id).where(
            CaseAlert.case_id == case.id, CaseAlert.kind == kind, CaseAlert.deadline == due))
        if exists:
            continue
        session.add(CaseAlert(case_id=case.id, kind=kind, level=0, deadline=due, on_date=today,
                              manual=False, created_at=now))
        session.flush()
        counts[kind] += 1
        who = department_user_ids(session, case.department_id)
        if kind == "list_late":
            who += [d for d in directors if d not in who]
            title = f"挂牌督办进展滞后：{case.display_number} 应于 {due.isoformat()} 前报告进展"
        else:
            title = f"挂牌督办进展报告提醒：{case.display_number} 请于 {due.isoformat()} 前报告进展"
        notify(session, who, "listing", title, "挂牌督办期间须每月报告治理进展", case_id=case.id,
               now=now)
    return counts


# --- 公示 -------------------------------------------------------------------------------------
def public_board(session: Session, today: date | None = None) -> list[dict]:
    """The current 挂牌督办 items for the read-only 公示 page (every signed-in user)."""
    today = today or local_today()
    rows = session.execute(
        select(Case, CaseListing, Department.name)
        .join(CaseListing, CaseListing.case_id == Case.id)
        .outerjoin(Department, Department.id == Case.department_id)
        .where(Case.listed.is_(True), CaseListing.action == "list")
        .order_by(CaseListing.id.desc())).all()
    seen: set[int] = set()
    items = []
    for case, listing, dept in rows:
        if case.id in seen:  # an older act of a case listed again
            continue
        seen.add(case.id)
        due = progress_due(session, case, listing)
        items.append({
            "case_id": case.id, "number": case.display_number, "hazard": case.title,
            "unit": case.responsible_unit or dept or "", "department": dept,
            "level": listing.level,
            "level_label": LISTING_LEVELS.get(listing.level) if listing.level else "",
            "document_number": listing.document_number,
            "listed_on": listing.document_date.isoformat(),
            "deadline": listing.due_on.isoformat() if listing.due_on else None,
            "status": case.status, "status_label": case.status_label,
            "progress_due": due.isoformat() if due else None,
            "progress_late": bool(due and today > due), "listing_id": listing.id})
    return sorted(items, key=lambda i: (i["deadline"] or "9999", i["number"]))

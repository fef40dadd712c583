"""Check a printed record against the case's audit chain as it is now."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.core.audit import GENESIS, AuditEvent, verify_case_chain
from workflow.core.cases import Case
from workflow.core.policy import verify_refusal
from workflow.org.roles import ROLE_LABELS
from workflow.platform.base import iso_utc
from workflow.platform.errors import InvalidInput
from workflow.platform.vocab import ACTION_LABELS
from workflow.records.render import format_cn_datetime
from workflow.records.stamp import (
    MAX_STAMPS,
    MAX_TEXT_PAGES,
    ChainStamp,
    RefusedRecord,
    UnreadableRecord,
    read_stamps,
)

MAX_VERIFY_BYTES = 50 * 1024 * 1024  # a record PDF larger than this is refused unread
_CHUNK = 500  # stamps whose cases and events are loaded in one query each

OUTCOME_LABELS = {
    "match": "一致：记录与系统中事项的审计链一致",
    "changed": "不一致：记录印制后事项又有新的办理事件",
    "mismatch": "不一致：记录上的哈希不在该事项的审计链中（记录可能被改动或伪造）",
    "chain_broken": "不一致：系统中该事项的审计链本身校验失败",
    "not_found": "不一致：系统中没有该编号的事项，或无权查看",
}


@dataclass
class CaseCheck:
    stamp: ChainStamp
    outcome: str
    current_seq: int | None = None
    current_head: str | None = None
    detail: str | None = None
    events_since: list[dict] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.outcome == "match"

    def to_dict(self) -> dict:
        return {"number": self.stamp.number, "printed_seq": self.stamp.seq,
                "printed_head": self.stamp.head, "outcome": self.outcome,
                "match": self.ok, "message": OUTCOME_LABELS[self.outcome], "detail": self.detail,
                "current_seq": self.current_seq, "current_head": self.current_head,
                "events_since": self.events_since}


def _event_row(ev: AuditEvent) -> dict:
    return {"seq": ev.seq, "at": iso_utc(ev.at), "at_local": format_cn_datetime(ev.at),
            "actor": ev.actor_name, "role": ROLE_LABELS.get(ev.actor_role, ev.actor_role),
            "department": ev.actor_department, "action": ev.action,
            "action_label": ACTION_LABELS.get(ev.action, ev.action), "comment": ev.comment}


def _find_case(session: Session, stamp: ChainStamp) -> Case | None:
    case = session.scalar(select(Case).where(Case.number == stamp.number))
    if case is None and stamp.case_id is not None:
        # Drafts carry no number yet; their stamp names them by id.
        candidate = session.get(Case, stamp.case_id)
        if candidate is not None and candidate.display_number == stamp.number:
            case = candidate
    return case


_UNLOADED = object()


def check_stamp(session: Session, stamp: ChainStamp, user=None, *, case=_UNLOADED,
                events: list[AuditEvent] | None = None) -> CaseCheck:
    """Compare one printed stamp with the case's chain; list what happened since.

    ``case`` and ``events`` may be passed preloaded (``verify_record`` loads a whole
    record's cases in a few queries); otherwise they are read here.
    """
    if case is _UNLOADED:
        case = _find_case(session, stamp)
    if case is None or (user is not None and not case.can_view(user)):
        return CaseCheck(stamp, "not_found")
    if events is None:
        events = session.scalars(select(AuditEvent).where(AuditEvent.case_id == case.id)
                                 .order_by(AuditEvent.seq)).all()
    check = CaseCheck(stamp, "match", current_seq=case.audit_seq or 0,
                      current_head=case.audit_head or GENESIS)
    broken = verify_case_chain(case, events)
    if broken is not None:
        check.outcome, check.detail = "chain_broken", str(broken)
        return check
    if stamp.seq == check.current_seq and stamp.head == check.current_head:
        return check
    printed_is_in_chain = 0 <= stamp.seq <= len(events) and (
        events[stamp.seq - 1].hash if stamp.seq else GENESIS) == stamp.head
    if not printed_is_in_chain:
        check.outcome = "mismatch"
        check.detail = (f"记录印制的序号 {stamp.seq} 与哈希在系统中不存在"
                        f"（系统中该事项共有 {len(events)} 个事件）")
        return check
    check.outcome = "changed"
    check.events_since = [_event_row(ev) for ev in events[stamp.seq:]]
    check.detail = f"印制后新增 {len(check.events_since)} 个事件（序号 {stamp.seq + 1} 起）"
    return check


def _check_chunk(session: Session, stamps: list[ChainStamp], user) -> list[CaseCheck]:
    """Check stamps with their cases and events loaded in one query each."""
    by_number = {c.number: c for c in session.scalars(
        select(Case).where(Case.number.in_({s.number for s in stamps})))}
    draft_ids = {s.case_id for s in stamps if s.number not in by_number and s.case_id is not None}
    by_id = ({c.id: c for c in session.scalars(select(Case).where(Case.id.in_(draft_ids)))}
             if draft_ids else {})
    cases = {}
    for s in stamps:
        case = by_number.get(s.number)
        if case is None and s.case_id in by_id and by_id[s.case_id].display_number == s.number:
            case = by_id[s.case_id]  # drafts carry no number yet; their stamp names them by id
        cases[s] = case
    wanted = {c.id for c in cases.values() if c is not None and (user is None or c.can_view(user))}
    events = defaultdict(list)
    if wanted:
        for ev in session.scalars(select(AuditEvent).where(AuditEvent.case_id.in_(wanted))
                                  .order_by(AuditEvent.case_id, AuditEvent.seq)):
            events[ev.case_id].append(ev)
    return [check_stamp(session, s, user, case=cases[s],
                        events=events[cases[s].id] if cases[s] is not None else [])
            for s in stamps]


@dataclass
class VerifyReport:
    checks: list[CaseCheck]

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(c.ok for c in self.checks)

    def to_dict(self) -> dict:
        return {"match": self.ok, "cases": [c.to_dict() for c in self.checks]}


def verify_record(session: Session, data: bytes, user=None, *, max_stamps: int = MAX_STAMPS,
                  max_pages: int = MAX_TEXT_PAGES) -> VerifyReport:
    """Read the stamps of a record PDF and check each; raises UnreadableRecord."""
    stamps = read_stamps(data, max_stamps=max_stamps, max_pages=max_pages)
    checks: list[CaseCheck] = []
    for start in range(0, len(stamps), _CHUNK):
        checks += _check_chunk(session, stamps[start:start + _CHUNK], user)
    return VerifyReport(checks)


def verify_summary(session: Session, data: bytes, user=None, *, max_stamps: int = MAX_STAMPS,
                   max_pages: int = MAX_TEXT_PAGES) -> tuple[dict, int]:
    """The verification result as JSON and its exit-code-like status (0 match, 1 not, 2 unreadable).

    Only the roles of ``policy.RECORD_VERIFIERS`` may ask (403 otherwise); an encrypted PDF
    or one beyond a limit is malformed input (400 naming ``file``).
    """
    if user is not None and (refusal := verify_refusal(user)):
        raise refusal
    try:
        report = verify_record(session, data, user, max_stamps=max_stamps, max_pages=max_pages)
    except RefusedRecord as exc:
        raise InvalidInput(str(exc), field="file") from None
    except UnreadableRecord as exc:
        return {"readable": False, "match": False, "message": str(exc), "cases": []}, 2
    body = {"readable": True, **report.to_dict()}
    body["message"] = ("记录与系统审计链一致" if report.ok else "记录与系统审计链不一致")
    return body, 0 if report.ok else 1

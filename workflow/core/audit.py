"""Append-only audit events with a per-case SHA-256 hash chain."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from workflow.core.cases import Case
from workflow.org.roles import ROLE_LABELS
from workflow.platform.base import Base, iso_utc, utcnow
from workflow.platform.hashchain import GENESIS, canonical_json, chain_digest

__all__ = ["GENESIS", "AuditEvent", "ChainBreak", "append_event", "canonical_json",
           "verify_all", "verify_case_chain"]


class AuditEvent(Base):
    __tablename__ = "audit_events"
    __table_args__ = (UniqueConstraint("case_id", "seq", name="uq_audit_events_case_seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="RESTRICT"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(DateTime, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_name: Mapped[str] = mapped_column(String(80))
    actor_role: Mapped[str] = mapped_column(String(30))
    actor_department: Mapped[str | None] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(40), index=True)
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str | None] = mapped_column(String(20))
    comment: Mapped[str | None] = mapped_column(Text)
    payload_json: Mapped[str] = mapped_column(Text, default="{}")
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    @property
    def payload(self) -> dict:
        return json.loads(self.payload_json or "{}")

    def canonical(self) -> str:
        """The event as canonical JSON: the exact bytes the chain hashes."""
        return canonical_json({
            "case_id": self.case_id, "seq": self.seq, "at": iso_utc(self.at),
            "actor_id": self.actor_id, "actor_name": self.actor_name,
            "actor_role": self.actor_role, "actor_department": self.actor_department,
            "action": self.action, "from": self.from_status, "to": self.to_status,
            "comment": self.comment, "payload": self.payload,
        })

    def compute_hash(self) -> str:
        return chain_digest(self.prev_hash, self.canonical())

    def to_dict(self) -> dict:
        return {"id": self.id, "case_id": self.case_id, "seq": self.seq, "at": iso_utc(self.at),
                "actor_id": self.actor_id, "actor": self.actor_name, "role": self.actor_role,
                "role_label": ROLE_LABELS.get(self.actor_role, self.actor_role),
                "department": self.actor_department, "action": self.action,
                "trigger": self.action, "from": self.from_status, "to": self.to_status,
                "comment": self.comment, "payload": self.payload,
                "prev_hash": self.prev_hash, "hash": self.hash}


def append_event(session: Session, case, actor, action: str, *, from_status=None,
                 to_status=None, comment=None, payload=None, at=None) -> AuditEvent:
    """Append one event to ``case``'s chain; the caller holds the case lock."""
    seq = (case.audit_seq or 0) + 1
    event = AuditEvent(
        case_id=case.id, seq=seq, at=at or utcnow(),
        actor_id=getattr(actor, "id", None),
        actor_name=getattr(actor, "display_name", None) or "系统",
        actor_role=getattr(actor, "role", None) or "system",
        actor_department=(actor.department.name if getattr(actor, "department", None) else None),
        action=action, from_status=from_status, to_status=to_status, comment=comment,
        payload_json=canonical_json(payload or {}),
        prev_hash=case.audit_head or GENESIS,
    )
    event.hash = event.compute_hash()
    case.audit_seq = seq
    case.audit_head = event.hash
    session.add(event)
    return event


@dataclass
class ChainBreak:
    case_id: int
    case_number: str | None
    seq: int | None
    reason: str

    def __str__(self) -> str:
        where = f"事件 #{self.seq}" if self.seq is not None else "链尾"
        return f"案件 {self.case_number or self.case_id} (id={self.case_id}) {where}: {self.reason}"


def verify_case_chain(case, events: list[AuditEvent]) -> ChainBreak | None:
    """Recompute one case's chain; return the first broken link or None."""
    prev = GENESIS
    expected_seq = 1
    for ev in events:
        if ev.seq != expected_seq:
            return ChainBreak(case.id, case.number, expected_seq,
                              f"事件缺失（期望序号 {expected_seq}，实际 {ev.seq}）")
        if ev.prev_hash != prev:
            return ChainBreak(case.id, case.number, ev.seq, "前序哈希不符（之前的事件被删除或改动）")
        if ev.compute_hash() != ev.hash:
            return ChainBreak(case.id, case.number, ev.seq, "事件内容与哈希不符（记录被改动）")
        prev = ev.hash
        expected_seq += 1
    if (case.audit_seq or 0) != expected_seq - 1 or (case.audit_head or None) != (
            prev if events else None):
        return ChainBreak(case.id, case.number, case.audit_seq,
                          f"案件记录的链头（序号 {case.audit_seq}）与事件不符（末尾事件被删除或改动）")
    return None


def verify_all(session: Session, batch: int = 500):
    """Yield every ``ChainBreak`` across all cases, streaming cases in id order."""
    last_id = 0
    while True:
        cases = session.scalars(select(Case).where(Case.id > last_id).order_by(Case.id)
                                .limit(batch)).all()
        if not cases:
            return
        ids = [c.id for c in cases]
        events: dict[int, list[AuditEvent]] = {i: [] for i in ids}
        for ev in session.scalars(select(AuditEvent).where(AuditEvent.case_id.in_(ids))
                                  .order_by(AuditEvent.case_id, AuditEvent.seq)):
            events[ev.case_id].append(ev)
        for case in cases:
            broken = verify_case_chain(case, events[case.id])
            if broken:
                yield broken
        last_id = ids[-1]

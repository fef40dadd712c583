"""Append-only audit events with a per-case hash chain, keyed with HMAC-SHA256.

Each event's ``hash`` is HMAC-SHA256 over the previous hash and the event's canonical JSON,
with a key that lives outside the database (setting ``AUDIT_KEY``, or ``instance/audit_key``):
whoever can write the database but not read the key cannot rewrite a chain so that it verifies.
The event names its key (``key_id``, part of what is signed), so a key rotation shows in the
chain and old keys (``AUDIT_OLD_KEYS``) keep verifying older events. Events written before
keying carry no ``key_id`` and keep their plain SHA-256 link, so records printed earlier still
verify; an unkeyed event after a keyed one (a downgraded chain) is a break, and so is one dated
after ``AUDIT_KEYED_SINCE`` when that is set.

The table is append-only in the database as well: triggers refuse UPDATE and DELETE (created
with the table and by migration 0011; TRUNCATE, used only by the test fixtures, fires none).
"""
from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    DDL,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    select,
)
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Mapped, Session, mapped_column

from workflow.core.cases import Case
from workflow.org.roles import ROLE_LABELS
from workflow.platform.base import Base, iso_utc, utcnow
from workflow.platform.db import insert_rows
from workflow.platform.hashchain import GENESIS, canonical_json, chain_digest

__all__ = ["GENESIS", "AuditEvent", "ChainBreak", "append_event", "canonical_json",
           "verify_all", "verify_case_chain"]


class AuditKeys:
    """The chain keys of this process, installed from the settings by the application."""

    current: str | None = None  # key id new events are signed with
    keys: dict[str, bytes] = {}
    keyed_since: datetime | None = None  # unkeyed events after this are breaks


def key_id_of(secret: str) -> str:
    """A short public name for a key (the key itself never reaches the database)."""
    return "k" + hashlib.sha256(b"safeloop-audit-key-id:" + secret.encode()).hexdigest()[:10]


def configure_keys(current: str | None, old: list[str] | tuple = (), *,
                   keyed_since: datetime | None = None) -> str | None:
    """Install the signing key and the older keys still accepted; return the current key id."""
    keys = {key_id_of(k): k.encode() for k in [*old, *([current] if current else [])] if k}
    AuditKeys.keys = keys
    AuditKeys.current = key_id_of(current) if current else None
    AuditKeys.keyed_since = keyed_since
    return AuditKeys.current


class UnknownAuditKey(LookupError):
    """An event names a key this process does not hold."""


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
    # the key the hash is an HMAC with; NULL: an event from before keying (plain SHA-256)
    key_id: Mapped[str | None] = mapped_column(String(16))

    @property
    def payload(self) -> dict:
        return json.loads(self.payload_json or "{}")

    def canonical(self) -> str:
        """The event as canonical JSON: the exact bytes the chain hashes."""
        fields = {
            "case_id": self.case_id, "seq": self.seq, "at": iso_utc(self.at),
            "actor_id": self.actor_id, "actor_name": self.actor_name,
            "actor_role": self.actor_role, "actor_department": self.actor_department,
            "action": self.action, "from": self.from_status, "to": self.to_status,
            "comment": self.comment, "payload": self.payload,
        }
        if self.key_id is not None:  # unkeyed events keep the bytes they were hashed with
            fields["key_id"] = self.key_id
        return canonical_json(fields)

    def compute_hash(self) -> str:
        """The link: HMAC-SHA256 with the event's key, or SHA-256 for an unkeyed event."""
        key = None
        if self.key_id is not None:
            key = AuditKeys.keys.get(self.key_id)
            if key is None:
                raise UnknownAuditKey(self.key_id)
        return chain_digest(self.prev_hash, self.canonical(), key)

    def seal(self) -> str:
        """Sign a new event with the current key (unkeyed when none is configured)."""
        self.key_id = AuditKeys.current
        self.hash = self.compute_hash()
        return self.hash

    def to_dict(self) -> dict:
        return {"id": self.id, "case_id": self.case_id, "seq": self.seq, "at": iso_utc(self.at),
                "actor_id": self.actor_id, "actor": self.actor_name, "role": self.actor_role,
                "role_label": ROLE_LABELS.get(self.actor_role, self.actor_role),
                "department": self.actor_department, "action": self.action,
                "trigger": self.action, "from": self.from_status, "to": self.to_status,
                "comment": self.comment, "payload": self.payload,
                "prev_hash": self.prev_hash, "hash": self.hash, "key_id": self.key_id}


# Append-only in the database too. PostgreSQL: a row trigger refusing UPDATE and DELETE
# (TRUNCATE fires no row trigger; only the test fixtures truncate). SQLite: the same refusal.
# Migration 0011 creates the same objects on an existing database.
APPEND_ONLY_FUNCTION = """
CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$ LANGUAGE plpgsql
"""
APPEND_ONLY_TRIGGER = """
CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()
"""
SQLITE_TRIGGERS = [
    f"CREATE TRIGGER audit_events_no_{op.lower()} BEFORE {op} ON audit_events "
    f"BEGIN SELECT RAISE(ABORT, 'audit_events is append-only: {op} refused'); END"
    for op in ("UPDATE", "DELETE")]

for _ddl in (APPEND_ONLY_FUNCTION, APPEND_ONLY_TRIGGER):  # DDL formats with %: escape it
    sa_event.listen(AuditEvent.__table__, "after_create",
                    DDL(_ddl.replace("%", "%%")).execute_if(dialect="postgresql"))
for _ddl in SQLITE_TRIGGERS:
    sa_event.listen(AuditEvent.__table__, "after_create", DDL(_ddl).execute_if(dialect="sqlite"))


def append_event(session: Session, case, actor, action: str, *, from_status=None,
                 to_status=None, comment=None, payload=None, at=None) -> AuditEvent:
    """Append one event to ``case``'s chain; the caller holds the case lock."""
    event = AuditEvent(**event_row(case, actor, action, from_status=from_status,
                                   to_status=to_status, comment=comment, payload=payload, at=at))
    session.add(event)
    return event


def event_row(case, actor, action: str, *, from_status=None, to_status=None, comment=None,
              payload=None, at=None) -> dict:
    """The next event of ``case``'s chain as column values, sealed with the current key.

    Advances ``case.audit_seq`` / ``case.audit_head``; the caller writes the row (as an
    ``AuditEvent`` or a bulk insert) in the same transaction as the case.
    """
    seq = (case.audit_seq or 0) + 1
    payload_json = canonical_json(payload) if payload else "{}"
    row = {
        "case_id": case.id, "seq": seq, "at": at or utcnow(),
        "actor_id": getattr(actor, "id", None),
        "actor_name": getattr(actor, "display_name", None) or "系统",
        "actor_role": getattr(actor, "role", None) or "system",
        "actor_department": (actor.department.name if getattr(actor, "department", None)
                             else None),
        "action": action, "from_status": from_status, "to_status": to_status,
        "comment": comment, "payload_json": payload_json,
        "prev_hash": case.audit_head or GENESIS, "key_id": AuditKeys.current,
    }
    # the same canonical text AuditEvent.canonical() gives for the stored row
    fields = {"case_id": row["case_id"], "seq": seq, "at": iso_utc(row["at"]),
              "actor_id": row["actor_id"], "actor_name": row["actor_name"],
              "actor_role": row["actor_role"], "actor_department": row["actor_department"],
              "action": action, "from": from_status, "to": to_status, "comment": comment,
              "payload": json.loads(payload_json) if payload else {}}
    if row["key_id"] is not None:
        fields["key_id"] = row["key_id"]
    key = AuditKeys.keys[row["key_id"]] if row["key_id"] is not None else None
    row["hash"] = chain_digest(row["prev_hash"], canonical_json(fields), key)
    case.audit_seq = seq
    case.audit_head = row["hash"]
    return row


# one prepared INSERT (its compiled form is cached), executed with one or many rows
INSERT_EVENTS = AuditEvent.__table__.insert()


def insert_events(session: Session, rows: list[dict]) -> None:
    """Write sealed ``event_row`` rows in one statement (executemany), bypassing the ORM.

    For cases already in the database (persistent): the rows do not pass through the unit
    of work, so nothing is reloaded or re-flushed after the insert.
    """
    if len(rows) == 1:
        session.connection().execute(INSERT_EVENTS, rows)
    elif rows:  # a bulk import: COPY on PostgreSQL
        insert_rows(session, AuditEvent.__table__, rows)


@dataclass
class ChainBreak:
    case_id: int
    case_number: str | None
    seq: int | None
    reason: str

    def __str__(self) -> str:
        where = f"事件 #{self.seq}" if self.seq is not None else "链尾"
        return f"事项 {self.case_number or self.case_id} (id={self.case_id}) {where}: {self.reason}"


def verify_case_chain(case, events: list[AuditEvent]) -> ChainBreak | None:
    """Recompute one case's chain; return the first broken link or None."""
    prev = GENESIS
    expected_seq = 1
    keyed = False
    for ev in events:
        if ev.seq != expected_seq:
            return ChainBreak(case.id, case.number, expected_seq,
                              f"事件缺失（期望序号 {expected_seq}，实际 {ev.seq}）")
        if ev.prev_hash != prev:
            return ChainBreak(case.id, case.number, ev.seq, "前序哈希不符（之前的事件被删除或改动）")
        if ev.key_id is None and (keyed or (AuditKeys.keyed_since is not None
                                            and ev.at >= AuditKeys.keyed_since)):
            return ChainBreak(case.id, case.number, ev.seq,
                              "事件没有密钥签名，但链已启用密钥（记录被改写为未签名）")
        keyed = keyed or ev.key_id is not None
        try:
            if not hmac.compare_digest(ev.compute_hash(), ev.hash or ""):
                return ChainBreak(case.id, case.number, ev.seq, "事件内容与哈希不符（记录被改动）")
        except UnknownAuditKey:
            return ChainBreak(case.id, case.number, ev.seq,
                              f"事件由密钥 {ev.key_id} 签名，本系统未配置该密钥"
                              "（AUDIT_KEY / AUDIT_OLD_KEYS）")
        prev = ev.hash
        expected_seq += 1
    if (case.audit_seq or 0) != expected_seq - 1 or (case.audit_head or None) != (
            prev if events else None):
        return ChainBreak(case.id, case.number, case.audit_seq,
                          f"事项记录的链头（序号 {case.audit_seq}）与事件不符（末尾事件被删除或改动）")
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

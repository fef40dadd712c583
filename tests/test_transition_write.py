"""The transition's write: the case's row, its event and the settled requests land together.

On PostgreSQL they are one statement (the guarded UPDATE and the settling UPDATE in WITHs, the
event's INSERT reading the updated row); on SQLite the UPDATE, then the INSERT whose trigger
settles. Either way a version that no longer matches writes nothing at all.
"""
from __future__ import annotations

from sqlalchemy import func, select, text

from workflow.core import machine, service
from workflow.core.audit import AuditEvent, event_row, verify_case_chain
from workflow.core.cases import Case
from workflow.core.notifications import Notification
from workflow.platform.base import utcnow


def _counts(session, case_id):
    events = session.scalar(select(func.count()).select_from(AuditEvent)
                            .where(AuditEvent.case_id == case_id))
    unread = session.scalar(select(func.count()).select_from(Notification)
                            .where(Notification.case_id == case_id, Notification.kind == "assigned",
                                   Notification.read_at.is_(None)))
    return events, unread


def _accept_in_memory(session, world, case_id):
    """The steps ``transition`` takes before writing: the case changed and its event sealed."""
    case = service.get_case(session, case_id, None, for_update=True)
    now = utcnow()
    case.accepted_at = now
    machine.fire(case, "accept")
    row = event_row(case, world.users["dept_officer"], "accept", from_status="assigned",
                    to_status=case.status, at=now)
    return case, row, now


def test_a_version_that_no_longer_matches_writes_nothing(world, session):
    case = world.case_at("assigned")
    before = _counts(session, case.id)
    assert before[1] > 0  # the 新交办 notices wait to be settled by the 签收
    version = case.version
    locked, row, now = _accept_in_memory(session, world, case.id)
    # another writer's change, as if it had slipped in (the same transaction holds the lock)
    session.connection().execute(text("UPDATE cases SET version = version + 1 WHERE id = :id"),
                                 {"id": case.id})
    assert service._write_case_and_event(session, locked, row, "accept", now) is False
    with session.no_autoflush:  # inside the transaction still: no event, nothing settled
        assert _counts(session, case.id) == before
        assert session.scalar(select(Case.status).where(Case.id == case.id)) == "assigned"
    session.rollback()
    fresh = session.get(Case, case.id)
    session.refresh(fresh)
    assert (fresh.status, fresh.version) == ("assigned", version)
    assert _counts(session, case.id) == before


def test_the_written_case_event_and_settled_requests_match(world, session):
    case = world.case_at("assigned")
    events, unread = _counts(session, case.id)
    locked, row, now = _accept_in_memory(session, world, case.id)
    version = locked.version
    assert service._write_case_and_event(session, locked, row, "accept", now) is True
    session.commit()
    assert locked.version == version + 1
    stored = session.execute(select(Case.status, Case.version, Case.accepted_at,
                                    Case.audit_seq, Case.audit_head)
                             .where(Case.id == case.id)).one()
    assert tuple(stored) == ("in_progress", version + 1, now, row["seq"], row["hash"])
    assert _counts(session, case.id) == (events + 1, 0)
    written = session.scalars(select(AuditEvent).where(AuditEvent.case_id == case.id)
                              .order_by(AuditEvent.seq)).all()
    assert {c: getattr(written[-1], c) for c in row} == row
    assert verify_case_chain(session.get(Case, case.id), written) is None
    assert unread > 0

"""The audit chain: tampering with or deleting an event is found and named."""
from __future__ import annotations

from sqlalchemy import delete, select, text, update

from workflow.core.audit import AuditEvent, verify_all


def as_database_owner(session) -> None:
    """Tamper as someone holding the database itself would: past the append-only triggers
    (the application cannot; see test_audit_keys.py)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SET LOCAL session_replication_role = replica"))
    else:
        session.execute(text("DROP TRIGGER IF EXISTS audit_events_no_update"))
        session.execute(text("DROP TRIGGER IF EXISTS audit_events_no_delete"))


def test_verify_passes_on_untouched_data(runner, world):
    world.case_at("closed")
    world.case_at("reported")
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert "完整" in result.output


def test_altered_comment_is_named(runner, world, session):
    case = world.case_at("reported")
    other = world.case_at("closed")
    as_database_owner(session)
    session.execute(update(AuditEvent).where(AuditEvent.case_id == case.id, AuditEvent.seq == 3)
                    .values(comment="后来改的意见"))
    session.commit()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"id={case.id}" in result.output and "事件 #3" in result.output
    assert f"id={other.id}" not in result.output


def test_altered_actor_in_raw_sql_is_named(runner, world, session):
    case = world.case_at("verified")
    as_database_owner(session)
    session.execute(text("UPDATE audit_events SET actor_name = '别人' WHERE case_id = :c AND seq = 2"),
                    {"c": case.id})
    session.commit()
    broken = list(verify_all(session))
    assert [(b.case_id, b.seq) for b in broken] == [(case.id, 2)]


def test_deleted_middle_event_is_named(runner, world, session):
    case = world.case_at("verified")
    as_database_owner(session)
    session.execute(delete(AuditEvent).where(AuditEvent.case_id == case.id, AuditEvent.seq == 2))
    session.commit()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert "事件 #2" in result.output and "缺失" in result.output


def test_deleted_last_event_is_found(runner, world, session):
    case = world.case_at("closed")
    last = session.scalar(select(AuditEvent.seq).where(AuditEvent.case_id == case.id)
                          .order_by(AuditEvent.seq.desc()).limit(1))
    as_database_owner(session)
    session.execute(delete(AuditEvent).where(AuditEvent.case_id == case.id, AuditEvent.seq == last))
    session.commit()
    result = runner.invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"id={case.id}" in result.output and "末尾" in result.output


def test_events_are_unique_per_case_and_seq(world, session):
    import pytest
    from sqlalchemy.exc import IntegrityError

    case = world.case_at("assigned")
    first = session.scalar(select(AuditEvent).where(AuditEvent.case_id == case.id,
                                                    AuditEvent.seq == 1))
    session.add(AuditEvent(case_id=case.id, seq=1, at=first.at, actor_name="x", actor_role="x",
                           action="comment", payload_json="{}", prev_hash="0" * 64, hash="0" * 64))
    with pytest.raises(IntegrityError):
        session.commit()
    session.rollback()

"""The audit chain is keyed (HMAC-SHA256, key outside the database) and append-only in the database."""
from __future__ import annotations

import hashlib
import hmac
import os
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from tests.conftest import reset_database
from tests.factories_records import comment
from tests.test_audit_chain import as_database_owner
from tests.test_records_verify import report_file
from workflow.core.audit import AuditEvent, AuditKeys, configure_keys, key_id_of, verify_all
from workflow.core.cases import Case
from workflow.org.models import User
from workflow.platform.base import utcnow
from workflow.records.verify import verify_record

KEY_A, KEY_B = "first-audit-key-" + "a" * 32, "second-audit-key-" + "b" * 32


@pytest.fixture
def keys():
    """Set keys for one test, then give the process back the app's keys."""
    saved = (AuditKeys.current, AuditKeys.keys, AuditKeys.keyed_since)
    yield configure_keys
    AuditKeys.current, AuditKeys.keys, AuditKeys.keyed_since = saved


def events_of(session, case) -> list[AuditEvent]:
    session.expire_all()
    out = session.scalars(select(AuditEvent).where(AuditEvent.case_id == case.id)
                          .order_by(AuditEvent.seq)).all()
    session.rollback()
    return out


def test_new_events_are_hmac_signed_with_a_named_key(world, keys):
    keys(KEY_A)
    case = world.case_at("reported")
    events = events_of(world.session, case)
    assert events and {e.key_id for e in events} == {key_id_of(KEY_A)}
    for ev in events:
        message = (ev.prev_hash + ev.canonical()).encode()
        assert ev.hash == hmac.new(KEY_A.encode(), message, hashlib.sha256).hexdigest()
        assert ev.hash != hashlib.sha256(message).hexdigest()
        assert '"key_id"' in ev.canonical()  # the key's name is signed too
    assert list(verify_all(world.session)) == []


def test_the_app_signs_with_its_configured_key(app, world):
    case = world.case_at("assigned")
    key = app.config.get("AUDIT_KEY") or (Path(app.instance_path) / "audit_key").read_text().strip()
    assert {e.key_id for e in events_of(world.session, case)} == {key_id_of(key)}


def test_rewriting_without_the_key_is_found(world, session, keys):
    """Whoever can write the table but not read the key cannot re-link a changed chain."""
    keys(KEY_A)
    case = world.case_at("verified")
    other = world.case_at("closed")
    events = events_of(session, case)
    # the attacker changes event 2 and recomputes every later link, as an unkeyed chain
    as_database_owner(session)
    prev = events[0].hash
    for ev in events[1:]:
        ev.comment = "后来改的意见" if ev.seq == 2 else ev.comment
        ev.prev_hash, ev.key_id = prev, None
        ev.hash = hashlib.sha256((prev + ev.canonical()).encode()).hexdigest()
        session.execute(update(AuditEvent).where(AuditEvent.id == ev.id).values(
            comment=ev.comment, prev_hash=ev.prev_hash, key_id=None, hash=ev.hash))
        prev = ev.hash
    session.execute(update(Case).where(Case.id == case.id).values(audit_head=prev))
    session.commit()
    broken = list(verify_all(session))
    assert [(b.case_id, b.seq) for b in broken] == [(case.id, 2)]
    assert "未签名" in broken[0].reason and other.id not in [b.case_id for b in broken]

    # the same with a key of the attacker's own under the real key's name
    as_database_owner(session)
    ev = events[1]
    ev.key_id = key_id_of(KEY_A)
    ev.hash = hmac.new(b"guessed", (ev.prev_hash + ev.canonical()).encode(),
                       hashlib.sha256).hexdigest()
    session.execute(update(AuditEvent).where(AuditEvent.id == ev.id).values(key_id=ev.key_id,
                                                                             hash=ev.hash))
    session.commit()
    broken = list(verify_all(session))
    assert [(b.case_id, b.seq) for b in broken] == [(case.id, 2)] and "不符" in broken[0].reason


def test_events_and_records_from_before_keying_keep_verifying(world, storage, tmp_path, keys):
    keys(None)  # the release before keying: plain SHA-256 links, no key id
    case = world.case_at("verified")
    _, printed = report_file(world, case, storage, tmp_path)
    assert {e.key_id for e in events_of(world.session, case)} == {None}
    assert verify_record(world.session, printed).ok
    world.session.commit()

    keys(KEY_A)  # keying switched on: the old links stay as they are
    assert verify_record(world.session, printed).ok
    world.session.commit()
    world.step(case, "close", "office_director", comment="同意销号")
    events = events_of(world.session, case)
    assert [e.key_id for e in events][-1] == key_id_of(KEY_A)
    assert events[-1].prev_hash == events[-2].hash  # the first keyed event seals the old part
    assert list(verify_all(world.session)) == []
    world.session.rollback()
    report = verify_record(world.session, printed)
    assert report.checks[0].outcome == "changed"  # printed before, still recognised
    world.session.commit()

    # with AUDIT_KEYED_SINCE set, an unkeyed event dated later is a break
    keys(KEY_A, keyed_since=utcnow() - timedelta(days=1))
    broken = list(verify_all(world.session))
    assert [b.case_id for b in broken] == [case.id] and broken[0].seq == 1


def test_rotation_shows_in_the_chain_and_old_keys_keep_verifying(world, keys):
    keys(KEY_A)
    case = world.case_at("reported")
    keys(KEY_B, [KEY_A])
    comment(world, case, "office_staff", "密钥轮换后的事件")
    ids = [e.key_id for e in events_of(world.session, case)]
    assert ids[-1] == key_id_of(KEY_B) and set(ids[:-1]) == {key_id_of(KEY_A)}
    assert list(verify_all(world.session)) == []
    world.session.rollback()
    keys(KEY_B)  # the old key dropped from AUDIT_OLD_KEYS
    broken = list(verify_all(world.session))
    assert broken and key_id_of(KEY_A) in broken[0].reason and "AUDIT_OLD_KEYS" in broken[0].reason


@pytest.mark.parametrize("statement", [
    "UPDATE audit_events SET comment = '改' WHERE case_id = :c",
    "DELETE FROM audit_events WHERE case_id = :c",
])
def test_database_refuses_update_and_delete(world, session, statement):
    case = world.case_at("assigned")
    with pytest.raises(DBAPIError) as refused:
        session.execute(text(statement), {"c": case.id})
        session.flush()
    assert "append-only" in str(refused.value)
    session.rollback()
    assert len(events_of(session, case)) == case.audit_seq


@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="needs TEST_DATABASE_URL: database roles, grants and the trigger's permission errors exist only on PostgreSQL")
def test_app_role_may_only_insert_and_select(app, tmp_path, monkeypatch):
    """Migration 0011 with DB_APP_ROLE: the app role reads and appends, never rewrites."""
    from workflow.platform.migrate import upgrade

    engine = app.extensions["safeloop.engine"]
    role = f"safeloop_app_{uuid.uuid4().hex[:8]}"
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
        conn.execute(text(f'CREATE ROLE "{role}" NOLOGIN'))
    monkeypatch.setenv("DB_APP_ROLE", role)
    try:
        upgrade(engine)
        with Session(engine) as owner:  # data written as the owner, through the models
            user = User(username="u", display_name="u", role="admin", password_hash="x")
            owner.add(user)
            owner.flush()
            case = Case(title="t", created_by_id=user.id)
            owner.add(case)
            owner.commit()
            case_id = case.id
        with engine.begin() as conn:
            conn.execute(text(f'GRANT USAGE ON SCHEMA public TO "{role}"'))
        with engine.connect() as conn:
            conn.execute(text(f'SET LOCAL ROLE "{role}"'))
            conn.execute(text(
                "INSERT INTO audit_events (case_id, seq, at, actor_name, actor_role, action, "
                "payload_json, prev_hash, hash) VALUES (:c, 1, now(), 'x', 'x', 'create', '{}', "
                ":g, :g)"), {"c": case_id, "g": "0" * 64})
            assert conn.execute(text("SELECT count(*) FROM audit_events")).scalar() == 1
            conn.commit()
            for statement in ("UPDATE audit_events SET comment = 'x'", "DELETE FROM audit_events",
                              "TRUNCATE audit_events CASCADE"):
                conn.execute(text(f'SET LOCAL ROLE "{role}"'))
                with pytest.raises(DBAPIError) as refused:
                    conn.execute(text(statement))
                assert "permission denied" in str(refused.value), statement
                conn.rollback()
        with engine.begin() as conn:  # even the owner meets the trigger
            with pytest.raises(DBAPIError, match="append-only"):
                with conn.begin_nested():
                    conn.execute(text("UPDATE audit_events SET comment = 'x'"))
    finally:
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
            conn.execute(text(f'DROP ROLE IF EXISTS "{role}"'))
        from workflow.models import Base
        Base.metadata.create_all(engine)
        reset_database(app)

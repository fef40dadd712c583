"""Twenty people press 核查通过 at once: exactly one wins."""
from __future__ import annotations

import threading

from sqlalchemy import func, select

from workflow.core.audit import AuditEvent


def test_concurrent_verify_one_wins(app, world, session):
    case = world.case_at("reported")
    headers = world.headers("office_staff")
    version = case.version
    barrier = threading.Barrier(20)
    results: list[int] = []
    lock = threading.Lock()

    def press():
        client = app.test_client()  # own request context, own pooled connection
        barrier.wait()
        resp = client.post(f"/api/v1/cases/{case.id}/transitions",
                           json={"trigger": "verify", "version": version}, headers=headers)
        with lock:
            results.append(resp.status_code)

    threads = [threading.Thread(target=press) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert sorted(results) == [200] + [409] * 19
    session.expire_all()
    verifies = session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.case_id == case.id, AuditEvent.action == "verify"))
    assert verifies == 1


def test_separate_connections_see_one_transition(app, world, is_postgres):
    """Two raw sessions (as two worker processes would) race on the same version."""
    from workflow.core import service

    case = world.case_at("reported")
    maker = app.extensions["safeloop.sessionmaker"]
    s1, s2 = maker(), maker()
    user = world.users["office_staff"]
    outcome = []

    def attempt(sess):
        try:
            actor = sess.get(type(user), user.id)
            service.transition(sess, case.id, "verify", actor, version=case.version)
            sess.commit()
            outcome.append("ok")
        except Exception as exc:  # the loser's refusal is the point of the test
            sess.rollback()
            outcome.append(type(exc).__name__)

    t1 = threading.Thread(target=attempt, args=(s1,))
    t2 = threading.Thread(target=attempt, args=(s2,))
    t1.start(); t2.start(); t1.join(60); t2.join(60)
    s1.close(); s2.close()
    assert sorted(outcome) == ["Conflict", "ok"]

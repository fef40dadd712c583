"""Bulk actions: each row guarded like a single transition, a result per row."""
from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import func, select

from workflow.core.audit import AuditEvent, verify_all
from workflow.core.cases import Case
from workflow.platform.base import local_today
from workflow.problems.extensions import request_extension

URL = "/api/v1/cases/bulk-transitions"


def _assigned(world, n: int, department=None) -> list[Case]:
    return [world.case_at("assigned", department=department) for _ in range(n)]


def _events(session, action: str, ids=None) -> int:
    stmt = select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action)
    if ids is not None:
        stmt = stmt.where(AuditEvent.case_id.in_(ids))
    return session.scalar(stmt)


def test_bulk_accept_185_done_15_refused(app, world, session):
    """200 cases, 10 with a stale version and 5 of another department."""
    own = _assigned(world, 195)
    foreign = _assigned(world, 5, department=world.other_dept)
    stale = {c.id for c in own[:10]}
    items = [{"id": c.id, "version": c.version - 1 if c.id in stale else c.version}
             for c in own + foreign]
    resp = app.test_client().post(URL, json={"trigger": "accept", "comment": "批量签收",
                                             "items": items}, headers=world.headers("dept_head"))
    assert resp.status_code == 200, resp.get_json()
    body = resp.get_json()
    results = {r["id"]: r for r in body["results"]}
    assert [r["id"] for r in body["results"]] == [i["id"] for i in items]
    assert (body["done"], body["refused"]) == (185, 15)
    for c in own[10:]:
        assert results[c.id] == {"id": c.id, "ok": True, "status": "in_progress",
                                 "version": c.version + 1, "error": None, "rules": [],
                                 "message": None}
    for cid in stale:
        row = results[cid]
        assert (row["ok"], row["error"], row["status"]) == (False, "conflict", "assigned")
        assert "版本" in row["message"]
    for c in foreign:
        row = results[c.id]
        assert (row["ok"], row["error"], row["status"]) == (False, "not_found", None)
    session.expire_all()
    assert _events(session, "accept") == 185
    statuses = dict(session.execute(select(Case.id, Case.status)).all())
    assert sum(s == "in_progress" for s in statuses.values()) == 185
    assert all(statuses[cid] == "assigned" for cid in stale | {c.id for c in foreign})
    assert list(verify_all(session)) == []


def test_bulk_refuses_by_role_and_rule_per_row(app, world, session):
    """The office cannot 签收 (403 per row); the verifier cannot also 销号 (422 same_person)."""
    cases = _assigned(world, 2)
    resp = app.test_client().post(URL, json={"trigger": "accept", "items": [
        {"id": c.id, "version": c.version} for c in cases]}, headers=world.headers("office_staff"))
    rows = resp.get_json()["results"]
    assert [(r["ok"], r["error"], r["rules"]) for r in rows] == [
        (False, "forbidden", ["role_required"])] * 2
    verified = world.case_at("verified")
    resp = app.test_client().post(URL, json={"trigger": "close", "items": [
        {"id": verified.id, "version": verified.version}]}, headers=world.headers("office_staff"))
    row = resp.get_json()["results"][0]
    assert (row["error"], row["rules"]) == ("rule_failed", ["same_person"])  # verified it too
    session.expire_all()
    assert _events(session, "accept", [c.id for c in cases]) == 0
    assert _events(session, "close") == 0


def test_bulk_urge_and_extension_approval(app, world, session):
    cases = _assigned(world, 3)
    done = world.case_at("closed")
    client = app.test_client()
    resp = client.post(URL, json={"trigger": "urge", "comment": "请尽快签收", "items": [
        {"id": c.id, "version": c.version} for c in cases + [done]]},
        headers=world.headers("office_staff"))
    rows = resp.get_json()["results"]
    assert [r["ok"] for r in rows] == [True, True, True, False]
    assert rows[3]["error"] == "conflict"
    no_comment = client.post(URL, json={"trigger": "urge", "items": [
        {"id": cases[0].id, "version": rows[0]["version"]}]}, headers=world.headers("office_staff"))
    assert no_comment.get_json()["results"][0]["rules"] == ["comment_required"]
    session.expire_all()
    assert _events(session, "urge") == 3

    # 延期审批: one case with a pending request, one without
    for c in cases[:2]:
        session.refresh(c)
    ext = request_extension(session, cases[0].id, world.users["dept_head"], reason="设备到货延迟",
                            interim_measures="临时停用该区域",
                            new_deadline=cases[0].deadline + timedelta(days=30))
    session.commit()
    session.refresh(cases[0])
    items = [{"id": c.id, "version": c.version} for c in cases[:2]]
    headers = world.headers("office_staff")
    session.rollback()  # SQLite: end the read before the app writes
    resp = client.post(URL, json={"trigger": "approve_extension", "items": items}, headers=headers)
    rows = resp.get_json()["results"]
    assert rows[0]["ok"] is True
    assert (rows[1]["ok"], rows[1]["rules"]) == (False, ["extension_pending_required"])
    session.expire_all()
    session.refresh(ext)
    assert ext.status == "approved"
    assert session.get(Case, cases[0].id).deadline > local_today()
    assert list(verify_all(session)) == []


def test_bulk_input_errors(app, world):
    client, headers = app.test_client(), world.headers("dept_head")
    for body, field in [({"trigger": "accept", "items": []}, "items"),
                        ({"trigger": "accept", "items": [{"id": 1}]}, "items"),
                        ({"trigger": "transfer", "items": [{"id": 1, "version": 1}]}, "trigger"),
                        ({"trigger": "accept", "items": [{"id": 1, "version": 1}], "x": 1}, "x")]:
        resp = client.post(URL, json=body, headers=headers)
        assert resp.status_code == 400, body
        assert resp.get_json()["field"] == field


def test_bulk_races_single_transition_never_both(app, world, session):
    """A single 签收 racing the bulk row of the same case: exactly one wins, the other is 409.

    The single request targets the last row, so on PostgreSQL it usually lands while the bulk
    request holds its locks; which side wins varies, the invariant does not."""
    heads, officers = world.headers("dept_head"), world.headers("dept_officer")
    for _round in range(3):
        cases = _assigned(world, 30)
        target = cases[-1]
        items = [{"id": c.id, "version": c.version} for c in cases]
        single_body = {"trigger": "accept", "version": target.version}
        single_url = f"/api/v1/cases/{target.id}/transitions"
        session.rollback()  # SQLite: the test's session holds no lock while the two race
        out: dict = {}
        barrier = threading.Barrier(2)

        def bulk():
            client = app.test_client()
            barrier.wait()
            out["bulk"] = client.post(URL, json={"trigger": "accept", "items": items},
                                      headers=heads).get_json()

        def single():
            client = app.test_client()
            barrier.wait()
            out["single"] = client.post(single_url, json=single_body,
                                        headers=officers).status_code

        threads = [threading.Thread(target=bulk), threading.Thread(target=single)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        row = out["bulk"]["results"][-1]
        assert (row["ok"], out["single"]) in [(True, 409), (False, 200)], (row, out["single"])
        if not row["ok"]:
            assert row["error"] == "conflict"
        assert out["bulk"]["done"] == 29 + row["ok"]
        session.expire_all()
        assert _events(session, "accept", [items[-1]["id"]]) == 1
        assert _events(session, "accept", [i["id"] for i in items]) == 30
        session.rollback()
    assert list(verify_all(session)) == []

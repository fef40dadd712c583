"""In-app notifications and the 回头看 of closed cases."""
from __future__ import annotations

from datetime import timedelta

from workflow.core.cases import Case
from workflow.platform.base import utcnow


def test_notifications_unread_first_and_only_own(api, world):
    cid = api.registered()
    api.upload(cid)
    api.fire(cid, "report", "dept_head", statement="已整改")
    api.fire(cid, "return", "office_staff", comment="补充照片")
    got = api.notes("dept_officer")
    # the 新交办 was answered by the report: it closed for everyone, the 退回 is unread
    assert got["unread_count"] == 1
    assert [n["kind"] for n in got["items"]] == ["returned", "assigned"]
    assert [n["read"] for n in got["items"]] == [False, True]
    # the actor is not told about their own step; office staff hear about the report
    assert [n["kind"] for n in api.notes("office_staff")["items"]] == ["reported"]
    assert api.notes("other_officer")["items"] == []

    newest, older = got["items"]
    assert api.post(f"/notifications/{newest['id']}/read", "other_officer").status_code == 404
    resp = api.post(f"/notifications/{newest['id']}/read", "dept_officer")
    assert resp.status_code == 200 and resp.json["read"] and resp.json["unread_count"] == 0
    got = api.notes("dept_officer")
    assert [n["id"] for n in got["items"]] == [newest["id"], older["id"]]  # all read: newest first
    assert got["unread_count"] == 0
    assert [n["id"] for n in api.notes("dept_officer", limit=1)["items"]] == [newest["id"]]
    assert api.get("/notifications?limit=0", "dept_officer").status_code == 400
    assert api.get("/notifications?page=2", "dept_officer").status_code == 400
    assert api.post("/notifications/999999/read", "dept_officer").status_code == 404


def test_transfer_and_approval_notifications(api, world):
    cid = api.registered()
    api.fire(cid, "transfer", "office_staff", comment="属住建局", department_id=world.other_dept.id)
    assert [n["kind"] for n in api.notes("other_head")["items"]] == ["assigned"]
    closed = world.case_at("verified")
    world.step(closed, "reject", "office_director", comment="照片角度不一致")
    assert api.notes("dept_head")["items"][0]["title"].startswith("销号审批不通过")


def close_long_ago(session, case_id, days):
    case = session.get(Case, case_id)
    case.closed_at = utcnow() - timedelta(days=days)
    session.commit()


def test_lookback_due_list_and_passed(api, world, session):
    old = world.case_at("closed").id
    recent = world.case_at("closed").id
    close_long_ago(session, old, 366)
    close_long_ago(session, recent, 200)
    got = api.get("/lookbacks", "office_staff").json
    assert [c["id"] for c in got["due"]] == [old] and got["lookback_days"] == 365
    assert api.get("/lookbacks", "dept_head").status_code == 403
    resp = api.post(f"/cases/{old}/lookback", "office_staff", {"result": "passed",
                                                              "comment": "整改成效巩固"})
    assert resp.status_code == 201 and resp.json["state"] == "done"
    assert api.get("/lookbacks", "office_staff").json["due"] == []
    assert api.post(f"/cases/{old}/lookback", "office_staff", {"result": "passed"}).status_code == 409
    assert api.case(old)["status"] == "closed"
    assert api.actions(old)[-1] == "lookback"


def test_failed_lookback_by_staff_waits_for_the_director(api, world, session):
    cid = world.case_at("closed").id
    close_long_ago(session, cid, 400)
    resp = api.post(f"/cases/{cid}/lookback", "office_staff", {"result": "failed"})
    assert resp.status_code == 422 and resp.json["rules"] == ["comment_required"]
    resp = api.post(f"/cases/{cid}/lookback", "office_staff",
                    {"result": "failed", "comment": "报警器再次失效"})
    assert resp.status_code == 201 and resp.json["state"] == "reopen_pending"
    assert api.case(cid)["status"] == "closed"
    pending = api.get("/lookbacks", "office_director").json["pending_reopen"]
    assert [p["id"] for p in pending] == [resp.json["id"]]
    assert api.notes("office_director")["items"][0]["kind"] == "lookback"
    resp2 = api.post(f"/lookbacks/{resp.json['id']}/reopen", "office_staff")
    assert resp2.status_code == 403 and resp2.json["rules"] == ["director_required"]
    resp2 = api.post(f"/lookbacks/{resp.json['id']}/reopen", "office_director")
    assert resp2.status_code == 200 and resp2.json["state"] == "reopened"
    case = api.case(cid)
    assert case["status"] == "in_progress" and case["round"] == 2
    reopen = api.events(cid)[-1]
    assert reopen["action"] == "reopen" and "报警器再次失效" in reopen["comment"]
    assert api.post(f"/lookbacks/{resp.json['id']}/reopen", "office_director").status_code == 409
    assert [n["kind"] for n in api.notes("dept_head")["items"]][0] == "reopened"


def test_failed_lookback_by_director_reopens_at_once(api, world, session):
    cid = world.case_at("closed").id
    close_long_ago(session, cid, 400)
    resp = api.post(f"/cases/{cid}/lookback", "office_director",
                    {"result": "failed", "comment": "隐患反弹"})
    assert resp.status_code == 201 and resp.json["state"] == "reopened"
    assert api.case(cid)["status"] == "in_progress"
    assert api.actions(cid)[-2:] == ["lookback", "reopen"]
    assert api.post(f"/cases/{cid}/lookback", "office_director",
                    {"result": "passed"}).status_code == 409  # no longer closed


def test_lookback_refusals(api, world):
    open_case = api.registered()
    assert api.post(f"/cases/{open_case}/lookback", "office_staff",
                    {"result": "passed"}).status_code == 409
    closed = world.case_at("closed").id
    resp = api.post(f"/cases/{closed}/lookback", "office_staff", {"result": "maybe"})
    assert resp.status_code == 400 and resp.json["field"] == "result"
    assert api.post(f"/cases/{closed}/lookback", "inspector",
                    {"result": "passed"}).status_code == 403

"""Bad input is a clear 4xx naming the field or the rule, and nothing is written."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from workflow.core.audit import AuditEvent
from workflow.core.cases import Case
from workflow.platform.base import local_today


def totals(session):
    session.expire_all()
    out = (session.scalar(select(func.count()).select_from(Case)),
           session.scalar(select(func.count()).select_from(AuditEvent)))
    session.commit()  # end the read: SQLite takes the write lock at BEGIN
    return out


@pytest.mark.parametrize("over, field", [
    ({"deadline": (local_today() - timedelta(days=1)).isoformat()}, "deadline"),
    ({"source": "路边听说"}, "source"),
    ({"grade": "特大"}, "grade"),
    ({"funds": -5}, "funds"),
    ({"funds": "abc"}, "funds"),
    ({"deadline_working_days": 0}, "deadline_working_days"),
])
def test_registration_refusals_write_nothing(api, session, over, field):
    before = totals(session)
    resp = api.create(**over)
    assert resp.status_code == 400 and resp.json["field"] == field, resp.json
    assert resp.json["message"]
    assert totals(session) == before


def test_transfer_to_the_same_department_writes_nothing(api, world, session):
    cid, dept_id = api.registered(), world.dept.id
    before = totals(session)
    resp = api.fire(cid, "transfer", "office_staff", comment="转办", department_id=dept_id)
    assert resp.status_code == 422 and resp.json["rules"] == ["same_department"]
    assert totals(session) == before and api.case(cid)["department_id"] == dept_id


def test_extension_to_an_earlier_date_writes_nothing(api, session):
    cid = api.registered(deadline=(local_today() + timedelta(days=30)).isoformat())
    before = totals(session)
    resp = api.post(f"/cases/{cid}/extensions", "dept_head", {
        "reason": "r", "interim_measures": "m",
        "new_deadline": (local_today() + timedelta(days=5)).isoformat()})
    assert resp.status_code == 400 and resp.json["field"] == "new_deadline"
    assert totals(session) == before


@pytest.mark.parametrize("path, body, field", [
    ("/cases/{id}/extensions", {"reason": "r", "interim_measures": "m", "new_deadline": "x",
                                "extra": 1}, "extra"),
    ("/cases/{id}/progress", {"text": "t", "percent": "50"}, "percent"),
    ("/cases/{id}/dispute", {"reason": "r", "suggested_department_id": "abc"},
     "suggested_department_id"),
    ("/cases/{id}/supervision", {"action": "shout", "comment": "x"}, "action"),
])
def test_operation_refusals(api, session, path, body, field):
    cid = api.registered()
    who = "office_staff" if "supervision" in path else "dept_head"
    before = totals(session)
    resp = api.post(path.format(id=cid), who, body)
    assert resp.status_code == 400 and resp.json["field"] == field, resp.json
    assert totals(session) == before


def test_decisions_on_unknown_ids_are_404(api):
    for path in ("/extensions/999/decision", "/disputes/999/decision", "/lookbacks/999/reopen"):
        body = {"decision": "approve"} if "extensions" in path else (
            {"decision": "refuse", "reason": "x"} if "disputes" in path else {})
        who = "office_director"
        assert api.post(path, who, body).status_code == 404, path


def test_openapi_describes_the_new_endpoints(client):
    doc = client.get("/api/v1/openapi.json").json
    for path in ("/cases/{case_id}/plan", "/cases/{case_id}/progress",
                 "/cases/{case_id}/verifications", "/cases/{case_id}/extensions",
                 "/extensions/{extension_id}/decision", "/cases/{case_id}/dispute",
                 "/disputes/{dispute_id}/decision", "/cases/{case_id}/listing",
                 "/notifications", "/notifications/{notification_id}/read", "/lookbacks",
                 "/calendar/add-working-days", "/calendar/days"):
        assert path in doc["paths"], path
    assert {"Dispute", "Extension"} <= set(doc["components"]["schemas"])

"""Every trigger × role: 200 for the roles of the brief's table, 403 for the others."""
from __future__ import annotations

import pytest

from tests.factories_complaints import complaint_at, reply, verification_file
from workflow.core.machine import TRIGGERS, roles_for
from workflow.org.roles import ROLES

# who plays each role (office_staff2 so the closer is not the verifier)
ROLE_USER = {"office_staff": "office_staff2", "office_director": "office_director",
             "dept_officer": "dept_officer", "dept_head": "dept_head", "inspector": "inspector",
             "auditor": "auditor", "discipline": "discipline", "leader": "leader",
             "admin": "admin"}
SOURCE_STATUS = {"register": "draft", "accept": "assigned", "report": "in_progress",
                 "return": "reported", "verify": "reported", "reject": "verified",
                 "close": "verified", "reopen": "closed", "cancel": "assigned",
                 "transfer": "in_progress", "dismiss": "in_progress"}
EXPECTED = {
    "register": {"office_staff"}, "accept": {"dept_officer", "dept_head"},
    "report": {"dept_head"}, "return": {"office_staff"}, "verify": {"office_staff"},
    "reject": {"office_director"}, "close": {"office_staff", "office_director"},
    "reopen": {"office_director"}, "cancel": {"office_director"}, "transfer": {"office_staff"},
    "dismiss": {"office_staff", "office_director"},
}


def test_table_matches_machine():
    class General:
        needs_director_to_close = False

    assert {t: set(roles_for(t, General())) for t in TRIGGERS} == EXPECTED


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("trigger", TRIGGERS)
def test_trigger_by_role(client, world, trigger, role):
    if trigger == "dismiss":
        # 经核实不属实 exists for 举报 only, with its 核实材料 and a 答复 to the reporter
        case = complaint_at(world, SOURCE_STATUS[trigger])
        verification_file(world, case)
        reply(world, case)
    else:
        case = world.case_at(SOURCE_STATUS[trigger])
    if trigger == "report":
        world.evidence(case)
    body = {"trigger": trigger, "version": case.version, "comment": "理由：核实后处理"}
    if trigger == "dismiss":
        body["verification_record"] = "经现场核实，举报反映的问题不存在"
    if trigger == "report":
        body["statement"] = "已整改"
    if trigger == "transfer":
        body["department_id"] = world.other_dept.id
    resp = client.post(f"/api/v1/cases/{case.id}/transitions", json=body,
                       headers=world.headers(ROLE_USER[role]))
    if role in EXPECTED[trigger]:
        assert resp.status_code == 200, resp.json
    else:
        assert resp.status_code == 403, resp.json
        assert resp.json["error"] == "forbidden"
        assert set(resp.json["needed_roles"]) == EXPECTED[trigger]
        assert resp.json["message"]  # names the role needed in Chinese
    events = client.get(f"/api/v1/cases/{case.id}/events", headers=world.headers("auditor")).json
    assert (events["items"][-1]["trigger"] == trigger) == (role in EXPECTED[trigger])


def test_major_close_only_by_director(client, world):
    case = world.case_at("verified", grade="major")
    resp = client.post(f"/api/v1/cases/{case.id}/transitions",
                       json={"trigger": "close", "version": case.version},
                       headers=world.headers("office_staff2"))
    assert resp.status_code == 403 and resp.json["needed_roles"] == ["office_director"]
    assert "区安委办主任" in resp.json["message"]


def test_state_council_item_closed_by_director(client, world):
    case = world.case_at("verified", source="state_council")
    resp = client.post(f"/api/v1/cases/{case.id}/transitions",
                       json={"trigger": "close", "version": case.version},
                       headers=world.headers("office_staff2"))
    assert resp.status_code == 403 and resp.json["rules"] == ["director_required"]

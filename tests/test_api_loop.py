"""The whole loop through the JSON API, guards and their rule codes."""
from __future__ import annotations

import io
from datetime import timedelta

import pytest

from tests.factories import png_bytes
from workflow.platform.base import local_today


def post_case(client, world, **over):
    body = {"title": "危化品仓库超量储存", "description": "仓库内储存量超过设计能力",
            "source": "巡查发现", "grade": "一般", "department_id": world.dept.id,
            "deadline": (local_today() + timedelta(days=20)).isoformat(), **over}
    return client.post("/api/v1/cases", json=body, headers=world.headers("inspector"))


def fire(client, world, case_id, trigger, who, **body):
    version = client.get(f"/api/v1/cases/{case_id}", headers=world.headers(who)).json["version"]
    return client.post(f"/api/v1/cases/{case_id}/transitions",
                       json={"trigger": trigger, "version": version, **body},
                       headers=world.headers(who))


def upload(client, world, case_id, who="dept_officer", data=None, name="photo.png",
           category="after"):
    return client.post(f"/api/v1/cases/{case_id}/evidence",
                       data={"file": (io.BytesIO(data or png_bytes()), name), "category": category},
                       headers=world.headers(who), content_type="multipart/form-data")


def test_token_then_me(client, world):
    from tests.factories import PASSWORD

    user = world.users["dept_head"]
    resp = client.post("/api/v1/tokens", json={"username": user.username, "password": PASSWORD})
    assert resp.status_code == 201
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {resp.json['token']}"})
    assert me.json["role"] == "dept_head" and me.json["department"] == "区应急管理局"
    assert client.get("/api/v1/me").status_code == 401
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer nope"}).status_code == 401


def test_general_loop_draft_to_closed(client, world):
    resp = post_case(client, world)
    assert resp.status_code == 201, resp.json
    case = resp.json
    assert case["status"] == "draft" and case["number"] is None
    cid = case["id"]

    resp = fire(client, world, cid, "register", "office_staff")
    assert resp.status_code == 200, resp.json
    assert resp.json["status"] == "assigned"
    year = local_today().year
    assert resp.json["number"] == f"WJ-{year}-XC-0001"
    assert fire(client, world, cid, "accept", "dept_officer").json["status"] == "in_progress"
    assert upload(client, world, cid).status_code == 201
    resp = fire(client, world, cid, "report", "dept_head", statement="已整改完毕")
    assert resp.json["status"] == "reported", resp.json
    resp = fire(client, world, cid, "return", "office_staff", comment="照片不清楚，请补充")
    assert resp.json["status"] == "in_progress" and resp.json["flags"]["returns"] == 1
    # the returned round keeps its files; the new round needs new evidence
    resp = fire(client, world, cid, "report", "dept_head", statement="已补充")
    assert resp.status_code == 422 and resp.json["rules"] == ["evidence_required"]
    assert upload(client, world, cid, data=png_bytes((0, 90, 0))).status_code == 201
    assert fire(client, world, cid, "report", "dept_head").json["status"] == "reported"
    assert fire(client, world, cid, "verify", "office_staff").json["status"] == "verified"
    resp = fire(client, world, cid, "close", "office_staff2")
    assert resp.status_code == 200 and resp.json["status"] == "closed"

    events = client.get(f"/api/v1/cases/{cid}/events", headers=world.headers("auditor")).json
    actions = [e["trigger"] for e in events["items"]]
    assert actions == ["create", "register", "accept", "evidence", "report", "return",
                       "evidence", "report", "verify", "close"]
    assert events["items"][0]["prev_hash"] == "0" * 64
    for prev, ev in zip(events["items"], events["items"][1:]):
        assert ev["prev_hash"] == prev["hash"]
    assert events["head"] == events["items"][-1]["hash"]
    files = client.get(f"/api/v1/cases/{cid}/evidence", headers=world.headers("auditor")).json
    assert [f["round"] for f in files["items"]] == [1, 2]
    assert all(f["submitted"] for f in files["items"])


def test_major_path_refusals_in_order(client, world):
    cid = post_case(client, world, grade="重大", source="国务院督导反馈").json["id"]
    fire(client, world, cid, "register", "office_staff")
    fire(client, world, cid, "accept", "dept_officer")
    upload(client, world, cid)
    resp = fire(client, world, cid, "report", "dept_head", statement="已整改")
    assert resp.status_code == 422 and resp.json["rules"] == ["plan_required"]
    plan = {"responsibility": "赵局长", "measures": "更换", "funds": "5万元",
            "time_limit": "30日", "contingency": "预案"}
    resp = client.put(f"/api/v1/cases/{cid}/plan", json=plan, headers=world.headers("dept_officer"))
    # the old five boxes fill five of the six elements: the 目标和任务 is still missing
    assert resp.status_code == 200 and not resp.json["plan_complete"]
    assert resp.json["plan"]["organisation"] == "赵局长"
    resp = client.put(f"/api/v1/cases/{cid}/plan", json={"objectives": "消除隐患"},
                      headers=world.headers("dept_officer"))
    assert resp.status_code == 200 and resp.json["plan_complete"]
    # complete, but without the copy signed by the unit's 主要负责人
    assert fire(client, world, cid, "report", "dept_head",
                statement="已整改").json["rules"] == ["plan_required"]
    upload(client, world, cid, category="signed_plan")
    upload(client, world, cid, category="acceptance_report")
    # the refused report saved nothing: the statement must come again
    assert fire(client, world, cid, "report", "dept_head").json["rules"] == ["statement_required"]
    assert fire(client, world, cid, "report", "dept_head", statement="已整改").status_code == 200
    resp = fire(client, world, cid, "verify", "office_staff")
    assert resp.status_code == 422 and resp.json["rules"] == ["onsite_verification_required"]
    rec = {"visited_on": local_today().isoformat(), "verifiers": ["孙检查员（执法队员）"], "findings": "到位"}
    resp = client.post(f"/api/v1/cases/{cid}/verifications", json=rec,
                       headers=world.headers("inspector"))
    assert resp.status_code == 422 and resp.json["rules"] == ["verifiers_too_few"]
    resp = fire(client, world, cid, "verify", "office_staff")
    assert resp.json["rules"] == ["onsite_verification_required"]  # one verifier is not enough
    rec["verifiers"] = ["孙检查员（执法队员）", "钱经办（区安委办经办人）"]
    assert client.post(f"/api/v1/cases/{cid}/verifications", json=rec,
                       headers=world.headers("inspector")).status_code == 201
    assert fire(client, world, cid, "verify", "office_staff").status_code == 200
    resp = fire(client, world, cid, "close", "office_staff2")
    assert resp.status_code == 403
    assert resp.json["rules"] == ["director_required"]
    assert resp.json["needed_roles"] == ["office_director"]
    assert fire(client, world, cid, "close", "office_director").json["status"] == "closed"


@pytest.mark.parametrize("trigger", ["return", "reject"])
def test_comment_required(client, world, trigger):
    status = "reported" if trigger == "return" else "verified"
    case = world.case_at(status)
    who = "office_staff" if trigger == "return" else "office_director"
    resp = fire(client, world, case.id, trigger, who, comment="  ")
    assert resp.status_code == 422 and resp.json["rules"] == ["comment_required"]
    assert "comment_required" in resp.json["message"]


@pytest.mark.parametrize("trigger,status", [("reopen", "closed"), ("cancel", "draft"),
                                            ("transfer", "assigned")])
def test_reason_required(client, world, trigger, status):
    case = world.case_at(status)
    who = {"reopen": "office_director", "cancel": "office_director", "transfer": "office_staff"}
    body = {"department_id": world.other_dept.id} if trigger == "transfer" else {}
    resp = fire(client, world, case.id, trigger, who[trigger], **body)
    assert resp.status_code == 422 and "reason_required" in resp.json["rules"]


def test_report_needs_statement(client, world):
    case = world.case_at("in_progress")
    world.evidence(case)
    resp = fire(client, world, case.id, "report", "dept_head")
    assert resp.status_code == 422 and resp.json["rules"] == ["statement_required"]
    client.put(f"/api/v1/cases/{case.id}/statement", json={"statement": "草稿：已整改"},
               headers=world.headers("dept_officer"))
    assert fire(client, world, case.id, "report", "dept_head").status_code == 200


def test_register_needs_fields(client, world, session):
    case = world.problem()
    case.deadline = None
    session.commit()
    resp = fire(client, world, case.id, "register", "office_staff")
    assert resp.status_code == 422 and resp.json["rules"] == ["fields_required"]


def test_segregation_of_duties(client, world, session):
    # a department head who later moved to the office cannot verify her own report
    case = world.case_at("reported")
    reporter = world.users["dept_head"]
    reporter.role, reporter.department_id = "office_staff", world.office.id
    session.commit()
    resp = fire(client, world, case.id, "verify", "dept_head")
    assert resp.status_code == 422 and resp.json["rules"] == ["same_person"]
    assert fire(client, world, case.id, "verify", "office_staff").status_code == 200
    resp = fire(client, world, case.id, "close", "office_staff")
    assert resp.status_code == 422 and resp.json["rules"] == ["same_person"]
    assert fire(client, world, case.id, "close", "office_staff2").status_code == 200


def test_department_scope(client, world):
    case = world.case_at("assigned")
    resp = client.post(f"/api/v1/cases/{case.id}/transitions",
                       json={"trigger": "accept", "version": case.version},
                       headers=world.headers("other_officer"))
    # another department cannot even see the case
    assert resp.status_code == 404
    assert client.get(f"/api/v1/cases/{case.id}",
                      headers=world.headers("other_head")).status_code == 404
    listing = client.get("/api/v1/cases", headers=world.headers("other_head")).json
    assert listing["items"] == []


def test_co_department_sees_but_cannot_accept(client, world, session):
    case = world.case_at("assigned")
    case.co_departments = [world.other_dept]
    session.commit()
    got = client.get(f"/api/v1/cases/{case.id}", headers=world.headers("other_officer"))
    assert got.status_code == 200
    accept = [a for a in got.json["actions"] if a["trigger"] == "accept"][0]
    assert accept == {"trigger": "accept", "label": "签收", "allowed": False,
                      "reasons": ["department_scope"]}
    resp = fire(client, world, case.id, "accept", "other_officer")
    assert resp.status_code == 403 and resp.json["rules"] == ["department_scope"]


def test_actions_list_reasons(client, world):
    case = world.case_at("in_progress")
    got = client.get(f"/api/v1/cases/{case.id}", headers=world.headers("dept_head")).json
    assert got["actions"] == [{"trigger": "report", "label": "上报", "allowed": False,
                               "reasons": ["evidence_required"]},
                              {"trigger": "transfer", "label": "转办", "allowed": False,
                               "reasons": ["role_required"]}]


def test_stale_version_and_wrong_status_are_409(client, world):
    case = world.case_at("assigned")
    resp = client.post(f"/api/v1/cases/{case.id}/transitions",
                       json={"trigger": "accept", "version": case.version - 1},
                       headers=world.headers("dept_officer"))
    assert resp.status_code == 409
    assert resp.json["current_version"] == case.version and resp.json["status"] == "assigned"
    resp = fire(client, world, case.id, "verify", "office_staff")
    assert resp.status_code == 409 and resp.json["status"] == "assigned"


def test_transfer_moves_department(client, world):
    case = world.case_at("in_progress")
    resp = fire(client, world, case.id, "transfer", "office_staff", comment="属住建局管辖",
                department_id=world.dept.id)
    assert resp.status_code == 422 and resp.json["rules"] == ["same_department"]
    resp = fire(client, world, case.id, "transfer", "office_staff", comment="属住建局管辖",
                department_id=world.other_dept.id)
    assert resp.status_code == 200
    assert resp.json["status"] == "assigned" and resp.json["department_id"] == world.other_dept.id
    assert fire(client, world, case.id, "accept", "other_officer").status_code == 200


def test_cancelled_case_stays_readable(client, world):
    case = world.case_at("assigned")
    resp = fire(client, world, case.id, "cancel", "office_director", comment="重复登记",
                cancel_reason="duplicate")
    assert resp.json["status"] == "cancelled"
    assert client.get(f"/api/v1/cases/{case.id}", headers=world.headers("auditor")).status_code == 200
    assert client.get("/api/v1/cases?status=cancelled",
                      headers=world.headers("auditor")).json["items"][0]["id"] == case.id

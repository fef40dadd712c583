"""A plan's reporting rule: periods and their days, the API, who may set it, the chain."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from tests.taskrun_helpers import file, import_real_list, task_case
from workflow.core.audit import AuditEvent
from workflow.tasklist.models import Plan
from workflow.tasklist.reporting import Rule, period_of, periods_due_between


@pytest.mark.parametrize("rule, day, key, due", [
    (Rule(), date(2020, 5, 26), "2020-05", date(2020, 5, 25)),
    (Rule("monthly", 28), date(2020, 2, 3), "2020-02", date(2020, 2, 28)),
    (Rule("quarterly", 20), date(2020, 5, 1), "2020Q2", date(2020, 6, 20)),
    (Rule("half_yearly", 10), date(2020, 11, 30), "2020H2", date(2020, 12, 10)),
])
def test_period_of_a_day(rule, day, key, due):
    p = period_of(rule, day)
    assert (p.key, p.due) == (key, due) and p.first <= day <= p.last


def test_periods_owed_between_two_days():
    owed = periods_due_between(Rule("quarterly", 25), date(2020, 1, 2), date(2020, 10, 1))
    assert [p.key for p in owed] == ["2020Q1", "2020Q2", "2020Q3"]
    assert [p.label for p in owed][0] == "2020年第一季度"
    # 交办 on the day itself: that day's report is not yet owed
    assert periods_due_between(Rule(), date(2020, 3, 25), date(2020, 4, 1)) == []


def test_rule_api_and_its_refusals(client, world, session):
    import_real_list(world, 2020)
    plan_id = session.scalar(select(Plan.id))
    session.commit()
    url = f"/api/v1/plans/{plan_id}/reporting"
    got = client.get(url, headers=world.headers("dept_officer")).json
    assert (got["frequency"], got["due_day"], got["default"]) == ("monthly", 25, True)
    resp = client.put(url, json={"frequency": "quarterly", "due_day": 20},
                      headers=world.headers("dept_head"))
    assert resp.status_code == 403 and resp.json["needed_roles"] == ["office_director", "office_staff"]
    resp = client.put(url, json={"frequency": "weekly", "due_day": 20},
                      headers=world.headers("office_staff"))
    assert resp.status_code == 400 and resp.json["field"] == "frequency"
    resp = client.put(url, json={"frequency": "quarterly", "due_day": 31},
                      headers=world.headers("office_staff"))
    assert resp.status_code == 400
    resp = client.put(url, json={"frequency": "quarterly", "due_day": 20},
                      headers=world.headers("office_staff"))
    assert resp.status_code == 200 and resp.json["label"] == "每季度末月20日前报送工作进展"
    assert client.get("/api/v1/plans/999999/reporting",
                      headers=world.headers("office_staff")).status_code == 404
    changed = session.query(AuditEvent).filter_by(action="reporting_rule").count()
    assert changed > 40  # every open task's chain records the new rule


def test_progress_api_for_a_task_and_a_problem(client, world, session):
    case = task_case(world, deadline=date(2099, 12, 31), registered=date(2020, 1, 2))
    problem = world.case_at("in_progress")
    headers = world.headers("dept_officer")
    resp = client.post(f"/api/v1/cases/{case.id}/progress",
                       json={"text": "已完成第一轮检查", "percent": 30, "count": 1},
                       headers=headers)
    assert resp.status_code == 201, resp.json
    assert resp.json["report"]["on_time"] in (True, False) and resp.json["lagging"] is False
    resp = client.post(f"/api/v1/cases/{case.id}/progress", json={"text": "x", "evidence_ids": [999]},
                       headers=headers)
    assert resp.status_code == 400 and resp.json["field"] == "evidence_ids"
    resp = client.post(f"/api/v1/cases/{case.id}/progress", json={"text": "x"},
                       headers=world.headers("other_officer"))
    assert resp.status_code == 404
    resp = client.post(f"/api/v1/cases/{problem.id}/progress", json={"text": "已更换一半", "count": 2},
                       headers=headers)
    assert resp.status_code == 201
    listed = client.get(f"/api/v1/cases/{case.id}/progress", headers=headers).json
    assert len(listed["items"]) == 1 and len(listed["reports"]) == 1
    assert listed["standing"]["lagging"] is False
    file(world, case, "dept_officer", date.today())  # a second report the same period is kept
    assert len(client.get(f"/api/v1/cases/{case.id}/progress", headers=headers).json["reports"]) == 2

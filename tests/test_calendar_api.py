"""GET /calendar/add-working-days across statutory holidays, and administrator-entered days."""
from __future__ import annotations

import pytest


def add(api, start: str, days, who="dept_officer"):
    return api.get(f"/calendar/add-working-days?start={start}&days={days}", who)


@pytest.mark.parametrize("start, days, expected", [
    # Spring Festival 2020 (extended to 02-02), make-up Sunday 01-19
    ("2020-01-17", 1, "2020-01-19"),
    ("2020-01-23", 1, "2020-02-03"),
    # Spring Festival 2024: 02-10..02-17 off, make-up Sundays 02-04 and 02-18
    ("2024-02-02", 1, "2024-02-04"),
    ("2024-02-08", 2, "2024-02-18"),
    # National Day 2024: 10-01..10-07 off, make-up 09-29 (Sun) and 10-12 (Sat)
    ("2024-09-27", 1, "2024-09-29"),
    ("2024-09-30", 1, "2024-10-08"),
    ("2024-10-11", 1, "2024-10-12"),
    # Mid-Autumn + National Day 2023, make-up 10-07 (Sat) and 10-08 (Sun)
    ("2023-09-28", 3, "2023-10-09"),
    ("2024-02-10", 0, "2024-02-10"),
])
def test_statutory_holidays_and_make_up_days(api, start, days, expected):
    resp = add(api, start, days)
    assert resp.status_code == 200, resp.json
    assert resp.json["date"] == expected and resp.json["statutory_data"] is True


def test_year_beyond_the_library_uses_weekends_and_admin_entries(api):
    # 2040 is not in chinese_calendar's data: weekends only
    resp = add(api, "2040-09-28", 1)
    assert resp.json == {"start": "2040-09-28", "days": 1, "date": "2040-10-01",
                         "statutory_data": False}
    for day in ("2040-10-01", "2040-10-02", "2040-10-03"):
        assert api.post("/calendar/days", "admin",
                        {"day": day, "kind": "holiday", "name": "国庆节"}).status_code == 201
    assert api.post("/calendar/days", "office_director",
                    {"day": "2040-10-06", "kind": "workday", "name": "国庆调休"}).status_code == 201
    assert add(api, "2040-09-28", 1).json["date"] == "2040-10-04"
    assert add(api, "2040-10-04", 2).json["date"] == "2040-10-06"  # the make-up Saturday
    listed = api.get("/calendar/days?year=2040", "dept_head").json
    assert listed["statutory_data"] is False
    assert [(d["day"], d["kind"]) for d in listed["items"]] == [
        ("2040-10-01", "holiday"), ("2040-10-02", "holiday"), ("2040-10-03", "holiday"),
        ("2040-10-06", "workday")]
    # re-entering a day replaces it; deleting restores the weekday rule
    api.post("/calendar/days", "admin", {"day": "2040-10-03", "kind": "workday"})
    assert add(api, "2040-09-28", 1).json["date"] == "2040-10-03"
    assert api.client.delete("/api/v1/calendar/days/2040-10-01",
                             headers=api.world.headers("admin")).json["deleted"] is True


def test_calendar_refusals(api):
    for query, field in [("start=2024-02-30&days=1", "start"), ("days=1", "start"),
                         ("start=2024-02-01&days=-1", "days"), ("start=2024-02-01&days=x", "days"),
                         ("start=2024-02-01&days=99999", "days"),
                         ("start=2024-02-01&days=1&n=2", "n")]:
        resp = api.get(f"/calendar/add-working-days?{query}", "dept_officer")
        assert resp.status_code == 400 and resp.json["field"] == field, query
    resp = api.post("/calendar/days", "dept_head", {"day": "2040-10-01", "kind": "holiday"})
    assert resp.status_code == 403 and resp.json["needed_roles"] == ["admin", "office_director"]
    resp = api.post("/calendar/days", "office_staff", {"day": "2040-10-01", "kind": "holiday"})
    assert resp.status_code == 403
    resp = api.post("/calendar/days", "admin", {"day": "2040-10-01", "kind": "rest"})
    assert resp.status_code == 400 and resp.json["field"] == "kind"
    assert api.get("/calendar/days?year=2040", "dept_head").json["items"] == []
    assert api.client.get("/api/v1/calendar/add-working-days?start=2024-02-01&days=1"
                          ).status_code == 401

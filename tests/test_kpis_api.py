"""The 考核 API, dashboard, drill-down, frozen periods and the quarterly review."""
from __future__ import annotations

import io
import re
import subprocess

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from tests.factories import PASSWORD
from tests.factories_kpis import at
from tests.htmlcheck import inline_scripts

Q = "/api/v1/kpis?scope=department&period=2020Q3&cutoff=2020-10-05"
KEYS = {"rectification_rate", "on_time_rate", "on_time_rate_current", "overdue_count",
        "overdue_buckets", "major_rectification_rate", "accept_on_time_rate", "return_rate",
        "extension_rate", "avg_days_to_close", "task_completion_rate", "department_id",
        "department"}


def row(resp, dept_id):
    return next(r for r in resp.json["items"] if r["department_id"] == dept_id)


def test_table_for_the_office(client, kpi_world):
    w = kpi_world.w
    resp = client.get(Q, headers=w.headers("leader"))
    assert resp.status_code == 200, resp.json
    a = row(resp, w.dept.id)
    assert KEYS <= set(a)
    assert a["department"] == "区应急管理局"
    assert a["rectification_rate"] == round(4 / 7, 4) and a["overdue_count"] == 2
    assert a["overdue_buckets"] == {"1-7": 0, "8-30": 1, ">30": 1}
    assert a["return_rate"] == 0.2 and a["avg_days_to_close"] == 40.0
    assert row(resp, w.other_dept.id)["major_rectification_rate"] is None
    assert all(r["department_id"] != w.office.id for r in resp.json["items"])
    for who in ("office_staff", "office_director", "auditor"):
        assert client.get(Q, headers=w.headers(who)).status_code == 200


@pytest.mark.parametrize("who", ["inspector", "admin"])
def test_other_roles_are_refused(client, kpi_world, who):
    resp = client.get(Q, headers=kpi_world.w.headers(who))
    assert resp.status_code == 403 and resp.json["rules"] == ["role_required"]
    assert "office_director" in resp.json["needed_roles"]


def test_department_user_sees_own_row_only(client, kpi_world):
    w = kpi_world.w
    resp = client.get(Q, headers=w.headers("other_officer"))
    assert [r["department"] for r in resp.json["items"]] == ["区住建局"]
    assert resp.json["items"][0]["registered"] == 2
    assert client.get(Q.replace("department", "town", 1),
                      headers=w.headers("other_officer")).status_code == 403
    assert client.get("/api/v1/kpis/ranking?period=2020Q3",
                      headers=w.headers("dept_head")).status_code == 403
    # the drill-down is limited to the department's own cases too
    resp = client.get("/api/v1/kpis/cases?figure=overdue_count&scope=department&period=2020Q3"
                      f"&cutoff=2020-10-05&key={w.dept.id}", headers=w.headers("other_officer"))
    assert resp.status_code == 200 and resp.json["items"] == []


def test_bad_arguments_are_400(client, kpi_world):
    h = kpi_world.w.headers("leader")
    for url, field in (("/api/v1/kpis?period=2020Q9", "period"),
                       ("/api/v1/kpis?period=2020Q3&scope=moon", "scope"),
                       ("/api/v1/kpis?period=2020Q3&cutoff=2020-02-30", "cutoff"),
                       ("/api/v1/kpis?period=2020Q3&cutoff=2020-06-01", "cutoff"),
                       ("/api/v1/kpis?scope=department", "period"),
                       ("/api/v1/kpis?period=2020Q3&colour=red", "colour"),
                       ("/api/v1/kpis/cases?period=2020Q3&figure=beauty", "figure")):
        resp = client.get(url, headers=h)
        assert resp.status_code == 400, url
        assert resp.json["field"] == field, url


def test_custom_range_and_other_scope(client, kpi_world):
    resp = client.get("/api/v1/kpis?scope=grade&from=2020-07-01&to=2020-09-30&cutoff=2020-10-05",
                      headers=kpi_world.w.headers("leader"))
    rows = {r["key"]: r for r in resp.json["items"]}
    assert rows["major"]["major_rectification_rate"] == 0.5
    assert resp.json["period"]["key"] == "2020-07-01..2020-09-30"


def test_drill_down_lists_the_cases(client, kpi_world):
    c = kpi_world.cases
    resp = client.get("/api/v1/kpis/cases?figure=overdue_count&scope=district&period=2020Q3"
                      "&cutoff=2020-10-05", headers=kpi_world.w.headers("auditor"))
    assert resp.status_code == 200
    days = {i["id"]: i["days_overdue"] for i in resp.json["items"]}
    assert days == {c["c3"].id: 35, c["c8"].id: 25, c["c10"].id: 6}
    resp = client.get("/api/v1/kpis/cases?figure=rectification_rate&scope=department"
                      f"&key={kpi_world.w.dept.id}&period=2020Q3&cutoff=2020-10-05",
                      headers=kpi_world.w.headers("auditor"))
    assert (resp.json["total"], resp.json["counted"]) == (7, 4)


def test_ranking_and_weights_setting(app, client, kpi_world):
    w = kpi_world.w
    resp = client.get("/api/v1/kpis/ranking?period=2020Q3&cutoff=2020-10-05",
                      headers=w.headers("leader"))
    ranked = resp.json["items"]
    assert ranked[0]["department"] == "区应急管理局" and ranked[0]["rank"] == 1
    a = ranked[0]
    # hand-computed from the default weights and department A's figures
    weights = app.config["KPI_WEIGHTS"]
    expected = (30 * 4 / 7 + 25 * 3 / 7 + 15 * 0.5 + 10 * 6 / 7 + 10 * 0.8 + 5 * 6 / 7
                + 5 * 0.5) / sum(weights.values()) * 100
    assert a["score"] == pytest.approx(expected, abs=0.02)
    app.config["KPI_WEIGHTS"] = {"accept_on_time_rate": 1}
    ranked = client.get("/api/v1/kpis/ranking?period=2020Q3&cutoff=2020-10-05",
                        headers=w.headers("leader")).json["items"]
    assert ranked[0]["score"] == pytest.approx(100 * 6 / 7, abs=0.01)
    assert ranked[1]["score"] == 50.0


def test_review_excel_and_pdf(client, kpi_world):
    h = kpi_world.w.headers("office_director")
    resp = client.get("/api/v1/kpis/review.xlsx?period=2020Q3&cutoff=2020-10-05", headers=h)
    assert resp.status_code == 200
    wb = load_workbook(io.BytesIO(resp.data))
    ws = wb["部门排名"]
    assert ws["A1"].value == "2020年第三季度安全生产闭环督办季度点评"
    assert ws["B3"].value == "部门" and ws["F3"].value == "整改率"
    assert (ws["A4"].value, ws["B4"].value) == (1, "区应急管理局")
    assert ws["F4"].value == round(4 / 7, 4) and ws["F4"].number_format == "0.0%"
    overdue = [r[0] for r in wb["逾期事项"].iter_rows(min_row=2, values_only=True)]
    assert len(overdue) == 3
    resp = client.get("/api/v1/kpis/review.pdf?period=2020Q3&cutoff=2020-10-05", headers=h)
    assert resp.status_code == 200 and resp.data[:5] == b"%PDF-"
    text = re.sub(r"\s+", "", "".join(p.extract_text() for p in PdfReader(io.BytesIO(resp.data)).pages))
    assert "2020年第三季度安全生产闭环督办季度点评" in text
    assert "区应急管理局" in text and "57.1%" in text and "2020年10月5日" in text
    out = subprocess.run(["pdftotext", "-", "-"], input=resp.data, capture_output=True, check=True)
    assert "部门排名" in out.stdout.decode()
    again = client.get("/api/v1/kpis/review.pdf?period=2020Q3&cutoff=2020-10-05", headers=h)
    assert again.data == resp.data  # the same figures print the same bytes


def test_freeze_then_changes_are_flagged(client, kpi_world):
    w = kpi_world.w
    body = {"period": "2020Q3", "cutoff": "2020-10-05"}
    resp = client.post("/api/v1/kpis/snapshots", json=body, headers=w.headers("office_staff"))
    assert resp.status_code == 403
    resp = client.post("/api/v1/kpis/snapshots", json=body, headers=w.headers("office_director"))
    assert resp.status_code == 201, resp.json
    assert client.post("/api/v1/kpis/snapshots", json=body,
                       headers=w.headers("office_director")).status_code == 409
    # a late entry: c3 reported and closed with dates before the cut-off
    c3 = kpi_world.cases["c3"]
    kpi_world.report(c3, at(2020, 9, 29))
    kpi_world.close(c3, at(2020, 9, 30), at(2020, 10, 1))
    resp = client.get("/api/v1/kpis?scope=department&period=2020Q3", headers=w.headers("leader"))
    assert resp.json["frozen"]["cutoff"] == "2020-10-05"
    a = row(resp, w.dept.id)
    assert a["rectification_rate"] == round(4 / 7, 4)  # the frozen value stays
    assert a["changes"]["rectification_rate"] == {"frozen": round(4 / 7, 4),
                                                 "current": round(5 / 7, 4)}
    assert a["changes"]["overdue_count"] == {"frozen": 2, "current": 1}
    assert "return_rate" not in a["changes"] or a["changes"]["return_rate"]["current"] != 0.2
    assert row(resp, w.other_dept.id)["changes"] == {}
    # the department user reads the frozen row of their own department
    resp = client.get("/api/v1/kpis?scope=department&period=2020Q3", headers=w.headers("dept_head"))
    assert [r["department_id"] for r in resp.json["items"]] == [w.dept.id]
    listed = client.get("/api/v1/kpis/snapshots", headers=w.headers("auditor")).json["items"]
    assert [s["period"] for s in listed] == ["2020Q3"]


def test_freeze_refuses_open_periods(client, world):
    from workflow.platform.base import local_today

    today = local_today()
    resp = client.post("/api/v1/kpis/snapshots", json={"period": str(today.year)},
                       headers=world.headers("office_director"))
    assert resp.status_code == 400 and resp.json["field"] == "period"


def login(client, user):
    page = client.get("/login")
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text) or re.search(
        r'name="csrf_token" value="([^"]+)"', page.text)
    resp = client.post("/login", data={"username": user.username, "password": PASSWORD,
                                       "csrf_token": token[1]})
    assert resp.status_code == 302


def test_dashboard_page_draws_svg_without_scripts(client, kpi_world):
    login(client, kpi_world.w.users["leader"])
    resp = client.get("/kpis?period=2020Q3&cutoff=2020-10-05")
    assert resp.status_code == 200
    html = resp.text
    assert html.count("<svg") == 3 and inline_scripts(html) == [] and "style=" not in html
    assert "script-src 'self'" in resp.headers["Content-Security-Policy"]
    for label in ("整改率", "按期整改率（原期限）", "签收及时率", "逾期30天以上", "区应急管理局", "57.1%"):
        assert label in html
    assert "季度点评（PDF）" in html and "冻结本期考核数据" not in html
    resp = client.get("/kpis/cases?figure=overdue_count&scope=district&period=2020Q3&cutoff=2020-10-05")
    assert resp.status_code == 200 and kpi_world.cases["c3"].number in resp.text


def test_dashboard_forbidden_for_inspector(client, kpi_world):
    login(client, kpi_world.w.users["inspector"])
    assert client.get("/kpis?period=2020Q3").status_code == 403


def test_director_freezes_from_the_page(client, kpi_world):
    login(client, kpi_world.w.users["office_director"])
    page = client.get("/kpis?period=2020Q3&cutoff=2020-10-05")
    assert "冻结本期考核数据" in page.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)[1]
    resp = client.post("/kpis/freeze", data={"period": "2020Q3", "cutoff": "2020-10-05",
                                             "csrf_token": token})
    assert resp.status_code == 302
    page = client.get("/kpis?period=2020Q3")
    assert "已冻结" in page.text and "冻结本期考核数据" not in page.text

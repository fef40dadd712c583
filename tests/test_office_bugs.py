"""Bugs seen on an office's working day, each shown by a test that failed before its fix."""
from __future__ import annotations

import io
import re
from datetime import date

from openpyxl import load_workbook
from sqlalchemy import select

from tests.tasklist_builders import sample_bytes
from workflow.core.cases import Case


def test_plan_pages_print_item_counts_not_a_method(pages, tasklists, session):
    tasklists.run(sample_bytes(), "wujin.txt")
    office = pages("office_staff")
    index = office.get("/plans/")
    assert "built-in method" not in index.text
    plan_id = re.search(r'href="/plans/(\d+)"', index.text).group(1)
    show = office.get(f"/plans/{plan_id}")
    assert "built-in method" not in show.text
    assert re.search(r"\d+ 项具体内容", show.text)
    assert "UTC" not in index.text


def test_year_filter_uses_the_cases_year_not_the_records(pages, world, session, tasklists):
    tasklists.run(sample_bytes(), "wujin.txt")  # the 2020 plan: task numbers WJ-2020-RW-…
    found_2020 = world.problem(found_on="2020-06-01")
    this_year = world.problem()
    office = pages("office_staff")
    page = office.get("/cases?year=2020")
    total = int(re.search(r'id="total">(\d+)<', page.text).group(1))
    tasks = session.scalars(select(Case).where(Case.kind == "task")).all()
    assert tasks and total == len(tasks) + 1
    assert found_2020.display_number in page.text or total > 50
    page = office.get(f"/cases?year={date.today().year}&kind=problem")
    assert this_year.display_number in page.text and found_2020.display_number not in page.text


def _sheet_numbers(data: bytes) -> dict[str, set[str]]:
    wb = load_workbook(io.BytesIO(data), read_only=True)
    return {ws.title: {r[0] for r in ws.iter_rows(min_row=2, values_only=True) if r[0]}
            for ws in wb.worksheets}


def test_ledger_export_keeps_the_queue_filter(pages, world, session):
    world.case_at("reported")
    world.case_at("reported")
    world.case_at("in_progress")
    world.case_at("assigned")
    office = pages("office_staff")
    page = office.get("/cases?queue=review")
    on_screen = set(re.findall(r'href="/cases/\d+(?:\?[^"]*)?">(WJ-[^<]+)<', page.text))
    assert len(on_screen) == 2
    link = re.search(r'href="([^"]+)" id="ledger-xlsx"', page.text).group(1).replace("&amp;", "&")
    assert "queue=review" in link
    resp = office.get(link)
    assert resp.status_code == 200
    sheets = _sheet_numbers(resp.data)
    assert sheets["问题隐患台账"] == on_screen


def test_task_only_export_opens_on_the_task_sheet(pages, world, tasklists):
    tasklists.run(sample_bytes(), "wujin.txt")
    office = pages("office_staff")
    resp = office.get("/cases/ledger.xlsx?kind=task")
    wb = load_workbook(io.BytesIO(resp.data), read_only=True)
    assert [ws.title for ws in wb.worksheets] == ["目标任务台账"]
    assert len(list(wb.worksheets[0].iter_rows(values_only=True))) > 1
    api = office.client.get("/api/v1/ledger.xlsx?kind=task")
    assert [ws.title for ws in load_workbook(io.BytesIO(api.data)).worksheets] == ["目标任务台账"]


def test_errors_name_the_case_number_not_an_internal_id(pages, world):
    case = world.case_at("in_progress")
    other = pages("other_officer")
    resp = other.get(f"/cases/{case.id}")
    assert resp.status_code == 404 and f"案件 {case.id}" not in resp.text
    officer = pages("dept_officer")
    resp = officer.post(f"/cases/{case.id}/actions/accept", {"version": case.version})
    assert resp.status_code == 409
    assert case.display_number in resp.text and "案件当前状态" not in resp.text

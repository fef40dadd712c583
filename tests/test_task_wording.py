"""A task speaks the task list's words: every page it reaches, its notifications, its Excel
row and its printed record say 交办/推进/报送/审核/办结, never 整改 or 销号."""
from __future__ import annotations

import html
import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from tests.factories_records import pdf_text
from tests.taskrun_helpers import cases_of_items, import_real_list, report_done, step, this_year
from workflow.core.notifications import Notification
from workflow.tasklist.models import Plan
from workflow.tasklist.reporting import file_progress

FORBIDDEN = ("整改", "销号")
_TAGS = re.compile(r"<(script|style)\b.*?</\1>|<[^>]+>", re.S)


def visible(page: str) -> str:
    return html.unescape(_TAGS.sub(" ", page))


QUOTED: list[str] = []  # the list's own text (its items may themselves speak of 整改)


def hazard_words(text: str) -> list[str]:
    for quoted in QUOTED:
        text = text.replace(quoted, " ")
    return [m.group(0) + text[m.end():m.end() + 12] for w in FORBIDDEN
            for m in re.finditer(w, text)]


def _quote_the_list(session) -> None:
    """What the imported list says is quoted, not our wording: left out of the scan."""
    from workflow.core.cases import Case
    from workflow.tasklist.models import PlanItem
    texts = set()
    for item in session.scalars(select(PlanItem)):
        texts |= {item.content, item.remark, item.project, item.task, item.target_text or ""}
    for case in session.scalars(select(Case).where(Case.kind == "task")):
        texts |= {case.title, case.description}
    parts = {p for t in texts for p in re.split(r"[\n]", t)}
    QUOTED[:] = sorted((t for t in texts | parts if t and len(t) > 3), key=len, reverse=True)


@pytest.fixture
def tasks(world):
    year = this_year()
    import_real_list(world, year)
    found = cases_of_items(world.session, [7, 19], year)
    office = next(c for c in found[7] if c.is_office_led)
    ours = next(c for c in found[19] if c.department_id == world.dept.id)
    _quote_the_list(world.session)
    world.session.commit()  # SQLite: no lock left for the requests
    return {"office": office, "dept": ours, "year": year}


def _scan_pages(pages, who: str, paths: list[str]) -> dict[str, list[str]]:
    client = pages(who)
    found = {}
    for path in paths:
        resp = client.get(path)
        assert resp.status_code == 200, (who, path, resp.status_code)
        if words := hazard_words(visible(resp.text)):
            found[f"{who} {path}"] = words
    return found


def _pdf_words(client, world, case) -> list[str]:
    resp = client.get(f"/api/v1/cases/{case.id}/report.pdf", headers=world.headers("office_staff"))
    assert resp.status_code == 200
    text = pdf_text(resp.data)
    assert "目标任务完成情况审核表" in text
    return hazard_words(text)


def test_no_hazard_words_on_a_task_walk(world, tasks, pages, client, session):
    plan = session.scalar(select(Plan).where(Plan.year == tasks["year"]))
    session.commit()
    walks = {
        "dept": (tasks["dept"], [("accept", "dept_officer"), ("report", "dept_head"),
                                 ("verify", "office_staff"), ("close", "office_director")],
                 ["dept_officer", "dept_head", "office_staff", "office_director", "leader"]),
        "office": (tasks["office"], [("accept", "office_staff"), ("report", "office_staff"),
                                     ("verify", "office_director"), ("close", "leader")],
                   ["office_staff", "office_director", "leader", "auditor"]),
    }
    problems: dict[str, list[str]] = {}
    for key, (case, path, readers) in walks.items():
        holder = path[0][1]
        file_progress(session, case.id, world.users[holder], text="一季度已部署，二季度推进中",
                      percent=40, count=1)
        session.commit()
        for trigger, who in [(None, None), *path]:
            if trigger == "report":
                report_done(world, case, who)
            elif trigger:
                step(world, case, trigger, who)
            session.commit()
            for reader in readers:
                problems.update(_scan_pages(pages, reader, [f"/cases/{case.id}"]))
            if words := _pdf_words(client, world, case):
                problems[f"PDF {key} {case.status}"] = words
    problems.update(_scan_pages(pages, "office_staff", [
        f"/plans/{plan.id}", "/plans/", "/cases?kind=task", "/tasks/lagging",
        f"/plans/{plan.id}/reporting", "/notifications"]))
    problems.update(_scan_pages(pages, "dept_officer", ["/cases?kind=task", "/notifications",
                                                       "/tasks/lagging"]))
    assert problems == {}

    notes = session.scalars(select(Notification).where(Notification.case_id.in_(
        [tasks["dept"].id, tasks["office"].id]))).all()
    assert len(notes) > 5
    assert [n.title + n.body for n in notes if hazard_words(n.title + n.body)] == []


def test_the_task_sheet_of_the_ledger(world, tasks, client):
    resp = client.get("/api/v1/ledger.xlsx?kind=task", headers=world.headers("office_staff"))
    if resp.status_code == 400:  # no kind filter: the whole ledger
        resp = client.get("/api/v1/ledger.xlsx", headers=world.headers("office_staff"))
    assert resp.status_code == 200, resp.text
    wb = load_workbook(io.BytesIO(resp.data))
    sheet = wb["目标任务台账"]
    text = " ".join(str(c.value) for row in sheet.iter_rows() for c in row if c.value is not None)
    assert "完成时限" in text and "已交办" in text
    assert hazard_words(text) == []


def test_a_department_home_with_only_tasks(world, tasks, pages, session):
    # 区应急管理局 holds only tasks of the list here
    assert _scan_pages(pages, "dept_officer", ["/"]) == {}

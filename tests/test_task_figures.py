"""Figures by kind: the hazard figures leave tasks out; the task figures against hand counts."""
from __future__ import annotations

from datetime import date

import pytest

from tests.taskrun_helpers import at, file, import_real_list, report_done, step, task_case

CUT = "period=2020&cutoff=2020-06-30"


@pytest.fixture
def four_tasks(world):
    """Four tasks of 2020 (monthly reports by the 25th), as of 30 June; see the docstring of
    each for what the hand count below takes from it."""
    town = world.department("湖塘镇", kind="town")
    world.session.commit()
    # A: Jan on time, Feb late, 报送 20 Mar, 办结 28 Mar (due 31 Mar): 2 periods, 1 on time
    a = task_case(world, deadline=date(2020, 3, 31), registered=date(2020, 1, 2), title="任务A")
    file(world, a, "dept_officer", date(2020, 1, 20))
    file(world, a, "dept_officer", date(2020, 2, 26))
    step(world, a, "accept", "dept_officer", now=at(date(2020, 3, 1)))
    report_done(world, a, "dept_head", now=at(date(2020, 3, 20)))
    step(world, a, "verify", "office_staff", now=at(date(2020, 3, 25)))
    step(world, a, "close", "office_director", now=at(date(2020, 3, 28)))
    # B: year-long; every month on time but May: 6 periods, 5 on time, not 滞后 (June filed)
    b = task_case(world, deadline=date(2020, 12, 31), registered=date(2020, 1, 2), title="任务B")
    for month in (1, 2, 3, 4, 6):
        file(world, b, "dept_head", date(2020, month, 10))
    # C (区住建局): due 31 May, nothing filed: 6 periods, 0 on time, 滞后
    c = task_case(world, department=world.other_dept, deadline=date(2020, 5, 31),
                  registered=date(2020, 1, 2), title="任务C")
    # D (湖塘镇): 交办 1 April; April on time, May late, June missing: 3 periods, 1 on time, 滞后
    d = task_case(world, department=town, deadline=date(2020, 12, 31), registered=date(2020, 4, 1),
                  title="任务D")
    from workflow.org.models import User
    town_user = User(username="hutang", display_name="湖塘联络员", role="dept_officer",
                     department=town, password_hash="x")
    world.session.add(town_user)
    world.session.commit()
    world.users["town_officer"] = town_user
    file(world, d, "town_officer", date(2020, 4, 24))
    file(world, d, "town_officer", date(2020, 5, 30))
    # a report after the cut-off does not count
    file(world, b, "dept_head", date(2020, 7, 20))
    return {"a": a, "b": b, "c": c, "d": d, "town": town}


def _by_name(rows):
    return {r["department"]: r for r in rows}


def test_task_figures_match_hand_counts(client, world, four_tasks):
    body = client.get(f"/api/v1/kpis?kind=task&{CUT}", headers=world.headers("office_director")).json
    assert body["kind"] == "task"
    rows = _by_name(body["items"])
    ours, housing, town = rows["区应急管理局"], rows["区住建局"], rows["湖塘镇"]
    assert (ours["tasks"], ours["completed"], ours["completion_rate"]) == (2, 1, 0.5)
    assert (ours["due"], ours["on_time"], ours["on_time_rate"]) == (1, 1, 1.0)
    assert (ours["periods_due"], ours["periods_on_time"], ours["reporting_rate"]) == (8, 6, 0.75)
    assert ours["lagging_count"] == 0
    assert (housing["completion_rate"], housing["on_time_rate"], housing["reporting_rate"],
            housing["lagging_count"]) == (0.0, 0.0, 0.0, 1)
    assert (town["tasks"], town["due"], town["on_time_rate"]) == (1, 0, None)
    assert (town["periods_due"], town["periods_on_time"], town["reporting_rate"]) == (3, 1, 0.3333)
    assert town["lagging_count"] == 1
    district = body["district"]
    assert (district["tasks"], district["completed"], district["completion_rate"]) == (4, 1, 0.25)
    assert (district["due"], district["on_time"], district["on_time_rate"]) == (2, 1, 0.5)
    assert (district["periods_due"], district["periods_on_time"]) == (17, 7)
    assert district["reporting_rate"] == 0.4118 and district["lagging_count"] == 2
    # 属地 and 部门 ranked in separate tables
    assert [r["department"] for r in body["towns"]] == ["湖塘镇"]
    assert {r["department"] for r in body["departments"]} == {"区应急管理局", "区住建局"}


def test_a_department_reads_its_own_task_row_only(client, world, four_tasks):
    body = client.get(f"/api/v1/kpis?kind=task&{CUT}", headers=world.headers("dept_officer")).json
    assert [r["department"] for r in body["items"]] == ["区应急管理局"]
    resp = client.get(f"/api/v1/kpis?kind=other&{CUT}", headers=world.headers("office_director"))
    assert resp.status_code == 400 and resp.json["field"] == "kind"


def test_task_case_carries_lagging_and_its_status_label(client, world, four_tasks):
    c = client.get(f"/api/v1/cases/{four_tasks['c'].id}", headers=world.headers("office_staff")).json
    assert c["lagging"] is True and "完成时限" in c["lagging_reason"]
    assert c["status_label"] == "已交办"
    listed = client.get("/api/v1/cases?kind=task", headers=world.headers("office_staff")).json
    assert all("lagging" in item for item in listed["items"])
    lagging = client.get("/api/v1/tasks/lagging?date=2020-06-30",
                         headers=world.headers("office_director")).json
    names = {u["department"]: [c["title"] for c in u["cases"]] for u in lagging["items"]}
    assert names == {"区住建局": ["任务C"], "湖塘镇": ["任务D"]}


def test_problem_figures_unchanged_by_a_task_list(client, world, session):
    # hazards at several steps of 2020's register
    for status in ("assigned", "in_progress", "reported", "closed"):
        world.case_at(status)
    headers = world.headers("office_director")
    year = date.today().year
    before = {scope: client.get(f"/api/v1/kpis?kind=problem&scope={scope}&period={year}",
                                headers=headers).json for scope in ("department", "district", "kind")}
    default = client.get(f"/api/v1/kpis?scope=district&period={year}", headers=headers).json
    import_real_list(world, year)
    after = {scope: client.get(f"/api/v1/kpis?kind=problem&scope={scope}&period={year}",
                               headers=headers).json for scope in ("department", "district", "kind")}
    strip = lambda rows: [{k: v for k, v in r.items() if not k.startswith("task")} for r in rows]  # noqa: E731
    for scope in before:
        old = {r["label"]: r for r in strip(before[scope]["items"])}
        new = {r["label"]: r for r in strip(after[scope]["items"])}
        # departments first named by the list join with empty figures; every other row is equal
        assert {k: v for k, v in new.items() if k in old} == old
        assert all(r["registered"] == 0 for k, r in new.items() if k not in old)
    district = after["district"]["items"][0]
    assert district["registered"] == 4 and district["tasks"] > 40  # the list's tasks, apart
    assert strip(default["items"]) == strip(before["district"]["items"])


def test_dashboard_shows_task_tables_apart(world, four_tasks, pages, session):
    session.commit()
    page = pages("office_director").get("/kpis?period=2020Q2&cutoff=2020-06-30")
    assert page.status_code == 200
    text = page.text
    assert 'id="task-figures"' in text and "（问题隐患，不含目标任务）" in text
    town = text[text.index('data-task-table="town"'):]
    town = town[:town.index("</table>")]
    dept = text[text.index('data-task-table="department"'):]
    dept = dept[:dept.index("</table>")]
    assert "湖塘镇" in town and "区应急管理局" not in town
    assert "区应急管理局" in dept and "湖塘镇" not in dept
    # 区应急管理局 (50% done) ranks before 区住建局 (0%)
    assert dept.index("区应急管理局") < dept.index("区住建局")

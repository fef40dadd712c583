"""One 约谈建议名单: the director's home page and the API name the same units and cases.

A case is on the list while it is open and at the 约谈 level, reached through the daily
sweep or by the director's 列入约谈; being many days overdue alone does not put it there.
"""
from __future__ import annotations

import re
from datetime import timedelta

from workflow.core.cases import Case
from workflow.platform.base import local_today


def _overdue(world, case, days: int) -> int:
    """Move a case's deadline ``days`` calendar days into the past (no sweep runs)."""
    world.session.query(Case).filter_by(id=case.id).update(
        {"deadline": local_today() - timedelta(days=days)})
    world.session.commit()
    case_id = case.id
    world.session.rollback()  # release SQLite's write lock for the app and the CLI
    return case_id


def home_list(pages) -> list[tuple[int, str, list[int]]]:
    """(department id, unit name, case ids) of the 约谈 card of the director's home page."""
    html = pages("office_director").get("/").text
    card = re.search(r'<section class="card" id="interview-candidates".*?</section>', html, re.S)
    assert card, "the director's home page has no 约谈 card"
    return [(int(dept), name, [int(c) for c in re.findall(r'href="/cases/(\d+)"', body)])
            for dept, name, body in re.findall(
                r'<li data-department-id="(\d+)">([^：<]+)：(.*?)</li>', card.group(0), re.S)]


def api_list(api) -> list[tuple[int, str, list[int]]]:
    resp = api.get("/interview-candidates", "office_director")
    assert resp.status_code == 200
    items = resp.json["items"]
    assert all(u["count"] == len(u["cases"]) for u in items)
    return [(u["department_id"], u["department"], [c["id"] for c in u["cases"]]) for u in items]


def queue_cases(pages) -> tuple[int, list[int]]:
    """The 约谈建议名单 count on the home page and the cases the case list shows for that queue."""
    director = pages("office_director")
    count = re.search(r'data-queue="interview"[^>]*>\s*<span class="count">(\d+)<',
                      director.get("/").text).group(1)
    listed = re.findall(r'href="/cases/(\d+)(?:\?queue=[a-z_]+)?"', director.get("/cases?queue=interview").text)
    return int(count), sorted({int(i) for i in listed})


def test_home_page_and_api_name_the_same_units_and_cases(api, pages, world):
    swept = world.case_at("in_progress")
    closed = world.case_at("in_progress")
    swept_id, closed_id = _overdue(world, swept, 35), _overdue(world, closed, 35)
    api.sweep(local_today())  # escalates both to 约谈 (30 calendar days overdue)

    world.evidence(closed)  # the escalated case is then rectified and closed
    world.step(closed, "report", "dept_head", statement="已更换全部报警器并联动测试")
    world.step(closed, "verify", "office_staff")
    world.step(closed, "close", "office_director")

    by_hand = world.problem(department=world.other_dept)
    world.step(by_hand, "register", "office_staff")
    world.step(by_hand, "accept", "other_officer")
    by_hand_id = _overdue(world, by_hand, 10)
    resp = api.post(f"/cases/{by_hand_id}/supervision", "office_director",
                    {"action": "interview", "comment": "多次催办未整改"})
    assert resp.status_code == 201, resp.json

    unswept_id = _overdue(world, world.case_at("in_progress"), 40)  # after the sweep

    expected = [(world.other_dept.id, "区住建局", [by_hand_id]),
                (world.dept.id, "区应急管理局", [swept_id])]
    world.session.rollback()
    assert api_list(api) == expected
    assert home_list(pages) == expected
    assert queue_cases(pages) == (2, sorted([swept_id, by_hand_id]))
    assert closed_id not in queue_cases(pages)[1] and unswept_id not in queue_cases(pages)[1]

    # the next sweep escalates the 40-days-overdue case: it joins its unit on both lists,
    # and the unit with more cases comes first
    api.sweep(local_today())
    expected = [(world.dept.id, "区应急管理局", [unswept_id, swept_id]),
                (world.other_dept.id, "区住建局", [by_hand_id])]
    world.session.rollback()
    assert api_list(api) == expected
    assert home_list(pages) == expected
    assert queue_cases(pages) == (3, sorted([swept_id, by_hand_id, unswept_id]))

"""Importing the annual task list into plans, items and task cases (real database)."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from tests.factories_tasklist import FORMATS, row_counts
from tests.tasklist_builders import build_xlsx, sample_rows
from workflow.core.audit import AuditEvent, verify_all
from workflow.core.cases import Case, visible_cases_filter
from workflow.org.models import Department, ensure_group
from workflow.platform.errors import Conflict, Forbidden, InvalidInput
from workflow.tasklist.due_dates import find_deadline
from workflow.tasklist.models import Plan, PlanItem, item_status

# Items whose text states a target: seq → (count, period in years)
TARGETS = {1: (1, 1), 2: (1, 3), 3: (4, 1), 12: (1, 5), 41: (6, 1)}
# Task cases of the real list: one per lead or responsible unit per item (support: none)
CASES = 72


def _items(session, year=2020) -> list[PlanItem]:
    session.expire_all()  # read what was stored, not what the import left in memory
    plan = session.scalar(select(Plan).where(Plan.year == year))
    return sorted(plan.active_items(), key=lambda i: i.seq)


def _comparable(item: PlanItem) -> dict:
    return {"seq": item.seq, "project_no": item.project_no, "project": item.project,
            "task": item.task, "content": item.content, "remark": item.remark,
            "lead": [d.name for d in item.lead_departments],
            "co": [d.name for d in item.co_departments],
            "lead_groups": [g.key for g in item.lead_groups],
            "co_groups": [g.key for g in item.co_groups],
            "target": (item.target_count, item.target_period_years),
            "cases": sorted(c.department.name for c in item.cases)}


@pytest.mark.parametrize("fmt", FORMATS)
def test_real_2020_list(fmt, tasklists, tasklist_files, session):
    result = tasklists.run(*tasklist_files[fmt])
    assert (result.projects, result.tasks, result.items) == (5, 18, 50)
    items = _items(session)
    assert len(items) == 50
    assert len({i.project_no for i in items}) == 5
    assert len({(i.project_no, i.task) for i in items}) == 18

    first = items[0]
    assert [d.name for d in first.lead_departments] == ["区委宣传部"]
    assert {g.key for g in first.co_groups} == {"towns", "committee_members"}
    assert not first.co_departments and not first.lead_groups
    names = session.scalars(select(Department.name)).all()
    assert not [n for n in names if "bookmark" in n.lower()]
    assert items[-1].remark == ""
    found = {i.seq: (i.target_count, i.target_period_years) for i in items if i.target_count}
    assert found == TARGETS
    assert items[2].target_text and "4" in items[2].target_text


@pytest.mark.parametrize("fmt", FORMATS)
def test_one_case_per_owing_unit(fmt, tasklists, tasklist_files, session):
    tasklists.run(*tasklist_files[fmt])
    items = _items(session)
    for item in items:
        owing = {r.department.name for r in item.responsibilities
                 if r.role in ("lead", "responsible") and r.department is not None}
        assert sorted(c.department.name for c in item.cases) == sorted(owing), item.seq
    second = items[1]  # 区委组织部、区委党校 / 区应急管理局等部门: the second line owes it too
    assert sorted(c.department.name for c in second.cases) == ["区委党校", "区委组织部", "区应急管理局"]
    for case in second.cases:
        assert case.co_departments == []  # "等部门" names no unit
    cases = session.scalars(select(Case).where(Case.kind == "task")).all()
    assert len(cases) == CASES
    assert {(c.status, c.source, c.grade) for c in cases} == {("assigned", "task_list", "general")}
    assert {c.deadline for c in cases} == {date(2020, 12, 31)}
    assert sorted(c.number for c in cases) == [f"WJ-2020-RW-{n:04d}" for n in range(1, CASES + 1)]
    # group-led items without members get no case and are reported
    assert [i.seq for i in items if item_status(i) == "unassigned"] == [11, 41, 42, 43]


def test_every_case_has_a_valid_audit_chain(tasklists, tasklist_files, session, runner):
    tasklists.run(*tasklist_files["txt"])
    actions = session.execute(select(AuditEvent.case_id, AuditEvent.seq, AuditEvent.action)
                              .order_by(AuditEvent.case_id, AuditEvent.seq)).all()
    by_case: dict[int, list[str]] = {}
    for case_id, _, action in actions:
        by_case.setdefault(case_id, []).append(action)
    assert len(by_case) == CASES
    assert set(map(tuple, by_case.values())) == {("create", "register")}
    assert list(verify_all(session)) == []
    session.rollback()  # SQLite: release the write lock before the CLI's own session
    out = runner.invoke(args=["audit", "verify"])
    assert out.exit_code == 0, out.output


def test_identical_items_whichever_format(tasklists, tasklist_files, session):
    for year, fmt in zip((2020, 2021, 2022), FORMATS):
        tasklists.run(*tasklist_files[fmt], year=year)
    txt, docx, xlsx = ([_comparable(i) for i in _items(session, y)] for y in (2020, 2021, 2022))
    assert txt == docx == xlsx
    # and the other formats of the same list are "no change" for an imported year
    for fmt in ("docx", "xlsx"):
        preview = tasklists.run(*tasklist_files[fmt], year=2020, dry_run=True)
        assert not preview.has_changes and preview.unchanged == 50 and not preview.cases


def test_reimport_changes_nothing(tasklists, tasklist_files, session):
    tasklists.run(*tasklist_files["docx"])
    before = row_counts(session)
    plan_before = session.scalar(select(Plan)).to_dict()
    result = tasklists.run(*tasklist_files["docx"])
    assert not result.writes_anything and result.unchanged == 50 and not result.cases
    assert row_counts(session) == before
    session.expire_all()
    assert session.scalar(select(Plan)).to_dict() == plan_before


def test_dry_run_writes_nothing(tasklists, tasklist_files, session):
    before = row_counts(session)
    result = tasklists.run(*tasklist_files["xlsx"], dry_run=True)
    assert row_counts(session) == before
    assert len(result.cases) == CASES and result.plan_id is None and not result.applied
    assert "区委宣传部" in result.new_departments
    assert result.lines()[-1] == "预览：未写入任何数据"
    pending = {r["seq"] for r in result.needs_group_members}
    assert {1, 4, 8, 11, 27, 40, 41, 42, 43, 44} <= pending and 19 not in pending


def _changed_list() -> bytes:
    rows = sample_rows()
    rows[3][3] = rows[3][3].replace("每年不少于2次", "每年不少于3次")  # item 3 changes
    del rows[-1]  # item 50 removed
    return build_xlsx(rows)


def test_changed_file_is_refused_until_confirmed(tasklists, tasklist_files, session):
    tasklists.run(*tasklist_files["txt"])
    before = row_counts(session)
    preview = tasklists.run(_changed_list(), "2020-修订.xlsx", dry_run=True)
    assert [r["seq"] for r in preview.changed] == [3]
    assert [r["seq"] for r in preview.removed] == [50]
    assert not preview.added and preview.unchanged == 48
    assert [r["number"] for r in preview.cases_to_cancel] == [f"WJ-2020-RW-{CASES:04d}"]
    with pytest.raises(Conflict) as info:
        tasklists.run(_changed_list(), "2020-修订.xlsx")
    assert "应用变更" in info.value.message and info.value.extra["summary"]
    session.rollback()
    assert row_counts(session) == before


def test_confirmed_changes_update_items_and_tell_the_cases(tasklists, tasklist_files, session):
    tasklists.run(*tasklist_files["txt"])
    result = tasklists.run(_changed_list(), "2020-修订.xlsx", apply_changes=True)
    assert result.applied and not result.cases
    session.expire_all()
    items = _items(session)
    assert len(items) == 49
    third = items[2]
    assert "每年不少于3次" in third.content and third.target_count == 4
    assert len(third.cases) == 2
    for case in third.cases:
        actions = session.scalars(select(AuditEvent.action).where(AuditEvent.case_id == case.id)
                                  .order_by(AuditEvent.seq)).all()
        # the item's text changed, then its targets: 区委办 now owes 3
        assert actions[-2:] == ["plan_item_changed", "responsibilities_changed"]
    targets = {r.department.name: [t.count for t in r.targets] for r in third.responsibilities}
    assert targets == {"区委办": [3], "区政府办": [4]}
    removed = session.scalar(select(PlanItem).where(PlanItem.seq == 50))
    assert removed.withdrawn_at is not None and item_status(removed) == "withdrawn"
    assert removed.cases[0].status == "assigned"  # the director cancels, with a reason
    assert list(verify_all(session)) == []
    plan = session.scalar(select(Plan))
    assert plan.to_dict()["counts"]["items"] == 49 and plan.source_filename == "2020-修订.xlsx"
    again = tasklists.run(_changed_list(), "2020-修订.xlsx")
    assert not again.writes_anything


def test_lead_group_members_get_cases_on_the_next_import(tasklists, tasklist_files, session, world):
    tasklists.run(*tasklist_files["txt"])
    group = ensure_group(session, "supervising", "负有安全生产监督管理职责的部门")
    group.members.extend([world.dept, world.other_dept])
    session.commit()
    result = tasklists.run(*tasklist_files["txt"])
    assert not result.has_changes
    assert sorted((r["seq"], r["department"]) for r in result.cases) == sorted(
        (seq, name) for seq in (8, 10, 11, 17, 27, 37, 41, 42, 43)
        for name in ("区应急管理局", "区住建局"))
    items = {i.seq: i for i in _items(session)}
    assert sorted(c.department.name for c in items[27].cases) == ["区住建局", "区应急管理局", "区行政审批局"]
    assert item_status(items[41]) == "assigned"
    assert not tasklists.run(*tasklist_files["txt"]).writes_anything


def test_groups_on_the_second_line_owe_the_item(tasklists, tasklist_files, session, world):
    group = ensure_group(session, "committee_members", "安委会成员单位")
    group.members.append(world.other_dept)
    session.commit()
    tasklists.run(*tasklist_files["txt"])
    cases = {c.department.name: c for c in _items(session)[0].cases}
    assert sorted(cases) == ["区住建局", "区委宣传部"]  # the member has its own case

    def visible(user):
        return session.scalars(select(Case.id).where(visible_cases_filter(user))).all()
    assert cases["区住建局"].id in visible(world.users["other_officer"])
    assert cases["区委宣传部"].id not in visible(world.users["dept_officer"])


def test_item_status_rolls_up_from_its_cases(tasklists, tasklist_files, session, world):
    tasklists.run(*tasklist_files["txt"])
    item = _items(session)[2]
    first, second = item.cases
    assert item_status(item) == "assigned"
    first.status = "closed"
    assert item_status(item) == "assigned"
    second.status = "cancelled"
    assert item_status(item) == "closed"  # cancelled cases leave the roll-up
    first.status = "cancelled"
    assert item_status(item) == "cancelled"
    first.status, second.status = "in_progress", "verified"
    assert item_status(item) == "in_progress"  # as far as its slowest case
    session.rollback()


def test_only_the_office_imports(tasklists, tasklist_files, session):
    before = row_counts(session)
    with pytest.raises(Forbidden):
        tasklists.run(*tasklist_files["txt"], who="dept_head")
    with pytest.raises(Forbidden) as info:
        tasklists.run(*tasklist_files["txt"], who="office_director")
    assert info.value.needed_roles == ["office_staff"]
    preview = tasklists.run(*tasklist_files["txt"], who="office_director", dry_run=True)
    assert preview.items == 50
    assert row_counts(session) == before


@pytest.mark.parametrize("year", ["", "20x0", 1999, 2101])
def test_year_is_checked(year, tasklists, tasklist_files):
    with pytest.raises(InvalidInput) as info:
        tasklists.run(*tasklist_files["txt"], year=year)
    assert info.value.field == "year"


def test_new_departments_are_created_and_reported(tasklists, tasklist_files, session, world):
    result = tasklists.run(*tasklist_files["txt"])
    assert "区应急管理局" not in result.new_departments  # the world already has it
    assert "区委宣传部" in result.new_departments
    count = session.scalar(select(func.count()).select_from(Department))
    assert count == 3 + len(result.new_departments)


@pytest.mark.parametrize("text, expected", [
    ("6月底前完成排查", date(2020, 6, 30)),
    ("二月底前制定方案", date(2020, 2, 29)),
    ("9月30日前完成，11月底前验收", date(2020, 11, 30)),
    ("上半年完成整治", date(2020, 6, 30)),
    ("每年不少于2次", None),
    ("2月30日前", None),
])
def test_find_deadline(text, expected):
    assert find_deadline(text, 2020) == expected


def test_item_deadline_overrides_year_end(tasklists, session):
    rows = sample_rows()
    rows[7][3] += "8月底前完成。"  # item 7
    tasklists.run(build_xlsx(rows), "a.xlsx")
    item = _items(session)[6]
    assert item.deadline == date(2020, 8, 31)
    assert {c.deadline for c in item.cases} == {date(2020, 8, 31)}


def test_bulk_registration_tells_each_unit_as_one_at_a_time(tasklists, tasklist_files, session,
                                                              world):
    """The import 挂号交办s all its cases at once: each unit's users still get one 新交办任务
    notice per case (and the e-mail they asked for), the importing 经办人 none."""
    from workflow.core import delivery
    from workflow.core.notifications import Notification
    from workflow.org.models import ensure_department

    unit, _ = ensure_department(session, "区委宣传部", "department")
    session.flush()
    staff = world.user("dept_officer", unit, "宣传部联络员")
    delivery.set_preferences(session, staff, email="xcb@example.gov.cn", muted=set(),
                             kinds={"assigned"})
    session.commit()
    tasklists.run(*tasklist_files["txt"])
    cases = session.scalars(select(Case).where(Case.department_id == unit.id)).all()
    assert cases and {c.status for c in cases} == {"assigned"}
    notes = session.scalars(select(Notification).where(Notification.user_id == staff.id)).all()
    assert sorted(n.case_id for n in notes) == sorted(c.id for c in cases)
    assert {n.kind for n in notes} == {"assigned"}
    assert all(n.title.startswith("新交办任务：WJ-2020-RW-") for n in notes)
    mails = session.scalars(select(delivery.MessageDelivery).where(
        delivery.MessageDelivery.user_id == staff.id)).all()
    assert sorted(m.case_id for m in mails) == sorted(c.id for c in cases)
    assert {(m.channel, m.target) for m in mails} == {("email", "xcb@example.gov.cn")}
    office = world.users["office_staff"]
    assert not session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == office.id, Notification.kind == "assigned"))
    for case in cases:  # version: created (1), then registered (2), as one at a time
        assert (case.version, case.audit_seq) == (2, 2)

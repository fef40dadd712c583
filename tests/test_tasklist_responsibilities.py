"""Who owes each item of the real 2020 list: responsibilities, per-unit targets, groups,
aliases and host bodies, the office's choices, plans across years (real database)."""
from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import func, select

from tests.factories_tasklist import FORMATS, row_counts
from tests.tasklist_builders import sample_bytes
from workflow.core.audit import AuditEvent, verify_all
from workflow.core.cases import Case
from workflow.org.aliases import DepartmentAlias, set_alias
from workflow.org.models import Department, ensure_group
from workflow.platform.errors import Forbidden, InvalidInput, RuleFailed
from workflow.tasklist.departments import parse_entries
from workflow.tasklist.expand import expand_groups
from workflow.tasklist.models import Plan, PlanItem, ResponsibilityTarget
from workflow.tasklist.targets import find_targets, match_targets

OTHERS_ITEMS = [19, 29, 30, 32, 33, 34, 35, 36, 38, 45, 46, 47, 48, 49, 50]  # "区应急管理局等部门"


def _items(session, plan_id=None) -> dict[int, PlanItem]:
    session.expire_all()
    plan = session.get(Plan, plan_id) if plan_id else session.scalar(select(Plan).order_by(Plan.id))
    return {i.seq: i for i in plan.active_items()}


def _roles(item) -> list[tuple]:
    return [(r.role, r.department.name if r.department else None, r.group_key, r.pending)
            for r in item.responsibilities]


# --- the parser ----------------------------------------------------------------------------

@pytest.mark.parametrize("cell, expected", [
    ("区委办\n区政府办", [("区委办", "lead", None), ("区政府办", "responsible", None)]),
    ("区应急管理局等部门", [("区应急管理局", "lead", None), ("等部门", "support", "等部门")]),
    ("区委宣传部\n各地、各安委会成员单位", [
        ("区委宣传部", "lead", None), ("各镇、开发区、街道", "responsible", "towns"),
        ("安委会成员单位", "responsible", "committee_members")]),
    ("区专治办和有关部门", [("区专治办", "lead", None), ("区相关部门", "responsible", "related")]),
    ("区应急管理局\n配合单位：区住建局、区公安分局", [
        ("区应急管理局", "lead", None), ("区住建局", "support", None), ("区公安分局", "support", None)]),
    ("区应急管理局、区住建局（配合）", [("区应急管理局", "lead", None), ("区住建局", "support", None)]),
    ("区人大办、区政协办", [("区人大办", "lead", None), ("区政协办", "responsible", None)]),
    ("负有安全生产监督管理职责的部门", [("负有安全生产监督管理职责的部门", "responsible", "supervising")]),
    ("区委办、区委办\n区委办（配合）", [("区委办", "lead", None)]),
])
def test_parse_entries(cell, expected):
    assert [(e.name, e.role, e.group) for e in parse_entries(cell)] == expected


def test_clause_to_unit_matching():
    text = "区委常委会（每年不少于2次）和政府常务会议（每年不少于4次）定期研究安全生产重点工作"
    found = match_targets(text, ["区委办", "区政府办"])
    assert [(t.count, t.period_years) for t in found["区委办"]] == [(2, 1)]
    assert [(t.count, t.period_years) for t in found["区政府办"]] == [(4, 1)]
    # one target: every unit owes it; no clause naming a unit: every unit owes the largest
    assert {u: [t.count for t in ts] for u, ts in match_targets("每年不少于3次", ["甲", "乙"]).items()} \
        == {"甲": [3], "乙": [3]}
    assert [t.count for t in match_targets("会议（每年2次）和检查（每年6次）", ["甲", "乙"])["乙"]] == [6]
    assert [(t.count, t.period_years) for t in find_targets("实现一届任期全面巡查全覆盖")] == [(1, 5)]


def test_a_cycle_is_due_in_its_last_year():
    target = ResponsibilityTarget(text="每3年开展一次", count=1, period_years=3, cycle_start_year=2020)
    assert [target.due_in(y) for y in (2020, 2021, 2022, 2023, 2025)] == [False, False, True, False, True]
    assert target.cycle(2024) == (2023, 2025)
    yearly = ResponsibilityTarget(text="每年2次", count=2, period_years=1, cycle_start_year=2020)
    assert yearly.due_in(2020) and yearly.cycle(2021) == (2021, 2021)


# --- the real list, all three formats --------------------------------------------------------

@pytest.mark.parametrize("fmt", FORMATS)
def test_item_3_gives_each_unit_its_own_target_and_case(fmt, tasklists, tasklist_files, session,
                                                        client, world):
    result = tasklists.run(*tasklist_files[fmt])
    third = _items(session)[3]
    targets = {r.department.name: [(t.count, t.period_years) for t in r.targets]
               for r in third.responsibilities}
    assert targets == {"区委办": [(2, 1)], "区政府办": [(4, 1)]}
    assert sorted(c.department.name for c in third.cases) == ["区委办", "区政府办"]
    assert {r.role for r in third.responsibilities} == {"lead", "responsible"}
    # the API gives the same, with the cell verbatim
    items = client.get(f"/api/v1/plans/{result.plan_id}/items",
                       headers=world.headers("office_staff")).json["items"]
    api = items[2]
    assert api["raw_departments"] == "区委办\n区政府办"
    assert [(r["department"], r["role"], r["targets"][0]["count"], r["case_id"] is not None)
            for r in api["responsibilities"]] == [("区委办", "lead", 2, True),
                                                  ("区政府办", "responsible", 4, True)]
    assert sorted(r["case_id"] for r in api["responsibilities"]) == sorted(api["case_ids"])
    assert api["target_count"] == 4  # the item's own field keeps its old meaning


@pytest.mark.parametrize("fmt", FORMATS)
def test_others_are_kept_as_support_on_the_15_items(fmt, tasklists, tasklist_files, session):
    tasklists.run(*tasklist_files[fmt])
    items = _items(session)
    found = [seq for seq, item in items.items() if item.raw_departments == "区应急管理局等部门"]
    assert found == OTHERS_ITEMS
    for seq in OTHERS_ITEMS:
        assert _roles(items[seq]) == [("lead", "区应急管理局", None, False),
                                      ("support", None, "等部门", False)], seq
        assert [c.department.name for c in items[seq].cases] == ["区应急管理局"]
    # "区应急管理局等部门" on a second line: 区应急管理局 owes it, the others support
    assert ("responsible", "区应急管理局", None, False) in _roles(items[2])
    assert ("support", None, "等部门", False) in _roles(items[39])


@pytest.mark.parametrize("fmt", FORMATS)
def test_item_1_groups_wait_then_expand_once(fmt, tasklists, tasklist_files, session, world, client):
    result = tasklists.run(*tasklist_files[fmt])
    first = _items(session)[1]
    assert _roles(first) == [("lead", "区委宣传部", None, False),
                             ("responsible", None, "towns", True),
                             ("responsible", None, "committee_members", True)]
    assert [c.department.name for c in first.cases] == ["区委宣传部"]
    # the members are filled: two towns, and the committee's members
    towns = [world.department(n, "town") for n in ("湖塘镇", "牛塘镇")]
    town_group = ensure_group(session, "towns", "各镇、开发区、街道")
    town_group.members.extend(towns)
    members = ensure_group(session, "committee_members", "安委会成员单位")
    members.members.extend([world.dept, world.other_dept])
    session.commit()
    resp = client.post(f"/api/v1/plans/{result.plan_id}/expand-groups",
                       headers=world.headers("office_staff"))
    assert resp.status_code == 200, resp.json
    body = resp.json
    item_1 = next(e for e in body["expanded"] if e["seq"] == 1)
    assert sorted(d for g in item_1["groups"] for d in g["departments"]) == [
        "区住建局", "区应急管理局", "湖塘镇", "牛塘镇"]
    first = _items(session)[1]
    assert sorted(c.department.name for c in first.cases) == [
        "区住建局", "区委宣传部", "区应急管理局", "湖塘镇", "牛塘镇"]
    members = [r for r in first.responsibilities if r.parent_id]
    assert len(members) == 4 and all(r.case_id and r.role == "responsible" for r in members)
    assert all([(t.count, t.period_years) for t in r.targets] == [(1, 1)] for r in members)
    assert not [r for r in first.responsibilities if r.pending]
    # audited: each new case was created and 挂号交办, every case of the item was told
    new_case = next(r.case_id for r in members if r.department.name == "湖塘镇")
    actions = session.scalars(select(AuditEvent.action).where(AuditEvent.case_id == new_case)
                              .order_by(AuditEvent.seq)).all()
    assert actions == ["create", "register", "group_expanded"]
    assert list(verify_all(session)) == []
    session.rollback()
    # a second expand creates nothing
    before = row_counts(session)
    again = client.post(f"/api/v1/plans/{result.plan_id}/expand-groups",
                        headers=world.headers("office_staff"))
    assert again.status_code == 200 and again.json["cases"] == 0 and again.json["expanded"] == []
    assert row_counts(session) == before
    # and a re-import of the same file neither undoes nor repeats the expansion
    assert not tasklists.run(*tasklist_files[fmt]).writes_anything
    assert row_counts(session) == before


def test_only_the_office_expands_groups(tasklists, tasklist_files, session, world, client):
    result = tasklists.run(*tasklist_files["txt"])
    assert client.post(f"/api/v1/plans/{result.plan_id}/expand-groups",
                       headers=world.headers("dept_officer")).status_code == 403
    assert client.post("/api/v1/plans/9999/expand-groups",
                       headers=world.headers("office_staff")).status_code == 404
    with pytest.raises(Forbidden):
        expand_groups(session, result.plan_id, world.users["office_director"])


# --- names: aliases, host bodies, the office's choices ----------------------------------------

def test_unknown_names_are_offered_never_created(tasklists, tasklist_files, session):
    before = row_counts(session)
    preview = tasklists.run(*tasklist_files["txt"], dry_run=True, create_unknown=False)
    unknown = {u["name"]: u["items"] for u in preview.unknown_names}
    assert unknown["区专治办"] == [22, 23, 24, 25]
    assert unknown["区政府事故调查组"] == [44] and unknown["各地网格办"] == [18]
    with pytest.raises(RuleFailed) as info:
        tasklists.run(*tasklist_files["txt"], create_unknown=False)
    assert info.value.rules == ["unknown_names"] and "区专治办" in info.value.message
    session.rollback()
    assert row_counts(session) == before


def test_an_alias_resolves_before_any_department_is_made(tasklists, tasklist_files, session, world):
    target = world.department("区交通运输局")
    set_alias(session, world.users["office_staff"], "区交通局", "区交通运输局")
    session.commit()
    preview = tasklists.run(*tasklist_files["docx"], dry_run=True, create_unknown=False)
    assert "区交通局" not in {u["name"] for u in preview.unknown_names}
    tasklists.run(*tasklist_files["docx"])
    assert session.scalar(select(Department).where(Department.name == "区交通局")) is None
    items = _items(session)
    for seq in (28, 31):
        row = next(r for r in items[seq].responsibilities if r.name == "区交通局")
        assert row.department_id == target.id and row.role == "responsible" and row.case_id
    assert "区交通运输局" in [d.name for d in items[28].co_departments]  # old field, resolved


def test_a_host_body_maps_to_its_host_and_the_choice_is_reused(tasklists, tasklist_files, session,
                                                               world):
    choices = {"names": {"区专治办": {"action": "host", "department": "区安委办"},
                         "区政府事故调查组": {"action": "host", "department": "区应急管理局"},
                         "各地网格办": {"action": "skip"}},
               "items": {"5": [{"name": "区委办", "role": "lead", "group": None},
                               {"name": "区政府办", "role": "responsible", "group": None},
                               {"name": "区委组织部（考核办）", "role": "support", "group": None}]}}
    first = tasklists.run(*tasklist_files["xlsx"], choices=choices)
    for name in ("区专治办", "区政府事故调查组", "各地网格办"):
        assert session.scalar(select(Department).where(Department.name == name)) is None, name
    alias = session.scalar(select(DepartmentAlias).where(DepartmentAlias.alias == "区专治办"))
    assert alias.kind == "host" and alias.department.name == "区安委办"
    items = _items(session)
    assert [(r.name, r.department.name, r.role) for r in items[22].responsibilities[:1]] == [
        ("区专治办", "区安委办", "lead")]
    assert [c.department.name for c in items[22].cases] == ["区安委办"]
    assert [r.name for r in items[18].responsibilities] == ["区政法委"]  # 各地网格办: not assigned
    assert items[18].raw_departments == "区政法委\n各地网格办"
    assert [(r.role, r.department.name) for r in items[5].responsibilities] == [
        ("lead", "区委办"), ("responsible", "区政府办"), ("support", "区委组织部（考核办）")]
    assert sorted(c.department.name for c in items[5].cases) == ["区委办", "区政府办"]
    # the same file again, without choices: the stored ones apply, nothing changes
    before = row_counts(session)
    again = tasklists.run(*tasklist_files["xlsx"], create_unknown=False)
    assert again.stored_choices and not again.writes_anything and not again.unknown_names
    assert row_counts(session) == before
    assert first.choices["items"]["5"][2]["role"] == "support"


def test_a_split_changed_on_reimport_keeps_each_units_case(tasklists, tasklist_files, session):
    tasklists.run(*tasklist_files["txt"])
    items = _items(session)
    kept = {c.department.name: c.id for c in items[3].cases}
    choices = {"items": {"3": [{"name": "区委办", "role": "lead", "group": None},
                               {"name": "区政府办", "role": "responsible", "group": None},
                               {"name": "区应急管理局", "role": "support", "group": None}]}}
    preview = tasklists.run(*tasklist_files["txt"], dry_run=True, choices=choices)
    assert preview.split_changes == 1 and not preview.cases
    result = tasklists.run(*tasklist_files["txt"], choices=choices)
    assert result.applied and not result.has_changes
    third = _items(session)[3]
    assert {c.department.name: c.id for c in third.cases} == kept
    assert [(r.role, r.department.name) for r in third.responsibilities] == [
        ("lead", "区委办"), ("responsible", "区政府办"), ("support", "区应急管理局")]
    case = session.get(Case, kept["区委办"])
    assert [d.name for d in case.co_departments] == ["区应急管理局"]
    last = session.scalar(select(AuditEvent).where(AuditEvent.case_id == case.id)
                          .order_by(AuditEvent.seq.desc()).limit(1))
    assert last.action == "responsibilities_changed"


def test_choices_are_checked(tasklists, tasklist_files):
    for bad in ({"names": {"区专治办": {"action": "rename"}}},
                {"items": {"x": []}},
                {"items": {"3": [{"name": "区委办", "role": "boss"}]}},
                {"targets": {"3": {"区委办": [{"count": 0}]}}},
                {"names": {"区专治办": {"action": "host", "department": "不存在的单位"}}},
                {"other": {}}):
        with pytest.raises(InvalidInput) as info:
            tasklists.run(*tasklist_files["txt"], dry_run=True, choices=bad)
        assert info.value.field == "choices", bad


# --- targets: not met without a reason is refused --------------------------------------------

def _to_in_progress(world, session, case_id, who):
    case = session.get(Case, case_id)
    world.step(case, "accept", who)
    world.evidence(case, who=who, name="会议纪要.png", category="report")
    return case


def test_reporting_completion_with_a_target_not_met_needs_a_reason(tasklists, tasklist_files,
                                                                  session, world, client):
    tasklists.run(*tasklist_files["txt"])
    items = _items(session)
    qwb = session.scalar(select(Department).where(Department.name == "区委办"))
    world.users["qwb"] = world.user("dept_officer", qwb, "区委办联络员")
    world.users["qwb_head"] = world.user("dept_head", qwb, "区委办主任")
    case_id = next(c.id for c in items[3].cases if c.department_id == qwb.id)
    case = _to_in_progress(world, session, case_id, "qwb")
    headers = world.headers("qwb_head")
    resp = client.post(f"/api/v1/cases/{case_id}/transitions", headers=headers,
                       json={"trigger": "report", "version": case.version,
                             "statement": "全年召开常委会1次专题研究安全生产"})
    assert resp.status_code == 422 and resp.json["rules"] == ["target_not_met"]
    assert "target_not_met" in resp.json["message"]
    session.rollback()
    case = session.get(Case, case_id)
    resp = client.post(f"/api/v1/cases/{case_id}/transitions", headers=headers, json={
        "trigger": "report", "version": case.version,
        "statement": "全年召开常委会1次专题研究安全生产",
        "target_reason": "下半年常委会改为专题会议研究，已在工作进展中说明"})
    assert resp.status_code == 200, resp.json
    event = session.scalar(select(AuditEvent).where(AuditEvent.case_id == case_id,
                                                    AuditEvent.action == "report"))
    assert event.payload["target_reason"].startswith("下半年常委会")
    session.rollback()  # read the chain as stored, not the case as this session last saw it
    assert list(verify_all(session)) == []


def test_a_year_inside_a_longer_cycle_is_not_behind(tasklists, tasklist_files, session, world):
    tasklists.run(*tasklist_files["txt"])
    item = _items(session)[2]  # 每3年开展一次 (2020–2022): 2020 is inside the cycle
    case_id = next(c.id for c in item.cases if c.department_id == world.dept.id)
    case = _to_in_progress(world, session, case_id, "dept_officer")
    world.step(case, "report", "dept_head", statement="已制定研讨班计划，2022年前举办")
    assert session.get(Case, case_id).status == "reported"


# --- plans: kinds, years, milestones --------------------------------------------------------

def test_a_campaign_across_years_next_to_the_annual_list(tasklists, tasklist_files, session):
    annual = tasklists.run(*tasklist_files["txt"])
    stones = [{"name": "动员部署", "starts_on": "2020-04-01", "ends_on": "2020-05-31"},
              {"name": "排查整治", "starts_on": "2020-06-01", "ends_on": "2020-12-31"},
              {"name": "集中攻坚", "starts_on": "2021-01-01", "ends_on": "2021-12-31"},
              {"name": "巩固提升", "starts_on": "2022-01-01", "ends_on": "2022-12-31"}]
    campaign = tasklists.run(*tasklist_files["docx"], kind="campaign", end_year=2022,
                             title="安全生产专项整治三年行动", milestones=stones)
    assert campaign.plan_id != annual.plan_id and not campaign.plan_exists
    plan = session.get(Plan, campaign.plan_id)
    body = plan.to_dict()
    assert (body["kind"], body["start_year"], body["end_year"]) == ("campaign", 2020, 2022)
    assert [m["name"] for m in body["milestones"]] == ["动员部署", "排查整治", "集中攻坚", "巩固提升"]
    assert {c.deadline for i in plan.active_items() for c in i.cases} == {date(2022, 12, 31)}
    # re-import of the same file into the same plan changes nothing
    before = row_counts(session)
    again = tasklists.run(*tasklist_files["docx"], plan_id=campaign.plan_id, milestones=stones)
    assert not again.writes_anything and row_counts(session) == before
    again = tasklists.run(*tasklist_files["docx"], year=2020, kind="campaign")
    assert again.plan_id == campaign.plan_id and not again.writes_anything
    assert session.scalar(select(func.count()).select_from(Plan)) == 2
    with pytest.raises(InvalidInput) as info:
        tasklists.run(*tasklist_files["docx"], kind="campaign", end_year=2022, new_plan=True,
                      milestones=[{"name": "x", "starts_on": "2019-01-01", "ends_on": "2020-01-01"}])
    assert info.value.field == "milestones"


def test_api_import_with_choices_and_plan_fields(client, world, session):
    import io
    choices = {"names": {"区专治办": {"action": "host", "department": "区安委办"}}}
    resp = client.post("/api/v1/plans/import", headers=world.headers("office_staff"),
                       content_type="multipart/form-data",
                       data={"file": (io.BytesIO(sample_bytes()), "wujin.txt"), "year": "2020",
                             "dry_run": "true", "choices": json.dumps(choices, ensure_ascii=False),
                             "kind": "key_points"})
    assert resp.status_code == 200, resp.json
    body = resp.json
    assert body["kind"] == "key_points" and "区专治办" not in {u["name"] for u in body["unknown_names"]}
    third = next(i for i in body["items_preview"] if i["seq"] == 3)
    assert [(r["name"], r["targets"][0]["count"]) for r in third["responsibilities"]] == [
        ("区委办", 2), ("区政府办", 4)]
    bad = client.post("/api/v1/plans/import", headers=world.headers("office_staff"),
                      content_type="multipart/form-data",
                      data={"file": (io.BytesIO(sample_bytes()), "wujin.txt"), "year": "2020",
                            "choices": "{not json"})
    assert bad.status_code == 400 and bad.json["field"] == "choices"


def test_cli_alias_and_dry_run_per_item(runner, world, session):
    for name in ("区交通运输局", "区委办", "区政府办"):
        world.department(name)
    session.commit()
    out = runner.invoke(args=["departments", "alias", "区交通局", "区交通运输局"])
    assert out.exit_code == 0, out.output
    out = runner.invoke(args=["departments", "alias", "区专治办", "区安委办", "--host"])
    assert out.exit_code == 0 and "由区安委办承办" in out.output
    assert runner.invoke(args=["departments", "alias", "区住建局", "区安委办"]).exit_code == 1
    out = runner.invoke(args=["departments", "aliases"])
    assert "区交通局\talias\t区交通运输局" in out.output
    out = runner.invoke(args=["import-tasklist", "data/wujin-2020-task-list.txt", "--year", "2020",
                              "--dry-run"])
    assert out.exit_code == 0, out.output
    assert "第3项　牵头：区委办［每年不少于2次：2次/1年］＊　责任：区政府办［每年不少于4次：4次/1年］＊" \
        in out.output
    assert "区交通局→区交通运输局" in out.output and "区专治办→区安委办" in out.output
    assert "未登记的名称“区政府事故调查组”" in out.output


def test_preview_page_takes_target_and_name_choices(client, world, session):
    import io
    import re

    from tests.factories_tasklist import browser_login
    token = browser_login(client, world.users["office_staff"])
    resp = client.post("/plans/preview", data={
        "csrf_token": token, "year": "2020", "file": (io.BytesIO(sample_bytes()), "a.txt")},
        content_type="multipart/form-data")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    sha = re.search(r'name="sha256" value="([0-9a-f]{64})"', html).group(1)
    shown = re.search(r'name="targets:3" value=\'([^\']*)\'', html).group(1)
    assert json.loads(shown)["区政府办"][0]["count"] == 4
    form = {"csrf_token": token, "sha256": sha, "year": "2020", "filename": "a.txt",
            "targets:3": shown, "target:3:区委办": "2", "target:3:区政府办": "5",
            "name:区专治办": f"host:{world.office.id}", "create_unknown": "1"}
    resp = client.post("/plans/confirm", data=form)
    assert resp.status_code == 302, resp.get_data(as_text=True)
    third = _items(session)[3]
    assert {r.department.name: [t.count for t in r.targets] for r in third.responsibilities} == {
        "区委办": [2], "区政府办": [5]}
    assert session.scalar(select(Department).where(Department.name == "区专治办")) is None
    session.rollback()  # SQLite: release the lock before the next request
    # confirming without an answer for a new name shows the preview again with the rule
    resp = client.post("/plans/preview", data={
        "csrf_token": token, "year": "2021", "file": (io.BytesIO(sample_bytes()), "a.txt")},
        content_type="multipart/form-data")
    html = resp.get_data(as_text=True)
    assert "已沿用上次导入同一文件时区安委办所作的选择" in html  # nothing unknown this time
    sha = re.search(r'name="sha256" value="([0-9a-f]{64})"', html).group(1)
    entries = re.search(r'name="entries:1" value=\'([^\']*)\'', html).group(1)
    roles = re.search(r'name="shown:1" value=\'([^\']*)\'', html).group(1)
    resp = client.post("/plans/confirm", data={"csrf_token": token, "sha256": sha, "year": "2021",
                                               "filename": "a.txt", "entries:1": entries,
                                               "shown:1": roles, "add:1": "区不存在的单位"})
    assert resp.status_code == 422 and "unknown_names" in resp.get_data(as_text=True)
    assert 'name="name:区不存在的单位"' in resp.get_data(as_text=True)


def test_aliases_page_for_admin_and_office_only(client, world, session, app):
    from tests.factories_tasklist import browser_login
    target = world.department("区交通运输局")
    session.commit()
    other = app.test_client()
    browser_login(other, world.users["dept_officer"])
    assert other.get("/department-aliases").status_code == 403
    token = browser_login(client, world.users["office_staff"])
    assert client.get("/department-aliases").status_code == 200
    resp = client.post("/department-aliases", data={"csrf_token": token, "alias": "区交通局",
                                                    "kind": "alias", "department_id": target.id})
    assert resp.status_code == 302, resp.get_data(as_text=True)
    resp = client.post("/department-aliases", data={"csrf_token": token, "alias": "区住建局",
                                                    "kind": "alias", "department_id": target.id})
    assert resp.status_code == 400 and "已有名为“区住建局”的部门" in resp.get_data(as_text=True)
    page = client.get("/department-aliases").get_data(as_text=True)
    assert "区交通局" in page and "区交通运输局" in page
    session.rollback()
    alias = session.scalar(select(DepartmentAlias))
    assert (alias.alias, alias.department_id, alias.kind) == ("区交通局", target.id, "alias")
    session.rollback()


def test_report_form_asks_for_the_reason_on_a_task_page(tasklists, tasklist_files, session, world,
                                                        pages):
    tasklists.run(*tasklist_files["txt"])
    qwb = session.scalar(select(Department).where(Department.name == "区委办"))
    case_id = next(c.id for c in _items(session)[3].cases if c.department_id == qwb.id)
    # users made after the reads above stay loaded: the login below reads no expired row
    world.users["qwb"] = world.user("dept_officer", qwb, "区委办联络员")
    world.users["qwb_head"] = world.user("dept_head", qwb, "区委办主任")
    case = _to_in_progress(world, session, case_id, "qwb")
    version = case.version
    session.commit()
    head = pages("qwb_head")
    page = head.get(f"/cases/{case_id}").text
    assert 'name="target_reason"' in page and 'id="target-progress">0/2<' in page
    resp = head.post(f"/cases/{case_id}/actions/report", {"version": version,
                                                          "statement": "召开常委会1次"})
    assert resp.status_code == 422 and "量化目标尚未完成" in resp.text
    resp = head.post(f"/cases/{case_id}/actions/report", {
        "version": version, "statement": "召开常委会1次", "target_reason": "第二次会议延至明年一月",
        "comment": "请审核"})
    assert resp.status_code == 302, resp.text
    session.expire_all()
    assert session.get(Case, case_id).status == "reported"
    session.rollback()

"""属地 hierarchy through the API: 镇 → 村 → 网格 delegation, children_open, the child's
evidence on its parent, a neighbour village refused (404), roll-up of the figures, and
属地 + 行业 both seeing and working on the same case."""
from __future__ import annotations

from datetime import timedelta

from tests.factories import png_bytes
from workflow.platform.base import local_today


def _post(client, world, who, url, **body):
    return client.post(url, headers=world.headers(who), json=body)


def _step(client, world, who, case_id, trigger, **extra):
    version = client.get(f"/api/v1/cases/{case_id}", headers=world.headers(who)).json["version"]
    return _post(client, world, who, f"/api/v1/cases/{case_id}/transitions", trigger=trigger,
                 version=version, **extra)


def _evidence(client, world, who, case_id, color=(10, 20, 30)):
    resp = client.post(f"/api/v1/cases/{case_id}/evidence", headers=world.headers(who), data={
        "category": "after", "file": (__import__("io").BytesIO(png_bytes(color)), "整改后.png")},
        content_type="multipart/form-data")
    assert resp.status_code == 201, resp.json
    return resp.json


def test_town_village_grid_walk(client, world, territory):
    t = territory
    ent = t.enterprise()
    deadline = (local_today() + timedelta(days=20)).isoformat()
    resp = _post(client, world, "office_staff", "/api/v1/cases", title="冲压机光电保护装置失效",
                 description="3号冲压机光电保护装置被短接", source="patrol", grade="general",
                 department_id=world.dept.id, territorial_unit_id=t.town.id,
                 credit_code=ent.credit_code, deadline=deadline, clue_type="hazard",
                 hazard_category="object", rectification_type="deadline")
    assert resp.status_code == 201, resp.json
    parent = resp.json
    assert parent["enterprise_id"] == ent.id  # found by its credit code
    assert parent["responsible_unit"] == ent.name
    pid = parent["id"]
    assert _step(client, world, "office_staff", pid, "register").status_code == 200
    # 属地 + 行业: the town sees the 行业 department's case, and so does the department
    assert client.get(f"/api/v1/cases/{pid}", headers=world.headers("town_officer")).status_code == 200
    assert _step(client, world, "dept_officer", pid, "accept").status_code == 200

    # the town passes it down to its village, the village to its grid
    resp = _post(client, world, "town_officer", f"/api/v1/cases/{pid}/delegate",
                 unit_id=t.village.id, comment="请马杭村督促企业整改")
    assert resp.status_code == 201, resp.json
    child = resp.json
    assert child["parent_case_id"] == pid and child["status"] == "assigned"
    assert child["department_id"] == t.village.id and child["enterprise_id"] == ent.id
    got = client.get(f"/api/v1/cases/{pid}", headers=world.headers("town_officer")).json
    assert got["child_case_ids"] == [child["id"]]
    # a town cannot hand it to a unit that is not its own, nor a village upwards
    assert _post(client, world, "town_officer", f"/api/v1/cases/{pid}/delegate",
                 unit_id=world.other_dept.id).json["rules"] == ["delegate_below_only"]
    notes = client.get("/api/v1/notifications", headers=world.headers("village_officer")).json
    assert any("上级交办" in n["title"] for n in notes["items"])
    assert _step(client, world, "village_officer", child["id"], "accept").status_code == 200
    resp = _post(client, world, "village_officer", f"/api/v1/cases/{child['id']}/delegate",
                 unit_id=t.grid.id)
    assert resp.status_code == 201, resp.json
    grand = resp.json

    # who sees what: a neighbouring village sees none of it (404), the grid only its own
    for cid in (pid, child["id"], grand["id"]):
        assert client.get(f"/api/v1/cases/{cid}",
                          headers=world.headers("neighbour_head")).status_code == 404
    assert client.get(f"/api/v1/cases/{child['id']}",
                      headers=world.headers("grid_officer")).status_code == 404
    assert client.get(f"/api/v1/cases/{grand['id']}",
                      headers=world.headers("village_head")).status_code == 200
    listed = client.get("/api/v1/cases", headers=world.headers("neighbour_head")).json["items"]
    assert listed == []
    assert _post(client, world, "neighbour_head", f"/api/v1/cases/{child['id']}/transitions",
                 trigger="report", version=child["version"],
                 statement="x").status_code == 404

    # the grid works; the village cannot report while the grid's case is open
    assert _step(client, world, "grid_officer", grand["id"], "accept").status_code == 200
    _evidence(client, world, "grid_officer", grand["id"], (1, 2, 3))
    assert _step(client, world, "grid_head", grand["id"], "report",
                 statement="光电保护已恢复").status_code == 200
    _evidence(client, world, "village_officer", child["id"], (4, 5, 6))
    blocked = _step(client, world, "village_head", child["id"], "report", statement="已督促整改")
    assert blocked.status_code == 422 and blocked.json["rules"] == ["children_open"]
    # the delegating village checks and closes the grid's work (not the office)
    assert _step(client, world, "office_staff", grand["id"], "verify").status_code == 403
    assert _step(client, world, "village_officer", grand["id"], "verify").status_code == 200
    assert _step(client, world, "village_head", grand["id"], "close").status_code == 200
    assert _step(client, world, "village_head", child["id"], "report",
                 statement="已督促整改").status_code == 200

    # the parent is still blocked while the village's case is open
    _evidence(client, world, "dept_officer", pid, (7, 8, 9))
    blocked = _step(client, world, "dept_head", pid, "report", statement="整改完成")
    assert blocked.status_code == 422 and "children_open" in blocked.json["rules"]
    actions = client.get(f"/api/v1/cases/{pid}", headers=world.headers("dept_head")).json["actions"]
    assert next(a for a in actions if a["trigger"] == "report")["reasons"] == ["children_open"]
    # the child's evidence is visible on the parent
    ev = client.get(f"/api/v1/cases/{pid}/evidence", headers=world.headers("dept_head")).json
    assert [e["case_id"] for e in ev["child_items"]] == [child["id"]]
    assert _step(client, world, "town_officer", child["id"], "verify").status_code == 200
    assert _step(client, world, "town_head", child["id"], "close").status_code == 200
    assert _step(client, world, "dept_head", pid, "report", statement="整改完成").status_code == 200

    # both chains record the delegation
    events = client.get(f"/api/v1/cases/{pid}/events", headers=world.headers("office_staff")).json
    assert any(e.get("trigger") == "delegate" or e.get("action") == "delegate"
               for e in events["items"])

    # figures roll up: the town's row counts its own case once (its village's child is the same
    # matter); the village row counts the village's case and the grid's below it once
    year = str(local_today().year)
    rows = client.get(f"/api/v1/kpis/units?period={year}",
                      headers=world.headers("office_staff")).json["items"]
    by_unit = {r["unit_id"]: r for r in rows}
    assert by_unit[t.town.id]["registered"] == 1
    assert by_unit[t.village.id]["registered"] == 1 and by_unit[t.village.id]["closed"] == 1
    assert by_unit[t.grid.id]["registered"] == 1 and by_unit[t.grid.id]["closed"] == 1
    assert by_unit[t.neighbour.id]["registered"] == 0
    assert [r["depth"] for r in rows if r["unit_id"] in (t.town.id, t.village.id, t.grid.id)] == [0, 1, 2]
    # a village user reads its own tree, not the town's nor a neighbour's
    assert client.get(f"/api/v1/kpis/units?period={year}&unit_id={t.village.id}",
                      headers=world.headers("village_head")).status_code == 200
    assert client.get(f"/api/v1/kpis/units?period={year}&unit_id={t.town.id}",
                      headers=world.headers("village_head")).status_code == 403
    assert client.get(f"/api/v1/kpis/units?period={year}&unit_id={t.neighbour.id}",
                      headers=world.headers("village_head")).status_code == 403
    # the district figures count the matter once; cut by 属地 unit, each unit has its row
    district = client.get(f"/api/v1/kpis?scope=district&period={year}",
                          headers=world.headers("office_staff")).json["items"]
    assert district[0]["registered"] == 1
    cut = client.get(f"/api/v1/kpis?scope=territorial_unit&period={year}",
                     headers=world.headers("office_staff")).json["items"]
    assert {r["key"]: r["registered"] for r in cut} == {t.town.id: 1, t.village.id: 1,
                                                        t.grid.id: 1}


def test_duties_set_by_office_and_territorial_unit_works_the_case(client, world, territory):
    t = territory
    case = world.case_at("in_progress", territorial_unit_id=t.village.id)
    resp = client.put(f"/api/v1/cases/{case.id}/duties", headers=world.headers("town_officer"),
                      json={"territorial_duties": ["onsite_review"]})
    assert resp.status_code == 403
    resp = client.put(f"/api/v1/cases/{case.id}/duties", headers=world.headers("office_staff"),
                      json={"territorial_duties": ["onsite_review", "supervision"],
                            "industry_duties": ["acceptance"]})
    assert resp.status_code == 200, resp.json
    assert resp.json["territorial_duties"] == ["onsite_review", "supervision"]
    assert resp.json["industry_duties"] == ["acceptance"]
    # the 属地 village sees the case and may add its 复查 evidence; the 行业 department reports
    assert client.get(f"/api/v1/cases/{case.id}",
                      headers=world.headers("village_officer")).status_code == 200
    _evidence(client, world, "village_officer", case.id)
    assert client.get(f"/api/v1/cases/{case.id}",
                      headers=world.headers("neighbour_head")).status_code == 404
    assert _step(client, world, "village_head", case.id, "report",
                 statement="x").status_code == 403


def test_case_list_and_ledger_filter_by_territorial_unit_and_enterprise(client, world, territory):
    t = territory
    ent = t.enterprise()
    in_grid = world.problem(territorial_unit_id=t.grid.id, credit_code=ent.credit_code)
    world.problem(territorial_unit_id=t.neighbour.id)
    world.problem()
    office = world.headers("office_staff")
    town = client.get(f"/api/v1/cases?territorial_unit_id={t.town.id}", headers=office).json
    assert len(town["items"]) == 2  # the town includes its villages and grids
    village = client.get(f"/api/v1/cases?territorial_unit_id={t.village.id}", headers=office).json
    assert [c["id"] for c in village["items"]] == [in_grid.id]
    by_ent = client.get(f"/api/v1/cases?enterprise_id={ent.id}", headers=office).json
    assert [c["id"] for c in by_ent["items"]] == [in_grid.id]
    resp = client.get(f"/api/v1/ledger.xlsx?territorial_unit_id={t.village.id}", headers=office)
    assert resp.status_code == 200


def test_figures_cut_by_the_ledger_categories(client, world, territory):
    from workflow.platform.base import local_today

    world.case_at("assigned", hazard_category="object", clue_type="hazard")
    world.case_at("assigned", hazard_category="object", clue_type="hazard")
    world.case_at("assigned", hazard_category="management", clue_type="hazard")
    year = local_today().year
    rows = client.get(f"/api/v1/kpis?scope=hazard_category&period={year}",
                      headers=world.headers("office_staff")).json["items"]
    assert {r["label"]: r["registered"] for r in rows} == {"物的不安全状态": 2, "管理缺陷": 1}


def test_a_town_user_filters_its_own_tree(client, world, territory):
    t = territory
    mine = world.problem(territorial_unit_id=t.grid.id)
    world.problem(territorial_unit_id=t.neighbour.id)
    resp = client.get(f"/api/v1/cases?territorial_unit_id={t.village.id}",
                      headers=world.headers("town_officer"))
    assert resp.status_code == 200 and [c["id"] for c in resp.json["items"]] == [mine.id]
    assert client.get(f"/api/v1/ledger.xlsx?territorial_unit_id={t.village.id}",
                      headers=world.headers("village_head")).status_code == 200

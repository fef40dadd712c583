"""The enterprise page after three hazards across two years shows the repeat finding; the
register, the case page's 属地 panel and the roll-up page render for the users who read them."""
from __future__ import annotations

from datetime import date, timedelta

from tests.factories_territory import CODES
from workflow.platform.base import local_today


def test_enterprise_page_shows_repeat_finding_after_three_hazards_in_two_years(
        client, world, territory, pages):
    t = territory
    ent = t.enterprise(name="常州市武进区马杭化工有限公司", code=CODES[4], industry="危险化学品",
                       above_scale=True, key_supervision=True)
    this_year = local_today().year
    # 2 years: an object hazard last year, the same category again 10 months later, and a
    # management hazard (a different category: not a repeat)
    first = date(this_year - 1, 3, 10)
    dates = [(first, "object", "储罐区可燃气体报警器失效"),
             (first + timedelta(days=300), "object", "储罐液位计损坏"),
             (first + timedelta(days=320), "management", "未建立隐患排查治理台账")]
    dates = [(min(d, local_today()), c, title) for d, c, title in dates]
    ids = []
    for found, category, title in dates:
        case = world.problem(title=title, description=title, found_on=found.isoformat(),
                             credit_code=ent.credit_code, hazard_category=category,
                             clue_type="hazard", territorial_unit_id=t.village.id)
        assert case.enterprise_id == ent.id
        ids.append(case.id)
    doc = client.get(f"/api/v1/enterprises/{ent.id}", headers=world.headers("office_staff")).json
    assert [r["case_id"] for r in doc["repeat_findings"]] == [ids[1]]
    assert doc["repeat_findings"][0]["previous_case_id"] == ids[0]
    assert doc["cases"]["total"] == 3 and doc["cases"]["by_status"]["draft"]["count"] == 3
    years = {y["year"]: y["count"] for y in doc["counts_by_year"]}
    assert sum(years.values()) == 3
    assert sorted(years) == sorted({d.year for d, _c, _t in dates})
    office = pages("office_staff")
    page = office.get(f"/enterprises/{ent.id}")
    assert page.status_code == 200
    html = page.text
    assert "重复发现" in html and f'data-case-id="{ids[1]}"' in html
    assert "物的不安全状态" in html and "管理缺陷" in html
    # the register lists it under its town (a town includes its villages)
    listing = office.get(f"/enterprises?town_id={t.town.id}")
    assert ent.name in listing.text
    assert client.get(f"/api/v1/enterprises?town_id={t.neighbour.id}",
                      headers=world.headers("office_staff")).json["items"] == []


def test_case_page_register_panel_and_rollup_page(world, territory, pages):
    t = territory
    case = world.case_at("in_progress", territorial_unit_id=t.town.id)
    page = pages("town_officer").get(f"/cases/{case.id}")
    assert page.status_code == 200 and 'id="form-delegate"' in page.text
    assert "湖塘镇马杭村" in page.text and "马杭村第三网格" in page.text
    office = pages("office_staff")
    assert 'id="form-duties"' in office.get(f"/cases/{case.id}").text
    rollup = office.get("/kpis/units")
    assert rollup.status_code == 200 and f'data-unit-id="{t.grid.id}"' in rollup.text


def test_case_form_names_a_bad_check_character_beside_the_field(world, territory, pages):
    office = pages("office_staff")
    office.get("/cases/new")
    good = CODES[0]
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    form = {"title": "配电箱未接地", "description": "配电箱外壳未接地", "source": "patrol",
            "grade": "general", "department_id": str(world.dept.id), "deadline": "2099-01-01",
            "then": "save"}
    resp = office.post("/cases/new", {**form, "credit_code": bad})
    assert resp.status_code == 422 and 'id="err-case-credit_code"' in resp.text
    assert "GB 32100-2015" in resp.text
    # a problem clue without a grade, registered by an unknown valid code: the enterprise is proposed
    resp = office.post("/cases/new", {**form, "grade": "", "clue_type": "problem",
                                      "credit_code": CODES[5], "responsible_unit": "常州某新厂"},
                       follow_redirects=True)
    assert resp.status_code == 200 and "尚未登记为生产经营单位" in resp.text

"""镇 → 村 → 网格 in a real browser, as each person: the town passes its case to a village, the
village to its grid; the village and the 行业 department are held by children_open until the
level below is 销号; the child's evidence shows on the parent; the roll-up page counts each
level; a neighbouring village gets 404 on the village's case."""
from __future__ import annotations

import pytest

from tests.factories import png_bytes
from tests.test_pages_browser import act, badge, offered, refused, upload_photo
from workflow.platform.errors import RULE_MESSAGES

pytestmark = pytest.mark.browser


def delegate(page, unit) -> str:
    """Pass the open case down through the page's form; returns the child's path."""
    form = page.locator("#form-delegate")
    assert unit.name in form.locator("[name=unit_id]").inner_text()
    form.locator("[name=unit_id]").select_option(str(unit.id))
    form.locator("[name=comment]").fill("请落实属地督促责任")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    assert "已交办下级" in page.locator(".flash").inner_text()
    href = page.locator("#child-cases a").last.get_attribute("href")
    return href


def test_town_village_grid_in_the_browser(open_as, world, territory):
    t = territory
    ent = t.enterprise()
    parent = world.case_at("in_progress", territorial_unit_id=t.town.id,
                           credit_code=ent.credit_code, hazard_category="object",
                           clue_type="hazard")
    parent_path = f"/cases/{parent.id}"

    town, town_watch = open_as("town_officer")
    town.goto(parent_path)
    assert "湖塘镇" in town.locator("#field-territorial-unit").inner_text()
    assert ent.name in town.locator("#field-enterprise").inner_text()
    child_path = delegate(town, t.village)

    village, _ = open_as("village_officer")
    village.goto(child_path)
    assert badge(village) == "已交办"
    assert parent_path in village.locator("#parent-link a").get_attribute("href")
    act(village, "accept")
    grand_path = delegate(village, t.grid)

    # the neighbouring village is told nothing exists
    neighbour, _ = open_as("neighbour_head")
    for path in (child_path, grand_path, parent_path):
        assert neighbour.goto(path).status == 404

    grid, _ = open_as("grid_officer")
    grid.goto(grand_path)
    act(grid, "accept")
    upload_photo(grid, png_bytes((200, 10, 10), (40, 30)), "网格整改后.png")
    grid_head, _ = open_as("grid_head")
    grid_head.goto(grand_path)
    act(grid_head, "report", statement="光电保护装置已恢复", comment="已按要求整改到位，请予核查")
    assert badge(grid_head) == "已上报(待核查)"

    # the village cannot report while its grid's case is open
    village.goto(child_path)
    upload_photo(village, png_bytes((10, 200, 10), (40, 30)), "村督促记录.png")
    village_head, _ = open_as("village_head")
    village_head.goto(child_path)
    assert RULE_MESSAGES["children_open"] in refused(village_head)["report"]
    # the village (which passed it down) checks and closes the grid's case
    village.goto(grand_path)
    assert "verify" in offered(village)
    act(village, "verify", comment="经现场核查，整改到位")
    village_head.goto(grand_path)
    act(village_head, "close", comment="同意销号")
    assert badge(village_head) == "已销号"
    village_head.goto(child_path)
    assert "report" in offered(village_head)
    act(village_head, "report", statement="已督促企业整改到位", comment="请镇安监办核查")

    # the 行业 department's parent is held while the village's case is open, and shows its evidence
    dept_head, _ = open_as("dept_head")
    dept_head.goto(parent_path)
    assert RULE_MESSAGES["children_open"] in refused(dept_head)["report"]
    assert "村督促记录.png" in dept_head.locator("#child-evidence").inner_text()
    town.goto(child_path)
    act(town, "verify", comment="经核查，村级督促到位")
    town_head, _ = open_as("town_head")
    town_head.goto(child_path)
    act(town_head, "close", comment="同意销号")
    officer, _ = open_as("dept_officer")
    officer.goto(parent_path)
    upload_photo(officer, png_bytes((10, 10, 200), (40, 30)), "企业整改后.png")
    dept_head.goto(parent_path)
    assert "report" in offered(dept_head)
    act(dept_head, "report", statement="企业已完成整改", comment="请区安委办核查")
    assert badge(dept_head) == "已上报(待核查)"

    # roll-up: the town counts the matter once, the village and grid their own cases
    office, office_watch = open_as("office_staff")
    office.goto("/kpis/units")
    rows = {int(r.get_attribute("data-unit-id")): (int(r.get_attribute("data-registered")),
                                                    int(r.get_attribute("data-closed")))
            for r in office.locator("#rollup-table tbody tr").all()}
    assert rows[t.town.id] == (1, 0)
    assert rows[t.village.id] == (1, 1) and rows[t.grid.id] == (1, 1)
    assert rows[t.neighbour.id] == (0, 0)
    # a village user's roll-up is its own tree only
    village.goto("/kpis/units")
    ids = village.locator("#rollup-table tbody tr").evaluate_all(
        "rows => rows.map(r => Number(r.dataset.unitId))")
    assert ids == [t.village.id, t.grid.id]
    assert not town_watch.foreign and not town_watch.page_errors and not office_watch.page_errors

"""The task-list import in a real browser: the preview, a change of split, confirm."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.tasklist_builders import sample_bytes
from workflow.org.models import Department
from workflow.tasklist.models import PlanItem

pytestmark = pytest.mark.browser


def test_preview_change_the_split_and_confirm(open_as, world, session):
    office, watch = open_as("office_staff")
    office.goto("/plans/")
    office.set_input_files("#file", files=[{"name": "武进2020清单.txt", "mimeType": "text/plain",
                                            "buffer": sample_bytes()}])
    office.fill("#year", "2020")
    with office.expect_navigation():
        office.click("form[action$='/plans/preview'] button[type=submit]")
    assert "预览：未写入任何数据" in office.inner_text("#preview-summary")
    # unknown names are offered, never created: 区专治办 is hosted by 区安委办
    unknown = office.locator("#unknown-names")
    assert "区专治办" in unknown.inner_text() and "区政府事故调查组" in unknown.inner_text()
    office.select_option('select[name="name:区专治办"]', f"host:{world.office.id}")
    # item 3: one target per unit, as matched clause by clause
    third = office.locator("#item-3").inner_text()
    assert "区委办" in third and "每年不少于2次：2次" in third and "每年不少于4次：4次" in third
    # change the split of item 5: 区委组织部（考核办） only supports
    item5 = office.locator("#item-5")
    assert "责任：区委组织部（考核办）" in item5.inner_text()
    office.select_option('select[name="role:5:2"]', "support")
    with office.expect_navigation():
        office.click("#preview-again")
    item5 = office.locator("#item-5").inner_text()
    assert "配合：区委组织部（考核办）" in item5 and "分工已按区安委办的选择调整" in item5
    assert office.locator('select[name="name:区专治办"]').count() == 0  # the choice was kept
    assert "区专治办 → 区安委办" in office.locator("#item-22").inner_text()
    # the rest of the new names become units of their own, by the office's explicit choice
    office.check('input[name="create_unknown"]')
    with office.expect_navigation():
        office.click("#confirm-import")
    assert "/plans/" in office.url
    assert "挂号交办任务" in office.inner_text(".flash")
    row5 = office.locator("tr", has_text="全面梳理党政领导干部安全生产职责").first.inner_text()
    assert "配合：区委组织部（考核办）" in row5
    assert watch.foreign == [] and watch.console_errors == [] and watch.page_errors == []

    session.expire_all()
    assert session.scalar(select(Department).where(Department.name == "区专治办")) is None
    item5 = session.scalar(select(PlanItem).where(PlanItem.seq == 5))
    assert [(r.role, r.department.name) for r in item5.responsibilities] == [
        ("lead", "区委办"), ("responsible", "区政府办"), ("support", "区委组织部（考核办）")]
    assert sorted(c.department.name for c in item5.cases) == ["区委办", "区政府办"]
    item22 = session.scalar(select(PlanItem).where(PlanItem.seq == 22))
    assert [c.department.name for c in item22.cases] == ["区安委办"]
    session.rollback()

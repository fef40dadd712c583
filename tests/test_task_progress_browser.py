"""A department files its 工作进展 in a real browser: the task page tells it the period and
that it is behind, it attaches a file, reports, and the 滞后 ends."""
from __future__ import annotations

from datetime import date

import pytest

from tests.factories import png_bytes
from tests.taskrun_helpers import cases_of_items, import_real_list, this_year

pytestmark = pytest.mark.browser


def test_a_department_files_its_progress_report(open_as, world, session):
    year = this_year()
    import_real_list(world, year, on=date(year, 1, 3))
    case = next(c for c in cases_of_items(session, [19], year)[19]
                if c.department_id == world.dept.id)
    session.commit()
    officer, watch = open_as("dept_officer")
    officer.goto("/tasks/lagging")
    behind = officer.locator(f"tr[data-case-id='{case.id}']")
    if date.today() > date(year, 1, 25):  # a period was owed and nothing was filed
        assert "工作进展未报送" in behind.inner_text()
    officer.goto(f"/cases/{case.id}")
    panel = officer.locator("#panel-progress")
    assert "每月25日前报送工作进展" in panel.inner_text()
    assert panel.locator("[data-period-open]").count() == 1

    # a file first (the upload form of the task page), then the report citing it
    officer.set_input_files("#evidence-files", files=[
        {"name": "专题会议纪要.png", "mimeType": "image/png", "buffer": png_bytes((10, 90, 160))}])
    officer.wait_for_selector("[data-previews] img")
    officer.click("#form-evidence button[type=submit]")
    officer.wait_for_selector(".flash:has-text('已上传')")
    form = officer.locator("#form-progress")
    form.locator("[name=text]").fill("已召开专题会议部署，完成第一轮督导检查")
    form.locator("[name=percent]").fill("60")
    form.locator("[name=count]").fill("2")
    form.locator("label.check:has-text('专题会议纪要.png') input").check()
    with officer.expect_navigation():
        form.locator("button[type=submit]").click()
    assert "工作进展已报送" in officer.locator(".flash").inner_text()
    panel = officer.locator("#panel-progress")
    assert panel.locator("[data-period-filed]").count() == 1
    assert panel.locator("[data-lagging]").count() == 0  # filing ends the 滞后
    row = panel.locator("#progress-history li").first
    text = row.inner_text()
    assert "已开展 2 次" in text and "已完成 60%" in text and "专题会议纪要.png" in text
    assert officer.locator("ol.timeline li").last.get_attribute("data-action") == "progress"
    officer.goto("/tasks/lagging")
    assert officer.locator(f"tr[data-case-id='{case.id}']").count() == 0
    assert watch.foreign == [] and watch.console_errors == [] and watch.page_errors == []

"""An office's working day in a real browser, on a phone and at a desk."""
from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook

from tests.factories import png_bytes
from tests.factories_records import pdf_text
from workflow.core.cases import Case
from workflow.platform.base import local_today
from workflow.problems.disputes import decide_dispute, raise_dispute

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}
DESK = {"width": 1366, "height": 768}


def photos(n: int) -> list[dict]:
    return [{"name": f"现场{i + 1}.png", "mimeType": "image/png",
             "buffer": png_bytes((60 * i, 120, 30), size=(64, 48))} for i in range(n)]


def in_viewport(page, selector: str) -> bool:
    return page.locator(selector).evaluate(
        "el => { const r = el.getBoundingClientRect();"
        " return r.top >= 0 && r.top < window.innerHeight && r.bottom > 0; }")


def test_inspector_registers_with_three_photos_on_a_phone(open_as, world, session):
    dept_id = world.dept.id
    session.rollback()
    page, watch = open_as("inspector", viewport=PHONE)
    page.goto("/cases/new")
    assert page.locator("#f-photos").get_attribute("capture") == "environment"
    assert page.locator("#more-fields").get_attribute("open") is None  # folded on a phone
    # the on-site fields come first: the photo field sits in the first screen and a half
    assert page.locator("#f-photos").bounding_box()["y"] < 2 * PHONE["height"]
    page.fill("#f-title", "消防通道堵塞")
    page.fill("#f-description", "仓库东侧消防通道堆放货物")
    page.set_input_files("#f-photos", files=photos(3))
    page.wait_for_function("document.querySelectorAll('[data-photo-previews] img').length === 3")
    page.select_option("#f-photo_category", "before")
    page.fill("#f-location", "某物流园 3 号仓库")
    page.select_option("#f-source", "patrol")
    page.select_option("#f-grade", "general")
    page.select_option("#f-department_id", str(dept_id))
    page.fill("#f-deadline_working_days", "10")
    with page.expect_navigation():
        page.click("button[name=then][value=save]")
    assert "照片 3 张" in page.locator(".flash").inner_text()
    assert page.locator("#evidence .evidence-item").count() == 3
    assert page.locator("#evidence .badge:has-text('整改前照片')").count() == 3
    assert watch.foreign == [] and watch.page_errors == []


@pytest.mark.parametrize("viewport", [PHONE, DESK], ids=["phone", "desk"])
def test_refused_registration_shows_the_summary_and_focuses_the_field(open_as, world, session,
                                                                      viewport):
    session.rollback()
    page, watch = open_as("office_staff", viewport=viewport)
    page.goto("/cases/new")
    page.fill("#f-description", "消防通道被堵塞")
    page.fill("#f-location", "某商场负一层")
    with page.expect_navigation():
        page.click("button[name=then][value=save]")
    assert page.url.endswith("/cases/new")  # back on the form's page, not left on a POST
    summary = page.locator("[data-error-summary]")
    assert summary.get_attribute("role") == "alert"
    assert "标题为必填项" in summary.inner_text()
    assert in_viewport(page, "[data-error-summary]")
    assert page.evaluate("document.activeElement.id") == "f-title"
    assert page.locator("#f-description").input_value() == "消防通道被堵塞"
    assert page.locator("#f-location").input_value() == "某商场负一层"
    page.reload()  # F5 after a refusal does not post again
    assert page.locator("[data-error-summary]").count() == 0
    assert watch.page_errors == []


@pytest.mark.parametrize("viewport", [PHONE, DESK], ids=["phone", "desk"])
def test_head_reports_from_the_approval_view_with_the_photos(open_as, world, session, app,
                                                             viewport):
    from playwright.sync_api import expect  # where the browser tests run, as open_as does

    case = world.case_at("draft")
    world.evidence(case, who="inspector", name="整改前.png", category="before",
                   data=png_bytes((200, 10, 10), size=(64, 48)))
    world.step(case, "register", "office_staff")
    world.step(case, "accept", "dept_officer")
    world.evidence(case, who="dept_officer", name="整改后.png", data=png_bytes((10, 200, 10), (64, 48)))
    case_id = case.id
    session.rollback()
    page, watch = open_as("dept_head", viewport=viewport)
    page.goto(f"/cases/{case_id}")
    with page.expect_navigation():
        page.click("#open-approval")
    # before and after side by side, and (at a desk) the decision on the same screen
    before = page.locator("#photos-before img").bounding_box()
    after = page.locator("#photos-after img").bounding_box()
    assert abs(before["y"] - after["y"]) < 5 and after["x"] > before["x"]
    shown = ("#photos-before img", "#photos-after img") + (
        ("#decide-report", "#approval-comment") if viewport is DESK else ())
    for sel in shown:
        assert in_viewport(page, sel), sel
    page.click("#photos-after a")
    assert page.locator("dialog.lightbox[open] img").get_attribute("src").endswith(
        page.locator("#photos-after a").get_attribute("href"))
    page.keyboard.press("Escape")
    page.fill("#approval-statement", "已清理消防通道")
    # 意见 required: the refusal comes back to the approval view
    page.click("#decide-report")
    page.click("#confirm-ok")
    page.wait_for_selector("[data-error-summary]")
    assert "须填写审批意见" in page.locator("[data-error-summary]").inner_text()
    assert f"/cases/{case_id}/approval" in page.url
    # the page's script moves the focus once it runs, which may be after the summary is there
    # (Playwright's expect polls without evaluating a string, which the page's CSP refuses)
    expect(page.locator("#approval-comment")).to_be_focused(timeout=5000)
    assert page.locator("#approval-statement").input_value() == "已清理消防通道"
    page.click("button[data-opinion='整改完成，佐证材料齐全，申请销号']")
    page.click("#decide-report")
    assert "确认上报" in page.locator("#confirm-text").inner_text()
    with page.expect_navigation():
        page.click("#confirm-ok")
    assert "已上报" in page.locator(".flash").inner_text()
    pdf = page.request.get(f"/api/v1/cases/{case_id}/report.pdf").body()
    text = pdf_text(pdf)
    assert "整改完成，佐证材料齐全，申请销号" in text and "赵局长" in text
    assert watch.foreign == [] and watch.page_errors == []


def test_dispute_outcome_reaches_the_unit_which_reads_the_case(open_as, world, session):
    case = world.case_at("assigned")
    dispute = raise_dispute(session, case.id, world.users["dept_head"], reason="属住建部门职责")
    session.commit()
    decide_dispute(session, dispute.id, world.users["office_staff"], decision="transfer",
                   comment="同意转办", department_id=world.other_dept.id)
    session.commit()
    number = case.display_number
    session.rollback()
    page, watch = open_as("dept_officer", viewport=PHONE)
    page.goto("/notifications")
    note = page.locator(".note", has_text="管辖异议成立")
    assert number in note.inner_text()
    with page.expect_navigation():
        note.locator("a, button").filter(has_text="查看事项").first.click()
    assert page.locator("#readonly-notice").is_visible()
    assert page.locator("#current-department").inner_text() == "区住建局"
    assert page.locator("form.action").count() == 0
    assert watch.page_errors == []


def test_dashboard_worst_first_coloured_and_free_text_period(open_as, world, session):
    town = world.department("湖塘镇")
    other_town = world.department("南夏墅街道")
    session.commit()
    for dept in (town, town, other_town):
        world.case_at("assigned", department=dept)
    world.case_at("in_progress")
    session.rollback()
    session.execute(Case.__table__.update().where(Case.department_id == town.id)
                    .values(deadline=local_today() - timedelta(days=2), overdue=True))
    session.commit()
    page, watch = open_as("leader", viewport=DESK)
    page.goto("/kpis")
    rows = page.locator("#rank-town tbody tr:visible")
    assert rows.first.get_attribute("data-unit") == "湖塘镇"
    assert rows.first.get_attribute("data-level") == "red"
    colour = page.locator("#rank-town tbody tr[data-level=red] td.red").first.evaluate(
        "el => getComputedStyle(el).backgroundColor")
    assert colour != "rgba(0, 0, 0, 0)"
    assert "逾期 2" in rows.first.inner_text()
    assert page.locator("#rank-department tr[data-unit='区住建局']").is_hidden()  # nothing: hidden
    page.check("[data-show-zero=rank-department]")
    assert page.locator("#rank-department tr[data-unit='区住建局']").is_visible()
    # sortable: by 挂号, most first
    page.click("#rank-town button[data-sort=registered]")
    assert page.locator("#rank-town tbody tr:visible").first.get_attribute("data-unit") == "湖塘镇"
    assert page.evaluate("document.documentElement.scrollWidth") <= DESK["width"]
    assert page.locator("input[name=period]").count() == 0  # a picker, never free text
    page.goto("/kpis?period=2020年")
    summary = page.locator("[data-error-summary]")
    assert summary.is_visible() and "考核期间“2020年”无效" in summary.inner_text()
    assert watch.page_errors == []


def test_export_of_a_filtered_queue_matches_the_screen(open_as, world, session):
    for status in ("reported", "reported", "reported", "in_progress", "closed"):
        world.case_at(status)
    session.rollback()
    page, watch = open_as("office_staff", viewport=DESK)
    page.goto("/cases")
    page.select_option("#f-queue", "review")
    with page.expect_navigation():
        page.click("form.filters button[type=submit]")
    # each row's number (the first link after the bulk selection box)
    on_screen = page.locator("table.cases tbody tr").evaluate_all(
        "rows => rows.map(r => r.querySelector('td:not(.pick) a').textContent)")
    assert len(on_screen) == 3 and page.locator("#total").inner_text() == "3"
    with page.expect_download() as info:
        page.click("#ledger-xlsx")
    data = Path(info.value.path()).read_bytes()
    wb = load_workbook(io.BytesIO(data))
    in_file = [r[0] for ws in wb.worksheets for r in ws.iter_rows(min_row=2, values_only=True)
               if r[0]]
    assert sorted(in_file) == sorted(on_screen)
    assert watch.page_errors == []


def test_typed_text_survives_another_forms_submission(open_as, world, session):
    case = world.case_at("in_progress")
    case_id = case.id
    session.rollback()
    page, watch = open_as("dept_officer", viewport=DESK)
    page.goto(f"/cases/{case_id}")
    page.fill("#statement-text", "已清理通道，正在补拍照片")
    page.set_input_files("#evidence-files", files=photos(1))
    page.wait_for_selector("[data-previews] img")
    page.click("#form-evidence button[type=submit]")
    page.wait_for_selector(".flash:has-text('已上传')")
    assert page.locator("#statement-text").input_value() == "已清理通道，正在补拍照片"
    with page.expect_navigation():
        page.click("#form-statement button[type=submit]")
    assert "整改情况说明已保存" in page.locator(".flash").inner_text()
    page.reload()  # saved: the draft kept in the browser is gone, the page shows the saved text
    assert page.locator("#statement-text").input_value() == "已清理通道，正在补拍照片"
    assert watch.page_errors == []

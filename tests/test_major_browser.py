"""重大事故隐患 by the 16号令 in a real browser, as each person who does a step, with
every refusal the page shows on the way (治理方案, 现场核查人员, 验收/评估报告, 复产现场审查)."""
from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from pypdf import PdfReader

from tests.factories import png_bytes
from tests.test_pages_browser import act, badge, offered, refused, timeline
from workflow.platform.base import local_today
from workflow.platform.errors import RULE_MESSAGES
from workflow.platform.vocab import PLAN_ELEMENTS

pytestmark = pytest.mark.browser

PLAN = {
    "objectives": "消除储罐区可燃气体泄漏无法报警的重大事故隐患",
    "measures": "更换全部可燃气体报警器并与紧急切断阀联锁",
    "funds_materials": "资金 12 万元，报警器 24 台已采购",
    "organisation": "设备部牵头，安全科配合，负责人王厂长",
    "time_requirements": "30 日内完成，联锁测试合格",
    "safety_contingency": "停产期间设警戒区、专人巡查，配备便携式检测仪，修订泄漏应急预案",
}


def upload(page, data: bytes, name: str, category: str) -> None:
    """An upload through the evidence form, with its category; waits for the page to reload."""
    page.select_option("#evidence-category", category)
    page.set_input_files("#evidence-files", files=[
        {"name": name, "mimeType": "image/png", "buffer": data}])
    page.wait_for_selector("[data-previews] img")
    page.click("#form-evidence button[type=submit]")
    page.wait_for_selector(f".flash:has-text('{name}')")


def save_plan(page, parts: dict, signed: bytes | None = None) -> str:
    form = page.locator("#form-plan")
    for key, text in parts.items():
        form.locator(f"[name={key}]").fill(text)
    if signed is not None:
        form.locator("[name=signed_copy]").set_input_files(files=[
            {"name": "治理方案签批件.png", "mimeType": "image/png", "buffer": signed}])
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    return page.locator(".flash").inner_text()


def onsite(page, verifiers: str, *, on=None, purpose: str | None = None) -> None:
    form = page.locator("#form-onsite")
    if purpose:
        form.locator("[name=purpose]").select_option(purpose)
    form.locator("[name=visited_on]").fill((on or local_today()).isoformat())
    form.locator("[name=verifiers]").fill(verifiers)
    form.locator("[name=findings]").fill("报警器已全部更换，联锁测试正常")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()


def onsite_error(page) -> str:
    return page.locator("#form-onsite .error-box").inner_text()


def onsite_list(page) -> list[str]:
    return page.locator("#fields h3:has-text('现场核查记录') + ul li").all_inner_texts()


def test_major_hazard_walked_to_closure_by_each_person(open_as, world, live_server):
    today = local_today()
    deadline = today + timedelta(days=30)
    good = "孙检查员（执法队员）、钱工（注册安全工程师）"

    # 经办人 registers a 重大事故隐患 with the unit stopped (停产停业) and assigns it at once
    office, _ = open_as("office_staff")
    office.goto("/cases/new")
    office.fill("#f-title", "储罐区可燃气体报警器失效")
    office.select_option("#f-source", "patrol")
    office.select_option("#f-grade", "major")
    office.fill("#f-description", "储罐区 24 台可燃气体报警器失效，无法联锁切断")
    office.fill("#f-responsible_unit", "武进某化工有限公司")
    office.select_option("#f-department_id", str(world.dept.id))
    office.fill("#f-deadline", deadline.isoformat())
    office.check("input[name=suspended]")
    with office.expect_navigation():
        office.click("button[name=then][value=register]")
    case_path = re.search(r"/cases/\d+", office.url).group(0)
    assert badge(office) == "已交办"
    assert "是（全部停产停业）" in office.locator("#fields").inner_text()
    assert timeline(office) == ["create", "register"]

    # 部门联络员 accepts, uploads a photo and starts the 治理方案 with five of the six elements
    officer, _ = open_as("dept_officer")
    officer.goto(case_path)
    act(officer, "accept")
    assert badge(officer) == "整改中"
    upload(officer, png_bytes((20, 120, 40), (64, 48)), "整改后.png", "after")
    labels = officer.locator("#form-plan label").all_inner_texts()
    assert all(label in labels for label in PLAN_ELEMENTS.values())
    five = {k: v for k, v in PLAN.items() if k != "safety_contingency"}
    assert save_plan(officer, five) == "治理方案已保存（六项内容尚未齐全）"
    assert officer.locator("#fields h3:has-text('治理方案') .badge").inner_text() == "未齐全"

    # 部门负责人: 上报 is refused on the page with the reason, until the plan is complete and signed
    head, _ = open_as("dept_head")
    head.goto(case_path)
    assert "report" not in offered(head)
    assert refused(head)["report"] == RULE_MESSAGES["plan_required"]
    assert save_plan(head, {"safety_contingency": PLAN["safety_contingency"]}) \
        == "治理方案已保存（六项内容已齐全）"
    assert head.locator("#fields h3:has-text('治理方案') .badge").inner_text() == "齐全"
    assert refused(head)["report"] == RULE_MESSAGES["plan_required"]  # no signed copy yet
    assert save_plan(head, {}, signed=png_bytes((7, 7, 7), (60, 80))) \
        == "治理方案已保存（六项内容已齐全），签批件已上传"
    files = head.locator("#evidence .evidence-item").all_inner_texts()
    assert any("治理方案签批件.png" in f and "治理方案签批件" in f for f in files)
    plan_text = head.locator("#fields").inner_text()
    assert all(text in plan_text for text in PLAN.values())
    assert "report" in offered(head)
    act(head, "report", statement="已更换全部报警器并完成联锁测试", comment="已按要求整改到位，请予核查")
    assert badge(head) == "已上报(待核查)"
    assert timeline(head)[-4:] == ["plan", "evidence", "plan", "report"]

    # 经办人: 核查 refused until an on-site record with two verifiers and the 验收/评估报告
    office.goto(case_path)
    assert refused(office)["verify"] == "\n".join(
        [RULE_MESSAGES["onsite_verification_required"], RULE_MESSAGES["acceptance_required"]])
    onsite(office, "孙检查员（执法队员）")
    assert onsite_error(office) == RULE_MESSAGES["verifiers_too_few"]
    assert office.locator("#onsite-verifiers").input_value() == "孙检查员（执法队员）"
    onsite(office, "孙检查员、钱工")
    assert onsite_error(office) == RULE_MESSAGES["verifier_post_required"]
    onsite(office, "赵局长（部门负责人）、钱工（注册安全工程师）")  # 赵局长 reported the work
    assert onsite_error(office) == RULE_MESSAGES["verifier_is_reporter"]
    assert onsite_list(office) == []
    onsite(office, good)
    assert office.locator(".flash").inner_text() == "现场核查记录已保存"
    assert onsite_list(office) == [f"现场核查 · 第 1 轮 · {today.year}年{today.month}月{today.day}日"
                                   f" · 核查人：{good} · 报警器已全部更换，联锁测试正常"]
    assert timeline(office)[-1] == "onsite_verification"
    assert good in office.locator("ol.timeline li").last.inner_text()
    assert refused(office)["verify"] == RULE_MESSAGES["acceptance_required"]
    act(office, "return", comment="缺验收/评估报告和复产申请")
    assert badge(office) == "整改中"

    # the department adds the unit's 验收/评估报告 and its 复产申请 to the new round, reports again
    officer.goto(case_path)
    assert "缺验收/评估报告和复产申请" in officer.locator("#timeline").inner_text()
    upload(officer, png_bytes((3, 3, 90), (60, 80)), "验收评估报告.png", "acceptance_report")
    upload(officer, png_bytes((90, 3, 3), (60, 80)), "复产申请.png", "resumption_request")
    head.goto(case_path)
    act(head, "report", statement="已更换全部报警器，验收合格，申请复产", comment="验收合格，申请销号")
    assert badge(head) == "已上报(待核查)"

    # 经办人: the round-1 record does not cover round 2; a new one, then 核查通过
    office.goto(case_path)
    assert refused(office)["verify"] == RULE_MESSAGES["onsite_verification_required"]
    onsite(office, good)
    act(office, "verify", comment="现场核查合格，验收报告齐全")
    assert badge(office) == "已核查(待销号)"

    # 主任: 销号 refused until a 复产现场审查 within 10 days after the 复产申请
    director, _ = open_as("office_director")
    director.goto(case_path)
    assert "close" not in offered(director)
    assert refused(director)["close"] == RULE_MESSAGES["resumption_review_required"]

    # a review dated before the application does not count; one dated today does
    office.goto(case_path)
    assert office.locator("#onsite-purpose option").all_inner_texts() == ["现场核查", "复产现场审查"]
    onsite(office, good, on=today - timedelta(days=1), purpose="resumption_review")
    assert office.locator(".flash").inner_text() == "复产现场审查记录已保存"
    director.goto(case_path)
    assert refused(director)["close"] == RULE_MESSAGES["resumption_review_required"]
    office.goto(case_path)
    onsite(office, "孙检查员（执法队员）", purpose="resumption_review")
    assert onsite_error(office) == RULE_MESSAGES["verifiers_too_few"]
    onsite(office, good, purpose="resumption_review")
    records = onsite_list(office)
    assert [r.split(" · ")[:2] for r in records] == [
        ["现场核查", "第 1 轮"], ["现场核查", "第 2 轮"], ["复产现场审查", "第 2 轮"],
        ["复产现场审查", "第 2 轮"]]
    assert timeline(office)[-2:] == ["resumption_review", "resumption_review"]

    director.goto(case_path)
    assert offered(director) == ["reject", "close"]
    act(director, "close", comment="治理验收合格，复产审查通过，同意销号")
    assert badge(director) == "已销号"
    assert timeline(director) == [
        "create", "register", "accept", "evidence", "plan", "plan", "evidence", "plan", "report",
        "onsite_verification", "return", "evidence", "evidence", "report", "onsite_verification",
        "verify", "resumption_review", "resumption_review", "close"]

    # the 整改销号审批表 linked from the page tells the 复产现场审查 from the 现场核查
    href = director.locator("#records a:has-text('整改销号审批表')").get_attribute("href")
    resp = director.request.get(live_server + href)
    assert resp.status == 200 and resp.headers["content-type"] == "application/pdf"
    pdf = "".join("".join(page.extract_text().split())
                  for page in PdfReader(io.BytesIO(resp.body())).pages)
    assert pdf.count("复产现场审查（第2轮）") == 2
    assert pdf.count("现场核查（第1轮）") == 1 and pdf.count("现场核查（第2轮）") == 1
    assert f"审查人员（职务）：{good}。报警器已全部更换" in pdf
    assert "治理方案·安全措施和应急预案" in pdf and "治理方案签批件治理方案签批件.png" in pdf

    # the department sees the end: closed, nothing left to do
    officer.goto(case_path)
    assert badge(officer) == "已销号" and offered(officer) == [] and refused(officer) == {}

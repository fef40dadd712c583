"""督办措施 in a real browser, as each person who takes a step: the office's 督办函 and the unit's
reply, the director's one-step 约谈 from the 约谈建议名单 and its 纪要, a 通报, a 问责移交 received
and concluded by the 纪检监察 — with the refusals the pages show on the way."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from tests.factories import png_bytes
from tests.factories_records import pdf_text
from workflow.measures import acts
from workflow.problems import supervision

pytestmark = pytest.mark.browser
FORBIDDEN_TEXT = ("SafeLoop", "sha256", "链头")


def status(page) -> str:
    return page.locator("#measure-status").inner_text()


def submit(page, form_id: str, **fields) -> None:
    form = page.locator(f"#{form_id}")
    for name, value in fields.items():
        form.locator(f"[name={name}]").fill(value)
    with page.expect_navigation():
        form.locator("button[type=submit]").click()


def printed(page, link_text: str) -> str:
    href = page.locator(f"#papers a:has-text('{link_text}')").get_attribute("href")
    resp = page.request.get(href)
    assert resp.status == 200 and resp.headers["content-type"] == "application/pdf"
    text = pdf_text(resp.body())
    assert not [bad for bad in FORBIDDEN_TEXT if bad in text]
    return text


def test_letter_issued_by_the_office_and_answered_by_the_unit(open_as, world, live_server):
    case = world.case_at("in_progress")
    number = case.display_number
    world.session.commit()

    office, watch = open_as("office_staff")
    office.goto("/measures")
    office.select_option("#m-kind", "letter")
    office.fill("#m-cases", number)
    office.fill("#m-content", "储罐区报警器隐患整改滞后，现予督办。")
    office.fill("#m-reply-days", "3")
    with office.expect_navigation():
        office.click("#form-measure button[type=submit]")
    assert "已发出督办函" in office.locator(".flash").inner_text()
    doc = office.locator("h1 .doc-number").inner_text()
    assert doc.startswith("武安委办督〔") and doc.endswith("〕1号")
    assert status(office) == "待反馈"
    assert office.locator("form[id^=form-step-]").count() == 0  # the office does not answer
    url = office.url
    text = printed(office, "督办函")
    assert doc in text and "区应急管理局" in text and number in text

    # another unit reaches neither the letter nor its form
    other, _ = open_as("other_head")
    assert other.goto(url).status == 404

    head, _ = open_as("dept_head")
    head.goto("/")
    assert doc in head.locator("#measures-owed").inner_text()
    head.goto(url)
    head.set_input_files("#s-files-reply", files=[
        {"name": "整改照片.png", "mimeType": "image/png", "buffer": png_bytes()}])
    submit(head, "form-step-reply", content="已更换全部报警器，联动测试合格。")
    assert status(head) == "已反馈"
    assert "整改照片.png" in head.locator("#steps").inner_text()
    office.goto(url)  # the office opens the unit's attachment
    href = office.locator("#steps a:has-text('整改照片.png')").get_attribute("href")
    got = office.request.get(href)
    assert got.status == 200 and got.body() == png_bytes()
    assert other.request.get(href).status == 404
    assert "整改照片.png" in printed(head, "督办函")
    assert not watch.foreign and not watch.page_errors


def test_interview_from_the_suggestion_list_minutes_refused_before_it_is_held(
        open_as, world, live_server):
    case = world.case_at("in_progress")
    supervision.manual_alert(world.session, case.id, world.users["office_director"], "interview",
                             "逾期30日以上，经督办仍未整改")
    world.session.commit()

    director, watch = open_as("office_director")
    director.goto("/")
    card = director.locator("#interview-candidates")
    assert "约谈建议名单" in card.inner_text() and "逾期30日以上" in card.inner_text()
    assert "阈值" not in card.inner_text()
    line = card.locator(f"li[data-department-id='{world.dept.id}']")
    line.locator("summary").click()
    when = (datetime.now() + timedelta(days=3)).strftime("%Y-%m-%dT09:30")
    line.locator("[name=interviewee_name]").fill("赵六")
    line.locator("[name=interviewee_post]").fill("副局长")
    line.locator("[name=scheduled_at]").fill(when)
    line.locator("[name=place]").fill("区政府302会议室")
    with director.expect_navigation():
        line.locator("button[type=submit]").click()
    assert status(director) == "已通知约谈"
    doc = director.locator("h1 .doc-number").inner_text()
    assert case.display_number in director.locator("main").inner_text()
    notice = printed(director, "约谈通知书")
    assert all(s in notice for s in (doc, "赵六", "副局长", "区政府302会议室", "李主任"))

    # the 纪要 before the 约谈 is held: refused (409) with the reason on the page
    form = director.locator("#form-step-minutes")
    form.locator("[name=attendees]").fill("李主任、赵六")
    form.locator("[name=content]").fill("听取汇报")
    form.locator("[name=commitments]").fill("限期整改")
    with director.expect_navigation() as nav:
        form.locator("button[type=submit]").click()
    assert nav.value.status == 409
    assert "尚未举行" in director.locator("#page-error").inner_text()
    assert status(director) == "已通知约谈"

    # the line now shows the 约谈 under way instead of the form
    director.goto("/")
    assert doc in director.locator("#interview-candidates").inner_text()
    assert not watch.foreign and not watch.page_errors


def test_report_past_due_shows_on_the_home_page(open_as, world, live_server):
    case = world.case_at("in_progress")
    held = acts.create(world.session, world.users["office_director"], {
        "kind": "interview", "case_ids": [case.id], "content": "逾期未整改",
        "interviewee_name": "赵六", "interviewee_post": "副局长", "interviewer": "李主任",
        "place": "302", "scheduled_at": (datetime.now() - timedelta(days=15)).strftime(
            "%Y-%m-%dT10:00")})
    world.session.commit()
    doc = held.doc_number

    office, _ = open_as("office_staff")
    office.goto(f"/measures/{held.id}")
    submit(office, "form-step-minutes", attendees="李主任、赵六、王经办",
           content="通报逾期情况", commitments="15日内完成整改")
    assert status(office) == "已约谈（待落实报告）"
    assert office.locator(".badge.overdue").count() == 1
    minutes = printed(office, "约谈纪要")
    assert all(s in minutes for s in (doc, "李主任、赵六、王经办", "15日内完成整改"))

    director, _ = open_as("office_director")
    director.goto("/")
    late = director.locator("#measures-overdue").inner_text()
    assert doc in late and "约谈落实报告逾期" in late

    head, _ = open_as("dept_head")
    head.goto(f"/measures/{held.id}")
    submit(head, "form-step-report", content="已完成整改并建立长效机制")
    assert status(head) == "已报送落实报告"
    director.goto("/")
    assert director.locator("#measures-overdue").count() == 0


def test_bulletin_and_referral_to_the_discipline_office(open_as, world, live_server):
    case = world.case_at("closed")
    number = case.display_number
    world.session.commit()

    director, _ = open_as("office_director")
    director.goto("/measures")
    director.select_option("#m-kind", "bulletin")
    director.select_option("#m-departments", [str(world.dept.id)])
    director.fill("#m-content", "区应急管理局督办事项逾期未整改。")
    director.check("input[name=tone][value=criticism]")
    with director.expect_navigation():
        director.click("#form-measure button[type=submit]")
    assert "通报批评" in director.locator("h1").inner_text()
    bulletin = printed(director, "通报批评")
    assert "区应急管理局" in bulletin and "通报批评" in bulletin
    director.goto("/measures")
    assert "区应急管理局" in director.locator("#measure-points").inner_text()

    director.select_option("#m-kind", "referral")
    director.fill("#m-cases", number)
    director.fill("#m-content", "多次虚报整改情况，移交问责线索。")
    with director.expect_navigation():
        director.click("#form-measure button[type=submit]")
    assert status(director) == "已移交"
    url = director.url

    auditor, _ = open_as("auditor")
    auditor.goto(url)
    assert auditor.locator("form[id^=form-step-]").count() == 0  # 审计 reads, records nothing

    officer, _ = open_as("dept_officer")
    assert officer.goto(url).status == 404  # a referral is not the unit's to read

    discipline, _ = open_as("discipline")
    discipline.goto(url)
    submit(discipline, "form-step-receipt", content="已受理，立案调查")
    assert status(discipline) == "已受理"
    submit(discipline, "form-step-outcome", content="对相关责任人给予诫勉谈话")
    assert status(discipline) == "已办结"
    letter = printed(discipline, "问责线索移交函")
    assert all(s in letter for s in ("区纪委监委", number, "诫勉谈话", "冯纪检"))
    assert discipline.locator("a:has-text('下载移交材料包')").count() == 1

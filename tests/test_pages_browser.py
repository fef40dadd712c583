"""The whole loop in a real browser, as the people who do each step, and what each one sees."""
from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest

from tests.factories import png_bytes
from workflow.platform.base import local_today

pytestmark = pytest.mark.browser


def badge(page) -> str:
    return page.locator("#status .badge").first.inner_text()


def offered(page) -> list[str]:
    """Steps offered as a live form, in page order."""
    return page.locator("form.action:not(.disabled)").evaluate_all(
        "forms => forms.map(f => f.dataset.trigger)")


def refused(page) -> dict[str, str]:
    """Steps shown greyed out, with the reason the page gives."""
    forms = page.locator("form.action.disabled")
    return {forms.nth(i).get_attribute("data-trigger"): forms.nth(i).locator(".reasons").inner_text()
            for i in range(forms.count())}


def timeline(page) -> list[str]:
    return page.locator("ol.timeline li").evaluate_all("items => items.map(i => i.dataset.action)")


def act(page, trigger: str, **fields) -> None:
    form = page.locator(f"#form-{trigger}")
    for name, value in fields.items():
        form.locator(f"[name={name}]").fill(value)
    with page.expect_navigation():
        form.locator("button[type=submit]").click()


def upload_photo(page, data: bytes, name: str) -> None:
    page.set_input_files("#evidence-files", files=[
        {"name": name, "mimeType": "image/png", "buffer": data}])
    page.wait_for_selector("[data-previews] img")  # the preview drawn from the chosen file
    page.click("#form-evidence button[type=submit]")
    page.wait_for_selector(".flash:has-text('已上传')")  # the page reloaded after the upload


def test_whole_loop_as_each_person(open_as, world, live_server):
    deadline = local_today() + timedelta(days=20)

    # 检查人员 records the problem in the field: a draft (待挂号), nothing to assign yet
    inspector, _ = open_as("inspector")
    inspector.goto("/cases/new")
    inspector.fill("#f-title", "危化品仓库超量储存")
    inspector.select_option("#f-source", "patrol")
    inspector.select_option("#f-grade", "general")
    inspector.fill("#f-description", "仓库内储存量超过设计能力")
    inspector.fill("#f-responsible_unit", "武进区某化工企业")
    inspector.select_option("#f-department_id", str(world.dept.id))
    inspector.fill("#f-deadline", deadline.isoformat())
    with inspector.expect_navigation():
        inspector.click("button[name=then][value=save]")
    case_path = re.search(r"/cases/\d+", inspector.url).group(0)
    assert badge(inspector) == "待挂号"
    assert offered(inspector) == []
    assert timeline(inspector) == ["create"]

    # 区安委办经办人 registers and assigns it (挂号交办)
    office, _ = open_as("office_staff")
    office.goto("/")
    assert office.locator("[data-queue=drafts] .count").inner_text() == "1"
    office.goto(case_path)
    assert offered(office) == ["register"]  # 撤销 is the director's
    act(office, "register", comment="请于期限内整改")
    assert badge(office) == "已交办"
    assert re.match(r"WJ-\d{4}-XC-0001", office.locator(".case-head .muted").first.inner_text()
                    .split("·")[1].strip())
    assert offered(office) == ["transfer"]

    # 部门联络员: the case is in the inbox; may accept, may not submit
    officer, _ = open_as("dept_officer")
    assert officer.locator("[data-queue=to_accept] .count").inner_text() == "1"
    officer.goto(case_path)
    assert badge(officer) == "已交办" and offered(officer) == ["accept"]
    act(officer, "accept")
    assert badge(officer) == "整改中"
    assert "须由部门负责人办理" in refused(officer)["report"]
    photo = png_bytes((20, 120, 40), (64, 48))
    upload_photo(officer, photo, "整改后.png")
    assert officer.locator(".flash").inner_text().startswith("已上传 1 个文件")
    item = officer.locator("#evidence .evidence-item").first
    assert hashlib.sha256(photo).hexdigest() in item.text_content()  # behind 核验
    # the thumbnail loads (waited for, at most 15 s: under load it may still be on its way,
    # and a lazy image loads once in view); a broken image never gets a natural width
    thumb = item.locator("img.thumb")
    thumb.scroll_into_view_if_needed()
    officer.wait_for_function("img => img.complete && img.naturalWidth > 0",
                              arg=thumb.element_handle(), timeout=15000)
    assert timeline(officer)[-2:] == ["accept", "evidence"]

    # 部门负责人 submits with the rectification statement
    head, _ = open_as("dept_head")
    head.goto(case_path)
    assert "report" in offered(head)
    act(head, "report", statement="已清理超量物料并设置限量标识", comment="已按要求整改到位，请予核查")
    assert badge(head) == "已上报(待核查)"
    assert offered(head) == []

    # 经办人 returns it once with a comment
    office.goto("/")
    assert office.locator("[data-queue=review] .count").inner_text() == "1"
    office.goto(case_path)
    assert offered(office) == ["return", "verify"]
    act(office, "return", comment="缺少整改前后对比照片")
    assert badge(office) == "整改中"
    assert office.locator("ol.timeline li").last.locator(".comment").inner_text() == "缺少整改前后对比照片"

    # the department sees the return, adds a new round and resubmits
    officer.goto("/")
    assert officer.locator("[data-queue=returned] .count").inner_text() == "1"
    officer.goto(case_path)
    assert "缺少整改前后对比照片" in officer.locator("#timeline").inner_text()
    upload_photo(officer, png_bytes((200, 200, 20), (64, 48)), "对比照片.png")
    assert officer.locator("#evidence h3").all_inner_texts() == ["第 2 轮（本轮）", "第 1 轮"]
    head.goto(case_path)
    act(head, "report", statement="已补充整改前后对比照片", comment="已补充，请予核查")
    assert badge(head) == "已上报(待核查)"

    # 经办人 verifies; the same person may not also close (segregation of duties)
    office.goto(case_path)
    act(office, "verify", comment="现场复查符合要求")
    assert badge(office) == "已核查(待销号)"
    assert "职责分离" in refused(office)["close"]

    # 区安委办主任 closes (销号)
    director, _ = open_as("office_director")
    director.goto("/")
    assert director.locator("[data-queue=closure] .count").inner_text() == "1"
    director.goto(case_path)
    assert offered(director) == ["reject", "close"]
    act(director, "close", comment="同意销号")
    assert badge(director) == "已销号"
    assert offered(director) == ["reopen"]
    assert timeline(director) == ["create", "register", "accept", "evidence", "report", "return",
                                  "evidence", "report", "verify", "close"]
    last = director.locator("ol.timeline li").last
    # the timeline names the account (user name and id) beside the display name
    assert re.search(r"李主任 \[office_director\d+ · id \d+\]（区安委办主任 · 区安委办）", last.inner_text())

    # what the department sees at the end: closed, nothing to do, the whole record
    officer.goto(case_path)
    assert badge(officer) == "已销号" and offered(officer) == [] and refused(officer) == {}
    assert len(timeline(officer)) == 10



def _pages_of(world):
    """A case at every stage worth showing, with a photo, and the pages of each role."""
    closed = world.case_at("closed", grade="major")
    working = world.case_at("in_progress")
    world.evidence(working)
    draft = world.problem(by="office_staff")
    group_id = _group(world)
    contested = _contested(world)
    common = ["/", "/cases", "/cases?sort=deadline", "/cases?sort=-number&status=closed",
              "/cases?queue=overdue", "/account/password", "/notifications"]
    return {
        "office_staff": common + [f"/cases/{working.id}", f"/cases/{closed.id}",
                                  f"/cases/{draft.id}", f"/cases/{draft.id}/edit", "/cases/new",
                                  f"/cases/{contested.id}", "/cases?queue=disputes",
                                  "/cases?queue=lookbacks_due"],
        "office_director": common + [f"/cases/{closed.id}", f"/cases/{contested.id}",
                                     "/cases?queue=major_extensions", "/calendar",
                                     "/calendar?year=2031"],
        "dept_officer": common + [f"/cases/{working.id}", "/cases/new", f"/cases/{contested.id}"],
        "dept_head": common + [f"/cases/{working.id}", f"/cases/{contested.id}",
                               "/cases?queue=my_escalated"],
        "inspector": common + ["/cases/new"],
        "auditor": common + [f"/cases/{closed.id}", "/cases?q=报警器", f"/cases/{contested.id}"],
        "leader": common,
        "admin": ["/admin/users", "/admin/departments", f"/admin/groups/{group_id}", "/calendar",
                  "/notifications"],
    }


def _contested(world):
    """A case with every panel filled: progress, a pending extension, an open dispute, 催办, 挂牌."""
    from workflow.problems import disputes, extensions, progress, supervision

    case = world.case_at("in_progress")
    users, session = world.users, world.session
    progress.add_progress(session, case.id, users["dept_officer"], text="已采购新报警器", percent=50)
    extensions.request_extension(session, case.id, users["dept_head"], reason="设备到货延迟",
                                interim_measures="设置警戒区", new_deadline=case.deadline
                                + timedelta(days=15))
    disputes.raise_dispute(session, case.id, users["dept_officer"], reason="属建筑工地",
                           suggested_department_id=world.other_dept.id)
    supervision.manual_alert(session, case.id, users["office_staff"], "urge", "请加快整改")
    supervision.set_listing(session, case.id, users["office_director"], action="list",
                            document_number="武安委办〔2020〕12号", document_date=None)
    session.commit()
    return case


def _group(world):
    from workflow.org.models import ensure_group

    group = ensure_group(world.session, "towns", "各镇、开发区、街道")
    world.session.commit()
    return group.id


def test_every_page_loads_from_the_app_alone_without_errors(open_as, world, browser, live_server):
    # the login page itself, before anyone signs in
    context = browser.new_context(base_url=live_server)
    page = context.new_page()
    from tests.factories_pages import Watch

    anonymous = Watch(live_server)
    anonymous.attach(page)
    resp = page.goto("/login")
    csp = resp.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    context.close()
    assert anonymous.foreign == [] and anonymous.console_errors == [] and anonymous.page_errors == []

    visited = 0
    for who, paths in _pages_of(world).items():
        page, watch = open_as(who, viewport={"width": 390, "height": 844} if who.startswith(
            "dept") else None)
        for path in paths:
            resp = page.goto(path)
            assert resp.status == 200, (who, path, resp.status)
            # thumbnails load lazily (phones): bring them into view, then wait for them
            page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
            page.wait_for_function("() => [...document.images].every(i => i.complete)")
            assert page.locator("h1").count() >= 1
            broken = page.locator("img").evaluate_all(
                "imgs => imgs.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src)")
            assert broken == [], (who, path, broken)
            visited += 1
        assert watch.foreign == [], (who, watch.foreign)
        assert watch.console_errors == [], (who, watch.console_errors)
        assert watch.page_errors == [], (who, watch.page_errors)
    assert visited >= 60


def test_other_department_and_forged_post_are_refused(open_as, world, live_server):
    case = world.case_at("in_progress")
    page, _ = open_as("other_officer")
    resp = page.goto(f"/cases/{case.id}")
    assert resp.status == 404
    assert "不存在或无权查看" in page.locator("h1").inner_text()
    assert page.goto(f"/cases/{case.id}/evidence/1").status == 404

    # a POST without the CSRF token, with the session cookie of a signed-in user
    owner, _ = open_as("dept_head")
    owner.goto(f"/cases/{case.id}")
    forged = owner.request.post(f"{live_server}/cases/{case.id}/actions/report",
                                form={"version": str(case.version), "statement": "伪造"})
    assert forged.status == 400 and "CSRF" in forged.text()

    # with a valid token but the wrong department: the server refuses whatever the page shows
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    resp = page.request.post(f"{live_server}/cases/{case.id}/actions/report",
                             form={"csrf_token": token, "version": str(case.version),
                                   "statement": "越权"})
    assert resp.status == 404
    world.session.refresh(case)
    assert case.status == "in_progress"


def test_bad_input_comes_back_beside_the_field(open_as, world, app):
    page, _ = open_as("office_staff")
    page.goto("/cases/new")
    page.fill("#f-description", "消防通道被堵塞")
    page.fill("#f-responsible_unit", "某商场")
    page.select_option("#f-source", "routine")
    with page.expect_navigation():
        page.click("button[name=then][value=save]")
    assert page.locator("#err-case-title").inner_text() == "标题为必填项"
    assert page.locator("#f-description").input_value() == "消防通道被堵塞"
    assert page.locator("#f-responsible_unit").input_value() == "某商场"
    assert page.locator("#f-source").input_value() == "routine"

    page.fill("#f-title", "消防通道堵塞")
    page.select_option("#f-grade", "general")
    page.select_option("#f-department_id", str(world.dept.id))
    page.fill("#f-deadline", (local_today() - timedelta(days=1)).isoformat())
    with page.expect_navigation():
        page.click("button[name=then][value=register]")
    assert "早于登记日期" in page.locator("#err-case-deadline").inner_text()
    assert page.locator("#f-title").input_value() == "消防通道堵塞"
    page.fill("#f-deadline", "")
    page.fill("#f-found_on", (local_today() + timedelta(days=2)).isoformat())
    page.fill("#f-deadline_working_days", "10")
    with page.expect_navigation():
        page.click("button[name=then][value=register]")
    assert page.locator("#err-case-found_on").inner_text() == "发现时间不能晚于今天"

    # a return without its comment: the rule's message at the top of that form
    case = world.case_at("reported")
    page.goto(f"/cases/{case.id}")
    with page.expect_navigation():
        page.click("#form-return button[type=submit]")
    assert page.locator("#form-return .error-box").inner_text() == "须填写意见"
    assert badge(page) == "已上报(待核查)"

    # uploads: a file over the limit and one whose content is not an allowed type
    app.config["MAX_UPLOAD_BYTES"] = 40_000
    working = world.case_at("in_progress")
    officer, _ = open_as("dept_officer")
    officer.goto(f"/cases/{working.id}")
    officer.fill("#evidence-note", "东侧通道")
    officer.set_input_files("#evidence-files", files=[
        {"name": "大图.png", "mimeType": "image/png", "buffer": b"\x89PNG" + b"0" * 50_000}])
    error = officer.locator("[data-error-for=files]")
    assert "超过上限" in error.inner_text()
    officer.click("#form-evidence button[type=submit]")
    assert "超过上限" in error.inner_text()
    officer.set_input_files("#evidence-files", files=[
        {"name": "照片.png", "mimeType": "image/png", "buffer": b"not an image at all"}])
    officer.click("#form-evidence button[type=submit]")
    officer.wait_for_selector("[data-error-for=files]:has-text('类型不允许上传')")
    assert officer.locator("#evidence-note").input_value() == "东侧通道"
    assert officer.locator("#evidence .evidence-item").count() == 0


def unread(page) -> int:
    """The unread count in the header (no badge: none)."""
    badge = page.locator("#unread-count")
    return int(badge.inner_text()) if badge.count() else 0


def test_extension_and_dispute_through_the_pages_with_notifications(open_as, world):
    case = world.case_at("in_progress")
    other = world.case_at("assigned")
    new_deadline = case.deadline + timedelta(days=15)

    # 部门负责人 asks for an extension before the deadline
    head, _ = open_as("dept_head")
    head.goto(f"/cases/{case.id}")
    head_unread = unread(head)
    form = head.locator("#form-extension")
    form.locator("[name=reason]").fill("报警器厂家供货延迟")
    form.locator("[name=interim_measures]").fill("设置警戒区，每日巡查两次")
    form.locator("[name=new_deadline]").fill(new_deadline.isoformat())
    with head.expect_navigation():
        form.locator("button[type=submit]").click()
    assert "延期申请已提交" in head.locator(".flash").inner_text()
    assert head.locator("[data-flag=extension_pending]").count() == 1
    assert head.locator("#form-extension").count() == 0
    assert timeline(head)[-1] == "extension_request"

    # 经办人: the request is in the header count, the home queue and on the case page
    office, _ = open_as("office_staff")
    assert unread(office) == 1
    assert office.locator("[data-queue=extension_requests] .count").inner_text() == "1"
    office.goto(f"/cases/{case.id}")
    decision = office.locator("#form-extension-decision")
    decision.locator("input[value=approve]").check()
    decision.locator("[name=comment]").fill("同意延期，落实临时管控措施")
    with office.expect_navigation():
        decision.locator("button[type=submit]").click()
    assert "已批准延期" in office.locator(".flash").inner_text()
    assert office.locator("[data-flag=extended]").count() == 1
    assert f"{new_deadline.year}年{new_deadline.month}月{new_deadline.day}日" in \
        office.locator("#deadline").inner_text()

    # the department hears of the decision: its header count went up by one
    head.goto("/")
    assert unread(head) == head_unread + 1

    # 部门联络员 disputes jurisdiction of another case, suggesting 区住建局
    officer, _ = open_as("dept_officer")
    officer.goto(f"/cases/{other.id}")
    dispute = officer.locator("#form-dispute")
    dispute.locator("[name=reason]").fill("该工地由住建部门监管")
    dispute.locator("[name=suggested_department_id]").select_option(str(world.other_dept.id))
    with officer.expect_navigation():
        dispute.locator("button[type=submit]").click()
    assert "职责异议已提交" in officer.locator(".flash").inner_text()
    assert officer.locator("#form-dispute").count() == 0

    # 经办人 transfers it to the suggested department from the case page
    office.goto("/")
    assert unread(office) == 2
    assert office.locator("[data-queue=disputes] .count").inner_text() == "1"
    office.click("[data-queue=disputes]")
    office.click(f"a[href='/cases/{other.id}?queue=disputes']")  # opened from the queue
    decide = office.locator("#form-dispute-decision")
    assert decide.locator("input[value=transfer]").is_checked()
    assert decide.locator("[name=department_id]").input_value() == str(world.other_dept.id)
    with office.expect_navigation():
        decide.locator("button[type=submit]").click()  # no reason yet: refused beside the form
    assert decide.locator(".error-box").inner_text() == "须填写理由"
    decide.locator("[name=reason]").fill("属住建部门监管的建筑工地")
    with office.expect_navigation():
        decide.locator("button[type=submit]").click()
    assert office.locator("#field-department").inner_text() == "区住建局"
    assert badge(office) == "已交办"
    assert timeline(office)[-3:] == ["dispute", "transfer", "dispute_decision"]

    # the list page, then everything read: the header count disappears
    office.click("#notifications-link")
    assert office.locator("li.note.unread").count() == 2
    assert "职责异议" in office.locator("li.note").first.inner_text()
    with office.expect_navigation():
        office.click("#form-read-all button")
    assert unread(office) == 0 and office.locator("li.note.unread").count() == 0

    # the new department sees the case; the old one reads it only (its dispute was upheld)
    other_officer, _ = open_as("other_officer")
    assert unread(other_officer) == 1  # 转办交办
    assert other_officer.goto(f"/cases/{other.id}").status == 200
    assert officer.goto(f"/cases/{other.id}").status == 200
    assert officer.locator("#readonly-notice").is_visible() and officer.locator("form.action").count() == 0


def test_listing_proposed_by_the_director_and_approved_by_the_leader(open_as, world):
    case = world.case_at("in_progress", grade="major", responsible_unit="武进某化工有限公司")
    deadline = local_today() + timedelta(days=60)

    # 主任 proposes: the case is not listed until the 区领导 decides
    director, _ = open_as("office_director")
    director.goto(f"/cases/{case.id}")
    form = director.locator("#form-listing-proposal")
    form.locator("[name=level]").select_option("district")
    form.locator("[name=deadline]").fill(deadline.isoformat())
    form.locator("[name=reasons]").fill("储罐区可燃气体报警器失效，需停产治理")
    with director.expect_navigation():
        form.locator("button[type=submit]").click()
    assert "已提请区领导审批挂牌督办" in director.locator(".flash").inner_text()
    assert director.locator("#form-listing-proposal").count() == 0
    assert director.locator("#form-listing-decision").count() == 0
    assert director.locator(".badge.listed").count() == 0
    assert timeline(director)[-1] == "listing_proposal"

    # 区领导 approves on the case page: listed, numbered, the notice linked
    leader, _ = open_as("leader")
    leader.goto(f"/cases/{case.id}")
    decision = leader.locator("#form-listing-decision")
    decision.locator("input[name=approve][value='1']").check()
    decision.locator("[name=comment]").fill("同意挂牌")
    with leader.expect_navigation():
        decision.locator("button[type=submit]").click()
    assert "已批准" in leader.locator(".flash").inner_text()
    assert leader.locator(".badge.listed").count() >= 1  # head flag and the supervision panel
    number = f"武安委办〔{local_today().year}〕1号"
    assert number in leader.locator("#listing-history").inner_text()
    assert timeline(leader)[-2:] == ["listing_decision", "list"]

    # the 公示 page, read by a user of another department
    other, _ = open_as("other_officer")
    other.goto("/listings")
    row = other.locator("#listing-board tbody tr").first.inner_text()
    assert number in row and "武进某化工有限公司" in row and "区级" in row

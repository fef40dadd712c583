"""整改销号审批表: content read back, fonts, determinism, hostile text, long cases, API."""
from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from tests.factories import png_bytes
from tests.factories_problems import PLAN
from tests.factories_records import HOSTILE, busy_case, comment, font_names, pdf_text, pdftotext_pages, squash
from workflow.core import service
from workflow.core.audit import AuditEvent
from workflow.core.evidence import Evidence
from workflow.platform.base import local_today
from workflow.platform.vocab import PLAN_ELEMENTS
from workflow.records.closure import render_closure_report
from workflow.records.render import fonttools_fallback_warning_seen, format_cn_date


def render(world, case, storage, warnings=None):
    world.session.refresh(case)
    return render_closure_report(world.session, case, storage=storage, warnings=warnings)


def actors(world, case):
    return {ev.actor_name for ev in world.session.scalars(
        select(AuditEvent).where(AuditEvent.case_id == case.id))}


def test_closed_report_carries_case_people_files_and_chain(world, storage):
    case = world.case_at("closed")
    warnings = []
    pdf = render(world, case, storage, warnings)
    text = pdf_text(pdf)
    assert "整改销号审批表" in text
    assert f"编号：{case.number}" in text
    assert "区应急管理局" in text
    names = actors(world, case)
    assert {"孙检查员", "王经办", "张联络员", "赵局长", "李主任"} <= names
    for name in names:
        assert name in text
    for ev in world.session.scalars(select(Evidence).where(Evidence.case_id == case.id)):
        assert ev.sha256 in text
        assert ev.filename in text
    assert case.audit_head in text
    assert f"〔{case.number}〕第{case.audit_seq}次记录，全码{case.audit_head}" in text
    assert f"电子校验码：{case.audit_head[:4].upper()}-" in text
    for jargon in ("SafeLoop", "sha256", "SHA-256", "链头", "审计链", "flaskrecords", "UTC"):
        assert jargon not in text, jargon
    assert "已更换全部报警器并联动测试" in text  # the rectification statement
    assert f"日期：{format_cn_date(case.closed_at)}" in text
    assert re.search(r"日期：\d{4}年\d{1,2}月\d{1,2}日", text)
    assert "未销号" not in text
    assert warnings == [] and not fonttools_fallback_warning_seen(warnings)

    reader = PdfReader(io.BytesIO(pdf))
    assert case.audit_head in reader.metadata["/SafeLoopChain"]
    assert case.audit_head in reader.metadata["/Keywords"]
    assert reader.metadata.creation_date is not None
    names = font_names(pdf)
    assert names and all(re.fullmatch(r"/[A-Z]{6}\+Noto-Sans-CJK-SC", n) for n in names), names
    pages = pdftotext_pages(pdf)
    for number, page in enumerate(pages, 1):
        assert f"第{number}页共{len(pages)}页" in squash(page)


def test_report_of_open_case_is_marked_unclosed_on_every_page(world, storage):
    case = world.case_at("reported")
    pages = pdftotext_pages(render(world, case, storage))
    assert all("未销号" in squash(page) for page in pages)
    assert "已上报(待核查)" in squash("".join(pages))


def test_same_state_renders_byte_identical_and_a_change_changes_it(world, storage):
    case = world.case_at("closed")
    first = render(world, case, storage)
    assert render(world, case, storage) == first
    old_head = case.audit_head
    comment(world, case, "office_director", "回头看：整改效果保持良好")
    second = render(world, case, storage)
    assert second != first
    assert case.audit_head != old_head
    assert case.audit_head in pdf_text(second) and old_head not in pdf_text(second)


def test_user_text_prints_literally_and_fetches_nothing(world, storage, http_trap):
    base, hits = http_trap
    hostile = HOSTILE + f' <img src="{base}/a.png"> url({base}/b.png) <style>@import "{base}/c.css";</style>'
    case = world.case_at("in_progress", description=hostile, title="</td></tr></table>标题",
                         measures_required=f'<link rel="stylesheet" href="{base}/d.css">')
    comment(world, case, "dept_officer", hostile)
    warnings = []
    text = pdf_text(render(world, case, storage, warnings))
    assert squash(hostile) in text
    assert "</td></tr></table>标题" in text
    assert f'<linkrel="stylesheet"href="{base}/d.css">' in text
    assert hits == []
    assert warnings == []


def test_missing_evidence_file_is_marked_not_fatal(world, app, tmp_path):
    from workflow.core.evidence import Storage

    case = world.case_at("closed")
    text = pdf_text(render(world, case, Storage(tmp_path / "empty")))
    assert "文件缺失" in text


@pytest.mark.slow
def test_two_hundred_events_and_fifty_photos_break_cleanly(world, storage):
    case = busy_case(world)
    warnings = []
    pdf = render(world, case, storage, warnings)
    assert warnings == []
    pages = [squash(p) for p in pdftotext_pages(pdf)]
    # physical lines keep a table header together; reading order keeps cell text together
    layout_pages = [squash(p) for p in pdftotext_pages(pdf, layout=True)]
    assert len(pages) == len(layout_pages) >= 10
    text = "".join(pages)
    events = world.session.scalars(select(AuditEvent).where(AuditEvent.case_id == case.id)
                                   .order_by(AuditEvent.seq)).all()
    assert len(events) == 200
    for name in {ev.actor_name for ev in events}:
        assert name in text
    # every progress row starts and ends on the same page; the header repeats where rows are
    progress_pages = 0
    seen = set()
    for page, layout_page in zip(pages, layout_pages):
        starts = set(re.findall(r"进展第(\d{3})条起", page))
        ends = set(re.findall(r"进展第(\d{3})条止", page))
        assert starts == ends, f"a timeline row is split: {sorted(starts ^ ends)}"
        if starts:
            progress_pages += 1
            assert "序号时间办理人角色部门操作意见/说明" in layout_page
        seen |= starts
    assert len(seen) == sum(1 for e in events if e.action == "progress") > 100
    assert progress_pages >= 5
    # every file: its row whole on one page (name and hash together), under a repeated header
    files = world.session.scalars(select(Evidence).where(Evidence.case_id == case.id)).all()
    assert len(files) == 50
    for ev in files:
        holding = [i for i, p in enumerate(pages) if ev.sha256 in p]
        assert holding, f"{ev.filename} hash missing"
        assert ev.filename in pages[holding[0]]
        assert "序号文件名/类型/大小文件校验值上传人/时间" in layout_pages[holding[0]]
    reader = PdfReader(io.BytesIO(pdf))
    images = sum(len(page.images) for page in reader.pages)
    assert images >= 50 + 1  # thumbnails of every photo plus the QR code
    assert case.audit_head in text


def test_report_api_follows_case_visibility(client, world):
    case = world.case_at("closed")
    url = f"/api/v1/cases/{case.id}/report.pdf"
    for who in ("auditor", "dept_officer", "office_staff", "leader"):
        resp = client.get(url, headers=world.headers(who))
        assert resp.status_code == 200, who
        assert resp.mimetype == "application/pdf"
        assert case.number in pdf_text(resp.data)
    assert client.get(url, headers=world.headers("other_officer")).status_code == 404
    assert client.get(url).status_code == 401
    assert client.get("/api/v1/cases/999999/report.pdf",
                      headers=world.headers("auditor")).status_code == 404
    # a draft has a report too, marked unclosed
    draft = world.problem()
    resp = client.get(f"/api/v1/cases/{draft.id}/report.pdf", headers=world.headers("auditor"))
    assert resp.status_code == 200 and "未销号" in pdf_text(resp.data)


def test_major_report_prints_the_plan_and_tells_resumption_reviews_from_verifications(world, storage):
    """重大事故隐患 with 停产停业: the six elements, the signed copy, the 复产申请, and each
    on-site record under its purpose (现场核查 / 复产现场审查) with its people and posts."""
    session, users = world.session, world.users
    settings = service.Settings.from_config(world.app.config)
    today = local_today()
    yesterday = today - timedelta(days=1)
    case = world.case_at("in_progress", grade="major", shutdown="full")
    world.evidence(case)
    service.set_plan(session, case.id, users["dept_officer"], PLAN,
                     signed_copy=(png_bytes((1, 1, 1)), "治理方案签批.png"), settings=settings)
    world.evidence(case, data=png_bytes((2, 2, 2)), name="验收报告.png", category="acceptance_report")
    world.evidence(case, data=png_bytes((4, 4, 4)), name="复产申请书.png",
                   category="resumption_request")
    world.step(case, "report", "dept_head", statement="已更换全部报警器并联动测试")
    service.add_onsite_verification(
        session, case.id, users["inspector"], visited_on=today, findings="报警器已更换",
        verifiers=[{"user_id": users["inspector"].id}, {"name": "钱工", "post": "注册安全工程师"}])
    session.commit()
    world.step(case, "verify", "office_staff")
    reviewers = ["周科长（安监科科长）", "吴工（设备工程师）"]
    for day, findings in ((yesterday, "提前踏勘"), (today, "复产条件具备")):
        service.add_onsite_verification(session, case.id, users["office_staff"], visited_on=day,
                                        verifiers=reviewers, findings=findings,
                                        purpose="resumption_review")
    session.commit()
    world.step(case, "close", "office_director", comment="同意销号")

    pdf = render(world, case, storage)
    text = squash("".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages))
    for key, label in PLAN_ELEMENTS.items():
        assert f"治理方案·{label}{squash(PLAN[key])}" in text, label
    day, before = format_cn_date(today), format_cn_date(yesterday)
    assert f"治理方案签批件治理方案签批.png（{day}上传）" in text
    assert f"复产申请{day}提交" in text
    assert (f"现场核查（第1轮）{day}，核查人员（职务）：孙检查员（检查人员）、钱工（注册安全工程师）"
            "。报警器已更换") in text
    assert (f"复产现场审查（第1轮）{before}（早于复产申请（{day}），不作为复产审查），"
            "审查人员（职务）：周科长（安监科科长）、吴工（设备工程师）。提前踏勘") in text
    assert (f"复产现场审查（第1轮）{day}（复产申请（{day}）后第0日），"
            "审查人员（职务）：周科长（安监科科长）、吴工（设备工程师）。复产条件具备") in text
    assert text.count("复产现场审查（第1轮）") == 2 and text.count("现场核查（第1轮）") == 1
    # the timeline names the people of each record too
    assert text.count("核查人：周科长（安监科科长）、吴工（设备工程师）") == 2

"""问题（隐患）交办单 and 延期整改审批意见书, read back from the PDF."""
from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from pypdf import PdfReader

from tests.factories_records import HOSTILE, pdf_text, squash
from workflow.records.extension import render_extension_decision
from workflow.records.notice import render_notice
from workflow.records.render import format_cn_date


def test_notice_of_an_assigned_case(world):
    case = world.case_at("assigned", responsible_unit="武进某化工有限公司", location="储罐区",
                         measures_required="立即更换报警器")
    warnings = []
    pdf = render_notice(world.session, case, warnings=warnings)
    text = pdf_text(pdf)
    for expected in ("问题（隐患）交办单", f"编号：{case.number}", "区应急管理局：", "武进某化工有限公司",
                     "立即更换报警器", "巡查发现", "王经办", format_cn_date(case.deadline),
                     case.audit_head, "常州市武进区安全生产委员会办公室"):
        assert expected in text, expected
    assert warnings == []
    assert render_notice(world.session, case) == pdf
    # after acceptance the notice names who signed for it
    world.step(case, "accept", "dept_officer")
    assert "张联络员" in pdf_text(render_notice(world.session, case))


def test_notice_api(client, world):
    case = world.case_at("assigned")
    resp = client.get(f"/api/v1/cases/{case.id}/notice.pdf", headers=world.headers("dept_head"))
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    assert "filename*=UTF-8''" in resp.headers["Content-Disposition"]
    draft = world.problem()
    resp = client.get(f"/api/v1/cases/{draft.id}/notice.pdf", headers=world.headers("office_staff"))
    assert resp.status_code == 409 and "尚未挂号" in resp.json["message"]
    assert client.get(f"/api/v1/cases/{case.id}/notice.pdf",
                      headers=world.headers("other_head")).status_code == 404


@dataclass
class Extension:
    """Stands for the extension model built elsewhere: plain attributes only."""

    id: int
    case_id: int
    requested_by: object
    reason: str
    interim_measures: str
    new_deadline: date
    status: str
    decided_by: object
    comment: str
    decided_at: datetime
    requested_at: datetime | None = None


def test_extension_decision_from_plain_attributes(world):
    case = world.case_at("in_progress", grade="major")
    ext = Extension(id=3, case_id=case.id, requested_by=world.users["dept_head"],
                    reason="设备需从厂家订购，" + HOSTILE, interim_measures="停用储罐并设警戒区",
                    new_deadline=case.deadline + timedelta(days=15), status="approved",
                    decided_by="李主任", comment="同意延期15日，期间每日巡查。",
                    decided_at=datetime(2020, 3, 5, 2, 0), requested_at=datetime(2020, 3, 3, 1, 0))
    warnings = []
    pdf = render_extension_decision(case, ext, session=world.session, warnings=warnings)
    text = pdf_text(pdf)
    for expected in ("延期整改审批意见书", case.number, "赵局长", "李主任", "同意延期", "重大",
                     format_cn_date(ext.new_deadline), format_cn_date(case.deadline),
                     "停用储罐并设警戒区", "同意延期15日，期间每日巡查。", "2020年3月5日",
                     "2020年3月3日", squash(HOSTILE), case.audit_head):
        assert expected in text, expected
    assert warnings == []
    assert render_extension_decision(case, ext, session=world.session) == pdf
    meta = PdfReader(io.BytesIO(pdf)).metadata
    assert case.audit_head in meta["/SafeLoopChain"]

    refused = Extension(**{**ext.__dict__, "status": "rejected", "comment": "理由不充分"})
    other = render_extension_decision(case, refused, session=world.session)
    assert other != pdf and "不同意延期" in pdf_text(other)


def test_extension_decision_without_session_is_dated_by_decision(world):
    case = world.case_at("in_progress")

    class Pending:
        id = 1
        requested_by = "赵局长"
        reason = "汛期施工受限"
        interim_measures = "设置临时围挡"
        new_deadline = date(2020, 6, 30)
        status = "pending"
        decided_by = None
        decided_at = None
        requested_at = datetime(2020, 5, 1, 8, 0)

    pdf = render_extension_decision(case, Pending())
    text = pdf_text(pdf)
    assert "待审批" in text and "汛期施工受限" in text and "2020年6月30日" in text
    assert PdfReader(io.BytesIO(pdf)).metadata.creation_date.date() == date(2020, 5, 1)


def test_extension_decision_api_for_a_real_request(client, world):
    from workflow.problems.extensions import decide_extension, request_extension

    case = world.case_at("in_progress")
    new_deadline = case.deadline + timedelta(days=15)
    ext = request_extension(world.session, case.id, world.users["dept_head"],
                            reason="设备到货延迟", interim_measures="临时停用并设警戒",
                            new_deadline=new_deadline)
    world.session.commit()
    pending = client.get(f"/api/v1/extensions/{ext.id}/decision.pdf",
                         headers=world.headers("auditor"))
    assert pending.status_code == 409 and "尚未审批" in pending.json["message"]
    decide_extension(world.session, ext.id, world.users["office_staff"], approve=True,
                     comment="同意，按期复查")
    world.session.commit()
    resp = client.get(f"/api/v1/extensions/{ext.id}/decision.pdf", headers=world.headers("auditor"))
    assert resp.status_code == 200 and resp.mimetype == "application/pdf"
    text = squash(pdf_text(resp.data))
    for words in ("延期整改审批意见书", case.number, "设备到货延迟", "同意延期", "赵局长", "王经办",
                  format_cn_date(new_deadline)):
        assert squash(words) in text, words
    for jargon in ("SafeLoop", "sha256", "SHA-256", "链头", "审计链", "flaskrecords", "UTC", "案件"):
        assert jargon not in text, jargon
    again = client.get(f"/api/v1/extensions/{ext.id}/decision.pdf", headers=world.headers("auditor"))
    assert again.data == resp.data
    other = client.get(f"/api/v1/extensions/{ext.id}/decision.pdf",
                       headers=world.headers("other_officer"))
    assert other.status_code == 404

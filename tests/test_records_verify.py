"""``records verify`` and the auditors' verification: match, changes since, forgery, garbage."""
from __future__ import annotations

import io
import json
import re

from pypdf import PdfReader, PdfWriter

from tests.factories_records import comment, login
from tests.htmlcheck import inline_scripts
from workflow.records.closure import render_closure_report
from workflow.records.render import render_pdf


def report_file(world, case, storage, tmp_path, name="report.pdf"):
    world.session.refresh(case)
    pdf = render_closure_report(world.session, case, storage=storage)
    world.session.commit()
    path = tmp_path / name
    path.write_bytes(pdf)
    return path, pdf


def test_cli_match_then_changes_listed(world, storage, runner, tmp_path):
    case = world.case_at("verified")
    path, _ = report_file(world, case, storage, tmp_path)
    result = runner.invoke(args=["records", "verify", str(path)])
    assert result.exit_code == 0, result.output
    assert "一致" in result.output and case.audit_head in result.output

    printed_seq = case.audit_seq
    world.step(case, "close", "office_director", comment="同意销号")
    comment(world, case, "auditor", "抽查：资料齐全")
    result = runner.invoke(args=["records", "verify", str(path)])
    assert result.exit_code == 1, result.output
    assert "不一致" in result.output
    assert f"序号 {printed_seq + 1} 起" in result.output
    assert re.search(rf"#{printed_seq + 1} \d{{4}}年\d+月\d+日 \d\d:\d\d 李主任（区安委办主任，区安委办） 销号：同意销号",
                     result.output), result.output
    assert "吴审计" in result.output and "备注：抽查：资料齐全" in result.output


def test_cli_unreadable_files_exit_2(world, runner, tmp_path):
    garbage = tmp_path / "garbage.pdf"
    garbage.write_bytes(b"not a pdf at all")
    result = runner.invoke(args=["records", "verify", str(garbage)])
    assert result.exit_code == 2 and "不是 PDF" in result.output
    truncated = tmp_path / "truncated.pdf"
    truncated.write_bytes(b"%PDF-1.7\n1 0 obj <<")
    assert runner.invoke(args=["records", "verify", str(truncated)]).exit_code == 2
    plain = tmp_path / "plain.pdf"
    plain.write_bytes(render_pdf("<p>普通文件</p>", identifier="x", title="普通",
                                 created=world.users["admin"].created_at))
    result = runner.invoke(args=["records", "verify", str(plain)])
    assert result.exit_code == 2 and "没有审计链核验信息" in result.output
    result = runner.invoke(args=["records", "verify", str(tmp_path / "missing.pdf")])
    assert result.exit_code == 2


def test_forged_hash_is_a_mismatch(world, storage, runner, tmp_path):
    case = world.case_at("closed")
    _, pdf = report_file(world, case, storage, tmp_path)
    writer = PdfWriter(clone_from=io.BytesIO(pdf))
    forged = "f" * 64
    writer.add_metadata({"/SafeLoopChain": json.dumps(
        {"v": 1, "cases": [{"id": case.id, "number": case.number, "seq": case.audit_seq,
                            "head": forged}]})})
    out = tmp_path / "forged.pdf"
    with open(out, "wb") as fh:
        writer.write(fh)
    result = runner.invoke(args=["records", "verify", str(out)])
    assert result.exit_code == 1
    assert "不在该事项的审计链中" in result.output


def test_visible_text_is_enough_without_metadata(world, storage, runner, tmp_path):
    """A copy that lost its metadata (re-saved, printed to PDF) is checked by its text."""
    case = world.case_at("closed")
    _, pdf = report_file(world, case, storage, tmp_path)
    writer = PdfWriter()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        writer.add_page(page)
    out = tmp_path / "stripped.pdf"
    with open(out, "wb") as fh:
        writer.write(fh)
    assert "/SafeLoopChain" not in (PdfReader(out).metadata or {})
    result = runner.invoke(args=["records", "verify", str(out)])
    assert result.exit_code == 0, result.output
    comment(world, case, "office_director", "回头看")
    assert runner.invoke(args=["records", "verify", str(out)]).exit_code == 1


def test_verify_api(client, world, storage, tmp_path):
    case = world.case_at("closed")
    _, pdf = report_file(world, case, storage, tmp_path)

    def post(data, who="auditor"):
        return client.post("/api/v1/records/verify", headers=world.headers(who),
                           data={"file": (io.BytesIO(data), "r.pdf")},
                           content_type="multipart/form-data")

    resp = post(pdf)
    assert resp.status_code == 200 and resp.json["match"] is True
    assert resp.json["cases"][0]["outcome"] == "match"
    comment(world, case, "office_director", "回头看：复发")
    body = post(pdf).json
    assert body["match"] is False and body["cases"][0]["outcome"] == "changed"
    assert [e["actor"] for e in body["cases"][0]["events_since"]] == ["李主任"]
    assert body["cases"][0]["events_since"][0]["comment"] == "回头看：复发"
    resp = post(b"garbage")
    assert resp.status_code == 422 and resp.json["readable"] is False
    # record verification belongs to the office, the auditors and the 纪检监察 (it used to
    # answer any role, a department user with "not_found" for another department's case)
    for who in ("other_officer", "dept_head", "inspector", "leader", "admin"):
        refused = post(pdf, who=who)
        assert refused.status_code == 403 and refused.json["needed_roles"] == [
            "auditor", "discipline", "office_director", "office_staff"], who
    assert post(pdf, who="office_staff").json["match"] is False  # changed since printing
    resp = client.post("/api/v1/records/verify", headers=world.headers("auditor"))
    assert resp.status_code == 400 and resp.json["field"] == "file"


def test_auditor_page_verifies_an_upload(client, world, storage, tmp_path):
    case = world.case_at("closed")
    _, pdf = report_file(world, case, storage, tmp_path)
    token = login(client, world.users["auditor"])
    page = client.get("/records")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "记录核验" in html and "批量导出" in html
    assert inline_scripts(html) == [] and " style=" not in html and "onclick" not in html
    resp = client.post("/records/verify", data={"csrf_token": token,
                                                "file": (io.BytesIO(pdf), "整改销号审批表.pdf")},
                       content_type="multipart/form-data")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert "记录与系统审计链一致" in html and case.number in html
    csp = resp.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp


def test_auditor_page_is_refused_to_department_users(client, world):
    login(client, world.users["dept_head"])
    assert client.get("/records").status_code == 403

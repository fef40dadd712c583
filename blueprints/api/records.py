"""Printed records: closure report, notice, ledger, verification and batch exports."""
from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from flask import Response, current_app, jsonify, request, send_file

from blueprints.api import ID, api_user, authed, bp, json_body, openapi, query_args
from blueprints.api.cases import LIST_FILTERS
from blueprints.extensions import db, record_cache, storage
from blueprints.jobs import reap_abandoned, start_export
from workflow.core import service
from workflow.core.cases import Case
from workflow.core.policy import verify_refusal
from workflow.core.queries import filtered_cases
from workflow.org.models import Department
from workflow.org.roles import DEPARTMENT_ROLES
from workflow.platform.errors import Conflict, InvalidInput, NotFound
from workflow.platform.parsing import parse_date
from workflow.problems.extensions import get_extension
from workflow.records.closure import record_title, render_closure_report
from workflow.records.exports import create_export, create_ledger_export, get_job
from workflow.records.extension import render_extension_decision
from workflow.records.ledger import in_period, ledger_cases, period_text, render_ledger
from workflow.records.ledger_xlsx import XLSX
from workflow.records.notice import render_notice
from workflow.records.verify import MAX_VERIFY_BYTES, verify_summary

LEDGER_FILTERS = (LIST_FILTERS - {"limit", "cursor"}) | {"from", "to"}


def pdf_response(pdf: bytes, filename: str) -> Response:
    resp = Response(pdf, mimetype="application/pdf")
    # RFC 6266: an ASCII fallback name plus the UTF-8 one
    ascii_name = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_.") else "_"
                         for ch in filename)
    resp.headers["Content-Disposition"] = (f"inline; filename=\"{ascii_name}\"; "
                                           f"filename*=UTF-8''{quote(filename)}")
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


def issuer() -> str:
    return current_app.config["RECORDS_ISSUER"]


@bp.get(f"/cases/<{ID}:case_id>/report.pdf")
@authed
def closure_report(case_id: int):
    case = service.get_case(db.session, case_id, api_user())
    pdf = render_closure_report(db.session, case, storage=storage(), issuer=issuer(),
                                cache=record_cache())
    return pdf_response(pdf, f"{record_title(case)}-{case.display_number}.pdf")


@bp.get(f"/cases/<{ID}:case_id>/notice.pdf")
@authed
def rectification_notice(case_id: int):
    case = service.get_case(db.session, case_id, api_user())
    pdf = render_notice(db.session, case, issuer=issuer())
    return pdf_response(pdf, f"问题（隐患）交办单-{case.display_number}.pdf")


@bp.get(f"/extensions/<{ID}:extension_id>/decision.pdf")
@authed
def extension_decision(extension_id: int):
    ext = get_extension(db.session, extension_id, api_user())
    if ext.status == "pending":
        raise Conflict("该延期申请尚未审批，没有审批意见可打印", status=ext.status)
    pdf = render_extension_decision(ext.case, ext, session=db.session, issuer=issuer())
    return pdf_response(pdf, f"延期整改审批意见书-{ext.case.display_number}-{ext.id}.pdf")


@bp.get("/ledger.pdf")
@authed
def ledger_pdf():
    args = query_args(LEDGER_FILTERS)
    user = api_user()
    date_from = parse_date(args["from"], "from") if args.get("from") else None
    date_to = parse_date(args["to"], "to") if args.get("to") else None
    stmt = in_period(filtered_cases(user, args), date_from, date_to)
    if not args.get("status"):
        stmt = stmt.where(Case.status != "draft")  # the 台账 lists registered cases
    if args.get("department_id"):
        dept = db.session.get(Department, int(args["department_id"]))
        who = dept.name if dept else f"部门 {args['department_id']}"
    elif user.role in DEPARTMENT_ROLES and user.department:
        who = user.department.name
    else:
        who = "全部部门"
    scope = [who, period_text(date_from, date_to)]
    pdf = render_ledger(db.session, ledger_cases(db.session, stmt), scope_text=" · ".join(scope),
                        issuer=issuer())
    return pdf_response(pdf, "整改台账.pdf")


def read_upload() -> bytes:
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise InvalidInput("缺少上传文件（multipart 字段 file）", field="file")
    data = upload.read(MAX_VERIFY_BYTES + 1)
    if len(data) > MAX_VERIFY_BYTES:
        raise InvalidInput("文件超过 50 MB", field="file")
    return data


@bp.post("/records/verify")
@authed
def verify_upload():
    user = api_user()
    if refusal := verify_refusal(user):  # before reading up to 50 MB
        raise refusal
    body, code = verify_summary(db.session, read_upload(), user, **verify_limits())
    return jsonify(body), 422 if code == 2 else 200


def verify_limits() -> dict:
    return {"max_stamps": current_app.config["VERIFY_MAX_STAMPS"],
            "max_pages": current_app.config["VERIFY_MAX_PAGES"]}


@bp.post("/exports")
@authed
def post_export():
    user = api_user()
    data = json_body() if request.data else {}
    job = create_export(db.session, user, data)
    db.session.commit()
    start_export(job)
    return jsonify({"id": job.id, **job.to_dict()}), 202


@bp.post("/ledger-exports")
@authed
def post_ledger_export():
    """The 台账 workbook of the filtered list as a background job (a whole register)."""
    args = query_args(LIST_FILTERS - {"limit", "cursor"})
    job = create_ledger_export(db.session, api_user(), dict(args))
    db.session.commit()
    start_export(job)
    return jsonify({"id": job.id, **job.to_dict()}), 202


@bp.get(f"/exports/<{ID}:job_id>")
@authed
def get_export(job_id: int):
    job = get_job(db.session, job_id, api_user())
    reap_abandoned(current_app._get_current_object(), [job])  # its process died: say failed
    return jsonify(job.to_dict())


@bp.get(f"/exports/<{ID}:job_id>/file")
@authed
def export_file(job_id: int):
    job = get_job(db.session, job_id, api_user())
    if job.status != "done" or not job.file_path or not Path(job.file_path).is_file():
        raise NotFound(f"导出任务 {job_id} 尚未完成或文件已不存在")
    if job.kind == "ledger":
        return send_file(job.file_path, mimetype=XLSX, as_attachment=True,
                         download_name=f"台账-导出{job.id}.xlsx", max_age=0)
    return send_file(job.file_path, mimetype="application/zip", as_attachment=True,
                     download_name=f"整改销号审批表-导出{job.id}.zip", max_age=0)


def errors(*codes: int) -> dict:
    return {str(c): {"description": openapi.ERROR_DESCRIPTIONS[c], **openapi.json_content(openapi.ERROR)}
            for c in codes}


PDF = {"200": {"description": "PDF", "content": {"application/pdf": {
    "schema": {"type": "string", "format": "binary"}}}}}
_CASE = [openapi.ID_PARAM]
openapi.add_paths({
    "/cases/{case_id}/report.pdf": {"parameters": _CASE, "get": {
        "summary": "整改销号审批表（任何状态；未销号时标注“未销号”）",
        "responses": {**PDF, **errors(400, 401, 404)}}},
    "/cases/{case_id}/notice.pdf": {"parameters": _CASE, "get": {
        "summary": "问题（隐患）交办单（挂号交办后）",
        "responses": {**PDF, **errors(400, 401, 404, 409)}}},
    "/extensions/{extension_id}/decision.pdf": {"parameters": [
        {"name": "extension_id", "in": "path", "required": True,
         "schema": {"type": "integer", "minimum": 1, "maximum": 2147483647}}], "get": {
        "summary": "延期整改审批意见书（已审批的延期申请）",
        "responses": {**PDF, **errors(401, 404, 409)}}},
    "/ledger.pdf": {"get": {
        "summary": "整改台账 PDF（事项列表的筛选条件 + 挂号日期 from/to）",
        "parameters": [p for p in openapi.LIST_PARAMS if p["name"] not in ("limit", "cursor")] + [
            openapi.empty_ok({"name": "from", "in": "query", "schema": openapi.DATE}),
            openapi.empty_ok({"name": "to", "in": "query", "schema": openapi.DATE})],
        "responses": {**PDF, **errors(400, 401)}}},
    "/records/verify": {"post": {
        "summary": "核验记录 PDF 与审计链是否一致（区安委办、审计、纪检监察）",
        "description": ("加密的 PDF、超出解析上限的 PDF、审计链印记超过 VERIFY_MAX_STAMPS 个、"
                        "或无核验元数据且超过 VERIFY_MAX_PAGES 页的 PDF：400，field 为 file"),
        "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
            "type": "object", "required": ["file"],
            "properties": {"file": {"type": "string", "format": "binary"}}}}}},
        "responses": {**openapi.responses("200", openapi.ref("VerifyResult"), 400, 401, 403),
                      "422": {"description": "文件不是本系统的记录或无法读取",
                              **openapi.json_content(openapi.ref("VerifyResult"))}}}},
    "/exports": {"post": {
        "summary": "批量导出整改销号审批表（审计、纪检监察、区安委办）",
        "requestBody": {"required": True, **openapi.json_content(openapi.ref("ExportInput"))},
        "responses": openapi.responses("202", openapi.ref("ExportJob"), 400, 401, 403,
                                       desc="已排队")}},
    "/ledger-exports": {"post": {
        "summary": "台账 Excel 后台导出（整个台账；筛选条件同案件列表；进度与下载见 /exports/{job_id}）",
        "parameters": [p for p in openapi.LIST_PARAMS if p["name"] not in ("limit", "cursor")],
        "responses": openapi.responses("202", openapi.ref("ExportJob"), 400, 401,
                                       desc="已排队")}},
    "/exports/{job_id}": {"parameters": [{**openapi.ID_PARAM, "name": "job_id"}], "get": {
        "summary": "导出任务进度", "responses": openapi.responses("200", openapi.ref("ExportJob"),
                                                              401, 404)}},
    "/exports/{job_id}/file": {"parameters": [{**openapi.ID_PARAM, "name": "job_id"}], "get": {
        "summary": "下载导出的文件（整改销号审批表 zip，或台账 xlsx）",
        "responses": {"200": {"description": "zip 或 xlsx", "content": {"application/zip": {
            "schema": {"type": "string", "format": "binary"}}, XLSX: {
            "schema": {"type": "string", "format": "binary"}}}},
            **errors(401, 404)}}},
}, {
    "VerifyResult": {"type": "object", "required": ["readable", "match", "message", "cases"],
                     "properties": {
                         "readable": {"type": "boolean"}, "match": {"type": "boolean"},
                         "message": {"type": "string"},
                         "cases": {"type": "array", "items": {"type": "object", "properties": {
                             "number": {"type": "string"}, "printed_seq": {"type": "integer"},
                             "printed_head": {"type": "string"},
                             "outcome": {"type": "string", "enum": [
                                 "match", "changed", "mismatch", "chain_broken", "not_found"]},
                             "events_since": {"type": "array", "items": {"type": "object"}}}}}}},
    "ExportInput": {"type": "object", "required": ["from", "to"], "additionalProperties": False,
                    "properties": {"department_id": openapi._optional(
                                       {"type": "integer", "minimum": 1, "maximum": 2147483647}),
                                   "from": {"type": "string", "format": "date"},
                                   "to": {"type": "string", "format": "date"},
                                   "scope": openapi._optional(
                                       {"type": "string", "enum": ["closed", "registered"]})}},
    "ExportJob": {"type": "object", "required": ["id", "status", "total", "done"], "properties": {
        "id": {"type": "integer"},
        "kind": {"type": "string", "enum": ["closure", "ledger"]},
        "status": {"type": "string", "enum": ["queued", "running", "done", "failed"]},
        "total": {"type": "integer"}, "done": {"type": "integer"},
        "percent": {"type": "integer"}, "error": {"type": ["string", "null"]},
        "file": {"type": ["string", "null"]}}},
})

"""交办批次 (来文): record a batch, import its list, and the 对账表 sent back up."""
from __future__ import annotations

import io

from flask import current_app, jsonify, request, send_file

from blueprints.api import ID, api_user, authed, bp, json_body, openapi, query_args
from blueprints.api.ledger import XLSX, TooLarge, _flag
from blueprints.extensions import db, settings
from workflow.core.workdays import calendar_for
from workflow.platform.errors import InvalidInput, refuse_unknown
from workflow.platform.vocab import GRADES, ISSUER_LEVELS, SOURCES, normalise_key
from workflow.problems import batches
from workflow.records.casedata import DEFAULT_ISSUER
from workflow.records.reconciliation import (
    reconciliation_filename,
    render_reconciliation,
    write_reconciliation,
)

IMPORT_FORM = {"dry_run", "register", "grade", "sheet", "csrf_token"}


def _immediate_days() -> int:
    return current_app.config.get("IMMEDIATE_WORKING_DAYS", 5)


def _item(item: batches.BatchItem) -> dict:
    case = item.case
    return {"position": item.position, "original_number": item.original_number,
            "case_id": case.id, "number": case.number, "title": case.title,
            "department_id": case.department_id, "status": case.status,
            "status_label": case.status_label,
            "deadline": case.deadline.isoformat() if case.deadline else None,
            "deadline_text": item.deadline_text, "immediate": item.immediate,
            "long_term": item.long_term, "backfill": item.backfill, "overdue": case.overdue,
            "sheet_row": item.sheet_row}


@bp.post("/batches")
@authed
def post_batch():
    user = api_user()
    data = json_body(set(batches.BATCH_FIELDS))
    batch = batches.create_batch(db.session, user, data, immediate_days=_immediate_days(),
                                 calendar=calendar_for(db.session))
    db.session.commit()
    return jsonify(batch.to_dict(batches.batch_counts(db.session, [batch.id])[batch.id])), 201


@bp.get("/batches")
@authed
def list_batches():
    query_args(set())
    rows = batches.list_batches(db.session, api_user())
    counts = batches.batch_counts(db.session, [b.id for b in rows])
    return jsonify({"items": [b.to_dict(counts[b.id]) for b in rows]})


@bp.get(f"/batches/<{ID}:batch_id>")
@authed
def get_batch(batch_id: int):
    query_args(set())
    batch = batches.get_batch(db.session, batch_id, api_user())
    body = batch.to_dict(batches.batch_counts(db.session, [batch.id])[batch.id])
    body["items_list"] = [_item(i) for i in batches.items_of(db.session, batch)]
    return jsonify(body)


@bp.post(f"/batches/<{ID}:batch_id>/import")
@authed
def post_batch_import(batch_id: int):
    user = api_user()
    refuse_unknown(request.form, IMPORT_FORM)
    upload = request.files.get("file")
    if upload is None:
        raise InvalidInput("缺少上传文件（multipart 字段 file，.xlsx）", field="file")
    limit = current_app.config["MAX_UPLOAD_BYTES"]
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise TooLarge(f"文件超过 {limit // (1024 * 1024)} MiB 上限", field="file")
    grade = None
    if request.form.get("grade"):
        grade = normalise_key(request.form["grade"], GRADES)
        if grade is None:
            raise InvalidInput(f"默认隐患等级“{request.form['grade'][:20]}”无效", field="grade")
    dry_run = _flag("dry_run", False)
    report = batches.import_batch(
        db.session, user, batch_id, data, upload.filename or "upload.xlsx", dry_run=dry_run,
        register=_flag("register", False), grade=grade, immediate_days=_immediate_days(),
        settings=settings(), max_rows=current_app.config["IMPORT_MAX_ROWS"],
        sheet=request.form.get("sheet") or None)
    body = {"dry_run": dry_run, "ok": not report.errors, "batch_id": batch_id,
            **report.to_dict()}
    if dry_run:
        db.session.rollback()
        return jsonify(body)
    db.session.commit()
    return jsonify(body), 201


@bp.get(f"/batches/<{ID}:batch_id>/reconciliation.xlsx")
@authed
def get_reconciliation_xlsx(batch_id: int):
    query_args(set())
    batch = batches.get_batch(db.session, batch_id, api_user())
    data = write_reconciliation(db.session, batch)
    return send_file(io.BytesIO(data), mimetype=XLSX, as_attachment=True,
                     download_name=reconciliation_filename(batch, "xlsx"))


@bp.get(f"/batches/<{ID}:batch_id>/reconciliation.pdf")
@authed
def get_reconciliation_pdf(batch_id: int):
    query_args(set())
    batch = batches.get_batch(db.session, batch_id, api_user())
    data = render_reconciliation(db.session, batch,
                                 issuer=current_app.config.get("RECORDS_ISSUER", DEFAULT_ISSUER))
    return send_file(io.BytesIO(data), mimetype="application/pdf", as_attachment=True,
                     download_name=reconciliation_filename(batch, "pdf"))


_BATCH_ID = [{**openapi.ID_PARAM, "name": "batch_id"}]
_SOURCES = [k for k in SOURCES if k != "task_list"] + [v[0] for k, v in SOURCES.items()
                                                     if k != "task_list"]
_BATCH = {"type": "object", "required": ["id", "title", "issuer_level", "assigned_on"],
          "properties": {
              "id": {"type": "integer"}, "title": {"type": "string"},
              "issuer_level": {"type": "string", "enum": list(ISSUER_LEVELS)},
              "issuer_level_label": {"type": "string"}, "issuer": {"type": ["string", "null"]},
              "doc_number": {"type": ["string", "null"]},
              "assigned_on": {"type": "string", "format": "date"},
              "deadline": {"type": ["string", "null"], "description": "总体整改时限（原文）"},
              "deadline_date": {"type": ["string", "null"], "format": "date"},
              "long_term": {"type": "boolean"}, "reporting_rule": {"type": ["string", "null"]},
              "report_day": {"type": ["integer", "null"]},
              "next_report_on": {"type": ["string", "null"], "format": "date",
                                 "description": "本月（或下月）报送截止日"},
              "source": {"type": "string"},
              "source_label": {"type": "string"}, "backfill": {"type": "boolean"},
              "created_at": {"type": ["string", "null"]},
              "items": {"type": "integer"}, "closed": {"type": "integer"},
              "overdue": {"type": "integer"}, "long_term_items": {"type": "integer"},
              "items_list": {"type": "array", "items": {"type": "object"}}}}
_NOT_NULL_OR_EMPTY = openapi._optional
openapi.add_paths({
    "/batches": {
        "get": {"summary": "交办批次列表（来文）",
                "responses": openapi.responses("200", {"type": "object", "required": ["items"],
                                                       "properties": {"items": {
                                                           "type": "array",
                                                           "items": openapi.ref("Batch")}}},
                                               400, 401, 403)},
        "post": {"summary": "登记交办批次（区安委办）",
                 "requestBody": {"required": True,
                                 **openapi.json_content(openapi.ref("BatchInput"))},
                 "responses": openapi.responses("201", openapi.ref("Batch"), 400, 401, 403)}},
    "/batches/{batch_id}": {"parameters": _BATCH_ID, "get": {
        "summary": "交办批次及其事项（按原清单顺序）",
        "responses": openapi.responses("200", openapi.ref("Batch"), 400, 401, 403, 404)}},
    "/batches/{batch_id}/import": {"parameters": _BATCH_ID, "post": {
        "summary": "导入交办批次的问题清单（Excel；一行有误则不导入，指明行和列）",
        "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
            "type": "object", "required": ["file"], "properties": {
                "file": {"type": "string", "format": "binary"},
                "dry_run": {"type": "boolean", "description": "只预览，不写入"},
                "register": {"type": "boolean", "description": "直接挂号（区安委办经办人）"},
                "grade": {"type": "string", "enum": [*openapi._GRADES, ""],
                          "description": "表中无“等级”列时的默认等级（缺省：一般）"},
                "sheet": openapi.text(100)}}}}},
        "responses": {**openapi.responses("201", {"type": "object"}, 400, 401, 403, 404, 413,
                                          422),
                      "200": {"description": "预览（dry_run）",
                              **openapi.json_content({"type": "object"})}}}},
    "/batches/{batch_id}/reconciliation.xlsx": {"parameters": _BATCH_ID, "get": {
        "summary": "对账表 Excel：按原清单顺序列出每一项的原序号、编号、责任单位、状态、销号日期、整改情况",
        "responses": {"200": {"description": "Excel 文件", "content": {XLSX: {
            "schema": {"type": "string", "format": "binary"}}}},
            **{k: v for k, v in openapi.responses("200", {}, 400, 401, 403, 404).items()
               if k != "200"}}}},
    "/batches/{batch_id}/reconciliation.pdf": {"parameters": _BATCH_ID, "get": {
        "summary": "对账表 PDF（带电子校验码）",
        "responses": {"200": {"description": "PDF", "content": {"application/pdf": {
            "schema": {"type": "string", "format": "binary"}}}},
            **{k: v for k, v in openapi.responses("200", {}, 400, 401, 403, 404).items()
               if k != "200"}}}},
}, {
    "Batch": _BATCH,
    "BatchInput": {
        "type": "object", "additionalProperties": False,
        "required": ["title", "issuer_level", "assigned_on"],
        "properties": {
            "title": openapi.text(batches.TEXT_LIMITS["title"], required=True),
            "issuer_level": {"type": "string", "enum": [*ISSUER_LEVELS, *ISSUER_LEVELS.values()],
                             "description": "state 国务院、province 省、city 市、district 区"},
            "issuer": {**openapi.text(batches.TEXT_LIMITS["issuer"]), "type": ["string", "null"],
                       "description": "交办机关，如 国务院安委会第三督导组"},
            "doc_number": {**openapi.text(batches.TEXT_LIMITS["doc_number"]),
                           "type": ["string", "null"], "description": "来文文号"},
            "assigned_on": {"type": "string", "format": "date", "description": "交办日期"},
            "deadline": {**openapi.text(batches.TEXT_LIMITS["deadline"]),
                         "type": ["string", "null"],
                         "description": "总体整改时限：日期或“2020年底前”“12月底前”“立行立改”“长期坚持”"},
            "reporting_rule": {**openapi.text(batches.TEXT_LIMITS["reporting_rule"]),
                               "type": ["string", "null"], "description": "报送要求"},
            "report_day": _NOT_NULL_OR_EMPTY({"type": "integer", "minimum": 1, "maximum": 31}),
            "source": _NOT_NULL_OR_EMPTY({"type": "string", "enum": _SOURCES}),
            "backfill": {"type": ["boolean", "null"],
                         "description": "补录：已过期限的历史清单，期限照录，事项生成即逾期"}}},
})

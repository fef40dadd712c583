"""台账 Excel export of any filtered case list, and Excel import of problem lists."""
from __future__ import annotations

import io

from flask import current_app, jsonify, request, send_file

from blueprints.api import api_user, authed, bp, openapi, query_args
from blueprints.api.cases import LIST_FILTERS
from blueprints.extensions import db, settings
from workflow.core.queries import filtered_cases
from workflow.platform.base import local_today
from workflow.platform.errors import DomainError, InvalidInput, refuse_unknown
from workflow.platform.vocab import GRADES, SOURCES, normalise_key
from workflow.problems.excel_import import DeadlineRules, import_problems
from workflow.records.ledger_xlsx import ledger_filename, write_ledger

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
IMPORT_FORM = {"dry_run", "all_or_nothing", "register", "source", "grade", "sheet", "csrf_token",
               "backfill"}


class TooLarge(DomainError):
    status = 413
    code = "too_large"


@bp.get("/ledger.xlsx")
@authed
def get_ledger():
    args = query_args(LIST_FILTERS - {"limit", "cursor"})
    stmt = filtered_cases(api_user(), args)
    kinds = (args["kind"],) if args.get("kind") else None  # one kind: only its sheet
    data = write_ledger(db.session, stmt.whereclause, kinds=kinds)
    return send_file(io.BytesIO(data), mimetype=XLSX, as_attachment=True,
                     download_name=ledger_filename(local_today()))


def _flag(name: str, default: bool) -> bool:
    value = request.form.get(name)
    if value in (None, ""):
        return default
    if value.lower() in ("true", "1", "yes", "on"):
        return True
    if value.lower() in ("false", "0", "no", "off"):
        return False
    raise InvalidInput(f"{name} 须为 true 或 false", field=name)


@bp.post("/imports/problems")
@authed
def post_import_problems():
    user = api_user()
    refuse_unknown(request.form, IMPORT_FORM)
    upload = request.files.get("file")
    if upload is None:
        raise InvalidInput("缺少上传文件（multipart 字段 file，.xlsx）", field="file")
    limit = current_app.config["MAX_UPLOAD_BYTES"]
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise TooLarge(f"文件超过 {limit // (1024 * 1024)} MiB 上限", field="file")
    defaults = {}
    for name, table in (("source", {k: v for k, v in SOURCES.items() if k != "task_list"}),
                        ("grade", GRADES)):
        if request.form.get(name):
            key = normalise_key(request.form[name], table)
            if key is None:
                raise InvalidInput(f"默认{'问题来源' if name == 'source' else '隐患等级'}“{request.form[name]}”无效",
                                   field=name)
            defaults[name] = key
    dry_run = _flag("dry_run", False)
    report = import_problems(db.session, user, data, upload.filename or "upload.xlsx",
                             dry_run=dry_run, all_or_nothing=_flag("all_or_nothing", True),
                             register=_flag("register", False), defaults=defaults,
                             settings=settings(), sheet=request.form.get("sheet") or None,
                             max_rows=current_app.config["IMPORT_MAX_ROWS"],
                             deadline_rules=DeadlineRules(
                                 immediate_days=current_app.config["IMMEDIATE_WORKING_DAYS"],
                                 backfill=_flag("backfill", False)))
    body = {"dry_run": dry_run, "ok": not report.errors, **report.to_dict()}
    if dry_run:
        db.session.rollback()
        return jsonify(body)
    db.session.commit()
    return jsonify(body), 201


_ERR = {k: v for k, v in openapi.responses("200", {}, 400, 401, 403).items() if k != "200"}
openapi.add_paths({
    "/ledger.xlsx": {"get": {
        "summary": "台账 Excel（问题隐患、目标任务各一个工作表；筛选条件同事项列表）",
        "parameters": [p for p in openapi.LIST_PARAMS if p["name"] not in ("limit", "cursor")],
        "responses": {"200": {"description": "Excel 文件", "content": {XLSX: {
            "schema": {"type": "string", "format": "binary"}}}}, **_ERR}}},
    "/imports/problems": {"post": {
        "summary": "导入问题清单（Excel）：预览或全部导入（一行有误则不导入）",
        "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
            "type": "object", "required": ["file"], "properties": {
                "file": {"type": "string", "format": "binary"},
                "dry_run": {"type": "boolean", "description": "只预览，不写入"},
                "all_or_nothing": {"type": "boolean", "default": True},
                "register": {"type": "boolean", "description": "直接挂号（区安委办经办人）"},
                "backfill": {"type": "boolean",
                             "description": "补录：已过的整改期限照录（事项生成即逾期）；也可逐行用“补录”列标记"},
                "source": {"type": "string", "enum": [*openapi._SOURCES, ""],
                           "description": "表中无“来源”列时的默认来源"},
                "grade": {"type": "string", "enum": [*openapi._GRADES, ""],
                          "description": "表中无“等级”列时的默认等级"},
                "sheet": openapi.text(100)}}}}},
        "responses": {**openapi.responses("201", {"type": "object"}, 400, 401, 403, 413, 422),
                      "200": {"description": "预览（dry_run）", **openapi.json_content(
                          {"type": "object"})}}}},
})

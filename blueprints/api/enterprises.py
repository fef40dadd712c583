"""生产经营单位 register, 交办下级 (属地 hierarchy) and the 属地/行业 duties of a case."""
from __future__ import annotations

from flask import current_app, jsonify, request

from blueprints.api import ID, api_user, authed, bp, json_body, openapi, query_args
from blueprints.api.cases import case_payload
from blueprints.api.kpis import _W as kpi_window_params
from blueprints.api.kpis import WINDOW_ARGS, window_from
from blueprints.extensions import db
from workflow.assessment import figures
from workflow.core import service
from workflow.core.queries import int_arg
from workflow.enterprises import register
from workflow.platform.errors import DomainError, InvalidInput, refuse_unknown
from workflow.platform.parsing import parse_date, parse_id
from workflow.platform.vocab import DUTIES
from workflow.problems.enterprise_import import import_enterprises

LIST_ARGS = {"q", "town_id", "industry", "credit_code", "limit"}


@bp.get("/enterprises")
@authed
def list_enterprises():
    args = query_args(LIST_ARGS)
    q = (args.get("q") or "").strip() or None
    rows = register.search(db.session, api_user(), q=q,
                           town_id=int_arg(args, "town_id", 1, 2**31 - 1),
                           industry=(args.get("industry") or "").strip() or None,
                           credit=(args.get("credit_code") or "").strip() or None,
                           limit=int_arg(args, "limit", 1, 500) or 100)
    return jsonify({"items": [e.to_dict() for e in rows]})


@bp.post("/enterprises")
@authed
def create_enterprise():
    ent = register.create_enterprise(db.session, api_user(), json_body())
    db.session.commit()
    return jsonify(register.enterprise_document(db.session, ent.id, api_user())), 201


@bp.get(f"/enterprises/<{ID}:enterprise_id>")
@authed
def get_enterprise(enterprise_id: int):
    return jsonify(register.enterprise_document(db.session, enterprise_id, api_user()))


@bp.patch(f"/enterprises/<{ID}:enterprise_id>")
@authed
def patch_enterprise(enterprise_id: int):
    ent = register.update_enterprise(db.session, api_user(), enterprise_id, json_body())
    db.session.commit()
    return jsonify(register.enterprise_document(db.session, ent.id, api_user()))


class TooLarge(DomainError):
    status = 413
    code = "too_large"


@bp.post("/enterprises/import")
@authed
def post_import_enterprises():
    user = api_user()
    refuse_unknown(request.form, {"dry_run", "csrf_token"})
    upload = request.files.get("file")
    if upload is None:
        raise InvalidInput("缺少上传文件（multipart 字段 file，.xlsx）", field="file")
    limit = current_app.config["MAX_UPLOAD_BYTES"]
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise TooLarge(f"文件超过 {limit // (1024 * 1024)} MiB 上限", field="file")
    flag = (request.form.get("dry_run") or "false").lower()
    if flag not in ("true", "false", "1", "0"):
        raise InvalidInput("dry_run 须为 true 或 false", field="dry_run")
    dry_run = flag in ("true", "1")
    report = import_enterprises(db.session, user, data, upload.filename or "upload.xlsx",
                                dry_run=dry_run)
    if dry_run:
        db.session.rollback()
        return jsonify({"dry_run": True, **report})
    db.session.commit()
    return jsonify({"dry_run": False, **report}), 201


@bp.post(f"/cases/<{ID}:case_id>/delegate")
@authed
def post_delegate(case_id: int):
    data = json_body({"unit_id", "deadline", "comment"}, required=("unit_id",))
    if data.get("comment") is not None and not isinstance(data["comment"], str):
        raise InvalidInput("comment 须为文本", field="comment")
    deadline = parse_date(data["deadline"], "deadline") if data.get("deadline") else None
    child = service.delegate(db.session, case_id, api_user(),
                             unit_id=parse_id(data["unit_id"], "unit_id"), deadline=deadline,
                             comment=data.get("comment"))
    db.session.commit()
    return jsonify(case_payload(child, api_user())), 201


@bp.put(f"/cases/<{ID}:case_id>/duties")
@authed
def put_duties(case_id: int):
    data = json_body({"territorial_duties", "industry_duties", "territorial_unit_id"})
    for name in ("territorial_duties", "industry_duties"):
        if name in data and not isinstance(data[name], list):
            raise InvalidInput(f"{name} 须为职责列表", field=name)
    case = service.set_duties(db.session, case_id, api_user(),
                              territorial=data.get("territorial_duties"),
                              industry=data.get("industry_duties"),
                              territorial_unit_id=parse_id(data["territorial_unit_id"],
                                                           "territorial_unit_id")
                              if "territorial_unit_id" in data else None)
    db.session.commit()
    return jsonify(case_payload(case, api_user()))


@bp.get("/kpis/units")
@authed
def get_unit_rollup():
    args = query_args(WINDOW_ARGS | {"unit_id"})
    w = window_from(args)
    rows = figures.rollup(db.session, api_user(), w,
                          root_id=int_arg(args, "unit_id", 1, 2**31 - 1))
    return jsonify({"items": rows, "cutoff": w.cutoff.isoformat()})


_ID_SCHEMA = {"type": "integer", "minimum": 1, "maximum": 2147483647}
_ENTERPRISE_FIELDS = {
    "name": openapi.text(200, required=True),
    "credit_code": {"type": "string", "pattern": r"^\s*[0-9A-HJ-NPQRTUWXYa-hj-npqrtuwxy]{2}[0-9]{6}"
                    r"[0-9A-HJ-NPQRTUWXYa-hj-npqrtuwxy]{10}\s*$",
                    "description": "统一社会信用代码（GB 32100-2015；校验码不符：422 credit_code_invalid）"},
    "industry": {**openapi.text(60), "type": ["string", "null"]},
    "unit_id": {"anyOf": [_ID_SCHEMA, {"type": "null"}], "description": "属地单位（镇/村/网格）"},
    "address": {**openapi.text(200), "type": ["string", "null"]},
    "legal_representative": {**openapi.text(60), "type": ["string", "null"]},
    "safety_contact": {**openapi.text(60), "type": ["string", "null"]},
    "safety_phone": {**openapi.text(40), "type": ["string", "null"]},
    "above_scale": {"type": ["boolean", "null"], "description": "规模以上"},
    "key_supervision": {"type": ["boolean", "null"], "description": "重点监管"},
}
_ENT_ID = {"name": "enterprise_id", "in": "path", "required": True, "schema": _ID_SCHEMA}
_CASE_ID = openapi.ID_PARAM
openapi.add_paths({
    "/enterprises": {
        "get": {"summary": "生产经营单位名录（q：名称/代码/地址；town_id：属地，含下属村社区、网格）",
                "parameters": [openapi.empty_ok(p) for p in [
                    {"name": "q", "in": "query", "schema": openapi.text(100)},
                    {"name": "town_id", "in": "query", "schema": _ID_SCHEMA},
                    {"name": "industry", "in": "query", "schema": openapi.text(60)},
                    {"name": "credit_code", "in": "query", "schema": openapi.text(18)},
                    {"name": "limit", "in": "query",
                     "schema": {"type": "integer", "minimum": 1, "maximum": 500}}]],
                "responses": openapi.responses("200", openapi.ref("List"), 400, 401, 403)},
        "post": {"summary": "登记生产经营单位",
                 "requestBody": {"required": True, **openapi.json_content({
                     "type": "object", "additionalProperties": False,
                     "required": ["name", "credit_code"], "properties": _ENTERPRISE_FIELDS})},
                 "responses": openapi.responses("201", openapi.ref("Enterprise"), 400, 401, 403,
                                                409, 422)}},
    "/enterprises/{enterprise_id}": {
        "parameters": [_ENT_ID],
        "get": {"summary": "生产经营单位：事项（按状态）、逐年数量、重复发现、挂牌/重大事项",
                "responses": openapi.responses("200", openapi.ref("Enterprise"), 401, 403, 404)},
        "patch": {"summary": "修改生产经营单位信息",
                  "requestBody": {"required": True, **openapi.json_content({
                      "type": "object", "additionalProperties": False,
                      "properties": {**_ENTERPRISE_FIELDS,
                                     "name": openapi.text(200, required=True)}})},
                  "responses": openapi.responses("200", openapi.ref("Enterprise"), 400, 401, 403,
                                                 404, 409, 422)}},
    "/enterprises/import": {"post": {
        "summary": "导入生产经营单位名录（Excel；一行有误则不导入，逐行指出错误）",
        "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
            "type": "object", "required": ["file"], "additionalProperties": False, "properties": {
                "file": {"type": "string", "format": "binary"},
                "dry_run": {"type": "string", "enum": ["true", "false", "1", "0"]}}}}}},
        "responses": {**openapi.responses("201", {"type": "object"}, 400, 401, 403, 413, 422),
                      "200": {"description": "预览（dry_run）",
                              **openapi.json_content({"type": "object"})}}}},
    "/cases/{case_id}/delegate": {"parameters": [_CASE_ID], "post": {
        "summary": "交办下级：镇（街道）交办村（社区）或网格，生成下级事项（上下级互相关联）",
        "requestBody": {"required": True, **openapi.json_content({
            "type": "object", "required": ["unit_id"], "additionalProperties": False,
            "properties": {"unit_id": _ID_SCHEMA,
                           "deadline": {**openapi._optional(openapi.DATE),
                                        "description": "下级整改期限（不晚于本事项期限；默认相同）"},
                           "comment": {**openapi.text(2000), "type": ["string", "null"]}}})},
        "responses": openapi.responses("201", openapi.ref("Case"), 400, 401, 403, 404, 409,
                                       422)}},
    "/kpis/units": {"get": {
        "summary": "属地汇总考核指标：镇（街道）含下属村（社区）、网格，逐级汇总",
        "parameters": [openapi.empty_ok({"name": "unit_id", "in": "query", "schema": _ID_SCHEMA,
                                         "description": "从该单位起汇总（缺省：各镇街道）"}),
                       *kpi_window_params],
        "responses": openapi.responses("200", openapi.ref("List"), 400, 401, 403, 404)}},
    "/cases/{case_id}/duties": {"parameters": [_CASE_ID], "put": {
        "summary": "明确属地单位及属地、行业各自职责（区安委办）",
        "requestBody": {"required": True, **openapi.json_content({
            "type": "object", "additionalProperties": False, "properties": {
                "territorial_duties": {"type": "array", "maxItems": len(DUTIES), "items": {
                    "type": "string", "enum": list(DUTIES)}},
                "industry_duties": {"type": "array", "maxItems": len(DUTIES), "items": {
                    "type": "string", "enum": list(DUTIES)}},
                "territorial_unit_id": _ID_SCHEMA}})},
        "responses": openapi.responses("200", openapi.ref("Case"), 400, 401, 403, 404, 409)}},
}, {
    "Enterprise": {"type": "object", "required": ["id", "name", "credit_code"], "properties": {
        "id": {"type": "integer"}, "name": {"type": "string"},
        "credit_code": {"type": "string"}, "unit_id": {"type": ["integer", "null"]},
        "cases": {"type": "object", "description": "total 与 by_status（各状态的数量和事项）"},
        "counts_by_year": {"type": "array", "items": {"type": "object"}},
        "repeat_findings": {"type": "array", "items": {"type": "object"},
                            "description": "同一隐患类别 12 个月内再次发现"},
        "listed_items": {"type": "array"}, "major_items": {"type": "array"}}},
})

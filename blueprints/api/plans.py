"""The annual task list: import, plans, items, targets and target occurrences."""
from __future__ import annotations

import json

from flask import current_app, jsonify, request
from sqlalchemy import select

from blueprints.api import ID, api_user, authed, bp, json_body, query_args
from blueprints.api.openapi import add_paths, json_content, ref, responses, text
from blueprints.extensions import db, settings
from workflow.core import service
from workflow.platform.errors import InvalidInput, NotFound, refuse_unknown
from workflow.platform.parsing import parse_date, parse_id
from workflow.tasklist.expand import expand_groups
from workflow.tasklist.importer import import_tasklist
from workflow.tasklist.models import (
    PLAN_KINDS,
    Plan,
    hierarchy,
    item_of_case,
    load_items,
    occurrence_counts,
    progress_text,
)
from workflow.tasklist.occurrences import occurrences_of, record_occurrence, set_target

IMPORT_FIELDS = {"year", "dry_run", "apply_changes", "title", "doc_number", "csrf_token",
                 "plan_id", "kind", "end_year", "new_plan", "choices", "create_unknown",
                 "milestones"}
_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"", "0", "false", "no", "off"}


def form_flag(name: str) -> bool:
    value = (request.form.get(name) or "").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise InvalidInput(f"{name} 须为 true 或 false", field=name)


def form_json(name: str, kind: type):
    """A JSON-valued form field (choices, milestones), or None when absent."""
    raw = (request.form.get(name) or "").strip()
    if not raw:
        return None
    try:
        value = json.loads(raw)
    except ValueError:
        raise InvalidInput(f"{name} 须为 JSON", field=name) from None
    if not isinstance(value, kind):
        raise InvalidInput(f"{name} 须为 JSON {'对象' if kind is dict else '数组'}", field=name)
    return value


def read_upload(field: str = "file") -> tuple[bytes, str]:
    upload = request.files.get(field)
    if upload is None:
        raise InvalidInput("缺少上传文件（multipart 字段 file）", field=field)
    limit = current_app.config["MAX_UPLOAD_BYTES"]
    data = upload.read(limit + 1)
    if len(data) > limit:
        raise InvalidInput(f"文件超过 {limit // (1024 * 1024)} MiB 上限", field=field)
    return data, upload.filename or ""


@bp.post("/plans/import")
@authed
def import_plan():
    refuse_unknown(request.form, IMPORT_FIELDS)
    dry_run, apply_changes = form_flag("dry_run"), form_flag("apply_changes")
    data, filename = read_upload()
    result = import_tasklist(db.session, data, filename, request.form.get("year"), api_user(),
                             dry_run=dry_run, apply_changes=apply_changes,
                             title=request.form.get("title"),
                             doc_number=request.form.get("doc_number"), settings=settings(),
                             plan_id=request.form.get("plan_id") or None,
                             kind=request.form.get("kind") or None,
                             end_year=request.form.get("end_year") or None,
                             new_plan=form_flag("new_plan"),
                             choices=form_json("choices", dict),
                             create_unknown=form_flag("create_unknown"),
                             milestones=form_json("milestones", list))
    if dry_run:
        db.session.rollback()
        return jsonify(result.to_dict())
    db.session.commit()
    return jsonify(result.to_dict()), 201 if not result.plan_exists else 200


def get_plan(plan_id: int) -> Plan:
    plan = db.session.get(Plan, plan_id)
    if plan is None:
        raise NotFound(f"清单 {plan_id} 不存在")
    return plan


@bp.get("/plans")
@authed
def list_plans():
    query_args(set())
    plans = db.session.scalars(select(Plan).order_by(Plan.year.desc())).all()
    return jsonify({"items": [p.to_dict() for p in plans]})


@bp.get(f"/plans/<{ID}:plan_id>")
@authed
def show_plan(plan_id: int):
    query_args(set())
    plan = get_plan(plan_id)
    body = plan.to_dict()
    body["projects"] = hierarchy(load_items(db.session, plan))
    return jsonify(body)


@bp.get(f"/plans/<{ID}:plan_id>/items")
@authed
def list_items(plan_id: int):
    args = query_args({"withdrawn"})
    if args.get("withdrawn") not in (None, "true", "false"):
        raise InvalidInput("withdrawn 须为 true 或 false", field="withdrawn")
    plan = get_plan(plan_id)
    items = load_items(db.session, plan, include_withdrawn=args.get("withdrawn") == "true")
    counts = occurrence_counts(db.session, [link.case_id for i in items for link in i.case_links])
    return jsonify({"plan_id": plan.id, "year": plan.year,
                    "items": [i.to_dict(progress=counts) for i in items]})


@bp.post(f"/plans/<{ID}:plan_id>/expand-groups")
@authed
def post_expand_groups(plan_id: int):
    if request.data:
        json_body(set())
    body = expand_groups(db.session, plan_id, api_user(), settings=settings())
    db.session.commit()
    return jsonify(body)


@bp.patch(f"/plan-items/<{ID}:item_id>")
@authed
def patch_item(item_id: int):
    data = json_body({"target_count", "target_period"})
    count = data.get("target_count")
    period = data.get("target_period")
    count = None if count is None else parse_id(count, "target_count")
    period = None if period is None else parse_id(period, "target_period")
    item = set_target(db.session, item_id, api_user(), target_count=count, period_years=period)
    db.session.commit()
    return jsonify(item.to_dict())


def _progress_body(case_id: int) -> dict:
    item = item_of_case(db.session, case_id)
    rows = occurrences_of(db.session, case_id)
    target = item.target_count_of_case(case_id) if item else None
    return {"case_id": case_id, "item_id": item.id if item else None, "target_count": target,
            "target_period": item.target_of_case(case_id)[1] if item and target else None,
            "done": len(rows), "progress": progress_text(len(rows), target),
            "items": [o.to_dict() for o in rows]}


@bp.get(f"/cases/<{ID}:case_id>/occurrences")
@authed
def list_occurrences(case_id: int):
    service.get_case(db.session, case_id, api_user())
    return jsonify(_progress_body(case_id))


@bp.post(f"/cases/<{ID}:case_id>/occurrences")
@authed
def post_occurrence(case_id: int):
    data = json_body({"occurred_on", "note", "evidence_ids"},
                     required=("occurred_on", "evidence_ids", "note"))
    ids = data["evidence_ids"]
    if not isinstance(ids, list):
        raise InvalidInput("evidence_ids 须为佐证材料编号列表", field="evidence_ids")
    if len(ids) > 100:
        raise InvalidInput("evidence_ids 最多 100 个", field="evidence_ids")
    ids = [parse_id(i, "evidence_ids") for i in ids]
    note = data.get("note")
    if note is not None and not isinstance(note, str):
        raise InvalidInput("note 须为文本", field="note")
    occ, progress = record_occurrence(db.session, case_id, api_user(),
                                      occurred_on=parse_date(data["occurred_on"], "occurred_on"),
                                      note=note or "", evidence_ids=ids)
    db.session.commit()
    return jsonify({"occurrence": occ.to_dict(), "progress": progress}), 201


# --- OpenAPI -----------------------------------------------------------------------------

def _int_param(name: str) -> dict:
    return {"name": name, "in": "path", "required": True,
            "schema": {"type": "integer", "minimum": 1, "maximum": 2147483647}}


_IMPORT_FORM = {"multipart/form-data": {"schema": {
    "type": "object", "required": ["file", "year"], "properties": {
        "file": {"type": "string", "format": "binary",
                 "description": "目标任务清单：Word(.docx)、Excel(.xlsx) 或 Word 表格的文本副本"},
        "year": {"type": "integer", "minimum": 2000, "maximum": 2100},
        "dry_run": {"type": "boolean", "description": "只预览，不写入"},
        "apply_changes": {"type": "boolean", "description": "已导入年度的清单有变化时确认应用"},
        "title": text(200), "doc_number": text(60, description="文号"),
        "plan_id": {"type": "integer", "minimum": 1, "maximum": 2147483647,
                    "description": "再次导入到这份清单"},
        "kind": {"type": "string", "enum": list(PLAN_KINDS),
                 "description": "清单类型：" + "、".join(f"{k} {v}" for k, v in PLAN_KINDS.items())},
        "end_year": {"type": "integer", "minimum": 2000, "maximum": 2100,
                     "description": "跨年度专项行动的结束年度"},
        "new_plan": {"type": "boolean", "description": "同一年度同类型另建一份清单"},
        "create_unknown": {"type": "boolean",
                           "description": "把仍未选择处理方式的未登记名称全部新建为单位"},
        "choices": text(200000, description="区安委办的选择（JSON 对象）：names 名称→处理方式，"
                        "items 序号→责任单位分工，targets 序号→单位→量化目标"),
        "milestones": text(20000, description="阶段（JSON 数组）：[{name, starts_on, ends_on}]")}}}}

add_paths({
    "/plans/import": {"post": {
        "summary": "导入年度目标任务清单（预览或确认导入）", "tags": ["plans"],
        "requestBody": {"required": True, "content": _IMPORT_FORM},
        "responses": {**responses("200", ref("ImportResult"), 400, 401, 403, 409, 422,
                                  desc="预览结果，或再次导入的结果"),
                      "201": {"description": "新建了年度清单", **json_content(ref("ImportResult"))}}}},
    "/plans": {"get": {"summary": "年度清单列表", "tags": ["plans"],
                       "responses": responses("200", {"type": "object", "properties": {
                           "items": {"type": "array", "items": ref("Plan")}}}, 401)}},
    "/plans/{plan_id}": {"get": {
        "summary": "清单及其 目标项目→目标任务 层级（含计数）", "tags": ["plans"],
        "parameters": [_int_param("plan_id")],
        "responses": responses("200", ref("Plan"), 401, 404)}},
    "/plans/{plan_id}/items": {"get": {
        "summary": "清单的具体内容事项", "tags": ["plans"],
        "parameters": [_int_param("plan_id"),
                       {"name": "withdrawn", "in": "query", "required": False,
                        "schema": {"type": "string", "enum": ["true", "false"]}}],
        "responses": responses("200", {"type": "object", "properties": {
            "items": {"type": "array", "items": ref("PlanItem")}}}, 400, 401, 404)}},
    "/plans/{plan_id}/expand-groups": {"post": {
        "summary": "分解部门组：待分解的部门组按现有成员逐一交办（幂等，区安委办经办人）",
        "tags": ["plans"], "parameters": [_int_param("plan_id")],
        "requestBody": {"required": False, **json_content({
            "type": "object", "additionalProperties": False, "properties": {}})},
        "responses": responses("200", ref("ExpandResult"), 400, 401, 403, 404)}},
    "/plan-items/{item_id}": {"patch": {
        "summary": "修改事项的量化目标（区安委办）", "tags": ["plans"],
        "parameters": [_int_param("item_id")],
        "requestBody": {"required": True, **json_content({
            "type": "object", "additionalProperties": False, "properties": {
                "target_count": {"type": ["integer", "null"], "minimum": 1, "maximum": 999},
                "target_period": {"type": ["integer", "null"], "minimum": 1, "maximum": 10}}})},
        "responses": responses("200", ref("PlanItem"), 400, 401, 403, 404)}},
    "/cases/{case_id}/occurrences": {
        "get": {"summary": "量化目标完成情况（如 1/2）", "tags": ["plans"],
                "parameters": [_int_param("case_id")],
                "responses": responses("200", {"type": "object"}, 401, 404)},
        "post": {"summary": "登记一次完成情况（须引用本事项的佐证材料）", "tags": ["plans"],
                 "parameters": [_int_param("case_id")],
                 "requestBody": {"required": True, **json_content({
                     "type": "object", "additionalProperties": False,
                     "required": ["occurred_on", "evidence_ids", "note"], "properties": {
                         "occurred_on": {"type": "string", "format": "date"},
                         "note": {"type": "string", "minLength": 1, "maxLength": 2000},
                         "evidence_ids": {"type": "array", "minItems": 1, "maxItems": 100,
                                          "items": {"type": "integer", "minimum": 1,
                                                    "maximum": 2147483647}}}})},
                 "responses": responses("201", {"type": "object"}, 400, 401, 403, 404, 409, 422)}},
}, {
    "Plan": {"type": "object", "required": ["id", "year", "title"], "properties": {
        "id": {"type": "integer"}, "year": {"type": "integer"}, "title": {"type": "string"},
        "doc_number": {"type": ["string", "null"]}, "source_sha256": {"type": "string"},
        "kind": {"type": "string", "enum": list(PLAN_KINDS)}, "kind_label": {"type": "string"},
        "start_year": {"type": "integer"}, "end_year": {"type": "integer"},
        "milestones": {"type": "array", "items": {"type": "object"}},
        "counts": {"type": "object"}, "projects": {"type": "array", "items": {"type": "object"}}}},
    "PlanItem": {"type": "object", "required": ["id", "seq", "content"], "properties": {
        "id": {"type": "integer"}, "seq": {"type": "integer"}, "project_no": {"type": "integer"},
        "project": {"type": "string"}, "task": {"type": "string"}, "content": {"type": "string"},
        "lead_departments": {"type": "array", "items": {"type": "string"}},
        "co_departments": {"type": "array", "items": {"type": "string"}},
        "lead_groups": {"type": "array", "items": {"type": "string"}},
        "co_groups": {"type": "array", "items": {"type": "string"}},
        "remark": {"type": "string"}, "target_count": {"type": ["integer", "null"]},
        "target_period": {"type": ["integer", "null"]}, "deadline": {"type": "string"},
        "status": {"type": "string"}, "case_ids": {"type": "array", "items": {"type": "integer"}},
        "raw_departments": {"type": ["string", "null"], "description": "责任部门栏原文"},
        "responsibilities": {"type": "array", "items": ref("Responsibility")}}},
    "Responsibility": {
        "type": "object", "additionalProperties": False,
        "required": ["department", "department_id", "name", "group", "role", "pending",
                     "targets", "case_id"],
        "properties": {
            "department": {"type": ["string", "null"]},
            "department_id": {"type": ["integer", "null"]},
            "name": {"type": "string", "description": "清单中的写法"},
            "group": {"type": ["string", "null"], "description": "来自哪个部门组（或“等部门”）"},
            "role": {"type": "string", "enum": ["lead", "responsible", "support"],
                     "description": "牵头 / 责任 / 配合"},
            "pending": {"type": "boolean", "description": "部门组尚无成员：待分解"},
            "targets": {"type": "array", "items": {
                "type": "object", "additionalProperties": False,
                "required": ["text", "count", "period_years", "cycle_start_year"],
                "properties": {"text": {"type": "string"}, "count": {"type": "integer"},
                               "period_years": {"type": "integer"},
                               "cycle_start_year": {"type": "integer"}}}},
            "case_id": {"type": ["integer", "null"]}}},
    "ExpandResult": {
        "type": "object", "additionalProperties": False,
        "required": ["plan_id", "expanded", "cases", "still_pending"],
        "properties": {
            "plan_id": {"type": "integer"}, "cases": {"type": "integer"},
            "expanded": {"type": "array", "items": {
                "type": "object", "additionalProperties": False,
                "required": ["seq", "item_id", "groups", "case_ids"],
                "properties": {
                    "seq": {"type": "integer"}, "item_id": {"type": "integer"},
                    "case_ids": {"type": "array", "items": {"type": "integer"}},
                    "groups": {"type": "array", "items": {
                        "type": "object", "additionalProperties": False,
                        "required": ["group", "departments", "department_ids"],
                        "properties": {
                            "group": {"type": "string"},
                            "departments": {"type": "array", "items": {"type": "string"}},
                            "department_ids": {"type": "array",
                                               "items": {"type": "integer"}}}}}}}},
            "still_pending": {"type": "array", "items": {
                "type": "object", "additionalProperties": False, "required": ["seq", "group"],
                "properties": {"seq": {"type": "integer"}, "group": {"type": "string"}}}}}},
    "ImportResult": {"type": "object", "properties": {
        "year": {"type": "integer"}, "dry_run": {"type": "boolean"},
        "applied": {"type": "boolean"}, "plan_id": {"type": ["integer", "null"]},
        "counts": {"type": "object"}, "summary": {"type": "array", "items": {"type": "string"}},
        "kind": {"type": "string"}, "end_year": {"type": "integer"},
        "items_preview": {"type": "array", "items": {"type": "object"},
                          "description": "每项将建立的责任单位（牵头/责任/配合）与量化目标"},
        "unknown_names": {"type": "array", "items": {"type": "object"}},
        "groups": {"type": "array", "items": {"type": "object"}},
        "choices": {"type": "object"}, "stored_choices": {"type": "boolean"},
        "split_changes": {"type": "integer"}}},
})

"""The OpenAPI 3 document of /api/v1. Each API module adds its own paths."""
from __future__ import annotations

from flask import jsonify

from blueprints.api import bp
from workflow.core.machine import TRIGGERS
from workflow.platform.vocab import (
    GRADES,
    KINDS,
    PLAN_ALIASES,
    PLAN_ELEMENTS,
    SHUTDOWN,
    SOURCES,
    STATUSES,
)

ERROR = {"$ref": "#/components/schemas/Error"}
# 治理方案: the six elements, and the old 五落实 keys accepted as their aliases
_PLAN_SCHEMA = {"type": "object", "additionalProperties": False, "properties": {
    **{k: {"type": "string", "description": label} for k, label in PLAN_ELEMENTS.items()},
    **{k: {"type": "string", "description": f"旧五落实字段，即 {new}"}
       for k, new in PLAN_ALIASES.items() if k != new}}}


def ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def json_content(schema: dict) -> dict:
    return {"content": {"application/json": {"schema": schema}}}


def responses(ok_status: str, ok_schema: dict, *errors: int, desc: str = "成功") -> dict:
    out = {ok_status: {"description": desc, **json_content(ok_schema)}}
    for code in errors:
        out[str(code)] = {"description": ERROR_DESCRIPTIONS[code], **json_content(ERROR)}
    return out


ERROR_DESCRIPTIONS = {400: "输入有误（字段名在 field）", 401: "未登录或令牌无效",
                      403: "角色或部门无权（needed_roles, rules）", 404: "不存在或无权查看",
                      409: "版本冲突或当前状态不允许（current_version, status）",
                      413: "上传过大", 422: "业务规则未满足（rules）", 429: "登录失败过多"}

ID_PARAM = {"name": "case_id", "in": "path", "required": True,
            "schema": {"type": "integer", "minimum": 1, "maximum": 2147483647}}

SCHEMAS: dict = {
    "Error": {"type": "object", "required": ["error", "message"], "properties": {
        "error": {"type": "string"}, "message": {"type": "string"},
        "field": {"type": ["string", "null"]},
        "rules": {"type": "array", "items": {"type": "string"}},
        "needed_roles": {"type": "array", "items": {"type": "string"}},
        "current_version": {"type": ["integer", "null"]}, "status": {"type": ["string", "null"]}}},
    "Action": {"type": "object", "properties": {
        "trigger": {"type": "string", "enum": list(TRIGGERS)}, "label": {"type": "string"},
        "allowed": {"type": "boolean"}, "reasons": {"type": "array", "items": {"type": "string"}},
        "warnings": {"type": "array", "items": ref("PhotoWarning"),
                     "description": "verify only: 以图销号 warnings on the round's 整改后 photos "
                                    "(never a refusal; recorded in the verify event)"}}},
    "PhotoWarning": {"type": "object", "required": ["evidence_id", "flag", "message"],
                     "properties": {
        "evidence_id": {"type": "integer"}, "filename": {"type": "string"},
        "flag": {"type": "string", "description": "reused_from:<案件编号> | same_as_before | "
                                                  "captured_before_registration"},
        "message": {"type": "string"}}},
    "Case": {"type": "object", "required": ["id", "status", "version"], "properties": {
        "id": {"type": "integer"}, "kind": {"type": "string", "enum": list(KINDS)},
        "number": {"type": ["string", "null"]}, "title": {"type": "string"},
        "status": {"type": "string", "enum": list(STATUSES)}, "version": {"type": "integer"},
        "source": {"type": ["string", "null"]}, "grade": {"type": ["string", "null"]},
        "department_id": {"type": ["integer", "null"]}, "deadline": {"type": ["string", "null"]},
        "flags": {"type": "object"},
        "reporter_name": {"type": ["string", "null"], "description": "举报人，始终脱敏（如 张*）"},
        "reporter_contact": {"type": ["string", "null"],
                             "description": "举报人联系方式，始终脱敏（如 138****1234）"},
        "outcome": {"type": ["string", "null"], "enum": ["rectified", "dismissed", None],
                    "description": "已销号案件的结果：整改销号或经核实不属实"},
        "actions": {"type": "array", "items": ref("Action")}}},
    "CaseInput": {"type": "object", "additionalProperties": False,
                  "required": ["title", "description", "source", "grade", "department_id"],
                  "properties": {
                      "title": {"type": "string", "maxLength": 200},
                      "description": {"type": "string", "maxLength": 5000},
                      "source": {"type": "string", "enum": [k for k in SOURCES if k != "task_list"]
                                 + [v[0] for k, v in SOURCES.items() if k != "task_list"]},
                      "grade": {"type": "string", "enum": list(GRADES) + list(GRADES.values())},
                      "department_id": {"type": "integer", "minimum": 1},
                      "deadline": {"type": "string", "format": "date"},
                      "deadline_working_days": {"type": "integer", "minimum": 1, "maximum": 366},
                      "found_on": {"type": "string", "format": "date"},
                      "found_by": {"type": "string"}, "industry": {"type": "string"},
                      "town": {"type": "string"}, "responsible_unit": {"type": "string"},
                      "credit_code": {"type": "string"}, "location": {"type": "string"},
                      "basis": {"type": "string"}, "measures_required": {"type": "string"},
                      "responsible_person": {"type": "string"},
                      "responsible_phone": {"type": "string"},
                      "funds": {"type": "number", "minimum": 0}, "suspended": {"type": "boolean"},
                      "shutdown": {"type": "string", "enum": list(SHUTDOWN) + list(SHUTDOWN.values()),
                                   "description": "停产停业情况；suspended=true 即 full"},
                      "original_number": {"type": "string"},
                      "co_department_ids": {"type": "array", "items": {"type": "integer"}},
                      "reporter_name": {"type": "string", "maxLength": 60,
                                        "description": "举报人（仅监督举报）"},
                      "reporter_contact": {"type": "string", "maxLength": 100,
                                           "description": "举报人联系方式（仅监督举报）"}}},
    "TransitionInput": {"type": "object", "required": ["trigger", "version"], "properties": {
        "trigger": {"type": "string", "enum": list(TRIGGERS)},
        "version": {"type": "integer", "minimum": 1}, "comment": {"type": "string"},
        "statement": {"type": "string", "description": "report: 整改情况说明"},
        "department_id": {"type": "integer", "description": "transfer: 新责任部门"},
        "cancel_reason": {"type": "string", "enum": ["duplicate", "error", "other",
                                                     "not_accepted"],
                          "description": "not_accepted: 不予受理（举报草稿，理由写在 comment）"},
        "verification_record": {"type": "string", "maxLength": 5000,
                                "description": "dismiss: 核实情况（经核实不属实）"}}},
    "Evidence": {"type": "object", "properties": {
        "id": {"type": "integer"}, "filename": {"type": "string"}, "sha256": {"type": "string"},
        "size": {"type": "integer"}, "content_type": {"type": "string"},
        "round": {"type": "integer"}, "category": {"type": "string"},
        "phash": {"type": ["string", "null"], "description": "64-bit pHash, 16 hex digits (images)"},
        "captured_at": {"type": ["string", "null"], "description": "EXIF 拍摄时间 (UTC)"},
        "flags": {"type": "array", "items": {"type": "string"},
                  "description": "reused_from:<案件编号> | same_as_before | "
                                 "captured_before_registration"}}},
    "Event": {"type": "object", "properties": {
        "seq": {"type": "integer"}, "prev_hash": {"type": "string"}, "hash": {"type": "string"},
        "actor": {"type": "string"}, "role": {"type": "string"},
        "department": {"type": ["string", "null"]}, "trigger": {"type": "string"},
        "from": {"type": ["string", "null"]}, "to": {"type": ["string", "null"]},
        "at": {"type": "string"}, "comment": {"type": ["string", "null"]},
        "key_id": {"type": ["string", "null"], "maxLength": 16,
                   "description": "hash 为 HMAC-SHA256 时所用密钥的编号；null：启用密钥前的事件（SHA-256）"}}},
    "List": {"type": "object", "properties": {"items": {"type": "array"},
                                              "next_cursor": {"type": ["string", "null"]}}},
}

LIST_PARAMS = [
    {"name": "kind", "in": "query", "schema": {"type": "string", "enum": list(KINDS)}},
    {"name": "status", "in": "query", "schema": {"type": "string", "enum": list(STATUSES)}},
    {"name": "department_id", "in": "query", "schema": {"type": "integer", "minimum": 1}},
    {"name": "source", "in": "query", "schema": {"type": "string", "enum": list(SOURCES)}},
    {"name": "grade", "in": "query", "schema": {"type": "string", "enum": list(GRADES)}},
    {"name": "overdue", "in": "query", "schema": {"type": "string", "enum": ["true", "false"]}},
    {"name": "q", "in": "query", "schema": {"type": "string", "maxLength": 100}},
    {"name": "year", "in": "query", "schema": {"type": "integer", "minimum": 2000, "maximum": 2100}},
    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 200}},
    {"name": "cursor", "in": "query", "schema": {"type": "string"}},
]

PATHS: dict = {
    "/tokens": {"post": {
        "summary": "用用户名和密码换取 API 令牌", "security": [],
        "requestBody": {"required": True, **json_content({
            "type": "object", "required": ["username", "password"], "additionalProperties": False,
            "properties": {"username": {"type": "string"}, "password": {"type": "string"}}})},
        "responses": responses("201", {"type": "object", "properties": {"token": {"type": "string"}}},
                               400, 401, 429, desc="令牌")}},
    "/me": {"get": {"summary": "当前用户", "responses": responses("200", {"type": "object"}, 401)}},
    "/departments": {"get": {"summary": "部门与部门组",
                             "responses": responses("200", {"type": "object"}, 401)}},
    "/cases": {
        "get": {"summary": "案件列表（游标分页）", "parameters": LIST_PARAMS,
                "responses": responses("200", ref("List"), 400, 401)},
        "post": {"summary": "登记问题（待挂号草稿）",
                 "requestBody": {"required": True, **json_content(ref("CaseInput"))},
                 "responses": responses("201", ref("Case"), 400, 401, 403)}},
    "/cases/{case_id}": {
        "parameters": [ID_PARAM],
        "get": {"summary": "案件详情与可执行操作",
                "responses": responses("200", ref("Case"), 401, 404)},
        "patch": {"summary": "修改草稿（挂号前）",
                  "requestBody": {"required": True, **json_content({"type": "object"})},
                  "responses": responses("200", ref("Case"), 400, 401, 403, 404, 409)}},
    "/cases/{case_id}/transitions": {"parameters": [ID_PARAM], "post": {
        "summary": "状态流转（挂号、签收、上报、退回、核查、销号……）",
        "requestBody": {"required": True, **json_content(ref("TransitionInput"))},
        "responses": responses("200", ref("Case"), 400, 401, 403, 404, 409, 422)}},
    "/cases/{case_id}/evidence": {"parameters": [ID_PARAM],
        "get": {"summary": "佐证材料列表", "responses": responses("200", ref("List"), 401, 404)},
        "post": {"summary": "上传佐证材料", "requestBody": {"required": True, "content": {
            "multipart/form-data": {"schema": {"type": "object", "required": ["file"], "properties": {
                "file": {"type": "string", "format": "binary"},
                "category": {"type": "string", "enum": ["before", "after", "report", "acceptance",
                                                        "other"]},
                "note": {"type": "string"}}}}}},
            "responses": responses("201", ref("Evidence"), 400, 401, 403, 404, 409, 413)}},
    "/cases/{case_id}/events": {"parameters": [ID_PARAM], "get": {
        "summary": "审计链（时间线）", "responses": responses("200", ref("List"), 401, 404)}},
    "/cases/{case_id}/statement": {"parameters": [ID_PARAM], "put": {
        "summary": "起草整改情况说明（部门联络员或负责人）",
        "requestBody": {"required": True, **json_content({
            "type": "object", "required": ["statement"], "properties": {"statement": {"type": "string"}}})},
        "responses": responses("200", ref("Case"), 400, 401, 403, 404, 409)}},
    "/cases/{case_id}/plan": {"parameters": [ID_PARAM], "put": {
        "summary": "治理方案（16号令第十五条六项内容；旧五落实字段作为别名）及主要负责人签批件",
        "requestBody": {"required": True, "content": {
            "application/json": {"schema": _PLAN_SCHEMA},
            "multipart/form-data": {"schema": {**_PLAN_SCHEMA, "properties": {
                **_PLAN_SCHEMA["properties"],
                "signed_copy": {"type": "string", "format": "binary",
                                "description": "签批件，存为佐证材料 signed_plan"}}}}}},
        "responses": responses("200", ref("Case"), 400, 401, 403, 404, 409)}},
    "/cases/{case_id}/verifications": {"parameters": [ID_PARAM], "post": {
        "summary": "现场核查记录，或复产现场审查（purpose=resumption_review）",
        "requestBody": {"required": True, **json_content({
            "type": "object", "required": ["visited_on", "verifiers", "findings"],
            "properties": {"visited_on": {"type": "string", "format": "date"},
                           "verifiers": {"type": "array", "minItems": 2, "items": {"oneOf": [
                               {"type": "string", "description": "姓名（职务）"},
                               {"type": "object", "required": ["user_id"], "properties": {
                                   "user_id": {"type": "integer"}, "post": {"type": "string"}}},
                               {"type": "object", "required": ["name", "post"], "properties": {
                                   "name": {"type": "string"}, "post": {"type": "string"}}}]}},
                           "findings": {"type": "string"},
                           "purpose": {"type": "string",
                                       "enum": ["verification", "resumption_review"]}}})},
        "responses": responses("201", {"type": "object"}, 400, 401, 403, 404, 409, 422)}},
}


def add_paths(paths: dict, schemas: dict | None = None) -> None:
    """Let an API module describe its own endpoints."""
    PATHS.update(paths)
    SCHEMAS.update(schemas or {})


def document() -> dict:
    return {
        "openapi": "3.1.0",
        "info": {"title": "SafeLoop 安全生产闭环督办 API", "version": "1.0.0",
                 "description": "所有时间为 UTC（ISO 8601，Z 结尾）；期限为北京时间日期。"},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
                       "schemas": SCHEMAS},
        "paths": PATHS,
    }


@bp.get("/openapi.json")
def openapi_json():
    return jsonify(document())

"""The OpenAPI 3 document of /api/v1. Each API module adds its own paths."""
from __future__ import annotations

import re

from flask import jsonify, request

from blueprints.api import bp
from workflow.core.machine import TRIGGERS
from workflow.core.queries import CURSOR_PATTERN
from workflow.platform.errors import InvalidInput
from workflow.platform.vocab import (
    CLUE_TYPES,
    GRADELESS_CLUES,
    GRADES,
    HAZARD_CATEGORIES,
    KINDS,
    PLAN_ALIASES,
    PLAN_ELEMENTS,
    RECTIFICATION_TYPES,
    SHUTDOWN,
    SOURCES,
    STATUSES,
)
from workflow.problems.fields import (
    CREDIT_CODE_PATTERN,
    MAX_CO_DEPARTMENTS,
    REPORTER_FIELDS,
    TEXT_LIMITS,
)

ERROR = {"$ref": "#/components/schemas/Error"}
# 治理方案: the six elements, and the old 五落实 keys accepted as their aliases
_PLAN_SCHEMA = {"type": "object", "additionalProperties": False, "properties": {
    **{k: {"type": ["string", "null"], "maxLength": 5000, "pattern": r"^[^\x00]*$",
           "description": label} for k, label in PLAN_ELEMENTS.items()},
    **{k: {"type": ["string", "null"], "maxLength": 5000, "pattern": r"^[^\x00]*$",
           "description": f"旧五落实字段，即 {new}"}
       for k, new in PLAN_ALIASES.items() if k != new}},
    # something to save: at least one element given as text (null is "leave as it is")
    "anyOf": [{"required": [k], "properties": {k: {"type": "string", "maxLength": 5000,
                                                   "pattern": r"^[^\x00]*$"}}}
              for k in {**PLAN_ELEMENTS, **PLAN_ALIASES}],
    # an old key and the element it names are one field: never both (said without not/if,
    # which the multipart form with its file cannot be checked against)
    "allOf": [{"anyOf": [{"properties": {old: False}}, {"properties": {new: False}}]}
              for old, new in PLAN_ALIASES.items() if old != new]}

# U+0000 is refused everywhere (blueprints/inputs.py): every free text says so in its pattern.
NO_NUL = r"^[^\x00]*$"
NONBLANK = r"^[^\x00]*[^\s\x00][^\x00]*$"  # required text: not empty, not only spaces


def text(max_length: int, *, required: bool = False, **extra) -> dict:
    """A free-text field: its length limit (enforced from this document, see
    ``blueprints.api.check_limits``) and, when ``required``, at least one non-space character."""
    return {"type": "string", "maxLength": max_length,
            "pattern": NONBLANK if required else NO_NUL, **extra}


DATE = {"type": "string", "format": "date"}


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
                      405: "不支持该请求方法（Allow 头列出支持的方法）",
                      409: "版本冲突或当前状态不允许（current_version, status）",
                      413: "上传过大", 422: "业务规则未满足（rules）", 429: "登录失败过多"}

ID_PARAM = {"name": "case_id", "in": "path", "required": True,
            "schema": {"type": "integer", "minimum": 1, "maximum": 2147483647}}

_SOURCES = [k for k in SOURCES if k != "task_list"] + [v[0] for k, v in SOURCES.items()
                                                     if k != "task_list"]
_GRADES = list(GRADES) + list(GRADES.values())
_NULL_OR_EMPTY = [{"type": "null"}, {"type": "string", "maxLength": 0}]


def _optional(schema: dict) -> dict:
    """A field the code treats as absent when null or empty."""
    return {"anyOf": [schema, *_NULL_OR_EMPTY]}


# 举报人 fields belong to a 监督举报 only: with any other source they are empty or absent
_REPORTER_ONLY_FOR_COMPLAINTS = {
    "if": {"required": ["source"],
           "properties": {"source": {"not": {"enum": ["complaint", SOURCES["complaint"][0]]}}}},
    "then": {"properties": {f: {"anyOf": [{"type": "null"}, {"type": "string", "pattern": r"^\s*$"}]}
                            for f in REPORTER_FIELDS}}}

CASE_FIELDS = {
    "title": text(TEXT_LIMITS["title"], required=True),
    "description": text(TEXT_LIMITS["description"], required=True),
    "source": {"type": "string", "enum": _SOURCES},
    "grade": {"type": "string", "enum": _GRADES},
    "department_id": {"type": "integer", "minimum": 1, "maximum": 2147483647},
    "deadline": _optional(DATE),
    "deadline_working_days": _optional({"type": "integer", "minimum": 1, "maximum": 366}),
    "found_on": _optional(DATE),
    **{k: {**text(n), "type": ["string", "null"]} for k, n in TEXT_LIMITS.items()
       if k not in ("title", "description")},
    "credit_code": _optional({"type": "string", "pattern": CREDIT_CODE_PATTERN}),
    "funds": {"anyOf": [{"type": "number", "minimum": 0, "maximum": 999999999999},
                        {"type": "string", "pattern": r"^\s*[0-9]{1,12}(\.[0-9]+)?\s*$",
                         "maxLength": 40, "description": "也可写成文本，如 \"5.5\""},
                        *_NULL_OR_EMPTY]},
    "suspended": {"type": ["boolean", "null"]},
    "shutdown": {"type": ["string", "null"], "enum": list(SHUTDOWN) + list(SHUTDOWN.values()) + [None],
                 "description": "停产停业情况；suspended=true 即 full"},
    "co_department_ids": {"type": ["array", "null"], "maxItems": MAX_CO_DEPARTMENTS, "items": {
        "type": "integer", "minimum": 1, "maximum": 2147483647}},
}

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
        "flag": {"type": "string", "description": "reused_from:<事项编号> | same_as_before | "
                                                  "captured_before_registration"},
        "message": {"type": "string"}}},
    "Case": {"type": "object", "required": ["id", "status", "version"], "properties": {
        "id": {"type": "integer"}, "kind": {"type": "string", "enum": list(KINDS)},
        "number": {"type": ["string", "null"]}, "title": {"type": "string"},
        "status": {"type": "string", "enum": list(STATUSES)}, "version": {"type": "integer"},
        "source": {"type": ["string", "null"]}, "grade": {"type": ["string", "null"]},
        "department_id": {"type": ["integer", "null"]}, "deadline": {"type": ["string", "null"]},
        "flags": {"type": "object"},
        # tasks of the 目标任务清单 only (issue 11): behind on 工作进展 or past the 完成时限
        "lagging": {"type": "boolean"}, "lagging_reason": {"type": ["string", "null"]},
        "reporter_name": {"type": ["string", "null"], "description": "举报人，始终脱敏（如 张*）"},
        "reporter_contact": {"type": ["string", "null"],
                             "description": "举报人联系方式，始终脱敏（如 138****1234）"},
        "outcome": {"type": ["string", "null"], "enum": ["rectified", "dismissed", None],
                    "description": "已销号事项的结果：整改销号或经核实不属实"},
        "actions": {"type": "array", "items": ref("Action")}}},
    "CaseInput": {"type": "object", "additionalProperties": False,
                  "required": ["title", "description", "source", "grade", "department_id"],
                  "description": "deadline 与 deadline_working_days 二选一",
                  "properties": CASE_FIELDS, "allOf": [_REPORTER_ONLY_FOR_COMPLAINTS],
                  "anyOf": [{"required": ["deadline"], "properties": {"deadline": DATE}},
                            {"required": ["deadline_working_days"],
                             "properties": {"deadline_working_days": {"type": "integer"}}}],
                  "not": {"required": ["deadline", "deadline_working_days"],
                          "properties": {"deadline": DATE,
                                         "deadline_working_days": {"type": "integer"}}}},
    "CaseUpdate": {"type": "object", "additionalProperties": False,
                   "properties": {**CASE_FIELDS,
                                  **{k: {**CASE_FIELDS[k], "type": ["string", "null"]}
                                     for k in ("title", "description")},
                                  "source": {"type": "string", "enum": _SOURCES},
                                  "grade": {"type": "string", "enum": _GRADES}},
                   "allOf": [_REPORTER_ONLY_FOR_COMPLAINTS],
                   "not": {"required": ["deadline", "deadline_working_days"],
                           "properties": {"deadline": DATE,
                                          "deadline_working_days": {"type": "integer"}}}},
    "TransitionInput": {
        "type": "object", "required": ["trigger", "version"], "additionalProperties": False,
        "description": "statement 仅用于 report，department_id 仅用于 transfer，cancel_reason 仅用于 cancel",
        "properties": {
            "trigger": {"type": "string", "enum": list(TRIGGERS)},
            "version": {"type": "integer", "minimum": 1, "maximum": 2147483647},
            "comment": {**text(5000), "type": ["string", "null"]},
            "statement": text(10000, description="report: 整改情况说明"),
            "department_id": {"type": "integer", "minimum": 1, "maximum": 2147483647,
                              "description": "transfer: 新责任部门"},
            "cancel_reason": {"type": "string", "enum": ["duplicate", "error", "other",
                                                         "not_accepted"],
                              "description": "not_accepted: 不予受理（举报草稿，理由写在 comment）"},
            "verification_record": text(5000, description="dismiss: 核实情况（经核实不属实）"),
            "target_reason": text(2000, description="report: 量化目标未完成的原因（target_not_met）")},
        "allOf": [{"if": {"properties": {"trigger": {"not": {"const": trigger}}}},
                   "then": {"not": {"required": [field]}}}
                  for trigger, field in (("report", "statement"), ("report", "target_reason"),
                                         ("transfer", "department_id"),
                                         ("cancel", "cancel_reason"),
                                         ("dismiss", "verification_record"))]},
    "Evidence": {"type": "object", "properties": {
        "id": {"type": "integer"}, "filename": {"type": "string"}, "sha256": {"type": "string"},
        "size": {"type": "integer"}, "content_type": {"type": "string"},
        "round": {"type": "integer"}, "category": {"type": "string"},
        "phash": {"type": ["string", "null"], "description": "64-bit pHash, 16 hex digits (images)"},
        "captured_at": {"type": ["string", "null"], "description": "EXIF 拍摄时间 (UTC)"},
        "flags": {"type": "array", "items": {"type": "string"},
                  "description": "reused_from:<事项编号> | same_as_before | "
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

# --- the full 台账, 属地 unit and enterprise on a case (issue 13) -------------------------------
def _keys_and_labels(table: dict) -> list:
    return list(table) + list(table.values())


_REGISTER_FIELDS = {
    "clue_type": _optional({"type": "string", "enum": _keys_and_labels(CLUE_TYPES)}),
    "hazard_category": _optional({"type": "string", "enum": _keys_and_labels(HAZARD_CATEGORIES)}),
    "rectification_type": _optional({"type": "string",
                                     "enum": _keys_and_labels(RECTIFICATION_TYPES)}),
    "completed_on": _optional(DATE),
    "acceptance_on": _optional(DATE),
    "actual_funds": CASE_FIELDS["funds"],
    "territorial_unit_id": _optional({"type": "integer", "minimum": 1, "maximum": 2147483647}),
    "enterprise_id": _optional({"type": "integer", "minimum": 1, "maximum": 2147483647}),
}
CASE_FIELDS.update(_REGISTER_FIELDS)
SCHEMAS["CaseUpdate"]["properties"].update(_REGISTER_FIELDS)
# 问题线索 and 事故线索 need no 一般/重大 grade; any other case does
SCHEMAS["CaseInput"]["required"] = [f for f in SCHEMAS["CaseInput"]["required"] if f != "grade"]
SCHEMAS["CaseInput"]["allOf"].append({
    "if": {"required": ["clue_type"], "properties": {"clue_type": {
        "enum": [k for k in GRADELESS_CLUES] + [CLUE_TYPES[k] for k in GRADELESS_CLUES]}}},
    "else": {"required": ["grade"], "properties": {"grade": {"type": "string", "enum": _GRADES}}}})
CASE_FIELDS["grade"] = _optional({"type": "string", "enum": _GRADES})
SCHEMAS["CaseUpdate"]["properties"]["grade"] = CASE_FIELDS["grade"]


def empty_ok(param: dict) -> dict:
    """A query parameter the code reads as absent when it is empty (``?status=``)."""
    return {**param, "schema": {"anyOf": [param["schema"], {"type": "string", "maxLength": 0}]}}


LIST_PARAMS = [empty_ok(p) for p in [
    {"name": "kind", "in": "query", "schema": {"type": "string", "enum": list(KINDS)}},
    {"name": "status", "in": "query", "schema": {"type": "string", "enum": list(STATUSES)}},
    {"name": "department_id", "in": "query", "schema": {"type": "integer", "minimum": 1}},
    {"name": "source", "in": "query", "schema": {"type": "string", "enum": list(SOURCES)}},
    {"name": "grade", "in": "query", "schema": {"type": "string", "enum": list(GRADES)}},
    {"name": "overdue", "in": "query", "schema": {"type": "string", "enum": ["true", "false"]}},
    {"name": "q", "in": "query", "schema": text(100)},
    {"name": "year", "in": "query", "schema": {"type": "integer", "minimum": 2000, "maximum": 2100}},
    {"name": "territorial_unit_id", "in": "query",
     "schema": {"type": "integer", "minimum": 1, "maximum": 2147483647},
     "description": "属地单位（含下属村社区、网格）"},
    {"name": "enterprise_id", "in": "query",
     "schema": {"type": "integer", "minimum": 1, "maximum": 2147483647}},
    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 200}},
    {"name": "cursor", "in": "query", "schema": {"type": "string", "pattern": CURSOR_PATTERN},
     "description": "上一页返回的 next_cursor（原样传回）"},
]]

PATHS: dict = {
    "/tokens": {"post": {
        "summary": "用用户名和密码换取 API 令牌", "security": [],
        "requestBody": {"required": True, **json_content({
            "type": "object", "required": ["username", "password"], "additionalProperties": False,
            "properties": {"username": text(64, required=True),
                           "password": {"type": "string", "minLength": 1, "maxLength": 1024,
                                        "pattern": NO_NUL}}})},
        "responses": responses("201", {"type": "object", "properties": {"token": {"type": "string"}}},
                               400, 401, 429, desc="令牌")}},
    "/me": {"get": {"summary": "当前用户", "responses": responses("200", {"type": "object"}, 401)}},
    "/departments": {"get": {"summary": "部门与部门组",
                             "responses": responses("200", {"type": "object"}, 401)}},
    "/cases": {
        "get": {"summary": "事项列表（游标分页）", "parameters": LIST_PARAMS,
                "responses": responses("200", ref("List"), 400, 401)},
        "post": {"summary": "登记问题（待挂号草稿）",
                 "requestBody": {"required": True, **json_content(ref("CaseInput"))},
                 "responses": responses("201", ref("Case"), 400, 401, 403)}},
    "/cases/{case_id}": {
        "parameters": [ID_PARAM],
        "get": {"summary": "事项详情与可执行操作",
                "responses": responses("200", ref("Case"), 401, 404)},
        "patch": {"summary": "修改草稿（挂号前）",
                  "requestBody": {"required": True, **json_content(ref("CaseUpdate"))},
                  "responses": responses("200", ref("Case"), 400, 401, 403, 404, 409)}},
    "/cases/{case_id}/transitions": {"parameters": [ID_PARAM], "post": {
        "summary": "状态流转（挂号、签收、上报、退回、核查、销号……）",
        "requestBody": {"required": True, **json_content(ref("TransitionInput"))},
        "responses": responses("200", ref("Case"), 400, 401, 403, 404, 409, 422)}},
    "/cases/{case_id}/evidence": {"parameters": [ID_PARAM],
        "get": {"summary": "佐证材料列表", "responses": responses("200", ref("List"), 401, 404)},
        "post": {"summary": "上传佐证材料", "requestBody": {"required": True, "content": {
            "multipart/form-data": {"schema": {
                "type": "object", "required": ["file"], "additionalProperties": False,
                "properties": {
                "file": {"type": "string", "format": "binary"},
                "category": {"type": "string", "enum": ["before", "after", "report", "acceptance",
                                                        "other"]},
                "note": text(500)}}}}},
            "responses": responses("201", ref("Evidence"), 400, 401, 403, 404, 409, 413)}},
    "/cases/{case_id}/events": {"parameters": [ID_PARAM], "get": {
        "summary": "审计链（时间线）", "responses": responses("200", ref("List"), 401, 404)}},
    "/cases/{case_id}/statement": {"parameters": [ID_PARAM], "put": {
        "summary": "起草整改情况说明（部门联络员或负责人）",
        "requestBody": {"required": True, **json_content({
            "type": "object", "required": ["statement"], "additionalProperties": False,
            "properties": {"statement": text(10000, required=True)}})},
        "responses": responses("200", ref("Case"), 400, 401, 403, 404, 409)}},
    "/cases/{case_id}/plan": {"parameters": [ID_PARAM], "put": {
        "summary": "治理方案（16号令第十五条六项内容；旧五落实字段作为别名）及主要负责人签批件",
        "requestBody": {"required": True, "content": {
            "application/json": {"schema": _PLAN_SCHEMA},
            "multipart/form-data": {"schema": {
                **_PLAN_SCHEMA, "anyOf": [*_PLAN_SCHEMA["anyOf"], {"required": ["signed_copy"]}],
                "properties": {**_PLAN_SCHEMA["properties"],
                "signed_copy": {"type": "string", "format": "binary",
                                "description": "签批件，存为佐证材料 signed_plan"}}}}}},
        "responses": responses("200", ref("Case"), 400, 401, 403, 404, 409)}},
    "/cases/{case_id}/verifications": {"parameters": [ID_PARAM], "post": {
        "summary": "现场核查记录，或复产现场审查（purpose=resumption_review）",
        "requestBody": {"required": True, **json_content({
            "type": "object", "required": ["visited_on", "verifiers", "findings"],
            "additionalProperties": False,
            "properties": {"visited_on": DATE,
                           "verifiers": {"type": "array", "minItems": 2, "items": {"oneOf": [
                               {**text(120, required=True), "description": "姓名（职务）"},
                               {"type": "object", "required": ["user_id"], "properties": {
                                   "user_id": {"type": "integer", "minimum": 1, "maximum": 2147483647},
                                   "post": text(60)}, "additionalProperties": False},
                               {"type": "object", "required": ["name", "post"], "properties": {
                                   "name": text(60, required=True), "post": text(60, required=True)},
                                   "additionalProperties": False}]}},
                           "findings": text(5000, required=True),
                           "purpose": {"type": "string",
                                       "enum": ["verification", "resumption_review"]}}})},
        "responses": responses("201", {"type": "object"}, 400, 401, 403, 404, 409, 422)}},
}


def add_paths(paths: dict, schemas: dict | None = None) -> None:
    """Let an API module describe its own endpoints."""
    PATHS.update(paths)
    SCHEMAS.update(schemas or {})


METHODS = ("get", "put", "post", "delete", "patch")
ALLOW_HEADER = {"Allow": {"description": "本资源支持的方法", "schema": {"type": "string"}}}


def _no_nul(schema):
    """Every free string of a request refuses U+0000 (blueprints/inputs.py): say so."""
    if isinstance(schema, list):
        return [_no_nul(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: _no_nul(v) if k in ("properties", "items", "anyOf", "oneOf", "allOf", "not",
                                  "contains", "if", "then", "else") else v
           for k, v in schema.items()}
    if "properties" in schema:
        out["properties"] = {k: _no_nul(v) for k, v in schema["properties"].items()}
    types = schema.get("type")
    if (types == "string" or isinstance(types, list) and "string" in types) and not (
            {"pattern", "enum", "format", "const"} & set(schema)):
        out["pattern"] = NO_NUL
    return out


def _request(op: dict) -> dict:
    """Request bodies refuse unknown fields (json_body, refuse_unknown) and NUL."""
    op = dict(op)
    if "parameters" in op:
        op["parameters"] = [{**p, "schema": _no_nul(p["schema"])} for p in op["parameters"]]
    if "requestBody" in op:
        content = {}
        for mime, media in op["requestBody"]["content"].items():
            schema = _resolve(media["schema"])
            if schema.get("type") == "object":
                schema = {**schema, "additionalProperties": False}
            content[mime] = {**media, "schema": _no_nul(schema)}
        op["requestBody"] = {**op["requestBody"], "content": content}
    return op


def _finish(paths: dict) -> dict:
    """Answers every operation may give: 405 with Allow (a method the path does not take,
    or a path id beyond the 32-bit range, which no route matches)."""
    out = {}
    for path, item in paths.items():
        out[path] = dict(item)
        if "parameters" in item:
            out[path]["parameters"] = [{**p, "schema": _no_nul(p["schema"])}
                                       for p in item["parameters"]]
        for method in METHODS:
            if method in item:
                op = _request(item[method])
                op["responses"] = {**op["responses"], "405": {
                    "description": ERROR_DESCRIPTIONS[405], "headers": ALLOW_HEADER,
                    **json_content(ERROR)}}
                out[path][method] = op
    return out


def document() -> dict:
    return {
        "openapi": "3.1.0",
        "info": {"title": "SafeLoop 安全生产闭环督办 API", "version": "1.0.0",
                 "description": "所有时间为 UTC（ISO 8601，Z 结尾）；期限为北京时间日期。"},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearer": []}],
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
                       "schemas": SCHEMAS},
        "paths": _finish(PATHS),
    }


@bp.get("/openapi.json")
def openapi_json():
    return jsonify(document())


# --- the documented limits, enforced ---------------------------------------
def _resolve(schema: dict) -> dict:
    while "$ref" in schema:
        schema = SCHEMAS[schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _takes_text(schema: dict) -> bool:
    types = schema.get("type", "string")
    return types == "string" or isinstance(types, list) and "string" in types


def _max_length(schema: dict, query: bool = False) -> int | None:
    """The longest text ``schema`` admits (None: no limit). In a query every value is text,
    so there a number's branch sets no text limit (its own rule applies)."""
    schema = _resolve(schema)
    if "anyOf" in schema:
        branches = [_resolve(s) for s in schema["anyOf"]]
        if query and not all("anyOf" in s or _takes_text(s) for s in branches):
            return None
        limits = [_max_length(s, query) for s in branches if "anyOf" in s or _takes_text(s)]
        return None if not limits or None in limits else max(limits)
    if query and not _takes_text(schema):
        return None
    return schema.get("maxLength")


def _too_long(value, schema: dict, field: str, query: bool = False) -> None:
    schema = _resolve(schema)
    limit = _max_length(schema, query)
    if isinstance(value, str) and limit is not None and len(value) > limit:
        raise InvalidInput(f"{field} 过长（最多 {limit} 字）", field=field)
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        for item in value:
            _too_long(item, schema["items"], field)


def _operation() -> dict | None:
    rule = request.url_rule
    if rule is None or not rule.rule.startswith("/api/v1/"):
        return None
    path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule[len("/api/v1"):])
    return PATHS.get(path, {}).get(request.method.lower())


def check_limits() -> None:
    """Refuse a text longer than its documented ``maxLength`` (400 naming the field).

    One rule for every field of every route, read from the document a client reads, so the
    limits and what the server enforces cannot drift apart."""
    op = _operation()
    if op is None:
        return
    item = PATHS[re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}",
                        request.url_rule.rule[len("/api/v1"):])]
    for param in [*item.get("parameters", []), *op.get("parameters", [])]:
        if param["in"] == "query":
            for value in request.args.getlist(param["name"]):
                _too_long(value, param["schema"], param["name"], query=True)
    content = op.get("requestBody", {}).get("content", {})
    if "application/json" in content and request.data:
        data = request.get_json(silent=True, force=True)
        fields = _resolve(content["application/json"]["schema"]).get("properties", {})
        if isinstance(data, dict):
            for name, schema in fields.items():
                _too_long(data.get(name), schema, name)
    if "multipart/form-data" in content and request.mimetype == "multipart/form-data":
        fields = content["multipart/form-data"]["schema"].get("properties", {})
        for name, schema in fields.items():
            for value in request.form.getlist(name):
                _too_long(value, schema, name)

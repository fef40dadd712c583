"""Bulk actions: one trigger over a selection of cases, a result per row."""
from __future__ import annotations

from flask import jsonify

from blueprints.api import api_user, authed, bp, json_body
from blueprints.api.openapi import add_paths, json_content, responses, text
from blueprints.extensions import db, settings
from workflow.platform.errors import InvalidInput
from workflow.platform.vocab import STATUSES
from workflow.problems.bulk import BULK_TRIGGERS, MAX_ITEMS, bulk_apply, parse_items

COMMENT_MAX = 2000


@bp.post("/cases/bulk-transitions")
@authed
def post_bulk_transitions():
    data = json_body({"trigger", "comment", "items"}, required=("trigger",))
    comment = data.get("comment")
    if comment is not None and (not isinstance(comment, str) or len(comment) > COMMENT_MAX):
        raise InvalidInput(f"comment 须为 {COMMENT_MAX} 字以内的文本", field="comment")
    if not isinstance(data["trigger"], str):
        raise InvalidInput("trigger 须为操作名", field="trigger")
    items = parse_items(data.get("items"))
    results = bulk_apply(db.session, api_user(), data["trigger"], items, comment=comment,
                         settings=settings())
    db.session.commit()
    return jsonify({"results": results,
                    "done": sum(r["ok"] for r in results),
                    "refused": sum(not r["ok"] for r in results)})


_ID = {"type": "integer", "minimum": 1, "maximum": 2147483647}
RESULT = {"type": "object", "additionalProperties": False,
          "required": ["id", "ok", "status", "version", "error", "rules", "message"],
          "properties": {
              "id": {"type": "integer"},
              "ok": {"type": "boolean"},
              "status": {"type": ["string", "null"], "enum": [*STATUSES, None],
                         "description": "办理后的状态；拒绝时为当前状态（不可见的事项为 null）"},
              "version": {"type": ["integer", "null"],
                          "description": "办理后的版本；拒绝时为当前版本（如已知）"},
              "error": {"type": ["string", "null"],
                        "enum": [None, "bad_request", "forbidden", "not_found", "conflict",
                                 "rule_failed"],
                        "description": "拒绝原因：forbidden 403、not_found 404、conflict 409（版本过期或状态不允许）、rule_failed 422"},
              "rules": {"type": "array", "items": {"type": "string"},
                        "description": "未满足的规则代码（RULE_MESSAGES）"},
              "message": {"type": ["string", "null"], "description": "拒绝原因（中文）"}}}

add_paths({"/cases/bulk-transitions": {"post": {
    "summary": "批量办理：对选中的事项逐件执行同一操作（签收、催办、延期审批……），逐件返回结果",
    "description": "每件与单件操作同样校验（角色、范围、版本、规则），各自写审计事件；"
                   "部分成功时已办理的照常生效，被拒绝的原样不动。urge=催办，"
                   "approve_extension=批准该事项待审批的延期申请。",
    "requestBody": {"required": True, **json_content({
        "type": "object", "required": ["trigger", "items"], "additionalProperties": False,
        "properties": {
            "trigger": {"type": "string", "enum": list(BULK_TRIGGERS)},
            "comment": {**text(COMMENT_MAX), "type": ["string", "null"]},
            "items": {"type": "array", "minItems": 1, "maxItems": MAX_ITEMS,
                      "items": {"type": "object", "required": ["id", "version"],
                                "additionalProperties": False,
                                "properties": {"id": _ID, "version": _ID}}}}})},
    "responses": {**responses("200", {
        "type": "object", "required": ["results", "done", "refused"], "additionalProperties": False,
        "properties": {"results": {"type": "array", "items": RESULT},
                       "done": {"type": "integer", "minimum": 0},
                       "refused": {"type": "integer", "minimum": 0}}}, 400, 401, 409)}}}})

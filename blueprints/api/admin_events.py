"""The administration log, read-only (系统管理员 and 审计/纪检)."""
from __future__ import annotations

from flask import jsonify

from blueprints.api import api_user, authed, bp, query_args
from blueprints.api.openapi import add_paths, responses
from blueprints.extensions import db
from workflow.core.policy import admin_log_refusal
from workflow.org import adminlog
from workflow.platform.errors import InvalidInput


def _int_arg(args, name: str, default: int | None, low: int, high: int) -> int | None:
    raw = args.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise InvalidInput(f"{name} 须为 {low}–{high} 的整数", field=name)
    return int(raw)


@bp.get("/admin-events")
@authed
def list_admin_events():
    if refusal := admin_log_refusal(api_user()):
        raise refusal
    args = query_args({"limit", "before", "action"})
    limit = _int_arg(args, "limit", 50, 1, 200)
    before = _int_arg(args, "before", None, 1, 2147483647)
    action = args.get("action")
    if action is not None and action not in adminlog.ACTION_LABELS:
        raise InvalidInput(f"action 须为：{', '.join(adminlog.ACTION_LABELS)}", field="action")
    events = adminlog.list_events(db.session, before_seq=before, limit=limit, action=action)
    more = len(events) == limit and events[-1].seq > 1
    return jsonify({"items": [e.to_dict() for e in events],
                    "next_before": events[-1].seq if more else None})


ADMIN_EVENT = {"type": "object", "required": ["seq", "at", "action", "hash", "prev_hash"],
               "properties": {
                   "seq": {"type": "integer"}, "at": {"type": "string", "format": "date-time"},
                   "actor_id": {"type": ["integer", "null"]},
                   "actor_username": {"type": "string"}, "actor_name": {"type": "string"},
                   "actor_role": {"type": "string"}, "actor_role_label": {"type": "string"},
                   "action": {"type": "string", "enum": list(adminlog.ACTION_LABELS)},
                   "action_label": {"type": "string"},
                   "object_type": {"type": "string"}, "object_id": {"type": ["string", "null"]},
                   "payload": {"type": "object"},
                   "prev_hash": {"type": "string"}, "hash": {"type": "string"}}}

add_paths({
    "/admin-events": {"get": {
        "summary": "管理日志：用户、角色授权、密码重置、部门与节假日的每次管理操作（哈希链，新的在前）",
        "description": "仅系统管理员和审计/纪检可查看。用 next_before 作为 before 翻页；"
                       "完整性用 `flask --app wsgi admin-log verify` 校验。",
        "parameters": [
            {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1,
                                                         "maximum": 200}},
            {"name": "before", "in": "query", "schema": {"type": "integer", "minimum": 1,
                                                          "maximum": 2147483647}},
            {"name": "action", "in": "query", "schema": {"type": "string",
                                                          "enum": list(adminlog.ACTION_LABELS)}}],
        "responses": responses("200", {"type": "object", "required": ["items", "next_before"],
                                       "properties": {
                                           "items": {"type": "array", "items": ADMIN_EVENT},
                                           "next_before": {"type": ["integer", "null"]}}},
                               400, 401, 403)}},
})

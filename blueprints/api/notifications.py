"""The caller's in-app notifications (站内消息)."""
from __future__ import annotations

from flask import jsonify

from blueprints.api import ID, api_user, authed, bp, query_args
from blueprints.api.openapi import add_paths, responses
from blueprints.extensions import db
from workflow.core import notifications
from workflow.platform.errors import InvalidInput


@bp.get("/notifications")
@authed
def list_notifications():
    args = query_args({"limit"})
    limit = args.get("limit", "20")
    if not limit.isdigit() or not 1 <= int(limit) <= 200:
        raise InvalidInput("limit 须为 1–200 的整数", field="limit")
    return jsonify(notifications.list_for(db.session, api_user(), int(limit)))


@bp.post(f"/notifications/<{ID}:notification_id>/read")
@authed
def read_notification(notification_id: int):
    note = notifications.mark_read(db.session, notification_id, api_user())
    db.session.commit()
    return jsonify({**note.to_dict(), "unread_count": notifications.unread_count(db.session,
                                                                                 api_user())})


NOTE = {"type": "object", "properties": {
    "id": {"type": "integer"}, "case_id": {"type": ["integer", "null"]},
    "kind": {"type": "string"}, "title": {"type": "string"}, "body": {"type": "string"},
    "read": {"type": "boolean"}, "created_at": {"type": "string"}}}

add_paths({
    "/notifications": {"get": {
        "summary": "我的站内消息（未读在前）",
        "parameters": [{"name": "limit", "in": "query",
                        "schema": {"type": "integer", "minimum": 1, "maximum": 200}}],
        "responses": responses("200", {"type": "object", "properties": {
            "items": {"type": "array", "items": NOTE},
            "unread_count": {"type": "integer"}}}, 400, 401)}},
    "/notifications/{notification_id}/read": {
        "parameters": [{"name": "notification_id", "in": "path", "required": True,
                        "schema": {"type": "integer", "minimum": 1, "maximum": 2147483647}}],
        "post": {"summary": "标记为已读（仅限本人的消息）",
                 "responses": responses("200", NOTE, 401, 404)}},
})

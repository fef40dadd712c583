"""Periodic reporting of the task list: a plan's rule and the office's 滞后事项 list."""
from __future__ import annotations

from flask import jsonify

from blueprints.api import ID, api_user, authed, bp, json_body, query_args
from blueprints.api.openapi import add_paths, empty_ok, json_content, ref, responses
from blueprints.extensions import db
from workflow.core.cases import visible_cases_filter
from workflow.platform.base import local_today
from workflow.platform.parsing import parse_date
from workflow.tasklist import reporting


@bp.get(f"/plans/<{ID}:plan_id>/reporting")
@authed
def get_plan_reporting(plan_id: int):
    api_user()
    return jsonify(reporting.plan_rule(db.session, plan_id))


@bp.put(f"/plans/<{ID}:plan_id>/reporting")
@authed
def put_plan_reporting(plan_id: int):
    data = json_body({"frequency", "due_day", "remind_days"}, required=("frequency", "due_day"))
    body = reporting.set_plan_rule(db.session, plan_id, api_user(), frequency=data["frequency"],
                                   due_day=data["due_day"], remind_days=data.get("remind_days"))
    db.session.commit()
    return jsonify(body)


@bp.get("/tasks/lagging")
@authed
def get_lagging_tasks():
    args = query_args({"date"})
    user = api_user()
    day = parse_date(args["date"], "date") if args.get("date") else local_today()
    units = reporting.lagging_list(db.session, day, visible_cases_filter(user))
    return jsonify({"date": day.isoformat(), "items": units,
                    "total": sum(u["count"] for u in units)})


_PLAN_ID = {"name": "plan_id", "in": "path", "required": True,
            "schema": {"type": "integer", "minimum": 1, "maximum": 2147483647}}
add_paths({
    "/plans/{plan_id}/reporting": {
        "parameters": [_PLAN_ID],
        "get": {"summary": "清单的报送要求（默认每月25日前报送工作进展）", "tags": ["plans"],
                "responses": responses("200", ref("ReportingRule"), 401, 404)},
        "put": {"summary": "设定报送要求：每月/每季度/每半年第 N 日前（区安委办）", "tags": ["plans"],
                "requestBody": {"required": True, **json_content({
                    "type": "object", "additionalProperties": False,
                    "required": ["frequency", "due_day"], "properties": {
                        "frequency": {"type": "string", "enum": list(reporting.FREQUENCIES)},
                        "due_day": {"type": "integer", "minimum": 1, "maximum": 28},
                        "remind_days": {"type": ["integer", "null"], "minimum": 0, "maximum": 15,
                                        "description": "报送日前几天提醒；null：默认 3 天"}}})},
                "responses": responses("200", ref("ReportingRule"), 400, 401, 403, 404)}},
    "/tasks/lagging": {"get": {
        "summary": "滞后事项：未按期报送工作进展或超过完成时限的目标任务，按单位", "tags": ["plans"],
        "parameters": [empty_ok({"name": "date", "in": "query", "required": False,
                                 "schema": {"type": "string", "format": "date"},
                                 "description": "按哪一天计算（默认北京时间今天）"})],
        "responses": responses("200", {"type": "object", "required": ["items"], "properties": {
            "date": {"type": "string"}, "total": {"type": "integer"},
            "items": {"type": "array", "items": {"type": "object"}}}}, 400, 401)}},
}, {
    "ReportingRule": {"type": "object", "required": ["plan_id", "frequency", "due_day"], "properties": {
        "plan_id": {"type": "integer"},
        "frequency": {"type": "string", "enum": list(reporting.FREQUENCIES)},
        "frequency_label": {"type": "string"}, "due_day": {"type": "integer"},
        "remind_days": {"type": "integer"}, "label": {"type": "string"},
        "default": {"type": "boolean"}, "updated_at": {"type": ["string", "null"]}}},
})

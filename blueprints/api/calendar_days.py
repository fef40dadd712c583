"""Working-day arithmetic and administrator-entered holidays."""
from __future__ import annotations

from flask import jsonify

from blueprints.api import api_user, authed, bp, json_body, query_args
from blueprints.api.openapi import add_paths, json_content, responses, text
from blueprints.extensions import db
from workflow.core import workdays
from workflow.core.workdays import WorkCalendar, calendar_for
from workflow.platform.errors import InvalidInput
from workflow.platform.parsing import parse_date

MAX_DAYS = 3660


@bp.get("/calendar/add-working-days")
@authed
def add_working_days():
    args = query_args({"start", "days"})
    if not args.get("start"):
        raise InvalidInput("缺少 start（起算日期 YYYY-MM-DD）", field="start")
    start = parse_date(args["start"], "start")
    days = args.get("days", "")
    if not days.isdigit() or int(days) > MAX_DAYS:
        raise InvalidInput(f"days 须为 0–{MAX_DAYS} 的整数", field="days")
    calendar = calendar_for(db.session)
    try:
        result = calendar.add_working_days(start, int(days))
    except OverflowError:
        raise InvalidInput("推算结果超出日期范围", field="days") from None
    return jsonify({"start": start.isoformat(), "days": int(days), "date": result.isoformat(),
                    "statutory_data": WorkCalendar.covered(result.year)})


@bp.get("/calendar/days")
@authed
def list_days():
    args = query_args({"year"})
    year = args.get("year", "")
    if not year.isdigit() or not 2000 <= int(year) <= 2100:
        raise InvalidInput("year 须为 2000–2100 的年份", field="year")
    rows = workdays.days_in_year(db.session, int(year))
    return jsonify({"year": int(year), "statutory_data": WorkCalendar.covered(int(year)),
                    "items": [{"day": r.day.isoformat(), "kind": r.kind,
                               "kind_label": workdays.DAY_KINDS[r.kind], "name": r.name}
                              for r in rows]})


@bp.post("/calendar/days")
@authed
def post_day():
    data = json_body({"day", "kind", "name"}, required=("day", "kind"))
    row = workdays.set_day(db.session, api_user(), parse_date(data["day"], "day"),
                                 data["kind"], data.get("name"))
    db.session.commit()
    return jsonify({"day": row.day.isoformat(), "kind": row.kind, "name": row.name}), 201


@bp.delete("/calendar/days/<day>")
@authed
def delete_day(day: str):
    found = workdays.delete_day(db.session, api_user(), parse_date(day, "day"))
    db.session.commit()
    return jsonify({"day": day, "deleted": found})


DAY = {"type": "object", "properties": {"day": {"type": "string", "format": "date"},
                                        "kind": {"type": "string", "enum": ["holiday", "workday"]},
                                        "name": {**text(60), "type": ["string", "null"]}}}

add_paths({
    "/calendar/add-working-days": {"get": {
        "summary": "推算 N 个工作日后的日期（法定节假日与调休；无数据的年份按周末加管理员录入）",
        "parameters": [
            {"name": "start", "in": "query", "required": True,
             "schema": {"type": "string", "format": "date"}},
            {"name": "days", "in": "query", "required": True,
             "schema": {"type": "integer", "minimum": 0, "maximum": MAX_DAYS}}],
        "responses": responses("200", {"type": "object", "properties": {
            "date": {"type": "string", "format": "date"}}}, 400, 401)}},
    "/calendar/days": {
        "get": {"summary": "管理员录入的节假日与调休日",
                "parameters": [{"name": "year", "in": "query", "required": True,
                                "schema": {"type": "integer", "minimum": 2000, "maximum": 2100}}],
                "responses": responses("200", {"type": "object"}, 400, 401)},
        "post": {"summary": "录入节假日（休）或调休工作日（班）：系统管理员或主任",
                 "requestBody": {"required": True, **json_content({**DAY, "required": ["day", "kind"]})},
                 "responses": responses("201", DAY, 400, 401, 403)}},
    "/calendar/days/{day}": {
        "parameters": [{"name": "day", "in": "path", "required": True,
                        "schema": {"type": "string", "format": "date"}}],
        "delete": {"summary": "删除录入的日期", "responses": responses("200", {"type": "object"},
                                                                   400, 401, 403)}},
})

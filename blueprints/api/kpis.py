"""考核 figures, drill-down, ranking, quarterly review and frozen periods."""
from __future__ import annotations

import io

from flask import current_app, jsonify, send_file
from sqlalchemy import select

from blueprints.api import api_user, authed, bp, json_body, openapi, query_args
from blueprints.extensions import db, figure_store
from workflow.assessment import drilldown, figures, periods
from workflow.assessment.figure_cache import figure_cache, viewer_key
from workflow.assessment.review import build_review, review_filename, review_pdf, review_xlsx
from workflow.assessment.snapshots import KpiSnapshot, figures_for, freeze
from workflow.assessment.task_figures import task_figures
from workflow.core.cases import Case
from workflow.platform.base import iso_utc
from workflow.platform.errors import InvalidInput

WINDOW_ARGS = {"period", "from", "to", "cutoff"}


def window_from(args) -> periods.Window:
    return periods.window_from(args, accept_working_days=current_app.config["ACCEPT_WORKING_DAYS"])


def weights() -> dict:
    return figures.check_weights(current_app.config["KPI_WEIGHTS"])


@bp.get("/kpis")
@authed
def get_kpis():
    args = query_args(WINDOW_ARGS | {"scope", "kind"})
    kind = args.get("kind") or "problem"
    if kind not in KPI_KINDS:
        raise InvalidInput("kind 须为 problem（问题隐患）或 task（目标任务）", field="kind")
    scope = figures.parse_scope(args.get("scope"))
    w = window_from(args)  # a bad window is a 400 before anything is kept
    key = ("api_kpis", viewer_key(api_user()), kind, scope, w.period.key, w.cutoff.isoformat(),
           args.get("cutoff") not in (None, ""))
    body, computed_at = figure_cache.get(key, current_app.config["DASHBOARD_CACHE_SECONDS"],
                                         lambda: _kpis(kind, scope, w, args),
                                         shared=figure_store())
    return jsonify({**body, "computed_at": iso_utc(computed_at)})


def _kpis(kind: str, scope: str, w: periods.Window, args) -> dict:
    if kind == "task":
        # 目标任务: 完成率, 按期完成率, 报送及时率, 滞后数 per unit (towns and departments apart)
        restrict = figures.kpi_restriction(api_user(), "department")
        body = task_figures(db.session, w, restrict=restrict)
        return {**body, "kind": "task", "kind_label": KPI_KINDS[kind],
                "period": {"key": w.period.key, "label": w.period.label,
                           "start": w.period.start.isoformat(), "end": w.period.end.isoformat()},
                "cutoff": w.cutoff.isoformat()}
    body = figures_for(db.session, api_user(), scope, w,
                       explicit_cutoff=args.get("cutoff") not in (None, ""))
    return {**body, "kind": "problem", "kind_label": KPI_KINDS["problem"]}


KPI_KINDS = {"problem": "问题隐患（不含目标任务）", "task": "目标任务"}


@bp.get("/kpis/cases")
@authed
def get_kpi_cases():
    args = query_args(WINDOW_ARGS | {"scope", "figure", "key"})
    user = api_user()
    scope = figures.parse_scope(args.get("scope"))
    restrict = figures.kpi_restriction(user, scope)
    key = drilldown.parse_key(scope, args.get("key"))
    if not args.get("figure"):
        raise InvalidInput(f"须指定 figure：{', '.join(drilldown.DRILL_FIGURES)}", field="figure")
    w = window_from(args)
    pairs = drilldown.figure_cases(db.session, args["figure"], scope, key, w, restrict=restrict)
    counted = dict(pairs)
    cases = db.session.scalars(select(Case).where(Case.id.in_(list(counted))).order_by(Case.id)).all() \
        if counted else []
    items = []
    for c in cases:
        d = c.to_dict()
        d["counted"] = counted[c.id]
        if args["figure"].startswith("overdue") and c.deadline:
            d["days_overdue"] = (w.cutoff - c.deadline).days
        items.append(d)
    return jsonify({"items": items, "figure": args["figure"],
                    "figure_label": drilldown.DRILL_FIGURES[args["figure"]], "scope": scope,
                    "key": key, "cutoff": w.cutoff.isoformat(), "total": len(items),
                    "counted": sum(1 for v in counted.values() if v)})


@bp.get("/kpis/trend")
@authed
def get_kpi_trend():
    args = query_args(WINDOW_ARGS)
    user = api_user()
    restrict = figures.kpi_restriction(user, "department")
    w = window_from(args)
    return jsonify({"items": figures.monthly_trend(db.session, w, restrict=restrict),
                    "cutoff": w.cutoff.isoformat()})


@bp.get("/kpis/ranking")
@authed
def get_kpi_ranking():
    args = query_args(WINDOW_ARGS)
    figures.kpi_restriction(api_user(), "department", ranking=True)
    review = build_review(db.session, window_from(args), weights())
    return jsonify({"items": review.rows, "weights": review.weights, "frozen": review.frozen,
                    "cutoff": review.window.cutoff.isoformat(), "title": review.title})


def _review_download(ext: str):
    args = query_args(WINDOW_ARGS)
    figures.kpi_restriction(api_user(), "department", ranking=True)
    review = build_review(db.session, window_from(args), weights())
    if ext == "xlsx":
        data = review_xlsx(review)
        mime = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        data, mime = review_pdf(review), "application/pdf"
    return send_file(io.BytesIO(data), mimetype=mime, as_attachment=True,
                     download_name=review_filename(review, ext))


@bp.get("/kpis/review.xlsx")
@authed
def get_review_xlsx():
    return _review_download("xlsx")


@bp.get("/kpis/review.pdf")
@authed
def get_review_pdf():
    return _review_download("pdf")


@bp.post("/kpis/snapshots")
@authed
def post_snapshot():
    data = json_body({"period", "from", "to", "cutoff"})
    period = periods.parse_period(data.get("period"), start=data.get("from"), end=data.get("to"))
    w = periods.make_window(period, data.get("cutoff") or period.end,
                            accept_working_days=current_app.config["ACCEPT_WORKING_DAYS"])
    snap = freeze(db.session, api_user(), w)
    db.session.commit()
    return jsonify(snap.to_dict()), 201


@bp.get("/kpis/snapshots")
@authed
def list_snapshots():
    figures.kpi_restriction(api_user(), "department", ranking=True)
    rows = db.session.scalars(select(KpiSnapshot).order_by(KpiSnapshot.period_start)).all()
    return jsonify({"items": [s.to_dict() for s in rows]})


PERIOD = {"type": "string", "pattern": r"^[0-9]{4}(Q[1-4]|-(0[1-9]|1[0-2]))?$"}
_W = [openapi.empty_ok({"name": "period", "in": "query", "schema": PERIOD,
                        "description": "2020 / 2020Q3 / 2020-03；或用 from/to（须同时给出）"}),
      *(openapi.empty_ok({"name": n, "in": "query", "schema": openapi.DATE})
        for n in ("from", "to", "cutoff"))]
_SCOPE = {"name": "scope", "in": "query", "schema": {"type": "string", "enum": list(figures.SCOPES)}}
ERRORS = {k: v for k, v in openapi.responses("200", {}, 400, 401, 403).items() if k != "200"}
_RATE = {"type": ["number", "null"], "minimum": 0, "maximum": 1}
_TASK_ROW = {"department_id": {"type": ["integer", "null"]}, "department": {"type": "string"},
             "unit_kind": {"type": "string", "enum": ["town", "department", "district"]},
             **{k: {"type": "integer", "minimum": 0} for k in (
                 "tasks", "completed", "due", "on_time", "periods_due", "periods_on_time",
                 "lagging_count")},
             **{k: _RATE for k in ("completion_rate", "on_time_rate", "reporting_rate")}}
_XLSX = {"200": {"description": "Excel 文件", "content": {
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {
        "schema": {"type": "string", "format": "binary"}}}}}
openapi.add_paths({
    "/kpis": {"get": {"summary": "考核指标：kind=problem（默认，隐患整改指标，不含目标任务）按部门/属地/来源/等级/行业/类别；"
                                 "kind=task 目标任务完成率、按期完成率、报送及时率、滞后数（按单位，属地与部门分列）",
                      "parameters": [_SCOPE, *_W, openapi.empty_ok({
                          "name": "kind", "in": "query",
                          "schema": {"type": "string", "enum": list(KPI_KINDS)}})],
                      "responses": openapi.responses("200", {"anyOf": [
                          openapi.ref("KpiTable"), openapi.ref("TaskKpiTable")]}, 400, 401, 403)}},
    "/kpis/cases": {"get": {"summary": "指标背后的事项清单", "parameters": [
        _SCOPE, *_W, {"name": "figure", "in": "query", "required": True,
                      "schema": {"type": "string", "enum": list(drilldown.DRILL_FIGURES)}},
        {"name": "key", "in": "query", "schema": openapi.text(100),
         "description": "行的键：scope=department 时为部门编号，其余为该行的名称"}],
        "responses": openapi.responses("200", openapi.ref("List"), 400, 401, 403)}},
    "/kpis/trend": {"get": {"summary": "按月趋势", "parameters": _W,
                            "responses": openapi.responses("200", openapi.ref("List"), 400, 401, 403)}},
    "/kpis/ranking": {"get": {"summary": "部门排名（季度点评/年度考核）", "parameters": _W,
                              "responses": openapi.responses("200", openapi.ref("List"), 400, 401, 403)}},
    "/kpis/review.xlsx": {"get": {"summary": "季度点评 Excel", "parameters": _W,
                                  "responses": {**_XLSX, **ERRORS}}},
    "/kpis/review.pdf": {"get": {"summary": "季度点评 PDF", "parameters": _W, "responses": {
        "200": {"description": "PDF", "content": {"application/pdf": {
            "schema": {"type": "string", "format": "binary"}}}},
        **ERRORS}}},
    "/kpis/snapshots": {
        "get": {"summary": "已冻结的考核期间", "responses": openapi.responses(
            "200", openapi.ref("List"), 401, 403)},
        "post": {"summary": "冻结考核期间（区安委办主任）", "requestBody": {
            "required": True, **openapi.json_content({"type": "object", "properties": {
                "period": PERIOD, "from": {"type": "string", "format": "date"},
                "to": {"type": "string", "format": "date"},
                "cutoff": {"type": "string", "format": "date"}}})},
            "responses": openapi.responses("201", {"type": "object"}, 400, 401, 403, 409)}},
}, {"KpiTable": {"type": "object", "required": ["items"], "properties": {
    "computed_at": {"type": "string", "format": "date-time",
                    "description": "指标的计算时间（同一问题 DASHBOARD_CACHE_SECONDS 秒内沿用）"},
    "items": {"type": "array", "items": {"type": "object", "properties": {
        "key": {}, "label": {"type": "string"},
        "department_id": {"type": ["integer", "null"]}, "department": {"type": "string"},
        **{f: _RATE for f in figures.FIGURES if f not in ("overdue_count", "avg_days_to_close")},
        "overdue_count": {"type": "integer"},
        "overdue_buckets": {"type": "object", "properties": {
            b: {"type": "integer"} for b in figures.BUCKETS}},
        "avg_days_to_close": {"type": ["number", "null"]},
        "changes": {"type": "object"}}}},
    "frozen": {"type": ["object", "null"]}, "cutoff": {"type": "string"}}},
    "TaskKpiTable": {"type": "object", "required": ["items", "kind", "district"], "properties": {
        "kind": {"type": "string", "enum": ["task"]},
        "computed_at": {"type": "string", "format": "date-time"},
        **{k: {"type": "array", "items": {"type": "object", "properties": _TASK_ROW}}
           for k in ("items", "towns", "departments")},
        "district": {"type": "object", "properties": _TASK_ROW},
        "figures": {"type": "object"}, "cutoff": {"type": "string"}}}})

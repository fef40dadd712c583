"""考核 dashboard, drill-down lists and freezing a period (blueprint ``kpis``).

The charts come from ``blueprints.web.charts``; the problem-list import page
registers its routes on this blueprint from ``blueprints.web.problem_import``.
"""
from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup
from sqlalchemy import select

from blueprints.extensions import db, figure_store
from blueprints.web import FormErrors, plain, require_login
from blueprints.web.charts import PALETTE, bucket_chart, hbar_chart, pct, trend_chart
from blueprints.web.task_pages import task_figures_context
from workflow.assessment import drilldown, figures, leader, periods
from workflow.assessment.figure_cache import figure_cache, viewer_key
from workflow.assessment.snapshots import figures_for, freeze, snapshot_for
from workflow.core.cases import Case
from workflow.measures import scoring
from workflow.measures.settings import MeasureSettings
from workflow.org.roles import OFFICE_DIRECTOR
from workflow.platform.base import local_today
from workflow.platform.errors import DomainError, InvalidInput

bp = Blueprint("kpis", __name__)
require_login(bp)


def _default_period() -> str:
    return f"{local_today().year}Q{(local_today().month - 1) // 3 + 1}"


def _args():
    args = request.args
    picked = leader.period_key(args.get("year"), args.get("part"))
    period = args.get("period") or picked or _default_period()
    return period, args.get("scope") or "department", args.get("cutoff") or None


def _window(period_key: str, cutoff):
    """The window asked for; text that is no period is a form error, not a bare 400."""
    errors = None
    try:
        if request.args.get("year") and not request.args.get("year", "").isdigit():
            raise InvalidInput(f"年份“{request.args['year'][:20]}”无效，请从列表中选择",
                               field="year")
        if request.args.get("part", "") not in leader.PERIOD_PARTS:
            raise InvalidInput("期间无效，请从列表中选择", field="part")
        period = periods.parse_period(period_key, start=None, end=None)
        w = periods.make_window(period, cutoff,
                                accept_working_days=current_app.config["ACCEPT_WORKING_DAYS"])
    except InvalidInput as exc:
        field = exc.field if exc.field in ("year", "part", "cutoff") else "year"
        errors = FormErrors("period", {field: plain(exc.message)})
        period = periods.parse_period(_default_period())
        w = periods.make_window(period, None,
                                accept_working_days=current_app.config["ACCEPT_WORKING_DAYS"])
        cutoff = None
    return w, cutoff, errors


@bp.get("/kpis")
def dashboard():
    period_key, scope, cutoff = _args()
    w, cutoff, errors = _window(period_key, cutoff)
    period = w.period
    restrict = figures.kpi_restriction(current_user, "department")
    thresholds = leader.Thresholds(current_app.config["DASHBOARD_RED_PERCENT"],
                                   current_app.config["DASHBOARD_AMBER_PERCENT"])
    key = ("dashboard", viewer_key(current_user), period.key, scope, w.cutoff.isoformat(),
           cutoff is not None, thresholds.red, thresholds.amber)
    f, computed_at = figure_cache.get(
        key, current_app.config["DASHBOARD_CACHE_SECONDS"],
        lambda: _dashboard_figures(w, scope, cutoff, restrict, thresholds),
        shared=figure_store())
    year_now = local_today().year
    return render_template(
        "kpis/leader.html", errors=errors, headline=f["headline"],
        ranked=f["ranked"], unit_kinds=leader.UNIT_KINDS, stage_labels=leader.STAGES,
        thresholds=thresholds, years=list(range(year_now + 1, 2017, -1)),
        period_parts=leader.PERIOD_PARTS, picked_year=str(period.start.year),
        picked_part=_part_of(period),
        table=f["table"], scope=scope, period=period, window=w,
        scopes=figures.SCOPES, figures=figures.FIGURES, pct=pct, buckets=figures.BUCKETS,
        bars=f["bars"], trend=f["trend_svg"], trend_points=f["trend"],
        bucket_svg=f["bucket_svg"], district_buckets=f["district"], can_rank=restrict is None,
        can_freeze=current_user.role == OFFICE_DIRECTOR,
        snapshot=snapshot_for(db.session, period.key), bucket_labels=figures.BUCKET_LABELS,
        tf=f["tf"], measure_points=f["measure_points"],
        point_labels=scoring.POINT_LABELS, computed_at=computed_at,
        figures_table=f["figures_table"], ranking=f["ranking"],
        cache_seconds=current_app.config["DASHBOARD_CACHE_SECONDS"])


URL_SAFE = "!$'()*,/:;?@"  # werkzeug's query encoding (werkzeug.urls._urlencode)


def _drill_href(scope: str, period_key: str, cutoff: str):
    """The link of each figure to the cases behind it: what ``url_for`` would build, with the
    route looked up once per page instead of once per cell (some 2,000 cells)."""
    base = url_for("kpis.drill_down")
    tail = urlencode([("period", period_key), ("cutoff", cutoff)], safe=URL_SAFE)

    def href(figure: str, key) -> str:
        return f"{base}?{urlencode([('figure', figure), ('scope', scope), ('key', key)], safe=URL_SAFE)}&{tail}"
    return href


def _dashboard_figures(w, scope: str, cutoff, restrict, thresholds) -> dict:
    """Everything the dashboard computes from the register (kept by ``figure_cache``)."""
    period = w.period
    table = figures_for(db.session, current_user, scope, w, explicit_cutoff=cutoff is not None)
    trend_w = periods.make_window(periods.parse_period(str(period.start.year)), w.cutoff
                                  if w.cutoff.year == period.start.year else None,
                                  accept_working_days=w.accept_working_days)
    trend = figures.monthly_trend(db.session, trend_w, restrict=restrict)
    district = {b: sum(r["overdue_buckets"][b] for r in table["items"]) for b in figures.BUCKETS}
    chart_rows = [r for r in table["items"] if r["registered"] or r["due"] or r["overdue_count"]]
    dept_table = table if scope == "department" else figures_for(
        db.session, current_user, "department", w, explicit_cutoff=cutoff is not None)
    stages = leader.stage_counts(db.session, local_today(), restrict=restrict)
    out = {
        "table": table, "trend": trend, "trend_svg": trend_chart(trend), "district": district,
        "bucket_svg": bucket_chart(district),
        "bars": hbar_chart(chart_rows, [("rectification_rate", "整改率", PALETTE["a"]),
                                        ("on_time_rate", "按期整改率（原期限）", PALETTE["b"])]),
        "headline": leader.headline(dept_table["items"], stages),
        "ranked": leader.ranked_tables(db.session, dept_table["items"], stages, thresholds),
        "tf": task_figures_context(str(period.start.year), trend_w.cutoff),
        "measure_points": _measure_points(period.start.year) if restrict is None else None,
    }
    # the HTML of the figures table and of the ranking, kept with the figures they show (most
    # of the page's render: some 2,000 cells, 60 units' rows)
    out["figures_table"] = Markup(render_template(
            "kpis/_figures_table.html", table=table, scope=scope, figures=figures.FIGURES,
            buckets=figures.BUCKETS, bucket_labels=figures.BUCKET_LABELS, pct=pct,
            drill_href=_drill_href(scope, period.key, w.cutoff.isoformat())))
    out["ranking"] = Markup(render_template("kpis/_ranking.html", ranked=out["ranked"],
                                            unit_kinds=leader.UNIT_KINDS, period=period,
                                            window=w))
    return out


def _measure_points(year: int) -> list[dict]:
    """督办措施 扣分/加分 of the period's year, beside the ranking (workflow.measures.scoring)."""
    cfg = MeasureSettings.from_config(current_app.config)
    return scoring.unit_points(db.session, year, local_today(), cfg.points)


def _part_of(period) -> str:
    if period.kind == "quarter":
        return period.key[-2:]
    if period.kind == "month":
        return period.key[-2:]
    return ""


@bp.get("/kpis/cases")
def drill_down():
    args = request.args
    scope = args.get("scope") or "department"
    figure = args.get("figure") or "rectification_rate"
    restrict = figures.kpi_restriction(current_user, scope)
    period = periods.parse_period(args.get("period"), start=args.get("from"), end=args.get("to"))
    w = periods.make_window(period, args.get("cutoff"),
                            accept_working_days=current_app.config["ACCEPT_WORKING_DAYS"])
    key = args.get("key") or None
    if scope == "department" and key is not None:
        key = int(key) if key.isdigit() and int(key) < 2**31 else -1
    pairs = dict(drilldown.figure_cases(db.session, figure, scope, key, w, restrict=restrict))
    cases = db.session.scalars(select(Case).where(Case.id.in_(list(pairs))).order_by(Case.id)).all() \
        if pairs else []
    return render_template("kpis/cases.html", cases=cases, counted=pairs, window=w,
                           figure_label=drilldown.DRILL_FIGURES.get(figure, figure), figure=figure,
                           label=figures.scope_label(scope, key, {c.department_id: c.department.name
                                                               for c in cases if c.department}))


@bp.post("/kpis/freeze")
def freeze_period():
    period = periods.parse_period(request.form.get("period"))
    w = periods.make_window(period, request.form.get("cutoff") or period.end,
                            accept_working_days=current_app.config["ACCEPT_WORKING_DAYS"])
    try:
        snap = freeze(db.session, current_user, w)
    except DomainError as exc:
        db.session.rollback()
        flash(f"未冻结：{exc.message}")
    else:
        db.session.commit()
        flash(f"{period.label}考核数据已冻结（截止日 {snap.cutoff.isoformat()}）")
    return redirect(url_for("kpis.dashboard", period=period.key))

"""考核 dashboard, drill-down lists, freezing a period and the problem-list import page.

Charts are SVG drawn here on the server: they read without JavaScript, print,
and need nothing beyond the app's own CSS (CSP script-src 'self', no inline style).
"""
from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from blueprints.extensions import db, settings
from workflow.assessment import figures
from workflow.assessment.snapshots import freeze, snapshot_for
from workflow.core.cases import Case
from workflow.org.roles import OFFICE_DIRECTOR, OFFICE_STAFF
from workflow.platform.errors import DomainError
from workflow.platform.vocab import GRADES, SOURCES
from workflow.problems.excel_import import ImportRejected, import_problems

bp = Blueprint("kpis", __name__)

PALETTE = {"a": "#b42318", "b": "#1d4ed8", "c": "#b7791f", "muted": "#9aa5b1"}


def pct(v) -> str:
    return "—" if v is None else f"{v * 100:.1f}%"


def hbar_chart(rows: list[dict], series: list[tuple[str, str, str]], *, width=640,
               label_width=150, bar_h=12, gap=10, fraction=True) -> dict:
    """Horizontal grouped bars: one group per row, one bar per (key, label, colour) series."""
    plot_w = width - label_width - 70
    values = [r.get(k) or 0 for r in rows for k, _l, _c in series]
    top = 1.0 if fraction else max(values + [1])
    group_h = len(series) * bar_h + gap
    height = 30 + len(rows) * group_h + 10
    groups = []
    for i, r in enumerate(rows):
        y0 = 30 + i * group_h
        bars = []
        for j, (key, label, colour) in enumerate(series):
            v = r.get(key)
            w = 0 if v is None else max(1.0, plot_w * v / top) if v else 0
            bars.append({"x": label_width, "y": y0 + j * bar_h, "w": round(w, 1), "h": bar_h - 2,
                         "colour": colour, "text": pct(v) if fraction else str(v if v is not None else "—"),
                         "tx": label_width + w + 4, "ty": y0 + j * bar_h + bar_h - 3,
                         "title": f"{r['label']} {label}：{pct(v) if fraction else v}"})
        groups.append({"label": r["label"], "ly": y0 + len(series) * bar_h / 2 + 4, "bars": bars})
    legend = [{"x": label_width + i * 150, "label": label, "colour": colour}
              for i, (_k, label, colour) in enumerate(series)]
    return {"width": width, "height": height, "groups": groups, "legend": legend,
            "label_width": label_width, "axis_x": label_width, "axis_y2": height - 10}


def trend_chart(points: list[dict], *, width=640, height=240) -> dict:
    """Monthly registered / closed bars with the 整改率 as a line (right axis 0–100%)."""
    left, right, top, bottom = 40, 50, 30, 30
    plot_w, plot_h = width - left - right, height - top - bottom
    n = max(len(points), 1)
    slot = plot_w / n
    peak = max([p["registered"] for p in points] + [1])
    bars, line = [], []
    for i, p in enumerate(points):
        x = left + i * slot
        bw = max(4.0, slot / 3 - 2)
        for j, (key, colour) in enumerate((("registered", PALETTE["b"]), ("closed", PALETTE["a"]))):
            h = plot_h * p[key] / peak
            bars.append({"x": round(x + slot / 6 + j * (bw + 2), 1), "y": round(top + plot_h - h, 1),
                         "w": round(bw, 1), "h": round(h, 1), "colour": colour,
                         "title": f"{p['label']} {'挂号' if key == 'registered' else '销号'} {p[key]} 件"})
        if p["rectification_rate"] is not None:
            line.append((round(x + slot / 2, 1), round(top + plot_h * (1 - p["rectification_rate"]), 1)))
    labels = [{"x": round(left + i * slot + slot / 2, 1), "text": p["label"]} for i, p in enumerate(points)]
    return {"width": width, "height": height, "bars": bars, "labels": labels,
            "line": " ".join(f"{x},{y}" for x, y in line), "dots": line, "top": top,
            "base": top + plot_h, "left": left, "right": width - right, "peak": peak,
            "label_y": height - 10}


def bucket_chart(buckets: dict, *, width=640) -> dict:
    rows = [{"label": figures.BUCKET_LABELS[b], "n": buckets[b]} for b in figures.BUCKETS]
    return hbar_chart(rows, [("n", "逾期案件数", PALETTE["a"])], width=width, label_width=110,
                      bar_h=22, fraction=False)


def _args():
    args = request.args
    period = args.get("period") or f"{figures.local_today().year}Q{(figures.local_today().month - 1) // 3 + 1}"
    return period, args.get("scope") or "department", args.get("cutoff") or None


@bp.get("/kpis")
@login_required
def dashboard():
    from blueprints.api.kpis import figures_for

    period_key, scope, cutoff = _args()
    period = figures.parse_period(period_key, start=None, end=None)
    w = figures.make_window(period, cutoff, accept_working_days=current_app.config["ACCEPT_WORKING_DAYS"])
    table = figures_for(current_user, scope, w)
    restrict = figures.kpi_restriction(current_user, "department")
    trend_w = figures.make_window(figures.parse_period(str(period.start.year)), w.cutoff
                               if w.cutoff.year == period.start.year else None,
                               accept_working_days=w.accept_working_days)
    trend = figures.monthly_trend(db.session, trend_w, restrict=restrict)
    district = {b: sum(r["overdue_buckets"][b] for r in table["items"]) for b in figures.BUCKETS}
    chart_rows = [r for r in table["items"] if r["registered"] or r["due"] or r["overdue_count"]]
    can_rank = restrict is None
    return render_template(
        "kpis/dashboard.html", table=table, scope=scope, period=period, window=w,
        scopes=figures.SCOPES, figures=figures.FIGURES, pct=pct, buckets=figures.BUCKETS,
        bars=hbar_chart(chart_rows, [("rectification_rate", "整改率", PALETTE["a"]),
                                     ("on_time_rate", "按期整改率（原期限）", PALETTE["b"])]),
        trend=trend_chart(trend), trend_points=trend, bucket_svg=bucket_chart(district),
        district_buckets=district, can_rank=can_rank,
        can_freeze=current_user.role == OFFICE_DIRECTOR,
        snapshot=snapshot_for(db.session, period.key), bucket_labels=figures.BUCKET_LABELS)


@bp.get("/kpis/cases")
@login_required
def drill_down():
    args = request.args
    scope = args.get("scope") or "department"
    figure = args.get("figure") or "rectification_rate"
    restrict = figures.kpi_restriction(current_user, scope)
    period = figures.parse_period(args.get("period"), start=args.get("from"), end=args.get("to"))
    w = figures.make_window(period, args.get("cutoff"),
                         accept_working_days=current_app.config["ACCEPT_WORKING_DAYS"])
    key = args.get("key") or None
    if scope == "department" and key is not None:
        key = int(key) if key.isdigit() and int(key) < 2**31 else -1
    pairs = dict(figures.figure_cases(db.session, figure, scope, key, w, restrict=restrict))
    cases = db.session.scalars(select(Case).where(Case.id.in_(list(pairs))).order_by(Case.id)).all() \
        if pairs else []
    return render_template("kpis/cases.html", cases=cases, counted=pairs, window=w,
                           figure_label=figures.DRILL_FIGURES.get(figure, figure), figure=figure,
                           label=figures.scope_label(scope, key, {c.department_id: c.department.name
                                                               for c in cases if c.department}))


@bp.post("/kpis/freeze")
@login_required
def freeze_period():
    period = figures.parse_period(request.form.get("period"))
    w = figures.make_window(period, request.form.get("cutoff") or period.end,
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


@bp.route("/imports/problems", methods=["GET", "POST"])
@login_required
def import_page():
    report = rejected = None
    status = 200
    if current_user.role not in (OFFICE_STAFF, OFFICE_DIRECTOR):
        from workflow.platform.errors import Forbidden

        raise Forbidden("导入问题清单须由区安委办办理", needed_roles=[OFFICE_STAFF, OFFICE_DIRECTOR],
                        rules=["role_required"])
    if request.method == "POST":
        upload = request.files.get("file")
        dry_run = request.form.get("action") != "import"
        defaults = {k: request.form[k] for k in ("source", "grade") if request.form.get(k)}
        try:
            if upload is None or not upload.filename:
                raise DomainError("请选择要导入的 Excel 文件")
            report = import_problems(db.session, current_user, upload.read(
                current_app.config["MAX_UPLOAD_BYTES"] + 1), upload.filename, dry_run=dry_run,
                register=request.form.get("register") == "on", defaults=defaults,
                settings=settings(), max_rows=current_app.config["IMPORT_MAX_ROWS"])
        except ImportRejected as exc:
            db.session.rollback()
            rejected, status = exc.to_dict(), 422
        except DomainError as exc:
            db.session.rollback()
            rejected, status = exc.to_dict(), exc.status
        else:
            if dry_run:
                db.session.rollback()
            else:
                db.session.commit()
                flash(f"已导入 {len(report.created)} 件问题")
    return render_template("kpis/import.html", report=report, rejected=rejected,
                           sources={k: v[0] for k, v in SOURCES.items() if k != "task_list"},
                           grades=GRADES), status

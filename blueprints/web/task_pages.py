"""Task-list runtime pages: the office's 滞后事项 list, a plan's reporting rule, and the
task figures section any dashboard can include (``templates/kpis/_task_figures.html``)."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from blueprints.extensions import db
from blueprints.web import require_login
from blueprints.web.charts import pct
from workflow.assessment import figures, periods
from workflow.assessment.task_figures import TASK_FIGURES, UNIT_KINDS, task_figures
from workflow.core.cases import visible_cases_filter
from workflow.org.roles import DEPARTMENT_ROLES, READ_ALL_ROLES
from workflow.platform.base import local_today
from workflow.platform.errors import DomainError
from workflow.tasklist import reporting
from workflow.tasklist.models import Plan

bp = Blueprint("tasks", __name__)
require_login(bp)


@bp.get("/tasks/lagging")
def lagging():
    """滞后事项 (for a 通报): open tasks behind on reports or past their 完成时限, by unit."""
    if current_user.role not in READ_ALL_ROLES | DEPARTMENT_ROLES:
        abort(403)
    day = local_today()
    units = reporting.lagging_list(db.session, day, visible_cases_filter(current_user))
    return render_template("tasks/lagging.html", units=units, day=day,
                           total=sum(u["count"] for u in units))


@bp.route("/plans/<int:plan_id>/reporting", methods=["GET", "POST"])
def plan_reporting(plan_id: int):
    plan = db.session.get(Plan, plan_id)
    if plan is None:
        abort(404)
    error = None
    if request.method == "POST":
        try:
            day = (request.form.get("due_day") or "").strip()
            remind = (request.form.get("remind_days") or "").strip()
            reporting.set_plan_rule(db.session, plan_id, current_user,
                                    frequency=request.form.get("frequency"),
                                    due_day=int(day) if day.isdigit() else day,
                                    remind_days=int(remind) if remind.isdigit() else (remind or None))
            db.session.commit()
            flash("报送要求已保存")
            return redirect(url_for("tasks.plan_reporting", plan_id=plan_id))
        except DomainError as exc:
            db.session.rollback()
            if exc.status == 404:
                raise
            error = exc.message
    return render_template("tasks/reporting.html", plan=plan,
                           rule=reporting.plan_rule(db.session, plan_id),
                           frequencies=reporting.FREQUENCIES,
                           can_edit=current_user.role in reporting.RULE_EDITORS, error=error,
                           status=400 if error else 200), 400 if error else 200


def task_figures_context(period_key: str | None = None, cutoff=None) -> dict | None:
    """What ``kpis/_task_figures.html`` needs, or None when the user may not read figures.

    The period defaults to this year (tasks run by the year), the cut-off to today.
    """
    try:
        restrict = figures.kpi_restriction(current_user, "department")
    except DomainError:
        return None
    period = periods.parse_period(period_key or str(local_today().year))
    w = periods.make_window(period, cutoff,
                            accept_working_days=current_app.config["ACCEPT_WORKING_DAYS"])
    return {"figs": task_figures(db.session, w, restrict=restrict), "window": w,
            "labels": TASK_FIGURES, "unit_kinds": UNIT_KINDS, "pct": pct}

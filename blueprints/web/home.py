"""The home page: each role's work queues with counts."""
from __future__ import annotations

from flask import current_app, redirect, render_template, url_for

from blueprints.extensions import db
from blueprints.web import actor, bp, today, work_calendar
from workflow.measures import acts as measure_acts
from workflow.measures.candidates import suggestion_list
from workflow.org.roles import ADMIN, AUDITOR, DISCIPLINE, LEADER, OFFICE_DIRECTOR, OFFICE_ROLES
from workflow.problems.queues import QueueContext, queue_summaries, status_counts


def queue_context(user) -> QueueContext:
    return QueueContext(user=user, today=today(), calendar=work_calendar(),
                        lookback_days=current_app.config["LOOKBACK_DAYS"],
                        complaint_accept_days=current_app.config["COMPLAINT_ACCEPT_WORKING_DAYS"])


@bp.get("/")
def home():
    user = actor()
    if user.role == ADMIN:
        return redirect(url_for("pages.admin_users"))
    ctx = queue_context(user)
    queues = queue_summaries(db.session, ctx)
    figures = status_counts(db.session, user) if user.role in (AUDITOR, DISCIPLINE, LEADER,
                                                               OFFICE_DIRECTOR) else None
    candidates = suggestion_list(db.session, user) if user.role == OFFICE_DIRECTOR else None
    # 督办措施: the office sees what is overdue; a unit sees what it still owes
    late_measures = (measure_acts.overdue(db.session, user, ctx.today)
                     if user.role in OFFICE_ROLES | {LEADER} else None)
    owed_measures = measure_acts.awaiting(db.session, user) if user.is_department_user else None
    return render_template("pages/home.html", queues=queues, figures=figures,
                           candidates=candidates, ctx=ctx, late_measures=late_measures,
                           owed_measures=owed_measures,
                           interview_days=current_app.config["ESCALATE_INTERVIEW_DAYS"])

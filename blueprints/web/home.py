"""The home page: each role's work queues with counts."""
from __future__ import annotations

from flask import current_app, redirect, render_template, url_for

from blueprints.extensions import db
from blueprints.web import actor, bp, today, work_calendar
from workflow.org.roles import ADMIN, AUDITOR, LEADER, OFFICE_DIRECTOR
from workflow.problems.queues import QueueContext, queue_summaries, status_counts
from workflow.problems.supervision import interview_candidates


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
    figures = status_counts(db.session, user) if user.role in (AUDITOR, LEADER,
                                                               OFFICE_DIRECTOR) else None
    candidates = interview_candidates(db.session, user) if user.role == OFFICE_DIRECTOR else None
    return render_template("pages/home.html", queues=queues, figures=figures,
                           candidates=candidates, ctx=ctx)

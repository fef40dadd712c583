"""What the case page shows of the problem loop and the task target, and which forms it offers.

Histories (extensions, disputes, progress, 催办/督办, 挂牌督办, 回头看, occurrences) are
shown to every reader of the case; a form only to the user who may use it now. The
workflow functions check the same conditions again when the form is posted.
"""
from __future__ import annotations

from flask import current_app
from sqlalchemy import select

from blueprints.extensions import db
from blueprints.web import work_calendar
from workflow.core import policy
from workflow.core.evidence import Evidence
from workflow.org.roles import DEPARTMENT_ROLES, OFFICE_DIRECTOR, OFFICE_ROLES
from workflow.platform.base import local_today
from workflow.platform.errors import RULE_MESSAGES, Forbidden, RuleFailed
from workflow.platform.masking import mask_contact, mask_name
from workflow.platform.vocab import HELD_BY_DEPARTMENT, LISTING_LEVELS, REPLY_CHANNELS
from workflow.problems import complaints, disputes, extensions, listings, progress, supervision
from workflow.problems.lookback import RESULTS as LOOKBACK_RESULTS
from workflow.problems.lookback import STATES as LOOKBACK_STATES
from workflow.problems.lookback import LookBack
from workflow.tasklist import reporting
from workflow.tasklist.models import item_of_case, progress_text
from workflow.tasklist.occurrences import occurrences_of

SUPERVISION_LABELS = {k: supervision.ALERT_KINDS[k][0] for k in policy.SUPERVISION_ROLES}


def _extension_panel(case, user, today) -> dict:
    rows = extensions.extensions_of(db.session, case)
    pending = next((e for e in rows if e.status == "pending"), None)
    note = None
    asked = policy.extension_refusal(case, user, today)
    can_request = asked is None
    if asked is not None and case.status in HELD_BY_DEPARTMENT and case.in_scope_of(user):
        # why the responsible department is offered no form (a pending request shows itself)
        if isinstance(asked, RuleFailed):
            note = "；".join(RULE_MESSAGES[c] for c in asked.rules)
        elif isinstance(asked, Forbidden):
            note = asked.message
    refusal = pending.decision_refusal(user) if pending else None
    if pending and refusal and user.role in OFFICE_ROLES:
        note = refusal.message
    return {"rows": rows, "pending": pending, "can_request": can_request,
            "can_decide": pending is not None and refusal is None
            and case.status in HELD_BY_DEPARTMENT, "note": note}


def _dispute_panel(case, user) -> dict:
    rows = disputes.disputes_of(db.session, case)
    open_row = next((d for d in rows if d.status == "open"), None)
    return {"rows": rows, "open": open_row,
            "can_raise": open_row is None and policy.can_raise_dispute(case, user),
            "can_decide": open_row is not None and disputes.Dispute.can_decide(user)}


def _supervision_panel(case, user) -> dict:
    listing = policy.listing_action(case, user)
    note = None
    if user.role == OFFICE_DIRECTOR and case.listed and listing is None:
        note = RULE_MESSAGES["rectification_unverified"]
    current = supervision.current_listing(db.session, case)
    if listing == "delist" and current is not None and current.request_id is not None:
        listing = None  # an approved listing is delisted by proposal and the leader's approval
    requests = listings.requests_of(db.session, case)
    pending = next((r for r in requests if r.status == "pending"), None)
    propose = policy.listing_action(case, user) if pending is None else None
    due = listings.progress_due(db.session, case, current) if current else None
    return {"alerts": supervision.alerts_of(db.session, case),
            "listings": supervision.listings_of(db.session, case),
            "kinds": policy.supervision_kinds(case, user), "listing": listing, "note": note,
            "level_label": supervision.LEVEL_LABELS.get(case.supervision_level or 0),
            "requests": requests, "pending": pending,
            "propose": propose, "levels": LISTING_LEVELS,
            "can_decide": pending is not None and policy.listing_decision_refusal(user) is None,
            "progress_due": due, "progress_late": bool(due and local_today() > due)}


def _lookback_panel(case, user) -> dict:
    rows = db.session.scalars(select(LookBack).where(LookBack.case_id == case.id)
                              .order_by(LookBack.id)).all()
    done_now = any(r.closed_at == case.closed_at for r in rows)
    pending = next((r for r in rows if r.state == "reopen_pending"), None)
    return {"rows": rows, "can_record": policy.can_record_lookback(case, user) and not done_now,
            "pending": pending, "can_confirm": pending is not None
            and user.role == OFFICE_DIRECTOR, "results": LOOKBACK_RESULTS,
            "states": LOOKBACK_STATES}


def _target_panel(case, user) -> dict | None:
    if case.kind != "task":
        return None
    item = item_of_case(db.session, case.id)
    if item is None:
        return None
    rows = occurrences_of(db.session, case.id)
    cited = {i for occ in rows for i in occ.evidence_ids}
    files = db.session.scalars(select(Evidence).where(Evidence.case_id == case.id)
                               .order_by(Evidence.id)).all()
    names = {f.id: f.filename for f in files}
    return {"item": item, "item_case_id": case.id, "rows": rows, "done": len(rows),
            "progress": progress_text(len(rows), item.target_count_of_case(case.id)), "names": names,
            "free_files": [f for f in files if f.id not in cited],
            "owed": item.target_count_of_case(case.id),
            "can_record": bool(item.target_count_of_case(case.id))
            and policy.can_record_occurrence(case, user),
            "can_edit_target": policy.can_edit_target(user)}


def _reporting_panel(case, user, today) -> dict | None:
    """A task's 工作进展 by period: the rule, where it stands (滞后), the reports, the form."""
    if case.kind != "task":
        return None
    rule = reporting.rule_of(db.session, reporting.plan_id_of_case(db.session, case.id))
    st = reporting.standings(db.session, [case], today)[case.id]
    files = db.session.scalars(select(Evidence).where(Evidence.case_id == case.id)
                               .order_by(Evidence.id)).all()
    return {"rule": rule, "standing": st, "reports": reporting.reports_of(db.session, case.id),
            "files": files, "can_report": policy.can_report_progress(case, user)}


def complaint_panel(case, user, reporter: dict | None = None) -> dict:
    """监督举报: the masked reporter (or the one just revealed), 答复, 奖励, 受理期限."""
    if not case.is_complaint:
        return {"on": False, "work": {}, "channels": REPLY_CHANNELS}
    work = policy.complaint_work(case, user)
    if not case.has_reporter:
        work["reveal"] = False
    rewards = complaints.rewards_of(db.session, case)
    if not any(r.state == "pending" for r in rewards):
        work["decide_reward"] = False
    elif work.get("reward"):
        work["reward"] = False  # one pending request at a time
    accept_days = current_app.config["COMPLAINT_ACCEPT_WORKING_DAYS"]
    return {"on": True, "work": work, "revealed": reporter,
            "masked_name": mask_name(case.reporter_name),
            "masked_contact": mask_contact(case.reporter_contact),
            "replies": complaints.replies_of(db.session, case), "rewards": rewards,
            "accept_days": accept_days,
            "accept_due": complaints.accept_due_on(case, work_calendar(), accept_days)
            if case.status == "draft" else None,
            "channels": REPLY_CHANNELS}


def panels(case, user, today, events=None) -> dict:
    """Everything the problem-loop part of the case page needs; ``events``: the case's
    audit events in order, when the page has read them already."""
    progress_rows = (progress.progress_of(db.session, case) if events is None
                     else [e for e in events if e.action == "progress"])
    return {
        "extension": _extension_panel(case, user, today),
        "dispute": _dispute_panel(case, user),
        "progress": {"rows": progress_rows,
                     "can_report": policy.can_report_progress(case, user)},
        "supervision": _supervision_panel(case, user),
        "lookback": _lookback_panel(case, user),
        "target": _target_panel(case, user),
        "reporting": _reporting_panel(case, user, today),
        "is_department": user.role in DEPARTMENT_ROLES,
        "SUPERVISION_LABELS": SUPERVISION_LABELS,
        "EXTENSION_STATUSES": extensions.STATUSES, "DISPUTE_STATUSES": disputes.STATUSES,
    }

"""The approval view (上报 / 核查 / 销号 / 办结) and "办理完成，下一条" through a work queue.

Everything the approver weighs on one screen: the statement, the 整改前 and 整改后
photos side by side (a lightbox opens them large), each round's report and return, and
the decision buttons together; each decision asks for confirmation and carries the 意见
(常用语 to pick) that the 审批表 prints.
"""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import and_, select

from blueprints.extensions import db
from blueprints.web import ID, actor, bp
from blueprints.web.case_page import COMMENT_LABELS, action_forms
from blueprints.web.formstate import take
from blueprints.web.home import queue_context
from workflow.core import service
from workflow.core.audit import AuditEvent
from workflow.core.cases import Case
from workflow.core.evidence import Evidence
from workflow.platform.errors import NotFound
from workflow.platform.vocab import ACTION_LABELS, COMMON_OPINIONS, REGISTRATION_PHOTO_CATEGORIES
from workflow.problems.queues import QUEUES, ROLE_QUEUES, queue_clause

# the steps decided here, in the order their buttons stand
APPROVAL_TRIGGERS = ("report", "verify", "close", "dismiss", "return", "reject")
# which photos stand on the "before" side; everything else the department files is "after"
BEFORE = frozenset(REGISTRATION_PHOTO_CATEGORIES)
ROUND_ACTIONS = ("report", "return", "verify", "reject", "close", "onsite_verification")


def _queue_arg(user) -> str | None:
    key = request.args.get("queue") or None
    return key if key in ROLE_QUEUES.get(user.role, ()) else None


def approval_actions(case, user) -> list[dict]:
    return [a for a in action_forms(case, user)
            if a["trigger"] in APPROVAL_TRIGGERS and a["allowed"]]


@bp.get(f"/cases/<{ID}:case_id>/approval")
def case_approval(case_id: int):
    user = actor()
    case = service.get_case(db.session, case_id, user)
    decisions = sorted(approval_actions(case, user),
                       key=lambda a: APPROVAL_TRIGGERS.index(a["trigger"]))
    queue = _queue_arg(user)
    if not decisions:
        flash(f"{case.display_number} 当前没有您可以审批的操作")
        return redirect(url_for("pages.case_view", case_id=case.id, queue=queue))
    files = db.session.scalars(select(Evidence).where(Evidence.case_id == case.id)
                               .order_by(Evidence.round, Evidence.id)).all()
    photos = [ev for ev in files if ev.is_image]
    before = [ev for ev in photos if ev.category in BEFORE]
    after = [ev for ev in photos if ev.category not in BEFORE and ev.round == case.round]
    earlier = [ev for ev in photos if ev.category not in BEFORE and ev.round != case.round]
    documents = [ev for ev in files if not ev.is_image]
    events = db.session.scalars(select(AuditEvent).where(
        AuditEvent.case_id == case.id, AuditEvent.action.in_(ROUND_ACTIONS))
        .order_by(AuditEvent.seq)).all()
    rounds: dict[int, list] = {}
    current = 1
    for e in events:
        rounds.setdefault(current, []).append(e)
        if e.action in ("return", "reject"):
            current += 1
    errors, values, _extra = take(request.path)
    opinions = {a["trigger"]: COMMON_OPINIONS.get(a["trigger"], ()) for a in decisions}
    return render_template(
        "pages/approval.html", case=case, decisions=decisions, before=before, after=after,
        earlier=earlier, documents=documents, rounds=rounds, opinions=opinions,
        comment_labels=COMMENT_LABELS, ACTION_LABELS=ACTION_LABELS, errors=errors, values=(values or {}).get("approval", {}),
        queue=queue, queue_label=QUEUES[queue].label if queue else None)


@bp.get("/queues/<key>/next")
def queue_next(key: str):
    """办理完成，下一条: the next case of the queue (earliest deadline first), else the list."""
    user = actor()
    if key not in ROLE_QUEUES.get(user.role, ()):
        raise NotFound("没有这个工作队列")
    after = request.args.get("after", "")
    clause = queue_clause(key, queue_context(user))
    if after.isdigit():
        clause = and_(clause, Case.id != int(after))
    nxt = db.session.scalar(select(Case).where(clause).order_by(
        Case.deadline.asc().nulls_last(), Case.id).limit(1))
    if nxt is None:
        flash(f"“{QUEUES[key].label}”中的事项已全部办理")
        return redirect(url_for("pages.case_list", queue=key))
    if approval_actions(nxt, user):
        return redirect(url_for("pages.case_approval", case_id=nxt.id, queue=key))
    return redirect(url_for("pages.case_view", case_id=nxt.id, queue=key))

"""The case page and the forms that act on a case (one per step the user may take)."""
from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from blueprints.extensions import db, settings, storage
from blueprints.web import ID, FormErrors, actor, bp, errors_from, today, work_calendar
from blueprints.web.case_panels import complaint_panel, panels
from blueprints.web.case_readonly import former_holder_view
from blueprints.web.formstate import navigating, refuse_to, take
from blueprints.web.register_panel import register_panel
from workflow.core import machine, policy, service
from workflow.core.audit import AuditEvent
from workflow.core.cases import ONSITE_PURPOSES, Case, OnsiteVerification
from workflow.core.evidence import ALLOWED_TYPES, Evidence
from workflow.core.policy import available_work
from workflow.measures.acts import measures_of_case
from workflow.org.models import Department
from workflow.org.names import usernames
from workflow.org.roles import DEPARTMENT_ROLES, OFFICE_ROLES, ROLE_LABELS
from workflow.platform.errors import DomainError, InvalidInput, NotFound
from workflow.platform.parsing import parse_date, parse_id
from workflow.platform.vocab import (
    EVIDENCE_CATEGORIES,
    OFFICE_EVIDENCE_CATEGORIES,
    PLAN_ELEMENTS,
    REGISTRATION_PHOTO_CATEGORIES,
)
from workflow.platform.wording import (
    action_labels,
    evidence_categories,
    rule_message,
    status_labels,
    trigger_label,
    words,
)
from workflow.problems.queues import QUEUES, ROLE_QUEUES, deadline_info

# What each step's comment box is called, and whether it is required
COMMENT_LABELS = {
    "register": ("交办意见", False), "accept": ("签收备注", False), "report": ("上报意见", True),
    "return": ("退回意见", True), "verify": ("核查意见", True), "reject": ("不通过理由", True),
    "close": ("销号意见", True), "reopen": ("重新整改理由", True), "cancel": ("撤销说明", True),
    "transfer": ("转办理由", True), "dismiss": ("办结意见", False),
}
APPROVAL_STEPS = ("report", "verify", "close", "dismiss", "return", "reject")
# The same boxes in the task list's words
TASK_COMMENT_LABELS = {
    **COMMENT_LABELS, "report": ("报送意见", COMMENT_LABELS["report"][1]),
    "verify": ("审核意见", COMMENT_LABELS["verify"][1]), "reject": ("不予办结的理由", True),
    "close": ("办结意见", COMMENT_LABELS["close"][1]), "reopen": ("重新办理的理由", True),
}
# evidence categories a task offers (no 整改前/后 photos of a hazard)
TASK_CATEGORIES = ("report", "acceptance", "after", "other")
ACTION_FIELDS = ("comment", "statement", "target_reason", "department_id", "cancel_reason",
                 "version",
                 "verification_record")


def _shown_disabled(trigger: str, user) -> bool:
    """Refused steps are shown (greyed, with the rule) to the side that takes them."""
    if user.role in DEPARTMENT_ROLES:
        return trigger in machine.DEPARTMENT_SCOPED
    return user.role in OFFICE_ROLES and trigger not in machine.DEPARTMENT_SCOPED


def action_forms(case: Case, user) -> list[dict]:
    """The steps of the current status the user may take, and refused ones with the reason."""
    out = []
    for item in service.available_actions(db.session, case, user):
        trigger = item["trigger"]
        if not item["allowed"] and not _shown_disabled(trigger, user):
            continue
        reasons = []
        if not item["allowed"]:
            refusal = policy.role_refusal(trigger, case, user)
            reasons = [refusal.message] if refusal else [rule_message(case.kind, c)
                                                        for c in item["reasons"]]
        label, required = (TASK_COMMENT_LABELS if case.is_task else COMMENT_LABELS).get(
            trigger, ("意见", False))
        out.append({**item, "reasons": reasons, "comment_label": label,
                    "comment_required": required})
    return out


def shown_forms(actions: list[dict], work: dict, x: dict) -> set[str]:
    """Names of the forms this page renders (each shows its own refusal messages)."""
    ext, dsp, sup, lb, tgt = (x["extension"], x["dispute"], x["supervision"], x["lookback"],
                              x["target"] or {})
    offered = {
        "occurrence": tgt.get("can_record"), "target": tgt.get("can_edit_target"),
        "extension": ext["can_request"], "extension-decision": ext["can_decide"],
        "dispute": dsp["can_raise"], "dispute-decision": dsp["can_decide"],
        "progress": x["progress"]["can_report"], "supervision": bool(sup["kinds"]),
        "listing": bool(sup["listing"]), "listing-proposal": bool(sup["propose"]),
        "listing-decision": sup["can_decide"], "lookback": lb["can_record"], "reopen": lb["can_confirm"],
        "delegate": bool(x.get("register", {}).get("units_below")),
        "duties": x.get("register", {}).get("can_set_duties"),
        **{name: on for name, on in work.items() if name != "edit"},
        **{f"complaint-{name}": on for name, on in x["complaint"]["work"].items()},
    }
    return {f"action-{a['trigger']}" for a in actions} | {k for k, on in offered.items() if on}


def render_case(case: Case, *, errors: FormErrors | None = None, values=None, status: int = 200,
                reporter: dict | None = None):
    """The case page; ``reporter`` is the revealed reporter (only after a recorded reading)."""
    user = actor()
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.case_id == case.id)
                                .order_by(AuditEvent.seq)).all()
    files = db.session.scalars(select(Evidence).where(Evidence.case_id == case.id)
                               .order_by(Evidence.round.desc(), Evidence.id)).all()
    rounds: dict[int, list[Evidence]] = {}
    for ev in files:
        rounds.setdefault(ev.round, []).append(ev)
    onsite = db.session.scalars(select(OnsiteVerification).where(
        OnsiteVerification.case_id == case.id).order_by(OnsiteVerification.id)).all()
    departments = db.session.scalars(select(Department).where(Department.active.is_(True))
                                     .order_by(Department.kind, Department.name)).all()
    dept_names = {d.id: d.name for d in departments}
    actor_usernames = usernames(db.session, (e.actor_id for e in events))
    actions, work = action_forms(case, user), available_work(case, user)
    x = panels(case, user, today(), events)
    x["complaint"] = complaint_panel(case, user, reporter)
    queue = request.args.get("queue") or None
    if queue not in ROLE_QUEUES.get(user.role, ()):
        queue = None
    x["measures"] = measures_of_case(db.session, case, user)  # 督办函, 约谈, 通报, 问责移交
    x["register"] = register_panel(case, user)
    return render_template(
        "pages/case.html", case=case, events=events, rounds=rounds, onsite=onsite,
        actions=actions, work=work, shown_forms=shown_forms(actions, work, x),
        deadline=deadline_info(case, today(), work_calendar()), departments=departments,
        dept_names=dept_names, actor_usernames=actor_usernames,
        errors=errors or FormErrors(), values=values or {},
        ACTION_LABELS=action_labels(case.kind), ROLE_LABELS=ROLE_LABELS,
        PLAN_ELEMENTS=PLAN_ELEMENTS, ONSITE_PURPOSES=ONSITE_PURPOSES,
        STATUS_LABELS=status_labels(case.kind), W=words(case.kind),
        # the upload form's choices, and every category's name in the case's words
        EVIDENCE_CATEGORIES={k: v for k, v in evidence_categories(case.kind).items()
                             if k not in OFFICE_EVIDENCE_CATEGORIES
                             and (not case.is_task or k in TASK_CATEGORIES)},
        EVIDENCE_LABELS=evidence_categories(case.kind),
        CANCEL_REASONS=service.CANCEL_REASONS,
        ALLOWED_TYPES=ALLOWED_TYPES, today=today(), x=x, queue=queue,
        queue_label=QUEUES[queue].label if queue else None,
        approval_offered=any(a["allowed"] and a["trigger"] in APPROVAL_STEPS for a in actions),
        photo_only=not policy.can_upload_evidence(case, user)
        and policy.can_attach_registration_photos(case, user),
        PHOTO_CATEGORIES={k: EVIDENCE_CATEGORIES[k] for k in REGISTRATION_PHOTO_CATEGORIES},
        ), status


def refused(case_id: int, exc: DomainError, form: str, field_names=()):
    """The refused form's message and the user's input, on the case page.

    A browser goes back to the page the form was on (the case page, or the approval
    view it came from) with a 303 — never left on the POST URL; other clients get the
    case page with the error's status right away."""
    db.session.rollback()
    case = service.get_case(db.session, case_id, actor())
    errors = errors_from(exc, form, field_names)
    if navigating():
        back = _return_page(case_id)
        return refuse_to(back, back.split("?")[0], errors)
    return render_case(case, errors=errors, values={form: request.form}, status=exc.status)


def _return_page(case_id: int) -> str:
    """Where a refused form goes back to: the approval view it came from, else the case."""
    queue = request.form.get("queue") or None
    if request.form.get("from") == "approval":
        return url_for("pages.case_approval", case_id=case_id, queue=queue)
    return url_for("pages.case_view", case_id=case_id, queue=queue)


@bp.get(f"/cases/<{ID}:case_id>")
def case_view(case_id: int):
    try:
        case = service.get_case(db.session, case_id, actor())
    except NotFound:
        if (former := former_holder_view(case_id)) is not None:
            return former
        raise
    errors, values, _extra = take(request.path)
    return render_case(case, errors=errors, values=values)


def _action_data(trigger: str, form) -> tuple[int, str | None, dict]:
    raw_version = (form.get("version") or "").strip()
    if not raw_version.isdigit():
        raise InvalidInput("缺少事项版本号，请刷新页面后重试", field="version")
    comment = (form.get("comment") or "").strip() or None
    if comment and len(comment) > 5000:
        raise InvalidInput("意见过长（最多 5000 字）", field="comment")
    data: dict = {}
    accepted = service.TRIGGER_FIELDS.get(trigger, set())
    if "statement" in accepted and (form.get("statement") or "").strip():
        if len(form["statement"]) > 10000:
            raise InvalidInput("整改情况说明过长（最多 10000 字）", field="statement")
        data["statement"] = form["statement"]
    if "target_reason" in accepted and (form.get("target_reason") or "").strip():
        if len(form["target_reason"]) > 2000:
            raise InvalidInput("未完成原因过长（最多 2000 字）", field="target_reason")
        data["target_reason"] = form["target_reason"]
    if "department_id" in accepted and form.get("department_id"):
        data["department_id"] = parse_id(form["department_id"], "department_id")
    if "cancel_reason" in accepted:
        data["cancel_reason"] = form.get("cancel_reason") or "other"
    if "verification_record" in accepted:
        if len(form.get("verification_record") or "") > 5000:
            raise InvalidInput("核实情况过长（最多 5000 字）", field="verification_record")
        data["verification_record"] = form.get("verification_record") or ""
    return int(raw_version), comment, data


@bp.post(f"/cases/<{ID}:case_id>/actions/<trigger>")
def case_action(case_id: int, trigger: str):
    if trigger not in machine.TRIGGERS:
        return redirect(url_for("pages.case_view", case_id=case_id))
    form_name = "approval" if request.form.get("from") == "approval" else f"action-{trigger}"
    try:
        version, comment, data = _action_data(trigger, request.form)
        case = service.transition(db.session, case_id, trigger, actor(), version=version,
                                  comment=comment, data=data, settings=settings(),
                                  require_opinion=True)
        db.session.commit()
    except DomainError as exc:
        if exc.status == 404:
            raise
        return refused(case_id, exc, form_name, ACTION_FIELDS)
    flash(f"已{trigger_label(case.kind, trigger)}：{case.display_number}，当前状态：{case.status_label}")
    queue = request.form.get("queue") or None
    if request.form.get("next") == "1" and queue:
        return redirect(url_for("pages.queue_next", key=queue, after=case_id))
    return redirect(url_for("pages.case_view", case_id=case_id, queue=queue))


@bp.post(f"/cases/<{ID}:case_id>/statement")
def case_statement(case_id: int):
    statement = request.form.get("statement") or ""
    try:
        if len(statement) > 10000:
            raise InvalidInput("整改情况说明过长（最多 10000 字）", field="statement")
        service.draft_statement(db.session, case_id, actor(), statement)
        db.session.commit()
    except DomainError as exc:
        if exc.status == 404:
            raise
        return refused(case_id, exc, "statement", ("statement",))
    flash("整改情况说明已保存（草稿，由部门负责人上报）")
    return redirect(url_for("pages.case_view", case_id=case_id) + "#work")


@bp.post(f"/cases/<{ID}:case_id>/plan")
def case_plan(case_id: int):
    plan = {part: request.form.get(part, "") for part in PLAN_ELEMENTS}
    upload = request.files.get("signed_copy")
    signed = None
    if upload is not None and upload.filename:
        signed = (upload.read(current_app.config["MAX_UPLOAD_BYTES"] + 1), upload.filename)
    try:
        case = service.set_plan(db.session, case_id, actor(), plan, signed_copy=signed,
                                settings=settings(), storage=storage())
        db.session.commit()
    except DomainError as exc:
        if exc.status == 404:
            raise
        return refused(case_id, exc, "plan", (*PLAN_ELEMENTS, "signed_copy"))
    flash("治理方案已保存" + ("（六项内容已齐全）" if case.plan_complete else "（六项内容尚未齐全）")
          + ("，签批件已上传" if signed else ""))
    return redirect(url_for("pages.case_view", case_id=case_id) + "#work")


@bp.post(f"/cases/<{ID}:case_id>/onsite")
def case_onsite(case_id: int):
    form = request.form
    try:
        raw_names = (form.get("verifiers") or "").replace("，", "、").replace(",", "、")
        names = [n.strip() for n in raw_names.replace("\n", "、").split("、") if n.strip()]
        if not form.get("visited_on"):
            raise InvalidInput("须填写核查日期", field="visited_on")
        visited_on = parse_date(form["visited_on"], "visited_on")
        if len(form.get("findings") or "") > 5000:
            raise InvalidInput("核查情况过长（最多 5000 字）", field="findings")
        service.add_onsite_verification(db.session, case_id, actor(), visited_on=visited_on,
                                        verifiers=names, findings=form.get("findings") or "",
                                        purpose=form.get("purpose") or "verification")
        db.session.commit()
    except DomainError as exc:
        if exc.status == 404:
            raise
        return refused(case_id, exc, "onsite", ("visited_on", "verifiers", "findings", "purpose"))
    flash(f"{ONSITE_PURPOSES.get(form.get('purpose') or 'verification')}记录已保存")
    return redirect(url_for("pages.case_view", case_id=case_id) + "#work")

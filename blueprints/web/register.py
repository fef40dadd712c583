"""Recording a problem (登记) and completing a draft before 挂号交办."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import select

from blueprints.extensions import db, settings
from blueprints.web import ID, FormErrors, actor, bp, errors_from
from workflow.core import policy, service
from workflow.org.models import Department
from workflow.org.roles import OFFICE_STAFF
from workflow.platform.errors import DomainError
from workflow.platform.vocab import GRADES, SOURCES
from workflow.problems.fields import FIELD_LABELS, REPORTER_FIELDS, TEXT_LIMITS
from workflow.problems.registration import create_problem, update_draft

FORM_FIELDS = tuple(FIELD_LABELS)
CHOICE_FIELDS = ("source", "grade", "department_id")


def problem_raw(form, *, partial: bool) -> dict:
    """The form as the dict ``clean_problem_fields`` checks (the API sends the same keys)."""
    raw: dict = {f: form.get(f, "") for f in TEXT_LIMITS}
    for name in ("source", "grade", "department_id", "deadline", "found_on", "credit_code",
                 "funds"):
        raw[name] = (form.get(name) or "").strip()
    days = (form.get("deadline_working_days") or "").strip()
    raw["deadline_working_days"] = int(days) if days.isdigit() and len(days) < 6 else days
    raw["suspended"] = form.get("suspended") == "1"
    raw["co_department_ids"] = [v for v in form.getlist("co_department_ids") if v]
    if partial:
        for name in CHOICE_FIELDS:
            if raw[name] == "":
                del raw[name]
        # the edit form never shows the reporter (see _draft_values): empty keeps it
        for name in REPORTER_FIELDS:
            if not raw[name].strip():
                del raw[name]
    return raw


def _form_page(*, case=None, values=None, errors=None, status=200):
    if hasattr(values, "getlist"):
        co_selected = set(values.getlist("co_department_ids"))
    else:
        co_selected = {str(d.id) for d in case.co_departments} if case else set()
    departments = db.session.scalars(select(Department).where(Department.active.is_(True))
                                     .order_by(Department.kind, Department.name)).all()
    sources = {k: v[0] for k, v in SOURCES.items() if k != "task_list"}
    return render_template("pages/case_form.html", case=case, values=values,
                           errors=errors or FormErrors(), departments=departments,
                           sources=sources, grades=GRADES, labels=FIELD_LABELS, co_selected=co_selected,
                           may_register=actor().role == OFFICE_STAFF), status


def _then_register(case):
    if request.form.get("then") == "register":
        service.transition(db.session, case.id, "register", actor(), version=case.version,
                           comment=(request.form.get("assign_comment") or "").strip() or None,
                           settings=settings())


def _done(case, verb: str):
    if case.status == "assigned":
        flash(f"已挂号交办：{case.display_number}，责任单位：{case.department.name}")
    else:
        flash(f"{verb}：{case.display_number}（待挂号）")
    return redirect(url_for("pages.case_view", case_id=case.id))


@bp.route("/cases/new", methods=["GET", "POST"])
def case_new():
    user = actor()
    if refusal := policy.registration_refusal(user):
        raise refusal
    if request.method == "GET":
        return _form_page(values={})
    try:
        case = create_problem(db.session, user, problem_raw(request.form, partial=False))
        _then_register(case)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        return _form_page(values=request.form, errors=errors_from(exc, "case", FORM_FIELDS),
                          status=exc.status)
    return _done(case, "已登记")


def _draft_values(case) -> dict:
    values = {f: getattr(case, f) or "" for f in TEXT_LIMITS}
    values.update({"source": case.source or "", "grade": case.grade or "",
                   "department_id": str(case.department_id or ""),
                   "deadline": case.deadline.isoformat() if case.deadline else "",
                   "found_on": case.found_on.isoformat() if case.found_on else "",
                   "credit_code": case.credit_code or "",
                   "funds": str(case.funds) if case.funds is not None else "",
                   "suspended": "1" if case.suspended else ""})
    # the reporter is revealed on the case page only, where each reading is recorded
    values.update({name: "" for name in REPORTER_FIELDS})
    return values


@bp.route(f"/cases/<{ID}:case_id>/edit", methods=["GET", "POST"])
def case_edit(case_id: int):
    user = actor()
    case = service.get_case(db.session, case_id, user)
    if not policy.can_edit_draft(case, user):
        if case.status != "draft":
            flash("已挂号的事项不能再修改登记信息")
            return redirect(url_for("pages.case_view", case_id=case.id))
        raise policy.draft_editor_refusal(case, user)
    if request.method == "GET":
        values = _draft_values(case)
        return _form_page(case=case, values=values)
    try:
        case = update_draft(db.session, case_id, user, problem_raw(request.form, partial=True))
        _then_register(case)
        db.session.commit()
    except DomainError as exc:
        if exc.status == 404:
            raise
        db.session.rollback()
        case = service.get_case(db.session, case_id, user)
        return _form_page(case=case, values=request.form,
                          errors=errors_from(exc, "case", FORM_FIELDS), status=exc.status)
    return _done(case, "已保存")

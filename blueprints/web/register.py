"""Recording a problem (登记) and completing a draft before 挂号交办.

The inspector's and the office's 整改前/现场照片 go with the form (several at once; the
phone opens its camera). A refused form sends the browser back to the form's page
(Post/Redirect/Get) with what was typed, the error summary and the photos already
received, which are kept (stored, named in the session) and attached on the next try.
"""
from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, session, url_for
from sqlalchemy import select
from werkzeug.exceptions import RequestEntityTooLarge

from blueprints.extensions import db, settings, storage
from blueprints.web import ID, FormErrors, actor, bp, errors_from
from blueprints.web.formstate import navigating, refuse_to, take
from workflow.core import policy, service
from workflow.enterprises.models import Enterprise
from workflow.org.models import Department
from workflow.org.roles import OFFICE_STAFF
from workflow.platform.errors import DomainError, InvalidInput
from workflow.platform.vocab import (
    CLUE_TYPES,
    EVIDENCE_CATEGORIES,
    GRADES,
    HAZARD_CATEGORIES,
    RECTIFICATION_TYPES,
    REGISTRATION_PHOTO_CATEGORIES,
    SHUTDOWN,
    SOURCES,
)
from workflow.problems.fields import FIELD_LABELS, REPORTER_FIELDS, TERRITORIAL_KINDS, TEXT_LIMITS
from workflow.problems.registration import create_problem, update_draft

FORM_FIELDS = (*FIELD_LABELS, "photos", "photo_category")
CHOICE_FIELDS = ("source", "grade", "department_id")
MAX_PHOTOS = 20
_KEPT = "kept_photos"  # [[sha256, file name], …] received with a refused form
# the full 台账, the 属地 unit and the enterprise (empty: not given)
REGISTER_FIELDS = ("clue_type", "hazard_category", "rectification_type", "shutdown",
                   "completed_on", "acceptance_on", "actual_funds", "territorial_unit_id",
                   "enterprise_id")


def problem_raw(form, *, partial: bool) -> dict:
    """The form as the dict ``clean_problem_fields`` checks (the API sends the same keys)."""
    raw: dict = {f: form.get(f, "") for f in TEXT_LIMITS}
    for name in ("source", "grade", "department_id", "deadline", "found_on", "credit_code",
                 "funds"):
        raw[name] = (form.get(name) or "").strip()
    days = (form.get("deadline_working_days") or "").strip()
    raw["deadline_working_days"] = int(days) if days.isdigit() and len(days) < 6 else days
    raw["suspended"] = form.get("suspended") == "1"
    for name in REGISTER_FIELDS:
        raw[name] = (form.get(name) or "").strip()
    if raw["shutdown"]:
        del raw["suspended"]  # 停产停业情况 says it in full
    raw["co_department_ids"] = [v for v in form.getlist("co_department_ids") if v]
    if partial:
        for name in CHOICE_FIELDS + REGISTER_FIELDS:
            if raw.get(name) == "":
                del raw[name]
        # the edit form never shows the reporter (see _draft_values): empty keeps it
        for name in REPORTER_FIELDS:
            if not raw[name].strip():
                del raw[name]
    return raw


def _form_page(*, case=None, values=None, errors=None, status=200):
    if errors is None and request.method == "GET":
        kept_errors, kept_values, _extra = take(request.path)
        if kept_errors is not None:
            errors, values = kept_errors, kept_values.get("case", values)
    if hasattr(values, "getlist"):
        co_selected = set(values.getlist("co_department_ids"))
    else:
        co_selected = {str(d.id) for d in case.co_departments} if case else set()
    departments = db.session.scalars(select(Department).where(Department.active.is_(True))
                                     .order_by(Department.kind, Department.name)).all()
    enterprises = db.session.scalars(select(Enterprise).order_by(Enterprise.name)
                                     .limit(2000)).all()
    sources = {k: v[0] for k, v in SOURCES.items() if k != "task_list"}
    return render_template("pages/case_form.html", case=case, values=values,
                           errors=errors or FormErrors(), departments=departments,
                           sources=sources, grades=GRADES, labels=FIELD_LABELS, co_selected=co_selected,
                           may_register=actor().role == OFFICE_STAFF, enterprises=enterprises,
                           units=[d for d in departments if d.kind in TERRITORIAL_KINDS],
                           clue_types=CLUE_TYPES, hazard_categories=HAZARD_CATEGORIES,
                           rectification_types=RECTIFICATION_TYPES, shutdowns=SHUTDOWN,
                           photo_categories={k: EVIDENCE_CATEGORIES[k]
                                             for k in REGISTRATION_PHOTO_CATEGORIES},
                           kept_photos=session.get(_KEPT) or []), status


def _photos() -> list[tuple[bytes, str]]:
    """The photos posted with the form, and those kept from a refused try."""
    limit = current_app.config["MAX_UPLOAD_BYTES"]
    try:
        uploads = [f for f in request.files.getlist("photos") if f and f.filename]
    except RequestEntityTooLarge:
        raise InvalidInput(f"照片超过上限（每张不超过 {limit / 1048576:.0f} MB），请分批上传",
                           field="photos") from None
    kept = session.get(_KEPT) or []
    if len(uploads) + len(kept) > MAX_PHOTOS:
        raise InvalidInput(f"一次最多上传 {MAX_PHOTOS} 张照片", field="photos")
    files = []
    for sha, name in kept:
        path = storage().path_for(sha)
        if path.exists():
            files.append((path.read_bytes(), name))
    return files + [(u.read(limit + 1), u.filename) for u in uploads]


def _photo_category() -> str:
    category = request.form.get("photo_category") or "site"
    if category not in REGISTRATION_PHOTO_CATEGORIES:
        raise InvalidInput("照片类别须为整改前照片或现场照片", field="photo_category")
    return category


def _attach_photos(case, files) -> int:
    category = _photo_category()
    for data, name in files:
        try:
            service.upload_evidence(db.session, case.id, actor(), data=data, filename=name,
                                    category=category, settings=settings(), storage=storage())
        except InvalidInput as exc:
            if exc.field == "file":
                raise InvalidInput(exc.message, field="photos") from None
            raise
    return len(files)


def _keep_photos() -> None:
    """A refused form: store the photos it brought (checked) so the next try has them."""
    kept = list(session.get(_KEPT) or [])
    try:
        uploads = [f for f in request.files.getlist("photos") if f and f.filename]
    except RequestEntityTooLarge:
        return
    limit = current_app.config["MAX_UPLOAD_BYTES"]
    for upload in uploads[:MAX_PHOTOS - len(kept)]:
        upload.stream.seek(0)  # read once already by the refused try
        try:
            name, _mime, sha = service.store_upload(upload.read(limit + 1), upload.filename,
                                                    settings(), storage())
        except InvalidInput:
            continue  # a file that is refused is named in the message, not kept
        kept.append([sha, name[:80]])
    session[_KEPT] = kept


def _refused(exc: DomainError, *, case=None):
    db.session.rollback()
    errors = errors_from(exc, "case", FORM_FIELDS)
    if navigating():
        _keep_photos()
        target = url_for("pages.case_edit", case_id=case.id) if case else url_for("pages.case_new")
        return refuse_to(target, target, errors)
    if case is not None:
        case = service.get_case(db.session, case.id, actor())
    return _form_page(case=case, values=request.form, errors=errors, status=exc.status)


def _then_register(case):
    if request.form.get("then") == "register":
        service.transition(db.session, case.id, "register", actor(), version=case.version,
                           comment=(request.form.get("assign_comment") or "").strip() or None,
                           settings=settings())


def _done(case, verb: str, photos: int = 0):
    session.pop(_KEPT, None)
    with_photos = f"，照片 {photos} 张" if photos else ""
    proposal = getattr(case, "enterprise_proposal", None)
    if proposal:  # registering by credit code: the enterprise is not in the register yet
        flash(f"统一社会信用代码 {proposal['credit_code']} 尚未登记为生产经营单位"
              f"{'（' + proposal['name'] + '）' if proposal.get('name') else ''}，"
              "可在“生产经营单位”页登记后关联")
    elif case.enterprise_id:
        flash("已按统一社会信用代码关联生产经营单位")
    if case.status == "assigned":
        flash(f"已挂号交办：{case.display_number}，责任单位：{case.department.name}{with_photos}")
    else:
        flash(f"{verb}：{case.display_number}（待挂号）{with_photos}")
    return redirect(url_for("pages.case_view", case_id=case.id))


@bp.route("/cases/new", methods=["GET", "POST"])
def case_new():
    user = actor()
    if refusal := policy.registration_refusal(user):
        raise refusal
    if request.method == "GET":
        return _form_page(values={})
    try:
        files = _photos()
        case = create_problem(db.session, user, problem_raw(request.form, partial=False))
        photos = _attach_photos(case, files)
        _then_register(case)
        db.session.commit()
    except DomainError as exc:
        return _refused(exc)
    return _done(case, "已登记", photos)


def _draft_values(case) -> dict:
    values = {f: getattr(case, f) or "" for f in TEXT_LIMITS}
    values.update({"source": case.source or "", "grade": case.grade or "",
                   "department_id": str(case.department_id or ""),
                   "deadline": case.deadline.isoformat() if case.deadline else "",
                   "found_on": case.found_on.isoformat() if case.found_on else "",
                   "credit_code": case.credit_code or "",
                   "funds": str(case.funds) if case.funds is not None else "",
                   "suspended": "1" if case.suspended else ""})
    values.update({name: getattr(case, name) for name in REGISTER_FIELDS})
    values.update({k: ("" if v is None else v.isoformat() if hasattr(v, "isoformat") else str(v))
                   for k, v in values.items() if k in REGISTER_FIELDS})
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
        files = _photos()
        case = update_draft(db.session, case_id, user, problem_raw(request.form, partial=True))
        photos = _attach_photos(case, files)
        _then_register(case)
        db.session.commit()
    except DomainError as exc:
        if exc.status == 404:
            raise
        return _refused(exc, case=case)
    return _done(case, "已保存", photos)

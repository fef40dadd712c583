"""Pages of 督办措施: the list (with the 考核 加减分), a measure with its steps and papers, the
forms to issue one, and the director's one-step 约谈 from the 约谈建议名单."""
from __future__ import annotations

import re
from urllib.parse import quote

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from sqlalchemy import select

from blueprints.extensions import db, settings, storage
from blueprints.web import FormErrors, actor, errors_from, require_login, today
from workflow.core import policy
from workflow.core.cases import Case
from workflow.core.workdays import calendar_for
from workflow.measures import acts, candidates, ledger, papers, scoring
from workflow.measures.models import KINDS, STATUSES, TONES
from workflow.measures.settings import MeasureSettings
from workflow.org.models import Department
from workflow.platform.errors import DomainError, InvalidInput

bp = Blueprint("measures", __name__, url_prefix="/measures")
require_login(bp)
ID = "int(max=2147483647)"
FIELDS = ("kind", "department_ids", "case_numbers", "title", "content", "reply_days", "tone",
          "interviewee_name", "interviewee_post", "interviewer", "scheduled_at", "place")
STEP_FIELDS = ("content", "attendees", "commitments", "files")


def _settings() -> MeasureSettings:
    return MeasureSettings.from_config(current_app.config)


def _cases_from_numbers(text: str) -> list[int]:
    """事项编号 typed by the office (WJ-2026-XC-0007, separated by commas, 、 or spaces)."""
    ids = []
    for token in [t for t in re.split(r"[\s,，、;；]+", text or "") if t]:
        case_id = db.session.scalar(select(Case.id).where(Case.number == token))
        if case_id is None:
            raise InvalidInput(f"没有编号为 {token[:40]} 的事项", field="case_numbers")
        ids.append(case_id)
    return ids


def _issuable(user) -> list[str]:
    return [k for k in KINDS if policy.measure_issue_refusal(k, user) is None]


def _list_page(errors: FormErrors | None = None, form=None, status: int = 200):
    user = actor()
    if not (user.reads_all_cases or user.is_department_user):
        abort(403)
    kind = request.args.get("kind") if request.args.get("kind") in KINDS else None
    status_filter = request.args.get("status") or None
    rows = acts.list_measures(db.session, user, kind=kind, status=status_filter)
    points = None
    if user.role in policy.FIGURE_READERS:
        cfg = _settings()
        points = scoring.unit_points(db.session, today().year, today(), cfg.points)
    departments = db.session.scalars(select(Department).where(Department.active.is_(True))
                                     .order_by(Department.name)).all()
    return render_template("measures/list.html", rows=rows, kinds=KINDS, statuses=STATUSES,
                           kind=kind, status=status_filter, points=points,
                           point_labels=scoring.POINT_LABELS, issuable=_issuable(user),
                           departments=departments, tones=TONES, errors=errors or FormErrors(),
                           form=form or {}, today=today(),
                           selected_depts=form.getlist("department_ids") if form else [],
                           reply_days=current_app.config["LETTER_REPLY_WORKING_DAYS"]), status


@bp.get("")
def index():
    return _list_page()


@bp.post("")
def create():
    form = request.form
    user = actor()
    try:
        data = {k: form.get(k) for k in ("kind", "title", "content", "tone", "interviewee_name",
                                         "interviewee_post", "interviewer", "place")
                if (form.get(k) or "").strip()}
        data["department_ids"] = [int(v) for v in form.getlist("department_ids") if v.isdigit()]
        data["case_ids"] = _cases_from_numbers(form.get("case_numbers", ""))
        if data.get("kind") == "letter" and (form.get("reply_days") or "").strip():
            if not form["reply_days"].strip().isdigit():
                raise InvalidInput("反馈时限须为工作日数", field="reply_days")
            data["reply_days"] = int(form["reply_days"])
        if data.get("kind") == "interview":
            data["scheduled_at"] = (form.get("scheduled_at") or "").strip()
        for key in [k for k in ("tone",) if data.get("kind") != "bulletin" and k in data]:
            data.pop(key)
        if data.get("kind") != "interview":
            for key in acts.KIND_FIELDS["interview"]:
                data.pop(key, None)
        measure = acts.create(db.session, user, data, settings=_settings(),
                              calendar=calendar_for(db.session))
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        if exc.status == 403:
            abort(403)
        return _list_page(errors_from(exc, "new", FIELDS), form, exc.status)
    flash(f"已发出{measure.kind_label}（{measure.doc_number}）")
    return redirect(url_for("measures.measure_view", measure_id=measure.id))


def _measure_page(measure_id: int, errors: FormErrors | None = None, form=None, status=200):
    user = actor()
    try:
        measure = acts.get_measure(db.session, measure_id, user)
    except DomainError:
        abort(404)
    steps = policy.measure_steps_for(measure.kind, measure.status,
                                     [d.id for d in measure.departments], user)
    return render_template("measures/show.html", m=measure, steps=steps,
                           step_names=policy.MEASURE_STEP_NAMES,
                           papers=[(p, papers.paper_title(measure, p)) for p in papers.papers_of(measure)],
                           when=acts.scheduled_at(measure), errors=errors or FormErrors(),
                           form=form or {}, today=today()), status


@bp.get("/ledger.xlsx")
def measure_ledger():
    """This month's 督办措施台账 (the monthly report to the 督导组)."""
    if actor().role not in policy.FIGURE_READERS:
        abort(403)
    end = today()
    start = end.replace(day=1)
    data = ledger.ledger_xlsx(ledger.measures_between(db.session, start, end), start, end, end)
    resp = Response(data, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    name = f"督办措施台账-{start.isoformat()}-{end.isoformat()}.xlsx"
    resp.headers["Content-Disposition"] = (f"attachment; filename=\"measures.xlsx\"; "
                                           f"filename*=UTF-8''{quote(name)}")
    return resp


@bp.get(f"/<{ID}:measure_id>")
def measure_view(measure_id: int):
    return _measure_page(measure_id)


@bp.post(f"/<{ID}:measure_id>/steps")
def measure_step(measure_id: int):
    form = request.form
    step = form.get("step")
    limit = current_app.config["MAX_UPLOAD_BYTES"]
    files = [(f.read(limit + 1), f.filename) for f in request.files.getlist("files")
             if f and f.filename]
    data = {k: form.get(k) for k in acts.STEP_FIELDS.get(step, ()) if form.get(k) is not None}
    try:
        acts.add_step(db.session, measure_id, actor(), step, data, files=files,
                      settings=_settings(), upload_settings=settings(), storage=storage(),
                      calendar=calendar_for(db.session))
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        if exc.status == 404:
            abort(404)
        return _measure_page(measure_id, errors_from(exc, f"step-{step}", STEP_FIELDS), form,
                             exc.status)
    flash(f"已记录{policy.MEASURE_STEP_NAMES.get(step, '')}")
    return redirect(url_for("measures.measure_view", measure_id=measure_id))


@bp.get(f"/<{ID}:measure_id>/document.pdf")
def measure_document(measure_id: int):
    try:
        measure = acts.get_measure(db.session, measure_id, actor())
        pdf, name = papers.render_paper(db.session, measure, request.args.get("paper") or None,
                                        issuer=current_app.config["RECORDS_ISSUER"])
    except DomainError as exc:
        abort(exc.status)
    resp = Response(pdf, mimetype="application/pdf")
    resp.headers["Content-Disposition"] = (f"inline; filename=\"measure-{measure.id}.pdf\"; "
                                           f"filename*=UTF-8''{quote(name)}.pdf")
    resp.headers["Cache-Control"] = "private, no-store"
    return resp


@bp.get(f"/<{ID}:measure_id>/attachments/<{ID}:attachment_id>")
def measure_attachment(measure_id: int, attachment_id: int):
    """A file attached to a step (reply, 落实报告, 处理结果), for the measure's readers."""
    try:
        measure = acts.get_measure(db.session, measure_id, actor())
    except DomainError:
        abort(404)
    att = next((a for s in measure.steps for a in s.attachments if a.id == attachment_id), None)
    path = storage().path_for(att.sha256) if att else None
    if path is None or not path.exists():
        abort(404)
    # images and PDFs open in the browser, anything else downloads (type sniffed at upload)
    inline = att.content_type.startswith("image/") or att.content_type == "application/pdf"
    resp = send_file(path, mimetype=att.content_type, as_attachment=not inline,
                     download_name=att.filename, conditional=True, etag=att.sha256, max_age=0)
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Cache-Control"] = "private, max-age=0, must-revalidate"
    if not inline:
        resp.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return resp


@bp.get(f"/<{ID}:measure_id>/dossier.zip")
def measure_dossier(measure_id: int):
    try:
        measure = acts.get_measure(db.session, measure_id, actor())
        data = papers.referral_dossier(db.session, measure, storage=storage(),
                                       issuer=current_app.config["RECORDS_ISSUER"])
    except DomainError as exc:
        abort(exc.status)
    resp = Response(data, mimetype="application/zip")
    resp.headers["Content-Disposition"] = (
        f"attachment; filename=\"referral-{measure.id}.zip\"; "
        f"filename*=UTF-8''{quote('问责移交材料-' + measure.doc_number)}.zip")
    return resp


@bp.post(f"/interview-from/<{ID}:department_id>")
def interview_from_line(department_id: int):
    """The director turns a line of the 约谈建议名单 into a 约谈 in one step."""
    form = request.form
    data = {k: (form.get(k) or "").strip() for k in acts.KIND_FIELDS["interview"]}
    try:
        measure = candidates.interview_from_line(db.session, actor(), department_id, data,
                                                 settings=_settings(),
                                                 calendar=calendar_for(db.session))
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message)
        return redirect(url_for("pages.home") + "#interview-candidates")
    flash(f"已发出约谈通知（{measure.doc_number}）")
    return redirect(url_for("measures.measure_view", measure_id=measure.id))

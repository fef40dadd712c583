"""生产经营单位 pages (register, import, the enterprise page), 交办下级 and the 属地/行业
duties forms of the case page, and the 属地 roll-up of the figures."""
from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from blueprints.extensions import db
from blueprints.web import ID, FormErrors, actor, bp, errors_from, today
from blueprints.web.case_page import refused
from workflow.assessment import figures, periods
from workflow.core import policy, service
from workflow.enterprises import register
from workflow.org.models import Department
from workflow.platform.errors import DomainError, InvalidInput
from workflow.platform.parsing import parse_date, parse_id
from workflow.platform.vocab import HAZARD_CATEGORIES, UNIT_KINDS
from workflow.problems.enterprise_import import import_enterprises

FORM_FIELDS = tuple(register.FIELD_LABELS)


def _list_page(values=None, errors=None, status=200, report=None):
    user = actor()
    args = request.args
    town = args.get("town_id") or ""
    rows = register.search(db.session, user, q=(args.get("q") or "").strip()[:100] or None,
                           town_id=int(town) if town.isdigit() and len(town) < 10 else None,
                           industry=(args.get("industry") or "").strip()[:60] or None,
                           limit=500)
    units = db.session.scalars(select(Department).where(Department.active.is_(True))
                               .order_by(Department.kind, Department.name)).all()
    return render_template("pages/enterprises.html", rows=rows, units=units, args=args,
                           values=values or {}, errors=errors or FormErrors(),
                           labels=register.FIELD_LABELS, UNIT_KINDS=UNIT_KINDS,
                           may_create=policy.enterprise_refusal(user) is None,
                           may_import=policy.enterprise_import_refusal(user) is None,
                           report=report), status


@bp.get("/enterprises")
def enterprise_list():
    return _list_page()


def _form_raw(form) -> dict:
    raw = {k: form.get(k, "") for k in register.TEXT_LIMITS}
    raw["credit_code"] = form.get("credit_code", "")
    if form.get("unit_id"):
        raw["unit_id"] = form["unit_id"]
    raw["above_scale"] = form.get("above_scale") == "1"
    raw["key_supervision"] = form.get("key_supervision") == "1"
    return raw


@bp.post("/enterprises")
def enterprise_create():
    try:
        ent = register.create_enterprise(db.session, actor(), _form_raw(request.form))
        db.session.commit()
    except DomainError as exc:
        if exc.status == 403:
            raise
        db.session.rollback()
        errors = errors_from(exc, "enterprise", FORM_FIELDS)
        if exc.extra.get("field") == "credit_code":  # 422 credit_code_invalid / 409 taken
            errors = FormErrors("enterprise", {"credit_code": exc.message})
        return _list_page(values=request.form, errors=errors, status=exc.status)
    flash(f"已登记生产经营单位：{ent.name}")
    return redirect(url_for("pages.enterprise_view", enterprise_id=ent.id))


@bp.post("/enterprises/import")
def enterprise_import():
    upload = request.files.get("file")
    try:
        if upload is None or not upload.filename:
            raise InvalidInput("请选择 Excel 文件（.xlsx）", field="file")
        data = upload.read(current_app.config["MAX_UPLOAD_BYTES"] + 1)
        if len(data) > current_app.config["MAX_UPLOAD_BYTES"]:
            raise InvalidInput("文件过大", field="file")
        report = import_enterprises(db.session, actor(), data, upload.filename)
        db.session.commit()
    except DomainError as exc:
        if exc.status == 403:
            raise
        db.session.rollback()
        top = [e["text"] for e in exc.extra.get("errors", [])] or [exc.message]
        return _list_page(errors=FormErrors("import", top=[exc.message, *top[:50]]
                                            if exc.extra.get("errors") else top),
                          status=exc.status)
    flash(f"已导入 {report['created']} 家生产经营单位")
    return redirect(url_for("pages.enterprise_list"))


@bp.get(f"/enterprises/<{ID}:enterprise_id>")
def enterprise_view(enterprise_id: int):
    doc = register.enterprise_document(db.session, enterprise_id, actor())
    return render_template("pages/enterprise.html", doc=doc, HAZARD_CATEGORIES=HAZARD_CATEGORIES)


@bp.post(f"/cases/<{ID}:case_id>/delegate")
def case_delegate(case_id: int):
    form = request.form
    try:
        deadline = parse_date(form["deadline"], "deadline") if form.get("deadline") else None
        comment = (form.get("comment") or "")[:2000]
        child = service.delegate(db.session, case_id, actor(),
                                 unit_id=parse_id(form.get("unit_id") or "", "unit_id"),
                                 deadline=deadline, comment=comment)
        db.session.commit()
    except DomainError as exc:
        if exc.status == 404:
            raise
        return refused(case_id, exc, "delegate", ("unit_id", "deadline", "comment"))
    flash(f"已交办下级：{child.display_number}（{child.department.name}）")
    return redirect(url_for("pages.case_view", case_id=case_id) + "#register")


@bp.post(f"/cases/<{ID}:case_id>/duties")
def case_duties(case_id: int):
    form = request.form
    try:
        unit = form.get("territorial_unit_id")
        service.set_duties(db.session, case_id, actor(),
                           territorial=form.getlist("territorial_duties"),
                           industry=form.getlist("industry_duties"),
                           territorial_unit_id=parse_id(unit, "territorial_unit_id")
                           if unit else None)
        db.session.commit()
    except DomainError as exc:
        if exc.status == 404:
            raise
        return refused(case_id, exc, "duties", ())
    flash("属地/行业职责已保存")
    return redirect(url_for("pages.case_view", case_id=case_id) + "#register")


@bp.get("/kpis/units")
def unit_rollup():
    args = request.args
    try:
        w = periods.window_from({"period": args.get("period") or str(today().year)},
                                accept_working_days=current_app.config["ACCEPT_WORKING_DAYS"])
        unit = args.get("unit_id") or ""
        if unit and not (unit.isdigit() and len(unit) < 10):
            raise InvalidInput("unit_id 须为单位编号", field="unit_id")
        root = int(unit) if unit else (actor().department_id
                                       if policy.unit_figures_refusal(actor(), None) else None)
        rows = figures.rollup(db.session, actor(), w, root_id=root)
    except InvalidInput as exc:
        return render_template("pages/unit_rollup.html", rows=[], error=exc.message,
                               period=args.get("period"), UNIT_KINDS=UNIT_KINDS), 400
    return render_template("pages/unit_rollup.html", rows=rows, error=None,
                           period=args.get("period") or str(today().year),
                           UNIT_KINDS=UNIT_KINDS)

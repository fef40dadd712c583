"""交办批次 pages: the list of batches (来文), recording one, importing its list, its items."""
from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for

from blueprints.extensions import db, settings
from blueprints.web import ID, FormErrors, actor, bp, errors_from, today
from workflow.platform.errors import DomainError
from workflow.platform.vocab import GRADES, ISSUER_LEVELS, SOURCES
from workflow.problems import batches
from workflow.problems.excel_import import ImportRejected

FORM_FIELDS = ("title", "issuer_level", "issuer", "doc_number", "assigned_on", "deadline",
               "reporting_rule", "report_day", "source", "backfill")


def _sources() -> dict:
    return {k: v[0] for k, v in SOURCES.items() if k != "task_list"}


def _list_page(errors: FormErrors | None = None, form=None, status: int = 200):
    rows = batches.list_batches(db.session, actor())
    counts = batches.batch_counts(db.session, [b.id for b in rows])
    can_create = batches.importer_refusal(actor(), "登记交办批次") is None
    return render_template("pages/batches.html", batches=rows, counts=counts,
                           can_create=can_create, levels=ISSUER_LEVELS, sources=_sources(),
                           today=today(),
                           errors=errors or FormErrors(), form=form or {}), status


@bp.get("/batches")
def batch_list():
    return _list_page()


@bp.post("/batches")
def batch_create():
    form = request.form
    raw = {k: form.get(k) for k in FORM_FIELDS if form.get(k) not in (None, "")}
    raw["backfill"] = form.get("backfill") == "on"
    if "report_day" in raw:
        raw["report_day"] = int(raw["report_day"]) if raw["report_day"].isdigit() else raw["report_day"]
    try:
        batch = batches.create_batch(db.session, actor(), raw,
                                     immediate_days=current_app.config["IMMEDIATE_WORKING_DAYS"])
    except DomainError as exc:
        db.session.rollback()
        return _list_page(errors_from(exc, "batch", FORM_FIELDS), form, exc.status)
    db.session.commit()
    flash(f"已登记交办批次“{batch.title}”，请导入其问题清单")
    return redirect(url_for("pages.batch_view", batch_id=batch.id))


def _view(batch_id: int, *, report=None, rejected=None, status: int = 200):
    batch = batches.get_batch(db.session, batch_id, actor())
    items = batches.items_of(db.session, batch)
    counts = batches.batch_counts(db.session, [batch.id])[batch.id]
    rows = batches.reconciliation_rows(db.session, batch)
    can_import = batches.importer_refusal(actor(), "导入交办批次清单") is None
    return render_template("pages/batch.html", batch=batch, items=items, rows=rows,
                           counts=counts, can_import=can_import, grades=GRADES, report=report,
                           rejected=rejected), status


@bp.get(f"/batches/<{ID}:batch_id>")
def batch_view(batch_id: int):
    return _view(batch_id)


@bp.post(f"/batches/<{ID}:batch_id>/import")
def batch_import(batch_id: int):
    upload = request.files.get("file")
    dry_run = request.form.get("action") != "import"
    try:
        if upload is None or not upload.filename:
            raise DomainError("请选择要导入的 Excel 文件")
        report = batches.import_batch(
            db.session, actor(), batch_id,
            upload.read(current_app.config["MAX_UPLOAD_BYTES"] + 1), upload.filename,
            dry_run=dry_run, register=request.form.get("register") == "on",
            grade=request.form.get("grade") or None,
            immediate_days=current_app.config["IMMEDIATE_WORKING_DAYS"], settings=settings(),
            max_rows=current_app.config["IMPORT_MAX_ROWS"])
    except ImportRejected as exc:
        db.session.rollback()
        return _view(batch_id, rejected=exc.to_dict(), status=422)
    except DomainError as exc:
        db.session.rollback()
        if exc.status in (403, 404):
            raise
        return _view(batch_id, rejected=exc.to_dict(), status=exc.status)
    if dry_run:
        db.session.rollback()
        return _view(batch_id, report=report)
    db.session.commit()
    flash(f"已导入 {len(report.created)} 项")
    return redirect(url_for("pages.batch_view", batch_id=batch_id))

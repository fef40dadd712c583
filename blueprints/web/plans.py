"""Task-list pages: plans, upload with a preview before confirming, the plan's hierarchy.

The preview runs the import as a dry run and keeps the uploaded bytes under
``STORAGE_DIR/tasklist-uploads/<sha256>``; the confirm form posts only that SHA-256,
so what is imported is exactly the file that was previewed.
"""
from __future__ import annotations

import re
from pathlib import Path

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from blueprints.extensions import db, settings
from blueprints.web import require_login
from workflow.org.roles import DEPARTMENT_ROLES, OFFICE_ROLES, OFFICE_STAFF
from workflow.platform.errors import DomainError, InvalidInput
from workflow.tasklist.importer import import_tasklist
from workflow.tasklist.models import (
    ITEM_STATUS_LABELS,
    Plan,
    hierarchy,
    item_status,
    load_items,
    matching_items,
    occurrence_counts,
    progress_text,
    unit_role,
)

bp = Blueprint("plans", __name__, url_prefix="/plans")
require_login(bp)
_SHA256 = re.compile(r"[0-9a-f]{64}")


def _uploads() -> Path:
    folder = Path(current_app.config["STORAGE_DIR"]) / "tasklist-uploads"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _keep_upload(data: bytes, sha256: str) -> None:
    target = _uploads() / sha256
    if not target.exists():
        tmp = target.with_suffix(".part")
        tmp.write_bytes(data)
        tmp.replace(target)


def _stored_upload(sha256: str) -> bytes:
    if not _SHA256.fullmatch(sha256 or ""):
        raise InvalidInput("预览文件标识无效，请重新上传", field="sha256")
    path = _uploads() / sha256
    if not path.exists():
        raise InvalidInput("预览的文件已失效，请重新上传", field="sha256")
    return path.read_bytes()


def _form() -> dict:
    return {k: (request.form.get(k) or "").strip() for k in ("year", "title", "doc_number")}


def _plans():
    return db.session.scalars(select(Plan).order_by(Plan.year.desc())).all()


@bp.get("/")
def index():
    return render_template("plans/index.html", plans=_plans(), form={}, error=None,
                           can_import=current_user.role in OFFICE_ROLES)


@bp.post("/preview")
def preview():
    form = _form()
    upload = request.files.get("file")
    try:
        if upload is None or not upload.filename:
            raise InvalidInput("请选择要上传的清单文件（.docx、.xlsx 或文本）", field="file")
        limit = current_app.config["MAX_UPLOAD_BYTES"]
        data = upload.read(limit + 1)
        if len(data) > limit:
            raise InvalidInput(f"文件超过 {limit // (1024 * 1024)} MiB 上限", field="file")
        result = import_tasklist(db.session, data, upload.filename, form["year"], current_user,
                                 dry_run=True, title=form["title"] or None,
                                 doc_number=form["doc_number"] or None, settings=settings())
    except DomainError as exc:
        db.session.rollback()
        return render_template("plans/index.html", plans=_plans(), form=form, error=exc.message,
                               can_import=current_user.role in OFFICE_ROLES), exc.status
    db.session.rollback()
    _keep_upload(data, result.sha256)
    return render_template("plans/preview.html", result=result, form=form,
                           can_confirm=current_user.role == OFFICE_STAFF)


@bp.post("/confirm")
def confirm():
    form = _form()
    sha256 = request.form.get("sha256", "")
    data = _stored_upload(sha256)
    result = import_tasklist(db.session, data, request.form.get("filename") or "清单", form["year"],
                             current_user, apply_changes=request.form.get("apply_changes") == "1",
                             title=form["title"] or None, doc_number=form["doc_number"] or None,
                             settings=settings())
    db.session.commit()
    (_uploads() / sha256).unlink(missing_ok=True)
    flash("；".join(result.lines()[1:3]) + f"；挂号交办任务 {len(result.cases)} 件")
    return redirect(url_for("plans.show", plan_id=result.plan_id))


@bp.get("/<int:plan_id>")
def show(plan_id: int):
    plan = db.session.get(Plan, plan_id)
    if plan is None:
        abort(404)
    items = load_items(db.session, plan)
    counts = occurrence_counts(db.session, [link.case_id for i in items for link in i.case_links])
    by_id = {i.id: i for i in items}
    dept_id = current_user.department_id if current_user.role in DEPARTMENT_ROLES else None
    mine = request.args.get("mine", "both" if dept_id else "")
    if mine not in ("", "lead", "co", "both") or (mine and dept_id is None):
        mine = ""
    query = (request.args.get("q") or "").strip()[:100]
    shown = matching_items(items, department_id=dept_id, mine=mine, query=query)
    return render_template("plans/show.html", plan=plan, projects=hierarchy(items), items=by_id,
                           counts=counts, item_status=item_status, labels=ITEM_STATUS_LABELS,
                           progress_text=progress_text, shown=shown, mine=mine, q=query,
                           dept_id=dept_id, unit_role=unit_role,
                           filtered=bool(mine or query))

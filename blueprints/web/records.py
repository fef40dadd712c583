"""Pages for auditors: verify a printed record, export closure reports in batch."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from blueprints.extensions import db
from blueprints.jobs import reap_abandoned, start_export
from blueprints.web import require_login
from workflow.core.policy import EXPORTERS
from workflow.org.models import Department
from workflow.platform.errors import DomainError
from workflow.records.exports import SCOPES, ExportJob, create_export
from workflow.records.verify import MAX_VERIFY_BYTES, verify_summary

bp = Blueprint("records", __name__, url_prefix="/records")
require_login(bp)


def _page(result=None, status=200):
    if current_user.role not in EXPORTERS:
        abort(403)
    jobs = db.session.scalars(select(ExportJob).where(ExportJob.requested_by_id == current_user.id)
                              .order_by(ExportJob.id.desc()).limit(20)).all()
    departments = db.session.scalars(select(Department).order_by(Department.name)).all()
    reap_abandoned(current_app._get_current_object(), jobs)  # a runner that died: failed
    busy = any(j.status in ("queued", "running") for j in jobs)
    return render_template("auditor/records.html", jobs=jobs, departments=departments,
                           scopes=SCOPES, result=result, refresh=busy), status


@bp.get("")
def index():
    return _page()


@bp.post("/verify")
def verify():
    if current_user.role not in EXPORTERS:
        abort(403)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash("请选择要核验的 PDF 文件")
        return redirect(url_for("records.index"))
    data = upload.read(MAX_VERIFY_BYTES + 1)
    try:
        body, code = verify_summary(db.session, data[:MAX_VERIFY_BYTES], current_user,
                                    max_stamps=current_app.config["VERIFY_MAX_STAMPS"],
                                    max_pages=current_app.config["VERIFY_MAX_PAGES"])
    except DomainError as exc:  # encrypted, or beyond a limit: said on the page
        flash(exc.message)
        return redirect(url_for("records.index"))
    body["filename"] = upload.filename
    return _page(body, 200)


@bp.post("/exports")
def export():
    if current_user.role not in EXPORTERS:
        abort(403)
    data = {k: request.form.get(k) for k in ("department_id", "from", "to", "scope")}
    try:
        job = create_export(db.session, current_user, data)
        db.session.commit()
        start_export(job)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message)
        return redirect(url_for("records.index"))
    flash(f"导出任务 {job.id} 已排队")
    return redirect(url_for("records.index"))

"""The problem-list (问题清单) Excel import page.

Its routes join the ``kpis`` blueprint, so their endpoint names and URLs stay
``kpis.import_page`` at ``/imports/problems``; the app factory imports this
module before it registers the blueprint.
"""
from __future__ import annotations

from flask import current_app, flash, render_template, request
from flask_login import current_user

from blueprints.extensions import db, settings
from blueprints.web.kpis import bp
from workflow.core import policy
from workflow.platform.errors import DomainError
from workflow.platform.vocab import GRADES, SOURCES
from workflow.problems.excel_import import DeadlineRules, ImportRejected, import_problems


@bp.route("/imports/problems", methods=["GET", "POST"])
def import_page():
    report = rejected = None
    status = 200
    if refusal := policy.importer_refusal(current_user, "导入问题清单"):
        raise refusal
    if request.method == "POST":
        upload = request.files.get("file")
        dry_run = request.form.get("action") != "import"
        defaults = {k: request.form[k] for k in ("source", "grade") if request.form.get(k)}
        try:
            if upload is None or not upload.filename:
                raise DomainError("请选择要导入的 Excel 文件")
            report = import_problems(db.session, current_user, upload.read(
                current_app.config["MAX_UPLOAD_BYTES"] + 1), upload.filename, dry_run=dry_run,
                register=request.form.get("register") == "on", defaults=defaults,
                settings=settings(), max_rows=current_app.config["IMPORT_MAX_ROWS"],
                deadline_rules=DeadlineRules(
                    immediate_days=current_app.config["IMMEDIATE_WORKING_DAYS"],
                    backfill=request.form.get("backfill") == "on"))
        except ImportRejected as exc:
            db.session.rollback()
            rejected, status = exc.to_dict(), 422
        except DomainError as exc:
            db.session.rollback()
            rejected, status = exc.to_dict(), exc.status
        else:
            if dry_run:
                db.session.rollback()
            else:
                db.session.commit()
                flash(f"已导入 {len(report.created)} 件问题")
    return render_template("kpis/import.html", report=report, rejected=rejected,
                           sources={k: v[0] for k, v in SOURCES.items() if k != "task_list"},
                           grades=GRADES), status

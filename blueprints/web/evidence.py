"""Evidence on a page: several files per upload, and files served only to who may read the case."""
from __future__ import annotations

from pathlib import Path

from flask import abort, current_app, flash, jsonify, redirect, request, send_file, url_for
from sqlalchemy import select
from werkzeug.exceptions import RequestEntityTooLarge

from blueprints.extensions import db, settings, storage
from blueprints.web import ID, actor, bp
from blueprints.web.case_page import refused
from workflow.core import service
from workflow.core.evidence import Evidence
from workflow.core.images import rendition
from workflow.platform.errors import DomainError, InvalidInput

MAX_FILES = 20


def _wants_json() -> bool:
    return request.headers.get("X-Requested-With") == "XMLHttpRequest"


def _refused(case_id: int, exc: DomainError):
    if _wants_json():
        db.session.rollback()
        return jsonify({**exc.to_dict(), "field": getattr(exc, "field", None)}), exc.status
    return refused(case_id, exc, "evidence", ("files", "category", "note"))


@bp.post(f"/cases/<{ID}:case_id>/evidence")
def evidence_upload(case_id: int):
    limit = current_app.config["MAX_UPLOAD_BYTES"]
    try:
        try:
            uploads = [f for f in request.files.getlist("files") if f and f.filename]
        except RequestEntityTooLarge:
            raise InvalidInput(f"上传内容超过上限（每个文件不超过 {limit / 1048576:.0f} MB），"
                               "请分批上传", field="files") from None
        if not uploads:
            raise InvalidInput("请选择要上传的文件", field="files")
        if len(uploads) > MAX_FILES:
            raise InvalidInput(f"一次最多上传 {MAX_FILES} 个文件", field="files")
        note = (request.form.get("note") or "").strip() or None
        if note and len(note) > 1000:
            raise InvalidInput("说明过长（最多 1000 字）", field="note")
        names = []
        for upload in uploads:
            try:
                ev = service.upload_evidence(
                    db.session, case_id, actor(), data=upload.read(limit + 1),
                    filename=upload.filename, category=request.form.get("category"), note=note,
                    settings=settings(), storage=storage())
            except InvalidInput as exc:
                if exc.field == "file":  # the core names one file; the form has a list
                    raise InvalidInput(exc.message, field="files") from None
                raise
            names.append(ev.filename)
        db.session.commit()
    except DomainError as exc:
        if exc.status == 404:
            raise
        return _refused(case_id, exc)
    message = f"已上传 {len(names)} 个文件：{'、'.join(names)}"
    target = url_for("pages.case_view", case_id=case_id) + "#evidence"
    if _wants_json():
        flash(message)
        return jsonify({"redirect": target, "message": message, "files": names})
    flash(message)
    return redirect(target)


def _evidence(case_id: int, evidence_id: int) -> Evidence:
    case = service.get_case(db.session, case_id, actor())  # 404 unless the user may read it
    ev = db.session.scalar(select(Evidence).where(Evidence.id == evidence_id,
                                                  Evidence.case_id == case.id))
    if ev is None:
        abort(404)
    return ev


@bp.get(f"/cases/<{ID}:case_id>/evidence/<{ID}:evidence_id>")
def evidence_file(case_id: int, evidence_id: int):
    ev = _evidence(case_id, evidence_id)
    path = storage().path_for(ev.sha256)
    if not path.exists():
        abort(404)
    # Images and PDFs open in the browser; anything else downloads. The type is the one
    # sniffed at upload, never the client's, and nosniff stops the browser guessing.
    inline = ev.is_image or ev.content_type == "application/pdf"
    resp = send_file(path, mimetype=ev.content_type, as_attachment=not inline,
                     download_name=ev.filename, conditional=True, etag=ev.sha256, max_age=0)
    resp.headers["X-Content-Type-Options"] = "nosniff"
    resp.headers["Cache-Control"] = "private, max-age=0, must-revalidate"
    if not inline:
        resp.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return resp


def _thumbnail(ev: Evidence) -> Path | None:
    """The thumbnail made at upload, stored beside the file (made once for older files)."""
    store = storage()
    path = store.rendition_path(ev.sha256, "thumb")
    if path.exists():
        return path
    if rendition(store, ev.sha256, "thumb", settings().image_limits) is None:
        return None
    return path


@bp.get(f"/cases/<{ID}:case_id>/evidence/<{ID}:evidence_id>/thumb")
def evidence_thumb(case_id: int, evidence_id: int):
    ev = _evidence(case_id, evidence_id)
    if not ev.is_image:
        abort(404)
    path = _thumbnail(ev)
    if path is None:
        abort(404)
    resp = send_file(path, mimetype="image/jpeg", conditional=True, etag=f"t-{ev.sha256}",
                     max_age=0)
    resp.headers["Cache-Control"] = "private, max-age=0, must-revalidate"
    return resp

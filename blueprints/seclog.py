"""The security event log: one JSON object per line, apart from the application log.

Each line says who (user id, user name, role), from which address, did what (``action``) to
what (``object``) with which ``outcome``, plus any details the caller adds. Logins, logouts,
lockouts, token issue and revocation, password changes and resets, (de)activation, refusals
(403), record,
evidence and ledger downloads and exports are written here; other modules call
``security_event``. ``SECURITY_LOG`` names the file (``-``: standard error).
"""
from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

from flask import current_app, g, has_app_context, has_request_context, request

from workflow.platform.base import iso_utc, utcnow

LOGGER_NAME = "safeloop.security"

# Downloads and exports, by endpoint: the action and how to name the object from the URL
DOWNLOADS = {
    "api.closure_report": ("record_download", "case:{case_id}/report.pdf"),
    "api.rectification_notice": ("record_download", "case:{case_id}/notice.pdf"),
    "api.extension_decision": ("record_download", "extension:{extension_id}/decision.pdf"),
    "api.ledger_pdf": ("export", "ledger.pdf"),
    "api.get_ledger": ("export", "ledger.xlsx"),
    "api.get_review_xlsx": ("export", "review.xlsx"),
    "api.get_review_pdf": ("export", "review.pdf"),
    "api.post_export": ("export_request", "exports"),
    "records.export": ("export_request", "exports"),
    "api.export_file": ("export_download", "export:{job_id}"),
    "pages.evidence_file": ("evidence_download", "case:{case_id}/evidence:{evidence_id}"),
}

# Credential administration on the admin pages, logged whether it succeeded or was refused
CREDENTIAL_ADMIN = {
    "pages.admin_user_password": ("password_reset", "user:{user_id}"),
    "pages.admin_user_active": ("user_active", "user:{user_id}"),
}


class JsonLineFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return json.dumps(record.event, ensure_ascii=False, default=str, separators=(",", ":"))


class AppendFileHandler(logging.Handler):
    """Open, append one line, close: several workers may share the file, and a rotated
    file is simply re-created (no copytruncate needed)."""

    def __init__(self, path: str):
        super().__init__()
        self.path = path

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record) + "\n"
            with open(self.path, "a", encoding="utf-8") as fh:
                fh.write(line)
        except Exception:  # a full disk must not turn a login into a 500
            self.handleError(record)


def make_logger(target: str) -> logging.Logger:
    # One logger per app, outside logging's global registry: several apps in one process
    # (tests) each write to their own file, and nothing propagates to the root logger.
    logger = logging.Logger(LOGGER_NAME, logging.INFO)
    if target == "-":
        handler: logging.Handler = logging.StreamHandler(sys.stderr)
    else:
        Path(target).parent.mkdir(parents=True, exist_ok=True)
        handler = AppendFileHandler(target)
    handler.setFormatter(JsonLineFormatter())
    logger.addHandler(handler)
    return logger


def _who(user) -> dict:
    if user is None and has_request_context():
        # never trigger the session's user loader from here: it may be the caller
        user = g.get("api_user") or g.get("_login_user")
    if user is None or not getattr(user, "is_authenticated", False):
        return {"user_id": None, "username": None, "role": None}
    return {"user_id": user.id, "username": user.username, "role": user.role}


def security_event(action: str, object: str | None = None, outcome: str = "ok", *,
                   user=None, **extra) -> dict | None:
    """Write one security event; ``user`` defaults to the caller of the current request.

    ``extra`` adds fields (a ``username`` given there names an unknown or failed login).
    Returns the event written, or None outside an application.
    """
    if not has_app_context():
        return None
    event = {"ts": iso_utc(utcnow()), "action": action, "object": object, "outcome": outcome,
             **_who(user)}
    if has_request_context():
        event["address"] = request.remote_addr
        event["method"] = request.method
        event["path"] = request.path
    else:
        event["address"] = None
    event.update(extra)
    logger = current_app.extensions.get("safeloop.security_log")
    if logger is not None:
        record = logger.makeRecord(LOGGER_NAME, logging.INFO, __file__, 0, action, (), None)
        record.event = event
        logger.handle(record)
    return event


def note_denial(exc) -> None:
    """Keep a refusal's roles and rules for the ``forbidden`` event of this response."""
    g.security_denial = {"error": exc.code, "needed_roles": exc.extra.get("needed_roles"),
                         "rules": exc.extra.get("rules")}


def register(app) -> None:
    app.extensions["safeloop.security_log"] = make_logger(app.config["SECURITY_LOG"])

    @app.after_request
    def _downloads_and_denials(resp):
        if resp.status_code == 403:  # every refusal, whichever page or handler answered it
            security_event("forbidden", request.path, "denied", **g.pop("security_denial", {}))
            return resp
        spec = CREDENTIAL_ADMIN.get(request.endpoint or "")
        if spec:
            action, pattern = spec
            extra = {"active": request.form.get("active") == "1"} if action == "user_active" else {}
            security_event(action, pattern.format(**(request.view_args or {})),
                           "ok" if resp.status_code < 400 else "refused",
                           status=resp.status_code, **extra)
            return resp
        spec = DOWNLOADS.get(request.endpoint or "")
        if spec and resp.status_code < 400:
            action, pattern = spec
            extra = {"filters": request.args.to_dict()} if request.args else {}
            security_event(action, pattern.format(**(request.view_args or {})),
                           status=resp.status_code, **extra)
        return resp

"""Refused forms the Post/Redirect/Get way, and messages in the words of the form.

A browser that posts a form and is refused is sent back (303) to the page the form
belongs to, never left on the POST URL (F5 would post again). What the user typed and
the messages are kept once, server-side (a small JSON file under ``STORAGE_DIR/formstate``,
named by a random key the session carries: typed text can be far larger than a cookie),
and the page that follows takes them out and shows them with the error summary at its top. Clients that do not navigate (scripts,
``fetch``, the test client) still get the refused page itself with the error's status.
"""
from __future__ import annotations

import json
import secrets
import time
from pathlib import Path

from flask import current_app, redirect, request, session

from blueprints.web import FormErrors, plain

_STATE = "form_state"
_MAX_VALUE = 10000  # longer typed text is cut (the form's own limit is lower anyway)


__all__ = ["plain", "navigating", "refuse_to", "take", "Typed"]


def navigating() -> bool:
    """A browser's own form submission (not a script or test client)."""
    return (request.headers.get("Sec-Fetch-Dest") == "document"
            or request.form.get("_prg") == "1")


def _typed(form) -> dict:
    out: dict = {}
    for key in form:
        if key in ("csrf_token", "_prg"):
            continue
        values = [v[:_MAX_VALUE] for v in form.getlist(key)]
        out[key] = values if len(values) > 1 else values[0]
    return out


class Typed(dict):
    """Kept form values that answer ``getlist`` like the request form did."""

    def getlist(self, key):
        value = self.get(key)
        if value is None:
            return []
        return value if isinstance(value, list) else [value]

    def get(self, key, default=None):  # a multi-value field reads as its first value
        value = super().get(key, default)
        return value[0] if isinstance(value, list) and value else value


_KEEP_SECONDS = 3600


def _folder() -> Path:
    folder = Path(current_app.config["STORAGE_DIR"]) / "formstate"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _sweep(folder: Path) -> None:
    """Forget refusals nobody came back for (an hour old)."""
    cutoff = time.time() - _KEEP_SECONDS
    for path in folder.glob("*.json"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
        except OSError:
            pass


def refuse_to(target: str, page: str, errors: FormErrors, *, extra: dict | None = None):
    """Keep the typed text and messages for ``page`` and redirect there (303)."""
    folder = _folder()
    _sweep(folder)
    key = secrets.token_hex(16)
    state = {"page": page, "form": errors.form, "fields": errors.fields, "top": errors.top,
             "values": _typed(request.form), **(extra or {})}
    (folder / f"{key}.json").write_text(json.dumps(state, ensure_ascii=False), encoding="utf-8")
    session[_STATE] = key
    return redirect(target, code=303)


def take(page: str) -> tuple[FormErrors | None, dict, dict]:
    """The refusal kept for ``page`` (once): (errors, {form: typed values}, extra)."""
    key = session.get(_STATE)
    if not isinstance(key, str) or not key.isalnum():
        return None, {}, {}
    path = _folder() / f"{key}.json"
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        session.pop(_STATE, None)
        return None, {}, {}
    if state.get("page") != page:
        return None, {}, {}
    session.pop(_STATE, None)
    path.unlink(missing_ok=True)
    errors = FormErrors(state["form"], state.get("fields") or {}, state.get("top") or [])
    extra = {k: v for k, v in state.items()
             if k not in ("page", "form", "fields", "top", "values")}
    return errors, {state["form"]: Typed(state.get("values") or {})}, extra

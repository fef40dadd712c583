"""Refuse input no database column can hold, before any handler sees it.

PostgreSQL text cannot contain NUL (U+0000); JSON and form encodings can. One
guard for every route keeps that a clear 400 instead of a failed INSERT.
"""
from __future__ import annotations

from flask import request

from workflow.platform.errors import InvalidInput


def _first_nul(value, path: str) -> str | None:
    if isinstance(value, str):
        return path if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            if "\x00" in str(key):
                return path or "body"
            found = _first_nul(item, str(key) if not path else f"{path}.{key}")
            if found:
                return found
    if isinstance(value, list):
        for i, item in enumerate(value):
            found = _first_nul(item, f"{path}[{i}]")
            if found:
                return found
    return None


def register(app) -> None:
    @app.before_request
    def _refuse_nul():
        # every value of a repeated query or form field, checked under the field's name
        sources = [{k: "".join(vs) for k, vs in request.args.lists()}]
        if request.method in ("POST", "PUT", "PATCH", "DELETE"):
            if request.mimetype in ("multipart/form-data", "application/x-www-form-urlencoded"):
                sources.append({k: "".join(vs) for k, vs in request.form.lists()})
            elif request.data and request.is_json:
                sources.append(request.get_json(silent=True))
        for source in sources:
            field = _first_nul(source, "")
            if field:
                raise InvalidInput(f"字段 {field} 含有空字符（U+0000），请删除后重试", field=field)

"""JSON API under /api/v1 (described by /api/v1/openapi.json)."""
from __future__ import annotations

import functools
from datetime import timedelta

from flask import Blueprint, g, request
from flask_login import current_user
from flask_wtf.csrf import validate_csrf
from sqlalchemy import update
from wtforms import ValidationError

from blueprints.extensions import db
from workflow.org.auth import live_token
from workflow.org.models import ApiToken
from workflow.platform.base import utcnow
from workflow.platform.db import reset_read_only, set_read_only
from workflow.platform.errors import DomainError, InvalidInput, refuse_unknown

bp = Blueprint("api", __name__, url_prefix="/api/v1")
ID = "int(max=2147483647)"  # larger ids are 404, not a database overflow


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"


def api_user():
    """The caller: a bearer token, or the browser session (then CSRF is checked)."""
    if "api_user" in g:
        return g.api_user
    header = request.headers.get("Authorization", "")
    user = None
    if header.startswith("Bearer "):
        row = live_token(db.session, header[7:].strip())
        if row is None:
            raise Unauthorized("令牌无效、已过期或已吊销")
        user = row.user
        _note_use(row)
    elif current_user.is_authenticated:
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            try:
                validate_csrf(request.headers.get("X-CSRFToken") or request.form.get("csrf_token"))
            except ValidationError:
                raise DomainError("缺少或无效的 CSRF 令牌") from None
        user = current_user._get_current_object()
    if user is None:
        raise Unauthorized("请先登录或提供 Authorization: Bearer 令牌")
    g.api_user = user
    return user


USE_RESOLUTION = timedelta(minutes=1)  # "last used" is kept to the minute: no write per call


def _note_use(row: ApiToken) -> None:
    """Record when a token was last used.

    A writing request commits it with its own work. A read request never writes through its
    session (on SQLite it holds no write lock), so the mark goes in a short transaction of
    its own; a writing request's session may already hold that lock, so not there.
    """
    now = utcnow()
    if row.last_used_at and now - row.last_used_at < USE_RESOLUTION:
        return
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        row.last_used_at = now
        return
    token = set_read_only(False)
    try:
        with db.engine.begin() as conn:
            conn.execute(update(ApiToken).where(ApiToken.id == row.id).values(last_used_at=now))
    finally:
        reset_read_only(token)


def authed(view):
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        api_user()
        openapi.check_limits()  # every documented maxLength, 400 naming the field
        return view(*args, **kwargs)
    return wrapper


def json_body(allowed: set[str] | None = None, required: tuple[str, ...] = ()) -> dict:
    """Parse a JSON object body; refuse other types and unknown fields."""
    data = request.get_json(silent=True, force=True) if request.data else None
    if data is None:
        raise InvalidInput("请求体须为有效的 JSON 对象", field=None)
    if not isinstance(data, dict):
        raise InvalidInput("请求体须为 JSON 对象", field=None)
    if allowed is not None:
        refuse_unknown(data, allowed)
    for name in required:
        if data.get(name) in (None, ""):
            raise InvalidInput(f"缺少字段 {name}", field=name)
    return data


def query_args(allowed: set[str]) -> dict:
    refuse_unknown(request.args, allowed, "未知查询参数")
    return request.args


from blueprints.api import (  # noqa: E402,F401  (routes register on import)
    admin_events,
    batches,
    bulk,
    calendar_days,
    cases,
    complaints,
    enterprises,
    kpis,
    ledger,
    measures,
    meta,
    notifications,
    openapi,
    plans,
    problems,
    records,
    rectification,
    task_reporting,
    tokens,
)

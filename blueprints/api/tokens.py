"""API tokens (issue, list, revoke) and who-am-I."""
from __future__ import annotations

from flask import current_app, jsonify, request

from blueprints.api import ID, api_user, authed, bp, json_body, query_args
from blueprints.api.openapi import (
    ERROR_DESCRIPTIONS,
    PATHS,
    add_paths,
    check_limits,
    json_content,
    responses,
)
from blueprints.extensions import db
from blueprints.seclog import security_event
from workflow.org.auth import (
    BadCredentials,
    Throttled,
    ThrottleSettings,
    authenticate,
    issue_token,
    live_token,
    live_tokens_of,
    revoke_token,
)
from workflow.org.models import ApiToken, User
from workflow.org.roles import ADMIN
from workflow.platform.errors import DomainError, Forbidden, InvalidInput, NotFound


@bp.post("/tokens")
def create_token():
    data = json_body({"username", "password", "name"}, required=("username", "password"))
    check_limits()
    if not isinstance(data["username"], str) or not isinstance(data["password"], str):
        raise InvalidInput("username 与 password 须为文本", field="username")
    name = data.get("name")
    if name is not None and (not isinstance(name, str) or len(name.strip()) > 80):
        raise InvalidInput("name 须为不超过 80 字的文本", field="name")
    try:
        user = authenticate(db.session, data["username"], data["password"],
                            request.remote_addr or "unknown",
                            ThrottleSettings.from_config(current_app.config))
    except DomainError as exc:
        db.session.commit()  # the failure counts towards the throttle
        if isinstance(exc, (BadCredentials, Throttled)):
            security_event("login", None, "locked" if isinstance(exc, Throttled) else "failed",
                           username=data["username"].strip()[:80], via="api")
        raise
    token = issue_token(db.session, user, current_app.config["TOKEN_DAYS"],
                        name=(name or "").strip() or None)
    db.session.commit()
    row = live_token(db.session, token)
    security_event("token_issue", f"token:{row.id}", "ok", user=user, token_prefix=row.prefix)
    return jsonify({"token": token, "id": row.id, "prefix": row.prefix, "name": row.name,
                    "expires_in_days": current_app.config["TOKEN_DAYS"],
                    "user": user.to_dict()}), 201


def _owner(caller: User, user_id: str | None) -> User:
    if user_id in (None, "") or user_id == str(caller.id):
        return caller
    if caller.role != ADMIN:
        raise Forbidden("查看他人的 API 令牌须由系统管理员办理", needed_roles=[ADMIN],
                        rules=["role_required"])
    if not user_id.isdigit() or int(user_id) > 2147483647:
        raise InvalidInput("user_id 须为正整数", field="user_id")
    user = db.session.get(User, int(user_id))
    if user is None:
        raise NotFound(f"用户 {user_id} 不存在")
    return user


@bp.get("/tokens")
@authed
def list_tokens():
    """The caller's tokens that still work (an admin may name another user)."""
    args = query_args({"user_id"})
    owner = _owner(api_user(), args.get("user_id"))
    return jsonify({"items": [t.to_dict() for t in live_tokens_of(db.session, owner)]})


@bp.delete(f"/tokens/<{ID}:token_id>")
@authed
def delete_token(token_id: int):
    """Revoke a token: its owner or the admin; another user's token is 404 to anyone else."""
    caller = api_user()
    row = db.session.get(ApiToken, token_id)
    if row is None or (row.user_id != caller.id and caller.role != ADMIN):
        raise NotFound(f"令牌 {token_id} 不存在")
    revoke_token(db.session, row)
    db.session.commit()
    security_event("token_revoke", f"token:{row.id}", "ok", owner_id=row.user_id,
                   token_prefix=row.prefix)
    return "", 204


@bp.get("/me")
@authed
def me():
    return jsonify(api_user().to_dict())


TOKEN = {"type": "object", "required": ["id", "user_id", "prefix", "created_at", "expires_at"],
         "properties": {
             "id": {"type": "integer"}, "user_id": {"type": "integer"},
             "name": {"type": ["string", "null"]},
             "prefix": {"type": "string", "description": "令牌开头 10 个字符，用于辨认"},
             "created_at": {"type": "string", "format": "date-time"},
             "expires_at": {"type": "string", "format": "date-time"},
             "last_used_at": {"type": ["string", "null"], "format": "date-time"}}}

_issue = PATHS["/tokens"]["post"]
_issue["requestBody"]["content"]["application/json"]["schema"]["properties"]["name"] = {
    "type": "string", "maxLength": 80, "description": "令牌用途（便于在列表中辨认）"}
add_paths({
    "/tokens": {
        "post": _issue,
        "get": {"summary": "仍有效的 API 令牌（本人；系统管理员可用 user_id 查看他人）",
                "parameters": [{"name": "user_id", "in": "query",
                                "schema": {"type": "integer", "minimum": 1,
                                           "maximum": 2147483647}}],
                "responses": responses("200", {"type": "object", "required": ["items"],
                                               "properties": {"items": {"type": "array",
                                                                        "items": TOKEN}}},
                                       400, 401, 403, 404)}},
    "/tokens/{token_id}": {
        "parameters": [{"name": "token_id", "in": "path", "required": True,
                        "schema": {"type": "integer", "minimum": 1, "maximum": 2147483647}}],
        "delete": {"summary": "吊销 API 令牌（本人或系统管理员；他人的令牌为 404）",
                   "responses": {"204": {"description": "已吊销"},
                                 **{str(c): {"description": ERROR_DESCRIPTIONS[c],
                                             **json_content({"$ref": "#/components/schemas/Error"})}
                                    for c in (401, 404)}}}},
})

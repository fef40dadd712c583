"""API tokens and who-am-I."""
from __future__ import annotations

from flask import current_app, jsonify, request

from blueprints.api import api_user, authed, bp, json_body
from blueprints.api.openapi import check_limits
from blueprints.extensions import db
from workflow.org.auth import ThrottleSettings, authenticate, issue_token
from workflow.platform.errors import DomainError, InvalidInput


@bp.post("/tokens")
def create_token():
    data = json_body({"username", "password"}, required=("username", "password"))
    check_limits()
    if not isinstance(data["username"], str) or not isinstance(data["password"], str):
        raise InvalidInput("username 与 password 须为文本", field="username")
    try:
        user = authenticate(db.session, data["username"], data["password"],
                            request.remote_addr or "unknown",
                            ThrottleSettings.from_config(current_app.config))
    except DomainError:
        db.session.commit()  # the failure counts towards the throttle
        raise
    token = issue_token(db.session, user, current_app.config["TOKEN_DAYS"])
    db.session.commit()
    return jsonify({"token": token, "expires_in_days": current_app.config["TOKEN_DAYS"],
                    "user": user.to_dict()}), 201


@bp.get("/me")
@authed
def me():
    return jsonify(api_user().to_dict())

"""Error pages and JSON errors: a clear message, never a traceback."""
from __future__ import annotations

from flask import jsonify, make_response, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from blueprints.extensions import db
from blueprints.seclog import note_denial, security_event
from workflow.platform.errors import DomainError

HTTP_MESSAGES = {
    400: "请求有误",
    401: "请先登录",
    403: "无权执行此操作",
    404: "页面或记录不存在",
    405: "不支持该请求方法",
    409: "数据已被他人更新，请刷新后重试",
    413: "上传的内容超过大小上限",
    429: "请求过于频繁，请稍后再试",
    500: "服务器内部错误，已记录，请联系系统管理员",
}


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def respond_error(status: int, body: dict, headers: dict | None = None):
    if wants_json():
        resp = jsonify(body)
        resp.status_code = status
    else:
        resp = make_response(render_template("error.html", status=status, body=body), status)
    resp.headers.update(headers or {})
    return resp


def register(app) -> None:
    @app.errorhandler(DomainError)
    def _domain(exc: DomainError):
        db.session.rollback()
        if exc.status == 403:
            note_denial(exc)
        elif exc.status == 401 and request.headers.get("Authorization", "").startswith("Bearer "):
            security_event("token_rejected", request.path, "denied")
        return respond_error(exc.status, exc.to_dict())

    @app.errorhandler(CSRFError)
    def _csrf(exc):
        security_event("csrf_failed", request.path, "denied")
        return respond_error(400, {"error": "csrf_failed",
                                   "message": "表单已过期或缺少安全令牌（CSRF），请刷新页面后重试"})

    @app.errorhandler(HTTPException)
    def _http(exc: HTTPException):
        status = exc.code or 500
        # RFC 9110: a 405 names the methods the resource allows (Werkzeug knows them)
        headers = {}
        if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
            headers["Allow"] = ", ".join(sorted(exc.valid_methods))
        return respond_error(status, {"error": exc.name.lower().replace(" ", "_"),
                                      "message": HTTP_MESSAGES.get(status, exc.description)},
                             headers)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        db.session.rollback()
        return respond_error(500, {"error": "internal_error", "message": HTTP_MESSAGES[500]})

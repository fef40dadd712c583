"""Hardening headers on every response; scripts only from the app's own origin.

Cookies are Secure by default (HSTS then tells browsers to stay on HTTPS); pages and JSON
carry personal data, so nothing but the static files may be kept in a browser or proxy cache.
"""
from __future__ import annotations

from flask import request

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
       "form-action 'self'; frame-ancestors 'none'")


def cookies_secure(app) -> bool:
    """Resolve the Secure flag: an explicit setting, else on unless debug, testing or
    ``INSECURE_COOKIES``."""
    secure = app.config.get("SESSION_COOKIE_SECURE")
    if secure is None:
        secure = not (app.debug or app.testing or app.config.get("INSECURE_COOKIES"))
    app.config["SESSION_COOKIE_SECURE"] = bool(secure)
    if app.config.get("REMEMBER_COOKIE_SECURE") is None:
        app.config["REMEMBER_COOKIE_SECURE"] = bool(secure)
    return bool(secure)


def register(app) -> None:
    secure = cookies_secure(app)
    hsts = f"max-age={int(app.config.get('HSTS_SECONDS', 365 * 24 * 3600))}"

    @app.after_request
    def _headers(resp):
        resp.headers.setdefault("Content-Security-Policy", CSP)
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("X-Frame-Options", "DENY")
        resp.headers.setdefault("Referrer-Policy", "same-origin")
        resp.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        resp.headers.setdefault("Permissions-Policy", "camera=(self), geolocation=(), microphone=()")
        if secure:
            resp.headers.setdefault("Strict-Transport-Security", hsts)
        # a view that set its own policy (evidence files revalidate by ETag) keeps it
        if request.endpoint != "static" and "Cache-Control" not in resp.headers:
            resp.headers["Cache-Control"] = "no-store"
        return resp

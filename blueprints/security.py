"""Hardening headers on every response; scripts only from the app's own origin.

Cookies are Secure by default (HSTS then tells browsers to stay on HTTPS); pages and JSON
carry personal data, so nothing but the static files may be kept in a browser or proxy cache.
"""
from __future__ import annotations

import os
import secrets
from datetime import datetime, timezone
from pathlib import Path

from flask import request

from workflow.core.audit import configure_keys

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


def load_audit_key(instance_dir: Path) -> str:
    """The chain key stored in the instance folder, created once (atomically: several
    workers may start together and must all sign with the same key)."""
    path = instance_dir / "audit_key"
    if not path.exists():
        instance_dir.mkdir(parents=True, exist_ok=True)
        tmp = instance_dir / f".audit_key.{os.getpid()}.{secrets.token_hex(4)}"
        tmp.write_text(secrets.token_hex(32))
        tmp.chmod(0o600)
        try:
            os.link(tmp, path)  # fails if another process created it first: use that one
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    return path.read_text().strip()


def audit_keys(app) -> str | None:
    """Install the audit chain keys of the settings; return the current key id."""
    key = app.config.get("AUDIT_KEY") or load_audit_key(Path(app.instance_path))
    since = app.config.get("AUDIT_KEYED_SINCE")
    if isinstance(since, str):
        since = datetime.fromisoformat(since)
    if since is not None and since.tzinfo is not None:
        since = since.astimezone(timezone.utc).replace(tzinfo=None)
    return configure_keys(key, app.config.get("AUDIT_OLD_KEYS") or (), keyed_since=since)


def register(app) -> None:
    audit_keys(app)
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

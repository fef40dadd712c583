"""Browser login, logout and password change (Flask-Login sessions, CSRF-protected)."""
from __future__ import annotations

import secrets
import unicodedata
from datetime import timedelta
from urllib.parse import unquote, urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import delete
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from blueprints.extensions import db, login_manager
from blueprints.seclog import security_event
from blueprints.web import require_login
from workflow.org.auth import (
    BadCredentials,
    Throttled,
    ThrottleSettings,
    authenticate,
    check_current_password,
    end_credentials,
)
from workflow.org.auth import (
    change_password as set_new_password,
)
from workflow.org.models import EndedSession, User
from workflow.platform.base import utcnow
from workflow.platform.errors import InvalidInput

bp = Blueprint("auth", __name__)
require_login(bp, ("auth.login", "auth.logout"))
login_manager.login_view = "auth.login"
login_manager.login_message = "请先登录"

# Session keys: the credentials epoch at login, login time, last request time (epoch
# seconds) and a random id that logout puts on the ended list.
EPOCH, AUTH_AT, SEEN_AT, SID = "_cred_epoch", "_auth_at", "_seen_at", "_sid"
SEEN_RESOLUTION = 30  # seconds: rewrite the cookie at most this often for the idle clock


def _now() -> int:
    return int(utcnow().timestamp())


def _session_problem(user: User) -> str | None:
    """Why this browser session may no longer act for ``user``; None when it may."""
    now, cfg = _now(), current_app.config
    if session.get(EPOCH) != (user.credentials_epoch or 0):
        return "credentials_changed"
    if now - session.get(AUTH_AT, 0) > cfg["SESSION_ABSOLUTE_SECONDS"]:
        return "absolute_timeout"
    if now - session.get(SEEN_AT, 0) > cfg["SESSION_IDLE_SECONDS"]:
        return "idle_timeout"
    if db.session.get(EndedSession, session.get(SID) or "") is not None:
        return "logged_out"
    return None


@login_manager.user_loader
def load_user(user_id: str):
    if not user_id.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active:
        return None
    problem = _session_problem(user)
    if problem:
        session.clear()
        security_event("session_ended", f"user:{user.id}", problem, user=user)
        return None
    if _now() - session.get(SEEN_AT, 0) >= SEEN_RESOLUTION:
        session[SEEN_AT] = _now()
    return user


def _start_session(user: User) -> None:
    session.clear()  # no value from before the login survives into the signed-in session
    login_user(user)
    now = _now()
    session.update({EPOCH: user.credentials_epoch or 0, AUTH_AT: now, SEEN_AT: now,
                    SID: secrets.token_urlsafe(16)})


def _end_session() -> None:
    """Log out here, and refuse this session's cookie should it be replayed."""
    sid = session.get(SID)
    if sid and db.session.get(EndedSession, sid) is None:
        now = utcnow()
        db.session.execute(delete(EndedSession).where(EndedSession.expires_at < now))
        auth_at = session.get(AUTH_AT) or _now()
        expires = (now + timedelta(seconds=current_app.config["SESSION_ABSOLUTE_SECONDS"]
                                   - max(0, _now() - auth_at)))
        db.session.add(EndedSession(sid=sid, expires_at=expires))
    logout_user()
    session.clear()


class LoginForm(FlaskForm):
    username = StringField("用户名", validators=[DataRequired("请输入用户名"), Length(max=80)])
    password = PasswordField("密码", validators=[DataRequired("请输入密码")])


class PasswordForm(FlaskForm):
    current = PasswordField("当前密码", validators=[DataRequired("请输入当前密码")])
    new = PasswordField("新密码", validators=[DataRequired("请输入新密码")])
    confirm = PasswordField("确认新密码", validators=[EqualTo("new", "两次输入的新密码不一致")])


def _without_controls(text: str) -> str:
    return "".join(ch for ch in text
                   if ch != "\\" and unicodedata.category(ch) not in ("Cc", "Cf", "Zl", "Zp"))


def _safe_next(target: str | None) -> str:
    r"""``next`` if it is a path of this app, else the home page (no open redirect).

    Browsers drop tab, CR and LF inside a URL and read ``\`` as ``/``, so ``/<TAB>/evil.com``
    or ``/\evil.com`` would leave the site: such characters are stripped first, then only a
    path starting with a single ``/``, without scheme or host (also once percent-decoded),
    is accepted.
    """
    path = _without_controls(target or "")
    decoded = _without_controls(unquote(path))
    for candidate in (path, decoded):
        parts = urlsplit(candidate)
        if (not candidate.startswith("/") or candidate.startswith("//") or parts.scheme
                or parts.netloc):
            return url_for("pages.home")
    return path


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    error = None
    status = 200
    if form.validate_on_submit():
        name = form.username.data
        try:
            user = authenticate(db.session, name, form.password.data,
                                request.remote_addr or "unknown",
                                ThrottleSettings.from_config(_config()))
        except (BadCredentials, Throttled) as exc:
            db.session.commit()  # keep the recorded failure
            security_event("login", None, "locked" if isinstance(exc, Throttled) else "failed",
                           username=name.strip()[:80], via="web")
            error, status = exc.message, exc.status
        else:
            db.session.commit()
            _start_session(user)
            security_event("login", f"user:{user.id}", "ok", user=user, via="web")
            return redirect(_safe_next(request.args.get("next")))
    elif request.method == "POST":
        status = 400
    return render_template("login.html", form=form, error=error), status


@bp.route("/logout", methods=["POST"])
def logout():
    user = current_user._get_current_object() if current_user.is_authenticated else None
    _end_session()
    db.session.commit()
    if user is not None:
        security_event("logout", f"user:{user.id}", "ok", user=user)
    flash("已退出登录")
    return redirect(url_for("auth.login"))


@bp.route("/account/logout-everywhere", methods=["POST"])
def logout_everywhere():
    """End every session of this user on every device, and every API token."""
    user = db.session.get(User, current_user.id)
    end_credentials(user)
    _end_session()
    db.session.commit()
    security_event("logout_everywhere", f"user:{user.id}", "ok", user=user)
    flash("已在所有设备上退出登录，全部 API 令牌已失效")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
def change_password():
    form = PasswordForm()
    status = 200
    if form.validate_on_submit():
        user = db.session.get(User, current_user.id)
        try:
            check_current_password(db.session, user, form.current.data,
                                   request.remote_addr or "unknown",
                                   ThrottleSettings.from_config(_config()))
        except (BadCredentials, Throttled) as exc:
            db.session.commit()  # the failure counts towards the login limiter
            security_event("password_change", f"user:{user.id}",
                           "locked" if isinstance(exc, Throttled) else "failed", user=user)
            form.current.errors.append(exc.message)
            status = exc.status if isinstance(exc, Throttled) else 400
        else:
            try:
                set_new_password(db.session, user, form.new.data)
            except InvalidInput as exc:
                db.session.rollback()
                form.new.errors.append(exc.message)
                security_event("password_change", f"user:{user.id}", "refused", user=user,
                               rules=exc.extra.get("rules"))
            else:
                db.session.commit()
                # this browser stays signed in; every other session and token has ended
                _start_session(user)
                security_event("password_change", f"user:{user.id}", "ok", user=user)
                flash("密码已修改；其他设备上的登录和全部 API 令牌已失效")
                return redirect(url_for("pages.home"))
    if request.method == "POST" and status == 200:
        status = 400
    return render_template("password.html", form=form), status


def _config():
    return current_app.config

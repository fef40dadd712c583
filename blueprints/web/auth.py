"""Browser login, logout and password change (Flask-Login sessions, CSRF-protected)."""
from __future__ import annotations

import unicodedata
from urllib.parse import unquote, urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from werkzeug.security import check_password_hash
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from blueprints.extensions import db, login_manager
from blueprints.web import require_login
from workflow.org.auth import BadCredentials, Throttled, ThrottleSettings, authenticate, hash_password
from workflow.org.models import User

bp = Blueprint("auth", __name__)
require_login(bp, ("auth.login", "auth.logout"))
login_manager.login_view = "auth.login"
login_manager.login_message = "请先登录"


@login_manager.user_loader
def load_user(user_id: str):
    if not user_id.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    return user if user and user.active else None


class LoginForm(FlaskForm):
    username = StringField("用户名", validators=[DataRequired("请输入用户名"), Length(max=80)])
    password = PasswordField("密码", validators=[DataRequired("请输入密码")])


class PasswordForm(FlaskForm):
    current = PasswordField("当前密码", validators=[DataRequired("请输入当前密码")])
    new = PasswordField("新密码", validators=[DataRequired("请输入新密码"),
                                           Length(min=8, message="新密码至少 8 位")])
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
        try:
            user = authenticate(db.session, form.username.data, form.password.data,
                                request.remote_addr or "unknown",
                                ThrottleSettings.from_config(_config()))
        except (BadCredentials, Throttled) as exc:
            db.session.commit()  # keep the recorded failure
            error, status = exc.message, exc.status
        else:
            db.session.commit()
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
    elif request.method == "POST":
        status = 400
    return render_template("login.html", form=form, error=error), status


@bp.route("/logout", methods=["POST"])
def logout():
    logout_user()
    flash("已退出登录")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
def change_password():
    form = PasswordForm()
    if form.validate_on_submit():
        user = db.session.get(User, current_user.id)
        if not check_password_hash(user.password_hash, form.current.data):
            form.current.errors.append("当前密码不正确")
        else:
            user.password_hash = hash_password(form.new.data)
            db.session.commit()
            flash("密码已修改")
            return redirect(url_for("pages.home"))
    status = 400 if request.method == "POST" else 200
    return render_template("password.html", form=form), status


def _config():
    return current_app.config

"""Messages out of the app on the pages: each user's choices, the delivery log, unit robots."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from sqlalchemy import select

from blueprints.extensions import db
from blueprints.web import actor, bp, errors_from
from blueprints.web.formstate import navigating, refuse_to, take
from workflow.core import delivery, policy
from workflow.core.notifications import KINDS
from workflow.org.models import Department
from workflow.platform.errors import DomainError


@bp.route("/notifications/settings", methods=["GET", "POST"])
def message_settings():
    """接收设置: the user's e-mail and which kinds of message reach them outside the app."""
    user = actor()
    if request.method == "POST":
        wanted = set(request.form.getlist("kinds"))
        try:
            delivery.set_preferences(db.session, user, email=request.form.get("email"),
                                     muted=set(KINDS) - wanted, kinds=KINDS)
            db.session.commit()
        except DomainError as exc:
            db.session.rollback()
            errors = errors_from(exc, "settings", ("email", "muted"))
            if navigating():
                return refuse_to(request.path, request.path, errors)
            return _settings_page(errors, request.form, exc.status)
        flash("消息接收设置已保存")
        return redirect(url_for("pages.message_settings"))
    errors, values, _extra = take(request.path)
    return _settings_page(errors, (values or {}).get("settings"), 200)


def _settings_page(errors, values, status):
    pref = db.session.get(delivery.MessageSettings, actor().id)
    muted = pref.muted if pref else set()
    if values is not None:
        muted = set(KINDS) - set(values.getlist("kinds"))
    email = values.get("email", "") if values is not None else (pref.email if pref else "")
    return render_template("pages/message_settings.html", kinds=KINDS, muted=muted,
                           email=email or "", errors=errors), status


@bp.get("/deliveries")
def delivery_log():
    """发送记录: every message sent out, its attempts and the last error."""
    user = actor()
    if refusal := policy.delivery_log_refusal(user):
        raise refusal
    departments = db.session.scalars(select(Department).where(Department.active.is_(True))
                                     .order_by(Department.kind, Department.name)).all()
    hooks = {h.department_id: h for h in db.session.scalars(select(delivery.UnitWebhook))}
    return render_template("pages/deliveries.html", rows=delivery.recent(db.session),
                           departments=departments, hooks=hooks,
                           may_edit=policy.webhook_refusal(user) is None,
                           mask=delivery.mask_target, CHANNELS=delivery.CHANNELS,
                           STATUSES=delivery.STATUSES, KINDS=KINDS)


@bp.post("/deliveries/webhooks")
def unit_webhook():
    user = actor()
    if refusal := policy.webhook_refusal(user):
        raise refusal
    try:
        dept_id = int(request.form.get("department_id") or 0)
        if db.session.get(Department, dept_id) is None:
            flash("请选择单位")
            return redirect(url_for("pages.delivery_log"))
        delivery.set_unit_webhook(db.session, dept_id, request.form.get("webhook_url"),
                                  request.form.get("webhook_secret"))
        db.session.commit()
    except (DomainError, ValueError) as exc:
        db.session.rollback()
        flash(getattr(exc, "message", "单位无效"))
        return redirect(url_for("pages.delivery_log"))
    flash("单位工作群机器人已保存")
    return redirect(url_for("pages.delivery_log"))

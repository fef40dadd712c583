"""站内消息: the unread count in the header, the list page, marking read."""
from __future__ import annotations

from datetime import datetime

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from blueprints.extensions import db
from blueprints.web import ID, actor, bp
from workflow.core import notifications
from workflow.platform.base import to_local

PAGE_LIMIT = 200


@bp.app_context_processor
def _unread():
    """``unread_notifications()`` for the header: counted only on pages that show it."""
    def count() -> int:
        if not current_user.is_authenticated:
            return 0
        return notifications.unread_count(db.session, current_user._get_current_object())
    return {"unread_notifications": count}


@bp.app_template_filter("local_iso")
def _local_iso(value: str | None) -> str:
    """An ISO instant of the API dicts ("…Z") as Asia/Shanghai time."""
    if not value:
        return ""
    local = to_local(datetime.fromisoformat(value.rstrip("Z")))
    return local.strftime("%Y-%m-%d %H:%M")


def _back():
    return redirect(url_for("pages.notification_list"))


@bp.get("/notifications")
def notification_list():
    data = notifications.list_for(db.session, actor(), PAGE_LIMIT)
    return render_template("pages/notifications.html", items=data["items"],
                           unread=data["unread_count"], limit=PAGE_LIMIT)


@bp.post(f"/notifications/<{ID}:notification_id>/read")
def notification_read(notification_id: int):
    note = notifications.mark_read(db.session, notification_id, actor())  # 404 if not one's own
    db.session.commit()
    if request.form.get("open") and note.case_id:
        return redirect(url_for("pages.case_view", case_id=note.case_id))
    return _back()


@bp.post("/notifications/read-all")
def notification_read_all():
    count = notifications.mark_all_read(db.session, actor())
    db.session.commit()
    flash(f"已将 {count} 条消息标为已读" if count else "没有未读消息")
    return _back()

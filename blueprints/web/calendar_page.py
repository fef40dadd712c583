"""节假日与调休: administrator-entered 休/班 days (系统管理员, 区安委办主任)."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for

from blueprints.extensions import db
from blueprints.web import FormErrors, actor, bp, errors_from
from workflow.core import policy, workdays
from workflow.core.workdays import WorkCalendar
from workflow.platform.base import local_today
from workflow.platform.errors import DomainError, InvalidInput
from workflow.platform.parsing import parse_date

FIELDS = ("day", "kind", "name")


def _require_editor():
    if refusal := policy.calendar_refusal(actor()):
        raise refusal


def _year(raw) -> int:
    if raw in (None, ""):
        return local_today().year
    if not str(raw).isdigit() or not 2000 <= int(raw) <= 2100:
        raise InvalidInput("年份须为 2000–2100", field="year")
    return int(raw)


def _page(year: int, errors=None, values=None, status=200):
    return render_template("pages/calendar.html", year=year,
                           days=workdays.days_in_year(db.session, year),
                           statutory=WorkCalendar.covered(year), kinds=workdays.DAY_KINDS,
                           errors=errors or FormErrors(), values=values or {}), status


@bp.get("/calendar")
def calendar_days():
    _require_editor()
    return _page(_year(request.args.get("year")))


@bp.post("/calendar")
def calendar_day_set():
    _require_editor()
    form = request.form
    year = local_today().year
    try:
        if not form.get("day"):
            raise InvalidInput("须填写日期", field="day")
        day = parse_date(form["day"], "day")
        year = day.year
        row = workdays.set_day(db.session, actor(), day, form.get("kind", ""),
                                     form.get("name") or None)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        return _page(year, errors_from(exc, "day", FIELDS), {"day": form}, exc.status)
    flash(f"已录入 {row.day.isoformat()}（{workdays.DAY_KINDS[row.kind]}）")
    return redirect(url_for("pages.calendar_days", year=row.day.year))


@bp.post("/calendar/<day>/delete")
def calendar_day_delete(day: str):
    _require_editor()
    when = parse_date(day, "day")  # a malformed date in the path: 400
    found = workdays.delete_day(db.session, actor(), when)
    db.session.commit()
    flash(f"已删除 {when.isoformat()}" if found else f"{when.isoformat()} 没有录入记录")
    return redirect(url_for("pages.calendar_days", year=when.year))

"""Administrator-entered calendar days (休/班), for years the holiday library lacks."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.core.holidays import CalendarDay
from workflow.org.models import User
from workflow.org.roles import ADMIN, OFFICE_DIRECTOR
from workflow.platform.errors import Forbidden, InvalidInput
from workflow.platform.vocab import is_choice

EDITORS = frozenset({ADMIN, OFFICE_DIRECTOR})
DAY_KINDS = {"holiday": "休", "workday": "班"}


def can_edit_calendar(user: User) -> bool:
    return user.role in EDITORS


def set_day(session: Session, actor: User, day: date, kind: str, name=None) -> CalendarDay:
    """Declare ``day`` a holiday or a make-up working day (replaces an earlier entry)."""
    if not can_edit_calendar(actor):
        raise Forbidden("节假日由系统管理员或区安委办主任维护", needed_roles=sorted(EDITORS),
                        rules=["role_required"])
    if not is_choice(kind, DAY_KINDS):
        raise InvalidInput("kind 须为 holiday（休）或 workday（班）", field="kind")
    if name is not None and (not isinstance(name, str) or len(name) > 60):
        raise InvalidInput("name 须为 60 字以内的文本", field="name")
    row = session.get(CalendarDay, day)
    if row is None:
        row = CalendarDay(day=day)
        session.add(row)
    row.kind, row.name = kind, (name or "").strip()
    session.flush()
    return row


def delete_day(session: Session, actor: User, day: date) -> bool:
    if not can_edit_calendar(actor):
        raise Forbidden("节假日由系统管理员或区安委办主任维护", needed_roles=sorted(EDITORS),
                        rules=["role_required"])
    row = session.get(CalendarDay, day)
    if row is None:
        return False
    session.delete(row)
    session.flush()
    return True


def days_in_year(session: Session, year: int) -> list[CalendarDay]:
    return list(session.scalars(select(CalendarDay).where(
        CalendarDay.day >= date(year, 1, 1), CalendarDay.day <= date(year, 12, 31))
        .order_by(CalendarDay.day)))

"""The working-day calendar (domain §6 Time): "N 个工作日" arithmetic, the
administrator-entered holidays and make-up working days (休/班) for years the
holiday library lacks, and their administration.
"""
from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Iterable

import chinese_calendar
from sqlalchemy import Date, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from workflow.core.policy import calendar_refusal
from workflow.org import adminlog
from workflow.org.models import User
from workflow.platform.base import Base
from workflow.platform.errors import InvalidInput
from workflow.platform.vocab import is_choice

_ONE_DAY = timedelta(days=1)


def _check_date(d: object) -> date:
    # A datetime is a date subclass; taking .date() of a UTC instant can land on the
    # wrong Shanghai day, so callers must convert to the local date themselves.
    if isinstance(d, datetime) or not isinstance(d, date):
        raise TypeError(f"expected a datetime.date, got {type(d).__name__}")
    return d


class WorkCalendar:
    """Chinese working days: statutory holidays and 调休 from chinese_calendar,
    weekends only for years beyond its data, administrator entries on top."""

    def __init__(self, extra_holidays: Iterable[date] = (),
                 extra_workdays: Iterable[date] = ()):
        self._holidays = frozenset(_check_date(d) for d in extra_holidays)
        self._workdays = frozenset(_check_date(d) for d in extra_workdays)
        clash = self._holidays & self._workdays
        if clash:
            raise ValueError(f"dates entered both as holiday and workday: {sorted(clash)}")
        self._cache: dict[date, bool] = {}

    @staticmethod
    def covered(year: int) -> bool:
        """Return whether chinese_calendar has holiday data for `year`."""
        try:
            chinese_calendar.is_workday(date(year, 1, 1))
        except NotImplementedError:
            return False
        return True

    def is_working_day(self, d: date) -> bool:
        """Return whether `d` is a working day."""
        try:
            return self._cache[d]
        except KeyError:
            pass
        d = _check_date(d)
        if d in self._workdays:
            result = True
        elif d in self._holidays:
            result = False
        else:
            result = _library_workday(d)
        self._cache[d] = result
        return result

    def add_working_days(self, start: date, n: int) -> date:
        """Return the n-th working day after `start` (start not counted; n=0 gives start)."""
        start = _check_date(start)
        if n < 0:
            raise ValueError("n must be >= 0")
        d = start
        while n:
            d += _ONE_DAY
            if self.is_working_day(d):
                n -= 1
        return d

    def working_days_between(self, a: date, b: date) -> int:
        """Count working days in (a, b]; negative when b < a."""
        a, b = _check_date(a), _check_date(b)
        if b < a:
            return -self.working_days_between(b, a)
        # the library's count from its yearly running totals, then the administrator's
        # entries in (a, b] that turn a day round (a case overdue for a year is one lookup,
        # not 365: the case page and the daily sweep ask this of every case they show)
        count = _library_through(b) - _library_through(a)
        for d in self._workdays:
            if a < d <= b and not _library_workday(d):
                count += 1
        for d in self._holidays:
            if a < d <= b and _library_workday(d):
                count -= 1
        return count


# chinese_calendar scans its whole table for the year range on every call (~30 us), and
# a WorkCalendar lives for one request; the library's answers never change, so they are
# kept for the process
@lru_cache(maxsize=1 << 16)
def _library_workday(d: date) -> bool:
    try:
        return chinese_calendar.is_workday(d)
    except NotImplementedError:  # a year the library has no data for: weekends only
        return d.weekday() < 5


@lru_cache(maxsize=512)
def _library_year(year: int) -> tuple[int, ...]:
    """Running totals of the library's working days in ``year``: item i counts those among
    the year's first i days."""
    first, totals, count = date(year, 1, 1), [0], 0
    for i in range(366 if calendar.isleap(year) else 365):  # no day after 9999-12-31
        count += _library_workday(first + timedelta(days=i))
        totals.append(count)
    return tuple(totals)


def _library_through(d: date) -> int:
    """The library's working days from 2000-01-01 up to and including ``d`` (a count
    that may be negative before then; only differences of it are used)."""
    return _library_before(d.year) + _library_year(d.year)[d.timetuple().tm_yday]


@lru_cache(maxsize=512)
def _library_before(year: int) -> int:
    """The library's working days from 2000-01-01 to the end of ``year - 1``."""
    if year >= _EPOCH_YEAR:
        return sum(_year_total(y) for y in range(_EPOCH_YEAR, year))
    return -sum(_year_total(y) for y in range(year, _EPOCH_YEAR))


@lru_cache(maxsize=1 << 14)
def _year_total(year: int) -> int:
    """The library's working days in ``year``; a year it has no data for is its weekdays,
    counted without walking its days (a deadline typed as 9999-12-31 is accepted)."""
    if WorkCalendar.covered(year):
        return _library_year(year)[-1]
    first = date(year, 1, 1).weekday()
    weeks, rest = divmod(366 if calendar.isleap(year) else 365, 7)
    return weeks * 5 + sum((first + i) % 7 < 5 for i in range(rest))


_EPOCH_YEAR = 2000


# --- administrator entries (休/班) ---------------------------------------------
class CalendarDay(Base):
    """A date an administrator declares a holiday (休) or a make-up working day (班)."""

    __tablename__ = "calendar_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # holiday | workday
    name: Mapped[str] = mapped_column(String(60), default="")


def calendar_for(session: Session):
    """The working-day calendar with this database's administrator entries."""
    rows = session.execute(select(CalendarDay.day, CalendarDay.kind)).all()
    return WorkCalendar(extra_holidays=[d for d, k in rows if k == "holiday"],
                        extra_workdays=[d for d, k in rows if k == "workday"])


DAY_KINDS = {"holiday": "休", "workday": "班"}


def can_edit_calendar(user: User) -> bool:
    return calendar_refusal(user) is None


def set_day(session: Session, actor: User, day: date, kind: str, name=None) -> CalendarDay:
    """Declare ``day`` a holiday or a make-up working day (replaces an earlier entry)."""
    if refusal := calendar_refusal(actor):
        raise refusal
    if not is_choice(kind, DAY_KINDS):
        raise InvalidInput("kind 须为 holiday（休）或 workday（班）", field="kind")
    if name is not None and (not isinstance(name, str) or len(name) > 60):
        raise InvalidInput("name 须为 60 字以内的文本", field="name")
    row = session.get(CalendarDay, day)
    before = None if row is None else {"kind": row.kind, "name": row.name}
    if row is None:
        row = CalendarDay(day=day)
        session.add(row)
    row.kind, row.name = kind, (name or "").strip()
    session.flush()
    adminlog.record_act(session, actor, "calendar_day_set", "calendar_day", day.isoformat(),
                    {"before": before, "after": {"kind": row.kind, "name": row.name}})
    return row


def delete_day(session: Session, actor: User, day: date) -> bool:
    if refusal := calendar_refusal(actor):
        raise refusal
    row = session.get(CalendarDay, day)
    if row is None:
        return False
    before = {"kind": row.kind, "name": row.name}
    session.delete(row)
    session.flush()
    adminlog.record_act(session, actor, "calendar_day_delete", "calendar_day", day.isoformat(),
                    {"before": before})
    return True


def days_in_year(session: Session, year: int) -> list[CalendarDay]:
    return list(session.scalars(select(CalendarDay).where(
        CalendarDay.day >= date(year, 1, 1), CalendarDay.day <= date(year, 12, 31))
        .order_by(CalendarDay.day)))

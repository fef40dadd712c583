"""Working-day arithmetic for "N 个工作日" deadlines (domain §6 Time)."""
from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Iterable

import chinese_calendar

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
        # chinese_calendar scans its whole table for the year range on every call
        # (~30 us); deadlines and KPIs ask about the same days over and over.
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
            try:
                result = chinese_calendar.is_workday(d)
            except NotImplementedError:
                result = d.weekday() < 5
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
        count, d = 0, a
        while d < b:
            d += _ONE_DAY
            count += self.is_working_day(d)
        return count

"""考核 periods and windows: which days a set of figures covers, and as of when.

A *period* is a month ``2020-03``, a quarter ``2020Q3``, a year ``2020`` or a
custom range; a *window* is a period seen from a cut-off date (the figures say
what was known at the end of that day, Asia/Shanghai).
"""
from __future__ import annotations

import calendar as _calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from workflow.platform.base import local_today
from workflow.platform.errors import InvalidInput
from workflow.platform.sqltime import utc_start

ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class Period:
    key: str
    start: date
    end: date
    label: str

    @property
    def kind(self) -> str:
        if re.fullmatch(r"\d{4}", self.key):
            return "year"
        if "Q" in self.key:
            return "quarter"
        if re.fullmatch(r"\d{4}-\d{2}", self.key):
            return "month"
        return "custom"


QUARTER_NAMES = {1: "第一季度", 2: "第二季度", 3: "第三季度", 4: "第四季度"}


def parse_period(text: str | None = None, *, start: str | date | None = None,
                 end: str | date | None = None) -> Period:
    """``2020``, ``2020Q3``, ``2020-03`` or a custom ``start``/``end`` pair."""
    if text in (None, "") and start in (None, "") and end in (None, ""):
        raise InvalidInput("须指定考核期间 period（如 2020、2020Q3、2020-03）或 from/to",
                           field="period")
    if text not in (None, ""):
        if start not in (None, "") or end not in (None, ""):
            raise InvalidInput("period 与 from/to 只能填一种", field="period")
        text = str(text).strip().upper()
        if m := re.fullmatch(r"(\d{4})", text):
            year = _year(int(m[1]))
            return Period(text, date(year, 1, 1), date(year, 12, 31), f"{year}年")
        if m := re.fullmatch(r"(\d{4})Q([1-4])", text):
            year, q = _year(int(m[1])), int(m[2])
            first = 3 * q - 2
            last = date(year, first + 2, _calendar.monthrange(year, first + 2)[1])
            return Period(text, date(year, first, 1), last, f"{year}年{QUARTER_NAMES[q]}")
        if m := re.fullmatch(r"(\d{4})-(\d{2})", text):
            year, month = _year(int(m[1])), int(m[2])
            if not 1 <= month <= 12:
                raise InvalidInput(f"月份“{text}”无效", field="period")
            return Period(text, date(year, month, 1),
                          date(year, month, _calendar.monthrange(year, month)[1]),
                          f"{year}年{month}月")
        raise InvalidInput(f"考核期间“{text[:20]}”无效：应为 2020、2020Q3 或 2020-03", field="period")
    if start in (None, "") or end in (None, ""):
        raise InvalidInput("自定义期间须同时填写 from 和 to", field="from" if not start else "to")
    s, e = _date(start, "from"), _date(end, "to")
    if e < s:
        raise InvalidInput("期间结束日期早于开始日期", field="to")
    if (e - s).days > 366 * 5:
        raise InvalidInput("自定义期间最长 5 年", field="to")
    return Period(f"{s.isoformat()}..{e.isoformat()}", s, e,
                  f"{s.year}年{s.month}月{s.day}日至{e.year}年{e.month}月{e.day}日")


def _year(year: int) -> int:
    if not 2000 <= year <= 2100:
        raise InvalidInput("年份须在 2000–2100 之间", field="period")
    return year


def _date(value, field: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise InvalidInput(f"{field}“{str(value)[:20]}”不是有效日期（YYYY-MM-DD）",
                           field=field) from None


@dataclass(frozen=True)
class Window:
    """A period seen from a cut-off date."""

    period: Period
    cutoff: date
    accept_working_days: int = 2

    @property
    def wend(self) -> date:
        return min(self.period.end, self.cutoff)

    @property
    def start_utc(self) -> datetime:
        return utc_start(self.period.start)

    @property
    def wend_utc(self) -> datetime:
        """Exclusive upper bound of the window's instants."""
        return utc_start(self.wend + ONE_DAY)

    @property
    def cutoff_utc(self) -> datetime:
        """Exclusive: the first instant after the cut-off day."""
        return utc_start(self.cutoff + ONE_DAY)


def make_window(period: Period, cutoff: str | date | None = None, *, today: date | None = None,
                accept_working_days: int = 2) -> Window:
    """Default cut-off: the period end, or today while the period runs."""
    today = today or local_today()
    if cutoff in (None, ""):
        cut = min(period.end, today)
    else:
        cut = _date(cutoff, "cutoff")
    if cut < period.start:
        raise InvalidInput("截止日期早于考核期间开始日期", field="cutoff")
    return Window(period, cut, accept_working_days)


def window_from(args, *, accept_working_days: int) -> Window:
    """The window named by ``period`` or ``from``/``to``, and ``cutoff``, of a mapping."""
    period = parse_period(args.get("period"), start=args.get("from"), end=args.get("to"))
    return make_window(period, args.get("cutoff"), accept_working_days=accept_working_days)

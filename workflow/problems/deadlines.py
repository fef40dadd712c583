"""Deadline texts as inspection teams write them in their lists (整改时限).

``parse_deadline`` reads a date cell or text and returns a ``DeadlineText``:

- dates: 2020-12-31, 2020/12/31, 2020.12.31, 2020年12月31日 (an optional 前/之前/完成 after);
  a date cell or an Excel serial number;
- the end of a period: “12月底前”, “2020年12月底前”, “2020年12月”, “年底前”, “2020年底前”,
  “上半年”, “下半年”, “一季度”…“四季度” (a missing year is the year of the reference date —
  the 交办日期 of the list — or the next one when that month has already ended);
- 立行立改 (also 立即整改): ``immediate_days`` working days after the reference date;
- 长期坚持 (also 长期): no end date (``deadline`` None, ``long_term``), reported on periodically;
- both, e.g. “立行立改并长期坚持”: the short deadline, and ``long_term``.

Anything else raises ValueError (the caller names the cell).
"""
from __future__ import annotations

import calendar as _cal
import re
from dataclasses import dataclass
from datetime import date

from workflow.problems.excel_sheet import parse_cell_date

IMMEDIATE = ("立行立改", "立即整改", "立查立改", "即知即改")
LONG_TERM = ("长期坚持", "长期", "持续推进", "常态化")
DEFAULT_IMMEDIATE_DAYS = 5

_TAIL = re.compile(r"(之前|以前|前|止|完成|内完成|整改完毕|为止)+$")
_MONTH_END = re.compile(r"^(?:(\d{4})年)?(\d{1,2})月(?:底|末|份|)$")
_YEAR_END = re.compile(r"^(?:(\d{4})年)?(?:年底|年末|年内|底)$")
_HALF = re.compile(r"^(?:(\d{4})年)?(上|下)半年(?:底|末)?$")
_QUARTER = re.compile(r"^(?:(\d{4})年)?(?:第)?([一二三四1-4])季度(?:末|底)?$")
_QUARTERS = {"一": 1, "二": 2, "三": 3, "四": 4, "1": 1, "2": 2, "3": 3, "4": 4}


@dataclass(frozen=True)
class DeadlineText:
    deadline: date | None
    immediate: bool = False
    long_term: bool = False
    text: str = ""

    @property
    def label(self) -> str:
        parts = (["立行立改"] if self.immediate else []) + (["长期坚持"] if self.long_term else [])
        return "并".join(parts)


def _month_end(year: int, month: int) -> date:
    return date(year, month, _cal.monthrange(year, month)[1])


def _year_of(given: str | None, month: int, reference: date) -> int:
    if given:
        return int(given)
    return reference.year + (1 if month < reference.month else 0)


def _period_end(text: str, reference: date) -> date | None:
    if m := _MONTH_END.match(text):
        month = int(m[2])
        if not 1 <= month <= 12:
            raise ValueError(text)
        return _month_end(_year_of(m[1], month, reference), month)
    if m := _YEAR_END.match(text):
        return date(int(m[1]) if m[1] else reference.year, 12, 31)
    if m := _HALF.match(text):
        month = 6 if m[2] == "上" else 12
        return _month_end(_year_of(m[1], month, reference), month)
    if m := _QUARTER.match(text):
        month = 3 * _QUARTERS[m[2]]
        return _month_end(_year_of(m[1], month, reference), month)
    return None


def parse_deadline(value, *, reference: date, calendar=None,
                   immediate_days: int = DEFAULT_IMMEDIATE_DAYS) -> DeadlineText:
    """Read one 整改时限 cell (see the module docstring); ValueError when not understood."""
    if not isinstance(value, str):
        return DeadlineText(parse_cell_date(value))  # a date cell: no text of its own
    original = value.strip()
    text = re.sub(r"\s+", "", original).translate(str.maketrans("（）", "()"))
    immediate = any(word in text for word in IMMEDIATE)
    long_term = any(word in text for word in LONG_TERM)
    if immediate or long_term:
        rest = text
        for word in (*IMMEDIATE, *LONG_TERM, "并", "、", "，", ",", "和", "且", "，"):
            rest = rest.replace(word, "")
        if rest.strip("()"):
            raise ValueError(original)
        deadline = None
        if immediate:
            if calendar is not None:
                deadline = calendar.add_working_days(reference, immediate_days)
            else:
                deadline = _add_weekdays(reference, immediate_days)
        return DeadlineText(deadline, immediate=immediate, long_term=long_term, text=original)
    text = _TAIL.sub("", text)
    if (end := _period_end(text, reference)) is not None:
        return DeadlineText(end, text=original)
    return DeadlineText(parse_cell_date(text), text=original)


def _add_weekdays(start: date, days: int) -> date:
    """Working days without a calendar (Monday to Friday); tests and previews only."""
    from datetime import timedelta

    current = start
    while days > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            days -= 1
    return current


__all__ = ["DeadlineText", "parse_deadline", "DEFAULT_IMMEDIATE_DAYS"]

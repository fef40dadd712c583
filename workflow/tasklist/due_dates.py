"""Find a completion date an item states ("6月底前完成", "9月30日前", "上半年完成").

Without one, the item is due on the plan year's last day.
"""

import calendar
import re
import unicodedata
from datetime import date

from workflow.tasklist.targets import chinese_int

_MONTH = r"([0-9]{1,2}|十[一二]?|[一二三四五六七八九])"
_DAY = r"([0-9]{1,2}|[一二三]?十[一二三四五六七八九]?|[一二三四五六七八九])"
_PATTERNS = (
    (re.compile(rf"{_MONTH}月(?:底|末|份)(?:前|之前)"), lambda y, m: _month_end(y, m)),
    (re.compile(rf"{_MONTH}月{_DAY}日(?:前|之前)"), lambda y, m, d: _safe_date(y, m, d)),
    (re.compile(r"上半年(?:底前|前|内)?完成|上半年底前"), lambda y: date(y, 6, 30)),
)


def _month_end(year: int, month: int | None) -> date | None:
    if month is None or not 1 <= month <= 12:
        return None
    return date(year, month, calendar.monthrange(year, month)[1])


def _safe_date(year: int, month: int | None, day: int | None) -> date | None:
    try:
        return date(year, month, day) if month and day else None
    except ValueError:
        return None


def find_deadline(text: str, year: int) -> date | None:
    """The latest completion date stated in ``text`` for ``year``, or None."""
    text = unicodedata.normalize("NFKC", text)
    found = []
    for pattern, to_date in _PATTERNS:
        for match in pattern.finditer(text):
            numbers = [chinese_int(g) for g in match.groups()]
            day = to_date(year, *numbers)
            if day is not None:
                found.append(day)
    return max(found) if found else None

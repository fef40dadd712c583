"""考核 figures of the domain brief §7, computed by aggregate SQL.

Every figure is a ``GROUP BY <scope>`` query over an index-restricted range of
cases (or audit events); nothing loops over cases in Python. A *window* is a
period (month ``2020-03``, quarter ``2020Q3``, year ``2020`` or a custom range)
and a cut-off date: the figures say what was known at the end of the cut-off
day (Asia/Shanghai). Cancelled cases (status ``cancelled``) are left out of
every figure. ``wend`` below is ``min(period end, cut-off)``.

Exact definitions (the same text is in the README, section 考核与台账):

- registered (挂号数): cases registered (``registered_at``) in [period start, wend].
- 整改率 ``rectification_rate`` = closed ÷ registered, closed = ``closed_at`` on or
  before the cut-off.
- 按期整改率 ``on_time_rate`` = on time ÷ due, due = registered cases whose
  *original* deadline falls in [period start, wend] (registered before the cut-off,
  whenever that was); on time = closed on or before the cut-off and on or before
  that deadline (the local date of ``closed_at``). ``on_time_rate_current`` is the
  same against the current (possibly extended) deadline, with its own due set.
- 逾期数 ``overdue_count``: registered cases not closed at the cut-off whose current
  deadline is before the cut-off date and not after the period end (cases still
  open from earlier periods stay counted until they are closed). Days overdue =
  cut-off − deadline, bucketed ``1-7``, ``8-30``, ``>30``.
- 重大隐患整改率 ``major_rectification_rate``: 整改率 of the grade ``major`` cases.
- 签收及时率 ``accept_on_time_rate`` = accepted in time ÷ (registered cases accepted
  by the cut-off, or whose acceptance limit had passed at the cut-off); the limit is
  ``ACCEPT_WORKING_DAYS`` working days after the local registration date (working
  calendar with holidays and 调休).
- 退回率 ``return_rate`` = ``return`` events ÷ ``report`` events whose time falls in
  [period start, wend], counted on the case's current department.
- 延期率 ``extension_rate`` = registered cases flagged ``extended`` ÷ registered.
- 平均整改时长 ``avg_days_to_close``: mean of (closed_at − registered_at) in days
  (fractional) over the closed registered cases.
- 目标任务完成率 ``task_completion_rate``: task cases (kind ``task``) registered
  by wend with an original deadline on or after the period start (the year's live
  tasks), closed by the cut-off ÷ those task cases.

Fractions are 0–1 and ``None`` when the denominator is 0. Figures read the cases'
current columns: a case closed before the cut-off and reopened after it, or a
department changed by a later transfer, shows its present state. Frozen
snapshots (``kpi_snapshots``) keep a period's figures as they were.
"""
from __future__ import annotations

import calendar as _calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Date, Float, Index, and_, case, exists, false, func, literal, or_, select, true
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import String

from workflow.core.audit import AuditEvent
from workflow.core.cases import Case
from workflow.org.models import Department
from workflow.platform.base import local_today
from workflow.platform.errors import InvalidInput
from workflow.platform.vocab import GRADES, KINDS, SOURCES

# Asia/Shanghai has had no daylight saving since 1991: local time is UTC+8.
LOCAL_OFFSET = timedelta(hours=8)
ONE_DAY = timedelta(days=1)

# Indexes the range conditions below use; declared here so the core models stay as they are.
Index("ix_cases_registered_at", Case.registered_at)
# closed_at leads; deadline rides along so "closed after the cut-off but due before it"
# is filtered inside the index instead of fetching every later closure from the heap
Index("ix_cases_closed_at_deadline", Case.closed_at, Case.deadline)
Index("ix_cases_deadline", Case.deadline)
Index("ix_cases_original_deadline", Case.original_deadline)
Index("ix_cases_open_deadline", Case.deadline, postgresql_where=Case.closed_at.is_(None),
      sqlite_where=Case.closed_at.is_(None))
# case_id included: the period's report/return events are read from the index alone
Index("ix_audit_events_action_at", AuditEvent.action, AuditEvent.at, AuditEvent.case_id)

SCOPES = {
    "district": ("全区", None),
    "department": ("部门", Case.department_id),
    "town": ("属地", Case.town),
    "source": ("问题来源", Case.source),
    "grade": ("隐患等级", Case.grade),
    "industry": ("行业领域", Case.industry),
    "kind": ("案件类别", Case.kind),
}
FIGURES = {
    "rectification_rate": "整改率",
    "on_time_rate": "按期整改率（原期限）",
    "on_time_rate_current": "按期整改率（现期限）",
    "overdue_count": "逾期数",
    "major_rectification_rate": "重大隐患整改率",
    "accept_on_time_rate": "签收及时率",
    "return_rate": "退回率",
    "extension_rate": "延期率",
    "avg_days_to_close": "平均整改时长（天）",
    "task_completion_rate": "目标任务完成率",
}
BUCKETS = ("1-7", "8-30", ">30")
BUCKET_LABELS = {"1-7": "逾期1–7天", "8-30": "逾期8–30天", ">30": "逾期30天以上"}
# figure names accepted by the drill-down besides FIGURES
DRILL_FIGURES = {**FIGURES, "overdue_1_7": "逾期1–7天", "overdue_8_30": "逾期8–30天",
                 "overdue_over_30": "逾期30天以上"}
NONE_LABEL = "（未填写）"


# --- SQL helpers ------------------------------------------------------------
class local_date(FunctionElement):
    """The Asia/Shanghai calendar date of a naive-UTC timestamp column."""

    type = Date()
    name = "local_date"
    inherit_cache = True


@compiles(local_date, "sqlite")
def _local_date_sqlite(element, compiler, **kw):
    return f"date({compiler.process(element.clauses, **kw)}, '+8 hours')"


@compiles(local_date)
def _local_date_pg(element, compiler, **kw):
    return f"CAST(({compiler.process(element.clauses, **kw)} + INTERVAL '8 hours') AS DATE)"


class local_month(FunctionElement):
    """``YYYY-MM`` of a naive-UTC timestamp in Asia/Shanghai."""

    type = String()
    name = "local_month"
    inherit_cache = True


@compiles(local_month, "sqlite")
def _local_month_sqlite(element, compiler, **kw):
    return f"strftime('%Y-%m', {compiler.process(element.clauses, **kw)}, '+8 hours')"


@compiles(local_month)
def _local_month_pg(element, compiler, **kw):
    return f"to_char({compiler.process(element.clauses, **kw)} + INTERVAL '8 hours', 'YYYY-MM')"


class days_between(FunctionElement):
    """Fractional days from the first timestamp to the second."""

    type = Float()
    name = "days_between"
    inherit_cache = True


@compiles(days_between, "sqlite")
def _days_sqlite(element, compiler, **kw):
    a, b = list(element.clauses)
    return f"(julianday({compiler.process(b, **kw)}) - julianday({compiler.process(a, **kw)}))"


@compiles(days_between)
def _days_pg(element, compiler, **kw):
    a, b = list(element.clauses)
    return (f"(EXTRACT(EPOCH FROM ({compiler.process(b, **kw)} - {compiler.process(a, **kw)}))"
            f" / 86400.0)")


def utc_start(d: date) -> datetime:
    """The naive-UTC instant at which local day ``d`` begins."""
    return datetime(d.year, d.month, d.day) - LOCAL_OFFSET


# --- periods ----------------------------------------------------------------
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


# --- conditions ---------------------------------------------------------------
NOT_CANCELLED = Case.status != "cancelled"


def _closed_by(w: Window):
    return and_(Case.closed_at.isnot(None), Case.closed_at < w.cutoff_utc)


def _registered_in(w: Window):
    return and_(Case.registered_at >= w.start_utc, Case.registered_at < w.wend_utc, NOT_CANCELLED)


def _due(w: Window, column):
    return and_(column >= w.period.start, column <= w.wend, Case.registered_at < w.cutoff_utc,
                NOT_CANCELLED)


def _on_time(w: Window, column):
    return and_(_closed_by(w), local_date(Case.closed_at) <= column)


def _overdue(w: Window):
    last = min(w.cutoff - ONE_DAY, w.period.end)
    return and_(Case.deadline <= last, Case.registered_at < w.cutoff_utc, NOT_CANCELLED)


def _bucket_conditions(w: Window) -> dict:
    c = w.cutoff
    return {"1-7": Case.deadline >= c - timedelta(days=7),
            "8-30": and_(Case.deadline >= c - timedelta(days=30), Case.deadline <= c - timedelta(days=8)),
            ">30": Case.deadline < c - timedelta(days=30)}


def accept_limit(w: Window, calendar) -> object:
    """SQL giving, per case, the first instant after its acceptance limit.

    The limit is N working days after the local registration date. Dates of the
    window with the same limit are merged into ranges and looked up through a
    balanced nest of CASE expressions (log2 of the ranges per row), so the cost
    stays constant per case however long the period.
    """
    ranges: list[tuple[datetime, datetime]] = []  # (registered_at lower bound, limit)
    d = w.period.start
    while d <= w.wend:
        limit = utc_start(calendar.add_working_days(d, w.accept_working_days) + ONE_DAY)
        if ranges and ranges[-1][1] == limit:
            pass
        else:
            ranges.append((utc_start(d), limit))
        d += ONE_DAY

    def build(lo: int, hi: int):
        if lo == hi:
            return literal(ranges[lo][1])
        mid = (lo + hi + 1) // 2
        return case((Case.registered_at < ranges[mid][0], build(lo, mid - 1)),
                    else_=build(mid, hi))

    return build(0, len(ranges) - 1)


def _accepted_by(w: Window):
    return and_(Case.accepted_at.isnot(None), Case.accepted_at < w.cutoff_utc)


def _accept_due(w: Window, limit):
    return or_(_accepted_by(w), limit <= utc_start(w.cutoff))


def _accept_ok(w: Window, limit):
    return and_(_accepted_by(w), Case.accepted_at < limit)


def _task_pop(w: Window):
    return and_(Case.kind == "task", Case.registered_at < w.wend_utc,
                Case.original_deadline >= w.period.start, NOT_CANCELLED)


def _events_in(w: Window, action: str):
    return exists().where(AuditEvent.case_id == Case.id, AuditEvent.action == action,
                          AuditEvent.at >= w.start_utc, AuditEvent.at < w.wend_utc)


def _n(cond):
    return func.coalesce(func.sum(case((cond, 1), else_=0)), 0)


# --- aggregation ----------------------------------------------------------------
def _key_column(scope: str):
    if scope not in SCOPES:
        raise InvalidInput(f"scope 须为：{', '.join(SCOPES)}", field="scope")
    col = SCOPES[scope][1]
    return literal("all") if col is None else col


def _grouped(stmt, scope: str, key):
    return stmt if SCOPES[scope][1] is None else stmt.group_by(key)


def _rate(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


def compute(session: Session, scope: str, w: Window, *, restrict=None,
            calendar=None) -> list[dict]:
    """One row of figures per value of ``scope`` (see the module docstring)."""
    from workflow.core.workdays import calendar_for

    calendar = calendar or calendar_for(session)
    key = _key_column(scope)
    extra = [restrict] if restrict is not None else []
    rows: dict = {}

    def row(k):
        if k not in rows:
            rows[k] = _empty_row()
        return rows[k]

    limit = accept_limit(w, calendar)
    closed = _closed_by(w)
    stmt = select(key, func.count(), _n(closed), _n(Case.grade == "major"),
                  _n(and_(Case.grade == "major", closed)), _n(Case.extended.is_(True)),
                  func.sum(case((closed, days_between(Case.registered_at, Case.closed_at)))),
                  _n(_accept_due(w, limit)), _n(_accept_ok(w, limit))
                  ).where(_registered_in(w), *extra)
    for k, n, c, maj, majc, ext, days, adue, aok in session.execute(_grouped(stmt, scope, key)):
        r = row(k)
        r.update(registered=n, closed=c, major_registered=maj, major_closed=majc, extended=ext,
                 accept_due=adue, accepted_on_time=aok,
                 avg_days_to_close=round(float(days) / c, 2) if c and days is not None else None)

    for column, due_key, ok_key in ((Case.original_deadline, "due", "on_time"),
                                    (Case.deadline, "due_current", "on_time_current")):
        stmt = select(key, func.count(), _n(_on_time(w, column))).where(_due(w, column), *extra)
        for k, n, ok in session.execute(_grouped(stmt, scope, key)):
            row(k).update({due_key: n, ok_key: ok})

    # Overdue: open cases through the partial index, plus those closed after the cut-off.
    buckets = _bucket_conditions(w)
    for open_cond in (Case.closed_at.is_(None), Case.closed_at >= w.cutoff_utc):
        stmt = select(key, *[_n(c) for c in buckets.values()]).where(_overdue(w), open_cond,
                                                                      *extra)
        for k, *counts in session.execute(_grouped(stmt, scope, key)):
            r = row(k)
            for name, n in zip(buckets, counts):
                r["overdue_buckets"][name] += n

    # Events are few per period; their case's scope and status are read by primary key
    # (scalar subqueries) so the planner cannot pick a hash join over the whole case table.
    def of_case(expr):
        return select(expr).where(Case.id == AuditEvent.case_id).scalar_subquery()

    ev = (select(AuditEvent.action.label("action"), of_case(key).label("k"),
                 of_case(Case.status).label("st"),
                 *([of_case(case((restrict, 1), else_=0)).label("r")] if extra else []))
          .where(AuditEvent.action.in_(("report", "return")), AuditEvent.at >= w.start_utc,
                 AuditEvent.at < w.wend_utc).subquery())
    stmt = select(ev.c.k, _n(ev.c.action == "report"), _n(ev.c.action == "return")).where(
        ev.c.st != "cancelled", *([ev.c.r == 1] if extra else [])).group_by(ev.c.k)
    for k, reports, returns in session.execute(stmt):
        row(k).update(reports=reports, returns=returns)

    stmt = select(key, func.count(), _n(closed)).where(_task_pop(w), *extra)
    for k, n, c in session.execute(_grouped(stmt, scope, key)):
        row(k).update(tasks=n, tasks_closed=c)

    if scope == "department":
        # every working unit gets a row, even one without cases in the period
        depts = session.execute(select(Department.id, Department.name, Department.kind,
                                       Department.active)).all()
        names = {d.id: d.name for d in depts}
        if restrict is None:
            for d in depts:
                if d.active and d.kind != "office":
                    row(d.id)
    items = []
    for k, r in rows.items():
        _finish(r)
        if scope == "department":
            r = {"department_id": k, "department": names.get(k, NONE_LABEL) if k else NONE_LABEL,
                 **r}
        items.append({"key": k, "label": scope_label(scope, k, names if scope == "department"
                                                     else None), **r})
    items.sort(key=lambda r: (r["key"] is None, str(r["label"])))
    return items


def empty_department_row(dept_id: int, name: str) -> dict:
    """The figures of a department without any case in the window."""
    r = _empty_row()
    _finish(r)
    return {"key": dept_id, "label": name, "department_id": dept_id, "department": name, **r}


def _empty_row() -> dict:
    return {"registered": 0, "closed": 0, "due": 0, "on_time": 0, "due_current": 0,
            "on_time_current": 0, "major_registered": 0, "major_closed": 0, "extended": 0,
            "accept_due": 0, "accepted_on_time": 0, "reports": 0, "returns": 0, "tasks": 0,
            "tasks_closed": 0, "avg_days_to_close": None,
            "overdue_buckets": {b: 0 for b in BUCKETS}}


def _finish(r: dict) -> None:
    r["rectification_rate"] = _rate(r["closed"], r["registered"])
    r["on_time_rate"] = _rate(r["on_time"], r["due"])
    r["on_time_rate_current"] = _rate(r["on_time_current"], r["due_current"])
    r["overdue_count"] = sum(r["overdue_buckets"].values())
    r["major_rectification_rate"] = _rate(r["major_closed"], r["major_registered"])
    r["accept_on_time_rate"] = _rate(r["accepted_on_time"], r["accept_due"])
    r["return_rate"] = _rate(r["returns"], r["reports"])
    r["extension_rate"] = _rate(r["extended"], r["registered"])
    r["task_completion_rate"] = _rate(r["tasks_closed"], r["tasks"])


def scope_label(scope: str, key, dept_names: dict | None = None) -> str:
    if scope == "district":
        return "全区"
    if key in (None, ""):
        return NONE_LABEL
    if scope == "department":
        return (dept_names or {}).get(key, str(key))
    if scope == "source":
        return SOURCES[key][0] if key in SOURCES else key
    if scope == "grade":
        return GRADES.get(key, key)
    if scope == "kind":
        return KINDS.get(key, key)
    return str(key)


# --- drill-down -------------------------------------------------------------------
def figure_cases(session: Session, figure: str, scope: str, key, w: Window, *, restrict=None,
                 calendar=None, limit: int = 1000) -> list[tuple[int, bool]]:
    """The cases behind one figure of one scope row: ``(case_id, counted)`` pairs.

    ``counted`` says whether the case is in the numerator (closed, on time, accepted
    in time, returned, extended …); the list itself is the denominator. For the
    overdue counts every listed case is counted.
    """
    from workflow.core.workdays import calendar_for

    if figure not in DRILL_FIGURES:
        raise InvalidInput(f"figure 须为：{', '.join(DRILL_FIGURES)}", field="figure")
    col = _key_column(scope)
    conds = [restrict] if restrict is not None else []
    if SCOPES[scope][1] is not None:
        conds.append(col.is_(None) if key in (None, "") else col == key)
    closed = _closed_by(w)
    if figure in ("rectification_rate", "extension_rate", "avg_days_to_close",
                  "major_rectification_rate"):
        conds.append(_registered_in(w))
        counted = {"extension_rate": Case.extended.is_(True)}.get(figure, closed)
        if figure == "major_rectification_rate":
            conds.append(Case.grade == "major")
        if figure == "avg_days_to_close":
            conds.append(closed)
    elif figure in ("on_time_rate", "on_time_rate_current"):
        column = Case.original_deadline if figure == "on_time_rate" else Case.deadline
        conds.append(_due(w, column))
        counted = _on_time(w, column)
    elif figure == "accept_on_time_rate":
        lim = accept_limit(w, calendar or calendar_for(session))
        conds += [_registered_in(w), _accept_due(w, lim)]
        counted = _accept_ok(w, lim)
    elif figure.startswith("overdue"):
        bucket = {"overdue_1_7": "1-7", "overdue_8_30": "8-30", "overdue_over_30": ">30"}.get(figure)
        conds += [_overdue(w), or_(Case.closed_at.is_(None), Case.closed_at >= w.cutoff_utc)]
        if bucket:
            conds.append(_bucket_conditions(w)[bucket])
        counted = true()
    elif figure == "return_rate":
        conds += [NOT_CANCELLED, or_(_events_in(w, "report"), _events_in(w, "return"))]
        counted = _events_in(w, "return")
    else:  # task_completion_rate
        conds.append(_task_pop(w))
        counted = closed
    stmt = (select(Case.id, case((counted, true()), else_=false())).where(*conds)
            .order_by(Case.id).limit(limit))
    return [(cid, bool(flag)) for cid, flag in session.execute(stmt)]


# --- trend ------------------------------------------------------------------------
def monthly_trend(session: Session, w: Window, *, restrict=None) -> list[dict]:
    """Registered and closed (by the cut-off) per month of registration in the window."""
    month = local_month(Case.registered_at)
    closed = _closed_by(w)
    stmt = (select(month, func.count(), _n(closed)).where(_registered_in(w))
            .group_by(month).order_by(month))
    if restrict is not None:
        stmt = stmt.where(restrict)
    found = {m: (n, c) for m, n, c in session.execute(stmt)}
    out = []
    y, m = w.period.start.year, w.period.start.month
    while date(y, m, 1) <= w.wend:
        key = f"{y:04d}-{m:02d}"
        n, c = found.get(key, (0, 0))
        out.append({"month": key, "label": f"{m}月" if w.period.start.year == w.wend.year
                    else f"{y}年{m}月", "registered": n, "closed": c,
                    "rectification_rate": _rate(c, n)})
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


# --- ranking (季度点评 / 年度考核) --------------------------------------------------
DEFAULT_WEIGHTS = {"rectification_rate": 30, "on_time_rate": 25, "major_rectification_rate": 15,
                   "accept_on_time_rate": 10, "return_rate": 10, "extension_rate": 5,
                   "task_completion_rate": 5}
LOWER_IS_BETTER = frozenset({"return_rate", "extension_rate"})


def check_weights(weights: dict) -> dict:
    bad = [k for k in weights if k not in FIGURES or k in ("overdue_count", "avg_days_to_close")]
    if bad:
        raise ValueError(f"KPI_WEIGHTS: figures that cannot be weighted: {', '.join(bad)}")
    return {k: float(v) for k, v in weights.items() if float(v) > 0}


def rank(items: list[dict], weights: dict | None = None) -> list[dict]:
    """Score each department row 0–100 and rank them (best first).

    Score = Σ weight × value ÷ Σ weight over the weighted figures that have a
    value for the row (a department without major hazards is not marked down for
    it); lower-is-better figures (退回率, 延期率) count as 1 − value. Rows with no
    figure at all get no score and come last. Ties share a rank.
    """
    weights = check_weights(weights or DEFAULT_WEIGHTS)
    scored = []
    for item in items:
        total = wsum = 0.0
        parts = {}
        for fig, weight in weights.items():
            value = item.get(fig)
            if value is None:
                continue
            v = 1 - value if fig in LOWER_IS_BETTER else value
            parts[fig] = round(weight * v, 2)
            total += weight * v
            wsum += weight
        score = round(100 * total / wsum, 2) if wsum else None
        scored.append({**item, "score": score, "score_parts": parts})
    scored.sort(key=lambda r: (r["score"] is None, -(r["score"] or 0), str(r.get("label"))))
    prev, rank_no = None, 0
    for i, r in enumerate(scored, 1):
        if r["score"] is None:
            r["rank"] = None
            continue
        if r["score"] != prev:
            rank_no, prev = i, r["score"]
        r["rank"] = rank_no
    return scored


# --- who may read the figures ---------------------------------------------------------
KPI_ROLES = frozenset({"office_staff", "office_director", "leader", "auditor"})


def kpi_restriction(user, scope: str = "department", *, ranking: bool = False):
    """The WHERE clause limiting ``user``'s figures (None: the whole district), or 403.

    The 区安委办, leaders and auditors read every row. Department users read their
    own department's row only (scope ``department``); the ranking, which compares
    departments, stays with the former. Inspectors and administrators get 403.
    """
    from workflow.org.roles import DEPARTMENT_ROLES, ROLE_LABELS
    from workflow.platform.errors import Forbidden

    if user.role in KPI_ROLES:
        return None
    names = "、".join(ROLE_LABELS[r] for r in sorted(KPI_ROLES))
    if user.role in DEPARTMENT_ROLES and user.department_id is not None and not ranking:
        if scope != "department":
            raise Forbidden("部门用户只能查看本部门的考核数据（scope=department）",
                            needed_roles=sorted(KPI_ROLES), rules=["department_scope"])
        return Case.department_id == user.department_id
    raise Forbidden(f"考核数据须由{names}查看（当前角色：{user.role_label}）",
                    needed_roles=sorted(KPI_ROLES), rules=["role_required"])

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
- 重大事故隐患整改率 ``major_rectification_rate``: 整改率 of the grade ``major`` cases.
- 签收及时率 ``accept_on_time_rate`` = accepted in time ÷ (registered cases accepted
  by the cut-off, or whose acceptance limit had passed at the cut-off); the limit is
  ``ACCEPT_WORKING_DAYS`` working days after the local registration date (working
  calendar with holidays and 调休).
- 退回率 ``return_rate`` = ``return`` events ÷ ``report`` events whose time falls in
  [period start, wend], counted on the case's current department.
- 延期率 ``extension_rate`` = registered cases flagged ``extended`` ÷ registered.
- 平均整改时长 ``avg_days_to_close``: mean of (closed_at − registered_at) in days
  (fractional) over the closed registered cases.
- 不属实 ``dismissed``: 举报 registered in the period and closed as 经核实不属实
  (trigger ``dismiss``). They are counted here only: like cancelled
  cases they are left out of every other figure (a complaint found untrue is not a
  hazard, so it neither raises nor lowers the 整改率).
- 目标任务完成率 ``task_completion_rate``: task cases (kind ``task``) registered
  by wend with an original deadline on or after the period start (the year's live
  tasks), closed by the cut-off ÷ those task cases.
- 长期坚持 ``long_term``: cases registered in the period marked 长期坚持 (alone, or after a
  立行立改 deadline); ``long_term_open_ended`` those of them without an end date. Those are
  counted here only: like 不属实 they are left out of every figure built on registrations
  (no deadline to meet); a 立行立改并长期坚持 case counts in both, its 立行立改 deadline as any.

Fractions are 0–1 and ``None`` when the denominator is 0. Figures read the cases'
current columns: a case closed before the cut-off and reopened after it, or a
department changed by a later transfer, shows its present state. Frozen
snapshots (``kpi_snapshots``) keep a period's figures as they were.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal, localcontext

from sqlalchemy import String, and_, case, cast, func, literal, select, union_all
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql import visitors
from sqlalchemy.sql.elements import ColumnClause
from sqlalchemy.sql.util import ClauseAdapter

from workflow.assessment.conditions import (
    COUNTED_REGISTRATION,
    DISMISSED,
    LONG_TERM,
    accept_due,
    accept_limit,
    accept_ok,
    bucket_conditions,
    closed_by,
    due,
    on_time,
    open_at_cutoff,
    overdue,
    registered_in,
    registered_range,
    task_pop,
)
from workflow.assessment.periods import Window
from workflow.core.audit import AuditEvent
from workflow.core.cases import Case
from workflow.core.policy import FIGURE_READERS, figures_refusal, unit_figures_refusal
from workflow.core.workdays import calendar_for
from workflow.org.models import Department
from workflow.platform.errors import InvalidInput, NotFound
from workflow.platform.sqltime import days_between, utc_start
from workflow.platform.vocab import (
    CLUE_TYPES,
    GRADES,
    HAZARD_CATEGORIES,
    KINDS,
    RECTIFICATION_TYPES,
    SOURCES,
)

SCOPES = {
    "district": ("全区", None),
    "department": ("部门", Case.department_id),
    "town": ("属地", Case.town),
    "source": ("问题来源", Case.source),
    "grade": ("隐患等级", Case.grade),
    "industry": ("行业领域", Case.industry),
    "kind": ("事项类别", Case.kind),
    # 属地 + 行业: the same figures cut by the 属地 unit (department is the 行业 side)
    "territorial_unit": ("属地单位", Case.territorial_unit_id),
    # the full 台账's categories
    "clue_type": ("线索类别", Case.clue_type),
    "hazard_category": ("隐患类别", Case.hazard_category),
    "rectification_type": ("整改类型", Case.rectification_type),
}
REGISTER_SCOPE_LABELS = {"clue_type": CLUE_TYPES, "hazard_category": HAZARD_CATEGORIES,
                         "rectification_type": RECTIFICATION_TYPES}
# scopes keyed by a unit: a delegated child case is its own unit's row; in every other
# scope it is the same matter as its parent and is not counted twice
UNIT_SCOPES = ("department", "territorial_unit")
FIGURES = {
    "rectification_rate": "整改率",
    "on_time_rate": "按期整改率（原期限）",
    "on_time_rate_current": "按期整改率（现期限）",
    "overdue_count": "逾期数",
    "major_rectification_rate": "重大事故隐患整改率",
    "accept_on_time_rate": "签收及时率",
    "return_rate": "退回率",
    "extension_rate": "延期率",
    "avg_days_to_close": "平均整改时长（天）",
    "task_completion_rate": "目标任务完成率",
}
BUCKETS = ("1-7", "8-30", ">30")
BUCKET_LABELS = {"1-7": "逾期1–7天", "8-30": "逾期8–30天", ">30": "逾期30天以上"}
NONE_LABEL = "（未填写）"


def case_columns(*exprs) -> list:
    """The columns of ``cases`` that the SQL expressions ``exprs`` read (in name order)."""
    table = Case.__table__
    names = set()
    for expr in exprs:
        clause = getattr(expr, "__clause_element__", None)  # an ORM attribute
        for element in visitors.iterate(clause() if clause else expr):
            if isinstance(element, ColumnClause) and getattr(element, "table", None) is table:
                names.add(element.name)
    return [table.c[name] for name in sorted(names)]


def _n(cond):
    return func.coalesce(func.sum(case((cond, 1), else_=0)), 0)


# --- aggregation ----------------------------------------------------------------
def key_column(scope: str):
    if scope not in SCOPES:
        raise InvalidInput(f"scope 须为：{', '.join(SCOPES)}", field="scope")
    col = SCOPES[scope][1]
    return literal("all") if col is None else col


def parse_scope(text: str | None) -> str:
    """The scope named by ``text``; ``department`` when none is given."""
    scope = text or "department"
    if scope not in SCOPES:
        raise InvalidInput(f"scope 须为：{', '.join(SCOPES)}", field="scope")
    return scope


def _rate(num: int, den: int) -> float | None:
    return round(num / den, 4) if den else None


def compute(session: Session, scope: str, w: Window, *, restrict=None,
            calendar=None, key=None) -> list[dict]:
    """One row of figures per value of ``scope`` (see the module docstring); ``key`` replaces
    the scope's column by another grouping expression (the 属地 roll-up's)."""
    return _compute(session, scope, w, restrict=restrict, calendar=calendar, key=key)[0]


def compute_with_district(session: Session, w: Window, *, restrict=None,
                          calendar=None) -> tuple[list[dict], dict]:
    """The department rows and the district (全区) row of ``w``, from one pass.

    The same as ``compute(…, "department", …)`` and ``compute(…, "district", …)[0]``:
    every query of the department table also groups by whether the case is a root case (no
    parent); a department's row adds up both groups, the district row the root groups of
    every department (the cases without a department included), as the district scope
    counts a delegated child case once, as its parent. Every figure is a count or a sum, so
    the totals are those of the separate pass (the fractional days to close are exact
    numerics on PostgreSQL; on SQLite they are floats, summed in another order).
    """
    items, district = _compute(session, "department", w, restrict=restrict,
                               calendar=calendar, with_district=True)
    return items, district


# whether a case is a root case (not a delegated child): the district scope counts those only
_ROOT = case((Case.parent_case_id.is_(None), 1), else_=0)


def _compute(session: Session, scope: str, w: Window, *, restrict=None, calendar=None,
             key=None, with_district: bool = False) -> tuple[list[dict], dict | None]:
    """``compute``'s rows and, ``with_district``, the district row summed from the same
    queries (each then also grouped by ``_ROOT``)."""
    calendar = calendar or calendar_for(session)
    key = key_column(scope) if key is None else key
    extra = [restrict] if restrict is not None else []
    if scope not in UNIT_SCOPES:
        extra.append(Case.parent_case_id.is_(None))
        restrict = and_(*extra)
    rows: dict = {}
    district = _empty_row() if with_district else None
    days_to_close: dict = {}  # key -> sum of the days to close (fractional), None when none
    district_days = None

    def row(k):
        if k not in rows:
            rows[k] = _empty_row()
        return rows[k]

    def add(k, root, buckets=None, **counts):
        """Add ``counts`` (and the overdue ``buckets``' counts) to the row of ``k`` (made if
        new) and, for a group of root cases, to the district row."""
        for target in (row(k), district if root else None):
            if target is not None:
                for name, n in counts.items():
                    target[name] += n
                for name, n in (buckets or {}).items():
                    target["overdue_buckets"][name] += n

    def grouped(stmt, k, root=_ROOT, always=False):
        """The rows of ``stmt`` as (key, root, *values): grouped by ``k`` (the district scope
        is not, unless ``always``) and, with the district row, by ``root`` (the expression
        ``_ROOT``, or what stands for it in a subquery) too; root is 0 without it."""
        if with_district:
            return [(r[0], r[-1], *r[1:-1]) for r in
                    session.execute(stmt.add_columns(root).group_by(k, root))]
        if always or SCOPES[scope][1] is not None:
            stmt = stmt.group_by(k)
        return [(r[0], 0, *r[1:]) for r in session.execute(stmt)]

    limit = accept_limit(w, calendar)
    closed = closed_by(w)
    # One pass over the cases registered in the window: the registration figures, 不属实 and
    # 长期坚持 are conditional counts of the same rows (a group whose counts are all 0 makes no
    # row, as a group a separate query would not have found). The conditions below leave out
    # the registration range, which the WHERE clause already holds for every row.
    reg = COUNTED_REGISTRATION
    stmt = select(key, _n(reg), _n(and_(reg, closed)), _n(and_(reg, Case.grade == "major")),
                  _n(and_(reg, Case.grade == "major", closed)),
                  _n(and_(reg, Case.extended.is_(True))),
                  func.sum(case((and_(reg, closed),
                                 days_between(Case.registered_at, Case.closed_at)))),
                  _n(and_(reg, accept_due(w, limit))), _n(and_(reg, accept_ok(w, limit))),
                  _n(DISMISSED), _n(LONG_TERM), _n(and_(LONG_TERM, Case.deadline.is_(None)))
                  ).where(registered_range(w), Case.status != "cancelled", *extra)
    for (k, root, n, c, maj, majc, ext, days, adue, aok, dismissed, long_term,
         open_ended) in grouped(stmt, key):
        if n:
            add(k, root, registered=n, closed=c, major_registered=maj, major_closed=majc,
                extended=ext, accept_due=adue, accepted_on_time=aok)
            if days is not None:
                days_to_close[k] = _plus(days_to_close.get(k), days)
                if root:
                    district_days = _plus(district_days, days)
        if dismissed:
            add(k, root, dismissed=dismissed)
        if long_term:
            add(k, root, long_term=long_term, long_term_open_ended=open_ended)

    # One query per deadline, each a range of its own index: as one pass over the two OR-ed
    # ranges the planner can misjudge the union and read every case registered before the
    # cut-off instead
    for column, due_key, ok_key in ((Case.original_deadline, "due", "on_time"),
                                    (Case.deadline, "due_current", "on_time_current")):
        stmt = select(key, func.count(), _n(on_time(w, column))).where(due(w, column), *extra)
        for k, root, n, ok in grouped(stmt, key):
            add(k, root, **{due_key: n, ok_key: ok})

    # Overdue: open cases through the partial index, plus those closed after the cut-off.
    buckets = bucket_conditions(w)
    postgres = session.get_bind().dialect.name == "postgresql"
    if postgres:
        # First the cases open at the cut-off, through the GiST index and nothing else (a
        # subquery kept apart by OFFSET 0: the planner cannot trade it for a range over every
        # earlier deadline, nor push the conditions below into it), then the overdue
        # conditions on those rows only, as they stream by (nothing materialised). The
        # subquery carries just the columns the scope key, the restriction and the
        # conditions read (one missing would make the planner join the whole case table back in).
        needed = case_columns(key, overdue(w), *buckets.values(), *extra,
                              *([_ROOT] if with_district else []))
        opened = (select(*needed).where(open_at_cutoff(w)).offset(0)
                  .subquery("open_at_cutoff"))
        adapter = ClauseAdapter(opened)

        def on_open(expr):
            clause = getattr(expr, "__clause_element__", None)  # an ORM attribute
            return adapter.traverse(clause() if clause else expr)
        stmts = [(select(on_open(key), *[_n(on_open(c)) for c in buckets.values()])
                  .select_from(opened).where(on_open(overdue(w)), *[on_open(e) for e in extra]),
                  on_open(_ROOT))]
    else:
        stmts = [(select(key, *[_n(c) for c in buckets.values()]).where(overdue(w), open_cond,
                                                                         *extra), _ROOT)
                 for open_cond in (Case.closed_at.is_(None), Case.closed_at >= w.cutoff_utc)]
    for stmt, root_expr in stmts:
        for k, root, *counts in grouped(stmt, stmt.selected_columns[0], root_expr):
            add(k, root, buckets=dict(zip(buckets, counts)))

    # Events are few per period; their case's scope and status are read by primary key.
    in_period = (AuditEvent.action.in_(("report", "return")), AuditEvent.at >= w.start_utc,
                 AuditEvent.at < w.wend_utc)
    if postgres:
        # A plain join (the subquery is merged into the statement): the planner probes each
        # event's case through the covering index ix_cases_figure_keys (department, status,
        # kind, parent), a nested loop it picks from the events' estimate (a quarter at
        # 1,000,000 cases, ~32,000 events: 37 ms against 49 through a LATERAL subquery kept
        # apart by OFFSET 0, whose Limit and Subquery Scan nodes ran once per event; a year's
        # ~128,000 events: 105 ms against 185, the probes then split among parallel workers)
        ev = (select(AuditEvent.action.label("action"), key.label("k"),
                     Case.status.label("st"), Case.kind.label("knd"),
                     *([case((restrict, 1), else_=0).label("r")] if extra else []),
                     *([_ROOT.label("root")] if with_district else []))
              .select_from(AuditEvent).join(Case, Case.id == AuditEvent.case_id)
              .where(*in_period).subquery())
    else:
        # scalar subqueries by primary key: SQLite could otherwise loop over the cases and
        # look up their events
        def of_case(expr):
            return select(expr).where(Case.id == AuditEvent.case_id).scalar_subquery()

        ev = (select(AuditEvent.action.label("action"), of_case(key).label("k"),
                     of_case(Case.status).label("st"), of_case(Case.kind).label("knd"),
                     *([of_case(case((restrict, 1), else_=0)).label("r")] if extra else []),
                     *([of_case(_ROOT).label("root")] if with_district else []))
              .where(*in_period).subquery())
    stmt = select(ev.c.k, _n(ev.c.action == "report"), _n(ev.c.action == "return")).where(
        ev.c.st != "cancelled", ev.c.knd != "task", *([ev.c.r == 1] if extra else []))
    for k, root, reports, returns in grouped(stmt, ev.c.k, ev.c.root if with_district else None,
                                             always=True):
        add(k, root, reports=reports, returns=returns)

    stmt = select(key, func.count(), _n(closed)).where(task_pop(w), *extra)
    for k, root, n, c in grouped(stmt, key):
        add(k, root, tasks=n, tasks_closed=c)

    for k, days in days_to_close.items():
        rows[k]["avg_days_to_close"] = _mean_days(days, rows[k]["closed"])
    if scope in UNIT_SCOPES:
        # every working unit gets a row, even one without cases in the period
        depts = session.execute(select(Department.id, Department.name, Department.kind,
                                       Department.active)).all()
        names = {d.id: d.name for d in depts}
        if restrict is None and scope == "department":
            for d in depts:
                if d.active and d.kind != "office":
                    row(d.id)
    items = []
    for k, r in rows.items():
        _finish(r)
        if scope == "department":
            r = {"department_id": k, "department": names.get(k, NONE_LABEL) if k else NONE_LABEL,
                 **r}
        items.append({"key": k, "label": scope_label(scope, k, names if scope in UNIT_SCOPES
                                                     else None), **r})
    items.sort(key=lambda r: (r["key"] is None, str(r["label"])))
    if district is None:
        return items, None
    district["avg_days_to_close"] = _mean_days(district_days, district["closed"])
    _finish(district)
    return items, {"key": "all", "label": scope_label("district", "all"), **district}


def _plus(total, days):
    """``total`` + ``days`` (either None: the other), exactly for PostgreSQL's numerics (the
    sum PostgreSQL would have made of the same rows; the default decimal context rounds to 28
    digits)."""
    if total is None:
        return days
    if isinstance(total, Decimal):
        with localcontext() as ctx:
            ctx.prec = 200
            return total + days
    return total + days


def _mean_days(days, closed: int) -> float | None:
    return round(float(days) / closed, 2) if closed and days is not None else None


def empty_department_row(dept_id: int, name: str) -> dict:
    """The figures of a department without any case in the window."""
    r = _empty_row()
    _finish(r)
    return {"key": dept_id, "label": name, "department_id": dept_id, "department": name, **r}


def _empty_row() -> dict:
    return {"registered": 0, "closed": 0, "due": 0, "on_time": 0, "due_current": 0,
            "on_time_current": 0, "major_registered": 0, "major_closed": 0, "extended": 0,
            "accept_due": 0, "accepted_on_time": 0, "reports": 0, "returns": 0, "tasks": 0,
            "tasks_closed": 0, "avg_days_to_close": None, "dismissed": 0,
            "long_term": 0, "long_term_open_ended": 0,
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
    if scope in UNIT_SCOPES:
        return (dept_names or {}).get(key, str(key))
    if scope == "source":
        return SOURCES[key][0] if key in SOURCES else key
    if scope == "grade":
        return GRADES.get(key, key)
    if scope == "kind":
        return KINDS.get(key, key)
    if scope in REGISTER_SCOPE_LABELS:
        return REGISTER_SCOPE_LABELS[scope].get(key, key)
    return str(key)


# --- trend ------------------------------------------------------------------------
def monthly_trend(session: Session, w: Window, *, restrict=None) -> list[dict]:
    """Registered and closed (by the cut-off) per month of registration in the window.

    One aggregate per month over that month's range of ``registered_at`` (the local month
    of a case is the range between the UTC starts of the month's and the next month's first
    day), glued with UNION ALL: no per-row month text to compute, group or sort.
    """
    closed = closed_by(w)
    months = []
    y, m = w.period.start.year, w.period.start.month
    while date(y, m, 1) <= w.wend:
        nxt = (y + 1, 1) if m == 12 else (y, m + 1)
        months.append((f"{y:04d}-{m:02d}", y, m, utc_start(date(*nxt, 1))))
        y, m = nxt
    parts = []
    lower = w.start_utc
    for key, _, _, upper in months:
        stmt = select(literal(key), func.count(), _n(closed)).where(
            registered_in(w), Case.registered_at >= lower, Case.registered_at < upper)
        if restrict is not None:
            stmt = stmt.where(restrict)
        parts.append(stmt)
        lower = upper
    found = {k: (n, c) for k, n, c in session.execute(union_all(*parts))} if parts else {}
    out = []
    for key, y, m, _ in months:
        n, c = found.get(key, (0, 0))
        out.append({"month": key, "label": f"{m}月" if w.period.start.year == w.wend.year
                    else f"{y}年{m}月", "registered": n, "closed": c,
                    "rectification_rate": _rate(c, n)})
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
def kpi_restriction(user, scope: str = "department", *, ranking: bool = False):
    """The WHERE clause limiting ``user``'s figures (None: the whole district), or 403.

    The 区安委办, leaders and auditors read every row. Department users read their
    own department's row only (scope ``department``); the ranking, which compares
    departments, stays with the former. Inspectors and administrators get 403.
    """
    if refusal := figures_refusal(user, scope, ranking=ranking):
        raise refusal
    if user.role in FIGURE_READERS:
        return None
    return Case.department_id == user.department_id


# --- 属地 roll-up: a town's figures include its villages and grids ---------------------------
def _anchor(case_alias):
    """The unit a case counts for in the roll-up: its 属地 unit, else its responsible unit."""
    return func.coalesce(case_alias.territorial_unit_id, case_alias.department_id)


def rollup_key():
    """``"<anchor>:<parent's anchor>"`` per case (the parent part empty unless delegated)."""
    parent = aliased(Case)
    parent_anchor = select(_anchor(parent)).where(parent.id == Case.parent_case_id) \
        .scalar_subquery()
    return (cast(_anchor(Case), String) + literal(":")
            + func.coalesce(cast(parent_anchor, String), literal("")))


def rollup(session: Session, user, w: Window, *, root_id: int | None = None) -> list[dict]:
    """One row per unit of the 属地 tree under ``root_id`` (every town when None), each
    rolled up over the units below it; ``depth`` 0 is the root (or a town).

    A case counts for its 属地 unit (or, without one, its responsible unit) and every unit
    above it; a delegated child whose parent counts in the same unit is the same matter and
    is counted once there (as the parent). The figures are computed once, grouped by the
    case's unit and its parent's, and summed up the tree here.
    """
    root = session.get(Department, root_id) if root_id is not None else None
    if root_id is not None and root is None:
        raise NotFound(f"单位 {root_id} 不存在")
    if refusal := unit_figures_refusal(user, root):
        raise refusal
    units = session.scalars(select(Department).where(Department.active.is_(True))
                            .order_by(Department.name)).all()
    below: dict = {}
    for u in units:
        below.setdefault(u.parent_id, []).append(u)
    roots = ([root] if root is not None
             else [u for u in units if u.kind == "town" and u.parent_id is None])
    groups = []
    for r in compute(session, "department", w, key=rollup_key(), calendar=calendar_for(session)):
        if not isinstance(r["key"], str):
            continue  # the empty rows compute() adds per department
        anchor, _, parent = r["key"].partition(":")
        groups.append((int(anchor), int(parent) if parent else None, r))
    out: list[dict] = []

    def tree_of(unit) -> set[int]:
        ids, todo = set(), [unit]
        while todo:
            u = todo.pop()
            if u.id not in ids:
                ids.add(u.id)
                todo.extend(below.get(u.id, []))
        return ids

    def walk(unit, depth):
        tree = tree_of(unit)
        rows = [r for anchor, parent, r in groups
                if anchor in tree and (parent is None or parent not in tree)]
        total = {k: sum(r[k] for r in rows) if isinstance(v, int) else v
                 for k, v in _empty_row().items()}
        total["overdue_buckets"] = {b: sum(r["overdue_buckets"][b] for r in rows)
                                    for b in BUCKETS}
        days = [(r["avg_days_to_close"], r["closed"]) for r in rows
                if r["avg_days_to_close"] is not None]
        total["avg_days_to_close"] = (round(sum(d * n for d, n in days)
                                            / sum(n for _, n in days), 2) if days else None)
        _finish(total)
        out.append({"unit_id": unit.id, "unit": unit.name, "kind": unit.kind,
                    "parent_id": unit.parent_id, "depth": depth, **total})
        for child in below.get(unit.id, []):
            walk(child, depth + 1)

    for top in roots:
        walk(top, 0)
    return out

"""The SQL conditions the 考核 figures are made of, and the indexes they run on.

Each function takes a window and returns a WHERE clause over ``cases`` (or
``audit_events``): which cases a figure counts (its denominator) and which of
them count in its favour (its numerator). The definitions are spelt out in the
docstring of ``workflow.assessment.figures``.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import DDL, DateTime, Index, and_, case, exists, func, literal, literal_column, or_
from sqlalchemy import event as sa_event

from workflow.assessment.periods import ONE_DAY, Window
from workflow.core.audit import AuditEvent
from workflow.core.cases import Case
from workflow.platform.sqltime import local_date, utc_start

# Indexes the range conditions below use; declared here so the core models stay as they are.
# On PostgreSQL the registration and deadline ranges carry what the figures read of each case
# (INCLUDE, migration 0022): the monthly trend (a year of registrations) and the 按期整改率
# counts by department and district are index-only scans, not a table fetch per case.
Index("ix_cases_registered_at", Case.registered_at,
      postgresql_include=["closed_at", "status", "dismissed_at", "long_term", "deadline", "kind",
                          "department_id"])
# closed_at leads; deadline rides along so "closed after the cut-off but due before it"
# is filtered inside the index instead of fetching every later closure from the heap
Index("ix_cases_closed_at_deadline", Case.closed_at, Case.deadline)
DEADLINE_INCLUDE = ["registered_at", "status", "dismissed_at", "kind", "closed_at",
                    "department_id", "parent_case_id"]
Index("ix_cases_deadline", Case.deadline, postgresql_include=DEADLINE_INCLUDE)
Index("ix_cases_original_deadline", Case.original_deadline, postgresql_include=DEADLINE_INCLUDE)
Index("ix_cases_open_deadline", Case.deadline, postgresql_where=Case.closed_at.is_(None),
      sqlite_where=Case.closed_at.is_(None))
# PostgreSQL: the time each case was open, [registered_at, closed_at) (open-ended while open;
# empty if a record says it closed before it was registered), GiST-indexed. "Open at the
# cut-off" is then one index probe that finds the cases open at that instant, however long
# the register's history; as two ranges (registered before, closed after) either side reads
# every case of the years before or after the cut-off. Migration 0018 creates it.
OPEN_SPAN = func.tsrange(Case.registered_at,
                         case((Case.closed_at < Case.registered_at, Case.registered_at),
                              else_=Case.closed_at),
                         literal_column("'[)'"))
OPEN_SPAN_INDEX = """
CREATE INDEX IF NOT EXISTS ix_cases_open_span ON cases USING gist (
    tsrange(registered_at,
            CASE WHEN closed_at < registered_at THEN registered_at ELSE closed_at END, '[)'))
"""
# PostgreSQL: what the figures read of a case found by its id (the period's report/return
# events probe their cases through it), so that a probe reads the index alone
FIGURE_KEYS_INDEX = """
CREATE INDEX IF NOT EXISTS ix_cases_figure_keys ON cases (id)
    INCLUDE (department_id, status, kind, parent_case_id)
"""
# DDL beside the table rather than an Index in the metadata: SQLite has no such index, and
# schema comparison cannot reflect expression indexes (nor INCLUDE columns) on it
for _ddl in (OPEN_SPAN_INDEX, FIGURE_KEYS_INDEX):
    sa_event.listen(Case.__table__, "after_create", DDL(_ddl).execute_if(dialect="postgresql"))
# indexes made by DDL, not declared in the metadata: name -> the dialect that has them
DDL_INDEXES = {"ix_cases_open_span": "postgresql", "ix_cases_figure_keys": "postgresql"}
# 目标任务完成率: the tasks (few) whose original deadline is on or after the period start; the
# registration time beside it skips the later registrations inside the index, and on
# PostgreSQL the columns the department and district figures read ride along (an index-only
# scan, which the planner prefers even when it overestimates the rows). Without it the
# planner reads every case of that deadline range, or every task ever registered.
TASK_INDEX_INCLUDE = ["closed_at", "status", "dismissed_at", "department_id", "parent_case_id"]
Index("ix_cases_task_deadline", Case.original_deadline, Case.registered_at,
      postgresql_where=Case.kind == "task", sqlite_where=Case.kind == "task",
      postgresql_include=TASK_INDEX_INCLUDE)
# case_id included: the period's report/return events are read from the index alone
Index("ix_audit_events_action_at", AuditEvent.action, AuditEvent.at, AuditEvent.case_id)


# Cancelled cases, and 举报 closed as 经核实不属实 (nothing to rectify), are no hazards to count
NOT_CANCELLED = and_(Case.status != "cancelled", Case.dismissed_at.is_(None))
# The hazard figures (整改率, 按期整改率, 逾期数, 签收及时率, 退回率 …) count problems only: a
# task of the 目标任务清单 is measured by its own figures (workflow.assessment.task_figures)
HAZARD = Case.kind != "task"


# 举报 closed as 经核实不属实
DISMISSED = and_(Case.status == "closed", Case.dismissed_at.isnot(None))


def dismissed_in(w: Window):
    """举报 registered in the window and closed as 不属实 (counted apart; like a
    cancellation, read from the case's current columns)."""
    return and_(registered_range(w), DISMISSED)


def closed_by(w: Window):
    return and_(Case.closed_at.isnot(None), Case.closed_at < w.cutoff_utc)


def registered_range(w: Window):
    """Registered in [period start, wend] (every status)."""
    return and_(Case.registered_at >= w.start_utc, Case.registered_at < w.wend_utc)


# 长期坚持 without an end date: no deadline to be on time for, nothing to 销号 by a date;
# counted apart (``long_term_in``) and left out of the figures built on registrations
NOT_OPEN_ENDED = or_(Case.long_term.is_(False), Case.deadline.isnot(None))
# a registration the figures built on registrations count (whatever its date)
COUNTED_REGISTRATION = and_(NOT_CANCELLED, NOT_OPEN_ENDED, HAZARD)
# 长期坚持 (alone or after 立行立改), counted apart
LONG_TERM = and_(NOT_CANCELLED, Case.long_term.is_(True))


def registered_in(w: Window):
    return and_(registered_range(w), COUNTED_REGISTRATION)


def long_term_in(w: Window):
    """Cases registered in the window that carry 长期坚持 (alone or after 立行立改)."""
    return and_(registered_range(w), LONG_TERM)


def due(w: Window, column):
    return and_(column >= w.period.start, column <= w.wend, Case.registered_at < w.cutoff_utc,
                NOT_CANCELLED, HAZARD)


def on_time(w: Window, column):
    return and_(closed_by(w), local_date(Case.closed_at) <= column)


def overdue(w: Window):
    last = min(w.cutoff - ONE_DAY, w.period.end)
    return and_(Case.deadline <= last, Case.registered_at < w.cutoff_utc, NOT_CANCELLED, HAZARD)


def open_at_cutoff(w: Window):
    """Registered before the cut-off and not closed before it (PostgreSQL: through the
    ``ix_cases_open_span`` index; the same cases as ``registered_at < cut-off AND (closed_at
    IS NULL OR closed_at >= cut-off)``)."""
    last_instant = literal(w.cutoff_utc - timedelta(microseconds=1), DateTime)
    return OPEN_SPAN.op("@>")(last_instant)


def bucket_conditions(w: Window) -> dict:
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


def accepted_by(w: Window):
    return and_(Case.accepted_at.isnot(None), Case.accepted_at < w.cutoff_utc)


def accept_due(w: Window, limit):
    return or_(accepted_by(w), limit <= utc_start(w.cutoff))


def accept_ok(w: Window, limit):
    return and_(accepted_by(w), Case.accepted_at < limit)


def task_pop(w: Window):
    return and_(Case.kind == "task", Case.registered_at < w.wend_utc,
                Case.original_deadline >= w.period.start, NOT_CANCELLED)


def events_in(w: Window, action: str):
    return exists().where(AuditEvent.case_id == Case.id, AuditEvent.action == action, HAZARD,
                          AuditEvent.at >= w.start_utc, AuditEvent.at < w.wend_utc)

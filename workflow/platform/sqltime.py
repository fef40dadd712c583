"""Local (Asia/Shanghai) dates of the naive-UTC timestamps the tables store.

SQL expressions compiled per dialect (SQLite and PostgreSQL) and the Python
side of the same arithmetic, so that a range condition and the date it is
compared with agree on where a local day begins.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import Date, Float
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.types import String

# Asia/Shanghai has had no daylight saving since 1991: local time is UTC+8.
LOCAL_OFFSET = timedelta(hours=8)


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

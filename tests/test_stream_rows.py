"""``stream_rows`` gives the rows SQLAlchemy would give, on both databases.

On PostgreSQL (psycopg, libpq 17+) it reads the driver's chunked stream directly; these tests
hold it to SQLAlchemy's own execution of the same statement: the ledger's query over cases in
every state (values, types, names and order), a column SQLAlchemy converts, a parameter it
converts (which takes SQLAlchemy's path), and a stream left before its end, after which the
transaction goes on.
"""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Numeric, String, TypeDecorator, bindparam, cast, literal, select

from workflow.core.cases import Case
from workflow.platform.db import stream_rows
from workflow.records.ledger_xlsx import _statement


class Shouted(TypeDecorator):
    """Converted both ways by SQLAlchemy: the driver's value is not the result."""

    impl = String
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else value.lower()

    def process_result_value(self, value, dialect):
        return None if value is None else value.upper() + "!"


def _sqlalchemy_rows(session, stmt):
    result = session.execute(stmt)
    return list(result.keys()), [tuple(r) for r in result]


def test_the_ledger_query_streams_what_sqlalchemy_reads(world, session):
    for status in ("draft", "assigned", "in_progress", "reported", "verified", "closed"):
        world.case_at(status)
    world.case_at("closed", grade="major")
    stmt = _statement(None, "problem")
    names, rows = stream_rows(session, stmt, batch=3)  # several chunks
    streamed = list(rows)
    expected_names, expected = _sqlalchemy_rows(session, stmt)
    assert names == expected_names
    assert len(streamed) == 7
    assert streamed == expected
    for got, want in zip(streamed, expected):
        assert [type(v) for v in got] == [type(v) for v in want]
    # the verifier's comment and the closing time came through (not only NULLs compared)
    closed = [r for r in streamed if r[names.index("status")] == "closed"]
    assert all(r[names.index("closed_at")] is not None for r in closed)
    assert all(r[names.index("verified_by")] for r in closed)


def test_converted_columns_and_parameters_read_as_sqlalchemy_reads_them(world, session):
    world.case_at("assigned")
    stmt = select(Case.id, cast(literal("abc"), Shouted()).label("shout"),
                  cast(literal(Decimal("1.25")), Numeric(10, 2, asdecimal=False)).label("f"))
    names, rows = stream_rows(session, stmt)
    assert names == ["id", "shout", "f"]
    assert list(rows) == _sqlalchemy_rows(session, stmt)[1]
    (_id, shout, f), = _sqlalchemy_rows(session, stmt)[1]
    assert shout == "ABC!" and f == 1.25 and isinstance(f, float)
    # a parameter SQLAlchemy converts: the statement goes through SQLAlchemy
    param = select(Case.id).where(cast(Case.title, Shouted()) == bindparam("t", type_=Shouted()))
    stmt = param.params(t="X")
    assert list(stream_rows(session, stmt)[1]) == _sqlalchemy_rows(session, stmt)[1]


def test_a_stream_left_early_leaves_the_transaction_usable(world, session):
    for _ in range(3):
        world.case_at("assigned")
    stmt = _statement(None, "problem")
    names, rows = stream_rows(session, stmt, batch=1)
    next(rows)
    rows.close()
    assert session.scalar(select(Case.id).order_by(Case.id.desc()).limit(1)) is not None
    assert len(list(stream_rows(session, stmt)[1])) == 3

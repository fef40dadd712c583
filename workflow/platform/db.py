"""Engine and session set-up for SQLite (embedded) and PostgreSQL."""
from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import chain

from sqlalchemy import create_engine, event, func, insert, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker


def normalise_url(url: str) -> str:
    """Use the psycopg 3 driver for plain ``postgresql://`` URLs."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


_read_only = contextvars.ContextVar("safeloop_sqlite_read_only", default=False)


@contextmanager
def read_only():
    """Mark work that only reads: on SQLite it then takes no write lock."""
    token = _read_only.set(True)
    try:
        yield
    finally:
        _read_only.reset(token)


def set_read_only(value: bool):
    """Set the read-only mark for the current context; returns a token for ``reset_read_only``."""
    return _read_only.set(value)


def reset_read_only(token) -> None:
    _read_only.reset(token)


def make_engine(url: str, **kw) -> Engine:
    """Create an engine; SQLite gets WAL, a busy timeout and BEGIN IMMEDIATE."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, **kw)
        _configure_sqlite(engine)
        return engine
    # No JIT: PostgreSQL compiles a query whose estimated cost passes jit_above_cost, which the
    # dashboard's aggregates over a large register do; the compilation (~0.2–0.6 s each) costs
    # more than the query it speeds up. Only when the URL or the caller says nothing else.
    if "options=" not in url:
        connect_args = dict(kw.pop("connect_args", None) or {})
        connect_args.setdefault("options", "-c jit=off")
        kw["connect_args"] = connect_args
    return create_engine(url, pool_pre_ping=True, **kw)


def _configure_sqlite(engine: Engine) -> None:
    # pysqlite's own transaction handling issues a deferred BEGIN too late and
    # lets two writers read the same version; a transaction that may write takes
    # the write lock up front (BEGIN IMMEDIATE), so several processes on one file
    # queue (busy timeout) instead of failing "database is locked". Work marked
    # read-only uses a plain BEGIN: in WAL mode it neither blocks nor waits for writers.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        conn.exec_driver_sql("BEGIN" if _read_only.get() else "BEGIN IMMEDIATE")


def is_sqlite(session_or_engine) -> bool:
    bind = session_or_engine.get_bind() if isinstance(session_or_engine, Session) else session_or_engine
    return bind.dialect.name == "sqlite"


def make_sessionmaker(engine: Engine) -> sessionmaker:
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=True)


def reserve_ids(session: Session, table, count: int) -> list[int]:
    """Take ``count`` new ids of ``table``, in order, so that rows can be written with
    their ids known (their chain heads, their links) in one pass.

    PostgreSQL: from the table's sequence. SQLite (one writer at a time): the ids the
    table would give next, read under the write lock this takes first (a writing
    transaction of ``make_engine`` holds it from BEGIN IMMEDIATE already); no table
    uses AUTOINCREMENT, so these are exactly the rowids SQLite would choose.
    """
    if count <= 0:
        return []
    conn = session.connection()
    if is_sqlite(session):
        name = conn.dialect.identifier_preparer.format_table(table)
        conn.exec_driver_sql(f"UPDATE {name} SET id = id WHERE 0")  # the write lock
        last = conn.execute(select(func.max(table.c.id))).scalar() or 0
        return list(range(last + 1, last + 1 + count))
    return sorted(conn.execute(
        text("SELECT nextval(pg_get_serial_sequence(:t, 'id')) FROM generate_series(1, :n)"),
        {"t": table.name, "n": count}).scalars())


def insert_returning_ids(session: Session, table, rows: list[dict]) -> list[int]:
    """INSERT ``rows`` into ``table`` with ids taken by ``reserve_ids``; return the ids in
    the order of ``rows``.

    Bypasses the ORM unit of work (a bulk import of thousands of rows): the caller keeps
    in the same transaction whatever else the rows need (links, audit events).
    """
    ids = reserve_ids(session, table, len(rows))
    insert_rows(session, table, [{**row, "id": new_id} for row, new_id in zip(rows, ids)])
    return ids


def insert_rows(session: Session, table, rows: list[dict]) -> None:
    """INSERT ``rows`` into ``table``: COPY on PostgreSQL, one executemany per set of
    columns on SQLite. A column a row leaves out takes its default, as in an INSERT."""
    if not rows:
        return
    if is_sqlite(session):
        conn = session.connection()
        groups: dict[tuple[str, ...], list[dict]] = {}
        for row in rows:
            groups.setdefault(tuple(sorted(row)), []).append(row)
        for group in groups.values():
            conn.execute(insert(table), group)
        return
    _copy_rows(session, table, rows)


def _copy_rows(session: Session, table, rows: list[dict]) -> None:
    """``COPY table (columns) FROM STDIN`` of ``rows`` through the session's connection (in
    its transaction). Python-side column defaults are applied here, as an INSERT would; a
    column no row gives and with only a server default is left to the server."""
    given = set().union(*rows)
    defaults = {}
    for column in table.columns:
        default = column.default
        if default is not None and default.is_scalar:
            defaults[column.name] = default.arg
        elif default is not None and default.is_callable:
            defaults[column.name] = default.arg(None)
    names = [c.name for c in table.columns if c.name in given or c.name in defaults]
    conn = session.connection()
    preparer = conn.dialect.identifier_preparer
    sql = (f"COPY {preparer.format_table(table)} "
           f"({', '.join(preparer.quote(n) for n in names)}) FROM STDIN")
    with conn.connection.driver_connection.cursor() as cursor, cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row([row[n] if n in row else defaults.get(n) for n in names])


def stream_rows(session: Session, stmt, batch: int = 5000) -> tuple[list[str], Iterator[tuple]]:
    """The column names and rows of ``stmt`` (a Core select), streamed in batches of ``batch``.

    PostgreSQL through psycopg with libpq 17 or newer: one query whose rows the server sends
    in chunks of ``batch`` as it makes them (``Cursor.stream``, chunked rows mode), so the
    server runs the query while the caller works on the rows already received (a server-side
    cursor makes it wait for each FETCH, and bars a parallel plan), and the rows are the
    driver's tuples without a result layer; a column whose type SQLAlchemy converts for this
    dialect is converted here as SQLAlchemy would. When a parameter needs SQLAlchemy's
    conversion, and on SQLite: SQLAlchemy's ``yield_per``. The rows must be read to the end
    or the iterator closed before the session runs anything else.
    """
    conn = session.connection()
    dialect = conn.dialect
    if dialect.name == "postgresql" and dialect.driver == "psycopg":
        import psycopg
        if psycopg.pq.version() >= 170000:
            compiled = stmt.compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
            if not any(b.type.dialect_impl(dialect).bind_processor(dialect) is not None
                       for b in compiled.binds.values()):
                columns = list(stmt.selected_columns)
                return (list(stmt.selected_columns.keys()),
                        _streamed(conn.connection.driver_connection, compiled.string,
                                  compiled.construct_params(), batch, columns, dialect))
    result = conn.execute(stmt.execution_options(yield_per=batch))
    return list(result.keys()), _batches(result)


def _batches(result) -> Iterator[tuple]:
    try:
        for batch in result.partitions():
            yield from batch
    finally:
        result.close()


def _streamed(driver_connection, sql: str, params: dict, batch: int, columns,
              dialect) -> Iterator[tuple]:
    # A stream left before its end is cancelled, which aborts the transaction: inside a
    # savepoint, the caller's transaction goes on as before (two round trips per query).
    with driver_connection.cursor() as cursor:
        cursor.execute("SAVEPOINT stream_rows")
        rows = cursor.stream(sql, params, size=batch)
        finished = False
        try:
            first = next(rows, None)
            if first is not None:
                convert = [(i, p) for i, (column, described)
                           in enumerate(zip(columns, cursor.description))
                           if (p := column.type.dialect_impl(dialect).result_processor(
                               dialect, described.type_code)) is not None]
                if not convert:
                    yield first
                    yield from rows
                else:
                    for row in chain((first,), rows):
                        row = list(row)
                        for i, process in convert:
                            row[i] = process(row[i])
                        yield tuple(row)
            finished = True
        finally:
            rows.close()
            cursor.execute("RELEASE SAVEPOINT stream_rows" if finished
                           else "ROLLBACK TO SAVEPOINT stream_rows")

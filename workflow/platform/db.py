"""Engine and session set-up for SQLite (embedded) and PostgreSQL."""
from __future__ import annotations

import contextvars
from contextlib import contextmanager

from sqlalchemy import create_engine, event
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

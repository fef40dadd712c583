"""Fixtures: an app on SQLite (default) or PostgreSQL (``TEST_DATABASE_URL``).

Every test gets an empty database with real commits, so races, the CLI and a
live server for the browser behave as in production.
"""
from __future__ import annotations

import os

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from blueprints import create_app
from workflow.models import Base
from workflow.platform.db import make_engine, normalise_url

pytest_plugins = ["tests.factories", "tests.factories_problems", "tests.factories_pages",
                  "tests.factories_tasklist", "tests.factories_records", "tests.factories_kpis",
                  "tests.factories_territory"]

PG_URL = os.environ.get("TEST_DATABASE_URL")


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    """A database for this test process; PostgreSQL gets one per xdist worker."""
    if not PG_URL:
        yield None  # per-test SQLite files, see ``app``
        return
    url = make_url(normalise_url(PG_URL))
    name = f"{url.database}_{_worker()}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    test_url = url.set(database=name).render_as_string(hide_password=False)
    engine = make_engine(test_url)
    Base.metadata.create_all(engine)
    engine.dispose()
    yield test_url


@pytest.fixture
def app(database_url, tmp_path):
    if database_url is None:
        url = f"sqlite:///{tmp_path / 'test.db'}"
    else:
        url = database_url
    app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "test-secret",
                      "DASHBOARD_CACHE_SECONDS": 0,  # figures as of each request (one test keeps them)
                      "RECORD_CACHE_MB": 0,  # every record rendered (test_render_cache keeps them)
                      "STORAGE_DIR": str(tmp_path / "storage"), "WTF_CSRF_ENABLED": True,
                      "REDIS_URL": None, "SECURITY_LOG": str(tmp_path / "security.log")})
    engine = app.extensions["safeloop.engine"]
    if database_url is None:
        Base.metadata.create_all(engine)
    else:
        _truncate(engine)
    # No app context stays pushed: each request gets its own, as in production.
    yield app
    engine.dispose()


def _truncate(engine) -> None:
    names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture
def session(app):
    """A session of the test's own, like another process would hold.

    On SQLite every transaction starts with BEGIN IMMEDIATE: end a read with
    ``session.rollback()`` before the app or the CLI writes, or they wait for it.
    """
    session = app.extensions["safeloop.sessionmaker"]()
    yield session
    session.rollback()
    session.close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def is_postgres(app) -> bool:
    return app.extensions["safeloop.engine"].dialect.name == "postgresql"


def reset_database(app) -> None:
    """Empty every table (for tests that need several fresh starts in one test)."""
    engine = app.extensions["safeloop.engine"]
    if engine.dialect.name == "postgresql":
        _truncate(engine)
    else:
        Base.metadata.drop_all(engine)
        Base.metadata.create_all(engine)


def missing_service(reason: str):
    """A service the test needs is absent: skip on a developer's machine, fail in CI.

    CI (``CI=true``, set by .ci/run) installs and starts everything, so an absence
    there is a broken set-up, not a reason to pass quietly.
    """
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI must provide this: {reason}")
    pytest.skip(f"this machine lacks a service the test needs: {reason}")


@pytest.fixture
def redis_conn():
    """A connection to the local Redis that the RQ paths need."""
    from redis import Redis
    from redis.exceptions import ConnectionError as RedisDown

    conn = Redis.from_url("redis://127.0.0.1:6379/0")
    try:
        conn.ping()
    except RedisDown:
        missing_service("no Redis server answers on 127.0.0.1:6379 (the RQ path needs one)")
    yield conn
    conn.close()


@pytest.fixture
def migration_engine(app, tmp_path):
    """An empty database for Alembic to build: a file of its own on SQLite; on PostgreSQL the
    test database's schema, emptied first and rebuilt from the models afterwards."""
    engine = app.extensions["safeloop.engine"]
    if engine.dialect.name != "postgresql":
        yield make_engine(f"sqlite:///{tmp_path / 'migrated.db'}")
        return
    _empty_schema(engine)
    try:
        yield engine
    finally:
        _empty_schema(engine)
        Base.metadata.create_all(engine)
        reset_database(app)


def _empty_schema(engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))

"""Upgrading an empty database with the migrations gives the models' tables and columns."""
from __future__ import annotations

import os

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from workflow import migrate
from workflow.db import make_engine, normalise_url
from workflow.models import Base


def _assert_matches_models(engine):
    migrate.upgrade(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}),
                                Base.metadata)
    assert diff == []
    columns = {c["name"] for c in inspect(engine).get_columns("export_jobs")}
    assert {"requested_by_id", "params_json", "status", "total", "done", "file_path",
            "error"} <= columns
    migrate.downgrade(engine, "0001")
    assert "export_jobs" not in inspect(engine).get_table_names()


def test_sqlite_upgrade_matches_models(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    try:
        _assert_matches_models(engine)
    finally:
        engine.dispose()


def test_postgresql_upgrade_matches_models():
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        import pytest
        pytest.skip("TEST_DATABASE_URL is not set: no PostgreSQL server to migrate")
    url = make_url(normalise_url(url))
    name = f"{url.database}_mig0004_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(url.set(database=name).render_as_string(hide_password=False))
    try:
        _assert_matches_models(engine)
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

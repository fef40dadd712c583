"""Upgrading an empty database with the migrations gives the models' tables, columns and indexes."""
from __future__ import annotations

import os

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from workflow import migrate
from workflow.db import make_engine, normalise_url
from workflow.models import Base


def _shape(engine):
    insp = inspect(engine)
    tables = {}
    for name in insp.get_table_names():
        if name == "alembic_version":
            continue
        tables[name] = ({c["name"] for c in insp.get_columns(name)},
                        {i["name"] for i in insp.get_indexes(name)})
    return tables


def _check(url):
    engine = make_engine(url)
    try:
        migrate.upgrade(engine)
        migrated = _shape(engine)
    finally:
        engine.dispose()
    assert "kpi_snapshots" in migrated
    assert {"ix_cases_registered_at", "ix_cases_open_deadline", "ix_cases_closed_at_deadline",
            "ix_cases_deadline", "ix_cases_original_deadline"} <= migrated["cases"][1]
    assert "ix_audit_events_action_at" in migrated["audit_events"][1]
    for table in Base.metadata.sorted_tables:
        cols, idx = migrated[table.name]
        assert cols == {c.name for c in table.columns}, table.name
        assert {i.name for i in table.indexes} <= idx, table.name


def test_sqlite_upgrade_matches_models(tmp_path):
    _check(f"sqlite:///{tmp_path / 'empty.db'}")


@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"),
                    reason="TEST_DATABASE_URL not set: no PostgreSQL server to migrate")
def test_postgresql_upgrade_matches_models():
    url = make_url(normalise_url(os.environ["TEST_DATABASE_URL"]))
    name = f"{url.database}_mig0005_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        _check(url.set(database=name).render_as_string(hide_password=False))
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

"""Upgrading an empty database with the migrations gives the tables the models declare."""
from __future__ import annotations

import os

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from workflow import migrate
from workflow.db import make_engine, normalise_url
from workflow.models import Base

PG_URL = os.environ.get("TEST_DATABASE_URL")


def _schema(engine) -> dict:
    insp = inspect(engine)
    return {table: {(c["name"], c["nullable"]) for c in insp.get_columns(table)}
            for table in insp.get_table_names() if table != "alembic_version"}


def _indexes(engine, table: str) -> set[str]:
    return {i["name"] for i in inspect(engine).get_indexes(table)}


def _model_schema() -> dict:
    return {t.name: {(c.name, c.nullable) for c in t.columns} for t in Base.metadata.sorted_tables}


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_engine(request, tmp_path):
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'migrated.db'}")
        yield engine
        engine.dispose()
        return
    if not PG_URL:
        pytest.skip("TEST_DATABASE_URL is not set: no PostgreSQL server to migrate")
    url = make_url(normalise_url(PG_URL))
    name = f"{url.database}_mig0003_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(url.set(database=name).render_as_string(hide_password=False))
    yield engine
    engine.dispose()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_upgrade_matches_the_models(empty_engine):
    migrate.upgrade(empty_engine)
    assert _schema(empty_engine) == _model_schema()
    assert "ix_plan_items_fingerprint" in _indexes(empty_engine, "plan_items")
    assert "ix_plan_item_cases_item_id" in _indexes(empty_engine, "plan_item_cases")


def test_downgrade_removes_only_the_task_list_tables(empty_engine):
    migrate.upgrade(empty_engine)
    migrate.downgrade(empty_engine, "0001")
    tables = set(_schema(empty_engine))
    assert not tables & {"plans", "plan_items", "plan_item_cases", "target_occurrences"}
    assert {"cases", "audit_events", "departments"} <= tables

"""Upgrading an empty database with the migrations gives the tables and columns of the models."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from workflow import migrate
from workflow.db import make_engine
from workflow.models import Base

NEW_TABLES = {"notifications", "disputes", "extension_requests", "case_alerts", "case_listings",
              "lookbacks"}


def _empty_engine(app, tmp_path):
    engine = app.extensions["safeloop.engine"]
    if engine.dialect.name == "sqlite":
        return make_engine(f"sqlite:///{tmp_path / 'migrated.db'}"), None
    url = make_url(str(engine.url.render_as_string(hide_password=False)))
    name = f"{url.database}_mig0002"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    return make_engine(url.set(database=name).render_as_string(hide_password=False)), (admin, name)


def test_upgrade_matches_models(app, tmp_path):
    engine, pg = _empty_engine(app, tmp_path)
    try:
        migrate.upgrade(engine)
        head = ScriptDirectory.from_config(migrate.alembic_config(engine)).get_current_head()
        assert migrate.current(engine) == head
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}),
                                    Base.metadata)
        assert diff == []
        assert NEW_TABLES <= set(inspect(engine).get_table_names())
        migrate.downgrade(engine, "0001")
        assert not NEW_TABLES & set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
        if pg:
            admin, name = pg
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()

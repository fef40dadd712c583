"""Alembic migrations build exactly the schema the models describe."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from tests.conftest import reset_database
from workflow.models import Base
from workflow.platform.db import make_engine
from workflow.platform.migrate import alembic_config, current, downgrade, upgrade


def _fresh_engine(app, tmp_path):
    engine = app.extensions["safeloop.engine"]
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        return engine, True
    return make_engine(f"sqlite:///{tmp_path / 'migrated.db'}"), False


def test_single_head():
    script = ScriptDirectory.from_config(alembic_config(None))
    assert len(script.get_heads()) == 1, script.get_heads()


def test_upgrade_empty_database_matches_models(app, tmp_path):
    engine, shared = _fresh_engine(app, tmp_path)
    try:
        upgrade(engine)
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}),
                                    Base.metadata)
        assert diff == []
        assert set(inspect(engine).get_table_names()) >= set(Base.metadata.tables)
    finally:
        if shared:
            with engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
            Base.metadata.create_all(engine)
            reset_database(app)


def test_upgrade_older_database_step_by_step(app, tmp_path):
    engine, shared = _fresh_engine(app, tmp_path)
    try:
        upgrade(engine, "0001")
        assert current(engine) == "0001"
        upgrade(engine)  # an older database comes up to the current schema
        script = ScriptDirectory.from_config(alembic_config(engine))
        assert current(engine) == script.get_current_head()
    finally:
        if shared:
            with engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
            Base.metadata.create_all(engine)


def test_every_revision_downgrades_and_upgrades_again(app, tmp_path):
    """Walk down one revision at a time to the core schema and back up."""
    engine, shared = _fresh_engine(app, tmp_path)
    script = ScriptDirectory.from_config(alembic_config(engine))
    revisions = [r.revision for r in script.walk_revisions()]  # head first
    try:
        upgrade(engine)
        full = set(inspect(engine).get_table_names())
        for revision in revisions[1:]:
            downgrade(engine, revision)
            assert current(engine) == revision
        core = set(inspect(engine).get_table_names())
        assert {"cases", "audit_events", "evidence", "users", "departments"} <= core
        assert core < full
        upgrade(engine)
        assert set(inspect(engine).get_table_names()) == full
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}),
                                    Base.metadata)
        assert diff == []
    finally:
        if shared:
            with engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
            Base.metadata.create_all(engine)


def test_cli_db_upgrade_on_empty_file(tmp_path):
    from blueprints import create_app

    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}", "SECRET_KEY": "x",
                      "STORAGE_DIR": str(tmp_path / "files")})
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert "数据库已升级" in result.output
    tables = set(inspect(app.extensions["safeloop.engine"]).get_table_names())
    assert {"cases", "audit_events", "evidence", "users"} <= tables
    again = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert again.exit_code == 0

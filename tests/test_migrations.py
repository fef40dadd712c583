"""Alembic migrations build exactly the schema the models describe."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text

from workflow.assessment.conditions import DDL_INDEXES
from workflow.models import Base
from workflow.platform.migrate import alembic_config, current, downgrade, upgrade


def _compare_options() -> dict:
    """Expression indexes made by DDL (``DDL_INDEXES``) are not in the metadata, so schema
    comparison leaves them out; ``_assert_ddl_indexes`` checks them by name instead."""
    def include(obj, name, type_, reflected, compare_to):
        return not (type_ == "index" and name in DDL_INDEXES)
    return {"compare_type": True, "include_object": include}


def _assert_ddl_indexes(engine) -> None:
    have = {i["name"] for t in ("cases",) for i in inspect(engine).get_indexes(t)}
    wanted = {n for n, dialect in DDL_INDEXES.items() if dialect == engine.dialect.name}
    assert wanted <= have, wanted - have


def _assert_included_columns(engine) -> None:
    """Schema comparison does not look at an index's INCLUDE columns (PostgreSQL): the
    migrated indexes carry the ones the metadata declares."""
    if engine.dialect.name != "postgresql":
        return
    have = {i["name"]: list(i.get("include_columns") or [])
            for i in inspect(engine).get_indexes("cases")}
    for index in Base.metadata.tables["cases"].indexes:
        wanted = list(index.dialect_options["postgresql"]["include"] or [])
        assert have[index.name] == wanted, index.name


def _triggers(engine) -> dict[str, str]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'"))
        return {name: " ".join(sql.replace("IF NOT EXISTS ", "").split()) for name, sql in rows}


def _assert_sqlite_triggers(engine, tmp_path) -> None:
    """Schema comparison does not look at triggers (SQLite): the migrated database has the
    ones the models create, with the same text (a change of ``SETTLED_BY`` without a
    migration re-creating ``audit_events_settle_requests`` fails here)."""
    if engine.dialect.name != "sqlite":
        return
    fresh = create_engine(f"sqlite:///{tmp_path / 'models.db'}")
    Base.metadata.create_all(fresh)
    wanted = _triggers(fresh)
    fresh.dispose()
    assert "audit_events_settle_requests" in wanted
    assert _triggers(engine) == wanted


def test_single_head():
    script = ScriptDirectory.from_config(alembic_config(None))
    assert len(script.get_heads()) == 1, script.get_heads()


def test_upgrade_empty_database_matches_models(migration_engine, tmp_path):
    engine = migration_engine
    upgrade(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts=_compare_options()),
                                Base.metadata)
    assert diff == []
    assert set(inspect(engine).get_table_names()) >= set(Base.metadata.tables)
    _assert_ddl_indexes(engine)
    _assert_included_columns(engine)
    _assert_sqlite_triggers(engine, tmp_path)


def test_upgrade_older_database_step_by_step(migration_engine):
    engine = migration_engine
    upgrade(engine, "0001")
    assert current(engine) == "0001"
    upgrade(engine)  # an older database comes up to the current schema
    script = ScriptDirectory.from_config(alembic_config(engine))
    assert current(engine) == script.get_current_head()


def test_every_revision_downgrades_and_upgrades_again(migration_engine, tmp_path):
    """Walk down one revision at a time to the core schema and back up."""
    engine = migration_engine
    script = ScriptDirectory.from_config(alembic_config(engine))
    revisions = [r.revision for r in script.walk_revisions()]  # head first
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
        diff = compare_metadata(MigrationContext.configure(conn, opts=_compare_options()),
                                Base.metadata)
    assert diff == []
    _assert_ddl_indexes(engine)
    _assert_included_columns(engine)
    _assert_sqlite_triggers(engine, tmp_path)


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

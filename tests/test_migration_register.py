"""Migration 0016 on a database with data: towns, departments, users, cases with the free-text
属地/责任主体/信用代码 and their audit events come through; every new column is empty (nothing is
guessed from the old text); it downgrades and upgrades again with the data intact."""
from __future__ import annotations

from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from tests.test_migration_major_plan import _insert_case
from workflow.platform.migrate import alembic_config, current, downgrade, upgrade

NEW_CASE_COLUMNS = ("territorial_unit_id", "enterprise_id", "parent_case_id",
                    "delegated_by_unit_id", "clue_type", "hazard_category", "rectification_type",
                    "interim_measures", "completed_on", "actual_funds", "acceptance_by",
                    "acceptance_method", "acceptance_on", "supervisor_name", "territorial_duties",
                    "industry_duties", "listing_level", "listing_document")


def test_existing_rows_migrate_with_empty_values_both_ways(migration_engine):
    engine = migration_engine
    script = ScriptDirectory.from_config(alembic_config(engine))
    before = script.get_revision("0016").down_revision  # the schema the release finds
    upgrade(engine, before)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO departments (id, name, kind, active, created_at) VALUES "
                          "(1, '湖塘镇', 'town', :t, '2020-01-02 00:00:00'), "
                          "(2, '区应急管理局', 'department', :t, '2020-01-02 00:00:00')"),
                     {"t": True})
        conn.execute(text("INSERT INTO users (id, username, display_name, role, department_id, "
                          "password_hash, active, created_at, credentials_epoch) VALUES "
                          "(1, 'town', '湖塘镇安监办', 'dept_officer', 1, 'x', :t, "
                          "'2020-01-02 00:00:00', 0)"), {"t": True})
        _insert_case(conn, engine, id=1, kind="problem", title="配电箱未接地", status="in_progress",
                     grade="general", department_id=2, town="湖塘镇",
                     responsible_unit="常州某五金厂", credit_code="91320412MA1MXK3L6X",
                     industry="工贸", basis="GB 50054", shutdown="partial", suspended=True)
        _insert_case(conn, engine, id=2, kind="task", title="目标任务", status="assigned")
    upgrade(engine)
    assert current(engine) == script.get_current_head()
    with engine.connect() as conn:
        cols = {c["name"] for c in inspect(conn).get_columns("cases")}
        assert set(NEW_CASE_COLUMNS) <= cols
        row = conn.execute(text(f"SELECT town, responsible_unit, credit_code, industry, basis, "
                                f"shutdown, {', '.join(NEW_CASE_COLUMNS)} FROM cases "
                                f"WHERE id = 1")).mappings().one()
        assert (row["town"], row["responsible_unit"], row["credit_code"], row["industry"],
                row["basis"], row["shutdown"]) == ("湖塘镇", "常州某五金厂", "91320412MA1MXK3L6X",
                                                   "工贸", "GB 50054", "partial")
        assert all(row[c] is None for c in NEW_CASE_COLUMNS)  # nothing invented
        assert conn.execute(text("SELECT parent_id, kind FROM departments WHERE id = 1")
                            ).one() == (None, "town")
        assert conn.execute(text("SELECT count(*) FROM enterprises")).scalar_one() == 0
        assert conn.execute(text("SELECT count(*) FROM cases")).scalar_one() == 2
        assert conn.execute(text("SELECT department_id FROM users WHERE id = 1")).scalar_one() == 1
    # the new schema takes new rows (a village under the migrated town, an enterprise)
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO departments (id, name, kind, active, created_at, parent_id) "
                          "VALUES (3, '马杭村', 'village', :t, '2020-01-02 00:00:00', 1)"),
                     {"t": True})
        conn.execute(text("INSERT INTO enterprises (id, name, credit_code, above_scale, "
                          "key_supervision, created_at, unit_id) VALUES (1, '常州某五金厂', "
                          "'91320412MA1MXK3L6X', :f, :f, '2020-01-02 00:00:00', 3)"), {"f": False})
        conn.execute(text("UPDATE cases SET enterprise_id = 1, territorial_unit_id = 3 "
                          "WHERE id = 1"))
    downgrade(engine, before)
    with engine.connect() as conn:
        cols = {c["name"] for c in inspect(conn).get_columns("cases")}
        assert not cols & set(NEW_CASE_COLUMNS)
        assert "enterprises" not in inspect(conn).get_table_names()
        assert conn.execute(text("SELECT count(*) FROM cases")).scalar_one() == 2
        assert conn.execute(text("SELECT responsible_unit FROM cases WHERE id = 1")
                            ).scalar_one() == "常州某五金厂"
    upgrade(engine)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT enterprise_id FROM cases WHERE id = 1")).scalar_one() is None

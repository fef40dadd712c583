"""Migration 0014: the measure tables arrive empty; auditor accounts stay auditors; a
downgrade turns 纪检监察 accounts back into the former 审计/纪检 role."""
from __future__ import annotations

from sqlalchemy import inspect, text

from tests.test_migration_major_plan import _filler
from workflow.platform.migrate import downgrade, upgrade

TABLES = {"measures", "measure_departments", "measure_cases", "measure_steps",
          "measure_attachments"}


def _insert_user(conn, **values) -> None:
    row = dict(values)
    for column in inspect(conn).get_columns("users"):
        if column["name"] not in row and not column["nullable"] and column["name"] != "id":
            row[column["name"]] = _filler(column)
    conn.execute(text(f"INSERT INTO users ({', '.join(row)}) "
                      f"VALUES ({', '.join(':' + n for n in row)})"), row)


def _roles(engine) -> dict:
    with engine.connect() as conn:
        return dict(conn.execute(text("SELECT username, role FROM users")).all())


def test_measure_tables_and_roles_both_ways(migration_engine):
    engine = migration_engine
    upgrade(engine, "0013")
    assert not TABLES & set(inspect(engine).get_table_names())
    with engine.begin() as conn:
        _insert_user(conn, id=1, username="wu", display_name="吴审计", role="auditor")
    upgrade(engine, "0014")
    assert TABLES <= set(inspect(engine).get_table_names())
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM measures")).scalar_one() == 0
    assert _roles(engine) == {"wu": "auditor"}  # existing accounts keep their role
    with engine.begin() as conn:
        _insert_user(conn, id=2, username="feng", display_name="冯纪检", role="discipline")
    downgrade(engine, "0013")
    assert not TABLES & set(inspect(engine).get_table_names())
    assert _roles(engine) == {"wu": "auditor", "feng": "auditor"}
    upgrade(engine)
    assert TABLES <= set(inspect(engine).get_table_names())

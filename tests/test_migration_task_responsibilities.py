"""Migration 0012: existing plans and items come through with empty new fields, on both
databases; several plans may then share a year, and the downgrade refuses while they do."""
from __future__ import annotations

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.orm import Session

from workflow.platform.migrate import alembic_config, downgrade, upgrade
from workflow.tasklist.models import Plan


def _filler(column) -> object:
    kind = str(column["type"]).upper()
    if "INT" in kind:
        return 0
    if "BOOL" in kind:
        return False
    if "DATE" in kind or "TIME" in kind:
        return "2020-01-02 00:00:00" if "TIME" in kind else "2020-01-02"
    return "x"


def _insert(conn, table: str, **values) -> None:
    row = dict(values)
    for column in inspect(conn).get_columns(table):
        if column["name"] not in row and not column["nullable"] and column["name"] != "id":
            row[column["name"]] = _filler(column)
    names = ", ".join(row)
    conn.execute(text(f"INSERT INTO {table} ({names}) VALUES ({', '.join(':' + n for n in row)})"),
                 row)


def test_existing_plans_migrate_with_empty_values(migration_engine):
    engine = migration_engine
    before = ScriptDirectory.from_config(alembic_config(engine)).get_revision("0012").down_revision
    upgrade(engine, before)
    with engine.begin() as conn:
        _insert(conn, "plans", id=1, year=2020, title="2020年全区安全生产重点工作目标任务清单",
                source_filename="wujin.txt", source_sha256="a" * 64, imported_by_id=None)
        _insert(conn, "plan_items", id=1, plan_id=1, seq=1, project_no=1, project="落实党政领导责任",
                task="学习贯彻", content="将安全生产纳入学习内容", remark="", target_count=1,
                target_period_years=1, fingerprint="b" * 64, withdrawn_at=None, deadline=None)
    upgrade(engine)
    with engine.connect() as conn:
        plan = conn.execute(text("SELECT kind, start_year, end_year FROM plans")).one()
        raw = conn.execute(text("SELECT raw_departments FROM plan_items")).scalar_one()
        rows = conn.execute(text("SELECT COUNT(*) FROM plan_responsibilities")).scalar_one()
    assert tuple(plan) == (None, None, None) and raw is None and rows == 0  # nothing invented
    with Session(engine) as session:
        old = session.get(Plan, 1)
        body = old.to_dict()
        assert (body["kind"], body["start_year"], body["end_year"]) == ("annual", 2020, 2020)
        item = old.items[0]
        assert item.to_dict()["responsibilities"] == [] and item.to_dict()["raw_departments"] is None
        assert item.target_of_case(1) == (1, 1)  # old items keep the item's own target
    with engine.begin() as conn:  # a second list for the same year is allowed now
        _insert(conn, "plans", id=2, year=2020, title="2020年安委会工作要点", kind="key_points",
                source_filename="b.txt", source_sha256="c" * 64, imported_by_id=None)
    with pytest.raises(RuntimeError, match="2020 年有多份清单"):
        downgrade(engine, before)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM plans WHERE id = 2"))
    downgrade(engine, before)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT title FROM plans")).scalar_one().startswith("2020年")
        assert "plan_responsibilities" not in inspect(conn).get_table_names()
    upgrade(engine)

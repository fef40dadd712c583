"""Migration 0009: an existing major case's 五落实 plan stays readable as the six elements."""
from __future__ import annotations

import json

from sqlalchemy import inspect, text

from workflow.platform.migrate import downgrade, upgrade

OLD = {"responsibility": "赵局长负总责", "measures": "更换报警器", "funds": "5万元",
       "time_limit": "30日内", "contingency": "泄漏应急预案"}


def _filler(column) -> object:
    kind = str(column["type"]).upper()
    if "INT" in kind or "NUMERIC" in kind:
        return 0
    if "BOOL" in kind:
        return False
    if "DATE" in kind or "TIME" in kind:
        return "2020-01-02 00:00:00" if "TIME" in kind else "2020-01-02"
    return "x"


def _insert_case(conn, engine, **values) -> None:
    """Insert a cases row at the old schema, filling every other NOT NULL column."""
    row = dict(values)
    for column in inspect(conn).get_columns("cases"):
        if column["name"] not in row and not column["nullable"] and column["name"] != "id":
            row[column["name"]] = _filler(column)
    names = ", ".join(row)
    conn.execute(text(f"INSERT INTO cases ({names}) VALUES ({', '.join(':' + n for n in row)})"),
                 row)


def test_five_box_plan_and_suspended_flag_migrate_both_ways(migration_engine):
    engine = migration_engine
    upgrade(engine, "0005")
    with engine.begin() as conn:
        _insert_case(conn, engine, id=1, kind="problem", title="储罐区报警器失效",
                     status="in_progress", grade="major", suspended=True,
                     plan_json=json.dumps(OLD, ensure_ascii=False))
        _insert_case(conn, engine, id=2, kind="problem", title="一般隐患", status="draft",
                     grade="general", suspended=False, plan_json=None)
    upgrade(engine, "0009")
    with engine.connect() as conn:
        rows = dict(conn.execute(text("SELECT id, plan_json FROM cases")).all())
        shutdown = dict(conn.execute(text("SELECT id, shutdown FROM cases")).all())
    plan = json.loads(rows[1])
    assert plan == {"organisation": "赵局长负总责", "measures": "更换报警器",
                    "funds_materials": "5万元", "time_requirements": "30日内",
                    "safety_contingency": "泄漏应急预案"}  # no 目标和任务 invented
    assert rows[2] is None
    assert shutdown == {1: "full", 2: "none"}
    downgrade(engine, "0005")
    with engine.connect() as conn:
        back = conn.execute(text("SELECT plan_json FROM cases WHERE id = 1")).scalar_one()
    assert json.loads(back) == OLD


def test_old_plan_keys_read_as_elements(world, session):
    """A row written with the old keys (before the migration ran) reads the same way."""
    case = world.case_at("in_progress", grade="major")
    case.plan_json = json.dumps(OLD, ensure_ascii=False)
    session.commit()
    assert case.plan["organisation"] == "赵局长负总责" and "objectives" not in case.plan
    assert not case.plan_complete

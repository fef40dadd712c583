"""属地 tree on many cases: what a village user's, a town user's and a district department's
case list costs (the recursive unit-tree filter vs the plain department filter), and the
roll-up of the figures over a town with 20 villages × 5 grids.

Run from the repository root:
    python -m bench.territory [N]

Prints milliseconds per call (median of 5) measured in this run, and ratios.
"""
from __future__ import annotations

import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta

from sqlalchemy import insert

from blueprints import create_app
from blueprints.extensions import db
from workflow.assessment import figures, periods
from workflow.core.cases import Case
from workflow.core.queries import filtered_cases
from workflow.models import Base
from workflow.org.models import Department, User

N = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000


def fill(app) -> dict:
    with app.app_context():
        Base.metadata.create_all(db.engine)
        dept = Department(name="区应急管理局")
        town = Department(name="湖塘镇", kind="town")
        db.session.add_all([dept, town])
        db.session.flush()
        villages = [Department(name=f"村{i}", kind="village", parent_id=town.id)
                    for i in range(20)]
        db.session.add_all(villages)
        db.session.flush()
        grids = [Department(name=f"村{i}网格{j}", kind="grid", parent_id=v.id)
                 for i, v in enumerate(villages) for j in range(5)]
        db.session.add_all(grids)
        db.session.flush()
        units = [town, *villages, *grids]
        users = {}
        for key, role, unit in (("office", "office_staff", None), ("dept", "dept_officer", dept),
                                ("town", "dept_officer", town),
                                ("village", "dept_officer", villages[0])):
            users[key] = User(username=key, display_name=key, role=role, department=unit,
                              password_hash="x")
        db.session.add_all(users.values())
        db.session.flush()
        rows = []
        for i in range(N):
            unit = units[i % len(units)]
            rows.append({"kind": "problem", "title": f"隐患{i}", "description": "描述",
                         "source": "patrol", "grade": "general",
                         "status": "closed" if i % 3 == 0 else "in_progress",
                         "number": f"WJ-2024-XC-{i:06d}", "department_id": dept.id,
                         "territorial_unit_id": unit.id, "version": 1, "round": 1,
                         "registered_at": datetime(2024, 1, 1) + timedelta(minutes=i),
                         "closed_at": datetime(2024, 6, 1) if i % 3 == 0 else None,
                         "created_at": datetime(2024, 1, 1) + timedelta(minutes=i)})
            if len(rows) == 10_000:
                db.session.execute(insert(Case), rows)
                rows = []
        if rows:
            db.session.execute(insert(Case), rows)
        db.session.commit()
        return {k: u.id for k, u in users.items()} | {"town_id": town.id}


def timed(fn) -> float:
    samples = []
    for _ in range(5):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1000)
    return statistics.median(samples)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"DATABASE_URL": f"sqlite:///{tmp}/bench.db", "SECRET_KEY": "b",
                          "STORAGE_DIR": f"{tmp}/s"})
        ids = fill(app)
        print(f"{N} cases over a town with 20 villages × 5 grids, SQLite")
        with app.app_context():
            times = {}
            for key in ("dept", "town", "village"):
                user = db.session.get(User, ids[key])
                stmt = filtered_cases(user, {}).order_by(Case.id.desc()).limit(50)
                times[key] = timed(lambda s=stmt: db.session.scalars(s).all())
                print(f"  first list page (50) as {key:<8} {times[key]:8.1f} ms")
            print(f"  village / department: {times['village'] / times['dept']:.1f}×, "
                  f"town / department: {times['town'] / times['dept']:.1f}×")
            office = db.session.get(User, ids["office"])
            w = periods.window_from({"period": "2024"}, accept_working_days=2)
            town_ms = timed(lambda: figures.rollup(db.session, office, w, root_id=ids["town_id"]))
            print(f"  roll-up of 121 units (town, villages, grids): {town_ms:8.1f} ms")
            cut_ms = timed(lambda: figures.compute(db.session, "territorial_unit", w))
            print(f"  one cut by 属地单位 (scope=territorial_unit): {cut_ms:8.1f} ms "
                  f"(roll-up / cut: {town_ms / cut_ms:.0f}×)")


if __name__ == "__main__":
    main()

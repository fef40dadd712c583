"""Time the daily sweep over 100,000 open problem cases.

Run from the repository root:
    python -m bench.sweep                       # SQLite (temporary file)
    python -m bench.sweep --pg postgresql://postgres@127.0.0.1:5432/h_problems_bench
    python -m bench.sweep --cases 20000         # a smaller run

Deadlines are spread from 60 days ago to 120 days ahead, so the first run
meets a backlog (every overdue case climbs the ladder at once); the second run
the same day must find nothing; the run of the next day is the usual daily load.
"""
from __future__ import annotations

import argparse
import random
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from workflow.core.audit import AuditEvent
from workflow.core.cases import Case
from workflow.core.notifications import Notification
from workflow.models import Base
from workflow.org.models import Department, User
from workflow.platform.base import local_today
from workflow.platform.db import make_engine, make_sessionmaker, normalise_url
from workflow.problems.sweep import SweepSettings, run_sweep

DEPARTMENTS = 60


def populate(engine, n_cases: int, today) -> float:
    rnd = random.Random(20200305)
    t0 = time.perf_counter()
    with engine.begin() as conn:
        conn.execute(Department.__table__.insert(), [
            {"name": f"部门{i:02d}", "kind": "department"} for i in range(DEPARTMENTS)])
        dept_ids = [r[0] for r in conn.execute(select(Department.id))]
        users = [{"username": f"u{d}_{r}", "display_name": f"用户{d}{r}", "role": r,
                  "department_id": d, "password_hash": "x"}
                 for d in dept_ids for r in ("dept_officer", "dept_head")]
        users.append({"username": "director", "display_name": "主任", "role": "office_director",
                      "department_id": None, "password_hash": "x"})
        conn.execute(User.__table__.insert(), users)
        now = datetime(today.year, today.month, today.day)
        rows = []
        for i in range(n_cases):
            deadline = today + timedelta(days=rnd.randint(-60, 120))
            rows.append({"kind": "problem", "number": f"BJ-{today.year}-XC-{i + 1:06d}",
                         "title": f"隐患{i}", "description": "储罐区报警器失效",
                         "source": "patrol", "grade": "general",
                         "status": rnd.choice(("assigned", "in_progress", "in_progress",
                                               "reported")),
                         "department_id": rnd.choice(dept_ids), "deadline": deadline,
                         "original_deadline": deadline, "created_at": now,
                         "registered_at": now})
        for i in range(0, len(rows), 10000):
            conn.execute(Case.__table__.insert(), rows[i:i + 10000])
    return time.perf_counter() - t0


def timed_sweep(sessionmaker, today) -> tuple[float, dict]:
    with sessionmaker() as session:
        t0 = time.perf_counter()
        result = run_sweep(session, today=today, settings=SweepSettings())
        session.commit()
        return time.perf_counter() - t0, result.to_dict()


def count(sessionmaker, model) -> int:
    with sessionmaker() as session:
        return session.scalar(select(func.count()).select_from(model))


def run(url: str, n_cases: int, label: str) -> None:
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    sessionmaker = make_sessionmaker(engine)
    today = local_today()
    load = populate(engine, n_cases, today)
    print(f"== {label}: {n_cases:,} open cases inserted in {load:.1f} s")
    runs = [("first run (backlog)", today), ("same day again", today),
            ("next day (daily load)", today + timedelta(days=1))]
    timings = []
    for name, day in runs:
        seconds, result = timed_sweep(sessionmaker, day)
        timings.append(seconds)
        esc = result["escalations"]
        rem = result["reminders"]
        print(f"{name:24s} {seconds:7.2f} s  overdue+{result['overdue_marked']:<6} "
              f"reminders {sum(rem.values()):<5} escalations urge/supervise/interview "
              f"{esc['urge']}/{esc['supervise']}/{esc['interview']}  "
              f"notifications {result['notifications']}")
    print(f"audit events {count(sessionmaker, AuditEvent):,}, notifications "
          f"{count(sessionmaker, Notification):,}")
    print(f"ratio first/idle {timings[0] / timings[1]:.1f}x, daily/idle "
          f"{timings[2] / timings[1]:.1f}x")
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--pg", default=None, help="PostgreSQL URL of a database to (re)create")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run(f"sqlite:///{Path(tmp) / 'bench.db'}", args.cases, "SQLite")
    if args.pg:
        url = make_url(normalise_url(args.pg))
        admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{url.database}"'))
        try:
            run(url.render_as_string(hide_password=False), args.cases, "PostgreSQL")
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
            admin.dispose()


if __name__ == "__main__":
    main()

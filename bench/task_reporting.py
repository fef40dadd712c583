"""Task-list reporting figures as the number of task cases grows (SQLite file).

Run from the repository root:
    python -m bench.task_reporting                  # 1,000 and 10,000 task cases
    python -m bench.task_reporting --sizes 500 5000

Each size is bulk-loaded into a fresh SQLite file: task cases of one year spread over 60
units (a fifth of them towns), 交办 on 2 January, monthly reports by the 25th (some late,
some missing), a third closed. Timed (best of 3): the 滞后事项 list, the task figures of the
year at 30 September, and the daily reporting sweep (its second run, which sends nothing).
The real 2020 list has 73 task cases a year; 10,000 is a district running many lists.
"""
from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
from datetime import date, datetime, timedelta

from sqlalchemy import insert

from workflow.assessment.periods import make_window, parse_period
from workflow.assessment.task_figures import task_figures
from workflow.core.cases import Case
from workflow.models import Base
from workflow.org.models import Department, User
from workflow.platform.db import make_engine, make_sessionmaker
from workflow.tasklist.reporting import ProgressReport, lagging_list, sweep_reporting

YEAR = 2020
CUTOFF = date(YEAR, 9, 30)


def load(session, n: int, seed: int = 11) -> None:
    rnd = random.Random(seed)
    session.execute(insert(Department), [{"id": i, "name": f"单位{i:02d}{'镇' if i % 5 == 0 else '局'}",
                                          "kind": "town" if i % 5 == 0 else "department"}
                                         for i in range(1, 61)])
    session.execute(insert(User), [{"id": 1, "username": "u", "display_name": "u",
                                    "role": "dept_head", "department_id": 1, "password_hash": "x"}])
    reg = datetime(YEAR, 1, 2, 2)
    cases, reports = [], []
    for i in range(1, n + 1):
        closed = rnd.random() < 0.33
        deadline = date(YEAR, rnd.choice((6, 9, 12)), 28)
        done = datetime(YEAR, rnd.randint(3, 9), 10, 2) if closed else None
        cases.append({"id": i, "kind": "task", "number": f"WJ-{YEAR}-RW-{i:05d}", "title": f"任务{i}",
                      "source": "task_list", "grade": "general",
                      "status": "closed" if closed else "in_progress", "department_id": i % 60 + 1,
                      "deadline": deadline, "original_deadline": deadline, "registered_at": reg,
                      "reported_at": done, "closed_at": done})
        for month in range(1, 10):
            if rnd.random() < 0.1 or (done and datetime(YEAR, month, 25) > done):
                continue
            late = rnd.random() < 0.1
            day = date(YEAR, month, 26 if late else 20)
            reports.append({"case_id": i, "period": f"{YEAR}-{month:02d}",
                            "due_on": date(YEAR, month, 25), "on_time": not late, "text": "进展",
                            "evidence_ids_json": "[]", "filed_by_id": 1,
                            "filed_at": datetime.combine(day, datetime.min.time()) + timedelta(hours=2)})
    for i in range(0, len(cases), 5000):
        session.execute(insert(Case), cases[i:i + 5000])
    for i in range(0, len(reports), 5000):
        session.execute(insert(ProgressReport), reports[i:i + 5000])
    session.commit()


def best(fn, runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="*", default=[1000, 10000])
    sizes = parser.parse_args().sizes
    print(f"{'task cases':>10} {'滞后事项':>10} {'任务指标':>10} {'报送巡检':>10}")
    results = {}
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            engine = make_engine(f"sqlite:///{os.path.join(tmp, 'bench.db')}")
            Base.metadata.create_all(engine)
            Session = make_sessionmaker(engine)
            with Session() as session:
                load(session, n)
                w = make_window(parse_period(str(YEAR)), CUTOFF, accept_working_days=2)
                lag = best(lambda: lagging_list(session, CUTOFF))
                figs = best(lambda: task_figures(session, w))
                sweep_reporting(session, today=CUTOFF)
                session.commit()
                sweep = best(lambda: (sweep_reporting(session, today=CUTOFF), session.rollback()))
            engine.dispose()
        results[n] = (lag, figs, sweep)
        print(f"{n:>10} {lag:>9.3f}s {figs:>9.3f}s {sweep:>9.3f}s")
    if len(sizes) > 1:
        a, b = sizes[0], sizes[-1]
        print(f"growth {a}→{b} ({b / a:.0f}×): " + ", ".join(
            f"{name} {results[b][k] / results[a][k]:.1f}×"
            for k, name in enumerate(("滞后事项", "任务指标", "报送巡检"))))


if __name__ == "__main__":
    main()

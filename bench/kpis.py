"""Dashboard figures and ledger export time as the case table grows (PostgreSQL).

Run from the repository root:
    python -m bench.kpis                 # 10,000 and 100,000 cases
    python -m bench.kpis --million       # 10,000, 100,000 and 1,000,000 cases
    python -m bench.kpis --sizes 10000 300000

Each size is bulk-loaded with COPY into a fresh database ``h_kpis_bench`` (on
``BENCH_DATABASE_URL``, default the local server), spread over ten years
(2015–2024, ids in registration order as in a live register) and 60 departments,
with report/return audit events. The dashboard
is what /kpis draws: the department table, the district row and the monthly trend
of 2020 Q3 at a cut-off; the ledger is one department's cases of one year
(what an office exports for a 台账) and, up to 100,000 cases, the whole register.
Timings are the best of 3 warm runs; the last lines print the growth ratios.
"""
from __future__ import annotations

import argparse
import io
import os
import random
import time
from datetime import date, datetime, timedelta

from sqlalchemy import and_, create_engine, text
from sqlalchemy.engine import make_url

from workflow.assessment import figures
from workflow.core.cases import Case
from workflow.models import Base
from workflow.platform.db import make_engine, make_sessionmaker, normalise_url
from workflow.records.ledger_xlsx import write_ledger

DB = os.environ.get("KPIS_BENCH_DB", "h_kpis_bench")  # the database this bench creates and drops
DEPTS = 60
YEARS = (2015, 2024)
SOURCES = ["state_council", "patrol", "routine", "complaint", "covert", "campaign"]


def recreate(url):
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{DB}"'))
    admin.dispose()
    engine = make_engine(url.set(database=DB).render_as_string(hide_password=False))
    Base.metadata.create_all(engine)
    return engine


def ts(dt: datetime | None) -> str:
    return "\\N" if dt is None else dt.isoformat(sep=" ")


def load(engine, n: int, seed: int = 7) -> float:
    rnd = random.Random(seed)
    t0 = time.perf_counter()
    span = (date(YEARS[1], 12, 31) - date(YEARS[0], 1, 1)).days
    cases, events = io.StringIO(), io.StringIO()
    ev_id = 0
    # Case ids grow with registration time, as they do in a live register: a period's
    # cases sit together on disk (loading them in random order would measure the opposite).
    regs = sorted(datetime(YEARS[0], 1, 1, 1) + timedelta(days=rnd.randrange(span),
                                                         minutes=rnd.randrange(600))
                  for _ in range(n))
    for i, reg in enumerate(regs, 1):
        deadline = (reg + timedelta(days=rnd.choice((7, 15, 30, 30, 60, 90)))).date()
        extended = rnd.random() < 0.08
        current = deadline + timedelta(days=30) if extended else deadline
        accepted = reg + timedelta(hours=rnd.choice((2, 20, 44, 70, 100)))
        r = rnd.random()
        cancelled = r < 0.02
        # one case in ten is closed late (4 months to a year); only the last half year's stay open
        late = r > 0.9
        closed = None if cancelled else reg + timedelta(days=rnd.randrange(120, 400) if late
                                                        else rnd.randrange(3, 120))
        if closed and closed > datetime(YEARS[1], 12, 31) and reg > datetime(YEARS[1], 6, 30):
            closed = None
        reported = closed - timedelta(days=2) if closed else None
        status = "cancelled" if cancelled else "closed" if closed else "in_progress"
        returns = 1 if closed and rnd.random() < 0.15 else 0
        kind = "task" if rnd.random() < 0.02 else "problem"
        cases.write("\t".join(map(str, (
            i, kind, f"WJ-{reg.year}-XC-{i:07d}", f"隐患 {i}", "巡查发现的问题描述", SOURCES[i % 6],
            "major" if rnd.random() < 0.05 else "general", status, 1, 1 + returns,
            rnd.randrange(1, DEPTS + 1), current.isoformat(), deadline.isoformat(),
            "f", "f", "t" if extended else "f", "f", 0, returns, ts(reg), ts(reg),
            ts(None if cancelled else accepted), ts(reported), ts(closed),
            ts(reg + timedelta(days=1) if cancelled else None), "f", 0,
            f"镇{i % 12}", "危险化学品" if i % 3 else "建筑施工"))) + "\n")
        if reported:
            seq = 0
            for action, at in ([("report", reported - timedelta(days=5)),
                                ("return", reported - timedelta(days=4))] if returns else []) + [
                    ("report", reported)]:
                ev_id += 1
                seq += 1
                events.write(f"{ev_id}\t{i}\t{seq}\t{ts(at)}\t经办人\toffice_staff\t{action}\t{{}}\t"
                             f"{'0' * 64}\t{'0' * 64}\n")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO departments (id, name, kind, active, created_at) "
                          "SELECT g, '部门' || g, CASE WHEN g > 50 THEN 'town' ELSE 'department' END, "
                          "true, now() FROM generate_series(1, :n) g"), {"n": DEPTS})
        raw = conn.connection.driver_connection
        with raw.cursor() as cur:
            with cur.copy("COPY cases (id, kind, number, title, description, source, grade, status, "
                          "version, round, department_id, deadline, original_deadline, overdue, "
                          "extension_pending, extended, listed, supervision_level, returns_count, "
                          "created_at, registered_at, accepted_at, reported_at, closed_at, "
                          "cancelled_at, suspended, audit_seq, town, industry) FROM STDIN") as cp:
                cp.write(cases.getvalue())
            with cur.copy("COPY audit_events (id, case_id, seq, at, actor_name, actor_role, action, "
                          "payload_json, prev_hash, hash) FROM STDIN") as cp:
                cp.write(events.getvalue())
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    return time.perf_counter() - t0


def best(fn, runs: int = 3) -> float:
    fn()  # warm the caches and the plan
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def measure(engine, n: int, full_ledger: bool) -> dict:
    session = make_sessionmaker(engine)()
    w = figures.make_window(figures.parse_period("2020Q3"), "2020-10-10")
    year = figures.make_window(figures.parse_period("2020"), "2020-12-31")
    from workflow.core.workdays import calendar_for

    cal = calendar_for(session)

    def dashboard():
        rows = figures.compute(session, "department", w, calendar=cal)
        figures.compute(session, "district", w, calendar=cal)
        figures.monthly_trend(session, year)
        return rows

    rows = dashboard()
    out = {"n": n, "dashboard": best(dashboard),
           "year_table": best(lambda: figures.compute(session, "department", year, calendar=cal)),
           "registered_in_q3": sum(r["registered"] for r in rows)}
    where = and_(Case.department_id == 7, Case.registered_at >= datetime(2020, 1, 1),
                 Case.registered_at < datetime(2021, 1, 1))
    out["ledger_rows"] = session.execute(text(
        "SELECT count(*) FROM cases WHERE department_id = 7 AND registered_at >= '2020-01-01' "
        "AND registered_at < '2021-01-01'")).scalar()
    out["ledger_dept_year"] = best(lambda: write_ledger(session, where), runs=2)
    if full_ledger:
        t0 = time.perf_counter()
        write_ledger(session, None)
        out["ledger_full"] = time.perf_counter() - t0
    session.close()
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--million", action="store_true", help="add 1,000,000 cases")
    ap.add_argument("--sizes", type=int, nargs="*")
    args = ap.parse_args()
    sizes = args.sizes or ([10_000, 100_000] + ([1_000_000] if args.million else []))
    url = make_url(normalise_url(os.environ.get("BENCH_DATABASE_URL",
                                                "postgresql://postgres@127.0.0.1:5432/postgres")))
    results = []
    for n in sizes:
        engine = recreate(url)
        loaded = load(engine, n)
        r = measure(engine, n, full_ledger=n <= 100_000)
        engine.dispose()
        results.append(r)
        full = f", whole register {r['ledger_full']:.2f} s" if "ledger_full" in r else ""
        print(f"{n:>9,} cases (loaded in {loaded:.1f} s): dashboard {r['dashboard'] * 1000:.0f} ms "
              f"(Q3 registered {r['registered_in_q3']:,}), year table {r['year_table'] * 1000:.0f} ms, "
              f"ledger of one department-year ({r['ledger_rows']:,} rows) "
              f"{r['ledger_dept_year']:.2f} s{full}", flush=True)
    first, last = results[0], results[-1]
    if len(results) > 1:
        grow = last["n"] / first["n"]
        print(f"data grew {grow:.0f}x: dashboard {last['dashboard'] / first['dashboard']:.1f}x, "
              f"year table {last['year_table'] / first['year_table']:.1f}x, "
              f"department-year ledger {last['ledger_dept_year'] / first['ledger_dept_year']:.1f}x "
              f"(its rows {last['ledger_rows'] / max(first['ledger_rows'], 1):.0f}x)")
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)'))
    admin.dispose()


if __name__ == "__main__":
    main()

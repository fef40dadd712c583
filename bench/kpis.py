"""Dashboard figures and ledger export time as the case table grows (PostgreSQL).

Run from the repository root:
    python -m bench.kpis                 # 10,000 and 100,000 cases
    python -m bench.kpis --million       # 10,000, 100,000 and 1,000,000 cases
    python -m bench.kpis --sizes 10000 300000

Each size is generated inside PostgreSQL (generate_series) into a fresh database
(``KPIS_BENCH_DB``, default ``h_kpis_bench``, on ``BENCH_DATABASE_URL``, default the local
server; dropped at the end), spread over ten years
(2015–2024, ids in registration order as in a live register) and 60 departments,
with report/return audit events. The dashboard
is what /kpis draws: the department table and the district row of 2020 Q3 at a cut-off
(one pass, ``figures.compute_with_district``) and the monthly trend; the ledger is one
department's cases of one year (what an office exports for a 台账) and, up to 100,000 cases, the whole register.
Timings are the best of 3 warm runs; the last lines print the growth ratios and both goals
(dashboard < 1 s at 1,000,000 cases; dashboard growth <= 5x from the smallest size to the
largest), each with met/MISSED and the load average (the machine may be shared). Beside the
wall time, the dashboard's CPU time per run (mean over the runs): this process's and, when the
server runs on this machine, its PostgreSQL backend's (parallel workers not counted), which a
busy machine does not inflate.
"""
from __future__ import annotations

import argparse
import os
import time
from datetime import datetime

from sqlalchemy import and_, create_engine, text
from sqlalchemy.engine import make_url

from workflow.assessment import figures, periods
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


# The register generated inside PostgreSQL (generate_series, one INSERT … SELECT per table):
# a million cases load in well under a minute, with nothing shipped row by row from Python.
# setseed() makes every run draw the same register.
CASES_SQL = """
WITH base AS (
    SELECT g AS i,
           TIMESTAMP '2015-01-01 01:00' + (g - 1) * (INTERVAL '1 second' * :span / :n) AS reg,
           random() AS r_dl, random() AS r_ext, random() AS r_acc, random() AS r_state,
           random() AS r_close, random() AS r_ret, random() AS r_kind, random() AS r_grade,
           random() AS r_dept
    FROM generate_series(1, :n) g
), d AS (
    SELECT *, (reg + (ARRAY[7, 15, 30, 30, 60, 90])[1 + floor(r_dl * 6)::int]
                     * INTERVAL '1 day')::date AS dl,
           r_ext < 0.08 AS ext, r_state < 0.02 AS cancelled, r_state > 0.9 AS late,
           reg + (ARRAY[2, 20, 44, 70, 100])[1 + floor(r_acc * 5)::int] * INTERVAL '1 hour' AS acc
    FROM base
), e AS (
    SELECT *, CASE WHEN NOT cancelled THEN reg + (CASE WHEN late THEN 120 + floor(r_close * 280)
                                                  ELSE 3 + floor(r_close * 117) END)
                                               * INTERVAL '1 day' END AS closed0
    FROM d
), f AS (
    SELECT *, CASE WHEN closed0 > TIMESTAMP '2024-12-31' AND reg > TIMESTAMP '2024-06-30'
                   THEN NULL ELSE closed0 END AS closed
    FROM e
), g AS (
    SELECT *, CASE WHEN closed IS NOT NULL AND r_ret < 0.15 THEN 1 ELSE 0 END AS rets FROM f
)
INSERT INTO cases (id, kind, number, title, description, source, grade, status, version, round,
                   department_id, deadline, original_deadline, overdue, extension_pending,
                   extended, listed, supervision_level, returns_count, created_at,
                   registered_at, accepted_at, reported_at, closed_at, cancelled_at, suspended,
                   audit_seq, town, industry)
SELECT i, CASE WHEN r_kind < 0.02 THEN 'task' ELSE 'problem' END,
       'WJ-' || extract(year FROM reg)::int || '-XC-' || lpad(i::text, 7, '0'), '隐患 ' || i,
       '巡查发现的问题描述', (ARRAY['state_council', 'patrol', 'routine', 'complaint', 'covert',
                                  'campaign'])[1 + i % 6],
       CASE WHEN r_grade < 0.05 THEN 'major' ELSE 'general' END,
       CASE WHEN cancelled THEN 'cancelled' WHEN closed IS NOT NULL THEN 'closed'
            ELSE 'in_progress' END,
       1, 1 + rets, 1 + floor(r_dept * :depts)::int,
       CASE WHEN ext THEN dl + 30 ELSE dl END, dl, false, false, ext, false, 0, rets, reg, reg,
       CASE WHEN NOT cancelled THEN acc END, closed - INTERVAL '2 days', closed,
       CASE WHEN cancelled THEN reg + INTERVAL '1 day' END, false, 0, '镇' || (i % 12),
       CASE WHEN i % 3 <> 0 THEN '危险化学品' ELSE '建筑施工' END
FROM g
"""
# report/return events: a returned case has report, return, report; the others one report
EVENTS_SQL = """
INSERT INTO audit_events (case_id, seq, at, actor_name, actor_role, action, payload_json,
                          prev_hash, hash)
SELECT c.id, CASE WHEN c.returns_count = 1 THEN s.seq ELSE 1 END, c.reported_at - s.back,
       '经办人', 'office_staff', s.action, '{}', repeat('0', 64), repeat('0', 64)
FROM cases c CROSS JOIN LATERAL (VALUES (1, 'report', INTERVAL '5 days'),
                                        (2, 'return', INTERVAL '4 days'),
                                        (3, 'report', INTERVAL '0 days')) AS s(seq, action, back)
WHERE c.reported_at IS NOT NULL AND (c.returns_count = 1 OR s.seq = 3)
"""


def load(engine, n: int, seed: float = 0.7) -> float:
    """Generate ``n`` cases over ten years (ids in registration order, as in a live register:
    a period's cases sit together on disk) and their report/return events."""
    t0 = time.perf_counter()
    span = (datetime(YEARS[1], 12, 31) - datetime(YEARS[0], 1, 1)).total_seconds()
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO departments (id, name, kind, active, created_at) "
                          "SELECT g, '部门' || g, CASE WHEN g > 50 THEN 'town' ELSE 'department' END, "
                          "true, now() FROM generate_series(1, :n) g"), {"n": DEPTS})
        conn.execute(text("SELECT setseed(:s)"), {"s": seed})
        conn.execute(text(CASES_SQL), {"n": n, "span": span, "depts": DEPTS})
        conn.execute(text(EVENTS_SQL))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    return time.perf_counter() - t0


def backend_cpu(session):
    """A function giving the CPU seconds the connection's PostgreSQL backend has used so far, or
    None when that process is not on this machine (its /proc entry is not readable)."""
    pid = session.execute(text("SELECT pg_backend_pid()")).scalar()
    tick = os.sysconf("SC_CLK_TCK")

    def used():
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / tick  # utime + stime
    return used if used() is not None else lambda: None


def cpu_per_run(fn, server, runs: int = 5) -> tuple[float, float | None]:
    """(this process's, the backend's) CPU seconds per run of ``fn``, mean over ``runs``."""
    s0, c0 = server(), time.process_time()
    for _ in range(runs):
        fn()
    client = (time.process_time() - c0) / runs
    s1 = server()
    return client, (s1 - s0) / runs if s0 is not None and s1 is not None else None


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
    w = periods.make_window(periods.parse_period("2020Q3"), "2020-10-10")
    year = periods.make_window(periods.parse_period("2020"), "2020-12-31")
    from workflow.core.workdays import calendar_for

    cal = calendar_for(session)

    def dashboard():
        rows, _district = figures.compute_with_district(session, w, calendar=cal)
        figures.monthly_trend(session, year)
        return rows

    rows = dashboard()
    out = {"n": n, "dashboard": best(dashboard), "load_before": os.getloadavg()[0]}
    out["cpu_client"], out["cpu_server"] = cpu_per_run(dashboard, backend_cpu(session))
    out["year_table"] = best(lambda: figures.compute(session, "department", year, calendar=cal))
    out["registered_in_q3"] = sum(r["registered"] for r in rows)
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


def cpu_text(r: dict) -> str:
    server = "" if r["cpu_server"] is None else f" + server {r['cpu_server'] * 1000:.0f} ms"
    return (f"CPU per run: this process {r['cpu_client'] * 1000:.0f} ms{server}; load average "
            f"{r['load_before']:.1f}")


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
              f"({cpu_text(r)}; Q3 registered {r['registered_in_q3']:,}), "
              f"year table {r['year_table'] * 1000:.0f} ms, "
              f"ledger of one department-year ({r['ledger_rows']:,} rows) "
              f"{r['ledger_dept_year']:.2f} s{full}", flush=True)
    first, last = results[0], results[-1]
    big = max(results, key=lambda r: r["n"])
    machine = f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    print(f"goal 1: dashboard < 1 s at 1,000,000 cases — at {big['n']:,}: "
          f"{big['dashboard'] * 1000:.0f} ms ({'met' if big['dashboard'] < 1 else 'MISSED'}"
          f"{'' if big['n'] >= 1_000_000 else '; run with --million'}; {machine})")
    if len(results) > 1:
        growth = last["dashboard"] / first["dashboard"]
        cpu = [r["cpu_client"] + (r["cpu_server"] or 0) for r in (first, last)]
        print(f"goal 2: dashboard growth <= 5x from {first['n']:,} to {last['n']:,} cases — "
              f"{growth:.2f}x ({'met' if growth <= 5 else 'MISSED'}; {machine}); "
              f"CPU time grew {cpu[1] / cpu[0]:.2f}x")
        grow = last["n"] / first["n"]
        print(f"data grew {grow:.0f}x, the Q3 registrations "
              f"{last['registered_in_q3'] / max(first['registered_in_q3'], 1):.0f}x: "
              f"dashboard {last['dashboard'] / first['dashboard']:.1f}x, "
              f"year table {last['year_table'] / first['year_table']:.1f}x, "
              f"department-year ledger {last['ledger_dept_year'] / first['ledger_dept_year']:.1f}x "
              f"(its rows {last['ledger_rows'] / max(first['ledger_rows'], 1):.0f}x)")
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)'))
    admin.dispose()


if __name__ == "__main__":
    main()

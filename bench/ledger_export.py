"""Whole-register 台账 Excel export: rows per second and memory as the register grows.

Run from the repository root:
    python -m bench.ledger_export                   # 20,000 and 100,000 cases
    python -m bench.ledger_export --sizes 20000 300000

Each size is generated inside PostgreSQL (bench.kpis.load) in a fresh database
``LEDGER_BENCH_DB`` (default ``h_ledger_bench``) on ``BENCH_DATABASE_URL`` (default the
local server), dropped at the end. The export is ``write_ledger_to`` — what the background
job runs — into a temporary file: its rate (wall clock and this process's CPU, as the
machine may be shared) and, in a second run under tracemalloc, its peak Python memory.
Goals: >= 50,000 rows/s, and memory that does not grow with the register.
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time
import tracemalloc

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from bench import kpis
from workflow.platform.db import make_sessionmaker, normalise_url
from workflow.records.ledger_xlsx import write_ledger_to

DB = os.environ.get("LEDGER_BENCH_DB", "h_ledger_bench")


def export(engine, path: str, trace: bool = False) -> tuple[int, float, float, int]:
    session = make_sessionmaker(engine)()
    try:
        if trace:
            tracemalloc.start()
        t0, c0 = time.perf_counter(), time.process_time()
        rows = write_ledger_to(path, session)
        wall, cpu = time.perf_counter() - t0, time.process_time() - c0
        peak = tracemalloc.get_traced_memory()[1] if trace else 0
        return rows, wall, cpu, peak
    finally:
        if trace:
            tracemalloc.stop()
        session.close()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="*", default=[20_000, 100_000])
    args = ap.parse_args()
    url = make_url(normalise_url(os.environ.get("BENCH_DATABASE_URL",
                                                "postgresql://postgres@127.0.0.1:5432/postgres")))
    kpis.DB = DB
    results = []
    try:
        for n in args.sizes:
            engine = kpis.recreate(url)
            loaded = kpis.load(engine, n)
            with tempfile.TemporaryDirectory() as tmp:
                path = os.path.join(tmp, "ledger.xlsx")
                export(engine, path)  # warm: the plan, the caches
                rows, wall, cpu, _ = export(engine, path)
                size = os.path.getsize(path)
                _, _, _, peak = export(engine, path, trace=True)
            engine.dispose()
            results.append((n, rows, wall, cpu, peak))
            print(f"{n:>9,} cases (loaded in {loaded:.1f} s): {rows:,} rows in {wall:.2f} s = "
                  f"{rows / wall:,.0f} rows/s (this process's CPU {cpu:.2f} s = "
                  f"{rows / cpu:,.0f} rows/s), file {size / 2**20:.1f} MiB, peak Python memory "
                  f"{peak / 2**20:.1f} MiB  (load average {os.getloadavg()[0]:.1f} on "
                  f"{os.cpu_count()} cores)", flush=True)
    finally:
        admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)'))
        admin.dispose()
    big = results[-1]
    rate = big[1] / big[2]
    print(f"goal: >= 50,000 rows/s — {rate:,.0f} rows/s wall, {big[1] / big[3]:,.0f} rows/s of CPU "
          f"({'met' if rate >= 50_000 else 'MISSED'})")
    if len(results) > 1:
        first = results[0]
        print(f"goal: constant memory — {first[1]:,} rows peak {first[4] / 2**20:.1f} MiB, "
              f"{big[1]:,} rows peak {big[4] / 2**20:.1f} MiB "
              f"({big[4] / max(first[4], 1):.2f}x for {big[1] / max(first[1], 1):.0f}x the rows)")


if __name__ == "__main__":
    main()

"""Time the task-list import: the real 2020 list and a generated 5,000-item list.

Run from the repository root: python -m bench.import
SQLite always (a temporary file); PostgreSQL too when BENCH_DATABASE_URL (default
postgresql://postgres@127.0.0.1:5432/safeloop_bench) answers. Each run starts from an
empty database: parse, dry run, import (every case created and 挂号交办), re-import; then
every case's audit chain is verified (create + register, one event each).
Goal: the 5,000-item list imported in < 10 s on both databases (printed with the verdict;
the process's CPU time and the load average beside it, as the machine may be shared).
"""
import io
import os
import tempfile
import time
from pathlib import Path

import openpyxl
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from workflow.core.audit import AuditEvent, verify_all
from workflow.core.cases import Case
from workflow.core.service import Settings
from workflow.models import Base
from workflow.org.models import Department, User
from workflow.platform.db import make_engine, make_sessionmaker, normalise_url
from workflow.tasklist import parse_tasklist
from workflow.tasklist.importer import import_tasklist

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "wujin-2020-task-list.txt"
PG_URL = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/safeloop_bench")
DEPARTMENTS = [f"区第{n}局" for n in range(1, 41)]


def generated_list(items: int = 5000) -> bytes:
    """An .xlsx list: 50 目标项目 × 10 目标任务 × 10 items, real-looking department cells."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["生成的目标任务清单"])
    sheet.append(["序号", "目标项目", "目标任务", "具体内容", "责任部门", "备注"])
    for n in range(items):
        project, task = n // 100 + 1, n // 10
        lead = DEPARTMENTS[n % 40]
        cell = lead if n % 7 else f"{lead}、{DEPARTMENTS[(n + 1) % 40]}"  # some items: two leads
        if n % 3 == 0:
            cell += f"\n{DEPARTMENTS[(n + 5) % 40]}、各安委会成员单位"
        content = f"第{n + 1}项工作：组织开展安全生产专项检查" + ("，每年不少于2次。" if n % 4 == 0 else "。")
        sheet.append([project, f"目标项目{project}", f"目标任务{task}", content, cell, ""])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def run(url: str, label: str, data: bytes, filename: str) -> dict:
    engine = make_engine(url)
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    session = make_sessionmaker(engine)()
    office = Department(name="区安委办", kind="office")
    session.add(office)
    session.flush()
    actor = User(username="office", display_name="王经办", role="office_staff",
                 department=office, password_hash="x")
    session.add(actor)
    session.commit()
    times = {}
    t0, c0 = time.perf_counter(), time.process_time()
    parse_tasklist(data, filename)
    times["parse"] = time.perf_counter() - t0
    times["parse_cpu"] = time.process_time() - c0
    t0 = time.perf_counter()
    import_tasklist(session, data, filename, 2020, actor, dry_run=True, settings=Settings(),
                    create_unknown=True)
    session.rollback()
    times["dry_run"] = time.perf_counter() - t0
    t0, c0 = time.perf_counter(), time.process_time()
    result = import_tasklist(session, data, filename, 2020, actor, settings=Settings(),
                             create_unknown=True)
    session.commit()
    times["import"] = time.perf_counter() - t0
    times["import_cpu"] = time.process_time() - c0
    t0 = time.perf_counter()
    again = import_tasklist(session, data, filename, 2020, actor, settings=Settings(),
                             create_unknown=True)
    session.commit()
    times["reimport"] = time.perf_counter() - t0
    cases = session.scalar(select(func.count()).select_from(Case))
    assert cases == len(result.cases) and not again.writes_anything
    events = session.scalar(select(func.count()).select_from(AuditEvent))
    breaks = list(verify_all(session))
    assert events == 2 * cases and not breaks, (events, breaks[:3])  # create + register each
    session.close()
    Base.metadata.drop_all(engine)
    engine.dispose()
    print(f"{label:<28} {result.items:>5} items {cases:>5} cases  parse {times['parse']:6.2f} s "
          f"(CPU {times['parse_cpu']:5.2f} s)  "
          f"dry run {times['dry_run']:6.2f} s  import {times['import']:6.2f} s "
          f"({cases / times['import']:5.0f} cases/s; this process's CPU {times['import_cpu']:5.2f} s)"
          f"  re-import {times['reimport']:6.2f} s; {events} events, every chain verifies")
    return times


def postgres_url() -> str | None:
    url = make_url(normalise_url(PG_URL))
    try:
        admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{url.database}"'))
        admin.dispose()
    except Exception as exc:  # no server: say so and go on with SQLite
        print(f"PostgreSQL not reachable ({type(exc).__name__}): skipped")
        return None
    return url.render_as_string(hide_password=False)


def drop_postgres() -> None:
    url = make_url(normalise_url(PG_URL))
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)'))
    admin.dispose()


def main() -> None:
    sample = SAMPLE.read_bytes()
    big = generated_list()
    with tempfile.TemporaryDirectory() as tmp:
        urls = [("SQLite", f"sqlite:///{tmp}/bench.db")]
        pg = postgres_url()
        if pg:
            urls.append(("PostgreSQL", pg))
        for db, url in urls:
            small = run(url, f"{db}: 2020 list", sample, SAMPLE.name)
            large = run(url, f"{db}: 5,000 items", big, "generated.xlsx")
            print(f"{db}: 5,000-item import takes {large['import'] / small['import']:.0f}x "
                  f"the 2020 list's; re-import {large['reimport'] / small['reimport']:.0f}x")
            print(f"{db}: 5,000-item list parsed in {large['parse_cpu']:.2f} s of CPU (goal <= 1 s: "
                  f"{'met' if large['parse_cpu'] <= 1 else 'MISSED'}; python -m bench.parse for "
                  "every format)")
            print(f"{db}: 5,000 items imported in {large['import']:.2f} s (goal < 10 s; "
                  f"{'met' if large['import'] < 10 else 'MISSED'}; load average "
                  f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
        if pg:
            drop_postgres()


if __name__ == "__main__":
    main()

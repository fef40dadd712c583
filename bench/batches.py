"""Time a 交办批次: importing a 90-item and a 1,000-item inspection list (registered), and the
对账表 as xlsx and PDF.

Run from the repository root: python -m bench.batches (SQLite, a temporary file).
The lists carry a title row, 原序号, merged 责任单位 cells and every kind of deadline text.
"""
import io
import tempfile
import time
from pathlib import Path

import openpyxl

from workflow.core.service import Settings
from workflow.models import Base
from workflow.org.models import Department, User
from workflow.platform.db import make_engine, make_sessionmaker
from workflow.problems import batches
from workflow.records.reconciliation import render_reconciliation, write_reconciliation

DEPARTMENTS = [f"区第{n}局" for n in range(1, 21)]
DEADLINES = ["立行立改", "长期坚持", "年底前", "2020年12月底前", "2020-06-30", "立行立改并长期坚持",
             "6月底前", "上半年"]


def inspection_list(items: int) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["督导组反馈问题清单"])
    ws.append(["原序号", "问题描述", "责任单位", "整改时限"])
    for n in range(items):
        ws.append([str(n + 1), f"第{n + 1}个问题：重点企业安全生产主体责任落实不到位",
                   DEPARTMENTS[n % 20], DEADLINES[n % len(DEADLINES)]])
    for n in range(0, items - 1, 10):  # every tenth item shares its unit with the next one
        ws.merge_cells(f"C{n + 3}:C{n + 4}")
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def run(items: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'bench.db'}")
        Base.metadata.create_all(engine)
        session = make_sessionmaker(engine)()
        office = Department(name="区安委办", kind="office")
        session.add(office)
        session.add_all(Department(name=n) for n in DEPARTMENTS)
        actor = User(username="office", display_name="王经办", role="office_staff",
                     department=office, password_hash="x")
        session.add(actor)
        session.commit()
        batch = batches.create_batch(session, actor, {
            "title": "督导组反馈问题", "issuer_level": "state", "doc_number": "安委督〔2020〕3号",
            "assigned_on": "2020-03-16", "deadline": "2020年底前", "backfill": True})
        session.commit()
        data = inspection_list(items)
        times = {}
        t0 = time.perf_counter()
        batches.import_batch(session, actor, batch.id, data, "list.xlsx", dry_run=True,
                             settings=Settings(), max_rows=5000)
        session.rollback()
        times["preview"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        report = batches.import_batch(session, actor, batch.id, data, "list.xlsx", register=True,
                                      settings=Settings(), max_rows=5000)
        session.commit()
        times["import+register"] = time.perf_counter() - t0
        assert len(report.created) == items
        t0 = time.perf_counter()
        xlsx = write_reconciliation(session, batch)
        times["reconciliation.xlsx"] = time.perf_counter() - t0
        t0 = time.perf_counter()
        pdf = render_reconciliation(session, batch)
        times["reconciliation.pdf"] = time.perf_counter() - t0
        times["xlsx KiB"] = len(xlsx) / 1024
        times["pdf KiB"] = len(pdf) / 1024
        session.close()
        engine.dispose()
        return times


def main() -> None:
    for items in (90, 1000):
        times = run(items)
        line = "  ".join(f"{k} {v:.2f}{'' if 'KiB' in k else ' s'}" for k, v in times.items())
        print(f"{items:>5} items: {line}")


if __name__ == "__main__":
    main()

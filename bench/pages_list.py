"""Case list page on 100,000 cases: first page vs a deep keyset page vs the OFFSET equivalent.

Run from the repository root:
    python -m bench.pages_list [N]

Prints milliseconds per request (median of 5) measured in this run, and ratios.
"""
from __future__ import annotations

import re
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta

from sqlalchemy import insert, select

from blueprints import create_app
from blueprints.extensions import db
from workflow.core.cases import Case
from workflow.core.queries import page
from workflow.models import Base
from workflow.org.auth import hash_password
from workflow.org.models import Department, User

N = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
STATUSES = ["assigned", "in_progress", "reported", "verified", "closed", "draft"]


def fill(app) -> None:
    with app.app_context():
        Base.metadata.create_all(db.engine)
        depts = [Department(name=f"部门{i}") for i in range(30)]
        db.session.add_all(depts)
        db.session.add(User(username="office", display_name="经办", role="office_staff",
                            password_hash=hash_password("bench-password")))
        db.session.flush()
        start = date(2024, 1, 1)
        rows = []
        for i in range(N):
            status = STATUSES[i % 6]
            rows.append({"kind": "problem", "title": f"隐患{i}", "description": "描述",
                         "source": "patrol", "grade": "general", "status": status,
                         "number": None if status == "draft" else f"WJ-2024-XC-{i:06d}",
                         "department_id": depts[i % 30].id, "version": 1, "round": 1,
                         "deadline": None if status == "draft" else start + timedelta(days=i % 700),
                         "created_at": datetime(2024, 1, 1) + timedelta(minutes=i)})
            if len(rows) == 10_000:
                db.session.execute(insert(Case), rows)
                rows = []
        if rows:
            db.session.execute(insert(Case), rows)
        db.session.commit()


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
                          "STORAGE_DIR": f"{tmp}/s", "WTF_CSRF_ENABLED": False})
        fill(app)
        client = app.test_client()
        client.post("/login", data={"username": "office", "password": "bench-password"})
        print(f"{N} cases, SQLite")
        for sort in ("-registered", "deadline", "-number"):
            first = client.get(f"/cases?sort={sort}")
            assert first.status_code == 200
            # walk 200 pages deep with keyset cursors, then time that deep page
            url = f"/cases?sort={sort}"
            with app.app_context():
                from blueprints.web.case_list import PAGE_SIZE
                from workflow.core.queries import parse_sort

                key, desc = parse_sort(sort)
                stmt = select(Case)
                after = None
                for _ in range(200):
                    _, after = page(db.session, stmt, sort=key, descending=desc, after=after,
                                    limit=PAGE_SIZE)
                column = {"registered": Case.id, "deadline": Case.deadline,
                          "number": Case.number}[key]
                order = column.desc() if desc else column.asc()
                offset_stmt = select(Case).order_by(order.nulls_last(), Case.id).offset(
                    200 * PAGE_SIZE).limit(PAGE_SIZE)
                offset_ms = timed(lambda: db.session.scalars(offset_stmt).all())
                keyset_query_ms = timed(lambda: page(db.session, stmt, sort=key, descending=desc,
                                                     after=after, limit=PAGE_SIZE))
            deep = f"{url}&after={after}"
            first_ms = timed(lambda: client.get(f"/cases?sort={sort}"))
            deep_ms = timed(lambda: client.get(deep))
            assert re.search(r'rel="next"', client.get(deep).text)
            print(f"sort={sort:12} page 1: {first_ms:6.1f} ms  page 201 (keyset): {deep_ms:6.1f} ms"
                  f"  ratio {deep_ms / first_ms:4.2f}  | query only: keyset {keyset_query_ms:5.1f} ms"
                  f" vs OFFSET {offset_ms:5.1f} ms (x{offset_ms / keyset_query_ms:4.1f})")
        app.extensions["safeloop.engine"].dispose()


if __name__ == "__main__":
    main()

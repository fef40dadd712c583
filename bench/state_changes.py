"""Transitions per second through the service vs. a bare guarded UPDATE + INSERT.

Run from the repository root: python -m bench.state_changes [--n 400] [--pg postgresql://postgres@127.0.0.1:5432/safeloop_bench]
Prints, for SQLite and (if reachable) PostgreSQL, the rate of `accept` transitions through
workflow.core.service.transition (role, scope, guards, row lock, version, audit event, one commit
each) and of the floor: `UPDATE cases SET status, version=version+1 WHERE id AND version`
plus one `INSERT INTO audit_events`, one commit each, on the same database in the same run.
"""
from __future__ import annotations

import argparse
import os
import tempfile
import time
from datetime import date, timedelta

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from workflow.core import service
from workflow.models import Base, Department, User
from workflow.org.auth import hash_password
from workflow.platform.db import make_engine, make_sessionmaker, normalise_url
from workflow.problems.registration import create_problem


def prepare(url: str, n: int):
    engine = make_engine(url)
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    maker = make_sessionmaker(engine)
    s = maker()
    dept = Department(name="区应急管理局")
    office = Department(name="区安委办", kind="office")
    s.add_all([dept, office])
    s.flush()
    pw = hash_password("bench-password")
    staff = User(username="staff", display_name="经办", role="office_staff", department=office,
                 password_hash=pw)
    officer = User(username="officer", display_name="联络员", role="dept_officer", department=dept,
                   password_hash=pw)
    inspector = User(username="insp", display_name="检查", role="inspector", password_hash=pw)
    s.add_all([staff, officer, inspector])
    s.commit()
    ids = []
    for i in range(2 * n):
        case = create_problem(s, inspector, {
            "title": f"隐患 {i}", "description": "基准测试", "source": "patrol", "grade": "general",
            "department_id": dept.id, "deadline": (date.today() + timedelta(days=400)).isoformat()})
        service.transition(s, case.id, "register", staff, version=case.version)
        ids.append((case.id, case.version))
    s.commit()
    s.close()
    return engine, maker, officer.id, ids


def bench_service(maker, officer_id, cases) -> float:
    # one session, as a worker holds it; the actor is loaded once (a request's login
    # does that before it reaches the service). Each transition commits on its own.
    s = maker()
    actor = s.get(User, officer_id)
    start = time.perf_counter()
    for case_id, version in cases:
        service.transition(s, case_id, "accept", actor, version=version)
        s.commit()
    rate = len(cases) / (time.perf_counter() - start)
    s.close()
    return rate


def bench_floor(engine, officer_id, cases) -> float:
    start = time.perf_counter()
    for case_id, version in cases:
        with engine.begin() as conn:
            done = conn.execute(text(
                "UPDATE cases SET status='in_progress', version=version+1 "
                "WHERE id=:id AND version=:v"), {"id": case_id, "v": version}).rowcount
            assert done == 1
            conn.execute(text(
                "INSERT INTO audit_events (case_id, seq, at, actor_id, actor_name, actor_role, action, "
                "from_status, to_status, payload_json, prev_hash, hash) VALUES "
                "(:c, 1000, CURRENT_TIMESTAMP, :a, '联络员', 'dept_officer', 'accept', 'assigned', "
                "'in_progress', '{}', :h, :h)"), {"c": case_id, "a": officer_id, "h": "0" * 64})
    return len(cases) / (time.perf_counter() - start)


def run(label: str, url: str, n: int) -> None:
    engine, maker, officer_id, ids = prepare(url, n)
    service_cases, floor_cases = ids[0::2], ids[1::2]
    # alternate halves so neither side profits from a warmer cache
    rate_floor = bench_floor(engine, officer_id, floor_cases[: n // 2])
    rate_service = bench_service(maker, officer_id, service_cases[: n // 2])
    rate_floor2 = bench_floor(engine, officer_id, floor_cases[n // 2:])
    rate_service2 = bench_service(maker, officer_id, service_cases[n // 2:])
    floor = (rate_floor + rate_floor2) / 2
    svc = (rate_service + rate_service2) / 2
    print(f"{label:<11} service {svc:8.0f} transitions/s   floor (UPDATE+INSERT) {floor:8.0f}/s   "
          f"ratio {svc / floor:.2f}   (n={n})")
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=400)
    parser.add_argument("--pg", default=os.environ.get(
        "BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/safeloop_bench"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        run("SQLite", f"sqlite:///{tmp}/bench.db", args.n)
    url = make_url(normalise_url(args.pg))
    try:
        admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname=:d"),
                                {"d": url.database}).scalar():
                conn.execute(text(f'CREATE DATABASE "{url.database}"'))
        admin.dispose()
    except Exception as exc:  # no server: say so plainly
        print(f"PostgreSQL  not measured: {exc.__class__.__name__} connecting to {url.host}")
        return
    run("PostgreSQL", url.render_as_string(hide_password=False), args.n)


if __name__ == "__main__":
    main()

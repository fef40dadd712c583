"""Transitions per second through the service vs. a bare guarded UPDATE + INSERT.

Run from the repository root: python -m bench.state_changes [--n 400] [--pg postgresql://postgres@127.0.0.1:5432/safeloop_bench]
Prints, for SQLite and (if reachable) PostgreSQL, the rate of `accept` transitions through
workflow.core.service.transition (role, scope, guards, row lock, version, audit event, one commit
each) and of the floor: `UPDATE cases SET status, version=version+1 WHERE id AND version`
plus one `INSERT INTO audit_events`, one commit each, on the same database in the same run.
The two alternate in chunks of 50, so a neighbour's load on a shared machine falls on both.

Beside them, when Django and django-fsm-2 are importable, the peer doing the same guarded,
locked, audited `accept` (django-fsm-2 with ConcurrentTransitionMixin; the script named by
``--peer`` / ``PEER_SCRIPT``, by default ``shared/peers/django_fsm_peer.py`` next to the
checkout), run twice in its own process between our halves. Goal: ratio >= 0.5 and ahead of
the peer on both databases.
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import re
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

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
    """Seconds for ``cases`` through the service."""
    # one session, as a worker holds it; the actor is loaded once (a request's login
    # does that before it reaches the service). Each transition commits on its own.
    s = maker()
    actor = s.get(User, officer_id)
    start = time.perf_counter()
    for case_id, version in cases:
        service.transition(s, case_id, "accept", actor, version=version)
        s.commit()
    took = time.perf_counter() - start
    s.close()
    return took


def bench_floor(engine, officer_id, cases) -> float:
    """Seconds for ``cases`` through the bare guarded UPDATE + INSERT.

    The event's action is one no trigger acts on: on SQLite an ``accept`` event settles the
    case's requests (``audit_events_settle_requests``), work of the service's transition
    that the bare floor does not do."""
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
                "(:c, 1000, CURRENT_TIMESTAMP, :a, '联络员', 'dept_officer', 'floor', 'assigned', "
                "'in_progress', '{}', :h, :h)"), {"c": case_id, "a": officer_id, "h": "0" * 64})
    return time.perf_counter() - start


def peer_script(explicit: str | None) -> Path | None:
    """The django-fsm-2 peer, when it and Django are there."""
    if importlib.util.find_spec("django") is None or importlib.util.find_spec("django_fsm") is None:
        return None
    root = Path(__file__).resolve().parent.parent
    candidates = [explicit, os.environ.get("PEER_SCRIPT"),
                  root.parent / "shared/peers/django_fsm_peer.py",
                  root.parent.parent / "shared/peers/django_fsm_peer.py"]
    for c in candidates:
        if c and Path(c).is_file():
            return Path(c)
    return None


def run_peer(script: Path, pg_url=None) -> float | None:
    """One run of the peer in its own process (a fresh database each time); its rate."""
    env = dict(os.environ)
    admin = None
    if pg_url is not None:
        name = f"{pg_url.database}_peer"
        admin = create_engine(pg_url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        env["PEER_PG_DB"] = name
    try:
        out = subprocess.run([sys.executable, str(script), "pg" if pg_url is not None else "sqlite"],
                             capture_output=True, text=True, env=env, timeout=300)
    finally:
        if admin is not None:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
            admin.dispose()
    found = re.search(r"(\d+) transitions/s", out.stdout)
    if not found:
        print(f"  peer failed: {(out.stderr or out.stdout).strip().splitlines()[-1:]}")
        return None
    return float(found.group(1))


def run(label: str, url: str, n: int, peer: Path | None = None, pg_url=None) -> None:
    engine, maker, officer_id, ids = prepare(url, n)
    service_cases, floor_cases = ids[0::2], ids[1::2]
    # alternate chunks so neither side profits from a warmer cache or a quieter moment
    t_floor = t_service = 0.0
    peer_rates = []
    chunk = 50
    for k in range(0, n, chunk):
        t_floor += bench_floor(engine, officer_id, floor_cases[k:k + chunk])
        t_service += bench_service(maker, officer_id, service_cases[k:k + chunk])
        if peer is not None and k in (0, n // 2):
            rate = run_peer(peer, pg_url)
            if rate:
                peer_rates.append(rate)
    floor, svc = n / t_floor, n / t_service
    print(f"{label:<11} service {svc:8.0f} transitions/s   floor (UPDATE+INSERT) {floor:8.0f}/s   "
          f"ratio {svc / floor:.2f} (goal >= 0.50)   (n={n})")
    if peer_rates:
        p = sum(peer_rates) / len(peer_rates)
        print(f"{'':<11} peer django-fsm-2 {p:8.0f} transitions/s   service/peer {svc / p:.2f} "
              f"(goal > 1.00)   (peer runs: {', '.join(f'{r:.0f}' for r in peer_rates)})")
    elif peer is None:
        print(f"{'':<11} peer not measured: Django / django-fsm-2 or the peer script not found")
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=400)
    parser.add_argument("--peer", default=None, help="path of django_fsm_peer.py")
    parser.add_argument("--pg", default=os.environ.get(
        "BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/safeloop_bench"))
    args = parser.parse_args()
    peer = peer_script(args.peer)
    with tempfile.TemporaryDirectory() as tmp:
        run("SQLite", f"sqlite:///{tmp}/bench.db", args.n, peer)
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
    run("PostgreSQL", url.render_as_string(hide_password=False), args.n, peer, url)


if __name__ == "__main__":
    main()

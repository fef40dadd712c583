"""Load test: 100,000 cases and a year of events on PostgreSQL, 50 users working at once.

Run from the repository root (``make loadtest``):
    python -m bench.load                        # seed, serve, 50 users for 120 s, check
    python -m bench.load --users 50 --seconds 120 --cases 100000
    python -m bench.load --reuse                # keep the seeded database of the last run

1. Seeds ``safeloop_load`` (on ``LOAD_DATABASE_URL``, default the local server) through the
   migrations, then bulk-loads (COPY) 60 units, ~300 officials with API tokens, 100,000
   cases registered over the last year in every status, and their audit chains — real,
   keyed chains, so ``audit verify`` must hold afterwards.
2. Starts the production web tier (gunicorn with deploy/gunicorn.conf.py, an RQ worker)
   on that database and runs locust headless (bench/_load_users.py), bounded in users and
   time: department users open their home page, queues and cases, upload evidence, 签收 and
   上报; the office 核查 and 销号; leaders open the dashboard; auditors download closure
   reports. Two officials of one unit may press 签收 on the same case: that 409 is intended,
   as is the 409 to an upload on a case the unit's head has just reported.
3. Prints per endpoint p50 / p95 / p99, throughput and errors beside the goals (50 users on
   2 cores: p95 < 300 ms for pages and JSON reads, < 500 ms for transitions, no errors but
   the intended 409s), for the whole run and for its steady state (requests started after the
   last login answered), and where the CPU went; then checks that every audit chain verifies and that each transition
   answered 200 left exactly one event (none lost, none doubled).
"""
from __future__ import annotations

import argparse
import csv
import io
import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
DB = "safeloop_load"
UNITS = 60
PASSWORD = "safeloop-load-1"
GOALS = {"page": 300, "read": 300, "transition": 500, "pdf": None, "upload": None, "login": None}


def _url(args):
    base = make_url(os.environ.get("LOAD_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"))
    return base.set(database=DB)


# --- 1. seed ----------------------------------------------------------------------------
def seed(url, n: int) -> dict:
    from blueprints import create_app
    from workflow.core.audit import AuditEvent
    from workflow.org.auth import hash_password, issue_token
    from workflow.org.models import Department, User
    from workflow.platform.db import normalise_url
    from workflow.platform.migrate import upgrade

    t0 = time.perf_counter()
    admin = create_engine(normalise_url(url.set(database="postgres").render_as_string(False)),
                          isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{DB}"'))
    admin.dispose()
    full = url.render_as_string(hide_password=False)
    engine = create_engine(normalise_url(full))
    upgrade(engine)
    # the app sets up the audit key the web tier will use (instance/audit_key or AUDIT_KEY)
    app = create_app({"DATABASE_URL": full, "REDIS_URL": None})
    session = app.extensions["safeloop.sessionmaker"]()
    pw = hash_password(PASSWORD)
    office = Department(name="区安委办", kind="office")
    session.add(office)
    depts = [Department(name=f"单位{i:02d}", kind="town" if i > 50 else "department")
             for i in range(1, UNITS)]
    session.add_all(depts)
    session.flush()
    users: dict[str, list] = {k: [] for k in ("office_staff", "office_director", "dept_head",
                                               "dept_officer", "inspector", "auditor", "leader")}

    def add(role, dept, name):
        u = User(username=name, display_name=name, role=role, department=dept, password_hash=pw)
        session.add(u)
        users[role].append(u)

    for i in range(5):
        add("office_staff", office, f"office{i}")
    add("office_director", office, "director")
    for d in depts:
        add("dept_head", d, f"head{d.id}")
        for k in range(3):
            add("dept_officer", d, f"officer{d.id}_{k}")
    for i in range(20):
        add("inspector", None, f"inspector{i}")
    for i in range(5):
        add("auditor", None, f"auditor{i}")
    for i in range(10):
        add("leader", None, f"leader{i}")
    session.flush()
    accounts = [{"username": u.username, "role": u.role, "department_id": u.department_id,
                 "id": u.id, "token": issue_token(session, u, 30)}
                for role in users.values() for u in role]
    session.commit()
    dept_users = {d.id: [u for u in users["dept_head"] + users["dept_officer"]
                         if u.department_id == d.id] for d in depts}

    rnd = random.Random(16)
    now = datetime.utcnow().replace(microsecond=0)
    start = now - timedelta(days=365)
    inspector = users["inspector"][0]
    staff, director = users["office_staff"], users["office_director"][0]
    cases, events = io.StringIO(), io.StringIO()
    ev_id = 0
    regs = sorted(start + timedelta(seconds=rnd.randrange(365 * 86400 - 3 * 86400))
                  for _ in range(n))
    for i, reg in enumerate(regs, 1):
        dept = depts[rnd.randrange(len(depts))]
        head = dept_users[dept.id][0]
        officer = dept_users[dept.id][1 + rnd.randrange(3)]
        verifier = staff[rnd.randrange(len(staff))]
        age = (now - reg).days
        r = rnd.random()
        # older cases are further along; the last weeks' are mostly still with the units
        path = ["draft", "assigned", "in_progress", "reported", "verified", "closed"]
        if r < 0.02:
            status = "cancelled"
        else:
            reach = min(5, int(age / 20 * rnd.random() + rnd.random() * 3))
            status = path[max(1, reach)]
        deadline = (reg + timedelta(days=rnd.choice((15, 30, 30, 60, 90)))).date()
        t = reg
        steps = [("create", None, "draft", inspector, reg)]
        times = {}
        if status == "cancelled":
            steps.append(("cancel", "draft", "cancelled", verifier, reg + timedelta(hours=3)))
        else:
            for trigger, frm, to, who in (("register", "draft", "assigned", verifier),
                                          ("accept", "assigned", "in_progress", officer),
                                          ("report", "in_progress", "reported", head),
                                          ("verify", "reported", "verified", verifier),
                                          ("close", "verified", "closed", director)):
                if path.index(status) < path.index(to):
                    break
                t = min(now - timedelta(minutes=5), t + timedelta(hours=rnd.randrange(2, 24 * 9)))
                steps.append((trigger, frm, to, who, t))
                times[trigger] = (t, who)
        head_hash, seq = "0" * 64, 0
        for action, frm, to, who, at in steps:
            seq += 1
            ev_id += 1
            ev = AuditEvent(case_id=i, seq=seq, at=at, actor_id=who.id, actor_name=who.display_name,
                            actor_role=who.role,
                            actor_department=(dept.name if who.department_id == dept.id
                                              else "区安委办" if who.department_id == office.id
                                              else None),
                            action=action, from_status=frm, to_status=to, comment=None,
                            payload_json="{}", prev_hash=head_hash)
            ev.seal()
            head_hash = ev.hash
            events.write("\t".join(_c(v) for v in (
                ev_id, i, seq, at, who.id, ev.actor_name, ev.actor_role, ev.actor_department,
                action, frm, to, None, "{}", ev.prev_hash, ev.hash, ev.key_id)) + "\n")
        g = lambda k, j=0: times.get(k, (None, None))[j]  # noqa: E731
        ids = lambda k: g(k, 1).id if g(k, 1) else None  # noqa: E731
        overdue = status in ("assigned", "in_progress", "reported", "verified") and deadline < now.date()
        cases.write("\t".join(_c(v) for v in (
            i, "problem", f"WJ-{reg.year}-XC-{i:06d}" if status != "cancelled" else None,
            f"隐患 {i}：消防通道堵塞", "巡查发现的问题描述", "patrol", "general", status,
            seq, 1, dept.id, deadline, deadline, overdue, False, False, False, 0, 0,
            inspector.id, reg, g("register"), g("accept"), ids("report"), g("report"),
            ids("verify"), g("verify"), ids("close"), g("close"),
            reg + timedelta(hours=3) if status == "cancelled" else None, False, "none",
            seq, head_hash, f"镇{i % 12}", "危险化学品" if i % 3 else "建筑施工")) + "\n")
    with engine.begin() as conn:
        raw = conn.connection.driver_connection
        with raw.cursor() as cur:
            with cur.copy("COPY cases (id, kind, number, title, description, source, grade, status, "
                          "version, round, department_id, deadline, original_deadline, overdue, "
                          "extension_pending, extended, listed, supervision_level, returns_count, "
                          "created_by_id, created_at, registered_at, accepted_at, reported_by_id, "
                          "reported_at, verified_by_id, verified_at, closed_by_id, closed_at, "
                          "cancelled_at, suspended, shutdown, audit_seq, audit_head, town, industry) "
                          "FROM STDIN") as cp:
                cp.write(cases.getvalue())
            with cur.copy("COPY audit_events (id, case_id, seq, at, actor_id, actor_name, actor_role, "
                          "actor_department, action, from_status, to_status, comment, payload_json, "
                          "prev_hash, hash, key_id) FROM STDIN") as cp:
                cp.write(events.getvalue())
        conn.execute(text("SELECT setval(pg_get_serial_sequence('cases', 'id'), :n)"), {"n": n})
        conn.execute(text("SELECT setval(pg_get_serial_sequence('audit_events', 'id'), :n)"),
                     {"n": ev_id})
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))
    session.close()
    engine.dispose()
    info = {"cases": n, "events": ev_id, "users": len(accounts), "units": UNITS,
            "seconds": round(time.perf_counter() - t0, 1)}
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / "load_accounts.json").write_text(json.dumps(accounts))
    return info


def _c(v) -> str:
    """One COPY text field."""
    if v is None:
        return "\\N"
    if isinstance(v, bool):
        return "t" if v else "f"
    if isinstance(v, datetime):
        return v.isoformat(sep=" ")
    return str(v).replace("\\", "\\\\").replace("\t", " ").replace("\n", " ")


# --- 2. serve and load ------------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(url, tmp: Path) -> tuple[list[subprocess.Popen], str]:
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": url.render_as_string(hide_password=False),
           "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
           "RQ_QUEUE": f"load-{port}", "STORAGE_DIR": str(tmp / "storage"),
           "EXPORT_DIR": str(tmp / "exports"), "SECURITY_LOG": str(tmp / "security.log"),
           "WEB_BIND": f"127.0.0.1:{port}", "INSECURE_COOKIES": "1", "WEB_LOG_LEVEL": "warning",
           "LOGIN_MAX_FAILURES_PER_ADDRESS": "100000"}
    env.pop("WEB_CONTROL_SOCKET", None)
    log = open(tmp / "web.log", "ab")
    procs = [subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py",
                               "wsgi:app"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                              start_new_session=True),
             subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "worker"], cwd=ROOT,
                              env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)]
    base = f"http://127.0.0.1:{port}"
    import urllib.request

    for _ in range(300):
        try:
            with urllib.request.urlopen(base + "/readyz", timeout=2) as r:
                if r.status == 200:
                    return procs, base
        except OSError:
            time.sleep(0.2)
    for p in procs:  # leave nothing running behind a stack that never came up
        os.killpg(p.pid, signal.SIGTERM)
        p.wait(30)
    raise SystemExit("gunicorn did not become ready (bench/out/load/web.log; a database "
                     "seeded before the last migration is not ready: run without --reuse)")


def _postmaster_cpu(url) -> float | None:
    """CPU seconds of the local PostgreSQL server so far (its own and its exited backends'),
    or None when the server is not on this machine."""
    from workflow.platform.db import normalise_url

    engine = create_engine(normalise_url(url.render_as_string(hide_password=False)))
    try:
        with engine.connect() as conn:
            pid = conn.scalar(text("SELECT pg_backend_pid()"))
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        master = Path(f"/proc/{fields[1]}/stat").read_text().rsplit(")", 1)[1].split()
        # utime, stime, cutime, cstime (fields 14-17 of proc(5)); backends are its children
        return sum(int(v) for v in master[11:15]) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None
    finally:
        engine.dispose()


def _children_cpu() -> float:
    import resource

    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def run_locust(base: str, users: int, seconds: int, tmp: Path) -> Path:
    prefix = tmp / "locust"
    cmd = [sys.executable, "-m", "locust", "-f", str(ROOT / "bench" / "_load_users.py"), "--headless",
           "-u", str(users), "-r", str(max(1, users // 10)), "-t", f"{seconds}s", "--host", base,
           "--csv", str(prefix), "--only-summary", "--stop-timeout", "60", "--exit-code-on-error", "0",
           "--loglevel", "WARNING"]
    env = {**os.environ, "LOAD_ACCOUNTS": str(OUT / "load_accounts.json"),
           "LOAD_LOG": str(tmp / "transitions.jsonl"), "LOAD_TIMES": str(tmp / "times.tsv")}
    with open(tmp / "locust.log", "wb") as log:
        subprocess.run(cmd, cwd=ROOT, env=env, check=True, timeout=seconds + 180, stdout=log,
                       stderr=subprocess.STDOUT)
    return Path(f"{prefix}_stats.csv")


def report(stats: Path, seconds: int) -> bool:
    rows = list(csv.DictReader(stats.open()))
    print(f"\n{'endpoint':44} {'n':>6} {'err':>4} {'p50':>5} {'p95':>5} {'p99':>5} {'req/s':>6}  goal p95")
    ok = True
    for r in rows:
        name = f"{r['Type']} {r['Name']}"
        if r["Name"] == "Aggregated":
            name = "all"
        kind = r["Name"].split(":", 1)[0] if ":" in r["Name"] else None
        goal = GOALS.get(kind)
        p95 = float(r["95%"] or 0)
        verdict = ""
        if goal is not None:
            verdict = f"< {goal} ms {'met' if p95 < goal else 'MISSED'}"
            ok &= p95 < goal
        if int(r["Failure Count"]):
            verdict += f"  {r['Failure Count']} errors"
            ok = False
        print(f"{name[:44]:44} {r['Request Count']:>6} {r['Failure Count']:>4} {r['50%']:>5} "
              f"{r['95%']:>5} {r['99%']:>5} {float(r['Requests/s']):>6.1f}  {verdict}")
    fails = Path(str(stats).replace("_stats.csv", "_failures.csv"))
    if fails.exists():
        for r in csv.DictReader(fails.open()):
            print(f"  error: {r['Method']} {r['Name']} ×{r['Occurrences']}: {r['Error'][:160]}")
    return ok


def _pct(values: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    return values[min(len(values) - 1, max(0, int(-(-q * len(values) // 1)) - 1))]


def steady_report(times: Path) -> bool:
    """The same table for the steady state: requests started once the last of the users
    had logged in (the ramp's burst of scrypt logins excluded), against the same goals."""
    rows = [line.split("\t") for line in times.read_text().splitlines() if line.count("\t") == 3]
    logins = [float(r[0]) + float(r[2]) / 1000 for r in rows if " login: POST" in r[1]]
    if not rows or not logins:
        return False
    since = max(logins)
    first = min(float(r[0]) for r in rows)
    by: dict[str, list] = {}
    for start, name, ms, failed in rows:
        if float(start) >= since:
            by.setdefault(name, []).append((float(ms), failed == "1"))
    span = max(float(r[0]) for r in rows) - since
    print(f"\nsteady state: the {span:.0f} s after the last login answered "
          f"({since - first:.0f} s into the run)")
    print(f"{'endpoint':44} {'n':>6} {'err':>4} {'p50':>5} {'p95':>5} {'p99':>5} {'req/s':>6}  goal p95")
    ok, every = True, []
    for name in sorted(by):
        got = sorted(ms for ms, _ in by[name])
        every += got
        errors = sum(f for _, f in by[name])
        kind = name.split(" ", 1)[1].split(":", 1)[0] if ":" in name else None
        goal, verdict = GOALS.get(kind), ""
        p95 = _pct(got, 0.95)
        if goal is not None:
            verdict = f"< {goal} ms {'met' if p95 < goal else 'MISSED'}"
            ok &= p95 < goal
        if errors:
            verdict += f"  {errors} errors"
            ok = False
        print(f"{name[:44]:44} {len(got):>6} {errors:>4} {_pct(got, .5):>5.0f} {p95:>5.0f} "
              f"{_pct(got, .99):>5.0f} {len(got) / max(span, 1):>6.1f}  {verdict}")
    every.sort()
    if every:
        print(f"{'all':44} {len(every):>6} {'':>4} {_pct(every, .5):>5.0f} {_pct(every, .95):>5.0f} "
              f"{_pct(every, .99):>5.0f} {len(every) / max(span, 1):>6.1f}")
    return ok


# --- 3. afterwards ----------------------------------------------------------------------
def check(url, tmp: Path) -> bool:
    from blueprints import create_app
    from workflow.core.audit import AuditEvent, verify_all

    app = create_app({"DATABASE_URL": url.render_as_string(hide_password=False), "REDIS_URL": None})
    session = app.extensions["safeloop.sessionmaker"]()
    t0 = time.perf_counter()
    breaks = list(verify_all(session, batch=2000))
    print(f"\naudit verify: {'holds' if not breaks else f'{len(breaks)} BROKEN'} "
          f"({time.perf_counter() - t0:.0f} s over every case)")
    for b in breaks[:5]:
        print(f"  {b}")
    done = [json.loads(line) for line in (tmp / "transitions.jsonl").read_text().splitlines()
            if line.strip()] if (tmp / "transitions.jsonl").exists() else []
    ok = not breaks
    by_trigger: dict[str, int] = {}
    for d in done:
        by_trigger[d["trigger"]] = by_trigger.get(d["trigger"], 0) + 1
    since = min((datetime.fromisoformat(d["at"]) for d in done), default=datetime.utcnow())
    for trigger, count in sorted(by_trigger.items()):
        events = session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.action == trigger, AuditEvent.at >= since - timedelta(seconds=5)))
        lost_or_doubled = events != count
        ok &= not lost_or_doubled
        print(f"  {trigger:8} answered 200: {count:5}  events written: {events:5}  "
              f"{'DIFFER' if lost_or_doubled else 'none lost, none doubled'}")
    # and each answered transition's event is the one its answer named
    missing = 0
    for d in done:
        ev = session.scalar(select(AuditEvent).where(AuditEvent.case_id == d["id"],
                                                     AuditEvent.seq == d["audit_seq"]))
        missing += ev is None or ev.action != d["trigger"] or ev.hash != d["audit_head"]
    print(f"  answers whose event is in the chain: {len(done) - missing} of {len(done)}")
    ok &= missing == 0
    session.close()
    return ok


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", type=int, default=100_000)
    ap.add_argument("--users", type=int, default=50)
    ap.add_argument("--seconds", type=int, default=120)
    ap.add_argument("--reuse", action="store_true", help="keep the database seeded last time")
    args = ap.parse_args()
    if args.users > 200 or args.seconds > 900:
        raise SystemExit("bounded: at most 200 users and 900 s")
    url = _url(args)
    tmp = OUT / "load"
    tmp.mkdir(parents=True, exist_ok=True)
    for f in ("transitions.jsonl", "times.tsv"):
        (tmp / f).unlink(missing_ok=True)
    if not args.reuse:
        info = seed(url, args.cases)
        print(f"seeded {info['cases']:,} cases, {info['events']:,} events, {info['users']} users "
              f"in {info['units']} units: {info['seconds']} s")
    load1 = os.getloadavg()[0]
    procs, base = serve(url, tmp)
    cpu0, pg0, wall0 = _children_cpu(), _postmaster_cpu(url), time.perf_counter()
    try:
        print(f"{args.users} users for {args.seconds} s against {base} "
              f"(gunicorn {os.environ.get('WEB_CONCURRENCY', '4')}×{os.environ.get('WEB_THREADS', '4')}, "
              f"machine load before: {load1:.1f}, {os.cpu_count()} cores)")
        stats = run_locust(base, args.users, args.seconds, tmp)
        print(f"machine load after: {os.getloadavg()[0]:.1f}")
        cpu1, wall1 = _children_cpu(), time.perf_counter()
    finally:
        for p in procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        for p in procs:
            p.wait(30)
    time.sleep(1)  # the backends of the closed pools exit, and their CPU reaches the server's
    pg1 = _postmaster_cpu(url)
    # where the two cores went: the load generator, the web tier and RQ worker, PostgreSQL
    # (the web tier's share counts once gunicorn and the worker have exited)
    web = _children_cpu() - cpu1
    pg = pg1 - pg0 if pg0 is not None and pg1 is not None else None
    span = wall1 - wall0
    print(f"CPU over the run ({span:.0f} s, {os.cpu_count()} cores): locust {cpu1 - cpu0:.0f} s, "
          f"web tier and RQ worker {web:.0f} s"
          + (f", PostgreSQL {pg:.0f} s" if pg is not None else ", PostgreSQL not on this machine")
          + f"; {((cpu1 - cpu0) + web + (pg or 0)) / span / (os.cpu_count() or 1):.0%} of the machine")
    goals = report(stats, args.seconds)
    steady = steady_report(tmp / "times.tsv")
    checks = check(url, tmp)
    print(f"\ngoals, whole run: {'met' if goals else 'MISSED (see above)'}; steady state: "
          f"{'met' if steady else 'MISSED (see above)'}; integrity: {'holds' if checks else 'BROKEN'}")
    return 0 if checks else 1


if __name__ == "__main__":
    sys.exit(main())

"""Faults in the production stack: gunicorn, an RQ worker and Redis on PostgreSQL, killed.

A real gunicorn (deploy/gunicorn.conf.py, 2 workers × 2 threads), a real RQ worker and a
Redis of the test's own serve a database of the test's own. The test

- kills the gunicorn worker with SIGKILL in the middle of a transition and of an evidence
  upload (the request is held inside its transaction by a table lock the test takes, so the
  kill lands after the case row was updated and before the commit), and the RQ work-horse in
  the middle of a batch export;
- cuts PostgreSQL off during load: connections to the test's database are refused and every
  backend serving it is terminated (``ALLOW_CONNECTIONS false`` + ``pg_terminate_backend``),
  which is what clients see while the server restarts, without disturbing other databases of
  a shared server. With ``FAULTS_RESTART_POSTGRES=1`` it restarts the whole cluster instead
  (``pg_ctlcluster <version> main restart``) — only where nothing else uses it;
- stops its Redis and starts it again.

Afterwards: every case's audit chain verifies and no case changed without its event, no
evidence file is without its row nor a row without its file (after the orphan check), the
export says it failed and runs again to completion, requests during the outage got 503 with
a Chinese message, and the same processes serve again without a restart.

Needs PostgreSQL (TEST_DATABASE_URL) and ``redis-server``; bounded to a few minutes.
"""
from __future__ import annotations

import contextlib
import io
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import psutil
import pytest
import requests
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from blueprints import create_app
from tests.factories import World, png_bytes
from workflow.core.audit import AuditEvent, verify_all
from workflow.core.cases import Case
from workflow.core.evidence import Evidence, Storage
from workflow.core.storage_check import check_storage
from workflow.platform.base import local_today
from workflow.platform.db import normalise_url
from workflow.platform.migrate import upgrade

ROOT = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("TEST_DATABASE_URL")
REDIS_SERVER = shutil.which("redis-server")

pytestmark = [
    pytest.mark.faults,
    pytest.mark.skipif(not PG_URL, reason="needs PostgreSQL: TEST_DATABASE_URL is not set"),
    pytest.mark.skipif(REDIS_SERVER is None, reason="needs Redis: redis-server is not installed"),
]
DEADLINE = 30  # seconds any single wait may take


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(predicate, what: str, timeout: float = DEADLINE):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


class Stack:
    """The processes under test and the handles the test needs."""

    def __init__(self, tmp: Path):
        url = make_url(normalise_url(PG_URL))
        self.db_name = f"{url.database}_faults_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"
        self.url = url.set(database=self.db_name).render_as_string(hide_password=False)
        self.admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
        self.tmp = tmp
        self.port, self.redis_port = _free_port(), _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.procs: dict[str, subprocess.Popen] = {}
        self.logs: list = []
        self.env = {**os.environ, "DATABASE_URL": self.url,
                    "REDIS_URL": f"redis://127.0.0.1:{self.redis_port}/0",
                    "RQ_QUEUE": f"faults-{self.port}", "STORAGE_DIR": str(tmp / "storage"),
                    "EXPORT_DIR": str(tmp / "exports"), "SECURITY_LOG": str(tmp / "security.log"),
                    "WEB_BIND": f"127.0.0.1:{self.port}", "WEB_CONCURRENCY": "2",
                    "WEB_THREADS": "2", "INSECURE_COOKIES": "1", "WEB_LOG_LEVEL": "warning"}
        self.env.pop("WEB_CONTROL_SOCKET", None)

    # --- processes ---------------------------------------------------------------------
    def spawn(self, name: str, args: list[str]) -> subprocess.Popen:
        log = open(self.tmp / f"{name}.log", "ab")
        self.logs.append(log)
        proc = subprocess.Popen(args, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        self.procs[name] = proc
        return proc

    def start_redis(self):
        # persisted like Debian's own Redis (an RDB snapshot on shutdown), so a stop and start
        # keeps the queue and the workers' registrations
        self.spawn("redis", [REDIS_SERVER, "--bind", "127.0.0.1", "--port", str(self.redis_port),
                             "--dir", str(self.tmp), "--save", "3600 1", "--appendonly", "no"])
        _wait(lambda: _connects(self.redis_port), "redis")

    def stop(self, name: str):
        proc = self.procs.pop(name, None)
        if proc and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(15)

    def start(self):
        with self.admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{self.db_name}"'))
        engine = create_engine(normalise_url(self.url))
        upgrade(engine)
        engine.dispose()
        self.start_redis()
        self.spawn("web", [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py",
                           "wsgi:app"])
        self.spawn("worker", [sys.executable, "-m", "flask", "--app", "wsgi", "worker"])
        _wait(lambda: self.get("/readyz").status_code == 200, "gunicorn ready")
        _wait(lambda: self.get("/healthz").status_code == 200, "worker registered")

    def close(self):
        for name in list(self.procs):
            self.stop(name)
        for log in self.logs:
            log.close()
        with self.admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{self.db_name}" ALLOW_CONNECTIONS true'))
            conn.execute(text(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)'))
        self.admin.dispose()

    def web_workers(self) -> list[psutil.Process]:
        return psutil.Process(self.procs["web"].pid).children()

    def get(self, path: str, **kw):
        try:
            return requests.get(self.base + path, timeout=DEADLINE, **kw)
        except requests.ConnectionError:
            return _Down()

    def post(self, path: str, **kw):
        return requests.post(self.base + path, timeout=DEADLINE, **kw)

    # --- PostgreSQL --------------------------------------------------------------------
    def backend_waiting(self, statement: str) -> int | None:
        """The client port of the backend of our database blocked on ``statement`` (found
        anywhere in its query: a transition's event INSERT follows a WITH)."""
        with self.admin.connect() as conn:
            return conn.execute(text(
                "SELECT client_port FROM pg_stat_activity WHERE datname = :db "
                "AND wait_event_type = 'Lock' AND query ILIKE :q"),
                {"db": self.db_name, "q": f"%{statement}%"}).scalar()

    def worker_with_port(self, port: int) -> psutil.Process:
        for proc in self.web_workers():
            if any(c.laddr and c.laddr.port == port for c in proc.net_connections("tcp")):
                return proc
        raise AssertionError(f"no gunicorn worker holds the connection from port {port}")


class _Down:
    status_code = 0

    @staticmethod
    def json():
        return {}


def _connects(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        return True
    return False


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    s = Stack(tmp_path_factory.mktemp("faults"))
    try:
        s.start()
        yield s
    finally:
        s.close()


@pytest.fixture(scope="module")
def district(stack):
    """The test's own view of the database: the app object and a small district."""
    app = create_app({"TESTING": True, "DATABASE_URL": stack.url, "SECRET_KEY": "faults",
                      "STORAGE_DIR": stack.env["STORAGE_DIR"], "REDIS_URL": None,
                      "SECURITY_LOG": stack.env["SECURITY_LOG"]})
    session = app.extensions["safeloop.sessionmaker"]()
    world = World(session, app)
    yield world
    session.close()
    app.extensions["safeloop.engine"].dispose()


def _chains_hold_and_no_lost_event(world: World):
    """Every chain verifies; each case's status is what its events say, event for event."""
    s = world.session
    s.rollback()
    s.expire_all()  # rollback() without a transaction keeps what the session last saw
    breaks = list(verify_all(s))
    detail = [(b, [(e.seq, e.action, e.hash[:8], e.prev_hash[:8]) for e in s.scalars(
        select(AuditEvent).where(AuditEvent.case_id == b.case_id).order_by(AuditEvent.seq))],
        s.get(Case, b.case_id).audit_head) for b in breaks]
    assert breaks == [], detail
    for case in s.scalars(select(Case)):
        last = s.scalar(select(AuditEvent).where(AuditEvent.case_id == case.id,
                                                 AuditEvent.to_status.is_not(None))
                        .order_by(AuditEvent.seq.desc()).limit(1))
        assert last is not None and last.to_status == case.status, case.id
    s.rollback()


def _files_match_rows(world: World, stack: Stack, *, delete=False):
    report = check_storage(world.session, Storage(stack.env["STORAGE_DIR"]),
                           delete_orphans=delete, grace_seconds=0)
    world.session.rollback()
    assert report.missing == []  # never a row without its file
    return report


@contextlib.contextmanager
def _held(stack: Stack, table: str):
    """Hold a SHARE lock on ``table``: an INSERT into it waits inside its transaction."""
    engine = create_engine(normalise_url(stack.url))
    conn = engine.connect()
    conn.execute(text(f"LOCK TABLE {table} IN SHARE MODE"))
    try:
        yield
    finally:
        conn.rollback()
        conn.close()
        engine.dispose()


def _kill_worker_blocked_on(stack: Stack, statement: str) -> None:
    port = _wait(lambda: stack.backend_waiting(statement), f"a request blocked on {statement}")
    worker = stack.worker_with_port(port)
    worker.send_signal(signal.SIGKILL)
    worker.wait(DEADLINE)


def _in_thread(fn):
    out = {}

    def run():
        try:
            out["response"] = fn()
        except requests.RequestException as exc:  # the killed worker's connection drops
            out["error"] = exc

    t = threading.Thread(target=run)
    t.start()
    return t, out


def test_sigkill_in_the_middle_of_a_transition(stack, district):
    case = district.case_at("assigned")
    headers = district.headers("dept_officer")
    version = case.version
    district.session.rollback()
    workers_before = {p.pid for p in stack.web_workers()}
    with _held(stack, "audit_events"):
        t, out = _in_thread(lambda: stack.post(
            f"/api/v1/cases/{case.id}/transitions", headers=headers,
            json={"trigger": "accept", "version": version}))
        _kill_worker_blocked_on(stack, "INSERT INTO audit_events")
        t.join(DEADLINE)
    assert "response" not in out or out["response"].status_code >= 500  # never a 200
    # the master replaces the worker; the case is as it was, without an event
    _wait(lambda: len(stack.web_workers()) == 2 and {p.pid for p in stack.web_workers()}
          != workers_before, "a new gunicorn worker")
    district.session.expire_all()
    again = district.session.get(Case, case.id)
    assert (again.status, again.version) == ("assigned", version)
    _chains_hold_and_no_lost_event(district)
    # and the same step goes through now, once
    resp = stack.post(f"/api/v1/cases/{case.id}/transitions", headers=headers,
                      json={"trigger": "accept", "version": version})
    assert resp.status_code == 200, resp.text
    assert district.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.case_id == case.id, AuditEvent.action == "accept")) == 1
    _chains_hold_and_no_lost_event(district)


def test_sigkill_in_the_middle_of_an_evidence_upload(stack, district):
    case = district.case_at("in_progress")
    headers = district.headers("dept_officer")
    district.session.rollback()
    photo = png_bytes((10, 200, 30), size=(64, 48))
    upload = lambda: stack.post(f"/api/v1/cases/{case.id}/evidence", headers=headers,  # noqa: E731
                                files={"file": ("现场.png", photo, "image/png")},
                                data={"category": "after"})
    with _held(stack, "audit_events"):
        t, out = _in_thread(upload)
        _kill_worker_blocked_on(stack, "INSERT INTO audit_events")
        t.join(DEADLINE)
    assert "response" not in out or out["response"].status_code >= 500
    rows = district.session.scalar(select(func.count()).select_from(Evidence).where(
        Evidence.case_id == case.id))
    assert rows == 0  # no row without its file, and none for the killed upload
    report = _files_match_rows(district, stack, delete=True)
    assert len(report.orphans) == 1 and report.deleted == 1  # the killed upload's file, removed
    assert _files_match_rows(district, stack).orphans == []
    _chains_hold_and_no_lost_event(district)
    _wait(lambda: len(stack.web_workers()) == 2, "a new gunicorn worker")
    resp = upload()
    assert resp.status_code == 201, resp.text
    report = _files_match_rows(district, stack)
    assert report.orphans == [] and report.young == []
    _chains_hold_and_no_lost_event(district)


def test_sigkill_in_the_middle_of_a_batch_export(stack, district):
    for _ in range(6):
        district.case_at("closed")
    headers = district.headers("auditor")
    district.session.rollback()
    today = local_today().isoformat()
    body = {"from": today, "to": today, "scope": "closed"}
    resp = stack.post("/api/v1/exports", headers=headers, json=body)
    assert resp.status_code == 202, resp.text
    job_id = resp.json()["id"]
    status = lambda: stack.get(f"/api/v1/exports/{job_id}", headers=headers).json()  # noqa: E731
    _wait(lambda: status()["status"] == "running" and status()["done"] >= 1,
          "the export half done", timeout=60)
    worker = psutil.Process(stack.procs["worker"].pid)
    horse = _wait(lambda: worker.children(recursive=True), "the RQ work-horse")[0]
    horse.send_signal(signal.SIGKILL)
    horse.wait(DEADLINE)
    failed = _wait(lambda: (b := status())["status"] == "failed" and b, "the job reported failed")
    assert "重新提交" in failed["error"] and failed["file"] is None
    assert not list(Path(stack.env["EXPORT_DIR"]).glob(f"export-{job_id}.zip"))
    # the same export, asked again, completes: the worker survived its horse
    resp = stack.post("/api/v1/exports", headers=headers, json=body)
    again = resp.json()["id"]
    done = _wait(lambda: (b := stack.get(f"/api/v1/exports/{again}", headers=headers).json())[
        "status"] == "done" and b, "the re-run export", timeout=120)
    assert done["done"] == done["total"] == 6
    data = stack.get(f"/api/v1/exports/{again}/file", headers=headers).content
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert len([n for n in names if n.endswith(".pdf")]) == 6 and "清单.csv" in names


def test_sigkill_of_the_gunicorn_worker_running_an_export_without_redis(stack, district):
    """Without Redis an export runs in a thread of the gunicorn worker that took the request:
    killing that worker kills the export, which then says so and runs again."""
    port = _free_port()
    env = {**stack.env, "REDIS_URL": "", "WEB_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "1"}
    log = open(stack.tmp / "web-threads.log", "ab")
    stack.logs.append(log)
    web = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py",
                            "wsgi:app"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                           start_new_session=True)
    stack.procs["web-threads"] = web
    base = f"http://127.0.0.1:{port}"
    try:
        _wait(lambda: _connects(port), "the second gunicorn")
        for _ in range(6):
            district.case_at("closed")
        headers = district.headers("office_director")
        district.session.rollback()
        today = local_today().isoformat()
        body = {"from": today, "to": today, "scope": "closed"}
        job = requests.post(base + "/api/v1/exports", headers=headers, json=body,
                            timeout=DEADLINE).json()["id"]
        def status():
            try:
                return requests.get(f"{base}/api/v1/exports/{job}", headers=headers,
                                    timeout=DEADLINE).json()
            except requests.ConnectionError:  # the master is starting the new worker
                return {"status": None, "done": 0}

        _wait(lambda: status()["done"] >= 1, "the export half done", timeout=60)
        worker = psutil.Process(web.pid).children()[0]
        worker.send_signal(signal.SIGKILL)
        worker.wait(DEADLINE)
        failed = _wait(lambda: (b := status())["status"] == "failed" and b,
                       "the job reported failed")
        assert "重新提交" in failed["error"]
        again = requests.post(base + "/api/v1/exports", headers=headers, json=body,
                              timeout=DEADLINE).json()["id"]
        done = _wait(lambda: (b := requests.get(f"{base}/api/v1/exports/{again}", headers=headers,
                                                timeout=DEADLINE).json())["status"] == "done" and b,
                     "the re-run export", timeout=120)
        assert done["done"] == done["total"] >= 6
    finally:
        stack.stop("web-threads")


def _outage(stack: Stack, seconds: float) -> str:
    if os.environ.get("FAULTS_RESTART_POSTGRES") == "1":
        version = sorted(os.listdir("/etc/postgresql"))[-1]
        subprocess.run(["pg_ctlcluster", version, "main", "restart"], check=True, timeout=60)
        return "restart"
    with stack.admin.connect() as conn:
        conn.execute(text(f'ALTER DATABASE "{stack.db_name}" ALLOW_CONNECTIONS false'))
        conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                          "WHERE datname = :db AND pid <> pg_backend_pid()"), {"db": stack.db_name})
        time.sleep(seconds)
        conn.execute(text(f'ALTER DATABASE "{stack.db_name}" ALLOW_CONNECTIONS true'))
    return "cut off"


def test_postgres_outage_during_load_answers_503_and_recovers(stack, district):
    cases = [district.case_at("assigned") for _ in range(40)]
    versions = {c.id: c.version for c in cases}
    officer, auditor = district.headers("dept_officer"), district.headers("auditor")
    district.session.rollback()
    seen: list[tuple[str, int, dict]] = []
    stop = threading.Event()

    def load(offset: int):
        i = offset
        while not stop.is_set() and i < len(cases):
            cid = cases[i].id
            for kind, call in (
                    ("read", lambda: stack.get("/api/v1/cases?limit=20", headers=auditor)),
                    ("accept", lambda: stack.post(f"/api/v1/cases/{cid}/transitions",
                                                  headers=officer,
                                                  json={"trigger": "accept",
                                                        "version": versions[cid]}))):
                r = call()
                try:
                    body = r.json() if r.status_code else {}
                except ValueError:
                    body = {"text": r.text[:200]}
                seen.append((kind, r.status_code, body))
            i += 2
            time.sleep(0.05)

    threads = [threading.Thread(target=load, args=(k,)) for k in (0, 1)]
    for t in threads:
        t.start()
    time.sleep(0.5)
    how = _outage(stack, 3.0)
    _wait(lambda: stack.get("/readyz").status_code == 200, "readiness after the outage")
    time.sleep(1.0)
    stop.set()
    for t in threads:
        t.join(DEADLINE)
    codes = [code for _, code, _ in seen]
    assert codes and set(codes) <= {200, 409, 503}, (how, sorted(set(codes)), [
        (kind, body) for kind, code, body in seen if code not in (200, 409, 503)][:3])
    outage = [body for _, code, body in seen if code == 503]
    assert outage, f"no request met the outage ({how})"
    assert all(b["error"] == "database_unavailable" and "数据库暂时不可用" in b["message"]
               for b in outage)
    # recovered, same processes: reads and writes answer again
    assert stack.get("/api/v1/cases?limit=5", headers=auditor).status_code == 200
    health = stack.get("/healthz")
    assert health.status_code == 200, health.json()
    # no case changed without its event (a 503 mid-transition rolled back whole)
    _chains_hold_and_no_lost_event(district)
    district.session.expire_all()
    accepted = {cid for cid, st in district.session.execute(
        select(Case.id, Case.status).where(Case.id.in_(versions))) if st == "in_progress"}
    events = district.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.case_id.in_(versions), AuditEvent.action == "accept"))
    assert events == len(accepted)
    district.session.rollback()


def test_redis_stopped_answers_503_for_the_queue_and_recovers(stack, district):
    headers = district.headers("auditor")
    district.session.rollback()
    today = local_today().isoformat()
    stack.stop("redis")
    try:
        health = stack.get("/healthz")
        assert health.status_code == 503
        assert {"redis", "queue"} <= set(health.json()["down"])
        resp = stack.post("/api/v1/exports", headers=headers,
                          json={"from": today, "to": today, "scope": "closed"})
        assert resp.status_code == 503
        assert "队列" in resp.json()["message"]
        # pages and reads that do not need the queue keep working
        assert stack.get("/api/v1/cases?limit=5", headers=headers).status_code == 200
    finally:
        stack.start_redis()
    _wait(lambda: stack.get("/healthz").status_code == 200, "health after Redis is back", 60)
    resp = stack.post("/api/v1/exports", headers=headers,
                      json={"from": today, "to": today, "scope": "closed"})
    assert resp.status_code == 202
    job = resp.json()["id"]
    _wait(lambda: stack.get(f"/api/v1/exports/{job}", headers=headers).json()["status"] == "done",
          "an export after Redis is back", 120)

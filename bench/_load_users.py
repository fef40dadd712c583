"""The users of the load test (locust), as they really work; run by bench/load.py (the leading underscore keeps it out of `make bench`).

Request names start with their kind, which bench/load.py holds to its goal:
``page:`` (HTML) and ``read:`` (JSON) p95 < 300 ms, ``transition:`` p95 < 500 ms;
``upload:`` and ``pdf:`` are reported without a goal. A 409 on a transition is a race two
officials of one unit really run (both press 签收), and so is a 409 on an upload to a case
the unit's head has just reported: both counted as the intended answer.
"""
from __future__ import annotations

import io
import json
import os
import random
import re
import threading
from datetime import datetime

from locust import HttpUser, between, events, task
from PIL import Image

ACCOUNTS = json.loads(open(os.environ["LOAD_ACCOUNTS"]).read())
LOG = os.environ.get("LOAD_LOG")
# every request's start and time, so bench/load.py can tell the login burst from the steady state
TIMES = open(os.environ["LOAD_TIMES"], "w", buffering=1 << 16) if os.environ.get("LOAD_TIMES") else None
_log_lock = threading.Lock()
_pool: dict[str, list] = {}
for a in ACCOUNTS:
    _pool.setdefault(a["role"], []).append(a)
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@events.request.add_listener
def _timed(request_type, name, response_time, exception, start_time=None, **_):
    if TIMES is not None:
        TIMES.write(f"{start_time or 0:.3f}\t{request_type} {name}\t{response_time:.1f}\t"
                    f"{int(exception is not None)}\n")


@events.quitting.add_listener
def _flush(**_):
    if TIMES is not None:
        TIMES.flush()


def photo() -> bytes:
    """A small photo, different each time (a real PNG: the server decodes it)."""
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), tuple(random.randrange(256) for _ in range(3))).save(buf, "PNG")
    return buf.getvalue()


def _take(role: str) -> dict:
    return random.choice(_pool[role])


class Official(HttpUser):
    abstract = True
    wait_time = between(1, 4)  # reading the screen between clicks
    role = ""

    def on_start(self):
        self.account = _take(self.role)
        self.api = {"Authorization": f"Bearer {self.account['token']}"}
        page = self.client.get("/login", name="login: /login")
        token = CSRF.search(page.text)
        self.client.post("/login", name="login: POST /login (scrypt)", data={
            "csrf_token": token.group(1) if token else "", "username": self.account["username"],
            "password": "safeloop-load-1"})

    def cases(self, **query) -> list[dict]:
        q = "&".join(f"{k}={v}" for k, v in query.items())
        with self.client.get(f"/api/v1/cases?limit=20&{q}", headers=self.api,
                             name="read: GET /api/v1/cases?status", catch_response=True) as r:
            if r.status_code != 200:
                r.failure(f"{r.status_code}")
                return []
            return r.json()["items"]

    def fire(self, case: dict, trigger: str, **body) -> dict | None:
        with self.client.post(f"/api/v1/cases/{case['id']}/transitions", headers=self.api,
                              json={"trigger": trigger, "version": case["version"], **body},
                              name=f"transition: {trigger}", catch_response=True) as r:
            if r.status_code == 200:
                out = r.json()
                if LOG:
                    with _log_lock, open(LOG, "a") as fh:
                        fh.write(json.dumps({"id": case["id"], "trigger": trigger,
                                             "audit_seq": out["audit_seq"],
                                             "audit_head": out["audit_head"],
                                             "at": datetime.utcnow().isoformat()}) + "\n")
                return out
            if r.status_code == 409:
                r.success()  # the intended answer to a race lost
                return None
            r.failure(f"{r.status_code} {r.text[:200]}")
            return None


class DepartmentUser(Official):
    """区直部门/镇 联络员 and 负责人: home, queues, a case, evidence, 签收, 上报."""

    weight = 30

    def on_start(self):
        self.role = random.choice(["dept_officer", "dept_officer", "dept_officer", "dept_head"])
        super().on_start()

    @task(4)
    def home(self):
        self.client.get("/", name="page: /")

    @task(3)
    def queue(self):
        self.client.get(f"/cases?queue={random.choice(['to_accept', 'in_progress', 'due_soon'])}",
                        name="page: /cases?queue")

    @task(4)
    def open_case(self):
        items = self.cases(status=random.choice(["in_progress", "assigned", "closed"]))
        if items:
            self.client.get(f"/cases/{random.choice(items)['id']}", name="page: /cases/[id]")

    @task(2)
    def accept(self):
        items = self.cases(status="assigned")
        if items:
            self.fire(random.choice(items[:5]), "accept", comment="已签收")  # the oldest first

    @task(2)
    def upload_and_report(self):
        items = self.cases(status="in_progress")
        if not items:
            return
        case = random.choice(items)
        with self.client.post(f"/api/v1/cases/{case['id']}/evidence", headers=self.api,
                              files={"file": ("整改后.png", photo(), "image/png")},
                              data={"category": "after"}, name="upload: evidence",
                              catch_response=True) as r:
            if r.status_code == 409:
                r.success()  # the unit's head reported the case meanwhile: the intended answer
            elif r.status_code != 201:
                r.failure(f"{r.status_code} {r.text[:200]}")
        if r.status_code == 201 and self.account["role"] == "dept_head":
            fresh = self.client.get(f"/api/v1/cases/{case['id']}", headers=self.api,
                                    name="read: GET /api/v1/cases/[id]")
            if fresh.status_code == 200:
                self.fire(fresh.json(), "report", statement="已按要求整改到位，附整改后照片")


class OfficeUser(Official):
    """区安委办: the review queue, 核查 reported cases; the director 销号 verified ones."""

    weight = 8

    def on_start(self):
        self.role = "office_director" if random.random() < 0.25 else "office_staff"
        super().on_start()

    @task(3)
    def home(self):
        self.client.get("/", name="page: /")

    @task(2)
    def review_queue(self):
        self.client.get("/cases?queue=review", name="page: /cases?queue")

    @task(3)
    def verify_or_close(self):
        if self.account["role"] == "office_director":
            items = self.cases(status="verified")
            if items:
                self.fire(random.choice(items), "close", comment="同意销号")
        else:
            items = self.cases(status="reported")
            if items:
                case = random.choice(items)
                self.client.get(f"/cases/{case['id']}", name="page: /cases/[id]")
                self.fire(case, "verify", comment="核查属实")


class Leader(Official):
    """区领导: the dashboard and its figures."""

    weight = 4
    role = "leader"

    @task(2)
    def dashboard(self):
        self.client.get("/kpis", name="page: /kpis")

    @task(1)
    def figures(self):
        with self.client.get(f"/api/v1/kpis?period={datetime.now().year}", headers=self.api,
                             name="read: GET /api/v1/kpis", catch_response=True) as r:
            if r.status_code != 200:
                r.failure(f"{r.status_code} {r.text[:200]}")


class Auditor(Official):
    """审计: closure reports of closed cases and their audit trail."""

    weight = 3
    role = "auditor"

    @task(2)
    def report_pdf(self):
        items = self.cases(status="closed")
        if items:
            self.client.get(f"/api/v1/cases/{random.choice(items)['id']}/report.pdf",
                            headers=self.api, name="pdf: report.pdf")

    @task(2)
    def trail(self):
        items = self.cases(status="closed")
        if items:
            self.client.get(f"/api/v1/cases/{random.choice(items)['id']}/events",
                            headers=self.api, name="read: GET /api/v1/cases/[id]/events")

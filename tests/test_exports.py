"""Batch export of closure reports: in a thread without Redis, on RQ with a real Redis."""
from __future__ import annotations

import io
import time
import uuid
import zipfile

from workflow.platform.base import local_today
from workflow.records.verify import verify_record


def params(world, **over):
    today = local_today().isoformat()
    return {"department_id": world.dept.id, "from": today, "to": today, **over}


def closed_elsewhere(world):
    """A case of the other department driven to 销号 by that department's users."""
    case = world.problem(department=world.other_dept)
    world.step(case, "register", "office_staff")
    world.step(case, "accept", "other_officer")
    world.evidence(case, who="other_officer")
    world.step(case, "report", "other_head", statement="已整改")
    world.step(case, "verify", "office_staff")
    world.step(case, "close", "office_director")
    assert case.status == "closed"
    return case


def wait_done(client, world, job_id, who="auditor", limit_s=120):
    """Poll the progress endpoint as the page does, until the job ends."""
    deadline = time.monotonic() + limit_s
    while True:
        body = client.get(f"/api/v1/exports/{job_id}", headers=world.headers(who)).json
        if body["status"] in ("done", "failed") or time.monotonic() > deadline:
            return body
        time.sleep(0.1)


def check_zip(client, world, job_id, expected_numbers):
    resp = client.get(f"/api/v1/exports/{job_id}/file", headers=world.headers("auditor"))
    assert resp.status_code == 200 and resp.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(resp.data))
    resp.close()
    names = sorted(archive.namelist())
    assert names == sorted([f"{n}.pdf" for n in expected_numbers] + ["清单.csv"])
    manifest = archive.read("清单.csv").decode("utf-8-sig")
    for number in expected_numbers:
        pdf = archive.read(f"{number}.pdf")
        assert verify_record(world.session, pdf).ok
        assert number in manifest
    world.session.commit()
    return archive


def test_thread_export_of_closed_cases(client, world):
    closed = [world.case_at("closed") for _ in range(3)]
    world.case_at("in_progress")  # open: not in a 销号 export
    closed_elsewhere(world)  # another department
    resp = client.post("/api/v1/exports", json=params(world), headers=world.headers("auditor"))
    assert resp.status_code == 202, resp.json
    job_id = resp.json["id"]
    body = wait_done(client, world, job_id)
    assert body["status"] == "done", body
    assert body["total"] == body["done"] == 3 and body["percent"] == 100
    first = check_zip(client, world, job_id, [c.number for c in closed])

    # the same state exports the same report bytes
    again = client.post("/api/v1/exports", json=params(world), headers=world.headers("auditor"))
    wait_done(client, world, again.json["id"])
    second = check_zip(client, world, again.json["id"], [c.number for c in closed])
    for name in first.namelist():
        assert first.read(name) == second.read(name)


def test_registered_scope_includes_open_cases(client, world):
    open_case = world.case_at("reported")
    resp = client.post("/api/v1/exports", json=params(world, scope="registered", department_id=None),
                       headers=world.headers("office_staff"))
    job_id = resp.json["id"]
    assert wait_done(client, world, job_id, who="office_staff")["status"] == "done"
    resp = client.get(f"/api/v1/exports/{job_id}/file", headers=world.headers("office_staff"))
    archive = zipfile.ZipFile(io.BytesIO(resp.data))
    resp.close()
    assert f"{open_case.number}.pdf" in archive.namelist()


def test_export_roles_and_validation(client, world):
    for who in ("dept_head", "inspector", "leader"):
        resp = client.post("/api/v1/exports", json=params(world), headers=world.headers(who))
        assert resp.status_code == 403 and resp.json["needed_roles"], who
    post = lambda body: client.post("/api/v1/exports", json=body, headers=world.headers("auditor"))  # noqa: E731
    assert post({"from": "2020-01-01"}).json["field"] == "to"
    assert post(params(world, **{"from": "2020-02-30"})).json["field"] == "from"
    assert post(params(world, **{"from": "2021-01-01", "to": "2020-01-01"})).status_code == 400
    assert post(params(world, scope="all")).json["field"] == "scope"
    assert post(params(world, department_id=999999)).json["field"] == "department_id"
    assert post(params(world, extra=1)).status_code == 400
    job_id = post(params(world)).json["id"]
    assert wait_done(client, world, job_id)["status"] == "done"
    # only the requester sees the job and its file
    assert client.get(f"/api/v1/exports/{job_id}", headers=world.headers("office_director")).status_code == 404
    assert client.get(f"/api/v1/exports/{job_id}/file",
                      headers=world.headers("office_director")).status_code == 404
    assert client.get("/api/v1/exports/999999", headers=world.headers("auditor")).status_code == 404


def test_failed_export_says_why(client, world, app, tmp_path):
    world.case_at("closed")
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("x")
    app.config["EXPORT_DIR"] = str(blocker / "exports")
    resp = client.post("/api/v1/exports", json=params(world), headers=world.headers("auditor"))
    body = wait_done(client, world, resp.json["id"])
    assert body["status"] == "failed" and body["error"].startswith("导出失败")
    assert client.get(f"/api/v1/exports/{resp.json['id']}/file",
                      headers=world.headers("auditor")).status_code == 404


def test_rq_worker_runs_the_export(client, world, app, redis_conn):
    from rq import Queue, SimpleWorker

    connection = redis_conn
    queue_name = f"safeloop-test-{uuid.uuid4().hex[:12]}"
    app.config.update(REDIS_URL="redis://127.0.0.1:6379/0", RQ_QUEUE=queue_name)
    queue = Queue(queue_name, connection=connection)
    try:
        closed = [world.case_at("closed") for _ in range(2)]
        resp = client.post("/api/v1/exports", json=params(world), headers=world.headers("auditor"))
        assert resp.status_code == 202
        job_id = resp.json["id"]
        assert len(queue) == 1
        assert client.get(f"/api/v1/exports/{job_id}",
                          headers=world.headers("auditor")).json["status"] == "queued"
        # as `flask worker` does: the worker runs inside the app's context
        with app.app_context():
            assert SimpleWorker([queue], connection=connection).work(burst=True)
        body = client.get(f"/api/v1/exports/{job_id}", headers=world.headers("auditor")).json
        assert body["status"] == "done" and body["done"] == 2, body
        check_zip(client, world, job_id, [c.number for c in closed])
    finally:
        queue.delete(delete_jobs=True)


def test_unreachable_queue_fails_the_job_visibly(client, world, app):
    app.config.update(REDIS_URL="redis://127.0.0.1:1/0", RQ_QUEUE="safeloop-test-down")
    resp = client.post("/api/v1/exports", json=params(world), headers=world.headers("auditor"))
    assert resp.status_code == 503 and "队列不可用" in resp.json["message"]
    jobs = client.get("/records")  # not logged in: redirected, nothing leaks
    assert jobs.status_code in (302, 401)

"""The whole-register 台账 workbook as a background job: progress, the same workbook as the
direct download, only what the requester may see, a bad filter refused before queueing."""
from __future__ import annotations

import io

from openpyxl import load_workbook

from tests.test_exports import wait_done
from workflow.records.ledger_xlsx import COLUMNS, HEADERS, XLSX

DEPARTMENT = [c[1] for c in COLUMNS].index("department")  # the responsible unit's column


def _rows(data: bytes, sheet: str = "问题隐患台账") -> list[list]:
    ws = load_workbook(io.BytesIO(data))[sheet]
    return [[c.value for c in row] for row in ws.iter_rows()]


def test_ledger_export_job_writes_the_register_with_progress(client, world):
    cases = [world.case_at(state) for state in ("assigned", "in_progress", "closed", "closed")]
    world.problem(department=world.other_dept)
    resp = client.post("/api/v1/ledger-exports", headers=world.headers("office_staff"))
    assert resp.status_code == 202
    job = resp.json
    assert job["kind"] == "ledger" and job["status"] in ("queued", "running", "done")
    body = wait_done(client, world, job["id"], who="office_staff")
    assert body["status"] == "done", body
    assert body["total"] == len(cases) + 1 and body["done"] == body["total"]
    assert body["percent"] == 100
    got = client.get(body["file"], headers=world.headers("office_staff"))
    assert got.status_code == 200 and got.mimetype == XLSX
    rows = _rows(got.data)
    got.close()
    direct = client.get("/api/v1/ledger.xlsx", headers=world.headers("office_staff"))
    assert rows == _rows(direct.data)  # the same workbook as the direct download
    assert rows[0] == HEADERS and len(rows) == len(cases) + 2
    numbers = {r[0] for r in rows[1:]}
    assert {c.number for c in cases} <= numbers


def test_ledger_export_job_keeps_to_what_the_requester_sees(client, world):
    world.case_at("assigned")
    world.problem(department=world.other_dept)
    resp = client.post("/api/v1/ledger-exports", headers=world.headers("dept_officer"))
    assert resp.status_code == 202
    body = wait_done(client, world, resp.json["id"], who="dept_officer")
    assert body["status"] == "done" and body["total"] == 1
    got = client.get(body["file"], headers=world.headers("dept_officer"))
    rows = _rows(got.data)
    got.close()
    assert len(rows) == 2 and rows[1][DEPARTMENT] == world.dept.name
    # another user does not see the job
    other = client.get(f"/api/v1/exports/{body['id']}", headers=world.headers("office_staff"))
    assert other.status_code == 404


def test_ledger_export_job_filters_and_refusals(client, world):
    world.case_at("assigned")
    world.case_at("closed")
    resp = client.post("/api/v1/ledger-exports?status=closed",
                       headers=world.headers("office_staff"))
    body = wait_done(client, world, resp.json["id"], who="office_staff")
    assert body["status"] == "done" and body["total"] == 1
    bad = client.post("/api/v1/ledger-exports?status=nonsense",
                      headers=world.headers("office_staff"))
    assert bad.status_code == 400
    unknown = client.post("/api/v1/ledger-exports?limit=5", headers=world.headers("office_staff"))
    assert unknown.status_code == 400

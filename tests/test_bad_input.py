"""Bad input gets a clear 4xx and writes nothing; never a 500."""
from __future__ import annotations

import io
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.factories import png_bytes
from workflow.core.audit import AuditEvent
from workflow.core.cases import Case
from workflow.core.evidence import Evidence
from workflow.platform.base import local_today


def counts(session):
    session.expire_all()
    return tuple(session.scalar(select(func.count()).select_from(m))
                 for m in (Case, AuditEvent, Evidence))


def good_body(world, **over):
    return {"title": "消防通道堵塞", "description": "厂区消防通道堆放杂物", "source": "patrol",
            "grade": "general", "department_id": world.dept.id,
            "deadline": (local_today() + timedelta(days=10)).isoformat(), **over}


@pytest.mark.parametrize("raw,field", [
    (b"{not json", None),
    (b"[1, 2]", None),
    (b'"text"', None),
])
def test_malformed_json(client, world, session, raw, field):
    before = counts(session)
    resp = client.post("/api/v1/cases", data=raw, headers={**world.headers("inspector"),
                                                           "Content-Type": "application/json"})
    assert resp.status_code == 400 and resp.json["error"] == "invalid_input"
    assert counts(session) == before


@pytest.mark.parametrize("over,field", [
    ({"colour": "red"}, "colour"),
    ({"title": 42}, "title"),
    ({"department_id": "abc"}, "department_id"),
    ({"department_id": 10**20}, "department_id"),
    ({"department_id": 999999}, "department_id"),
    ({"source": "火星"}, "source"),
    ({"grade": "超级"}, "grade"),
    ({"deadline": "2020-02-30"}, "deadline"),
    ({"deadline": (local_today() - timedelta(days=1)).isoformat()}, "deadline"),
    ({"funds": -1}, "funds"),
    ({"funds": "很多"}, "funds"),
    ({"suspended": "yes"}, "suspended"),
    ({"deadline_working_days": 0}, "deadline_working_days"),
    ({"credit_code": "123"}, "credit_code"),
    ({"title": "x" * 201}, "title"),
])
def test_bad_case_fields(client, world, session, over, field):
    before = counts(session)
    resp = client.post("/api/v1/cases", json=good_body(world, **over),
                       headers=world.headers("inspector"))
    assert resp.status_code == 400, resp.json
    assert resp.json["field"] == field and resp.json["message"]
    assert counts(session) == before


def test_missing_required_field_named(client, world):
    body = good_body(world)
    del body["description"]
    resp = client.post("/api/v1/cases", json=body, headers=world.headers("inspector"))
    assert resp.status_code == 400 and resp.json["field"] == "description"
    assert "问题描述" in resp.json["message"]


def test_working_days_deadline(client, world):
    resp = client.post("/api/v1/cases", json=good_body(world, deadline=None,
                                                       deadline_working_days=5),
                       headers=world.headers("inspector"))
    assert resp.status_code == 201
    assert resp.json["deadline"] > local_today().isoformat()
    assert resp.json["deadline_working_days"] == 5


@pytest.mark.parametrize("body,status", [
    ({"trigger": "fly", "version": 1}, 400),
    ({"version": 1}, 400),
    ({"trigger": "accept"}, 400),
    ({"trigger": "accept", "version": "1"}, 400),
    ({"trigger": "accept", "version": 2**40}, 400),
    ({"trigger": "accept", "version": 1, "department_id": 3}, 400),
    ({"trigger": "accept", "version": 1, "comment": ["x"]}, 400),
])
def test_bad_transition_bodies(client, world, session, body, status):
    case = world.case_at("assigned")
    before = counts(session)
    resp = client.post(f"/api/v1/cases/{case.id}/transitions", json=body,
                       headers=world.headers("dept_officer"))
    assert resp.status_code == status, resp.json
    assert resp.json["message"]
    assert counts(session) == before


def test_oversized_and_unknown_ids_are_404(client, world):
    for path in ("/api/v1/cases/99999999999999999999", "/api/v1/cases/0", "/api/v1/cases/777",
                 "/api/v1/cases/-1", "/api/v1/cases/abc"):
        resp = client.get(path, headers=world.headers("auditor"))
        assert resp.status_code == 404, path
        assert resp.is_json


def upload(client, world, case_id, data, name, who="dept_officer"):
    return client.post(f"/api/v1/cases/{case_id}/evidence",
                       data={"file": (io.BytesIO(data), name)}, headers=world.headers(who),
                       content_type="multipart/form-data")


@pytest.mark.parametrize("data,name,words", [
    (b"#!/bin/sh\nrm -rf /\n", "photo.jpg", "类型不允许"),
    (b"MZ\x90\x00" + b"\x00" * 100, "report.pdf", "类型不允许"),
    (png_bytes(), "../../etc/passwd.png", "路径"),
    (png_bytes(), "/var/photos/a.png", "路径"),
    (b"", "empty.png", "为空"),
])
def test_bad_uploads(client, world, session, tmp_path, data, name, words):
    case = world.case_at("in_progress")
    before = counts(session)
    resp = upload(client, world, case.id, data, name)
    assert resp.status_code == 400, resp.json
    assert words in resp.json["message"]
    assert counts(session) == before


def test_upload_over_limit(app, client, world, session):
    app.config["MAX_UPLOAD_BYTES"] = 1000
    case = world.case_at("in_progress")
    before = counts(session)
    resp = upload(client, world, case.id, png_bytes(size=(400, 400)) + b"\0" * 2000, "big.png")
    assert resp.status_code == 400 and "超过上限" in resp.json["message"]
    assert counts(session) == before


def test_upload_checks_content_and_name(client, world):
    # The type is the one sniffed from the content, and the name must agree with it
    # (issue 15 #13: a PNG named .pdf was stored as a PNG under a .pdf name; that nothing
    # is written is held in tests/test_bombs.py).
    case = world.case_at("in_progress")
    resp = upload(client, world, case.id, png_bytes(), "scan.pdf")
    assert resp.status_code == 400 and resp.json["field"] == "file"
    assert ".png" in resp.json["message"]
    resp = upload(client, world, case.id, png_bytes(), "scan.PNG")
    assert resp.status_code == 201 and resp.json["content_type"] == "image/png"


def test_submitted_round_is_immutable(client, world):
    case = world.case_at("reported")
    resp = upload(client, world, case.id, png_bytes(), "late.png")
    assert resp.status_code == 409
    assert "不能上传" in resp.json["message"]


def test_evidence_file_is_content_addressed(app, client, world):
    import hashlib
    from pathlib import Path

    case = world.case_at("in_progress")
    data = png_bytes((1, 2, 3))
    resp = upload(client, world, case.id, data, "a.png")
    digest = hashlib.sha256(data).hexdigest()
    assert resp.json["sha256"] == digest
    stored = Path(app.config["STORAGE_DIR"]) / digest[:2] / digest[2:4] / digest
    assert stored.read_bytes() == data


def test_bad_list_filters(client, world):
    for query in ("status=flying", "limit=500", "limit=0", "cursor=%%%", "overdue=maybe",
                  "department_id=abc", "unknown=1"):
        resp = client.get(f"/api/v1/cases?{query}", headers=world.headers("auditor"))
        assert resp.status_code == 400, query
        assert resp.json["message"]


@pytest.mark.parametrize("path,body,who,status", [
    ("/api/v1/cases/{id}/transitions", {"trigger": "cancel", "version": None,
                                         "comment": "重复", "cancel_reason": ["duplicate"]},
     "office_director", "draft"),
    ("/api/v1/cases/{id}/lookback", {"result": {}, "comment": ""}, "office_staff", "closed"),
    ("/api/v1/cases/{id}/supervision", {"action": {}, "comment": "催一下"}, "office_staff",
     "in_progress"),
])
def test_choices_given_as_lists_or_objects(client, world, session, path, body, who, status):
    """A JSON list or object where a choice is expected is a 400, not a server error."""
    case = world.case_at(status)
    if body.get("version", 0) is None:
        body["version"] = case.version
    before = counts(session)
    session.rollback()
    resp = client.post(path.format(id=case.id), json=body, headers=world.headers(who))
    assert resp.status_code == 400, resp.json
    assert resp.json["field"] and resp.json["message"]
    assert counts(session) == before


def test_export_scope_as_list(client, world):
    resp = client.post("/api/v1/exports", json={"department_id": world.dept.id, "from": "2020-01-01",
                                                "to": "2020-12-31", "scope": [None]},
                       headers=world.headers("auditor"))
    assert resp.status_code == 400 and resp.json["field"] == "scope"


def test_multipart_part_without_a_usable_name(client, world, session):
    """A malformed part name (seen from a fuzzer) is refused by name, never a server error."""
    body = (b'--B\r\nContent-Disposition: form-data; name="\\"\r\n\r\nx\r\n'
            b'--B\r\nContent-Disposition: form-data; name="file"; filename="f.xlsx"\r\n\r\n\r\n'
            b"--B--\r\n")
    before = counts(session)
    session.rollback()
    for path in ("/api/v1/imports/problems", "/api/v1/plans/import"):
        resp = client.post(path, data=body, headers={**world.headers("office_staff"),
                                                     "Content-Type": "multipart/form-data; boundary=B"})
        assert resp.status_code == 400, (path, resp.json)
        assert resp.json["message"]
    assert counts(session) == before


def test_refuse_unknown_names_any_type():
    from workflow.platform.errors import InvalidInput, refuse_unknown

    refuse_unknown({"a"}, {"a", "b"})
    with pytest.raises(InvalidInput) as info:
        refuse_unknown({None, "a", "zz"}, {"a"})
    assert info.value.field == "None" and "zz" in info.value.message


@pytest.mark.parametrize("where", ["json", "query", "form"])
def test_nul_character_is_refused_everywhere(client, world, session, where):
    """PostgreSQL text cannot hold U+0000: every route answers 400 naming the field."""
    before = counts(session)
    session.rollback()
    headers = world.headers("inspector")
    if where == "json":
        resp = client.post("/api/v1/cases", json=good_body(world, title="a\x00b"), headers=headers)
        assert resp.status_code == 400 and resp.json["field"] == "title"
    elif where == "query":
        resp = client.get("/api/v1/cases?q=a%00b", headers=headers)
        assert resp.status_code == 400 and resp.json["field"] == "q"
    else:
        case = world.case_at("in_progress")
        before = counts(session)
        session.rollback()
        resp = client.post(f"/api/v1/cases/{case.id}/evidence",
                           data={"file": (io.BytesIO(png_bytes()), "a.png"), "note": "x\x00"},
                           headers=world.headers("dept_officer"), content_type="multipart/form-data")
        assert resp.status_code == 400 and resp.json["field"] == "note"
    assert "U+0000" in resp.json["message"]
    assert counts(session) == before

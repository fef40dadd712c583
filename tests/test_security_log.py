"""The security event log (finding 8), read back from its file."""
from __future__ import annotations

import json

from tests.factories import PASSWORD
from tests.factories_pages import PageClient, csrf_from


def events(app) -> list[dict]:
    with open(app.config["SECURITY_LOG"], encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def last(app, action: str) -> dict:
    return [e for e in events(app) if e["action"] == action][-1]


def test_logins_failures_lockouts_and_logout(app, world):
    user = world.users["dept_head"]
    page = PageClient(app, user)
    ok = last(app, "login")
    assert ok["outcome"] == "ok" and ok["user_id"] == user.id
    assert ok["username"] == user.username and ok["role"] == "dept_head"
    assert ok["address"] == "127.0.0.1" and ok["ts"].endswith("Z")
    client = app.test_client()
    for _ in range(6):
        html = client.get("/login").text
        client.post("/login", data={"username": user.username, "password": "nope-nope",
                                    "csrf_token": csrf_from(html)})
    outcomes = [e["outcome"] for e in events(app) if e["action"] == "login"]
    assert outcomes == ["ok"] + ["failed"] * 5 + ["locked"]
    assert last(app, "login")["username"] == user.username
    page.get("/cases")
    page.post("/logout")
    assert last(app, "logout")["user_id"] == user.id


def test_tokens_passwords_and_denials(app, client, world):
    user = world.users["leader"]
    token = client.post("/api/v1/tokens", json={"username": user.username,
                                                "password": PASSWORD}).json
    issued = last(app, "token_issue")
    assert issued["object"] == f"token:{token['id']}" and issued["user_id"] == user.id
    assert token["token"] not in json.dumps(events(app))  # the secret never reaches the log
    headers = {"Authorization": f"Bearer {token['token']}"}
    assert client.delete(f"/api/v1/tokens/{token['id']}", headers=headers).status_code == 204
    assert last(app, "token_revoke")["object"] == f"token:{token['id']}"
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    assert last(app, "token_rejected")["outcome"] == "denied"

    page = PageClient(app, user)
    html = page.get("/account/password").text
    page.post("/account/password", {"csrf_token": csrf_from(html), "current": "wrong-one",
                                    "new": "Lantern-river-4471", "confirm": "Lantern-river-4471"})
    assert last(app, "password_change")["outcome"] == "failed"
    page.post("/account/password", {"csrf_token": csrf_from(html), "current": PASSWORD,
                                    "new": "Lantern-river-4471", "confirm": "Lantern-river-4471"})
    changed = last(app, "password_change")
    assert changed["outcome"] == "ok" and changed["user_id"] == user.id
    assert "Lantern" not in json.dumps(events(app))  # nor does any password

    assert page.get("/admin/users").status_code == 403
    denied = last(app, "forbidden")
    assert denied["outcome"] == "denied" and denied["path"] == "/admin/users"
    assert denied["user_id"] == user.id and denied["role"] == "leader"
    resp = client.post("/api/v1/kpis/snapshots", json={"period": "2020Q3"},
                       headers=world.headers("office_staff"))
    assert resp.status_code == 403
    denied = last(app, "forbidden")
    assert denied["role"] == "office_staff" and denied["needed_roles"] == resp.json["needed_roles"]


def test_downloads_and_exports(app, client, world):
    case = world.case_at("in_progress")
    ev = world.evidence(case)
    office = world.headers("office_staff")
    assert client.get("/api/v1/ledger.xlsx?year=2020", headers=office).status_code == 200
    export = last(app, "export")
    assert export["object"] == "ledger.xlsx" and export["filters"] == {"year": "2020"}
    assert export["role"] == "office_staff"
    page = PageClient(app, world.users["dept_officer"])
    resp = page.get(f"/cases/{case.id}/evidence/{ev.id}")
    resp.close()
    assert resp.status_code == 200
    got = last(app, "evidence_download")
    assert got["object"] == f"case:{case.id}/evidence:{ev.id}"
    assert got["username"] == world.users["dept_officer"].username
    assert client.get(f"/api/v1/cases/{case.id}/notice.pdf", headers=office).status_code == 200
    assert last(app, "record_download")["object"] == f"case:{case.id}/notice.pdf"


def test_admin_reset_and_deactivation(pages, world):
    admin = pages("admin")
    admin.get("/admin/users")
    target = world.users["dept_officer"]
    admin.post(f"/admin/users/{target.id}/password", {"password": "123"})
    app = admin.client.application
    refused = last(app, "password_reset")
    assert refused["outcome"] == "refused" and refused["object"] == f"user:{target.id}"
    admin.post(f"/admin/users/{target.id}/password", {"password": "Lantern-river-4471"})
    reset = last(app, "password_reset")
    assert reset["outcome"] == "ok" and reset["role"] == "admin"
    admin.post(f"/admin/users/{target.id}/active", {"active": "0"})
    off = last(app, "user_active")
    assert off["outcome"] == "ok" and off["active"] is False

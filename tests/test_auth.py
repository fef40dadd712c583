"""Login form, CSRF, throttling, cookies and API tokens."""
from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import update

from tests.factories import PASSWORD
from workflow.org.models import ApiToken


def csrf_from(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def login(client, username, password):
    page = client.get("/login")
    token = csrf_from(page.get_data(as_text=True))
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": token})


def test_login_logout(client, world):
    user = world.users["dept_officer"]
    resp = login(client, user.username, PASSWORD)
    assert resp.status_code == 302
    cookie = resp.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    home = client.get("/")
    assert home.status_code == 200 and "张联络员" in home.get_data(as_text=True)
    token = csrf_from(client.get("/account/password").get_data(as_text=True))
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/").status_code == 302


def test_bad_credentials_message(client, world):
    resp = login(client, world.users["dept_officer"].username, "wrong-password")
    assert resp.status_code == 401
    assert "用户名或密码错误" in resp.get_data(as_text=True)


def test_forged_login_without_csrf_is_400(client, world):
    resp = client.post("/login", data={"username": world.users["dept_officer"].username,
                                       "password": PASSWORD})
    assert resp.status_code == 400
    assert "CSRF" in resp.get_data(as_text=True)


def test_throttle_per_user_names_retry_time(client, world):
    name = world.users["dept_head"].username
    for _ in range(5):
        assert login(client, name, "nope-nope").status_code == 401
    resp = login(client, name, PASSWORD)  # even the right password waits
    assert resp.status_code == 429
    assert re.search(r"请于 \d\d:\d\d 后（约 \d+ 分钟）再试", resp.get_data(as_text=True))
    # the API refuses the same way and says when
    api = client.post("/api/v1/tokens", json={"username": name, "password": PASSWORD})
    assert api.status_code == 429 and api.json["retry_after"] > 0
    # another user from the same address is not locked by this user's failures
    other = world.users["dept_officer"].username
    assert login(client, other, PASSWORD).status_code == 302


def test_throttle_per_address(app, client, world):
    app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"] = 3
    for i in range(3):
        login(client, f"ghost{i}", "whatever")
    resp = login(client, world.users["dept_officer"].username, PASSWORD)
    assert resp.status_code == 429


def test_successful_login_clears_failures(client, world):
    name = world.users["dept_head"].username
    for _ in range(4):
        login(client, name, "nope-nope")
    assert login(client, name, PASSWORD).status_code == 302
    client.post("/logout", data={"csrf_token": csrf_from(client.get("/account/password")
                                                          .get_data(as_text=True))})
    for _ in range(4):
        assert login(client, name, "nope-nope").status_code == 401


def test_expired_token_refused(client, world, session):
    headers = world.headers("auditor")
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    from workflow.platform.base import utcnow

    session.execute(update(ApiToken).values(expires_at=utcnow() - timedelta(seconds=1)))
    session.commit()
    resp = client.get("/api/v1/me", headers=headers)
    assert resp.status_code == 401 and "过期" in resp.json["message"]


def test_tokens_stored_hashed(client, world, session):
    from sqlalchemy import select

    resp = client.post("/api/v1/tokens", json={"username": world.users["leader"].username,
                                               "password": PASSWORD})
    token = resp.json["token"]
    stored = session.scalars(select(ApiToken.token_hash)).all()
    assert token not in stored and all(len(h) == 64 for h in stored)


def test_session_api_write_needs_csrf(client, world):
    login(client, world.users["inspector"].username, PASSWORD)
    body = {"title": "t", "description": "d", "source": "patrol", "grade": "general",
            "department_id": world.dept.id, "deadline_working_days": 3}
    resp = client.post("/api/v1/cases", json=body)
    assert resp.status_code == 400 and "CSRF" in resp.json["message"]
    token = csrf_from(client.get("/account/password").get_data(as_text=True))
    resp = client.post("/api/v1/cases", json=body, headers={"X-CSRFToken": token})
    assert resp.status_code == 201


def test_password_change(client, world):
    user = world.users["leader"]
    login(client, user.username, PASSWORD)
    page = client.get("/account/password").get_data(as_text=True)
    resp = client.post("/account/password", data={"csrf_token": csrf_from(page),
                                                   "current": "wrong", "new": "new-secret-123",
                                                   "confirm": "new-secret-123"})
    assert resp.status_code == 400 and "当前密码不正确" in resp.get_data(as_text=True)
    resp = client.post("/account/password", data={"csrf_token": csrf_from(page),
                                                   "current": PASSWORD, "new": "new-secret-123",
                                                   "confirm": "new-secret-123"})
    assert resp.status_code == 302
    assert client.post("/api/v1/tokens", json={"username": user.username,
                                               "password": "new-secret-123"}).status_code == 201


def test_security_headers(client):
    resp = client.get("/login")
    csp = resp.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["X-Frame-Options"] == "DENY"

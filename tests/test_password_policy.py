"""Password policy (finding 7) and throttling of the password check (finding 9)."""
from __future__ import annotations

from datetime import timedelta

import pytest

from tests.factories import PASSWORD
from tests.factories_pages import PageClient, csrf_from
from workflow.demo import DEMO_PASSWORD
from workflow.org.auth import (
    BadCredentials,
    Throttled,
    ThrottleSettings,
    authenticate,
    check_password_strength,
)
from workflow.platform.base import utcnow
from workflow.platform.errors import InvalidInput


@pytest.mark.parametrize("password, rule", [
    ("12345678", "password_too_short"),
    ("Short-9x", "password_too_short"),
    ("x" * 129, "password_too_long"),
    ("password1234", "password_common"),
    ("123456789abc", "password_common"),
    ("1234567890QWERTY", "password_common"),  # case does not help
    ("zhangsan", "password_too_short"),
    ("zhangsan-2024!", "password_contains_username"),
    ("ZhangSan!Secure9", "password_contains_username"),
])
def test_weak_passwords_are_refused_naming_the_rule(password, rule):
    with pytest.raises(InvalidInput) as err:
        check_password_strength(password, username="zhangsan")
    assert err.value.extra["rules"] == [rule]
    assert rule in err.value.message and err.value.field == "password"


def test_good_passwords_pass_including_demo_and_test_ones():
    for password in ("Lantern-river-4471", DEMO_PASSWORD, PASSWORD, "long-enough-pw", "x" * 128):
        check_password_strength(password, username="office")


def test_the_form_refuses_weak_and_unchanged_passwords(app, world):
    user = world.users["inspector"]
    page = PageClient(app, user)
    html = page.get("/account/password").text
    for new, text in (("12345678", "至少 12 个字符"), (user.username + "-secure-1", "包含用户名"),
                      (PASSWORD, "不得与当前密码相同"), ("password1234", "常见弱密码")):
        resp = page.post("/account/password", {"csrf_token": csrf_from(html), "current": PASSWORD,
                                               "new": new, "confirm": new})
        assert resp.status_code == 400 and text in resp.text, new


def test_admin_reset_obeys_the_policy(pages, world):
    admin = pages("admin")
    admin.get("/admin/users")
    user = world.users["dept_officer"]
    resp = admin.post(f"/admin/users/{user.id}/password", {"password": "12345678"})
    assert resp.status_code == 400 and "password_too_short" in resp.text
    resp = admin.post(f"/admin/users/{user.id}/password", {"password": PASSWORD})
    assert resp.status_code == 400 and "password_unchanged" in resp.text


def test_password_check_on_the_change_form_is_throttled(app, client, world):
    user = world.users["office_director"]
    page = PageClient(app, user)
    html = page.get("/account/password").text
    for _ in range(5):
        resp = page.post("/account/password", {"csrf_token": csrf_from(html), "current": "guess-guess",
                                                "new": "Lantern-river-4471",
                                                "confirm": "Lantern-river-4471"})
        assert resp.status_code == 400 and "当前密码不正确" in resp.text
    resp = page.post("/account/password", {"csrf_token": csrf_from(html), "current": PASSWORD,
                                            "new": "Lantern-river-4471", "confirm": "Lantern-river-4471"})
    assert resp.status_code == 429 and "再试" in resp.text  # even the right password waits


def _login(app, username, password, address, headers=None):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    page = client.get("/login", headers=headers)
    return client.post("/login", headers=headers,
                       data={"username": username, "password": password,
                             "csrf_token": csrf_from(page.text)})


def test_a_stranger_cannot_lock_the_director_out(app, world):
    director = world.users["office_director"].username
    for _ in range(10):
        assert _login(app, director, "wrong-wrong", "10.0.0.66").status_code in (401, 429)
    assert _login(app, director, PASSWORD, "10.0.0.66").status_code == 429
    # the director at her own desk is not locked by the stranger's failures
    assert _login(app, director, PASSWORD, "10.0.0.10").status_code == 302


def test_back_off_doubles_after_each_lock(session, world):
    ts = ThrottleSettings(max_failures=3, window_seconds=900, lock_seconds=60)
    name, addr = world.users["leader"].username, "10.1.1.1"
    t = utcnow()
    for i in range(3):
        with pytest.raises(BadCredentials):
            authenticate(session, name, "nope", addr, ts, now=t + timedelta(seconds=i))
    with pytest.raises(Throttled) as first:
        authenticate(session, name, PASSWORD, addr, ts, now=t + timedelta(seconds=10))
    assert first.value.until == t + timedelta(seconds=2 + 60)
    t2 = t + timedelta(seconds=70)  # the first lock is over: one more failure locks for 120 s
    with pytest.raises(BadCredentials):
        authenticate(session, name, "nope", addr, ts, now=t2)
    with pytest.raises(Throttled) as second:
        authenticate(session, name, PASSWORD, addr, ts, now=t2 + timedelta(seconds=1))
    assert second.value.until == t2 + timedelta(seconds=120)
    t3 = t2 + timedelta(seconds=130)
    with pytest.raises(BadCredentials):
        authenticate(session, name, "nope", addr, ts, now=t3)
    with pytest.raises(Throttled) as third:
        authenticate(session, name, PASSWORD, addr, ts, now=t3 + timedelta(seconds=1))
    assert third.value.until == t3 + timedelta(seconds=240)
    # from another address the user signs in at once
    assert authenticate(session, name, PASSWORD, "10.1.1.2", ts, now=t3 + timedelta(seconds=2))
    session.rollback()


def test_forwarded_for_is_ignored_without_a_trusted_proxy(app, world):
    assert app.config["TRUSTED_PROXY_COUNT"] == 0
    app.config["LOGIN_MAX_FAILURES_PER_ADDRESS"] = 3
    for i in range(3):  # a client claiming a fresh address each time is still one address
        _login(app, f"ghost{i}", "whatever", "10.2.0.1", {"X-Forwarded-For": f"172.16.0.{i}"})
    resp = _login(app, world.users["leader"].username, PASSWORD, "10.2.0.1",
                  {"X-Forwarded-For": "172.16.0.99"})
    assert resp.status_code == 429


def test_behind_a_trusted_proxy_each_client_counts_alone(app, world, tmp_path):
    from blueprints import create_app

    proxied = create_app({**app.config, "TRUSTED_PROXY_COUNT": 1,
                          "LOGIN_MAX_FAILURES_PER_ADDRESS": 3})
    proxy = "10.3.0.1"  # every request arrives from the proxy
    for i in range(3):
        _login(proxied, f"ghost{i}", "whatever", proxy, {"X-Forwarded-For": "172.16.0.5"})
    assert _login(proxied, world.users["leader"].username, PASSWORD, proxy,
                  {"X-Forwarded-For": "172.16.0.6"}).status_code == 302
    assert _login(proxied, world.users["auditor"].username, PASSWORD, proxy,
                  {"X-Forwarded-For": "172.16.0.5"}).status_code == 429
    proxied.extensions["safeloop.engine"].dispose()

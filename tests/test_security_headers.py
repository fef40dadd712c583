"""Secure cookies by default, HSTS when secure, and no caching of pages and JSON."""
from __future__ import annotations

import pytest

from blueprints import create_app
from tests.factories import PASSWORD
from tests.test_auth import login


@pytest.fixture
def app_like(app, tmp_path):
    """Build second apps on the test's database, as production would (not TESTING)."""
    built = []

    def build(**over):
        config = {"DATABASE_URL": app.config["DATABASE_URL"], "SECRET_KEY": "test-secret",
                  "STORAGE_DIR": str(tmp_path / "storage"), "REDIS_URL": None,
                  "SESSION_COOKIE_SECURE": None, **over}
        built.append(create_app(config))
        return built[-1]

    yield build
    for other in built:  # their pooled connections end with the test
        other.extensions["safeloop.engine"].dispose()


def test_production_cookies_are_secure_and_hsts_is_sent(app_like, world):
    prod = app_like()
    assert prod.config["SESSION_COOKIE_SECURE"] and prod.config["REMEMBER_COOKIE_SECURE"]
    client = prod.test_client()
    resp = login(client, world.users["office_staff"].username, PASSWORD)
    assert resp.status_code == 302
    cookie = resp.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert resp.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert client.get("/login").headers["Strict-Transport-Security"].startswith("max-age=")


@pytest.mark.parametrize("over", [{"INSECURE_COOKIES": True}, {"DEBUG": True},
                                  {"SESSION_COOKIE_SECURE": False}])
def test_plain_http_setups_drop_secure_and_hsts(app_like, world, over):
    dev = app_like(**over)
    resp = login(dev.test_client(), world.users["office_staff"].username, PASSWORD)
    assert resp.status_code == 302
    assert "Secure" not in resp.headers["Set-Cookie"]
    assert "Strict-Transport-Security" not in resp.headers


def test_explicit_secure_wins_over_testing(app_like, world):
    forced = app_like(TESTING=True, SESSION_COOKIE_SECURE=True)
    resp = login(forced.test_client(), world.users["office_staff"].username, PASSWORD)
    assert "Secure" in resp.headers["Set-Cookie"] and "Strict-Transport-Security" in resp.headers


def test_pages_and_json_are_not_stored(client, world):
    assert login(client, world.users["office_staff"].username, PASSWORD).status_code == 302
    case = world.case_at("assigned")
    for path in ("/", "/cases", f"/cases/{case.id}"):
        resp = client.get(path)
        assert resp.status_code == 200, path
        assert resp.headers["Cache-Control"] == "no-store", path
    h = world.headers("office_staff")
    for path in (f"/api/v1/cases/{case.id}", "/api/v1/cases", "/api/v1/notifications"):
        resp = client.get(path, headers=h)
        assert resp.status_code == 200 and resp.is_json, path
        assert resp.headers["Cache-Control"] == "no-store", path
    refused = client.get(f"/api/v1/cases/{case.id}", headers=world.headers("other_officer"))
    assert refused.headers["Cache-Control"] == "no-store"


def test_static_files_may_be_cached(client):
    resp = client.get("/static/css/app.css")
    assert resp.status_code == 200 and "no-store" not in resp.headers.get("Cache-Control", "")
    resp.close()

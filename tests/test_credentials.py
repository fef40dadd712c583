"""Credentials end when they should (issue 15, finding 2): the credentials epoch, logout,
idle and absolute session timeouts, and API tokens listed and revoked by their owner."""
from __future__ import annotations

from sqlalchemy import select

from tests.factories import PASSWORD
from tests.factories_pages import PageClient, csrf_from
from workflow.org.models import ApiToken, User

NEW_PASSWORD = "Lantern-river-4471"


def token_for(client, user, password=PASSWORD, name=None) -> str:
    body = {"username": user.username, "password": password}
    if name:
        body["name"] = name
    resp = client.post("/api/v1/tokens", json=body)
    assert resp.status_code == 201, resp.json
    return resp.json["token"]


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def works(client, token: str) -> bool:
    return client.get("/api/v1/me", headers=bearer(token)).status_code == 200


def signed_in(page: PageClient) -> bool:
    return page.client.get("/cases").status_code == 200


def test_password_change_ends_other_sessions_and_tokens_but_keeps_this_one(app, client, world):
    user = world.users["leader"]
    token = token_for(client, user)
    here, elsewhere = PageClient(app, user), PageClient(app, user)
    assert works(client, token) and signed_in(here) and signed_in(elsewhere)
    page = here.get("/account/password")
    resp = here.post("/account/password", {"csrf_token": csrf_from(page.text), "current": PASSWORD,
                                           "new": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert resp.status_code == 302
    assert signed_in(here)  # the browser that changed it stays signed in
    assert not signed_in(elsewhere)
    assert not works(client, token)
    assert works(client, token_for(client, user, NEW_PASSWORD))


def test_admin_reset_ends_sessions_and_tokens(app, client, world, pages):
    user = world.users["dept_officer"]
    token = token_for(client, user)
    browser = PageClient(app, user)
    admin = pages("admin")
    admin.get("/admin/users")
    resp = admin.post(f"/admin/users/{user.id}/password", {"password": NEW_PASSWORD})
    assert resp.status_code == 302
    assert not works(client, token) and not signed_in(browser)


def test_deactivation_ends_tokens_and_reactivation_does_not_revive_them(app, client, world, pages):
    user = world.users["dept_head"]
    token = token_for(client, user)
    browser = PageClient(app, user)
    admin = pages("admin")
    admin.get("/admin/users")
    assert admin.post(f"/admin/users/{user.id}/active", {"active": "0"}).status_code == 302
    assert not works(client, token) and not signed_in(browser)
    assert admin.post(f"/admin/users/{user.id}/active", {"active": "1"}).status_code == 302
    assert not works(client, token)  # on the old code the token came back to life here
    assert not signed_in(browser)
    assert works(client, token_for(client, user))  # signing in again gives fresh credentials


def test_logout_everywhere_ends_every_session_and_token(app, client, world):
    user = world.users["auditor"]
    token = token_for(client, user)
    here, elsewhere = PageClient(app, user), PageClient(app, user)
    page = here.get("/account/password")
    assert "在所有设备上退出登录" in page.text
    resp = here.post("/account/logout-everywhere", {"csrf_token": csrf_from(page.text)})
    assert resp.status_code == 302 and resp.headers["Location"].startswith("/login")
    assert not signed_in(here) and not signed_in(elsewhere)
    assert not works(client, token)


def test_a_logged_out_cookie_replayed_is_refused(app, world):
    page = PageClient(app, world.users["inspector"])
    assert signed_in(page)
    stolen = page.client.get_cookie("session").value
    page.get("/cases")
    assert page.post("/logout").status_code == 302
    replay = app.test_client()
    replay.set_cookie("session", stolen)
    assert replay.get("/cases").status_code == 302  # the old code let the copy in
    # logging out once does not end the user's other sessions
    assert signed_in(PageClient(app, world.users["inspector"]))


def test_idle_and_absolute_timeouts(app, world):
    assert app.config["PERMANENT_SESSION_LIFETIME"].total_seconds() <= 12 * 3600
    assert app.config["SESSION_IDLE_SECONDS"] == 30 * 60
    page = PageClient(app, world.users["office_staff"])
    assert signed_in(page)
    with page.client.session_transaction() as sess:
        sess["_seen_at"] -= 31 * 60
    assert not signed_in(page)

    page = PageClient(app, world.users["office_staff"])
    with page.client.session_transaction() as sess:
        sess["_auth_at"] -= 12 * 3600 + 1  # active all along, but logged in too long ago
    assert not signed_in(page)

    page = PageClient(app, world.users["office_staff"])
    with page.client.session_transaction() as sess:
        sess["_seen_at"] -= 29 * 60  # within the idle limit: still signed in, clock restarts
    assert signed_in(page)
    with page.client.session_transaction() as sess:
        assert sess["_seen_at"] >= sess["_auth_at"]


def test_a_session_from_before_the_epoch_is_refused(app, world):
    """A cookie signed before this release (no epoch in it) must sign in again."""
    page = PageClient(app, world.users["office_staff"])
    with page.client.session_transaction() as sess:
        del sess["_cred_epoch"]
    assert not signed_in(page)


def test_tokens_listed_and_revoked_by_owner_and_admin(client, world, session):
    owner, other = world.users["dept_officer"], world.users["other_officer"]
    other_id = other.id  # read before the rollbacks below expire the objects
    first = token_for(client, owner, name="数据对接")
    second = token_for(client, owner)
    foreign = token_for(client, other)
    assert works(client, first)

    listed = client.get("/api/v1/tokens", headers=bearer(first))
    assert listed.status_code == 200
    items = listed.json["items"]
    assert {t["prefix"] for t in items} == {first[:10], second[:10]}
    assert {"id", "name", "prefix", "created_at", "expires_at", "last_used_at"} <= set(items[0])
    text = listed.get_data(as_text=True)
    hashes = session.scalars(select(ApiToken.token_hash)).all()
    session.rollback()  # end the read: on SQLite the app waits for it otherwise
    assert first not in text and second not in text and not any(h in text for h in hashes)
    named = next(t for t in items if t["prefix"] == first[:10])
    assert named["name"] == "数据对接" and named["last_used_at"] is not None

    # another user's token: 404 to a non-admin, and listing someone else needs the admin
    foreign_id = session.scalar(select(ApiToken.id).where(ApiToken.user_id == other_id))
    session.rollback()
    assert client.delete(f"/api/v1/tokens/{foreign_id}", headers=bearer(first)).status_code == 404
    assert works(client, foreign)
    resp = client.get(f"/api/v1/tokens?user_id={other_id}", headers=bearer(first))
    assert resp.status_code == 403 and resp.json["needed_roles"] == ["admin"]

    second_id = next(t["id"] for t in items if t["prefix"] == second[:10])
    assert client.delete(f"/api/v1/tokens/{second_id}", headers=bearer(first)).status_code == 204
    assert not works(client, second) and works(client, first)

    admin = world.headers("admin")
    resp = client.get(f"/api/v1/tokens?user_id={other_id}", headers=admin)
    assert [t["id"] for t in resp.json["items"]] == [foreign_id]
    assert client.delete(f"/api/v1/tokens/{foreign_id}", headers=admin).status_code == 204
    assert not works(client, foreign)
    assert client.get("/api/v1/tokens?user_id=999999", headers=admin).status_code == 404


def test_password_change_raises_the_epoch_in_the_database(app, world, session):
    user = world.users["leader"]
    before = user.credentials_epoch
    page = PageClient(app, user)
    html = page.get("/account/password").text
    page.post("/account/password", {"csrf_token": csrf_from(html), "current": PASSWORD,
                                    "new": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    session.expire_all()
    assert session.scalar(select(User.credentials_epoch).where(User.id == user.id)) == before + 1

"""Fixtures for the page tests: logged-in test clients, a live server and Debian's Chromium."""
from __future__ import annotations

import os
import re
import threading

import pytest
from werkzeug.serving import make_server

from tests.conftest import missing_service
from tests.factories import PASSWORD

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]
_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "no CSRF token in the page"
    return match.group(1)


class PageClient:
    """A Flask test client signed in through the login form, posting forms with their token."""

    def __init__(self, app, user):
        self.client = app.test_client()
        self.user = user
        page = self.client.get("/login")
        resp = self.client.post("/login", data={"username": user.username, "password": PASSWORD,
                                                "csrf_token": csrf_from(page.text)})
        assert resp.status_code == 302, resp.text
        self.token = None

    def get(self, path, **kw):
        resp = self.client.get(path, **kw)
        if resp.status_code == 200 and resp.mimetype == "text/html" and "csrf_token" in resp.text:
            self.token = csrf_from(resp.text)
        return resp

    def post(self, path, data=None, *, token=True, **kw):
        data = dict(data or {})
        if token:
            if self.token is None:
                self.get("/")
            data.setdefault("csrf_token", self.token)
        return self.client.post(path, data=data, **kw)


@pytest.fixture
def pages(app, world):
    """``pages("dept_officer")`` → a PageClient signed in as that world user."""
    clients: dict[str, PageClient] = {}

    def signed_in(who: str) -> PageClient:
        if who not in clients:
            clients[who] = PageClient(app, world.users[who])
        return clients[who]
    return signed_in


@pytest.fixture
def live_server(app):
    """The app on a threaded werkzeug server on a free port, against the test database."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(5)
    server.server_close()


@pytest.fixture(scope="module")
def browser():
    """One Chromium per test module; each test opens its own contexts."""
    if not os.path.exists(CHROMIUM):
        missing_service(f"Debian's Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class Watch:
    """Everything a page asked for outside the app, and every console or script error."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.foreign: list[str] = []
        self.console_errors: list[str] = []
        self.page_errors: list[str] = []

    def attach(self, page) -> None:
        page.on("request", self._request)
        page.on("console", lambda msg: msg.type == "error" and self.console_errors.append(
            f"{msg.text} @ {page.url}"))
        page.on("pageerror", lambda exc: self.page_errors.append(f"{exc} @ {page.url}"))

    def _request(self, request) -> None:
        url = request.url
        if not (url.startswith(self.base_url + "/") or url.startswith("data:")):
            self.foreign.append(url)


@pytest.fixture
def open_as(browser, live_server, world):
    """``open_as("dept_head")`` → (page, watch) of a fresh browser context signed in as that user."""
    contexts = []

    def opener(who: str, *, viewport=None):
        context = browser.new_context(base_url=live_server, locale="zh-CN",
                                      timezone_id="Asia/Shanghai",
                                      viewport=viewport or {"width": 1280, "height": 900})
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        watch = Watch(live_server)
        watch.attach(page)
        page.goto("/login")
        page.fill("#username", world.users[who].username)
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(lambda url: "/login" not in url)
        return page, watch

    yield opener
    for context in contexts:
        context.close()

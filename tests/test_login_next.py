"""After login, ``next`` only ever leads to a path of this app (no open redirect)."""
from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.factories import PASSWORD
from tests.test_auth import csrf_from

EVIL = ["//evil.com", "https://evil.com", "http:evil.com", "\\\\evil.com", "/\\evil.com/", "\\/evil.com",
        "/\t/evil.com", "/\r\n/evil.com", "/\n/evil.com", "\t//evil.com",
        "/\u200b/evil.com", "/%09/evil.com", "/%2F/evil.com", "/%5C%5Cevil.com", "///evil.com",
        "javascript:alert(1)", "evil.com", " //evil.com", "/\\/evil.com"]


def login_to(client, world, target):
    token = csrf_from(client.get("/login").get_data(as_text=True))
    return client.post("/login", query_string={"next": target},
                       data={"username": world.users["office_staff"].username,
                             "password": PASSWORD, "csrf_token": token})


def where(resp) -> str:
    assert resp.status_code == 302
    return resp.headers["Location"]


@pytest.mark.parametrize("target", EVIL)
def test_next_never_leaves_the_app(client, world, target):
    location = where(login_to(client, world, target))
    parts = urlsplit(location)
    assert parts.netloc in ("", "localhost"), location
    assert not location.startswith("//") and "\\" not in location
    assert not any(ch in location for ch in "\t\r\n\x00\u200b")
    assert "evil.com" not in parts.netloc
    # what a browser would do with it: the path stays on this host
    assert not parts.path.lstrip("/").startswith(("/", "\\"))


def test_next_inside_the_app_is_kept(client, world):
    assert where(login_to(client, world, "/cases?status=assigned")) == "/cases?status=assigned"


def test_no_next_goes_home(client, world):
    assert urlsplit(where(login_to(client, world, ""))).path == "/"


def test_nul_in_next_is_refused_before_login(client, world):
    assert login_to(client, world, "/\x00/evil.com").status_code == 400  # the input guard

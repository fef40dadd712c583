"""The OpenAPI document is valid and describes every /api/v1 route."""
from __future__ import annotations

import base64
import json
import re

from openapi_spec_validator import validate


def _flask_routes(app) -> set[tuple[str, str]]:
    routes = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule[len("/api/v1"):])
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            routes.add((path, method.lower()))
    return routes


def test_document_is_valid_openapi(client):
    doc = client.get("/api/v1/openapi.json").json
    validate(doc)


def test_every_route_is_documented_and_nothing_else(app, client):
    doc = client.get("/api/v1/openapi.json").json
    documented = {(path, method) for path, item in doc["paths"].items()
                  for method in item if method in ("get", "post", "put", "patch", "delete")}
    assert _flask_routes(app) - {("/openapi.json", "get")} == documented


def _request_strings(schema, doc, path=""):
    """Every string schema inside a request schema, with where it sits."""
    if isinstance(schema, dict) and "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    if not isinstance(schema, dict):
        return
    types = schema.get("type")
    if types == "string" or isinstance(types, list) and "string" in types:
        yield path, schema
    for key in ("anyOf", "oneOf", "allOf"):
        for sub in schema.get(key, []):
            yield from _request_strings(sub, doc, path)
    for name, sub in schema.get("properties", {}).items():
        yield from _request_strings(sub, doc, f"{path}.{name}")
    if isinstance(schema.get("items"), dict):
        yield from _request_strings(schema["items"], doc, f"{path}[]")


def test_every_free_text_of_a_request_has_a_limit(client):
    doc = client.get("/api/v1/openapi.json").json
    unlimited = []
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            schemas = [(f"{p['in']}:{p['name']}", p["schema"])
                       for p in [*item.get("parameters", []), *op.get("parameters", [])]]
            for media in op.get("requestBody", {}).get("content", {}).values():
                schemas.append(("body", media["schema"]))
            for where, schema in schemas:
                for field, s in _request_strings(schema, doc, where):
                    free = not ({"enum", "format", "const"} & set(s)) and \
                        s.get("pattern") in (None, "^[^\\x00]*$", "^[^\\x00]*[^\\s\\x00][^\\x00]*$")
                    if free and "maxLength" not in s:
                        unlimited.append(f"{method.upper()} {path} {field}")
    assert unlimited == []


def test_every_operation_documents_405(client):
    doc = client.get("/api/v1/openapi.json").json
    for item in doc["paths"].values():
        for method, op in item.items():
            if method in ("get", "post", "put", "patch", "delete"):
                assert "Allow" in op["responses"]["405"]["headers"]


def test_405_names_the_allowed_methods(client, world):
    resp = client.delete("/api/v1/me", headers=world.headers("office_staff"))
    assert resp.status_code == 405
    assert set(resp.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "HEAD", "OPTIONS"}
    assert resp.json["error"] == "method_not_allowed"
    page = client.delete("/login")  # an HTML page keeps the header too
    assert page.status_code == 405 and "GET" in page.headers["Allow"]


def test_documented_text_limits_are_enforced(api, world):
    cid = api.registered()
    resp = api.post(f"/cases/{cid}/progress", "dept_officer", {"text": "进" * 5001})
    assert resp.status_code == 400 and resp.json["field"] == "text"
    resp = api.post(f"/cases/{cid}/supervision", "office_staff",
                    {"action": "urge", "comment": "催" * 2001})
    assert resp.status_code == 400 and resp.json["field"] == "comment"
    resp = api.post("/tokens", "office_staff", {"username": "u" * 65, "password": "x"})
    assert resp.status_code == 400 and resp.json["field"] == "username"
    resp = api.get("/cases?q=" + "q" * 101, "office_staff")
    assert resp.status_code == 400 and resp.json["field"] == "q"


def test_export_scope_of_another_type_is_refused(api):
    resp = api.post("/exports", "office_staff", {"from": "2020-01-01", "to": "2020-12-31",
                                                 "scope": {}})
    assert resp.status_code == 400 and resp.json["field"] == "scope"


def test_list_cursor_is_the_documented_form_and_old_cursors_still_read(api, world):
    for _ in range(3):
        world.problem()
    first = api.get("/cases?limit=1", "office_staff").json
    assert first["next_cursor"].isdigit()
    second = api.get(f"/cases?limit=1&cursor={first['next_cursor']}", "office_staff").json
    old = base64.urlsafe_b64encode(json.dumps({"id": first["items"][0]["id"]}).encode())
    again = api.get(f"/cases?limit=1&cursor={old.decode().rstrip('=')}", "office_staff").json
    assert again["items"] == second["items"]

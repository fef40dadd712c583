"""Every HTML form route answers malformed input with a 4xx or a redirect, never a 500."""
from __future__ import annotations

import re

import pytest

from tests.factories_pages import PageClient

JUNK = [
    {},
    {"x": "1"},
    {"comment": "x" * 20000, "reason": "x" * 20000, "text": "x" * 20000},
    {"version": "abc", "department_id": "99999999999999999999", "new_deadline": "2020-02-30",
     "visited_on": "昨天", "percent": "-5", "decision": "maybe", "result": "??",
     "action": "fly", "kind": "weird", "role": "king", "occurred_on": "0000-00-00",
     "target_count": "1e9", "target_period_years": "-1", "evidence_ids": "abc",
     "page": "-1", "after": "%%%", "sort": "drop table", "year": "99999"},
]


def _post_routes(app):
    for rule in app.url_map.iter_rules():
        if "POST" in rule.methods and not rule.rule.startswith("/api/") and rule.rule not in (
                "/login", "/logout"):
            yield rule


def _fill(rule, ids) -> str:
    def value(match):
        name = match.group(1).split(":")[-1]
        return str(ids.get(name, 1))
    return re.sub(r"<([^>]+)>", value, rule.rule)


@pytest.mark.parametrize("who", ["office_staff", "office_director", "dept_head", "admin"])
def test_form_routes_refuse_junk_without_server_errors(app, world, who):
    cases = {s: world.case_at(s) for s in ("assigned", "in_progress", "reported", "closed")}
    ids = {"case_id": cases["in_progress"].id, "user_id": world.users["dept_officer"].id,
           "dept_id": world.dept.id, "group_id": 1, "extension_id": 1, "dispute_id": 1,
           "lookback_id": 1, "notification_id": 1, "evidence_id": 1, "plan_id": 1,
           "item_id": 1, "job_id": 1}
    client = PageClient(app, world.users[who])
    failures = []
    for rule in _post_routes(app):
        path = _fill(rule, ids)
        for body in JUNK:
            resp = client.post(path, data=body)
            if resp.status_code >= 500:
                failures.append((path, body.keys(), resp.status_code))
    assert failures == []

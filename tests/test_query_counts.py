"""Lists read their cases' departments in a fixed number of queries, not one per case."""
from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import event


@contextmanager
def counting(app):
    engine = app.extensions["safeloop.engine"]
    seen: list[str] = []

    def before(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", before)


def _queries_for(app, client, world, n, path, headers):
    for _ in range(n):
        case = world.case_at("assigned")
        case.co_departments = [world.other_dept]
    world.session.commit()
    with counting(app) as seen:
        resp = client.get(path, headers=headers)
    assert resp.status_code == 200
    return len(seen)


def test_api_case_list_does_not_grow_with_the_page(app, client, world):
    headers = world.headers("auditor")
    client.get("/api/v1/me", headers=headers)  # the token's first use is noted once, not per page
    small = _queries_for(app, client, world, 2, "/api/v1/cases?limit=200", headers)
    large = _queries_for(app, client, world, 20, "/api/v1/cases?limit=200", headers)
    assert large == small


def test_case_list_page_does_not_grow_with_the_page(app, client, world, pages):
    office = pages("office_staff")
    office.get("/")
    small = _queries_for(app, office.client, world, 2, "/cases", {})
    large = _queries_for(app, office.client, world, 20, "/cases", {})
    assert large == small

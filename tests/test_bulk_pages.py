"""Bulk actions on the case list and the work queues: checkboxes, one action, a result per row."""
from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from workflow.core.audit import AuditEvent


def test_queue_page_bulk_accept_shows_each_row(world, pages, session):
    cases = [world.case_at("assigned") for _ in range(4)]
    stale = cases[0]
    items = [f"{c.id}:{c.version - (c is stale)}" for c in cases]
    client = pages("dept_officer")
    page = client.get("/cases?queue=to_accept")
    assert page.status_code == 200
    assert 'id="bulk-form"' in page.text and 'value="accept"' in page.text
    for c in cases:
        assert f'value="{c.id}:{c.version}"' in page.text
    session.rollback()
    resp = client.post("/cases/bulk?queue=to_accept", {"action": "accept", "item": items,
                                                       "comment": "批量签收"})
    assert resp.status_code == 200
    html = resp.text
    assert "已办理 <span id=\"bulk-done\">3</span> 件" in html
    assert "未办理 <span id=\"bulk-refused\">1</span> 件" in html
    assert "未办理：" in html and "已被他人更新" in html  # the stale row, with its reason
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "accept")) == 3


def test_bulk_bar_offers_what_the_role_may_do_and_exports_the_selection(world, pages, session):
    cases = [world.case_at("assigned") for _ in range(3)]
    office = pages("office_staff")
    html = office.get("/cases").text
    assert 'value="urge"' in html and 'value="approve_extension"' in html
    assert 'value="accept"' not in html
    session.rollback()
    resp = office.post("/cases/bulk", {"action": "export",
                                       "item": [f"{c.id}:{c.version}" for c in cases[:2]]})
    assert resp.status_code == 200 and resp.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(resp.data)).active
    text = "\n".join(str(c.value) for row in sheet.iter_rows() for c in row if c.value)
    assert cases[0].number in text and cases[1].number in text and cases[2].number not in text
    # a department user's export never carries another unit's case
    other = world.case_at("assigned", department=world.other_dept)
    session.rollback()
    resp = pages("dept_officer").post("/cases/bulk", {"action": "export",
                                                      "item": [f"{other.id}:{other.version}"]})
    assert other.number not in "\n".join(
        str(c.value) for row in load_workbook(io.BytesIO(resp.data)).active.iter_rows()
        for c in row if c.value)


@pytest.mark.parametrize("form", [{"action": "accept"}, {"action": "nope", "item": ["1:1"]},
                                  {"action": "accept", "item": ["x"]}])
def test_bulk_form_errors_are_said(world, pages, form):
    resp = pages("dept_officer").post("/cases/bulk", form)
    assert resp.status_code == 400
    assert "事项" in resp.text or "操作" in resp.text

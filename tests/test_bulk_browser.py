"""Bulk 签收 of 20 cases from a work queue, in Chromium."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from workflow.core.audit import AuditEvent
from workflow.core.cases import Case

pytestmark = pytest.mark.browser


def test_bulk_accept_twenty_from_the_queue(open_as, world, session):
    cases = [world.case_at("assigned") for _ in range(20)]
    ids = {c.id for c in cases}
    session.rollback()
    page, watch = open_as("dept_officer")
    page.goto("/cases?queue=to_accept")
    assert page.locator('input[name="item"]').count() == 20
    assert page.locator("#bulk-count").inner_text() == "0"
    page.check("#bulk-all")
    assert page.locator("#bulk-count").inner_text() == "20"
    page.select_option("#bulk-action", "accept")
    page.fill("#bulk-comment", "已收到，马上整改")
    with page.expect_navigation():
        page.click("#bulk-submit")
    assert page.locator("#bulk-done").inner_text() == "20"
    assert page.locator("#bulk-refused").inner_text() == "0"
    rows = page.locator("#bulk-results tbody tr")
    assert rows.count() == 20
    assert set(rows.evaluate_all("rs => rs.map(r => r.cells[1].innerText)")) == {"已办理"}
    assert set(rows.evaluate_all("rs => rs.map(r => r.cells[2].innerText)")) == {"整改中"}
    # the queue no longer lists them
    assert page.locator('input[name="item"]').count() == 0
    assert watch.foreign == [] and watch.console_errors == [] and watch.page_errors == []
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "accept", AuditEvent.case_id.in_(ids))) == 20
    assert {s for (s,) in session.execute(select(Case.status).where(Case.id.in_(ids)))} == {
        "in_progress"}

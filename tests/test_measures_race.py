"""Twenty people issue a 督办函 at once: twenty 文号 in sequence, none twice, none skipped."""
from __future__ import annotations

import re
import threading

from sqlalchemy import select

from workflow.core.audit import AuditEvent
from workflow.measures.models import Measure
from workflow.platform.base import local_today

THREADS = 20


def test_twenty_letters_at_once_numbered_without_gaps(app, world, session):
    case = world.case_at("in_progress")
    headers = [world.headers(who) for who in ("office_staff", "office_staff2", "office_director")]
    session.commit()
    barrier = threading.Barrier(THREADS)
    results: list[tuple[int, dict]] = []
    lock = threading.Lock()

    def issue(i: int):
        client = app.test_client()  # own request context, own pooled connection
        barrier.wait()
        resp = client.post("/api/v1/measures", headers=headers[i % len(headers)], json={
            "kind": "letter", "case_ids": [case.id], "department_ids": [world.other_dept.id],
            "content": f"第{i}份督办函"})
        with lock:
            results.append((resp.status_code, resp.get_json()))

    threads = [threading.Thread(target=issue, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert [code for code, _ in results] == [201] * THREADS, results
    year = local_today().year
    numbers = [body["doc_number"] for _, body in results]
    seqs = sorted(int(re.fullmatch(rf"武安委办督〔{year}〕(\d+)号", n).group(1)) for n in numbers)
    assert seqs == list(range(1, THREADS + 1))
    stored = session.scalars(select(Measure.doc_number)).all()
    assert sorted(stored) == sorted(numbers)
    # every letter wrote its event into the one case's chain, in one unbroken sequence
    events = session.scalars(select(AuditEvent).where(
        AuditEvent.case_id == case.id, AuditEvent.action == "measure_letter")).all()
    assert sorted(e.payload["doc_number"] for e in events) == sorted(numbers)


def test_two_replies_at_once_one_wins(app, world, session):
    """The unit's 联络员 and 负责人 answer the same 督办函 at once: one reply, one 409."""
    case = world.case_at("in_progress")
    headers = world.headers("office_staff")
    letter = app.test_client().post("/api/v1/measures", headers=headers, json={
        "kind": "letter", "case_ids": [case.id], "content": "督办"}).get_json()
    who = [world.headers("dept_officer"), world.headers("dept_head")]
    session.commit()
    barrier = threading.Barrier(2)
    codes: list[int] = []

    def reply(h):
        client = app.test_client()
        barrier.wait()
        codes.append(client.post(f"/api/v1/measures/{letter['id']}/steps", headers=h,
                                 json={"step": "reply", "content": "已整改"}).status_code)

    threads = [threading.Thread(target=reply, args=(h,)) for h in who]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(codes) == [201, 409]
    replies = session.scalars(select(AuditEvent).where(
        AuditEvent.case_id == case.id, AuditEvent.action == "measure_reply")).all()
    assert len(replies) == 1

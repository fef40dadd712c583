"""A step's event settles exactly the requests that step answered (站内消息 closed for everyone).

On PostgreSQL the event's INSERT settles them in a data-modifying WITH, on SQLite a trigger on
``audit_events`` does; both are checked here against ``SETTLED_BY`` written out as a rule:
for the event's case, every unread notice of a kind the step answers is marked read at the
event's time; notices of other kinds, of other cases, and notices already read keep theirs.
"""
from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from workflow.core import service
from workflow.core.audit import event_row
from workflow.core.cases import Case
from workflow.core.notifications import KINDS, SETTLED_BY, Notification

READ_BEFORE = datetime(2026, 1, 2, 3, 4, 5)
EVENT_AT = datetime(2026, 6, 7, 8, 9, 10, 123456)


@pytest.mark.parametrize("action", sorted(SETTLED_BY) + ["urge", "evidence"])
def test_an_event_settles_the_requests_its_step_answered(world, session, action):
    case, other = world.case_at("assigned"), world.case_at("assigned")
    users = [world.users["dept_officer"], world.users["dept_head"]]
    session.query(Notification).delete()  # only the notices made below
    notes = []
    for target in (case, other):
        for kind in KINDS:
            for user in users:
                notes.append(Notification(user_id=user.id, case_id=target.id, kind=kind,
                                          title=f"{kind} {target.id}"))
            notes.append(Notification(user_id=users[0].id, case_id=target.id, kind=kind,
                                      title="已读", read_at=READ_BEFORE))
    session.add_all(notes)
    session.commit()

    locked = session.get(Case, case.id)
    row = event_row(locked, world.users["office_staff"], action, from_status="assigned",
                    to_status="assigned", at=EVENT_AT)
    settled = service._insert_event_settling(session, row, action, EVENT_AT)
    session.commit()
    assert settled == bool(SETTLED_BY.get(action))

    answered = set(SETTLED_BY.get(action, ()))
    rows = session.execute(select(Notification.case_id, Notification.kind, Notification.title,
                                  Notification.read_at)).all()
    assert len(rows) == len(notes)
    for case_id, kind, title, read_at in rows:
        if title == "已读":
            expected = READ_BEFORE
        elif case_id == case.id and kind in answered:
            expected = EVENT_AT
        else:
            expected = None
        assert read_at == expected, (action, case_id == case.id, kind, title)

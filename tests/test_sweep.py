"""The daily sweep with simulated dates (``flask sweep --today``)."""
from __future__ import annotations

import uuid
from datetime import date, timedelta

from sqlalchemy import func, select

from workflow.core.audit import AuditEvent
from workflow.core.cases import Case
from workflow.core.notifications import Notification
from workflow.core.workdays import WorkCalendar
from workflow.platform.base import local_today
from workflow.problems.supervision import CaseAlert

DEADLINE = local_today() + timedelta(days=60)


def before(deadline: date, working_days: int) -> date:
    """The last day from which ``deadline`` is exactly that many working days away."""
    cal, d = WorkCalendar(), deadline
    while cal.working_days_between(d, deadline) != working_days:
        d -= timedelta(days=1)
    return d


def note_count(session) -> int:
    session.expire_all()
    count = session.scalar(select(func.count()).select_from(Notification))
    session.rollback()  # release SQLite's write lock (BEGIN IMMEDIATE) for the CLI
    return count


def test_reminders_three_and_one_working_days_before(api, world, session):
    cid = api.registered(deadline=DEADLINE.isoformat())
    other = api.registered(deadline=(DEADLINE + timedelta(days=20)).isoformat())
    start = note_count(session)

    day3 = before(DEADLINE, 3)
    assert "期限提醒（3个工作日） 1 件" in api.sweep(day3).output
    reminders = [n for n in api.notes("dept_head")["items"] if n["kind"] == "reminder"]
    assert len(reminders) == 1 and "还剩 3 个工作日" in reminders[0]["title"]
    assert reminders[0]["case_id"] == cid
    assert note_count(session) == start + 2  # officer and head of the responsible department
    assert not [n for n in api.notes("other_head")["items"] if n["kind"] == "reminder"]

    api.sweep(day3)  # same day again: nothing twice
    assert note_count(session) == start + 2
    api.sweep(day3 + timedelta(days=1))  # still inside the 3-day window
    assert note_count(session) == start + 2

    day1 = before(DEADLINE, 1)
    out = api.sweep(day1).output
    assert "期限提醒（1个工作日） 1 件" in out and "期限提醒（3个工作日） 0 件" in out
    titles = [n["title"] for n in api.notes("dept_officer")["items"] if n["kind"] == "reminder"]
    assert any("还剩 1 个工作日" in t for t in titles)
    assert note_count(session) == start + 4
    api.sweep(day1)
    assert note_count(session) == start + 4
    kinds = [a["kind"] for a in api.get(f"/cases/{cid}/alerts", "office_staff").json["items"]]
    assert kinds == ["remind3", "remind1"]
    assert api.get(f"/cases/{other}/alerts", "office_staff").json["items"] == []


def test_escalation_ladder_each_level_once(api, world, session):
    cid = api.registered(deadline=DEADLINE.isoformat())
    api.sweep(DEADLINE)
    case = api.case(cid)
    assert case["flags"]["overdue"] is False and case["flags"]["supervision_level"] == 0

    steps = [(1, "urge", 1), (7, "supervise", 2), (30, "interview", 3)]
    for days, kind, level in steps:
        day = DEADLINE + timedelta(days=days)
        api.sweep(day)
        api.sweep(day)  # idempotent on re-run
        case = api.case(cid)
        assert case["flags"]["overdue"] is True
        assert case["flags"]["supervision_level"] == level
        escalations = [e for e in api.events(cid) if e["actor"] == "系统"]
        assert [e["action"] for e in escalations] == [k for _, k, _ in steps[:level]]
        assert escalations[-1]["role"] == "system"
        assert escalations[-1]["payload"]["days_overdue"] == days
        # between two thresholds nothing new happens
        api.sweep(day + timedelta(days=1))
        assert len([e for e in api.events(cid) if e["actor"] == "系统"]) == level

    head_notes = [n["kind"] for n in api.notes("dept_head")["items"]]
    assert head_notes.count("urge") == head_notes.count("supervise") == 1
    assert head_notes.count("interview") == 1
    assert [n["kind"] for n in api.notes("office_director")["items"]].count("interview") == 1
    candidates = api.get("/interview-candidates", "office_director").json["items"]
    assert candidates == [{"department_id": world.dept.id, "department": "区应急管理局", "count": 1,
                           "cases": [{"id": cid, "number": case["number"],
                                      "title": case["title"], "deadline": DEADLINE.isoformat()}]}]
    assert api.get("/interview-candidates", "dept_head").status_code == 403
    assert api.runner.invoke(args=["audit", "verify"]).exit_code == 0


def test_late_first_sweep_jumps_to_the_reached_level(api, session):
    cid = api.registered(deadline=DEADLINE.isoformat())
    api.sweep(DEADLINE + timedelta(days=10))
    assert [e["action"] for e in api.events(cid) if e["actor"] == "系统"] == ["supervise"]
    api.sweep(DEADLINE + timedelta(days=11))
    assert [e["action"] for e in api.events(cid) if e["actor"] == "系统"] == ["supervise"]


def test_nothing_for_closed_cancelled_or_draft(api, world, session):
    deadline = DEADLINE
    closed = world.case_at("closed", deadline=deadline).id
    cancelled = world.case_at("assigned", deadline=deadline)
    world.step(cancelled, "cancel", "office_director", comment="重复登记",
               cancel_reason="duplicate")
    draft = world.case_at("draft", deadline=deadline).id
    start = note_count(session)
    seqs = {c: api.case(c)["audit_seq"] for c in (closed, cancelled.id, draft)}
    for day in (before(DEADLINE, 3), before(DEADLINE, 1), DEADLINE + timedelta(days=1),
                DEADLINE + timedelta(days=7), DEADLINE + timedelta(days=30)):
        api.sweep(day)
    assert note_count(session) == start
    assert session.scalar(select(func.count()).select_from(CaseAlert)) == 0
    session.rollback()
    for c, seq in seqs.items():
        case = api.case(c)
        assert case["audit_seq"] == seq and case["flags"]["overdue"] is False


def test_reported_case_is_overdue_but_not_chased(api, world):
    case = world.case_at("reported", deadline=DEADLINE)
    api.sweep(DEADLINE + timedelta(days=8))
    got = api.case(case.id)
    assert got["flags"]["overdue"] is True and got["flags"]["supervision_level"] == 0
    assert api.get(f"/cases/{case.id}/alerts", "office_staff").json["items"] == []


def test_extension_restarts_the_clock(api, world, session):
    cid = api.registered(deadline=DEADLINE.isoformat())
    api.sweep(before(DEADLINE, 1))
    ext = api.post(f"/cases/{cid}/extensions", "dept_head", {
        "reason": "设备到货延迟", "interim_measures": "专人值守",
        "new_deadline": (DEADLINE + timedelta(days=30)).isoformat()}).json
    api.post(f"/extensions/{ext['id']}/decision", "office_staff", {"decision": "approve"})
    api.sweep(DEADLINE + timedelta(days=1))  # the old deadline passed: nothing is due
    got = api.case(cid)
    assert got["flags"]["overdue"] is False and got["flags"]["supervision_level"] == 0
    api.sweep(before(DEADLINE + timedelta(days=30), 1))  # the new deadline reminds again
    kinds = [a["kind"] for a in api.get(f"/cases/{cid}/alerts", "office_staff").json["items"]]
    assert kinds == ["remind1", "remind1"]


def test_stale_form_after_escalation_is_409(api, world):
    cid = api.registered(deadline=DEADLINE.isoformat())
    version = api.case(cid)["version"]
    api.sweep(DEADLINE + timedelta(days=1))
    assert api.upload(cid).status_code == 201
    resp = api.post(f"/cases/{cid}/transitions", "dept_head",
                    {"trigger": "report", "version": version, "statement": "已整改"})
    assert resp.status_code == 409


def test_manual_urge_supervise_interview(api, world):
    cid = api.registered()
    resp = api.post(f"/cases/{cid}/supervision", "office_staff", {"action": "urge"})
    assert resp.status_code == 422 and resp.json["rules"] == ["comment_required"]
    assert api.post(f"/cases/{cid}/supervision", "office_staff",
                    {"action": "urge", "comment": "请加快进度"}).status_code == 201
    assert api.post(f"/cases/{cid}/supervision", "office_staff",
                    {"action": "supervise", "comment": "列入督办"}).status_code == 201
    resp = api.post(f"/cases/{cid}/supervision", "office_staff",
                    {"action": "interview", "comment": "约谈"})
    assert resp.status_code == 403 and resp.json["rules"] == ["director_required"]
    resp = api.post(f"/cases/{cid}/supervision", "dept_head", {"action": "urge", "comment": "x"})
    assert resp.status_code == 403
    assert api.post(f"/cases/{cid}/supervision", "office_director",
                    {"action": "interview", "comment": "多次催办未整改"}).status_code == 201
    assert api.case(cid)["flags"]["supervision_level"] == 3
    assert api.actions(cid)[-3:] == ["urge", "supervise", "interview"]
    assert [n["kind"] for n in api.notes("dept_officer")["items"]][:3] == [
        "interview", "supervise", "urge"]


def test_scheduled_job_runs_in_an_rq_worker(app, api, world, redis_conn):
    from rq import Queue, SimpleWorker

    from blueprints.jobs import scheduled_sweep

    conn = redis_conn
    cid = api.registered(deadline=DEADLINE.isoformat())
    queue = Queue(f"safeloop-test-{uuid.uuid4().hex}", connection=conn)
    try:
        job = queue.enqueue(scheduled_sweep, app.config["DATABASE_URL"],
                            (DEADLINE + timedelta(days=1)).isoformat())
        SimpleWorker([queue], connection=conn).work(burst=True)
        assert job.get_status() == "finished", job.latest_result().exc_string
        assert job.return_value()["escalations"]["urge"] == 1
    finally:
        queue.delete(delete_jobs=True)
    assert api.case(cid)["flags"]["supervision_level"] == 1


def test_sweep_rejects_a_bad_date(api):
    result = api.runner.invoke(args=["sweep", "--today", "2024-13-01"])
    assert result.exit_code == 2 and "不是有效日期" in result.output


def test_escalation_events_are_chained(api, session):
    cid = api.registered(deadline=DEADLINE.isoformat())
    api.sweep(DEADLINE + timedelta(days=1))
    session.expire_all()
    case = session.get(Case, cid)
    last = session.scalar(select(AuditEvent).where(AuditEvent.case_id == cid)
                          .order_by(AuditEvent.seq.desc()).limit(1))
    assert last.action == "urge" and case.audit_head == last.hash
    assert last.compute_hash() == last.hash

"""The demo's task year so far: what a 区安委办 would see part-way through running the list.

The real 2020 list is this year's plan (交办 in the first days of January). Every unit
has filed its monthly 工作进展 by the 25th (a few on the day after), items with an early
完成时限 were 报送, 审核 and 办结 in time, two in five of the year-long ones are done
and a few sit with the office to 审核 or 办结; a handful of units missed the latest period
or two, so they are 滞后. Nothing is overdue in bulk and nothing climbs to 约谈.

Deterministic (by case order), written once when the plan is first imported.
"""
from __future__ import annotations

import io
from datetime import date, timedelta

from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.core import service
from workflow.core.cases import Case
from workflow.org.auth import create_user
from workflow.org.models import Department, User
from workflow.org.roles import DEPT_HEAD, LEADER, OFFICE_DIRECTOR, OFFICE_STAFF
from workflow.platform.base import local_today
from workflow.platform.sqltime import utc_start
from workflow.tasklist.models import Plan, PlanItem, PlanItemCase
from workflow.tasklist.occurrences import record_occurrence
from workflow.tasklist.progress import shortfalls
from workflow.tasklist.reporting import file_progress, periods_due_between, rule_of, sweep_reporting

PROGRESS = ("已召开专题会议部署，明确责任分工", "按计划推进，阶段性工作已完成",
            "已开展督导检查，问题清单正在落实", "本月工作按序时进度推进，无滞后事项")


def at(day: date, hour: int = 10):
    return utc_start(day) + timedelta(hours=hour)


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (32, 24), (60, 120, 180)).save(buf, format="PNG")
    return buf.getvalue()


def unit_users(session: Session, plan: Plan, password: str) -> dict[int, User]:
    """One 负责人 account per unit owing tasks (existing department users kept)."""
    depts = session.scalars(select(Department).join(PlanItemCase, PlanItemCase.department_id
                                                    == Department.id)
                            .join(PlanItem).where(PlanItem.plan_id == plan.id).distinct()
                            .order_by(Department.id)).all()
    out: dict[int, User] = {}
    for dept in depts:
        if dept.kind == "office":
            continue
        head = session.scalar(select(User).where(User.department_id == dept.id,
                                                 User.role == DEPT_HEAD, User.active.is_(True))
                              .order_by(User.id).limit(1))
        if head is None:
            head = create_user(session, f"unit{dept.id:02d}", DEPT_HEAD, password,
                               display_name=f"{dept.name}负责人", department=dept)
        out[dept.id] = head
    session.flush()
    return out


def run_year_so_far(session: Session, plan: Plan, today: date, *, password: str,
                    settings: service.Settings) -> dict[str, int]:
    """Drive the plan's tasks to a plausible state as of ``today``; returns counts."""
    heads = unit_users(session, plan, password)
    office = {role: session.scalar(select(User).where(User.role == role, User.active.is_(True))
                                   .order_by(User.id).limit(1))
              for role in (OFFICE_STAFF, OFFICE_DIRECTOR, LEADER)}
    rule = rule_of(session, plan.id)
    cases = session.scalars(select(Case).join(PlanItemCase, PlanItemCase.case_id == Case.id)
                            .join(PlanItem).where(PlanItem.plan_id == plan.id)
                            .order_by(Case.id)).all()
    counts = {"reports": 0, "closed": 0, "reported": 0, "verified": 0, "lagging_units": 0}
    laggards = set()
    for i, case in enumerate(cases):
        if case.status != "assigned":
            continue
        holder = office[OFFICE_STAFF] if case.is_office_led else heads.get(case.department_id)
        if holder is None:
            continue
        start = local_today(case.registered_at) + timedelta(days=1)
        accepted = min(start + timedelta(days=5), today)
        service.transition(session, case.id, "accept", holder, version=case.version,
                           settings=settings, now=at(accepted))
        # done: an early 完成时限 already passed, or a quarter of the year-long ones
        early = case.deadline is not None and case.deadline < today
        done_on = (case.deadline - timedelta(days=6)) if early else (
            today - timedelta(days=20 + i % 10) if i % 5 in (0, 2) else None)
        if done_on is not None and done_on <= accepted:
            done_on = None if not early else accepted
        lag = done_on is None and i % 13 == 5 and len(laggards) < 5
        if lag:
            laggards.add(case.department_id)
        periods = periods_due_between(rule, local_today(case.registered_at), done_on or today)
        skip = {p.key for p in periods[-(1 + i % 2):]} if lag else set()
        for n, p in enumerate(periods):
            if p.key in skip:
                continue
            late = (i + n) % 17 == 3
            day = p.due + timedelta(days=1) if late else p.due - timedelta(days=3 + i % 4)
            if done_on is not None and day >= done_on:
                day = p.due
            if day <= accepted or day >= today:
                day = max(accepted, min(p.due, today - timedelta(days=1)))
            file_progress(session, case.id, holder, text=PROGRESS[(i + n) % len(PROGRESS)],
                          percent=min(95, 10 + 8 * (n + 1)), now=at(day, 15))
            counts["reports"] += 1
        if done_on is None:
            continue
        # a unit that reports completion has held the meetings or checks its target counts
        for short in shortfalls(session, case, done_on):
            missing = short["count"] - short["done"]
            for k in range(missing):
                held = accepted + (done_on - accepted) * (k + 1) // (missing + 1)
                proof = service.upload_evidence(session, case.id, holder, data=_png(),
                                                filename="会议纪要.png", category="report",
                                                settings=settings, now=at(done_on, 8))
                record_occurrence(session, case.id, holder, occurred_on=held,
                                  note=f"按要求开展第{short['done'] + k + 1}次",
                                  evidence_ids=[proof.id], now=at(done_on, 8))
        service.upload_evidence(session, case.id, holder, data=_png(), filename="工作总结.png",
                                category="report", settings=settings, now=at(done_on, 9))
        service.transition(session, case.id, "report", holder, version=case.version,
                           data={"statement": "已按清单要求完成，会议纪要、工作总结附后"},
                           settings=settings, now=at(done_on, 11))
        stage = "closed" if early else ("closed", "reported", "closed", "verified")[(i // 5) % 4]
        if stage == "reported":
            counts["reported"] += 1
            continue
        verifier = office[OFFICE_DIRECTOR] if case.is_office_led else office[OFFICE_STAFF]
        service.transition(session, case.id, "verify", verifier, version=case.version,
                           settings=settings, now=at(min(done_on + timedelta(days=3), today)))
        if stage == "verified":
            counts["verified"] += 1
            continue
        closer = office[LEADER] if case.is_office_led else office[OFFICE_DIRECTOR]
        service.transition(session, case.id, "close", closer, version=case.version,
                           settings=settings, now=at(min(done_on + timedelta(days=5), today)))
        counts["closed"] += 1
    counts["lagging_units"] = len(laggards)
    session.flush()
    sweep_reporting(session, today=today)
    return counts

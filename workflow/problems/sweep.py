"""The daily sweep: overdue flags, deadline reminders and the escalation ladder.

Bulk by design: each step is one set-based statement over the open cases, and
Python only touches the cases that are actually due today. ``CaseAlert`` rows
(unique per case, kind and deadline) make a second run the same day a no-op;
``INSERT … ON CONFLICT DO NOTHING RETURNING`` hands back exactly the cases that
were not alerted yet, even when two sweeps race.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import Boolean, Date, DateTime, and_, bindparam, exists, literal, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from workflow.core.audit import GENESIS, AuditEvent, canonical_json
from workflow.core.cases import Case
from workflow.core.notifications import Notification
from workflow.core.workdays import calendar_for
from workflow.org.models import Department, User
from workflow.org.roles import DEPARTMENT_ROLES, OFFICE_DIRECTOR, OFFICE_STAFF
from workflow.platform.base import local_today, utcnow
from workflow.platform.vocab import HELD_BY_DEPARTMENT, OPEN_STATUSES
from workflow.problems import listings, sweep_runs
from workflow.problems.supervision import ALERT_KINDS, CaseAlert

# The department still holds the case: reminders and escalations are aimed at it.
# Reported / verified cases wait on the office, so they are flagged overdue but not chased.
CHUNK = 5000


@dataclass
class SweepSettings:
    remind_working_days: tuple[int, ...] = (3, 1)
    urge_days: int = 1
    supervise_days: int = 7
    interview_days: int = 30

    @classmethod
    def from_config(cls, config) -> SweepSettings:
        get = config.get if hasattr(config, "get") else lambda k, d=None: getattr(config, k, d)
        return cls(remind_working_days=tuple(get("REMIND_WORKING_DAYS", (3, 1))),
                   urge_days=int(get("ESCALATE_URGE_DAYS", 1)),
                   supervise_days=int(get("ESCALATE_SUPERVISE_DAYS", 7)),
                   interview_days=int(get("ESCALATE_INTERVIEW_DAYS", 30)))

    def ladder(self) -> list[tuple[str, int, int]]:
        """(kind, level, days overdue) from the top of the ladder down."""
        return [("interview", 3, self.interview_days), ("supervise", 2, self.supervise_days),
                ("urge", 1, self.urge_days)]


@dataclass
class SweepResult:
    today: date
    overdue_marked: int = 0
    overdue_cleared: int = 0
    reminders: dict[str, int] = field(default_factory=dict)
    escalations: dict[str, int] = field(default_factory=dict)
    notifications: int = 0

    def to_dict(self) -> dict:
        return {"today": self.today.isoformat(), "overdue_marked": self.overdue_marked,
                "overdue_cleared": self.overdue_cleared, "reminders": self.reminders,
                "escalations": self.escalations, "notifications": self.notifications}


def _insert(session: Session):
    return (postgresql.insert if session.get_bind().dialect.name == "postgresql"
            else sqlite.insert)


def _chunks(ids: list[int]):
    for i in range(0, len(ids), CHUNK):
        yield ids[i:i + CHUNK]


def run_sweep(session: Session, *, today: date | None = None,
              settings: SweepSettings | None = None, now: datetime | None = None) -> SweepResult:
    """Run the sweep as of ``today`` (Asia/Shanghai); flushes, the caller commits."""
    settings = settings or SweepSettings()
    now = now or utcnow()
    today = today or local_today(now)
    result = SweepResult(today=today)
    cases = Case.__table__

    open_ = cases.c.status.in_(OPEN_STATUSES)
    result.overdue_marked = session.execute(
        update(cases).where(open_, cases.c.deadline < today, cases.c.overdue.is_(False))
        .values(overdue=True)).rowcount
    result.overdue_cleared = session.execute(
        update(cases).where(open_, cases.c.deadline >= today, cases.c.overdue.is_(True))
        .values(overdue=False)).rowcount

    dept_users = _department_users(session)
    # a task the 区安委办 owes itself is carried by its 经办人
    office_ids = set(session.scalars(select(Department.id).where(Department.kind == "office")))
    office_staff = list(session.scalars(select(User.id).where(
        User.role == OFFICE_STAFF, User.active.is_(True)).order_by(User.id)))
    notes: list[dict] = []

    # Reminders: "n working days left" fires once per deadline, in the window
    # (next smaller n, n], so a day without a sweep does not lose the reminder.
    calendar = calendar_for(session)
    steps = sorted(set(settings.remind_working_days), reverse=True)
    for i, n in enumerate(steps):
        lower = steps[i + 1] if i + 1 < len(steps) else -1
        start = today if lower < 0 else calendar.add_working_days(today, lower + 1)
        end = calendar.add_working_days(today, n + 1)
        kind = f"remind{n}"
        ids = _alert(session, kind, 0, today, now, [
            cases.c.status.in_(HELD_BY_DEPARTMENT), cases.c.deadline >= start,
            cases.c.deadline < end])
        result.reminders[kind] = len(ids)
        for row in _case_rows(session, ids):
            left = calendar.working_days_between(today, row.deadline)
            text = "今天到期" if left == 0 else f"还剩 {left} 个工作日"
            body = (f"完成时限 {row.deadline.isoformat()}，请于 {row.deadline.isoformat()} 前完成"
                    if row.kind == "task" else f"整改期限 {row.deadline.isoformat()}")
            who = (office_staff if row.kind == "task" and row.department_id in office_ids
                   else dept_users.get(row.department_id, ()))
            for uid in who:
                notes.append(_note(uid, row, "reminder",
                                   f"期限提醒：{row.number}《{row.title[:40]}》{text}", body, now))

    # The ladder, top first: a case 30 days overdue that was never chased gets the
    # 约谈 step only, and a lower step never follows a higher one for that deadline.
    directors = _directors(session)
    for kind, level, days in settings.ladder():
        higher = exists().where(CaseAlert.case_id == cases.c.id,
                                CaseAlert.deadline == cases.c.deadline,
                                CaseAlert.manual.is_(False), CaseAlert.level >= level)
        # tasks of the 目标任务清单 never climb the ladder: an overdue task is 滞后
        # (workflow.tasklist.reporting), and only a person lists its unit for 约谈
        ids = _alert(session, kind, level, today, now, [
            cases.c.status.in_(HELD_BY_DEPARTMENT), cases.c.kind != "task",
            cases.c.deadline <= today - timedelta(days=days), ~higher])
        rows = _escalate(session, ids, kind, level, today, now)
        result.escalations[kind] = len(rows)
        label = ALERT_KINDS[kind][0]
        for row in rows:
            late = (today - row.deadline).days
            who = list(dept_users.get(row.department_id, ()))
            if kind == "interview":
                who += [d for d in directors if d not in who]
            for uid in who:
                notes.append(_note(uid, row, kind,
                                   f"{label}：{row.number}《{row.title[:40]}》已逾期 {late} 天",
                                   f"整改期限 {row.deadline.isoformat()}，请立即整改并上报", now))

    for i in range(0, len(notes), CHUNK):
        session.execute(Notification.__table__.insert(), notes[i:i + CHUNK])
    result.notifications = len(notes)
    result.reminders.update(listings.sweep_progress(session, today, now))
    sweep_runs.note_run(session, started_at=now, today=today, result=result.to_dict())
    session.flush()
    session.expire_all()  # bulk statements bypassed the identity map
    return result


def _alert(session: Session, kind: str, level: int, today: date, now: datetime,
           where: list) -> list[int]:
    """Insert one alert per due case not alerted yet; return those cases' ids."""
    cases = Case.__table__
    sel = select(cases.c.id, literal(kind), literal(level), cases.c.deadline,
                 literal(today, Date()), literal(False, Boolean()), literal(now, DateTime())
                 ).where(and_(*where))
    alerts = CaseAlert.__table__
    stmt = (_insert(session)(alerts)
            .from_select(["case_id", "kind", "level", "deadline", "on_date", "manual",
                          "created_at"], sel)
            .on_conflict_do_nothing()
            .returning(alerts.c.case_id))
    return sorted(session.execute(stmt).scalars())


def _case_rows(session: Session, ids: list[int], lock: bool = False):
    cases = Case.__table__
    for part in _chunks(ids):
        stmt = select(cases.c.id, cases.c.number, cases.c.title, cases.c.department_id,
                      cases.c.deadline, cases.c.status, cases.c.audit_seq, cases.c.audit_head,
                      cases.c.supervision_level, cases.c.kind).where(cases.c.id.in_(part)).order_by(cases.c.id)
        if lock:
            stmt = stmt.with_for_update()
        yield from session.execute(stmt)


def _escalate(session: Session, ids: list[int], kind: str, level: int, today: date,
              now: datetime) -> list:
    """Append a system event to each escalated case's chain and raise its level."""
    cases = Case.__table__
    rows, events, updates = [], [], []
    for row in _case_rows(session, ids, lock=True):
        if row.status not in HELD_BY_DEPARTMENT:  # changed by someone between the two statements
            continue
        late = (today - row.deadline).days
        ev = AuditEvent(case_id=row.id, seq=(row.audit_seq or 0) + 1, at=now, actor_id=None,
                        actor_name="系统", actor_role="system", actor_department=None,
                        action=kind, from_status=row.status, to_status=row.status,
                        comment=f"逾期 {late} 天，自动{ALERT_KINDS[kind][0]}",
                        payload_json=canonical_json({"level": level, "days_overdue": late,
                                                     "deadline": row.deadline.isoformat(),
                                                     "on_date": today.isoformat()}),
                        prev_hash=row.audit_head or GENESIS)
        ev.seal()
        events.append({c: getattr(ev, c) for c in (
            "case_id", "seq", "at", "actor_id", "actor_name", "actor_role", "actor_department",
            "action", "from_status", "to_status", "comment", "payload_json", "prev_hash",
            "hash", "key_id")})
        updates.append({"b_id": row.id, "b_seq": ev.seq, "b_head": ev.hash,
                        "b_level": max(row.supervision_level or 0, level)})
        rows.append(row)
    if not rows:
        return rows
    for i in range(0, len(events), CHUNK):
        session.execute(AuditEvent.__table__.insert(), events[i:i + CHUNK])
    # version moves as for every recorded operation, so a stale form is refused (409)
    stmt = (update(cases).where(cases.c.id == bindparam("b_id"))
            .values(audit_seq=bindparam("b_seq"), audit_head=bindparam("b_head"),
                    supervision_level=bindparam("b_level"), version=cases.c.version + 1))
    session.connection().execute(stmt, updates)
    return rows


def _department_users(session: Session) -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    for uid, dept in session.execute(select(User.id, User.department_id).where(
            User.role.in_(DEPARTMENT_ROLES), User.active.is_(True),
            User.department_id.is_not(None)).order_by(User.id)):
        out.setdefault(dept, []).append(uid)
    return out


def _directors(session: Session) -> list[int]:
    return list(session.scalars(select(User.id).where(User.role == OFFICE_DIRECTOR,
                                                      User.active.is_(True))))


def _note(user_id: int, row, kind: str, title: str, body: str, now: datetime) -> dict:
    return {"user_id": user_id, "case_id": row.id, "kind": kind, "title": title[:200],
            "body": body, "created_at": now, "read_at": None}

"""In-app notifications (站内消息): who must act on a case, or hear how it went."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    DDL,
    DateTime,
    ForeignKey,
    Index,
    String,
    Text,
    bindparam,
    event,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column

from workflow.core.delivery import queue_for, queue_many
from workflow.org.models import User
from workflow.org.roles import DEPARTMENT_ROLES, DEPT_HEAD, LEADER, OFFICE_DIRECTOR, OFFICE_STAFF
from workflow.platform.base import Base, iso_utc, utcnow
from workflow.platform.db import insert_rows
from workflow.platform.errors import NotFound

KINDS = {
    "assigned": "新交办", "returned": "退回", "approved": "审批结果", "reported": "待核查",
    "reopened": "重新整改", "extension": "延期", "reminder": "期限提醒", "urge": "催办",
    "supervise": "督办", "interview": "约谈", "dispute": "职责异议", "listing": "挂牌督办",
    "lookback": "回头看",
    # 目标任务清单: periodic 工作进展 reminders and missed periods
    "report_due": "进展报送提醒", "report_late": "进展滞后",
}
KINDS["measure"] = "督办措施"  # 督办函, 约谈, 通报, 问责移交 (workflow.measures)


class Notification(Base):
    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_read", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"),
                                                index=True)
    kind: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(DateTime)

    def can_read(self, user: User) -> bool:
        return self.user_id == user.id

    def to_dict(self) -> dict:
        return {"id": self.id, "case_id": self.case_id, "kind": self.kind,
                "kind_label": KINDS.get(self.kind, self.kind), "title": self.title,
                "body": self.body, "created_at": iso_utc(self.created_at),
                "read": self.read_at is not None, "read_at": iso_utc(self.read_at)}


def department_user_ids(session: Session, department_id: int | None) -> list[int]:
    if department_id is None:
        return []
    return list(session.scalars(select(User.id).where(
        User.department_id == department_id, User.role.in_(DEPARTMENT_ROLES),
        User.active.is_(True)).order_by(User.id)))


def role_user_ids(session: Session, *roles: str) -> list[int]:
    return list(session.scalars(select(User.id).where(User.role.in_(roles),
                                                      User.active.is_(True)).order_by(User.id)))


def notify(session: Session, user_ids, kind: str, title: str, body: str = "", *,
           case_id: int | None = None, skip: int | None = None, now: datetime | None = None) -> int:
    """Queue one notification per user (``skip``: the actor, who knows already)."""
    ids = [u for u in dict.fromkeys(user_ids) if u != skip]
    if not ids:
        return 0
    now = now or utcnow()
    session.execute(insert(Notification), [
        {"user_id": u, "case_id": case_id, "kind": kind, "title": title[:200], "body": body,
         "created_at": now} for u in ids])
    queue_for(session, ids, kind, title, body, case_id=case_id)  # e-mail and robot, if wanted
    return len(ids)


def _label(case) -> str:
    return f"{case.display_number}《{case.title[:40]}》"


def _assigned_notice(case) -> tuple[str, str]:
    """The 新交办 notice of ``register``, in the words of the case's kind (one text for the
    per-case and the bulk path)."""
    deadline = case.deadline.isoformat() if case.deadline else "未定"
    if case.kind == "task":
        return f"新交办任务：{_label(case)}", f"请签收，并请于 {deadline} 前完成"
    return f"新交办：{_label(case)}", f"请签收并在 {deadline} 前完成整改"


def notify_registered(session: Session, cases, actor, now: datetime | None = None) -> int:
    """The notices of ``register`` for many cases at once (a bulk import): the same rows as
    ``notify_for_transition`` per case, one INSERT, each department's users looked up once."""
    now = now or utcnow()
    users: dict[int | None, list[int]] = {}
    rows, notices = [], []
    for case in cases:
        # a task the 区安委办 owes itself goes to its 经办人
        key = "office" if case.kind == "task" and case.is_office_led else case.department_id
        if key not in users:
            users[key] = [u for u in dict.fromkeys(
                role_user_ids(session, OFFICE_STAFF) if key == "office"
                else department_user_ids(session, case.department_id)) if u != actor.id]
        if not users[key]:
            continue
        title, body = _assigned_notice(case)
        rows += [{"user_id": u, "case_id": case.id, "kind": "assigned", "title": title[:200],
                  "body": body, "created_at": now} for u in users[key]]
        notices.append((users[key], "assigned", title, body, case.id))
    if rows:
        insert_rows(session, Notification.__table__, rows)
        queue_many(session, notices)  # e-mail and robot, if wanted, as notify() does
    return len(rows)


def notify_for_transition(session: Session, case, trigger: str, actor) -> None:
    """Tell the people concerned by a state change (called inside the transition, after
    its event, whose writing marked read the requests the step answered: ``SETTLED_BY``)."""
    if case.kind == "task":
        _notify_task(session, case, trigger, actor)
        return
    dept = lambda: department_user_ids(session, case.department_id)  # noqa: E731
    # each text is made only for the step that happened (a 签收 tells nobody)
    label = lambda: _label(case)  # noqa: E731
    messages = {
        "register": lambda: (dept, "assigned", *_assigned_notice(case)),
        "transfer": lambda: (dept, "assigned", f"转办交办：{label()}",
                             f"请签收并在 {case.deadline.isoformat() if case.deadline else '未定'}"
                             " 前完成整改"),
        "return": lambda: (dept, "returned", f"整改被退回：{label()}", "请按退回意见补充整改后重新上报"),
        "reject": lambda: (dept, "returned", f"销号审批不通过：{label()}", "请按审批意见继续整改"),
        "reopen": lambda: (dept, "reopened", f"重新整改：{label()}", "已销号的问题须重新整改"),
        "verify": lambda: (dept, "approved", f"核查通过：{label()}", "等待销号审批"),
        "close": lambda: (dept, "approved", f"已销号：{label()}", "整改已核查并销号"),
        "dismiss": lambda: (dept, "approved", f"举报经核实不属实：{label()}",
                            "区安委办核实后办结，无需整改"),
        "report": lambda: (lambda: role_user_ids(session, OFFICE_STAFF), "reported",
                           f"待核查：{label()}", "责任部门已上报整改情况"),
    }
    if getattr(case, "parent_case_id", None) is not None and trigger == "report":
        # a delegated child is checked by the unit that passed it down, not the office
        messages["report"] = lambda: (
            lambda: department_user_ids(session, case.delegated_by_unit_id),
            "reported", f"待核查：{label()}", "下级单位已上报整改情况")
    if trigger == "verify" and case.needs_director_to_close and case.parent_case_id is None:
        extra = role_user_ids(session, OFFICE_DIRECTOR)
        notify(session, extra, "approved", f"待销号：{label()}", "已核查，须区安委办主任销号",
               case_id=case.id, skip=actor.id)
    if trigger in messages:
        who, kind, title, body = messages[trigger]()
        notify(session, who(), kind, title, body, case_id=case.id, skip=actor.id)
    tell_registrar(session, case, trigger, actor)


# --- an office's working day: the 登记人 hears of 挂号 and 销号; acted-on messages close ----
KINDS.update({"to_report": "待上报", "registered": "已挂号", "closed": "已销号"})
# a request to act is settled for everyone once someone acted on the case
SETTLED_BY = {
    "accept": ("assigned",),
    "report": ("assigned", "returned", "reopened", "to_report"),
    "verify": ("reported",), "return": ("reported",),
    "close": ("approved",), "reject": ("approved",),
    "transfer": ("assigned",), "cancel": ("assigned", "to_report"), "dismiss": ("assigned",),
}


def tell_registrar(session: Session, case, trigger: str, actor) -> None:
    """The one who recorded the problem hears that it was 挂号交办 and when it is 销号."""
    if case.created_by_id is None or case.created_by_id == actor.id:
        return
    label = _label(case)
    if trigger == "register":
        dept = case.department.name if case.department else ""
        notify(session, [case.created_by_id], "registered", f"您登记的问题已挂号：{label}",
               f"已交办{dept}，整改期限 {case.deadline.isoformat() if case.deadline else '未定'}",
               case_id=case.id)
    elif trigger == "close":
        notify(session, [case.created_by_id], "closed", f"您登记的问题已销号：{label}",
               "整改已核查并销号", case_id=case.id)


SETTLE = (update(Notification.__table__)
           .where(Notification.__table__.c.case_id == bindparam("_case"),
                  Notification.__table__.c.kind.in_(bindparam("_kinds", expanding=True)),
                  Notification.__table__.c.read_at.is_(None))
           .values(read_at=bindparam("_now")))


def _settle_trigger_sql(settled_by: dict[str, tuple[str, ...]]) -> str:
    """SQLite: the event's INSERT settles the requests its step answered, as PostgreSQL's
    data-modifying WITH does (``SETTLE`` in ``service._case_and_event``): a trigger on the
    append-only ``audit_events``, so a transition writes one statement less. The same rows
    and the same time (the event's ``at``)."""
    def quoted(words):
        return ", ".join(f"'{w}'" for w in words)
    kinds = " OR ".join(f"(NEW.action = '{trigger}' AND kind IN ({quoted(k)}))"
                        for trigger, k in settled_by.items())
    return (f"CREATE TRIGGER audit_events_settle_requests AFTER INSERT ON audit_events "
            f"WHEN NEW.action IN ({quoted(settled_by)}) BEGIN "
            f"UPDATE notifications SET read_at = NEW.at WHERE case_id = NEW.case_id "
            f"AND read_at IS NULL AND ({kinds}); END")


# A change of SETTLED_BY needs a migration that re-creates the trigger
# (tests/test_migrations.py compares the migrated trigger with this text).
SETTLE_TRIGGER_SQLITE = _settle_trigger_sql(SETTLED_BY)
# created once both tables exist (the trigger is on one and writes the other)
event.listen(Base.metadata, "after_create",
             DDL(SETTLE_TRIGGER_SQLITE).execute_if(dialect="sqlite"))


def notify_to_report(session: Session, case, actor) -> None:
    """The 联络员 drafted the statement: the unit's 负责人 has a case 待上报."""
    from_roles = department_user_ids(session, case.department_id)
    heads = list(session.scalars(select(User.id).where(User.id.in_(from_roles),
                                                       User.role == DEPT_HEAD)))
    notify(session, heads, "to_report", f"待上报：{_label(case)}",
           f"{actor.display_name}已起草整改情况说明，请审核后上报", case_id=case.id, skip=actor.id)


def list_for(session: Session, user: User, limit: int = 20) -> dict:
    """The user's notifications, unread first, newest first; with the unread count."""
    rows = session.scalars(select(Notification).where(Notification.user_id == user.id)
                           .order_by(Notification.read_at.is_not(None), Notification.id.desc())
                           .limit(limit)).all()
    return {"items": [n.to_dict() for n in rows], "unread_count": unread_count(session, user)}


def mark_read(session: Session, notification_id: int, user: User,
              now: datetime | None = None) -> Notification:
    """Mark one of the user's own notifications read (others' are 404)."""
    note = session.get(Notification, notification_id)
    if note is None or not note.can_read(user):
        raise NotFound(f"消息 {notification_id} 不存在")
    if note.read_at is None:
        note.read_at = now or utcnow()
    session.flush()
    return note


def mark_all_read(session: Session, user: User, now: datetime | None = None) -> int:
    """Mark every unread notification of the user read; returns how many."""
    result = session.execute(update(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=now or utcnow()).execution_options(synchronize_session=False))
    session.flush()
    return result.rowcount or 0


def unread_count(session: Session, user: User) -> int:
    return session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None))) or 0



def _notify_task(session: Session, case, trigger: str, actor) -> None:
    """The same steps told in the task list's words (交办, 报送, 审核, 办结).

    For a task the 区安委办 owes itself, its 经办人 hear what a department would, the 主任
    is asked to 审核 and the 区领导 to 办结.
    """
    office_led = case.is_office_led
    holders = ((lambda: role_user_ids(session, OFFICE_STAFF)) if office_led
               else (lambda: department_user_ids(session, case.department_id)))
    checkers = ((lambda: role_user_ids(session, OFFICE_DIRECTOR)) if office_led
                else (lambda: role_user_ids(session, OFFICE_STAFF)))
    label = _label(case)
    deadline = case.deadline.isoformat() if case.deadline else "未定"
    messages = {
        "register": (holders, "assigned", *_assigned_notice(case)),
        "transfer": (holders, "assigned", f"转办任务：{label}", f"请签收，并请于 {deadline} 前完成"),
        "return": (holders, "returned", f"完成情况被退回：{label}", "请按退回意见补充后重新报送"),
        "reject": (holders, "returned", f"任务未予办结：{label}", "请按意见继续推进后重新报送"),
        "reopen": (holders, "reopened", f"重新办理：{label}", "已办结的任务须重新办理"),
        "verify": (holders, "approved", f"审核通过：{label}", "等待办结"),
        "close": (holders, "approved", f"已办结：{label}", "任务完成情况已审核并办结"),
        "report": (checkers, "reported", f"待审核：{label}", "责任单位已报送完成情况"),
    }
    if trigger == "verify":
        closers = (role_user_ids(session, LEADER) if office_led
                   else role_user_ids(session, OFFICE_STAFF, OFFICE_DIRECTOR))
        notify(session, closers, "approved", f"待办结：{label}", "完成情况已审核，请办结",
               case_id=case.id, skip=actor.id)
    if trigger in messages:
        who, kind, title, body = messages[trigger]
        notify(session, who(), kind, title, body, case_id=case.id, skip=actor.id)

"""The administration log: every act on accounts, roles, departments, groups and
the calendar, as one append-only SHA-256 hash chain (``admin_events``).

Writers call ``record_act`` inside the transaction of the act itself, so an act and
its event commit or roll back together. ``verify_admin_log`` recomputes the chain
and names the first broken link.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import DateTime, Integer, String, Text, func, select, text
from sqlalchemy.orm import Mapped, Session, mapped_column

from workflow.org.roles import ROLE_LABELS
from workflow.platform.base import Base, iso_utc, utcnow
from workflow.platform.hashchain import GENESIS, canonical_json, chain_digest

# Chinese names of the acts, for the listing page and the API
ACTION_LABELS = {
    "user_create": "添加用户",
    "user_create_cli": "命令行添加用户",
    "user_update": "修改用户信息",
    "user_deactivate": "停用用户",
    "user_reactivate": "启用用户",
    "user_role_change": "变更角色",
    "password_reset": "管理员重置密码",
    "role_grant_requested": "申请授予角色",
    "role_grant_approved": "批准授予角色",
    "role_grant_refused": "不予批准授予角色",
    "department_create": "添加部门",
    "department_place": "调整属地层级",
    "department_rename": "部门更名",
    "department_deactivate": "停用部门",
    "department_reactivate": "启用部门",
    "group_members_set": "调整部门组成员",
    "department_alias_set": "设置部门别名或承办单位",
    "department_alias_remove": "删除部门别名或承办单位",
    "calendar_day_set": "设置节假日/调休",
    "calendar_day_delete": "删除节假日/调休",
}
CLI_ACTOR = "命令行（服务器）"
# Any constant that other advisory locks of this app do not use.
_PG_LOCK_KEY = 7310015


class AdminEvent(Base):
    __tablename__ = "admin_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, unique=True)
    at: Mapped[datetime] = mapped_column(DateTime, index=True)
    actor_id: Mapped[int | None] = mapped_column(Integer)  # no foreign key: the log outlives rows
    actor_username: Mapped[str] = mapped_column(String(80))
    actor_name: Mapped[str] = mapped_column(String(80))
    actor_role: Mapped[str] = mapped_column(String(30))
    action: Mapped[str] = mapped_column(String(40), index=True)
    object_type: Mapped[str] = mapped_column(String(30))
    object_id: Mapped[str | None] = mapped_column(String(40))
    payload_json: Mapped[str] = mapped_column(Text, default="{}")
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    @property
    def payload(self) -> dict:
        return json.loads(self.payload_json or "{}")

    def canonical(self) -> str:
        return canonical_json({
            "seq": self.seq, "at": iso_utc(self.at), "actor_id": self.actor_id,
            "actor_username": self.actor_username, "actor_name": self.actor_name,
            "actor_role": self.actor_role, "action": self.action,
            "object_type": self.object_type, "object_id": self.object_id,
            "payload": self.payload,
        })

    def compute_hash(self) -> str:
        return chain_digest(self.prev_hash, self.canonical())

    @property
    def action_label(self) -> str:
        return ACTION_LABELS.get(self.action, self.action)

    def to_dict(self) -> dict:
        return {"seq": self.seq, "at": iso_utc(self.at), "actor_id": self.actor_id,
                "actor_username": self.actor_username, "actor_name": self.actor_name,
                "actor_role": self.actor_role,
                "actor_role_label": ROLE_LABELS.get(self.actor_role, self.actor_role),
                "action": self.action, "action_label": self.action_label,
                "object_type": self.object_type, "object_id": self.object_id,
                "payload": self.payload, "prev_hash": self.prev_hash, "hash": self.hash}


def _lock_chain(session: Session) -> None:
    # SQLite: every writing transaction already holds the database lock (BEGIN IMMEDIATE).
    # PostgreSQL: two administrators acting at once queue here instead of both taking
    # the same seq; the lock ends with the transaction.
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})


def record_act(session: Session, actor, action: str, object_type: str, object_id=None,
           payload: dict | None = None, at: datetime | None = None) -> AdminEvent:
    """Append one administration event; ``actor`` None means the server's command line."""
    _lock_chain(session)
    last = session.execute(select(AdminEvent.seq, AdminEvent.hash)
                           .order_by(AdminEvent.seq.desc()).limit(1)).first()
    event = AdminEvent(
        seq=(last.seq + 1) if last else 1, at=at or utcnow(),
        actor_id=getattr(actor, "id", None),
        actor_username=getattr(actor, "username", None) or "cli",
        actor_name=getattr(actor, "display_name", None) or CLI_ACTOR,
        actor_role=getattr(actor, "role", None) or "cli",
        action=action, object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        payload_json=canonical_json(payload or {}),
        prev_hash=last.hash if last else GENESIS,
    )
    event.hash = event.compute_hash()
    session.add(event)
    session.flush()
    return event


def user_ref(user) -> dict:
    """How an event names a user: id, user name and display name."""
    return {"id": user.id, "username": user.username, "display_name": user.display_name}


@dataclass
class LogBreak:
    seq: int | None
    reason: str

    def __str__(self) -> str:
        return f"管理日志事件 #{self.seq}: {self.reason}"


def verify_admin_log(session: Session, batch: int = 1000) -> LogBreak | None:
    """Recompute the chain from the first event; return the first broken link or None."""
    prev, expected, last_seq = GENESIS, 1, 0
    while True:
        rows = session.scalars(select(AdminEvent).where(AdminEvent.seq > last_seq)
                               .order_by(AdminEvent.seq).limit(batch)).all()
        if not rows:
            return None
        for ev in rows:
            if ev.seq != expected:
                return LogBreak(expected, f"事件缺失（期望序号 {expected}，实际 {ev.seq}）")
            if ev.prev_hash != prev:
                return LogBreak(ev.seq, "前序哈希不符（之前的事件被删除或改动）")
            if ev.compute_hash() != ev.hash:
                return LogBreak(ev.seq, "事件内容与哈希不符（记录被改动）")
            prev, expected = ev.hash, expected + 1
        last_seq = rows[-1].seq


def count_events(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(AdminEvent)) or 0


def list_events(session: Session, *, before_seq: int | None = None, limit: int = 50,
                action: str | None = None) -> list[AdminEvent]:
    """Newest first; ``before_seq`` pages back."""
    query = select(AdminEvent).order_by(AdminEvent.seq.desc()).limit(limit)
    if before_seq is not None:
        query = query.where(AdminEvent.seq < before_seq)
    if action:
        query = query.where(AdminEvent.action == action)
    return list(session.scalars(query))

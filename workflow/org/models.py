"""Departments, department groups, users and API tokens."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Column, DateTime, ForeignKey, Index, Integer, String, Table, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from workflow.org.roles import (
    DEPARTMENT_ROLES,
    PENDING_ROLE_LABEL,
    READ_ALL_ROLES,
    ROLE_LABELS,
)
from workflow.platform.base import Base, iso_utc, utcnow

group_members = Table(
    "department_group_members",
    Base.metadata,
    Column("group_id", ForeignKey("department_groups.id", ondelete="CASCADE"), primary_key=True),
    Column("department_id", ForeignKey("departments.id", ondelete="CASCADE"), primary_key=True),
)


class Department(Base):
    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    # department | town | village | grid | office: towns are 镇/开发区/街道, villages 村/社区,
    # grids 网格 (属地 hierarchy through ``parent_id``), the office is 区安委办
    kind: Mapped[str] = mapped_column(String(20), default="department")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)

    parent: Mapped[Department | None] = relationship(remote_side=[id], lazy="joined",
                                                     join_depth=3)

    groups: Mapped[list[DepartmentGroup]] = relationship(
        secondary=group_members, back_populates="members", order_by="DepartmentGroup.name"
    )

    def to_dict(self) -> dict:
        return {"id": self.id, "name": self.name, "kind": self.kind, "active": self.active,
                "groups": [g.key for g in self.groups], "parent_id": self.parent_id}

    def ancestor_ids(self) -> list[int]:
        """This unit's id and those of the units above it (village → town …)."""
        out, unit = [], self
        while unit is not None and unit.id not in out and len(out) < 8:
            out.append(unit.id)
            unit = unit.parent
        return out


class DepartmentGroup(Base):
    """A named set of departments (各安委会成员单位, 各镇、开发区、街道 …), edited by admins."""

    __tablename__ = "department_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(50), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    members: Mapped[list[Department]] = relationship(
        secondary=group_members, back_populates="groups", order_by="Department.name"
    )

    def to_dict(self) -> dict:
        return {"id": self.id, "key": self.key, "name": self.name,
                "members": [d.id for d in self.members]}


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(80))
    role: Mapped[str] = mapped_column(String(30))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # Raised by a password change or reset, "logout everywhere" and deactivation: every
    # browser session and API token issued under an older value stops working.
    credentials_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    department: Mapped[Department | None] = relationship(lazy="joined")

    # Flask-Login's protocol, written out so the domain core needs no Flask import.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return str(self.id)

    @property
    def role_label(self) -> str:
        return ROLE_LABELS.get(self.role, PENDING_ROLE_LABEL if self.role == "pending" else self.role)

    @property
    def is_department_user(self) -> bool:
        return self.role in DEPARTMENT_ROLES

    @property
    def reads_all_cases(self) -> bool:
        return self.role in READ_ALL_ROLES

    def to_dict(self) -> dict:
        return {"id": self.id, "username": self.username, "display_name": self.display_name,
                "role": self.role, "role_label": self.role_label,
                "department_id": self.department_id,
                "department": self.department.name if self.department else None}


class ApiToken(Base):
    """A bearer token for programs; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    # the owner's credentials epoch when issued; a later epoch ends the token for good
    epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    name: Mapped[str | None] = mapped_column(String(80))
    prefix: Mapped[str] = mapped_column(String(12), default="", server_default="")
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime)

    user: Mapped[User] = relationship()

    def to_dict(self) -> dict:
        """What the owner and the admin may see: never the secret or its hash."""
        return {"id": self.id, "user_id": self.user_id, "name": self.name, "prefix": self.prefix,
                "created_at": iso_utc(self.created_at), "expires_at": iso_utc(self.expires_at),
                "last_used_at": iso_utc(self.last_used_at)}


class LoginFailure(Base):
    """One failed login, kept to throttle guessing per user name and per address."""

    __tablename__ = "login_failures"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), index=True)
    address: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)

    __table_args__ = (Index("ix_login_failures_username_address", "username", "address", "at"),)


class EndedSession(Base):
    """A browser session ended by logout: its signed cookie is refused if replayed.

    Kept until the session would have reached its absolute timeout anyway.
    """

    __tablename__ = "ended_sessions"

    sid: Mapped[str] = mapped_column(String(43), primary_key=True)
    expires_at: Mapped[datetime] = mapped_column(DateTime, index=True)


def department_by_name(session: Session, name: str) -> Department | None:
    return session.scalar(select(Department).where(Department.name == name))


def group_by_key(session: Session, key: str) -> DepartmentGroup | None:
    return session.scalar(select(DepartmentGroup).where(DepartmentGroup.key == key))


def ensure_department(session: Session, name: str, kind: str = "department") -> tuple[Department, bool]:
    """Return the department of that name, creating it when missing."""
    dept = department_by_name(session, name)
    if dept:
        return dept, False
    dept = Department(name=name, kind=kind)
    session.add(dept)
    session.flush()
    return dept, True


def ensure_group(session: Session, key: str, name: str) -> DepartmentGroup:
    group = group_by_key(session, key)
    if group is None:
        group = DepartmentGroup(key=key, name=name)
        session.add(group)
        session.flush()
    return group

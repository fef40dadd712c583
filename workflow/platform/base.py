"""Declarative base, naming convention and time helpers."""
from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

SHANGHAI = ZoneInfo("Asia/Shanghai")

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def utcnow() -> datetime:
    """Current instant as naive UTC (the form every timestamp column stores)."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def local_today(now: datetime | None = None) -> date:
    """Today's date in Asia/Shanghai, where deadlines live."""
    now = now or utcnow()
    return now.replace(tzinfo=timezone.utc).astimezone(SHANGHAI).date()


def to_local(dt: datetime | None) -> datetime | None:
    if dt is None:
        return None
    return dt.replace(tzinfo=timezone.utc).astimezone(SHANGHAI)


def iso_utc(dt: datetime | None) -> str | None:
    """Render a stored naive-UTC instant as ISO 8601 with a Z suffix."""
    if dt is None:
        return None
    return dt.replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"

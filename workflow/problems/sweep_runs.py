"""When the daily sweep last ran: one row per committed run, read by the health check."""
from __future__ import annotations

import json
from datetime import date, datetime

from sqlalchemy import Date, DateTime, Integer, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from workflow.platform.base import Base, utcnow


class SweepRun(Base):
    __tablename__ = "sweep_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    started_at: Mapped[datetime] = mapped_column(DateTime, nullable=False)
    finished_at: Mapped[datetime] = mapped_column(DateTime, nullable=False, index=True)
    today: Mapped[date] = mapped_column(Date, nullable=False)
    result_json: Mapped[str] = mapped_column(Text, nullable=False, default="{}")


def note_run(session: Session, *, started_at: datetime, today: date, result: dict) -> SweepRun:
    """Add the row of a run (flushed with the sweep's own work: it exists iff that commits)."""
    row = SweepRun(started_at=started_at, finished_at=utcnow(), today=today,
                   result_json=json.dumps(result, ensure_ascii=False, sort_keys=True))
    session.add(row)
    return row


def last_run(session: Session) -> SweepRun | None:
    return session.scalar(select(SweepRun).order_by(SweepRun.finished_at.desc()).limit(1))

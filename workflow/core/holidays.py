"""Administrator-entered holidays and make-up working days, and the calendar built on them."""
from __future__ import annotations

from datetime import date

from sqlalchemy import Date, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from workflow.platform.base import Base


class CalendarDay(Base):
    """A date an administrator declares a holiday (休) or a make-up working day (班)."""

    __tablename__ = "calendar_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # holiday | workday
    name: Mapped[str] = mapped_column(String(60), default="")


def calendar_for(session: Session):
    """The working-day calendar with this database's administrator entries."""
    from workflow.core.workdays import WorkCalendar

    rows = session.execute(select(CalendarDay.day, CalendarDay.kind)).all()
    return WorkCalendar(extra_holidays=[d for d, k in rows if k == "holiday"],
                        extra_workdays=[d for d, k in rows if k == "workday"])

"""The tables of 督办措施: the measure, its units and cases, its steps and their files."""
from __future__ import annotations

import json
from datetime import date, datetime

from sqlalchemy import (
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workflow.core.cases import Case
from workflow.org.models import Department, User
from workflow.platform.base import Base, iso_utc, utcnow

KINDS = {"letter": "督办函", "interview": "约谈", "bulletin": "通报", "referral": "问责移交"}
STATUSES = {
    "letter": {"issued": "待反馈", "replied": "已反馈"},
    "interview": {"notified": "已通知约谈", "held": "已约谈（待落实报告）", "reported": "已报送落实报告"},
    "bulletin": {"issued": "已印发"},
    "referral": {"referred": "已移交", "received": "已受理", "concluded": "已办结"},
}
ALL_STATUSES = sorted({s for by_kind in STATUSES.values() for s in by_kind})
STEPS = {"reply": "书面反馈", "minutes": "约谈纪要", "report": "落实报告",
         "receipt": "受理", "outcome": "处理结果"}
TONES = {"criticism": "通报批评", "commendation": "通报表扬"}

measure_departments = Table(
    "measure_departments", Base.metadata,
    Column("measure_id", ForeignKey("measures.id", ondelete="CASCADE"), primary_key=True),
    Column("department_id", ForeignKey("departments.id"), primary_key=True, index=True),
)
measure_cases = Table(
    "measure_cases", Base.metadata,
    Column("measure_id", ForeignKey("measures.id", ondelete="CASCADE"), primary_key=True),
    Column("case_id", ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True, index=True),
)


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


class Measure(Base):
    """One 督办措施 with its 文号; kind-specific fields in ``details``."""

    __tablename__ = "measures"
    __table_args__ = (UniqueConstraint("doc_number", name="uq_measures_doc_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), index=True)
    status: Mapped[str] = mapped_column(String(12), index=True)
    doc_number: Mapped[str] = mapped_column(String(100))
    doc_date: Mapped[date] = mapped_column(Date)
    title: Mapped[str] = mapped_column(String(200))
    content: Mapped[str] = mapped_column(Text)
    # 督办函: 反馈时限; 约谈: the 落实报告 due date once held
    due_on: Mapped[date | None] = mapped_column(Date, index=True)
    details_json: Mapped[str] = mapped_column(Text, default="{}")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])
    departments: Mapped[list[Department]] = relationship(secondary=measure_departments,
                                                         order_by=Department.id)
    cases: Mapped[list[Case]] = relationship(secondary=measure_cases, order_by=Case.id)
    steps: Mapped[list[MeasureStep]] = relationship(back_populates="measure",
                                                    order_by="MeasureStep.id")

    @property
    def details(self) -> dict:
        return json.loads(self.details_json or "{}")

    @property
    def kind_label(self) -> str:
        if self.kind == "bulletin":
            return TONES.get(self.details.get("tone"), KINDS["bulletin"])
        return KINDS.get(self.kind, self.kind)

    @property
    def status_label(self) -> str:
        return STATUSES.get(self.kind, {}).get(self.status, self.status)

    def step(self, name: str) -> MeasureStep | None:
        return next((s for s in reversed(self.steps) if s.step == name), None)

    def is_overdue(self, today: date) -> bool:
        """An unanswered 督办函 or a missing 落实报告 past its due date."""
        waiting = (self.kind == "letter" and self.status == "issued") or (
            self.kind == "interview" and self.status == "held")
        return bool(waiting and self.due_on and today > self.due_on)

    def to_dict(self, today: date | None = None) -> dict:
        return {"id": self.id, "kind": self.kind, "kind_label": self.kind_label,
                "doc_number": self.doc_number, "doc_date": self.doc_date.isoformat(),
                "status": self.status, "status_label": self.status_label,
                "title": self.title, "content": self.content, "due_on": _iso(self.due_on),
                "overdue": self.is_overdue(today) if today else False,
                "details": self.details,
                "department_ids": [d.id for d in self.departments],
                "departments": [d.name for d in self.departments],
                "case_ids": [c.id for c in self.cases],
                "cases": [{"id": c.id, "number": c.display_number, "title": c.title}
                          for c in self.cases],
                "created_by": self.created_by.display_name if self.created_by else None,
                "created_at": iso_utc(self.created_at),
                "steps": [s.to_dict() for s in self.steps]}


class MeasureStep(Base):
    """One recorded step: 反馈, 纪要, 落实报告, 受理, 处理结果."""

    __tablename__ = "measure_steps"

    id: Mapped[int] = mapped_column(primary_key=True)
    measure_id: Mapped[int] = mapped_column(ForeignKey("measures.id", ondelete="CASCADE"),
                                            index=True)
    step: Mapped[str] = mapped_column(String(10))
    content: Mapped[str] = mapped_column(Text)
    data_json: Mapped[str] = mapped_column(Text, default="{}")
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    measure: Mapped[Measure] = relationship(back_populates="steps")
    actor: Mapped[User] = relationship()
    department: Mapped[Department | None] = relationship()
    attachments: Mapped[list[MeasureAttachment]] = relationship(order_by="MeasureAttachment.id")

    @property
    def data(self) -> dict:
        return json.loads(self.data_json or "{}")

    def to_dict(self) -> dict:
        return {"id": self.id, "step": self.step, "step_label": STEPS.get(self.step, self.step),
                "content": self.content, "data": self.data,
                "actor": self.actor.display_name if self.actor else None,
                "department": self.department.name if self.department else None,
                "at": iso_utc(self.at),
                "attachments": [a.to_dict() for a in self.attachments]}


class MeasureAttachment(Base):
    """A file of a step, kept in the evidence storage (content-addressed)."""

    __tablename__ = "measure_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    step_id: Mapped[int] = mapped_column(ForeignKey("measure_steps.id", ondelete="CASCADE"),
                                         index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))

    def to_dict(self) -> dict:
        return {"id": self.id, "filename": self.filename, "content_type": self.content_type,
                "size": self.size}

"""监督举报 records kept beside the case: 答复 to the reporter and 举报奖励.

They live in ``core`` because the machine's guards read them (a 举报 case is
closed or dismissed only after the reporter was answered); the operations that
write them are in ``workflow.problems.complaints``.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, DateTime, ForeignKey, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workflow.org.models import User
from workflow.platform.base import Base, iso_utc, utcnow
from workflow.platform.vocab import REPLY_CHANNELS

REWARD_STATES = {"pending": "待审批", "approved": "已批准", "refused": "不予批准"}


class ComplaintReply(Base):
    """One 答复 to the reporter: when, how, what was said."""

    __tablename__ = "complaint_replies"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    replied_on: Mapped[date] = mapped_column(Date)
    channel: Mapped[str] = mapped_column(String(20))
    content: Mapped[str] = mapped_column(Text)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    recorded_by: Mapped[User] = relationship()

    @property
    def channel_label(self) -> str:
        return REPLY_CHANNELS.get(self.channel, self.channel)

    def to_dict(self) -> dict:
        return {"id": self.id, "case_id": self.case_id, "replied_on": self.replied_on.isoformat(),
                "channel": self.channel, "channel_label": self.channel_label,
                "content": self.content, "recorded_by_id": self.recorded_by_id,
                "recorded_at": iso_utc(self.recorded_at)}


class ComplaintReward(Base):
    """A 举报奖励: proposed by the office, approved or refused by the director."""

    __tablename__ = "complaint_rewards"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    reason: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(10), default="pending")
    proposed_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    proposed_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_on: Mapped[date | None] = mapped_column(Date)
    decision_comment: Mapped[str | None] = mapped_column(Text)

    proposed_by: Mapped[User] = relationship(foreign_keys=[proposed_by_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])

    @property
    def state_label(self) -> str:
        return REWARD_STATES.get(self.state, self.state)

    def to_dict(self) -> dict:
        return {"id": self.id, "case_id": self.case_id, "amount": str(self.amount),
                "reason": self.reason, "state": self.state, "state_label": self.state_label,
                "proposed_by_id": self.proposed_by_id, "proposed_at": iso_utc(self.proposed_at),
                "approved_by_id": self.decided_by_id if self.state == "approved" else None,
                "decided_by_id": self.decided_by_id,
                "decided_on": self.decided_on.isoformat() if self.decided_on else None,
                "decision_comment": self.decision_comment}

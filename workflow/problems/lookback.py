"""回头看: a closed case is reviewed LOOKBACK_DAYS after its closure.

The office (经办人 or 主任) records the result. A failed look-back reopens the
case with the finding as the reason; reopening is the director's step (brief
§3), so when the 经办人 records the failure the case waits in the director's
list until the director confirms, and when the director records it the case
reopens at once.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import DateTime, ForeignKey, String, Text, UniqueConstraint, exists, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from workflow.core import policy, service
from workflow.core.cases import Case
from workflow.core.notifications import notify, role_user_ids
from workflow.core.policy import LOOKBACK_RECORDERS
from workflow.org.models import User
from workflow.org.roles import OFFICE_DIRECTOR
from workflow.platform.base import Base, iso_utc, utcnow
from workflow.platform.errors import Conflict, Forbidden, InvalidInput, NotFound, RuleFailed
from workflow.platform.vocab import is_choice

RESULTS = {"passed": "整改成效巩固", "failed": "问题反弹（须重新整改）"}
STATES = {"done": "已完成", "reopen_pending": "待主任确认重新整改", "reopened": "已重新整改"}


class LookBack(Base):
    __tablename__ = "lookbacks"
    __table_args__ = (UniqueConstraint("case_id", "closed_at",
                                       name="uq_lookbacks_case_closed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    closed_at: Mapped[datetime] = mapped_column(DateTime)  # the closure that was reviewed
    result: Mapped[str] = mapped_column(String(8))
    state: Mapped[str] = mapped_column(String(16), default="done", index=True)
    comment: Mapped[str | None] = mapped_column(Text)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    reopened_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reopened_at: Mapped[datetime | None] = mapped_column(DateTime)

    case: Mapped[Case] = relationship()
    recorded_by: Mapped[User] = relationship(foreign_keys=[recorded_by_id])

    def to_dict(self) -> dict:
        return {"id": self.id, "case_id": self.case_id, "case_number": self.case.display_number,
                "closed_at": iso_utc(self.closed_at), "result": self.result,
                "result_label": RESULTS[self.result], "state": self.state,
                "state_label": STATES[self.state], "comment": self.comment,
                "recorded_by": self.recorded_by.display_name,
                "recorded_at": iso_utc(self.recorded_at), "reopened_at": iso_utc(self.reopened_at)}


def due_lookbacks(session: Session, *, days: int, now: datetime | None = None,
                  limit: int = 200) -> list[Case]:
    """Closed cases whose latest closure is ``days`` old and not yet looked back at
    (a 举报 closed as 不属实 had nothing rectified, so nothing can rebound)."""
    now = now or utcnow()
    done = exists().where(LookBack.case_id == Case.id, LookBack.closed_at == Case.closed_at)
    return list(session.scalars(select(Case).where(
        Case.status == "closed", Case.closed_at <= now - timedelta(days=days), ~done,
        Case.dismissed_at.is_(None))
        .order_by(Case.closed_at, Case.id).limit(limit)))


def pending_reopens(session: Session) -> list[LookBack]:
    return list(session.scalars(select(LookBack).where(LookBack.state == "reopen_pending")
                                .order_by(LookBack.recorded_at)))


def _require_office(actor: User, roles=LOOKBACK_RECORDERS) -> None:
    if actor.role not in roles:
        raise Forbidden("回头看由区安委办办理", needed_roles=sorted(roles),
                        rules=["director_required"] if roles == {OFFICE_DIRECTOR}
                        else ["role_required"])


def record_lookback(session: Session, case_id: int, actor: User, *, result: str, comment,
                    settings=None, now: datetime | None = None) -> LookBack:
    """Record a look-back of a closed case; a failed one reopens it (see module doc)."""
    if not is_choice(result, RESULTS):
        raise InvalidInput("result 须为 passed（巩固）或 failed（反弹）", field="result")
    if comment is not None and (not isinstance(comment, str) or len(comment) > 5000):
        raise InvalidInput("comment 须为 5000 字以内的文本", field="comment")
    comment = (comment or "").strip() or None
    now = now or utcnow()
    case = service.lock_for_record(session, case_id, actor)
    if refusal := policy.lookback_refusal(case, actor):
        raise refusal
    if result == "failed" and not comment:
        raise RuleFailed(["comment_required"])
    if session.scalar(select(LookBack.id).where(LookBack.case_id == case.id,
                                                LookBack.closed_at == case.closed_at)):
        raise Conflict("本次销号已做过回头看", current_version=case.version, status=case.status)
    review = LookBack(case_id=case.id, closed_at=case.closed_at, result=result, comment=comment,
                      recorded_by_id=actor.id, recorded_at=now)
    session.add(review)
    session.flush()
    service.record(session, case, actor, "lookback", comment=comment, payload={
        "lookback_id": review.id, "result": result}, now=now)
    session.flush()
    if result == "failed":
        if actor.role == OFFICE_DIRECTOR:
            _reopen(session, review, case, actor, settings, now)
        else:
            review.state = "reopen_pending"
            notify(session, role_user_ids(session, OFFICE_DIRECTOR), "lookback",
                   f"回头看发现反弹，待确认重新整改：{case.display_number}", comment or "",
                   case_id=case.id, now=now)
    session.flush()
    return review


def confirm_reopen(session: Session, lookback_id: int, actor: User, *, settings=None,
                   now: datetime | None = None) -> LookBack:
    """The director confirms a failed look-back: the case is reopened with its finding."""
    review = session.get(LookBack, lookback_id)
    if review is None or not review.case.can_view(actor):
        raise NotFound(f"回头看记录 {lookback_id} 不存在")
    _require_office(actor, frozenset({OFFICE_DIRECTOR}))
    case = service.lock_for_record(session, review.case_id, actor)
    session.refresh(review)
    if review.state != "reopen_pending":
        raise Conflict(f"该回头看记录{STATES[review.state]}，无需确认",
                       current_version=case.version, status=case.status)
    _reopen(session, review, case, actor, settings, now or utcnow())
    session.flush()
    return review


def _reopen(session, review: LookBack, case: Case, actor: User, settings, now) -> None:
    service.transition(session, case.id, "reopen", actor, version=case.version,
                       comment=f"回头看发现问题反弹：{review.comment}", settings=settings, now=now)
    review.state = "reopened"
    review.reopened_by_id, review.reopened_at = actor.id, now

"""Frozen periods: the figures of a closed period as they stood at its cut-off.

A snapshot stores the rows of every scope once; it is never overwritten. Later
reads of that period show the frozen values and, beside each figure that has
changed since (a late closure, a cancellation, a reopened case …), the value
computed now for the same cut-off. ``figures_for`` is that read: the table a
user sees for a window, frozen when the period has a snapshot.
"""
from __future__ import annotations

import json
from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from workflow.assessment.figures import (
    FIGURES,
    SCOPES,
    compute,
    compute_with_district,
    empty_department_row,
    kpi_restriction,
)
from workflow.assessment.periods import Window
from workflow.org.models import User
from workflow.org.roles import OFFICE_DIRECTOR, ROLE_LABELS
from workflow.platform.base import Base, iso_utc, local_today, utcnow
from workflow.platform.errors import Conflict, Forbidden, InvalidInput


class KpiSnapshot(Base):
    __tablename__ = "kpi_snapshots"

    id: Mapped[int] = mapped_column(primary_key=True)
    period: Mapped[str] = mapped_column(String(30), unique=True)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    cutoff: Mapped[date] = mapped_column(Date)
    figures_json: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_by_name: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    @property
    def figures(self) -> dict:
        return json.loads(self.figures_json)

    def to_dict(self) -> dict:
        return {"id": self.id, "period": self.period, "cutoff": self.cutoff.isoformat(),
                "created_by": self.created_by_name, "created_at": iso_utc(self.created_at)}


def snapshot_for(session: Session, period_key: str) -> KpiSnapshot | None:
    return session.scalar(select(KpiSnapshot).where(KpiSnapshot.period == period_key))


def freeze(session: Session, actor: User, w: Window, *, now: datetime | None = None,
           calendar=None) -> KpiSnapshot:
    """Store the figures of every scope for a closed period (office_director; flushes)."""
    if actor.role != OFFICE_DIRECTOR:
        raise Forbidden(f"冻结考核数据须由{ROLE_LABELS[OFFICE_DIRECTOR]}办理（当前角色：{actor.role_label}）",
                        needed_roles=[OFFICE_DIRECTOR], rules=["role_required"])
    now = now or utcnow()
    today = local_today(now)
    if w.period.end >= today:
        raise InvalidInput(f"考核期间 {w.period.label} 尚未结束，不能冻结", field="period")
    if w.cutoff < w.period.end:
        raise InvalidInput("冻结的截止日期不能早于考核期间结束日期", field="cutoff")
    if w.cutoff > today:
        raise InvalidInput("截止日期不能晚于今天", field="cutoff")
    existing = snapshot_for(session, w.period.key)
    if existing is not None:
        raise Conflict(f"{w.period.label}的考核数据已于截止日 {existing.cutoff.isoformat()} 冻结，不能重复冻结",
                       current_version=existing.version, status="frozen")
    # the department table and the district row come from the same pass
    dept_rows, district = compute_with_district(session, w, calendar=calendar)
    figures = {scope: dept_rows if scope == "department" else [district] if scope == "district"
               else compute(session, scope, w, calendar=calendar) for scope in SCOPES}
    snap = KpiSnapshot(period=w.period.key, period_start=w.period.start, period_end=w.period.end,
                       cutoff=w.cutoff, figures_json=json.dumps(figures, ensure_ascii=False),
                       created_by_id=actor.id, created_by_name=actor.display_name, created_at=now)
    session.add(snap)
    session.flush()
    return snap


def _same_key(a, b) -> bool:
    return a == b or (a is not None and b is not None and str(a) == str(b))


def with_changes(frozen: list[dict], current: list[dict]) -> list[dict]:
    """Frozen rows, each with ``changes``: {figure: {"frozen", "current"}} where they differ."""
    out = []
    for row in frozen:
        now_row = next((r for r in current if _same_key(r["key"], row["key"])), None)
        changes = {}
        for fig in (*FIGURES, "overdue_buckets"):
            before = row.get(fig)
            after = now_row.get(fig) if now_row else None
            if before != after:
                changes[fig] = {"frozen": before, "current": after}
        out.append({**row, "changes": changes})
    for r in current:  # a row that appeared only after the freeze (e.g. a transfer)
        if not any(_same_key(r["key"], f["key"]) for f in frozen):
            out.append({**r, "changes": {fig: {"frozen": None, "current": r.get(fig)}
                                         for fig in FIGURES if r.get(fig) not in (None, 0)},
                        "added_after_freeze": True})
    return out


def figures_for(session: Session, user, scope: str, w: Window, *, explicit_cutoff: bool) -> dict:
    """Rows for ``user``: the frozen snapshot of the period when there is one.

    A snapshot is shown unless the caller asked for a cut-off (``explicit_cutoff``)
    other than the one it was frozen at.
    """
    restrict = kpi_restriction(user, scope)
    snap = snapshot_for(session, w.period.key)
    frozen = None
    if snap is not None and (not explicit_cutoff or snap.cutoff == w.cutoff):
        w = Window(w.period, snap.cutoff, w.accept_working_days)
        current = compute(session, scope, w)
        # a snapshot frozen before a scope existed (属地单位) has no rows of it: all added since
        items = with_changes(snap.figures.get(scope, []), current)
        frozen = snap.to_dict()
    else:
        items = compute(session, scope, w, restrict=restrict)
    if restrict is not None:
        items = [r for r in items if r["key"] == user.department_id] or [
            empty_department_row(user.department_id, user.department.name)]
    return {"items": items, "scope": scope, "scope_label": SCOPES[scope][0],
            "period": {"key": w.period.key, "label": w.period.label,
                       "start": w.period.start.isoformat(), "end": w.period.end.isoformat()},
            "cutoff": w.cutoff.isoformat(), "frozen": frozen,
            "figures": FIGURES}

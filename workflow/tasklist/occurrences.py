"""Target progress: each fulfilment of an item's target (会议、检查、培训 …) with evidence.

A case whose item says "每年不少于2次" shows 0/2 until two occurrences are recorded, each
citing evidence files of the case that no other occurrence cites.
"""
from __future__ import annotations

import json
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.core import policy
from workflow.core.audit import canonical_json
from workflow.core.evidence import Evidence
from workflow.core.service import lock_for_record, record
from workflow.org.models import User
from workflow.platform.base import local_today, utcnow
from workflow.platform.errors import Conflict, Forbidden, InvalidInput, NotFound, RuleFailed
from workflow.platform.vocab import HELD_BY_DEPARTMENT
from workflow.tasklist.departments import OTHERS, canonical_name
from workflow.tasklist.models import (
    ImportChoice,
    PlanItem,
    ResponsibilityTarget,
    TargetOccurrence,
    item_of_case,
    progress_text,
)

MAX_NOTE = 2000


def target_window(year: int, period_years: int | None) -> tuple[date, date]:
    """The dates that count for a plan year: the year itself, or the last N years."""
    return date(year - (period_years or 1) + 1, 1, 1), date(year, 12, 31)


def record_occurrence(session: Session, case_id: int, actor: User, *, occurred_on: date,
                      note: str, evidence_ids: list[int],
                      now: datetime | None = None) -> tuple[TargetOccurrence, str]:
    """Record one fulfilment of the target; returns it and the new progress ("1/2")."""
    case = lock_for_record(session, case_id, actor)
    if refusal := policy.department_member_refusal(case, actor, allow_co=True):
        raise refusal
    item = item_of_case(session, case.id)
    target = item.target_count_of_case(case.id) if item is not None else None
    if not target:
        raise RuleFailed(["target_required"])
    if case.status not in HELD_BY_DEPARTMENT:
        raise Conflict(f"事项 {case.display_number} 当前状态“{case.status_label}”不能登记完成情况（已上报的材料不可更改）",
                       current_version=case.version, status=case.status)
    note = (note or "").strip()
    if not note:
        raise InvalidInput("须填写开展情况（如会议名称、检查内容）", field="note")
    if len(note) > MAX_NOTE:
        raise InvalidInput(f"开展情况过长（最多 {MAX_NOTE} 字）", field="note")
    first, last = item.target_window_of_case(case.id)
    if occurred_on > local_today(now):
        raise InvalidInput("开展日期不能晚于今天", field="occurred_on")
    if not first <= occurred_on <= last:
        raise InvalidInput(f"开展日期须在 {first.isoformat()} 至 {last.isoformat()} 之间（本清单的目标期间）",
                           field="occurred_on")
    ids = list(dict.fromkeys(evidence_ids))
    if not ids:
        raise InvalidInput("须至少引用 1 份本事项的佐证材料（先上传，再登记）", field="evidence_ids")
    files = {e.id: e for e in session.scalars(select(Evidence).where(Evidence.id.in_(ids),
                                                                    Evidence.case_id == case.id))}
    missing = [i for i in ids if i not in files]
    if missing:
        raise InvalidInput(f"佐证材料 {', '.join(map(str, missing))} 不属于本事项", field="evidence_ids")
    earlier = session.scalars(select(TargetOccurrence).where(TargetOccurrence.case_id == case.id)).all()
    cited = {i for occ in earlier for i in occ.evidence_ids}
    reused = [i for i in ids if i in cited]
    if reused:
        raise InvalidInput(f"佐证材料 {', '.join(map(str, reused))} 已用于登记其他次，"
                           "每次须有自己的佐证材料", field="evidence_ids")
    now = now or utcnow()
    occ = TargetOccurrence(case_id=case.id, occurred_on=occurred_on, note=note,
                           evidence_ids_json=json.dumps(ids), recorded_by_id=actor.id,
                           recorded_at=now)
    session.add(occ)
    session.flush()
    progress = progress_text(len(earlier) + 1, target)
    record(session, case, actor, "occurrence", now=now, payload={
        "occurrence_id": occ.id, "occurred_on": occurred_on.isoformat(), "note": note,
        "evidence": [{"id": i, "sha256": files[i].sha256} for i in ids],
        "progress": progress})
    session.flush()
    return occ, progress


def occurrences_of(session: Session, case_id: int) -> list[TargetOccurrence]:
    return list(session.scalars(select(TargetOccurrence).where(TargetOccurrence.case_id == case_id)
                                .order_by(TargetOccurrence.occurred_on, TargetOccurrence.id)))


def set_target(session: Session, item_id: int, actor: User, *, target_count: int | None,
               period_years: int | None, now: datetime | None = None):
    """Correct an item's quantitative target (the office); each case's chain records it."""

    if not policy.can_edit_target(actor):
        raise Forbidden("量化目标由区安委办修改", needed_roles=sorted(policy.TARGET_EDITORS),
                        rules=["role_required"])
    item = session.get(PlanItem, item_id)
    if item is None:
        raise NotFound(f"清单事项 {item_id} 不存在")
    if target_count is not None and not 1 <= target_count <= 999:
        raise InvalidInput("目标次数须为 1–999 的整数，或留空表示无量化目标", field="target_count")
    if period_years is not None and not 1 <= period_years <= 10:
        raise InvalidInput("目标周期须为 1–10 年", field="target_period")
    before = {"target_count": item.target_count, "target_period": item.target_period_years}
    item.target_count = target_count
    item.target_period_years = (period_years or 1) if target_count else None
    if not target_count:
        item.target_text = None
    after = {"target_count": item.target_count, "target_period": item.target_period_years}
    if after != before:
        _targets_for_every_owner(session, item, actor, now)
        for link in item.case_links:
            case = lock_for_record(session, link.case_id, actor)
            record(session, case, actor, "target_changed", now=now,
                   payload={"item_id": item.id, "before": before, "after": after})
    session.flush()
    return item


def _targets_for_every_owner(session: Session, item: PlanItem, actor: User, now) -> None:
    """The office's corrected target: every unit owing the item owes it, and a re-import of
    the same file keeps it (stored with the office's choices for that file)."""
    owners = [r for r in item.responsibilities if r.role in ("lead", "responsible")
              and r.group_key != OTHERS]
    for r in owners:
        r.targets = ([ResponsibilityTarget(text=item.target_text or item.target_period_label or "",
                                           count=item.target_count,
                                           period_years=item.target_period_years or 1,
                                           cycle_start_year=item.plan.first_year)]
                     if item.target_count else [])
    top = [r for r in owners if r.parent_id is None]
    stored = session.scalar(select(ImportChoice).where(
        ImportChoice.source_sha256 == item.plan.source_sha256))
    if stored is None:
        stored = ImportChoice(source_sha256=item.plan.source_sha256, choices_json="{}",
                              updated_by_id=actor.id)
        session.add(stored)
    choices = stored.choices
    choices.setdefault("targets", {})[str(item.seq)] = {
        canonical_name(r.name): ([{"count": item.target_count,
                                   "period_years": item.target_period_years or 1,
                                   "text": (item.target_text or item.target_period_label or "")[:200]}]
                                 if item.target_count else []) for r in top}
    stored.choices_json = canonical_json(choices)
    stored.updated_by_id, stored.updated_at = actor.id, now or utcnow()

"""Progress reports (进展报告) between assignment and report, kept in the audit chain."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.core import policy
from workflow.core.audit import AuditEvent
from workflow.core.cases import Case
from workflow.core.evidence import Evidence
from workflow.core.service import lock_for_record, record
from workflow.org.models import User
from workflow.platform.errors import Conflict, InvalidInput
from workflow.platform.vocab import HELD_BY_DEPARTMENT


def add_progress(session: Session, case_id: int, actor: User, *, text, percent=None,
                 count=None, evidence_ids=None, now: datetime | None = None) -> AuditEvent:
    """A user of the responsible (or co-responsible) department reports progress."""
    if not isinstance(text, str) or not text.strip():
        raise InvalidInput("须填写进展情况（text）", field="text")
    if len(text) > 5000:
        raise InvalidInput("进展情况过长（最多 5000 字）", field="text")
    if percent is not None and (isinstance(percent, bool) or not isinstance(percent, int)
                                or not 0 <= percent <= 100):
        raise InvalidInput("完成比例（percent）须为 0–100 的整数", field="percent")
    if count is not None and (isinstance(count, bool) or not isinstance(count, int)
                              or not 0 <= count <= 9999):
        raise InvalidInput("已开展次数（count）须为 0–9999 的整数", field="count")
    if evidence_ids is not None and (not isinstance(evidence_ids, list) or any(
            isinstance(i, bool) or not isinstance(i, int) for i in evidence_ids)):
        raise InvalidInput("evidence_ids 须为佐证材料编号的列表", field="evidence_ids")
    case = lock_for_record(session, case_id, actor)
    if refusal := policy.department_member_refusal(case, actor, allow_co=True):
        raise refusal
    if case.status not in HELD_BY_DEPARTMENT:
        raise Conflict(f"事项 {case.display_number} 当前状态“{case.status_label}”不能报告进展",
                       current_version=case.version, status=case.status)
    payload: dict = {"percent": percent}
    if count is not None:
        payload["count"] = count
    if evidence_ids:
        ids = list(dict.fromkeys(evidence_ids))
        files = {e.id: e for e in session.scalars(select(Evidence).where(
            Evidence.id.in_(ids), Evidence.case_id == case.id))}
        if missing := [i for i in ids if i not in files]:
            raise InvalidInput(f"佐证材料 {', '.join(map(str, missing))} 不属于本事项",
                               field="evidence_ids")
        payload["evidence"] = [{"id": i, "sha256": files[i].sha256} for i in ids]
    event = record(session, case, actor, "progress", comment=text.strip(),
                   payload=payload, now=now)
    session.flush()
    return event


def progress_of(session: Session, case: Case) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).where(
        AuditEvent.case_id == case.id, AuditEvent.action == "progress").order_by(AuditEvent.seq)))

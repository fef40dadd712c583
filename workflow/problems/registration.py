"""Recording problems: drafts by inspectors, departments or the office."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from workflow.core import policy
from workflow.core.cases import Case
from workflow.core.service import lock_for_record, record
from workflow.core.workdays import calendar_for
from workflow.enterprises.register import link_fields
from workflow.org.models import Department, User
from workflow.platform.base import local_today, utcnow
from workflow.platform.errors import Conflict
from workflow.platform.masking import mask_contact, mask_name
from workflow.problems.fields import clean_problem_fields


def create_problem(session: Session, actor: User, raw: dict, *,
                   now: datetime | None = None, backfill: bool = False,
                   long_term: bool = False) -> Case:
    """Record a problem case in ``draft`` (待挂号) and start its audit chain.

    ``backfill`` (补录): a deadline already past is kept; ``long_term`` (长期坚持): the case
    may have no deadline and reports periodically instead.
    """
    if refusal := policy.registration_refusal(actor):
        raise refusal
    now = now or utcnow()
    fields = clean_problem_fields(session, raw, today=local_today(now),
                                  calendar=calendar_for(session), backfill=backfill,
                                  long_term=long_term)
    co_ids = fields.pop("co_department_ids", [])
    fields, proposal = link_fields(session, fields)
    case = Case(kind="problem", status="draft", created_by_id=actor.id, created_at=now,
                long_term=long_term, **fields)
    case.co_departments = [session.get(Department, i) for i in co_ids]
    session.add(case)
    session.flush()
    payload = _payload(fields, co_ids)
    if backfill or long_term:
        payload.update({k: True for k, on in (("backfill", backfill), ("long_term", long_term)) if on})
    record(session, case, actor, "create", payload=payload, now=now)
    session.flush()
    # not stored: the API hands it back so the caller can register the enterprise
    case.enterprise_proposal = proposal
    return case


def update_draft(session: Session, case_id: int, actor: User, raw: dict, *,
                 now: datetime | None = None) -> Case:
    """Complete or correct a draft before 挂号 (the office, or its author)."""
    case = lock_for_record(session, case_id, actor)
    if refusal := policy.draft_editor_refusal(case, actor):
        raise refusal
    if case.status != "draft":
        raise Conflict("已挂号的事项不能再修改登记信息", current_version=case.version,
                       status=case.status)
    now = now or utcnow()
    fields = clean_problem_fields(session, raw, today=local_today(now), partial=True,
                                  calendar=calendar_for(session))
    co_ids = fields.pop("co_department_ids", None)
    if fields.get("credit_code") or fields.get("enterprise_id"):
        merged = {k: getattr(case, k) for k in ("responsible_unit", "industry",
                                                 "territorial_unit_id", "location")}
        linked, case.enterprise_proposal = link_fields(session, {**merged, **fields})
        fields.update({k: v for k, v in linked.items() if k not in merged or not merged[k]
                       or k in fields})
    for key, value in fields.items():
        setattr(case, key, value)
    if co_ids is not None:
        case.co_departments = [session.get(Department, i) for i in co_ids]
    record(session, case, actor, "update", payload=_payload(fields, co_ids or []), now=now)
    session.flush()
    return case


def _payload(fields: dict, co_ids) -> dict:
    out = {k: (v.isoformat() if hasattr(v, "isoformat") else str(v) if v is not None and
               not isinstance(v, (int, bool, str)) else v) for k, v in fields.items()}
    # every reader of the case reads its chain: the reporter is kept there masked only
    for key, mask in (("reporter_name", mask_name), ("reporter_contact", mask_contact)):
        if key in out:
            out[key] = mask(out[key])
    if co_ids:
        out["co_department_ids"] = list(co_ids)
    return out

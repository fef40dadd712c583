"""The register of 生产经营单位: create, find, list, and the enterprise document.

The enterprise document gathers what the cases say of one enterprise: its cases by
status, counts by year, repeat findings (the same 隐患类别 found again within 12 months
of an earlier finding), and its current 挂牌督办 and 重大 items. A department user reads
the register and, in each document, only the cases it may see.
"""
from __future__ import annotations

import re
from collections import Counter, defaultdict
from datetime import date, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from workflow.core import policy
from workflow.core.cases import Case, unit_tree_ids, visible_cases_filter
from workflow.enterprises import credit_code
from workflow.enterprises.models import Enterprise
from workflow.org.models import Department, User
from workflow.platform.errors import Conflict, FieldRuleFailed, InvalidInput, NotFound, refuse_unknown
from workflow.platform.parsing import parse_id
from workflow.platform.vocab import HAZARD_CATEGORIES, OPEN_STATUSES, STATUS_LABELS

TEXT_LIMITS = {"name": 200, "industry": 60, "address": 200, "legal_representative": 60,
               "safety_contact": 60, "safety_phone": 40}
FIELD_LABELS = {"name": "单位名称", "credit_code": "统一社会信用代码", "industry": "行业类别",
                "unit_id": "属地单位", "address": "地址", "legal_representative": "法定代表人",
                "safety_contact": "安全管理联系人", "safety_phone": "联系电话",
                "above_scale": "规模以上", "key_supervision": "重点监管"}
REPEAT_WINDOW = timedelta(days=365)  # “within 12 months”


def credit_code_refusal(raw) -> FieldRuleFailed | None:
    if credit_code.is_valid(credit_code.normalise(raw)):
        return None
    return FieldRuleFailed(["credit_code_invalid"], "credit_code")


def clean_enterprise(session: Session, raw: dict, *, partial: bool = False) -> dict:
    """Check the fields of an enterprise; InvalidInput (400) or 422 credit_code_invalid."""
    if not isinstance(raw, dict):
        raise InvalidInput("请求体须为 JSON 对象", field=None)
    refuse_unknown(raw, set(FIELD_LABELS))
    out: dict = {}
    for name in ("name", "credit_code"):
        if name in raw and (raw[name] is None or (isinstance(raw[name], str)
                                                  and not raw[name].strip())):
            raise InvalidInput(f"{FIELD_LABELS[name]}不能为空", field=name)
    if not partial:
        for name in ("name", "credit_code"):
            if raw.get(name) in (None, "") or (isinstance(raw.get(name), str)
                                               and not raw[name].strip()):
                raise InvalidInput(f"{FIELD_LABELS[name]}为必填项", field=name)
    for name, limit in TEXT_LIMITS.items():
        if raw.get(name) is None:
            continue
        if not isinstance(raw[name], str):
            raise InvalidInput(f"{FIELD_LABELS[name]}须为文本", field=name)
        value = re.sub(r"\s+", " ", raw[name]).strip()
        if len(value) > limit:
            raise InvalidInput(f"{FIELD_LABELS[name]}过长（最多 {limit} 字）", field=name)
        out[name] = value or None
    if raw.get("credit_code") not in (None, ""):
        if not isinstance(raw["credit_code"], str):
            raise InvalidInput("统一社会信用代码须为文本", field="credit_code")
        if refusal := credit_code_refusal(raw["credit_code"]):
            raise refusal
        out["credit_code"] = credit_code.normalise(raw["credit_code"])
    if raw.get("unit_id") not in (None, ""):
        unit_id = parse_id(raw["unit_id"], "unit_id", FIELD_LABELS["unit_id"])
        unit = session.get(Department, unit_id)
        if unit is None or not unit.active:
            raise InvalidInput(f"属地单位 {unit_id} 不存在", field="unit_id")
        out["unit_id"] = unit_id
    for name in ("above_scale", "key_supervision"):
        if raw.get(name) is not None:
            if not isinstance(raw[name], bool):
                raise InvalidInput(f"{FIELD_LABELS[name]}须为 true 或 false", field=name)
            out[name] = raw[name]
    return out


def by_code(session: Session, code: str | None) -> Enterprise | None:
    code = credit_code.normalise(code)
    if not code:
        return None
    return session.scalar(select(Enterprise).where(Enterprise.credit_code == code))


def create_enterprise(session: Session, actor: User, raw: dict) -> Enterprise:
    if refusal := policy.enterprise_refusal(actor):
        raise refusal
    fields = clean_enterprise(session, raw)
    _refuse_taken(session, fields["credit_code"])
    ent = Enterprise(**fields)
    session.add(ent)
    session.flush()
    return ent


def update_enterprise(session: Session, actor: User, enterprise_id: int, raw: dict) -> Enterprise:
    if refusal := policy.enterprise_refusal(actor):
        raise refusal
    ent = get_enterprise(session, enterprise_id, actor)
    fields = clean_enterprise(session, raw, partial=True)
    if "credit_code" in fields and fields["credit_code"] != ent.credit_code:
        _refuse_taken(session, fields["credit_code"])
    for key, value in fields.items():
        if key in ("name", "credit_code") and not value:
            raise InvalidInput(f"{FIELD_LABELS[key]}为必填项", field=key)
        setattr(ent, key, value)
    session.flush()
    return ent


def _refuse_taken(session: Session, code: str) -> None:
    if (other := by_code(session, code)) is not None:
        raise Conflict(f"统一社会信用代码 {code} 已登记为“{other.name}”", rules=["credit_code_taken"],
                       field="credit_code", enterprise_id=other.id)


def get_enterprise(session: Session, enterprise_id: int, user: User) -> Enterprise:
    if refusal := policy.enterprise_reader_refusal(user):
        raise refusal
    ent = session.get(Enterprise, enterprise_id)
    if ent is None:
        raise NotFound(f"生产经营单位 {enterprise_id} 不存在")
    return ent


def search(session: Session, user: User, *, q: str | None = None, town_id: int | None = None,
           industry: str | None = None, credit: str | None = None,
           limit: int = 100) -> list[Enterprise]:
    """The register filtered by name/code text, 属地 (a town includes its villages and grids)
    and industry."""
    if refusal := policy.enterprise_reader_refusal(user):
        raise refusal
    stmt = select(Enterprise)
    if q:
        like = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        stmt = stmt.where(or_(Enterprise.name.like(like, escape="\\"),
                              Enterprise.credit_code.like(like.upper(), escape="\\"),
                              Enterprise.address.like(like, escape="\\")))
    if town_id is not None:
        stmt = stmt.where(Enterprise.unit_id.in_(unit_tree_ids(town_id, "town_units")))
    if industry:
        stmt = stmt.where(Enterprise.industry == industry)
    if credit:
        stmt = stmt.where(Enterprise.credit_code == credit_code.normalise(credit))
    return list(session.scalars(stmt.order_by(Enterprise.name, Enterprise.id).limit(limit)))


def proposal_for(fields: dict) -> dict | None:
    """What a case names of its enterprise, as the body of ``POST /enterprises``, when the
    credit code is valid and not yet registered (the caller checked the latter)."""
    code = fields.get("credit_code")
    if not code or not credit_code.is_valid(code):
        return None
    return {"name": fields.get("responsible_unit"), "credit_code": code,
            "industry": fields.get("industry"), "unit_id": fields.get("territorial_unit_id"),
            "address": fields.get("location")}


def link_fields(session: Session, fields: dict) -> tuple[dict, dict | None]:
    """Registering by credit code finds the enterprise (and fills the case's name, code,
    industry and 属地 from the register where left empty), or proposes one."""
    ent = None
    if fields.get("enterprise_id"):
        ent = session.get(Enterprise, fields["enterprise_id"])
    elif fields.get("credit_code"):
        ent = by_code(session, fields["credit_code"])
    if ent is None:
        return fields, proposal_for(fields)
    out = dict(fields)
    out["enterprise_id"] = ent.id
    if out.get("credit_code") and out["credit_code"] != ent.credit_code:
        raise InvalidInput("统一社会信用代码与所选生产经营单位不符", field="credit_code")
    out["credit_code"] = ent.credit_code
    for key, value in (("responsible_unit", ent.name), ("industry", ent.industry),
                       ("territorial_unit_id", ent.unit_id), ("location", ent.address)):
        if not out.get(key) and value:
            out[key] = value
    return out, None


def _found(case: Case) -> date:
    return case.found_on or (case.registered_at or case.created_at).date()


def repeat_findings(cases: list[Case]) -> list[dict]:
    """Each case whose 隐患类别 had already been found at the enterprise within 12 months."""
    by_cat: dict[str, list[Case]] = defaultdict(list)
    for c in cases:
        if c.hazard_category and c.parent_case_id is None and c.status != "cancelled":
            by_cat[c.hazard_category].append(c)
    out = []
    for cat, rows in by_cat.items():
        rows.sort(key=lambda c: (_found(c), c.id))
        for before, after in zip(rows, rows[1:]):
            if _found(after) - _found(before) <= REPEAT_WINDOW:
                out.append({"hazard_category": cat, "hazard_category_label": HAZARD_CATEGORIES[cat],
                            "case_id": after.id, "number": after.number, "title": after.title,
                            "found_on": _found(after).isoformat(),
                            "previous_case_id": before.id, "previous_number": before.number,
                            "previous_found_on": _found(before).isoformat(),
                            "days_apart": (_found(after) - _found(before)).days})
    out.sort(key=lambda r: (r["found_on"], r["case_id"]))
    return out


def _brief(c: Case) -> dict:
    return {"id": c.id, "number": c.number, "title": c.title, "status": c.status,
            "status_label": c.status_label, "grade": c.grade, "listed": c.listed,
            "hazard_category": c.hazard_category,
            "hazard_category_label": HAZARD_CATEGORIES.get(c.hazard_category),
            "found_on": _found(c).isoformat(), "deadline": c.deadline.isoformat()
            if c.deadline else None, "department": c.department.name if c.department else None,
            "territorial_unit": c.territorial_unit.name if c.territorial_unit else None,
            "parent_case_id": c.parent_case_id}


def enterprise_document(session: Session, enterprise_id: int, user: User) -> dict:
    """The enterprise and what its (visible) cases say of it."""
    ent = get_enterprise(session, enterprise_id, user)
    stmt = select(Case).where(Case.enterprise_id == ent.id, Case.kind == "problem")
    if (scope := visible_cases_filter(user)) is not None:
        stmt = stmt.where(scope)
    cases = list(session.scalars(stmt.order_by(Case.id)))
    top = [c for c in cases if c.parent_case_id is None]  # a delegated child is the same matter
    by_status = {s: [_brief(c) for c in top if c.status == s] for s in STATUS_LABELS}
    years = Counter(_found(c).year for c in top if c.status != "cancelled")
    return {**ent.to_dict(),
            "cases": {"total": len(top),
                      "by_status": {s: {"label": STATUS_LABELS[s], "count": len(rows),
                                        "items": rows} for s, rows in by_status.items() if rows}},
            "counts_by_year": [{"year": y, "count": n} for y, n in sorted(years.items())],
            "repeat_findings": repeat_findings(top),
            "listed_items": [_brief(c) for c in top if c.listed and c.status in OPEN_STATUSES],
            "major_items": [_brief(c) for c in top if c.grade == "major"
                            and c.status in OPEN_STATUSES]}

"""Validation of the fields users fill in when they record a problem (brief §5)."""
from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation

from sqlalchemy.orm import Session

from workflow.enterprises import credit_code
from workflow.enterprises.models import Enterprise
from workflow.org.models import Department
from workflow.platform.errors import FieldRuleFailed, InvalidInput, refuse_unknown
from workflow.platform.parsing import field_label, parse_date, parse_id
from workflow.platform.vocab import (
    CLUE_TYPES,
    GRADELESS_CLUES,
    GRADES,
    HAZARD_CATEGORIES,
    RECTIFICATION_TYPES,
    SHUTDOWN,
    SOURCES,
    normalise_key,
)

TEXT_LIMITS = {
    "title": 200, "description": 5000, "found_by": 100, "industry": 60, "town": 60,
    "responsible_unit": 200, "location": 200, "basis": 2000, "measures_required": 5000,
    "responsible_person": 60, "responsible_phone": 40, "original_number": 60,
    "reporter_name": 60, "reporter_contact": 100,
    # the full 台账
    "interim_measures": 2000, "acceptance_by": 100, "acceptance_method": 60,
    "supervisor_name": 60,
}
FIELD_LABELS = {
    "title": "标题", "description": "问题描述", "source": "问题来源", "grade": "隐患等级",
    "department_id": "责任单位", "deadline": "整改期限",
    "deadline_working_days": "整改期限（工作日）", "found_on": "发现时间",
    "found_by": "发现人/检查组", "industry": "所属行业领域", "town": "属地",
    "responsible_unit": "责任主体", "credit_code": "统一社会信用代码", "location": "地点",
    "basis": "判定依据", "measures_required": "整改措施/要求", "responsible_person": "整改责任人",
    "responsible_phone": "联系电话", "funds": "整改资金（万元）", "suspended": "是否停产",
    "shutdown": "停产停业情况",
    "original_number": "原编号", "co_department_ids": "配合部门",
    "reporter_name": "举报人", "reporter_contact": "举报人联系方式",
    # the full 台账 (issue 13): API names → 台账 headers
    "clue_type": "线索类别", "hazard_category": "隐患类别", "rectification_type": "整改类型",
    "interim_measures": "临时管控措施", "completed_on": "实际完成日期",
    "actual_funds": "实际投入资金（万元）", "acceptance_by": "验收人", "acceptance_method": "验收方式",
    "acceptance_on": "验收日期", "supervisor_name": "监管责任人",
    "territorial_unit_id": "属地单位", "enterprise_id": "生产经营单位",
}
CHOICE_FIELDS = {"clue_type": CLUE_TYPES, "hazard_category": HAZARD_CATEGORIES,
                 "rectification_type": RECTIFICATION_TYPES}
TERRITORIAL_KINDS = ("town", "village", "grid")
REPORTER_FIELDS = ("reporter_name", "reporter_contact")
MAX_CO_DEPARTMENTS = 50
REQUIRED = ("title", "description", "source", "department_id")  # grade: see clue_type
CREDIT_CODE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$")
# what the API accepts before strip() and upper() (documented in OpenAPI)
_C = "0-9A-HJ-NPQRTUWXYa-hj-npqrtuwxy"
CREDIT_CODE_PATTERN = rf"^\s*[{_C}]{{2}}[0-9]{{6}}[{_C}]{{10}}\s*$"


def _money(value, name: str) -> Decimal:
    if isinstance(value, bool):
        raise InvalidInput(f"{_label(name)}须为数字", field=name)
    try:
        money = Decimal(str(value))
    except InvalidOperation:
        raise InvalidInput(f"{_label(name)}须为数字", field=name) from None
    if not money.is_finite() or money < 0 or money > Decimal("999999999999"):
        raise InvalidInput(f"{_label(name)}不能为负数或过大", field=name)
    return money.quantize(Decimal("0.01"))


def _label(field: str) -> str:
    return field_label(field, FIELD_LABELS.get(field))


def clean_problem_fields(session: Session, raw: dict, *, today: date, partial: bool = False,
                         calendar=None, backfill: bool = False, long_term: bool = False) -> dict:
    """Check user input for a problem case; return clean values or raise InvalidInput.

    ``backfill`` (补录) accepts a deadline already past; ``long_term`` (长期坚持) needs none.
    """
    if not isinstance(raw, dict):
        raise InvalidInput("请求体须为 JSON 对象", field=None)
    refuse_unknown(raw, set(FIELD_LABELS))
    out: dict = {}
    if not partial:
        for field in REQUIRED:
            if raw.get(field) in (None, ""):
                raise InvalidInput(f"{_label(field)}为必填项", field=field)
        # 问题线索 and 事故线索 need no 一般/重大 grade; a hazard (or an unnamed clue) does
        if raw.get("grade") in (None, "") and normalise_key(raw.get("clue_type"),
                                                            CLUE_TYPES) not in GRADELESS_CLUES:
            raise InvalidInput(f"{_label('grade')}为必填项（问题线索、事故线索可不填）", field="grade")
        if (raw.get("deadline") in (None, "") and raw.get("deadline_working_days") in (None, "")
                and not long_term):
            raise InvalidInput("须填写整改期限（deadline）或工作日数（deadline_working_days）",
                               field="deadline")
    for field, limit in TEXT_LIMITS.items():
        if field in raw and raw[field] is not None:
            if not isinstance(raw[field], str):
                raise InvalidInput(f"{_label(field)}须为文本", field=field)
            value = raw[field].strip()
            if len(value) > limit:
                raise InvalidInput(f"{_label(field)}过长（最多 {limit} 字）", field=field)
            if field in ("title", "description") and not value:
                raise InvalidInput(f"{_label(field)}为必填项", field=field)
            out[field] = value or None
    if "source" in raw:
        key = normalise_key(raw["source"], {k: v for k, v in SOURCES.items() if k != "task_list"})
        if key is None:
            names = "、".join(v[0] for k, v in SOURCES.items() if k != "task_list")
            raise InvalidInput(f"未知的问题来源“{raw['source']}”；可选：{names}", field="source")
        out["source"] = key
    if out.get("source") not in (None, "complaint") and any(out.get(f) for f in REPORTER_FIELDS):
        field = next(f for f in REPORTER_FIELDS if out.get(f))
        raise InvalidInput(f"{_label(field)}只适用于“监督举报”来源的问题", field=field)
    if raw.get("grade") not in (None, ""):  # empty: no grade (问题线索, 事故线索)
        key = normalise_key(raw["grade"], GRADES)
        if key is None:
            raise InvalidInput(f"未知的隐患等级“{raw['grade']}”；可选：一般、重大", field="grade")
        out["grade"] = key
    if "department_id" in raw:
        dept_id = parse_id(raw["department_id"], "department_id", FIELD_LABELS["department_id"])
        dept = session.get(Department, dept_id)
        if dept is None or not dept.active:
            raise InvalidInput(f"责任单位 {dept_id} 不存在", field="department_id")
        out["department_id"] = dept_id
    if "co_department_ids" in raw and raw["co_department_ids"] is not None:
        if not isinstance(raw["co_department_ids"], list):
            raise InvalidInput(f"{_label('co_department_ids')}须为编号列表", field="co_department_ids")
        if len(raw["co_department_ids"]) > MAX_CO_DEPARTMENTS:
            raise InvalidInput(f"{_label('co_department_ids')}最多 {MAX_CO_DEPARTMENTS} 个",
                               field="co_department_ids")
        label = FIELD_LABELS["co_department_ids"]
        ids = [parse_id(v, "co_department_ids", label) for v in raw["co_department_ids"]]
        for dept_id in ids:
            if session.get(Department, dept_id) is None:
                raise InvalidInput(f"配合部门 {dept_id} 不存在", field="co_department_ids")
        out["co_department_ids"] = list(dict.fromkeys(ids))
    if raw.get("found_on") not in (None, ""):
        found = parse_date(raw["found_on"], "found_on", FIELD_LABELS["found_on"])
        if found > today:
            raise InvalidInput("发现时间不能晚于今天", field="found_on")
        out["found_on"] = found
    if raw.get("deadline_working_days") not in (None, ""):
        days = raw["deadline_working_days"]
        if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 366:
            raise InvalidInput(f"{_label('deadline_working_days')}须为 1–366 的整数",
                               field="deadline_working_days")
        if raw.get("deadline") not in (None, ""):
            raise InvalidInput("整改期限与工作日数只能填一项", field="deadline")
        out["deadline_working_days"] = days
        if calendar is not None:
            out["deadline"] = calendar.add_working_days(today, days)
    elif raw.get("deadline") not in (None, ""):
        deadline = parse_date(raw["deadline"], "deadline", FIELD_LABELS["deadline"])
        if deadline < today and not backfill:
            raise InvalidInput(f"整改期限 {deadline.isoformat()} 早于登记日期 {today.isoformat()}"
                               "（已过期限的历史问题请标记“补录”）", field="deadline")
        out["deadline"] = deadline
    if raw.get("credit_code") not in (None, ""):
        code = str(raw["credit_code"]).strip().upper()
        if not CREDIT_CODE.match(code):
            raise InvalidInput("统一社会信用代码应为 18 位（数字或大写字母）", field="credit_code")
        if not credit_code.is_valid(code):
            raise FieldRuleFailed(["credit_code_invalid"], "credit_code")
        out["credit_code"] = code
    for name in ("funds", "actual_funds"):
        if raw.get(name) not in (None, ""):
            out[name] = _money(raw[name], name)
    for name, table in CHOICE_FIELDS.items():
        if raw.get(name) not in (None, ""):
            key = normalise_key(raw[name], table)
            if key is None:
                choices = "、".join(f"{k}（{v}）" for k, v in table.items())
                raise InvalidInput(f"{_label(name)}须为：{choices}", field=name)
            out[name] = key
    for name in ("completed_on", "acceptance_on"):
        if raw.get(name) not in (None, ""):
            day = parse_date(raw[name], name, FIELD_LABELS[name])
            if day > today:
                raise InvalidInput(f"{_label(name)}不能晚于今天", field=name)
            out[name] = day
    if raw.get("territorial_unit_id") not in (None, ""):
        unit_id = parse_id(raw["territorial_unit_id"], "territorial_unit_id",
                           FIELD_LABELS["territorial_unit_id"])
        unit = session.get(Department, unit_id)
        if unit is None or not unit.active or unit.kind not in TERRITORIAL_KINDS:
            raise InvalidInput(f"属地单位 {unit_id} 不存在或不是镇（街道）、村（社区）、网格",
                               field="territorial_unit_id")
        out["territorial_unit_id"] = unit_id
    if raw.get("enterprise_id") not in (None, ""):
        ent_id = parse_id(raw["enterprise_id"], "enterprise_id", FIELD_LABELS["enterprise_id"])
        if session.get(Enterprise, ent_id) is None:
            raise InvalidInput(f"生产经营单位 {ent_id} 不存在", field="enterprise_id")
        out["enterprise_id"] = ent_id
    if "suspended" in raw and raw["suspended"] is not None:
        if not isinstance(raw["suspended"], bool):
            raise InvalidInput(f"{_label('suspended')}须为 true 或 false", field="suspended")
        out["suspended"] = raw["suspended"]
        out["shutdown"] = "full" if raw["suspended"] else "none"
    if raw.get("shutdown") not in (None, ""):
        key = normalise_key(raw["shutdown"], SHUTDOWN)
        if key is None:
            raise InvalidInput("停产停业情况须为 none（无）、partial（局部停产停业）或 full（全部停产停业）",
                               field="shutdown")
        if "suspended" in out and out["suspended"] != (key != "none"):
            raise InvalidInput("是否停产与停产停业情况不一致", field="shutdown")
        out["shutdown"], out["suspended"] = key, key != "none"
    return out

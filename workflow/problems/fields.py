"""Validation of the fields users fill in when they record a problem (brief §5)."""
from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation

from sqlalchemy.orm import Session

from workflow.org.models import Department
from workflow.platform.errors import InvalidInput, refuse_unknown
from workflow.platform.parsing import field_label, parse_date, parse_id
from workflow.platform.vocab import GRADES, SHUTDOWN, SOURCES, normalise_key

TEXT_LIMITS = {
    "title": 200, "description": 5000, "found_by": 100, "industry": 60, "town": 60,
    "responsible_unit": 200, "location": 200, "basis": 2000, "measures_required": 5000,
    "responsible_person": 60, "responsible_phone": 40, "original_number": 60,
    "reporter_name": 60, "reporter_contact": 100,
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
}
REPORTER_FIELDS = ("reporter_name", "reporter_contact")
MAX_CO_DEPARTMENTS = 50
REQUIRED = ("title", "description", "source", "grade", "department_id")
CREDIT_CODE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$")
# what the API accepts before strip() and upper() (documented in OpenAPI)
_C = "0-9A-HJ-NPQRTUWXYa-hj-npqrtuwxy"
CREDIT_CODE_PATTERN = rf"^\s*[{_C}]{{2}}[0-9]{{6}}[{_C}]{{10}}\s*$"


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
    if "grade" in raw:
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
        out["credit_code"] = code
    if raw.get("funds") not in (None, ""):
        value = raw["funds"]
        if isinstance(value, bool):
            raise InvalidInput(f"{_label('funds')}须为数字", field="funds")
        try:
            funds = Decimal(str(value))
        except InvalidOperation:
            raise InvalidInput(f"{_label('funds')}须为数字", field="funds") from None
        if not funds.is_finite() or funds < 0 or funds > Decimal("999999999999"):
            raise InvalidInput(f"{_label('funds')}不能为负数或过大", field="funds")
        out["funds"] = funds.quantize(Decimal("0.01"))
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

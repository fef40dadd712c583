"""Parsing of user input shared by every domain: dates and record ids.

Each refusal is an ``InvalidInput`` naming the field, with the Chinese name the
user reads first and the field name after it, e.g. “核查日期（visited_on）”.
A domain passes its own label where the field is one of its columns.
"""
from __future__ import annotations

from datetime import date

from workflow.platform.errors import InvalidInput

MAX_ID = 2**31 - 1  # larger ids cannot exist in a 32-bit integer column

# Names of the fields that several domains parse (a caller's ``label`` wins)
FIELD_NAMES = {
    "day": "日期", "from": "起始日期", "to": "截止日期", "start": "开始日期",
    "new_deadline": "新的整改期限", "occurred_on": "完成日期", "visited_on": "核查日期",
    "department_id": "部门", "suggested_department_id": "建议责任部门",
    "co_department_ids": "配合部门", "evidence_ids": "佐证材料", "target_count": "目标次数",
    "target_period": "目标周期", "groups": "分组", "members": "成员",
}


def field_label(field: str, label: str | None = None) -> str:
    return f"{label or FIELD_NAMES.get(field, field)}（{field}）"


def parse_date(value, field: str, label: str | None = None) -> date:
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        raise InvalidInput(f"{field_label(field, label)}须为日期 YYYY-MM-DD", field=field)
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(f"{field_label(field, label)}“{value[:20]}”不是有效日期（YYYY-MM-DD）",
                           field=field) from None


def parse_id(value, field: str, label: str | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value.strip())
        else:
            raise InvalidInput(f"{field_label(field, label)}须为整数编号", field=field)
    if not 1 <= value <= MAX_ID:
        raise InvalidInput(f"{field_label(field, label)}超出范围", field=field)
    return value

"""Keyset pagination of case lists by any sortable column.

OFFSET pages get slower the deeper they go (the database counts every skipped
row); a keyset cursor — the sort value and id of the last row shown — seeks
straight to the next page, however deep. NULL sort values (drafts have no
number or deadline) come last in both directions.
"""
from __future__ import annotations

import base64
import json
from datetime import date

from sqlalchemy import and_, or_
from sqlalchemy.orm import Session

from workflow.core.cases import Case
from workflow.platform.errors import InvalidInput

# sort key → (column, Chinese header, type of the cursor value)
SORTS = {
    "registered": (Case.id, "登记顺序", int),
    "number": (Case.number, "编号", str),
    "title": (Case.title, "标题", str),
    "status": (Case.status, "状态", str),
    "deadline": (Case.deadline, "整改期限", date),
}
DEFAULT_SORT = "-registered"


def parse_sort(raw: str | None) -> tuple[str, bool]:
    """``deadline`` → ascending, ``-deadline`` → descending."""
    raw = (raw or DEFAULT_SORT).strip()
    descending = raw.startswith("-")
    key = raw.lstrip("-")
    if key not in SORTS:
        raise InvalidInput(f"排序字段须为：{', '.join(SORTS)}", field="sort")
    return key, descending


def encode_cursor(sort: str, descending: bool, value, case_id: int) -> str:
    if isinstance(value, date):
        value = value.isoformat()
    raw = json.dumps({"s": sort, "d": descending, "v": value, "id": case_id}, ensure_ascii=False)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(raw: str, sort: str, descending: bool):
    """Return (value, id) of a cursor made for this sort, or raise InvalidInput."""
    bad = InvalidInput("翻页参数无效，请从第一页重新浏览", field="after")
    try:
        data = json.loads(base64.urlsafe_b64decode((raw + "=" * (-len(raw) % 4)).encode()))
        value, case_id = data["v"], data["id"]
    except (ValueError, KeyError, TypeError, UnicodeDecodeError):
        raise bad from None
    if data.get("s") != sort or data.get("d") != descending:
        raise bad
    if isinstance(case_id, bool) or not isinstance(case_id, int) or case_id < 0:
        raise bad
    kind = SORTS[sort][2]
    if value is not None:
        try:
            if kind is date:
                value = date.fromisoformat(value)
            elif kind is int:
                if isinstance(value, bool) or not isinstance(value, int):
                    raise ValueError
            elif not isinstance(value, str):
                raise ValueError
        except (TypeError, ValueError):
            raise bad from None
    return value, case_id


def page(session: Session, stmt, *, sort: str, descending: bool, after: str | None,
         limit: int) -> tuple[list[Case], str | None]:
    """One page of ``stmt`` (a ``select(Case)``) and the cursor of the next page, if any."""
    column = SORTS[sort][0]
    if after:
        value, last_id = decode_cursor(after, sort, descending)
        beyond = (column < value) if descending else (column > value)
        id_beyond = (Case.id < last_id) if descending else (Case.id > last_id)
        if column is Case.id:
            stmt = stmt.where(id_beyond)
        elif value is None:
            stmt = stmt.where(column.is_(None), id_beyond)
        else:
            stmt = stmt.where(or_(column.is_(None), beyond, and_(column == value, id_beyond)))
    order_col = column.desc() if descending else column.asc()
    order_id = Case.id.desc() if descending else Case.id.asc()
    if column is Case.id:
        stmt = stmt.order_by(order_id)
    else:
        stmt = stmt.order_by(order_col.nulls_last(), order_id)
    rows = session.scalars(stmt.limit(limit + 1)).all()
    items = rows[:limit]
    next_cursor = None
    if len(rows) > limit:
        last = items[-1]
        next_cursor = encode_cursor(sort, descending, getattr(last, column.key), last.id)
    return items, next_cursor

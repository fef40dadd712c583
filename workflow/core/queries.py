"""Case lists: the filtered, visibility-scoped case query and its keyset pages.

``filtered_cases`` turns the list filters (kind, status, department, …) into a
``select(Case)`` limited to what the user may see; the API list, the 台账
exports and the case list page all start from it.

Two cursor formats, both kept as clients already hold them:

- the case list page sorts by any column (``SORTS``); its cursor carries the
  sort, the sort value and the id of the last row (``encode_cursor``, refused
  with field ``after``);
- ``GET /api/v1/cases`` pages newest first by id only; its cursor carries the id
  (``encode_id_cursor``, refused with field ``cursor``).

OFFSET pages get slower the deeper they go (the database counts every skipped
row); a keyset cursor — the sort value and id of the last row shown — seeks
straight to the next page, however deep. NULL sort values (drafts have no
number or deadline) come last in both directions.
"""
from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping
from datetime import date, datetime

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.orm import Session

from workflow.core.cases import Case, unit_tree_ids, visible_cases_filter
from workflow.platform.errors import InvalidInput
from workflow.platform.vocab import GRADES, KINDS, SOURCES, STATUSES

# sort key → (column, Chinese header, type of the cursor value)
SORTS = {
    "registered": (Case.id, "登记顺序", int),
    "number": (Case.number, "编号", str),
    "title": (Case.title, "标题", str),
    "status": (Case.status, "状态", str),
    "deadline": (Case.deadline, "整改期限", date),
}
DEFAULT_SORT = "-registered"


def choice_arg(args: Mapping, name: str, choices) -> str | None:
    """One filter value out of ``choices``; empty or absent is no filter."""
    value = args.get(name)
    if value in (None, ""):
        return None
    if value not in choices:
        raise InvalidInput(f"{name} 须为：{', '.join(choices)}", field=name)
    return value


def int_arg(args: Mapping, name: str, lo: int, hi: int) -> int | None:
    """One integer filter value in ``lo``–``hi``; empty or absent is no filter."""
    value = args.get(name)
    if value in (None, ""):
        return None
    if not value.isdigit() or not lo <= int(value) <= hi:
        raise InvalidInput(f"{name} 须为 {lo}–{hi} 的整数", field=name)
    return int(value)


def year_clause(year: int):
    """The case's own year, not the record's: the year in its number (a task's plan year,
    a problem's registration year) — a problem found in another year counts in the year
    found; a draft without number or date counts in the year it was recorded."""
    in_year = lambda col: and_(col >= date(year, 1, 1), col < date(year + 1, 1, 1))  # noqa: E731
    return or_(
        and_(Case.found_on.is_not(None), in_year(Case.found_on)),
        and_(Case.found_on.is_(None), Case.number.like(f"%-{year}-%")),
        and_(Case.found_on.is_(None), Case.number.is_(None),
             Case.created_at >= datetime(year, 1, 1), Case.created_at < datetime(year + 1, 1, 1)),
    )


def filtered_cases(user, filters: Mapping) -> Select:
    """The cases ``user`` may see that match ``filters`` (string values, as typed in a query string)."""
    stmt = select(Case)
    scope = visible_cases_filter(user)
    if scope is not None:
        stmt = stmt.where(scope)
    if kind := choice_arg(filters, "kind", KINDS):
        stmt = stmt.where(Case.kind == kind)
    if status := choice_arg(filters, "status", STATUSES):
        stmt = stmt.where(Case.status == status)
    if source := choice_arg(filters, "source", SOURCES):
        stmt = stmt.where(Case.source == source)
    if grade := choice_arg(filters, "grade", GRADES):
        stmt = stmt.where(Case.grade == grade)
    if (dept := int_arg(filters, "department_id", 1, 2**31 - 1)) is not None:
        stmt = stmt.where(Case.department_id == dept)
    if (unit := int_arg(filters, "territorial_unit_id", 1, 2**31 - 1)) is not None:
        # 属地: the unit and every unit below it (a town's ledger includes its villages)
        stmt = stmt.where(Case.territorial_unit_id.in_(unit_tree_ids(unit, "filter_units")))
    if (enterprise := int_arg(filters, "enterprise_id", 1, 2**31 - 1)) is not None:
        stmt = stmt.where(Case.enterprise_id == enterprise)
    if (overdue := choice_arg(filters, "overdue", ("true", "false"))) is not None:
        stmt = stmt.where(Case.overdue.is_(overdue == "true"))
    if (year := int_arg(filters, "year", 2000, 2100)) is not None:
        stmt = stmt.where(year_clause(year))
    if q := (filters.get("q") or "").strip():
        if len(q) > 100:
            raise InvalidInput("搜索词过长（最多 100 字）", field="q")
        like = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        stmt = stmt.where(or_(Case.title.like(like, escape="\\"),
                              Case.number.like(like, escape="\\"),
                              Case.description.like(like, escape="\\"),
                              Case.responsible_unit.like(like, escape="\\")))
    return stmt


def encode_id_cursor(case_id: int) -> str:
    """The API list's cursor: the id of the last case shown (pages run newest first)."""
    return str(case_id)


CURSOR_PATTERN = r"^[0-9]{1,10}$"  # documented in OpenAPI; the decoder reads older cursors too


def decode_id_cursor(raw: str) -> int:
    """The id inside an API list cursor, or InvalidInput on field ``cursor``.

    A cursor is the decimal id; cursors handed out before (base64 of ``{"id": n}``) still read."""
    if re.fullmatch(CURSOR_PATTERN, raw):
        return int(raw)
    try:
        padded = raw + "=" * (-len(raw) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))["id"]
        if not isinstance(value, int) or value < 0:
            raise ValueError
        return value
    except (ValueError, KeyError, TypeError, json.JSONDecodeError, UnicodeDecodeError):
        raise InvalidInput("cursor 无效，请使用上一页返回的 next_cursor", field="cursor") from None


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

"""Import problem lists from Excel (督导组反馈问题清单, inspection lists, exported 台账).

Header names are matched through a synonyms table (reading the sheet, its header
and its cells is ``excel_sheet``'s part); each row becomes the input of
``registration.create_problem`` and is checked by ``caseform.clean_problem_fields``
field by field, so the validation rules stay in one place and every bad cell is
named (row number as Excel shows it, column letter and header). By default the
import is all-or-nothing: one bad row and nothing is written.

Decisions: a formula cell is refused (the cached value may be stale or missing
in files saved by other tools); merged cells carry their top-left value into
every cell they cover; fully empty rows are skipped; a 责任单位 cell naming
several units (、，, / or new lines) makes the first the lead and the others 配合.
整改时限 cells are read by ``deadlines.parse_deadline`` (dates, “12月底前”, “2020年底前”,
“立行立改”, “长期坚持” …); a deadline already past is refused unless the import, the batch
or the row's 补录 column marks the row as 补录, and then kept as it was.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from openpyxl.utils import get_column_letter
from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.core import service
from workflow.core.policy import importer_refusal
from workflow.core.workdays import calendar_for
from workflow.enterprises.models import Enterprise
from workflow.org.models import Department, User
from workflow.org.roles import OFFICE_STAFF, ROLE_LABELS
from workflow.platform.base import local_today, utcnow
from workflow.platform.errors import DomainError, Forbidden, InvalidInput
from workflow.platform.office_limits import ImportLimitExceeded, ImportLimits
from workflow.platform.vocab import CLUE_TYPES, GRADELESS_CLUES, LISTING_LEVELS, normalise_key
from workflow.problems.deadlines import DEFAULT_IMMEDIATE_DAYS, DeadlineText, parse_deadline
from workflow.problems.excel_sheet import (
    SYNONYMS,
    cell_bool,
    cell_text,
    find_header,
    parse_cell_date,
    read_sheet,
)
from workflow.problems.fields import FIELD_LABELS, clean_problem_fields
from workflow.problems.registration import create_problem

REQUIRED_COLUMNS = ("description", "department_id", "deadline")
COLUMN_LABELS = {**FIELD_LABELS, "number": "编号", "original_number": "原编号/原序号",
                 "backfill": "补录"}
DEADLINE_HINT = ("应为日期（如 2020-12-31、2020/12/31、2020.12.31、2020年12月31日）或"
                 "“12月底前”“2020年底前”“上半年”“立行立改”“长期坚持”“立行立改并长期坚持”")
SPLIT_UNITS = re.compile(r"[、，,/；;\n]+")


class ImportRejected(DomainError):
    """The file was read but rows are wrong: nothing was written."""

    status = 422
    code = "import_rejected"


@dataclass
class CellError:
    row: int
    column: str | None  # letter, e.g. "D"
    header: str | None
    message: str

    def to_dict(self) -> dict:
        where = f"第{self.row}行" + (f" {self.column}列（{self.header}）" if self.column else "")
        return {"row": self.row, "column": self.column, "header": self.header,
                "message": self.message, "text": f"{where}：{self.message}"}


@dataclass(frozen=True)
class DeadlineRules:
    """How deadline cells are read: texts relative to ``reference`` (the 交办日期, else
    today), 立行立改 as ``immediate_days`` working days, a past deadline kept when
    ``backfill`` (补录), and ``default`` (a batch's overall deadline) for an empty cell."""

    reference: date | None = None
    immediate_days: int = DEFAULT_IMMEDIATE_DAYS
    backfill: bool = False
    default: str | None = None


@dataclass
class ParsedRow:
    row: int
    raw: dict
    errors: list[CellError] = field(default_factory=list)
    deadline_text: str | None = None  # the 整改时限 as the list wrote it
    immediate: bool = False  # 立行立改
    long_term: bool = False  # 长期坚持
    backfill: bool = False  # 补录: a past deadline is kept
    listing: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        values = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in self.raw.items()}
        return {"row": self.row, "values": values, "ok": not self.errors,
                "errors": [e.to_dict() for e in self.errors],
                "deadline_text": self.deadline_text, "immediate": self.immediate,
                "long_term": self.long_term, "backfill": self.backfill}


@dataclass
class ImportReport:
    filename: str
    sha256: str
    sheet: str
    header_row: int
    columns: dict  # letter → field
    ignored_columns: list[str]
    rows: list[ParsedRow]
    created: list[int] = field(default_factory=list)
    registered: bool = False

    @property
    def errors(self) -> list[CellError]:
        return [e for r in self.rows for e in r.errors]

    def to_dict(self) -> dict:
        return {"filename": self.filename, "sha256": self.sha256, "sheet": self.sheet,
                "header_row": self.header_row,
                "columns": {k: {"field": v, "label": COLUMN_LABELS.get(v, v)}
                            for k, v in self.columns.items()},
                "ignored_columns": self.ignored_columns, "total_rows": len(self.rows),
                "valid_rows": sum(1 for r in self.rows if not r.errors),
                "errors": [e.to_dict() for e in self.errors],
                "rows": [r.to_dict() for r in self.rows],
                "created": len(self.created), "case_ids": self.created,
                "status": ("assigned" if self.registered else "draft") if self.created else None}


def _departments(session: Session) -> dict[str, int]:
    rows = session.execute(select(Department.name, Department.id, Department.active)).all()
    return {re.sub(r"\s+", "", n): i for n, i, active in rows if active}


def _parse_row(session, row_no: int, cells: dict, letters: dict, depts: dict, defaults: dict,
               today: date, calendar, rules: DeadlineRules | None = None) -> ParsedRow:
    """Turn one sheet row into the input of create_problem, naming every bad cell."""
    rules = rules or DeadlineRules()
    by_field = {f: l for l, f in letters.items()}
    parsed = ParsedRow(row_no, {}, backfill=rules.backfill)
    raw = parsed.raw
    deadline_cell = cells[by_field["deadline"]][0] if "deadline" in by_field else None
    if (deadline_cell is None or (isinstance(deadline_cell, str) and not deadline_cell.strip())) \
            and rules.default:
        cells = {**cells, "_deadline": (rules.default, None)}
        letters = {**letters, "_deadline": "deadline"}

    failed: set[str] = set()

    def err(fld, message):
        failed.add(fld)
        letter = by_field.get(fld)
        header = cells.get(letter, (None, None))[1] if letter else None
        parsed.errors.append(CellError(row_no, letter, header, message))

    for letter, fld in letters.items():
        value, _header = cells[letter]
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        if isinstance(value, str) and value.startswith("="):
            err(fld, f"单元格是公式“{value[:30]}”：请复制后“选择性粘贴为数值”再导入")
            continue
        try:
            if fld == "backfill":  # read before the deadline is checked (below the loop)
                parsed.backfill = (parsed.backfill or cell_text(value) == "补录"
                                   or cell_bool(value))
                continue
            if fld == "deadline":
                text = parse_deadline(value, reference=rules.reference or today, calendar=calendar,
                                      immediate_days=rules.immediate_days)
                _take_deadline(parsed, text)
            elif fld in ("found_on", "completed_on", "acceptance_on"):
                raw[fld] = parse_cell_date(value)
            elif fld == "territorial_unit_id":
                key = re.sub(r"\s+", "", cell_text(value))
                if key not in depts:
                    err(fld, f"属地单位“{cell_text(value)[:30]}”不存在（请先由管理员添加镇、村或网格）")
                else:
                    raw[fld] = depts[key]
            elif fld == "listed":
                raw[fld] = cell_bool(value)
            elif fld == "listing_level":
                key = normalise_key(cell_text(value), LISTING_LEVELS)
                if key is None:
                    err(fld, f"挂牌层级须为：{'、'.join(LISTING_LEVELS.values())}")
                else:
                    raw[fld] = key
            elif fld == "department_id":
                names = [n for n in SPLIT_UNITS.split(cell_text(value)) if n.strip()]
                ids = []
                for name in names:
                    key = re.sub(r"\s+", "", name)
                    if key not in depts:
                        err(fld, f"责任单位“{name.strip()[:30]}”不存在（请先由管理员添加部门，或改为系统中的部门名称）")
                    else:
                        ids.append(depts[key])
                if ids:
                    raw["department_id"] = ids[0]
                    if len(ids) > 1:
                        raw["co_department_ids"] = ids[1:]
            elif fld == "suspended":
                raw[fld] = cell_bool(value)
            elif fld in ("funds", "actual_funds"):
                raw[fld] = value if isinstance(value, (int, float)) else cell_text(value)
            else:
                raw[fld] = cell_text(value)
        except ValueError:
            hint = (DEADLINE_HINT if fld == "deadline" else
                    "应为日期，如 2020-03-05、2020/3/5、2020年3月5日、2020.3.5"
                    if fld in ("found_on", "completed_on", "acceptance_on")
                    else "应为“是”或“否”")
            err(fld, f"“{cell_text(value)[:30]}”无法识别：{hint}")

    # the system number of an exported ledger is kept as the original number
    number = raw.pop("number", None)
    if not raw.get("original_number") and number:
        raw["original_number"] = number
    for fld in ("source", "grade"):
        if fld not in raw and defaults.get(fld):
            raw[fld] = defaults[fld]
    if raw.get("description") and not raw.get("title"):
        first = re.split(r"[。；;\n]", raw["description"], maxsplit=1)[0].strip()
        raw["title"] = first[:60] or raw["description"][:60]
    gradeless = normalise_key(raw.get("clue_type"), CLUE_TYPES) in GRADELESS_CLUES
    for fld in ("description", "department_id", "deadline", "source", "grade"):
        if fld in raw or fld in failed or (fld == "deadline" and parsed.long_term) or (
                fld == "grade" and gradeless):
            continue
        if fld in ("source", "grade") and fld not in by_field:
            err(fld, f"缺少{COLUMN_LABELS[fld]}：表中没有该列，也未指定默认值")
        else:
            err(fld, f"{COLUMN_LABELS[fld]}为必填项")
    # 挂牌 as the ledger records it: not a registration field, checked here
    listing = {k: raw.pop(k) for k in LISTING_COLUMNS if k in raw}
    if listing.get("listing_document") and len(listing["listing_document"]) > 100:
        err("listing_document", "挂牌文号过长（最多 100 字）")
    parsed.listing = listing
    # the shared validation, one field at a time so every bad cell is reported
    for fld in list(raw):
        if fld in failed:
            continue
        try:
            clean_problem_fields(session, _jsonable({fld: raw[fld]}), today=today, partial=True,
                                 calendar=calendar, backfill=parsed.backfill)
        except InvalidInput as exc:
            err("department_id" if fld == "co_department_ids" else fld, exc.message)
    if not parsed.errors:
        try:
            clean_problem_fields(session, _jsonable(raw), today=today, calendar=calendar,
                                 backfill=parsed.backfill, long_term=parsed.long_term)
        except InvalidInput as exc:
            err(exc.field, exc.message)
    return parsed


def _take_deadline(parsed: ParsedRow, text: DeadlineText) -> None:
    parsed.deadline_text = text.text or None
    parsed.immediate, parsed.long_term = text.immediate, text.long_term
    if text.deadline is not None:
        parsed.raw["deadline"] = text.deadline


LISTING_COLUMNS = ("listed", "listing_level", "listing_document")


def _link_enterprise(session: Session, case) -> None:
    """An imported row naming an unregistered enterprise by a valid credit code registers it
    (the office imports the ledger; its 责任主体 is the enterprise's name)."""
    proposal = getattr(case, "enterprise_proposal", None)
    if case.enterprise_id or not proposal or not proposal.get("name"):
        return
    ent = Enterprise(name=proposal["name"][:200], credit_code=proposal["credit_code"],
                     industry=proposal.get("industry"), unit_id=proposal.get("unit_id"),
                     address=proposal.get("address"))
    session.add(ent)
    session.flush()
    case.enterprise_id = ent.id


def _jsonable(raw: dict) -> dict:
    return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in raw.items()}


def read_problem_list(session: Session, data: bytes, filename: str, *, defaults: dict | None = None,
                      today: date | None = None, limits: ImportLimits | None = None,
                      sheet: str | None = None,
                      deadline_rules: DeadlineRules | None = None) -> ImportReport:
    """Read and check every row; writes nothing."""
    deadline_rules = deadline_rules or DeadlineRules()
    limits = limits or ImportLimits()
    max_rows = limits.max_rows
    title, grid = read_sheet(data, limits, sheet)
    header_row, letters, ignored = find_header(grid)
    found = [str(v).strip() for v in (grid[header_row - 1] if header_row else []) if v]
    missing = [f for f in REQUIRED_COLUMNS if f not in letters.values()
               and not (f == "deadline" and deadline_rules.default)]
    if not header_row or missing:
        names = "、".join(f"“{SYNONYMS[f][0]}”" for f in missing)
        seen = "、".join(found[:15]) or "（前10行没有可识别的表头）"
        raise ImportRejected(f"表头不符合要求：缺少{names}列（可用的列名如：问题描述、责任单位、整改时限）；"
                             f"识别到的表头：{seen}", field="file",
                             errors=[{"row": header_row or 1, "column": None, "header": None,
                                      "message": f"缺少列：{names}"}])
    today = today or local_today()
    calendar = calendar_for(session)
    depts = _departments(session)
    defaults = defaults or {}
    rows: list[ParsedRow] = []
    data_rows = grid[header_row:]
    if sum(1 for r in data_rows if any(v not in (None, "") for v in r)) > max_rows:
        raise ImportLimitExceeded(f"一次最多导入 {max_rows} 行，请分批导入", "IMPORT_MAX_ROWS")
    headers = {get_column_letter(j + 1): str(v).strip() if v is not None else None
               for j, v in enumerate(grid[header_row - 1])}
    for offset, row in enumerate(data_rows):
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in row):
            continue  # empty row (or a spacer row between groups)
        cells = {get_column_letter(j + 1): (v, headers.get(get_column_letter(j + 1)))
                 for j, v in enumerate(row)}
        for letter in letters:
            cells.setdefault(letter, (None, headers.get(letter)))
        rows.append(_parse_row(session, header_row + 1 + offset, cells, letters, depts, defaults,
                               today, calendar, deadline_rules))
    if not rows:
        raise ImportRejected("表中没有数据行", field="file", errors=[])
    return ImportReport(filename=filename or "upload.xlsx", sha256=hashlib.sha256(data).hexdigest(),
                        sheet=title, header_row=header_row, columns=letters,
                        ignored_columns=ignored, rows=rows)


def import_problems(session: Session, actor: User, data: bytes, filename: str, *,
                    dry_run: bool = False, all_or_nothing: bool = True, register: bool = False,
                    defaults: dict | None = None, now: datetime | None = None,
                    settings=None, max_rows: int | None = None,
                    sheet: str | None = None, deadline_rules: DeadlineRules | None = None,
                    on_created=None) -> ImportReport:
    """Check a problem list and create its cases as drafts (or registered); flushes only.

    Raises ImportRejected (nothing written) when a row is bad and ``all_or_nothing``;
    otherwise writes the good rows and reports the bad ones. ``deadline_rules`` says how
    deadline texts are read (补录, 立行立改); ``on_created(parsed, case)`` runs for each new
    case before it is registered (a batch files it as one of its items).
    """
    if refusal := importer_refusal(actor, "导入问题清单"):
        raise refusal
    if register and actor.role != OFFICE_STAFF:
        raise Forbidden(f"导入并直接挂号须由{ROLE_LABELS[OFFICE_STAFF]}办理",
                        needed_roles=[OFFICE_STAFF], rules=["role_required"])
    now = now or utcnow()
    limits = getattr(settings, "import_limits", None) or ImportLimits()
    if max_rows is not None:
        limits = replace(limits, max_rows=max_rows)
    report = read_problem_list(session, data, filename, defaults=defaults, today=local_today(now),
                               limits=limits, sheet=sheet, deadline_rules=deadline_rules)
    report.registered = register
    if dry_run:
        return report
    if report.errors and all_or_nothing:
        n = len({e.row for e in report.errors})
        raise ImportRejected(f"{n} 行有误，未导入任何数据；请修改后重新上传（可先预览）",
                             field="file", errors=[e.to_dict() for e in report.errors],
                             total_rows=len(report.rows))
    for parsed in report.rows:
        if parsed.errors:
            continue
        case = create_problem(session, actor, _jsonable(parsed.raw), now=now,
                              backfill=parsed.backfill, long_term=parsed.long_term)
        _link_enterprise(session, case)
        if parsed.listing.get("listed") or parsed.listing.get("listing_document"):
            case.listed = bool(parsed.listing.get("listed", True))
        case.listing_level = parsed.listing.get("listing_level")
        case.listing_document = parsed.listing.get("listing_document")
        payload = {"filename": report.filename, "sha256": report.sha256, "sheet": report.sheet,
                   "row": parsed.row}
        if parsed.deadline_text:
            payload["deadline_text"] = parsed.deadline_text
        if on_created is not None:
            payload.update(on_created(parsed, case) or {})
        service.record(session, case, actor, "import", payload=payload, now=now)
        session.flush()  # the version the register step checks includes the import event
        if register:
            service.transition(session, case.id, "register", actor, version=case.version,
                               settings=settings, now=now)
        report.created.append(case.id)
    session.flush()
    return report


__all__ = ["SYNONYMS", "DeadlineRules", "ImportRejected", "import_problems", "read_problem_list"]

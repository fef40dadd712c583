"""台账 (ledger) export to Excel: the columns of the domain brief §5, one sheet per kind.

The rows are streamed from one joined query (no per-case lookups) into an xlsxwriter
workbook in ``constant_memory`` mode, so memory stays flat however many cases match; a
whole-register export runs as a background job (``workflow.records.exports``).
"""
from __future__ import annotations

import io
import os
import shutil
import zipfile
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import date, datetime, timedelta

import xlsxwriter
import xlsxwriter.workbook
from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session, aliased
from xlsxwriter.utility import _datetime_to_excel_datetime, xl_col_to_name
from xlsxwriter.worksheet import Worksheet

from workflow.core.audit import AuditEvent
from workflow.core.cases import Case
from workflow.org.models import Department, User
from workflow.platform.celltext import ILLEGAL_CHARACTERS_RE
from workflow.platform.db import stream_rows
from workflow.platform.masking import mask_contact, mask_name
from workflow.platform.vocab import (
    CLUE_TYPES,
    DISMISSED_LABEL,
    GRADES,
    HAZARD_CATEGORIES,
    LISTING_LEVELS,
    RECTIFICATION_TYPES,
    SHUTDOWN,
    SOURCES,
)
from workflow.platform.wording import status_labels

# (header, key, width, type) — key names the value in the row dict built below
COLUMNS = [
    ("编号", "number", 20, "text"),
    ("来源", "source", 14, "text"),
    ("发现时间", "found_on", 12, "date"),
    ("发现人/检查组", "found_by", 14, "text"),
    ("所属行业领域", "industry", 14, "text"),
    ("属地", "town", 12, "text"),
    ("责任主体", "responsible_unit", 24, "text"),
    ("统一社会信用代码", "credit_code", 21, "text"),
    ("地点", "location", 20, "text"),
    ("问题描述", "description", 48, "text"),
    ("隐患等级", "grade", 9, "text"),
    ("判定依据", "basis", 30, "text"),
    ("整改措施/要求", "measures_required", 36, "text"),
    ("责任单位", "department", 18, "text"),
    ("责任人", "responsible_person", 10, "text"),
    ("电话", "responsible_phone", 14, "text"),
    ("整改期限", "deadline", 12, "date"),
    ("整改资金(万元)", "funds", 12, "money"),
    ("是否停产", "suspended", 9, "bool"),
    ("整改完成情况", "rectification_statement", 36, "text"),
    ("复查人", "verified_by", 10, "text"),
    ("复查意见", "verify_comment", 24, "text"),
    ("销号时间", "closed_on", 12, "date"),
    ("状态", "status", 12, "text"),
    ("原编号", "original_number", 16, "text"),
    # beyond the brief's list: the short title, so an exported ledger re-imports whole
    ("标题", "title", 30, "text"),
    # 监督举报: the reporter is never exported in full; these headers are not import synonyms,
    # so a re-imported ledger does not take the masked text for a name
    ("举报人（已脱敏）", "reporter_name", 12, "text"),
    ("举报人联系方式（已脱敏）", "reporter_contact", 16, "text"),
    # the full 台账 (issue 13): each header is an import synonym, so they re-import whole
    ("线索类别", "clue_type", 10, "text"),
    ("隐患类别", "hazard_category", 14, "text"),
    ("整改类型", "rectification_type", 10, "text"),
    ("停产停业情况", "shutdown", 12, "text"),
    ("临时管控措施", "interim_measures", 30, "text"),
    ("实际完成日期", "completed_on", 12, "date"),
    ("实际投入资金(万元)", "actual_funds", 12, "money"),
    ("验收人", "acceptance_by", 12, "text"),
    ("验收方式", "acceptance_method", 12, "text"),
    ("验收日期", "acceptance_on", 12, "date"),
    ("监管责任人", "supervisor_name", 10, "text"),
    ("属地单位", "territorial_unit", 16, "text"),
    ("是否挂牌", "listed", 9, "bool"),
    ("挂牌层级", "listing_level", 12, "text"),
    ("挂牌文号", "listing_document", 20, "text"),
]
HEADERS = [c[0] for c in COLUMNS]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SHEETS = [("problem", "问题隐患台账"), ("task", "目标任务台账")]
# the task sheet keeps the columns in the task list's words (完成时限, 办结, no 整改/销号)
TASK_HEADERS = {"问题描述": "任务内容", "整改措施/要求": "工作要求", "整改责任单位": "责任单位",
                "整改期限": "完成时限", "整改资金(万元)": "资金(万元)", "整改完成情况": "完成情况",
                "复查人": "审核人", "复查意见": "审核意见", "销号时间": "办结时间",
                "整改类型": "办理方式"}


def _statement(where, kind: str):
    """The ledger query of ``kind`` matching ``where`` (a WHERE clause on Case), in id order."""
    verifier = aliased(User)
    unit = aliased(Department)
    last_verify = (select(AuditEvent.case_id, func.max(AuditEvent.seq).label("seq"))
                   .where(AuditEvent.action == "verify").group_by(AuditEvent.case_id).subquery())
    verify_event = aliased(AuditEvent)
    stmt = (select(Case.id, Case.number, Case.source, Case.found_on, Case.found_by, Case.industry,
                   Case.town, Case.responsible_unit, Case.credit_code, Case.location,
                   Case.description, Case.grade, Case.basis, Case.measures_required,
                   Department.name.label("department"), Case.responsible_person,
                   Case.responsible_phone, Case.deadline, Case.funds, Case.suspended,
                   Case.rectification_statement, verifier.display_name.label("verified_by"),
                   verify_event.comment.label("verify_comment"), Case.closed_at, Case.status,
                   Case.original_number, Case.title, Case.reporter_name, Case.reporter_contact,
                   Case.dismissed_at, Case.clue_type, Case.hazard_category,
                   Case.rectification_type, Case.shutdown, Case.interim_measures,
                   Case.completed_on, Case.actual_funds, Case.acceptance_by,
                   Case.acceptance_method, Case.acceptance_on, Case.supervisor_name,
                   unit.name.label("territorial_unit"), Case.listed, Case.listing_level,
                   Case.listing_document)
            .select_from(Case)
            .outerjoin(Department, Department.id == Case.department_id)
            .outerjoin(unit, unit.id == Case.territorial_unit_id)
            .outerjoin(verifier, verifier.id == Case.verified_by_id)
            .outerjoin(last_verify, last_verify.c.case_id == Case.id)
            .outerjoin(verify_event, and_(verify_event.case_id == Case.id,
                                          verify_event.seq == last_verify.c.seq))
            .where(Case.kind == kind)
            .order_by(Case.id))
    return stmt if where is None else stmt.where(where)


_UTC8 = timedelta(hours=8)


# How a column's stored value becomes its cell: (kind, what the generated code computes from
# ``v``, the query's value). Kinds: "text" an inline string, "date" a day serial with the
# default date format, "number" a number; "yes" 是/否 of a boolean. Columns not named here
# are text shown as stored.
_SOURCES = {k: v[0] for k, v in SOURCES.items()}
_SHOWN = {
    "source": ("text", "_SOURCES.get(v, v)"),
    "grade": ("text", "GRADES.get(v, v)"),
    "status": ("text", "DISMISSED_LABEL if v == 'closed' and row[{dismissed_at}] "
                       "else status_labels.get(v, v)"),
    "funds": ("number", "float(v)"),
    "suspended": ("yes", "v"),
    "reporter_name": ("text", "mask_name(v)"),
    "reporter_contact": ("text", "mask_contact(v)"),
    # Asia/Shanghai has kept UTC+8 all year since 1991 (as the SQL month of sqltime)
    "closed_on": ("date", "(v + _UTC8).date()"),
    # the full 台账: codes shown as their labels, 实际投入资金 as a number, 是否挂牌 as 是/否
    "clue_type": ("text", "CLUE_TYPES.get(v)"),
    "hazard_category": ("text", "HAZARD_CATEGORIES.get(v)"),
    "rectification_type": ("text", "RECTIFICATION_TYPES.get(v)"),
    "shutdown": ("text", "SHUTDOWN.get(v or 'none')"),
    "listing_level": ("text", "LISTING_LEVELS.get(v)"),
    "actual_funds": ("number", "float(v)"),
    "listed": ("yes", "v"),
}
# the columns whose empty value still has something to show (不停产 is 停产停业: 无)
_SHOWN_WHEN_EMPTY = {"shutdown", "status"}

# the cell of each kind, assigned to the column's variable ``{var}`` (its cell, or '' when the
# value is empty); ``{c}`` the column's letters; ``r`` the row's number and ``v`` the value in
# the generated code
_CELLS = {
    # a printable text without & < > or a space at either end (nearly every text) is written
    # as it is; any other goes through _other_cell's checks
    "text": ("if v.__class__ is str and v.isprintable() and v[0] != ' ' and v[-1] != ' ' "
             "and '&' not in v and '<' not in v and '>' not in v:\n"
             "    {var} = f'<c r=\"{c}{{r}}\" t=\"inlineStr\"><is><t>{{v}}</t></is></c>'\n"
             "else:\n"
             "    {var} = _other_cell('{c}', r, v, date_xf)"),
    "date": ("if v.__class__ is date:\n"
             "    {var} = f'<c r=\"{c}{{r}}\" s=\"{{date_xf}}\"><v>{{v.toordinal() - _EXCEL_EPOCH}}</v></c>'\n"
             "else:\n"
             "    {var} = _other_cell('{c}', r, v, date_xf)"),
    "number": "{var} = f'<c r=\"{c}{{r}}\"><v>{{v:.16G}}</v></c>'",
    "yes": "{var} = f'<c r=\"{c}{{r}}\" t=\"inlineStr\"><is><t>{{\"是\" if v else \"否\"}}</t></is></c>'",
}


def _row_xml(names: list[str], kind: str):
    """The function ``(row, r, date_xf) -> str`` giving the XML of a ledger row, for a query
    whose columns are ``names``: for each column of COLUMNS in turn, its value taken from the
    row (and shown as _SHOWN says) and its cell written when the value is not empty.

    It is generated once per export as one straight function (the way ``namedtuple`` builds
    its classes): a row is 43 columns of which a ledger fills a dozen to thirty, and a loop
    calling a function per column cost more than everything else the export does. The cells
    are those xlsxwriter's ``write_row`` writes with WORKBOOK_OPTIONS (text as an inline
    string, no formula, number or URL guessing); ``tests/test_ledger_xlsx_cells.py`` reads
    both back and compares them.
    """
    pos = {name: i for i, name in enumerate(names)}
    lines = ["def row_xml(row, r, date_xf):"]
    for col, (_h, key, _w, kind_) in enumerate(COLUMNS):
        how, expr = _SHOWN.get(key, ({"date": "date", "money": "number"}.get(kind_, "text"), "v"))
        source = pos.get({"closed_on": "closed_at"}.get(key, key))
        lines.append(f"    v = row[{source}]" if source is not None else "    v = None")
        empty = "v is None" if how != "text" else "not v"
        value = expr.format(**pos)
        if key in _SHOWN_WHEN_EMPTY:
            lines.append(f"    v = {value}")
        elif value != "v":
            lines.append(f"    if not ({empty}):\n        v = {value}")
        cell = _CELLS[how].format(c=_COLUMN_NAMES[col], var=f"c{col}")
        # a computed text may be empty (a code without a label): checked after computing
        check = "v" if how == "text" else "v is not None"
        lines.append(f"    if {check}:\n" + "\n".join("        " + x for x in cell.split("\n"))
                     + f"\n    else:\n        c{col} = ''")
    # the row in one piece: one string built, not one per cell
    lines.append("    return f'<row r=\"{r}\">" + "".join(f"{{c{col}}}" for col in range(len(COLUMNS)))
                 + "</row>'")
    namespace = {"_SOURCES": _SOURCES, "GRADES": GRADES, "status_labels": status_labels(kind),
                 "DISMISSED_LABEL": DISMISSED_LABEL, "_UTC8": _UTC8,
                 "mask_name": mask_name, "mask_contact": mask_contact,
                 "CLUE_TYPES": CLUE_TYPES, "HAZARD_CATEGORIES": HAZARD_CATEGORIES,
                 "RECTIFICATION_TYPES": RECTIFICATION_TYPES, "SHUTDOWN": SHUTDOWN,
                 "LISTING_LEVELS": LISTING_LEVELS, "date": date, "_EXCEL_EPOCH": _EXCEL_EPOCH,
                 "_other_cell": _other_cell}
    exec("\n".join(lines), namespace)  # noqa: S102 — built above from constants only
    return namespace["row_xml"]


def _other_cell(c: str, r: int, value, date_xf) -> str:
    """The cell of a value whose type its column does not expect (a number in a text
    column, a date and time in a date column): as xlsxwriter's ``write_row`` would."""
    if isinstance(value, str):
        text = value.translate(_XML_TEXT)
        if not text:  # nothing but characters a workbook cannot hold: an empty cell
            return ""
        space = ' xml:space="preserve"' if value[0].isspace() or value[-1].isspace() else ""
        return f'<c r="{c}{r}" t="inlineStr"><is><t{space}>{text}</t></is></c>'
    if isinstance(value, date):
        serial = _datetime_to_excel_datetime(value, False, True)
        return f'<c r="{c}{r}" s="{date_xf}"><v>{serial:.16G}</v></c>'
    if isinstance(value, bool):
        return f'<c r="{c}{r}" t="b"><v>{int(value)}</v></c>'
    return f'<c r="{c}{r}"><v>{value:.16G}</v></c>'


def _rows(session: Session, where, kind: str, batch: int = 5000) -> tuple[list[str], Iterator]:
    """The ledger query's column names and rows (Core execution, no ORM result layer),
    streamed in batches (on PostgreSQL while the server still makes them: ``stream_rows``)."""
    return stream_rows(session, _statement(where, kind), batch)


# xlsxwriter, streaming: each row goes to the sheet's temporary file as it is written
# (constant_memory), so memory stays flat however many rows. Every user text is written as a
# string cell (no formula, number or URL guessing), which is the formula-injection rule of
# workflow.platform.celltext; control characters illegal in the file are dropped.
WORKBOOK_OPTIONS = {"constant_memory": True, "strings_to_formulas": False,
                    "strings_to_numbers": False, "strings_to_urls": False,
                    "default_date_format": "yyyy-mm-dd", "remove_timezone": True}


# The ledger's workbook is deflated at zlib level 1, not xlsxwriter's (zlib's default) 6: on a
# register of 100,000 cases that is 0.3 s instead of 0.7 s, the slowest step left of the
# export, for a file ~30 % larger (8.1 instead of 6.3 MiB) — a trade a download on the
# district's network does not notice. xlsxwriter has no setting for it, so its ZipFile takes
# the level of the workbook being stored in this context, and other workbooks (None) keep
# zlib's default.
_ZIP_LEVEL: ContextVar[int | None] = ContextVar("ledger_zip_level", default=None)


class _LevelZipFile(zipfile.ZipFile):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("compresslevel", _ZIP_LEVEL.get())
        super().__init__(*args, **kwargs)


xlsxwriter.workbook.ZipFile = _LevelZipFile


class _LedgerWorkbook(xlsxwriter.Workbook):
    def _store_workbook(self) -> None:
        token = _ZIP_LEVEL.set(1)
        try:
            super()._store_workbook()
        finally:
            _ZIP_LEVEL.reset(token)


class _LedgerSheet(Worksheet):
    """A worksheet whose inline strings read back exactly as written.

    The text reaching it has no control characters but tab, LF and CR (``excel_text``).
    xlsxwriter would write a CR (and any literal ``_xHHHH_``) as an ``_xHHHH_`` escape, which
    Excel decodes but openpyxl, and so the ledger import, does not; here a CR is the XML
    character reference ``&#13;`` that every reader decodes, as openpyxl used to write it.
    """

    @staticmethod
    def _escape_control_characters(data):
        return data

    def _escape_data(self, data):
        data = super()._escape_data(data)
        return data.translate(_CR) if isinstance(data, str) else data

    def _write_optimized_sheet_data(self) -> None:
        # xlsxwriter copies the rows' temporary file into the sheet's XML as text, decoding
        # and encoding again every byte of it; the rows are UTF-8 already, so copy the bytes
        fh = getattr(self.fh, "buffer", None)
        if self.dim_rowmin is None or fh is None:
            super()._write_optimized_sheet_data()
            return
        self._xml_start_tag("sheetData")
        self.fh.flush()
        if not self.row_data_fh_closed:
            self.row_data_fh.close()
            self.row_data_fh_closed = True
        with open(self.row_data_filename, "rb") as rows:
            shutil.copyfileobj(rows, fh, 1 << 20)
        os.unlink(self.row_data_filename)
        self._xml_end_tag("sheetData")

    def write_rows_xml(self, rows, row_xml, progress=None, done: int = 0) -> int:
        """Write ``rows`` below the header straight to the sheet's stream (constant_memory
        only), each as ``row_xml(row, r, date_xf)`` gives it; returns the number written.
        ``progress(done + n)`` is called every 5,000 rows."""
        start = self.previous_row + 1  # the index of the first row written here
        if self.table:  # the header row xlsxwriter still holds
            self._write_single_row(start)
        date_xf = self.default_date_format._get_xf_index()
        write, pending, n = self.fh.write, [], 0
        for n, row in enumerate(rows, 1):
            # a row's number in the file counts from 1: the index start + n - 1 is row start + n
            if start + n > _MAX_ROW:
                raise ValueError(f"row {start + n} outside the sheet")
            pending.append(row_xml(row, start + n, date_xf))
            if n % 500 == 0:
                write("".join(pending))
                pending.clear()
                if progress is not None and n % 5000 == 0:
                    progress(done + n)
        write("".join(pending))
        if n:
            last = start + n - 1
            self.previous_row = last
            self._check_dimensions(last, 0)
            self._check_dimensions(last, len(COLUMNS) - 1)
        return n


_CR = str.maketrans({"\r": "&#13;"})
# one pass over a text: XML escapes, CR as a character reference, and the control characters
# an .xlsx cannot hold dropped (the rule of celltext.excel_text)
_XML_TEXT = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;",
                           **{c: None for c in range(32) if ILLEGAL_CHARACTERS_RE.match(chr(c))}})
_EXCEL_EPOCH = date(1899, 12, 30).toordinal()
_COLUMN_NAMES = [xl_col_to_name(i) for i in range(len(COLUMNS))]
_MAX_ROW = 1_048_576


def write_ledger_to(target, session: Session, where=None, *,
                    title: str = "安全生产问题隐患整改台账", progress=None, kinds=None) -> int:
    """Write the ledger workbook of the cases matching ``where`` to ``target`` (a path or a
    binary file object): a sheet per kind (``kinds``: only those kinds' sheets, e.g. a
    task-only list gives one 目标任务台账 sheet). Returns the number of rows; ``progress(rows)``
    is called every 5,000 rows (a background job records it)."""
    wb = _LedgerWorkbook(target, WORKBOOK_OPTIONS)
    head = wb.add_format({"bold": True, "bg_color": "#DDE4EE", "align": "center",
                          "valign": "vcenter", "text_wrap": True, "border": 1,
                          "border_color": "#999999"})
    done = 0
    for kind, sheet_name in SHEETS:
        if kinds is not None and kind not in kinds:
            continue
        ws = wb.add_worksheet(sheet_name, worksheet_class=_LedgerSheet)
        for i, (_h, _k, width, _t) in enumerate(COLUMNS):
            # xlsxwriter adds Excel's 5-pixel cell padding to the width it is given; take it
            # off, so the file stores the width itself (as the ledger always has)
            ws.set_column(i, i, width - 5 / 7)
        ws.freeze_panes(1, 0)
        ws.write_row(0, 0, [TASK_HEADERS.get(h, h) for h in HEADERS] if kind == "task" else HEADERS,
                     head)
        names, rows = _rows(session, where, kind)
        done += ws.write_rows_xml(rows, _row_xml(names, kind), progress, done)
    # fixed timestamps: the same cases give the same workbook metadata
    wb.set_properties({"title": title, "author": "SafeLoop", "created": datetime(2000, 1, 1)})
    wb.close()
    if progress is not None:
        progress(done)
    return done


def write_ledger(session: Session, where=None, *, title: str = "安全生产问题隐患整改台账",
                 kinds=None) -> bytes:
    """The ledger workbook of the cases matching ``where``: a sheet per kind (``kinds``:
    only those kinds' sheets, e.g. a task-only list gives one 目标任务台账 sheet)."""
    out = io.BytesIO()
    write_ledger_to(out, session, where, title=title, kinds=kinds)
    return out.getvalue()


def ledger_filename(today: date) -> str:
    return f"台账-{today.isoformat()}.xlsx"


KIND_SHEETS = dict(SHEETS)
__all__ = ["COLUMNS", "HEADERS", "KIND_SHEETS", "write_ledger", "write_ledger_to",
           "ledger_filename"]

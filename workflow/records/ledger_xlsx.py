"""台账 (ledger) export to Excel: the columns of the domain brief §5, one sheet per kind.

The rows are streamed from one joined query (no per-case lookups) into an xlsxwriter
workbook in ``constant_memory`` mode, so memory stays flat however many cases match; a
whole-register export runs as a background job (``workflow.records.exports``).
"""
from __future__ import annotations

import io
from datetime import date, datetime, timedelta

import xlsxwriter
from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session, aliased
from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.worksheet import Worksheet

from workflow.core.audit import AuditEvent
from workflow.core.cases import Case
from workflow.org.models import Department, User
from workflow.platform.celltext import ILLEGAL_CHARACTERS_RE
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


def _rows(session: Session, where, kind: str, batch: int = 2000):
    """Ledger rows of ``kind`` matching ``where`` (a WHERE clause on Case), in id order."""
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
            .order_by(Case.id)
            .execution_options(yield_per=batch))
    if where is not None:
        stmt = stmt.where(where)
    # the query's columns in COLUMNS order; the columns shown otherwise than stored get a
    # function of the row
    pos = {name: i for i, name in enumerate(stmt.selected_columns.keys())}
    sources = {k: v[0] for k, v in SOURCES.items()}
    labels = status_labels(kind)
    src, grade, status, dismissed = pos["source"], pos["grade"], pos["status"], pos["dismissed_at"]
    funds, suspended, closed = pos["funds"], pos["suspended"], pos["closed_at"]
    rname, rcontact = pos["reporter_name"], pos["reporter_contact"]
    clue, hcat, rtype = pos["clue_type"], pos["hazard_category"], pos["rectification_type"]
    shut, llevel, afunds, listed = (pos["shutdown"], pos["listing_level"], pos["actual_funds"],
                                    pos["listed"])
    shown = {
        "source": lambda r: sources.get(r[src], r[src]),
        "grade": lambda r: GRADES.get(r[grade], r[grade]),
        "status": lambda r: (DISMISSED_LABEL if r[status] == "closed" and r[dismissed]
                             else labels.get(r[status], r[status])),
        "funds": lambda r: float(r[funds]) if r[funds] is not None else None,
        "suspended": lambda r: None if r[suspended] is None else ("是" if r[suspended] else "否"),
        "reporter_name": lambda r: mask_name(r[rname]),
        "reporter_contact": lambda r: mask_contact(r[rcontact]),
        # Asia/Shanghai has kept UTC+8 all year since 1991 (as the SQL month of sqltime)
        "closed_on": lambda r: (r[closed] + _UTC8).date() if r[closed] else None,
        # the full 台账: codes shown as their labels, 实际投入资金 as a number, 是否挂牌 as 是/否
        "clue_type": lambda r: CLUE_TYPES.get(r[clue]),
        "hazard_category": lambda r: HAZARD_CATEGORIES.get(r[hcat]),
        "rectification_type": lambda r: RECTIFICATION_TYPES.get(r[rtype]),
        "shutdown": lambda r: SHUTDOWN.get(r[shut] or "none"),
        "listing_level": lambda r: LISTING_LEVELS.get(r[llevel]),
        "actual_funds": lambda r: float(r[afunds]) if r[afunds] is not None else None,
        "listed": lambda r: None if r[listed] is None else ("是" if r[listed] else "否"),
    }
    plain = [pos.get(key) for _h, key, _w, _t in COLUMNS]
    special = [(i, shown[key]) for i, (_h, key, _w, _t) in enumerate(COLUMNS) if key in shown]
    # Core execution (no ORM result layer for plain columns), streamed in batches
    for row in session.connection().execute(stmt):
        values = [row[i] if i is not None else None for i in plain]
        for i, fn in special:
            values[i] = fn(row)
        yield values


_UTC8 = timedelta(hours=8)


# xlsxwriter, streaming: each row goes to the sheet's temporary file as it is written
# (constant_memory), so memory stays flat however many rows. Every user text is written as a
# string cell (no formula, number or URL guessing), which is the formula-injection rule of
# workflow.platform.celltext; control characters illegal in the file are dropped.
WORKBOOK_OPTIONS = {"constant_memory": True, "strings_to_formulas": False,
                    "strings_to_numbers": False, "strings_to_urls": False,
                    "default_date_format": "yyyy-mm-dd", "remove_timezone": True}


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

    def write_plain_row(self, row: int, values: list) -> None:
        """Write one data row straight to the sheet's stream (constant_memory only).

        The same cells ``write_row`` gives with the workbook's options, written as one piece
        instead of one buffered cell object per value (xlsxwriter's per-cell path is most of
        an export's time): text as an inline string, a date with the default date format,
        a number as it is; None and empty text are left out.
        """
        if self.table:  # the header row xlsxwriter still holds
            self._write_single_row(row)
        self.previous_row = row
        if self._check_dimensions(row, 0) or self._check_dimensions(row, len(values) - 1):
            raise ValueError(f"row {row} outside the sheet")
        r = str(row + 1)
        parts = [f'<row r="{r}">']
        add, names, text_table, date_xf = parts.append, _COLUMN_NAMES, _XML_TEXT, None
        for col, value in enumerate(values):
            if value is None or value == "":
                continue
            kind = type(value)
            if kind is str:
                if value[0].isspace() or value[-1].isspace():
                    add(f'<c r="{names[col]}{r}" t="inlineStr"><is><t xml:space="preserve">'
                        f'{value.translate(text_table)}</t></is></c>')
                else:
                    add(f'<c r="{names[col]}{r}" t="inlineStr"><is><t>'
                        f'{value.translate(text_table)}</t></is></c>')
            elif kind is date or isinstance(value, date):
                if date_xf is None:
                    date_xf = self.default_date_format._get_xf_index()
                # a day (all the ledger's dates, after 1900-03-01) is its ordinal from Excel's epoch
                serial = (value.toordinal() - _EXCEL_EPOCH if kind is date
                          else self._convert_date_time(value))
                add(f'<c r="{names[col]}{r}" s="{date_xf}"><v>{serial:.16G}</v></c>')
            else:
                add(f'<c r="{names[col]}{r}"><v>{value:.16G}</v></c>')
        parts.append("</row>")
        self.fh.write("".join(parts))


_CR = str.maketrans({"\r": "&#13;"})
# one pass over a text: XML escapes, CR as a character reference, and the control characters
# an .xlsx cannot hold dropped (the rule of celltext.excel_text)
_XML_TEXT = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;",
                           **{c: None for c in range(32) if ILLEGAL_CHARACTERS_RE.match(chr(c))}})
_EXCEL_EPOCH = date(1899, 12, 30).toordinal()
_COLUMN_NAMES = [xl_col_to_name(i) for i in range(len(COLUMNS))]


def write_ledger_to(target, session: Session, where=None, *,
                    title: str = "安全生产问题隐患整改台账", progress=None, kinds=None) -> int:
    """Write the ledger workbook of the cases matching ``where`` to ``target`` (a path or a
    binary file object): a sheet per kind (``kinds``: only those kinds' sheets, e.g. a
    task-only list gives one 目标任务台账 sheet). Returns the number of rows; ``progress(rows)``
    is called every 5,000 rows (a background job records it)."""
    wb = xlsxwriter.Workbook(target, WORKBOOK_OPTIONS)
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
        write_row = ws.write_plain_row
        r = 0
        for r, values in enumerate(_rows(session, where, kind), 1):
            write_row(r, values)
            if progress is not None and r % 5000 == 0:
                progress(done + r)
        done += r
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

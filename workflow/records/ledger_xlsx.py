"""台账 (ledger) export to Excel: the columns of the domain brief §5, one sheet per kind.

The rows are streamed from one joined query (no per-case lookups) into an
openpyxl write-only workbook, so memory stays flat however many cases match.
"""
from __future__ import annotations

import io
from datetime import date, datetime

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session, aliased

from workflow.core.audit import AuditEvent
from workflow.core.cases import Case
from workflow.org.models import Department, User
from workflow.platform.base import to_local
from workflow.platform.celltext import xlsx_text
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
    STATUS_LABELS,
)

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
SHEETS = [("problem", "问题隐患台账"), ("task", "目标任务台账")]


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
    for row in session.execute(stmt):
        r = row._mapping
        yield {**r, "source": SOURCES[r["source"]][0] if r["source"] in SOURCES else r["source"],
               "grade": GRADES.get(r["grade"], r["grade"]),
               "status": (DISMISSED_LABEL if r["status"] == "closed" and r["dismissed_at"]
                          else STATUS_LABELS.get(r["status"], r["status"])),
               "clue_type": CLUE_TYPES.get(r["clue_type"]),
               "hazard_category": HAZARD_CATEGORIES.get(r["hazard_category"]),
               "rectification_type": RECTIFICATION_TYPES.get(r["rectification_type"]),
               "shutdown": SHUTDOWN.get(r["shutdown"] or "none"),
               "listing_level": LISTING_LEVELS.get(r["listing_level"]),
               "reporter_name": mask_name(r["reporter_name"]),
               "reporter_contact": mask_contact(r["reporter_contact"]),
               "closed_on": to_local(r["closed_at"]).date() if r["closed_at"] else None}


def _plain(ws, value, kind: str):
    if value is None:
        return None
    if kind == "money":
        return float(value)
    if kind == "bool":
        return "是" if value else "否"
    if isinstance(value, str):
        return xlsx_text(ws, value)  # user text: a string cell, never a formula
    return value


def write_ledger(session: Session, where=None, *, title: str = "安全生产问题隐患整改台账",
                 kinds=None) -> bytes:
    """The ledger workbook of the cases matching ``where``: a sheet per kind (``kinds``:
    only those kinds' sheets, e.g. a task-only list gives one 目标任务台账 sheet)."""
    wb = Workbook(write_only=True)
    thin = Side(style="thin", color="999999")
    head_font = Font(bold=True)
    head_fill = PatternFill("solid", fgColor="DDE4EE")
    head_align = Alignment(horizontal="center", vertical="center", wrap_text=True)
    head_border = Border(left=thin, right=thin, top=thin, bottom=thin)
    for kind, sheet_name in SHEETS:
        if kinds is not None and kind not in kinds:
            continue
        ws = wb.create_sheet(sheet_name)
        for i, (_h, _k, width, _t) in enumerate(COLUMNS, 1):
            ws.column_dimensions[get_column_letter(i)].width = width
        ws.freeze_panes = "A2"
        header = []
        for h in HEADERS:
            cell = WriteOnlyCell(ws, value=h)
            cell.font, cell.fill, cell.alignment, cell.border = head_font, head_fill, head_align, head_border
            header.append(cell)
        ws.append(header)
        for row in _rows(session, where, kind):
            # plain values: openpyxl's write-only append formats dates itself and runs ~2x
            # faster than one styled cell object per value
            ws.append([_plain(ws, row[key], typ) for _h, key, _w, typ in COLUMNS])
    wb.properties.title = title
    wb.properties.creator = "SafeLoop"
    # fixed timestamps: the same cases give the same workbook metadata
    wb.properties.created = wb.properties.modified = datetime(2000, 1, 1)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def ledger_filename(today: date) -> str:
    return f"台账-{today.isoformat()}.xlsx"


KIND_SHEETS = dict(SHEETS)
__all__ = ["COLUMNS", "HEADERS", "KIND_SHEETS", "write_ledger", "ledger_filename"]

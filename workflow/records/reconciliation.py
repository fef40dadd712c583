"""对账销号表 of a 交办批次: every item of the list in its original order, as xlsx and PDF.

The table a county sends back up with its monthly report: 序号, 原序号, our number,
the problem, 责任单位, 整改时限 as the list wrote it, status, 销号日期 and a one-line
整改情况. The PDF embeds the chain stamp of every item, so 记录核验 checks each row.
"""
from __future__ import annotations

import hashlib
import io
from datetime import date, datetime

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workflow.core.audit import AuditEvent
from workflow.platform.base import local_today
from workflow.platform.celltext import xlsx_text
from workflow.problems.batches import AssignmentBatch, items_of, reconciliation_rows
from workflow.records.casedata import DEFAULT_ISSUER
from workflow.records.render import format_cn_date, render_pdf, render_record_html
from workflow.records.stamp import ChainStamp, metadata_for, short_code

COLUMNS = [("序号", 6), ("原序号", 10), ("编号", 20), ("问题", 44), ("责任单位", 18),
           ("整改时限", 16), ("整改状态", 14), ("销号日期", 14), ("整改情况", 48)]
TITLE = "交办问题整改情况对账表"


def batch_heading(batch: AssignmentBatch) -> str:
    parts = [batch.title]
    if batch.doc_number:
        parts.append(f"（{batch.doc_number}）")
    return "".join(parts)


def write_reconciliation(session: Session, batch: AssignmentBatch) -> bytes:
    rows = reconciliation_rows(session, batch)
    wb = Workbook()
    ws = wb.active
    ws.title = "对账表"
    thin = Side(style="thin")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    ws.append([xlsx_text(ws, f"{batch_heading(batch)} {TITLE}")])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(COLUMNS))
    ws["A1"].font = Font(bold=True, size=14)
    ws["A1"].alignment = Alignment(horizontal="center")
    info = (f"交办层级：{batch.issuer_level_label}　交办日期：{format_cn_date(batch.assigned_on)}"
            f"　总体时限：{batch.deadline_text or '—'}　{batch.reporting_text}"
            f"　截至：{format_cn_date(local_today())}　共 {len(rows)} 项")
    ws.append([xlsx_text(ws, info)])
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=len(COLUMNS))
    ws.append([c[0] for c in COLUMNS])
    for cell in ws[3]:
        cell.font = Font(bold=True)
        cell.border = border
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for r in rows:
        ws.append([r.position, xlsx_text(ws, r.original_number or ""), xlsx_text(ws, r.number),
                   xlsx_text(ws, r.title), xlsx_text(ws, r.department), xlsx_text(ws, r.deadline),
                   xlsx_text(ws, r.status + ("（逾期）" if r.overdue else "")),
                   format_cn_date(r.closed_on), xlsx_text(ws, r.progress)])
        for cell in ws[ws.max_row]:
            cell.border = border
            cell.alignment = Alignment(vertical="top", wrap_text=True)
    for i, (_header, width) in enumerate(COLUMNS, start=1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "A4"
    ws.print_title_rows = "3:3"
    ws.page_setup.orientation = "landscape"
    wb.properties.creator = DEFAULT_ISSUER
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def render_reconciliation(session: Session, batch: AssignmentBatch, *,
                          issuer: str = DEFAULT_ISSUER, warnings: list | None = None) -> bytes:
    rows = reconciliation_rows(session, batch)
    items = items_of(session, batch)
    cases = [item.case for item in items]
    stamps = [ChainStamp.of(c) for c in cases]
    digest = hashlib.sha256("\n".join(s.text for s in stamps).encode("utf-8")).hexdigest()
    as_of = None
    if cases:
        as_of = session.scalar(select(func.max(AuditEvent.at))
                               .where(AuditEvent.case_id.in_([c.id for c in cases])))
    as_of = as_of or datetime.combine(batch.assigned_on, datetime.min.time())
    html = render_record_html(
        "records/reconciliation.html", title=TITLE, issuer=issuer,
        number=f"DZ-{batch.id}-{short_code(digest)}", batch=batch, rows=rows, as_of=as_of,
        heading=batch_heading(batch), code=short_code(digest), digest=digest,
        closed=sum(1 for r in rows if r.closed_on), overdue=sum(1 for r in rows if r.overdue),
        long_term=sum(1 for i in items if i.long_term))
    return render_pdf(html, identifier=f"reconciliation:{batch.id}:{digest}", created=as_of,
                      title=f"{TITLE} {batch_heading(batch)}", warnings=warnings,
                      **metadata_for(stamps))


def reconciliation_filename(batch: AssignmentBatch, ext: str, today: date | None = None) -> str:
    today = today or local_today()
    return f"对账表-{batch.id}-{today.isoformat()}.{ext}"

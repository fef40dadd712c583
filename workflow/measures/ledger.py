"""督办措施台账: every measure of a period with its 文号, units, cases and steps, and the
counts per kind — what a 区安委办 puts in its monthly report to the 督导组."""
from __future__ import annotations

import io
from datetime import date

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from workflow.measures.models import KINDS, Measure
from workflow.platform.base import local_today
from workflow.platform.celltext import xlsx_text

HEADERS = ["序号", "文号", "措施", "发文日期", "标题", "单位", "所涉事项", "状态", "期限",
           "办理情况"]


def measures_between(session: Session, start: date, end: date) -> list[Measure]:
    return list(session.scalars(
        select(Measure).where(Measure.doc_date >= start, Measure.doc_date <= end)
        .options(selectinload(Measure.departments), selectinload(Measure.cases),
                 selectinload(Measure.steps)).order_by(Measure.kind, Measure.doc_date, Measure.id)))


def counts(rows: list[Measure], today: date) -> dict[str, dict]:
    out = {k: {"label": label, "issued": 0, "open": 0, "overdue": 0} for k, label in KINDS.items()}
    for m in rows:
        c = out[m.kind]
        c["issued"] += 1
        c["open"] += m.status in ("issued", "notified", "held", "referred", "received") and \
            m.kind != "bulletin"
        c["overdue"] += m.is_overdue(today)
    return out


def _steps_text(m: Measure) -> str:
    return "；".join(f"{s.at:%Y-%m-%d} {s.to_dict()['step_label']}：{s.content[:200]}"
                    for s in m.steps)


def ledger_xlsx(rows: list[Measure], start: date, end: date, today: date | None = None) -> bytes:
    today = today or local_today()
    wb = Workbook()
    ws = wb.active
    ws.title = "督办措施台账"
    ws.append([f"督办措施台账（{start.isoformat()} 至 {end.isoformat()}）"])
    ws["A1"].font = Font(bold=True, size=14)
    summary = counts(rows, today)
    ws.append(["；".join(f"{c['label']}{c['issued']}件（未办结{c['open']}，逾期{c['overdue']}）"
                        for c in summary.values())])
    ws.append(HEADERS)
    for cell in ws[3]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(horizontal="center")
    for i, m in enumerate(rows, 1):
        ws.append([i, xlsx_text(ws, m.doc_number), m.kind_label, m.doc_date.isoformat(),
                   xlsx_text(ws, m.title), xlsx_text(ws, "、".join(d.name for d in m.departments)),
                   xlsx_text(ws, "、".join(c.display_number for c in m.cases)),
                   m.status_label + ("（逾期）" if m.is_overdue(today) else ""),
                   m.due_on.isoformat() if m.due_on else "", xlsx_text(ws, _steps_text(m))])
    for col, width in zip("ABCDEFGHIJ", (6, 24, 10, 12, 40, 30, 36, 18, 12, 60)):
        ws.column_dimensions[col].width = width
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()

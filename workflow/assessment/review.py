"""季度点评 / 年度考核: department ranking as Excel and as a printed PDF record."""
from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.assessment.drilldown import figure_cases
from workflow.assessment.figures import BUCKETS, FIGURES, compute_with_district, rank
from workflow.assessment.periods import Window
from workflow.assessment.snapshots import snapshot_for
from workflow.core.cases import Case
from workflow.platform.celltext import xlsx_text
from workflow.records.render import render_pdf, render_record_html

RATE_FIGURES = [f for f in FIGURES if f not in ("overdue_count", "avg_days_to_close")]


@dataclass
class Review:
    window: Window
    rows: list[dict]  # ranked department rows
    district: dict
    overdue: list[Case]
    frozen: dict | None  # snapshot info when the figures come from a frozen period
    weights: dict

    @property
    def title(self) -> str:
        p = self.window.period
        what = "年度考核" if p.kind == "year" else "季度点评" if p.kind == "quarter" else "考核点评"
        return f"{p.label}安全生产闭环督办{what}"


def build_review(session: Session, w: Window, weights: dict, *, overdue_limit: int = 200) -> Review:
    """Ranked department figures for a period: from its snapshot when frozen, else live."""
    snap = snapshot_for(session, w.period.key)
    if snap is not None and snap.cutoff == w.cutoff:
        figures = snap.figures
        dept_rows, district = figures["department"], figures["district"][0]
        frozen = snap.to_dict()
    else:
        dept_rows, district = compute_with_district(session, w)
        frozen = None
    ids = [i for i, _ in figure_cases(session, "overdue_count", "district", None, w,
                                      limit=overdue_limit)]
    overdue = session.scalars(select(Case).where(Case.id.in_(ids)).order_by(Case.deadline,
                                                                             Case.id)).all() if ids else []
    return Review(w, rank(dept_rows, weights), district, list(overdue), frozen, weights)


def pct(v) -> str:
    return "—" if v is None else f"{v * 100:.1f}%"


def review_xlsx(review: Review) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "部门排名"
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDE4EE")
    ws.append([review.title])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append([f"截止日期：{review.window.cutoff.isoformat()}"
               + ("（已冻结）" if review.frozen else "")])
    headers = ["名次", "部门", "综合得分", "挂号数", "销号数", *[FIGURES[f] for f in RATE_FIGURES],
               "逾期数", *[f"逾期{b}天" for b in BUCKETS], "平均整改时长（天）"]
    ws.append(headers)
    for cell in ws[3]:
        cell.font, cell.fill = bold, fill
        cell.alignment = Alignment(wrap_text=True, horizontal="center", vertical="center")
    for r in review.rows:
        ws.append([r["rank"], xlsx_text(ws, r["label"]), r["score"], r["registered"], r["closed"],
                   *[r[f] for f in RATE_FIGURES], r["overdue_count"],
                   *[r["overdue_buckets"][b] for b in BUCKETS], r["avg_days_to_close"]])
    d = review.district
    ws.append([None, "全区", None, d["registered"], d["closed"], *[d[f] for f in RATE_FIGURES],
               d["overdue_count"], *[d["overdue_buckets"][b] for b in BUCKETS],
               d["avg_days_to_close"]])
    first_rate, last_rate = 6, 5 + len(RATE_FIGURES)
    for row in ws.iter_rows(min_row=4, min_col=first_rate, max_col=last_rate):
        for cell in row:
            cell.number_format = "0.0%"
    for i, width in enumerate([6, 18, 10, 8, 8] + [12] * len(RATE_FIGURES) + [8, 9, 9, 9, 12], 1):
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "C4"
    ws2 = wb.create_sheet("权重")
    ws2.append(["指标", "权重"])
    for fig, weight in review.weights.items():
        ws2.append([FIGURES[fig], weight])
    ws3 = wb.create_sheet("逾期事项")
    ws3.append(["编号", "标题", "责任部门", "整改期限", "逾期天数", "状态"])
    for c in review.overdue:
        ws3.append([xlsx_text(ws3, c.number), xlsx_text(ws3, c.title),
                    xlsx_text(ws3, c.department.name if c.department else None), c.deadline,
                    (review.window.cutoff - c.deadline).days, c.status_label])
        ws3.cell(ws3.max_row, 4).number_format = "yyyy-mm-dd"
    for ws_ in (ws2, ws3):
        for cell in ws_[1]:
            cell.font, cell.fill = bold, fill
        ws_.freeze_panes = "A2"
    for i, width in enumerate([20, 40, 18, 12, 10, 14], 1):
        ws3.column_dimensions[get_column_letter(i)].width = width
    ws2.column_dimensions["A"].width = 24
    wb.properties.created = wb.properties.modified = datetime(2000, 1, 1)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def review_pdf(review: Review) -> bytes:
    html = render_record_html("records/kpi_review.html", title=review.title, issuer="区安全生产委员会办公室",
                              number=f"KH-{review.window.period.key}", review=review,
                              figures=FIGURES, rate_figures=RATE_FIGURES, buckets=BUCKETS, pct=pct,
                              cutoff=review.window.cutoff)
    created = datetime.combine(review.window.cutoff, datetime.min.time())
    return render_pdf(html, identifier=f"kpi-review-{review.window.period.key}-{review.window.cutoff}",
                      created=created, title=review.title)


def review_filename(review: Review, ext: str) -> str:
    return f"{review.title}-{review.window.cutoff.isoformat()}.{ext}"


__all__ = ["Review", "build_review", "review_xlsx", "review_pdf"]

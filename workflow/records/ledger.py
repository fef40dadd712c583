"""台账: the register of cases of a department and/or period as a landscape PDF."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from workflow.core.audit import AuditEvent
from workflow.core.cases import Case
from workflow.platform.errors import InvalidInput
from workflow.platform.sqltime import utc_start
from workflow.platform.vocab import (
    CLUE_TYPES,
    GRADES,
    HAZARD_CATEGORIES,
    LISTING_LEVELS,
    RECTIFICATION_TYPES,
)
from workflow.records.casedata import DEFAULT_ISSUER, source_with_reporter
from workflow.records.render import format_cn_date, render_pdf, render_record_html
from workflow.records.stamp import ChainStamp, metadata_for, short_code

MAX_ROWS = 2000


def in_period(stmt: Select, date_from: date | None, date_to: date | None,
              column=Case.registered_at) -> Select:
    """Limit ``stmt`` to cases whose ``column`` falls on [from, to] (Shanghai dates)."""
    if date_from and date_to and date_from > date_to:
        raise InvalidInput("起始日期不能晚于截止日期", field="from")
    if date_from:
        stmt = stmt.where(column >= utc_start(date_from))
    if date_to:
        stmt = stmt.where(column < utc_start(date_to + timedelta(days=1)))
    return stmt


def period_text(date_from: date | None, date_to: date | None) -> str:
    if date_from and date_to:
        return f"挂号日期 {format_cn_date(date_from)}至{format_cn_date(date_to)}"
    if date_from:
        return f"挂号日期 {format_cn_date(date_from)}起"
    if date_to:
        return f"挂号日期 截至{format_cn_date(date_to)}"
    return "全部挂号事项"


@dataclass
class LedgerRow:
    number: str
    source: str
    found_on: date | None
    unit: str
    description: str
    grade: str
    measures: str
    department: str
    deadline: date | None
    status: str
    overdue: bool
    closed_at: datetime | None
    # the full 台账 (issue 13); empty on rows from before it
    classification: str = ""   # 线索类别 · 隐患类别 · 整改类型
    territorial: str = ""      # 属地单位
    basis: str = ""            # 判定依据
    control: str = ""          # 停产停业, 临时管控措施
    completion: str = ""       # 实际完成日期, 实际投入资金, 验收人/方式/日期, 监管责任人
    listing: str = ""          # 挂牌层级, 文号


def register_cells(c: Case) -> dict:
    """The 台账 columns of issue 13 as the PDF prints them."""
    classification = " · ".join(x for x in (CLUE_TYPES.get(c.clue_type),
                                            HAZARD_CATEGORIES.get(c.hazard_category),
                                            RECTIFICATION_TYPES.get(c.rectification_type)) if x)
    control = []
    if (c.shutdown or "none") != "none":
        control.append(c.shutdown_label)
    if c.interim_measures:
        control.append(f"临时管控：{c.interim_measures}")
    completion = []
    if c.completed_on:
        completion.append(f"完成 {format_cn_date(c.completed_on)}")
    if c.actual_funds is not None:
        completion.append(f"投入 {c.actual_funds} 万元")
    if c.acceptance_by or c.acceptance_method or c.acceptance_on:
        completion.append("验收 " + "，".join(x for x in (
            c.acceptance_by, c.acceptance_method,
            format_cn_date(c.acceptance_on) if c.acceptance_on else None) if x))
    if c.supervisor_name:
        completion.append(f"监管责任人 {c.supervisor_name}")
    listing = ""
    if c.listed or c.listing_document:
        listing = "挂牌" + ("" if c.listed else "（已摘牌）") + "（" + "，".join(
            x for x in (LISTING_LEVELS.get(c.listing_level), c.listing_document) if x) + "）"
        listing = listing.replace("（）", "")
    return {"classification": classification,
            "territorial": c.territorial_unit.name if c.territorial_unit else "",
            "basis": c.basis or "", "control": "\n".join(control),
            "completion": "\n".join(completion), "listing": listing}


def ledger_cases(session: Session, stmt: Select) -> list[Case]:
    """Run a ledger query (registration order), refusing more than MAX_ROWS rows."""
    count = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    if count > MAX_ROWS:
        raise InvalidInput(f"符合条件的事项有 {count} 件，超过台账 PDF 上限 {MAX_ROWS} 件，"
                           "请缩小部门或日期范围", field="from")
    return list(session.scalars(stmt.order_by(Case.registered_at, Case.id)))


def render_ledger(session: Session, cases: list[Case], *, scope_text: str,
                  issuer: str = DEFAULT_ISSUER, warnings: list | None = None) -> bytes:
    """Render the 台账 PDF; the same cases in the same state give the same bytes.

    Every case's chain stamp is embedded (/SafeLoopChain), so ``records verify``
    checks each row; the visible 台账校验值 is a digest of those stamps.
    """
    stamps = [ChainStamp.of(c) for c in cases]
    digest = hashlib.sha256("\n".join(s.text for s in stamps).encode("utf-8")).hexdigest()
    as_of = None
    if cases:
        as_of = session.scalar(select(func.max(AuditEvent.at))
                               .where(AuditEvent.case_id.in_([c.id for c in cases])))
    as_of = as_of or datetime(2000, 1, 1)
    rows = [LedgerRow(c.display_number, source_with_reporter(c), c.found_on,
                      c.responsible_unit or "", c.description or c.title,
                      GRADES.get(c.grade, c.grade or ""), c.measures_required or "",
                      c.department.name if c.department else "", c.deadline, c.status_label,
                      c.overdue, c.closed_at, **register_cells(c)) for c in cases]
    title = "安全生产问题隐患整改台账"
    html = render_record_html("records/ledger.html", title=title, issuer=issuer,
                              number=f"TZ-{digest[:12]}", rows=rows, scope_text=scope_text,
                              as_of=as_of, digest=digest, code=short_code(digest))
    return render_pdf(html, identifier=f"ledger:{scope_text}:{digest}", created=as_of,
                      title=f"{title}（{scope_text}）", warnings=warnings, **metadata_for(stamps))

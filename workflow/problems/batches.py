"""交办批次 (来文): a list of problems handed down with a 文号, taken in as it arrives.

A batch records who issued the list (国务院/省/市/区 and the issuing body), its 来文文号,
交办日期, overall deadline (as written, e.g. “2020年底前”, and the date it means), the
reporting rule (e.g. 每月25日前报送) and the source its items carry. Its Excel list is
imported through the problem import (``excel_import.import_problems``: the same
all-or-nothing checks and cell naming); each new case is filed as an item of the batch
in the list's own order, with the 原序号 and the deadline text as the list wrote them.

补录: a batch (or a row) marked so keeps a deadline already past as it was; the case is
registered overdue and the figures count it so. 对账销号: ``reconciliation_rows`` gives
every item in order with our number, unit, status, closing date and a one-line 整改情况.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
    func,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship, selectinload

from workflow.core.audit import AuditEvent
from workflow.core.cases import Case
from workflow.core.policy import importer_refusal
from workflow.org.models import User
from workflow.org.roles import READ_ALL_ROLES, ROLE_LABELS
from workflow.platform.base import Base, iso_utc, local_today, utcnow
from workflow.platform.errors import Forbidden, InvalidInput, NotFound, refuse_unknown
from workflow.platform.parsing import parse_date
from workflow.platform.vocab import ISSUER_LEVELS, ISSUER_SOURCES, SOURCES, normalise_key
from workflow.problems.deadlines import DEFAULT_IMMEDIATE_DAYS, parse_deadline
from workflow.problems.excel_import import DeadlineRules, ImportReport, import_problems

BATCH_FIELDS = {
    "title": "批次名称", "issuer_level": "交办层级", "issuer": "交办机关", "doc_number": "来文文号",
    "assigned_on": "交办日期", "deadline": "总体整改时限", "reporting_rule": "报送要求",
    "report_day": "每月报送日", "source": "问题来源", "backfill": "补录",
}
TEXT_LIMITS = {"title": 200, "issuer": 100, "doc_number": 60, "deadline": 60,
               "reporting_rule": 200}


class AssignmentBatch(Base):
    __tablename__ = "assignment_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    issuer_level: Mapped[str] = mapped_column(String(10))
    issuer: Mapped[str | None] = mapped_column(String(100))
    doc_number: Mapped[str | None] = mapped_column(String(60))
    assigned_on: Mapped[date] = mapped_column(Date)
    deadline_text: Mapped[str | None] = mapped_column(String(60))
    deadline: Mapped[date | None] = mapped_column(Date)
    long_term: Mapped[bool] = mapped_column(Boolean, default=False)
    reporting_rule: Mapped[str | None] = mapped_column(String(200))
    report_day: Mapped[int | None] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(20))
    backfill: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    created_by: Mapped[User | None] = relationship()

    @property
    def issuer_level_label(self) -> str:
        return ISSUER_LEVELS.get(self.issuer_level, self.issuer_level)

    @property
    def source_label(self) -> str:
        return SOURCES[self.source][0] if self.source in SOURCES else self.source

    @property
    def reporting_text(self) -> str:
        parts = [f"每月{self.report_day}日前报送"] if self.report_day else []
        if self.reporting_rule:
            parts.append(self.reporting_rule)
        return "；".join(parts)

    def next_report_on(self, today: date) -> date | None:
        """The next 每月N日前 reporting day on or after ``today`` (the month's last day when
        N is beyond it)."""
        if not self.report_day:
            return None
        year, month = today.year, today.month
        for _ in range(2):
            last = (date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)).day
            day = date(year, month, min(self.report_day, last))
            if day >= today:
                return day
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return None

    def to_dict(self, counts: dict | None = None) -> dict:
        out = {"id": self.id, "title": self.title, "issuer_level": self.issuer_level,
               "issuer_level_label": self.issuer_level_label, "issuer": self.issuer,
               "doc_number": self.doc_number, "assigned_on": self.assigned_on.isoformat(),
               "deadline": self.deadline_text,
               "deadline_date": self.deadline.isoformat() if self.deadline else None,
               "long_term": self.long_term, "reporting_rule": self.reporting_rule,
               "report_day": self.report_day,
               "next_report_on": (d.isoformat() if (d := self.next_report_on(local_today()))
                                  else None),
               "source": self.source,
               "source_label": self.source_label, "backfill": self.backfill,
               "created_at": iso_utc(self.created_at)}
        if counts is not None:
            out.update(counts)
        return out


class BatchItem(Base):
    """One line of a batch's list: the case it became, in the list's own order."""

    __tablename__ = "assignment_batch_items"
    __table_args__ = (UniqueConstraint("batch_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("assignment_batches.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), unique=True)
    position: Mapped[int] = mapped_column(Integer)
    sheet_row: Mapped[int | None] = mapped_column(Integer)
    original_number: Mapped[str | None] = mapped_column(String(60))
    deadline_text: Mapped[str | None] = mapped_column(String(60))
    immediate: Mapped[bool] = mapped_column(Boolean, default=False)
    long_term: Mapped[bool] = mapped_column(Boolean, default=False)
    backfill: Mapped[bool] = mapped_column(Boolean, default=False)

    case: Mapped[Case] = relationship()


# --- reading --------------------------------------------------------------------------
def reader_refusal(user: User) -> Forbidden | None:
    if user.role in READ_ALL_ROLES:
        return None
    names = "、".join(ROLE_LABELS[r] for r in sorted(READ_ALL_ROLES))
    return Forbidden(f"交办批次仅{names}可查看（当前角色：{user.role_label}）",
                     needed_roles=sorted(READ_ALL_ROLES), rules=["role_required"])


def get_batch(session: Session, batch_id: int, user: User) -> AssignmentBatch:
    if refusal := reader_refusal(user):
        raise refusal
    batch = session.get(AssignmentBatch, batch_id)
    if batch is None:
        raise NotFound(f"交办批次 {batch_id} 不存在")
    return batch


def batch_counts(session: Session, batch_ids: list[int]) -> dict[int, dict]:
    """Per batch: items, closed (销号), open, overdue and 长期坚持 items."""
    out = {i: {"items": 0, "closed": 0, "overdue": 0, "long_term_items": 0} for i in batch_ids}
    if not batch_ids:
        return out
    rows = session.execute(
        select(BatchItem.batch_id, Case.status, Case.overdue, Case.long_term, Case.deadline,
               func.count())
        .join(Case, Case.id == BatchItem.case_id)
        .where(BatchItem.batch_id.in_(batch_ids))
        .group_by(BatchItem.batch_id, Case.status, Case.overdue, Case.long_term, Case.deadline))
    today = local_today()
    for batch_id, status, overdue, long_term, deadline, n in rows:
        c = out[batch_id]
        c["items"] += n
        if status == "closed":
            c["closed"] += n
        if long_term:
            c["long_term_items"] += n
        if status not in ("closed", "cancelled", "draft") and deadline and (
                overdue or deadline < today):
            c["overdue"] += n
    return out


def list_batches(session: Session, user: User) -> list[AssignmentBatch]:
    if refusal := reader_refusal(user):
        raise refusal
    return list(session.scalars(select(AssignmentBatch).order_by(
        AssignmentBatch.assigned_on.desc(), AssignmentBatch.id.desc())))


def items_of(session: Session, batch: AssignmentBatch) -> list[BatchItem]:
    return list(session.scalars(select(BatchItem).where(BatchItem.batch_id == batch.id)
                                .options(selectinload(BatchItem.case).selectinload(Case.department))
                                .order_by(BatchItem.position)))


# --- creating -------------------------------------------------------------------------
def _flag(value, field: str) -> bool:
    if value in (None, ""):
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "1", "on", "yes", "是"):
        return True
    if isinstance(value, str) and value.strip().lower() in ("false", "0", "off", "no", "否"):
        return False
    raise InvalidInput(f"{BATCH_FIELDS[field]}（{field}）须为 true 或 false", field=field)


def create_batch(session: Session, actor: User, raw: dict, *, now: datetime | None = None,
                 immediate_days: int = DEFAULT_IMMEDIATE_DAYS, calendar=None) -> AssignmentBatch:
    """Record a batch (来文) before its list is imported; flushes only."""
    if refusal := importer_refusal(actor, "登记交办批次"):
        raise refusal
    if not isinstance(raw, dict):
        raise InvalidInput("请求体须为 JSON 对象", field=None)
    refuse_unknown(raw, set(BATCH_FIELDS))
    now = now or utcnow()
    today = local_today(now)
    values: dict = {}
    for name, limit in TEXT_LIMITS.items():
        value = raw.get(name)
        if value is None:
            continue
        if not isinstance(value, str):
            raise InvalidInput(f"{BATCH_FIELDS[name]}（{name}）须为文本", field=name)
        value = value.strip()
        if len(value) > limit:
            raise InvalidInput(f"{BATCH_FIELDS[name]}过长（最多 {limit} 字）", field=name)
        values[name] = value or None
    if not values.get("title"):
        raise InvalidInput("批次名称（title）为必填项", field="title")
    level = raw.get("issuer_level")
    if not isinstance(level, str) or normalise_key(level, ISSUER_LEVELS) is None:
        raise InvalidInput("交办层级（issuer_level）须为 state（国务院）、province（省）、"
                           "city（市）或 district（区）", field="issuer_level")
    level = normalise_key(level, ISSUER_LEVELS)
    if raw.get("assigned_on") in (None, ""):
        raise InvalidInput("交办日期（assigned_on）为必填项", field="assigned_on")
    assigned_on = parse_date(raw["assigned_on"], "assigned_on", BATCH_FIELDS["assigned_on"])
    if assigned_on > today:
        raise InvalidInput("交办日期不能晚于今天", field="assigned_on")
    backfill = _flag(raw.get("backfill"), "backfill")
    deadline = None
    long_term = False
    if values.get("deadline"):
        try:
            parsed = parse_deadline(values["deadline"], reference=assigned_on, calendar=calendar,
                                    immediate_days=immediate_days)
        except ValueError:
            raise InvalidInput(f"总体整改时限“{values['deadline'][:30]}”无法识别：应为日期（如 "
                               "2020-12-31、2020年12月31日）或“2020年底前”“12月底前”“立行立改”"
                               "“长期坚持”", field="deadline") from None
        deadline, long_term = parsed.deadline, parsed.long_term
        if deadline is not None and deadline < today and not backfill:
            raise InvalidInput(f"总体整改时限 {deadline.isoformat()} 已过；历史清单请标记补录"
                               "（backfill）后登记", field="deadline")
    report_day = raw.get("report_day")
    if report_day not in (None, ""):
        if isinstance(report_day, bool) or not isinstance(report_day, int) \
                or not 1 <= report_day <= 31:
            raise InvalidInput("每月报送日（report_day）须为 1–31 的整数", field="report_day")
    else:
        report_day = None
    source = ISSUER_SOURCES[level]
    if raw.get("source") not in (None, ""):
        table = {k: v for k, v in SOURCES.items() if k != "task_list"}
        source = normalise_key(raw["source"], table) if isinstance(raw["source"], str) else None
        if source is None:
            raise InvalidInput(f"未知的问题来源“{str(raw['source'])[:20]}”", field="source")
    batch = AssignmentBatch(
        title=values["title"], issuer_level=level, issuer=values.get("issuer"),
        doc_number=values.get("doc_number"), assigned_on=assigned_on,
        deadline_text=values.get("deadline"), deadline=deadline, long_term=long_term,
        reporting_rule=values.get("reporting_rule"), report_day=report_day, source=source,
        backfill=backfill, created_by_id=actor.id, created_at=now)
    session.add(batch)
    session.flush()
    return batch


def import_batch(session: Session, actor: User, batch_id: int, data: bytes, filename: str, *,
                 dry_run: bool = False, register: bool = False, grade: str | None = None,
                 immediate_days: int = DEFAULT_IMMEDIATE_DAYS, settings=None,
                 max_rows: int | None = None, sheet: str | None = None,
                 now: datetime | None = None) -> ImportReport:
    """Import a batch's Excel list: every row a case and an item, in the list's order.

    All-or-nothing: one bad row and nothing is written (``ImportRejected`` naming each
    bad cell). Rows without a deadline take the batch's overall deadline; rows without a
    source the batch's; without a grade ``grade`` (default 一般).
    """
    if refusal := importer_refusal(actor, "导入交办批次清单"):
        raise refusal
    batch = get_batch(session, batch_id, actor)
    start = session.scalar(select(func.coalesce(func.max(BatchItem.position), 0))
                           .where(BatchItem.batch_id == batch.id)) or 0
    added: list[BatchItem] = []

    def file_item(parsed, case):
        item = BatchItem(batch_id=batch.id, case_id=case.id, position=start + len(added) + 1,
                         sheet_row=parsed.row, original_number=case.original_number,
                         deadline_text=(parsed.deadline_text or "")[:60] or None,
                         immediate=parsed.immediate, long_term=parsed.long_term,
                         backfill=parsed.backfill)
        session.add(item)
        added.append(item)
        return {"batch_id": batch.id, "batch_position": item.position,
                **({"batch_doc_number": batch.doc_number} if batch.doc_number else {})}

    rules = DeadlineRules(reference=batch.assigned_on, immediate_days=immediate_days,
                          backfill=batch.backfill, default=batch.deadline_text)
    return import_problems(session, actor, data, filename, dry_run=dry_run, register=register,
                           defaults={"source": batch.source, "grade": grade or "general"},
                           now=now, settings=settings, max_rows=max_rows, sheet=sheet,
                           deadline_rules=rules, on_created=file_item)


# --- 对账销号 --------------------------------------------------------------------------
@dataclass
class ReconciliationRow:
    position: int
    original_number: str | None
    number: str
    title: str
    department: str
    deadline: str
    status: str
    closed_on: date | None
    progress: str
    overdue: bool


def _one_line(text: str | None, limit: int = 80) -> str:
    line = re.sub(r"\s+", " ", (text or "")).strip()
    return line if len(line) <= limit else line[: limit - 1] + "…"


_PHRASE = re.compile(r"底|末|半年|季度|立行|立即|长期|持续|常态")


def _deadline_shown(item: BatchItem, case: Case) -> str:
    """The list's own words where they say more than a date (“2020年底前”, “立行立改”),
    else the current deadline written 2020年12月31日 (an extension shows its new date)."""
    text = item.deadline_text or ""
    if _PHRASE.search(text) and (case.deadline == case.original_deadline or not case.deadline
                                 or case.original_deadline is None):
        return text
    if case.deadline is None:
        return "长期坚持" if case.long_term else ""
    d = case.deadline
    return f"{d.year}年{d.month}月{d.day}日" + ("并长期坚持" if case.long_term else "")


def reconciliation_rows(session: Session, batch: AssignmentBatch) -> list[ReconciliationRow]:
    """Every item of the batch in its original order: the table sent back up."""
    items = items_of(session, batch)
    ids = [i.case_id for i in items]
    latest: dict[int, str] = {}
    if ids:
        for case_id, comment in session.execute(
                select(AuditEvent.case_id, AuditEvent.comment)
                .where(AuditEvent.case_id.in_(ids), AuditEvent.action == "progress")
                .order_by(AuditEvent.case_id, AuditEvent.seq)):
            latest[case_id] = comment or ""
    today = local_today()
    rows = []
    for item in items:
        case = item.case
        overdue = bool(case.status not in ("closed", "cancelled", "draft") and case.deadline
                       and (case.overdue or case.deadline < today))
        if case.status == "closed":
            progress = "已整改到位，已销号" + (
                f"：{case.rectification_statement}" if case.rectification_statement else "")
        elif case.status in ("reported", "verified"):
            progress = "已整改上报，待核查销号" + (
                f"：{case.rectification_statement}" if case.rectification_statement else "")
        elif case.id in latest:
            progress = f"正在整改：{latest[case.id]}"
        elif case.status == "draft":
            progress = "已接收，待交办"
        elif case.status == "cancelled":
            progress = "已撤销"
        else:
            progress = "已交办责任单位，正在整改"
        if case.long_term and case.status != "closed":
            progress = "长期坚持，" + progress
        if overdue:
            progress = f"逾期{(today - case.deadline).days}天，" + progress
        deadline = _deadline_shown(item, case)
        rows.append(ReconciliationRow(
            position=item.position, original_number=item.original_number,
            number=case.display_number, title=case.title,
            department=case.department.name if case.department else "",
            deadline=deadline, status=case.status_label,
            closed_on=local_today(case.closed_at) if case.closed_at else None,
            progress=_one_line(progress), overdue=overdue))
    return rows


__all__ = ["AssignmentBatch", "BatchItem", "create_batch", "import_batch", "get_batch",
           "list_batches", "items_of", "batch_counts", "reconciliation_rows",
           "ReconciliationRow", "importer_refusal"]

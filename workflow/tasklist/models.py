"""The annual task list (目标任务清单): plans, their items, task cases and target progress.

A plan holds one year's list; each item (具体内容) keeps its place in the
目标项目 → 目标任务 hierarchy, its lead and co-responsible departments and groups, and
its quantitative target. Each lead department of an item gets one task case; the item's
status is rolled up from those cases (``item_status``), never stored.
"""
from __future__ import annotations

import json
from datetime import date, datetime

from sqlalchemy import (
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship, selectinload

from workflow.core.cases import Case
from workflow.org.models import Department, DepartmentGroup, User
from workflow.platform.base import Base, iso_utc, utcnow
from workflow.platform.vocab import STATUSES
from workflow.platform.wording import TASK_STATUS_LABELS


def _link_table(name: str, target: str) -> Table:
    return Table(
        name, Base.metadata,
        Column("item_id", ForeignKey("plan_items.id", ondelete="CASCADE"), primary_key=True),
        Column(f"{target}_id", ForeignKey(f"{target}s.id" if target == "department"
                                          else "department_groups.id", ondelete="CASCADE"),
               primary_key=True, index=True),
    )


item_lead_departments = _link_table("plan_item_lead_departments", "department")
item_co_departments = _link_table("plan_item_co_departments", "department")
item_lead_groups = _link_table("plan_item_lead_groups", "group")
item_co_groups = _link_table("plan_item_co_groups", "group")


class Plan(Base):
    """One year's 目标任务清单."""

    __tablename__ = "plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer, unique=True)
    title: Mapped[str] = mapped_column(String(200))
    doc_number: Mapped[str | None] = mapped_column(String(100))  # 文号
    source_filename: Mapped[str] = mapped_column(String(255))
    source_sha256: Mapped[str] = mapped_column(String(64))
    imported_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    imported_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    items: Mapped[list[PlanItem]] = relationship(back_populates="plan", order_by="PlanItem.seq")
    imported_by: Mapped[User | None] = relationship()

    @property
    def last_day(self) -> date:
        return date(self.year, 12, 31)

    def active_items(self) -> list[PlanItem]:
        return [i for i in self.items if i.withdrawn_at is None]

    def to_dict(self) -> dict:
        items = self.active_items()
        return {"id": self.id, "year": self.year, "title": self.title,
                "doc_number": self.doc_number, "source_filename": self.source_filename,
                "source_sha256": self.source_sha256, "imported_at": iso_utc(self.imported_at),
                "updated_at": iso_utc(self.updated_at),
                "counts": {"projects": len({i.project_no for i in items}),
                           "tasks": len({(i.project_no, i.task) for i in items}),
                           "items": len(items),
                           "withdrawn_items": len(self.items) - len(items)}}


class PlanItem(Base):
    """One 具体内容 item of a plan."""

    __tablename__ = "plan_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    project_no: Mapped[int] = mapped_column(Integer)
    project: Mapped[str] = mapped_column(Text)
    task: Mapped[str] = mapped_column(Text)
    content: Mapped[str] = mapped_column(Text)
    remark: Mapped[str] = mapped_column(Text, default="")
    target_count: Mapped[int | None] = mapped_column(Integer)
    target_period_years: Mapped[int | None] = mapped_column(Integer)
    target_text: Mapped[str | None] = mapped_column(String(200))
    deadline: Mapped[date | None] = mapped_column(Date)  # None: the plan year's last day
    # SHA-256 of what the list says about the item: tells a re-import what changed
    fingerprint: Mapped[str] = mapped_column(String(64), index=True)
    source_row: Mapped[int | None] = mapped_column(Integer)
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime)

    plan: Mapped[Plan] = relationship(back_populates="items")
    lead_departments: Mapped[list[Department]] = relationship(secondary=item_lead_departments,
                                                              order_by="Department.name")
    co_departments: Mapped[list[Department]] = relationship(secondary=item_co_departments,
                                                            order_by="Department.name")
    lead_groups: Mapped[list[DepartmentGroup]] = relationship(secondary=item_lead_groups,
                                                              order_by="DepartmentGroup.key")
    co_groups: Mapped[list[DepartmentGroup]] = relationship(secondary=item_co_groups,
                                                            order_by="DepartmentGroup.key")
    case_links: Mapped[list[PlanItemCase]] = relationship(back_populates="item",
                                                          order_by="PlanItemCase.case_id")

    @property
    def cases(self) -> list[Case]:
        return [link.case for link in self.case_links]

    @property
    def effective_deadline(self) -> date:
        return self.deadline or self.plan.last_day

    @property
    def target_period_label(self) -> str | None:
        if not self.target_count:
            return None
        period = "每年" if (self.target_period_years or 1) == 1 else f"每{self.target_period_years}年"
        return f"{period}{self.target_count}次"

    def to_dict(self, progress: dict[int, int] | None = None) -> dict:
        """The item as the API gives it; ``progress`` maps case id → occurrences."""
        status = item_status(self)
        out = {
            "id": self.id, "plan_id": self.plan_id, "seq": self.seq,
            "project_no": self.project_no, "project": self.project, "task": self.task,
            "content": self.content, "remark": self.remark,
            "lead_departments": [d.name for d in self.lead_departments],
            "co_departments": [d.name for d in self.co_departments],
            "lead_groups": [g.name for g in self.lead_groups],
            "co_groups": [g.name for g in self.co_groups],
            "target_count": self.target_count,
            "target_period": self.target_period_years if self.target_count else None,
            "target_text": self.target_text,
            "deadline": self.effective_deadline.isoformat(),
            "status": status, "status_label": ITEM_STATUS_LABELS[status],
            "withdrawn": self.withdrawn_at is not None,
            "case_ids": [link.case_id for link in self.case_links],
        }
        if progress is not None:
            out["cases"] = [{
                "id": c.id, "number": c.number, "department": c.department.name if c.department
                else None, "status": c.status, "status_label": c.status_label,
                "progress": progress_text(progress.get(c.id, 0), self.target_count)}
                for c in self.cases]
        return out


class PlanItemCase(Base):
    """The task case of one lead department for one item.

    ``department_id`` is the lead department the case was made for: it stays when the
    case is transferred, so a re-import does not make a second case for it.
    """

    __tablename__ = "plan_item_cases"
    __table_args__ = (UniqueConstraint("item_id", "department_id",
                                       name="uq_plan_item_cases_item_department"),)

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"),
                                         primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("plan_items.id", ondelete="CASCADE"),
                                         index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"))

    item: Mapped[PlanItem] = relationship(back_populates="case_links")
    case: Mapped[Case] = relationship()


class TargetOccurrence(Base):
    """One recorded fulfilment of an item's target (e.g. one 常委会 meeting), with evidence."""

    __tablename__ = "target_occurrences"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    occurred_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text)
    evidence_ids_json: Mapped[str] = mapped_column(Text, default="[]")
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    recorded_by: Mapped[User] = relationship()

    @property
    def evidence_ids(self) -> list[int]:
        return json.loads(self.evidence_ids_json or "[]")

    def to_dict(self) -> dict:
        return {"id": self.id, "case_id": self.case_id,
                "occurred_on": self.occurred_on.isoformat(), "note": self.note,
                "evidence_ids": self.evidence_ids, "recorded_by_id": self.recorded_by_id,
                "recorded_by": self.recorded_by.display_name if self.recorded_by else None,
                "recorded_at": iso_utc(self.recorded_at)}


# --- roll-up and progress ------------------------------------------------------------

ITEM_STATUS_LABELS = {
    **TASK_STATUS_LABELS,
    "closed": "已完成（全部办结）",
    "cancelled": "已撤销",
    "unassigned": "未交办（部门组无成员）",
    "withdrawn": "已从清单删除",
}
_PROGRESS_ORDER = [s for s in STATUSES if s != "cancelled"]


def item_status(item: PlanItem) -> str:
    """Roll the cases up: closed only when every case is; otherwise the slowest case.

    Cancelled cases leave the roll-up; an item whose cases are all cancelled is cancelled,
    one with no case at all (a lead group without members) is ``unassigned``.
    """
    if item.withdrawn_at is not None:
        return "withdrawn"
    statuses = [c.status for c in item.cases]
    if not statuses:
        return "unassigned"
    live = [s for s in statuses if s != "cancelled"]
    if not live:
        return "cancelled"
    return min(live, key=_PROGRESS_ORDER.index)


def progress_text(done: int, target: int | None) -> str | None:
    """"1/2": occurrences recorded with evidence over the target count."""
    return f"{done}/{target}" if target else None


def occurrence_counts(session: Session, case_ids) -> dict[int, int]:
    """Case id → number of recorded occurrences."""
    ids = list(case_ids)
    if not ids:
        return {}
    rows = session.execute(select(TargetOccurrence.case_id, func.count())
                           .where(TargetOccurrence.case_id.in_(ids))
                           .group_by(TargetOccurrence.case_id))
    return {case_id: n for case_id, n in rows}


def item_of_case(session: Session, case_id: int) -> PlanItem | None:
    return session.scalar(select(PlanItem).join(PlanItemCase).where(PlanItemCase.case_id == case_id))


def plan_for_year(session: Session, year: int) -> Plan | None:
    return session.scalar(select(Plan).where(Plan.year == year))


def load_items(session: Session, plan: Plan, *, include_withdrawn: bool = False) -> list[PlanItem]:
    """The plan's items with departments, groups and cases loaded in a few queries."""
    stmt = (select(PlanItem).where(PlanItem.plan_id == plan.id)
            .options(selectinload(PlanItem.lead_departments), selectinload(PlanItem.co_departments),
                     selectinload(PlanItem.lead_groups), selectinload(PlanItem.co_groups),
                     selectinload(PlanItem.case_links).selectinload(PlanItemCase.case)
                     .selectinload(Case.department))
            .order_by(PlanItem.seq, PlanItem.id))
    if not include_withdrawn:
        stmt = stmt.where(PlanItem.withdrawn_at.is_(None))
    return list(session.scalars(stmt))


def hierarchy(items: list[PlanItem]) -> list[dict]:
    """目标项目 → 目标任务 → items, with item counts by rolled-up status."""
    projects: dict[int, dict] = {}
    for item in items:
        status = item_status(item)
        project = projects.setdefault(item.project_no, {
            "project_no": item.project_no, "project": item.project, "tasks": [],
            "counts": _counts()})
        if not project["tasks"] or project["tasks"][-1]["task"] != item.task:
            project["tasks"].append({"task": item.task, "item_ids": [], "counts": _counts()})
        task = project["tasks"][-1]
        task["item_ids"].append(item.id)
        for counts in (project["counts"], task["counts"]):
            counts["items"] += 1
            counts["cases"] += len(item.case_links)
            counts["closed_items"] += status == "closed"
            counts["unassigned_items"] += status == "unassigned"
            counts["with_target"] += bool(item.target_count)
    return list(projects.values())


def _counts() -> dict:
    return {"items": 0, "cases": 0, "closed_items": 0, "unassigned_items": 0, "with_target": 0}


# --- the plan page for departments: 只看本单位 (牵头 / 配合) and search ----------------------
def unit_role(item: PlanItem, department_id: int | None) -> str | None:
    """"lead" or "co" when the unit (or a group it belongs to) is named on the item."""
    if department_id is None:
        return None
    if any(d.id == department_id for d in item.lead_departments) or any(
            m.id == department_id for g in item.lead_groups for m in g.members):
        return "lead"
    if any(d.id == department_id for d in item.co_departments) or any(
            m.id == department_id for g in item.co_groups for m in g.members):
        return "co"
    return None


def matching_items(items: list[PlanItem], *, department_id: int | None, mine: str,
                   query: str) -> set[int]:
    """Ids of the items shown: the unit's own (``mine``: lead, co, both) and the search text."""
    words = [w for w in (query or "").split() if w]
    shown = set()
    for item in items:
        if mine in ("lead", "co", "both"):
            role = unit_role(item, department_id)
            if role is None or (mine != "both" and role != mine):
                continue
        text = " ".join([item.project or "", item.task or "", item.content or "",
                         item.remark or "", *[c.display_number for c in item.cases]])
        if all(w in text for w in words):
            shown.add(item.id)
    return shown

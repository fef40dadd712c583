"""The annual task list (目标任务清单): plans, their items, task cases and target progress.

A plan holds one list (a year's, or a campaign's across years); each item (具体内容) keeps
its place in the 目标项目 → 目标任务 hierarchy, the departments and groups as parsed, the cell
verbatim, and its responsibilities: who owes it (牵头/责任/配合), each with its own targets.
Each lead or responsible unit gets one task case; the item's status is rolled up from those
cases (``item_status``), never stored.
"""
from __future__ import annotations

import json
from datetime import date, datetime

from sqlalchemy import (
    Boolean,
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
from workflow.tasklist.departments import GROUP_NAMES as GROUP_LABELS
from workflow.tasklist.departments import OTHERS as OTHERS_KEY


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


PLAN_KINDS = {"annual": "年度目标任务清单", "key_points": "安委会工作要点",
              "duties": "成员单位职责清单", "campaign": "专项行动"}


class Plan(Base):
    """A task list: one year's 目标任务清单, 工作要点 or 职责清单, or a campaign across years.

    ``year`` is the first year (kept for the existing API); ``start_year``/``end_year``
    and ``kind`` are empty on plans imported before lists had kinds (read: annual, one year).
    """

    __tablename__ = "plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    kind: Mapped[str | None] = mapped_column(String(20))
    start_year: Mapped[int | None] = mapped_column(Integer)
    end_year: Mapped[int | None] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    doc_number: Mapped[str | None] = mapped_column(String(100))  # 文号
    source_filename: Mapped[str] = mapped_column(String(255))
    source_sha256: Mapped[str] = mapped_column(String(64))
    imported_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    imported_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    items: Mapped[list[PlanItem]] = relationship(back_populates="plan", order_by="PlanItem.seq")
    imported_by: Mapped[User | None] = relationship()
    milestones: Mapped[list[PlanMilestone]] = relationship(
        back_populates="plan", order_by="PlanMilestone.starts_on, PlanMilestone.id",
        cascade="all, delete-orphan")

    @property
    def kind_value(self) -> str:
        return self.kind or "annual"

    @property
    def kind_label(self) -> str:
        return PLAN_KINDS.get(self.kind_value, self.kind_value)

    @property
    def first_year(self) -> int:
        return self.start_year or self.year

    @property
    def last_year(self) -> int:
        return self.end_year or self.first_year

    @property
    def last_day(self) -> date:
        return date(self.last_year, 12, 31)

    def active_items(self) -> list[PlanItem]:
        return [i for i in self.items if i.withdrawn_at is None]

    def to_dict(self) -> dict:
        items = self.active_items()
        return {"id": self.id, "year": self.year, "title": self.title,
                "doc_number": self.doc_number, "source_filename": self.source_filename,
                "source_sha256": self.source_sha256, "imported_at": iso_utc(self.imported_at),
                "updated_at": iso_utc(self.updated_at),
                "kind": self.kind_value, "kind_label": self.kind_label,
                "start_year": self.first_year, "end_year": self.last_year,
                "milestones": [m.to_dict() for m in self.milestones],
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
    # the 责任部门 cell as written (None on items imported before it was kept)
    raw_departments: Mapped[str | None] = mapped_column(Text)
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
    responsibilities: Mapped[list[Responsibility]] = relationship(
        back_populates="item", order_by="Responsibility.position, Responsibility.id",
        cascade="all, delete-orphan")

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

    def responsibility_of_case(self, case_id: int) -> Responsibility | None:
        return next((r for r in self.responsibilities if r.case_id == case_id), None)

    def target_of_case(self, case_id: int) -> tuple[int, int] | None:
        """(count, period in years) the case's unit owes; the item's own target for items
        imported before targets belonged to responsibilities."""
        if not self.responsibilities:
            return (self.target_count, self.target_period_years or 1) if self.target_count else None
        resp = self.responsibility_of_case(case_id)
        if resp is None or not resp.targets:
            return None
        top = max(resp.targets, key=lambda t: (t.count, -t.period_years))
        return top.count, top.period_years

    def target_count_of_case(self, case_id: int) -> int | None:
        found = self.target_of_case(case_id)
        return found[0] if found else None

    def target_window_of_case(self, case_id: int) -> tuple[date, date] | None:
        """The dates whose occurrences count: the cycles over the plan's years."""
        resp = self.responsibility_of_case(case_id) if self.responsibilities else None
        if resp is None or not resp.targets:
            found = self.target_of_case(case_id)
            if found is None:
                return None
            return date(self.plan.year - found[1] + 1, 1, 1), date(self.plan.last_year, 12, 31)
        first = min(t.cycle(self.plan.first_year)[0] for t in resp.targets)
        last = max(t.cycle(self.plan.last_year)[1] for t in resp.targets)
        return date(first, 1, 1), date(last, 12, 31)

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
            "raw_departments": self.raw_departments,
            "responsibilities": [r.to_dict() for r in self.responsibilities if r.listed],
        }
        if progress is not None:
            out["cases"] = [{
                "id": c.id, "number": c.number, "department": c.department.name if c.department
                else None, "status": c.status, "status_label": c.status_label,
                "progress": progress_text(progress.get(c.id, 0), self.target_count_of_case(c.id))}
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


class PlanMilestone(Base):
    """A stage of a plan (三年行动: 动员部署 / 排查整治 / 集中攻坚 / 巩固提升) with its dates."""

    __tablename__ = "plan_milestones"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plans.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)

    plan: Mapped[Plan] = relationship(back_populates="milestones")

    def to_dict(self) -> dict:
        return {"id": self.id, "name": self.name, "starts_on": self.starts_on.isoformat(),
                "ends_on": self.ends_on.isoformat()}


class Responsibility(Base):
    """Who owes an item, and how: 牵头 (lead), 责任 (responsible) or 配合 (support).

    A unit row has ``department_id``; a group row (各地, 各安委会成员单位 …) has
    ``group_key`` and no department: ``pending`` (待分解) until its members are filled,
    then one member row per member (``parent_id`` → the group row). Lead and responsible
    unit rows each carry the task case of their unit (``case_id``); support rows never do.
    ``group_key`` "等部门" is the unnamed others of "X等部门" (support, nothing to expand).
    """

    __tablename__ = "plan_responsibilities"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("plan_items.id", ondelete="CASCADE"),
                                         index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    role: Mapped[str] = mapped_column(String(12))
    name: Mapped[str] = mapped_column(String(100))  # as the list wrote it
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    group_key: Mapped[str | None] = mapped_column(String(50))
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("plan_responsibilities.id", ondelete="CASCADE"))
    pending: Mapped[bool] = mapped_column(Boolean, default=False)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="SET NULL"))

    item: Mapped[PlanItem] = relationship(back_populates="responsibilities")
    department: Mapped[Department | None] = relationship(lazy="joined")
    targets: Mapped[list[ResponsibilityTarget]] = relationship(
        back_populates="responsibility", order_by="ResponsibilityTarget.id",
        cascade="all, delete-orphan", lazy="selectin")

    @property
    def is_group(self) -> bool:
        return self.department_id is None and self.group_key is not None

    @property
    def listed(self) -> bool:
        """Shown in the API: units, pending groups, and the "等部门" of support."""
        return not self.is_group or self.pending or self.group_key == OTHERS_KEY

    def group_name(self, parent: Responsibility | None = None) -> str | None:
        key = self.group_key if self.is_group else (parent.group_key if parent else None)
        if key is None:
            return None
        return OTHERS_KEY if key == OTHERS_KEY else GROUP_LABELS.get(key, key)

    def to_dict(self) -> dict:
        parent = next((r for r in self.item.responsibilities if r.id == self.parent_id), None) \
            if self.parent_id else None
        return {"department": self.department.name if self.department else None,
                "department_id": self.department_id, "name": self.name,
                "group": self.group_name(parent), "role": self.role, "pending": self.pending,
                "targets": [t.to_dict() for t in self.targets], "case_id": self.case_id}


class ResponsibilityTarget(Base):
    """A quantitative target one responsibility owes (区委办: 每年不少于2次).

    A cycle longer than a year (每3年一次, 一届任期) runs from ``cycle_start_year`` in
    steps of ``period_years``; it is due in the cycle's last year.
    """

    __tablename__ = "plan_item_targets"

    id: Mapped[int] = mapped_column(primary_key=True)
    responsibility_id: Mapped[int] = mapped_column(
        ForeignKey("plan_responsibilities.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(String(200))
    count: Mapped[int] = mapped_column(Integer)
    period_years: Mapped[int] = mapped_column(Integer, default=1)
    cycle_start_year: Mapped[int] = mapped_column(Integer)

    responsibility: Mapped[Responsibility] = relationship(back_populates="targets")

    def cycle(self, year: int) -> tuple[int, int]:
        """(first, last) year of the cycle that contains ``year``."""
        period = max(self.period_years or 1, 1)
        first = self.cycle_start_year + ((year - self.cycle_start_year) // period) * period
        return first, first + period - 1

    def due_in(self, year: int) -> bool:
        return self.cycle(year)[1] == year

    def to_dict(self) -> dict:
        return {"text": self.text, "count": self.count, "period_years": self.period_years,
                "cycle_start_year": self.cycle_start_year}


class ImportChoice(Base):
    """The office's choices for one file (by SHA-256): name mappings and split changes.

    Stored when the import is confirmed and applied again when the same file is
    imported again, so a re-import neither asks twice nor undoes the office's split.
    """

    __tablename__ = "tasklist_import_choices"

    id: Mapped[int] = mapped_column(primary_key=True)
    source_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    choices_json: Mapped[str] = mapped_column(Text, default="{}")
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    @property
    def choices(self) -> dict:
        return json.loads(self.choices_json or "{}")


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


def plan_for_year(session: Session, year: int, kind: str | None = None) -> Plan | None:
    """The year's plan of that kind (annual by default; old plans without kind count)."""
    plans = session.scalars(select(Plan).where(Plan.year == year).order_by(Plan.id)).all()
    kind = kind or "annual"
    return next((p for p in plans if p.kind_value == kind), None)


def load_items(session: Session, plan: Plan, *, include_withdrawn: bool = False) -> list[PlanItem]:
    """The plan's items with departments, groups and cases loaded in a few queries."""
    stmt = (select(PlanItem).where(PlanItem.plan_id == plan.id)
            .options(selectinload(PlanItem.lead_departments), selectinload(PlanItem.co_departments),
                     selectinload(PlanItem.responsibilities),
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
    if item.responsibilities:  # who owes the item: 牵头/责任 carry a case, 配合 supports
        roles = {r.role for r in item.responsibilities if r.department_id == department_id}
        if roles & {"lead", "responsible"}:
            return "lead"
        return "co" if roles else None
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


# The target_not_met rule of a task's report (registered with the core's input guards).
from workflow.tasklist import progress as _progress  # noqa: E402,F401

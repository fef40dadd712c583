"""The case: one task item or one problem, driven from 挂号 to 销号."""
from __future__ import annotations

import functools
import json
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Table,
    Text,
    false,
    or_,
    select,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workflow.org.models import Department, User
from workflow.org.roles import DEPARTMENT_ROLES, OFFICE_STAFF, READ_ALL_ROLES
from workflow.platform.base import Base, iso_utc, utcnow
from workflow.platform.masking import mask_contact, mask_name
from workflow.platform.vocab import (
    CLUE_TYPES,
    DISMISSED_LABEL,
    DUTIES,
    GRADES,
    HAZARD_CATEGORIES,
    KINDS,
    LISTING_LEVELS,
    PLAN_ALIASES,
    PLAN_ELEMENTS,
    RECTIFICATION_TYPES,
    SHUTDOWN,
    SOURCES,
)
from workflow.platform.wording import status_labels

case_co_departments = Table(
    "case_co_departments",
    Base.metadata,
    Column("case_id", ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True),
    Column("department_id", ForeignKey("departments.id", ondelete="CASCADE"), primary_key=True,
           index=True),
)


class Case(Base):
    __tablename__ = "cases"
    __table_args__ = (
        Index("ix_cases_status_deadline", "status", "deadline"),
        Index("ix_cases_department_status_deadline", "department_id", "status", "deadline"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), default="problem", index=True)
    number: Mapped[str | None] = mapped_column(String(40), unique=True)
    original_number: Mapped[str | None] = mapped_column(String(60))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str | None] = mapped_column(String(20), index=True)
    grade: Mapped[str | None] = mapped_column(String(10), index=True)
    status: Mapped[str] = mapped_column(String(20), default="draft")
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    round: Mapped[int] = mapped_column(Integer, default=1)

    # 台账 fields of the domain brief §5
    found_on: Mapped[date | None] = mapped_column(Date)
    found_by: Mapped[str | None] = mapped_column(String(100))
    industry: Mapped[str | None] = mapped_column(String(60))
    town: Mapped[str | None] = mapped_column(String(60))
    responsible_unit: Mapped[str | None] = mapped_column(String(200))
    credit_code: Mapped[str | None] = mapped_column(String(18))
    location: Mapped[str | None] = mapped_column(String(200))
    basis: Mapped[str | None] = mapped_column(Text)
    measures_required: Mapped[str | None] = mapped_column(Text)
    responsible_person: Mapped[str | None] = mapped_column(String(60))
    responsible_phone: Mapped[str | None] = mapped_column(String(40))
    funds: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    suspended: Mapped[bool] = mapped_column(Boolean, default=False)
    # 停产停业情况 none | partial | full; ``suspended`` is kept equal to ``shutdown != "none"``
    shutdown: Mapped[str] = mapped_column(String(8), default="none", server_default="none")

    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    # --- the full 台账 and 属地 + 行业 dual responsibility (migration 0016) ---
    territorial_unit_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"),
                                                            index=True)
    enterprise_id: Mapped[int | None] = mapped_column(ForeignKey("enterprises.id"), index=True)
    parent_case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    delegated_by_unit_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"))
    clue_type: Mapped[str | None] = mapped_column(String(10))
    hazard_category: Mapped[str | None] = mapped_column(String(12))
    rectification_type: Mapped[str | None] = mapped_column(String(10))
    interim_measures: Mapped[str | None] = mapped_column(Text)
    completed_on: Mapped[date | None] = mapped_column(Date)
    actual_funds: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    acceptance_by: Mapped[str | None] = mapped_column(String(100))
    acceptance_method: Mapped[str | None] = mapped_column(String(60))
    acceptance_on: Mapped[date | None] = mapped_column(Date)
    supervisor_name: Mapped[str | None] = mapped_column(String(60))
    # comma-separated DUTIES keys the office set for each side
    territorial_duties: Mapped[str | None] = mapped_column(String(200))
    industry_duties: Mapped[str | None] = mapped_column(String(200))
    # 挂牌 as the ledger records it (level and 文号 of the current listing)
    listing_level: Mapped[str | None] = mapped_column(String(10))
    listing_document: Mapped[str | None] = mapped_column(String(100))
    deadline: Mapped[date | None] = mapped_column(Date)
    original_deadline: Mapped[date | None] = mapped_column(Date)
    deadline_working_days: Mapped[int | None] = mapped_column(Integer)

    rectification_statement: Mapped[str | None] = mapped_column(Text)
    plan_json: Mapped[str | None] = mapped_column(Text)

    # Orthogonal flags (domain brief §3)
    overdue: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    extension_pending: Mapped[bool] = mapped_column(Boolean, default=False)
    extended: Mapped[bool] = mapped_column(Boolean, default=False)
    listed: Mapped[bool] = mapped_column(Boolean, default=False)
    supervision_level: Mapped[int] = mapped_column(Integer, default=0)
    returns_count: Mapped[int] = mapped_column(Integer, default=0)

    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    registered_at: Mapped[datetime | None] = mapped_column(DateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(DateTime)
    reported_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reported_at: Mapped[datetime | None] = mapped_column(DateTime)
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    verified_at: Mapped[datetime | None] = mapped_column(DateTime)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime)

    # 监督举报: who reported (shown to the office only) and a 不属实 closure
    reporter_name: Mapped[str | None] = mapped_column(String(60))
    reporter_contact: Mapped[str | None] = mapped_column(String(100))
    dismissed_at: Mapped[datetime | None] = mapped_column(DateTime)
    dismissal_record: Mapped[str | None] = mapped_column(Text)

    # 长期坚持: no end date (or a 立行立改 one, then kept up); reports periodically instead
    long_term: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    # Head of the per-case audit chain, so removing the last event is detected too
    audit_seq: Mapped[int] = mapped_column(Integer, default=0)
    audit_head: Mapped[str | None] = mapped_column(String(64))

    __mapper_args__ = {"version_id_col": version}

    department: Mapped[Department | None] = relationship(foreign_keys=[department_id])
    territorial_unit: Mapped[Department | None] = relationship(foreign_keys=[territorial_unit_id])
    children: Mapped[list[Case]] = relationship(foreign_keys=[parent_case_id], order_by="Case.id",
                                                 back_populates="parent")
    parent: Mapped[Case | None] = relationship(foreign_keys=[parent_case_id], remote_side=[id],
                                               back_populates="children")
    co_departments: Mapped[list[Department]] = relationship(secondary=case_co_departments,
                                                            order_by="Department.name")
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    reported_by: Mapped[User | None] = relationship(foreign_keys=[reported_by_id])
    verified_by: Mapped[User | None] = relationship(foreign_keys=[verified_by_id])
    closed_by: Mapped[User | None] = relationship(foreign_keys=[closed_by_id])

    # --- derived -----------------------------------------------------------
    @property
    def is_major(self) -> bool:
        return self.grade == "major"

    @property
    def needs_director_to_close(self) -> bool:
        """Major hazards and 国务院督导 items are closed by the director only."""
        return self.is_major or self.source == "state_council"

    @property
    def status_label(self) -> str:
        if self.is_dismissed:
            return DISMISSED_LABEL
        return status_labels(self.kind).get(self.status, self.status)

    @property
    def is_task(self) -> bool:
        return self.kind == "task"

    @property
    def is_office_led(self) -> bool:
        """A task the 区安委办 itself owes: its 经办人 carries the department side."""
        return self.kind == "task" and self.department is not None and self.department.kind == "office"

    @property
    def is_complaint(self) -> bool:
        return self.source == "complaint"

    @property
    def is_dismissed(self) -> bool:
        """Closed as 经核实不属实: the matter is ended, nothing was rectified."""
        return self.status == "closed" and self.dismissed_at is not None

    @property
    def outcome(self) -> str | None:
        if self.status != "closed":
            return None
        return "dismissed" if self.dismissed_at is not None else "rectified"

    @property
    def has_reporter(self) -> bool:
        return bool(self.reporter_name or self.reporter_contact)

    @property
    def plan(self) -> dict:
        """The 治理方案 by its six elements; an old 五落实 box reads as the element it fills."""
        return normalise_plan(json.loads(self.plan_json)) if self.plan_json else {}

    @plan.setter
    def plan(self, value: dict) -> None:
        self.plan_json = json.dumps(value, ensure_ascii=False, sort_keys=True)

    @property
    def plan_complete(self) -> bool:
        plan = self.plan
        return all(str(plan.get(part) or "").strip() for part in PLAN_ELEMENTS)

    @property
    def shutdown_label(self) -> str:
        return SHUTDOWN.get(self.shutdown or "none", self.shutdown or "")

    @property
    def display_number(self) -> str:
        return self.number or f"草稿-{self.id}"

    # --- permission predicates (next to the model, as the service uses them) --
    def in_scope_of(self, user: User) -> bool:
        """Whether a department user belongs to the responsible department (for a task the
        office owes, its 经办人 stands in the department's place)."""
        if user.role == OFFICE_STAFF and self.is_office_led:
            return True
        return user.department_id is not None and user.department_id == self.department_id

    def is_co_department_of(self, user: User) -> bool:
        return user.department_id is not None and any(
            d.id == user.department_id for d in self.co_departments)

    def is_territorial_unit_of(self, user: User) -> bool:
        """The user's unit is the case's 属地 unit (属地 + 行业: both answer for it)."""
        return user.department_id is not None and user.department_id == self.territorial_unit_id

    def in_unit_tree_of(self, user: User) -> bool:
        """The case's 行业 or 属地 unit is the user's unit or lies below it (town → 村 → 网格)."""
        if user.department_id is None:
            return False
        return any(unit is not None and user.department_id in unit.ancestor_ids()
                   for unit in (self.department, self.territorial_unit))

    def can_view(self, user: User) -> bool:
        if user.role in READ_ALL_ROLES:
            return True
        if user.role in DEPARTMENT_ROLES:
            return self.in_scope_of(user) or self.is_co_department_of(user) or (
                self.status == "draft" and self.created_by_id == user.id) or (
                self.in_unit_tree_of(user))
        return False

    def to_dict(self) -> dict:
        return {
            "id": self.id, "kind": self.kind, "kind_label": KINDS.get(self.kind),
            "number": self.number, "original_number": self.original_number,
            "title": self.title, "description": self.description,
            "source": self.source, "source_label": SOURCES[self.source][0] if self.source in SOURCES else None,
            "grade": self.grade, "grade_label": GRADES.get(self.grade),
            "status": self.status, "status_label": self.status_label,
            "version": self.version, "round": self.round,
            "found_on": _d(self.found_on), "found_by": self.found_by, "industry": self.industry,
            "town": self.town, "responsible_unit": self.responsible_unit,
            "credit_code": self.credit_code, "location": self.location, "basis": self.basis,
            "measures_required": self.measures_required,
            "responsible_person": self.responsible_person,
            "responsible_phone": self.responsible_phone,
            "funds": str(self.funds) if self.funds is not None else None,
            "suspended": self.suspended,
            "shutdown": self.shutdown or "none", "shutdown_label": self.shutdown_label,
            "department_id": self.department_id,
            "department": self.department.name if self.department else None,
            "co_department_ids": [d.id for d in self.co_departments],
            "deadline": _d(self.deadline), "original_deadline": _d(self.original_deadline),
            "deadline_working_days": self.deadline_working_days,
            "rectification_statement": self.rectification_statement,
            "plan": self.plan, "plan_complete": self.plan_complete,
            "flags": {"overdue": self.overdue, "extension_pending": self.extension_pending,
                      "extended": self.extended, "listed": self.listed,
                      "supervision_level": self.supervision_level,
                      "returns": self.returns_count},
            "created_at": iso_utc(self.created_at), "registered_at": iso_utc(self.registered_at),
            "reported_at": iso_utc(self.reported_at), "verified_at": iso_utc(self.verified_at),
            "closed_at": iso_utc(self.closed_at),
            "audit_seq": self.audit_seq, "audit_head": self.audit_head,
            # the reporter is masked for every reader; the office reveals it on purpose
            # (POST /cases/{id}/reporter), which is recorded in the chain
            "reporter_name": mask_name(self.reporter_name),
            "reporter_contact": mask_contact(self.reporter_contact),
            "reporter_masked": self.has_reporter,
            "outcome": self.outcome, "dismissed_at": iso_utc(self.dismissed_at),
            "dismissal_record": self.dismissal_record,
            **register_fields(self),
        }


def normalise_plan(plan: dict) -> dict:
    """Map old 五落实 keys onto the six elements; an element given by name wins."""
    out = {PLAN_ALIASES[k]: v for k, v in plan.items() if k in PLAN_ALIASES and k not in PLAN_ELEMENTS}
    out.update({k: v for k, v in plan.items() if k in PLAN_ELEMENTS})
    return out


def _d(value: date | None) -> str | None:
    return value.isoformat() if value else None


def visible_cases_filter(user: User):
    """A WHERE clause limiting a case query to what ``user`` may read."""
    if user.role in READ_ALL_ROLES:
        return None
    if user.role in DEPARTMENT_ROLES and user.department_id is not None:
        co = select(case_co_departments.c.case_id).where(
            case_co_departments.c.department_id == user.department_id)
        units = unit_tree_ids(user.department_id, "scope_units")
        return or_(Case.department_id == user.department_id, Case.id.in_(co),
                   (Case.status == "draft") & (Case.created_by_id == user.id),
                   Case.department_id.in_(units), Case.territorial_unit_id.in_(units))
    return Case.id.is_(None)  # sees nothing


@functools.lru_cache(maxsize=4096)
def unit_tree_ids(unit_id: int, name: str = "unit_tree"):
    """A SELECT of ``unit_id`` and every unit below it (recursive: town → 村 → 网格).

    One statement may hold several trees (the reader's scope and a 属地 filter): each use
    names its own (``name``). The same unit and name always give the same object, so a
    statement holding one tree twice renders one CTE, and every statement keeps one cache
    key: a fresh name per call made each scoped query compile anew (about a third of a
    department user's home page) and crowded the compiled-statement cache.
    """
    tree = select(Department.id).where(Department.id == unit_id).cte(name, recursive=True)
    below = select(Department.id).where(Department.parent_id == tree.c.id)
    tree = tree.union(below)
    return select(tree.c.id)


def register_fields(case: Case) -> dict:
    """The 台账 columns, the 属地 unit, the enterprise and the delegation links."""
    def duties(raw):
        return [k for k in (raw or "").split(",") if k in DUTIES]

    return {
        "clue_type": case.clue_type, "clue_type_label": CLUE_TYPES.get(case.clue_type),
        "hazard_category": case.hazard_category,
        "hazard_category_label": HAZARD_CATEGORIES.get(case.hazard_category),
        "rectification_type": case.rectification_type,
        "rectification_type_label": RECTIFICATION_TYPES.get(case.rectification_type),
        "interim_measures": case.interim_measures, "completed_on": _d(case.completed_on),
        "actual_funds": str(case.actual_funds) if case.actual_funds is not None else None,
        "acceptance_by": case.acceptance_by, "acceptance_method": case.acceptance_method,
        "acceptance_on": _d(case.acceptance_on), "supervisor_name": case.supervisor_name,
        "territorial_unit_id": case.territorial_unit_id,
        "territorial_unit": case.territorial_unit.name if case.territorial_unit else None,
        "enterprise_id": case.enterprise_id, "parent_case_id": case.parent_case_id,
        "delegated_by_unit_id": case.delegated_by_unit_id,
        "territorial_duties": duties(case.territorial_duties),
        "industry_duties": duties(case.industry_duties),
        "listing_level": case.listing_level,
        "listing_level_label": LISTING_LEVELS.get(case.listing_level),
        "listing_document": case.listing_document,
    }


ONSITE_PURPOSES = {"verification": "现场核查", "resumption_review": "复产现场审查"}
ONSITE_ACTIONS = {"verification": "onsite_verification", "resumption_review": "resumption_review"}


class OnsiteVerification(Base):
    """A 现场核查 record: who went, when, what they found (major hazards need ≥ 2).

    ``verifiers_json`` holds names (older rows) or ``{"name", "post", "user_id"}`` objects;
    ``purpose`` tells a 现场核查 before 核查通过 from the 复产现场审查 before 销号.
    """

    __tablename__ = "onsite_verifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    round: Mapped[int] = mapped_column(Integer)
    visited_on: Mapped[date] = mapped_column(Date)
    verifiers_json: Mapped[str] = mapped_column(Text)
    findings: Mapped[str] = mapped_column(Text)
    purpose: Mapped[str] = mapped_column(String(20), default="verification",
                                         server_default="verification")
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    @property
    def verifier_entries(self) -> list[dict]:
        """Each verifier as ``{"name", "post", "user_id"}`` (post and user_id may be None)."""
        return [v if isinstance(v, dict) else {"name": str(v), "post": None, "user_id": None}
                for v in json.loads(self.verifiers_json)]

    @property
    def verifiers(self) -> list[str]:
        """Printable names, “姓名（职务）” where the post is known."""
        return [f"{v['name']}（{v['post']}）" if v.get("post") else v["name"]
                for v in self.verifier_entries]

    def to_dict(self) -> dict:
        return {"id": self.id, "round": self.round, "visited_on": _d(self.visited_on),
                "purpose": self.purpose or "verification",
                "purpose_label": ONSITE_PURPOSES.get(self.purpose or "verification"),
                "verifiers": self.verifiers, "verifier_entries": self.verifier_entries,
                "findings": self.findings,
                "recorded_by_id": self.recorded_by_id, "recorded_at": iso_utc(self.recorded_at)}

"""Write the new items of an import together: the items and their unit and group links,
one task case per unit that owes an item (all 挂号交办 at once), the responsibilities with
their targets, and the item–case links.

A first import of a 5,000-item list writes tens of thousands of rows; through the ORM unit
of work, one flush per item, it took minutes. Here every kind of row is one batched INSERT
(``insert_returning_ids`` / ``insert_rows``), and the cases go through
``service.create_registered``: per case the same guards, numbers, ``create`` and
``register`` events and notices as one case registered at a time.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.orm import Session

from workflow.core import service
from workflow.core.cases import Case
from workflow.org.models import Department, User
from workflow.platform.db import insert_returning_ids, insert_rows
from workflow.tasklist.changes import ImportResult, Wanted
from workflow.tasklist.departments import SUPPORT, canonical_name
from workflow.tasklist.due_dates import find_deadline
from workflow.tasklist.models import (
    Plan,
    PlanItem,
    PlanItemCase,
    Responsibility,
    ResponsibilityTarget,
    item_co_departments,
    item_co_groups,
    item_lead_departments,
    item_lead_groups,
)
from workflow.tasklist.split import Resolver, RowPlan


def item_values(w: Wanted, resolver: Resolver, groups: dict, plan: Plan) -> tuple[dict, dict]:
    """The columns of the item ``w`` and its links: ``lead_departments``, ``co_departments``
    (units, resolved through aliases, a lead unit not also listed as co), ``lead_groups``
    and ``co_groups``."""
    p = w.parsed
    values = {"seq": p.seq, "project_no": p.project_no, "project": p.project, "task": p.task,
              "content": p.content, "remark": p.remark, "source_row": p.row,
              "raw_departments": p.raw_departments, "target_count": p.target_count,
              "target_period_years": p.target_period_years, "target_text": p.target_text,
              "deadline": find_deadline(p.content, plan.year), "fingerprint": w.fingerprint}

    def units(names):
        found = {}
        for n in names:
            dept, _ = resolver.resolve(n)
            if dept is not None:
                found[dept.id] = dept
        return list(found.values())

    lead = units(p.lead_departments)
    links = {"lead_departments": lead,
             "co_departments": [d for d in units(p.co_departments) if d not in lead],
             "lead_groups": [groups[k] for k in p.lead_groups],
             "co_groups": [groups[k] for k in p.co_groups]}
    return values, links


def description(item: PlanItem) -> str:
    """The task case's 描述: what the list says of the item."""
    lines = [f"目标项目：{item.project}", f"目标任务：{item.task}", f"具体内容：{item.content}"]
    if item.remark:
        lines.append(f"备注：{item.remark}")
    if item.target_count:
        lines.append(f"量化目标：{item.target_period_label}（{item.target_text}）")
    return "\n".join(lines)


def new_case(plan: Plan, item: PlanItem, deadline: date, dept: Department,
             co: list[Department], actor: User, now: datetime) -> Case:
    """The draft task case ``dept`` owes for ``item`` (registered by ``create_registered``)."""
    content = "".join(item.content.split("\n"))
    case = Case(kind="task", source="task_list", grade="general", status="draft",
                title=content if len(content) <= 100 else content[:99] + "…",
                description=description(item), department=dept, department_id=dept.id,
                deadline=deadline, original_number=f"{plan.year}年清单第{item.seq}项",
                created_by_id=actor.id, created_at=now)
    case.co_departments = [d for d in co if d.id != dept.id]
    return case


def register_cases(session: Session, plan: Plan, new: list[tuple[int, int, Case]],
                   actor: User, settings, now: datetime) -> None:
    """挂号交办 the new cases ``(item id, item seq, case)`` together, numbered in the plan's
    year, each ``create`` event naming its item."""
    where = {id(case): (item_id, seq) for item_id, seq, case in new}

    def create_payload(case: Case) -> dict:
        item_id, seq = where[id(case)]
        return {"plan_id": plan.id, "year": plan.year, "item_id": item_id, "seq": seq,
                "department_id": case.department_id,
                "co_department_ids": [d.id for d in case.co_departments],
                "deadline": case.deadline.isoformat(), "source": "task_list"}

    service.create_registered(session, [case for _, _, case in new], actor,
                              create_payload=create_payload, number_year=plan.year,
                              settings=settings, now=now)


def list_opened(result: ImportResult, opened) -> None:
    """Put each new case ``(seq, name as listed, department, case)`` on its row of the
    import summary, or add a row for it."""
    rows_by_seq: dict[int, list[dict]] = {}
    for row in result.cases:
        rows_by_seq.setdefault(row["seq"], []).append(row)
    for seq, name, dept, case in opened:
        names = (canonical_name(name), canonical_name(dept.name))
        for row in rows_by_seq.get(seq, []):
            if row.get("department_id") in (None, dept.id) \
                    and canonical_name(row["department"]) in names:
                row.update(case_id=case.id, number=case.number, department_id=dept.id)
                break
        else:
            result.cases.append({"seq": seq, "department": dept.name, "department_id": dept.id,
                                 "case_id": case.id, "number": case.number})


def stored_rows_of(rows: list[RowPlan]) -> list[RowPlan]:
    """The planned rows an import stores: not those the office chose not to assign, nor
    names still undecided."""
    return [r for r in rows if r.how not in ("skip", "unknown")]


_LINKS = {"lead_departments": (item_lead_departments, "department_id"),
          "co_departments": (item_co_departments, "department_id"),
          "lead_groups": (item_lead_groups, "group_id"),
          "co_groups": (item_co_groups, "group_id")}


def write_new_items(session: Session, plan: Plan, added: list[tuple[Wanted, list[RowPlan]]],
                    resolver: Resolver, groups: dict, actor: User, settings, now: datetime,
                    result: ImportResult | None) -> None:
    """Write the items of ``added`` (each with its planned responsibilities) and open
    their cases. ``plan`` is in the database already."""
    if not added:
        return
    added = [(w, stored_rows_of(rows)) for w, rows in added]
    items, links = [], []
    for w, _ in added:
        values, item_links = item_values(w, resolver, groups, plan)
        items.append(PlanItem(plan_id=plan.id, **values))  # transient: for its properties
        links.append(item_links)
    item_ids = insert_returning_ids(session, PlanItem.__table__, [
        {"plan_id": plan.id, **{c: getattr(item, c) for c in _ITEM_COLUMNS}} for item in items])
    for key, (table, column) in _LINKS.items():
        insert_rows(session, table, [{"item_id": item_id, column: obj.id}
                                     for item_id, item_links in zip(item_ids, links, strict=True)
                                     for obj in item_links[key]])

    # one case per unit that owes an item (lead or responsible, group members included)
    new: list[tuple[int, int, Case]] = []
    opened, case_of = [], {}
    for item, item_id, (_, rows) in zip(items, item_ids, added, strict=True):
        support = [r.department for r in rows if r.role == SUPPORT and r.department is not None]
        deadline = item.deadline or plan.last_day
        for r in rows:
            if r.role == SUPPORT or r.department is None or (item_id, r.department.id) in case_of:
                continue
            case = new_case(plan, item, deadline, r.department, support, actor, now)
            case_of[item_id, r.department.id] = case
            new.append((item_id, item.seq, case))
            opened.append((item.seq, r.name, r.department, case))
    register_cases(session, plan, new, actor, settings, now)

    # the responsibilities: group rows and units first, then group members under their group
    first, members = [], []
    for item_id, (_, rows) in zip(item_ids, added, strict=True):
        for position, r in enumerate(rows):
            (members if r.member_of is not None else first).append((item_id, position, r))
    row_ids: dict[int, int] = {}
    for batch in (first, members):
        ids = insert_returning_ids(session, Responsibility.__table__, [
            _responsibility_row(item_id, position, r, case_of, row_ids)
            for item_id, position, r in batch])
        row_ids.update({id(r): new_id for (_, _, r), new_id in zip(batch, ids, strict=True)})
    insert_rows(session, ResponsibilityTarget.__table__, [
        {"responsibility_id": row_ids[id(r)], "text": t.text[:200], "count": t.count,
         "period_years": t.period_years, "cycle_start_year": plan.first_year}
        for _, _, r in first + members for t in r.targets])
    insert_rows(session, PlanItemCase.__table__, [
        {"case_id": case.id, "item_id": item_id, "department_id": dept_id}
        for (item_id, dept_id), case in case_of.items()])
    if result is not None:
        list_opened(result, opened)
    session.expire(plan, ["items"])


_ITEM_COLUMNS = ("seq", "project_no", "project", "task", "content", "remark", "source_row",
                 "raw_departments", "target_count", "target_period_years", "target_text",
                 "deadline", "fingerprint")


def _responsibility_row(item_id: int, position: int, r: RowPlan, case_of: dict,
                        row_ids: dict) -> dict:
    dept_id = r.department.id if r.department else None
    case = case_of.get((item_id, dept_id)) if dept_id is not None and r.owes_case else None
    return {"item_id": item_id, "position": position, "role": r.role, "name": r.name[:100],
            "department_id": dept_id, "group_key": r.group, "pending": r.pending,
            "case_id": case.id if case is not None else None,
            "parent_id": row_ids[id(r.member_of)] if r.member_of is not None else None}

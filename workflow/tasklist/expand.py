"""分解部门组: a group kept as 待分解 becomes one responsibility (and case) per member.

Run from the plan page or ``POST /api/v1/plans/{id}/expand-groups`` once the group's
members are filled (``department_group_members``, edited on the admin page). Idempotent:
a member already on the item, whatever its role, is skipped, so a second run creates
nothing. Each new case is created and 挂号交办 in its own chain, and every case of the
item records ``group_expanded`` with the members added.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from workflow.core import service
from workflow.org.models import DepartmentGroup, User
from workflow.platform.base import utcnow
from workflow.platform.errors import NotFound
from workflow.tasklist.departments import GROUP_NAMES, OTHERS
from workflow.tasklist.importer import check_importer, open_missing_cases
from workflow.tasklist.models import Plan, Responsibility, ResponsibilityTarget, load_items


def expand_groups(session: Session, plan_id: int, actor: User, *,
                  settings: service.Settings | None = None, now: datetime | None = None) -> dict:
    """Expand every group of the plan's items to its current members; flushes."""
    check_importer(actor, dry_run=False)
    plan = session.get(Plan, plan_id)
    if plan is None:
        raise NotFound(f"清单 {plan_id} 不存在")
    settings = settings or service.Settings()
    now = now or utcnow()
    groups = {g.key: g for g in session.query(DepartmentGroup)}
    expanded, pending = [], []
    for item in load_items(session, plan):
        on_item = {r.department_id for r in item.responsibilities if r.department_id}
        added_here = []
        for head in [r for r in item.responsibilities if r.is_group and r.group_key != OTHERS]:
            group = groups.get(head.group_key)
            members = [d for d in group.members if d.active] if group else []
            new = [d for d in members if d.id not in on_item]
            if members and head.pending:
                head.pending = False
            if not members:
                pending.append({"seq": item.seq, "group": head.name})
                continue
            for dept in new:
                item.responsibilities.append(Responsibility(
                    position=head.position, role=head.role, name=dept.name[:100],
                    department_id=dept.id, group_key=head.group_key, parent_id=head.id,
                    targets=[ResponsibilityTarget(text=t.text, count=t.count,
                                                  period_years=t.period_years,
                                                  cycle_start_year=t.cycle_start_year)
                             for t in head.targets]))
                on_item.add(dept.id)
            if new:
                added_here.append({"group": GROUP_NAMES.get(head.group_key, head.name),
                                   "departments": [d.name for d in new],
                                   "department_ids": [d.id for d in new]})
        if not added_here:
            continue
        session.flush()
        before = {link.case_id for link in item.case_links}
        open_missing_cases(session, plan, [item], actor, settings, now, None)
        new_cases = sorted({link.case_id for link in item.case_links} - before)
        for link in item.case_links:
            case = service.lock_for_record(session, link.case_id, actor)
            service.record(session, case, actor, "group_expanded", now=now, payload={
                "plan_id": plan.id, "item_id": item.id, "seq": item.seq,
                "groups": added_here, "new_case_ids": new_cases})
        expanded.append({"seq": item.seq, "item_id": item.id, "groups": added_here,
                         "case_ids": new_cases})
    session.flush()
    return {"plan_id": plan.id, "expanded": expanded,
            "cases": sum(len(e["case_ids"]) for e in expanded), "still_pending": pending}

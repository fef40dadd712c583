"""Import a task-list file into the year's plan: items, departments, groups, task cases.

One plan per year. The first import creates the plan, its items and one task case per lead
department per item (挂号交办 by the importing 经办人, numbered ``WJ-2020-RW-0001``).
A later import of the same year compares item by item (SHA-256 fingerprint of what the
list says about the item, then 序号):

* identical list → nothing is written (missing cases are still made, e.g. for a lead group
  that got members since the last import);
* a changed list is refused unless ``apply_changes``: then new items get cases, changed
  items are updated and their cases get an audit event, removed items are marked withdrawn
  and their open cases are listed for the 主任 to cancel (撤销 is the director's step and
  needs a reason, so the import never cancels on its own).

``dry_run`` computes the same summary and writes nothing. The comparison and the summary
live in ``workflow.tasklist.changes``; this module checks, then writes.
"""
from __future__ import annotations

import hashlib
from datetime import date, datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from workflow.core import service
from workflow.core.audit import canonical_json
from workflow.core.cases import Case
from workflow.core.evidence import clean_filename
from workflow.core.policy import importer_refusal
from workflow.org.aliases import set_alias
from workflow.org.models import User, ensure_department, ensure_group
from workflow.org.roles import OFFICE_STAFF
from workflow.platform.base import utcnow
from workflow.platform.collector import gc_paused
from workflow.platform.errors import Conflict, Forbidden, InvalidInput, RuleFailed
from workflow.platform.office_limits import ImportLimits
from workflow.platform.parsing import parse_date
from workflow.tasklist.changes import (
    ImportResult,
    Names,
    Wanted,
    describe,
    fingerprint,
    match_items,
    split_summary,
)
from workflow.tasklist.departments import GROUP_NAMES, SUPPORT, canonical_name
from workflow.tasklist.models import (
    PLAN_KINDS,
    ImportChoice,
    Plan,
    PlanItem,
    PlanItemCase,
    PlanMilestone,
    Responsibility,
    ResponsibilityTarget,
    load_items,
    plan_for_year,
)
from workflow.tasklist.new_items import (
    item_values,
    list_opened,
    new_case,
    register_cases,
    stored_rows_of,
    write_new_items,
)
from workflow.tasklist.parse import TaskListError, parse_tasklist
from workflow.tasklist.split import (
    TOWN_SUFFIXES,
    Choices,
    Resolver,
    RowPlan,
    entries_for,
    plan_rows,
)

# --- permission ------------------------------------------------------------------------

def check_importer(actor: User, dry_run: bool) -> None:
    """The office imports; only the 经办人 writes, since the import 挂号交办 cases."""
    if refusal := importer_refusal(actor, "导入目标任务清单"):
        raise refusal
    if not dry_run and actor.role != OFFICE_STAFF:
        raise Forbidden("导入清单会挂号交办任务，须由区安委办经办人确认导入（主任可预览）",
                        needed_roles=[OFFICE_STAFF], rules=["role_required"])


# --- the import ------------------------------------------------------------------------

def parse_file(data: bytes, filename: str, limits: ImportLimits | None = None):
    """Parse the file; a bad file becomes a 400 naming the row or file part (or the limit)."""
    try:
        return parse_tasklist(data, filename, limits)
    except TaskListError as exc:
        raise InvalidInput(exc.message, field="file", row=exc.row, part=exc.part) from None


def import_tasklist(session: Session, data: bytes, filename: str, year, actor: User, *,
                    dry_run: bool = False, apply_changes: bool = False,
                    title: str | None = None, doc_number: str | None = None,
                    settings: service.Settings | None = None,
                    now: datetime | None = None, plan_id: int | None = None,
                    kind: str | None = None, end_year=None, new_plan: bool = False,
                    choices: dict | None = None, create_unknown: bool = False,
                    milestones: list | None = None) -> ImportResult:
    """Import (or preview) a task list; flushes, the caller commits.

    ``plan_id`` re-imports into that plan; otherwise the plan of ``year`` and ``kind``
    (annual by default) is used, or a new one (``new_plan`` forces a new one, e.g. a
    second 专项行动 starting the same year). ``choices`` are the office's answers of the
    preview (see ``workflow.tasklist.split``), laid over those stored for the same file;
    ``create_unknown`` creates every name still undecided as a new unit (the office's
    explicit choice); without it an undecided name refuses the import (``unknown_names``).
    """
    check_importer(actor, dry_run)
    filename = clean_filename(filename)
    settings = settings or service.Settings()
    parsed = parse_file(data, filename, settings.import_limits)
    now = now or utcnow()
    sha256 = hashlib.sha256(data).hexdigest()

    plan = _target_plan(session, plan_id, year, kind, new_plan)
    year = plan.year if plan is not None and year in (None, "") else check_year(year)
    if plan is not None and plan.year != year:
        raise InvalidInput(f"清单“{plan.title}”的起始年度是 {plan.year}，与导入年度 {year} 不一致",
                           field="year")
    kind = check_kind(kind, plan)
    last_year = check_end_year(end_year, year, plan)
    stones = check_milestones(milestones, year, last_year)
    stored = session.scalar(select(ImportChoice).where(ImportChoice.source_sha256 == sha256))
    given = Choices.from_dict(choices)
    chosen = (Choices.from_dict(stored.choices) if stored else Choices()).merged(given)

    result = ImportResult(
        year=year, filename=filename, sha256=sha256,
        title=(plan.title if plan else None) or _clean(title) or parsed.title
        or f"{year}年安全生产重点工作目标任务清单",
        dry_run=dry_run, plan_id=plan.id if plan else None, plan_exists=plan is not None,
        projects=len({i.project_no for i in parsed.items}),
        tasks=len({(i.project_no, i.task) for i in parsed.items}), items=len(parsed.items))
    result.kind, result.end_year, result.milestones = kind, last_year, stones
    if parsed.title and str(year) not in parsed.title and any(ch.isdigit() for ch in parsed.title):
        result.warnings.append(f"文件标题“{parsed.title}”与导入年度 {year} 不一致，请核对")

    wanted = [Wanted(p, fingerprint(p)) for p in parsed.items]
    pairs, removed = match_items(wanted, load_items(session, plan) if plan else [])
    names = Names(session)
    describe(result, pairs, removed, names)
    if create_unknown:
        chosen = _create_undecided(session, parsed, chosen)
    result.choices = chosen.to_dict()
    result.stored_choices = stored is not None
    resolver = Resolver(session, chosen)
    planned = {w.parsed.seq: plan_rows(w.parsed, resolver, chosen) for w, _, _ in pairs}
    split_summary(result, pairs, planned,
                  {w.parsed.seq: entries_for(w.parsed, chosen)[0] for w, _, _ in pairs})

    if plan is not None and result.has_changes and not (dry_run or apply_changes):
        raise Conflict(f"{year} 年度的目标任务清单已导入，新文件与之不同（新增 {len(result.added)} 项、"
                       f"删除 {len(result.removed)} 项、修改 {len(result.changed)} 项）；"
                       "请先预览，确认后选择“应用变更”再导入", current_version=None, status=None,
                       summary=result.lines())
    if dry_run:
        return result
    if result.unknown_names:
        listed = "、".join(u["name"] for u in result.unknown_names)
        raise RuleFailed(["unknown_names"], f"清单中有系统未登记的单位名称：{listed}；请在预览中为每个名称"
                         "选择映射到已有部门、由某单位承办、新建或不交办（unknown_names）")

    _settle_names(session, actor, chosen, resolver)
    resolver = Resolver(session, chosen)
    planned = {w.parsed.seq: plan_rows(w.parsed, resolver, chosen) for w, _, _ in pairs}
    with gc_paused():  # tens of thousands of rows' objects, all alive until the end
        _apply(session, result, plan, pairs, removed, resolver, planned, actor, settings, now,
               title=_clean(title), doc_number=_clean(doc_number), filename=filename)
    _store_choices(session, stored, sha256, given, chosen, actor, now)
    result.applied = True
    session.flush()
    return result


def _target_plan(session: Session, plan_id, year, kind, new_plan: bool) -> Plan | None:
    if plan_id not in (None, ""):
        plan = session.get(Plan, int(plan_id)) if str(plan_id).isdigit() else None
        if plan is None:
            raise InvalidInput(f"清单 {plan_id} 不存在", field="plan_id")
        return plan
    if new_plan:
        return None
    try:
        value = check_year(year)
    except InvalidInput:
        return None
    return plan_for_year(session, value, kind or None)


def check_kind(kind, plan: Plan | None) -> str:
    kind = (kind or "").strip() or (plan.kind_value if plan else "annual")
    if kind not in PLAN_KINDS:
        raise InvalidInput(f"清单类型须为：{', '.join(PLAN_KINDS)}", field="kind")
    return kind


def check_end_year(end_year, year: int, plan: Plan | None) -> int:
    if end_year in (None, ""):
        return plan.last_year if plan else year
    value = check_year(end_year)
    if not year <= value <= year + 10:
        raise InvalidInput("结束年度须不早于起始年度，且跨度不超过 10 年", field="end_year")
    return value


def check_milestones(milestones, year: int, last_year: int) -> list[dict] | None:
    """Stages of a campaign: [{name, starts_on, ends_on}] within the plan's years."""
    if milestones is None:
        return None
    if not isinstance(milestones, list) or len(milestones) > 20:
        raise InvalidInput("阶段须为列表（最多 20 个）", field="milestones")
    out = []
    for m in milestones:
        if not isinstance(m, dict):
            raise InvalidInput("每个阶段须有 name、starts_on、ends_on", field="milestones")
        name = str(m.get("name") or "").strip()
        if not name or len(name) > 100:
            raise InvalidInput("阶段名称须为 1–100 字", field="milestones")
        first = parse_date(m.get("starts_on"), "milestones")
        last = parse_date(m.get("ends_on"), "milestones")
        if last < first or first.year < year or last.year > last_year:
            raise InvalidInput(f"阶段“{name}”的日期须在 {year}–{last_year} 年内且起止有序",
                               field="milestones")
        out.append({"name": name, "starts_on": first.isoformat(), "ends_on": last.isoformat()})
    return out


def _create_undecided(session: Session, parsed, chosen: Choices) -> Choices:
    resolver = Resolver(session, chosen)
    extra = {}
    for p in parsed.items:
        for row in plan_rows(p, resolver, chosen):
            if row.how == "unknown":
                extra[canonical_name(row.name)] = {
                    "action": "create",
                    "kind": "town" if row.name.endswith(TOWN_SUFFIXES) else "department"}
    return chosen.merged(Choices(names=extra))


def _settle_names(session: Session, actor: User, chosen: Choices, resolver: Resolver) -> None:
    """Carry out the office's name choices: aliases/host bodies, new units."""
    for name, choice in sorted(chosen.names.items()):
        if name in resolver.aliases or name in resolver.by_name:
            continue
        if choice["action"] in ("alias", "host"):
            dept = resolver.department_named(choice["department"])
            set_alias(session, actor, name, dept.id, kind=choice["action"])
        elif choice["action"] == "create":
            ensure_department(session, name, choice["kind"])


def _store_choices(session: Session, stored, sha256: str, given: Choices, chosen: Choices,
                   actor: User, now: datetime) -> None:
    if stored is None and not any(given.to_dict().values()) and not any(chosen.to_dict().values()):
        return
    body = canonical_json(chosen.to_dict())
    if stored is None:
        session.add(ImportChoice(source_sha256=sha256, choices_json=body, updated_by_id=actor.id,
                                 updated_at=now))
    elif stored.choices_json != body:
        stored.choices_json, stored.updated_by_id, stored.updated_at = body, actor.id, now


def check_year(year) -> int:
    try:
        value = int(str(year).strip())
    except (TypeError, ValueError):
        raise InvalidInput("年度须为四位数字年份，如 2020", field="year") from None
    if not 2000 <= value <= 2100:
        raise InvalidInput("年度须在 2000–2100 之间", field="year")
    return value


def _clean(text: str | None) -> str | None:
    text = (text or "").strip()
    return text or None


def _apply(session: Session, result: ImportResult, plan: Plan | None, pairs, removed,
           resolver: Resolver, planned: dict, actor: User, settings, now: datetime, *, title,
           doc_number, filename) -> None:
    groups = {}
    for w, _, _ in pairs:
        for key in w.parsed.lead_groups + w.parsed.co_groups:
            if key not in groups:
                groups[key] = resolver.groups.get(key) or ensure_group(
                    session, key, GROUP_NAMES.get(key, key))
    if plan is None:
        plan = Plan(year=result.year, title=result.title, doc_number=doc_number,
                    source_filename=filename, source_sha256=result.sha256,
                    imported_by_id=actor.id, imported_at=now, updated_at=now)
        session.add(plan)
    else:
        if result.has_changes:
            plan.source_filename, plan.source_sha256, plan.updated_at = filename, result.sha256, now
        if title and title != plan.title:
            plan.title = result.title = title
        if doc_number and doc_number != plan.doc_number:
            plan.doc_number = doc_number
    if plan.kind != result.kind:
        plan.kind = result.kind
    if plan.start_year != result.year:
        plan.start_year = result.year
    if plan.end_year != result.end_year:
        plan.end_year = result.end_year
    session.flush()
    if result.milestones is not None:
        set_milestones(plan, result.milestones)
    result.plan_id = plan.id

    todo, added = [], []
    for w, item, kind in pairs:
        p = w.parsed
        if kind == "added":
            added.append((w, planned[p.seq]))
            continue
        if kind == "changed":
            before = item.fingerprint
            _fill_item(item, w, resolver, groups, plan)
            session.flush()
            _record_on_cases(session, item, actor, "plan_item_changed", now, {
                "plan_id": plan.id, "item_id": item.id, "seq": p.seq,
                "fingerprint_before": before, "fingerprint": item.fingerprint,
                "content": item.content})
        else:
            if item.seq != p.seq:
                item.seq = p.seq
            if item.raw_departments is None:
                item.raw_departments = p.raw_departments
        todo.append((item, planned[p.seq]))
    session.flush()
    write_new_items(session, plan, added, resolver, groups, actor, settings, now, result)
    store_responsibilities(session, plan, todo, actor, now)
    open_missing_cases(session, plan, [item for item, _ in todo], actor, settings, now, result)
    for item in removed:
        item.withdrawn_at = now
        _record_on_cases(session, item, actor, "plan_item_withdrawn", now, {
            "plan_id": plan.id, "item_id": item.id, "seq": item.seq})


def set_milestones(plan: Plan, stones: list[dict]) -> None:
    have = [(m.name, m.starts_on.isoformat(), m.ends_on.isoformat()) for m in plan.milestones]
    want = [(m["name"], m["starts_on"], m["ends_on"]) for m in stones]
    if have == want:
        return
    plan.milestones = [PlanMilestone(name=n, starts_on=date.fromisoformat(a),
                                     ends_on=date.fromisoformat(b)) for n, a, b in want]


def _fill_item(item: PlanItem, w: Wanted, resolver: Resolver, groups: dict, plan: Plan) -> None:
    values, links = item_values(w, resolver, groups, plan)
    for key, value in values.items():
        setattr(item, key, value)
    for key, value in links.items():
        setattr(item, key, value)


def _signature(rows) -> list[tuple]:
    return [(r.role, r.department_id, r.group_key, r.name if r.department_id is None else "",
             r.pending, r.parent_id is not None, tuple((t.count, t.period_years) for t in r.targets))
            for r in rows]


def _planned_signature(rows: list[RowPlan]) -> list[tuple]:
    return [(r.role, r.department.id if r.department else None, r.group,
             r.name if r.department is None else "", r.pending, r.member_of is not None,
             tuple((t.count, t.period_years) for t in r.targets))
            for r in rows]


def store_responsibilities(session: Session, plan: Plan, todo, actor: User,
                           now: datetime) -> list[PlanItem]:
    """Store each ``(item, planned rows)`` as planned; return the items whose rows changed.

    Unchanged rows are left alone (a re-import of the same file writes nothing); a
    changed split replaces the rows, keeps each unit's case, and tells the item's cases.
    The new rows of every item are written together (one batched INSERT, then the group
    members' links to their group row).
    """
    changed, members = [], []
    for item, rows in todo:
        rows = stored_rows_of(rows)
        before = sorted(_signature(item.responsibilities), key=repr)
        if before == sorted(_planned_signature(rows), key=repr):
            continue
        had = bool(item.responsibilities)
        cases_by_dept = {link.department_id: link.case_id for link in item.case_links}
        if had:
            ids = select(Responsibility.id).where(Responsibility.item_id == item.id)
            session.execute(delete(ResponsibilityTarget).where(
                ResponsibilityTarget.responsibility_id.in_(ids)))
            session.execute(delete(Responsibility).where(Responsibility.item_id == item.id))
            session.expire(item, ["responsibilities"])
        stored_rows = {}
        for position, row in enumerate(rows):
            stored_rows[id(row)] = Responsibility(
                position=position, role=row.role, name=row.name[:100],
                department_id=row.department.id if row.department else None,
                group_key=row.group, pending=row.pending,
                case_id=cases_by_dept.get(row.department.id) if row.department and row.owes_case
                else None,
                targets=[ResponsibilityTarget(text=t.text[:200], count=t.count,
                                              period_years=t.period_years,
                                              cycle_start_year=plan.first_year)
                         for t in row.targets])
            item.responsibilities.append(stored_rows[id(row)])
        members += [(stored_rows[id(row)], stored_rows[id(row.member_of)])
                    for row in rows if row.member_of is not None]
        changed.append((item, had))
    session.flush()
    if members:  # the group rows have their ids now, for their members
        for member, group in members:
            member.parent_id = group.id
        session.flush()
    for item, had in changed:
        if had:
            _record_on_cases(session, item, actor, "responsibilities_changed", now, {
                "plan_id": plan.id, "item_id": item.id, "seq": item.seq,
                "responsibilities": [_row_ref(r) for r in item.responsibilities]})
    return [item for item, _ in changed]


def _row_ref(r: Responsibility) -> dict:
    return {"role": r.role, "name": r.name, "department_id": r.department_id,
            "group": r.group_key, "pending": r.pending,
            "targets": [[t.count, t.period_years] for t in r.targets]}


def open_missing_cases(session: Session, plan: Plan, items: list[PlanItem], actor: User,
                       settings, now: datetime, result: ImportResult | None) -> bool:
    """One task case per unit that owes an item and has none yet, all 挂号交办 at once.

    The cases go through ``service.create_registered``: per case the same guards, the
    ``create`` and ``register`` events of its chain, its number (in the plan's year) and
    its notices as one case at a time, written in a few batched statements.
    """
    new: list[tuple[int, int, Case]] = []
    opened, made = [], []
    for item in items:
        have = {link.department_id: link.case_id for link in item.case_links}
        pending: dict[int, Case] = {}
        support = [r.department for r in item.responsibilities
                   if r.role == SUPPORT and r.department is not None]
        for r in item.responsibilities:
            if r.role == SUPPORT or r.department_id is None:
                continue
            if r.department_id in have:
                if r.case_id is None:
                    r.case_id = have[r.department_id]
                continue
            case = pending.get(r.department_id)
            if case is None:
                case = pending[r.department_id] = new_case(
                    plan, item, item.effective_deadline, r.department, support, actor, now)
                new.append((item.id, item.seq, case))
                opened.append((item.seq, r.name, r.department, case))
                made.append((item, r.department_id, case))
            made.append((r, None, case))
    if not new:
        session.flush()
        return False
    register_cases(session, plan, new, actor, settings, now)
    for owner, dept_id, case in made:
        if dept_id is None:
            owner.case_id = case.id  # the responsibility carries its unit's case
        else:
            owner.case_links.append(PlanItemCase(case_id=case.id, department_id=dept_id))
    if result is not None:
        list_opened(result, opened)
    session.flush()
    return True


def _record_on_cases(session: Session, item: PlanItem, actor: User, action: str,
                     now: datetime, payload: dict) -> None:
    """Tell each of the item's cases what happened to its item (and update co departments)."""
    support = [r.department for r in item.responsibilities
               if r.role == SUPPORT and r.department is not None]
    for link in item.case_links:
        case = service.lock_for_record(session, link.case_id, actor)
        body = dict(payload)
        case.co_departments = [d for d in support if d.id != case.department_id]
        body["co_department_ids"] = [d.id for d in case.co_departments]
        service.record(session, case, actor, action, payload=body, now=now)
    session.flush()

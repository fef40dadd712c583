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
from datetime import datetime

from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from workflow.core import service
from workflow.core.cases import Case
from workflow.core.evidence import clean_filename
from workflow.core.policy import importer_refusal
from workflow.org.models import Department, User, ensure_department, ensure_group
from workflow.org.roles import OFFICE_STAFF
from workflow.platform.base import utcnow
from workflow.platform.errors import Conflict, Forbidden, InvalidInput
from workflow.platform.office_limits import ImportLimits
from workflow.tasklist.changes import ImportResult, Names, Wanted, describe, fingerprint, match_items
from workflow.tasklist.departments import GROUP_NAMES, canonical_name
from workflow.tasklist.due_dates import find_deadline
from workflow.tasklist.models import Plan, PlanItem, PlanItemCase, load_items, plan_for_year
from workflow.tasklist.parse import TaskListError, parse_tasklist

_TOWN_SUFFIXES = ("镇", "街道", "开发区", "高新区", "园区")


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
                    now: datetime | None = None) -> ImportResult:
    """Import (or preview) a task list for ``year``; flushes, the caller commits."""
    check_importer(actor, dry_run)
    year = check_year(year)
    filename = clean_filename(filename)
    settings = settings or service.Settings()
    parsed = parse_file(data, filename, settings.import_limits)
    now = now or utcnow()

    plan = plan_for_year(session, year)
    result = ImportResult(
        year=year, filename=filename, sha256=hashlib.sha256(data).hexdigest(),
        title=(plan.title if plan else None) or _clean(title) or parsed.title
        or f"{year}年安全生产重点工作目标任务清单",
        dry_run=dry_run, plan_id=plan.id if plan else None, plan_exists=plan is not None,
        projects=len({i.project_no for i in parsed.items}),
        tasks=len({(i.project_no, i.task) for i in parsed.items}), items=len(parsed.items))
    if parsed.title and str(year) not in parsed.title and any(ch.isdigit() for ch in parsed.title):
        result.warnings.append(f"文件标题“{parsed.title}”与导入年度 {year} 不一致，请核对")

    wanted = [Wanted(p, fingerprint(p)) for p in parsed.items]
    pairs, removed = match_items(wanted, load_items(session, plan) if plan else [])
    names = Names(session)
    describe(result, pairs, removed, names)

    if plan is not None and result.has_changes and not (dry_run or apply_changes):
        raise Conflict(f"{year} 年度的目标任务清单已导入，新文件与之不同（新增 {len(result.added)} 项、"
                       f"删除 {len(result.removed)} 项、修改 {len(result.changed)} 项）；"
                       "请先预览，确认后选择“应用变更”再导入", current_version=None, status=None,
                       summary=result.lines())
    if dry_run:
        return result

    _apply(session, result, plan, pairs, removed, names, actor, settings, now,
           title=_clean(title), doc_number=_clean(doc_number), filename=filename)
    result.applied = True
    session.flush()
    return result


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
           names: Names, actor: User, settings, now: datetime, *, title, doc_number,
           filename) -> None:
    for w, _, _ in pairs:
        for key in w.parsed.lead_groups + w.parsed.co_groups:
            if key not in names.groups:
                names.groups[key] = ensure_group(session, key, GROUP_NAMES.get(key, key))
    for name in result.new_departments:
        kind = "town" if name.endswith(_TOWN_SUFFIXES) else "department"
        dept, _ = ensure_department(session, name, kind)
        names.departments[canonical_name(dept.name)] = dept

    if plan is None:
        plan = Plan(year=result.year, title=result.title, doc_number=doc_number,
                    source_filename=filename, source_sha256=result.sha256,
                    imported_by_id=actor.id, imported_at=now, updated_at=now)
        session.add(plan)
        session.flush()
    else:
        if result.has_changes:
            plan.source_filename, plan.source_sha256, plan.updated_at = filename, result.sha256, now
        if title and title != plan.title:
            plan.title = result.title = title
        if doc_number and doc_number != plan.doc_number:
            plan.doc_number = doc_number
    result.plan_id = plan.id

    rows = {(r["seq"], canonical_name(r["department"])): r for r in result.cases}
    to_open: list[tuple[PlanItem, Department, list[Department]]] = []
    for w, item, kind in pairs:
        p = w.parsed
        if kind == "added":
            item = PlanItem(plan=plan, seq=p.seq)
            _fill_item(item, w, names, plan.year)
            session.add(item)  # flushed with the others before their cases open
        elif kind == "changed":
            before = item.fingerprint
            _fill_item(item, w, names, plan.year)
            session.flush()
            _record_on_cases(session, item, actor, "plan_item_changed", now, {
                "plan_id": plan.id, "item_id": item.id, "seq": p.seq,
                "fingerprint_before": before, "fingerprint": item.fingerprint,
                "content": item.content}, co=names.co(p))
        elif item.seq != p.seq:
            item.seq = p.seq
        leads, _ = names.leads(p)
        have = {link.department_id for link in item.case_links}
        co = names.co(p)
        for _, dept in leads:
            if dept.id not in have:
                to_open.append((item, dept, co))
    _open_cases(session, plan, to_open, actor, settings, now, rows)
    for item in removed:
        item.withdrawn_at = now
        _record_on_cases(session, item, actor, "plan_item_withdrawn", now, {
            "plan_id": plan.id, "item_id": item.id, "seq": item.seq})


def _fill_item(item: PlanItem, w: Wanted, names: Names, year: int) -> None:
    p = w.parsed
    item.seq, item.project_no, item.project, item.task = p.seq, p.project_no, p.project, p.task
    item.content, item.remark, item.source_row = p.content, p.remark, p.row
    item.target_count, item.target_period_years = p.target_count, p.target_period_years
    item.target_text = p.target_text
    item.deadline = find_deadline(p.content, year)
    item.fingerprint = w.fingerprint
    item.lead_departments = [names.department(n) for n in p.lead_departments]
    item.co_departments = [names.department(n) for n in p.co_departments]
    item.lead_groups = [names.groups[k] for k in p.lead_groups]
    item.co_groups = [names.groups[k] for k in p.co_groups]


def _description(item: PlanItem) -> str:
    lines = [f"目标项目：{item.project}", f"目标任务：{item.task}", f"具体内容：{item.content}"]
    if item.remark:
        lines.append(f"备注：{item.remark}")
    if item.target_count:
        lines.append(f"量化目标：{item.target_period_label}（{item.target_text}）")
    return "\n".join(lines)


def _open_cases(session: Session, plan: Plan, to_open, actor: User, settings, now: datetime,
                rows: dict[tuple[int, str], dict]) -> list[Case]:
    """One task case per (item, lead department): created, numbered and 挂号交办 through the
    service in bulk (``service.create_registered``: per case its own create and register
    events, numbers in list order), then linked to its item."""
    session.flush()  # the new items get their ids, named in each case's create event
    cases, where = [], {}
    for item, dept, co in to_open:
        case = _new_case(plan, item, dept, co, actor, now)
        cases.append(case)
        where[id(case)] = (item, dept)

    def create_payload(case: Case) -> dict:
        item, dept = where[id(case)]
        return {"plan_id": plan.id, "year": plan.year, "item_id": item.id, "seq": item.seq,
                "department_id": dept.id,
                "co_department_ids": [d.id for d in case.co_departments],
                "deadline": case.deadline.isoformat(), "source": "task_list"}

    service.create_registered(session, cases, actor, create_payload=create_payload,
                              number_year=plan.year, settings=settings, now=now)
    links: dict[int, tuple[PlanItem, list[PlanItemCase]]] = {}
    for case in cases:
        item, dept = where[id(case)]
        link = PlanItemCase(item_id=item.id, case_id=case.id, department_id=dept.id)
        # a new item's links were reset by its INSERT (it has none); an existing item's
        # were loaded by the comparison above
        links.setdefault(item.id, (item, list(item.__dict__.get("case_links", ()))))[1].append(link)
        row = rows.get((item.seq, canonical_name(dept.name)))
        if row is not None:
            row.update(case_id=case.id, number=case.number)
    for item, item_links in links.values():
        session.add_all(item_links[len(item.__dict__.get("case_links", ())):])
        # the item's collection as it now is, without a history for the flush to walk
        # (the links carry their item_id) and without reloading it per item
        set_committed_value(item, "case_links", item_links)
    return cases


def _new_case(plan: Plan, item: PlanItem, dept: Department, co: list[Department],
              actor: User, now: datetime) -> Case:
    content = "".join(item.content.split("\n"))
    case = Case(kind="task", source="task_list", grade="general", status="draft",
                title=content if len(content) <= 100 else content[:99] + "…",
                description=_description(item), department_id=dept.id,
                deadline=item.effective_deadline,
                original_number=f"{plan.year}年清单第{item.seq}项",
                created_by_id=actor.id, created_at=now)
    case.co_departments = [d for d in co if d.id != dept.id]
    return case


def _record_on_cases(session: Session, item: PlanItem, actor: User, action: str,
                     now: datetime, payload: dict, co: list[Department] | None = None) -> None:
    """Tell each of the item's cases what happened to its item (and update co departments)."""
    for link in item.case_links:
        case = service.lock_for_record(session, link.case_id, actor)
        body = dict(payload)
        if co is not None:
            case.co_departments = [d for d in co if d.id != case.department_id]
            body["co_department_ids"] = [d.id for d in case.co_departments]
        service.record(session, case, actor, action, payload=body, now=now)
    session.flush()

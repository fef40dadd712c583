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

``dry_run`` computes the same summary and writes nothing.
"""
from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.core import service
from workflow.core.audit import canonical_json
from workflow.core.cases import Case
from workflow.core.evidence import clean_filename
from workflow.core.numbering import case_number
from workflow.org.models import Department, DepartmentGroup, User, ensure_department, ensure_group
from workflow.org.roles import OFFICE_DIRECTOR, OFFICE_STAFF, ROLE_LABELS
from workflow.platform.base import utcnow
from workflow.platform.errors import Conflict, Forbidden, InvalidInput
from workflow.tasklist.departments import GROUP_NAMES, canonical_name
from workflow.tasklist.due_dates import find_deadline
from workflow.tasklist.models import Plan, PlanItem, PlanItemCase, load_items, plan_for_year
from workflow.tasklist.parse import ParsedItem, TaskListError, parse_tasklist

IMPORT_ROLES = (OFFICE_STAFF, OFFICE_DIRECTOR)
OPEN_FOR_REVIEW = ("draft", "assigned", "in_progress", "reported", "verified")
_TOWN_SUFFIXES = ("镇", "街道", "开发区", "高新区", "园区")


# --- permission ------------------------------------------------------------------------

def check_importer(actor: User, dry_run: bool) -> None:
    """The office imports; only the 经办人 writes, since the import 挂号交办 cases."""
    if actor.role not in IMPORT_ROLES:
        names = "、".join(ROLE_LABELS[r] for r in IMPORT_ROLES)
        raise Forbidden(f"导入目标任务清单须由{names}办理（当前角色：{actor.role_label}）",
                        needed_roles=list(IMPORT_ROLES), rules=["role_required"])
    if not dry_run and actor.role != OFFICE_STAFF:
        raise Forbidden("导入清单会挂号交办任务案件，须由区安委办经办人确认导入（主任可预览）",
                        needed_roles=[OFFICE_STAFF], rules=["role_required"])


# --- the summary -----------------------------------------------------------------------

@dataclass
class ImportResult:
    """What an import did, or would do (``dry_run``)."""

    year: int
    filename: str
    sha256: str
    title: str
    dry_run: bool
    plan_id: int | None = None
    plan_exists: bool = False
    projects: int = 0
    tasks: int = 0
    items: int = 0
    unchanged: int = 0
    renumbered: int = 0
    added: list[dict] = field(default_factory=list)
    removed: list[dict] = field(default_factory=list)
    changed: list[dict] = field(default_factory=list)
    new_departments: list[str] = field(default_factory=list)
    new_groups: list[str] = field(default_factory=list)
    cases: list[dict] = field(default_factory=list)
    needs_group_members: list[dict] = field(default_factory=list)
    cases_to_cancel: list[dict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    applied: bool = False

    @property
    def has_changes(self) -> bool:
        return bool(self.added or self.removed or self.changed)

    @property
    def writes_anything(self) -> bool:
        return (not self.plan_exists or self.has_changes or bool(self.cases)
                or bool(self.renumbered) or bool(self.new_groups) or bool(self.new_departments))

    def to_dict(self) -> dict:
        return {"year": self.year, "filename": self.filename, "sha256": self.sha256,
                "title": self.title, "dry_run": self.dry_run, "applied": self.applied,
                "plan_id": self.plan_id, "plan_existed": self.plan_exists,
                "counts": {"projects": self.projects, "tasks": self.tasks, "items": self.items,
                           "unchanged": self.unchanged, "renumbered": self.renumbered,
                           "added": len(self.added), "removed": len(self.removed),
                           "changed": len(self.changed), "cases": len(self.cases)},
                "added": self.added, "removed": self.removed, "changed": self.changed,
                "new_departments": self.new_departments, "new_groups": self.new_groups,
                "cases": self.cases, "needs_group_members": self.needs_group_members,
                "cases_to_cancel": self.cases_to_cancel, "warnings": self.warnings,
                "summary": self.lines()}

    def lines(self) -> list[str]:
        """The summary as the CLI prints it and the preview page shows it."""
        verb = "将" if self.dry_run or not self.applied else "已"
        out = [f"《{self.title}》（{self.year}年度，文件“{self.filename}”，SHA-256 {self.sha256[:16]}…）",
               f"共 {self.projects} 个目标项目、{self.tasks} 个目标任务、{self.items} 项具体内容"]
        if not self.plan_exists:
            out.append(f"{verb}新建 {self.year} 年度目标任务清单")
        elif self.has_changes:
            out.append(f"与已导入的清单相比：新增 {len(self.added)} 项、删除 {len(self.removed)} 项、"
                       f"修改 {len(self.changed)} 项、未变 {self.unchanged} 项")
            for label, rows in (("新增", self.added), ("删除", self.removed), ("修改", self.changed)):
                for row in rows:
                    out.append(f"  {label} 第{row['seq']}项：{row['content']}")
        else:
            out.append("与已导入的清单内容相同，清单不作更改")
        if self.renumbered:
            out.append(f"序号调整 {self.renumbered} 项")
        if self.new_groups:
            out.append(f"{verb}新建部门组：{'、'.join(self.new_groups)}")
        if self.new_departments:
            out.append(f"系统中没有的部门（{verb}自动创建，请管理员核对）：{'、'.join(self.new_departments)}")
        out.append(f"任务案件：{verb}挂号交办 {len(self.cases)} 件（每项每个牵头部门一件）")
        for row in self.needs_group_members:
            out.append(f"  第{row['seq']}项的牵头部门组“{row['group']}”没有成员，暂不为该组交办；"
                       "管理员添加成员后重新导入同一文件即可补建案件")
        for row in self.cases_to_cancel:
            out.append(f"  案件 {row['number']}（{row['department']}，{row['status_label']}）所属事项"
                       f"已删除或不再由该部门牵头，请主任核实后撤销")
        out.extend(f"注意：{w}" for w in self.warnings)
        if self.dry_run:
            out.append("预览：未写入任何数据")
        return out


# --- the import ------------------------------------------------------------------------

@dataclass
class _Wanted:
    parsed: ParsedItem
    fingerprint: str


def fingerprint(item: ParsedItem) -> str:
    """SHA-256 of what the list says about the item (not its 序号, row or target)."""
    return hashlib.sha256(canonical_json({
        "project_no": item.project_no, "project": item.project, "task": item.task,
        "content": item.content, "remark": item.remark,
        "lead_departments": item.lead_departments, "co_departments": item.co_departments,
        "lead_groups": item.lead_groups, "co_groups": item.co_groups,
    }).encode("utf-8")).hexdigest()


def parse_file(data: bytes, filename: str):
    """Parse the file; a bad file becomes a 400 naming the row or file part."""
    try:
        return parse_tasklist(data, filename)
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
    parsed = parse_file(data, filename)
    settings = settings or service.Settings()
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

    wanted = [_Wanted(p, fingerprint(p)) for p in parsed.items]
    pairs, removed = _match(wanted, load_items(session, plan) if plan else [])
    names = _Names(session)
    _describe(result, pairs, removed, names)

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


def _match(wanted: list[_Wanted], existing: list[PlanItem]):
    """Pair the file's items with the plan's: same fingerprint, else same 序号."""
    by_fp: dict[str, list[PlanItem]] = defaultdict(list)
    for item in existing:
        by_fp[item.fingerprint].append(item)
    pairs: list[tuple[_Wanted, PlanItem | None, str]] = []
    unmatched = []
    for w in wanted:
        if by_fp[w.fingerprint]:
            pairs.append((w, by_fp[w.fingerprint].pop(0), "same"))
        else:
            unmatched.append(w)
    taken = {id(item) for _, item, _ in pairs}
    by_seq = {item.seq: item for item in existing if id(item) not in taken}
    for w in unmatched:
        item = by_seq.pop(w.parsed.seq, None)
        pairs.append((w, item, "changed" if item else "added"))
    pairs.sort(key=lambda p: p[0].parsed.seq)
    return pairs, sorted(by_seq.values(), key=lambda i: i.seq)


class _Names:
    """Departments by canonical name and groups by key, loaded once."""

    def __init__(self, session: Session):
        self.session = session
        self.departments = {canonical_name(d.name): d for d in session.scalars(select(Department))}
        self.groups = {g.key: g for g in session.scalars(select(DepartmentGroup))}

    def department(self, name: str) -> Department | None:
        return self.departments.get(canonical_name(name))

    def members(self, key: str) -> list[Department]:
        group = self.groups.get(key)
        return [d for d in group.members if d.active] if group else []

    def leads(self, item: ParsedItem) -> tuple[list[tuple[str, Department | None]], list[str]]:
        """(name, department) of every lead, lead groups expanded; and empty lead groups."""
        out: dict[str, Department | None] = {}
        for name in item.lead_departments:
            out.setdefault(canonical_name(name), self.department(name))
        empty = []
        for key in item.lead_groups:
            members = self.members(key)
            if not members:
                empty.append(key)
            for dept in members:
                out.setdefault(canonical_name(dept.name), dept)
        return list(out.items()), empty

    def co(self, item: ParsedItem) -> list[Department]:
        """Co-responsible departments, co groups expanded to their current members."""
        found = {}
        for name in item.co_departments:
            dept = self.department(name)
            if dept is not None:
                found[dept.id] = dept
        for key in item.co_groups:
            for dept in self.members(key):
                found[dept.id] = dept
        return list(found.values())


def _snippet(text: str, length: int = 40) -> str:
    text = "".join(text.split("\n"))
    return text if len(text) <= length else text[:length] + "…"


def _describe(result: ImportResult, pairs, removed: list[PlanItem], names: _Names) -> None:
    """Fill the summary: changes, new departments and groups, cases to make."""
    new_depts: dict[str, None] = {}
    for w, item, kind in pairs:
        p = w.parsed
        if kind == "same":
            result.unchanged += 1
            result.renumbered += item.seq != p.seq
        else:
            row = {"seq": p.seq, "content": _snippet(p.content), "item_id": item.id if item else None}
            (result.added if kind == "added" else result.changed).append(row)
        for name in p.lead_departments + p.co_departments:
            if len(name) > 100:
                raise InvalidInput(f"第{p.seq}项（源文件第{p.row}行）的责任部门“{name[:30]}…”过长，"
                                   "不像部门名称，请检查该行", field="file", row=p.row, part=None)
            if names.department(name) is None:
                new_depts.setdefault(name)
        leads, empty = names.leads(p)
        for key in empty:
            result.needs_group_members.append({"seq": p.seq, "group": GROUP_NAMES.get(key, key)})
        have = {link.department_id for link in item.case_links} if item else set()
        for name, dept in leads:
            if dept is None or dept.id not in have:
                result.cases.append({"seq": p.seq, "department": name})
        if kind == "changed":
            wanted = {n for n, _ in leads}
            by_id = {d.id: d for d in names.departments.values()}
            for link in item.case_links:
                original = by_id.get(link.department_id)
                if original is None or canonical_name(original.name) not in wanted:
                    _to_cancel(result, link.case)
    for item in removed:
        result.removed.append({"seq": item.seq, "content": _snippet(item.content), "item_id": item.id})
        for case in item.cases:
            _to_cancel(result, case)
    result.new_departments = list(new_depts)
    keys = {k for w, _, _ in pairs for k in w.parsed.lead_groups + w.parsed.co_groups}
    result.new_groups = [GROUP_NAMES.get(k, k) for k in sorted(keys) if k not in names.groups]


def _to_cancel(result: ImportResult, case: Case) -> None:
    if case.status in OPEN_FOR_REVIEW:
        result.cases_to_cancel.append({
            "case_id": case.id, "number": case.display_number, "status": case.status,
            "status_label": case.status_label,
            "department": case.department.name if case.department else ""})


def _apply(session: Session, result: ImportResult, plan: Plan | None, pairs, removed,
           names: _Names, actor: User, settings, now: datetime, *, title, doc_number,
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
    for w, item, kind in pairs:
        p = w.parsed
        if kind == "added":
            item = PlanItem(plan=plan, seq=p.seq)
            _fill_item(item, w, names, plan.year)
            session.add(item)
            session.flush()
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
                _open_case(session, plan, item, dept, co, actor, settings, now, rows)
    for item in removed:
        item.withdrawn_at = now
        _record_on_cases(session, item, actor, "plan_item_withdrawn", now, {
            "plan_id": plan.id, "item_id": item.id, "seq": item.seq})


def _fill_item(item: PlanItem, w: _Wanted, names: _Names, year: int) -> None:
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


def _open_case(session: Session, plan: Plan, item: PlanItem, dept: Department,
               co: list[Department], actor: User, settings, now: datetime,
               rows: dict[tuple[int, str], dict]) -> Case:
    """One task case for ``dept``: created, numbered, then 挂号交办 through the service."""
    content = "".join(item.content.split("\n"))
    case = Case(kind="task", source="task_list", grade="general", status="draft",
                title=content if len(content) <= 100 else content[:99] + "…",
                description=_description(item), department_id=dept.id,
                deadline=item.effective_deadline,
                original_number=f"{plan.year}年清单第{item.seq}项",
                created_by_id=actor.id, created_at=now)
    case.co_departments = [d for d in co if d.id != dept.id]
    session.add(case)
    session.flush()
    item.case_links.append(PlanItemCase(case_id=case.id, department_id=dept.id))
    service.record(session, case, actor, "create", now=now, payload={
        "plan_id": plan.id, "year": plan.year, "item_id": item.id, "seq": item.seq,
        "department_id": dept.id, "co_department_ids": [d.id for d in case.co_departments],
        "deadline": case.deadline.isoformat(), "source": "task_list"})
    case.number = case_number(session, settings.region, plan.year, "task_list")
    session.flush()
    service.transition(session, case.id, "register", actor, version=case.version,
                       settings=settings, now=now)
    row = rows.get((item.seq, canonical_name(dept.name)))
    if row is not None:
        row.update(case_id=case.id, number=case.number)
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

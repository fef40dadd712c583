"""What a task-list import changes: the file's items paired with the plan's, and the summary.

Items pair by fingerprint (SHA-256 of what the list says about the item), then by 序号.
``describe`` fills an ``ImportResult`` with the added, changed and removed items, the
departments and groups the import would create, the task cases it would open and the
open cases a removed item leaves for the 主任 to review; nothing here writes.
"""
from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.core.audit import canonical_json
from workflow.core.cases import Case
from workflow.org.models import Department, DepartmentGroup
from workflow.platform.errors import InvalidInput
from workflow.tasklist.departments import GROUP_NAMES, canonical_name
from workflow.tasklist.departments import OTHERS as OTHERS_GROUP
from workflow.tasklist.models import PlanItem
from workflow.tasklist.parse import ParsedItem

OPEN_FOR_REVIEW = ("draft", "assigned", "in_progress", "reported", "verified")


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
    kind: str = "annual"
    end_year: int | None = None
    milestones: list | None = None
    choices: dict = field(default_factory=dict)
    stored_choices: bool = False
    preview: list[dict] = field(default_factory=list)  # per item: who owes it, targets
    unknown_names: list[dict] = field(default_factory=list)
    groups: list[dict] = field(default_factory=list)
    split_changes: int = 0  # items whose stored responsibilities the import rewrites

    @property
    def has_changes(self) -> bool:
        return bool(self.added or self.removed or self.changed)

    @property
    def writes_anything(self) -> bool:
        return (not self.plan_exists or self.has_changes or bool(self.cases)
                or bool(self.renumbered) or bool(self.new_groups) or bool(self.new_departments)
                or bool(self.split_changes))

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
                "kind": self.kind, "end_year": self.end_year or self.year,
                "items_preview": self.preview, "unknown_names": self.unknown_names,
                "groups": self.groups, "choices": self.choices,
                "stored_choices": self.stored_choices, "split_changes": self.split_changes,
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
            out.append(f"按区安委办的选择{verb}新建单位：{'、'.join(self.new_departments)}")
        for row in self.unknown_names:
            out.append(f"未登记的名称“{row['name']}”（第{'、'.join(map(str, row['items']))}项）："
                       "须选择映射到已有部门、由某单位承办、新建或不交办")
        if self.split_changes:
            out.append(f"责任分工{verb}更新 {self.split_changes} 项")
        out.append(f"任务：{verb}挂号交办 {len(self.cases)} 件（牵头和责任单位每项每单位一件，配合单位不单独交办）")
        for row in self.needs_group_members:
            out.append(f"  第{row['seq']}项的部门组“{row['group']}”还没有成员，保留为待分解；"
                       "填好成员后在清单页“分解部门组”即可逐一交办")
        for row in self.cases_to_cancel:
            out.append(f"  事项 {row['number']}（{row['department']}，{row['status_label']}）所属事项"
                       f"已删除或不再由该部门牵头，请主任核实后撤销")
        out.extend(f"注意：{w}" for w in self.warnings)
        if self.dry_run:
            out.append("预览：未写入任何数据")
        return out


def preview_lines(result: ImportResult) -> list[str]:
    """Per item: who will owe it (牵头/责任/配合), the targets, the cases, the pending groups."""
    out = []
    for row in result.preview:
        parts = []
        for r in row["responsibilities"]:
            label = r["name"]
            if r["department"] and canonical_name(r["department"]) != canonical_name(r["name"]):
                label += f"→{r['department']}"
            if r["pending"]:
                label += "（待分解）"
            if r["resolution"] == "unknown":
                label += "（未登记，须选择）"
            elif r["resolution"] == "skip":
                label += "（不交办）"
            if r["targets"]:
                label += "［" + "；".join(f"{t['text']}：{t['count']}次/{t['period_years']}年"
                                         for t in r["targets"]) + "］"
            if r["case"] == "new":
                label += "＊"
            parts.append(f"{r['role_label']}：{label}")
        out.append(f"第{row['seq']}项　" + "　".join(parts))
    if result.preview:
        out.append("（＊：将为该单位挂号交办一件任务）")
    return out


@dataclass
class Wanted:
    """An item of the file with its fingerprint."""

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


def match_items(wanted: list[Wanted], existing: list[PlanItem]):
    """Pair the file's items with the plan's: same fingerprint, else same 序号."""
    by_fp: dict[str, list[PlanItem]] = defaultdict(list)
    for item in existing:
        by_fp[item.fingerprint].append(item)
    pairs: list[tuple[Wanted, PlanItem | None, str]] = []
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


class Names:
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


def describe(result: ImportResult, pairs, removed: list[PlanItem], names: Names) -> None:
    """Fill the summary: changes, new departments and groups, cases to make."""
    for w, item, kind in pairs:
        p = w.parsed
        if kind == "same":
            result.unchanged += 1
            result.renumbered += item.seq != p.seq
        else:
            row = {"seq": p.seq, "content": _snippet(p.content), "item_id": item.id if item else None}
            (result.added if kind == "added" else result.changed).append(row)
        for e in p.entries:
            if len(e.name) > 100:
                raise InvalidInput(f"第{p.seq}项（源文件第{p.row}行）的责任部门“{e.name[:30]}…”过长，"
                                   "不像部门名称，请检查该行", field="file", row=p.row, part=None)
    for item in removed:
        result.removed.append({"seq": item.seq, "content": _snippet(item.content), "item_id": item.id})
        for case in item.cases:
            _to_cancel(result, case)
    keys = {k for w, _, _ in pairs for k in w.parsed.lead_groups + w.parsed.co_groups}
    result.new_groups = [GROUP_NAMES.get(k, k) for k in sorted(keys) if k not in names.groups]


def split_summary(result: ImportResult, pairs, planned: dict, entries: dict | None = None) -> None:
    """Per item who will owe it (and the targets), unknown names, groups, cases to open."""
    unknown: dict[str, dict] = {}
    groups: dict[str, dict] = {}
    created: dict[str, None] = {}
    for w, item, kind in pairs:
        p = w.parsed
        rows = planned[p.seq]
        have = {link.department_id for link in item.case_links} if item else set()
        stored = {(r.role, r.department_id, r.group_key) for r in item.responsibilities} \
            if item else set()
        out = []
        for row in rows:
            body = row.to_dict()
            body["case"] = None
            if row.how == "unknown":
                unknown.setdefault(canonical_name(row.name), {"name": row.name, "items": []})
                if p.seq not in unknown[canonical_name(row.name)]["items"]:
                    unknown[canonical_name(row.name)]["items"].append(p.seq)
            if row.how == "create":
                created.setdefault(row.name)
            if row.is_group and row.group != OTHERS_GROUP:
                g = groups.setdefault(row.group, {"key": row.group, "name": row.name,
                                                  "members": 0, "items": [], "pending": row.pending})
                g["items"].append(p.seq)
                g["members"] = sum(1 for r in rows if r.member_of is row)
                if row.pending and row.role != "support":
                    result.needs_group_members.append({"seq": p.seq, "group": row.name})
            if row.owes_case:
                if row.department is not None and row.department.id in have:
                    body["case"] = "existing"
                else:
                    body["case"] = "new"
                    result.cases.append({"seq": p.seq, "department": row.department.name
                                         if row.department else row.name,
                                         "department_id": row.department.id if row.department
                                         else None})
            out.append(body)
        result.preview.append({"seq": p.seq, "content": _snippet(p.content, 80),
                               "raw_departments": p.raw_departments, "responsibilities": out,
                               "entries": [e.to_dict() for e in (entries or {}).get(p.seq, [])],
                               "parsed_entries": [e.to_dict() for e in p.entries],
                               "owners": {canonical_name(r.name): r.to_dict()["targets"]
                                          for r in rows if r.member_of is None
                                          and r.role in ("lead", "responsible")
                                          and r.group != OTHERS_GROUP and r.how != "skip"},
                               "split_chosen": str(p.seq) in result.choices.get("items", {})})
        if item is not None:
            wanted = {(r.role, r.department.id if r.department else None, r.group)
                      for r in rows if r.how not in ("skip", "unknown")}
            if item.responsibilities and stored != wanted:
                result.split_changes += 1
            owners = {r.department.id for r in rows if r.owes_case and r.department}
            for link in item.case_links:
                if link.department_id not in owners:
                    _to_cancel(result, link.case)
    result.unknown_names = list(unknown.values())
    result.groups = list(groups.values())
    result.new_departments = list(created)


def _to_cancel(result: ImportResult, case: Case) -> None:
    if case.status in OPEN_FOR_REVIEW:
        result.cases_to_cancel.append({
            "case_id": case.id, "number": case.display_number, "status": case.status,
            "status_label": case.status_label,
            "department": case.department.name if case.department else ""})

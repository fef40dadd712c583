"""Who owes each item: the split of the 责任部门 cell into responsibilities, with targets.

Pure planning, nothing written: ``Resolver`` turns a name as written into a department
(department aliases and host bodies first, then a department of that name, then the
office's choice for the name), and ``plan_rows`` turns an item's entries into the rows
the import will store (one per unit; a group expands to its members, or stays 待分解).

The office's choices (``Choices``) come from the import preview and are stored per file:

* ``names``: name → {"action": "alias"|"host", "department": name or id} (stored as a
  department alias), {"action": "create", "kind": "department"|"town"} or
  {"action": "skip"} (named in the cell, owes nothing here);
* ``items``: 序号 → the item's entries as the office set them ([{name, role, group}]);
* ``targets``: 序号 → {unit name → [{count, period_years, text}]}: the clause-to-unit
  matching as confirmed.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflow.org.aliases import aliases_by_name, canonical
from workflow.org.models import Department, DepartmentGroup
from workflow.platform.errors import InvalidInput
from workflow.tasklist.departments import (
    GROUP_NAMES,
    LEAD,
    OTHERS,
    RESPONSIBLE,
    ROLE_LABELS,
    SUPPORT,
    Entry,
)
from workflow.tasklist.parse import ParsedItem
from workflow.tasklist.targets import Target, match_targets

NAME_ACTIONS = {"alias": "映射到已有部门（别名）", "host": "由已有单位承办",
                "create": "新建为部门", "skip": "不交办"}
TOWN_SUFFIXES = ("镇", "街道", "开发区", "高新区", "园区")
ROLES = (LEAD, RESPONSIBLE, SUPPORT)
MAX_ITEMS, MAX_ENTRIES, MAX_TARGETS = 500, 60, 10


@dataclass
class Choices:
    names: dict = field(default_factory=dict)
    items: dict = field(default_factory=dict)
    targets: dict = field(default_factory=dict)

    @classmethod
    def from_dict(cls, data) -> Choices:
        """Check the shape of what the page, the API or a stored row sent."""
        if data is None:
            return cls()
        if not isinstance(data, dict) or set(data) - {"names", "items", "targets"}:
            raise InvalidInput("choices 须为含 names、items、targets 的对象", field="choices")
        names, items, targets = (data.get(k) or {} for k in ("names", "items", "targets"))
        if not all(isinstance(x, dict) for x in (names, items, targets)):
            raise InvalidInput("choices 的 names、items、targets 须为对象", field="choices")
        if len(names) > MAX_ITEMS or len(items) > MAX_ITEMS or len(targets) > MAX_ITEMS:
            raise InvalidInput(f"choices 每类最多 {MAX_ITEMS} 条", field="choices")
        out = cls()
        for name, choice in names.items():
            out.names[canonical(str(name))[:100]] = _name_choice(name, choice)
        for seq, entries in items.items():
            out.items[_seq(seq)] = _entries(seq, entries)
        for seq, per_unit in targets.items():
            if not isinstance(per_unit, dict) or len(per_unit) > MAX_ENTRIES:
                raise InvalidInput(f"choices.targets 第{seq}项须为 单位→目标列表", field="choices")
            out.targets[_seq(seq)] = {canonical(str(u))[:100]: _targets(seq, t)
                                      for u, t in per_unit.items()}
        return out

    def to_dict(self) -> dict:
        return {"names": self.names, "items": self.items, "targets": self.targets}

    def merged(self, newer: Choices) -> Choices:
        """These choices with ``newer`` laid over them (per name, per item)."""
        return Choices({**self.names, **newer.names}, {**self.items, **newer.items},
                       {**self.targets, **newer.targets})


def _seq(seq) -> str:
    text = str(seq).strip()
    if not text.isdigit() or not 1 <= int(text) <= 10000:
        raise InvalidInput(f"choices 中的序号“{text[:10]}”无效", field="choices")
    return str(int(text))


def _name_choice(name, choice) -> dict:
    if not isinstance(choice, dict) or choice.get("action") not in NAME_ACTIONS:
        raise InvalidInput(f"名称“{str(name)[:30]}”的处理方式须为：{', '.join(NAME_ACTIONS)}",
                           field="choices")
    action = choice["action"]
    if action in ("alias", "host"):
        target = choice.get("department")
        if not isinstance(target, (str, int)) or not str(target).strip():
            raise InvalidInput(f"名称“{str(name)[:30]}”须指定对应的部门", field="choices")
        return {"action": action, "department": str(target).strip()[:100]}
    if action == "create":
        kind = choice.get("kind") or ("town" if str(name).endswith(TOWN_SUFFIXES) else "department")
        if kind not in ("department", "town"):
            raise InvalidInput("新建单位的类型须为 department 或 town", field="choices")
        return {"action": action, "kind": kind}
    return {"action": action}


def _entries(seq, entries) -> list[dict]:
    if not isinstance(entries, list) or len(entries) > MAX_ENTRIES:
        raise InvalidInput(f"choices.items 第{seq}项须为责任单位列表（最多 {MAX_ENTRIES} 个）",
                           field="choices")
    out = []
    for e in entries:
        if not isinstance(e, dict) or e.get("role") not in ROLES or not isinstance(e.get("name"), str):
            raise InvalidInput(f"choices.items 第{seq}项的每个单位须有 name 和 role"
                               f"（{'/'.join(ROLES)}）", field="choices")
        group = e.get("group")
        if group is not None and group not in GROUP_NAMES and group != OTHERS:
            raise InvalidInput(f"choices.items 第{seq}项的部门组“{str(group)[:30]}”未知",
                               field="choices")
        name = canonical(e["name"])[:100]
        if not name:
            raise InvalidInput(f"choices.items 第{seq}项有空的单位名称", field="choices")
        out.append({"name": name, "role": e["role"], "group": group})
    return out


def _targets(seq, targets) -> list[dict]:
    if not isinstance(targets, list) or len(targets) > MAX_TARGETS:
        raise InvalidInput(f"choices.targets 第{seq}项的目标须为列表", field="choices")
    out = []
    for t in targets:
        count, period = (t.get("count"), t.get("period_years", 1)) if isinstance(t, dict) else (0, 0)
        if not (isinstance(count, int) and 1 <= count <= 999 and isinstance(period, int)
                and 1 <= period <= 10):
            raise InvalidInput(f"choices.targets 第{seq}项的目标须有 count（1–999）和 "
                               "period_years（1–10）", field="choices")
        text = t.get("text") if isinstance(t.get("text"), str) else ""
        out.append({"count": count, "period_years": period,
                    "text": text.strip()[:200] or _target_words(count, period)})
    return out


def _target_words(count: int, period: int) -> str:
    return f"{'每年' if period == 1 else f'每{period}年'}{count}次"


def entries_for(item: ParsedItem, choices: Choices) -> tuple[list[Entry], bool]:
    """The item's entries: the office's split when it set one, else as parsed."""
    chosen = choices.items.get(str(item.seq))
    if chosen is None:
        return list(item.entries), False
    return [Entry(e["name"], e["role"], e["group"]) for e in chosen], True


class Resolver:
    """Names as written → departments, loaded once per import."""

    def __init__(self, session: Session, choices: Choices):
        self.session = session
        self.choices = choices
        self.by_name = {canonical(d.name): d for d in session.scalars(select(Department))}
        self.aliases = aliases_by_name(session)
        self.groups = {g.key: g for g in session.scalars(select(DepartmentGroup))}

    def department_named(self, name) -> Department | None:
        if isinstance(name, int) or str(name).isdigit():
            return self.session.get(Department, int(name))
        key = canonical(str(name))
        alias = self.aliases.get(key)
        return alias.department if alias else self.by_name.get(key)

    def resolve(self, name: str) -> tuple[Department | None, str]:
        """(department, how): how is department, alias, host, create, skip or unknown."""
        key = canonical(name)
        alias = self.aliases.get(key)
        if alias is not None:
            return alias.department, alias.kind
        if key in self.by_name:
            return self.by_name[key], "department"
        choice = self.choices.names.get(key)
        if choice is None:
            return None, "unknown"
        if choice["action"] in ("alias", "host"):
            dept = self.department_named(choice["department"])
            if dept is None:
                raise InvalidInput(f"“{name}”要对应的部门“{choice['department']}”不存在",
                                   field="choices")
            return dept, choice["action"]
        return None, choice["action"]

    def members(self, key: str) -> list[Department]:
        group = self.groups.get(key)
        return [d for d in group.members if d.active] if group else []


@dataclass
class RowPlan:
    """One responsibility the import will store."""

    name: str
    role: str
    department: Department | None = None
    how: str = "department"  # department | alias | host | create | skip | unknown | group
    group: str | None = None  # group key (group rows and their members) or 等部门
    pending: bool = False
    member_of: RowPlan | None = None
    targets: list[Target] = field(default_factory=list)

    @property
    def is_group(self) -> bool:
        return self.member_of is None and self.group is not None

    @property
    def owes_case(self) -> bool:
        return self.role in (LEAD, RESPONSIBLE) and not self.is_group and self.how not in (
            "skip", "unknown")

    def key(self) -> tuple:
        return (self.role, self.department.id if self.department else None, self.group,
                self.name if self.department is None else "", self.pending,
                tuple((t.count, t.period_years) for t in self.targets))

    def to_dict(self) -> dict:
        return {"name": self.name, "role": self.role, "role_label": ROLE_LABELS[self.role],
                "department": self.department.name if self.department else None,
                "department_id": self.department.id if self.department else None,
                "resolution": self.how,
                "group": (OTHERS if self.group == OTHERS else GROUP_NAMES.get(self.group or "", None)),
                "group_key": self.group, "pending": self.pending,
                "targets": [{"text": t.text, "count": t.count, "period_years": t.period_years}
                            for t in self.targets]}


def plan_rows(item: ParsedItem, resolver: Resolver, choices: Choices) -> list[RowPlan]:
    """The responsibilities of one item, in the cell's order, each unit once."""
    entries, _ = entries_for(item, choices)
    rows: list[RowPlan] = []
    for e in entries:
        if e.group == OTHERS:
            rows.append(RowPlan(OTHERS, SUPPORT, how="group", group=OTHERS))
        elif e.group:
            members = resolver.members(e.group)
            head = RowPlan(GROUP_NAMES[e.group], e.role, how="group", group=e.group,
                           pending=not members)
            rows.append(head)
            rows.extend(RowPlan(d.name, e.role, d, "department", e.group, member_of=head)
                        for d in members)
        else:
            dept, how = resolver.resolve(e.name)
            rows.append(RowPlan(e.name, e.role, dept, how))
    rows = _one_per_unit(rows)
    _assign_targets(item, rows, choices)
    return rows


def _one_per_unit(rows: list[RowPlan]) -> list[RowPlan]:
    """A unit named twice (or by name and through a group) keeps its strongest role."""
    rank = {LEAD: 0, RESPONSIBLE: 1, SUPPORT: 2}
    best: dict[int, RowPlan] = {}
    for row in rows:
        if row.department is None or row.how == "skip":
            continue
        have = best.get(row.department.id)
        if have is None or rank[row.role] < rank[have.role]:
            best[row.department.id] = row
    return [r for r in rows if r.department is None or r.how == "skip"
            or best.get(r.department.id) is r]


def _assign_targets(item: ParsedItem, rows: list[RowPlan], choices: Choices) -> None:
    """Targets per unit: the office's confirmed matching, else clause-to-unit matching."""
    owners = [r for r in rows if r.role in (LEAD, RESPONSIBLE) and r.member_of is None
              and r.how != "skip" and r.group != OTHERS]
    chosen = choices.targets.get(str(item.seq))
    if chosen is not None:
        found = {canonical(r.name): [Target(t["count"], t["period_years"], t["text"])
                                     for t in chosen.get(canonical(r.name), [])] for r in owners}
    else:
        found = match_targets(item.content, [canonical(r.name) for r in owners])
    for row in owners:
        row.targets = list(found.get(canonical(row.name), []))
    for row in rows:
        if row.member_of is not None:
            row.targets = list(row.member_of.targets)

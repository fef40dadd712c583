"""Split a 责任部门 cell into lead/co departments and department groups.

The first line of the cell names the lead (牵头) departments, further lines the
co-responsible (配合) ones. Group phrases ("各地", "各安委会成员单位", ...) stand for
administrator-editable department groups and resolve to canonical keys.
"""

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

from workflow.tasklist.table import clean_cell

# key → display name, and every phrase that means the group. Extend here.
_GROUPS = (
    ("towns", "各镇、开发区、街道",
     ("各地", "各地区", "各镇、开发区、街道", "各镇（开发区、街道）", "各镇、街道", "各镇（街道）")),
    ("committee_members", "安委会成员单位",
     ("各安委会成员单位", "安委会成员单位", "区安委会成员单位", "各成员单位")),
    ("supervising", "负有安全生产监督管理职责的部门",
     ("负有安全生产监督管理和行业管理职责的部门", "各负有安全生产监督管理和行业管理职责的部门",
      "负有安全生产监督管理职责的部门", "各负有安全生产监督管理职责的部门")),
    ("all_departments", "各部门", ("各部门", "区各部门")),
    ("related", "区相关部门",
     ("区相关部门", "有关部门", "相关部门", "区有关部门", "各相关部门", "相关职能部门")),
)
GROUP_NAMES: dict[str, str] = {key: name for key, name, _ in _GROUPS}
GROUP_PHRASES: dict[str, tuple[str, str]] = {
    phrase: (key, name) for key, name, phrases in _GROUPS for phrase in phrases
}

_SEPARATORS = re.compile(r"[、，,;；:：/／]+")
_OTHERS = re.compile(r"等(?:相关|有关)?(?:部门|单位)?$")  # "X等部门": X leads, the rest is not a name
_LEADS = re.compile(r"[（(]?牵头[)）]?$")
_CONJUNCTION = re.compile(r"以及|和|及|与")  # "区专治办和有关部门"
_WHITESPACE = re.compile(r"\s+")
# A cell repeats over the items (the same units own many); the parse of one is kept.
_CACHED_CELLS = 4096


def canonical_name(text: str) -> str:
    """One spelling per name: NFKC, full-width parentheses, no whitespace."""
    text = unicodedata.normalize("NFKC", text)
    text = text.replace("(", "（").replace(")", "）")
    return _WHITESPACE.sub("", text).strip("。.")


def _group_of(name: str) -> str | None:
    found = _PHRASE_INDEX.get(name) or _PHRASE_INDEX.get(name.removeprefix("各"))
    return found[0] if found else None


_PHRASE_INDEX = {canonical_name(p): v for p, v in GROUP_PHRASES.items()}
# Group phrases that hold the separator 、, longest first, each with its stand-in.
_PROTECTED = [(f"\x00{i}\x00", phrase) for i, phrase in enumerate(
    sorted((p for p in _PHRASE_INDEX if "、" in p), key=len, reverse=True))]
_DEPTH = {"（": 1, "）": -1}


@dataclass
class Responsibility:
    """The parsed 责任部门 cell."""

    lead_departments: list[str] = field(default_factory=list)
    co_departments: list[str] = field(default_factory=list)
    lead_groups: list[str] = field(default_factory=list)
    co_groups: list[str] = field(default_factory=list)

    def is_empty(self) -> bool:
        return not (self.lead_departments or self.co_departments or self.lead_groups or self.co_groups)

    def add(self, kind: str, value: str, lead: bool) -> None:
        target = getattr(self, f"{'lead' if lead else 'co'}_{kind}")
        if value not in target:
            target.append(value)

    def settle(self) -> "Responsibility":
        """Drop co entries that also lead."""
        self.co_departments = [d for d in self.co_departments if d not in self.lead_departments]
        self.co_groups = [g for g in self.co_groups if g not in self.lead_groups]
        return self


def _split_line(line: str) -> list[str]:
    """Split on separators and whitespace outside parentheses, keeping group phrases whole."""
    line = canonical_name(_WHITESPACE.sub("、", _SEPARATORS.sub("、", line.strip())))
    protected = []
    for key, phrase in _PROTECTED:
        if phrase in line:
            protected.append((key, phrase))
            line = line.replace(phrase, key)
    if "（" in line or "）" in line:
        parts, depth, current = [], 0, ""
        for ch in line:
            depth += _DEPTH.get(ch, 0)
            if ch == "、" and depth <= 0:
                parts.append(current)
                current = ""
            else:
                current += ch
        parts.append(current)
    else:  # no parentheses: every separator splits
        parts = line.split("、")
    for key, phrase in protected:
        parts = [p.replace(key, phrase) for p in parts]
    return [p for p in parts if p]


def _add_part(result: Responsibility, part: str, lead: bool) -> None:
    if _LEADS.search(part):
        part, lead = _LEADS.sub("", part), True
    part = _OTHERS.sub("", part) or part
    group = _group_of(part)
    if group:
        result.add("groups", group, lead)
        return
    for match in _CONJUNCTION.finditer(part):
        rest = _group_of(part[match.end():])
        if match.start() and rest:
            # "X和有关部门" reads like "X等部门": X as written, the others assist.
            _add_part(result, part[: match.start()], lead)
            result.add("groups", rest, False)
            return
    result.add("departments", part, lead)


def parse_departments(cell: str) -> Responsibility:
    """Parse a 责任部门 cell: first line leads, further lines co-responsible."""
    return Responsibility(*map(list, _parsed_departments(cell)))


@lru_cache(maxsize=_CACHED_CELLS)
def _parsed_departments(cell: str) -> tuple[tuple[str, ...], ...]:
    result = Responsibility()
    for index, line in enumerate(clean_cell(cell).split("\n")):
        for part in _split_line(line):
            _add_part(result, part, lead=index == 0)
    result.settle()
    return (tuple(result.lead_departments), tuple(result.co_departments),
            tuple(result.lead_groups), tuple(result.co_groups))


# --- responsibilities (who owes the item, and how) ---------------------------------------
#
# Every unit or group named in the cell owes the item, whatever line it is on. The first
# unit named is 牵头 (lead); every other named unit and every group is 责任 (responsible,
# each gets its own case). Only an explicit 配合 phrase, or the "等部门" of "X等部门",
# makes a 配合 (support) unit: it sees the item and contributes, with no case of its own.

LEAD, RESPONSIBLE, SUPPORT = "lead", "responsible", "support"
ROLE_LABELS = {LEAD: "牵头", RESPONSIBLE: "责任", SUPPORT: "配合"}
OTHERS = "等部门"  # the unnamed others of "X等部门": support, no unit to resolve
_SUPPORT_LINE = re.compile(r"^(?:配合(?:单位|部门)?|协办(?:单位|部门)?)[:：]?")
_SUPPORT_MARK = re.compile(r"[（(](?:配合|协办)[)）]$|配合$")
_OTHERS_WORD = re.compile(r"等(?:相关|有关)?(?:部门|单位)$")


@dataclass
class Entry:
    """One owner named in the cell: a unit (``group`` None) or a group phrase."""

    name: str  # as written (canonical spelling); a group's display name
    role: str
    group: str | None = None  # group key, or OTHERS

    def to_dict(self) -> dict:
        return {"name": self.name, "role": self.role, "group": self.group}


def parse_entries(cell: str) -> list[Entry]:
    """The cell's owners in order, each with its role (see the block comment above)."""
    return [Entry(*entry) for entry in _parsed_entries(cell)]


@lru_cache(maxsize=_CACHED_CELLS)
def _parsed_entries(cell: str) -> tuple[tuple[str, str, str | None], ...]:
    found: list[Entry] = []
    for line in clean_cell(cell).split("\n"):
        line = canonical_name(line)
        support_line = bool(_SUPPORT_LINE.match(line))
        line = _SUPPORT_LINE.sub("", line)
        for part in _split_line(line):
            _entry_parts(found, part, support_line)
    return tuple((e.name, e.role, e.group) for e in _settle_entries(found))


def _entry_parts(found: list[Entry], part: str, support: bool) -> None:
    part = _LEADS.sub("", part) or part
    if _SUPPORT_MARK.search(part):
        part, support = _SUPPORT_MARK.sub("", part), True
    others = bool(_OTHERS_WORD.search(part)) and _group_of(part) is None
    if others:
        part = _OTHERS_WORD.sub("", part)
    role = SUPPORT if support else RESPONSIBLE
    group = _group_of(part)
    if group:
        found.append(Entry(GROUP_NAMES[group], role, group))
    else:
        for match in _CONJUNCTION.finditer(part):
            rest = _group_of(part[match.end():])
            if match.start() and rest:  # "区专治办和有关部门": a unit and a group, both owe it
                _entry_parts(found, part[: match.start()], support)
                found.append(Entry(GROUP_NAMES[rest], role, rest))
                break
        else:
            if part:
                found.append(Entry(part, role))
    if others:
        found.append(Entry(OTHERS, SUPPORT, OTHERS))


def _settle_entries(found: list[Entry]) -> list[Entry]:
    """First named unit leads; a name listed twice keeps its stronger role."""
    rank = {LEAD: 0, RESPONSIBLE: 1, SUPPORT: 2}
    out: dict[tuple, Entry] = {}
    for e in found:
        key = (e.group, e.name if e.group is None else "")
        if key in out and rank[out[key].role] <= rank[e.role]:
            continue
        out[key] = e
    entries = list(out.values())
    for e in entries:
        if e.group is None and e.role != SUPPORT:
            e.role = LEAD
            break
    return entries

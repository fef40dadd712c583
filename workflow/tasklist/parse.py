"""Parse the annual work-safety task list (目标任务清单) from .docx, .xlsx or text.

Pure: bytes in, a `ParsedPlan` out; no database, no web request.
"""

import re
from dataclasses import dataclass, field

from workflow.platform.collector import gc_paused
from workflow.platform.office_limits import ImportLimitExceeded, ImportLimits
from workflow.tasklist.departments import (
    GROUP_NAMES,
    GROUP_PHRASES,
    parse_departments,
    parse_entries,
)
from workflow.tasklist.errors import TaskListError
from workflow.tasklist.readers import read_tables
from workflow.tasklist.table import (
    REQUIRED_COLUMNS,
    SourceCell,
    SourceRow,
    SourceTable,
    clean_cell,
    column_of,
    looks_like_header,
)
from workflow.tasklist.targets import chinese_int, find_target

__all__ = ["GROUP_NAMES", "GROUP_PHRASES", "ParsedItem", "ParsedPlan", "TaskListError", "parse_tasklist"]


@dataclass
class ParsedItem:
    """One 具体内容 item with its place in the 目标项目 → 目标任务 hierarchy."""

    seq: int
    project_no: int
    project: str
    task: str
    content: str
    lead_departments: list[str]
    co_departments: list[str]
    lead_groups: list[str]
    co_groups: list[str]
    remark: str
    target_count: int | None
    target_period_years: int | None
    target_text: str | None
    row: int
    raw_departments: str = ""  # the 责任部门 cell as written
    entries: list = field(default_factory=list)  # departments.Entry: who owes it, how


@dataclass
class ParsedPlan:
    """The whole list: its title, the items in order, every department and group named."""

    title: str | None
    items: list[ParsedItem]
    departments: set = field(default_factory=set)
    groups: set = field(default_factory=set)


def parse_tasklist(data: bytes, filename: str, limits: ImportLimits | None = None) -> ParsedPlan:
    """Parse a task list; raise TaskListError (Chinese message) for any bad input.

    A .docx/.xlsx past ``limits`` raises ImportLimitExceeded (400 naming the limit).
    """
    try:
        with gc_paused():
            tables = read_tables(bytes(data), filename, limits)
            return _build_plan(tables, filename)
    except (TaskListError, ImportLimitExceeded):
        raise
    except Exception as exc:  # a reader library choking on odd input is still bad input
        raise TaskListError(f"文件“{filename}”无法解析为目标任务清单", part=filename) from exc


def _find_header(tables: list[SourceTable]) -> tuple[int, int] | None:
    for t, table in enumerate(tables):
        for r, row in enumerate(table.rows):
            if looks_like_header([c.text for c in row.cells]):
                return t, r
    return None


def _build_plan(tables: list[SourceTable], filename: str) -> ParsedPlan:
    found = _find_header(tables)
    if found is None:
        raise TaskListError(
            f"文件“{filename}”不是目标任务清单：未找到含“具体内容”“责任部门”等列名的表头行", part=filename
        )
    t, r = found
    table, header = tables[t], tables[t].rows[r]
    columns: dict[str, int] = {}
    for index, cell in enumerate(header.cells):
        columns.setdefault(column_of(cell.text), index)
    for key, name in REQUIRED_COLUMNS.items():
        if key not in columns:
            raise TaskListError(
                f"{table.where(header.number)}的表头缺少“{name}”列", row=header.number, part=table.part or filename
            )
    rows = [(table, row) for row in table.rows[r + 1 :]]
    for follower in tables[t + 1 :]:
        if not (table.joinable and follower.joinable and len(follower.rows[0].cells) == len(header.cells)):
            break
        rows += [(follower, row) for row in follower.rows]
    title = _pick_title(table.title_lines + [c.text for row in table.rows[:r] for c in row.cells])
    items = _ItemBuilder(columns).build(rows)
    if not items:
        raise TaskListError(
            f"{table.where(header.number)}的表头下没有任何具体内容", row=header.number, part=table.part or filename
        )
    departments = {d for i in items for d in i.lead_departments + i.co_departments}
    groups = {g for i in items for g in i.lead_groups + i.co_groups}
    return ParsedPlan(title, items, departments, groups)


def _pick_title(lines: list[str]) -> str | None:
    """The line naming the list (…清单), else the last line above the table."""
    lines = [
        "".join(line.split("\n")) for line in dict.fromkeys(lines)
        if line and not re.fullmatch(r"附件\s*[0-9一二三四五六七八九十]*[:：]?|[0-9\s]+", line)
    ]
    named = [line for line in lines if "清单" in line]
    return (named or lines or [None])[-1]


@dataclass(slots=True)
class _RawItem:
    """An item as read, before its departments and target are parsed."""

    row: int
    where: str
    part: str | None
    project_no: int
    project: str
    task: str
    content: str
    departments: str
    remark: str


class _ItemBuilder:
    """Walk the rows, inheriting merged 序号/目标项目/目标任务 from the row above."""

    def __init__(self, columns: dict[str, int]):
        self.columns = columns
        self.project_no = 0
        self.seq_text = self.project = self.task = ""
        self.raw: list[_RawItem] = []

    def cell(self, row: SourceRow, key: str) -> SourceCell:
        index = self.columns.get(key)
        if index is None or index >= len(row.cells):
            return SourceCell("", row.number)
        return row.cells[index]

    def build(self, rows: list[tuple[SourceTable, SourceRow]]) -> list[ParsedItem]:
        for table, row in rows:
            texts = [c.text for c in row.cells]
            if not any(texts) or looks_like_header(texts):
                continue  # blank row, or the header repeated on a new page
            self.take(table, row)
        return [self.finish(seq, raw) for seq, raw in enumerate(self.raw, start=1)]

    def take(self, table: SourceTable, row: SourceRow) -> None:
        content, depts = self.cell(row, "content"), self.cell(row, "departments")
        remark = self.cell(row, "remark")
        if content.merged and self.raw:
            # The item's cell spans several rows: their own departments/remarks add to it.
            previous = self.raw[-1]
            if depts.text and not depts.merged:
                previous.departments += "\n" + depts.text
            if remark.text and not remark.merged:
                previous.remark = "\n".join(filter(None, [previous.remark, remark.text]))
            return
        self.follow_hierarchy(row)
        where, part = table.where(content.line), table.part or None
        if not content.text:
            if depts.text and not depts.merged:
                message = f"{where}：有责任部门“{_snippet(depts.text)}”但缺少具体内容"
                raise TaskListError(message, row=content.line, part=part)
            return
        if not depts.text:
            raise TaskListError(_no_departments(where, content.text), row=content.line, part=part)
        self.raw.append(_RawItem(
            content.line, where, part, max(self.project_no, 1), self.project, self.task,
            content.text, depts.text, remark.text,
        ))

    def follow_hierarchy(self, row: SourceRow) -> None:
        seq = self.cell(row, "seq").text
        project = "".join(self.cell(row, "project").text.split("\n"))
        task = "".join(self.cell(row, "task").text.split("\n"))
        seq_changed = bool(seq) and seq != self.seq_text
        if seq_changed or (project and project != self.project):
            number = _project_number(seq) if seq_changed else None
            self.project_no = number if number is not None else self.project_no + 1
            self.seq_text, self.project, self.task = seq or self.seq_text, project or self.project, ""
        if task:
            self.task = task

    def finish(self, seq: int, raw: _RawItem) -> ParsedItem:
        responsibility = parse_departments(raw.departments)
        if responsibility.is_empty():
            raise TaskListError(_no_departments(raw.where, raw.content), row=raw.row, part=raw.part)
        target = find_target(raw.content)
        return ParsedItem(
            seq=seq, project_no=raw.project_no, project=raw.project, task=raw.task,
            content=raw.content, lead_departments=responsibility.lead_departments,
            co_departments=responsibility.co_departments, lead_groups=responsibility.lead_groups,
            co_groups=responsibility.co_groups, remark=raw.remark,
            target_count=target.count if target else None,
            target_period_years=target.period_years if target else None,
            target_text=target.text if target else None, row=raw.row,
            raw_departments=clean_cell(raw.departments), entries=parse_entries(raw.departments),
        )


_SEQ_DECORATION = re.compile(r"[\s.．、,，()（）第项]")


def _project_number(seq: str) -> int | None:
    """序号 as written: "1", "1.", "一、", "（一）"."""
    return chinese_int(_SEQ_DECORATION.sub("", seq))


def _no_departments(where: str, content: str) -> str:
    return f"{where}：具体内容“{_snippet(content)}”缺少责任部门"


def _snippet(text: str, length: int = 20) -> str:
    text = "".join(text.split("\n"))
    return text if len(text) <= length else text[:length] + "…"

"""The neutral table that every reader produces, and cell-text clean-up."""

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

_BOOKMARK = re.compile(r"\[bookmark:[^\]]*\]")
# Characters that are not whitespace to str.strip() but are blank to a reader.
_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff"
_BLANK = " \t\u3000\xa0\r\n\v\f"  # stripped from each line
_LINE_BREAK = re.compile(r"\r\n|\r|\n|\u2028|\u2029|\x0b")
# A cell without any of these is one line, no artefact: stripping it is all the clean-up.
_NEEDS_WORK = re.compile(r"[\[\r\n\u2028\u2029\x0b" + _INVISIBLE + "]")


@dataclass(slots=True)  # one per cell read: tens of thousands
class SourceCell:
    """One cell; `merged` marks the continuation of a vertically merged cell."""

    text: str
    line: int
    merged: bool = False


@dataclass(slots=True)
class SourceRow:
    """One table row as read, `number` being its row (or first line) number."""

    number: int
    cells: list[SourceCell]


@dataclass
class SourceTable:
    """The rows of one table; `part` names it in messages (empty for plain text)."""

    part: str
    rows: list[SourceRow]
    title_lines: list[str] = field(default_factory=list)
    # Word tables split at a page may continue in the next table of the same width.
    joinable: bool = False

    def where(self, row: int | None) -> str:
        """Name a row for a message, e.g. 工作表“清单”第5行."""
        return f"{self.part}第{row}行" if row is not None else self.part


def clean_line(text: str) -> str:
    """Strip one line of whitespace, full-width spaces and invisible characters."""
    for ch in _INVISIBLE:
        if ch in text:
            text = text.replace(ch, "")
    return text.strip(_BLANK)


def clean_cell(text: str | None) -> str:
    """Remove artefacts and blank lines; keep one line per paragraph."""
    if not text:
        return ""
    text = str(text)
    if not _NEEDS_WORK.search(text):  # the common cell: one line, nothing to remove
        return text.strip(_BLANK)
    text = _BOOKMARK.sub("", text)
    lines = (clean_line(line) for line in _LINE_BREAK.split(text))
    return "\n".join(line for line in lines if line)


def header_key(text: str) -> str:
    """Normalise a header cell for comparison: no whitespace, NFKC."""
    return "".join(unicodedata.normalize("NFKC", clean_cell(text)).split())  # split(): \s


# Header names as users write them → column key. Extend here for new spellings.
COLUMN_NAMES = {
    "序号": "seq",
    "目标项目": "project",
    "目标任务": "task",
    "具体内容": "content",
    "责任部门": "departments",
    "责任单位": "departments",
    "备注": "remark",
}
REQUIRED_COLUMNS = {"content": "具体内容", "departments": "责任部门"}


@lru_cache(maxsize=4096)  # every row is asked whether it is a header; cells repeat
def column_of(text: str) -> str | None:
    """The column key a header cell names, or None."""
    return COLUMN_NAMES.get(header_key(text))


def looks_like_header(texts: list[str]) -> bool:
    """True when at least three distinct task-list column names appear."""
    found: set[str] = set()
    for i, text in enumerate(texts):
        key = column_of(text)
        if key is not None:
            found.add(key)
        if len(found) + len(texts) - 1 - i < 3:  # the cells left cannot make three
            return False
    return len(found) >= 3

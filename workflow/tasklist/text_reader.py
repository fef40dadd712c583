"""Read the tab-prefixed text copy of a Word table.

Each cell starts on a line beginning with a TAB; lines without a TAB continue the cell.
Rows are not marked, so cells are counted off by the width of the header row. A row
ends with a blank line after its last cell; anything after that and before the next
cell (a page number, a note under the table) lies outside the table.
"""

import codecs
import re
from dataclasses import dataclass, field

from workflow.tasklist.errors import TaskListError
from workflow.tasklist.table import (
    SourceCell,
    SourceRow,
    SourceTable,
    clean_cell,
    clean_line,
    looks_like_header,
)

_BOOKMARK = re.compile(r"\[bookmark:[^\]]*\]")


@dataclass
class _RawCell:
    line: int
    lines: list[str] = field(default_factory=list)

    def text(self, stop_at_blank: bool = False) -> str:
        lines = self.lines
        if stop_at_blank:
            blanks = [i for i, line in enumerate(lines) if i and not clean_line(line)]
            lines = lines[: blanks[0]] if blanks else lines
        return clean_cell("\n".join(lines))

    def ends_row(self) -> bool:
        return any(not clean_line(line) for line in self.lines[1:])


def decode_text(data: bytes, filename: str) -> str:
    """Decode UTF-8 (with or without BOM), UTF-16 with BOM, or GB18030."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encodings = ["utf-16"]
    else:
        encodings = ["utf-8-sig", "gb18030"]
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise TaskListError(f"文件“{filename}”无法识别文字编码，请另存为 UTF-8 文本或上传 Word/Excel 原件", part=filename)


def _tokenise(text: str) -> tuple[list[str], list[_RawCell]]:
    """Split into the lines before the first cell and the cells."""
    before: list[str] = []
    cells: list[_RawCell] = []
    for number, line in enumerate(re.split(r"\r\n|\r|\n", text), start=1):
        if line.startswith("\t"):
            cells.append(_RawCell(number, [line[1:]]))
        elif cells:
            cells[-1].lines.append(line)
        elif clean_line(line):
            before.append(clean_line(line))
    return before, cells


def _find_header(cells: list[_RawCell]) -> tuple[int, int] | None:
    """Index and width of the header row: the first blank-delimited run of header names."""
    start = 0
    for i, cell in enumerate(cells):
        if cell.ends_row():
            run = [c.text(stop_at_blank=True) for c in cells[start : i + 1]]
            if looks_like_header(run):
                return start, len(run)
            start = i + 1
    return None


def read_text(data: bytes, filename: str) -> list[SourceTable]:
    """Read the text copy into one table (rows from the header on)."""
    text = _BOOKMARK.sub("", decode_text(data, filename))
    if not clean_cell(text):
        raise TaskListError(f"文件“{filename}”为空", part=filename)
    before, cells = _tokenise(text)
    found = _find_header(cells)
    if found is None:
        return [SourceTable("", [], before)]
    start, width = found
    rows = []
    for i in range(start, len(cells), width):
        chunk = cells[i : i + width]
        texts = [c.text() for c in chunk[:-1]] + [chunk[-1].text(stop_at_blank=True)]
        row_cells = [SourceCell(t, c.line) for t, c in zip(texts, chunk)]
        row_cells += [SourceCell("", chunk[-1].line)] * (width - len(chunk))
        rows.append(SourceRow(chunk[0].line, row_cells))
    return [SourceTable("", rows, before)]

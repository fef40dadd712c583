"""Build real Word and Excel task lists from rows, for tests.

`plan_rows` is a list of rows, the header first, each a list of cell texts ("\n" between
paragraphs). An empty cell in the 序号/目标项目/目标任务 columns continues the cell above:
the builders turn it into a real vertical merge (Word `cell.merge`, Excel merged range).
"""

import io
from pathlib import Path

import docx
import openpyxl

from workflow.tasklist.text_reader import read_text

SAMPLE_PATH = Path(__file__).resolve().parent.parent / "data" / "wujin-2020-task-list.txt"
SAMPLE_TITLE = "2020年全区安全生产重点工作目标任务清单"
MERGED_COLUMNS = ("序号", "目标项目", "目标任务")


def sample_bytes() -> bytes:
    """The real 2020 list, as the text copy."""
    return SAMPLE_PATH.read_bytes()


def sample_rows() -> list[list[str]]:
    """The text copy's table: header row, then the data rows with empty merged cells."""
    (table,) = read_text(sample_bytes(), SAMPLE_PATH.name)
    return [[cell.text for cell in row.cells] for row in table.rows]


def merge_runs(plan_rows: list[list[str]]) -> list[tuple[int, int, int]]:
    """(column, first row, last row) of every vertical merge, 0-based, header at 0."""
    header = plan_rows[0]
    runs = []
    for col, name in enumerate(header):
        if name not in MERGED_COLUMNS:
            continue
        top = None
        for r in range(1, len(plan_rows) + 1):
            empty = r < len(plan_rows) and not plan_rows[r][col]
            if empty and top is not None:
                continue
            if top is not None and r - 1 > top:
                runs.append((col, top, r - 1))
            top = r if r < len(plan_rows) else None
    return runs


def build_docx(
    plan_rows: list[list[str]], title: str = SAMPLE_TITLE, merge: bool = True, split_at: int | None = None
) -> bytes:
    """A .docx with a title and the table.

    `merge=False` repeats the text instead of merging; `split_at` continues the rows from
    that index in a second table, as when a table is broken across pages.
    """
    document = docx.Document()
    document.add_paragraph("附件")
    document.add_paragraph(title)
    header, body = plan_rows[0], plan_rows[1:]
    split = len(body) if split_at is None else split_at - 1
    _add_table(document, header, body[:split], merge)
    if split < len(body):
        document.add_paragraph("")
        _add_table(document, header, body[split:], merge, with_header=False)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _add_table(document, header: list[str], body: list[list[str]], merge: bool, with_header: bool = True) -> None:
    runs = merge_runs([header] + body)
    rows = [header] + body if with_header else body
    offset = 0 if with_header else -1  # runs count rows with the header at 0
    table = document.add_table(rows=len(rows), cols=len(rows[0]))
    table.style = "Table Grid"
    filled = [list(row) for row in rows]
    for col, top, bottom in runs:
        for r in range(top + 1 + offset, bottom + 1 + offset):
            filled[r][col] = "" if merge else rows[top + offset][col]
    # table.cell() walks the whole table on every call; take each row's cells once.
    grid = [row.cells for row in table.rows]
    for r, row in enumerate(filled):
        for c, text in enumerate(row):
            _write_cell(grid[r][c], text)
    if merge:
        for col, top, bottom in runs:
            grid[top + offset][col].merge(grid[bottom + offset][col])


def _write_cell(cell, text: str) -> None:
    first, *more = text.split("\n")
    cell.text = first
    for line in more:
        cell.add_paragraph(line)


def build_xlsx(plan_rows: list[list[str]], title: str = SAMPLE_TITLE) -> bytes:
    """An .xlsx with a merged title row above the header and merged ranges in the table."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "目标任务清单"
    width = len(plan_rows[0])
    sheet.append([title])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    for row in plan_rows:
        sheet.append([int(v) if v.isdigit() else (v or None) for v in row])
    for col, top, bottom in merge_runs(plan_rows):
        sheet.merge_cells(start_row=top + 2, start_column=col + 1, end_row=bottom + 2, end_column=col + 1)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()

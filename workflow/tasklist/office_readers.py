"""Read Word (.docx) and Excel (.xlsx) task lists into neutral tables.

Vertically merged cells are filled with the value of their top cell and flagged
`merged`, so the parser sees the same rows whether Word kept the text once (merge) or
the author repeated it.
"""

import datetime
import io

from workflow.tasklist.table import SourceCell, SourceRow, SourceTable, clean_cell


def read_docx(data: bytes) -> list[SourceTable]:
    """Every top-level table of the document, with the paragraphs above it as title lines."""
    import docx  # deferred: python-docx and lxml load only when a Word file is imported
    from docx.table import Table

    document = docx.Document(io.BytesIO(data))
    tables, above = [], []
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            number = len(tables) + 1
            tables.append(SourceTable(f"表格{number}", _docx_rows(block), above, joinable=True))
            above = []
        elif clean_cell(block.text):
            above.append(clean_cell(block.text))
    return tables


def _docx_rows(table) -> list[SourceRow]:
    from docx.table import _Cell  # deferred with read_docx

    rows: list[SourceRow] = []
    above: dict[int, str] = {}
    for number, tr in enumerate(table._tbl.tr_lst, start=1):
        cells: dict[int, SourceCell] = {}
        column = tr.grid_before
        for tc in tr.tc_lst:
            merged = tc.vMerge == "continue"
            text = above.get(column, "") if merged else clean_cell(_Cell(tc, table).text)
            for offset in range(tc.grid_span):
                cells[column + offset] = SourceCell(text if offset == 0 else "", number, merged)
            above[column] = text
            column += tc.grid_span
        width = max(cells, default=-1) + 1
        rows.append(SourceRow(number, [cells.get(i, SourceCell("", number)) for i in range(width)]))
    return rows


def read_xlsx(data: bytes) -> list[SourceTable]:
    """One table per worksheet."""
    import openpyxl  # deferred: loads only when a workbook is imported

    workbook = openpyxl.load_workbook(io.BytesIO(data), data_only=True)
    try:
        return [SourceTable(f"工作表“{ws.title}”", _sheet_rows(ws)) for ws in workbook.worksheets]
    finally:
        workbook.close()


def _sheet_rows(ws) -> list[SourceRow]:
    filled: dict[tuple[int, int], str] = {}
    for rng in ws.merged_cells.ranges:
        top = _cell_text(ws.cell(rng.min_row, rng.min_col).value)
        for row in range(rng.min_row + 1, rng.max_row + 1):
            for col in range(rng.min_col, rng.max_col + 1):
                filled[(row, col)] = top if col == rng.min_col else ""
    rows = []
    for number, values in enumerate(ws.iter_rows(values_only=True), start=1):
        cells = []
        for col, value in enumerate(values, start=1):
            if (number, col) in filled:
                cells.append(SourceCell(filled[(number, col)], number, merged=True))
            else:
                cells.append(SourceCell(_cell_text(value), number))
        rows.append(SourceRow(number, cells))
    return rows


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return clean_cell(str(value))

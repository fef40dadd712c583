"""Read Word (.docx) and Excel (.xlsx) task lists into neutral tables.

Vertically merged cells are filled with the value of their top cell and flagged
`merged`, so the parser sees the same rows whether Word kept the text once (merge) or
the author repeated it.

Both readers run after ``office_limits.scan_package`` has checked the file (rows,
columns, spans, merged ranges, cells); workbooks are streamed read-only, and the
merged ranges come from that scan, so nothing is expanded past the limits. The Word
reader checks spans again as it expands them.

A workbook's values are read by ``sheet_values`` (openpyxl's values, without its per-cell
objects); a workbook built in a way that reader does not follow is read by openpyxl.
"""

import datetime
import io

from workflow.platform.office_limits import (
    Deadline,
    ImportLimitExceeded,
    ImportLimits,
    PackageShape,
    check_sheet_row,
    limited_rows,
)
from workflow.tasklist import sheet_values
from workflow.tasklist.table import SourceCell, SourceRow, SourceTable, clean_cell


def read_docx(data: bytes, shape: PackageShape, limits: ImportLimits,
              deadline: Deadline) -> list[SourceTable]:
    """Every top-level table of the document, with the paragraphs above it as title lines."""
    import docx  # deferred: python-docx and lxml load only when a Word file is imported
    from docx.table import Table

    document = docx.Document(io.BytesIO(data))
    tables, above = [], []
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            number = len(tables) + 1
            tables.append(SourceTable(f"表格{number}", _docx_rows(block, limits, deadline), above,
                                      joinable=True))
            above = []
        elif text := clean_cell(_paragraph_text(block._p)):
            above.append(text)
    return tables


def _docx_rows(table, limits: ImportLimits, deadline: Deadline) -> list[SourceRow]:
    rows: list[SourceRow] = []
    above: dict[int, str] = {}
    for number, tr in enumerate(table._tbl.tr_lst, start=1):
        deadline.check("word/document.xml")
        check_sheet_row(number, limits, "word/document.xml", "Word 表格")
        cells: dict[int, SourceCell] = {}
        column = tr.grid_before
        tcs = [(tc, *_span_and_merge(tc)) for tc in tr.tc_lst]
        if column + sum(span for _, span, _ in tcs) > limits.max_columns:
            raise ImportLimitExceeded(f"Word 表格一行超过 {limits.max_columns} 列（含跨列单元格）",
                                      "IMPORT_MAX_COLUMNS", row=number, part="word/document.xml")
        for tc, span, vmerge in tcs:
            merged = vmerge == "continue"
            text = above.get(column, "") if merged else clean_cell(_tc_text(tc))
            for offset in range(span):
                cells[column + offset] = SourceCell(text if offset == 0 else "", number, merged)
            above[column] = text
            column += span
        width = max(cells, default=-1) + 1
        rows.append(SourceRow(number, [cells.get(i, SourceCell("", number)) for i in range(width)]))
    return rows


# python-docx's text of a cell, a paragraph and a run (docx.table._Cell.text, CT_P.text,
# CT_R.text) and the span and merge of a cell, walking the children instead of evaluating an
# XPath per paragraph and run: the same elements in the same order, each value converted by
# python-docx (str(e), .val).
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_RUN_CONTENT = tuple(_W + n for n in ("br", "cr", "noBreakHyphen", "ptab", "t", "tab"))


def _span_and_merge(tc) -> tuple[int, str | None]:
    """tc.grid_span and tc.vMerge, tcPr looked up once (python-docx: child = find(tag))."""
    tcPr = tc.find(_W + "tcPr")
    if tcPr is None:
        return 1, None
    span, vmerge = tcPr.find(_W + "gridSpan"), tcPr.find(_W + "vMerge")
    return (1 if span is None else span.val), (None if vmerge is None else vmerge.val)


def _tc_text(tc) -> str:
    return "\n".join(_paragraph_text(p) for p in tc.iterchildren(_W + "p"))


def _paragraph_text(p) -> str:
    parts = []
    for e in p.iterchildren(_W + "r", _W + "hyperlink"):
        runs = (e,) if e.tag == _W + "r" else e.iterchildren(_W + "r")
        parts.extend(str(item) for run in runs for item in run.iterchildren(*_RUN_CONTENT))
    return "".join(parts)


def read_xlsx(data: bytes, shape: PackageShape, limits: ImportLimits,
              deadline: Deadline) -> list[SourceTable]:
    """One table per worksheet, streamed (read-only); merged ranges from the scan."""
    try:
        sheets = sheet_values.read_workbook(data, limits, deadline, shape.scanned)
    except sheet_values.Unusual:
        return read_xlsx_openpyxl(data, shape, limits, deadline)
    tables = []
    for ws in sheets:
        sheet = shape.sheets.get(ws.part)
        tables.append(SourceTable(f"工作表“{ws.title}”",
                                  _sheet_rows(ws.rows, sheet.merges if sheet else [])))
    return tables


def read_xlsx_openpyxl(data: bytes, shape: PackageShape, limits: ImportLimits,
                       deadline: Deadline) -> list[SourceTable]:
    """read_xlsx through openpyxl's own cells: the way of reading any workbook."""
    import openpyxl  # deferred: loads only when a workbook is imported

    workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        tables = []
        for ws in workbook.worksheets:
            part = getattr(ws, "_worksheet_path", None)
            if part not in shape.scanned:
                raise ValueError(f"worksheet part {part!r} was not scanned")
            sheet = shape.sheets.get(part)
            values = _openpyxl_values(ws, limits, deadline, part)
            tables.append(SourceTable(f"工作表“{ws.title}”",
                                      _sheet_rows(values, sheet.merges if sheet else [])))
        return tables
    finally:
        workbook.close()


def _openpyxl_values(ws, limits: ImportLimits, deadline: Deadline, part: str) -> list[tuple]:
    sheet_values.check_width(ws.max_column, limits, part)
    return list(limited_rows(ws, limits, deadline, part))


def _sheet_rows(values: list[tuple], merges) -> list[SourceRow]:
    filled: dict[tuple[int, int], str] = {}
    for min_row, min_col, max_row, max_col in merges:
        top_row = values[min_row - 1] if min_row <= len(values) else ()
        top = _cell_text(top_row[min_col - 1] if min_col <= len(top_row) else None)
        for row in range(min_row + 1, min(max_row, len(values)) + 1):
            for col in range(min_col, max_col + 1):
                filled[(row, col)] = top if col == min_col else ""
    rows = []
    for number, row_values in enumerate(values, start=1):
        cells = []
        for col, value in enumerate(row_values, start=1):
            if filled and (number, col) in filled:
                cells.append(SourceCell(filled[(number, col)], number, merged=True))
            else:
                cells.append(SourceCell(_cell_text(value), number))
        rows.append(SourceRow(number, cells))
    return rows


def _cell_text(value) -> str:
    if type(value) is str:  # most cells
        return clean_cell(value)
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if value.time() == datetime.time() else value.isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return clean_cell(str(value))

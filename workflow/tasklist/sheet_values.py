"""A workbook's cell values as openpyxl's read-only reader gives them, without its objects.

``openpyxl.load_workbook(read_only=True, data_only=True)`` then ``iter_rows(values_only=True)``
builds a ``Text`` object per string and a dict per cell: about 0.2 ms a row, most of the
time of reading a task list. ``read_workbook`` keeps openpyxl for the workbook itself
(content types, workbook part, sheets and their order, declared dimensions, styles: which
cells hold dates, the 1904 date system) and reads the shared strings and the worksheets'
rows on the same ``iterparse`` events as openpyxl, turning each cell into its value as
``WorkSheetParser.parse_cell`` and ``ReadOnlyWorksheet._cells_by_row`` do: numbers, dates,
booleans, errors, inline and shared strings (rich-text runs joined, phonetic runs left
out), rows missing from the file, rows cut to the sheet's declared dimension.

Where openpyxl would read a string or a row some way of its own (an element inside a text,
an attribute it would pass to a constructor, a row child that is not a ``c``...),
``Unusual`` is raised and the caller reads the file with openpyxl itself. The formatting
openpyxl validates and drops (a run's font, phonetic runs and properties) is validated by
openpyxl, once per distinct element. The other parts of a sheet openpyxl parses (views,
margins, column widths) are not read, so a fault there no longer refuses the file.

Two things the package scan lets through are refused here (``ImportLimitExceeded``):
a row number past ``limits.max_sheet_rows`` written so that the scan cannot read it
(``r="1e15"``; openpyxl would add every empty row up to it) and a declared dimension wider
than ``limits.max_columns`` written so that the scan cannot read it (``A:XFD``; openpyxl
makes every row that wide).
"""
from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from keyword import kwlist
from warnings import warn

from workflow.platform.office_limits import (
    Deadline,
    ImportLimitExceeded,
    ImportLimits,
    check_sheet_row,
)

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
ROW, CELL, VALUE, INLINE, STRING_ITEM, TEXT = (MAIN + n for n in ("row", "c", "v", "is", "si", "t"))
KEYWORDS = frozenset(kwlist)
_PLAIN_REF = re.compile(r"([A-Za-z]{1,3})([0-9]+)")


class Unusual(Exception):
    """The file is built in a way this reader does not follow: read it with openpyxl."""


@dataclass
class Sheet:
    title: str
    part: str
    rows: list[tuple]


def read_workbook(data: bytes, limits: ImportLimits, deadline: Deadline,
                  scanned: set[str]) -> list[Sheet]:
    """Every worksheet's title, part and rows of values (``values_only`` tuples)."""
    from openpyxl.reader.excel import ExcelReader  # deferred: loads only for a workbook

    texts = _Texts()

    class Reader(ExcelReader):
        def read_strings(self):
            self.shared_strings = _shared_strings(self, texts)

    reader = Reader(io.BytesIO(data), read_only=True, data_only=True)
    try:
        reader.read()
        sheets = []
        for ws in reader.wb.worksheets:
            part = ws._worksheet_path
            if part not in scanned:
                raise ValueError(f"worksheet part {part!r} was not scanned")
            check_width(ws.max_column, limits, part)
            rows = _Rows(ws, reader.shared_strings, texts, limits).read(reader.archive, deadline)
            sheets.append(Sheet(ws.title, part, rows))
        return sheets
    finally:
        reader.archive.close()


def check_width(max_col: int | None, limits: ImportLimits, part: str) -> None:
    """Every row is as wide as the declared dimension: one the scan could not read ("A:XFD")
    must not be wider than the limit either."""
    if max_col is not None and max_col > limits.max_columns:
        raise ImportLimitExceeded(f"工作表声明的范围超过 {limits.max_columns} 列", "IMPORT_MAX_COLUMNS",
                                  part=part)


# --- strings: what Text.from_tree(node).content gives ---------------------------------------

class _Texts:
    """The text of a string item (``si``) or an inline string (``is``), as openpyxl reads it."""

    def __init__(self):
        from openpyxl.cell.text import InlineFont, PhoneticProperties, PhoneticText, RichText, Text

        self.text_cls, self.run_cls = Text, RichText
        self.checked_by = {"rPh": PhoneticText.from_tree, "phoneticPr": PhoneticProperties.from_tree,
                           "rPr": InlineFont.from_tree}
        self.valid: set = set()
        self.roles: dict = {}

    def content(self, node) -> str:
        """``Text.from_tree(node).content``."""
        if len(node) == 1 and not node.attrib:  # the usual string: one plain text
            child = node[0]
            if child.tag == TEXT and not len(child):
                return child.text or ""
        _plain_attributes(node)
        plain, runs = None, []
        for child in node:
            name = self.role(self.text_cls, child.tag)
            if name == "t":
                plain = _text(child)
            elif name == "r":
                runs.append(self.run(child))
            elif name in ("rPh", "phoneticPr"):
                self.check(name, child)
            elif name:
                raise Unusual(name)
        if plain is not None:
            runs.insert(0, plain)
        return "".join(t for t in runs if t is not None)

    def run(self, node) -> str | None:
        """``RichText.from_tree(node).t``."""
        _plain_attributes(node)
        text = None
        for child in node:
            name = self.role(self.run_cls, child.tag)
            if name == "t":
                text = _text(child)
            elif name == "rPr":
                self.check(name, child)
            elif name:
                raise Unusual(name)
        return text

    def role(self, cls, tag: str) -> str:
        """What ``cls.from_tree`` does with a child: its attribute name, or "" (ignored)."""
        key = (cls, tag)
        if key not in self.roles:
            local = tag.rpartition("}")[2] if tag.startswith("{") else tag
            name = "_" + local if local in KEYWORDS else local
            desc = getattr(cls, name, None)
            self.roles[key] = "" if desc is None or isinstance(desc, property) else name
        return self.roles[key]

    def check(self, name: str, node) -> None:
        """Formatting openpyxl validates and drops: validated by it once per distinct element."""
        signature = _signature(node)
        if signature not in self.valid:
            try:
                self.checked_by[name](node)
            except Exception as exc:
                raise Unusual(name) from exc
            self.valid.add(signature)


def _plain_attributes(node) -> None:
    # openpyxl passes an attribute without a namespace to the constructor
    if any(not key.startswith("{") for key in node.attrib):
        raise Unusual("attribute")


def _text(node) -> str | None:
    if len(node):
        raise Unusual("element in a text")
    return node.text


def _signature(node) -> tuple:
    return (node.tag, tuple(node.attrib.items()), node.text,
            tuple(_signature(child) for child in node))


def _shared_strings(reader, texts: _Texts) -> list[str]:
    """openpyxl's read_string_table, on the same iterparse."""
    from openpyxl.xml.constants import SHARED_STRINGS
    from openpyxl.xml.functions import iterparse

    found = reader.package.find(SHARED_STRINGS)
    if found is None:
        return []
    strings = []
    with reader.archive.open(found.PartName[1:]) as src:
        for _, node in iterparse(src):
            if node.tag == STRING_ITEM:
                strings.append(texts.content(node).replace("x005F_", ""))
                node.clear()
    return strings


# --- rows: WorkSheetParser.parse_row / parse_cell and ReadOnlyWorksheet._cells_by_row -------

class _Rows:
    """``ws.iter_rows(values_only=True)`` of a read-only, data-only worksheet, as a list."""

    def __init__(self, ws, strings: list[str], texts: _Texts, limits: ImportLimits):
        from openpyxl.utils.cell import column_index_from_string, coordinate_to_tuple
        from openpyxl.utils.datetime import from_excel, from_ISO8601
        from openpyxl.worksheet._reader import _cast_number

        wb = ws.parent
        self.part, self.limits = ws._worksheet_path, limits
        self.strings, self.texts = strings, texts
        self.epoch, self.dates, self.timedeltas = wb.epoch, wb._date_formats, wb._timedelta_formats
        self.cast, self.from_excel, self.from_iso = _cast_number, from_excel, from_ISO8601
        self.coordinate_to_tuple, self.column_index = coordinate_to_tuple, column_index_from_string
        self.column_of: dict[str, int] = {}
        self.max_col, self.max_row = ws.max_column, ws.max_row
        self.row_counter = 0

    def read(self, archive: zipfile.ZipFile, deadline: Deadline) -> list[tuple]:
        from openpyxl.xml.functions import iterparse

        max_col, max_row = self.max_col, self.max_row
        empty = (None,) * max_col if max_col is not None else []
        rows: list[tuple] = []
        counter = number = 1
        parsed = 0
        with archive.open(self.part) as src:
            for _, element in iterparse(src):
                if element.tag != ROW:
                    continue
                number, values, columns = self.row(element)
                element.clear()
                parsed += 1
                if not parsed % 256:
                    deadline.check(self.part)
                if max_row is not None and number > max_row:
                    break
                check_sheet_row(number, self.limits, self.part)
                while counter < number:  # rows missing from the file
                    rows.append(empty)
                    counter += 1
                if counter <= number:
                    rows.append(_placed(values, columns, max_col))
                    counter += 1
        if max_row is not None and max_row < number:
            rows.extend(empty for _ in range(counter, max_row + 1))
        return rows

    def row(self, element) -> tuple[int, list, list[int]]:
        """parse_row: the row's number, its cells' values and columns."""
        r = element.get("r")
        if r is not None:
            try:
                self.row_counter = int(r)
            except ValueError:
                val = float(r)
                if not val.is_integer():
                    raise ValueError(f"{r} is not a valid row number") from None
                self.row_counter = int(val)
        else:
            self.row_counter += 1
        col_counter = 0
        values, columns = [], []
        for cell in element:
            if cell.tag != CELL:
                raise Unusual(cell.tag)  # openpyxl reads any child of a row as a cell
            get = cell.get
            data_type = get("t", "n")
            coordinate = get("r")
            style_id = get("s", 0)
            if style_id:
                style_id = int(style_id)
            value = None if data_type == "inlineStr" else cell.findtext(VALUE, None) or None
            col_counter = self.column(coordinate) if coordinate else col_counter + 1
            if value is not None:
                if data_type == "n":
                    value = self.cast(value)
                    if style_id in self.dates:
                        value = self.date(value, style_id, coordinate)
                elif data_type == "s":
                    value = self.strings[int(value)]
                elif data_type == "b":
                    value = bool(int(value))
                elif data_type == "d":
                    value = self.from_iso(value)
            elif data_type == "inlineStr":
                child = cell.find(INLINE)
                if child is not None:
                    value = self.texts.content(child)
            values.append(value)
            columns.append(col_counter)
        return self.row_counter, values, columns

    def column(self, coordinate: str) -> int:
        m = _PLAIN_REF.fullmatch(coordinate)
        if m is None:
            return self.coordinate_to_tuple(coordinate)[1]  # openpyxl's answer or its error
        letters = m[1]
        col = self.column_of.get(letters)
        if col is None:
            col = self.column_of[letters] = self.column_index(letters)
        return col

    def date(self, value, style_id, coordinate):
        try:
            return self.from_excel(value, self.epoch, timedelta=style_id in self.timedeltas)
        except (OverflowError, ValueError):
            warn(f"Cell {coordinate} is marked as a date but the serial value {value} is outside "
                 "the limits for dates. The cell will be treated as an error.")
            return "#VALUE!"


def _placed(values: list, columns: list[int], max_col: int | None) -> tuple:
    """ReadOnlyWorksheet._get_row: each value at its column, up to the row's width."""
    if not values and not max_col:
        return ()
    width = max_col or columns[-1]
    row = [None] * width
    for column, value in zip(columns, values):
        if 1 <= column <= width:
            row[column - 1] = value
    return tuple(row)

"""Limits on the Office files the imports read, checked before any library unpacks them.

A few-KB .xlsx or .docx can declare a sheet reaching XFD1048576, merge a range that
large, span a Word cell over 10^8 columns, or hold a part that unpacks to hundreds of MB.
Every import first checks the zip directory (each member's declared size and compression
ratio, and the total: ``zipfile`` itself never inflates a member past its declared size),
then scans the XML parts with expat, which builds no tree and stops at the first limit
passed. Only then does openpyxl (read-only, streaming) or python-docx open the file. So the
time and memory a refused file costs are bounded by the limits, not by what the file
claims; a wall-clock guard (``max_seconds``) stops what is left.

Every refusal is an ``ImportLimitExceeded`` (400): the message names the setting and, where
there is one, the row; ``limit``, ``row`` and ``part`` are in the body.
"""
from __future__ import annotations

import io
import re
import time
import zipfile
from dataclasses import dataclass, field
from xml.parsers import expat

from workflow.platform.errors import InvalidInput

MIB = 1024 * 1024
# A member this small is never a bomb; its compression ratio is not checked.
RATIO_FLOOR_BYTES = MIB


@dataclass(frozen=True)
class ImportLimits:
    """The limits, one per setting (config name in the comment)."""

    max_rows: int = 5000                # IMPORT_MAX_ROWS: data rows of a problem list
    max_sheet_rows: int = 20000         # IMPORT_MAX_SHEET_ROWS: row number in a sheet, rows of a Word table
    max_columns: int = 100              # IMPORT_MAX_COLUMNS: columns of a sheet or a Word table row
    max_cells: int = 500_000            # IMPORT_MAX_CELLS: cells (and shared strings) in one file
    max_merged: int = 10_000            # IMPORT_MAX_MERGED: merged ranges in one sheet
    max_part_bytes: int = 32 * MIB      # IMPORT_MAX_PART_BYTES: one member, unpacked
    max_unpacked_bytes: int = 100 * MIB  # IMPORT_MAX_UNPACKED_BYTES: all members, unpacked
    max_ratio: int = 100                # IMPORT_MAX_RATIO: unpacked / packed size of a member
    max_seconds: float = 60.0           # IMPORT_MAX_SECONDS: wall clock for reading one file

    @classmethod
    def from_config(cls, config) -> ImportLimits:
        names = {"max_rows": "IMPORT_MAX_ROWS", "max_sheet_rows": "IMPORT_MAX_SHEET_ROWS",
                 "max_columns": "IMPORT_MAX_COLUMNS", "max_cells": "IMPORT_MAX_CELLS",
                 "max_merged": "IMPORT_MAX_MERGED", "max_part_bytes": "IMPORT_MAX_PART_BYTES",
                 "max_unpacked_bytes": "IMPORT_MAX_UNPACKED_BYTES",
                 "max_ratio": "IMPORT_MAX_RATIO", "max_seconds": "IMPORT_MAX_SECONDS"}
        return cls(**{attr: config[key] for attr, key in names.items() if key in config})


class ImportLimitExceeded(InvalidInput):
    """The file passes a stated limit; nothing past the limit was read."""

    def __init__(self, message: str, limit: str, row: int | None = None, part: str | None = None):
        text = f"{message}（上限 {limit}）"
        if row is not None:
            text = f"第{row}行：{text}"
        super().__init__(text, field="file", limit=limit, row=row, part=part)
        self.limit = limit
        self.row = row
        self.part = part


class Deadline:
    """The wall-clock guard for one import."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.end = time.monotonic() + seconds

    def check(self, part: str | None = None) -> None:
        if time.monotonic() > self.end:
            raise ImportLimitExceeded(f"读取文件超过 {self.seconds:g} 秒仍未完成，已停止",
                                      "IMPORT_MAX_SECONDS", part=part)


def check_sheet_row(number: int, limits: ImportLimits, part: str | None,
                    what: str = "工作表") -> None:
    """Refuse row ``number`` of a sheet (or a Word table, ``what``) past the row limit."""
    if number > limits.max_sheet_rows:
        raise ImportLimitExceeded(f"{what}超过 {limits.max_sheet_rows} 行", "IMPORT_MAX_SHEET_ROWS",
                                  row=number, part=part)


def limited_rows(ws, limits: ImportLimits, deadline: Deadline, part: str | None):
    """The values of an openpyxl sheet's rows as it streams them, under the wall clock and
    the row limit. openpyxl fills in the rows up to any number written, even one the scan
    cannot read (r="1e15"): counted as they come, such a sheet stops at the limit."""
    for number, values in enumerate(ws.iter_rows(values_only=True), start=1):
        if not number % 256:
            deadline.check(part)
        check_sheet_row(number, limits, part)
        yield values


# --- the zip directory -----------------------------------------------------------------

def open_package(data: bytes, limits: ImportLimits) -> zipfile.ZipFile:
    """Open the zip and refuse a member (or a total) past the limits by its declared sizes.

    Raises zipfile.BadZipFile for a file that is not a zip; the caller words that.
    """
    package = zipfile.ZipFile(io.BytesIO(data))
    total = 0
    for info in package.infolist():
        size = info.file_size
        total += size
        if size > limits.max_part_bytes:
            raise ImportLimitExceeded(
                f"文件中的“{info.filename[:80]}”解压后 {size / MIB:.0f} MiB，超过 "
                f"{limits.max_part_bytes / MIB:.0f} MiB", "IMPORT_MAX_PART_BYTES",
                part=info.filename)
        if size > RATIO_FLOOR_BYTES and size > limits.max_ratio * max(info.compress_size, 1):
            raise ImportLimitExceeded(
                f"文件中的“{info.filename[:80]}”压缩比 {size // max(info.compress_size, 1)}:1，"
                f"超过 {limits.max_ratio}:1，疑似压缩炸弹", "IMPORT_MAX_RATIO", part=info.filename)
        if total > limits.max_unpacked_bytes:
            raise ImportLimitExceeded(
                f"文件解压后超过 {limits.max_unpacked_bytes / MIB:.0f} MiB",
                "IMPORT_MAX_UNPACKED_BYTES", part=info.filename)
    return package


# --- the XML parts ---------------------------------------------------------------------

_CELL_REF = re.compile(r"^\$?([A-Za-z]{1,4})?\$?(\d{1,10})?$")
_COLUMNS: dict[str, int] = {}  # column letters → number, filled as met (at most 26^4 + ...)


def _ref(text: str) -> tuple[int | None, int | None]:
    """(row, column) of a reference such as ``XFD1048576``, ``A`` or ``12``."""
    m = _CELL_REF.match(text.strip())
    if not m:
        return None, None
    letters, digits = m.groups()
    col = None
    if letters:
        col = _COLUMNS.get(letters)
        if col is None:
            col = 0
            for ch in letters.upper():
                col = col * 26 + ord(ch) - 64
            _COLUMNS[letters] = col
    return (int(digits) if digits else None), col


def _range(text: str) -> tuple[int, int, int, int] | None:
    """(min_row, min_col, max_row, max_col) of ``A1:C3`` (or ``A1``)."""
    first, _, last = (text or "").partition(":")
    r1, c1 = _ref(first)
    r2, c2 = _ref(last) if last else (r1, c1)
    if None in (r1, c1, r2, c2):
        return None
    return min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2)


@dataclass
class SheetShape:
    """What the scan saw of one worksheet: its merged ranges (checked), rows and columns."""

    merges: list[tuple[int, int, int, int]] = field(default_factory=list)
    rows: int = 0
    columns: int = 0


@dataclass
class PackageShape:
    sheets: dict[str, SheetShape] = field(default_factory=dict)
    scanned: set[str] = field(default_factory=set)


# The elements each kind of part is checked on; any other element is only counted.
_SHEET_CHECKED = frozenset({"dimension", "row", "c", "mergeCell"})
_WORD_CHECKED = frozenset({"tbl", "tr", "tc", "gridSpan", "gridBefore", "gridAfter"})


class _Scan:
    """expat handlers for one part; the root element decides what is checked.

    ``bind`` sets ``start_root`` on the parser; the root element then puts the handler of
    its kind of part in its place (a worksheet, shared strings, a Word document, any other
    part), so each element costs only the checks its part needs.
    """

    def __init__(self, part: str, limits: ImportLimits, counter: list[int], shape: PackageShape,
                 deadline: Deadline):
        self.part, self.limits, self.counter, self.shape = part, limits, counter, shape
        self.deadline = deadline
        self.root: str | None = None
        self.elements = 0
        self.max_elements = limits.max_cells
        # worksheet
        self.sheet: SheetShape | None = None
        self.row = 0
        self.col = 0
        # Word: one entry per open table, [rows, width of the current row]
        self.tables: list[list[int]] = []
        self.checked: dict[str, str] = {}  # element name → its local name if checked, else ""

    def refuse(self, message: str, limit: str, row: int | None = None):
        raise ImportLimitExceeded(message, limit, row=row, part=self.part)

    def count_cell(self, row: int | None = None):
        self.counter[0] += 1
        if self.counter[0] > self.limits.max_cells:
            self.refuse(f"单元格数超过 {self.limits.max_cells} 个", "IMPORT_MAX_CELLS", row)

    def bind(self, parser) -> None:
        self.parser = parser
        parser.StartElementHandler = self.start_root

    def count_element(self):
        self.elements += 1
        if self.elements > self.max_elements:
            self.refuse(f"文件中的“{self.part[:80]}”元素超过 {self.max_elements} 个",
                        "IMPORT_MAX_CELLS")
        if not self.elements % 4096:
            self.deadline.check(self.part)

    def start_root(self, name: str, attrs: dict):
        local = name.rpartition(" ")[2]
        self.count_element()
        self.root = local
        handler = self.start_other
        if local == "worksheet":
            self.sheet = self.shape.sheets.setdefault(self.part, SheetShape())
            self.max_elements = 8 * self.limits.max_cells
            handler = self.sheet_handler()
        elif local == "sst":
            self.max_elements = 8 * self.limits.max_cells
            handler = self.start_sst
        elif local == "document":
            self.max_elements = 8 * self.limits.max_cells
            handler = self.start_word
            self.parser.EndElementHandler = self.end
        self.parser.StartElementHandler = handler

    def start_other(self, name: str, attrs: dict):
        self.count_element()

    def start_sst(self, name: str, attrs: dict):
        self.count_element()
        if name.rpartition(" ")[2] == "si":
            self.count_cell()

    def start_word(self, name: str, attrs: dict):
        self.elements += 1  # count_element inlined: called for every element of a document
        if self.elements > self.max_elements:
            self.refuse(f"文件中的“{self.part[:80]}”元素超过 {self.max_elements} 个",
                        "IMPORT_MAX_CELLS")
        if not self.elements % 4096:
            self.deadline.check(self.part)
        local = self.checked.get(name)
        if local is None:
            local = name.rpartition(" ")[2]
            local = self.checked[name] = local if local in _WORD_CHECKED else ""
        if local:
            self.word_element(local, {k.rpartition(" ")[2]: v for k, v in attrs.items()})

    def sheet_handler(self):
        """The start handler of a worksheet: a closure, as cells are most of a workbook's
        elements (count_element, count_cell and the cell check inlined)."""
        lim, part, checked, counter, sheet = self.limits, self.part, self.checked, self.counter, self.sheet
        max_elements, max_columns, max_rows, max_cells = (
            self.max_elements, lim.max_columns, lim.max_sheet_rows, lim.max_cells)
        elements = self.elements

        def start_sheet(name: str, attrs: dict):
            nonlocal elements
            elements += 1
            if elements > max_elements:
                self.refuse(f"文件中的“{part[:80]}”元素超过 {max_elements} 个", "IMPORT_MAX_CELLS")
            if not elements % 4096:
                self.deadline.check(part)
            local = checked.get(name)
            if local is None:
                local = name.rpartition(" ")[2]
                local = checked[name] = local if local in _SHEET_CHECKED else ""
            if local != "c":
                if local:
                    self.sheet_element(local, {k.rpartition(" ")[2]: v for k, v in attrs.items()})
                return
            ref = ""
            for key, value in attrs.items():  # the last attribute named r, in any namespace
                if key == "r" or key.endswith(" r"):
                    ref = value
            row, col = _ref(ref)
            col = self.col = col if col is not None else self.col + 1
            if col > max_columns:
                self.refuse(f"工作表超过 {max_columns} 列", "IMPORT_MAX_COLUMNS", row or self.row)
            if row is not None and row > max_rows:
                self.refuse(f"工作表超过 {max_rows} 行", "IMPORT_MAX_SHEET_ROWS", row)
            if col > sheet.columns:
                sheet.columns = col
            counter[0] += 1
            if counter[0] > max_cells:
                self.refuse(f"单元格数超过 {max_cells} 个", "IMPORT_MAX_CELLS", row or self.row)

        return start_sheet

    def end(self, name: str):
        if self.tables and (name.endswith(" tbl") or name == "tbl"):  # local name tbl
            self.tables.pop()

    # -- worksheet: the declared dimension, every row (cells: start_sheet), merged ranges
    def sheet_element(self, local: str, attr: dict):
        lim = self.limits
        if local == "dimension":
            rng = _range(attr.get("ref", ""))
            if rng:
                self.check_extent(rng, "工作表声明的范围", attr.get("ref", ""))
        elif local == "row":
            self.row = int(attr["r"]) if str(attr.get("r", "")).isdigit() else self.row + 1
            self.col = 0
            if self.row > lim.max_sheet_rows:
                self.refuse(f"工作表超过 {lim.max_sheet_rows} 行", "IMPORT_MAX_SHEET_ROWS", self.row)
            self.sheet.rows = max(self.sheet.rows, self.row)
        elif local == "mergeCell":
            text = attr.get("ref", "")
            rng = _range(text)
            if rng is None:
                return
            if len(self.sheet.merges) >= lim.max_merged:
                self.refuse(f"合并单元格超过 {lim.max_merged} 处", "IMPORT_MAX_MERGED", rng[0])
            self.check_extent(rng, "合并单元格", text)
            area = (rng[2] - rng[0] + 1) * (rng[3] - rng[1] + 1)
            self.counter[0] += area - 1
            self.count_cell(rng[0])
            self.sheet.merges.append(rng)

    def check_extent(self, rng, what: str, text: str):
        lim = self.limits
        if rng[2] > lim.max_sheet_rows:
            self.refuse(f"{what} {text[:40]} 超过 {lim.max_sheet_rows} 行", "IMPORT_MAX_SHEET_ROWS",
                        rng[0])
        if rng[3] > lim.max_columns:
            self.refuse(f"{what} {text[:40]} 超过 {lim.max_columns} 列", "IMPORT_MAX_COLUMNS", rng[0])

    # -- Word: rows per table, cells (and spans) per row
    def word_element(self, local: str, attr: dict):
        lim = self.limits
        if local == "tbl":
            self.tables.append([0, 0])
        elif not self.tables:
            return
        elif local == "tr":
            table = self.tables[-1]
            table[0] += 1
            table[1] = 0
            if table[0] > lim.max_sheet_rows:
                self.refuse(f"Word 表格超过 {lim.max_sheet_rows} 行", "IMPORT_MAX_SHEET_ROWS", table[0])
        elif local == "tc":
            self.widen(1)
            self.count_cell(self.tables[-1][0])
        elif local in ("gridSpan", "gridBefore", "gridAfter"):
            value = attr.get("val", "1")
            n = int(value) if value.isdigit() and len(value) < 10 else lim.max_columns + 1
            extra = n - 1 if local == "gridSpan" else n
            self.widen(max(extra, 0))
            self.counter[0] += max(extra, 0)
            self.count_cell(self.tables[-1][0])

    def widen(self, n: int):
        table = self.tables[-1]
        table[1] += n
        if table[1] > self.limits.max_columns:
            self.refuse(f"Word 表格一行超过 {self.limits.max_columns} 列（含跨列单元格）",
                        "IMPORT_MAX_COLUMNS", table[0])


def _no_dtd(*_args):
    raise ValueError("DTD")


def scan_package(package: zipfile.ZipFile, limits: ImportLimits, deadline: Deadline) -> PackageShape:
    """Scan every XML part of an .xlsx/.docx with expat; refuse the first limit passed."""
    shape = PackageShape()
    counter = [0]
    for info in package.infolist():
        name = info.filename
        if info.is_dir() or not name.lower().endswith((".xml", ".rels", ".vml")):
            continue
        scan = _Scan(name, limits, counter, shape, deadline)
        parser = expat.ParserCreate(namespace_separator=" ")
        scan.bind(parser)
        parser.StartDoctypeDeclHandler = _no_dtd  # OOXML never has one: no entities, no XXE
        parser.EntityDeclHandler = _no_dtd
        parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        try:
            with package.open(info) as stream:
                while chunk := stream.read(1 << 16):
                    parser.Parse(chunk, False)
                    deadline.check(name)
                parser.Parse(b"", True)
        except (expat.ExpatError, ValueError) as exc:
            raise InvalidInput(f"文件中的“{name[:80]}”不是有效的 XML，文件可能已损坏", field="file",
                               part=name) from exc
        shape.scanned.add(name)
    return shape


def check_office_file(data: bytes, limits: ImportLimits,
                      deadline: Deadline | None = None) -> tuple[PackageShape, Deadline]:
    """The zip directory, then every XML part; returns what the scan saw and the deadline.

    Raises zipfile.BadZipFile (or OSError) for a file that is not a readable zip.
    """
    deadline = deadline or Deadline(limits.max_seconds)
    with open_package(data, limits) as package:
        return scan_package(package, limits, deadline), deadline


def fill_merges(rows: list[list], merges) -> None:
    """Fill each merged range (already checked by the scan) with its top-left value, in place."""
    for min_row, min_col, max_row, max_col in merges:
        if min_row > len(rows) or min_col > len(rows[min_row - 1]):
            continue
        top = rows[min_row - 1][min_col - 1]
        for r in range(min_row, min(max_row, len(rows)) + 1):
            row = rows[r - 1]
            for c in range(min_col, min(max_col, len(row)) + 1):
                row[c - 1] = top


__all__ = ["Deadline", "ImportLimitExceeded", "ImportLimits", "PackageShape", "SheetShape",
           "check_office_file", "fill_merges", "open_package", "scan_package"]

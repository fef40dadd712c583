"""The 台账 export's rows, written straight as XML, read back as xlsxwriter's own cells would.

``ledger_xlsx`` builds each row's XML itself (a generated function, for speed). Here the same
rows, random and hostile, are also written the plain way — each value shown as the ledger
shows it, by the rules written out again below, then ``Worksheet.write_row`` with the
workbook's options — and both workbooks are read back with openpyxl, cell by cell.
"""
from __future__ import annotations

import io
import random
import zipfile
import zlib
from datetime import date, datetime, timedelta
from decimal import Decimal

import xlsxwriter
from openpyxl import load_workbook

from workflow.platform.celltext import excel_text
from workflow.platform.masking import mask_contact, mask_name
from workflow.platform.vocab import (
    CLUE_TYPES,
    DISMISSED_LABEL,
    GRADES,
    HAZARD_CATEGORIES,
    LISTING_LEVELS,
    RECTIFICATION_TYPES,
    SHUTDOWN,
    SOURCES,
)
from workflow.platform.wording import status_labels
from workflow.records import ledger_xlsx
from workflow.records.ledger_xlsx import (
    COLUMNS,
    WORKBOOK_OPTIONS,
    _LedgerSheet,
    _LedgerWorkbook,
    _row_xml,
)

# the query's columns (``_statement``), in its order
NAMES = ["id", "number", "source", "found_on", "found_by", "industry", "town", "responsible_unit",
         "credit_code", "location", "description", "grade", "basis", "measures_required",
         "department", "responsible_person", "responsible_phone", "deadline", "funds",
         "suspended", "rectification_statement", "verified_by", "verify_comment", "closed_at",
         "status", "original_number", "title", "reporter_name", "reporter_contact",
         "dismissed_at", "clue_type", "hazard_category", "rectification_type", "shutdown",
         "interim_measures", "completed_on", "actual_funds", "acceptance_by",
         "acceptance_method", "acceptance_on", "supervisor_name", "territorial_unit", "listed",
         "listing_level", "listing_document"]
TEXTS = ["", " ", "甲", "　前导全角空格", "尾随空格 ", "\t制表", "换行\n中间", "回车\r结尾\r",
         "a & b < c > d", "&amp; 已转义", "=SUM(A1)", "+86 138", "@x", "-1", "控制\x01\x08字符",
         "\x0b", "_x000D_ 字面", "中文" * 40, "   ", "\u2028行分隔", "emoji 😀", "\x1f尾\x1f",
         "常州某化工有限公司", "0519-86000000", "12.50"]
CODES = {"source": list(SOURCES) + ["unknown_source"], "grade": list(GRADES) + ["odd"],
         "clue_type": list(CLUE_TYPES) + ["nope"], "hazard_category": list(HAZARD_CATEGORIES),
         "rectification_type": list(RECTIFICATION_TYPES), "shutdown": list(SHUTDOWN) + [""],
         "listing_level": list(LISTING_LEVELS),
         "status": ["registered", "accepted", "reported", "verified", "closed", "cancelled",
                    "strange"]}
DATES = {"found_on", "deadline", "completed_on", "acceptance_on"}


def random_row(rng: random.Random, i: int) -> tuple:
    row = {}
    for name in NAMES:
        empty = rng.random() < 0.3
        if name == "id":
            row[name] = i
        elif name in CODES:
            row[name] = None if empty else rng.choice(CODES[name])
        elif name in DATES:
            row[name] = None if empty else date(2000, 1, 1) + timedelta(days=rng.randrange(12000))
        elif name in ("closed_at", "dismissed_at"):
            row[name] = None if empty else datetime(2020, 1, 1) + timedelta(
                seconds=rng.randrange(10 ** 8))
        elif name in ("funds", "actual_funds"):
            row[name] = None if empty else Decimal(rng.randrange(10 ** 9)) / 100
        elif name in ("suspended", "listed"):
            row[name] = None if empty else rng.random() < 0.5
        else:
            row[name] = None if empty else rng.choice(TEXTS)
    return tuple(row[n] for n in NAMES)


def shown(row: tuple, kind: str) -> list:
    """The ledger's values of a row, by the rules of the domain brief §5 written plainly."""
    r = dict(zip(NAMES, row))
    yes = {True: "是", False: "否", None: None}
    labels = status_labels(kind)
    values = {**r,
              "source": SOURCES[r["source"]][0] if r["source"] in SOURCES else r["source"],
              "grade": GRADES.get(r["grade"], r["grade"]),
              "status": (DISMISSED_LABEL if r["status"] == "closed" and r["dismissed_at"]
                         else labels.get(r["status"], r["status"])),
              "funds": None if r["funds"] is None else float(r["funds"]),
              "actual_funds": None if r["actual_funds"] is None else float(r["actual_funds"]),
              "suspended": yes[r["suspended"]], "listed": yes[r["listed"]],
              "reporter_name": mask_name(r["reporter_name"]),
              "reporter_contact": mask_contact(r["reporter_contact"]),
              "closed_on": (r["closed_at"] + timedelta(hours=8)).date() if r["closed_at"] else None,
              "clue_type": CLUE_TYPES.get(r["clue_type"]),
              "hazard_category": HAZARD_CATEGORIES.get(r["hazard_category"]),
              "rectification_type": RECTIFICATION_TYPES.get(r["rectification_type"]),
              "shutdown": SHUTDOWN.get(r["shutdown"] or "none"),
              "listing_level": LISTING_LEVELS.get(r["listing_level"])}
    # the text reaching a cell has no control character an .xlsx cannot hold (celltext)
    return [excel_text(v) if isinstance(v, str) else v
            for v in (values[key] for _h, key, _w, _t in COLUMNS)]


def read_back(data: bytes) -> list[list]:
    ws = load_workbook(io.BytesIO(data)).active
    return [[c.value for c in row] for row in ws.iter_rows(min_row=2, max_col=len(COLUMNS))]


def test_generated_rows_read_back_as_write_row_cells():
    rng = random.Random(20201)
    rows = [random_row(rng, i) for i in range(600)]
    for kind in ("problem", "task"):
        fast = io.BytesIO()
        wb = xlsxwriter.Workbook(fast, WORKBOOK_OPTIONS)
        ws = wb.add_worksheet("台账", worksheet_class=_LedgerSheet)
        ws.write_row(0, 0, [h for h, *_ in COLUMNS])
        assert ws.write_rows_xml(iter(rows), _row_xml(NAMES, kind)) == len(rows)
        wb.close()

        plain = io.BytesIO()
        wb = xlsxwriter.Workbook(plain, WORKBOOK_OPTIONS)
        ws = wb.add_worksheet("台账", worksheet_class=_LedgerSheet)
        ws.write_row(0, 0, [h for h, *_ in COLUMNS])
        for i, row in enumerate(rows, 1):
            ws.write_row(i, 0, [None if v == "" else v for v in shown(row, kind)])
        wb.close()

        got, want = read_back(fast.getvalue()), read_back(plain.getvalue())
        assert len(got) == len(rows)
        for i, (g, w) in enumerate(zip(got, want)):
            assert g == w, (kind, i, [(COLUMNS[c][0], a, b) for c, (a, b) in enumerate(zip(g, w))
                                      if a != b])
    # the hostile texts all came through somewhere
    seen = {v for row in got for v in row if isinstance(v, str)}
    assert "　前导全角空格" in seen and "尾随空格 " in seen and "a & b < c > d" in seen
    assert "回车\r结尾\r" in seen and "控制字符" in seen


def test_a_row_past_the_sheet_is_refused(monkeypatch):
    monkeypatch.setattr(ledger_xlsx, "_MAX_ROW", 3)
    wb = xlsxwriter.Workbook(io.BytesIO(), WORKBOOK_OPTIONS)
    ws = wb.add_worksheet("台账", worksheet_class=_LedgerSheet)
    rows = [random_row(random.Random(1), i) for i in range(5)]
    try:
        ws.write_rows_xml(iter(rows), _row_xml(NAMES, "problem"))
    except ValueError as exc:
        assert "outside the sheet" in str(exc)
    else:
        raise AssertionError("a fourth row was written")
    wb.close()


def test_ledger_workbook_is_deflated_at_level_one_and_others_at_the_default():
    def deflated(data: bytes, level: int) -> int:
        z = zlib.compressobj(level, zlib.DEFLATED, -15)
        return len(z.compress(data) + z.flush())

    def sheet_level(cls) -> int:
        out = io.BytesIO()
        wb = cls(out, WORKBOOK_OPTIONS)
        ws = wb.add_worksheet()
        rng = random.Random(7)
        for i in range(400):
            ws.write_row(i, 0, [rng.choice(TEXTS) + str(rng.random()) for _ in range(12)])
        wb.close()
        with zipfile.ZipFile(out) as z:
            info = z.getinfo("xl/worksheets/sheet1.xml")
            data = z.read(info)
        sizes = {level: deflated(data, level) for level in (1, 6)}
        assert sizes[1] != sizes[6]
        return next(level for level, size in sizes.items() if size == info.compress_size)

    assert sheet_level(_LedgerWorkbook) == 1
    assert sheet_level(xlsxwriter.Workbook) == 6

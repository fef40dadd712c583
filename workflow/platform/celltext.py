"""User text written into spreadsheets and CSV files, neutralised against formula injection.

A cell a user typed must never become a live formula in the office's Excel (OWASP "CSV
injection"): ``=HYPERLINK(...)`` in a case title would otherwise run when the ledger is
opened. In .xlsx the text goes in as an explicit string cell (openpyxl would type a text
starting with ``=`` as a formula and ``#N/A`` as an error); the value stays exactly what the
user wrote. CSV has no cell types, so text that a spreadsheet would read as a formula
(starting with ``= + - @``, tab or carriage return) gets a leading ``'``.
"""
from __future__ import annotations

from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE, Cell

CSV_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def excel_text(value: str) -> str:
    """Text an .xlsx cell can hold: control characters pasted from Word and the like
    (vertical tab, bell …) are illegal in the file's XML and are dropped from the copy."""
    return ILLEGAL_CHARACTERS_RE.sub("", value)


def xlsx_text(ws, value: str | None):
    """``value`` ready for ``ws.append`` as a string cell, never a formula or an error.

    Plain text is returned as is (openpyxl types it a string; the write-only ledger stays on
    its fast path); only text openpyxl would read otherwise becomes a cell forced to ``s``.
    """
    if value is None:
        return None
    value = excel_text(str(value))
    if value.startswith("=") or value in ERROR_CODES:
        cell = Cell(ws, row=1, column=1, value=value)  # placed by ws.append
        cell.data_type = "s"
        return cell
    return value


def csv_text(value):
    """A CSV field a spreadsheet shows as text: a leading ``'`` before a formula start."""
    if isinstance(value, str) and value.startswith(CSV_FORMULA_STARTS):
        return "'" + value
    return value


__all__ = ["CSV_FORMULA_STARTS", "ILLEGAL_CHARACTERS_RE", "csv_text", "excel_text", "xlsx_text"]

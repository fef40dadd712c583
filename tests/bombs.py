"""Small files that unpack into huge work: built here so tests and bench/bombs.py share them.

Each is a real .xlsx/.docx/.png; what makes it a bomb is one declared size, range or span.
"""
from __future__ import annotations

import io
import os
import re
import resource
import struct
import subprocess
import sys
import time
import zipfile
import zlib
from functools import lru_cache
from pathlib import Path

from openpyxl import Workbook

from tests.tasklist_builders import build_docx, build_xlsx, sample_rows

CHILD = r"""
import sys, time
kind, path = sys.argv[1], sys.argv[2]
data = open(path, "rb").read()
if kind == "problem":
    from workflow.problems import excel_sheet
    if hasattr(excel_sheet, "read_sheet"):
        from workflow.platform.office_limits import ImportLimits
        reader = lambda: excel_sheet.read_sheet(data, ImportLimits())
    else:
        reader = lambda: excel_sheet.filled_grid(excel_sheet.open_workbook(data).worksheets[0])
elif kind == "tasklist":
    from workflow.tasklist.parse import parse_tasklist
    reader = lambda: parse_tasklist(data, path.rsplit("/", 1)[-1])
else:  # the photo thumbnail every closure report prints
    from workflow.records.render import thumbnail_data_uri
    reader = lambda: thumbnail_data_uri(data)
start = time.perf_counter()
try:
    out = reader()
    outcome = "read (None)" if out is None else "read"
except MemoryError:
    outcome = "MemoryError"
except Exception as exc:
    outcome = f"refused: {type(exc).__name__} {getattr(exc, 'extra', {}).get('limit', '')}".strip()
took = time.perf_counter() - start
# this process's own peak (VmHWM of its memory after exec): the rusage a parent reads also
# counts the parent's image the child was forked from, however big the test worker is
peak = next(int(line.split()[1]) for line in open("/proc/self/status")
            if line.startswith("VmHWM:")) / 1024
print(f"{took:.3f}\t{peak:.1f}\t{outcome}")
"""

def read_in_child(tree: Path, kind: str, path: Path, cap_mb: int,
                  timeout: float) -> tuple[str, float, float]:
    """Read one bomb in a fresh process capped at ``cap_mb`` of address space.

    Returns (outcome, seconds the read took, peak resident MB of the process).
    ``kind``: problem (the problem-list reader), tasklist, image (the report thumbnail).
    """
    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (cap_mb * 1024 * 1024,) * 2)  # this child only

    env = {**os.environ, "PYTHONPATH": str(tree)}
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-c", CHILD, kind, str(path)], cwd=tree, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=limit)
    deadline = start + timeout
    killed = False
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() > deadline:
            proc.kill()
            killed = True
            pid, status, usage = os.wait4(proc.pid, 0)
            break
        time.sleep(0.05)
    proc.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    wall = time.perf_counter() - start
    with proc.stdout, proc.stderr:
        out, err = proc.stdout.read().decode().strip(), proc.stderr.read().decode().strip()
    peak = usage.ru_maxrss / 1024  # an upper bound (with the forked parent's image)
    if killed:
        return f"killed after {timeout:g} s", timeout, peak
    if out.count("\t") >= 2:
        seconds, own_peak, outcome = out.split("\t", 2)
        return outcome, float(seconds), float(own_peak)
    lines = err.splitlines()
    return f"crashed: {lines[-1] if lines else status}", wall, peak

PROBLEM_HEADER = ("原序号", "问题描述", "责任单位", "整改时限", "来源", "等级")


def _problem_sheet() -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(list(PROBLEM_HEADER))
    ws.append([1, "消防通道堵塞", "区应急管理局", "2030-01-01", "巡查发现", "一般"])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _rewrite(data: bytes, part: str, change) -> bytes:
    """The same package with one part's text changed."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info)
            if info.filename == part:
                body = change(body.decode("utf-8")).encode("utf-8")
            dst.writestr(info.filename, body)
    return out.getvalue()


def _sheet_part(data: bytes) -> str:
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    return next(n for n in names if n.startswith("xl/worksheets/sheet"))


def _with_dimension(data: bytes, ref: str) -> bytes:
    def change(xml: str) -> str:
        if "<dimension" in xml:
            return re.sub(r'<dimension ref="[^"]*"', f'<dimension ref="{ref}"', xml)
        return xml.replace("<sheetData", f'<dimension ref="{ref}"/><sheetData', 1)
    return _rewrite(data, _sheet_part(data), change)


def _with_merge(data: bytes, ref: str) -> bytes:
    def change(xml: str) -> str:
        if m := re.search(r"<mergeCells[^>]*>", xml):  # one more range in the sheet's list
            return xml[:m.end()] + f'<mergeCell ref="{ref}"/>' + xml[m.end():]
        return xml.replace("</sheetData>",
                           f'</sheetData><mergeCells count="1"><mergeCell ref="{ref}"/></mergeCells>', 1)
    return _rewrite(data, _sheet_part(data), change)


@lru_cache
def problem_dimension_bomb() -> bytes:
    """A problem list of two rows whose sheet declares A1:XFD1048576."""
    return _with_dimension(_problem_sheet(), "A1:XFD1048576")


@lru_cache
def problem_row_number_bomb() -> bytes:
    """A problem list whose second row is numbered r="1e15" (no dimension): the scan cannot
    read the number, and openpyxl adds every empty row up to it."""
    def change(xml: str) -> str:
        xml = re.sub(r'<dimension ref="[^"]*"/>', "", xml)
        return xml.replace('<row r="2"', '<row r="1e15"', 1)
    return _rewrite(_problem_sheet(), _sheet_part(_problem_sheet()), change)


@lru_cache
def problem_merge_bomb() -> bytes:
    """A problem list of two rows with one merged range reaching XFD1048576."""
    return _with_merge(_problem_sheet(), "A3:XFD1048576")


@lru_cache
def tasklist_merge_bomb() -> bytes:
    return _with_merge(build_xlsx(sample_rows()), "A30:XFD1048576")


@lru_cache
def tasklist_dimension_bomb() -> bytes:
    return _with_dimension(build_xlsx(sample_rows()), "A1:XFD1048576")


@lru_cache
def sheet_xml_bomb(unpacked_mb: int = 190) -> bytes:
    """A workbook whose sheet XML is ``unpacked_mb`` MB of one repeated row, packed under 1 MB.

    190 MB stays under the 200 MiB total the task-list reader used to check.
    """
    base = _problem_sheet()
    src = zipfile.ZipFile(io.BytesIO(base))
    part = _sheet_part(base)
    row = "<row>" + "".join(f'<c t="inlineStr"><is><t>{"隐患" * 4}</t></is></c>'
                            for _ in range(6)) + "</row>"
    chunk = (row * (65536 // len(row) + 1)).encode()
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as dst:
        for info in src.infolist():
            if info.filename != part:
                dst.writestr(info.filename, src.read(info))
                continue
            head, _, _ = src.read(info).decode().partition("<sheetData>")
            head = re.sub(r'<dimension ref="[^"]*"/>', "", head)
            with dst.open(part, "w", force_zip64=True) as fh:
                fh.write((head + "<sheetData>").encode())
                written = 0
                while written < unpacked_mb * 1_000_000:
                    fh.write(chunk)
                    written += len(chunk)
                fh.write(b"</sheetData></worksheet>")
    return out.getvalue()


@lru_cache
def docx_span_bomb(span: int = 10 ** 8) -> bytes:
    """The sample task list as Word, its first header cell spanning ``span`` columns."""
    data = build_docx(sample_rows())

    def change(xml: str) -> str:
        # the first cell of the first table: give it a tcPr with the span
        m = re.search(r"<w:tc>(<w:tcPr>)?", xml)
        if m[1]:
            return xml[:m.end()] + f'<w:gridSpan w:val="{span}"/>' + xml[m.end():]
        return xml[:m.end()] + f'<w:tcPr><w:gridSpan w:val="{span}"/></w:tcPr>' + xml[m.end():]
    return _rewrite(data, "word/document.xml", change)


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return (struct.pack(">I", len(body)) + kind + body
            + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))


@lru_cache
def png_bomb(side: int = 13000) -> bytes:
    """A grey ``side``×``side`` PNG, all zeros: ~169 MP in a few hundred KB."""
    packer = zlib.compressobj(9)
    row = b"\x00" * (side + 1)  # filter byte + one byte per pixel
    idat = b"".join(packer.compress(row) for _ in range(side)) + packer.flush()
    return (b"\x89PNG\r\n\x1a\n"
            + _png_chunk(b"IHDR", struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0))
            + _png_chunk(b"IDAT", idat) + _png_chunk(b"IEND", b""))

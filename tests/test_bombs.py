"""Import and image bombs (issue 15 #1, #6) and uploads whose name lies about the type (#13).

Each bomb is a few KB to under 1 MB (tests/bombs.py builds them) and used to cost minutes
and gigabytes. Now each is refused with a 400 that names the limit, quickly (a wall-clock
bound, not a benchmark) and, read in a child process with a capped address space, within a
small memory bound that the old readers passed by orders of magnitude.
"""
from __future__ import annotations

import hashlib
import io
import re
import struct
import time
import zipfile
import zlib
from pathlib import Path

import pytest
from openpyxl import Workbook
from PIL import Image
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from tests import bombs
from tests.factories import png_bytes
from tests.factories_tasklist import browser_login, row_counts
from tests.tasklist_builders import build_docx, build_xlsx, sample_rows
from workflow.core.cases import Case
from workflow.core.evidence import Evidence, Storage

ROOT = Path(__file__).resolve().parent.parent
SECONDS = 5  # wall-clock bound for a refusal (the old readers ran for minutes)
PEAK_MB = 250  # resident memory of the whole child process, interpreter and libraries included
CAP_MB = 2048  # the child's address space: the old readers ran out of it


def cases(session) -> int:
    session.expire_all()
    n = session.scalar(select(func.count()).select_from(Case))
    session.rollback()
    return n


def timed(call):
    start = time.perf_counter()
    resp = call()
    return resp, time.perf_counter() - start


def post_file(client, url: str, data: bytes, name: str, headers=None, field="file", **form):
    """A multipart POST encoded in memory (the test client would spool a large body to a
    temporary file it never closes)."""
    upload = FileStorage(io.BytesIO(data), filename=name, content_type="application/octet-stream")
    boundary, body = encode_multipart({field: upload, **form})
    return client.post(url, data=body, headers=headers,
                       content_type=f"multipart/form-data; boundary={boundary}")


def problem_upload(client, world, data: bytes, name="清单.xlsx"):
    return post_file(client, "/api/v1/imports/problems", data, name, world.headers("office_staff"))


def plan_upload(client, world, data: bytes, name: str):
    return post_file(client, "/api/v1/plans/import", data, name, world.headers("office_staff"),
                     year="2020", dry_run="true")


def assert_refused(resp, seconds: float, limit: str, row: int | None = None):
    assert resp.status_code == 400, resp.get_data(as_text=True)[:500]
    body = resp.json
    assert body["field"] == "file" and body["limit"] == limit and limit in body["message"]
    if row is not None:
        assert body["row"] == row and f"第{row}行" in body["message"]
    assert seconds < SECONDS


# --- the problem-list import ------------------------------------------------------------

PROBLEM_BOMBS = {
    "dimension to XFD1048576": (bombs.problem_dimension_bomb, "IMPORT_MAX_SHEET_ROWS", 1),
    "merged range to XFD1048576": (bombs.problem_merge_bomb, "IMPORT_MAX_SHEET_ROWS", 3),
    "190 MB sheet XML in 0.8 MB": (bombs.sheet_xml_bomb, "IMPORT_MAX_PART_BYTES", None),
    # refused when openpyxl's padding rows pass the limit, not 10^15 rows later
    'row numbered r="1e15"': (bombs.problem_row_number_bomb, "IMPORT_MAX_SHEET_ROWS", 20001),
}


@pytest.mark.parametrize("name", PROBLEM_BOMBS)
def test_problem_import_refuses_bombs(client, world, session, name):
    build, limit, row = PROBLEM_BOMBS[name]
    data = build()
    world.headers("office_staff")
    assert len(data) < 1_000_000
    resp, seconds = timed(lambda: problem_upload(client, world, data))
    assert_refused(resp, seconds, limit, row)
    assert cases(session) == 0


def test_problem_import_page_refuses_a_merged_range_bomb(client, world, session):
    browser_login(client, world.users["office_staff"])
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/imports/problems").text)[1]
    resp, seconds = timed(lambda: client.post("/imports/problems", data={
        "file": (io.BytesIO(bombs.problem_merge_bomb()), "a.xlsx"), "csrf_token": token,
        "action": "import"}, content_type="multipart/form-data"))
    assert resp.status_code == 400 and "IMPORT_MAX_SHEET_ROWS" in resp.text and "第3行" in resp.text
    assert seconds < SECONDS and cases(session) == 0


def _rows_sheet(n: int, *, dimension: str | None = None) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(list(bombs.PROBLEM_HEADER))
    for i in range(n):
        ws.append([i, f"问题{i}", "区应急管理局", "2030-01-01", "巡查发现", "一般"])
    out = io.BytesIO()
    wb.save(out)
    data = out.getvalue()
    return bombs._with_dimension(data, dimension) if dimension else data


def test_limits_are_settings_and_a_lying_dimension_does_not_help(app, client, world, session):
    app.config["IMPORT_MAX_SHEET_ROWS"] = 30
    # the sheet claims two rows; the scan counts the rows it really has
    resp, seconds = timed(lambda: problem_upload(client, world, _rows_sheet(40, dimension="A1:F2")))
    assert_refused(resp, seconds, "IMPORT_MAX_SHEET_ROWS", 31)
    app.config["IMPORT_MAX_COLUMNS"] = 5
    resp, seconds = timed(lambda: problem_upload(client, world, _rows_sheet(3)))
    assert_refused(resp, seconds, "IMPORT_MAX_COLUMNS", 1)
    app.config.update(IMPORT_MAX_COLUMNS=100, IMPORT_MAX_CELLS=50)
    resp, seconds = timed(lambda: problem_upload(client, world, _rows_sheet(20)))
    assert_refused(resp, seconds, "IMPORT_MAX_CELLS")
    # with the part limit raised the ratio still catches the packed sheet, then the total
    app.config.update(IMPORT_MAX_CELLS=500_000, IMPORT_MAX_PART_BYTES=10**9)
    packed = bombs.sheet_xml_bomb()
    resp, seconds = timed(lambda: problem_upload(client, world, packed))
    assert_refused(resp, seconds, "IMPORT_MAX_RATIO")
    app.config["IMPORT_MAX_RATIO"] = 10**6
    resp, seconds = timed(lambda: problem_upload(client, world, packed))
    assert_refused(resp, seconds, "IMPORT_MAX_UNPACKED_BYTES")
    assert cases(session) == 0
    app.config.update(IMPORT_MAX_SHEET_ROWS=20000, IMPORT_MAX_PART_BYTES=32 << 20,
                      IMPORT_MAX_RATIO=100, IMPORT_MAX_MERGED=1)
    merged = Workbook()
    ws = merged.active
    ws.append(list(bombs.PROBLEM_HEADER))
    ws.append([1, "问题", "区应急管理局", "2030-01-01", "巡查发现", "一般"])
    ws.merge_cells("E2:E3")
    ws.merge_cells("F2:F3")
    out = io.BytesIO()
    merged.save(out)
    resp, seconds = timed(lambda: problem_upload(client, world, out.getvalue()))
    assert_refused(resp, seconds, "IMPORT_MAX_MERGED")


def test_the_wall_clock_guard_is_a_setting(app, client, world, session):
    app.config["IMPORT_MAX_SECONDS"] = 0
    resp, seconds = timed(lambda: problem_upload(client, world, _rows_sheet(3)))
    assert_refused(resp, seconds, "IMPORT_MAX_SECONDS")
    resp, seconds = timed(lambda: plan_upload(client, world, build_xlsx(sample_rows()),
                                              "清单.xlsx"))
    assert_refused(resp, seconds, "IMPORT_MAX_SECONDS")


def test_a_normal_problem_list_still_imports_streamed(client, world, session):
    resp = problem_upload(client, world, _rows_sheet(30))
    assert resp.status_code == 201, resp.json
    assert resp.json["created"] == 30 and cases(session) == 30


# --- the task-list import and preview -----------------------------------------------------

PLAN_BOMBS = {
    "Word cell spanning 10^8 columns": (bombs.docx_span_bomb, "清单.docx", "IMPORT_MAX_COLUMNS", 1),
    "merged range to XFD1048576": (bombs.tasklist_merge_bomb, "清单.xlsx", "IMPORT_MAX_SHEET_ROWS",
                                   30),
    "dimension to XFD1048576": (bombs.tasklist_dimension_bomb, "清单.xlsx", "IMPORT_MAX_SHEET_ROWS",
                                1),
    "190 MB sheet XML in 0.8 MB": (bombs.sheet_xml_bomb, "清单.xlsx", "IMPORT_MAX_PART_BYTES", None),
}


@pytest.mark.parametrize("name", PLAN_BOMBS)
def test_tasklist_import_refuses_bombs(client, world, session, name):
    build, filename, limit, row = PLAN_BOMBS[name]
    data = build()
    world.headers("office_staff")  # its token exists before the counts
    before = row_counts(session)
    resp, seconds = timed(lambda: plan_upload(client, world, data, filename))
    assert_refused(resp, seconds, limit, row)
    assert row_counts(session) == before


def test_tasklist_preview_page_refuses_a_span_bomb(client, world, session):
    token = browser_login(client, world.users["office_staff"])
    resp, seconds = timed(lambda: client.post("/plans/preview", data={
        "csrf_token": token, "year": "2020",
        "file": (io.BytesIO(bombs.docx_span_bomb()), "清单.docx")},
        content_type="multipart/form-data"))
    assert resp.status_code == 400 and "IMPORT_MAX_COLUMNS" in resp.text
    assert seconds < SECONDS


# --- memory: each bomb read in a child process with a capped address space ----------------

CHILD_BOMBS = [
    ("problem", "merge.xlsx", bombs.problem_merge_bomb, "IMPORT_MAX_SHEET_ROWS"),
    ("problem", "sheet.xlsx", bombs.sheet_xml_bomb, "IMPORT_MAX_PART_BYTES"),
    ("tasklist", "merge.xlsx", bombs.tasklist_merge_bomb, "IMPORT_MAX_SHEET_ROWS"),
    ("tasklist", "dimension.xlsx", bombs.tasklist_dimension_bomb, "IMPORT_MAX_SHEET_ROWS"),
    ("tasklist", "span.docx", bombs.docx_span_bomb, "IMPORT_MAX_COLUMNS"),
]


@pytest.mark.parametrize("kind,name,build,limit", CHILD_BOMBS,
                         ids=[f"{k}-{n}" for k, n, _b, _l in CHILD_BOMBS])
def test_bombs_are_refused_within_a_memory_bound(tmp_path, kind, name, build, limit):
    path = tmp_path / name
    path.write_bytes(build())
    outcome, seconds, peak_mb = bombs.read_in_child(ROOT, kind, path, CAP_MB, timeout=60)
    assert outcome == f"refused: ImportLimitExceeded {limit}"
    assert seconds < SECONDS and peak_mb < PEAK_MB, (seconds, peak_mb)


# --- evidence images ---------------------------------------------------------------------

def evidence_upload(client, world, case_id, data: bytes, name: str):
    return client.post(f"/api/v1/cases/{case_id}/evidence",
                       data={"file": (io.BytesIO(data), name), "category": "after"},
                       headers=world.headers("dept_officer"), content_type="multipart/form-data")


def evidence_count(session) -> int:
    session.expire_all()
    n = session.scalar(select(func.count()).select_from(Evidence))
    session.rollback()
    return n


def test_a_decompression_bomb_photo_is_refused_by_its_header(app, client, world, session, pages):
    bomb = bombs.png_bomb()
    assert len(bomb) < 1_000_000 and bomb[16:24] == struct.pack(">II", 13000, 13000)  # IHDR
    assert Image.MAX_IMAGE_PIXELS == app.config["EVIDENCE_MAX_PIXELS"]
    case = world.case_at("in_progress")
    resp, seconds = timed(lambda: evidence_upload(client, world, case.id, bomb, "现场.png"))
    assert resp.status_code == 400 and resp.json["field"] == "file"
    assert resp.json["limit"] == "EVIDENCE_MAX_PIXELS" and "EVIDENCE_MAX_PIXELS" in resp.json["message"]
    assert seconds < SECONDS
    assert not Storage(app.config["STORAGE_DIR"]).path_for(hashlib.sha256(bomb).hexdigest()).exists()
    officer = pages("dept_officer")
    officer.get(f"/cases/{case.id}")
    resp, seconds = timed(lambda: officer.post(
        f"/cases/{case.id}/evidence", {"files": [(io.BytesIO(bomb), "现场.png")]},
        content_type="multipart/form-data", headers={"X-Requested-With": "XMLHttpRequest"}))
    assert resp.status_code == 400 and resp.json["field"] == "files"
    assert "EVIDENCE_MAX_PIXELS" in resp.json["message"] and seconds < SECONDS
    # a long thin strip is refused by its side
    resp = evidence_upload(client, world, case.id, _png(20000, 2), "条.png")
    assert resp.status_code == 400 and resp.json["limit"] == "EVIDENCE_MAX_IMAGE_SIDE"
    assert evidence_count(session) == 0


def _png(width: int, height: int) -> bytes:
    raw = (b"\x00" + b"\x00" * width) * height
    return (b"\x89PNG\r\n\x1a\n"
            + bombs._png_chunk(b"IHDR", width.to_bytes(4, "big") + height.to_bytes(4, "big")
                               + bytes([8, 0, 0, 0, 0]))
            + bombs._png_chunk(b"IDAT", zlib.compress(raw)) + bombs._png_chunk(b"IEND", b""))


def test_a_photo_is_decoded_once_and_its_renditions_reused(app, client, world, session, pages,
                                                           monkeypatch):
    case = world.case_at("in_progress")
    buf = io.BytesIO()
    Image.new("RGB", (1600, 1200), (30, 120, 200)).save(buf, "JPEG")
    photo = buf.getvalue()
    resp = evidence_upload(client, world, case.id, photo, "现场.jpg")
    assert resp.status_code == 201
    digest = resp.json["sha256"]
    store = Storage(app.config["STORAGE_DIR"])
    thumb = store.rendition_path(digest, "thumb")
    printed = store.rendition_path(digest, "print")
    assert thumb.exists() and printed.exists()
    assert thumb.parent == store.path_for(digest).parent  # beside the original
    with Image.open(thumb) as small, Image.open(printed) as print_size:
        assert max(small.size) == 320 and max(print_size.size) == 240

    # from here on, every image Pillow opens is noted (the real Image.open still runs)
    opened: list[str] = []
    real_open = Image.open

    def noting_open(fp, *args, **kwargs):
        if hasattr(fp, "getvalue"):
            opened.append(hashlib.sha256(fp.getvalue()).hexdigest())
        elif isinstance(fp, (str, Path)):
            opened.append(Path(fp).name)
        return real_open(fp, *args, **kwargs)

    monkeypatch.setattr(Image, "open", noting_open)
    auditor = pages("auditor")
    page_thumb = auditor.client.get(f"/cases/{case.id}/evidence/{resp.json['id']}/thumb")
    assert page_thumb.status_code == 200 and page_thumb.get_data() == thumb.read_bytes()
    page_thumb.close()
    report = client.get(f"/api/v1/cases/{case.id}/report.pdf", headers=world.headers("auditor"))
    assert report.status_code == 200 and report.data.startswith(b"%PDF")
    assert digest not in opened and digest not in [Path(o).name for o in opened]
    assert hashlib.sha256(printed.read_bytes()).hexdigest() in opened  # the report's photo


def test_evidence_stored_before_renditions_gets_them_once(app, client, world, session):
    case = world.case_at("in_progress")
    resp = evidence_upload(client, world, case.id, png_bytes((1, 2, 3), (500, 300)), "旧.png")
    store = Storage(app.config["STORAGE_DIR"])
    for kind in ("thumb", "print"):
        store.rendition_path(resp.json["sha256"], kind).unlink()
    report = client.get(f"/api/v1/cases/{case.id}/report.pdf", headers=world.headers("auditor"))
    assert report.status_code == 200
    assert store.rendition_path(resp.json["sha256"], "print").exists()


# --- an upload's extension must match its detected type ---------------------------------

PDF = b"%PDF-1.4\n%\xe2\xe3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF"


def _docx() -> bytes:
    return build_docx(sample_rows())


@pytest.mark.parametrize("data,name,wanted", [
    (png_bytes(), "照片.pdf", ".png"),
    (PDF, "扫描件.jpg", ".pdf"),
    (PDF, "扫描件", ".pdf"),
    (lambda: _docx(), "说明.xlsx", ".docx"),
])
def test_an_extension_that_lies_about_the_content_is_refused(client, world, session, data, name,
                                                              wanted):
    data = data() if callable(data) else data
    case = world.case_at("in_progress")
    resp = evidence_upload(client, world, case.id, data, name)
    assert resp.status_code == 400 and resp.json["field"] == "file"
    assert wanted in resp.json["message"] and "扩展名" in resp.json["message"]
    assert evidence_count(session) == 0


def test_the_page_upload_refuses_a_lying_extension(pages, world, session):
    case = world.case_at("in_progress")
    officer = pages("dept_officer")
    officer.get(f"/cases/{case.id}")
    resp = officer.post(f"/cases/{case.id}/evidence", {"files": [(io.BytesIO(PDF), "现场.jpg")]},
                        content_type="multipart/form-data")
    assert resp.status_code == 400
    assert re.search(r'data-error-for="files"[^>]*>文件“现场.jpg”的扩展名与内容不符', resp.text)
    assert evidence_count(session) == 0


def test_bomb_files_are_what_they_claim():
    # the builders: a real zip whose member declares the unpacked size
    info = {i.filename: i for i in zipfile.ZipFile(io.BytesIO(bombs.sheet_xml_bomb())).infolist()}
    sheet = next(i for n, i in info.items() if n.startswith("xl/worksheets/"))
    assert sheet.file_size > 180_000_000 and sheet.compress_size < 1_000_000

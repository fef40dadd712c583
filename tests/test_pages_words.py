"""The officials' words: every page a department user and the office reach says 事项, not 案件;
every printed record reached from them carries no developer jargon.

Each user starts at the home page and follows every link inside the app (pages, and the
PDFs and workbooks they offer), as a person clicking through would. The district has a case
in every state, a 举报, a 重大事故隐患, a pending extension and 职责异议, progress reports,
the 2020 task list and a 交办批次 with its items.
"""
from __future__ import annotations

import io
import re
from datetime import timedelta
from urllib.parse import urljoin, urlsplit

import pytest
from openpyxl import load_workbook

from tests.factories_complaints import complaint_at
from tests.factories_records import pdf_text
from tests.tasklist_builders import sample_bytes
from tests.test_batches import state_list
from workflow.core.service import Settings
from workflow.platform.base import local_today
from workflow.problems import batches, disputes, extensions, progress, supervision
from workflow.tasklist.importer import import_tasklist

HREF = re.compile(r'href="([^"]+)"')
SKIP = ("/logout", "/static/", "/login", "data:", "mailto:", "javascript:")
JARGON = ("SafeLoop", "sha256", "SHA-256", "链头", "审计链", "flaskrecords", "UTC")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_PER_PATH = 4  # query-string variants of one path (filters, pages) followed
MAX_FILES_PER_KIND = 3  # PDFs/workbooks of the same route read back


@pytest.fixture
def district(world, session, app):
    settings = Settings.from_config(app.config)
    for status in ("draft", "assigned", "reported", "verified", "closed"):
        world.case_at(status)
    major = world.case_at("in_progress", grade="major", source="state_council")
    busy = world.case_at("in_progress")
    progress.add_progress(session, busy.id, world.users["dept_officer"], text="已采购报警器，正在安装")
    extensions.request_extension(session, busy.id, world.users["dept_head"], reason="设备到货延迟",
                                 interim_measures="临时停用并设警戒",
                                 new_deadline=busy.deadline + timedelta(days=15))
    session.commit()
    other = world.case_at("assigned")
    disputes.raise_dispute(session, other.id, world.users["dept_head"], reason="不属本部门职责")
    session.commit()
    supervision.manual_alert(session, major.id, world.users["office_director"], "interview",
                             "逾期未整改")
    session.commit()
    complaint_at(world, "in_progress")
    import_tasklist(session, sample_bytes(), "wujin-2020-task-list.txt", 2020, world.users["office_staff"],
                    settings=settings, create_unknown=True)
    session.commit()
    batch = batches.create_batch(session, world.users["office_staff"], {
        "title": "国务院安委会第三督导组反馈问题", "issuer_level": "state",
        "doc_number": "安委督〔2020〕3号", "assigned_on": "2020-03-16", "deadline": "2020年底前",
        "backfill": True, "report_day": 25})
    batches.import_batch(session, world.users["office_staff"], batch.id, state_list(world),
                         "清单.xlsx", register=True, settings=settings)
    session.commit()
    return world


def crawl(client, start: str = "/") -> tuple[dict[str, str], dict[str, bytes]]:
    """Every HTML page reachable from ``start`` (text by URL) and the files they link."""
    pages: dict[str, str] = {}
    files: dict[str, bytes] = {}
    seen: set[str] = set()
    per_path: dict[str, int] = {}
    per_kind: dict[str, int] = {}
    queue = [start]
    while queue:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        path = urlsplit(url).path
        if path.endswith((".pdf", ".xlsx")):
            kind = re.sub(r"/\d+/", "/N/", path)
            if per_kind.get(kind, 0) >= MAX_FILES_PER_KIND:
                continue
            per_kind[kind] = per_kind.get(kind, 0) + 1
        resp = client.get(url)
        resp.get_data()
        resp.close()  # file responses (evidence) hold their file open until closed
        assert resp.status_code < 500, (url, resp.status_code)
        if resp.status_code in (301, 302, 303):
            queue.append(urlsplit(resp.headers["Location"])._replace(scheme="", netloc="").geturl())
            continue
        if resp.status_code != 200:
            continue
        if resp.mimetype != "text/html":
            if resp.mimetype in ("application/pdf", XLSX):
                files[url] = resp.data
            continue
        pages[url] = resp.text
        for href in HREF.findall(resp.text):
            href = href.replace("&amp;", "&").split("#")[0]
            if not href or href.startswith(SKIP) or "://" in href:
                continue
            target = urljoin(url, href)
            target_path = urlsplit(target).path
            if target_path.startswith("/api/") and not target_path.endswith((".pdf", ".xlsx")):
                continue
            per_path[target_path] = per_path.get(target_path, 0) + 1
            if per_path[target_path] > MAX_PER_PATH and "?" in target:
                continue
            if target not in seen:
                queue.append(target)
    return pages, files


@pytest.mark.parametrize("who", ["dept_officer", "dept_head", "office_staff", "office_director"])
def test_no_page_says_case(district, pages, who):
    client = pages(who)
    html, files = crawl(client)
    assert len(html) >= 8, sorted(html)
    if who.startswith("office"):
        assert any(u.startswith("/batches/") for u in html), sorted(html)
        assert any(u.endswith("reconciliation.pdf") for u in files), sorted(files)
    assert any(u.startswith("/cases/") for u in html), sorted(html)
    said = {url: text.count("案件") for url, text in html.items() if "案件" in text}
    assert not said, said
    for url, data in files.items():
        if data.startswith(b"%PDF-"):
            text = pdf_text(data)
            for word in (*JARGON, "案件"):
                assert word not in text, (url, word)
        else:
            wb = load_workbook(io.BytesIO(data), read_only=True)
            for ws in wb.worksheets:
                for row in ws.iter_rows(values_only=True):
                    assert not any(isinstance(v, str) and "案件" in v for v in row), (url, row)


def test_pdfs_offered_to_the_office_are_read_back(district, pages):
    """The notice, the closure form, the extension decision, the ledger and the 对账表."""
    _html, files = crawl(pages("office_director"))
    kinds = {re.sub(r"/\d+/", "/N/", urlsplit(u).path) for u in files if ".pdf" in u}
    assert {"/api/v1/cases/N/report.pdf", "/api/v1/cases/N/notice.pdf",
            "/api/v1/batches/N/reconciliation.pdf"} <= kinds, kinds
    today = local_today()
    for url, data in files.items():
        if not data.startswith(b"%PDF-"):
            continue
        text = pdf_text(data)
        assert f"{today.year}年" in text, url
        if "/kpis/" not in url:  # the 季度点评 is figures, not a record of cases
            assert "电子校验码" in text, url

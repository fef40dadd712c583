"""Factory fixtures for printed records: busy cases, PDF text helpers, a URL trap."""
from __future__ import annotations

import http.server
import io
import re
import subprocess
import threading

import pytest
from PIL import Image, ImageDraw
from pypdf import PdfReader

from workflow.core import service
from workflow.core.evidence import Storage

HOSTILE = '<script>alert(1)</script></td><b>粗</b> url(http://127.0.0.1:9/x.png) &amp;'


def photo_bytes(index: int, size=(640, 480)) -> bytes:
    """A distinct JPEG per index (colour and a bar that moves with it)."""
    image = Image.new("RGB", size, ((index * 37) % 256, (index * 91) % 256, (index * 53) % 256))
    draw = ImageDraw.Draw(image)
    x = (index * 11) % (size[0] - 40)
    draw.rectangle([x, 20, x + 40, size[1] - 20], fill=(255, 255, 255))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


def pdftotext_pages(pdf: bytes, *, layout: bool = False) -> list[str]:
    """Text of every page (pdftotext separates pages with form feeds).

    ``layout`` keeps the physical lines, so a table header reads as one line.
    """
    args = ["pdftotext", *(["-layout"] if layout else []), "-", "-"]
    out = subprocess.run(args, input=pdf, capture_output=True,
                         check=True).stdout.decode("utf-8")
    pages = out.split("\f")
    if pages and not pages[-1].strip():
        pages.pop()
    return pages


def pdf_text(pdf: bytes) -> str:
    return squash("".join(pdftotext_pages(pdf)))


def font_names(pdf: bytes) -> set[str]:
    names = set()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for font in page["/Resources"]["/Font"].values():
            names.add(str(font.get_object()["/BaseFont"]))
    return names


def comment(world, case, who: str, text: str, action: str = "comment") -> None:
    """Append a recorded (non-state) event, as the comment and progress operations do."""
    user = world.users[who]
    locked = service.lock_for_record(world.session, case.id, user)
    service.record(world.session, locked, user, action, comment=text)
    world.session.commit()


def busy_case(world, *, events: int = 200, photos: int = 50):
    """A closed case with ``photos`` photo files and exactly ``events`` audit events."""
    case = world.case_at("in_progress")
    for i in range(photos):
        world.evidence(case, who="dept_officer" if i % 2 else "dept_head",
                       data=photo_bytes(i), name=f"现场照片{i + 1:03d}.jpg")
    # report, verify and close add three more events
    for i in range(events - case.audit_seq - 3):
        comment(world, case, "dept_officer" if i % 3 else "office_staff",
                f"进展第{i:03d}条起：已落实第{i}项整改措施，现场复查情况良好，"
                f"相关台账已更新。进展第{i:03d}条止", action="progress")
    world.step(case, "report", "dept_head", statement="全部报警器已更换并联动测试。")
    world.step(case, "verify", "office_staff")
    world.step(case, "close", "office_director")
    assert case.audit_seq == events
    return case


@pytest.fixture
def storage(app):
    return Storage(app.config["STORAGE_DIR"])


@pytest.fixture
def http_trap():
    """A local HTTP server that records every request made to it."""
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            self.send_response(404)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", hits
    server.shutdown()
    server.server_close()


def login(client, user, password=None) -> str:
    """Log in through the form; return the CSRF token of the session."""
    from tests.factories import PASSWORD

    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    resp = client.post("/login", data={"username": user.username, "password": password or PASSWORD,
                                       "csrf_token": token})
    assert resp.status_code in (302, 303), resp.get_data(as_text=True)[:500]
    page = client.get("/records").get_data(as_text=True)
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    return found.group(1) if found else token

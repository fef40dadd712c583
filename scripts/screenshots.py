"""Take the README screenshots of the main pages with the demo data.

    .venv/bin/python scripts/screenshots.py [docs/screenshots]

Builds a throw-away SQLite database with ``flask demo`` data, drives one case
a little further (a photo, a statement), serves the app on a local werkzeug
server and photographs each page in Debian's Chromium (the test set-up).
"""
from __future__ import annotations

import io
import sys
import tempfile
import threading
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PIL import Image, ImageDraw  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402
from sqlalchemy import select  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from blueprints import create_app  # noqa: E402
from blueprints.extensions import db  # noqa: E402
from tests.factories_pages import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from workflow.core import service  # noqa: E402
from workflow.core.cases import Case  # noqa: E402
from workflow.demo import DEMO_PASSWORD, load_demo  # noqa: E402
from workflow.models import Base  # noqa: E402
from workflow.org.models import User  # noqa: E402
from workflow.problems import extensions, progress

SHOTS = [  # (file, user, path, full page)
    ("login.png", None, "/login", False),
    ("home-department.png", "officer", "/", False),
    ("home-office.png", "office", "/", False),
    ("home-director.png", "director", "/", False),
    ("home-auditor.png", "auditor", "/", False),
    ("case-list.png", "office", "/cases", False),
    ("case-page.png", "head", "/cases/{case}", True),
    ("register.png", "inspector", "/cases/new", True),
    ("admin-users.png", "admin", "/admin/users", False),
    ("case-page-phone.png", "officer", "/cases/{case}", False),
    ("notifications.png", "officer", "/notifications", False),
    ("calendar.png", "director", "/calendar", False),
]


def photo() -> bytes:
    img = Image.new("RGB", (640, 480), (200, 205, 210))
    draw = ImageDraw.Draw(img)
    draw.rectangle((80, 120, 560, 420), fill=(120, 130, 140))
    draw.rectangle((250, 200, 390, 300), fill=(30, 140, 60))
    buf = io.BytesIO()
    img.save(buf, format="JPEG", quality=85)
    return buf.getvalue()


def prepare(app) -> int:
    with app.app_context():
        Base.metadata.create_all(db.engine)
        load_demo(db.session, app.config)
        db.session.commit()
        users = {u.username: u for u in db.session.scalars(select(User))}
        case = db.session.scalar(select(Case).where(Case.status == "in_progress")
                                 .order_by(Case.id))
        if case.department_id != users["officer"].department_id:
            case = db.session.scalar(select(Case).where(Case.status == "assigned",
                                                        Case.department_id ==
                                                        users["officer"].department_id))
            service.transition(db.session, case.id, "accept", users["officer"],
                               version=case.version)
        settings = service.Settings.from_config(app.config)
        service.upload_evidence(db.session, case.id, users["officer"], data=photo(),
                                filename="整改后-储罐区.jpg", category="after",
                                note="更换后的报警器", settings=settings)
        service.draft_statement(db.session, case.id, users["officer"],
                                "已更换全部可燃气体报警器并完成联动测试。")
        progress.add_progress(db.session, case.id, users["officer"],
                              text="新报警器已到货，正在安装调试。", percent=60)
        extensions.request_extension(db.session, case.id, users["head"],
                                    reason="联动控制柜须厂家到场调试",
                                    interim_measures="储罐区设置警戒区，每日巡查两次",
                                    new_deadline=case.deadline + timedelta(days=15))
        db.session.commit()
        return case.id


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"DATABASE_URL": f"sqlite:///{tmp}/shots.db", "SECRET_KEY": "shots",
                          "STORAGE_DIR": f"{tmp}/storage", "REDIS_URL": None,
                          "INSECURE_COOKIES": True})  # served over plain http
        case_id = prepare(app)
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        base = f"http://127.0.0.1:{server.server_port}"
        try:
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
                for name, user, path, full in SHOTS:
                    phone = name.endswith("-phone.png")
                    context = browser.new_context(
                        base_url=base, locale="zh-CN", timezone_id="Asia/Shanghai",
                        viewport={"width": 390, "height": 844} if phone else
                        {"width": 1280, "height": 860}, device_scale_factor=1)
                    page = context.new_page()
                    if user:
                        page.goto("/login")
                        page.fill("#username", user)
                        page.fill("#password", DEMO_PASSWORD)
                        page.click("button[type=submit]")
                        page.wait_for_url(lambda url: "/login" not in url)
                    page.goto(path.format(case=case_id))
                    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
                    page.wait_for_function("() => [...document.images].every(i => i.complete)")
                    page.evaluate("window.scrollTo(0, 0)")
                    page.screenshot(path=str(out / name), full_page=full)
                    print(f"{out / name}")
                    context.close()
                browser.close()
        finally:
            server.shutdown()
            server.server_close()
            db_engine = app.extensions["safeloop.engine"]
            db_engine.dispose()


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshots")

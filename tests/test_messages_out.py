"""Messages out of the app, through a real local SMTP server and local HTTP receivers."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import threading
import time
import urllib.parse
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from workflow.core import delivery
from workflow.core.delivery import MessageDelivery, UnitWebhook
from workflow.platform.db import reset_read_only, set_read_only


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content,
                                                                    policy=policy.default)))
        return "250 OK"


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    with socket.socket() as probe:  # a free port (aiosmtpd checks its own port after start)
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield controller, inbox
    controller.stop()


class Receiver:
    """A robot endpoint: records each POST; answers with ``status`` (after ``hold``, if set)."""

    def __init__(self, status=200, reply=b'{"errcode":0,"errmsg":"ok"}'):
        self.status, self.reply, self.hold = status, reply, None
        self.requests: list[tuple[str, dict]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((self.path, json.loads(body)))
                if receiver.hold is not None:
                    receiver.hold.wait(10)
                self.send_response(receiver.status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(receiver.reply)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/robot/send?access_token=t0k"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receivers():
    made = []

    def make(**kw):
        made.append(Receiver(**kw))
        return made[-1]
    yield make
    for r in made:
        if r.hold is not None:
            r.hold.set()
        r.close()


def wait_for(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition not reached in time")


def _rows(session):
    """The delivery rows, read without a write lock (the sender commits meanwhile)."""
    session.rollback()
    token = set_read_only(True)
    try:
        rows = session.scalars(select(MessageDelivery).order_by(MessageDelivery.id)).all()
        session.expunge_all()  # loaded values stay readable without a new transaction
        session.rollback()
    finally:
        reset_read_only(token)
    return rows


def _register(pages, world):
    office = pages("office_staff")
    office.get("/cases/new")
    resp = office.post("/cases/new", {
        "title": "消防通道堵塞", "description": "仓库东侧消防通道堆放货物", "source": "patrol",
        "grade": "general", "department_id": world.dept.id, "deadline_working_days": "10",
        "then": "register"})
    assert resp.status_code == 302, resp.text
    return resp


def test_email_and_robot_carry_the_case_number_and_a_link(app, pages, world, session,
                                                          smtp_server, receivers):
    controller, inbox = smtp_server
    robot = receivers()
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=controller.port, SMTP_FROM="aqb@wj.gov.cn",
                      NOTIFY_WEBHOOK_URL=robot.url, NOTIFY_WEBHOOK_SECRET="SECdemo",
                      NOTIFY_RETRY_DELAYS=[0.2], PUBLIC_URL="https://aqb.example.gov.cn")
    officer = pages("dept_officer")
    officer.get("/notifications/settings")
    resp = officer.post("/notifications/settings", {"email": "zhang@yjj.example.gov.cn",
                                                    "kinds": ["assigned", "returned"]})
    assert resp.status_code == 302
    _register(pages, world)
    case = wait_for(lambda: [r for r in _rows(session) if r.status == "sent"] and
                    len([r for r in _rows(session) if r.status == "sent"]) == 2 and _rows(session))
    number = session.scalar(select(MessageDelivery.subject)).split("：")[1][:16]
    assert number.startswith("WJ-")
    case_id = case[0].case_id
    # the e-mail, through the SMTP server
    (rcpts, mail), = inbox.messages
    assert rcpts == ["zhang@yjj.example.gov.cn"] and number in mail["Subject"]
    assert f"https://aqb.example.gov.cn/cases/{case_id}" in mail.get_content()
    # the robot: one message for the unit, DingTalk-signed
    (path, body), = robot.requests
    assert body["msgtype"] == "text" and number in body["text"]["content"]
    assert f"https://aqb.example.gov.cn/cases/{case_id}" in body["text"]["content"]
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(path).query)
    stamp, sign = query["timestamp"][0], query["sign"][0]
    expected = base64.b64encode(hmac.new(b"SECdemo", f"{stamp}\nSECdemo".encode(),
                                         hashlib.sha256).digest()).decode()
    assert sign == expected and query["access_token"] == ["t0k"]
    # a muted kind goes nowhere outside the app
    assert delivery.signed_url("https://x/y", None) == "https://x/y"


def test_a_failing_receiver_is_retried_and_logged_without_blocking(app, pages, world, session,
                                                                   receivers):
    broken = receivers(status=500, reply=b"down")
    broken.hold = threading.Event()  # the first call hangs until the request has answered
    app.config.update(NOTIFY_RETRY_DELAYS=[0.1, 0.1])
    session.add(UnitWebhook(department_id=world.dept.id, url=broken.url))
    session.commit()
    resp = _register(pages, world)  # answered while the receiver still holds the first call
    assert resp.status_code == 302 and not broken.hold.is_set()
    wait_for(lambda: broken.requests)
    broken.hold.set()
    row = wait_for(lambda: [r for r in _rows(session) if r.attempts == 3] or None)[0]
    assert row.channel == "webhook" and row.status == "failed"
    assert [e["result"] for e in row.log] == ["failed"] * 3
    assert "HTTP 500" in row.last_error and len(broken.requests) == 3
    log = pages("office_staff").get("/deliveries")
    assert log.status_code == 200 and "发送失败" in log.text and "HTTP 500" in log.text
    assert "access_token" not in log.text  # the robot's token stays out of the page
    assert pages("dept_officer").get("/deliveries").status_code == 403


def test_robot_errcode_is_a_failure(app, session, world, receivers):
    robot = receivers(reply=b'{"errcode":310000,"errmsg":"sign not match"}')
    row = MessageDelivery(channel="webhook", target=robot.url, kind="assigned", subject="s",
                          body="b", link="/cases/1", status="pending", attempts=0)
    session.add(row)
    session.commit()
    delivery.attempt(session, row.id, delivery.Transport())
    session.commit()
    assert row.status == "failed" and "310000" in row.last_error


def test_pending_messages_of_the_sweep_go_out_from_the_command_line(app, world, session, runner,
                                                                    smtp_server):
    controller, inbox = smtp_server
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=controller.port)
    delivery.set_preferences(session, world.users["dept_head"], email="head@example.gov.cn",
                             muted=set(), kinds={"assigned"})
    session.commit()
    world.case_at("assigned")  # the domain queues the e-mail; no request sends it
    session.rollback()
    result = runner.invoke(args=["messages", "send"])
    assert result.exit_code == 0 and "已发送 1 条" in result.output
    (rcpts, mail), = inbox.messages
    assert rcpts == ["head@example.gov.cn"] and "新交办" in mail["Subject"]

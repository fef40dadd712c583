"""Messages out of the app: e-mail over SMTP and a 政务钉钉/企业微信 group robot.

Each in-app notification a user has not muted becomes one delivery row per channel
(``message_deliveries``): an e-mail to the user's address, and one robot message per
webhook (the unit's own robot, else the district's ``NOTIFY_WEBHOOK_URL``) however
many of the unit's users it concerns. The rows are written in the same transaction
as the notification; a background job (RQ, or a thread without Redis) sends each,
retrying with a delay, and every attempt is logged on the row. Sending never runs in
the request that caused the message.

The robot body is the text message both robots accept,
``{"msgtype": "text", "text": {"content": …}}``; with a secret the URL is signed as
DingTalk signs it: ``timestamp`` (ms) and ``sign`` = base64(HMAC-SHA256(secret,
"{timestamp}\\n{secret}")), URL-encoded. A reply ``{"errcode": n}`` other than 0 is a
failure like an HTTP error.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import smtplib
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import formataddr

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from workflow.org.models import User
from workflow.platform.base import Base, iso_utc, utcnow
from workflow.platform.errors import InvalidInput

CHANNELS = {"email": "电子邮件", "webhook": "工作群机器人"}
STATUSES = {"pending": "待发送", "sent": "已送达", "failed": "发送失败"}
MAX_ERROR = 500


class MessageSettings(Base):
    """A user's e-mail address and the kinds of message they do not want outside the app."""

    __tablename__ = "message_settings"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         primary_key=True)
    email: Mapped[str | None] = mapped_column(String(200))
    muted_json: Mapped[str | None] = mapped_column(Text)  # JSON list of notification kinds

    @property
    def muted(self) -> set[str]:
        return set(json.loads(self.muted_json)) if self.muted_json else set()


class UnitWebhook(Base):
    """A unit's own group robot (政务钉钉/企业微信); units without one use the district's."""

    __tablename__ = "unit_webhooks"

    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id", ondelete="CASCADE"),
                                               primary_key=True)
    url: Mapped[str] = mapped_column(String(500))
    secret: Mapped[str | None] = mapped_column(String(200))


class MessageDelivery(Base):
    """One message on its way out, and the log of every attempt to send it."""

    __tablename__ = "message_deliveries"

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(10))
    target: Mapped[str] = mapped_column(String(500))  # address, or the robot URL (unsigned)
    secret: Mapped[str | None] = mapped_column(String(200))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("departments.id", ondelete="SET NULL"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="SET NULL"),
                                                index=True)
    kind: Mapped[str] = mapped_column(String(20))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str | None] = mapped_column(String(300))  # path in the app, e.g. /cases/7
    status: Mapped[str] = mapped_column(String(10), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    log_json: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime)

    @property
    def log(self) -> list[dict]:
        return json.loads(self.log_json) if self.log_json else []

    def to_dict(self) -> dict:
        return {"id": self.id, "channel": self.channel, "channel_label": CHANNELS[self.channel],
                "target": mask_target(self.channel, self.target), "kind": self.kind,
                "case_id": self.case_id, "subject": self.subject, "status": self.status,
                "status_label": STATUSES[self.status], "attempts": self.attempts,
                "last_error": self.last_error, "log": self.log,
                "created_at": iso_utc(self.created_at), "sent_at": iso_utc(self.sent_at)}


def mask_target(channel: str, target: str) -> str:
    """A robot URL carries its access token: show the host only."""
    if channel == "webhook":
        parts = urllib.parse.urlsplit(target)
        return f"{parts.scheme}://{parts.netloc}{parts.path}"
    return target


@dataclass(frozen=True)
class Outbox:
    """Where messages go: the district robot, if any (from the deployment's settings)."""

    webhook_url: str | None = None
    webhook_secret: str | None = None


def queue_for(session: Session, user_ids, kind: str, title: str, body: str, *,
              case_id: int | None, outbox: Outbox | None = None) -> list[MessageDelivery]:
    """The delivery rows of one notification sent to ``user_ids`` (in the caller's transaction)."""
    return queue_many(session, [(user_ids, kind, title, body, case_id)], outbox=outbox)


def queue_many(session: Session, notices, *, outbox: Outbox | None = None) -> list[MessageDelivery]:
    """The delivery rows of many notifications ``(user_ids, kind, title, body, case_id)`` at
    once (a bulk import): the users, their settings and the unit robots are read once."""
    outbox = outbox or session.info.get("outbox") or Outbox()
    notices = [(list(ids), kind, title, body, case_id)
               for ids, kind, title, body, case_id in notices if ids]
    every = {u for ids, *_ in notices for u in ids}
    if not every:
        return []
    users = {u.id: u for u in session.scalars(select(User).where(User.id.in_(every)))}
    prefs = {p.user_id: p for p in session.scalars(select(MessageSettings).where(
        MessageSettings.user_id.in_(every)))}
    hooks = {h.department_id: h for h in session.scalars(select(UnitWebhook))}
    rows: list[MessageDelivery] = []
    for ids, kind, title, body, case_id in notices:
        link = f"/cases/{case_id}" if case_id else "/notifications"
        robots: dict[str, tuple[str | None, int | None]] = {}
        for user in (users[u] for u in dict.fromkeys(ids) if u in users):
            pref = prefs.get(user.id)
            if pref is not None and kind in pref.muted:
                continue
            if pref is not None and pref.email:
                rows.append(MessageDelivery(channel="email", target=pref.email, user_id=user.id,
                                            department_id=user.department_id, case_id=case_id,
                                            kind=kind, subject=title[:200], body=body, link=link))
            hook = hooks.get(user.department_id) if user.department_id else None
            if hook is not None:
                robots.setdefault(hook.url, (hook.secret, user.department_id))
            elif outbox.webhook_url:
                robots.setdefault(outbox.webhook_url, (outbox.webhook_secret, None))
        for url, (secret, dept_id) in robots.items():
            rows.append(MessageDelivery(channel="webhook", target=url, secret=secret,
                                        department_id=dept_id, case_id=case_id, kind=kind,
                                        subject=title[:200], body=body, link=link))
    session.add_all(rows)
    if rows:
        session.info.setdefault("new_deliveries", []).extend(rows)
    return rows


def set_preferences(session: Session, user: User, *, email: str | None,
                    muted: set[str], kinds) -> MessageSettings:
    """The user's own address and muted kinds (every other kind reaches them)."""
    email = (email or "").strip() or None
    if email is not None and (len(email) > 200 or "@" not in email or " " in email
                              or email.startswith("@") or email.endswith("@")):
        raise InvalidInput("电子邮箱格式不正确", field="email")
    unknown = set(muted) - set(kinds)
    if unknown:
        raise InvalidInput("未知的消息类别", field="muted")
    pref = session.get(MessageSettings, user.id)
    if pref is None:
        pref = MessageSettings(user_id=user.id)
        session.add(pref)
    pref.email = email
    pref.muted_json = json.dumps(sorted(muted)) if muted else None
    session.flush()
    return pref


def set_unit_webhook(session: Session, department_id: int, url: str | None,
                     secret: str | None) -> UnitWebhook | None:
    url = (url or "").strip()
    hook = session.get(UnitWebhook, department_id)
    if not url:
        if hook is not None:
            session.delete(hook)
        session.flush()
        return None
    if not url.startswith(("https://", "http://")) or len(url) > 500:
        raise InvalidInput("机器人地址须为 http(s):// 开头的网址", field="webhook_url")
    if hook is None:
        hook = UnitWebhook(department_id=department_id, url=url)
        session.add(hook)
    hook.url, hook.secret = url, (secret or "").strip() or None
    session.flush()
    return hook


# --- sending ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class Transport:
    """How to reach the outside: SMTP server, sender, the app's public address, timeouts."""

    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_from: str = "safeloop@localhost"
    public_url: str = "http://127.0.0.1:5000"
    timeout: float = 10.0


def text_of(row: MessageDelivery, public_url: str) -> str:
    link = public_url.rstrip("/") + (row.link or "")
    return f"【安全生产闭环督办】{row.subject}\n{row.body}\n办理：{link}".strip()


def signed_url(url: str, secret: str | None, now_ms: int | None = None) -> str:
    """DingTalk's signature: timestamp and base64(HMAC-SHA256) of "timestamp\\nsecret"."""
    if not secret:
        return url
    stamp = str(now_ms if now_ms is not None else int(time.time() * 1000))
    digest = hmac.new(secret.encode(), f"{stamp}\n{secret}".encode(), hashlib.sha256).digest()
    sign = urllib.parse.quote_plus(base64.b64encode(digest))
    return f"{url}{'&' if '?' in url else '?'}timestamp={stamp}&sign={sign}"


def _send_email(row: MessageDelivery, transport: Transport) -> None:
    if not transport.smtp_host:
        raise RuntimeError("未配置邮件服务器（SMTP_HOST）")
    msg = EmailMessage()
    msg["Subject"] = row.subject
    msg["From"] = formataddr(("安全生产闭环督办", transport.smtp_from))
    msg["To"] = row.target
    msg.set_content(text_of(row, transport.public_url))
    with smtplib.SMTP(transport.smtp_host, transport.smtp_port, timeout=transport.timeout) as smtp:
        smtp.send_message(msg)


def _send_webhook(row: MessageDelivery, transport: Transport) -> None:
    body = json.dumps({"msgtype": "text", "text": {"content": text_of(row, transport.public_url)}},
                      ensure_ascii=False).encode()
    request = urllib.request.Request(signed_url(row.target, row.secret), data=body, method="POST",
                                     headers={"Content-Type": "application/json; charset=utf-8"})
    with urllib.request.urlopen(request, timeout=transport.timeout) as resp:  # noqa: S310
        reply = resp.read(65536)
    try:
        answer = json.loads(reply or b"{}")
    except ValueError:
        answer = {}
    if isinstance(answer, dict) and answer.get("errcode") not in (None, 0):
        raise RuntimeError(f"机器人拒收：errcode {answer.get('errcode')} {answer.get('errmsg', '')}")


def attempt(session: Session, delivery_id: int, transport: Transport,
            now: datetime | None = None) -> MessageDelivery | None:
    """One try at sending one delivery; the outcome is logged on the row (caller commits)."""
    row = session.get(MessageDelivery, delivery_id)
    if row is None or row.status == "sent":
        return row
    now = now or utcnow()
    row.attempts = (row.attempts or 0) + 1
    entry = {"at": iso_utc(now), "attempt": row.attempts}
    try:
        (_send_email if row.channel == "email" else _send_webhook)(row, transport)
    except (OSError, smtplib.SMTPException, urllib.error.URLError, RuntimeError,
            ValueError) as exc:
        detail = str(exc) or exc.__class__.__name__
        if isinstance(exc, urllib.error.HTTPError):
            detail = f"HTTP {exc.code} {exc.reason}"
        row.status, row.last_error = "failed", detail[:MAX_ERROR]
        entry.update(result="failed", error=detail[:MAX_ERROR])
    else:
        row.status, row.sent_at, row.last_error = "sent", now, None
        entry["result"] = "sent"
    row.log_json = json.dumps(row.log + [entry], ensure_ascii=False)
    session.flush()
    return row


def pending_ids(session: Session, limit: int = 500) -> list[int]:
    return list(session.scalars(select(MessageDelivery.id).where(
        MessageDelivery.status == "pending").order_by(MessageDelivery.id).limit(limit)))


def recent(session: Session, limit: int = 200) -> list[MessageDelivery]:
    return list(session.scalars(select(MessageDelivery).order_by(MessageDelivery.id.desc())
                                .limit(limit)))

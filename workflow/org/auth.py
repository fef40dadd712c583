"""Passwords (scrypt), API tokens (stored hashed) and login throttling."""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from workflow.org.models import ApiToken, LoginFailure, User
from workflow.org.names import check_names_free, clean_display_name, clean_username
from workflow.org.roles import DEPARTMENT_ROLES, ROLES
from workflow.platform.base import to_local, utcnow
from workflow.platform.errors import DomainError, InvalidInput

# A hash to compare against when the user does not exist, so timing does not tell.
_DUMMY_HASH = generate_password_hash("not-a-password", method="scrypt")
MIN_PASSWORD = 8


class Throttled(DomainError):
    status = 429
    code = "throttled"

    def __init__(self, until: datetime):
        local = to_local(until)
        minutes = max(1, int((until - utcnow()).total_seconds() // 60) + 1)
        super().__init__(f"登录失败次数过多，请于 {local:%H:%M} 后（约 {minutes} 分钟）再试",
                         retry_after=int(max(1, (until - utcnow()).total_seconds())),
                         until=local.isoformat(timespec="minutes"))
        self.until = until


class BadCredentials(DomainError):
    status = 401
    code = "bad_credentials"


@dataclass
class ThrottleSettings:
    max_failures: int = 5
    window_seconds: int = 900
    lock_seconds: int = 900
    max_failures_per_address: int = 20

    @classmethod
    def from_config(cls, config) -> ThrottleSettings:
        return cls(config["LOGIN_MAX_FAILURES"], config["LOGIN_WINDOW_SECONDS"],
                   config["LOGIN_LOCK_SECONDS"], config["LOGIN_MAX_FAILURES_PER_ADDRESS"])


def hash_password(password: str) -> str:
    return generate_password_hash(password, method="scrypt")


def check_password_strength(password: str) -> None:
    if not password or len(password) < MIN_PASSWORD:
        raise InvalidInput(f"密码至少 {MIN_PASSWORD} 位", field="password")


def _locked_until(session: Session, column, value: str, limit: int, ts: ThrottleSettings,
                  now: datetime) -> datetime | None:
    since = now - timedelta(seconds=ts.window_seconds)
    count, last = session.execute(
        select(func.count(), func.max(LoginFailure.at)).where(column == value, LoginFailure.at >= since)
    ).one()
    if count >= limit and last is not None:
        until = last + timedelta(seconds=ts.lock_seconds)
        if until > now:
            return until
    return None


def authenticate(session: Session, username: str, password: str, address: str,
                 ts: ThrottleSettings, now: datetime | None = None) -> User:
    """Check a login; raise Throttled or BadCredentials. Records failures (caller commits)."""
    now = now or utcnow()
    username = (username or "").strip()
    address = (address or "unknown")[:64]
    for column, value, limit in ((LoginFailure.username, username, ts.max_failures),
                                 (LoginFailure.address, address, ts.max_failures_per_address)):
        until = _locked_until(session, column, value, limit, ts, now)
        if until:
            raise Throttled(until)
    user = session.scalar(select(User).where(User.username == username)) if username else None
    ok = check_password_hash(user.password_hash if user else _DUMMY_HASH, password or "")
    if not (user and ok and user.active):
        session.add(LoginFailure(username=username[:80], address=address, at=now))
        session.flush()
        raise BadCredentials("用户名或密码错误")
    session.execute(delete(LoginFailure).where(LoginFailure.username == username))
    return user


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(session: Session, user: User, days: int, now: datetime | None = None) -> str:
    """Create an API token; only its hash is kept, the caller shows it once."""
    now = now or utcnow()
    token = "sl_" + secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, token_hash=_token_hash(token), created_at=now,
                         expires_at=now + timedelta(days=days)))
    session.flush()
    return token


def user_for_token(session: Session, token: str, now: datetime | None = None) -> User | None:
    now = now or utcnow()
    row = session.scalar(select(ApiToken).where(ApiToken.token_hash == _token_hash(token)))
    if row is None or row.revoked or row.expires_at <= now or not row.user.active:
        return None
    return row.user


def create_user(session: Session, username: str, role: str, password: str, *,
                display_name: str | None = None, department=None) -> User:
    """Add a user; refuses unknown roles, duplicate names and weak passwords."""
    username = clean_username(username or "")
    display_name = clean_display_name(display_name) or username
    if role not in ROLES:
        raise InvalidInput(f"未知角色“{role}”；可选：{', '.join(ROLES)}", field="role")
    if role in DEPARTMENT_ROLES and department is None:
        raise InvalidInput("部门用户须指定所属部门", field="department")
    check_names_free(session, username=username, display_name=display_name)
    check_password_strength(password)
    user = User(username=username, display_name=display_name, role=role,
                department=department, password_hash=hash_password(password))
    session.add(user)
    session.flush()
    return user

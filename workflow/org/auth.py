"""Passwords (scrypt), API tokens (stored hashed), the credentials epoch and login throttling.

Throttling is kept in the database (``login_failures``), so every web worker and the API see
the same count without Redis, and it survives a restart. A lock is per user name *and*
address: a stranger's failures from another machine cannot lock the director out. Each
failure after the first lock (within a day) doubles the lock, up to a day.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from workflow.org.models import ApiToken, LoginFailure, User
from workflow.org.names import check_names_free, clean_display_name, clean_username
from workflow.org.passwords import MAX_LENGTH, check_policy
from workflow.org.roles import DEPARTMENT_ROLES, ROLES
from workflow.platform.base import to_local, utcnow
from workflow.platform.errors import DomainError, InvalidInput

# A hash to compare against when the user does not exist, so timing does not tell.
_DUMMY_HASH = generate_password_hash("not-a-password", method="scrypt")
# Failures older than this no longer raise the back-off; also the longest lock.
BACKOFF_MEMORY = timedelta(days=1)


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


def check_password_strength(password: str, *, username: str | None = None,
                            current_hash: str | None = None, field: str = "password") -> None:
    """The password policy (``org.passwords``); ``current_hash`` refuses keeping the old one."""
    is_current = (lambda p: check_password_hash(current_hash, p)) if current_hash else None
    check_policy(password, username=username, is_current=is_current, field=field)


def lock_until(session: Session, username: str, address: str, ts: ThrottleSettings,
               now: datetime | None = None) -> datetime | None:
    """When the pair (user name, address), or the address as a whole, may try again; None: now."""
    now = now or utcnow()
    pair = session.scalars(
        select(LoginFailure.at).where(LoginFailure.username == username[:80],
                                      LoginFailure.address == address,
                                      LoginFailure.at >= now - BACKOFF_MEMORY)
        .order_by(LoginFailure.at)).all()
    until = _backoff(pair, ts)
    since = now - timedelta(seconds=ts.window_seconds)
    count, last = session.execute(
        select(func.count(), func.max(LoginFailure.at))
        .where(LoginFailure.address == address, LoginFailure.at >= since)).one()
    if count >= ts.max_failures_per_address and last is not None:
        by_address = last + timedelta(seconds=ts.lock_seconds)
        until = max(until, by_address) if until else by_address
    return until if until and until > now else None


def _backoff(times: list[datetime], ts: ThrottleSettings) -> datetime | None:
    """Replay the failures: ``max_failures`` inside the window lock for ``lock_seconds``;
    every failure after a lock has run out locks again for twice as long (at most a day)."""
    window = timedelta(seconds=ts.window_seconds)
    level, until = 0, None
    for i, at in enumerate(times):
        if level == 0:
            recent = sum(1 for t in times[:i + 1] if t > at - window)
            if recent >= ts.max_failures:
                level = 1
        else:
            level += 1
        if level:
            lock = timedelta(seconds=ts.lock_seconds * 2 ** min(level - 1, 16))
            until = at + min(lock, BACKOFF_MEMORY)
    return until


def record_failure(session: Session, username: str, address: str, now: datetime | None = None) -> None:
    session.add(LoginFailure(username=username[:80], address=address, at=now or utcnow()))
    session.flush()


def clean_address(address: str | None) -> str:
    return (address or "unknown")[:64]


def authenticate(session: Session, username: str, password: str, address: str,
                 ts: ThrottleSettings, now: datetime | None = None) -> User:
    """Check a login; raise Throttled or BadCredentials. Records failures (caller commits)."""
    now = now or utcnow()
    username = (username or "").strip()
    address = clean_address(address)
    until = lock_until(session, username, address, ts, now)
    if until:
        raise Throttled(until)
    user = session.scalar(select(User).where(User.username == username)) if username else None
    # an over-long password is never valid: do not spend scrypt on megabytes
    ok = len(password or "") <= MAX_LENGTH and check_password_hash(
        user.password_hash if user else _DUMMY_HASH, password or "")
    if not (user and ok and user.active):
        record_failure(session, username, address, now)
        raise BadCredentials("用户名或密码错误")
    session.execute(delete(LoginFailure).where(LoginFailure.username == username,
                                               LoginFailure.address == address))
    return user


def check_current_password(session: Session, user: User, password: str, address: str,
                           ts: ThrottleSettings, now: datetime | None = None) -> None:
    """Re-check the signed-in user's password (the change form) through the login limiter."""
    now = now or utcnow()
    address = clean_address(address)
    until = lock_until(session, user.username, address, ts, now)
    if until:
        raise Throttled(until)
    password = password or ""
    if len(password) > MAX_LENGTH or not check_password_hash(user.password_hash, password):
        record_failure(session, user.username, address, now)
        raise BadCredentials("当前密码不正确", field="current")


def end_credentials(user: User) -> None:
    """End every browser session and API token of ``user`` (caller flushes/commits)."""
    user.credentials_epoch = (user.credentials_epoch or 0) + 1


def change_password(session: Session, user: User, new_password: str) -> None:
    """Set a new password under the policy; every older session and token ends."""
    check_password_strength(new_password, username=user.username, current_hash=user.password_hash)
    user.password_hash = hash_password(new_password)
    end_credentials(user)
    session.flush()


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(session: Session, user: User, days: int, now: datetime | None = None,
                name: str | None = None) -> str:
    """Create an API token; only its hash is kept, the caller shows it once."""
    now = now or utcnow()
    token = "sl_" + secrets.token_urlsafe(32)
    session.add(ApiToken(user_id=user.id, token_hash=_token_hash(token), created_at=now,
                         expires_at=now + timedelta(days=days), epoch=user.credentials_epoch or 0,
                         name=name, prefix=token[:10]))
    session.flush()
    return token


def live_token(session: Session, token: str, now: datetime | None = None) -> ApiToken | None:
    """The token row if it still works: not revoked, not expired, its owner active and
    not re-credentialed since (a reactivated account does not revive old tokens)."""
    now = now or utcnow()
    # the owner in the same statement: every API request reads both
    row = session.scalar(select(ApiToken).options(joinedload(ApiToken.user))
                         .where(ApiToken.token_hash == _token_hash(token)))
    if (row is None or row.revoked or row.expires_at <= now or not row.user.active
            or row.epoch != (row.user.credentials_epoch or 0)):
        return None
    return row


def user_for_token(session: Session, token: str, now: datetime | None = None) -> User | None:
    row = live_token(session, token, now)
    return row.user if row else None


def live_tokens_of(session: Session, user: User, now: datetime | None = None) -> list[ApiToken]:
    """The tokens of ``user`` that still work, newest first."""
    now = now or utcnow()
    return list(session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked.is_(False),
                               ApiToken.expires_at > now,
                               ApiToken.epoch == (user.credentials_epoch or 0))
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())))


def revoke_token(session: Session, row: ApiToken) -> None:
    row.revoked = True
    session.flush()


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
    check_password_strength(password, username=username)
    user = User(username=username, display_name=display_name, role=role,
                department=department, password_hash=hash_password(password))
    session.add(user)
    session.flush()
    return user

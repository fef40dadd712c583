"""Settings read from the environment.

Every value a deployment may change lives here; the domain core receives the
values it needs as plain arguments or through ``Settings``.
"""
from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


class Config:
    """Defaults for development: SQLite under ``instance/``."""

    INSTANCE_DIR = Path(os.environ.get("SAFELOOP_INSTANCE", ROOT / "instance"))
    DATABASE_URL = os.environ.get("DATABASE_URL") or f"sqlite:///{INSTANCE_DIR / 'safeloop.db'}"
    SECRET_KEY = os.environ.get("SECRET_KEY") or None  # filled from instance/secret_key
    STORAGE_DIR = os.environ.get("STORAGE_DIR") or str(INSTANCE_DIR / "storage")
    REDIS_URL = os.environ.get("REDIS_URL") or None
    REGION_PREFIX = os.environ.get("REGION_PREFIX", "WJ")
    # Printed records: the issuing office, where batch exports go, the RQ queue name
    RECORDS_ISSUER = os.environ.get("RECORDS_ISSUER", "常州市武进区安全生产委员会办公室")
    EXPORT_DIR = os.environ.get("EXPORT_DIR") or None  # default: beside STORAGE_DIR
    RQ_QUEUE = os.environ.get("RQ_QUEUE", "safeloop")
    # 机关代字 of 挂牌督办/摘牌 文号: 武安委办〔2026〕3号 (GB/T 9704)
    LISTING_ISSUER_CODE = os.environ.get("LISTING_ISSUER_CODE", "武安委办")
    TIMEZONE = "Asia/Shanghai"

    # Evidence uploads
    MAX_UPLOAD_BYTES = _int("MAX_UPLOAD_BYTES", 20 * 1024 * 1024)
    MAX_CONTENT_LENGTH = MAX_UPLOAD_BYTES + 64 * 1024 * 20  # several files per request
    # 以图销号: an "after" photo within this many bits (of 64, pHash) of another is flagged
    PHOTO_MATCH_DISTANCE = _int("PHOTO_MATCH_DISTANCE", 6)

    # Login throttling: failures allowed inside the window before a lock
    LOGIN_MAX_FAILURES = _int("LOGIN_MAX_FAILURES", 5)
    LOGIN_WINDOW_SECONDS = _int("LOGIN_WINDOW_SECONDS", 15 * 60)
    LOGIN_LOCK_SECONDS = _int("LOGIN_LOCK_SECONDS", 15 * 60)
    LOGIN_MAX_FAILURES_PER_ADDRESS = _int("LOGIN_MAX_FAILURES_PER_ADDRESS", 20)
    TOKEN_DAYS = _int("TOKEN_DAYS", 30)
    # Browser sessions end after this long without a request, and this long after login
    SESSION_IDLE_SECONDS = _int("SESSION_IDLE_SECONDS", 30 * 60)
    SESSION_ABSOLUTE_SECONDS = _int("SESSION_ABSOLUTE_SECONDS", 12 * 3600)
    PERMANENT_SESSION_LIFETIME = timedelta(seconds=SESSION_ABSOLUTE_SECONDS)
    # Security events as JSON lines: a file path, or "-" for standard error
    SECURITY_LOG = os.environ.get("SECURITY_LOG") or str(INSTANCE_DIR / "security.log")
    # Reverse proxies in front of the app whose X-Forwarded-For/-Proto are trusted (0: none)
    TRUSTED_PROXY_COUNT = _int("TRUSTED_PROXY_COUNT", 0)

    # Audit chain key (HMAC-SHA256), kept outside the database: AUDIT_KEY, else generated once
    # into instance/audit_key. After a rotation the former keys go in AUDIT_OLD_KEYS (comma
    # separated) so older events keep verifying. AUDIT_KEYED_SINCE (UTC ISO time): unkeyed
    # events dated later are breaks. DB_APP_ROLE: the PostgreSQL role the app runs as; the
    # migration then grants it only SELECT and INSERT on audit_events.
    AUDIT_KEY = os.environ.get("AUDIT_KEY") or None
    AUDIT_OLD_KEYS = [k for k in os.environ.get("AUDIT_OLD_KEYS", "").split(",") if k.strip()]
    AUDIT_KEYED_SINCE = os.environ.get("AUDIT_KEYED_SINCE") or None

    # Time rules (working days / calendar days), see the domain brief §6
    REMIND_WORKING_DAYS = (3, 1)
    ESCALATE_URGE_DAYS = _int("ESCALATE_URGE_DAYS", 1)
    ESCALATE_SUPERVISE_DAYS = _int("ESCALATE_SUPERVISE_DAYS", 7)
    ESCALATE_INTERVIEW_DAYS = _int("ESCALATE_INTERVIEW_DAYS", 30)
    ACCEPT_WORKING_DAYS = _int("ACCEPT_WORKING_DAYS", 2)
    LOOKBACK_DAYS = _int("LOOKBACK_DAYS", 365)
    COMPLAINT_ACCEPT_WORKING_DAYS = _int("COMPLAINT_ACCEPT_WORKING_DAYS", 5)
    # 立行立改 in a problem list: this many working days after the 交办日期 (or today)
    IMMEDIATE_WORKING_DAYS = _int("IMMEDIATE_WORKING_DAYS", 5)

    # 季度点评 / 年度考核: weight of each figure in a department's score (0 leaves it out);
    # 退回率 and 延期率 count as 1 − rate. See workflow/kpis.py::rank.
    KPI_WEIGHTS = {"rectification_rate": 30, "on_time_rate": 25, "major_rectification_rate": 15,
                   "accept_on_time_rate": 10, "return_rate": 10, "extension_rate": 5,
                   "task_completion_rate": 5}
    IMPORT_MAX_ROWS = _int("IMPORT_MAX_ROWS", 5000)
    # Import bombs: checked on the zip directory and a streaming scan before any reading
    # (workflow/platform/office_limits.py)
    IMPORT_MAX_SHEET_ROWS = _int("IMPORT_MAX_SHEET_ROWS", 20000)
    IMPORT_MAX_COLUMNS = _int("IMPORT_MAX_COLUMNS", 100)
    IMPORT_MAX_CELLS = _int("IMPORT_MAX_CELLS", 500_000)
    IMPORT_MAX_MERGED = _int("IMPORT_MAX_MERGED", 10_000)
    IMPORT_MAX_PART_BYTES = _int("IMPORT_MAX_PART_BYTES", 32 * 1024 * 1024)
    IMPORT_MAX_UNPACKED_BYTES = _int("IMPORT_MAX_UNPACKED_BYTES", 100 * 1024 * 1024)
    IMPORT_MAX_RATIO = _int("IMPORT_MAX_RATIO", 100)
    IMPORT_MAX_SECONDS = float(os.environ.get("IMPORT_MAX_SECONDS", 60))
    # Evidence images: refused by their header past these (workflow/core/images.py)
    EVIDENCE_MAX_PIXELS = _int("EVIDENCE_MAX_PIXELS", 50_000_000)
    EVIDENCE_MAX_IMAGE_SIDE = _int("EVIDENCE_MAX_IMAGE_SIDE", 16384)
    # 记录核验: most chain stamps checked in one uploaded PDF, most pages read for stamps
    # when the PDF lost its metadata
    VERIFY_MAX_STAMPS = _int("VERIFY_MAX_STAMPS", 2000)
    VERIFY_MAX_PAGES = _int("VERIFY_MAX_PAGES", 500)

    # Messages out of the app (workflow/core/delivery.py): e-mail over SMTP, the district's
    # 政务钉钉/企业微信 group robot (units may have their own), retry delays in seconds,
    # the address links in messages point to
    SMTP_HOST = os.environ.get("SMTP_HOST") or None
    SMTP_PORT = _int("SMTP_PORT", 25)
    SMTP_FROM = os.environ.get("SMTP_FROM", "safeloop@localhost")
    NOTIFY_WEBHOOK_URL = os.environ.get("NOTIFY_WEBHOOK_URL") or None
    NOTIFY_WEBHOOK_SECRET = os.environ.get("NOTIFY_WEBHOOK_SECRET") or None
    NOTIFY_RETRY_DELAYS = [float(x) for x in
                           os.environ.get("NOTIFY_RETRY_DELAYS", "30,120,600").split(",") if x]
    PUBLIC_URL = os.environ.get("PUBLIC_URL", "http://127.0.0.1:5000")
    # 考核看板: a unit's 逾期率 at or above these (percent) is shown red / amber
    DASHBOARD_RED_PERCENT = _int("DASHBOARD_RED_PERCENT", 20)
    DASHBOARD_AMBER_PERCENT = _int("DASHBOARD_AMBER_PERCENT", 10)
    # 考核看板 and GET /api/v1/kpis: figures a worker computed are kept this many seconds
    # for the same viewer's role and unit and the same question (0: computed every time)
    DASHBOARD_CACHE_SECONDS = _int("DASHBOARD_CACHE_SECONDS", 60)
    # closure reports rendered before, kept on disk by what decides their bytes (0: off);
    # RECORD_CACHE_DIR defaults to record-cache beside STORAGE_DIR
    RECORD_CACHE_MB = _int("RECORD_CACHE_MB", 256)
    RECORD_CACHE_DIR = os.environ.get("RECORD_CACHE_DIR") or None
    # 督办措施: 机关代字 of each kind's 文号 (武安委办督〔2026〕3号), the 反馈时限 of a 督办函 and
    # the 落实报告 limit after a 约谈 (working days), 考核 points (negative: 扣分)
    MEASURE_CODES = {
        "letter": os.environ.get("MEASURE_CODE_LETTER", "武安委办督"),
        "interview": os.environ.get("MEASURE_CODE_INTERVIEW", "武安委办约"),
        "bulletin": os.environ.get("MEASURE_CODE_BULLETIN", "武安委办通"),
        "referral": os.environ.get("MEASURE_CODE_REFERRAL", "武安委办移"),
    }
    LETTER_REPLY_WORKING_DAYS = _int("LETTER_REPLY_WORKING_DAYS", 5)
    INTERVIEW_REPORT_WORKING_DAYS = _int("INTERVIEW_REPORT_WORKING_DAYS", 5)
    MEASURE_POINTS = {"criticism": -2.0, "commendation": 1.0, "letter_overdue": -1.0,
                      "report_overdue": -1.0}

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    # Cookies are Secure (and HSTS is sent) unless the app runs in debug or testing, or
    # INSECURE_COOKIES=1 says it is served over plain http (`make run` on 127.0.0.1);
    # SESSION_COOKIE_SECURE=0/1 set explicitly wins. Resolved in create_app.
    SESSION_COOKIE_SECURE = (os.environ["SESSION_COOKIE_SECURE"] == "1"
                             if os.environ.get("SESSION_COOKIE_SECURE") else None)
    INSECURE_COOKIES = os.environ.get("INSECURE_COOKIES", "0") == "1"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    HSTS_SECONDS = _int("HSTS_SECONDS", 365 * 24 * 3600)
    WTF_CSRF_TIME_LIMIT = None
    JSON_AS_ASCII = False
    TESTING = False


def load_secret_key(instance_dir: Path) -> str:
    """Return a stable secret key stored in the instance folder (created once)."""
    instance_dir.mkdir(parents=True, exist_ok=True)
    path = instance_dir / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()

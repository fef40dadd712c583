"""Health and readiness for the production stack, and 503 while a backing service is down.

``GET /healthz``: 200 ``{"status": "ok", "database", "redis", "queue", "last_sweep"}`` when
every part answers, 503 with ``"down": [...]`` naming the parts that do not. ``GET /readyz``:
200 once this process can serve (the database answers and its schema is the code's), 503
otherwise — a proxy or a process manager routes traffic by it. Neither needs a login nor
says anything a caller could use against the system.

While PostgreSQL restarts or Redis is stopped, a request that needs them answers 503 with a
Chinese message and ``Retry-After``; the pool (``pool_pre_ping``) and Redis reconnect on the
next request, so the stack recovers without a restart.
"""
from __future__ import annotations

import time
from datetime import timedelta

from flask import current_app, jsonify, make_response
from markupsafe import escape
from sqlalchemy import exc as sa_exc
from sqlalchemy import text

from blueprints.errors import respond_error, wants_json
from blueprints.extensions import db
from workflow.platform.base import iso_utc, utcnow
from workflow.platform.db import reset_read_only, set_read_only
from workflow.problems.sweep_runs import last_run

# The sweep runs daily (deploy/rq_cron.py): older than this and reminders are being missed
SWEEP_MAX_AGE = timedelta(hours=26)
PROBE_TIMEOUT = 2  # seconds for each probe: a health check must answer while parts hang

DB_DOWN = "数据库暂时不可用（可能正在重启或维护），请稍后重试；如持续出现请联系系统管理员"
QUEUE_DOWN = "后台任务队列（Redis）暂时不可用，请稍后重试；如持续出现请联系系统管理员"


def _redis():
    url = current_app.config.get("REDIS_URL")
    if not url:
        return None
    from redis import Redis  # deferred: only deployments with REDIS_URL load it

    return Redis.from_url(url, socket_connect_timeout=PROBE_TIMEOUT, socket_timeout=PROBE_TIMEOUT)


def _check_database() -> tuple[dict, object]:
    token = set_read_only(True)
    try:
        with db.engine.connect() as conn:
            started = time.perf_counter()
            conn.execute(text("SELECT 1"))
            ms = round((time.perf_counter() - started) * 1000, 1)
        return {"ok": True, "latency_ms": ms}, None
    except Exception as exc:  # any failure to reach it is "down", named in the answer
        return {"ok": False, "error": type(exc).__name__}, exc
    finally:
        reset_read_only(token)


def _check_redis_and_queue() -> tuple[dict, dict]:
    client = _redis()
    if client is None:
        # without Redis the app runs jobs in a thread: nothing to be down
        return ({"ok": True, "configured": False},
                {"ok": True, "configured": False, "mode": "thread"})
    try:
        client.ping()
    except Exception as exc:
        return ({"ok": False, "configured": True, "error": type(exc).__name__},
                {"ok": False, "configured": True, "error": "redis_down"})
    from rq import Queue, Worker

    name = current_app.config["RQ_QUEUE"]
    try:
        queue = Queue(name, connection=client)
        workers = Worker.count(queue=queue)
        body = {"ok": workers > 0, "configured": True, "name": name, "workers": workers,
                "queued": queue.count, "failed": queue.failed_job_registry.count}
        if not workers:
            body["error"] = "no_worker"
        return {"ok": True, "configured": True}, body
    except Exception as exc:
        return {"ok": True, "configured": True}, {"ok": False, "configured": True,
                                                  "error": type(exc).__name__}


def _check_sweep(database_ok: bool) -> dict:
    if not database_ok:
        return {"ok": False, "error": "database_down", "at": None}
    token = set_read_only(True)
    try:
        row = last_run(db.session)
    except Exception as exc:
        db.session.rollback()
        return {"ok": False, "error": type(exc).__name__, "at": None}
    finally:
        reset_read_only(token)
    if row is None:
        # a new installation has not swept yet: not an outage, but said plainly
        return {"ok": True, "at": None, "today": None, "never_run": True}
    age = utcnow() - row.finished_at
    body = {"ok": age <= SWEEP_MAX_AGE, "at": iso_utc(row.finished_at),
            "today": row.today.isoformat(), "age_hours": round(age.total_seconds() / 3600, 1)}
    if not body["ok"]:
        body["error"] = "stale"
    return body


def _schema_current() -> tuple[bool, str | None]:
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    from workflow.platform.migrate import alembic_config

    head = ScriptDirectory.from_config(alembic_config(db.engine)).get_current_head()
    with db.engine.connect() as conn:
        heads = MigrationContext.configure(conn).get_current_heads()
    return head in heads, head


def register(app) -> None:
    @app.get("/healthz")
    def healthz():
        database, _ = _check_database()
        redis, queue = _check_redis_and_queue()
        sweep = _check_sweep(database["ok"])
        parts = {"database": database, "redis": redis, "queue": queue, "last_sweep": sweep}
        down = [name for name, part in parts.items() if not part["ok"]]
        body = {"status": "ok" if not down else "down", "down": down, **parts,
                "checked_at": iso_utc(utcnow())}
        resp = jsonify(body)
        resp.status_code = 503 if down else 200
        return resp

    @app.get("/readyz")
    def readyz():
        database, _ = _check_database()
        if not database["ok"]:
            return jsonify({"ready": False, "reason": "database_down"}), 503
        try:
            current, head = _schema_current()
        except Exception as exc:
            return jsonify({"ready": False, "reason": type(exc).__name__}), 503
        if not current:
            return jsonify({"ready": False, "reason": "schema_outdated", "expected": head}), 503
        return jsonify({"ready": True, "schema": head})

    def _unavailable(message: str, code: str):
        try:
            db.session.rollback()
        except Exception:  # the connection itself is gone: the pool replaces it
            current_app.logger.warning("rollback after an outage failed", exc_info=True)
        current_app.logger.warning("503 %s", code, exc_info=True)
        headers = {"Retry-After": "5"}
        if wants_json():
            return respond_error(503, {"error": code, "message": message}, headers)
        # no template: the page layout reads the signed-in user, which needs the database
        page = (f'<!doctype html><html lang="zh-CN"><meta charset="utf-8"><title>暂时无法服务</title>'
                f'<h1>暂时无法服务（503）</h1><p>{escape(message)}</p><p><a href="">刷新重试</a></p></html>')
        return make_response(page, 503, {**headers, "Content-Type": "text/html; charset=utf-8"})

    @app.errorhandler(sa_exc.OperationalError)
    @app.errorhandler(sa_exc.InterfaceError)
    @app.errorhandler(sa_exc.DisconnectionError)
    def _database_down(_exc):
        return _unavailable(DB_DOWN, "database_unavailable")

    try:
        from redis import exceptions as redis_exc
    except ImportError:  # pragma: no cover - redis is in requirements.txt
        return

    @app.errorhandler(redis_exc.ConnectionError)
    @app.errorhandler(redis_exc.TimeoutError)
    def _redis_down(_exc):
        return _unavailable(QUEUE_DOWN, "queue_unavailable")

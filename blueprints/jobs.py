"""Background jobs: an RQ worker when REDIS_URL is set, a thread of this process otherwise.

Either way the job opens its own app context and database session; the request
that queued it has committed the job row before it is enqueued. RQ entry points
(dotted paths a queue may hold): ``run_export_job`` and ``scheduled_sweep``.
"""
from __future__ import annotations

import contextlib
import fcntl
import threading
import time
from datetime import date
from pathlib import Path

from flask import Flask, current_app, g, has_app_context, request
from sqlalchemy import inspect as sa_inspect
from sqlalchemy import select

from blueprints.extensions import db, record_cache, storage
from config import Config
from workflow.core.delivery import MessageDelivery, Outbox, Transport, attempt
from workflow.platform.db import make_engine, make_sessionmaker
from workflow.platform.errors import DomainError
from workflow.problems.sweep import SweepSettings, run_sweep
from workflow.records.exports import run_export
from workflow.tasklist.reporting import sweep_reporting

_worker_app: Flask | None = None


def export_dir(app: Flask) -> Path:
    """Where finished zips go: EXPORT_DIR, else ``exports`` beside the evidence store."""
    configured = app.config.get("EXPORT_DIR")
    return Path(configured) if configured else Path(app.config["STORAGE_DIR"]).parent / "exports"


def _queue(app: Flask):
    from redis import Redis  # deferred: Redis and RQ load only where REDIS_URL is set
    from rq import Queue

    return Queue(app.config["RQ_QUEUE"], connection=Redis.from_url(app.config["REDIS_URL"]))


def enqueue_export(app: Flask, job_id: int):
    """Start the export job: on the RQ queue, or in a daemon thread without Redis."""
    if app.config.get("REDIS_URL"):
        return _queue(app).enqueue(run_export_job, job_id, job_timeout=6 * 3600,
                                   result_ttl=3600, failure_ttl=7 * 24 * 3600,
                                   description=f"export {job_id}")
    thread = threading.Thread(target=run_in_app, args=(app, job_id), name=f"export-{job_id}",
                              daemon=True)
    thread.start()
    return thread


class Unavailable(DomainError):
    status = 503
    code = "unavailable"


def start_export(job) -> None:
    """Enqueue a committed job; a queue that cannot be reached fails the job visibly."""
    try:
        enqueue_export(current_app._get_current_object(), job.id)
    except Exception as exc:  # redis.ConnectionError and friends
        current_app.logger.exception("cannot enqueue export %s", job.id)
        job.status, job.error = "failed", "后台任务队列不可用，请稍后重试或联系系统管理员"
        db.session.commit()
        raise Unavailable(job.error) from exc


def run_in_app(app: Flask, job_id: int) -> None:
    """Run one export in a fresh app context with its own session."""
    with app.app_context(), runner_lock(export_dir(app), job_id):
        run_export(db.session, job_id, storage=storage(), export_dir=export_dir(app),
                   issuer=app.config["RECORDS_ISSUER"], cache=record_cache())


# --- an export whose process died ----------------------------------------------------------
# The process running an export holds an flock on ``.export-<id>.lock`` from before it takes
# the job until it ends. The kernel drops the lock when that process dies (SIGKILL, OOM, a
# killed gunicorn worker or RQ work-horse), so a "running" job whose lock is free has no
# runner left: it is marked failed, with a message saying it can simply be exported again.
ABANDONED = "导出中断：处理该任务的进程意外终止（已记录）。请重新提交同样的导出，已生成的部分不会保留。"


def _lock_path(directory: Path, job_id: int) -> Path:
    return Path(directory) / f".export-{int(job_id)}.lock"


@contextlib.contextmanager
def runner_lock(directory: Path, job_id: int):
    try:
        Path(directory).mkdir(parents=True, exist_ok=True)
        fh = open(_lock_path(directory, job_id), "a+b")
    except OSError:  # an unusable export directory: the export itself fails and says why
        yield
        return
    with fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            # the job is done or failed by now: the file goes (a reader finding none reaps
            # nothing), then the lock
            _lock_path(directory, job_id).unlink(missing_ok=True)
            fcntl.flock(fh, fcntl.LOCK_UN)


def _runner_alive(directory: Path, job_id: int) -> bool:
    path = _lock_path(directory, job_id)
    try:
        fh = open(path, "rb")
    except OSError:
        return True  # no lock file: not started under a lock, or already finished; never reaped
    with fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(fh, fcntl.LOCK_UN)
        return False


def reap_abandoned(app: Flask, jobs) -> None:
    """Mark "running" jobs whose runner is gone as failed (in a short write of its own)."""
    from sqlalchemy import update

    from workflow.platform.base import utcnow
    from workflow.platform.db import reset_read_only, set_read_only
    from workflow.records.exports import ExportJob

    dead = [j for j in jobs if j.status == "running" and not _runner_alive(export_dir(app), j.id)]
    if not dead:
        return
    token = set_read_only(False)
    try:
        with db.engine.begin() as conn:
            for job in dead:
                conn.execute(update(ExportJob).where(ExportJob.id == job.id,
                                                     ExportJob.status == "running")
                             .values(status="failed", error=ABANDONED, finished_at=utcnow()))
    finally:
        reset_read_only(token)
    for job in dead:
        app.logger.warning("export job %s abandoned by its runner: marked failed", job.id)
        db.session.refresh(job)


def run_export_job(job_id: int) -> None:
    """The RQ entry point: uses the worker's app (``flask worker``), else builds one."""
    global _worker_app
    if has_app_context():
        app = current_app._get_current_object()
    else:
        if _worker_app is None:
            from blueprints import create_app  # cycle: create_app registers pages that import jobs

            _worker_app = create_app()
        app = _worker_app
    run_in_app(app, job_id)


def scheduled_sweep(database_url: str | None = None, today: str | None = None) -> dict:
    """RQ or cron entry point: run and commit one sweep with the deployment's settings.

    ``rq`` example: ``Queue(connection=redis).enqueue("blueprints.jobs.scheduled_sweep")``.
    """
    engine = make_engine(database_url or Config.DATABASE_URL)
    try:
        with make_sessionmaker(engine)() as session:
            day = date.fromisoformat(today) if today else None
            result = run_sweep(session, today=day, settings=SweepSettings.from_config(Config))
            reports = sweep_reporting(session, today=day)
            session.commit()
        return {**result.to_dict(), "task_reports": reports}
    finally:
        engine.dispose()


def evidence_orphans() -> dict:
    """RQ cron entry point (deploy/rq_cron.py): delete evidence files no row names, older than
    an hour — what an upload killed between its file and its commit leaves behind."""
    from blueprints import create_app  # cycle: create_app registers pages that import jobs
    from workflow.core.storage_check import check_storage

    app = create_app()
    with app.app_context():
        report = check_storage(db.session, storage(), delete_orphans=True)
        db.session.rollback()
    return {"files": report.files, "deleted": report.deleted, "missing": report.missing}


# --- messages out of the app (workflow/core/delivery.py) -----------------------------------
def transport(app: Flask) -> Transport:
    c = app.config
    return Transport(smtp_host=c.get("SMTP_HOST"), smtp_port=int(c.get("SMTP_PORT") or 25),
                     smtp_from=c.get("SMTP_FROM") or "safeloop@localhost",
                     public_url=c.get("PUBLIC_URL") or "http://127.0.0.1:5000")


def outbox(app: Flask) -> Outbox:
    return Outbox(webhook_url=app.config.get("NOTIFY_WEBHOOK_URL"),
                  webhook_secret=app.config.get("NOTIFY_WEBHOOK_SECRET"))


def deliver_with_retries(app: Flask, delivery_id: int) -> None:
    """Thread mode: try, then retry after each of NOTIFY_RETRY_DELAYS; every try is logged."""
    delays = list(app.config.get("NOTIFY_RETRY_DELAYS") or [])
    with app.app_context():
        for wait in [0.0, *delays]:
            if wait:
                time.sleep(wait)
            try:
                row = attempt(db.session, delivery_id, transport(app))
                db.session.commit()
            except Exception:  # the database itself: give up this round, keep the row pending
                db.session.rollback()
                app.logger.exception("delivery %s", delivery_id)
                return
            if row is None or row.status == "sent":
                return


def deliver_job(delivery_id: int) -> str:
    """The RQ entry point: one try; raising makes RQ retry it (``Retry`` set at enqueue)."""
    global _worker_app
    if has_app_context():
        app = current_app._get_current_object()
    else:
        if _worker_app is None:
            from blueprints import create_app  # cycle: create_app registers pages that import jobs

            _worker_app = create_app()
        app = _worker_app
    with app.app_context():
        row = attempt(db.session, delivery_id, transport(app))
        db.session.commit()
        if row is not None and row.status == "failed":
            raise RuntimeError(f"delivery {delivery_id}: {row.last_error}")
        return row.status if row is not None else "missing"


def dispatch(app: Flask, ids: list[int]) -> None:
    """Send committed deliveries in the background: RQ with retries, else one thread each."""
    if not ids:
        return
    if app.config.get("REDIS_URL"):
        from rq import Retry  # deferred like _queue: RQ loads only where REDIS_URL is set

        delays = [int(d) for d in app.config.get("NOTIFY_RETRY_DELAYS") or []]
        queue = _queue(app)
        for delivery_id in ids:
            queue.enqueue(deliver_job, delivery_id, retry=Retry(max=len(delays), interval=delays)
                          if delays else None, description=f"delivery {delivery_id}")
        return
    for delivery_id in ids:
        threading.Thread(target=deliver_with_retries, args=(app, delivery_id),
                         name=f"delivery-{delivery_id}", daemon=True).start()


def register_delivery(app: Flask) -> None:
    """Every request knows the district robot; what it committed is sent after it, never in it."""
    @app.before_request
    def _outbox():
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            db.session.info["outbox"] = outbox(app)

    @app.after_request
    def _dispatch(response):
        session = g.get("db_session")
        rows = session.info.pop("new_deliveries", []) if session is not None else []
        ids = [r.id for r in rows if sa_inspect(r).persistent and r.id is not None]
        if ids:
            try:
                committed = list(db.session.scalars(select(MessageDelivery.id).where(
                    MessageDelivery.id.in_(ids), MessageDelivery.status == "pending")))
                db.session.rollback()  # end the read; the view has committed its work
                dispatch(app, committed)
            except Exception:  # a queue that cannot be reached leaves the rows pending
                app.logger.exception("cannot dispatch deliveries %s", ids)
        return response

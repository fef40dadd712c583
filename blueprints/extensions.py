"""Shared handles: the database, login manager and CSRF protection."""
from __future__ import annotations

from pathlib import Path

from flask import current_app, g, request
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from workflow.assessment.figure_cache import shared_store
from workflow.core.evidence import Storage
from workflow.core.service import Settings
from workflow.platform.db import make_engine, make_sessionmaker, reset_read_only, set_read_only
from workflow.records.render_cache import RenderCache

login_manager = LoginManager()
csrf = CSRFProtect()


class Database:
    """One engine per app; one session per app context (a request, a CLI call, a job)."""

    def init_app(self, app) -> None:
        engine = make_engine(app.config["DATABASE_URL"])
        app.extensions["safeloop.engine"] = engine
        app.extensions["safeloop.sessionmaker"] = make_sessionmaker(engine)

        @app.before_request
        def _mark_reads():
            # GET pages and API reads never write: no SQLite write lock for them
            if request.method in ("GET", "HEAD", "OPTIONS"):
                g.read_only_token = set_read_only(True)

        @app.teardown_request
        def _unmark(_exc):
            token = g.pop("read_only_token", None)
            if token is not None:
                reset_read_only(token)

        @app.teardown_appcontext
        def _close(_exc):
            session = g.pop("db_session", None)
            if session is None:
                return
            # the server may have gone away under the request (a restart, an outage): the
            # answer (503) is given already and the pool drops the dead connection, so a
            # failed rollback or close must not turn into a bare 500 after it
            for step in (session.rollback, session.close):
                try:
                    step()
                except DBAPIError as exc:
                    current_app.logger.warning("database connection lost at the end of a "
                                               "request: %s", type(exc.orig).__name__)

    @property
    def engine(self):
        return current_app.extensions["safeloop.engine"]

    @property
    def session(self) -> Session:
        if "db_session" not in g:
            g.db_session = current_app.extensions["safeloop.sessionmaker"]()
        return g.db_session


db = Database()


def settings() -> Settings:
    return Settings.from_config(current_app.config)


def storage() -> Storage:
    return Storage(current_app.config["STORAGE_DIR"])


def figure_store():
    """Where the worker processes share dashboard figures: this register's space in Redis."""
    return shared_store(current_app.config.get("REDIS_URL"), current_app.config["DATABASE_URL"])


def record_cache() -> RenderCache | None:
    """The rendered records kept on disk (RECORD_CACHE_MB, 0: none), one per application."""
    app = current_app._get_current_object()
    if "safeloop.record_cache" not in app.extensions:
        mb = app.config.get("RECORD_CACHE_MB", 0)
        where = app.config.get("RECORD_CACHE_DIR") or (Path(app.config["STORAGE_DIR"]).parent
                                                        / "record-cache")
        app.extensions["safeloop.record_cache"] = RenderCache(where, mb << 20) if mb > 0 else None
    return app.extensions["safeloop.record_cache"]

"""Shared handles: the database, login manager and CSRF protection."""
from __future__ import annotations

from flask import current_app, g
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.orm import Session

from workflow.db import make_engine, make_sessionmaker
from workflow.evidence import Storage
from workflow.service import Settings

login_manager = LoginManager()
csrf = CSRFProtect()


class Database:
    """One engine per app; one session per app context (a request, a CLI call, a job)."""

    def init_app(self, app) -> None:
        engine = make_engine(app.config["DATABASE_URL"])
        app.extensions["safeloop.engine"] = engine
        app.extensions["safeloop.sessionmaker"] = make_sessionmaker(engine)

        @app.teardown_appcontext
        def _close(_exc):
            session = g.pop("db_session", None)
            if session is not None:
                session.rollback()
                session.close()

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

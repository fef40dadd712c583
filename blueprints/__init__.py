"""Thin web layer: load → check permission → call the service → commit once."""
from __future__ import annotations

from pathlib import Path

from flask import Flask
from PIL import Image
from werkzeug.middleware.proxy_fix import ProxyFix

from blueprints.extensions import csrf, db, login_manager
from config import Config, load_secret_key

ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict | None = None) -> Flask:
    """Build the application; ``test_config`` overrides settings in tests."""
    app = Flask(__name__, template_folder=str(ROOT / "templates"),
                static_folder=str(ROOT / "static"), instance_path=str(Config.INSTANCE_DIR))
    app.config.from_object(Config)
    if test_config:
        app.config.update(test_config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = load_secret_key(Path(app.instance_path))
    if app.config["DATABASE_URL"].startswith("sqlite:///"):
        Path(app.config["DATABASE_URL"][len("sqlite:///"):]).parent.mkdir(parents=True,
                                                                         exist_ok=True)
    Path(app.config["STORAGE_DIR"]).mkdir(parents=True, exist_ok=True)
    # Pillow's own decompression-bomb guard, process-wide; evidence is refused earlier by its header
    Image.MAX_IMAGE_PIXELS = app.config["EVIDENCE_MAX_PIXELS"]

    if app.config["TRUSTED_PROXY_COUNT"] > 0:
        # Only behind that many proxies: otherwise X-Forwarded-For is the client's own claim
        # and would let anyone pick the address the login throttle counts against.
        n = app.config["TRUSTED_PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n)

    db.init_app(app)
    csrf.init_app(app)
    login_manager.init_app(app)

    # Blueprint modules import blueprints.extensions: load them once this package is initialised
    from blueprints import api, errors, inputs, jobs, seclog, security, web
    from blueprints.cli.admin import register_cli
    from blueprints.web import (
        auth,
        kpis,
        problem_import,  # noqa: F401  (its routes join the kpis blueprint)
    )
    from blueprints.web import measures as measure_pages
    from blueprints.web import records as records_pages
    from blueprints.web.plans import bp as plan_pages_bp
    from blueprints.web.task_pages import bp as task_pages_bp

    seclog.register(app)
    errors.register(app)
    inputs.register(app)
    security.register(app)
    app.register_blueprint(auth.bp)
    app.register_blueprint(web.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(plan_pages_bp)
    app.register_blueprint(task_pages_bp)
    app.register_blueprint(records_pages.bp)
    app.register_blueprint(kpis.bp)
    app.register_blueprint(measure_pages.bp)
    csrf.exempt(api.bp)  # the API checks CSRF itself for cookie sessions, not for tokens
    register_cli(app)
    from blueprints import health  # /healthz, /readyz, 503 while PostgreSQL or Redis is down

    health.register(app)
    jobs.register_delivery(app)  # messages out of the app, after each request commits
    return app


def warm_templates(app: Flask) -> int:
    """Compile every page and record template now (about a second), so a fresh worker does
    not compile them in its first requests, several threads at once; returns how many."""
    from workflow.records.render import records_env

    count = 0
    for env, records in ((app.jinja_env, False), (records_env(), True)):
        for name in env.list_templates(extensions=["html"]):
            if name.startswith("records/") == records:
                env.get_template(name)
                count += 1
    return count

"""/healthz and /readyz, and the 503 every request gives while a backing service is down."""
from __future__ import annotations

import socket

from alembic import command

from blueprints import create_app
from workflow.platform.migrate import alembic_config
from workflow.problems.sweep import run_sweep


def _dead_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again: nothing listens there


def test_healthz_reports_every_part(app, world, session):
    client = app.test_client()
    resp = client.get("/healthz")
    assert resp.status_code == 200
    body = resp.get_json()
    assert body["status"] == "ok" and body["down"] == []
    assert body["database"]["ok"] is True
    assert body["redis"] == {"ok": True, "configured": False}
    assert body["queue"]["mode"] == "thread"
    assert body["last_sweep"]["never_run"] is True
    run_sweep(session)
    session.commit()
    body = client.get("/healthz").get_json()
    assert body["last_sweep"]["ok"] is True and body["last_sweep"]["at"].endswith("Z")


def test_healthz_names_redis_and_queue_when_redis_is_down(app):
    app.config["REDIS_URL"] = f"redis://127.0.0.1:{_dead_port()}/0"
    resp = app.test_client().get("/healthz")
    assert resp.status_code == 503
    body = resp.get_json()
    assert body["down"] == ["redis", "queue"]
    assert body["redis"]["error"] == "ConnectionError"


def test_database_down_answers_503_in_chinese(tmp_path):
    url = f"postgresql://postgres@127.0.0.1:{_dead_port()}/nowhere"
    app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "x",
                      "STORAGE_DIR": str(tmp_path / "s"), "REDIS_URL": None,
                      "SECURITY_LOG": str(tmp_path / "security.log")})
    client = app.test_client()
    resp = client.get("/healthz")
    assert resp.status_code == 503
    body = resp.get_json()
    assert "database" in body["down"] and body["database"]["error"] == "OperationalError"
    assert client.get("/readyz").get_json() == {"ready": False, "reason": "database_down"}
    api = client.get("/api/v1/me", headers={"Authorization": "Bearer abc"})
    assert api.status_code == 503 and api.headers["Retry-After"] == "5"
    assert api.get_json()["error"] == "database_unavailable"
    assert "数据库暂时不可用" in api.get_json()["message"]
    page = client.get("/login")
    assert page.status_code == 200  # the login form itself needs no database


def test_readyz_wants_the_current_schema(app):
    client = app.test_client()
    resp = client.get("/readyz")  # the test database is built from the models, not stamped
    assert resp.status_code == 503 and resp.get_json()["reason"] == "schema_outdated"
    command.stamp(alembic_config(app.extensions["safeloop.engine"]), "head")
    try:
        resp = client.get("/readyz")
        assert resp.status_code == 200 and resp.get_json()["ready"] is True
    finally:
        with app.extensions["safeloop.engine"].begin() as conn:
            conn.exec_driver_sql("DROP TABLE alembic_version")


def test_a_new_worker_compiles_every_template_before_its_first_request(app):
    """gunicorn's post_worker_init warms the page and record templates (a syntax error in
    any of them fails here, not in a user's request)."""
    from pathlib import Path

    from blueprints import warm_templates

    root = Path(app.root_path).parent / "templates"
    assert warm_templates(app) == len(list(root.rglob("*.html")))
    assert "pages/case.html" in {name for _, name in app.jinja_env.cache.keys()}


def test_a_ready_worker_puts_what_it_loaded_out_of_the_collectors_way():
    """post_worker_init's second step, in a process of its own (it changes the process's
    collector): the objects loaded so far are frozen, the young generation waits longer."""
    import subprocess
    import sys

    code = ("import gc; import blueprints; from workflow.platform.collector import settle_long_lived, "
            "YOUNG_THRESHOLD as Y; before = gc.get_threshold(); settle_long_lived(); "
            "print(gc.get_freeze_count() > 10000, gc.get_threshold() == (Y,) + before[1:], "
            "gc.isenabled())")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         check=True).stdout.split()
    assert out == ["True", "True", "True"]

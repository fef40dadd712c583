"""`make prod`: create the PostgreSQL database when missing, migrate it, load the demo when empty.

Reads DATABASE_URL (a local server with trust authentication, user postgres, by default).
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psycopg
from psycopg import sql
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from workflow.platform.db import normalise_url  # noqa: E402


def main() -> int:
    url = make_url(normalise_url(os.environ["DATABASE_URL"]))
    with psycopg.connect(host=url.host or None, port=url.port, user=url.username,
                         password=url.password, dbname="postgres", autocommit=True,
                         connect_timeout=10) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                        (url.database,)).fetchone() is None:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(url.database)))
            print(f"已创建数据库 {url.database}")
    flask = [str(Path(sys.executable).parent / "flask"), "--app", "wsgi"]
    subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, check=True)
    engine = create_engine(url)
    with engine.connect() as conn:
        users = conn.execute(text("SELECT count(*) FROM users")).scalar_one()
    engine.dispose()
    if users == 0:
        print("数据库为空：载入演示数据…")
        subprocess.run([*flask, "demo"], cwd=ROOT, check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

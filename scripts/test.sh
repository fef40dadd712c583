#!/usr/bin/env bash
# Run every test on SQLite, then on PostgreSQL when one is reachable.
# TEST_DATABASE_URL names the PostgreSQL server/database prefix to use.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=${VENV:-.venv}/bin/python
PG=${TEST_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/safeloop_test}
JOBS=${TEST_JOBS:-2}

echo "== SQLite suite"
env -u TEST_DATABASE_URL "$PY" -m pytest -n "$JOBS" "$@"
sqlite_rc=$?

if "$PY" - "$PG" <<'PYEOF' 2>/dev/null
import sys, psycopg
from sqlalchemy.engine import make_url
from workflow.db import normalise_url
url = make_url(normalise_url(sys.argv[1]))
psycopg.connect(host=url.host or None, port=url.port, user=url.username, password=url.password,
                dbname="postgres", connect_timeout=3).close()
PYEOF
then
  echo "== PostgreSQL suite ($PG)"
  TEST_DATABASE_URL="$PG" "$PY" -m pytest -n "$JOBS" -m "not browser" "$@"
  pg_rc=$?
else
  echo "!! PostgreSQL tests did NOT run: no PostgreSQL server reachable at $PG"
  echo "!! (set TEST_DATABASE_URL to a reachable server to run them)"
  if [ "${CI:-}" = "true" ]; then
    echo "!! CI requires the PostgreSQL suite" >&2
    pg_rc=1
  else
    pg_rc=0
  fi
fi
[ $sqlite_rc -eq 0 ] && [ $pg_rc -eq 0 ]

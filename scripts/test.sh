#!/usr/bin/env bash
# Check the import layers (.importlinter), then run every test on SQLite, then on
# PostgreSQL when one is reachable. Any failure fails the run.
# TEST_DATABASE_URL names the PostgreSQL server/database prefix to use.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=${VENV:-.venv}/bin
PY=$BIN/python
PG=${TEST_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/safeloop_test}
JOBS=${TEST_JOBS:-2}

echo "== Import layers (lint-imports, contracts in .importlinter)"
"$BIN/lint-imports" --no-cache --no-logo
layers_rc=$?
if [ $layers_rc -ne 0 ]; then
  echo "!! lint-imports: an import breaks a layer contract in .importlinter (listed above)"
fi

echo "== SQLite suite"
env -u TEST_DATABASE_URL "$PY" -m pytest -n "$JOBS" "$@"
sqlite_rc=$?

if "$PY" - "$PG" <<'PYEOF' 2>/dev/null
import sys, psycopg
from sqlalchemy.engine import make_url
from workflow.platform.db import normalise_url
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
[ $layers_rc -eq 0 ] || echo "!! lint-imports failed: an import breaks a layer contract (see the top of this output)"
[ $layers_rc -eq 0 ] && [ $sqlite_rc -eq 0 ] && [ $pg_rc -eq 0 ]

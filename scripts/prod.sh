#!/usr/bin/env bash
# `make prod`: the production stack on this machine, in the foreground (Ctrl+C stops it;
# `make prod-stop` from another shell). PostgreSQL (local, trust auth, user postgres) and Redis
# are the machine's services: started here when they are not running, left running after.
#   SAFELOOP_PORT   where it serves (default 8000; `make prod PORT=9000`)
#   DATABASE_URL    default postgresql://postgres@127.0.0.1:5432/safeloop (created, migrated,
#                   and given the demo data when it has no users)
#   REDIS_URL       default redis://127.0.0.1:6379/0
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${VENV:-.venv}
[[ $venv = /* ]] || venv="$(pwd)/$venv"
export SAFELOOP_BIN="$venv/bin"
PORT_=${SAFELOOP_PORT:-8000}
export PROD_RUN_DIR="$(pwd)/instance/prod"
mkdir -p "$PROD_RUN_DIR/nginx-tmp"

export DATABASE_URL=${DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/safeloop}
export REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379/0}
export STORAGE_DIR=${STORAGE_DIR:-$PROD_RUN_DIR/storage}
export SECURITY_LOG=${SECURITY_LOG:-$PROD_RUN_DIR/security.log}
# served over plain http on 127.0.0.1: cookies without Secure (put TLS in front and set 0)
export INSECURE_COOKIES=${INSECURE_COOKIES:-1}
export WEB_CONTROL_SOCKET=${WEB_CONTROL_SOCKET:-$PROD_RUN_DIR/gunicorn.ctl}

if command -v pg_isready >/dev/null && ! pg_isready -q -h 127.0.0.1 -p 5432; then
  echo "PostgreSQL 未运行，正在启动本机集群…"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
fi
if ! "$SAFELOOP_BIN/python" -c "import redis,sys; redis.Redis.from_url(sys.argv[1], socket_connect_timeout=2).ping()" "$REDIS_URL" 2>/dev/null; then
  echo "Redis 未运行，正在启动（127.0.0.1:6379，数据保存在 instance/prod）…"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --dir "$PROD_RUN_DIR" --save "3600 1"
fi

"$SAFELOOP_BIN/python" scripts/prod_db.py

processes=(web worker cron)
if command -v nginx >/dev/null; then
  upstream="127.0.0.1:${WEB_PORT:-$((PORT_ + 1))}"
  export WEB_BIND=$upstream TRUSTED_PROXY_COUNT=1
  sed -e "s#@RUN@#$PROD_RUN_DIR#g" -e "s#@UPSTREAM@#$upstream#g" \
      -e "s#@LISTEN@#127.0.0.1:$PORT_#g" deploy/nginx.conf > "$PROD_RUN_DIR/nginx.conf"
  processes+=(proxy)
  echo "nginx :$PORT_ → gunicorn $upstream"
else
  export WEB_BIND="127.0.0.1:$PORT_" TRUSTED_PROXY_COUNT=0
  echo "未安装 nginx：gunicorn 直接服务 127.0.0.1:$PORT_"
fi
echo "SafeLoop 生产模式：http://127.0.0.1:$PORT_/  健康检查 /healthz  （Ctrl+C 或 make prod-stop 停止）"
echo $$ > "$PROD_RUN_DIR/honcho.pid"
exec "$SAFELOOP_BIN/honcho" -f deploy/Procfile -d . start "${processes[@]}"

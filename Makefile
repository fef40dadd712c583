# SafeLoop: `make run` sets everything up and serves on SQLite; `make test` runs every test.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: run test setup test-setup system-deps db demo bench clean prod prod-stop loadtest

# plain http on $(HOST): INSECURE_COOKIES=1 drops the Secure cookie flag (README, Configuration)
run: setup db demo
	@echo "SafeLoop 已启动：http://$(HOST):$(PORT)/  （Ctrl+C 停止）"
	INSECURE_COOKIES=1 $(BIN)/flask --app wsgi run --host $(HOST) --port $(PORT)

test: test-setup
	VENV=$(VENV) bash scripts/test.sh

setup: system-deps $(VENV)/.installed

test-setup: $(VENV)/.dev-installed
	bash scripts/system-deps.sh test

system-deps:
	bash scripts/system-deps.sh run

$(VENV)/.installed: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -r requirements.txt
	touch $@

# test-only tools (lint-imports); `make run` does not need them
$(VENV)/.dev-installed: requirements-dev.txt $(VENV)/.installed
	$(BIN)/python -m pip install -q -r requirements-dev.txt
	touch $@

db: $(VENV)/.installed
	$(BIN)/flask --app wsgi db upgrade

demo: db
	$(BIN)/flask --app wsgi demo

bench: $(VENV)/.installed
	for f in bench/[!_]*.py; do m=bench.$$(basename $$f .py); [ $$m = bench.load ] && continue; echo "== $$m"; $(BIN)/python -m $$m || exit 1; done

clean:
	rm -rf $(VENV) instance

# Production stack on this machine (README, "Production on one machine"): PostgreSQL, gunicorn,
# an RQ worker, RQ's cron for the daily sweep, nginx in front when installed; honcho runs them.
# Serves on 8000 unless PORT is given (`make prod PORT=9000`); `make run` keeps 5000.
PROD_PORT := $(if $(filter command line environment,$(origin PORT)),$(PORT),8000)
prod: setup
	SAFELOOP_PORT=$(PROD_PORT) VENV=$(VENV) bash scripts/prod.sh

prod-stop:
	@test -f instance/prod/honcho.pid && kill -TERM $$(cat instance/prod/honcho.pid) && echo "已停止" || echo "未在运行"

# 100,000 cases and a year of events on PostgreSQL, then 50 users for 2 minutes (bench/load.py)
loadtest: test-setup
	$(BIN)/python -m bench.load


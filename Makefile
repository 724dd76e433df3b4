# CodePair: `make run` serves the app on http://127.0.0.1:8000; `make test` runs every test.
# Both set up what they need first (virtualenv, packages, web client, system packages).

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# chromium: browser tests; bubblewrap, time: the code sandbox; golang-go: Go runs; python3-pytest:
# project questions' Python tests; junit5: the JUnit console launcher of Java starter projects;
# make: the C++ starter project's Makefile;
# pango, harfbuzz-subset, DejaVu fonts: WeasyPrint's PDF reports; poppler-utils: the PDF tests.
REPORT_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core
# asciinema: the terminal tests play the exported cast with asciinema's own reader.
# clangd, gopls: the C/C++ and Go language servers (docs/intellisense.md).
SYSTEM_PACKAGES := chromium bubblewrap time golang-go python3-pytest junit5 make $(REPORT_PACKAGES) \
  poppler-utils clangd gopls asciinema
# esbuild (TypeScript runs, previews), React (the React starter project, previews), pyright and
# typescript-language-server (the Python and TypeScript language servers), pinned; mounted
# read-only in the sandbox, so nothing is fetched during a run (docs/runner.md,
# docs/intellisense.md). The stamp's name follows the list, so a change reinstalls.
TOOLCHAIN_PACKAGES := esbuild@0.25.12 react@19.2.0 react-dom@19.2.0 pyright@1.1.414 \
  typescript-language-server@5.1.3 typescript@5.9.3
TOOLCHAINS := data/toolchains/.installed-$(shell echo '$(TOOLCHAIN_PACKAGES)' | md5sum | cut -c1-8)
WEB_SOURCES := $(shell find web/src web/public web/index.html web/vite.config.* web/eslint.config.* web/package.json web/package-lock.json web/tsconfig*.json -type f 2>/dev/null)

.PHONY: run test lint test-py test-sqlite test-postgres web migrate system-deps node-deps toolchains clean
.PHONY: api-types api-types-check run-deps report-deps ai

# What code runs need, as command:Debian package: the sandbox and its timer first, then the
# languages of the runner's table (docs/runner.md). `make run` installs what is missing when
# it runs as root; otherwise it stops with the command to run (RUNS=off serves anyway, with
# runs off: the server says why, in its log and in the room).
SANDBOX_TOOLS := bwrap:bubblewrap /usr/bin/time:time
LANGUAGE_TOOLS := python3:python3 node:nodejs gcc:gcc g++:g++ javac:default-jdk-headless \
  rustc:rustc go:golang-go bash:bash pytest-3:python3-pytest make:make \
  /usr/share/java/junit-platform-console-standalone.jar:junit5 clangd:clangd gopls:gopls
RUNS ?= on

run: $(VENV)/.run-installed run-deps report-deps web toolchains migrate
	@echo
	@echo "CodePair on http://$(HOST):$(PORT)"
	@echo "First time? Create the first lead in another terminal:"
	@echo "  $(BIN)/codepair create-user you@example.com --name 'Your Name' --role lead"
	@echo
	$(BIN)/codepair serve --host $(HOST) --port $(PORT) --no-migrate

# `make ai`: `make run` with the AI assistant on a small local model (docs/ai.md): Gemma 3
# 270M served by llama-cpp-python on AI_PORT, which the app is pointed at. Production points
# CODEPAIR_AI_BASE_URL at its own server (llama.cpp, Ollama, vLLM) and runs `make run`.
# The model's server reads PORT and HOST from its environment before its flags, and make
# puts `make ai PORT=...` there: it is started without them.
AI_PORT ?= 8081
ai: $(VENV)/.ai-installed run-deps report-deps web toolchains migrate
	@model="$$($(BIN)/python -m codepair.domain.ai.local)" || exit 1; \
	echo "Starting the model ($$model) on 127.0.0.1:$(AI_PORT)"; \
	env -u PORT -u HOST $(BIN)/python -m llama_cpp.server --model "$$model" \
	  --model_alias gemma3-270m --chat_format gemma \
	  --host 127.0.0.1 --port $(AI_PORT) --n_ctx 4096 > data/ai-model.log 2>&1 & \
	model_pid=$$!; trap 'kill $$model_pid' EXIT INT TERM; \
	echo "CodePair with the AI assistant on http://$(HOST):$(PORT) (turn it on in a room)"; \
	CODEPAIR_AI_BASE_URL=http://127.0.0.1:$(AI_PORT)/v1 CODEPAIR_AI_MODEL=gemma3-270m \
	  $(BIN)/codepair serve --host $(HOST) --port $(PORT) --no-migrate

test: $(VENV)/.dev-installed system-deps node-deps toolchains web lint test-py

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.run-installed: pyproject.toml | $(VENV)/bin/python
	$(BIN)/pip install -q -e .
	touch $@

$(VENV)/.dev-installed: pyproject.toml | $(VENV)/bin/python
	$(BIN)/pip install -q -e '.[dev,ai]'
	touch $@ $(VENV)/.run-installed $(VENV)/.ai-installed

$(VENV)/.ai-installed: pyproject.toml | $(VENV)/bin/python
	$(BIN)/pip install -q -e '.[ai]'
	touch $@ $(VENV)/.run-installed

migrate: $(VENV)/.run-installed
	$(BIN)/codepair migrate

# The web client, when there is one: rebuilt only when its sources change.
web: $(if $(wildcard web/package.json),web/dist/index.html)

web/node_modules/.package-lock.json: web/package.json web/package-lock.json
	cd web && npm ci --no-audit --no-fund
	touch $@

web/dist/index.html: web/node_modules/.package-lock.json $(WEB_SOURCES)
	cd web && npm run build
	touch $@

# Node packages the tests drive (the real y-websocket client).
node-deps: $(if $(wildcard tests/node/package.json),tests/node/node_modules/.package-lock.json)

tests/node/node_modules/.package-lock.json: tests/node/package.json tests/node/package-lock.json
	cd tests/node && npm ci --no-audit --no-fund
	touch $@

toolchains: $(TOOLCHAINS)

$(TOOLCHAINS):
	mkdir -p data/toolchains
	npm install --prefix data/toolchains --no-audit --no-fund --silent $(TOOLCHAIN_PACKAGES)
	touch $@

# Debian's Chromium (browser tests) and bubblewrap (the code sandbox), when running as root.
system-deps:
	@missing=""; for p in $(SYSTEM_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else echo "missing system packages:$$missing (install them as root)"; exit 1; fi; \
	fi

# The system packages code runs need (SANDBOX_TOOLS, LANGUAGE_TOOLS above), for `make run`.
run-deps:
	@missing() { for pair in $$1; do tool="$${pair%%:*}"; command -v "$$tool" >/dev/null 2>&1 || [ -f "$$tool" ] || printf ' %s' "$${pair#*:}"; done; }; \
	sandbox="$$(missing '$(SANDBOX_TOOLS)')"; languages="$$(missing '$(LANGUAGE_TOOLS)')"; \
	if [ -z "$$sandbox$$languages" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then \
	  echo "installing what code runs need:$$sandbox$$languages"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$sandbox$$languages >/dev/null; \
	  exit 0; \
	fi; \
	if [ -n "$$languages" ]; then \
	  echo "Some languages cannot run here (the room says so); to run them:"; \
	  echo "  sudo apt-get install -y$$languages"; \
	fi; \
	if [ -n "$$sandbox" ]; then \
	  if [ "$(RUNS)" = off ]; then \
	    echo "Serving with code runs OFF: the sandbox is not installed (the room says why)."; \
	  else \
	    echo "Code runs need the sandbox, which is not installed. Install it, then run make run again:"; \
	    echo "  sudo apt-get install -y$$sandbox"; \
	    echo "(or serve without code runs: make run RUNS=off)"; \
	    exit 1; \
	  fi; \
	fi

# What PDF reports need (WeasyPrint draws with pango): installed as root, else the command.
report-deps:
	@missing=""; for p in $(REPORT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing what PDF reports need:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else echo "PDF reports need:$$missing (sudo apt-get install -y$$missing); Markdown and JSON work without"; fi; \
	fi

# The web client's REST types come from the server's OpenAPI schema (no server needed):
# `make api-types` after changing an endpoint or a schema, and commit both files.
API_SCHEMA := web/src/api/openapi.json
API_TYPES := web/src/api/schema.d.ts
OPENAPI_TS := node_modules/.bin/openapi-typescript

api-types: $(VENV)/.run-installed web/node_modules/.package-lock.json
	$(BIN)/python -m codepair.commands.openapi $(API_SCHEMA)
	cd web && $(OPENAPI_TS) ../$(API_SCHEMA) -o ../$(API_TYPES)

# Fails when the committed schema or types differ from a fresh generation (drift).
api-types-check: $(VENV)/.run-installed web/node_modules/.package-lock.json
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	$(BIN)/python -m codepair.commands.openapi "$$tmp/openapi.json" && \
	(cd web && $(OPENAPI_TS) "$$tmp/openapi.json" -o "$$tmp/schema.d.ts" >/dev/null 2>&1) && \
	if cmp -s "$$tmp/openapi.json" $(API_SCHEMA) && cmp -s "$$tmp/schema.d.ts" $(API_TYPES); then \
	  echo "api types: up to date"; \
	else \
	  diff -u $(API_SCHEMA) "$$tmp/openapi.json" | head -n 40; \
	  echo "$(API_SCHEMA) or $(API_TYPES) is out of date: run 'make api-types' and commit both"; \
	  exit 1; \
	fi

lint: $(VENV)/.dev-installed api-types-check
	$(BIN)/ruff check codepair tests bench
	$(BIN)/mypy
	$(if $(wildcard web/package.json),cd web && npm run check)

# The SQLite and PostgreSQL suites share nothing (each test server has its own data dir or
# database, each Redis test its own channel prefix), so they run side by side; each one's
# output is printed whole when it ends. The SQLite run takes every test; the PostgreSQL run
# what goes through the database (not the modules tests/conftest.py names DB_AGNOSTIC).
test-py: $(VENV)/.dev-installed
	$(MAKE) --no-print-directory -j2 --output-sync=target test-sqlite test-postgres

test-sqlite: $(VENV)/.dev-installed
	CODEPAIR_TEST_DB=sqlite $(BIN)/python -m pytest

test-postgres: $(VENV)/.dev-installed
	TEST_UID_OFFSET=500 CODEPAIR_TEST_DB=postgres $(BIN)/python -m pytest -m "not browser and not db_agnostic"

clean:
	rm -rf $(VENV) web/node_modules web/dist tests/node/node_modules

# `make run` and `make test` work on a fresh machine: each sets up what it needs.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
CHROMIUM ?= /usr/bin/chromium
HOST    ?= 127.0.0.1
PORT    ?= 5000

.PHONY: run test test-fast bench setup system-packages clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

# Debian packages the tests need: chromium for the browser tests (never Playwright's own
# download), Noto CJK so Hangul renders on the canvas and in exports, graphviz for DOT,
# redis-server for the two-process scale-out tests, postgresql for the PostgreSQL store's
# tests (they start a throw-away cluster of their own).
DEBS := chromium fonts-noto-cjk graphviz redis-server postgresql
system-packages:
	@missing=""; for p in $(DEBS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

run: $(STAMP)
	$(BIN)/gradcanvas serve --host $(HOST) --port $(PORT) --open-example doughnut

# The whole suite, browser tests and all: what CI runs (.ci/run).
test: $(STAMP) system-packages
	$(BIN)/python -m pytest

# Everything but the browser tests and those marked slow (real servers, Redis, chromium
# rasterising PNGs): under a minute on two cores, for the edit-test loop.
test-fast: $(STAMP) system-packages
	$(BIN)/python -m pytest -m "not slow and not browser"

bench: $(STAMP) system-packages
	$(BIN)/python benchmarks/engine.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis

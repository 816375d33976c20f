# Two entry points for a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test install browser lint typecheck pytest reliability bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/pinbridge demo

test: $(STAMP) browser pytest lint typecheck

# The dashboard test drives Debian's chromium. Installed here when missing and we may
# (root, with apt-get); otherwise that one test is skipped and says why.
browser:
	@command -v chromium >/dev/null \
	  || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
	       && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null; } \
	  || echo "chromium is not installed and could not be: the dashboard browser test will be skipped (apt-get install chromium)"

pytest: $(STAMP)
	$(BIN)/pytest

# The fault suite (docs/reliability.md): every scenario, 20 kills, SQLite and PostgreSQL;
# a few minutes. `make test` runs a bounded subset of it.
reliability: $(STAMP)
	PINBRIDGE_RELIABILITY_FULL=1 $(BIN)/pytest -m reliability tests/reliability

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python bench/mapping.py
	$(BIN)/python bench/queue_throughput.py
	$(BIN)/python bench/service.py
	$(BIN)/python bench/e2e.py

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info .pytest_cache .mypy_cache .ruff_cache

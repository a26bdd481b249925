# The two commands: `make demo` and `make test`. Both create .venv and install the project.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_OUT ?= demo_out
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: demo test test-llm lint bench clean venv chromium

venv: $(STAMP)

# CPU torch first (an unpinned torch would pull a multi-GB CUDA build), then the locked set.
$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q torch==2.13.0
	$(BIN)/pip install -q -r requirements.lock
	$(BIN)/pip install -q --no-deps -e .
	touch $(STAMP)

demo: $(STAMP)
	bash scripts/demo.sh $(DEMO_OUT)

# The suite in TEST_WORKERS processes (pytest-xdist; most tests wait on a subprocess or a
# server, so 2 workers finish in ~0.7x the time on 2 cores), then the tests that measure
# latency alone, where no other test's load can slow their servers.
TEST_WORKERS ?= 2
test: $(STAMP) chromium
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) -m "not llm and not serial" tests
	$(BIN)/python -m pytest -q -m "serial and not llm" tests

# The page tests (datagen view, train serve) drive a real headless Chromium: Debian's package,
# installed here when missing and we are root; otherwise one line saying what to install.
chromium:
	@if ! command -v chromium >/dev/null && ! command -v chromium-browser >/dev/null; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "== installing Debian's chromium (for the page tests)"; \
	    apt-get update -qq && apt-get install -y -qq chromium >/dev/null; \
	  else \
	    echo "make test: the page tests need a headless Chromium on PATH as 'chromium':" \
	      "install it (Debian/Ubuntu: sudo apt-get install chromium) and rerun" >&2; \
	    exit 1; \
	  fi; \
	fi

# Integration test against a real LLM: llama.cpp's OpenAI-compatible server + SmolLM2-135M.
test-llm: $(STAMP)
	bash scripts/test_llm.sh

lint: $(STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) $(DEMO_OUT) .pytest_cache

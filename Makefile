# Folkmoot: two commands.
#   make run   – create .venv, install, migrate a SQLite database in instance/, seed the Cambridgeshire demo,
#                serve http://127.0.0.1:5000
#   make test  – install with the development extras and run the whole test suite
#   make shell – a shell inside the virtual environment with FLASK_APP set, for the README's flask commands
#   make axe   – the accessibility crawl (tests/browser/axe_crawl.py) over a running site (URL=…)
#   make lock  – regenerate requirements/lock.txt (every runtime and dev dependency pinned, with hashes) from
#                pyproject.toml; `make lock LOCK_FLAGS=--upgrade` moves every pin to the newest allowed release
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
FLASK := FLASK_APP=wsgi.py $(BIN)/flask
export PIP_DISABLE_PIP_VERSION_CHECK=1

.PHONY: run test install install-dev translations lint bench axe browser-deps pdf-deps clean shell lock
URL ?= http://127.0.0.1:5000
# The lock: every install below takes its versions from it (as pip constraints), so CI and every machine run
# the versions that were tested and audited (tests/security/test_dependencies.py).  pyproject.toml keeps the
# ranges the code supports; the lock picks one version of each, and of everything they pull in.
LOCK := requirements/lock.txt
LOCK_VENV := .venv-lock
LOCK_FLAGS ?=

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# The runtime alone (make run): pyproject.toml's dependencies at the lock's versions, the lock read as pip
# constraints (without its hashes: pip would otherwise ask a hash of the editable project itself).
$(VENV)/.installed: pyproject.toml $(LOCK) | $(BIN)/python
	grep -v -- '--hash=' $(LOCK) | sed 's/ *\\$$//' > $(VENV)/lock-constraints.txt
	$(BIN)/python -m pip install -q -e . -c $(VENV)/lock-constraints.txt
	touch $@

# Runtime and development (make test, CI): exactly the lock, every file checked against its SHA-256, then the
# project itself (editable, adding nothing), then pip's check that the installed set is consistent.
$(VENV)/.installed-dev: pyproject.toml $(LOCK) | $(BIN)/python
	$(BIN)/python -m pip install -q --require-hashes --no-deps -r $(LOCK)
	$(BIN)/python -m pip install -q --no-deps -e .
	$(BIN)/python -m pip check
	touch $(VENV)/.installed $@

# pip-tools in a virtual environment of its own (it is not a dependency of Folkmoot); it resolves against the
# configured package index, as pip does, and records each file's SHA-256.
lock:
	[ -x $(LOCK_VENV)/bin/pip-compile ] || { $(PYTHON) -m venv $(LOCK_VENV) && $(LOCK_VENV)/bin/python -m pip install -q 'pip-tools>=7.4,<8'; }
	CUSTOM_COMPILE_COMMAND="make lock" $(LOCK_VENV)/bin/pip-compile --quiet --extra dev --generate-hashes --strip-extras \
	  --allow-unsafe --no-emit-index-url --no-emit-find-links $(LOCK_FLAGS) -o $(LOCK) pyproject.toml

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

translations:
	$(FLASK) translate compile

run: install translations pdf-deps
	$(FLASK) db upgrade
	$(FLASK) demo seed
	$(FLASK) run --host 127.0.0.1 --port 5000

# Debian's Chromium for the accessibility tests (tests/browser); skipped quietly where apt is not ours to use.
browser-deps:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) || \
	  echo "Chromium not installed: the browser tests will be skipped."; }

# Debian's Pango for WeasyPrint (the committee report's PDF); without it packs have no report.pdf and say why.
pdf-deps:
	@ldconfig -p 2>/dev/null | grep -q 'libpangoft2-1.0.so.0' || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 >/dev/null) || \
	  echo "Pango not installed: committee packs will have no report.pdf; install libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0."; }

test: install-dev translations browser-deps pdf-deps
	$(BIN)/python -m pytest

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/mypy --strict --follow-imports=silent app/tally

bench: install-dev
	$(BIN)/python -m bench.tally

axe: install-dev browser-deps
	$(BIN)/python -m tests.browser.axe_crawl $(URL)

# A shell inside the virtual environment, with FLASK_APP set, for the README's `flask …` commands.
shell: install translations
	@echo "Folkmoot shell: flask commands work here; 'exit' leaves."
	@PATH="$(CURDIR)/$(BIN):$$PATH" VIRTUAL_ENV="$(CURDIR)/$(VENV)" FLASK_APP=wsgi.py $${SHELL:-/bin/sh} -i

clean:
	rm -rf $(VENV) $(LOCK_VENV) instance *.egg-info

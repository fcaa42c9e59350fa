# The two commands: `make run` and `make test`. Everything else here serves them.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app app
HOST ?= 127.0.0.1
PORT ?= 5000
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: run test lint format translations extract chromium clean

run: $(VENV)/.runtime translations
	$(FLASK) db upgrade
	$(FLASK) demo load --if-empty
	HOST=$(HOST) PORT=$(PORT) $(FLASK) serve

test: $(VENV)/.dev translations chromium lint
	$(BIN)/pytest -n auto

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.runtime: requirements.txt | $(VENV)/bin/python
	$(BIN)/pip install -q -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(VENV)/bin/python
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@ $(VENV)/.runtime

# Catalogues: the core's in translations/, and one per folder plugin (the tutorial's included) in
# <plugin>/translations/, each holding only its own strings. Compiled ones (.mo) are build products.
PLUGIN_DIRS := $(patsubst %/__init__.py,%,$(wildcard plugins/*/__init__.py docs/tutorial/*/__init__.py))
EXTRACT := $(BIN)/pybabel -q extract -F babel.cfg -k _l --no-location --sort-output

translations: $(VENV)/.runtime
	$(BIN)/pybabel -q compile -d translations
	@for dir in $(PLUGIN_DIRS); do \
	  if [ -d $$dir/translations ]; then $(BIN)/pybabel -q compile -d $$dir/translations || exit 1; fi; \
	done

# Re-extract the strings after changing any; then translate the new entries in the .po files.
extract: $(VENV)/.runtime
	$(EXTRACT) --ignore-dirs=".* _* .venv tests node_modules plugins docs" -o translations/messages.pot .
	$(BIN)/pybabel -q update -i translations/messages.pot -d translations --no-fuzzy-matching --ignore-obsolete
	@for dir in $(PLUGIN_DIRS); do \
	  mkdir -p $$dir/translations && \
	  $(EXTRACT) --ignore-dirs=".* _* tests" -o $$dir/translations/messages.pot $$dir && \
	  if [ -d $$dir/translations/zh_Hans_CN ]; then \
	    $(BIN)/pybabel -q update -i $$dir/translations/messages.pot -d $$dir/translations --no-fuzzy-matching --ignore-obsolete; \
	  else \
	    $(BIN)/pybabel -q init -i $$dir/translations/messages.pot -d $$dir/translations -l zh_Hans_CN; \
	  fi || exit 1; \
	done

# Browser tests drive Debian's chromium, never a downloaded browser.
chromium:
	@test -x /usr/bin/chromium || { echo "installing Debian's chromium for the browser tests"; \
	  $(SUDO) apt-get update -q && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; }

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache

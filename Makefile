PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run sandbox test lint format clean extract update compile
LOCALES := templates/locale
POT := $(LOCALES)/messages.pot

$(STAMP): pyproject.toml package-lock.json
	$(PYTHON) -m venv $(VENV)
	# The pip this Python ships, not the newest: what an operator's plain install uses.
	$(BIN)/python -m pip install --quiet -e ".[test]"
	$(BIN)/pybabel compile -d $(LOCALES) -D messages
	# axe-core, which the browser tests inject to check accessibility (npm, pinned by the lock).
	npm ci --no-audit --no-fund --silent
	touch $(STAMP)

## extract: collect every text people read into the catalog template
extract: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k N_ -k pgettext:1c,2 --no-location --sort-output \
		--project appealbot --msgid-bugs-address "" -o $(POT) .

## update: bring each language's catalog up to the template (new texts to translate)
update: extract
	$(BIN)/pybabel update -i $(POT) -d $(LOCALES) -D messages --no-fuzzy-matching --ignore-obsolete \
		--width 100

## compile: write the binary catalogs the bot loads (also done at install)
compile: $(STAMP)
	$(BIN)/pybabel compile -d $(LOCALES) -D messages

## run: install if needed, migrate and seed an empty database, start the bot
run: $(STAMP)
	@$(BIN)/appealbot run

## sandbox: try everything without a token: a Telegram stand-in and a chat in this terminal
sandbox: $(STAMP)
	@$(BIN)/appealbot sandbox

## test: lint, type-check, check the layers and run every test
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/vulture
	$(BIN)/pytest -n 4 --dist loadgroup

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis

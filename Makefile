PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run sandbox test lint format clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	# The pip this Python ships, not the newest: what an operator's plain install uses.
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

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
	$(BIN)/pytest

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache .hypothesis

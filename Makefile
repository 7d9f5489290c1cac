# The two commands a newcomer needs (README.md):
#   make run   set up, migrate, load the demo, start the console + background worker
#   make test  set up and run the whole suite (SQLite, or PostgreSQL when DATABASE_URL is set)
#   make lint  ruff, and the import contracts between the layers (docs/architecture.md)
VENV ?= .venv
PY := $(VENV)/bin/python
export PORT ?= 8000

.PHONY: run test lint venv clean

venv: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml scripts/bootstrap.sh
	@scripts/bootstrap.sh "$(VENV)"
	@touch $@

run: venv
	@scripts/run.sh

test: venv
	@scripts/test.sh

lint: venv
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

clean:
	rm -rf $(VENV) staticfiles db.sqlite3 db.sqlite3-*

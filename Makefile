# genie_repo: every target creates .venv when missing and installs the project into it.
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
EXTRAS ?= test,dev,langgraph,trpc,adk,openai-agents,bench

.PHONY: demo test test-fast bench lint clean

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[$(EXTRAS)]'
	touch $(STAMP)

demo: $(STAMP)
	$(PY) -m genie_repo.demo

test: lint
	$(PY) -m pytest -n 2 --dist loadgroup -q

bench: $(STAMP)
	$(PY) -m bench

lint: $(STAMP)
	$(VENV)/bin/ruff check genie_repo tests bench
	$(VENV)/bin/mypy
	$(VENV)/bin/python -m genie_repo.aio.generate --check

clean:
	rm -rf $(VENV) dist build .pytest_cache .hypothesis

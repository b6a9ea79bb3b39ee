# Two commands: `make run` (set up and start the app) and `make test` (set up and run the tests).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: run test lint bench bench-app golden readme clean serve stop

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -e ".[dev]"
	touch $@

run: $(VENV)/.installed
	$(VENV)/bin/streamlit run app.py

# A class: PROCESSES app processes (default: one per core) behind nginx on LISTEN.
PROCESSES ?= $(shell nproc)
LISTEN ?= 0.0.0.0:8500
serve: $(VENV)/.installed
	OPTIVIZ_PROCESSES=$(PROCESSES) OPTIVIZ_LISTEN=$(LISTEN) PY=$(PY) deploy/serve.sh start

stop:
	deploy/serve.sh stop

test: $(VENV)/.installed
	$(PY) -m ruff check .
	$(PY) -m pytest

bench: $(VENV)/.installed
	$(PY) bench/bench_sweep.py

bench-app: $(VENV)/.installed
	$(PY) bench/bench_app.py

golden: $(VENV)/.installed
	$(PY) scripts/make_golden.py

readme: $(VENV)/.installed
	$(PY) scripts/gen_readme.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info

# Two commands: `make run` (set up and start the app) and `make test` (set up and run the tests).
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: run test lint bench bench-app golden readme clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -e ".[dev]"
	touch $@

run: $(VENV)/.installed
	$(VENV)/bin/streamlit run app.py

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

"""Links are untrusted text: an optimizer 'params' that is not a mapping is named (it used to
escape as an AttributeError, shown to the viewer only as "(AttributeError)"), and a typed
formula in a link is worked out in the worker, within its time limit."""

from __future__ import annotations

import time

import pytest
from ui.config import check

from landscapes import FormulaError, parse_formula, worker
from landscapes import landscape as landscape_module


@pytest.mark.parametrize("params", [[1, 2], "lr=0.1", 3])
def test_optimizer_params_that_are_not_a_mapping_are_named(params):
    with pytest.raises(ValueError, match=r"optimizer 'adam': 'params' must be a mapping"):
        check({"surface": "rosenbrock", "optimizers": [{"name": "adam", "params": params}]})


def _slow_parse(text, params=None):
    time.sleep(5)
    return parse_formula(text, params)


def test_a_linked_formula_is_worked_out_in_the_worker_with_its_time_limit(monkeypatch):
    # a link is untrusted: its typed formula must not run unbounded in the server process
    monkeypatch.setattr(landscape_module, "parse_formula", _slow_parse)
    monkeypatch.setattr(worker, "TIME_LIMIT", 0.5)
    with pytest.raises(FormulaError, match="took longer than 0.5 s"):
        check({"surface": "custom", "formula": "x**2 + y**2"})

"""Fuzzing typed formulas over the grammar (hypothesis): every generated formula is either
built or refused with a ``FormulaError`` whose message is the parser's own, within the worker's
time limit; every built surface evaluates on NumPy and torch (float64) without an exception.

Each formula is worked out in the worker process (``landscapes.worker``), so a formula that
would run forever fails this test after the limit instead of hanging it. The generator leans
on the cases that once escaped the checks: constants SymPy folds out of variables
(``x/x``, ``x - x``, ``y**0``, ``sin(pi)``), towers of powers and exponentials, ``abs`` of
expressions that are complex somewhere, and divisions by zero.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from landscapes import FormulaError, from_formula
from landscapes.formula import FUNCTIONS
from landscapes.worker import build_bounded

pytestmark = pytest.mark.filterwarnings("ignore:Generating overly large repr")
TIME_LIMIT = 20.0  # generous: only a build that does not end fails (a loaded CI machine is slow)
NOT_THE_PARSER = ("took longer than", "could not be worked out")

LEAVES = st.sampled_from(["x", "y", "pi", "e", "x/x", "(x-x)", "y**0", "sin(pi)", "(x*0)"]) | st.builds(
    str, st.integers(0, 10**6) | st.sampled_from([0.5, 1e-3, 44.66, 99.3, 1e300, 2.5e-300]))


def _combine(children):
    unary = st.tuples(st.sampled_from(sorted(FUNCTIONS) + ["-", "+"]), children).map(
        lambda t: f"{t[0]}({t[1]})" if t[0] not in "-+" else f"{t[0]}{t[1]}")
    binary = st.tuples(children, st.sampled_from(["+", "-", "*", "/", "**", "^"]), children).map(
        lambda t: f"({t[0]}{t[1]}{t[2]})")
    return unary | binary


FORMULAS = st.recursive(LEAVES, _combine, max_leaves=24)
POINTS = np.array([[0.5, -1.5], [-2.0, 0.25], [0.0, 0.0], [1.0, 1.0], [2.9, -2.9]])


@settings(max_examples=120, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(FORMULAS)
def test_every_formula_builds_or_is_refused_by_the_parser(text):
    try:
        land = build_bounded(functools.partial(from_formula, text), time_limit=TIME_LIMIT)
    except FormulaError as exc:
        assert not any(s in str(exc) for s in NOT_THE_PARSER), (text, str(exc))
        return
    with np.errstate(all="ignore"):
        value, grad = land.value_and_grad(POINTS)
    assert value.shape == (5,) and grad.shape == (5, 2)
    torch = pytest.importorskip("torch")
    tv, tg = land.value_and_grad(torch.tensor(POINTS, dtype=torch.float64))
    assert tv.dtype == torch.float64 and tg.shape == (5, 2)

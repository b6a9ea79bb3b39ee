"""The registry's ``coordinatewise`` declarations, which let the compiled engine step each
coordinate as a column of its own (one loop over the batch): a rule declared coordinatewise
must give the same numbers run per column as on the (N, 2) batch, and a rule that does give
them should say so (else the compiled engine runs it in its slower joint layout).

Both layouts run the same :func:`optim_core.stepping.advance` eagerly on NumPy, over the
parity matrix's surfaces and random hyperparameters (one set per trajectory)."""

from __future__ import annotations

import numpy as np
import pytest

from landscapes import get_landscape
from optim_core.backend import resolve_backend
from optim_core.engine import _problem
from optim_core.stepping import advance, join_carry, split_carry, start_carry

from .parity_cases import OPTIMIZER_CASES, build, case_id, draw_cases, vectorized

STEPS = 40
LIMIT = 1e6


def _walk(pb, numbers, starts, split: bool, noise):
    start = start_carry(pb, starts, numbers, LIMIT)
    c = split_carry(start) if split else start
    for t in range(1, STEPS + 1):
        eps = noise[t - 1]
        c, _ = advance(pb, c, numbers, 0.3, LIMIT, (eps[:, :1], eps[:, 1:]) if split else eps,
                       None, t, fast=False)
    return join_carry(c, start, np) if split else c


def _both(name, base, case):
    """(joint carry, split carry, whether the spec declares these settings coordinatewise)."""
    land = get_landscape(case["landscape"], **case["params"])
    opt = build(name, base, **vectorized(case["hps"]))
    pb, numbers = _problem(land, opt, resolve_backend("numpy", "cpu", "float64"))
    starts = np.asarray(case["starts"], dtype=float)
    noise = np.random.default_rng(7).standard_normal((STEPS, len(starts), 2))
    with np.errstate(all="ignore"):
        joint = _walk(pb, numbers, starts, False, noise)
        if opt.spec.needs:  # reads the surface's value or curvature at the point: coupled
            split = None
        else:
            try:
                split = _walk(pb, numbers, starts, True, noise)
            except (IndexError, ValueError):  # a rule that indexes or reshapes a row
                split = None
    return joint, split, opt.spec.is_coordinatewise(pb.switches)


def _same(a, b) -> bool:
    if b is None:
        return False
    pairs = [(a.p, b.p), (a.f, b.f), (a.diverged_at, b.diverged_at), (a.reason, b.reason)]
    return all(np.allclose(x, y, rtol=1e-12, atol=1e-300, equal_nan=True) for x, y in pairs)


CASES = [(n, b, salt) for n, b in OPTIMIZER_CASES for salt in range(2)]


@pytest.mark.parametrize(("name", "base", "salt"), CASES,
                         ids=[f"{case_id(n, b)}-{s}" for n, b, s in CASES])
def test_declared_coordinatewise_rules_give_the_same_numbers_per_column(name, base, salt):
    for case in draw_cases(name, base, salt):
        joint, split, declared = _both(name, base, case)
        if declared:
            assert _same(joint, split), (
                f"{case_id(name, base)} is declared coordinatewise for {case['hps'][0]} but its "
                "per-column run differs: it couples the coordinates")


@pytest.mark.parametrize(("name", "base"), OPTIMIZER_CASES,
                         ids=[case_id(n, b) for n, b in OPTIMIZER_CASES])
def test_rules_that_are_coordinatewise_say_so(name, base):
    """A rule that is not declared coordinatewise for some settings must couple the
    coordinates for at least one of the draws with those settings (else declare it)."""
    undeclared = [same for salt in range(2) for case in draw_cases(name, base, salt)
                  for joint, split, declared in [_both(name, base, case)] if not declared
                  for same in [_same(joint, split)]]
    if undeclared:
        assert not all(undeclared), (
            f"{case_id(name, base)} gave the same numbers per column in every draw: declare it "
            "coordinatewise (for these settings) so the compiled engine can split it")

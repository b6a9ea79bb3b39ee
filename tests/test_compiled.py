"""The compiled engine (``run(..., backend="torch", compile=True)``) against the eager one and
the golden references.

Each compiled program costs 20-200 s of gcc the first time at the engine's chunk length, so
the tests compile 4-step chunks (``short_chunks`` in conftest.py, about 5× faster to build) and
share a few programs: the module-level settings below are the programs' keys. One test runs
at the engine's own length. The wider parity subset is marked ``slow`` (``pytest -m "not
slow"`` leaves it out).
"""

from __future__ import annotations

import numpy as np
import pytest

from landscapes import from_formula, get_landscape
from optim_core import make_optimizer, run

from .conftest import requires_torch
from .parity_cases import build, landscape_of, load_golden, vectorized
from .reference import STEPS

pytestmark = [requires_torch, pytest.mark.usefixtures("short_chunks")]

ROSEN = get_landscape("rosenbrock")
STARTS = np.array([[-1.5, 2.5], [1.8, 2.0], [0.5, -0.5], [-1.0, 1.0]])
LRS = np.array([0.01, 0.05, 0.002, 5.0])  # the last one leaves the box


def _graphs() -> int:
    from torch._dynamo.utils import counters

    return counters["stats"]["unique_graphs"]


def _same(a, b, rtol):
    np.testing.assert_array_equal(a.diverged_at, b.diverged_at)
    np.testing.assert_array_equal(a.stop_reason, b.stop_reason)
    np.testing.assert_array_equal(a.step, b.step)
    for name in ("path", "loss", "grad_norm", "step_size"):
        np.testing.assert_allclose(getattr(a, name), getattr(b, name), rtol=rtol, atol=rtol,
                                   err_msg=name)


def test_float64_every_step_with_noise_equals_eager_and_reuses_its_program():
    """record='all', noise, per-trajectory α with one divergence: equal to round-off; a
    second run with other values and another N compiles nothing new."""
    kw = {"backend": "torch", "noise": 0.3, "seed": 4, "limit": 10.0}
    opt = make_optimizer("adam", lr=LRS, beta1=np.array([0.9, 0.8, 0.95, 0.9]))
    eager = run(ROSEN, opt, STARTS, 40, **kw)
    comp = run(ROSEN, opt, STARTS, 40, compile=True, **kw)
    assert comp.settings["compiled"] and comp.note == ""
    assert eager.diverged_at[3] > 0 and eager.stop_reason[3] == "left the box"
    _same(comp, eager, 1e-12)

    graphs = _graphs()
    opt2 = make_optimizer("adam", lr=np.full(7, 0.03), beta1=np.linspace(0.5, 0.9, 7))
    starts2 = np.random.default_rng(1).uniform(-2, 2, (7, 2))
    again = run(ROSEN, opt2, starts2, 37, compile=True, **kw)  # 37: a chunk cut short
    assert _graphs() == graphs and again.compile_seconds == 0.0
    _same(again, run(ROSEN, opt2, starts2, 37, **kw), 1e-12)


@pytest.mark.parametrize("record", ["final", 6, 3])
def test_float32_records_equal_eager(record):
    """One program ('last state' chunks) serves 'final' and every k ≥ CHUNK steps (4 here);
    k < CHUNK uses the every-step program of the same rule. float32: equal to float32
    round-off."""
    opt = make_optimizer("adam", lr=0.02)
    kw = {"backend": "torch", "dtype": "float32", "record": record}
    comp = run(ROSEN, opt, STARTS, 50, compile=True, **kw)
    eager = run(ROSEN, opt, STARTS, 50, **kw)
    assert comp.path.dtype == np.float32
    _same(comp, eager, 2e-4)


def test_compile_time_is_reported_apart_from_the_run(engine_chunks):
    """At the engine's own chunk length (16), the maps' program (float32, last state only):
    equal to eager, and the compile time is reported apart from the run."""
    opt = make_optimizer("adam", lr=0.01)
    kw = {"backend": "torch", "dtype": "float32", "record": "final"}
    first = run(ROSEN, opt, STARTS, 40, compile=True, **kw)  # 40: two chunks and a short one
    second = run(ROSEN, opt, STARTS, 40, compile=True, **kw)
    assert second.compile_seconds == 0.0
    assert first.compile_seconds <= first.seconds
    _same(second, run(ROSEN, opt, STARTS, 40, **kw), 2e-4)


def test_a_failed_compilation_runs_eagerly_and_says_so(monkeypatch):
    """No C++ compiler, an operation Inductor cannot lower: simulated by a compile that
    fails on the first call. Same results, one warning, and a note on the result."""
    from optim_core import compiled

    def broken(fn, device, split):
        def call(*args):
            raise RuntimeError("no C++ compiler found (simulated)")

        return call

    monkeypatch.setattr(compiled, "_compile", broken)
    monkeypatch.setattr(compiled, "_PROGRAMS", type(compiled._PROGRAMS)())
    opt = make_optimizer("rmsprop", lr=0.01)
    with pytest.warns(RuntimeWarning, match="could not compile rmsprop.*no C\\+\\+ compiler"):
        res = run(ROSEN, opt, STARTS, 20, backend="torch", compile=True)
    assert "ran eagerly" in res.note and not res.settings["compiled"]
    _same(res, run(ROSEN, opt, STARTS, 20, backend="torch"), 1e-12)
    import warnings

    with warnings.catch_warnings():  # once per program, not on every run
        warnings.simplefilter("error")
        again = run(ROSEN, opt, STARTS, 20, backend="torch", compile=True)
    assert "ran eagerly" in again.note


def test_sweeps_and_basin_maps_compiled_equal_eager():
    """The first step within tol is tracked inside the compiled chunks: the same maps as the
    eager engine's, diverged cells included (the sweep's largest α leaves the box)."""
    from optim_core import basins, sweep

    kw = {"backend": "torch", "limit": 4.0}  # float64: chaotic cells amplify float32 round-off
    axes = {"lr": np.geomspace(1e-3, 30.0, 9), "beta1": np.linspace(0.0, 0.95, 5)}
    eager = sweep(ROSEN, "adam", axes, steps=60, tol=1e-1, **kw)
    comp = sweep(ROSEN, "adam", axes, steps=60, tol=1e-1, compile=True, **kw)
    assert (eager.diverged_at >= 0).any() and (eager.steps_to_tol >= 0).any()
    np.testing.assert_array_equal(comp.steps_to_tol, eager.steps_to_tol)
    np.testing.assert_array_equal(comp.diverged_at, eager.diverged_at)
    np.testing.assert_allclose(comp.final_loss, eager.final_loss, rtol=1e-9)

    kw = {"resolution": (12, 10), "steps": 40, "tol": 0.05, "backend": "torch"}
    eager = basins("himmelblau", make_optimizer("adam", lr=0.3), **kw)
    comp = basins("himmelblau", make_optimizer("adam", lr=0.3), compile=True, **kw)
    assert len(set(eager.label.ravel())) >= 3
    np.testing.assert_array_equal(comp.label, eager.label)
    np.testing.assert_array_equal(comp.steps_to_tol, eager.steps_to_tol)


def test_a_rule_that_couples_the_coordinates_runs_joint_and_equals_eager():
    """Cautious Adam rescales by the count of kept coordinates (not coordinatewise): its
    chunk keeps the (N, 2) layout."""
    opt = make_optimizer("adam", lr=LRS, cautious=True)
    assert not opt.spec.is_coordinatewise(opt.settings)
    kw = {"backend": "torch", "noise": 0.1, "seed": 2, "limit": 10.0}
    _same(run(ROSEN, opt, STARTS, 30, compile=True, **kw), run(ROSEN, opt, STARTS, 30, **kw),
          1e-12)

    # N = 4 = the chunk's length here, then N = 2 = a row's length: one program serves every
    # N (dynamo's duck sizing would have tied N to the size it happened to equal)
    graphs = _graphs()
    for n in (2, 3):
        small = make_optimizer("adam", lr=LRS[:n], cautious=True)
        again = run(ROSEN, small, STARTS[:n], 30, compile=True, **kw)
        assert _graphs() == graphs and again.compile_seconds == 0.0
        _same(again, run(ROSEN, small, STARTS[:n], 30, **kw), 1e-12)


@pytest.mark.slow
def test_overflowing_state_stops_in_the_compiled_engine_too():
    tower = from_formula("exp(exp(exp(x)))")
    res = run(tower, "rmsprop", [tower.start, [0.0, 0.0]], 30, backend="torch", compile=True)
    assert list(res.stop_reason) == ["optimizer state overflowed", ""]
    assert res.diverged_at[0] == 1


@pytest.mark.slow
@pytest.mark.parametrize(("name", "base"), [("sgd", None), ("adopt", None), ("lookahead", "adam"),
                                            ("adan", None)])
def test_compiled_matches_golden_reference(name, base):
    """A subset of the parity matrix through the compiled engine (float64, the first
    surface of each case): SGD (its first step is special), ADOPT (no step at t = 1),
    Lookahead (a sync every k steps: t as a tensor), Adan (no gradient difference at t = 1),
    all compiled, none falling back to eager."""
    cases, refs = load_golden(name, base)
    case, ref = cases[0], refs[0]
    res = run(landscape_of(case), build(name, base, **vectorized(case["hps"])),
              np.array(case["starts"]), STEPS, backend="torch", compile=True)
    assert res.note == "" and res.settings["compiled"]
    for i in range(len(case["hps"])):
        upto = STEPS + 1 if res.diverged_at[i] < 0 else res.diverged_at[i]
        np.testing.assert_allclose(res.path[:upto, i], ref[i][:upto], rtol=1e-9, atol=1e-9)


def _cuda() -> bool:
    import torch

    return torch.cuda.is_available()


@pytest.mark.cuda
@pytest.mark.skipif(not _cuda(), reason="no CUDA GPU present")
def test_cuda_compiled_equals_eager():
    """Triton instead of C++: the same chunk, noise drawn by a CUDA generator."""
    opt = make_optimizer("adam", lr=LRS)
    kw = {"backend": "torch", "device": "cuda", "noise": 0.2, "seed": 1, "limit": 10.0}
    _same(run(ROSEN, opt, STARTS, 40, compile=True, **kw), run(ROSEN, opt, STARTS, 40, **kw),
          1e-12)

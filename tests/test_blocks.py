"""A run cut into blocks of trajectories over forked workers equals the one run, bit for bit;
runs that must not be cut are not; a worker that fails costs time, not results."""

from __future__ import annotations

import os

import numpy as np
import pytest

from landscapes import get_landscape
from optim_core import basins, blocks, make_optimizer, run, sweep
from optim_core.tracking import LossGap, NearestMinimum

ARRAYS = ("path", "loss", "grad_norm", "step_size", "diverged_at", "stop_reason", "first_hit",
          "hit_index")


def assert_same_run(a, b) -> None:
    for name in ARRAYS:
        x, y = getattr(a, name), getattr(b, name)
        assert (x is None) == (y is None), name
        if x is not None:
            np.testing.assert_array_equal(x, y, err_msg=name)
    assert a.settings == b.settings and a.optimizer == b.optimizer and a.label == b.label


def adam_grid(n: int):
    rng = np.random.default_rng(0)
    return make_optimizer("adam", lr=np.geomspace(1e-3, 0.5, n), beta1=rng.uniform(0.5, 0.99, n))


@pytest.mark.parametrize("workers", [1, 2, 3])
def test_blocks_equal_one_run_with_per_trajectory_settings(workers):
    land = get_landscape("rosenbrock")
    opt = adam_grid(50)
    kwargs = dict(record="final", track=LossGap(0.0, 1e-1), limit=2.2)
    one = run(land, opt, (-1.5, 2.0), 300, **kwargs)
    assert (one.diverged_at >= 0).any() and (one.first_hit >= 0).any()  # both cases present
    cut = blocks.run_in_blocks(land, opt, (-1.5, 2.0), 300, workers=workers, block=7, **kwargs)
    assert_same_run(cut, one)
    np.testing.assert_array_equal(cut.hyperparams["lr"], opt.hyperparams["lr"])


def test_blocks_equal_one_run_over_starts_and_a_wrapped_base():
    """Starts (N, 2) cut with the trajectories, and the per-trajectory α of Lookahead's base."""
    land = get_landscape("himmelblau")
    rng = np.random.default_rng(1)
    starts = rng.uniform(-5, 5, (40, 2))
    opt = make_optimizer("lookahead", base="sgd", lr=rng.uniform(1e-3, 2e-2, 40), k=3)
    kwargs = dict(record=10, track=NearestMinimum(tuple(land.minima), 1e-3))
    cut = blocks.run_in_blocks(land, opt, starts, 120, workers=2, block=9, **kwargs)
    assert_same_run(cut, run(land, opt, starts, 120, **kwargs))


@pytest.mark.parametrize("kwargs", [{"noise": 0.5, "seed": 3}, {"noise": np.full(30, 0.5)},
                                    {"backend": "torch"}])
def test_runs_that_depend_on_n_or_another_backend_are_not_cut(kwargs):
    """Gradient noise is drawn for all N at once: a cut run would draw other numbers."""
    if kwargs.get("backend") == "torch":
        pytest.importorskip("torch")
    land, opt = get_landscape("rosenbrock"), adam_grid(30)
    assert not blocks.cuttable(kwargs)
    cut = blocks.run_in_blocks(land, opt, (-1.5, 2.0), 40, workers=2, block=4, **kwargs)
    assert_same_run(cut, run(land, opt, (-1.5, 2.0), 40, **kwargs))


def test_a_worker_that_fails_leaves_its_blocks_to_the_caller(monkeypatch):
    def dying_fork(part, share):
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:
            os._exit(1)  # sends nothing
        os.close(write)
        return pid, read

    monkeypatch.setattr(blocks, "_fork", dying_fork)
    land, opt = get_landscape("rosenbrock"), adam_grid(20)
    cut = blocks.run_in_blocks(land, opt, (-1.5, 2.0), 50, workers=3, block=5, record="final")
    assert_same_run(cut, run(land, opt, (-1.5, 2.0), 50, record="final"))


def test_sweep_and_basins_in_blocks_equal_one_process(monkeypatch):
    monkeypatch.setattr(blocks, "BLOCK", 16)
    axes = {"lr": np.geomspace(1e-3, 1e-1, 9), "beta1": np.linspace(0.5, 0.99, 7)}
    one, cut = (sweep("rosenbrock", "adam", axes, steps=200, tol=1e-2, workers=w)
                for w in (1, 2))
    for name in ("final_loss", "steps_to_tol", "diverged_at", "final_point"):
        np.testing.assert_array_equal(getattr(cut, name), getattr(one, name), err_msg=name)
    one, cut = (basins("himmelblau", make_optimizer("sgd", lr=0.01), resolution=(9, 8),
                       steps=150, workers=w) for w in (1, 2))
    assert set(np.unique(one.label)) >= {0, 1, 2, 3}
    for name in ("label", "steps_to_tol"):
        np.testing.assert_array_equal(getattr(cut, name), getattr(one, name), err_msg=name)


def test_default_workers_are_the_usable_cores():
    assert 1 <= blocks.default_workers() <= min(blocks.MAX_WORKERS, os.cpu_count())

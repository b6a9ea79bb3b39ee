"""Epochs and shuffling seeds: the epoch axis at hand-counted boundaries, one data seed per
trajectory against separate runs, and ensembles over shuffles against quantiles computed
directly from separate runs."""

from __future__ import annotations

import numpy as np
import pytest

from landscapes import get_landscape
from optim_core import ensemble, make_optimizer, run
from optim_core.engine import BatchPlan
from viz import ensemble_loss_spec, metric_spec
from viz.curves import x_values

START = (-2.0, -3.0)


def _land(n=10):
    return get_landscape("linear_regression", n=n)


@pytest.mark.parametrize(("drop_last", "per_epoch", "epochs"), [
    # 10 samples in batches of 4: 4 + 4 + 2, so 3 steps per pass; dropping the 2: 2 steps
    (False, 3, [0, 1 / 3, 2 / 3, 1, 4 / 3, 5 / 3, 2, 7 / 3]),
    (True, 2, [0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5]),
])
def test_epochs_at_hand_counted_boundaries(drop_last, per_epoch, epochs):
    res = run(_land(), "sgd", START, 7, batch_size=4, drop_last=drop_last)
    np.testing.assert_allclose(res.epoch, epochs, rtol=0, atol=1e-15)
    assert res.settings["batches_per_epoch"] == per_epoch
    # an epoch ends where the batches have covered the samples once (all, or all but the 2)
    batches = BatchPlan.make(_land(), 4, True, 0, drop_last).batches
    seen = np.concatenate([next(batches) for _ in range(per_epoch)])
    assert len(set(seen)) == len(seen) == (8 if drop_last else 10)


def test_the_full_batch_has_one_step_per_epoch_and_a_plain_run_has_no_epochs():
    full = run(_land(), "sgd", START, 5, batch_size=10)
    np.testing.assert_array_equal(full.epoch, full.step)
    assert run(_land(), "sgd", START, 5).epoch is None


def test_curves_against_epochs():
    res = run(_land(), "sgd", START, 7, batch_size=4)
    spec = metric_spec([res], "loss", x="epoch")
    assert spec["layout"]["xaxis"]["title"]["text"] == "epoch"
    np.testing.assert_array_equal(x_values(res, "epoch"), res.step / 3)
    with pytest.raises(ValueError, match="epochs need a mini-batch run"):
        metric_spec([run(_land(), "sgd", START, 7)], "loss", x="epoch")
    with pytest.raises(ValueError, match="x must be one of step, epoch"):
        x_values(res, "pass")


def test_one_data_seed_per_trajectory_equals_separate_runs():
    land, opt = _land(32), make_optimizer("momentum", lr=0.05)
    seeds = [3, 9, 4]
    together = run(land, opt, START, 40, batch_size=5, data_seed=seeds)
    for i, s in enumerate(seeds):
        alone = run(land, opt, START, 40, batch_size=5, data_seed=s)
        np.testing.assert_allclose(together.path[:, i], alone.path[:, 0], rtol=1e-13, atol=1e-14)
    assert together.settings["data_seed"] == seeds
    assert not np.allclose(together.path[-1, 0], together.path[-1, 1])


def test_data_seeds_are_checked():
    with pytest.raises(ValueError, match="Per-trajectory sizes disagree"):
        run(_land(), "sgd", [START, START], 5, batch_size=4, data_seed=[1, 2, 3])
    for bad in ([1, -2], [0.5, 1.0], -1, [[1, 2]]):
        with pytest.raises(ValueError, match="data_seed must be a whole number"):
            run(_land(), "sgd", START, 5, batch_size=4, data_seed=bad)


def test_an_ensemble_over_shuffles_matches_separate_runs():
    land, opt = _land(24), make_optimizer("sgd", lr=0.1)
    q = (0.1, 0.5, 0.9)
    ens = ensemble(land, opt, START, 30, over="shuffle", members=12, data_seed=5, batch_size=4,
                   quantiles=q)
    paths = np.stack([run(land, opt, START, 30, batch_size=4, data_seed=5 + m).path[:, 0]
                      for m in range(12)], axis=1)
    losses = land.f(paths)
    np.testing.assert_allclose(ens.loss_quantiles, np.quantile(losses, q, axis=1), rtol=1e-12)
    np.testing.assert_allclose(ens.mean, paths.mean(axis=1), rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(ens.cov[-1], np.cov(paths[-1].T), rtol=1e-10)
    assert ens.over == "shuffle" and np.all(ens.loss_quantiles[0] <= ens.loss_quantiles[2])
    assert ens.loss_quantiles[2, -1] > ens.loss_quantiles[0, -1]  # the shuffles spread the members
    spec = ensemble_loss_spec([ens], x="epoch")
    np.testing.assert_allclose(spec["data"][0]["x"], ens.step / 6)


@pytest.mark.parametrize(("land", "kwargs", "match"), [
    ("rosenbrock", {"batch_size": 4}, "needs a surface made from data"),
    ("linear_regression", {}, "batch_size below"),
    ("linear_regression", {"batch_size": 64}, "batch_size below"),
    ("linear_regression", {"batch_size": 4, "shuffle": False}, "shuffle on"),
    ("linear_regression", {"batch_size": 4, "data_seed": -1}, "data_seed must be"),
])
def test_an_ensemble_over_shuffles_says_what_it_needs(land, kwargs, match):
    with pytest.raises(ValueError, match=match):
        ensemble(land, "sgd", START, 5, over="shuffle", members=4, **kwargs)


def test_an_ensemble_over_noise_still_needs_noise():
    with pytest.raises(ValueError, match="noise σ must be a finite number > 0"):
        ensemble(_land(), "sgd", START, 5, members=4)
    with pytest.raises(ValueError, match="over must be one of noise, shuffle"):
        ensemble(_land(), "sgd", START, 5, noise=1.0, members=4, over="seeds")

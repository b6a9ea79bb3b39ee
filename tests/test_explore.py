"""Sweeps, basin maps and ensembles against separate runs recorded at every step, and the
heavy-ball theory against per-cell eigenvalues and against the engine's own decay rates."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from landscapes import from_formula, get_landscape
from optim_core import (
    basins,
    ensemble,
    heavy_ball_lr_limit,
    heavy_ball_rate,
    make_optimizer,
    quadratic_curvatures,
    run,
    sweep,
)


def first_step(reached: np.ndarray, diverged_at: int) -> int:
    """First recorded step (rows = steps 0..S) where ``reached`` holds, before divergence."""
    hits = np.flatnonzero(reached)
    hits = hits[hits < diverged_at] if diverged_at >= 0 else hits
    return int(hits[0]) if hits.size else -1


# --------------------------------------------------------------------------------------------
# Sweeps


def test_sweep_cells_equal_single_runs(backend):
    name, device = backend
    land = get_landscape("rosenbrock")
    lrs, mus = np.geomspace(1e-4, 3e-3, 5), np.array([0.0, 0.5, 0.9])
    tol = 1e-2
    sw = sweep(land, "sgd", {"lr": lrs, "momentum": mus}, (-1.0, 1.5), 300, tol=tol,
               backend=name, device=device)
    assert sw.final_loss.shape == sw.steps_to_tol.shape == sw.diverged_at.shape == (5, 3)
    assert (sw.diverged_at >= 0).any() and (sw.diverged_at < 0).any()
    assert (sw.steps_to_tol > 0).any() and (sw.steps_to_tol < 0).any()
    for i, lr in enumerate(lrs):
        for j, mu in enumerate(mus):
            one = run(land, make_optimizer("sgd", lr=lr, momentum=mu), (-1.0, 1.5), 300,
                      backend=name, device=device)
            assert sw.final_loss[i, j] == one.loss[-1, 0]
            assert sw.diverged_at[i, j] == one.diverged_at[0]
            np.testing.assert_array_equal(sw.final_point[i, j], one.path[-1, 0])
            assert sw.steps_to_tol[i, j] == first_step(one.loss[:, 0] - land.min_value <= tol,
                                                       one.diverged_at[0])


def test_adam_sweep_cells_equal_single_runs_of_the_same_arrays():
    """Each cell equals a run with its values as length-1 arrays bit for bit, and a run with
    Python floats to round-off (their β₁ᵗ may differ in the last bit; see sweep())."""
    land = get_landscape("rosenbrock")
    lrs, b1s = np.geomspace(1e-3, 3e-2, 4), np.array([0.6, 0.9, 0.99])
    sw = sweep(land, make_optimizer("adam", beta2=0.99), {"lr": lrs, "beta1": b1s}, steps=300)
    for i, lr in enumerate(lrs):
        for j, b1 in enumerate(b1s):
            as_array = make_optimizer("adam", lr=[lr], beta1=[b1], beta2=0.99)
            assert sw.final_loss[i, j] == run(land, as_array, land.start, 300).loss[-1, 0]
            as_float = make_optimizer("adam", lr=lr, beta1=b1, beta2=0.99)
            assert sw.final_loss[i, j] == pytest.approx(
                run(land, as_float, land.start, 300).loss[-1, 0], rel=1e-9, abs=1e-15)


def test_one_axis_sweep_keeps_fixed_settings():
    adam = make_optimizer("adam", beta1=0.8, label="mine")
    lrs = np.array([1e-3, 1e-2, 1e-1])
    sw = sweep("rosenbrock", adam, {"lr": lrs}, steps=50)
    assert sw.final_loss.shape == (3,)
    one = run("rosenbrock", make_optimizer("adam", lr=1e-2, beta1=0.8), get_landscape("rosenbrock").start, 50)
    assert sw.final_loss[1] == one.loss[-1, 0]
    assert sw.optimizer_at(1).hyperparams == {**adam.hyperparams, "lr": 1e-2}


def test_steps_to_tol_uses_distance_without_a_minimum_value():
    land = dataclasses.replace(get_landscape("himmelblau"), min_value=None)
    lrs = np.geomspace(1e-3, 2e-2, 4)
    sw = sweep(land, "sgd", {"lr": lrs}, (0.0, 0.0), 200, tol=1e-3)
    assert "distance" in sw.criterion
    for i, lr in enumerate(lrs):
        one = run(land, make_optimizer("sgd", lr=lr), (0.0, 0.0), 200)
        dist = land.nearest_minimum_distance(one.path[:, 0])
        assert sw.steps_to_tol[i] == first_step(dist <= 1e-3, one.diverged_at[0])
    assert (sw.steps_to_tol > 0).any()


@pytest.mark.parametrize(("axes", "message"), [
    ({"learning_rate": [0.1]}, "unknown hyperparameter 'learning_rate'; sweepable: lr, beta1"),
    ({"amsgrad": [True, False]}, "amsgrad is True or False, not a numeric range"),
    ({"lr": [0.1, -1.0]}, "lr (α) got -1.0 (in the per-trajectory array); allowed: 0 < lr ≤ 100"),
    ({"beta1": [[0.1, 0.2]]}, "must be a non-empty 1-D array; got shape (1, 2)"),
    ({"lr": []}, "must be a non-empty 1-D array; got shape (0,)"),
    ({"lr": [0.1], "beta1": [0.9], "beta2": [0.99]}, "axes must be a dict of one or two"),
    ({"lr": np.ones(600), "beta1": np.full(600, 0.5)}, "360000 cells is more than 262144"),
])
def test_bad_axes_say_what_is_allowed(axes, message):
    with pytest.raises(ValueError) as err:
        sweep("rosenbrock", "adam", axes, steps=10)
    assert message in str(err.value)


def test_bad_sweep_settings_say_what_is_wrong():
    with pytest.raises(ValueError, match="fixed settings must be single values; lr"):
        sweep("rosenbrock", make_optimizer("adam", lr=[0.1, 0.2]), {"beta1": [0.9]}, steps=5)
    with pytest.raises(ValueError, match="tol must be a finite number > 0"):
        sweep("rosenbrock", "adam", {"lr": [0.1]}, steps=5, tol=0.0)
    with pytest.raises(ValueError, match="record and track are chosen by the explorer"):
        sweep("rosenbrock", "adam", {"lr": [0.1]}, steps=5, record="all")
    with pytest.raises(ValueError, match="declares neither its minimum value nor its minima"):
        sweep(from_formula("x**2 + y**2"), "adam", {"lr": [0.1]}, steps=5)
    with pytest.raises(ValueError, match="one finite start point"):
        sweep("rosenbrock", "adam", {"lr": [0.1]}, [[0, 0], [1, 1]], steps=5)


# --------------------------------------------------------------------------------------------
# Basins


def test_basin_labels_equal_single_runs(backend):
    name, device = backend
    land = get_landscape("himmelblau")
    opt = make_optimizer("sgd", lr=0.02, momentum=0.5)
    tol = 1e-3
    bs = basins(land, opt, resolution=(24, 20), steps=30, tol=tol, backend=name, device=device)
    assert bs.label.shape == bs.steps_to_tol.shape == (20, 24)
    assert set(np.unique(bs.label)) == {-2, -1, 0, 1, 2, 3}
    rng = np.random.default_rng(0)
    cells = [tuple(rng.integers((20, 24))) for _ in range(24)]
    cells += [tuple(np.argwhere(bs.label == k)[0]) for k in (-2, -1, 0, 1, 2, 3)]
    for j, i in cells:
        one = run(land, opt, (bs.x[i], bs.y[j]), 30, backend=name, device=device)
        dist = np.stack([np.hypot(*(one.path[:, 0] - m).T) for m in land.minima], axis=1)
        first = first_step(dist.min(axis=1) <= tol, one.diverged_at[0])
        label = -2 if one.diverged_at[0] >= 0 else int(np.argmin(dist[first])) if first >= 0 else -1
        assert (bs.label[j, i], bs.steps_to_tol[j, i]) == (label, first), (j, i)


def test_basin_grid_is_cell_centres_and_bad_input_is_refused():
    bs = basins("himmelblau", "adam", resolution=(4, 2), bounds=((0, 4), (-1, 1)), steps=5)
    np.testing.assert_array_equal(bs.x, [0.5, 1.5, 2.5, 3.5])
    np.testing.assert_array_equal(bs.y, [-0.5, 0.5])
    with pytest.raises(ValueError, match="resolution"):
        basins("himmelblau", "adam", resolution=(0, 4), steps=5)
    with pytest.raises(ValueError, match="bounds must be finite and increasing"):
        basins("himmelblau", "adam", bounds=((1, 0), (0, 1)), steps=5)
    with pytest.raises(ValueError, match="declares no minima"):
        basins(from_formula("x**2 + y**2"), "adam", steps=5)


# --------------------------------------------------------------------------------------------
# Ensembles


def test_ensemble_statistics_equal_a_direct_computation():
    land = get_landscape("rosenbrock")
    q = (0.1, 0.5, 0.9)
    ens = ensemble(land, "adam", (-1.0, 1.5), 60, noise=2.0, members=40, seed=3, quantiles=q)
    direct = run(land, "adam", np.repeat([[-1.0, 1.5]], 40, axis=0), 60, noise=2.0, seed=3)
    for t in (0, 7, 60):
        np.testing.assert_allclose(ens.loss_quantiles[:, t], np.quantile(direct.loss[t], q))
        np.testing.assert_allclose(ens.mean[t], direct.path[t].mean(axis=0))
        np.testing.assert_allclose(ens.cov[t], np.cov(direct.path[t].T), atol=1e-15)
    assert ens.loss_quantiles[0, 60] < ens.loss_quantiles[2, 60]  # the noise spreads them
    with pytest.raises(ValueError, match="noise σ must be a finite number > 0"):
        ensemble(land, "adam", steps=5, noise=0.0)
    with pytest.raises(ValueError, match="members must be a whole number from 2"):
        ensemble(land, "adam", steps=5, noise=1.0, members=1)


# --------------------------------------------------------------------------------------------
# Theory


def test_heavy_ball_rate_equals_the_eigenvalues_per_cell():
    h = np.array([0.3, 10.0])
    lrs, betas = np.geomspace(1e-3, 1.0, 30), np.linspace(0.0, 0.99, 25)
    rho = heavy_ball_rate(lrs[:, None], betas[None, :], h)
    assert rho.shape == (30, 25)
    for i, lr in enumerate(lrs):
        for j, b in enumerate(betas):
            radius = max(np.abs(np.linalg.eigvals([[1 + b - lr * k, -b], [1, 0]])).max() for k in h)
            assert rho[i, j] == pytest.approx(radius, rel=1e-7, abs=1e-12)
    assert (rho < 1).any() and (rho > 1).any()


def test_heavy_ball_boundary_is_where_the_rate_reaches_one():
    h = [1.0, 10.0]
    betas = np.linspace(0.0, 0.95, 7)
    limit = heavy_ball_lr_limit(betas, h)
    np.testing.assert_allclose(limit, 2 * (1 + betas) / 10.0)
    np.testing.assert_allclose(heavy_ball_rate(limit, betas, h), 1.0, rtol=1e-12)
    assert np.all(heavy_ball_rate(limit * 0.99, betas, h) < 1)
    assert np.all(heavy_ball_rate(limit * 1.01, betas, h) > 1)


def test_heavy_ball_rate_is_the_engine_s_decay_rate():
    """‖w_t‖^(1/t) → ρ: the growth of ‖w‖ between steps T/2 and T (max over a window, which
    spans the oscillation of complex eigenvalues) on the quadratic bowl, for torch-convention
    SGD with momentum run by the engine."""
    land = get_landscape("quadratic", a=1.0, c=10.0)
    lr, mu = (g.ravel() for g in np.meshgrid(np.geomspace(1e-3, 0.5, 24), np.linspace(0, 0.95, 20)))
    steps, window = 400, 20
    res = run(land, make_optimizer("sgd", lr=lr, momentum=mu), land.start, steps)
    norm = np.linalg.norm(res.path, axis=-1)
    late, mid = norm[steps - window:].max(axis=0), norm[steps // 2 - window: steps // 2 + 1].max(axis=0)
    empirical = (late / mid) ** (1 / (steps // 2))
    rho = heavy_ball_rate(lr, mu, quadratic_curvatures(land))
    calm = (rho > 0.2) & (rho < 0.98)
    assert calm.sum() > 200
    np.testing.assert_allclose(empirical[calm], rho[calm], rtol=0.02)
    assert np.all(res.diverged_at[rho > 1.05] >= 0) and np.all(res.diverged_at[rho < 0.99] < 0)


def test_curvatures_of_a_quadratic_and_refusal_elsewhere():
    np.testing.assert_allclose(quadratic_curvatures(get_landscape("quadratic", a=2.0, c=7.0)), [2, 7])
    np.testing.assert_allclose(quadratic_curvatures(from_formula("x**2 + x*y + y**2")), [1, 3])
    with pytest.raises(ValueError, match="not quadratic"):
        quadratic_curvatures(get_landscape("rosenbrock"))


def test_readme_explore_example_runs_as_written(capsys):
    import re
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    section = text.split("## Explore: sweeps, basins, ensembles", 1)[1].split("\n## ", 1)[0]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)  # our own README, not user input
    assert "(128, 100) f − f* ≤ 1e-08 (f* = 0)" in capsys.readouterr().out
    assert [m.label.shape for m in namespace["maps"]] == [(128, 128)] * 2
    assert namespace["runs"][1].loss_quantiles.shape == (5, 151)

"""Surfaces made from data: minima against NumPy's least squares and a hand-written
cross-entropy, batch gradients against torch autograd, datasets without scikit-learn."""

from __future__ import annotations

import dataclasses
import sys

import numpy as np
import pytest

from landscapes import DataLandscape, get_landscape
from landscapes.data import A1, A2, T
from landscapes.formula import X, Y

LINEAR_CASES = [{}, {"offset": 5.0}, {"scale": 10.0, "offset": -10.0, "noise": 2.0},
                {"n": 8, "outliers": 0.3, "seed": 3}]


def _design(land: DataLandscape):
    a1, a2, t = land.data
    return np.stack([a1, a2], axis=1), t


@pytest.mark.parametrize("params", LINEAR_CASES)
def test_linear_minimum_is_the_least_squares_solution(params):
    land = get_landscape("linear_regression", **params)
    a, t = _design(land)
    ref, *_ = np.linalg.lstsq(a, t, rcond=None)
    np.testing.assert_allclose(land.minima[0], ref, rtol=1e-9, atol=1e-10)
    assert land.min_value == pytest.approx(np.mean((a @ ref - t) ** 2), rel=1e-12)


def test_diabetes_minimum_is_the_least_squares_solution():
    pytest.importorskip("sklearn")
    land = get_landscape("diabetes_regression", offset=3.0)
    a, t = _design(land)
    assert a.shape == (442, 2)
    ref, *_ = np.linalg.lstsq(a, t, rcond=None)
    np.testing.assert_allclose(land.minima[0], ref, rtol=1e-9)


def _torch_loss(name, theta, a, t, lam):
    """The per-sample losses written out by hand (torch), for autograd."""
    import torch

    z = a @ theta
    if name.endswith("regression") and "logistic" not in name:
        return (z - t) ** 2
    return torch.nn.functional.softplus(z) - t * z + lam / 2 * (theta @ theta)


@pytest.mark.parametrize("name,params", [("logistic_regression", {}),
                                         ("logistic_regression", {"offset": 4.0, "lam": 0.001}),
                                         ("logistic_regression", {"flip": 0.2, "outliers": 0.1}),
                                         ("iris_logistic", {"lam": 0.1})])
def test_logistic_minimum_zeroes_the_autograd_gradient(name, params):
    torch = pytest.importorskip("torch")
    if name == "iris_logistic":
        pytest.importorskip("sklearn")
    land = get_landscape(name, **params)
    a, t = (torch.tensor(v) for v in _design(land))
    theta = torch.tensor(land.minima[0], dtype=torch.float64, requires_grad=True)
    loss = _torch_loss(name, theta, a, t, land.params["lam"]).mean()
    (grad,) = torch.autograd.grad(loss, theta)
    assert float(grad.abs().max()) < 1e-10
    assert land.min_value == pytest.approx(float(loss.detach()), rel=1e-12)
    # and it is a minimum: every nearby point is higher
    ring = land.minima[0] + 1e-2 * np.stack([np.cos(np.arange(8)), np.sin(np.arange(8))], axis=1)
    assert np.all(land.f(ring) > land.min_value)


@pytest.mark.parametrize("name", ["linear_regression", "logistic_regression"])
def test_batch_gradient_is_autograd_of_the_mean_per_sample_loss(name):
    torch = pytest.importorskip("torch")
    land = get_landscape(name, n=40, offset=1.5)
    a, t = (torch.tensor(v) for v in _design(land))
    lam = land.params.get("lam", 0.0)
    rng = np.random.default_rng(0)
    points = rng.uniform(-3, 3, (6, 2))
    for batch in (np.array([7]), np.array([3, 3, 39, 0]), rng.permutation(40)[:16]):
        value, grad = land.value_and_grad(points, samples=batch)
        for k, p in enumerate(points):
            theta = torch.tensor(p, requires_grad=True)
            loss = _torch_loss(name, theta, a[batch], t[batch], lam).mean()
            (auto,) = torch.autograd.grad(loss, theta)
            np.testing.assert_allclose(grad[k], auto.numpy(), rtol=1e-12, atol=1e-12)
            assert value[k] == pytest.approx(float(loss.detach()), rel=1e-12)


def test_an_offset_feature_makes_a_ravine_and_standardising_removes_it():
    def condition(**params):
        a, _ = _design(get_landscape("linear_regression", **params))
        eig = np.linalg.eigvalsh(2 * a.T @ a / len(a))
        return eig[-1] / eig[0]

    assert condition() < 1.5  # standardised: a round bowl
    assert condition(offset=5.0) > 500  # Hessian 2[[E u², E u], [E u, 1]]: a narrow valley
    assert condition(scale=10.0) > 50


def test_generated_data_needs_no_scikit_learn(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn", None)  # import sklearn now fails
    assert get_landscape("linear_regression", seed=4321).n_samples == 64
    assert get_landscape("logistic_regression", seed=4321).n_samples == 64
    with pytest.raises(ValueError, match=r"optiviz\[data\]"):
        get_landscape("diabetes_regression", scale=0.37)


def test_bad_data_parameters_say_what_is_allowed():
    with pytest.raises(ValueError, match="n"):
        get_landscape("linear_regression", n=3)
    with pytest.raises(ValueError, match="offset"):
        get_landscape("logistic_regression", offset=50.0)


def test_outliers_lift_that_fraction_of_the_targets_by_ten():
    clean = get_landscape("linear_regression", n=64, outliers=0.0, seed=11).data[2]
    dirty = get_landscape("linear_regression", n=64, outliers=0.25, seed=11).data[2]
    np.testing.assert_allclose(np.sort(dirty - clean), [0.0] * 48 + [10.0] * 16, atol=1e-12)


def test_label_noise_flips_that_many_labels_and_outliers_sit_far_out_labelled_zero():
    from landscapes.data import OUTLIER_V

    def data(**params):
        return _design(get_landscape("logistic_regression", n=64, seed=5, offset=1.0, scale=2.0,
                                     **params))

    (a0, t0), (a1, t1), (a2, t2) = data(), data(flip=0.25), data(outliers=0.125)
    np.testing.assert_array_equal(a1, a0)
    assert int(np.sum(t1 != t0)) == 16  # exactly round(0.25 · 64), the features untouched
    np.testing.assert_array_equal(a2[:8, 0], 1.0 + 2.0 * OUTLIER_V)
    np.testing.assert_array_equal(t2[:8], 0.0)
    np.testing.assert_array_equal(a2[8:], a0[8:])
    np.testing.assert_array_equal(t2[8:], t0[8:])
    # mislabelled far points pull the fitted weight down
    assert get_landscape("logistic_regression", outliers=0.1).minima[0][0] < \
        0.5 * get_landscape("logistic_regression").minima[0][0]


@pytest.mark.parametrize(("name", "least_squares"), [
    ("linear_regression", True), ("diabetes_regression", True),
    ("logistic_regression", False), ("iris_logistic", False)])
def test_the_surface_on_a_grid_is_the_mean_of_the_per_sample_losses(name, least_squares,
                                                                    monkeypatch):
    """f on many points (the picture) equals the plain mean over samples of ℓ, in float64
    to round-off: from the data's moments for least squares (whose cost does not grow with
    the samples), block by block for the others (blocks smaller than the grid here)."""
    from landscapes import data

    land = get_landscape(name)
    assert (land._mean_program is not None) == least_squares
    monkeypatch.setattr(data, "POINTS_PER_BLOCK", 1000)
    (x0, x1), (y0, y1) = land.bounds
    grid = np.stack(np.meshgrid(np.linspace(x0, x1, 23), np.linspace(y0, y1, 17)), axis=-1)
    a1, a2, t = land.data
    per_sample = [[float(np.mean([float(land.expr.subs({X: gx, Y: gy, A1: u, A2: v, T: w}))
                                  for u, v, w in zip(a1[:40], a2[:40], t[:40], strict=True)]))
                   for gx, gy in row] for row in grid[::8, ::11]]
    few = dataclasses.replace(land, data=land.data[:, :40])
    np.testing.assert_allclose(few.f(grid)[::8, ::11], per_sample, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(land.f(grid), land.value_and_grad(grid)[0], rtol=1e-10, atol=1e-12)

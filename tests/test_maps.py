"""The explorer's figures draw what the results hold: values decoded from the figures are
compared with the results' arrays, and the shapes drawn with the math they claim."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import pytest

from landscapes import get_landscape
from optim_core import basins, ensemble, heavy_ball_rate, make_optimizer, quadratic_curvatures, sweep
from tests.plotly_arrays import as_array
from viz import (
    basin_map_figure,
    basin_map_spec,
    ensemble_loss_spec,
    ensemble_path_figure,
    ensemble_path_spec,
    sweep_map_figure,
    sweep_map_spec,
)
from viz.maps import basin_colorscale, spread_ellipses


@pytest.fixture(scope="module")
def momentum_sweep():
    land = get_landscape("quadratic")
    lrs, mus = np.geomspace(1e-2, 1.0, 12), np.linspace(0.0, 0.9, 10)
    sw = sweep(land, "sgd", {"lr": lrs, "momentum": mus}, steps=60, tol=1e-6)
    return sw, heavy_ball_rate(lrs[:, None], mus[None, :], quadratic_curvatures(land))


def by_name(spec, name):
    return next(t for t in spec["data"] if t.get("name") == name)


def test_sweep_map_colours_the_loss_gap_and_marks_divergence(momentum_sweep):
    sw, rho = momentum_sweep
    spec = sweep_map_spec(sw, rho=rho)
    heat = spec["data"][0]
    z = as_array(heat["z"])
    gone = sw.diverged_at >= 0
    assert gone.any() and (~gone).any()
    assert np.all(np.isnan(z[gone]))
    np.testing.assert_allclose(z[~gone], np.log10(np.maximum(sw.final_loss[~gone], 1e-16)), rtol=1e-6)
    np.testing.assert_array_equal(~np.isnan(as_array(by_name(spec, "diverged")["z"])), gone)
    np.testing.assert_array_equal(heat["x"], sw.axes["momentum"])
    np.testing.assert_array_equal(heat["y"], sw.axes["lr"])
    assert spec["layout"]["yaxis"]["type"] == "log" and spec["layout"]["xaxis"]["type"] == "linear"
    custom = as_array(heat["customdata"])
    np.testing.assert_array_equal(custom[..., 1], sw.steps_to_tol)
    boundary = by_name(spec, "ρ = 1 (theory)")
    assert boundary["contours"]["start"] == boundary["contours"]["end"] == 1.0
    np.testing.assert_allclose(as_array(boundary["z"]), rho, rtol=1e-6)
    assert isinstance(sweep_map_figure(sw, rho=rho), go.Figure)  # Plotly accepts every property


def test_sweep_map_of_steps_greys_cells_that_never_reach_tol(momentum_sweep):
    sw, _ = momentum_sweep
    spec = sweep_map_spec(sw, "steps_to_tol")
    z = as_array(spec["data"][0]["z"])
    reached = sw.steps_to_tol >= 0
    np.testing.assert_array_equal(z[reached], sw.steps_to_tol[reached])
    assert np.all(np.isnan(z[~reached]))  # drawn by the grey and red layers instead
    never = ~np.isnan(as_array(by_name(spec, "tol never reached")["z"]))
    np.testing.assert_array_equal(never, ~reached & (sw.diverged_at < 0))
    assert never.any()
    with pytest.raises(ValueError, match="metric must be one of final_loss, steps_to_tol, diverged_at"):
        sweep_map_spec(sw, "loss")
    with pytest.raises(ValueError, match=r"rho must be shaped like the sweep \(12, 10\)"):
        sweep_map_spec(sw, rho=np.ones((10, 12)))


def test_one_axis_sweep_is_a_line_with_its_theory():
    land = get_landscape("quadratic")
    lrs = np.geomspace(1e-2, 1.0, 20)
    sw = sweep(land, "sgd", {"lr": lrs}, steps=60)
    rho = heavy_ball_rate(lrs, 0.0, quadratic_curvatures(land))
    spec = sweep_map_spec(sw, rho=rho)
    line = spec["data"][0]
    assert line["type"] == "scatter"
    np.testing.assert_array_equal(np.isnan(line["y"]), sw.diverged_at >= 0)
    assert len(by_name(spec, "diverged (drawn at the lowest value)")["x"]) == (sw.diverged_at >= 0).sum()
    np.testing.assert_array_equal(by_name(spec, "ρ (theory)")["y"], rho)
    go.Figure(spec)


def test_basin_map_encodes_each_label_and_shades_by_steps():
    land = get_landscape("himmelblau")
    results = [basins(land, make_optimizer("sgd", lr=0.02, momentum=0.5), resolution=(30, 24), steps=40),
               basins(land, make_optimizer("adam", lr=0.1), resolution=(30, 24), steps=40)]
    spec = basin_map_spec(results)
    heats = [t for t in spec["data"] if t["type"] == "heatmap"]
    assert [h["xaxis"] for h in heats] == ["x", "x2"]
    slowest = max(int(r.steps_to_tol.max()) for r in results)
    for heat, bs in zip(heats, results, strict=True):
        z = as_array(heat["z"])
        np.testing.assert_array_equal(np.floor(z).astype(int) - 2, bs.label)
        reached = bs.steps_to_tol >= 0
        shade = z[reached] - np.floor(z[reached])
        np.testing.assert_allclose(shade, 0.9 * np.log1p(bs.steps_to_tol[reached]) / np.log1p(slowest),
                                   rtol=1e-5, atol=1e-6)
        np.testing.assert_array_equal(as_array(heat["customdata"])[..., 0], bs.label)
    assert {-2, -1, 0, 1, 2, 3} <= set(np.unique(results[0].label))
    legend = [t["name"] for t in spec["data"] if t["type"] == "scatter" and t.get("name")]
    assert legend[:3] == ["diverged", "no minimum within tol", "minimum 0 (3, 2)"]
    basin_map_figure(results)
    with pytest.raises(ValueError, match="same surface"):
        basin_map_spec([results[0], basins("six_hump_camel", "adam", resolution=(4, 4), steps=5)])


def test_basin_colorscale_is_a_valid_scale_with_one_band_per_category():
    scale = basin_colorscale(4)
    stops = [s for s, _ in scale]
    assert stops[0] == 0 and stops[-1] == 1 and stops == sorted(stops)
    assert len(scale) == 2 * 6 + 1
    assert scale[0][1] == "rgb(0,0,0)"  # diverged: black at full strength


def test_spread_ellipses_are_the_k_sigma_level_sets():
    mean = np.array([[1.0, -2.0], [0.0, 0.0]])
    cov = np.array([[[2.0, 0.6], [0.6, 0.5]], [[1e-4, 0.0], [0.0, 0.0]]])
    ring = spread_ellipses(mean, cov, k=2.0, points=36).reshape(2, 38, 2)
    assert np.all(np.isnan(ring[:, -1]))
    d = ring[0, :-1] - mean[0]
    np.testing.assert_allclose(np.einsum("pi,ij,pj->p", d, np.linalg.inv(cov[0]), d), 4.0)
    np.testing.assert_allclose(ring[0, 0], ring[0, -2])  # closed
    np.testing.assert_allclose(np.abs(ring[1, :-1, 0]).max(), 2 * 1e-2)  # a degenerate one is a segment


def test_ensemble_figures_draw_the_mean_and_the_quantiles():
    land = get_landscape("quadratic")
    ens = ensemble(land, "adam", steps=30, noise=1.0, members=16, quantiles=(0.1, 0.5, 0.9))
    spec = ensemble_path_spec(land, [ens], ellipses=5)
    mean = by_name(spec, "Adam: mean of 16")
    np.testing.assert_allclose(as_array(mean["x"]), ens.mean[:, 0], rtol=1e-6)
    band = by_name(spec, "Adam: 1σ spread")
    assert np.isnan(np.asarray(band["x"], dtype=float)).sum() == 5
    loss = ensemble_loss_spec([ens])
    lines = [as_array(t["y"]) for t in loss["data"]]
    np.testing.assert_allclose(lines[0], ens.loss_quantiles[2], rtol=1e-6)
    np.testing.assert_allclose(lines[1], ens.loss_quantiles[0], rtol=1e-6)
    np.testing.assert_allclose(lines[2], ens.loss_quantiles[1], rtol=1e-6)
    assert loss["data"][1]["fill"] == "tonexty"
    ensemble_path_figure(land, [ens])

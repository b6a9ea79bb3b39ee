"""The dataset panel: each data surface's picture of its samples and of the model at θ (against
the model's formulas written out here), the notebook figure, and the page (AppTest): the panel
appears for surfaces made from data only, carries their samples and every path's θ per row;
the curves switch to epochs; the Ensemble view spreads over shuffling seeds."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from landscapes import LANDSCAPES, get_landscape
from optim_core import ensemble, make_optimizer, run
from tests.page_chart import chart_figure, curve_figures
from tests.plotly_arrays import as_array
from ui import keys
from ui.viewformat import encode
from viz.dataset import dataset_figure, dataset_replay, dataset_spec, picture_of

APP = str(Path(__file__).resolve().parents[1] / "app.py")
DATA_SURFACES = [name for name, spec in LANDSCAPES.items() if hasattr(spec, "picture")]
THETAS = np.array([[1.5, -0.5], [-2.0, 3.0], [0.3, 0.0]])


def _land(name):
    if name in ("diabetes_regression", "iris_logistic"):
        pytest.importorskip("sklearn")
    return get_landscape(name)


def test_the_data_surfaces_are_the_four_declared():
    assert DATA_SURFACES == ["linear_regression", "diabetes_regression", "logistic_regression",
                             "iris_logistic"]
    assert picture_of(get_landscape("rosenbrock")) is None


@pytest.mark.parametrize("name", DATA_SURFACES)
def test_the_fit_is_the_models_output_at_theta(name):
    land = _land(name)
    picture, (a1, a2, t) = land.picture, land.data
    xs, ys = picture.fit(land.data, THETAS)
    (x0, x1), (y0, y1) = picture.box(land.data)
    for (w, b), x, y in zip(THETAS, xs, ys, strict=True):
        if picture.kind == "boundary":  # w·u₁ + b·u₂ = 0, reaching every corner of the box
            np.testing.assert_allclose(w * x + b * y, 0.0, atol=1e-12)
            corner = np.hypot(max(abs(x0), abs(x1)), max(abs(y0), abs(y1)))
            np.testing.assert_allclose(np.hypot(x, y), corner)
        elif picture.link == "identity":  # the line ŷ = w·u + b across the box
            np.testing.assert_allclose(x, [x0, x1])
            np.testing.assert_allclose(y, w * x + b)
        else:  # P(class 1) = 1 / (1 + e^{−(w·u + b)})
            assert len(x) > 10 and x[0] == x0 and x[-1] == x1
            np.testing.assert_allclose(y, 1 / (1 + np.exp(-(w * x + b))), rtol=1e-12)
    # the samples drawn are the dataset's: (u, t) for a curve, (u₁, u₂) by class for a boundary
    sx, sy, cls = picture.samples(land.data)
    np.testing.assert_array_equal(sx, a1)
    np.testing.assert_array_equal(sy, a2 if picture.kind == "boundary" else t)
    assert (cls is None) == (picture.kind == "curve")
    assert x0 < a1.min() and a1.max() < x1


def test_the_figure_shows_the_samples_and_each_final_fit():
    land = get_landscape("linear_regression", n=16)
    results = [run(land, make_optimizer("sgd", lr=lr), land.start, 20) for lr in (0.05, 0.2)]
    fig = dataset_figure(land, results, colors=["#111111", "#222222"])
    samples, *fits = fig.data
    np.testing.assert_array_equal(samples.x, land.data[0])
    np.testing.assert_array_equal(samples.y, land.data[2])
    for res, trace in zip(results, fits, strict=True):
        (w, b) = res.path[-1, 0]
        np.testing.assert_allclose(trace.y, w * np.asarray(trace.x) + b)
    early = dataset_spec(land, results, row=3)["data"][1]
    np.testing.assert_allclose(early["y"], results[0].path[3, 0, 0] * early["x"] + results[0].path[3, 0, 1])
    with pytest.raises(ValueError, match="not made from data"):
        dataset_spec(get_landscape("rosenbrock"), [])


def test_the_replay_holds_each_path_theta_per_row_and_the_last_finite_one_after_divergence():
    land = get_landscape("linear_regression", n=16)
    good = run(land, make_optimizer("sgd", lr=0.05), land.start, 30)
    bad = run(land, make_optimizer("sgd", lr=5.0), land.start, 30)  # leaves the box
    d = int(bad.diverged_at[0])
    assert 0 < d < 30
    replay = dataset_replay(land, [good, bad])["replay"]
    assert replay["first"] == 1 and replay["kind"] == "curve" and replay["link"] == "identity"
    first, second = (as_array(t).reshape(-1, 2) for t in replay["theta"])  # float32
    np.testing.assert_allclose(first, good.path[:, 0], rtol=1e-6)
    np.testing.assert_allclose(second[:d], bad.path[:d, 0], rtol=1e-6)
    np.testing.assert_array_equal(second[d:], np.broadcast_to(second[d - 1], (31 - d, 2)))
    assert np.all(np.isfinite(second))


# --- the page ------------------------------------------------------------------------------------


def _open(config: dict, main: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["view"] = encode({**config, "version": 3, **({"main": main} if main else {})})
    at.run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    return at


def _panel(at: AppTest) -> dict | None:
    parts = {e.proto.component_name: e.proto.bytes for e in at.get("bidi_component")}
    return json.loads(parts["optiviz_dataset"]) if "optiviz_dataset" in parts else None


REGRESSION = {"surface": "linear_regression", "surface_params": {"n": 32}, "steps": 40,
              "optimizers": [{"name": "sgd", "params": {"lr": 0.1}}, {"name": "adam", "params": {"lr": 0.1}}],
              "batch": {"size": 8, "data_seed": 2}}


@pytest.mark.parametrize("name", DATA_SURFACES)
def test_the_panel_shows_the_dataset_and_follows_every_path(name):
    land = _land(name)
    at = _open({**REGRESSION, "surface": name, "surface_params": {}, "batch": None})
    panel = _panel(at)
    assert panel is not None and panel["source"] == ".st-key-paths"
    figure, replay = panel["payload"]["figure"], panel["payload"]["replay"]
    sx, sy, cls = land.picture.samples(land.data)
    drawn = figure["data"][:replay["first"]]
    xs = np.concatenate([as_array(t["x"]) for t in drawn])
    ys = np.concatenate([as_array(t["y"]) for t in drawn])
    order = np.concatenate([np.flatnonzero(cls == k) for k in (0, 1)]) if cls is not None else slice(None)
    np.testing.assert_array_equal(xs, sx[order])
    np.testing.assert_array_equal(ys, sy[order])
    paths = [t for t in chart_figure(at)["data"] if t.get("mode") == "lines+markers"]
    thetas = [as_array(t).reshape(-1, 2) for t in replay["theta"]]
    assert len(thetas) == len(paths) == 2
    for theta in thetas:  # every θ per row is a path drawn on the contour (float32 there)
        assert any(np.allclose(theta, np.stack([as_array(p["x"]), as_array(p["y"])], -1), rtol=1e-6)
                   for p in paths)


@pytest.mark.parametrize("surface", ["rosenbrock", "quadratic"])
def test_no_panel_and_no_epoch_switch_without_data(surface):
    at = _open({**REGRESSION, "surface": surface, "surface_params": {}, "batch": None})
    assert _panel(at) is None
    assert not [b for b in at.get("button_group") if b.key == keys.CURVE_X]


def test_the_curves_switch_to_epochs():
    at = _open(REGRESSION)
    (switch,) = [b for b in at.get("button_group") if b.key == keys.CURVE_X]
    loss = curve_figures(at)[0]
    assert loss["layout"]["xaxis"]["title"]["text"] == "step"
    switch.set_value("epoch").run()
    loss = curve_figures(at)[0]
    assert loss["layout"]["xaxis"]["title"]["text"] == "epoch"
    np.testing.assert_allclose(as_array(loss["data"][0]["x"]), np.arange(41) / 4)  # 32 / 8 = 4 steps


def test_the_ensemble_view_spreads_over_shuffling_seeds():
    at = _open({**REGRESSION, "optimizers": REGRESSION["optimizers"][:1]}, "ensemble")
    at.session_state[keys.explore("ensemble", "members")] = 16
    at.run()
    assert not at.exception and not at.error
    over = [b for b in at.get("button_group") if b.key == keys.explore("ensemble", "over")]
    assert over and over[0].value == "shuffle"
    _, loss = (json.loads(c.proto.spec) for c in at.get("plotly_chart"))
    median = next(t for t in loss["data"] if t["name"].endswith("0.5 quantile"))
    land = get_landscape("linear_regression", n=32)
    ens = ensemble(land, make_optimizer("sgd", lr=0.1), land.start, 40, over="shuffle", members=16,
                   data_seed=2, batch_size=8)
    np.testing.assert_allclose(as_array(median["y"]), ens.loss_quantiles[2], rtol=1e-6)
    np.testing.assert_allclose(as_array(median["x"]), np.arange(41) / 4)  # against epochs
    assert any("shuffling its batches of 8" in c.value for c in at.caption)


def test_the_shuffle_ensemble_asks_for_a_mini_batch():
    at = _open({**REGRESSION, "batch": {"size": 32}}, "ensemble")
    assert any("same batches with batch size 32 of 32" in i.value for i in at.info)
    assert not at.get("plotly_chart")


def test_a_views_files_run_its_mini_batches_and_carry_the_panel():
    from ui.scene import scene_of
    from ui.viewformat import check
    from viz.export import html_text

    scene = scene_of(check({**REGRESSION, "version": 3}))
    land = get_landscape("linear_regression", n=32)
    want = run(land, make_optimizer("sgd", lr=0.1), land.start, 40, batch_size=8, data_seed=2)
    np.testing.assert_array_equal(scene.results[0].path, want.path)
    page = html_text(scene.landscape, scene.results, colors=scene.colors)
    assert "window.OptivizData.mount(" in page and 'id="data"' in page
    plain = html_text(get_landscape("quadratic"), [run("quadratic", "sgd", (1.0, 1.0), 5)])
    assert "OptivizData.mount(" not in plain and 'id="data"' not in plain

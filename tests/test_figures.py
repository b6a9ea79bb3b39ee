"""The step-by-step replay, curves, 3D view, summary table and LaTeX values, against hand-worked runs."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import plotly.graph_objects as go
import pytest
from plotly.offline import get_plotlyjs

from landscapes import from_formula, get_landscape
from optim_core import OPTIMIZERS, make_optimizer, run, run_many
from viz import (
    METRICS,
    contour_figure,
    contour_spec,
    metric_figure,
    summary_rows,
    surface3d_figure,
    surface3d_spec,
)
from viz.animation import animator_source
from viz.html_export import html_document, script_json
from viz.latex import symbol_latex, value_latex, values_latex
from viz.overlays import overlays_source
from viz.series import step_axis

from .plotly_arrays import as_array


def _descent(lr=0.5, steps=10):
    """Gradient descent on f = (x² + y²)/2 from (2, 0): w_t = (1 − α)ᵗ w₀ exactly."""
    land = get_landscape("quadratic", a=1.0, c=1.0)
    return land, run(land, make_optimizer("sgd", lr=lr), [[2.0, 0.0]], steps)


def test_every_figure_is_a_valid_plotly_spec():
    land = get_landscape("rosenbrock")
    results = run_many(land, ["adam", "sgd"], land.start, 300)
    figures = [contour_figure(land, results, animated=True),
               surface3d_figure(land, results, animated=True)]
    figures += [metric_figure(results, m, land) for m in METRICS]
    for fig in figures:
        go.Figure(fig.to_dict())  # Plotly's validator: raises on any unknown property


def _replay(fig: go.Figure) -> tuple[np.ndarray, list]:
    """The recorded steps and the moving traces the browser's animator reads."""
    meta = fig.layout.meta["optiviz"]
    return as_array(meta["steps"]), meta["moving"]


def _split(group) -> tuple[dict[int, list[int]], int]:
    """A result's moving traces: {trajectory j: its path traces} and its last-point markers."""
    paths: dict[int, list[int]] = {}
    for index, j in group:
        if j >= 0:
            paths.setdefault(j, []).append(index)
    (heads,) = [index for index, j in group if j == -1]
    return paths, heads


def test_the_replay_reveals_every_recorded_step_of_every_path():
    land = get_landscape("rosenbrock")
    results = run_many(land, ["adam", "momentum"], land.start, 500)
    fig = contour_figure(land, results, animated=True)
    steps, moving = _replay(fig)
    np.testing.assert_array_equal(steps, np.arange(501))
    assert len(moving) == 2
    for res, group in zip(results, moving, strict=True):
        paths, heads = _split(group)
        assert list(paths) == [0]
        for index in paths[0]:  # the whole path, every step (row k of the replay: its points 0..k)
            assert fig.data[index].mode.startswith("lines")
            np.testing.assert_array_equal(as_array(fig.data[index].x), res.path[:, 0, 0].astype(np.float32))
            np.testing.assert_array_equal(as_array(fig.data[index].y), res.path[:, 0, 1].astype(np.float32))
        np.testing.assert_allclose(as_array(fig.data[heads].x), res.path[-1, :, 0], rtol=1e-6)
    assert not fig.frames
    assert contour_figure(land, results).layout.meta is None  # a still figure has no replay


def test_the_replay_shows_a_bounce_as_it_happened():
    """Gradient descent on f = x² + 5y² with α = 0.2: y ← y − 0.2·10y = −y, so y bounces
    2, −2, 2, … at every step (frames that skipped every second step drew a flat line)."""
    land = from_formula("x^2 + 5*y^2")
    res = run(land, make_optimizer("sgd", lr=0.2), [[1.0, 2.0]], 200)
    fig = contour_figure(land, [res], animated=True)
    paths, _ = _split(_replay(fig)[1][0])
    for index in paths[0]:
        np.testing.assert_array_equal(as_array(fig.data[index].y), 2.0 * (-1.0) ** np.arange(201))
        np.testing.assert_allclose(as_array(fig.data[index].x), 0.6 ** np.arange(201), rtol=1e-6)


def test_the_replay_stops_a_diverged_path_at_its_last_finite_point():
    land = get_landscape("quadratic")
    res = run(land, make_optimizer("sgd", lr=np.array([0.05, 1.0])), land.start, 100, limit=1e3)
    d = int(res.diverged_at[1])
    assert 0 < d < 100
    fig = contour_figure(land, [res], animated=True)
    paths, heads = _split(_replay(fig)[1][0])
    assert all(len(as_array(fig.data[i].x)) == 101 for i in paths[0])
    for index in paths[1]:
        x = as_array(fig.data[index].x)
        assert len(x) == d and np.all(np.isfinite(x))  # rows 0..d−1: step d left the box
        np.testing.assert_allclose(x, res.path[:d, 1, 0], rtol=1e-6)
    np.testing.assert_allclose(as_array(fig.data[heads].x), [res.path[100, 0, 0], res.path[d - 1, 1, 0]],
                               rtol=1e-6)


def _numbers(value):
    """Every number in a figure spec (typed arrays decoded), with its path."""
    if isinstance(value, dict) and "bdata" in value:
        yield from as_array(value).ravel()
    elif isinstance(value, dict):
        for v in value.values():
            yield from _numbers(v)
    elif isinstance(value, list | tuple | np.ndarray):
        for v in value:
            yield from _numbers(v)
    elif isinstance(value, int | float | np.number) and not isinstance(value, bool):
        yield value


def test_no_nan_reaches_the_replayed_figure():
    land = from_formula("log(x) + y^2", bounds=((-1.0, 3.0), (-2.0, 2.0)))  # undefined for x ≤ 0
    res = run(land, make_optimizer("sgd", lr=np.array([0.1, 3.0])), [[1.0, 1.0], [1.5, -1.0]], 50)
    for spec in (contour_spec(land, [res], animated=True), surface3d_spec(land, [res], animated=True)):
        for trace in spec["data"]:
            for key in ("x", "y", "z"):  # positions and levels; the hover text may say NaN
                assert all(np.isfinite(v) for v in _numbers(trace.get(key))), (trace["type"], key)
        assert all(np.isfinite(v) for v in _numbers(spec["layout"]))
        assert "NaN" not in script_json(spec["layout"])


def test_the_3d_view_replays_its_paths():
    land = get_landscape("himmelblau")
    results = run_many(land, ["adam", "sgd"], land.start, 40)
    fig = surface3d_figure(land, results, animated=True, resolution=30)
    steps, moving = _replay(fig)
    np.testing.assert_array_equal(steps, np.arange(41))
    for res, [(index, j)] in zip(results, moving, strict=True):
        assert fig.data[index].type == "scatter3d" and j == 0
        np.testing.assert_array_equal(np.asarray(fig.data[index].x), res.path[:, 0, 0])


def test_the_html_for_slides_is_one_offline_file_with_the_replay():
    land = get_landscape("rosenbrock")
    res = dataclasses.replace(run(land, "adam", [land.start], 30), label="</script><b>x")
    spec = contour_spec(land, [res], animated=True, resolution=30)
    page = html_document(spec, title="a < b")
    # plotly.js, the animator, its overlays, the figure; a trace named "</script>…" cannot end a
    # script early
    assert page.count("<script") == page.count("</script>") == 4 and "<script src" not in page
    assert get_plotlyjs()[:200] in page and animator_source() in page and overlays_source() in page
    assert "<title>a &lt; b</title>" in page
    figure = page.split("window.OptivizChart.mount(document.getElementById(\"chart\"), ")[1]
    decoded = json.loads(figure[: figure.rindex(", {\"presentation\"")].replace("<\\/", "</"))
    assert "</script><b>x" in [t.get("name") for t in decoded["data"]]
    assert decoded["layout"]["meta"]["optiviz"]["moving"] == spec["layout"]["meta"]["optiviz"]["moving"]


def test_curves_follow_the_hand_worked_descent():
    land, res = _descent()
    t = np.arange(11)
    expected = {"loss": 2.0 * 0.25**t, "distance": 2.0 * 0.5**t, "grad_norm": 2.0 * 0.5**t,
                "step_size": np.r_[0.0, 2.0 * 0.5**t[1:]]}  # ‖w_t − w_{t−1}‖ = 2·0.5ᵗ
    for metric, values in expected.items():
        fig = metric_figure([res], metric, land)
        keep = values > 0  # the log axis drops the zero step at t = 0
        np.testing.assert_allclose(as_array(fig.data[0].y), values[keep], rtol=1e-6)  # float32
        trace = fig.data[0]  # evenly spaced steps travel as x0 + i·dx
        np.testing.assert_array_equal(trace.x0 + trace.dx * np.arange(len(as_array(trace.y))), t[keep])
        assert trace.x is None and fig.layout.yaxis.type == "log"


def test_step_axis_sends_evenly_spaced_steps_as_start_and_stride():
    assert step_axis(np.arange(1, 501)) == {"x0": 1, "dx": 1}
    assert step_axis(np.arange(0, 1000, 10)) == {"x0": 0, "dx": 10}
    assert step_axis(np.array([7])) == {"x0": 7, "dx": 1}
    gap = np.array([0, 1, 2, 4, 5])  # a step left out (a zero on a log axis)
    np.testing.assert_array_equal(as_array(step_axis(gap)["x"]), gap)


def test_distance_curve_is_empty_on_a_surface_without_a_minimum():
    land = get_landscape("saddle")
    fig = metric_figure([run(land, "adam", [[0.5, 0.1]], 30)], "distance", land)
    assert len(as_array(fig.data[0].y)) == 0 and fig.layout.yaxis.type == "linear"


def test_summary_row_of_the_hand_worked_descent():
    land, res = _descent()
    (row,) = summary_rows([res], land, tol=0.01)
    # 2·0.5ᵗ ≤ 0.01 first at t = 8; f(w₁₀) = ½·(2·2⁻¹⁰)² = 2⁻¹⁹
    assert row["within tolerance at step"] == 8 and row["diverged at step"] is None
    assert row["final loss"] == pytest.approx(2.0**-19, rel=1e-12)
    assert row["distance to minimum"] == pytest.approx(2.0**-9, rel=1e-12)
    assert summary_rows([res], land, tol=1e-9)[0]["within tolerance at step"] is None


def test_summary_of_a_diverged_run_reports_its_last_finite_point():
    land = get_landscape("quadratic", a=1.0, c=1.0)
    res = run(land, make_optimizer("sgd", lr=3.0), [[2.0, 0.0]], 100, limit=1e3)
    (row,) = summary_rows([res], land, tol=0.01)
    # w_t = (−2)ᵗ·2 leaves |x| ≤ 1000 at t = 9 (2·2⁹ = 1024); the last finite point is w₈
    assert row["diverged at step"] == 9 and row["final point"] == "(512, 0)"
    assert row["final loss"] == pytest.approx(0.5 * 512**2)


def test_surface3d_lifts_paths_onto_the_log_surface():
    land = get_landscape("rosenbrock")
    res = run(land, "adam", [land.start], 50)
    fig = surface3d_figure(land, [res], resolution=40)
    surface, path = fig.data
    assert surface.type == "surface" and path.type == "scatter3d"
    assert np.all(np.asarray(path.z) > np.log10(np.asarray(res.loss[:, 0]) + 1e-12) - 1)
    assert np.all(np.isfinite(np.asarray(path.z)))


@pytest.mark.parametrize(("symbol", "latex"), [
    ("β₁", r"\beta_{1}"), ("ε", r"\varepsilon"), ("α_slow", r"\alpha_{\text{slow}}"),
    ("η_min/α", r"\eta_{\text{min}}/\alpha"), ("bias correction", r"\text{bias correction}"),
    ("AMSGrad", r"\text{AMSGrad}"), ("k", "k"), ("s₀", "s_{0}"),
])
def test_symbols_become_latex(symbol, latex):
    assert symbol_latex(symbol) == latex


@pytest.mark.parametrize(("value", "latex"), [
    (1e-8, "10^{-8}"), (2.5e-5, r"2.5 \times 10^{-5}"), (0.9, "0.9"), (0.0, "0"), (100.0, "100"),
    (True, r"\text{on}"), (None, r"\text{auto}"), ("adam", r"\text{adam}"), (5, "5"),
    (0.00099999, r"9.9999 \times 10^{-4}"), (0.9999999, "0.9999999"), (-1e-8, "-10^{-8}"),
    (1.23456789e-7, r"1.23456789 \times 10^{-7}"), (123456.0, r"1.23456 \times 10^{5}"),
])
def test_values_become_latex(value, latex):
    assert value_latex(value) == latex


def test_values_latex_lists_every_setting_in_spec_order():
    specs = OPTIMIZERS["adam"].params
    text = values_latex(specs, {s.name: s.default for s in specs})
    assert text.startswith(r"\alpha = 0.01,\quad \beta_{1} = 0.9,\quad \beta_{2} = 0.999")
    assert text.count(r"\quad") == len(specs) - 1


def test_a_path_that_blew_up_off_the_chart_is_marked_on_its_edge():
    land = get_landscape("quadratic", a=1.0, c=1.0)  # bounds ±3
    res = run(land, make_optimizer("sgd", lr=3.0), [[2.0, 0.0]], 100, limit=1e3)
    (mark,) = [t for t in contour_figure(land, [res]).data if getattr(t, "mode", "") == "markers+text"]
    assert (mark.x[0], mark.y[0]) == (3.0, 0.0)  # the last finite point is (512, 0)
    assert mark.text[0] == "diverged at step 9 (off the chart)"


def test_values_beyond_float32_keep_their_size_in_the_figure():
    land = dataclasses.replace(from_formula("x^100 + y^2"), log_contours=False)  # up to 5·10⁴⁷
    z = as_array(surface3d_figure(land, resolution=30, scale="linear").data[0].z)
    assert z.dtype == np.float64 and np.all(np.isfinite(z)) and z.max() == pytest.approx(3.0**100 + 9)
    small = as_array(surface3d_figure(get_landscape("booth"), resolution=30).data[0].z)
    assert small.dtype == np.float32  # ordinary ranges travel as float32


def test_schedule_free_draws_its_average_beside_its_gradient_point():
    """A result with drawn points (Schedule-Free's x) gets one dotted line per trajectory in
    its colour, animated, listed before its path lines so the moving end marker stays on y."""
    from viz import contour_spec

    from .plotly_arrays import as_array

    land = get_landscape("himmelblau")
    res = run(land, make_optimizer("adamw_schedule_free", lr=0.05), [[2.0, 1.0], [-4.0, -4.0]], 30)
    spec = contour_spec(land, [res], animated=True)
    average = [i for i, t in enumerate(spec["data"]) if t.get("name", "").endswith("average x")]
    assert len(average) == 2
    for j, i in enumerate(average):
        np.testing.assert_allclose(as_array(spec["data"][i]["x"]), res.drawn[:, j, 0], rtol=1e-6)
        assert spec["data"][i]["line"]["dash"] == "dot"
    moving = [index for index, _ in spec["layout"]["meta"]["optiviz"]["moving"][0]]
    lines = [i for i, t in enumerate(spec["data"]) if t.get("name") == res.label]
    assert set(average) < set(moving) and moving.index(average[-1]) < moving.index(lines[0])
    plain = contour_spec(land, [run(land, make_optimizer("adam"), [2.0, 1.0], 5)])
    assert not any(t.get("name", "").endswith("average x") for t in plain["data"])

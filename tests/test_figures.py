"""Animation frames, curves, 3D view, summary table and LaTeX values, against hand-worked runs."""

from __future__ import annotations

import dataclasses

import numpy as np
import plotly.graph_objects as go
import pytest

from landscapes import from_formula, get_landscape
from optim_core import OPTIMIZERS, make_optimizer, run, run_many
from viz import CLICK_GRID_NAME, METRICS, contour_figure, metric_figure, summary_rows, surface3d_figure
from viz.animation import MAX_POINTS, frame_rows
from viz.figures import LEVELS_NAME
from viz.latex import symbol_latex, value_latex, values_latex

from .plotly_arrays import as_array


def _descent(lr=0.5, steps=10):
    """Gradient descent on f = (x² + y²)/2 from (2, 0): w_t = (1 − α)ᵗ w₀ exactly."""
    land = get_landscape("quadratic", a=1.0, c=1.0)
    return land, run(land, make_optimizer("sgd", lr=lr), [[2.0, 0.0]], steps)


def test_every_figure_is_a_valid_plotly_spec():
    land = get_landscape("rosenbrock")
    results = run_many(land, ["adam", "sgd"], land.start, 300)
    figures = [contour_figure(land, results, frames=30, click_grid=20), surface3d_figure(land, results)]
    figures += [metric_figure(results, m, land) for m in METRICS]
    for fig in figures:
        go.Figure(fig.to_dict())  # Plotly's validator: raises on any unknown property


def test_frames_grow_every_path_to_its_row_and_end_on_the_figure_as_drawn():
    land = get_landscape("rosenbrock")
    results = run_many(land, ["adam", "momentum"], land.start, 500)
    fig = contour_figure(land, results, frames=40)
    rows = frame_rows(501, 40)
    assert rows[0] == 0 and rows[-1] == 500 and len(fig.frames) == len(rows)
    line_of = {t.name: i for i, t in enumerate(fig.data) if getattr(t, "mode", None) == "lines+markers"}
    lines = [line_of[res.label] for res in results]
    end_of = {t.legendgroup: i for i, t in enumerate(fig.data)  # the last-point dots
              if getattr(t, "mode", None) == "markers" and t.legendgroup and t.marker.symbol is None}
    for frame, row in zip(fig.frames, rows, strict=True):
        assert frame.name == str(row)
        by_trace = dict(zip(frame.traces, frame.data, strict=True))
        for res, index in zip(results, lines, strict=True):
            x, y = as_array(by_trace[index].x), as_array(by_trace[index].y)
            assert len(x) <= MAX_POINTS + 1 or row == 500
            np.testing.assert_allclose([x[-1], y[-1]], res.path[row, 0], rtol=1e-6)  # float32
            if by_trace[index].customdata is not None:  # hover data follows thinned points
                steps = as_array(by_trace[index].customdata)[:, 0].astype(int)
                np.testing.assert_allclose(x, res.path[steps, 0, 0], rtol=1e-6)
            head = as_array(by_trace[end_of[res.label]].x)  # the last-point marker moves with the path
            np.testing.assert_allclose(head, res.path[row, 0, 0], rtol=1e-6)  # outline + line
    last = dict(zip(fig.frames[-1].traces, fig.frames[-1].data, strict=True))
    for index in lines:
        np.testing.assert_array_equal(as_array(last[index].x), as_array(fig.data[index].x))
    assert fig.layout.sliders[0].active == len(rows) - 1  # the scrubber starts on the full paths
    assert [b.label for b in fig.layout.updatemenus[0].buttons] == ["▶ play", "❚❚ pause"]


def test_frames_stop_a_diverged_path_where_it_diverged():
    land = get_landscape("quadratic")
    res = run(land, make_optimizer("sgd", lr=np.array([0.05, 1.0])), land.start, 100, limit=1e3)
    d = int(res.diverged_at[1])
    fig = contour_figure(land, [res], frames=20)
    line = [i for i, t in enumerate(fig.data) if getattr(t, "mode", None) == "lines+markers"][1]
    for frame in fig.frames:
        data = dict(zip(frame.traces, frame.data, strict=True))[line]
        assert len(as_array(data.x)) <= d and np.all(np.isfinite(as_array(data.x)))


def test_click_grid_covers_the_bounds_invisibly_and_never_fades_the_paths():
    land = get_landscape("himmelblau")
    fig = contour_figure(land, [run(land, "adam", [land.start], 20)], click_grid=25)
    grid = next(t for t in fig.data if t.name == CLICK_GRID_NAME)
    (x0, x1), (y0, y1) = land.bounds
    gx, gy = as_array(grid.x), as_array(grid.y)
    assert len(gx) == len(gy) == 625 and grid.marker.opacity == 0
    assert (gx.min(), gx.max(), gy.min(), gy.max()) == (x0, x1, y0, y1)
    others = [t for t in fig.data if t.type == "scatter" and t.name not in (CLICK_GRID_NAME, LEVELS_NAME)]
    assert all(t.unselected.marker.opacity == 1 for t in others)


def test_curves_follow_the_hand_worked_descent():
    land, res = _descent()
    t = np.arange(11)
    expected = {"loss": 2.0 * 0.25**t, "distance": 2.0 * 0.5**t, "grad_norm": 2.0 * 0.5**t,
                "step_size": np.r_[0.0, 2.0 * 0.5**t[1:]]}  # ‖w_t − w_{t−1}‖ = 2·0.5ᵗ
    for metric, values in expected.items():
        fig = metric_figure([res], metric, land)
        keep = values > 0  # the log axis drops the zero step at t = 0
        np.testing.assert_allclose(fig.data[0].y, values[keep], rtol=1e-12)
        np.testing.assert_array_equal(fig.data[0].x, t[keep])
        assert fig.layout.yaxis.type == "log"


def test_distance_curve_is_empty_on_a_surface_without_a_minimum():
    land = get_landscape("saddle")
    fig = metric_figure([run(land, "adam", [[0.5, 0.1]], 30)], "distance", land)
    assert len(fig.data[0].y) == 0 and fig.layout.yaxis.type == "linear"


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

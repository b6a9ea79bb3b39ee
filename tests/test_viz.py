"""Figures: built from results, with only finite numbers, diverged paths cut and marked."""

from __future__ import annotations

import numpy as np
import pytest

from landscapes import LANDSCAPES, from_formula, get_landscape
from optim_core import make_optimizer, run
from viz import contour_figure, loss_figure, surface3d_figure, surface_grid

from .plotly_arrays import as_array


def _numbers(fig):
    for trace in fig.data:
        for attr in ("x", "y", "z"):
            values = getattr(trace, attr, None)
            if values is not None:
                yield as_array(values)


@pytest.mark.parametrize("name", list(LANDSCAPES))
def test_every_surface_draws_with_finite_numbers(name):
    land = get_landscape(name)
    res = run(land, "adam", [land.start], 50)
    fig = contour_figure(land, [res], resolution=60)
    assert all(np.all(np.isfinite(v)) for v in _numbers(fig))
    (image,) = fig.layout.images  # the surface: a picture exactly covering the box, under the axes
    (x0, x1), (y0, y1) = land.bounds
    assert (image.x, image.y, image.sizex, image.sizey) == (x0, y1, x1 - x0, y1 - y0)
    assert (image.xref, image.yref, image.xanchor, image.yanchor) == ("x", "y", "left", "top")
    assert image.sizing == "stretch" and image.layer == "below"
    assert not any(t.type in ("contour", "heatmap") for t in fig.data)  # frames would wipe them


def test_diverged_path_is_cut_and_marked():
    land = get_landscape("quadratic")
    res = run(land, make_optimizer("sgd", lr=np.array([0.05, 1.0])), land.start, 100, limit=1e3)
    d = int(res.diverged_at[1])
    assert d > 0
    fig = contour_figure(land, [res], resolution=40)
    paths = [t for t in fig.data if getattr(t, "mode", None) == "lines+markers"]
    assert len(as_array(paths[0].x)) == 101 and len(as_array(paths[1].x)) == d
    marks = [t for t in fig.data if getattr(t, "mode", None) == "markers+text"]
    assert len(marks) == 1 and f"step {d}" in marks[0].text[0]
    assert all(np.all(np.isfinite(v)) for v in _numbers(fig))
    assert all(np.all(np.isfinite(v)) for v in _numbers(loss_figure([res])))


def test_loss_axis_is_log_only_for_positive_losses():
    assert loss_figure([run(get_landscape("booth"), "adam", [[-8.0, -6.0]], 20)]).layout.yaxis.type == "log"
    saddle = get_landscape("saddle")
    assert loss_figure([run(saddle, "adam", [[0.1, 1.0]], 20)]).layout.yaxis.type == "linear"


def test_start_where_f_is_undefined_draws_no_nan():
    land = from_formula("log(x) + y**2", bounds=((-1.0, 3.0), (-2.0, 2.0)))
    res = run(land, "adam", [[-0.5, 1.0], [2.0, 1.0]], 30)
    assert res.diverged_at[0] == 0 and res.diverged_at[1] == -1
    for fig in (contour_figure(land, [res], resolution=40), loss_figure([res])):
        assert all(np.all(np.isfinite(v)) for v in _numbers(fig))


def test_an_undefined_region_draws_high_and_minus_infinity_low():
    land = from_formula("log(x) + y**2", bounds=((-1.0, 3.0), (-2.0, 2.0)))
    xs, ys, z = surface_grid(land, 41)
    assert np.all(np.isfinite(z))
    defined = xs > 0
    assert z[:, xs < 0].min() == z[:, defined].max()  # log of x < 0: undefined, drawn high
    assert z[:, xs == 0].max() == z[:, defined].min()  # log(0) = −∞: drawn as the lowest value


def test_a_typed_surface_gets_log_heights_in_3d_only_when_its_values_are_skewed():
    steep = surface3d_figure(from_formula("x^100 + y^2"), resolution=41)
    z = as_array(steep.data[0].z)
    assert steep.layout.scene.zaxis.title.text == "log₁₀(f − f_min)"
    assert z.max() > 47 and z.min() < 0  # 10⁴⁷ at the corners, the floor keeps its detail
    bowl = surface3d_figure(from_formula("x^2 + 3*y^2"), resolution=41)
    assert bowl.layout.scene.zaxis.title.text == "f(x, y)"

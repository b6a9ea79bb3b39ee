"""Figures: built from results, with only finite numbers, diverged paths cut and marked."""

from __future__ import annotations

import base64
import dataclasses
import io
import itertools
import os

import numpy as np
import pytest
from PIL import Image

from landscapes import LANDSCAPES, from_formula, get_landscape
from optim_core import make_optimizer, run, run_many
from viz import (
    PALETTE,
    PATH_COLORS,
    contour_figure,
    loss_figure,
    metric_figure,
    surface3d_figure,
    surface_grid,
    surface_levels,
)
from viz.colors import (
    CVD,
    delta_e2000,
    hex_to_lab,
    hex_to_rgb,
    outline_for,
    simulate,
    srgb_to_lab,
    surface_colors,
)
from viz.curves import log_axis
from viz.figures import LEVELS_NAME

from .plotly_arrays import as_array

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]


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


# --- Visual clarity (issue 7): the surface picture, its levels, the colours, paths that overlap,
# the 3D view and the curves' axes.

TYPED_BEALE = "(1.5 - x + x*y)**2 + (2.25 - x + x*y**2)**2 + (2.625 - x + x*y**3)**2"


def _bands(fig) -> np.ndarray:
    """The band index of every pixel of the contour's surface picture (level lines count as
    their band), rows from the top."""
    uri = fig.layout.images[0].source
    image = Image.open(io.BytesIO(base64.b64decode(uri.split(",", 1)[1])))
    count = next(t for t in fig.data if t.name == LEVELS_NAME).marker.cmax
    return np.asarray(image) % count


def _pixel(land, bands, x, y) -> tuple[int, int]:
    (x0, x1), (y0, y1) = land.bounds
    h, w = bands.shape
    return (min(int((y1 - y) / (y1 - y0) * h), h - 1), min(int((x - x0) / (x1 - x0) * w), w - 1))


SURFACES = [pytest.param(get_landscape(n), id=n) for n in LANDSCAPES] + [
    pytest.param(from_formula(TYPED_BEALE), id="typed-beale")]


@pytest.mark.parametrize("land", SURFACES)
def test_levels_show_every_surface_s_structure(land):
    fig = contour_figure(land)
    bands = _bands(fig)
    shares = np.bincount(bands.ravel()) / bands.size
    assert np.sum(shares >= 0.01) >= 6  # at least six bands each fill ≥ 1 % of the picture
    corners = [bands[0, 0], bands[0, -1], bands[-1, 0], bands[-1, -1]]
    minima = land.minima or (((3.0, 0.5),) if land.name == "custom" else ())
    for x, y in minima:  # the basin of each minimum is a band of its own, far from the corners'
        at = bands[_pixel(land, bands, x, y)]
        assert at <= 1 and min(corners) - at >= 5, (land.name, x, y, at, corners)


def test_a_plateau_looks_flat():
    land = get_landscape("plateau")  # 1 − exp(−r²/2): within 10⁻³ of 1 beyond r = 3.7
    bands = _bands(contour_figure(land))
    h, w = bands.shape
    r = np.hypot(*np.meshgrid(np.linspace(-4, 4, w), np.linspace(-4, 4, h)))
    assert len(np.unique(bands[r > 3.7])) == 1 and len(np.unique(bands[r < 2])) >= 5


def test_built_in_beale_resolves_its_basin_on_every_scale():
    beale = get_landscape("beale")
    for scale in ("auto", "log"):  # the old log levels bottomed out near f ≈ 180: one band held the basin
        levels = surface_levels(beale, surface_grid(beale, 150)[2], scale)
        assert levels.edges[1] < 5.0, (scale, levels.edges[:3])


def test_scales_space_the_edges_as_named():
    land = get_landscape("booth")
    z = surface_grid(land, 100)[2]
    linear = surface_levels(land, z, "linear").edges
    np.testing.assert_allclose(np.diff(linear[1:-1]), 200.0)  # round steps between the ends
    assert linear[0] == 0 and linear[-1] == z.max() and 10 <= len(linear) <= 20
    log = surface_levels(land, z, "log").edges[1:]  # f − f* from the first edge up: a geometric series
    np.testing.assert_allclose(np.diff(np.log10(log)), np.diff(np.log10(log)).mean(), atol=0.03)
    auto = surface_levels(land, z, "auto").edges  # equal areas: the shares of the quantiles
    shares = [np.mean(z < e) for e in auto[4:-1]]
    np.testing.assert_allclose(np.diff(shares), 1 / 14, atol=0.015)  # edges rounded to 2 digits
    with pytest.raises(ValueError, match="one of auto, linear, log"):
        contour_figure(land, scale="logarithmic")


def test_ciede2000_matches_the_published_test_pairs():
    # Sharma, Wu & Dalal (2005), table 1: pairs 1, 7, 17 and 25
    first = [[50, 2.6772, -79.7751], [50, 0, 0], [50, 2.5, 0], [60.2574, -34.0099, 36.2677]]
    second = [[50, 0, -82.7485], [50, -1, 2], [73, 25, -18], [60.4626, -34.1751, 39.4387]]
    np.testing.assert_allclose(delta_e2000(first, second), [2.0425, 2.3669, 27.1492, 1.2644], atol=1e-4)
    np.testing.assert_allclose(hex_to_lab("#ff0000"), [53.2408, 80.0925, 67.2032], atol=1e-3)


def _lab(colors) -> np.ndarray:
    return srgb_to_lab(np.array([hex_to_rgb(c) for c in colors]))


def test_path_colours_differ_from_each_other_for_every_kind_of_colour_vision():
    # ΔE₀₀ ≈ 2 is a just-noticeable difference side by side; thin lines on a projector need far
    # more: 20 with normal vision, 10 with full protanopia, deuteranopia or tritanopia.
    pairs = list(itertools.combinations(range(len(PALETTE)), 2))
    lab = _lab(PALETTE)
    assert min(delta_e2000(lab[i], lab[j]) for i, j in pairs) > 20
    for kind in CVD:
        seen = srgb_to_lab(simulate(np.array([hex_to_rgb(c) for c in PALETTE]), kind))
        assert min(delta_e2000(seen[i], seen[j]) for i, j in pairs) > 10, kind
    assert len(PALETTE) == len({c.emoji for c in PATH_COLORS}) == 8


def test_path_colours_stand_out_on_every_band_of_the_surface_map():
    band = srgb_to_lab(surface_colors(256) / 255.0)
    for color in PALETTE:  # on viridis the old blue path came within ΔE₀₀ 6.7 of a band, green 11
        assert delta_e2000(_lab([color]), band).min() > 20, color
        outline = _lab([outline_for(color)])
        assert delta_e2000(outline, _lab([color]))[0] > 30  # the outline shows around the path


def test_paths_that_run_together_stay_visible():
    land = get_landscape("rosenbrock")
    results = run_many(land, ["sgd", "momentum", "nesterov", "rmsprop", "adagrad", "adam", "amsgrad",
                              "lion"], land.start, 50)
    fig = contour_figure(land, results)
    kinds = [("outline" if t.hoverinfo == "skip" and t.mode == "lines" else t.mode, i)
             for i, t in enumerate(fig.data)]
    outlines = [i for k, i in kinds if k == "outline"]
    lines = [fig.data[i] for k, i in kinds if k == "lines+markers"]
    first_line = min(i for k, i in kinds if k == "lines+markers")
    assert len(outlines) == len(lines) == 8 and max(outlines) < first_line  # all beneath all paths
    widths = [t.line.width for t in lines]
    assert widths[0] > widths[1] > widths[2]  # nested: stripes where the first three coincide
    assert len({t.line.dash for t in lines[3:]}) == 5 and lines[2].line.dash is None
    for line, index in zip(lines, outlines, strict=True):
        outline = fig.data[index]
        assert outline.line.width == line.line.width + 3 and outline.line.dash == line.line.dash
    minimum = next(i for i, t in enumerate(fig.data) if t.name == "minimum")
    assert minimum == len(fig.data) - 1  # drawn above every path end


def test_a_path_that_stays_in_a_small_region_lies_above_one_that_passes_through():
    ras, (small, wide) = _views()["rastrigin"]  # α = 0.002 stays in its first basin; α = 0.01 roams
    fig = contour_figure(ras, [small, wide])
    layer = {t.name: (i, t.line.width) for i, t in enumerate(fig.data) if t.mode == "lines+markers"}
    (i_small, w_small), (i_wide, w_wide) = layer[small.label], layer[wide.label]
    assert i_small > i_wide and w_small < w_wide  # drawn later, thinner: the wide one shows around it
    ends = [i for i, t in enumerate(fig.data)
            if t.mode == "markers" and t.legendgroup and t.marker.symbol is None]
    assert min(ends) > max(i for i, _ in layer.values())  # every end dot above every path
    ranks = {t.name: t.legendrank for t in fig.data if t.mode == "lines+markers"}
    assert ranks[small.label] < ranks[wide.label]  # the legend keeps the results' order


def test_every_path_dependent_trace_is_registered_for_the_animation(monkeypatch):
    import viz.figures as figures
    seen = {}
    def record(_layout, _results, moving, _at=None):
        return seen.setdefault("m", moving)

    monkeypatch.setattr(figures, "animate", record)
    land = get_landscape("ravine")
    results = run_many(land, ["sgd", "adam"], land.start, 20)
    spec = figures.contour_spec(land, results, animated=True)
    moving = seen["m"]
    for traces, res in zip(moving, results, strict=True):
        ids = {i for i, _ in traces}
        drawn = [i for i, t in enumerate(spec["data"]) if t.get("legendgroup") == res.label
                 and t.get("mode") in ("lines", "lines+markers")]
        assert set(drawn) <= ids  # path lines and their outlines
        (marker,) = [i for i, j in traces if j == -1]  # the last-point dots
        assert spec["data"][marker]["mode"] == "markers" and "symbol" not in spec["data"][marker]["marker"]


def test_3d_view_stays_in_the_box_when_a_path_escapes():
    land = get_landscape("quadratic")  # a = 1, c = 10: α = 0.25 makes y grow 1.5× a step
    results = [run(land, make_optimizer("sgd", lr=lr), [land.start], 100) for lr in (0.05, 0.25)]
    fig = surface3d_figure(land, results, resolution=40)
    z0, z1 = fig.layout.scene.zaxis.range
    assert z0 < 0 and 49.5 < z1 < 55  # the surface's own heights (max 49.5), not the escape's 10²⁰
    (x0, x1), (y0, y1) = land.bounds
    assert tuple(fig.layout.scene.xaxis.range) == (x0, x1) and tuple(fig.layout.scene.yaxis.range) == (y0, y1)
    calm, escaped = fig.data[1:]
    assert len(calm.x) == 101
    ys = results[1].path[:, 0, 1]
    first_out = int(np.argmax(np.abs(ys) > y1))  # cut where it leaves the box: every step before
    assert len(escaped.y) == first_out and np.all(np.abs(escaped.y) <= y1)
    assert np.all(as_array(escaped.z) <= z1)


def test_3d_view_uses_the_contour_s_colours_and_readable_text():
    land = get_landscape("himmelblau")
    flat = contour_figure(land)
    fig = surface3d_figure(land, resolution=40)
    bar = next(t for t in flat.data if t.name == LEVELS_NAME)
    bands = [c for _, c in bar.marker.colorscale][::2]  # stepped: each band's colour at its two ends
    middles = [c for _, c in fig.data[0].colorscale][1:-1]  # smooth: each band's colour at its middle
    assert middles == bands and len(bands) == bar.marker.cmax == fig.data[0].cmax
    scene = fig.layout.scene
    for axis in (scene.xaxis, scene.yaxis, scene.zaxis):
        assert axis.tickfont.size >= 14 and axis.title.font.size >= 14
    big = surface3d_figure(land, resolution=40, font_size=18).layout.scene
    assert big.zaxis.tickfont.size == 18 and big.zaxis.title.font.size >= 18
    camera = scene.camera  # upright, from the front, raised: the z title reads top to bottom
    assert camera.eye.y < 0 and camera.eye.z > 0 and camera.up.z == 1


@pytest.mark.parametrize("builder", ["contour", "metric"])
def test_chart_text_size_is_an_option(builder):
    land = get_landscape("booth")
    results = [run(land, "adam", [land.start], 20)]
    fig = contour_figure(land, results, font_size=20) if builder == "contour" else \
        metric_figure(results, "loss", land, font_size=20)
    assert fig.layout.font.size == 20


def test_a_loss_that_reaches_1e_84_does_not_squash_the_axis():
    land = get_landscape("quadratic", a=1.0, c=1.0)
    res = run(land, make_optimizer("sgd", lr=0.9), [[2.0, 0.0]], 100)  # f = 2·0.01ᵗ: 10⁻¹⁹⁹ at t = 100
    assert res.loss[-1, 0] < 1e-84
    axis = loss_figure([res]).layout.yaxis
    low, high = axis.range
    assert high == pytest.approx(np.log10(2.0), abs=0.8) and high - low <= 17.5  # 16 decades and a margin
    assert len(axis.tickvals) >= 5


@pytest.mark.parametrize("values", [(0.5, 0.9), (3.0, 3.5), (2.0, 2.0001), (0.3, 20.0), (1e-3, 1e5)])
def test_log_axes_carry_at_least_three_labelled_ticks(values):
    axis = log_axis(np.array(values))
    low, high = axis["range"]
    inside = [v for v in axis["tickvals"] if low <= np.log10(v) <= high]
    assert len(inside) >= 3 and len(set(axis["ticktext"])) == len(axis["ticktext"])


@pytest.fixture(scope="module")
def chromium():
    """Headless Chromium through Playwright; skips where either is missing."""
    sync_api = pytest.importorskip("playwright.sync_api")
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"{CHROMIUM} is missing")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


# Where a data point lands on the page: Plotly's own axis mapping (CSS pixels).
_AXES_JS = """() => {
    const gd = document.querySelector('.js-plotly-plot'), l = gd._fullLayout;
    const box = gd.querySelector('.main-svg').getBoundingClientRect();
    return [box.left + l.xaxis._offset, l.xaxis._length, l.xaxis.range,
            box.top + l.yaxis._offset, l.yaxis._length, l.yaxis.range];
}"""


@pytest.mark.browser
@pytest.mark.parametrize(("name", "size"), [("beale", (1280, 720)), ("himmelblau", (1920, 1080))])
def test_the_surface_picture_lines_up_with_the_axes_on_screen(chromium, tmp_path, name, size):
    land = get_landscape(name)
    fig = contour_figure(land, height=size[1] - 40)
    page = chromium.new_page(viewport={"width": size[0], "height": size[1]})
    html = tmp_path / f"{name}.html"
    html.write_text(fig.to_html(include_plotlyjs=True))
    page.goto(html.as_uri())
    page.wait_for_selector(".js-plotly-plot .imagelayer image", state="attached")
    shot = tmp_path / f"{name}_{size[0]}.png"
    page.screenshot(path=str(shot))
    x_off, x_len, (x0, x1), y_off, y_len, (y0, y1) = page.evaluate(_AXES_JS)
    screen = np.asarray(Image.open(shot).convert("RGB")).astype(int)
    # Random points of the box, away from the minima's stars: each pixel must show the band of f
    # there (or its level line), as computed here from the formula; an image shifted or
    # flipped by a few pixels fails at the band edges, which are everywhere.
    rng = np.random.default_rng(0)
    points = rng.uniform([x0, y0], [x1, y1], size=(400, 2))
    nearest = np.min([np.hypot(*(points - np.array(m)).T) for m in land.minima], axis=0)
    points = points[nearest > 0.05 * (x1 - x0)]
    levels = surface_levels(land, surface_grid(land, 150)[2])
    colors = surface_colors(levels.count).astype(int)
    expected = colors[levels.band(land.f(points))]
    px = np.round(x_off + (points[:, 0] - x0) / (x1 - x0) * x_len).astype(int)
    py = np.round(y_off + (y1 - points[:, 1]) / (y1 - y0) * y_len).astype(int)
    seen = screen[py, px]
    # a band's own colour, or darker (its level line, anti-aliased)
    match = np.all(np.abs(seen - expected) <= 6, axis=1) | (
        (np.abs(seen - expected).max(axis=1) <= 40) & np.all(seen <= expected + 3, axis=1))
    assert match.mean() >= 0.97, f"{shot}: {match.mean():.2f} of the pixels show their band"
    # each minimum's star sits in its basin: the lowest band shows within 30 px of the star
    lowest = np.all(np.abs(screen - colors[0]) <= 3, axis=-1)
    rows, cols = np.nonzero(lowest)
    for mx, my in land.minima:
        cx = x_off + (mx - x0) / (x1 - x0) * x_len
        cy = y_off + (y1 - my) / (y1 - y0) * y_len
        assert np.min(np.hypot(cols - cx, rows - cy)) <= 30, (shot, mx, my)


def _views():
    """The default page's paths, and the Rastrigin preset's two SGD paths that start together."""
    ros = get_landscape("rosenbrock")
    default = run_many(ros, ["momentum", "rmsprop", make_optimizer("adam", lr=0.1)], ros.start, 500)
    ras = get_landscape("rastrigin")
    noisy = [dataclasses.replace(run(ras, make_optimizer("sgd", lr=lr), [[3.2, 2.3]], 300, noise=10.0,
                                     seed=0, schedule={"name": "cosine"}), label=f"SGD (α={lr})")
             for lr in (0.002, 0.01)]
    return {"default": (ros, default), "rastrigin": (ras, noisy)}


@pytest.mark.browser
@pytest.mark.parametrize("size", [(1280, 720), (1920, 1080)])
def test_every_path_s_colour_shows_on_screen(chromium, tmp_path, size):
    for name, (land, results) in _views().items():
        fig = contour_figure(land, results, height=size[1] - 40, font_size=18 if size[0] > 1600 else 12)
        page = chromium.new_page(viewport={"width": size[0], "height": size[1]})
        html = tmp_path / f"{name}.html"
        html.write_text(fig.to_html(include_plotlyjs=True))
        page.goto(html.as_uri())
        page.wait_for_selector(".js-plotly-plot .imagelayer image", state="attached")
        shot = tmp_path / f"paths_{name}_{size[0]}.png"
        page.screenshot(path=str(shot))
        x_off, x_len, _, y_off, y_len, _ = page.evaluate(_AXES_JS)
        plot = np.asarray(Image.open(shot).convert("RGB")).astype(int)[
            int(y_off):int(y_off + y_len), int(x_off):int(x_off + x_len)]
        for color in PALETTE[:len(results)]:
            near = np.abs(plot - np.round(hex_to_rgb(color) * 255)).max(axis=-1) <= 20
            assert near.sum() >= 150, f"{shot}: {color} shows on {near.sum()} pixels"

"""The dataset panel in Chromium: as the paths chart's replay moves (the slider, ← and →, the
1 ▶ button, ▶ to the end), each fit line of the panel is the line ŷ = w·u + b of its path's point
(w, b) at the shown row, read from the paths chart itself; on the page and in the "HTML for
slides" file. Screenshots at one row are kept (``$OPTIVIZ_SHOTS`` or a pytest temporary
folder). Uses the server and browser fixtures of ``tests/test_browser.py`` (select with
``pytest -m browser``)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from landscapes import get_landscape
from optim_core import make_optimizer, run
from ui.viewformat import encode
from viz.export import html_text

from .test_browser import _CHART_JS, TIMEOUT_MS, _explain_failure, _scrub_to, browser, server, wait_idle

pytestmark = pytest.mark.browser
__all__ = ["browser", "server"]  # the fixtures, imported for this module's tests

VIEW = {"version": 3, "surface": "linear_regression", "surface_params": {"n": 32}, "steps": 40,
        "optimizers": [{"name": "sgd", "params": {"lr": 0.1}}, {"name": "adam", "params": {"lr": 0.1}}],
        "batch": {"size": 4, "data_seed": 1}}
ROWS = 41

# The panel's Plotly div: its shown row and its line traces (the fits), by name.
_PANEL_JS = """() => {
    const root = document.querySelector('.ovz-data'), gd = root && root.querySelector('.js-plotly-plot');
    if (!gd || !gd._fullLayout || !gd.data) return null;
    const fits = {};
    gd.data.filter((t) => t.mode === 'lines')
        .forEach((t) => { fits[t.name] = [Array.from(t.x), Array.from(t.y)]; });
    return {row: Number(root.dataset.row), fits};
}"""


def _fits_follow(page, row: int) -> dict:
    """Wait until the panel shows ``row``; check each fit against its path's point there."""
    page.wait_for_function(f"() => {{ const p = ({_PANEL_JS})(); return p && p.row === {row}; }}")
    chart, panel = page.evaluate(_CHART_JS), page.evaluate(_PANEL_JS)
    assert chart["row"] == row
    named = [p for p in chart["paths"] if p["name"]]
    assert sorted(panel["fits"]) == sorted(p["name"] for p in named)
    for path in named:
        assert len(path["x"]) == row + 1  # the path drawn up to the row
        w, b = path["x"][-1], path["y"][-1]
        xs, ys = (np.array(v) for v in panel["fits"][path["name"]])
        np.testing.assert_allclose(ys, w * xs + b, rtol=1e-5, atol=1e-5, err_msg=path["name"])
    return panel


def test_the_fit_lines_follow_the_replay(browser, server, tmp_path):  # noqa: F811
    context = browser.new_context(viewport={"width": 1600, "height": 1000}, device_scale_factor=1)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    console: list[str] = []
    page.on("pageerror", lambda e: console.append(f"pageerror: {e}"))
    try:
        with _explain_failure(server, console):
            page.goto(f"{server.url}/?view={encode(VIEW)}")
            wait_idle(page)
            end = _fits_follow(page, ROWS - 1)
            _scrub_to(page, 3)
            early = _fits_follow(page, 3)
            assert early["fits"] != end["fits"]
            shots = Path(os.environ.get("OPTIVIZ_SHOTS") or tmp_path)
            shots.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(shots / "dataset-panel-row3.png"), full_page=True)
            page.locator(".ovz-root").focus()
            page.keyboard.press("ArrowRight")
            _fits_follow(page, 4)
            page.keyboard.press("ArrowLeft")
            page.keyboard.press("ArrowLeft")
            _fits_follow(page, 2)
            page.locator(".ovz-forward").click()
            _fits_follow(page, 3)
            page.locator(".ovz-play").click()
            page.wait_for_function("() => document.querySelector('.ovz-root').dataset.playing === '0'"
                                   f" && document.querySelector('.ovz-root').dataset.row === '{ROWS - 1}'")
            assert _fits_follow(page, ROWS - 1)["fits"] == end["fits"]
            assert not console, console
    finally:
        context.close()


def test_the_html_for_slides_replays_the_fits_beside_the_paths(browser, tmp_path):  # noqa: F811
    land = get_landscape("linear_regression", n=32)
    results = [run(land, make_optimizer(name, lr=0.1), land.start, ROWS - 1, batch_size=4, data_seed=1)
               for name in ("sgd", "adam")]
    page_file = tmp_path / "slides.html"
    page_file.write_text(html_text(land, results), encoding="utf-8")
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(page_file.as_uri())
        _fits_follow(page, ROWS - 1)
        _scrub_to(page, 7)
        _fits_follow(page, 7)
        shots = Path(os.environ.get("OPTIVIZ_SHOTS") or tmp_path)
        shots.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shots / "slides-dataset-row7.png"))
        assert not errors, errors
    finally:
        context.close()


def _fits_at_last_points(page, row: int, lengths: dict[str, int]) -> None:
    """At ``row`` each path is drawn up to its own last step at or before it (``lengths``
    points), and its fit line is the line of that last point."""
    page.wait_for_function(f"() => {{ const p = ({_PANEL_JS})(); return p && p.row === {row}; }}")
    chart, panel = page.evaluate(_CHART_JS), page.evaluate(_PANEL_JS)
    named = {p["name"]: p for p in chart["paths"] if p["name"]}
    assert {name: len(p["x"]) for name, p in named.items()} == lengths
    for name, path in named.items():
        xs, ys = (np.array(v) for v in panel["fits"][name])
        np.testing.assert_allclose(ys, path["x"][-1] * xs + path["y"][-1], rtol=1e-5, atol=1e-5, err_msg=name)


def test_the_batch_size_preset_replays_paths_of_three_lengths(browser, server, tmp_path):  # noqa: F811
    """The preset draws SGD with batch sizes 1, 8 and 64 for 10 epochs: 640, 80 and 10 steps on
    one contour; the replay and the dataset panel follow all three."""
    from ui.presets import presets

    context = browser.new_context(viewport={"width": 1600, "height": 1000}, device_scale_factor=1)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    console: list[str] = []
    page.on("pageerror", lambda e: console.append(f"pageerror: {e}"))
    names = ("SGD (α=0.05, B=1)", "SGD (α=0.05, B=8)", "SGD (α=0.05)")
    try:
        with _explain_failure(server, console):
            view = {k: v for k, v in presets()["sgd-batch-size"].items() if k not in ("title", "story")}
            page.goto(f"{server.url}/?view={encode({**view, 'version': 3, 'preset': 'sgd-batch-size'})}")
            wait_idle(page)
            _fits_at_last_points(page, 640, dict(zip(names, (641, 81, 11), strict=True)))
            shots = Path(os.environ.get("OPTIVIZ_SHOTS") or tmp_path)
            shots.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(shots / "preset-sgd-batch-size.png"), full_page=False)
            _scrub_to(page, 20)
            _fits_at_last_points(page, 20, dict(zip(names, (21, 21, 11), strict=True)))
            assert not console, console
    finally:
        context.close()

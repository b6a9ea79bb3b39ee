"""The step-by-step replay reveals by step, not by point count: a diverged path's × appears
when the replay reaches the step its path stopped at, and a 3D path with rows left out keeps
pace with the others. Checked in the figure's replay data, in Python (viz.animation.frame_at,
the file exports) and in Chromium (viz/animator.js on the offline HTML page)."""

from __future__ import annotations

import dataclasses
import os

import numpy as np
import pytest

from landscapes import get_landscape
from optim_core import make_optimizer, run
from viz import contour_spec, surface3d_spec
from viz.animation import HEAD, REVEALED, animation_of, frame_at
from viz.html_export import html_document

from .plotly_arrays import as_array
from .test_browser import CHROMIUM, CHROMIUM_ARGS

STOP = 9  # gradient descent with α = 3 on f = (x² + y²)/2 from (2, 0): w_t = (−2)ᵗ·(2, 0), past 10³ at t = 9


def _diverging():
    """Two results on the bowl, recording steps 0..30: one converges, one stops at step 9."""
    land = get_landscape("quadratic", a=1.0, c=1.0)
    fine = run(land, make_optimizer("sgd", lr=0.5), [[2.0, 0.0]], 30, limit=1e3)
    wild = run(land, make_optimizer("sgd", lr=3.0), [[2.0, 0.0]], 30, limit=1e3)
    assert fine.diverged_at[0] < 0 and wild.diverged_at[0] == STOP
    return land, [fine, wild]


def _gapped():
    """Rosenbrock, two paths of 40 steps; the second's loss is left undefined at rows 5..7
    (as where f is not finite), so its 3D path leaves those rows out."""
    land = get_landscape("rosenbrock")
    a = run(land, make_optimizer("adam", lr=0.05), [land.start], 40)
    b = run(land, make_optimizer("sgd", lr=1e-4), [land.start], 40)
    loss = b.loss.copy()
    loss[5:8] = np.nan
    return land, [a, dataclasses.replace(b, loss=loss)]


def _marks(spec: dict) -> list[tuple[int, np.ndarray]]:
    meta = animation_of(spec)
    at = {index: as_array(steps) for index, steps in meta.get("at", [])}
    return [(index, at[index]) for group in meta["moving"] for index, j in group if j == REVEALED]


def test_a_diverged_path_s_mark_moves_with_the_replay_and_appears_at_its_step():
    land, results = _diverging()
    spec = contour_spec(land, results, animated=True, resolution=40)
    ((index, steps),) = _marks(spec)
    assert spec["data"][index]["marker"]["symbol"] == "x" and list(steps) == [STOP]
    heads = [i for group in animation_of(spec)["moving"] for i, j in group if j == HEAD]
    assert index not in heads and len(heads) == 2
    for row, shown in ((0, 0), (STOP - 1, 0), (STOP, 1), (30, 1)):
        patches = dict(zip(*frame_at(spec, row), strict=True))
        assert len(patches[index]["x"]) == len(patches[index]["text"]) == shown
        assert all(t.startswith(f"diverged at step {STOP}") for t in patches[index]["text"])


def test_a_3d_path_with_rows_left_out_carries_the_step_of_each_point():
    land, results = _gapped()
    spec = surface3d_spec(land, results, animated=True, resolution=30)
    at = {index: as_array(steps) for index, steps in animation_of(spec)["at"]}
    ((index, steps),) = at.items()  # only the path with a gap
    np.testing.assert_array_equal(steps, np.r_[0:5, 8:41])
    for row, count in ((4, 5), (6, 5), (8, 6), (40, 38)):
        patches = dict(zip(*frame_at(spec, row), strict=True))
        assert len(patches[index]["x"]) == count
        assert all(len(p["x"]) == row + 1 for i, p in patches.items() if i != index)


@pytest.fixture(scope="module")
def chromium():
    sync_api = pytest.importorskip("playwright.sync_api")
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"{CHROMIUM} is missing")
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


# Show row k on the page's chart and return every trace's shown x (and text), the mode, and
# how many text labels the plot draws.
_SHOW_JS = """async (k) => {
    const root = document.getElementById('chart'), gd = root.querySelector('.js-plotly-plot');
    await root.__optiviz.show(k);
    return {mode: root.dataset.mode, labels: gd.querySelectorAll('.scatterlayer .textpoint').length,
            traces: gd.data.map((t) => ({
        x: t.x && !t.x.bdata ? Array.from(t.x) : null, text: Array.isArray(t.text) ? t.text : null}))};
}"""


def _page(chromium, tmp_path, spec):
    page = chromium.new_page(viewport={"width": 1000, "height": 800})
    html = tmp_path / "replay.html"
    html.write_text(html_document(spec))
    page.goto(html.as_uri())
    page.wait_for_function("() => document.querySelector('#chart .js-plotly-plot')?._fullLayout")
    return page


@pytest.mark.browser
def test_in_the_browser_a_diverged_mark_appears_when_the_replay_reaches_its_step(chromium, tmp_path):
    land, results = _diverging()
    spec = contour_spec(land, results, animated=True, resolution=40)
    ((index, _),) = _marks(spec)
    page = _page(chromium, tmp_path, spec)
    for row, shown in ((0, 0), (STOP - 1, 0), (STOP, 1), (20, 1), (STOP - 1, 0)):
        drawn = page.evaluate(_SHOW_JS, row)
        assert drawn["mode"] == "animate"  # the picture surface: Plotly's scatter-only frames
        mark = drawn["traces"][index]
        assert len(mark["x"]) == shown == drawn["labels"], (row, mark, drawn["labels"])
        assert mark["text"][:shown] == [t for t in spec["data"][index]["text"]][:shown]
    page.screenshot(path=str(tmp_path / "diverged.png"))


@pytest.mark.browser
def test_in_the_browser_a_3d_path_with_rows_left_out_keeps_pace_by_step(chromium, tmp_path):
    land, results = _gapped()
    spec = surface3d_spec(land, results, animated=True, resolution=30)
    ((index, _),) = animation_of(spec)["at"]
    other = next(i for group in animation_of(spec)["moving"] for i, j in group if j >= 0 and i != index)
    page = _page(chromium, tmp_path, spec)
    for row, count in ((4, 5), (6, 5), (8, 6), (40, 38), (2, 3)):
        drawn = page.evaluate(_SHOW_JS, row)
        assert drawn["mode"] == "restyle"
        assert len(drawn["traces"][index]["x"]) == count, row
        assert len(drawn["traces"][other]["x"]) == row + 1

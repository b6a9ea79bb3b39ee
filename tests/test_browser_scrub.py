"""The hyperparameter slider inside the chart, in Chromium: turned on for Adam's α above the
chart, it appears under the replay bar with the sidebar's value marked; dragging it with the
mouse (and setting it by input events) morphs the drawn path into exactly the path a separate
run with that α takes, and no message goes to the server while it moves. The state arrows
follow the replay, and hovering a point of the path draws that point's step instead (again
without the server), until the pointer leaves it.

Uses the server and browser fixtures of ``tests/test_browser.py`` (select with ``pytest -m
browser``); the screenshot goes to ``$OPTIVIZ_SHOTS`` (else pytest's temporary folder)."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import numpy as np
import pytest

from landscapes import get_landscape
from optim_core import OPTIMIZERS, make_optimizer, run, scrub_values
from ui.viewformat import LINK_PARAM, decode, encode

from .test_browser import (
    _DATA_TO_PAGE_JS,
    _DRAWN_JS,
    TIMEOUT_MS,
    VIEWPORT,
    Server,
    _explain_failure,
    browser,
    server,
    wait_idle,
)

pytestmark = pytest.mark.browser
__all__ = ["browser", "server"]  # the fixtures, imported for this module's tests

SIDEBAR_LR = 0.1  # Adam's α on the default page

# The scrub slider's state and the line trace it restyles, as drawn by Plotly.
_SCRUB_JS = """() => {
    const root = document.querySelector('.ovz-root'), gd = root.querySelector('.js-plotly-plot');
    const meta = gd.layout.meta.optiviz_scrub, input = root.querySelector('.ovz-hp-input');
    const line = gd.data[meta.traces[1]], end = gd.data[meta.traces[2]];
    return {index: Number(root.dataset.hpIndex), value: Number(input.value), max: Number(input.max),
            x: Array.from(line.x), y: Array.from(line.y), end: [Array.from(end.x), Array.from(end.y)],
            label: root.querySelector('.ovz-hp-value').textContent, how: root.dataset.hpDrawn,
            // what is on screen: the points of the line's SVG path, back in data coordinates
            drawn: [...gd.querySelectorAll('.scatterlayer .trace')].filter((g) => g.__data__[0].trace.index
                === meta.traces[1])[0].querySelector('path.js-line').getAttribute('d').slice(1).split('L')
                .map((p) => p.split(',').map(Number))
                .map(([px, py]) => [gd._fullLayout.xaxis.p2c(px), gd._fullLayout.yaxis.p2c(py)]),
            mark: root.querySelector('.ovz-hp-mark').textContent};
}"""


def _expected(index: int) -> np.ndarray:
    """Adam's path from the page's start with α = the index-th scrub value, as a separate run."""
    land = get_landscape("rosenbrock")
    lr = scrub_values(OPTIMIZERS["adam"].params[0])[index]
    res = run(land, make_optimizer("adam", lr=np.array([lr])), land.start, 500)  # the page's start
    d = int(res.diverged_at[0])
    keep = len(res.step) if d < 0 else max(int(np.searchsorted(res.step, d)), 1)
    return res.path[:keep, 0].astype(np.float32)


def _wait_index(page, index: int) -> None:
    page.wait_for_function(f"() => document.querySelector('.ovz-root').dataset.hpIndex === '{index}'")


def _assert_drawn(info: dict, index: int) -> None:
    path = _expected(index)
    assert info["index"] == info["value"] == index
    np.testing.assert_array_equal(np.float32(info["x"]), path[:, 0])
    np.testing.assert_array_equal(np.float32(info["y"]), path[:, 1])
    assert info["end"] == [[info["x"][-1]], [info["y"][-1]]]
    np.testing.assert_allclose(info["drawn"], path, atol=2e-3)  # px to 0.01, ~440 px per 4 units


def test_the_slider_morphs_adams_path_in_the_browser_only(browser, server: Server, tmp_path: Path):
    context = browser.new_context(viewport=VIEWPORT, device_scale_factor=1)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    console: list[str] = []
    page.on("pageerror", lambda e: console.append(f"pageerror: {e}"))
    sent: list = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda payload: sent.append(payload)))
    try:
        with _explain_failure(server, console):
            page.goto(server.url)
            page.wait_for_function(_DRAWN_JS)
            wait_idle(page)
            page.get_by_role("button", name="⇆ Slider · state").click()
            page.get_by_role("combobox", name="Hyperparameter slider").click()
            page.get_by_role("option", name="Adam").click()
            page.keyboard.press("Escape")  # the popover closes
            page.wait_for_function("() => document.querySelector('.ovz-root')?.dataset.hpIndex !== undefined")
            wait_idle(page)

            lrs = scrub_values(OPTIMIZERS["adam"].params[0])
            first = page.evaluate(_SCRUB_JS)
            assert first["max"] == len(lrs) - 1 == 63
            start = int(np.argmin(np.abs(np.log(lrs) - np.log(SIDEBAR_LR))))
            _assert_drawn(first, start)  # the sidebar's value's nearest
            assert first["mark"] == "▲ 0.1" and first["label"].startswith("α = ")

            assert sent, "the websocket listener saw the picker's messages (so it would see the slider's)"
            sent.clear()
            # A mouse drag along the slider: a genuine drag, many input events.
            box = page.locator(".ovz-hp-input").bounding_box()
            y = box["y"] + box["height"] / 2
            page.mouse.move(box["x"] + 8 + (box["width"] - 16) * start / 63, y)
            page.mouse.down()
            for k in range(1, 21):
                page.mouse.move(box["x"] + 8 + (box["width"] - 16) * (start - k * start / 40) / 63, y)
            page.mouse.up()
            dragged = int(page.locator(".ovz-hp-input").input_value())
            assert dragged < start - 5
            _wait_index(page, dragged)
            page.wait_for_function("() => document.querySelector('.ovz-root').dataset.hpDrawn === 'plotly'")
            info = page.evaluate(_SCRUB_JS)  # released: Plotly drew it once
            _assert_drawn(info, dragged)
            assert info["x"] != first["x"]
            # Input events straight to the slider, as a fast drag makes them.
            for index in (0, 63, 40):
                page.evaluate("""(i) => { const s = document.querySelector('.ovz-hp-input');
                    s.value = String(i); s.dispatchEvent(new Event('input', {bubbles: true})); }""", index)
                _wait_index(page, index)
                info = page.evaluate(_SCRUB_JS)
                _assert_drawn(info, index)
                assert info["how"] == "svg"  # while dragging: the SVG, not a Plotly redraw
            page.wait_for_timeout(1000)  # anything sent late would show now
            assert sent == [], f"{len(sent)} websocket messages went to the server during the drag"

            folder = Path(os.environ.get("OPTIVIZ_SHOTS", tmp_path))
            folder.mkdir(parents=True, exist_ok=True)
            page.locator(".ovz-root").screenshot(path=str(folder / "scrub.png"))
            page.screenshot(path=str(folder / "scrub-page.png"))
            print(f"screenshots: {folder / 'scrub.png'}, {folder / 'scrub-page.png'}")
            assert not console, console
    finally:
        context.close()


# The state overlay's traces as drawn, and the row they show.
_STATE_JS = """() => {
    const root = document.querySelector('.ovz-root'), gd = root.querySelector('.js-plotly-plot');
    const meta = gd.layout.meta.optiviz_state;
    return {row: root.dataset.stateRow, kinds: meta.kinds,
            traces: meta.traces.map((i) => ({name: gd.data[i].name, x: Array.from(gd.data[i].x),
                                             y: Array.from(gd.data[i].y)}))};
}"""


def test_the_state_arrows_follow_the_replay(browser, server: Server, tmp_path: Path):
    from viz.state import state_frames

    context = browser.new_context(viewport=VIEWPORT, device_scale_factor=1)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    console: list[str] = []
    page.on("pageerror", lambda e: console.append(f"pageerror: {e}"))
    try:
        with _explain_failure(server, console):
            page.goto(server.url)
            page.wait_for_function(_DRAWN_JS)
            wait_idle(page)
            page.get_by_role("button", name="⇆ Slider · state").click()
            page.get_by_role("combobox", name="Optimizer state").click()
            page.get_by_role("option", name="Adam").click()
            page.keyboard.press("Escape")  # the popover closes
            page.wait_for_function("() => document.querySelector('.ovz-root')?.dataset.stateRow === '500'")
            wait_idle(page)
            land = get_landscape("rosenbrock")
            res = run(land, make_optimizer("adam", lr=0.1), land.start, 500, record_state=True)
            frames = state_frames(land, res)
            for row in (37, 3, 250):
                page.evaluate("""(row) => { const s = document.querySelector('.ovz-scrub');
                    s.value = String(row); s.dispatchEvent(new Event('input', {bubbles: true})); }""", row)
                page.wait_for_function(f"() => document.querySelector('.ovz-root').dataset.stateRow "
                                       f"=== '{row}'")
                info = page.evaluate(_STATE_JS)
                assert info["kinds"] == ["gradient", "momentum", "step", "box"]
                a = frames.anchor[row].astype(np.float32)
                for trace, kind in zip(info["traces"][:3], info["kinds"], strict=False):
                    end = frames.ends[kind][row].astype(np.float32)
                    np.testing.assert_array_equal(np.float32(trace["x"]), [a[0], end[0]], err_msg=kind)
                    np.testing.assert_array_equal(np.float32(trace["y"]), [a[1], end[1]], err_msg=kind)
                hx, hy = frames.box[row].astype(np.float32)
                np.testing.assert_allclose(np.float32(info["traces"][3]["x"][:2]), [a[0] - hx, a[0] + hx],
                                           rtol=1e-6)
            folder = Path(os.environ.get("OPTIVIZ_SHOTS", tmp_path))
            folder.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(folder / "state-page.png"))
            assert not console, console
    finally:
        context.close()


def _assert_state_at(info: dict, frames, row: int) -> None:
    """The drawn arrows and box are those of ``row`` (as float32, what the browser decodes)."""
    assert info["row"] == str(row)
    a = frames.anchor[row].astype(np.float32)
    for trace, kind in zip(info["traces"][:3], info["kinds"], strict=False):
        end = frames.ends[kind][row].astype(np.float32)
        np.testing.assert_array_equal(np.float32(trace["x"]), [a[0], end[0]], err_msg=kind)
        np.testing.assert_array_equal(np.float32(trace["y"]), [a[1], end[1]], err_msg=kind)
    hx, hy = frames.box[row].astype(np.float32)
    np.testing.assert_allclose(np.float32(info["traces"][3]["x"][:2]), [a[0] - hx, a[0] + hx], rtol=1e-6)


ADAM = [{"name": "adam", "params": {"lr": 0.1}}]


def _view_of(url: str) -> dict:
    """The view a page's address holds."""
    return decode(parse_qs(urlparse(url).query)[LINK_PARAM][0])

_ROOT_JS = "() => document.querySelector('.ovz-root').dataset.{}"

# The point Plotly hovers (trace, point), the traces whose points show their state, the label.
_HOVERED_JS = """() => {
    const gd = document.querySelector('.ovz-root .js-plotly-plot'), h = (gd._hoverdata || [])[0] || {};
    return {trace: h.curveNumber, point: h.pointNumber, paths: gd.layout.meta.optiviz_state.paths,
            label: [...document.querySelectorAll('.hoverlayer .hovertext')].map((e) => e.textContent)
                .join(' | ')};
}"""


def test_hovering_a_point_draws_its_steps_state_in_the_browser_only(browser, server: Server,
                                                                      tmp_path: Path):
    from viz.state import state_frames

    context = browser.new_context(viewport=VIEWPORT, device_scale_factor=1)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    console: list[str] = []
    page.on("pageerror", lambda e: console.append(f"pageerror: {e}"))
    sent: list = []
    page.on("websocket", lambda ws: ws.on("framesent", lambda payload: sent.append(payload)))
    try:
        with _explain_failure(server, console):
            # Adam alone: on the default page the three paths share Rosenbrock's valley
            page.goto(f"{server.url}/?{LINK_PARAM}={encode({'surface': 'rosenbrock', 'optimizers': ADAM})}")
            page.wait_for_function(_DRAWN_JS)
            wait_idle(page)
            page.get_by_role("button", name="⇆ Slider · state").click()
            page.get_by_role("combobox", name="Optimizer state").click()
            page.get_by_role("option", name="Adam").click()
            page.keyboard.press("Escape")  # the popover closes
            page.wait_for_function("() => document.querySelector('.ovz-root')?.dataset.stateRow === '500'")
            wait_idle(page)
            # the picker reran only the chart's fragment, which puts the choice in the address
            assert _view_of(page.url).get("state") == 0, _view_of(page.url)
            land = get_landscape("rosenbrock")
            res = run(land, make_optimizer("adam", lr=0.1), land.start, 500, record_state=True)
            frames, adam = state_frames(land, res), res.path[:, 0]

            current = 400  # the replay's row
            page.evaluate("""(row) => { const s = document.querySelector('.ovz-scrub');
                s.value = String(row); s.dispatchEvent(new Event('input', {bubbles: true})); }""", current)
            page.wait_for_function(_ROOT_JS.format(f"stateRow === '{current}'"))
            _assert_state_at(page.evaluate(_STATE_JS), frames, current)
            sent.clear()

            k = 180  # its neighbours lie ~1.7 px apart: Plotly may hover one a few away
            x, y = page.evaluate(_DATA_TO_PAGE_JS, [float(adam[k, 0]), float(adam[k, 1])])
            page.mouse.move(5, 5)
            page.mouse.move(x, y)  # one move: one hover
            page.wait_for_function(_ROOT_JS.format("stateHover !== undefined"))
            page.wait_for_timeout(1000)  # settled: Plotly's hover again after the redraw keeps the row
            hovered = page.evaluate(_HOVERED_JS)
            assert hovered["trace"] in hovered["paths"] and abs(hovered["point"] - k) <= 5, hovered
            k = hovered["point"]
            page.wait_for_function(f"() => document.querySelector('.ovz-root').dataset.stateRow === '{k}'")
            root = page.locator(".ovz-root")
            assert root.get_attribute("data-state-hover") == str(k)
            draws = root.get_attribute("data-state-draws")
            page.wait_for_timeout(1000)
            assert root.get_attribute("data-state-draws") == draws, "the hovered state keeps being redrawn"
            _assert_state_at(page.evaluate(_STATE_JS), frames, k)
            assert root.get_attribute("data-row") == str(current)  # the replay did not move
            label = hovered["label"]
            assert f"step {k}" in label and "state (true lengths)" in label, label
            assert f"|α∇f|: {frames.lengths['gradient'][k]:.3g}" in label, label
            assert f"|α·m|: {frames.lengths['momentum'][k]:.3g}" in label, label
            assert f"|step taken|: {frames.lengths['step'][k]:.3g}" in label, label
            folder = Path(os.environ.get("OPTIVIZ_SHOTS", tmp_path))
            folder.mkdir(parents=True, exist_ok=True)
            root.screenshot(path=str(folder / "state-hover.png"))
            # the label covers the arrows' shafts: a second picture without it
            page.add_style_tag(content=".ovz-root .hoverlayer { visibility: hidden; }")
            root.screenshot(path=str(folder / "state-hover-arrows.png"))
            print(f"screenshots: {folder / 'state-hover.png'}, {folder / 'state-hover-arrows.png'} "
                  f"(step {k} hovered, replay at {current})")

            page.mouse.move(5, 5)  # off the chart: back to the replay's row
            page.wait_for_function(f"() => document.querySelector('.ovz-root').dataset.stateRow "
                                   f"=== '{current}'")
            _assert_state_at(page.evaluate(_STATE_JS), frames, current)
            assert root.get_attribute("data-state-hover") is None
            page.wait_for_timeout(1000)  # anything sent late would show now
            assert sent == [], f"{len(sent)} websocket messages went to the server on hover"
            assert not console, console
    finally:
        context.close()

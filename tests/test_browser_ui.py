"""What a lecturer sees, in Chromium: presentation mode folds the sidebar and fits the story and
the chart (with ▶ and the step slider) into 1280×720 and 1920×1080 windows; a preset page fits
▶ into 1280×720 without it; a reload and the 2D / 3D switch keep the address current.

Judged from the page's geometry and the screenshots' pixels. The screenshots are kept in
``$OPTIVIZ_SHOTS`` when it is set (else pytest's temporary folder, printed on failure). Uses
the server and browser fixtures of ``tests/test_browser.py`` (select with ``pytest -m browser``)."""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import numpy as np
import pytest

from ui.presets import presets
from ui.viewformat import decode, encode

from .test_browser import _IDLE_JS, LR_LABEL, TIMEOUT_MS, Server, _explain_failure, browser, server
from .test_browser import wait_idle as _wait_idle

pytestmark = pytest.mark.browser
__all__ = ["browser", "server"]  # the fixtures, imported for this module's tests

SIZES = [(1280, 720), (1920, 1080)]
PRESET = "rastrigin-noise"  # the longest story
MIN_SHARE = 0.68  # of the window's height the chart fills in presentation mode

# Boxes (x, y, width, height) of what a viewer must see.
_GEOMETRY_JS = """() => {
    const box = e => { if (!e) return null; const r = e.getBoundingClientRect();
                       return [r.x, r.y, r.width, r.height]; };
    const root = document.querySelector('.ovz-root');  // the paths chart with its replay bar
    const gd = root && root.querySelector('.js-plotly-plot');
    return {
        sidebar: box(document.querySelector('[data-testid="stSidebar"]')),
        chart: box(root),
        plot: gd && gd._fullLayout.xaxis ? (r => (x, y) => [r.x + x._offset, r.y + y._offset, x._length,
            y._length])(gd.getBoundingClientRect())(gd._fullLayout.xaxis, gd._fullLayout.yaxis) : null,
        // ▶ and the step slider: Plotly's own, or a replay bar drawn beside the plot (.ovz-bar)
        controls: [...document.querySelectorAll('.updatemenu-button, .slider-container, .ovz-bar')]
            .map(box),
        story: box(document.querySelector('.st-key-story [data-testid="stAlertContainer"]')),
    };
}"""


def _shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("OPTIVIZ_SHOTS", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
def open_view(browser, server: Server) -> Iterator:
    """open_view(config, width, height) → a page drawn and idle at that window size."""
    contexts = []
    console: list[str] = []

    def _open(config: dict | None, width: int, height: int):
        context = browser.new_context(viewport={"width": width, "height": height}, device_scale_factor=1)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.on("pageerror", lambda e: console.append(f"pageerror: {e}"))
        page.goto(server.url + (f"/?view={encode(config)}" if config else "/"))
        page.wait_for_function(_IDLE_JS)
        _wait_idle(page)
        return page

    with _explain_failure(server, console):
        yield _open
    for context in contexts:
        context.close()


def _preset_view(**display) -> dict:
    entry = {k: v for k, v in presets()[PRESET].items() if k not in ("title", "story")}
    return {**entry, "version": 2, "preset": PRESET, **display}


def _inside(box, width: int, height: int) -> bool:
    x, y, w, h = box
    return x >= 0 and y >= 0 and x + w <= width + 0.5 and y + h <= height + 0.5 and w > 0 and h > 0


def _folded(sidebar) -> bool:
    return sidebar is None or sidebar[0] + sidebar[2] <= 0 or sidebar[2] == 0


def _coloured_share(png: bytes, box) -> float:
    """Share of the box's pixels that are painted (not white: the surface's bands are grey)."""
    from PIL import Image

    x, y, w, h = (int(v) for v in box)
    pixels = np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=int)[y:y + h, x:x + w]
    return float(np.mean(pixels.min(axis=-1) < 235))


def _link(page) -> dict:
    return decode(parse_qs(urlparse(page.url).query)["view"][0])


@pytest.mark.parametrize(("width", "height"), SIZES, ids=lambda v: str(v))
def test_presentation_mode_fits_the_story_and_the_chart_into_the_window(open_view, tmp_path, width, height):
    page = open_view(_preset_view(presentation=True), width, height)
    shot = _shots(tmp_path) / f"presentation-{width}x{height}.png"
    png = page.screenshot(path=str(shot))
    g = page.evaluate(_GEOMETRY_JS)
    assert _folded(g["sidebar"]), f"sidebar not folded: {g['sidebar']} ({shot})"
    assert _inside(g["story"], width, height), f"story {g['story']} not all in the window ({shot})"
    assert _inside(g["chart"], width, height), f"chart {g['chart']} not all in the window ({shot})"
    assert g["chart"][3] >= MIN_SHARE * height, f"chart only {g['chart'][3]:.0f} px tall ({shot})"
    assert g["controls"] and all(_inside(c, width, height) for c in g["controls"]), \
        f"▶ / step slider out of view: {g['controls']} ({shot})"
    assert _coloured_share(png, g["plot"]) > 0.8, f"the surface is not drawn in the chart ({shot})"
    assert _link(page)["presentation"] is True


def test_a_preset_page_shows_play_without_scrolling_at_1280x720(open_view, tmp_path):
    page = open_view(_preset_view(), 1280, 720)
    shot = _shots(tmp_path) / "preset-1280x720.png"
    page.screenshot(path=str(shot))
    g = page.evaluate(_GEOMETRY_JS)
    assert not _folded(g["sidebar"]) and g["sidebar"][2] >= 340, f"sidebar {g['sidebar']} ({shot})"
    assert _inside(g["story"], 1280, 720) and _inside(g["chart"], 1280, 720), f"{g} ({shot})"
    assert all(_inside(c, 1280, 720) for c in g["controls"]), f"▶ out of view: {g['controls']} ({shot})"


def test_the_presentation_toggle_folds_the_sidebar_and_it_can_be_opened_again(open_view, tmp_path):
    page = open_view(None, 1280, 720)
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_text("Presentation mode").click()
    page.wait_for_function("""() => { const s = document.querySelector('[data-testid="stSidebar"]');
        const r = s.getBoundingClientRect(); return r.x + r.width <= 0 || r.width === 0; }""")
    _wait_idle(page)
    page.screenshot(path=str(_shots(tmp_path) / "presentation-toggled-1280x720.png"))
    assert _link(page)["presentation"] is True
    page.get_by_test_id("stExpandSidebarButton").click()  # the lecturer opens it to change a setting
    page.wait_for_function("""() => document.querySelector('[data-testid="stSidebar"]')
        .getBoundingClientRect().x >= 0""")
    sidebar.get_by_text("Presentation mode").click()  # and leaves presentation mode
    _wait_idle(page)
    assert not _folded(page.evaluate(_GEOMETRY_JS)["sidebar"])
    assert _link(page)["presentation"] is False


def test_a_reload_keeps_the_preset_story_and_the_3d_switch_updates_the_address(open_view):
    page = open_view(None, 1600, 1000)
    page.get_by_test_id("stSidebar").get_by_test_id("stSelectbox").first.click()  # Lecture presets
    page.get_by_role("option", name=presets()["ravine-momentum"]["title"]).click()
    page.wait_for_selector(".st-key-story")
    _wait_idle(page)
    page.reload()
    page.wait_for_selector(".st-key-story")
    _wait_idle(page)
    assert "Momentum rolls along a ravine" in page.locator(".st-key-story").inner_text()
    page.get_by_test_id("stMain").get_by_text("3D surface", exact=True).click()  # the fragment reruns
    page.wait_for_function("() => [...document.querySelectorAll('.js-plotly-plot')]"
                           ".some(g => (g.data || []).some(t => t.type === 'surface'))")
    _wait_idle(page)
    assert _link(page)["mode"] == "3d"
    page.reload()
    page.wait_for_function("() => [...document.querySelectorAll('.js-plotly-plot')]"
                           ".some(g => (g.data || []).some(t => t.type === 'surface'))")


@pytest.mark.parametrize("presentation", [True, False], ids=["presentation", "page"])
def test_a_typed_formula_under_the_title_still_leaves_play_in_view_at_1280x720(open_view, tmp_path,
                                                                              presentation):
    view = {"version": 2, "surface": "custom", "formula": "x^2 + 3*sin(2*y)", "bounds": [[-3, 3], [-3, 3]],
            "optimizers": [{"name": "adam", "params": {"lr": 0.1}}], "presentation": presentation}
    page = open_view(view, 1280, 720)
    shot = _shots(tmp_path) / f"formula-{'presentation' if presentation else 'page'}-1280x720.png"
    page.screenshot(path=str(shot))
    g = page.evaluate(_GEOMETRY_JS)
    assert page.locator(".st-key-formula_title .katex").count() == 1, f"no formula in LaTeX ({shot})"
    assert _inside(g["chart"], 1280, 720), f"chart {g['chart']} not all in the window ({shot})"
    assert g["controls"] and all(_inside(c, 1280, 720) for c in g["controls"]), \
        f"▶ / step slider out of view: {g['controls']} ({shot})"


# Every element container that turns stale during a rerun: its computed opacity and transition
# at that moment (Streamlit fades stale elements after 0.5 s).
_STALE_PROBE_JS = """() => {
    window.__stale = [];
    new MutationObserver((changes) => changes.forEach((c) => {
        if (c.target.getAttribute('data-stale') !== 'true') return;
        const s = getComputedStyle(c.target);
        window.__stale.push([s.opacity, s.transitionDuration]);
    })).observe(document.body, {subtree: true, attributes: true, attributeFilter: ['data-stale']});
}"""


def test_a_slider_move_does_not_start_fading_the_page(open_view):
    """A rerun marks the page's elements stale until they are sent again; Streamlit then starts
    an opacity transition on each (to 0.33 after 0.5 s) and cancels it when the element
    arrives. A slider move reruns in ~0.2 s, so nothing ever faded, but starting and cancelling
    ~100 transitions cost the browser 15-20 ms of painting per move (Chromium's trace), and on a
    long rerun the whole page dimmed on the projector. The page keeps stale elements as they
    are: no opacity change, no transition."""
    page = open_view(None, 1600, 1000)
    page.evaluate(_STALE_PROBE_JS)
    page.get_by_test_id("stSidebar").get_by_role("slider", name=LR_LABEL).last.press("ArrowRight")
    page.wait_for_function("() => window.__stale.length > 0")
    _wait_idle(page)
    stale = page.evaluate("window.__stale")
    assert len(stale) >= 10, stale
    assert {(opacity, duration) for opacity, duration in stale} == {("1", "0s")}, stale[:5]

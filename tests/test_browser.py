"""The app end to end in a real browser: `streamlit run app.py` in a subprocess, Chromium through
Playwright. The default page draws three animated paths on the Rosenbrock contour, and moving
Adam's learning-rate slider redraws Adam's path (and only Adam's).

Needs /usr/bin/chromium and the ``playwright`` module (``pip install -e ".[dev]"``); skips
without them, unless ``OPTIVIZ_REQUIRE_BROWSER=1`` (CI) makes that a failure. Select it with
``pytest -m browser``. ``OPTIVIZ_SCREENSHOT=assets/screenshot.png`` also saves the default
view there (the README picture)."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

try:
    from playwright.sync_api import sync_playwright
except ImportError:  # checked in the `browser` fixture: skip, or fail where it is required
    sync_playwright = None

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
VIEWPORT = {"width": 1600, "height": 1000}
START_TIMEOUT_S = 60
TIMEOUT_MS = 60_000  # page load and first draw (slow machines: 2 cores)
RERUN_TIMEOUT_S = 30  # a slider move until the redrawn path arrives
DEFAULT_PATHS = ["Momentum (EMA)", "RMSProp", "Adam (α=0.1)"]  # the page's default optimizers, in order
MIN_POINTS = 100  # 500 steps are drawn; a path with fewer points is not the whole run
LR_LABEL = "α · Learning rate"
PRESSES = 2  # ArrowRight presses: two stops up (0.1 → 0.2 → 0.5)

# The contour chart (the Plotly div whose data holds a contour trace) and its path traces,
# coordinates decoded by Plotly (_fullData; .data may hold {dtype, bdata} typed-array specs).
_CONTOUR_JS = """() => {
    const gd = [...document.querySelectorAll('.js-plotly-plot')]
        .find(g => ((g.layout || {}).images || []).length > 0);  // the contour: its surface is a picture
    if (!gd || !gd._fullLayout) return null;
    const decoded = (i, key) => {
        const full = (gd._fullData || []).find(f => f.index === i);
        const v = full && full[key] !== undefined ? full[key] : gd.data[i][key];
        if (v && v._inputArray) return Array.from(v._inputArray);
        return v && (Array.isArray(v) || ArrayBuffer.isView(v)) ? Array.from(v) : null;
    };
    const paths = [];
    gd.data.forEach((t, i) => {
        if (t.mode === 'lines+markers') paths.push({name: t.name, x: decoded(i, 'x'), y: decoded(i, 'y'),
                                                    rank: t.legendrank ?? 1000});
    });
    paths.sort((a, b) => a.rank - b.rank);  // legend order (the traces are layered by cover)
    return {
        paths,
        frames: ((gd._transitionData || {})._frames || []).length,
        buttons: gd.querySelectorAll('.updatemenu-button').length,
        sliders: gd.querySelectorAll('.slider-container').length,
    };
}"""

_DRAWN_JS = f"() => {{ const c = ({_CONTOUR_JS})(); return c !== null && c.paths.length > 0; }}"

# Streamlit is done: the script is not running, nothing is shown stale (faded, awaiting a
# rerun), and every Plotly chart element has been drawn.
_IDLE_JS = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
    if (document.querySelector('[data-stale="true"]')) return false;
    const charts = [...document.querySelectorAll('[data-testid="stPlotlyChart"]')];
    return charts.length > 0 && charts.every(c => {
        const gd = c.querySelector('.js-plotly-plot');
        return gd && gd._fullLayout && (gd.data || []).length > 0;
    });
}"""

# Height of the whole page: Streamlit scrolls its main area and sidebar inside the viewport.
_PAGE_HEIGHT_JS = """() => Math.max(document.documentElement.scrollHeight,
    ...['stMain', 'stAppViewContainer', 'stSidebarContent', 'stSidebarUserContent']
        .map(id => document.querySelector(`[data-testid="${id}"]`))
        .filter(Boolean).map(e => e.scrollHeight))"""
_LAYOUT_JS = f"() => [({_PAGE_HEIGHT_JS})(), document.querySelectorAll('.js-plotly-plot').length]"

# What the page shows as an error: an escaped exception, or a part that failed (ui.errors).
_ERRORS = '[data-testid="stException"], [data-testid="stAlertContentError"]'


def _unavailable(reason: str) -> None:
    """Skip, or fail where the browser test must run (CI sets OPTIVIZ_REQUIRE_BROWSER=1)."""
    if os.environ.get("OPTIVIZ_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason}, and OPTIVIZ_REQUIRE_BROWSER=1 requires the browser test",
                    pytrace=False)
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    url: str
    proc: subprocess.Popen
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


@pytest.fixture(scope="module")
def browser():
    """Chromium, headless (the Debian build: Playwright downloads no browser here)."""
    if sync_playwright is None:
        _unavailable("the playwright module is not installed (pip install -e '.[dev]')")
    if not os.access(CHROMIUM, os.X_OK):
        _unavailable(f"{CHROMIUM} is missing (apt-get install chromium)")
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def server(browser, tmp_path_factory) -> Iterator[Server]:
    """`streamlit run app.py` on a free port, until it answers its health check."""
    port = _free_port()
    log_path = tmp_path_factory.mktemp("streamlit") / "server.log"
    cmd = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
           "--server.port", str(port), "--server.address", "127.0.0.1",
           "--browser.gatherUsageStats", "false",
           # no "File change. Rerun?" prompt (in the screenshot) when a source file is edited
           "--server.fileWatcherType", "none"]
    with open(log_path, "w") as log:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                                env={**os.environ, "PYTHONUNBUFFERED": "1"})
    server = Server(f"http://127.0.0.1:{port}", proc, log_path)
    try:
        _wait_healthy(server)
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def _wait_healthy(server: Server) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            pytest.fail(f"streamlit exited with {server.proc.returncode}:\n{server.log()}", pytrace=False)
        with contextlib.suppress(OSError), \
                urllib.request.urlopen(f"{server.url}/_stcore/health", timeout=2) as reply:
            if reply.read().decode().strip() == "ok":
                return
        time.sleep(0.25)
    pytest.fail(f"streamlit did not answer /_stcore/health in {START_TIMEOUT_S} s:\n{server.log()}",
                pytrace=False)


@dataclass
class Session:
    page: object  # playwright Page
    console: list[str]


@pytest.fixture
def session(browser, server: Server) -> Iterator[Session]:
    """A fresh browser session (so the page's default state) with the page drawn and idle.
    On a failure, prints the server's output and the browser console."""
    context = browser.new_context(viewport=VIEWPORT, device_scale_factor=1)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    console: list[str] = []
    page.on("console", lambda m: console.append(f"console.{m.type}: {m.text}"))
    page.on("pageerror", lambda e: console.append(f"pageerror: {e}"))
    try:
        with _explain_failure(server, console):
            page.goto(server.url)
            page.wait_for_function(_DRAWN_JS)
            _wait_idle(page)
            yield Session(page, console)
    finally:
        context.close()


@contextlib.contextmanager
def _explain_failure(server: Server, console: list[str]) -> Iterator[None]:
    try:
        yield
    except BaseException as exc:
        if not isinstance(exc, GeneratorExit | KeyboardInterrupt | pytest.skip.Exception):
            print(f"--- streamlit output ---\n{server.log()}")
            print("--- browser console ---\n" + "\n".join(console))
        raise


def _wait_idle(page) -> None:
    """Until Streamlit is done and the page stops changing (fonts loaded, layout stable)."""
    page.wait_for_function(_IDLE_JS)
    page.evaluate("() => document.fonts.ready.then(() => true)")
    deadline, last = time.monotonic() + TIMEOUT_MS / 1000, None
    while time.monotonic() < deadline:
        now = page.evaluate(_LAYOUT_JS)
        if now == last and page.evaluate(_IDLE_JS):
            return
        last = now
        page.wait_for_timeout(500)
    pytest.fail("the page kept changing")


def _contour(page) -> dict:
    info = page.evaluate(_CONTOUR_JS)
    assert info is not None, "no contour chart on the page"
    return info


def _by_name(paths: list[dict]) -> dict[str, dict]:
    return {p["name"]: p for p in paths}


def _screenshot(page, path: Path) -> None:
    """The whole page: the viewport is stretched to the page's height for the shot."""
    height = max(VIEWPORT["height"], int(page.evaluate(_PAGE_HEIGHT_JS)))
    page.set_viewport_size({"width": VIEWPORT["width"], "height": height})
    try:
        _wait_idle(page)
        page.screenshot(path=str(path), full_page=True, animations="disabled")
    finally:
        page.set_viewport_size(VIEWPORT)


def test_default_page_draws_three_animated_paths(session: Session, server: Server, tmp_path: Path):
    page = session.page
    with _explain_failure(server, session.console):
        info = _contour(page)
        names = [p["name"] for p in info["paths"]]
        assert names == DEFAULT_PATHS, f"path traces on the contour: {names}"
        for p in info["paths"]:
            assert p["x"] is not None and p["y"] is not None, f"{p['name']}: no coordinates"
            assert len(p["x"]) == len(p["y"]) > MIN_POINTS, f"{p['name']}: {len(p['x'])} points"
        assert info["frames"] > 1, "the contour has no animation frames"
        assert info["buttons"] >= 2, "no play / pause buttons drawn"
        assert info["sliders"] >= 1, "no step slider drawn"
        assert page.locator(_ERRORS).count() == 0, page.locator(_ERRORS).all_inner_texts()

        shot = tmp_path / "screenshot.png"
        _screenshot(page, shot)
        print(f"screenshot: {shot}")
        target = os.environ.get("OPTIVIZ_SCREENSHOT")
        if target:
            target_path = Path(target) if Path(target).is_absolute() else ROOT / target
            target_path.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(shot, target_path)
            print(f"screenshot saved to {target_path}")


def test_adam_learning_rate_slider_redraws_only_adam(session: Session, server: Server):
    page = session.page
    with _explain_failure(server, session.console):
        before = _by_name(_contour(page)["paths"])
        assert list(before) == DEFAULT_PATHS

        expanders = page.get_by_test_id("stSidebar").get_by_test_id("stExpander")
        adam = expanders.filter(has=page.locator("summary", has_text="Adam"))
        assert adam.count() == 1, f"sidebar panels: {expanders.locator('summary').all_inner_texts()}"
        lr = adam.get_by_role("slider", name=LR_LABEL)
        old = lr.get_attribute("aria-valuetext")
        lr.focus()
        for _ in range(PRESSES):
            lr.press("ArrowRight")
        new = lr.get_attribute("aria-valuetext")
        assert new != old, f"{LR_LABEL} stayed at {old} after {PRESSES} × ArrowRight"

        # The label names the changed setting ("Adam (α=0.5)"): wait for that final redraw.
        wanted = f"Adam (α={new})"
        deadline, paths = time.monotonic() + RERUN_TIMEOUT_S, {}
        while time.monotonic() < deadline:
            paths = _by_name(_contour(page)["paths"])
            if wanted in paths and paths[wanted]["x"] != before[DEFAULT_PATHS[2]]["x"]:
                break
            page.wait_for_timeout(250)
        else:
            pytest.fail(f"no redrawn Adam path ({wanted}) {RERUN_TIMEOUT_S} s after moving α "
                        f"{old} → {new}; paths: {list(paths)}")
        _wait_idle(page)
        after = _by_name(_contour(page)["paths"])

        assert list(after) == [*DEFAULT_PATHS[:2], wanted]
        changed = after[wanted]
        assert len(changed["x"]) > MIN_POINTS
        assert (changed["x"], changed["y"]) != (before[DEFAULT_PATHS[2]]["x"], before[DEFAULT_PATHS[2]]["y"])
        for name in DEFAULT_PATHS[:2]:
            assert (after[name]["x"], after[name]["y"]) == (before[name]["x"], before[name]["y"]), \
                f"{name}'s path changed when only Adam's α moved"
        assert lr.get_attribute("aria-valuetext") == new
        assert page.locator(_ERRORS).count() == 0, page.locator(_ERRORS).all_inner_texts()


_DATA_TO_PAGE_JS = """([x, y]) => {
    const gd = [...document.querySelectorAll('.js-plotly-plot')]
        .find(g => ((g.layout || {}).images || []).length > 0);  // the contour: its surface is a picture
    const box = gd.getBoundingClientRect(), xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
    return [box.left + xa._offset + xa.d2p(x), box.top + ya._offset + ya.d2p(y)];
}"""


def test_a_click_on_the_contour_starts_every_path_there(session: Session, server: Server):
    page = session.page
    with _explain_failure(server, session.console):
        before = _by_name(_contour(page)["paths"])
        px, py = page.evaluate(_DATA_TO_PAGE_JS, [0.5, 2.0])
        page.mouse.click(px, py)
        deadline, paths = time.monotonic() + RERUN_TIMEOUT_S, before
        while time.monotonic() < deadline:
            paths = _by_name(_contour(page)["paths"])
            if all(p["x"] and p["x"][0] != before[n]["x"][0] for n, p in paths.items()):
                break
            page.wait_for_timeout(250)
        else:
            pytest.fail(f"no path starts at the clicked point {RERUN_TIMEOUT_S} s after the click")
        _wait_idle(page)
        # The click lands on the nearest point of the invisible 50 × 50 grid over the bounds
        # (spacing 4/49 here), and the start boxes show it to 3 decimals.
        for name, p in _by_name(_contour(page)["paths"]).items():
            assert abs(p["x"][0] - 0.5) <= 2 / 49 + 1e-3 and abs(p["y"][0] - 2.0) <= 2 / 49 + 1e-3, name
        start_x = page.get_by_test_id("stSidebar").get_by_label("x₀")
        assert abs(float(start_x.input_value()) - 0.5) <= 2 / 49 + 1e-3
        assert page.locator(_ERRORS).count() == 0, page.locator(_ERRORS).all_inner_texts()


_PATH_LENGTHS_JS = """() => {
    const gd = [...document.querySelectorAll('.js-plotly-plot')]
        .find(g => ((g.layout || {}).images || []).length > 0);  // the contour: its surface is a picture
    return gd._fullData.filter(t => t.mode === 'lines+markers').map(t => t.x.length);
}"""


def test_play_replays_every_path_in_the_browser_and_ends_on_the_whole_paths(session: Session,
                                                                            server: Server):
    page = session.page
    with _explain_failure(server, session.console):
        full = page.evaluate(_PATH_LENGTHS_JS)
        assert len(full) == 3 and min(full) > MIN_POINTS
        page.locator(".updatemenu-button", has_text="play").first.click()
        page.wait_for_function(f"() => ({_PATH_LENGTHS_JS})().every((n, i) => n < {full}[i])")
        # the frames play client-side to the end: the whole paths again
        page.wait_for_function(f"() => ({_PATH_LENGTHS_JS})().every((n, i) => n === {full}[i])")
        assert page.locator(_ERRORS).count() == 0, page.locator(_ERRORS).all_inner_texts()

"""The app end to end in a real browser: `streamlit run app.py` in a subprocess, Chromium through
Playwright. The default page draws three paths on the Rosenbrock contour with replay controls;
▶ replays them step by step over a surface that stays on screen (judged by the screenshot's
pixels), on the page and in the "HTML for slides" file; moving Adam's learning-rate slider
redraws Adam's path (and only Adam's); a click on the contour moves every start there.

Needs /usr/bin/chromium and the ``playwright`` module (``pip install -e ".[dev]"``); skips
without them, unless ``OPTIVIZ_REQUIRE_BROWSER=1`` (CI) makes that a failure. Select it with
``pytest -m browser``. Screenshots go to ``OPTIVIZ_SHOTS`` (default: a pytest temporary folder,
printed); ``OPTIVIZ_SCREENSHOT=assets/screenshot.png`` also saves the default view there (the
README picture)."""

from __future__ import annotations

import base64
import contextlib
import io
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

import numpy as np
import pytest
from PIL import Image

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
ROWS = 501  # the default view records steps 0..500
LR_LABEL = "α · Learning rate"
PRESSES = 2  # ArrowRight presses: two stops up (0.1 → 0.2 → 0.5)
KEPT_SHARE = 0.8  # the surface's painted share of the plot area during / after ▶, vs before
NEAR_WHITE = 20  # a pixel is painted when a channel lies further than this below 255 (empty: white)

# The paths chart: the animator's root, its Plotly div, and what it draws. Coordinates are what
# Plotly draws (the animator hands it typed arrays, decoded from the figure's base64).
_CHART_JS = """() => {
    const root = document.querySelector('.ovz-root'), gd = root && root.querySelector('.js-plotly-plot');
    if (!gd || !gd._fullLayout || !gd.data) return null;
    const arr = (v) => v == null ? null : (v.bdata ? null : Array.from(v));
    const paths = [], heads = [];
    const meta = (gd.layout.meta || {}).optiviz || {moving: []};
    meta.moving.forEach((group) => {
        const members = group.filter(([i, j]) => j >= 0).map(([i]) => i);
        group.forEach(([i, j]) => {
            const t = gd.data[i], p = {index: i, name: t.name || null, x: arr(t.x), y: arr(t.y), z: arr(t.z)};
            if (j >= 0) paths.push(p); else if (j === -1) heads.push(Object.assign(p, {members}));
        });
    });
    return {paths, heads, row: Number(root.dataset.row), step: root.dataset.step,
            playing: root.dataset.playing === '1', mode: root.dataset.mode,
            label: root.querySelector('.ovz-label').textContent,
            types: gd.data.map((t) => t.type)};
}"""

_DRAWN_JS = f"() => {{ const c = ({_CHART_JS})(); return c !== null && c.paths.length > 0; }}"

# Streamlit is done: the script is not running, nothing is shown stale (faded, awaiting a
# rerun), every Plotly chart element has been drawn, and so has the paths chart, and no still
# chart (the curves, drawn after it) waits to be drawn.
_IDLE_JS = """() => {
    const app = document.querySelector('[data-testid="stApp"]');
    if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
    if (document.querySelector('[data-stale="true"], .ovz-still[data-pending="1"]')) return false;
    const plots = [...document.querySelectorAll(
        '[data-testid="stPlotlyChart"] .js-plotly-plot, .ovz-root .js-plotly-plot')];
    return plots.length > 0 && plots.every((gd) => gd._fullLayout && (gd.data || []).length > 0);
}"""

# Height of the whole page: Streamlit scrolls its main area and sidebar inside the viewport.
_PAGE_HEIGHT_JS = """() => Math.max(document.documentElement.scrollHeight,
    ...['stMain', 'stAppViewContainer', 'stSidebarContent', 'stSidebarUserContent']
        .map(id => document.querySelector(`[data-testid="${id}"]`))
        .filter(Boolean).map(e => e.scrollHeight))"""
_LAYOUT_JS = f"""() => [({_PAGE_HEIGHT_JS})(), document.querySelectorAll('.js-plotly-plot').length,
    (document.querySelector('.ovz-root') || {{dataset: {{}}}}).dataset.drawnAt]"""

# The plot area (inside the axes) of the paths chart, in page pixels.
_PLOT_AREA_JS = """() => {
    const gd = document.querySelector('.ovz-root .js-plotly-plot'), b = gd.getBoundingClientRect();
    const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
    return {x: b.left + xa._offset, y: b.top + ya._offset, width: xa._length, height: ya._length};
}"""

_DATA_TO_PAGE_JS = """([x, y]) => {
    const gd = document.querySelector('.ovz-root .js-plotly-plot'), box = gd.getBoundingClientRect();
    const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
    return [box.left + xa._offset + xa.d2p(x), box.top + ya._offset + ya.d2p(y)];
}"""

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


def start_server(log_path: Path, *options: str, root: Path = ROOT) -> Server:
    """`streamlit run app.py` on a free port (with extra command-line ``options``), once it
    answers its health check; ``root`` is the checkout served (a benchmark's peer)."""
    port = _free_port()
    cmd = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
           "--server.port", str(port), "--server.address", "127.0.0.1",
           "--browser.gatherUsageStats", "false",
           # no "File change. Rerun?" prompt (in the screenshot) when a source file is edited
           "--server.fileWatcherType", "none", *options]
    with open(log_path, "w") as log:
        proc = subprocess.Popen(cmd, cwd=root, stdout=log, stderr=subprocess.STDOUT,
                                env={**os.environ, "PYTHONUNBUFFERED": "1"})
    server = Server(f"http://127.0.0.1:{port}", proc, log_path)
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with {proc.returncode}:\n{server.log()}")
        with contextlib.suppress(OSError), \
                urllib.request.urlopen(f"{server.url}/_stcore/health", timeout=2) as reply:
            if reply.read().decode().strip() == "ok":
                return server
        time.sleep(0.25)
    stop_server(server)
    raise RuntimeError(f"streamlit did not answer /_stcore/health in {START_TIMEOUT_S} s:\n{server.log()}")


def stop_server(server: Server) -> None:
    server.proc.terminate()
    try:
        server.proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.proc.kill()
        server.proc.wait(timeout=10)


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
    try:
        server = start_server(tmp_path_factory.mktemp("streamlit") / "server.log")
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        yield server
    finally:
        stop_server(server)


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    """Where the screenshots go (printed, for a reviewer to open)."""
    folder = Path(os.environ.get("OPTIVIZ_SHOTS") or tmp_path_factory.mktemp("shots"))
    folder.mkdir(parents=True, exist_ok=True)
    print(f"screenshots: {folder}")
    return folder


@dataclass
class Session:
    page: object  # playwright Page
    console: list[str]


def _open(browser, server: Server, viewport: dict = VIEWPORT):
    context = browser.new_context(viewport=viewport, device_scale_factor=1, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    console: list[str] = []
    page.on("console", lambda m: console.append(f"console.{m.type}: {m.text}"))
    page.on("pageerror", lambda e: console.append(f"pageerror: {e}"))
    return context, Session(page, console)


@pytest.fixture
def session(browser, server: Server) -> Iterator[Session]:
    """A fresh browser session (so the page's default state) with the page drawn and idle.
    On a failure, prints the server's output and the browser console."""
    context, s = _open(browser, server)
    try:
        with _explain_failure(server, s.console):
            s.page.goto(server.url)
            s.page.wait_for_function(_DRAWN_JS)
            wait_idle(s.page)
            yield s
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


def wait_idle(page) -> None:
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
    raise AssertionError("the page kept changing")


def _chart(page) -> dict:
    info = page.evaluate(_CHART_JS)
    assert info is not None, "no paths chart on the page"
    return info


def _by_name(paths: list[dict]) -> dict[str, dict]:
    """The named path traces (a path may also have unnamed ones, e.g. an outline) by name."""
    return {p["name"]: p for p in paths if p["name"]}


def _by_trace(paths: list[dict]) -> dict[int, dict]:
    return {p["index"]: p for p in paths}


def _screenshot(page, path: Path) -> None:
    """The whole page: the viewport is stretched to the page's height for the shot."""
    size = page.viewport_size
    height = max(size["height"], int(page.evaluate(_PAGE_HEIGHT_JS)))
    page.set_viewport_size({"width": size["width"], "height": height})
    try:
        wait_idle(page)
        page.screenshot(path=str(path), full_page=True, animations="disabled")
    finally:
        page.set_viewport_size(size)


def _painted_share(page, shot: Path) -> float:
    """The share of the plot area's pixels that are painted, not the empty plot's white: the
    surface (in colour or in grey; the paths are thin), from a screenshot saved to ``shot``."""
    png = page.screenshot(clip=page.evaluate(_PLOT_AREA_JS), path=str(shot))
    rgb = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    return float((rgb.min(axis=-1) < 255 - NEAR_WHITE).mean())


def _assert_prefixes(info: dict, full: dict[str, dict], row: int | None = None) -> None:
    """Every drawn path is its whole path's points 0..n−1 exactly (n = row + 1 when given), and
    each last-point marker sits on the last drawn point of its paths."""
    shown = _by_trace(info["paths"])
    for p in info["paths"]:
        whole, name = full[p["index"]], f"trace {p['index']} ({p['name']})"
        n = len(p["x"])
        assert 1 <= n <= len(whole["x"]), name
        if row is not None:
            assert n == min(row + 1, len(whole["x"])), f"{name}: {n} points at row {row}"
        assert p["x"] == whole["x"][:n] and p["y"] == whole["y"][:n], f"{name} is not a prefix"
    for head in info["heads"]:  # one trajectory per result here
        p = shown[head["members"][0]]
        assert (head["x"], head["y"]) == ([p["x"][-1]], [p["y"][-1]])


def _scrub_to(page, row: int) -> None:
    page.evaluate("""(row) => { const s = document.querySelector('.ovz-scrub');
        s.value = String(row); s.dispatchEvent(new Event('input', {bubbles: true})); }""", row)
    page.wait_for_function(f"() => document.querySelector('.ovz-root').dataset.row === '{row}'")


def test_default_page_draws_three_paths_with_replay_controls(session: Session, server: Server,
                                                             shots: Path):
    page = session.page
    with _explain_failure(server, session.console):
        info = _chart(page)
        assert list(_by_name(info["paths"])) == DEFAULT_PATHS
        assert all(len(p["x"]) == len(p["y"]) == ROWS for p in info["paths"])
        assert info["row"] == ROWS - 1 and info["label"] == "step 500 / 500"
        for control in (".ovz-play", ".ovz-back", ".ovz-forward", ".ovz-scrub", ".ovz-speed"):
            assert page.locator(control).is_visible(), control
        assert page.locator(".ovz-speed option").all_inner_texts() == ["¼×", "½×", "1×", "2×", "4×"]
        assert page.locator(_ERRORS).count() == 0, page.locator(_ERRORS).all_inner_texts()

        shot = shots / "default.png"
        _screenshot(page, shot)
        target = os.environ.get("OPTIVIZ_SCREENSHOT")
        if target:
            target_path = Path(target) if Path(target).is_absolute() else ROOT / target
            target_path.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(shot, target_path)
            print(f"screenshot saved to {target_path}")


def test_play_keeps_the_surface_and_draws_only_real_steps(session: Session, server: Server,
                                                          shots: Path):
    page = session.page
    with _explain_failure(server, session.console):
        full = _by_trace(_chart(page)["paths"])
        before = _painted_share(page, shots / "page-before-play.png")
        assert before > 0.5, f"the surface fills only {before:.0%} of the plot area"
        page.select_option(".ovz-speed", "0.25")  # ¼×: the whole run takes 32 s
        page.click(".ovz-play")
        page.wait_for_function("() => { const r = document.querySelector('.ovz-root');"
                               " return r.dataset.playing === '1' && Number(r.dataset.row) >= 3; }")
        during = _painted_share(page, shots / "page-during-play.png")
        info = _chart(page)
        assert info["playing"] and 0 < info["row"] < ROWS - 1
        _assert_prefixes(info, full)
        page.click(".ovz-play")  # pause: the paths are exactly steps 0..row
        page.wait_for_function("() => document.querySelector('.ovz-root').dataset.playing === '0'")
        page.wait_for_timeout(200)
        info = _chart(page)
        _assert_prefixes(info, full, info["row"])
        assert info["label"] == f"step {info['row']} / 500"

        page.select_option(".ovz-speed", "4")
        page.click(".ovz-play")
        page.wait_for_function(f"() => document.querySelector('.ovz-root').dataset.row === '{ROWS - 1}'"
                               " && document.querySelector('.ovz-root').dataset.playing === '0'")
        after = _painted_share(page, shots / "page-after-play.png")
        assert _by_trace(_chart(page)["paths"]) == full  # the end: the whole paths again
        assert during >= KEPT_SHARE * before and after >= KEPT_SHARE * before, \
            f"painted share of the plot area: {before:.2f} before ▶, {during:.2f} during, {after:.2f} after"
        assert page.locator(_ERRORS).count() == 0, page.locator(_ERRORS).all_inner_texts()


def test_speed_and_single_steps(session: Session, server: Server):
    page = session.page
    with _explain_failure(server, session.console):
        full = _by_trace(_chart(page)["paths"])
        page.click(".ovz-back")
        page.click(".ovz-back")
        page.click(".ovz-forward")
        info = _chart(page)
        assert info["row"] == ROWS - 2 and info["label"] == "step 499 / 500"
        _assert_prefixes(info, full, ROWS - 2)
        page.focus(".ovz-root")
        page.keyboard.press("ArrowLeft")
        page.keyboard.press("ArrowLeft")
        page.wait_for_function(f"() => document.querySelector('.ovz-root').dataset.row === '{ROWS - 4}'")
        _assert_prefixes(_chart(page), full, ROWS - 4)

        _scrub_to(page, 0)
        page.focus(".ovz-root")
        page.keyboard.press(" ")  # space plays and pauses
        page.wait_for_function("() => document.querySelector('.ovz-root').dataset.playing === '1'")
        page.keyboard.press(" ")
        page.wait_for_function("() => document.querySelector('.ovz-root').dataset.playing === '0'")

        page.select_option(".ovz-speed", "4")  # the control sets the speed
        assert page.evaluate("() => document.querySelector('.ovz-root').dataset.speed") == "4"
        rates = {speed: page.evaluate(_PLAYED_RATE_JS, speed) for speed in (0.25, 4)}
        planned = (ROWS - 1) / 8  # rows per second at 1×: the whole run in 8 s
        # Measured in the page: rows advanced per second of play. Drawing may lag (a slow
        # machine draws fewer frames), never run ahead of the plan.
        assert 0.5 * 0.25 * planned <= rates[0.25] <= 1.2 * 0.25 * planned, rates
        assert rates[4] >= 8 * rates[0.25], rates


# ▶ at `speed` from row 0 for 1.5 s, in the page: rows advanced per second.
_PLAYED_RATE_JS = """async (speed) => {
    const c = document.querySelector('.ovz-root').__optiviz;
    c.pause(); await c.show(0); c.setSpeed(speed);
    const start = performance.now();
    c.play();
    await new Promise((resolve) => setTimeout(resolve, 1500));
    c.pause();
    return c.row / ((performance.now() - start) / 1000);
}"""


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 720}, {"width": 1366, "height": 768},
                                      {"width": 1920, "height": 1080}], ids=lambda v: str(v["width"]))
def test_nothing_overlaps_the_replay_controls(browser, server: Server, shots: Path, viewport: dict):
    context, s = _open(browser, server, viewport)
    page = s.page
    try:
        with _explain_failure(server, s.console):
            page.goto(server.url)
            page.wait_for_function(_DRAWN_JS)
            wait_idle(page)
            area = page.evaluate(_PLOT_AREA_JS)
            # hovering the plot shows the modebar
            page.mouse.move(area["x"] + area["width"] / 2, area["y"] + area["height"] / 2)
            page.wait_for_timeout(300)
            boxes = {name: page.locator(sel).first.bounding_box() for name, sel in [
                ("play", ".ovz-play"), ("back", ".ovz-back"), ("forward", ".ovz-forward"),
                ("scrubber", ".ovz-scrub"), ("label", ".ovz-label"), ("speed", ".ovz-speed"),
                ("legend", ".ovz-root .legend"), ("modebar", ".ovz-root .modebar-container .modebar"),
                ("plot area", ".ovz-root .nsewdrag")]}
            page.screenshot(path=str(shots / f"controls-{viewport['width']}.png"))
            controls = ["play", "back", "forward", "scrubber", "label", "speed"]
            for a in controls:
                box = boxes[a]
                assert box is not None and box["width"] > 0, f"{a} is not drawn"
                assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"], f"{a} is cut off"
            names = list(boxes)
            for i, a in enumerate(names):
                for b in names[i + 1:]:
                    if {a, b} <= {"legend", "modebar", "plot area"} and "plot area" in {a, b}:
                        continue  # the legend and modebar sit over the plot's top margin, not the area
                    if boxes[a] and boxes[b]:
                        assert not _overlap(boxes[a], boxes[b]), f"{a} overlaps {b} at {viewport['width']} px"
    finally:
        context.close()


def _overlap(a: dict, b: dict) -> bool:
    return (a["x"] < b["x"] + b["width"] and b["x"] < a["x"] + a["width"]
            and a["y"] < b["y"] + b["height"] and b["y"] < a["y"] + a["height"])


def test_adam_learning_rate_slider_redraws_only_adam(session: Session, server: Server):
    page = session.page
    with _explain_failure(server, session.console):
        before = _by_name(_chart(page)["paths"])
        assert list(before) == DEFAULT_PATHS

        expanders = page.get_by_test_id("stSidebar").get_by_test_id("stExpander")
        adam = expanders.filter(has=page.locator("summary", has_text="Adam"))
        assert adam.count() == 1, f"sidebar panels: {expanders.locator('summary').all_inner_texts()}"
        lr = adam.get_by_role("slider", name=LR_LABEL)
        old = lr.get_attribute("aria-valuetext")
        lr.focus()
        page.evaluate("""() => { window.__kinds = []; let painted = true;
            document.addEventListener('ovz-drawn', (e) => {
                // a still chart: was a frame painted since the paths chart was drawn?
                window.__kinds.push(e.detail.kind === 'still' ? (painted ? 'still' : 'still, unpainted')
                                                              : e.detail.kind);
                if (e.detail.kind === 'figure') {
                    painted = false;
                    requestAnimationFrame(() => setTimeout(() => { painted = true; }, 0));
                }
            }); }""")
        # One press at a time, each read back once the page has taken it: a press sent while
        # the first one's rerun redraws the slider can be lost (α = 0.2 instead of 0.5).
        new = old
        for _ in range(PRESSES):
            before_press, deadline = new, time.monotonic() + RERUN_TIMEOUT_S
            lr.press("ArrowRight")
            while time.monotonic() < deadline and new == before_press:
                page.wait_for_timeout(200)
                new = lr.get_attribute("aria-valuetext")
            wait_idle(page)
            new = lr.get_attribute("aria-valuetext")
        assert new == "0.5", f"{LR_LABEL}: {old} → {new} after {PRESSES} × ArrowRight (stops 0.1, 0.2, 0.5)"

        # The label names the changed setting ("Adam (α=0.5)"): wait for that final redraw.
        wanted = f"Adam (α={new})"
        deadline, paths = time.monotonic() + RERUN_TIMEOUT_S, {}
        while time.monotonic() < deadline:
            paths = _by_name(_chart(page)["paths"])
            if wanted in paths and paths[wanted]["x"] != before[DEFAULT_PATHS[2]]["x"]:
                break
            page.wait_for_timeout(250)
        else:
            pytest.fail(f"no redrawn Adam path ({wanted}) {RERUN_TIMEOUT_S} s after moving α "
                        f"{old} → {new}; paths: {list(paths)}")
        wait_idle(page)
        after = _by_name(_chart(page)["paths"])

        assert list(after) == [*DEFAULT_PATHS[:2], wanted]
        changed = after[wanted]
        assert len(changed["x"]) == ROWS
        assert (changed["x"], changed["y"]) != (before[DEFAULT_PATHS[2]]["x"], before[DEFAULT_PATHS[2]]["y"])
        for name in DEFAULT_PATHS[:2]:
            assert (after[name]["x"], after[name]["y"]) == (before[name]["x"], before[name]["y"]), \
                f"{name}'s path changed when only Adam's α moved"
        assert lr.get_attribute("aria-valuetext") == new
        assert page.locator(_ERRORS).count() == 0, page.locator(_ERRORS).all_inner_texts()
        # Each rerun draws the paths chart first, then (once the browser has painted it) the
        # four curves (still charts), which name the changed setting too.
        kinds = page.evaluate("() => window.__kinds")
        assert kinds[0] == "figure" and kinds[-5:] == ["figure", *["still"] * 4], kinds
        curves = page.evaluate("""() => [...document.querySelectorAll('.ovz-still')]
            .map((gd) => gd.data.map((t) => t.name))""")
        assert len(curves) == 4 and all(wanted in names for names in curves), curves


def test_a_click_on_the_contour_starts_every_path_there(session: Session, server: Server):
    page = session.page
    with _explain_failure(server, session.console):
        before = _by_name(_chart(page)["paths"])
        px, py = page.evaluate(_DATA_TO_PAGE_JS, [0.5, 2.0])
        page.mouse.click(px, py)
        deadline, paths = time.monotonic() + RERUN_TIMEOUT_S, before
        while time.monotonic() < deadline:
            paths = _by_name(_chart(page)["paths"])
            if all(p["x"] and p["x"][0] != before[n]["x"][0] for n, p in paths.items()):
                break
            page.wait_for_timeout(250)
        else:
            pytest.fail(f"no path starts at the clicked point {RERUN_TIMEOUT_S} s after the click")
        wait_idle(page)
        # The click's pixel becomes data coordinates exactly (a pixel is 4/470 wide here) and
        # the start boxes show it to 3 decimals.
        for name, p in _by_name(_chart(page)["paths"]).items():
            assert abs(p["x"][0] - 0.5) <= 0.01 and abs(p["y"][0] - 2.0) <= 0.01, (name, p["x"][0], p["y"][0])
        start_x = page.get_by_test_id("stSidebar").get_by_label("x₀")
        assert abs(float(start_x.input_value()) - 0.5) <= 0.01
        assert page.locator(_ERRORS).count() == 0, page.locator(_ERRORS).all_inner_texts()


def test_the_3d_view_replays_the_paths(session: Session, server: Server, shots: Path):
    page = session.page
    with _explain_failure(server, session.console):
        page.get_by_text("3D surface", exact=True).click()
        page.wait_for_function(f"() => {{ const c = ({_CHART_JS})(); "
                               "return c && c.types[0] === 'surface'; }")
        wait_idle(page)
        full = _by_trace(_chart(page)["paths"])
        assert all(len(p["z"]) == ROWS for p in full.values())
        _scrub_to(page, 40)
        info = _chart(page)
        assert all(p["x"] == full[p["index"]]["x"][:41] and p["z"] == full[p["index"]]["z"][:41]
                   for p in info["paths"])
        page.select_option(".ovz-speed", "4")
        page.click(".ovz-play")
        page.wait_for_function(f"() => document.querySelector('.ovz-root').dataset.row === '{ROWS - 1}'")
        assert _by_trace(_chart(page)["paths"]) == full
        page.screenshot(path=str(shots / "3d-after-play.png"))


def _raster_surface(html: str) -> str:
    """The exported page with its contour trace (if any) replaced by a picture under the axes (a
    layout image, as a raster surface is drawn): the animator's fast path must keep it too."""
    ramp = np.linspace(0, 255, 64, dtype=np.uint8)
    rgb = np.stack(np.broadcast_arrays(ramp[:, None], ramp[None, :], np.uint8(160)), axis=-1)
    buffer = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(rgb)).save(buffer, format="PNG")
    source = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()
    patch = f"""<script>
    (() => {{ const mount = window.OptivizChart.mount;
      window.OptivizChart.mount = (root, fig, options) => {{
        const xr = fig.layout.xaxis.range, yr = fig.layout.yaxis.range;
        if (!fig.layout.images) fig.layout.images = [{{source: "{source}", xref: "x", yref: "y",
          x: xr[0], y: yr[1], sizex: xr[1] - xr[0], sizey: yr[1] - yr[0], sizing: "stretch",
          layer: "below"}}];
        const empty = {{type: "scatter", x: [], y: [], showlegend: false}};
        fig.data = fig.data.map((t) => t.type === "contour" ? empty : t);
        return mount(root, fig, options);
      }}; }})();
    </script>
    <script>
window.OptivizChart.mount("""
    return html.replace("<script>\nwindow.OptivizChart.mount(", patch, 1)


@pytest.mark.parametrize("surface", ["contour", "raster"])
def test_the_html_for_slides_replays_over_the_surface(session: Session, server: Server, shots: Path,
                                                      tmp_path: Path, surface: str):
    page = session.page
    with _explain_failure(server, session.console):
        with page.expect_download() as download:
            page.get_by_role("button", name="HTML for slides").click()
        html = Path(download.value.path()).read_text(encoding="utf-8")
        assert "<script src=" not in html  # offline: plotly.js is inlined
        exported = tmp_path / f"slides-{surface}.html"
        exported.write_text(html if surface == "contour" else _raster_surface(html), encoding="utf-8")

        page.goto(exported.as_uri())
        page.wait_for_function(_DRAWN_JS)
        info = _chart(page)
        # a contour trace is restyled (the fast scatter animation would wipe it); a picture is not
        assert info["mode"] == ("restyle" if "contour" in info["types"] else "animate")
        assert surface == "contour" or "contour" not in info["types"]
        full = _by_trace(info["paths"])
        assert list(_by_name(info["paths"])) == DEFAULT_PATHS
        assert all(len(p["x"]) == ROWS for p in full.values())
        before = _painted_share(page, shots / f"slides-{surface}-before.png")
        page.select_option(".ovz-speed", "0.5")
        page.click(".ovz-play")
        page.wait_for_function("() => Number(document.querySelector('.ovz-root').dataset.row) >= 20")
        during = _painted_share(page, shots / f"slides-{surface}-during.png")
        _assert_prefixes(_chart(page), full)
        page.select_option(".ovz-speed", "4")
        page.wait_for_function(f"() => document.querySelector('.ovz-root').dataset.row === '{ROWS - 1}'")
        page.wait_for_timeout(200)
        after = _painted_share(page, shots / f"slides-{surface}-after.png")
        assert _by_trace(_chart(page)["paths"]) == full
        assert before > 0.5 and during >= KEPT_SHARE * before and after >= KEPT_SHARE * before, \
            f"painted share: {before:.2f} before ▶, {during:.2f} during, {after:.2f} after"
        assert not [line for line in session.console if "pageerror" in line], session.console


def _luminance(css: str) -> float:
    """WCAG relative luminance of an ``rgb(r, g, b)`` colour."""
    channels = [int(c) / 255 for c in css[css.index("(") + 1:css.index(")")].split(",")[:3]]
    r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def test_the_step_label_is_readable_in_dark_mode(browser, tmp_path: Path, shots: Path):
    server = start_server(tmp_path / "server.log", "--theme.base", "dark")
    context, s = _open(browser, server)
    try:
        with _explain_failure(server, s.console):
            s.page.goto(server.url)
            s.page.wait_for_function(_DRAWN_JS)
            wait_idle(s.page)
            text, back = s.page.evaluate("""() => [
                getComputedStyle(document.querySelector('.ovz-label')).color,
                getComputedStyle(document.body).backgroundColor]""")
            s.page.screenshot(path=str(shots / "dark.png"))
            light, dark = sorted((_luminance(text), _luminance(back)), reverse=True)
            assert (light + 0.05) / (dark + 0.05) >= 4.5, f"step label {text} on {back}"  # WCAG AA
    finally:
        context.close()
        stop_server(server)


_FONT_SIZES_JS = """(sel) => [...document.querySelectorAll(sel)]
    .map((t) => parseFloat(getComputedStyle(t).fontSize))"""


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 720}, {"width": 1920, "height": 1080}],
                         ids=lambda v: str(v["width"]))
def test_presentation_mode_fills_the_screen_with_large_text(browser, tmp_path: Path, shots: Path,
                                                          viewport: dict):
    from landscapes import get_landscape
    from optim_core import run_many
    from viz import contour_spec
    from viz.html_export import html_document

    land = get_landscape("rosenbrock")
    results = run_many(land, ["momentum", "rmsprop", "adam"], land.start, 100)
    page_file = tmp_path / "presentation.html"
    page_file.write_text(html_document(contour_spec(land, results, animated=True), presentation=True),
                         encoding="utf-8")
    context = browser.new_context(viewport=viewport, device_scale_factor=1)
    try:
        page = context.new_page()
        page.goto(page_file.as_uri())
        page.wait_for_function(_DRAWN_JS)
        page.screenshot(path=str(shots / f"presentation-{viewport['width']}.png"))
        chart = page.locator(".ovz-root .js-plotly-plot").bounding_box()
        controls = page.locator(".ovz-bar").bounding_box()
        assert chart["height"] >= 0.75 * viewport["height"], chart
        assert controls["y"] + controls["height"] <= viewport["height"], "▶ needs scrolling"
        # the square plot (x and y to scale) is centred, not pushed right of an empty half
        area = page.locator(".ovz-root .nsewdrag").first.bounding_box()
        middle = area["x"] + area["width"] / 2
        assert abs(middle - viewport["width"] / 2) <= 0.15 * viewport["width"], (area, viewport)
        sizes = page.evaluate(_FONT_SIZES_JS,
                              ".ovz-root .xtick text, .ovz-root .ytick text, .ovz-root .legendtext")
        label = page.evaluate(_FONT_SIZES_JS, ".ovz-label")[0]
        if viewport["width"] >= 1920:
            assert sizes and min(sizes) >= 18 and label >= 18, (sizes, label)
    finally:
        context.close()

"""Benchmark: the hyperparameter scrub, on the server and in the browser.

    python bench/bench_scrub.py [--steps 500] [--repeat 7] [--no-browser] [--seconds 3] [--page]

* **Server**: ``scrub(rosenbrock, adam, "lr", steps=500)`` (64 values of α, one vectorized
  NumPy run), median wall time of ``--repeat`` calls after a warm-up. Target ≤ 100 ms. Peer,
  timed in the same process: the same 64 paths as 64 separate ``run`` calls (what the page
  would need without the vectorized engine), and the ratio peer / scrub.
* **Browser**: the scrub figure (Rosenbrock's contour, Adam's path and the slider) as the
  offline HTML file (the same animator and overlays.js as the page), in headless Chromium
  (/usr/bin/chromium, Playwright). One slider input event per animation frame, sweeping the
  slider back and forth for ``--seconds``; counted: completed redraws ("ovz-scrubbed") per
  second and the median input → redraw time. Target ≥ 30 redraws/s. ``--page`` measures the
  same in the app itself (``streamlit run app.py``, the slider turned on for Adam's α on the
  default page), where the rest of the page shares the browser's main thread.

The machine is shared: the load average is printed before and after.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from landscapes import get_landscape
from optim_core import make_optimizer, run, scrub
from viz.figures import contour_spec
from viz.html_export import html_document
from viz.scrub import add_scrub

SERVER_TARGET_MS, REDRAW_TARGET = 100.0, 30.0
CHROMIUM = "/usr/bin/chromium"

# One input event per animation frame, the slider going back and forth; redraws counted.
_DRAG_JS = """(seconds) => new Promise((resolve) => {
    const root = document.querySelector('.ovz-root'), input = root.querySelector('.ovz-hp-input');
    const max = Number(input.max), sent = new Map(), lags = [];
    let inputs = 0;
    let drawn = 0, i = 0, dir = 1;
    root.addEventListener('ovz-scrubbed', (e) => {
        drawn++;
        const t = sent.get(e.detail.index);
        if (t !== undefined) lags.push(e.detail.at - t);
    });
    const start = performance.now();
    const tick = (now) => {
        if (now - start > seconds * 1000) {
            const elapsed = (performance.now() - start) / 1000;
            resolve({drawn, inputs, elapsed, lags}); return;
        }
        i += dir; if (i >= max || i <= 0) dir = -dir;
        input.value = String(i); sent.set(i, performance.now()); inputs++;
        input.dispatchEvent(new Event('input', {bubbles: true}));
        requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
})"""


def server(steps: int, repeat: int) -> float:
    land, opt = get_landscape("rosenbrock"), make_optimizer("adam", lr=0.01)
    scrub(land, opt, "lr", steps=steps)
    times = []
    for _ in range(repeat):
        tic = time.perf_counter()
        sc = scrub(land, opt, "lr", steps=steps)
        times.append(time.perf_counter() - tic)
    ms = statistics.median(times) * 1000
    tic = time.perf_counter()
    for v in sc.values:
        run(land, make_optimizer("adam", lr=np.array([v])), land.start, steps)
    peer = (time.perf_counter() - tic) * 1000
    print(f"server: scrub of {len(sc.values)} α values × {steps} steps: {ms:.1f} ms (median of {repeat}; "
          f"target ≤ {SERVER_TARGET_MS:.0f} ms) {'OK' if ms <= SERVER_TARGET_MS else 'MISSED'}")
    print(f"        peer, {len(sc.values)} separate runs: {peer:.1f} ms; peer / scrub = {peer / ms:.1f}")
    return ms


def _report(where: str, out: dict) -> float:
    rate = out["drawn"] / out["elapsed"]
    lag = statistics.median(out["lags"]) if out["lags"] else float("nan")
    verdict = "OK" if rate >= REDRAW_TARGET else "MISSED"
    print(f"{where}: {out['inputs']} input events in {out['elapsed']:.1f} s, {out['drawn']} redraws: "
          f"{rate:.1f} redraws/s (target ≥ {REDRAW_TARGET:.0f}) {verdict}; "
          f"median input → redraw {lag:.1f} ms")
    return rate


def _chromium(pw):
    return pw.chromium.launch(executable_path=CHROMIUM, args=[
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])


def page(seconds: float) -> float:
    """The drag in the app's page (a streamlit server started here, stopped after)."""
    from playwright.sync_api import sync_playwright

    from tests.test_browser import _DRAWN_JS, start_server, stop_server, wait_idle

    with tempfile.TemporaryDirectory() as folder:
        server = start_server(Path(folder) / "server.log")
        try:
            with sync_playwright() as pw:
                chromium = _chromium(pw)
                tab = chromium.new_page(viewport={"width": 1600, "height": 1000})
                tab.set_default_timeout(60_000)
                tab.goto(server.url)
                tab.wait_for_function(_DRAWN_JS)
                wait_idle(tab)
                tab.get_by_role("button", name="⇆ Slider · state").click()
                tab.get_by_role("combobox", name="Hyperparameter slider").click()
                tab.get_by_role("option", name="Adam").click()
                tab.wait_for_function("() => document.querySelector('.ovz-root')?.dataset.hpIndex "
                                      "!== undefined")
                wait_idle(tab)
                out = tab.evaluate(_DRAG_JS, seconds)
                chromium.close()
        finally:
            stop_server(server)
    return _report("browser, the app's page", out)


def browser(steps: int, seconds: float) -> float | None:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        print("browser: skipped (no playwright module)")
        return None
    land = get_landscape("rosenbrock")
    res = run(land, make_optimizer("adam", lr=0.01), land.start, steps)
    sc = scrub(land, make_optimizer("adam", lr=0.01), "lr", steps=steps)
    spec = add_scrub(contour_spec(land, [res], animated=True), sc, color="#1f77b4", current=0.01)
    with tempfile.TemporaryDirectory() as folder:
        page_file = Path(folder) / "scrub.html"
        page_file.write_text(html_document(spec), encoding="utf-8")
        with sync_playwright() as pw:
            chromium = _chromium(pw)
            tab = chromium.new_page(viewport={"width": 1280, "height": 900})
            tab.goto(page_file.as_uri())
            tab.wait_for_function("() => document.querySelector('.ovz-root')?.dataset.hpIndex !== undefined")
            out = tab.evaluate(_DRAG_JS, seconds)
            chromium.close()
    return _report("browser, the HTML file", out)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--steps", type=int, default=500)
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--no-browser", action="store_true")
    ap.add_argument("--page", action="store_true", help="also measure in the app's page")
    args = ap.parse_args()
    print(f"load average before: {os.getloadavg()}")
    ms = server(args.steps, args.repeat)
    rate = None if args.no_browser else browser(args.steps, args.seconds)
    if args.page and not args.no_browser:
        rate = min(rate, page(args.seconds)) if rate is not None else page(args.seconds)
    print(f"load average after: {os.getloadavg()}")
    return 0 if ms <= SERVER_TARGET_MS and (rate is None or rate >= REDRAW_TARGET) else 1


if __name__ == "__main__":
    sys.exit(main())

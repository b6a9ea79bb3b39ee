"""Benchmark: from a key press on Adam's α slider to Adam's path redrawn, as the browser measures
it, and the bytes each rerun sends.

    python bench/bench_browser.py [--moves N] [--peer DIR]

What is measured
----------------
``streamlit run app.py`` in a subprocess, the default view in headless Chromium (Playwright,
1600×1000). Each move presses ArrowRight (or ArrowLeft) on Adam's α slider, moving it to a
value not seen before in this session (α sweeps its stops; at either end β₁ moves one stop, not
timed, so the next sweep is new again): Adam's run is a cache miss, as after a real move.

In the page, ``performance.now()`` is taken at the keydown (a capturing listener) and when the
chart reports a drawn figure whose Adam path differs from the one before (the animator's
``ovz-drawn`` event, fired after ``Plotly.react`` resolved). A wrapped ``WebSocket`` stamps
every frame, so each move splits into: key → rerun request sent (the slider's debounce),
request → last frame of the rerun received (server time plus transfer), last frame → drawn
(the browser: decode and draw). Bytes are every websocket frame the server sent for the rerun
(counted once the page is idle again, also those that came after the path was drawn).
The curves are drawn after the chart; the time to the last of them is printed too.

The targets (issue 7): median ≤ 250 ms key → drawn and ≤ 150 kB per rerun. The machine is
shared; the load average is printed with the figures. ``--peer DIR`` serves a second checkout
(e.g. ``git worktree add /tmp/main main``) and takes the moves in turns, one on each page, so
both see the same load; it prints the ratio of their medians.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.test_browser import (  # noqa: E402
    CHROMIUM,
    CHROMIUM_ARGS,
    LR_LABEL,
    VIEWPORT,
    start_server,
    stop_server,
    wait_idle,
)

TARGET_MS = 250.0
TARGET_KB = 150.0

_PROBE = """
(() => {
  const frames = window.__frames = [];
  const Native = window.WebSocket;
  window.WebSocket = function (...args) {
    const ws = new Native(...args);
    const send = ws.send.bind(ws);
    const size = (d) => d.byteLength || d.size || d.length || 0;
    ws.send = (d) => { frames.push({dir: "out", at: performance.now(), bytes: size(d)}); send(d); };
    ws.addEventListener("message",
                        (e) => frames.push({dir: "in", at: performance.now(), bytes: size(e.data)}));
    return ws;
  };
  window.WebSocket.prototype = Native.prototype;
  Object.assign(window.WebSocket, {CONNECTING: 0, OPEN: 1, CLOSING: 2, CLOSED: 3});
  const draws = window.__draws = [];
  document.addEventListener("keydown", () => { window.__key = performance.now(); }, true);
  const stills = window.__stills = [];
  document.addEventListener("ovz-drawn", (e) => {
    if (e.detail.kind === "still") stills.push(e.detail.at);
    if (e.detail.kind !== "figure") return;
    const gd = e.target.querySelector(".js-plotly-plot");
    const adam = gd.data.filter((t) => t.mode === "lines+markers").find((t) => t.name.startsWith("Adam"));
    draws.push({at: e.detail.at, adam: adam ? adam.name + ":" + Array.from(adam.x).slice(-3).join(",") : ""});
  });
})();
"""

_ADAM = """() => { const d = window.__draws; return d.length ? d[d.length - 1].adam : ""; }"""

_MOVE = """(before) => {
  const key = window.__key, draw = window.__draws.find((d) => d.at > key && d.adam !== before);
  if (!draw) return null;
  const frames = window.__frames.filter((f) => f.at >= key && f.at <= draw.at);
  const sent = frames.find((f) => f.dir === "out"), got = frames.filter((f) => f.dir === "in");
  const rerun = window.__frames.filter((f) => f.at >= key && f.dir === "in");  // read once idle: all of it
  const curves = window.__stills.filter((at) => at > key);
  return {total: draw.at - key, debounce: sent ? sent.at - key : null,
          curves: curves.length ? Math.max(...curves) - key : null,
          server: sent && got.length ? got[got.length - 1].at - sent.at : null,
          render: got.length ? draw.at - got[got.length - 1].at : null,
          bytes: rerun.reduce((s, f) => s + f.bytes, 0), messages: rerun.length};
}"""


def _slider(page, panel: str, label: str):
    expanders = page.get_by_test_id("stSidebar").get_by_test_id("stExpander")
    return expanders.filter(has=page.locator("summary", has_text=panel)).get_by_role("slider", name=label)


def _open(browser, root: Path, log: Path) -> dict:
    """A server of ``root``'s page, and the default view open in Chromium."""
    server = start_server(log, root=root)
    page = browser.new_page(viewport=VIEWPORT)
    page.set_default_timeout(60_000)
    page.add_init_script(_PROBE)
    page.goto(server.url)
    page.wait_for_function("() => window.__draws.length > 0")
    wait_idle(page)
    return {"server": server, "page": page, "key": "ArrowLeft", "rows": [],
            "lr": _slider(page, "Adam", LR_LABEL), "beta1": _slider(page, "Adam", "β₁")}


def _move(side: dict) -> None:
    """One timed move to a new α on one side (an untimed β₁ move first at either end of α)."""
    page, lr = side["page"], side["lr"]
    while True:
        value = lr.get_attribute("aria-valuetext")
        before = page.evaluate(_ADAM)
        lr.press(side["key"])
        page.wait_for_timeout(50)
        if lr.get_attribute("aria-valuetext") != value:
            break
        side["beta1"].press("ArrowLeft")  # an end of α's range: new β₁, sweep back
        wait_idle(page)
        side["key"] = "ArrowRight" if side["key"] == "ArrowLeft" else "ArrowLeft"
    page.wait_for_function(f"() => ({_MOVE})({before!r}) !== null", timeout=30_000)
    wait_idle(page)
    side["rows"].append(page.evaluate(_MOVE, before))


def measure(moves: int, roots: list[Path]) -> list[list[dict]]:
    """``moves`` timed moves on the page of each checkout in ``roots``, taken in turns (one
    move each, then again), so that every checkout sees the same load."""
    from playwright.sync_api import sync_playwright

    tmp = Path(os.environ.get("TMPDIR", "/tmp"))
    sides = []
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            for i, root in enumerate(roots):
                sides.append(_open(browser, root, tmp / f"bench_browser{i}.log"))
            for _ in range(moves):
                for side in sides:
                    _move(side)
            browser.close()
    finally:
        for side in sides:
            stop_server(side["server"])
    return [side["rows"] for side in sides]


def _medians(rows: list[dict]) -> dict:
    keys = ("total", "debounce", "server", "render", "bytes", "messages", "curves")
    return {k: statistics.median(v) if (v := [r[k] for r in rows if r[k] is not None]) else None
            for k in keys}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--moves", type=int, default=20)
    parser.add_argument("--peer", type=Path, help="another checkout (e.g. main's) measured in turns "
                        "with this one, under the same load")
    args = parser.parse_args()
    started = time.monotonic()
    roots = [ROOT] + ([args.peer.resolve()] if args.peer else [])
    results = measure(args.moves, roots)
    print(f"load average {os.getloadavg()[0]:.2f} (2 cores shared); {args.moves} moves to new α values "
          f"per page in {time.monotonic() - started:.0f} s")
    for root, rows in zip(roots, results, strict=True):
        med = _medians(rows)
        if args.peer:
            print(f"{'this checkout' if root == ROOT else 'peer'} ({root}):")
        print(f"key press → Adam's path drawn: median {med['total']:.0f} ms "
              f"(min {min(r['total'] for r in rows):.0f}, max {max(r['total'] for r in rows):.0f}); "
              f"target ≤ {TARGET_MS:.0f} ms: {'met' if med['total'] <= TARGET_MS else 'NOT met'}")
        print(f"  of which: key → rerun request {med['debounce']:.0f} ms, request → last frame received "
              f"(server + transfer) {med['server']:.0f} ms, last frame → drawn {med['render']:.0f} ms")
        if med["curves"] is not None:  # the curves, drawn after the chart (ui/still_chart.py)
            print(f"  key press → the four curves drawn: median {med['curves']:.0f} ms")
        kb = med["bytes"] / 1000
        print(f"bytes per rerun: median {kb:.1f} kB in {med['messages']:.0f} websocket messages; "
              f"target ≤ {TARGET_KB:.0f} kB: {'met' if kb <= TARGET_KB else 'NOT met'}")
    if args.peer:
        ours, peer = (_medians(rows)["total"] for rows in results)
        print(f"median key → drawn, peer / this checkout: {peer / ours:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

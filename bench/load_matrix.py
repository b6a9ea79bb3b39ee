"""The README's load figures in one command: a class (bench/load.py) of 25, 50, 100 and 200
students, 60 s each, against one app process and against `make serve` with 2 processes behind
nginx; a burst of 200 opening the same link at once (proxied); one student typing the slowest
formula known among 25 others (one process: compare its p95 with the 25-student row). Each run
gets freshly started servers on free loopback ports, stopped after it. Prints a Markdown table.

    python bench/load_matrix.py                   # the full set: about 15 minutes, needs nginx
    python bench/load_matrix.py --sizes 5 10 --seconds 15 --burst 10   # a quick check

Run it on a quiet machine (`uptime` before and after goes with the figures).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from load import BURST_TARGET_S, measure, quantiles

ROOT = Path(__file__).resolve().parents[1]
SETUPS = ("1 process", "2 processes + nginx")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(url: str, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit(f"load_matrix: {url} did not answer within {seconds:g} s")
        time.sleep(0.3)


LOGS = ROOT / ".serve" / "load-logs"  # the servers' logs of the last run, one file per app


@contextmanager
def server(setup: str, name: str):
    """(url, app PIDs) of a freshly started setup; everything it started is stopped after.
    Its apps' logs are kept in :data:`LOGS` as ``name``-*.log."""
    LOGS.mkdir(parents=True, exist_ok=True)
    if setup == SETUPS[0]:
        port = _free_port()
        with open(LOGS / f"{name}-app.log", "w") as log:
            app = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py",
                                    "--server.port", str(port), "--server.address", "127.0.0.1"],
                                   cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
        try:
            _wait(f"http://127.0.0.1:{port}")
            yield f"http://127.0.0.1:{port}", [app.pid]
        finally:
            app.send_signal(signal.SIGTERM)
            app.wait(60)
        return
    with tempfile.TemporaryDirectory() as run_dir:
        listen = f"127.0.0.1:{_free_port()}"
        env = {**os.environ, "OPTIVIZ_PROCESSES": "2", "OPTIVIZ_LISTEN": listen, "OPTIVIZ_RUN_DIR": run_dir,
               "OPTIVIZ_FIRST_PORT": str(_free_port()), "PY": sys.executable}
        script = str(ROOT / "deploy" / "serve.sh")
        subprocess.run([script, "start"], env=env, check=True, timeout=180, stdout=subprocess.DEVNULL)
        try:
            pids = [int(p.read_text()) for p in Path(run_dir).glob("app-*.pid")]
            yield f"http://{listen}", pids
        finally:
            subprocess.run([script, "stop"], env=env, check=True, timeout=60)
            time.sleep(1)  # the processes end on their signal
            for log in Path(run_dir).glob("app-*.log"):
                (LOGS / f"{name}-{log.name}").write_bytes(log.read_bytes())


def _run(setup: str, mode: str, sessions: int, seconds: float) -> dict:
    name = f"{'proxied' if setup == SETUPS[1] else 'single'}-{mode}-{sessions}"
    with server(setup, name) as (url, pids):
        result = asyncio.run(measure(url, mode, sessions, seconds, pids=pids))
    result["setup"] = setup
    result["logged_errors"] = sum(log.read_text(errors="replace").count("Traceback")
                                  for log in LOGS.glob(f"{name}-*.log"))
    p95 = quantiles(result["changes"] or result["opens"])[1]
    print(f"  done: {setup}, {mode}, {sessions} sessions: p95 {p95:.2f} s, {len(result['errors'])} errors, "
          f"{result['logged_errors']} tracebacks in {LOGS}/{name}-*.log", file=sys.stderr)
    return result


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:,.0f} ms"


def table(results: list[dict]) -> str:
    """The Markdown table of the class runs, then the burst and the hostile formula."""
    lines = ["| setup | students | changes | p50 | p95 | max | page opens p95 | errors | unfinished "
             "| memory MB (start → peak → end) | server CPU per request |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|"]
    for r in (r for r in results if r["mode"] == "class"):
        p50, p95, top = quantiles(r["changes"])
        lines.append(f"| {r['setup']} | {r['sessions']} | {len(r['changes'])} | {_ms(p50)} | {_ms(p95)} "
                     f"| {_ms(top)} "
                     f"| {_ms(quantiles(r['opens'])[1])} | {len(r['errors'])} | {r['unfinished']} "
                     f"| {r['mem_start']:.0f} → {r['mem_peak']:.0f} → {r['mem_end']:.0f} "
                     f"| {_ms(r['cpu_per_request'])} |")
    for r in (r for r in results if r["mode"] == "burst"):
        p50, _, top = quantiles(r["opens"])
        within = sum(t <= BURST_TARGET_S for t in r["opens"])
        lines.append(f"\nBurst ({r['setup']}): {r['sessions']} open the same link at once: {within} of "
                     f"{r['sessions']} got their page within {BURST_TARGET_S:g} s (median {p50:.1f} s, "
                     f"last {top:.1f} s), {len(r['errors'])} errors; memory {r['mem_start']:.0f} → "
                     f"{r['mem_peak']:.0f} MB.")
    for r in (r for r in results if r["mode"] == "hostile"):
        alone = next((c for c in results if c["mode"] == "class" and c["setup"] == r["setup"]
                      and c["sessions"] == r["sessions"]), None)
        versus = f" (without it: p95 {_ms(quantiles(alone['changes'])[1])})" if alone else ""
        _, p95, top = quantiles(r["hostile"])
        lines.append(f"\nSlow formulas ({r['setup']}): one student typing the slowest formula known "
                     f"({len(r['hostile'])} times, each answered within {top:.1f} s, p95 {p95:.1f} s) "
                     f"among {r['sessions']}: the others' p95 {_ms(quantiles(r['changes'])[1])}{versus}, "
                     f"{len(r['errors'])} errors.")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[25, 50, 100, 200])
    parser.add_argument("--seconds", type=float, default=60.0, help="each class run's time")
    parser.add_argument("--burst", type=int, default=200, help="visitors opening the link at once")
    parser.add_argument("--hostile", type=int, default=25, help="students beside the slow-formula one")
    parser.add_argument("--json", help="also write every run's figures to this file")
    args = parser.parse_args()
    started = time.monotonic()
    results = [_run(setup, "class", n, args.seconds) for setup in SETUPS for n in args.sizes]
    results.append(_run(SETUPS[1], "burst", args.burst, 60.0))
    results.append(_run(SETUPS[0], "hostile", args.hostile, args.seconds))
    load = os.getloadavg()
    print(table(results))
    print(f"\n({time.monotonic() - started:.0f} s in all; load average at the end {load[0]:.2f}, "
          f"{os.cpu_count()} cores)")
    if args.json:
        Path(args.json).write_text(json.dumps(results))
    return 1 if any(r["errors"] for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())

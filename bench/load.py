"""A short load test on this machine: simulated students, each holding one Streamlit session
over its own websocket (as a browser does) and rerunning the page again and again, with a
think time between reruns. Reports the reruns' latency (from the request to the server's
"script finished") p50 / p95 / max and the errors. Loopback only, bounded in sessions and
time; exits with status 1 on any error.

    python bench/load.py --url http://127.0.0.1:8500 --sessions 10 --seconds 30

Start the server first: `make serve PROCESSES=2 LISTEN=127.0.0.1:8500` (the proxied setup) or
`streamlit run app.py --server.port 8501` (one process). A rerun sends what a fresh browser
would (no cached-message hashes), so each costs the full page.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import time
import urllib.request
from urllib.parse import urlparse

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

MAX_SESSIONS = 100
MAX_SECONDS = 600
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
RERUN_TIMEOUT_S = 60


def _rerun_message() -> bytes:
    msg = BackMsg()
    msg.rerun_script.query_string = ""
    msg.rerun_script.page_script_hash = ""
    return msg.SerializeToString()


async def _until_finished(ws) -> bool:
    """Read forward messages until the script run ends; False if it ended with an error."""
    failed = False
    while True:
        msg = ForwardMsg()
        msg.ParseFromString(await ws.recv())
        kind = msg.WhichOneof("type")
        if kind == "delta" and msg.delta.new_element.WhichOneof("type") == "exception":
            failed = True
        if kind == "script_finished":
            return not failed


def _cookies(url: str) -> str:
    """The cookies a browser gets before it opens its websocket (Streamlit's XSRF cookie, set
    by the health check the page calls first): the proxy's sticky key."""
    with urllib.request.urlopen(url.rstrip("/") + "/_stcore/health", timeout=RERUN_TIMEOUT_S) as answer:
        return "; ".join(c.split(";", 1)[0] for c in answer.headers.get_all("Set-Cookie") or [])


async def _student(url: str, deadline: float, think: float, latencies: list, errors: list,
                   rng: random.Random) -> None:
    ws_url = url.replace("http", "ws", 1).rstrip("/") + "/_stcore/stream"
    try:
        cookies = await asyncio.to_thread(_cookies, url)
        async with websockets.connect(ws_url, subprotocols=["streamlit"], origin=url.rstrip("/"),
                                      additional_headers={"Cookie": cookies} if cookies else None,
                                      max_size=None, open_timeout=RERUN_TIMEOUT_S) as ws:
            await asyncio.sleep(rng.uniform(0, think))  # students don't all start together
            while time.monotonic() < deadline:
                start = time.monotonic()
                await ws.send(_rerun_message())
                ok = await asyncio.wait_for(_until_finished(ws), RERUN_TIMEOUT_S)
                latencies.append(time.monotonic() - start)
                if not ok:
                    errors.append("the page showed an exception")
                if think:
                    await asyncio.sleep(min(rng.expovariate(1 / think), deadline - time.monotonic()))
    except (OSError, TimeoutError, websockets.WebSocketException) as exc:
        errors.append(f"{type(exc).__name__}: {exc}")


async def _run(url: str, sessions: int, seconds: float, think: float, seed: int):
    latencies: list[float] = []
    errors: list[str] = []
    deadline = time.monotonic() + seconds
    rng = random.Random(seed)
    await asyncio.gather(*(_student(url, deadline, think, latencies, errors, random.Random(rng.random()))
                           for _ in range(sessions)))
    return latencies, errors


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8501")
    parser.add_argument("--sessions", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--think", type=float, default=5.0, help="mean seconds between reruns")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if urlparse(args.url).hostname not in LOOPBACK:
        parser.error("load tests run against this machine only (127.0.0.1 / localhost)")
    if not (1 <= args.sessions <= MAX_SESSIONS and 0 < args.seconds <= MAX_SECONDS):
        parser.error(f"--sessions 1..{MAX_SESSIONS}, --seconds up to {MAX_SECONDS}")
    latencies, errors = asyncio.run(_run(args.url, args.sessions, args.seconds, args.think, args.seed))
    if latencies:
        cuts = statistics.quantiles(latencies, n=20) if len(latencies) > 1 else latencies * 19
        print(f"{args.sessions} sessions, {args.seconds:g} s, think {args.think:g} s: "
              f"{len(latencies)} reruns, p50 {statistics.median(latencies) * 1e3:.0f} ms, "
              f"p95 {cuts[18] * 1e3:.0f} ms, max {max(latencies) * 1e3:.0f} ms, {len(errors)} errors")
    for error in errors[:10]:
        print("error:", error, file=sys.stderr)
    return 1 if errors or not latencies else 0


if __name__ == "__main__":
    sys.exit(main())

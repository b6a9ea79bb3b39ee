"""A load test on this machine: simulated students, each holding one Streamlit session over its
own websocket (as a browser tab does) and doing what a student does, with a think time between
changes (exponential, mean ``--think`` seconds). Loopback only, bounded in sessions and time;
exits with status 1 on any error.

    python bench/load.py --url http://127.0.0.1:8500 --sessions 10 --seconds 30

Start the server first: `make serve PROCESSES=2 LISTEN=127.0.0.1:8500` (the proxied setup) or
`streamlit run app.py --server.port 8501` (one process); bench/load_matrix.py starts both itself
and runs the README's figure set. Modes:

- **class** (the default): each student opens the page, then changes one thing at a time, as
  the browser sends it (a widget's new value in a rerun request): an optimizer's slider (or
  the steps), an optimizer added or removed, a lecture preset, a typed formula (some of them
  slow: the worker's time limit cuts those off). Reports the changes' latency (request to the
  server's "script finished") p50 / p95 / max, the page opens', and the errors.
- **burst** (``--burst``): every session opens the same link at once; reports the time until
  each got its page (how many within 20 s).
- **hostile** (``--hostile``): one more session types the slowest formula known back to back
  (each a new one, so no cache answers it) while the others are measured as in class mode; its own answer
  times show how soon its worker is freed.

``--pids`` (the app processes, comma-separated) adds their memory (PSS, with their formula
workers, sampled every second: start, peak, end) and the server CPU time per request.

An error is a dropped connection, a request unanswered within 60 s, an exception on the page
or the page's "something unexpected went wrong" note; a refused formula is not an error (the
page says what is wrong with it, as it should).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import random
import re
import statistics
import sys
import time
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

from ui.messages import UNEXPLAINED
from ui.presets import checked, presets
from ui.viewformat import LINK_PARAM, encode

MAX_SESSIONS = 200
MAX_SECONDS = 600
LOOPBACK = {"127.0.0.1", "localhost", "::1"}
RERUN_TIMEOUT_S = 60  # a request unanswered this long is an error
GRACE_S = 20  # after the run's time: how long requests still in flight may finish
BURST_TARGET_S = 20.0
# what a student changes, and how often (weights)
ACTIONS = {"slider": 0.6, "optimizer": 0.15, "preset": 0.1, "formula": 0.15}
FORMULAS = ("x**2 + 3*y**2", "sin(x)*cos(y) + 0.1*(x**2 + y**2)", "(1 - x)**2 + 100*(y - x**2)**2",
            "abs(x) + abs(y)", "log(1 + x**2 + y**2)", "x**4 - 2*x**2 + y**2", "exp(-x**2 - y**2)")
# once slow or endless (issue 12): now refused at once, or by the work cap after seconds in the worker
SLOW_FORMULAS = ("abs(tan(sqrt((x + y) ** 79)))", "sin(exp(60 ** pi + y ** 0))",
                 "*".join(f"(x+{k})" for k in range(1, 60)))
# the slowest known: seconds of symbolic work, up to the worker's time limit ({n}: new each time,
# so no cache answers it); issue 12's endless ones (exp(exp(exp(100*(x/x))))) are now refused at once
HOSTILE = "*".join(f"(x+{k})" for k in range(1, 59)) + "*(x+{n})"
REFUSED = "This surface can't be drawn"  # the page's note on a formula it refuses (ui.page)
MAX_OPTIMIZERS_KEPT = 5  # a student with this many removes one instead of adding
_LR = re.compile(r"^opt\d+\..+\.(lr|momentum|beta1)$")


@dataclass
class Tally:
    """What the sessions measured (seconds)."""
    changes: list[float] = field(default_factory=list)
    changed_at: list[float] = field(default_factory=list)  # each change's start, seconds into the run
    opens: list[float] = field(default_factory=list)
    hostile: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    refused: int = 0  # formulas the page refused with its message
    unfinished: int = 0  # requests still in flight when the run's time (and its grace) ran out


class PageError(Exception):
    """The page answered with an error (an exception, or its "unexpected" note)."""


class Tab:
    """One browser tab: its websocket, and the widgets the last run drew (user key → element)."""

    def __init__(self, ws):
        self.ws = ws
        self.widgets: dict[str, tuple[str, object]] = {}

    async def run(self, states: list[WidgetState] = (), query: str = "") -> bool:
        """Send a rerun request with ``states`` (a browser sends the widgets the user changed)
        and read the answer until the run ends. True if the page refused a formula."""
        msg = BackMsg()
        msg.rerun_script.query_string = query
        msg.rerun_script.page_script_hash = ""
        msg.rerun_script.widget_states.widgets.extend(states)
        await self.ws.send(msg.SerializeToString())
        self.widgets, problem, refused = {}, None, False
        while True:
            answer = ForwardMsg()
            answer.ParseFromString(await self.ws.recv())
            kind = answer.WhichOneof("type")
            if kind == "delta" and answer.delta.WhichOneof("type") == "new_element":
                element = answer.delta.new_element
                which = element.WhichOneof("type")
                if which == "exception":
                    problem = f"the page showed an exception: {element.exception.message[:80]}"
                elif which == "alert" and UNEXPLAINED.split(" (")[0] in element.alert.body:
                    problem = f"the page showed: {element.alert.body[:80]}"
                elif which == "alert" and element.alert.body.startswith(REFUSED):
                    refused = True
                widget_id = getattr(getattr(element, which), "id", "") if which else ""
                if widget_id.startswith("$$ID-"):
                    self.widgets[widget_id.split("-", 2)[2]] = (which, getattr(element, which))
            elif kind == "script_finished" and answer.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                problem = problem or self._ignored(states)
                if problem:
                    raise PageError(problem)
                return refused

    def _ignored(self, states) -> str | None:
        """Why a slider change did not take (the protocol drifted from what this driver sends)."""
        drawn = {element.id: element for _, element in self.widgets.values()}
        for sent in states:
            if sent.WhichOneof("value") == "string_array_value" and sent.id in drawn \
                    and list(drawn[sent.id].raw_value) != list(sent.string_array_value.data):
                return f"the page ignored a slider change: {sent.id.split('-', 2)[-1]}"
        return None


def _state(widget_id: str, **value) -> WidgetState:
    state = WidgetState(id=widget_id)
    for name, v in value.items():
        if isinstance(v, list):
            getattr(state, name).data.extend(v)
        else:
            setattr(state, name, v)
    return state


def _pick_option(element, rng: random.Random, current: int) -> str:
    """An option's label: a neighbour of option ``current`` (a small drag)."""
    options = list(element.options)
    index = min(max(current + rng.choice((-3, -2, -1, 1, 2, 3)), 0), len(options) - 1)
    return options[index]


def _slider(tab: Tab, rng: random.Random) -> list[WidgetState]:
    """Move an optimizer's step size / momentum (or the steps): by a few stops."""
    moves = [k for k, (which, e) in tab.widgets.items()
             if which == "slider" and _LR.match(k) and len(e.options) > 1]
    if moves and rng.random() < 0.8:
        element = tab.widgets[rng.choice(moves)][1]
        options = list(element.options)  # raw_value: the label shown now
        current = options.index(element.raw_value[0]) if element.raw_value else int(element.default[0])
        return [_state(element.id, string_array_value=[_pick_option(element, rng, current)])]
    if "steps" in tab.widgets:
        element = tab.widgets["steps"][1]
        stops = int((element.max - element.min) / element.step)
        current = round(((element.value or element.default)[0] - element.min) / element.step)
        value = element.min + element.step * min(max(current + rng.randint(-10, 10), 0), stops)
        return [_state(element.id, double_array_value=[value])]
    # a data surface whose run length is in epochs: a number input, not the Steps slider
    element = tab.widgets["epochs"][1]
    current = element.value if element.HasField("value") else element.default
    value = min(max(int(current) + rng.choice((-1, 1)), int(element.min)), int(element.max))
    return [_state(element.id, double_value=value)]  # Streamlit sends every number as a double


def _optimizer(tab: Tab, rng: random.Random) -> list[WidgetState]:
    """Add an optimizer (chosen in the list, then "Add"); with many drawn, remove one."""
    removes = [e for k, (which, e) in tab.widgets.items() if which == "button" and k.startswith("remove")]
    if len(removes) >= MAX_OPTIMIZERS_KEPT or tab.widgets["add"][1].disabled:
        return [_state(rng.choice(removes).id, trigger_value=True)]
    choice = tab.widgets["add_choice"][1]
    return [_state(choice.id, string_value=rng.choice(list(choice.options))),
            _state(tab.widgets["add"][1].id, trigger_value=True)]


def _preset(tab: Tab, rng: random.Random) -> list[WidgetState]:
    """Load another lecture preset."""
    element = tab.widgets["preset"][1]
    options = [o for o in element.options if o != element.raw_value]  # raw_value: the one shown
    return [_state(element.id, string_value=rng.choice(options))]


def _formula(tab: Tab, rng: random.Random, text: str | None = None) -> list[WidgetState]:
    """Type a formula (one in five a slow one); the first time, choose "your formula" first."""
    if "formula" not in tab.widgets:
        surface = tab.widgets["surface"][1]
        return [_state(surface.id, string_value=surface.options[-1])]  # the typed surface: last
    if text is None:
        text = rng.choice(SLOW_FORMULAS if rng.random() < 0.2 else FORMULAS)
    return [_state(tab.widgets["formula"][1].id, string_value=text)]


MAKERS = {"slider": _slider, "optimizer": _optimizer, "preset": _preset, "formula": _formula}


def _cookies(url: str) -> str:
    """The cookies a browser gets before it opens its websocket (Streamlit's XSRF cookie, set
    by the health check the page calls first): the proxy's sticky key."""
    with urllib.request.urlopen(url.rstrip("/") + "/_stcore/health", timeout=RERUN_TIMEOUT_S) as answer:
        return "; ".join(c.split(";", 1)[0] for c in answer.headers.get_all("Set-Cookie") or [])


async def _connect(url: str):
    cookies = await asyncio.to_thread(_cookies, url)
    return websockets.connect(url.replace("http", "ws", 1).rstrip("/") + "/_stcore/stream",
                              subprotocols=["streamlit"], origin=url.rstrip("/"),
                              additional_headers={"Cookie": cookies} if cookies else None,
                              max_size=None, open_timeout=RERUN_TIMEOUT_S)


async def _timed(run, end: float) -> tuple[float, object] | None:
    """(seconds, result) of awaiting ``run``; None if the run's time and grace (``end``) ran
    out first."""
    start = time.monotonic()
    try:
        result = await asyncio.wait_for(run, min(RERUN_TIMEOUT_S, max(end - start, 0.1)))
    except TimeoutError:
        if time.monotonic() >= end - 0.05:
            return None
        raise TimeoutError(f"no answer within {RERUN_TIMEOUT_S} s") from None
    return time.monotonic() - start, result


async def _student(url: str, deadline: float, think: float, tally: Tally, rng: random.Random,
                   hostile: bool = False) -> None:
    end = deadline + GRACE_S
    began = time.monotonic()
    try:
        async with await _connect(url) as ws:
            tab = Tab(ws)
            timed = await _timed(tab.run(), end)
            if timed is None:
                tally.unfinished += 1
                return
            tally.opens.append(timed[0])
            if not hostile:
                await asyncio.sleep(rng.uniform(0, think))  # students don't all start together
            n = 0
            while time.monotonic() < deadline:
                typed = "formula" in tab.widgets  # else the hostile one first picks a typed surface
                if hostile:
                    states = _formula(tab, rng, HOSTILE.replace("{n}", str(59 + n)))
                    n += 1
                else:
                    action = rng.choices(list(ACTIONS), weights=list(ACTIONS.values()))[0]
                    states = MAKERS[action](tab, rng)
                sent = time.monotonic() - began
                timed = await _timed(tab.run(states), end)
                if timed is None:
                    tally.unfinished += 1
                    return
                took, refused = timed
                if not hostile:
                    tally.changes.append(took)
                    tally.changed_at.append(sent)
                    tally.refused += refused
                elif typed:
                    tally.hostile.append(took)
                if think and not hostile:
                    await asyncio.sleep(min(rng.expovariate(1 / think), max(deadline - time.monotonic(), 0)))
    except (OSError, TimeoutError, PageError, websockets.WebSocketException) as exc:
        tally.errors.append(f"{'hostile session: ' if hostile else ''}{exc}")


async def _opener(url: str, query: str, timeout: float, tally: Tally) -> None:
    """One visitor opening the link: from the first request to its page drawn."""
    start = time.monotonic()
    try:
        async with await _connect(url) as ws:
            await asyncio.wait_for(Tab(ws).run(query=query), timeout)
            tally.opens.append(time.monotonic() - start)
    except (OSError, TimeoutError, PageError, websockets.WebSocketException) as exc:
        tally.errors.append(str(exc) or type(exc).__name__)


def _process_tree(pids: list[int]) -> list[int]:
    """``pids`` and their children (the formula workers they fork)."""
    out = list(pids)
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        if parent in pids:
            out.append(int(stat.parent.name))
    return out


def _memory_mb(pids: list[int]) -> float:
    """Proportional set size (PSS) of ``pids`` and their workers: a page shared by n of them
    (a forked worker shares its parent's) counts 1/n for each, so the sum is what they use."""
    total = 0
    for pid in _process_tree(pids):
        with contextlib.suppress(OSError, StopIteration):
            lines = Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()
            total += int(next(line for line in lines if line.startswith("Pss:")).split()[1])
    return total / 1024


def _cpu_s(pids: list[int]) -> float:
    """User + system CPU seconds of ``pids`` (children reaped by them included)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += sum(int(v) for v in fields[11:15])  # utime stime cutime cstime
    return total / os.sysconf("SC_CLK_TCK")


async def _sample(pids: list[int], samples: list[float], stop: asyncio.Event) -> None:
    while not stop.is_set():
        samples.append(_memory_mb(pids))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 1.0)


async def measure(url: str, mode: str, sessions: int, seconds: float, think: float = 5.0, seed: int = 0,
                  pids: list[int] = (), link: str | None = None) -> dict:
    """Run one load test; its figures as a dict (latencies in seconds, memory in MB)."""
    tally, samples, stop = Tally(), [], asyncio.Event()
    sampler = asyncio.create_task(_sample(list(pids), samples, stop)) if pids else None
    cpu0, wall0 = _cpu_s(list(pids)), time.monotonic()
    rng = random.Random(seed)
    if mode == "burst":
        query = f"{LINK_PARAM}={link or encode(checked(next(iter(presets()))))}"
        await asyncio.gather(*(_opener(url, query, seconds, tally) for _ in range(sessions)))
    else:
        deadline = time.monotonic() + seconds
        hostile = mode == "hostile"  # then one more session, the last
        students = [_student(url, deadline, think, tally, random.Random(rng.random()),
                             hostile and i == sessions) for i in range(sessions + hostile)]
        await asyncio.gather(*students)
    wall = time.monotonic() - wall0
    stop.set()
    if sampler:
        await sampler
    requests = len(tally.changes) + len(tally.opens) + len(tally.hostile)
    out = {"mode": mode, "sessions": sessions, "seconds": seconds, "think": think, **asdict(tally),
           "wall": wall, "requests": requests}
    if pids:
        out.update(mem_start=samples[0], mem_peak=max(samples), mem_end=samples[-1],
                   mem_by_minute=samples[::60],  # one sample a second: a soak's trend
                   cpu_per_request=(_cpu_s(list(pids)) - cpu0) / max(requests, 1))
    return out


def quantiles(values: list[float]) -> tuple[float, float, float]:
    """(p50, p95, max) of ``values``; NaNs when there are none."""
    if not values:
        return (float("nan"),) * 3
    cuts = statistics.quantiles(values, n=20, method="inclusive") if len(values) > 1 else values * 19
    return statistics.median(values), cuts[18], max(values)


def summary(r: dict) -> str:
    """One paragraph of a run's figures (milliseconds; "0 errors" when there were none)."""
    def ms(values):
        p50, p95, top = quantiles(values)
        return f"p50 {p50 * 1e3:.0f} ms, p95 {p95 * 1e3:.0f} ms, max {top * 1e3:.0f} ms"
    lines = []
    if r["mode"] == "burst":
        within = sum(t <= BURST_TARGET_S for t in r["opens"])
        lines.append(f"burst of {r['sessions']}: {len(r['opens'])} pages, {within} within "
                     f"{BURST_TARGET_S:g} s; time to page {ms(r['opens'])}")
    else:
        lines.append(f"{r['sessions']} sessions, {r['seconds']:g} s, think {r['think']:g} s: "
                     f"{len(r['changes'])} changes, {ms(r['changes'])}; "
                     f"{len(r['opens'])} opens, {ms(r['opens'])}; "
                     f"{r['refused']} formulas refused, {r['unfinished']} unfinished at the end")
    if r["mode"] == "hostile":
        lines.append(f"hostile session: {len(r['hostile'])} slow formulas, answered in {ms(r['hostile'])}")
    if "mem_peak" in r:
        lines.append(f"server memory (PSS) {r['mem_start']:.0f} → peak {r['mem_peak']:.0f} → "
                     f"end {r['mem_end']:.0f} MB, "
                     f"CPU {r['cpu_per_request'] * 1e3:.0f} ms per request")
        if len(r["mem_by_minute"]) > 2:
            lines.append("memory at each minute (MB): "
                         + ", ".join(f"{m:.0f}" for m in r["mem_by_minute"]))
    if r["seconds"] >= 180 and r["changes"]:  # a soak: the first minute (every page opening) apart
        timed = list(zip(r["changes"], r["changed_at"], strict=True))
        minutes = [[t for t, at in timed if k * 60 <= at < (k + 1) * 60]
                   for k in range(math.ceil(r["seconds"] / 60))]
        lines.append("changes' p95 in each minute (ms): "
                     + ", ".join(f"{quantiles(m)[1] * 1e3:.0f}" for m in minutes if m))
        lines.append(f"after the first minute: {ms([t for m in minutes[1:] for t in m])}")
    lines.append(f"{len(r['errors'])} errors")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8501")
    parser.add_argument("--sessions", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=30.0,
                        help="the run's time (burst: how long each visitor waits for its page)")
    parser.add_argument("--think", type=float, default=5.0, help="mean seconds between a student's changes")
    parser.add_argument("--seed", type=int, default=0)
    modes = parser.add_mutually_exclusive_group()
    modes.add_argument("--burst", action="store_true", help="all sessions open the same link at once")
    modes.add_argument("--hostile", action="store_true", help="one more session types endless formulas")
    parser.add_argument("--link", help="the burst's link (its ?view= value; default: the first preset)")
    parser.add_argument("--pids", default="", help="app process IDs (comma-separated): memory and CPU")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    if urlparse(args.url).hostname not in LOOPBACK:
        parser.error("load tests run against this machine only (127.0.0.1 / localhost)")
    if not (1 <= args.sessions <= MAX_SESSIONS and 0 < args.seconds <= MAX_SECONDS):
        parser.error(f"--sessions 1..{MAX_SESSIONS}, --seconds up to {MAX_SECONDS}")
    mode = "burst" if args.burst else "hostile" if args.hostile else "class"
    pids = [int(p) for p in args.pids.split(",") if p.strip()]
    result = asyncio.run(measure(args.url, mode, args.sessions, args.seconds, args.think, args.seed, pids,
                                 args.link))
    print(summary(result))
    for error in result["errors"][:10]:
        print("error:", error, file=sys.stderr)
    if args.json:
        Path(args.json).write_text(json.dumps(result))
    return 1 if result["errors"] or not (result["changes"] or result["opens"]) else 0


if __name__ == "__main__":
    sys.exit(main())

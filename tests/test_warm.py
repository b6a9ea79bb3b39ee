"""Compiled explore maps (ui/warm.py): a map runs eagerly until its kind's program has been
compiled in the background, then compiled; the queue is bounded; a failed compilation leaves
its kind eager; and the page's first draw queues exactly the kinds its default maps use."""

from __future__ import annotations

import functools
import os
import pickle
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ui import explore, keys, warm
from ui.viewformat import encode

from .conftest import requires_torch

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")


@pytest.fixture
def fresh(monkeypatch):
    """Compiled maps on, with empty queues."""
    monkeypatch.setenv("OPTIVIZ_COMPILE", "1")
    monkeypatch.setattr(warm, "_ready", set())
    monkeypatch.setattr(warm, "_queued", set())
    monkeypatch.setattr(warm, "_activity", warm._Activity())  # no page has run
    return warm


@requires_torch
def test_a_kind_runs_eagerly_until_its_program_is_built(fresh):
    calls = []
    assert fresh.engine("k", calls.append) == fresh.EAGER
    assert fresh.engine("k", calls.append) == fresh.EAGER or calls  # queued once only
    assert fresh.wait(10)
    assert calls == [fresh.COMPILED]
    assert fresh.engine("k", calls.append) == fresh.COMPILED and len(calls) == 1


@requires_torch
def test_the_queue_is_bounded_and_a_failure_stays_eager(fresh):
    gate = threading.Event()
    started = [fresh.engine(("slow", i), lambda kw: gate.wait(10)) for i in range(fresh.MAX_QUEUED)]
    assert started == [fresh.EAGER] * fresh.MAX_QUEUED
    extra = []
    assert fresh.engine("one too many", extra.append) == fresh.EAGER
    gate.set()
    assert fresh.wait(10) and extra == []  # never queued: asked again next time

    def broken(kw):
        raise RuntimeError("no compiler")

    fresh.engine("broken", broken)
    assert fresh.wait(10)
    assert "broken" not in fresh._ready and "broken" not in fresh._queued


@requires_torch
def test_the_server_builds_a_kind_only_once_no_page_has_rerun_for_a_while(fresh, monkeypatch):
    """The in-server build holds the interpreter for seconds: it waits while a page reruns
    and until QUIET_S after the last one ended (a class's steady load: never)."""
    monkeypatch.setattr(fresh, "QUIET_S", 0.5)
    monkeypatch.setattr(fresh, "build_apart", lambda fn: True)  # no child process here
    built: list[float] = []
    with fresh.page_run():
        fresh.engine("k", lambda kw: built.append(time.monotonic()))
        time.sleep(0.8)
        assert built == []  # not while a page reruns
    ended = time.monotonic()
    assert fresh.wait(10)
    assert len(built) == 1 and built[0] - ended >= 0.45
    assert fresh.engine("k", built.append) == fresh.COMPILED


def test_every_page_rerun_is_counted(monkeypatch):
    """ui.page wraps each rerun in warm.page_run()."""
    monkeypatch.setattr(warm, "_activity", warm._Activity())
    before = time.monotonic()
    AppTest.from_file(APP, default_timeout=60).run()
    assert warm._activity.running == 0 and warm._activity.last_end >= before


def record_caller(path: Path, engine: dict) -> None:
    """A stand-in for a map's small run: appends which process ran it, at what priority."""
    with path.open("a") as out:
        out.write(f"{os.getpid()} {os.nice(0)} {engine == warm.COMPILED}\n")


@requires_torch
def test_a_kind_is_built_first_in_a_child_process_at_the_lowest_priority(fresh, tmp_path):
    """The child fills the disk caches without holding this process's interpreter; then the
    same run here (which finds them) marks the kind ready."""
    log = tmp_path / "calls"
    fresh.engine("k", functools.partial(record_caller, log))
    assert fresh.wait(120)
    child, here = (line.split() for line in log.read_text().splitlines())
    assert int(child[0]) != os.getpid() and int(child[1]) == 19 and child[2] == "True"
    assert here == [str(os.getpid()), str(os.nice(0)), "True"]
    assert fresh.engine("k", pytest.fail) == fresh.COMPILED


def linger(seconds: float, engine: dict) -> None:
    time.sleep(seconds)


def test_a_child_does_not_outlive_its_server():
    """A server stopped (even killed) while a child compiles takes the child with it."""
    parent = subprocess.Popen([sys.executable, "-c", "import functools, ui.warm, tests.test_warm as t; "
                               "ui.warm.build_apart(functools.partial(t.linger, 60))"], cwd=ROOT)
    try:
        children = Path(f"/proc/{parent.pid}/task/{parent.pid}/children")
        deadline = time.monotonic() + 30
        while not children.read_text().split() and time.monotonic() < deadline:
            time.sleep(0.1)
        (child,) = children.read_text().split()
    finally:
        parent.kill()
        parent.wait()
    deadline = time.monotonic() + 10
    while Path(f"/proc/{child}").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not Path(f"/proc/{child}").exists() or \
        Path(f"/proc/{child}/stat").read_text().split()[2] == "Z"


@requires_torch
def test_a_server_stops_without_waiting_for_a_compilation():
    """The compiling thread is a daemon: a process ending while a kind compiles (a minute
    here) ends at once, its child with it."""
    code = ("import functools, time, ui.warm as w, tests.test_warm as t; "
            "w.engine('k', functools.partial(t.linger, 60)); time.sleep(1)")
    tic = time.monotonic()
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**os.environ, "OPTIVIZ_COMPILE": "1"},
                   timeout=40, check=True)
    assert time.monotonic() - tic < 20


def test_a_child_that_fails_leaves_the_build_to_this_process(tmp_path):
    """Not picklable (a lambda): no child; a child that raises: False, logged."""
    assert not warm.build_apart(lambda kw: None)
    assert not warm.build_apart(functools.partial(record_caller, tmp_path / "missing" / "x"))


def test_without_compiling_every_map_is_eager(monkeypatch):
    monkeypatch.setenv("OPTIVIZ_COMPILE", "0")
    assert warm.engine("any", lambda kw: pytest.fail("nothing may be queued")) == warm.EAGER


@requires_torch
def test_the_first_page_queues_the_kinds_of_its_default_maps(fresh, monkeypatch):
    """prewarm's kinds are the ones the sweep and basin views then ask for."""
    asked: list = []
    def engine(kind, fn):
        pickle.dumps(fn)  # a child process can build it (warm.build_apart)
        asked.append(kind)
        return warm.EAGER

    monkeypatch.setattr(warm, "engine", engine)
    monkeypatch.setattr(explore, "_PREWARMED", threading.Event())
    config = {"surface": "himmelblau", "version": 3, "steps": 120,
              "optimizers": [{"name": "adam", "params": {"lr": 0.1}}, {"name": "sgd"}]}
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["view"] = encode(config)
    at.run()
    assert not at.exception
    queued = set(asked)
    assert {k[0] for k in queued} == {"sweep", "basins"} and len(queued) == 3
    for label in ("Sweep map", "Basin map"):
        asked.clear()
        next(b for b in at.get("button_group") if b.key == keys.MAIN).set_value(label).run()
        assert not at.exception and asked
        assert set(asked) <= queued, (set(asked) - queued)

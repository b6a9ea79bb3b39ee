"""Compiled explore maps (ui/warm.py): a map runs eagerly until its kind's program has been
compiled in the background, then compiled; the queue is bounded; a failed compilation leaves
its kind eager; and the page's first draw queues exactly the kinds its default maps use."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from ui import explore, keys, warm
from ui.viewformat import encode

from .conftest import requires_torch

APP = str(Path(__file__).resolve().parents[1] / "app.py")


@pytest.fixture
def fresh(monkeypatch):
    """Compiled maps on, with empty queues."""
    monkeypatch.setenv("OPTIVIZ_COMPILE", "1")
    monkeypatch.setattr(warm, "_ready", set())
    monkeypatch.setattr(warm, "_queued", set())
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


def test_without_compiling_every_map_is_eager(monkeypatch):
    monkeypatch.setenv("OPTIVIZ_COMPILE", "0")
    assert warm.engine("any", lambda kw: pytest.fail("nothing may be queued")) == warm.EAGER


@requires_torch
def test_the_first_page_queues_the_kinds_of_its_default_maps(fresh, monkeypatch):
    """prewarm's kinds are the ones the sweep and basin views then ask for."""
    asked: list = []
    monkeypatch.setattr(warm, "engine", lambda kind, fn: asked.append(kind) or warm.EAGER)
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

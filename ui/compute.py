"""The page's computations behind bounded caches: one run per drawn optimizer, one contour grid
per surface. Every student's session shares the process, so caches are capped in entries and
age, and a slider move recomputes only the optimizer it changed."""

from __future__ import annotations

import dataclasses

import streamlit as st

from landscapes import FormulaError, Landscape
from landscapes.worker import WorkersBusy, build_bounded
from optim_core import RunResult, make_optimizer, run
from viz import surface_grid

from .settings import Drawn, Settings
from .surface import CUSTOM, SurfaceChoice

GRID_RESOLUTION = 150


def _items(d: dict) -> tuple:
    return tuple(sorted(d.items()))


@st.cache_resource(max_entries=64, ttl=3600, show_spinner=False)
def _built(name: str, params: tuple, formula: str, bounds: tuple) -> Landscape | str:
    """The surface, or why a typed one can't be drawn (kept too, so a broken formula is not
    worked out again at every rerun). A typed formula is worked out in a worker process with
    a time limit: a slow one can't hold up the other sessions this process serves."""
    choice = SurfaceChoice(name, params, formula, bounds)
    if name != CUSTOM:
        return choice.build()
    try:
        return build_bounded(choice.build)
    except WorkersBusy:
        raise  # not kept: the next rerun tries again
    except FormulaError as exc:
        return str(exc)  # the message only: no traceback kept alive in the cache


def _landscape(*choice) -> Landscape:
    built = _built(*choice)
    if isinstance(built, str):
        raise FormulaError(built)
    return built


def landscape(choice: SurfaceChoice) -> Landscape:
    """The surface, built once (a typed formula is parsed and differentiated once)."""
    return _landscape(*dataclasses.astuple(choice))


@st.cache_data(max_entries=512, ttl=3600, show_spinner=False)
def _run(choice: tuple, name: str, hp_items: tuple, start: tuple, steps: int, noise: float,
         seed: int, schedule_items: tuple, batch_items: tuple = ()) -> RunResult:
    batch = dict(batch_items)
    return run(_landscape(*choice), make_optimizer(name, **dict(hp_items)), [start], steps,
               noise=noise, seed=seed, schedule=dict(schedule_items), batch_size=batch.get("size"),
               shuffle=batch.get("shuffle", True), data_seed=batch.get("data_seed", 0))


def run_drawn(settings: Settings, drawn: Drawn) -> RunResult:
    """The path of one drawn optimizer (cached on every setting that shapes it): on a surface
    made from data, in batches of its own size, cut from the page's shuffled order."""
    res = _run(dataclasses.astuple(settings.choice), drawn.name, _items(drawn.hyperparams),
               settings.start, settings.steps_of(drawn), settings.noise, settings.seed,
               _items(settings.schedule), settings.batch_items(drawn))
    return dataclasses.replace(res, label=drawn.label)


@st.cache_data(max_entries=64, ttl=3600, show_spinner=False)
def _grid(choice: tuple, resolution: int):
    return surface_grid(_landscape(*choice), resolution)


def grid(choice: SurfaceChoice, resolution: int = GRID_RESOLUTION):
    """(xs, ys, z) of the contour, computed once per surface."""
    return _grid(dataclasses.astuple(choice), resolution)

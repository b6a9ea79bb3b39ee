"""The explore views of the main area, beside the paths: a sweep map over two hyperparameters
(with the heavy-ball theory where it holds), basin maps of two optimizers side by side, and
ensembles over gradient noise or over shuffling seeds. Each is one vectorized run
(:mod:`optim_core.explore`) behind a bounded cache; every request is capped in work (cells ×
steps) with a message saying what to lower."""

from __future__ import annotations

import dataclasses
import functools
import math
import threading
from collections.abc import MutableMapping

import numpy as np
import streamlit as st

from optim_core import OPTIMIZERS, basins, ensemble, make_optimizer, make_schedule, sweep
from optim_core.theory import sweep_rate
from paramspec import ParamSpec, varied
from viz import basin_map_spec, ensemble_loss_spec, ensemble_path_spec, sweep_map_spec
from viz.curves import X_AXES
from viz.maps import SWEEP_METRICS

from . import keys, warm
from .compute import landscape as build
from .controls import format_value
from .errors import guarded
from .labels import md
from .link import LINK_PARAM
from .prebuilt import Prebuilt
from .state import MAX_SLOTS, add_slot, emoji
from .surface import SurfaceChoice
from .viewformat import MAX_STEPS, encode, from_settings, slot_values

SWEEP_WORK = 256 * 256 * 500  # cells × steps of one sweep map
BASIN_WORK = 2 * 512 * 512 * 300  # starts × steps of both basin maps together
ENSEMBLE_WORK = 256 * 500 * 8  # members × steps of all ensembles together
MAX_SWEEP_SIDE, MAX_BASIN_SIDE, MAX_MEMBERS = 256, 512, 256
METRIC_LABELS = dict(zip(SWEEP_METRICS, ("final loss (log)", "steps to tolerance", "diverged"),
                         strict=True))
SWEEP_TOLERANCES = (1e-10, 1e-8, 1e-6, 1e-4, 1e-3, 1e-2, 0.1)
BASIN_TOLERANCES = (1e-4, 1e-3, 1e-2, 0.05, 0.1)
SWEEP_SIDE, SWEEP_STEPS, SWEEP_TOL = 64, 300, 1e-6  # a sweep map's first settings
BASIN_SIDE, BASIN_STEPS, BASIN_TOL = 128, 300, 1e-3  # a basin map's
CLICK_SIDE = 128  # click targets per axis of the sweep map, at most (every 2nd cell of 256)
CLICK_NAME = "click to add this setting"
SWEEP_CHART = "sweep_chart"
CACHE = {"max_entries": 8, "ttl": 1800, "show_spinner": False}
CHART_CONFIG = {"displaylogo": False, "scrollZoom": False}
_NONE = "—"  # the second axis of a one-axis sweep


def main_switch() -> str:
    """The switch at the top of the main area; returns the view's link name (``"paths"``, …)."""
    st.session_state.setdefault(keys.MAIN, keys.MAIN_LABELS["paths"])
    label = st.segmented_control("Main view", tuple(keys.MAIN_LABELS.values()), key=keys.MAIN,
                                 required=True, label_visibility="collapsed")
    return keys.main_of(label)


def remember(settings, main: str) -> None:
    """Make the address reopen this explore view (the paths view's link needs no ``main``)."""
    if main != "paths":
        st.query_params[LINK_PARAM] = encode(from_settings(settings, main))


def explore_view(main: str, settings, landscape) -> None:
    {"sweep": sweep_view, "basin": basin_view, "ensemble": ensemble_view}[main](settings, landscape)


# --------------------------------------------------------------------------------------------
# Pure helpers (tested without Streamlit)


def sweepable(spec) -> list[ParamSpec]:
    """The hyperparameters a sweep may vary: numeric, one value per trajectory."""
    return varied(spec.params)


def default_range(spec: ParamSpec, value) -> tuple[float, float]:
    """A first range for an axis: two decades either side of the value (or the default) on a
    log scale, within the allowed range; else the allowed range pulled in by 1 % at each end
    (an open end is excluded, and rules such as "Nesterov needs μ > 0" hold at the ends); a
    whole-number range as it is."""
    if spec.log:
        floor = spec.low if spec.low and spec.low > 0 else 0.0
        centre = next((v for v in (value, spec.default) if v and v > 0), floor * 100 or 1e-3)
        centre = min(centre, spec.high)
        low, high = max(centre / 100, floor), min(centre * 100, spec.high)
        low = low if low < high else max(high / 1e4, floor)
        return tuple(_short(spec, v) for v in (low, high))
    if spec.kind == "int":
        return float(spec.low), float(spec.high)
    pad = (spec.high - spec.low) / 100
    return spec.low + pad, spec.high - pad


def _short(spec: ParamSpec, value: float) -> float:
    """3 significant digits where the spec still allows them."""
    short = float(f"{value:.3g}")
    return short if spec._in_range(short) else value


def axis_values(spec: ParamSpec, low: float, high: float, n: int) -> np.ndarray:
    """``n`` values from ``low`` to ``high`` (geometric where the spec is log, whole numbers
    for an integer hyperparameter), checked against the spec."""
    owner = f"the {spec.symbol} ({spec.name}) axis"
    if not (math.isfinite(low) and math.isfinite(high) and low < high):
        raise ValueError(f"{owner}: the range must go from a smaller to a larger number; got "
                         f"{low:g} to {high:g}.")
    if spec.log and low <= 0:
        raise ValueError(f"{owner} is logarithmic: its range must start above 0; got {low:g}.")
    for v in (low, high):
        spec.validate(v, owner)
    values = np.geomspace(low, high, n) if spec.log else np.linspace(low, high, n)
    return np.unique(np.round(values)) if spec.kind == "int" else values


def work_message(what: str, work: int, cap: int, lower: str) -> str | None:
    """None within the cap, else what was asked, the cap and what to lower."""
    if work <= cap:
        return None
    return (f"This {what} asks for {work:,} trajectory-steps, more than the {cap:,} one request "
            f"may use: lower {lower} (the work is their product).")


def cell_values(axes: dict[str, np.ndarray], logs: dict[str, bool], point: dict) -> dict[str, float]:
    """The axes' values of the cell nearest a clicked point (x: the second axis, y: the first;
    a one-axis sweep has x only), nearest on a log scale for log axes."""
    names = list(axes)
    coords = {names[0]: point["x"]} if len(names) == 1 else {names[0]: point["y"], names[1]: point["x"]}
    out = {}
    for name, value in coords.items():
        grid, value = np.asarray(axes[name], dtype=float), float(value)
        if logs[name] and value > 0:
            grid, value = np.log(grid), math.log(value)
        out[name] = float(axes[name][int(np.argmin(np.abs(grid - value)))])
    return out


def _readable(spec: ParamSpec, value: float):
    """4 significant digits where the spec still allows them, a whole number for an int."""
    if spec.kind == "int":
        return int(round(value))
    short = float(f"{value:.4g}")
    return short if spec._in_range(short) else value


def add_cell(state: MutableMapping, name: str, fixed: dict, values: dict[str, float]) -> str:
    """Add an optimizer panel with ``fixed`` settings and a sweep cell's ``values``; returns
    the message to show (what was added, or why nothing was)."""
    spec = make_optimizer(name, **fixed).spec
    specs = {p.name: p for p in spec.params}
    chosen = {k: _readable(specs[k], v) for k, v in values.items()}
    hyperparams = make_optimizer(name, **{**fixed, **chosen}).hyperparams
    sid = add_slot(state, name, slot_values(name, hyperparams))
    setting = ", ".join(f"{specs[k].symbol} = {format_value(v)}" for k, v in chosen.items())
    if sid is None:
        return (f"All {MAX_SLOTS} panels are in use: remove one in the sidebar to add {spec.title} "
                f"({setting}).")
    color = next(s["color"] for s in state[keys.SLOTS] if s["id"] == sid)
    return f"Added {emoji(color)} {spec.title} with {setting} as a panel: open **Paths** to see its path."


# --------------------------------------------------------------------------------------------
# Cached runs (st.cache_resource: results hold the optimizer's functions, which do not pickle;
# they are never changed after the run)


def _sweep(*args):
    """The sweep, compiled once its kind of map is (see :mod:`ui.warm`), else eagerly."""
    return _cached_sweep(*args, _items(_sweep_engine(*args)))


def _sweep_engine(choice: tuple, name: str, fixed: tuple, axes: tuple, start: tuple, steps: int,
                  tol: float, schedule: tuple) -> dict:
    small = tuple((p, lo, hi, 2) for p, lo, hi, _ in axes)
    kind = ("sweep", choice, name, _switches(fixed), tuple(p for p, *_ in axes), tol)
    return warm.engine(kind, functools.partial(_run_sweep, choice, name, fixed, small, start,
                                               steps, tol, schedule))


def _run_sweep(choice: tuple, name: str, fixed: tuple, axes: tuple, start: tuple, steps: int,
               tol: float, schedule: tuple, engine):
    """The sweep (``engine``: the run keywords, as a dict or its items)."""
    optimizer = make_optimizer(name, **dict(fixed))
    specs = {p.name: p for p in optimizer.spec.params}
    values = {p: axis_values(specs[p], lo, hi, n) for p, lo, hi, n in axes}
    return sweep(build(SurfaceChoice(*choice)), optimizer, values, start, steps, tol=tol,
                 schedule=dict(schedule), **dict(engine))


_cached_sweep = st.cache_resource(**CACHE)(_run_sweep)


def _basins(*args):
    """The basin map, compiled once its kind of map is (see :mod:`ui.warm`), else eagerly."""
    return _cached_basins(*args, _items(_basins_engine(*args)))


def _basins_engine(choice: tuple, name: str, fixed: tuple, label: str, side: int, steps: int,
                   tol: float, schedule: tuple) -> dict:
    return warm.engine(("basins", choice, name, _switches(fixed), tol), functools.partial(
        _run_basins, choice, name, fixed, label, 2, steps, tol, schedule))


def prewarm(settings) -> None:
    """Once per server process (the first page drawn): queue the compilation of that page's
    default sweep and basin maps, so that a lecture's first map is not the slow one."""
    if _PREWARMED.is_set() or not warm.enabled():
        return
    _PREWARMED.set()
    drawn = _valid(settings)
    if not drawn:
        return
    d = drawn[0]
    numeric = sweepable(make_optimizer(d.name, **d.hyperparams).spec)[:2]
    axes = tuple((p.name, *default_range(p, d.hyperparams.get(p.name)), SWEEP_SIDE)
                 for p in numeric)
    if axes:
        _sweep_engine(_choice(settings), d.name, _items(d.hyperparams), axes,
                      tuple(settings.start), min(settings.steps, SWEEP_STEPS), SWEEP_TOL,
                      _items(settings.schedule))
    for d in drawn[:2]:
        _basins_engine(_choice(settings), d.name, _items(d.hyperparams), d.label, BASIN_SIDE,
                       BASIN_STEPS, BASIN_TOL, _items(settings.schedule))


_PREWARMED = threading.Event()


def _run_basins(choice: tuple, name: str, fixed: tuple, label: str, side: int, steps: int,
                tol: float, schedule: tuple, engine):
    """The basin map (``engine``: the run keywords, as a dict or its items)."""
    return basins(build(SurfaceChoice(*choice)), make_optimizer(name, label=label, **dict(fixed)),
                  resolution=(side, side), steps=steps, tol=tol, schedule=dict(schedule),
                  **dict(engine))


_cached_basins = st.cache_resource(**CACHE)(_run_basins)


def _switches(fixed: tuple) -> tuple:
    """The settings a compiled program is built for (switches and names; numbers vary)."""
    return tuple((k, v) for k, v in fixed if isinstance(v, bool | str) or v is None)


@st.cache_resource(**CACHE)
def _ensemble(choice: tuple, name: str, fixed: tuple, label: str, start: tuple, steps: int,
              noise: float, members: int, seed: int, schedule: tuple, over: str = "noise",
              batch: tuple = ()):
    batch = dict(batch)
    shuffled = {"batch_size": batch["size"], "data_seed": batch["data_seed"]} if over == "shuffle" else {}
    return ensemble(build(SurfaceChoice(*choice)), make_optimizer(name, label=label, **dict(fixed)), start,
                    steps, noise=noise, members=members, seed=seed, schedule=dict(schedule), over=over,
                    **shuffled)


def _choice(settings) -> tuple:
    return dataclasses.astuple(settings.choice)


def _items(d: dict) -> tuple:
    return tuple(sorted(d.items()))


def _valid(settings) -> list:
    return [d for d in settings.drawn if d.error is None]


def _setdefault(key: str, default, allowed=None):
    """A control's first value (and again when its stored one is no longer offered)."""
    state = st.session_state
    if key not in state or (allowed is not None and state[key] not in allowed):
        state[key] = default


# --------------------------------------------------------------------------------------------
# Sweep map


@guarded
def sweep_view(settings, landscape) -> None:
    state = st.session_state
    if message := state.pop(keys.EXPLORE_MESSAGE, None):
        st.success(message)  # built by add_cell from registry titles and numbers
    drawn = _valid(settings)
    sources = [f"slot:{d.sid}" for d in drawn] + [f"reg:{n}" for n in OPTIMIZERS]
    by_token = {f"slot:{d.sid}": d for d in drawn}

    def source_text(token):
        if token in by_token:
            return f"{emoji(by_token[token].color)} {by_token[token].label} (drawn)"
        return f"{OPTIMIZERS[token[4:]].title} (defaults)"

    top = st.columns([3, 2, 2, 2])
    _setdefault(keys.explore("sweep", "source"), sources[0], sources)
    token = top[0].selectbox("Optimizer", sources, key=keys.explore("sweep", "source"),
                             format_func=source_text)
    name, fixed = (by_token[token].name, dict(by_token[token].hyperparams)) if token in by_token \
        else (token[4:], {})
    spec = make_optimizer(name, **fixed).spec
    numeric = {p.name: p for p in sweepable(spec)}
    if not numeric:
        st.info(f"{spec.title} has no numeric hyperparameter to sweep.")
        return
    names = list(numeric)
    y_key, x_key = keys.explore("sweep", name, "y"), keys.explore("sweep", name, "x")
    _setdefault(y_key, names[0], names)
    y_name = top[1].selectbox("Vertical axis", names, key=y_key, format_func=lambda n: _axis_text(numeric[n]))
    x_options = [n for n in names if n != y_name] + [_NONE]
    _setdefault(x_key, x_options[0], x_options)
    x_name = top[2].selectbox("Horizontal axis", x_options, key=x_key,
                              format_func=lambda n: "none (one axis)" if n == _NONE
                              else _axis_text(numeric[n]))
    _setdefault(keys.explore("sweep", "metric"), SWEEP_METRICS[0])
    metric = top[3].selectbox("Colour cells by", SWEEP_METRICS, key=keys.explore("sweep", "metric"),
                              format_func=METRIC_LABELS.get)
    axis_names = [y_name] + ([] if x_name == _NONE else [x_name])
    row = st.columns(2 * len(axis_names) + 3)
    current = make_optimizer(name, **fixed).hyperparams
    ranges = []
    for k, axis in enumerate(axis_names):
        p = numeric[axis]
        low, high = default_range(p, current.get(axis))
        lo_key, hi_key = keys.explore("sweep", name, axis, "lo"), keys.explore("sweep", name, axis, "hi")
        _setdefault(lo_key, float(low))
        _setdefault(hi_key, float(high))
        lo = row[2 * k].number_input(f"{p.symbol} from", key=lo_key, format="%g", step=None,
                                     help=f"Allowed: {p.range_text}" + (" (log axis)" if p.log else ""))
        hi = row[2 * k + 1].number_input(f"{p.symbol} to", key=hi_key, format="%g", step=None)
        ranges.append((axis, float(lo), float(hi)))
    _setdefault(keys.explore("sweep", "n"), SWEEP_SIDE)
    n = row[-3].number_input("Cells per axis", 2, MAX_SWEEP_SIDE, key=keys.explore("sweep", "n"), step=8,
                             help=f"Up to {MAX_SWEEP_SIDE} × {MAX_SWEEP_SIDE}.")
    _setdefault(keys.explore("sweep", "steps"), min(settings.steps, SWEEP_STEPS))
    steps = row[-2].number_input("Steps", 1, MAX_STEPS, key=keys.explore("sweep", "steps"), step=50)
    _setdefault(keys.explore("sweep", "tol"), SWEEP_TOL, SWEEP_TOLERANCES)
    tol = row[-1].selectbox("Tolerance", SWEEP_TOLERANCES, key=keys.explore("sweep", "tol"),
                            format_func=lambda v: f"{v:g}", help="Reached: f − f* ≤ tol where f* is "
                            "known, else the distance to the nearest minimum ≤ tol.")
    for axis, lo, hi in ranges:
        axis_values(numeric[axis], lo, hi, 2)  # a bad range is named before any work
    cells = int(n) ** len(ranges)
    if refused := work_message("sweep map", cells * int(steps), SWEEP_WORK,
                               "the cells per axis or the steps"):
        st.warning(refused)
        return
    axes = tuple((axis, lo, hi, int(n)) for axis, lo, hi in ranges)
    with st.spinner(f"Running {cells:,} settings × {int(steps)} steps…"):
        sw = _sweep(_choice(settings), name, _items(fixed), axes, tuple(settings.start), int(steps),
                    float(tol), _items(settings.schedule))
    if pick := state.pop(keys.SWEEP_PICK, None):
        logs = {a: numeric[a].log for a in sw.axes}
        state[keys.EXPLORE_MESSAGE] = add_cell(state, name, fixed, cell_values(sw.axes, logs, pick))
        st.rerun()
    constant = bool(np.all(make_schedule(**settings.schedule).factors(int(steps)) == 1))
    rho = sweep_rate(sw, landscape) if constant else None
    fig = sweep_map_spec(sw, metric, rho=rho, height=560)
    if len(sw.axes) == 2:
        fig["data"].append(_click_targets(sw))
    fig["layout"]["clickmode"] = "event+select"
    st.plotly_chart(Prebuilt(fig), key=SWEEP_CHART, on_select=_remember_pick, selection_mode="points",
                    config=CHART_CONFIG)
    notes = [f"{cells:,} runs × {sw.steps} steps from the page's start ({sw.start[0]:g}, "
             f"{sw.start[1]:g}) in {sw.seconds:.2f} s ({sw.engine}, no noise). Tolerance: {sw.criterion}. "
             "Click a cell to add that setting as a panel."]
    if rho is not None:
        notes.append("White: contours of the theoretical rate ρ (heavy ball on a quadratic, "
                      "Polyak 1964); dashed black: ρ = 1, beyond which theory says it diverges.")
    st.caption(" ".join(notes))


def _axis_text(p: ParamSpec) -> str:
    return f"{p.symbol} ({p.name}{', log' if p.log else ''})"


def _click_targets(sw) -> dict:
    """Invisible points on the cell centres (every k-th cell past :data:`CLICK_SIDE` per axis):
    a click selects one, and hovering one shows its cell's values."""
    (n1, v1), (n2, v2) = sw.axes.items()
    rows = np.arange(0, len(v1), max(1, math.ceil(len(v1) / CLICK_SIDE)))
    cols = np.arange(0, len(v2), max(1, math.ceil(len(v2) / CLICK_SIDE)))
    i, j = (a.ravel() for a in np.meshgrid(rows, cols, indexing="ij"))
    s1, s2 = sw.specs[n1], sw.specs[n2]
    custom = np.stack([sw.final_loss[i, j], sw.steps_to_tol[i, j], sw.diverged_at[i, j]], axis=-1)
    hidden = {"marker": {"opacity": 0.0}}
    return {"type": "scatter", "x": v2[j], "y": v1[i], "mode": "markers", "name": CLICK_NAME,
            "showlegend": False, "marker": {"size": 8, "opacity": 0.0}, "selected": hidden,
            "unselected": hidden, "customdata": custom,
            "hovertemplate": f"{s1.symbol} = %{{y:.4g}}<br>{s2.symbol} = %{{x:.4g}}<br>"
                             "final f = %{customdata[0]:.4g}<br>steps to tol = %{customdata[1]} "
                             "(−1: never)<br>diverged at = %{customdata[2]} (−1: never)<extra></extra>"}


def _remember_pick() -> None:
    """on_select of the sweep map: the clicked point, for the next run to add as a panel."""
    points = (st.session_state[SWEEP_CHART].get("selection") or {}).get("points") or []
    if points:
        st.session_state[keys.SWEEP_PICK] = {"x": points[0]["x"], "y": points[0].get("y")}


# --------------------------------------------------------------------------------------------
# Basin map


@guarded
def basin_view(settings, landscape) -> None:
    if not landscape.minima:
        st.info(f"{md(landscape.title)} declares no minima, so there is nothing to colour a basin "
                "map by: choose a surface with known minima (e.g. Himmelblau or the six-hump camel).")
        return
    drawn = {d.sid: d for d in _valid(settings)}
    if not drawn:
        st.info("No optimizer drawn: add one or two in the sidebar to map their basins.")
        return
    row = st.columns([4, 2, 2, 2])
    key = keys.explore("basin", "slots")
    st.session_state[key] = [s for s in st.session_state.get(key, list(drawn)[:2]) if s in drawn] \
        or list(drawn)[:2]
    picked = row[0].multiselect("Optimizers (one or two)", list(drawn), key=key, max_selections=2,
                                format_func=lambda s: f"{emoji(drawn[s].color)} {drawn[s].label}")
    _setdefault(keys.explore("basin", "side"), BASIN_SIDE)
    side = row[1].number_input("Starts per axis", 4, MAX_BASIN_SIDE, key=keys.explore("basin", "side"),
                               step=32, help=f"Up to {MAX_BASIN_SIDE} × {MAX_BASIN_SIDE} over the box.")
    _setdefault(keys.explore("basin", "steps"), BASIN_STEPS)
    steps = row[2].number_input("Steps", 1, MAX_STEPS, key=keys.explore("basin", "steps"), step=50)
    _setdefault(keys.explore("basin", "tol"), BASIN_TOL, BASIN_TOLERANCES)
    tol = row[3].selectbox("Tolerance ‖w − w*‖", BASIN_TOLERANCES, key=keys.explore("basin", "tol"),
                           format_func=lambda v: f"{v:g}")
    if not picked:
        st.info("Pick one or two of the drawn optimizers.")
        return
    work = int(side) ** 2 * int(steps) * len(picked)
    if refused := work_message("basin map", work, BASIN_WORK,
                               "the starts per axis, the steps or the number of optimizers"):
        st.warning(refused)
        return
    bar = st.progress(0.0, text=f"Mapping {int(side) ** 2:,} starts × {int(steps)} steps…")
    results = []
    for k, sid in enumerate(picked):
        d = drawn[sid]
        results.append(_basins(_choice(settings), d.name, _items(d.hyperparams), d.label, int(side),
                               int(steps), float(tol), _items(settings.schedule)))
        bar.progress((k + 1) / len(picked), text=f"{d.label} done")
    bar.empty()
    st.plotly_chart(Prebuilt(basin_map_spec(results, height=560)), config=CHART_CONFIG)
    seconds = ", ".join(f"{r.optimizer.display_name} {r.seconds:.2f} s" for r in results)
    st.caption(f"Each start of a {int(side)} × {int(side)} grid over the box runs {int(steps)} steps "
               f"({results[0].engine}, no noise; {seconds}). Colour: the minimum first reached "
               f"within {float(tol):g} (★), lighter the more steps it took; black: diverged; "
               "grey: none reached.")


# --------------------------------------------------------------------------------------------
# Ensembles


OVER_LABELS = {"noise": "gradient noise σ", "shuffle": "shuffling seed"}


@guarded
def ensemble_view(settings, landscape) -> None:
    drawn = _valid(settings)
    if not drawn:
        st.info("No optimizer drawn: add one in the sidebar to see its ensemble.")
        return
    batch = settings.batch
    row = st.columns(4 if batch else 3)
    over = "noise"
    if batch:  # a surface made from data: the members may differ by their shuffles instead
        _setdefault(keys.explore("ensemble", "over"), "shuffle", OVER_LABELS)
        over = row[3].segmented_control("Members differ by", list(OVER_LABELS), required=True,
                                        key=keys.explore("ensemble", "over"), format_func=OVER_LABELS.get,
                                        help="Gradient noise: ∇f + σξ per member. Shuffling seed: "
                                             "member m orders its mini-batches with data seed s + m.")
    _setdefault(keys.explore("ensemble", "noise"), settings.noise if settings.noise > 0 else 1.0)
    noise = row[0].number_input("Gradient noise σ", 0.0, 1e6, key=keys.explore("ensemble", "noise"),
                                format="%g", step=0.5, disabled=over == "shuffle",
                                help="Every gradient is ∇f + σξ, ξ ~ N(0, I). Over shuffling seeds: "
                                     "none (the mini-batches are the only noise).")
    _setdefault(keys.explore("ensemble", "members"), 64)
    members = row[1].number_input("Seeds per optimizer (M)", 2, MAX_MEMBERS, step=16,
                                  key=keys.explore("ensemble", "members"))
    first = f"data seeds {batch['data_seed']}…" if over == "shuffle" else f"seed {settings.seed}"
    lengths = [str(n) for n in sorted({settings.steps_of(d) for d in drawn})]  # several in epochs
    length = " and ".join([", ".join(lengths[:-1]), lengths[-1]] if len(lengths) > 1 else lengths)
    row[2].caption(f"{len(drawn)} drawn optimizer(s), {length} steps from "
                   f"({settings.start[0]:g}, {settings.start[1]:g}), {first} (the sidebar's).")
    if over == "noise" and noise <= 0:
        st.info("An ensemble needs noise: set σ above 0 (with σ = 0 every seed follows one path).")
        return
    n = getattr(landscape, "n_samples", 0)
    if over == "shuffle":  # each optimizer's own batch size; a full batch has nothing to shuffle
        full = [d for d in drawn if d.batch_size >= n]
        if full and (len(full) == len(drawn) or not batch["shuffle"]):
            sizes = ", ".join(str(b) for b in sorted({d.batch_size for d in drawn}))
            st.info(f"Every shuffling seed gives the same batches with batch size {sizes} of {n}"
                    f"{'' if batch['shuffle'] else ' and shuffling off'}: choose a smaller batch size "
                    "in an optimizer's panel and turn shuffling on in the sidebar.")
            return
        if not batch["shuffle"]:
            st.info("Every shuffling seed gives the same batches with shuffling off: turn shuffling "
                    "on in the sidebar.")
            return
        if full:
            st.caption("Left out (full batch, nothing to shuffle): "
                       + ", ".join(md(d.label) for d in full) + ".")
            drawn = [d for d in drawn if d.batch_size < n]
    work = int(members) * sum(settings.steps_of(d) for d in drawn)
    if refused := work_message("ensemble", work, ENSEMBLE_WORK,
                               "the seeds per optimizer, the steps (sidebar) or the number of "
                               "drawn optimizers"):
        st.warning(refused)
        return
    bar = st.progress(0.0, text=f"Running {int(members)} seeds per optimizer…")
    results = []
    for k, d in enumerate(drawn):
        results.append(_ensemble(_choice(settings), d.name, _items(d.hyperparams), d.label,
                                 tuple(settings.start), settings.steps_of(d),
                                 0.0 if over == "shuffle" else float(noise), int(members),
                                 settings.seed, _items(settings.schedule), over,
                                 settings.batch_items(d) if over == "shuffle" else ()))
        bar.progress((k + 1) / len(drawn), text=f"{d.label} done")
    bar.empty()
    x = "step"
    if over == "shuffle":
        _setdefault(keys.explore("ensemble", "x"), "epoch", X_AXES)
        x = st.segmented_control("Loss against", X_AXES, key=keys.explore("ensemble", "x"), required=True)
    colors, labels = [d.color for d in drawn], [d.label for d in drawn]
    left, right = st.columns([3, 2])
    left.plotly_chart(Prebuilt(ensemble_path_spec(landscape, results, colors=colors, labels=labels,
                                                  height=560)), config=CHART_CONFIG)
    right.plotly_chart(Prebuilt(ensemble_loss_spec(results, colors=colors, labels=labels, height=560,
                                                   x=x)),
                       config=CHART_CONFIG)
    sizes = ", ".join(str(b) for b in sorted({d.batch_size for d in drawn if d.batch_size is not None}))
    what = (f"{int(members)} paths per optimizer, each shuffling its batches of {sizes} with "
            f"its own seed," if over == "shuffle" else f"{int(members)} noisy paths per optimizer")
    st.caption(f"Left: the mean of {what} and their 1σ spread (ellipses of the positions' covariance "
               f"at 40 steps). Right: quantiles 0.1–0.9 and 0.25–0.75 of the loss, and the median, "
               f"against the {x}.")

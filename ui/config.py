"""A view as data: the same small JSON for lecture presets and for the link that reopens a view.

    {"surface": "ravine", "surface_params": {"kappa": 100},
     "optimizers": [{"name": "sgd", "params": {"lr": 0.018}}, {"name": "momentum"}],
     "steps": 200, "start": [-3.5, 1.5], "noise": 0.0, "seed": 0,
     "schedule": {"name": "constant"}}

Every field but ``surface`` is optional (defaults as on a fresh page). A config is checked in
full against the registries before anything on the page changes, so a bad preset or a
tampered link gets one message saying what is wrong and the current view stays."""

from __future__ import annotations

import base64
import json
import math
import zlib
from collections.abc import MutableMapping
from typing import Any

from landscapes import LANDSCAPES, from_formula
from optim_core import OPTIMIZERS, make_optimizer, make_schedule

from .state import MAX_SLOTS, add_slot, remove_slot, scope_of
from .surface import BOUND_KEYS, CUSTOM, DEFAULT_BOUNDS

DEFAULT_STEPS = 500
MAX_STEPS = 2000
START_LIMIT = 1000.0  # |x₀|, |y₀|
MAX_NOISE = 10.0
MAX_LINK = 4000  # characters of an encoded view
# The page a fresh visit opens on. Adam at α = 0.1 (its registry default 0.01 barely leaves the
# start in 500 steps here): the three reach the valley by three different routes.
DEFAULT_VIEW = {"surface": "rosenbrock",
                "optimizers": [{"name": "momentum"}, {"name": "rmsprop"},
                               {"name": "adam", "params": {"lr": 0.1}}]}
_FIELDS = {"surface", "surface_params", "formula", "bounds", "optimizers", "steps", "start", "noise",
           "seed", "schedule", "title", "story"}


def encode(config: dict) -> str:
    """Compact URL-safe text of a config (JSON, deflated, base64url)."""
    raw = json.dumps(config, separators=(",", ":"), allow_nan=False).encode()
    return base64.urlsafe_b64encode(zlib.compress(raw, 9)).decode().rstrip("=")


def decode(text: str) -> dict:
    """The config of :func:`encode`'s text; ``ValueError`` for anything else."""
    if not isinstance(text, str) or len(text) > MAX_LINK:
        raise ValueError(f"A view link holds at most {MAX_LINK} characters.")
    try:
        packed = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        inflater = zlib.decompressobj()
        raw = inflater.decompress(packed, 20 * MAX_LINK)  # bounded: no zip bombs
        if inflater.unconsumed_tail:
            raise ValueError("too long")
        config = json.loads(raw)
    except (ValueError, zlib.error, UnicodeDecodeError):
        raise ValueError("This view link is damaged (it does not decode); the page shows "
                         "its current view instead.") from None
    if not isinstance(config, dict):
        raise ValueError("A view link must describe one view.")
    return config


def _scalars(values: Any, owner: str) -> dict[str, Any]:
    if values is None:
        return {}
    if not isinstance(values, dict):
        raise ValueError(f"{owner}: parameters must be a mapping of names to values.")
    for name, v in values.items():
        if not isinstance(v, bool | int | float | str | None):
            raise ValueError(f"{owner}: {name} must be one value, not {type(v).__name__}.")
    return values


def check(config: dict) -> dict:
    """The config with every field present and validated; ``ValueError`` names the first
    problem and what is allowed."""
    if not isinstance(config, dict):
        raise ValueError("A view is a mapping with at least a 'surface'.")
    unknown = sorted(set(config) - _FIELDS)
    if unknown:
        raise ValueError(f"Unknown field(s) {', '.join(unknown)}; allowed: {', '.join(sorted(_FIELDS))}.")
    surface, landscape, typed = _surface(config)
    entries = config.get("optimizers", [])
    if not isinstance(entries, list) or len(entries) > MAX_SLOTS:
        raise ValueError(f"'optimizers' must be a list of at most {MAX_SLOTS} entries.")
    optimizers = []
    for entry in entries:
        if not isinstance(entry, dict) or entry.get("name") not in OPTIMIZERS:
            raise ValueError(f"Each optimizer needs a 'name' among: {', '.join(OPTIMIZERS)}; got {entry!r}.")
        params = _scalars(entry.get("params"), f"optimizer '{entry['name']}'")
        optimizers.append({"name": entry["name"],
                           "params": make_optimizer(entry["name"], **params).hyperparams})
    steps = config.get("steps", DEFAULT_STEPS)
    if isinstance(steps, bool) or not isinstance(steps, int) or not 10 <= steps <= MAX_STEPS:
        raise ValueError(f"steps must be a whole number from 10 to {MAX_STEPS}; got {steps!r}.")
    start = config.get("start", list(landscape.start))
    if (not isinstance(start, list | tuple) or len(start) != 2
            or not all(isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
                       and abs(v) <= START_LIMIT for v in start)):
        raise ValueError(f"start must be [x, y] with |x|, |y| ≤ {START_LIMIT:g}; got {start!r}.")
    noise = config.get("noise", 0.0)
    if isinstance(noise, bool) or not isinstance(noise, int | float) or not 0 <= noise <= MAX_NOISE:
        raise ValueError(f"noise must be a number from 0 to {MAX_NOISE:g}; got {noise!r}.")
    seed = config.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**31:
        raise ValueError(f"seed must be a whole number from 0 to 2³¹ − 1; got {seed!r}.")
    schedule = _scalars(config.get("schedule") or {"name": "constant"}, "schedule")
    params = {k: v for k, v in schedule.items() if k != "name"}
    made = make_schedule(schedule.get("name", "constant"), **params)
    return {**config, **typed, "surface": surface, "surface_params": dict(landscape.params),
            "optimizers": optimizers, "steps": steps, "start": [float(start[0]), float(start[1])],
            "noise": float(noise), "seed": seed, "schedule": {"name": made.spec.name, **made.params}}


def same_view(a: dict, b: dict) -> bool:
    """Whether two configs draw the same view (titles and stories aside)."""
    def drawn(config):
        return {k: v for k, v in check(config).items() if k not in ("title", "story")}
    return drawn(a) == drawn(b)


def from_settings(settings) -> dict:
    """The config of the page as the sidebar set it (a :class:`ui.sidebar.Settings`)."""
    typed = {"formula": settings.formula, "bounds": settings.bounds} if settings.surface == CUSTOM else {}
    return {"surface": settings.surface, "surface_params": settings.surface_params, **typed,
            "optimizers": [{"name": d.name, "params": d.hyperparams} for d in settings.drawn],
            "steps": settings.steps, "start": list(settings.start), "noise": settings.noise,
            "seed": settings.seed, "schedule": settings.schedule}


def _surface(config: dict):
    """(name, landscape, typed-surface fields) of a config's surface."""
    surface = config.get("surface")
    if surface == CUSTOM:
        formula, bounds = config.get("formula"), config.get("bounds", DEFAULT_BOUNDS)
        if not isinstance(formula, str):
            raise ValueError("A typed surface needs its 'formula' as text.")
        if (not isinstance(bounds, list | tuple) or len(bounds) != 2
                or not all(isinstance(b, list | tuple) and len(b) == 2 for b in bounds)):
            raise ValueError("'bounds' must be [[x_min, x_max], [y_min, y_max]].")
        if config.get("surface_params"):
            raise ValueError("A typed surface takes no 'surface_params'.")
        landscape = from_formula(formula, bounds=bounds)
        return surface, landscape, {"formula": formula, "bounds": [list(b) for b in landscape.bounds]}
    if surface not in LANDSCAPES:
        raise ValueError(f"Unknown surface {surface!r}. Available: {', '.join(LANDSCAPES)}, "
                         f"or '{CUSTOM}' with a 'formula'.")
    params = _scalars(config.get("surface_params"), f"surface '{surface}'")
    return surface, LANDSCAPES[surface].build(**params), {}


def slot_values(name: str, hyperparams: dict[str, Any]) -> dict[str, Any]:
    """Widget-key suffixes (``scope.param``) and values that draw these settings in a slot."""
    opt = make_optimizer(name, **hyperparams)
    choices = [p.name for p in OPTIMIZERS[name].params if p.kind == "choice"]
    out = {f"{name}.{c}": opt.hyperparams[c] for c in choices}
    scope = scope_of(opt.spec)
    for p in opt.spec.params:
        if p.name in choices:
            continue
        value = opt.hyperparams[p.name]
        if p.optional:
            out[f"{scope}.{p.name}.auto"] = value is None
        if value is not None:
            out[f"{scope}.{p.name}"] = value
    return out


def apply(state: MutableMapping, config: dict) -> dict:
    """Check ``config`` and, only if it is valid, make it the page's state. Returns it checked."""
    config = check(config)
    for slot in list(state.get("slots", [])):
        remove_slot(state, slot["id"])
    state.setdefault("next_slot", 0)  # ids keep counting: no stale widget state is reused
    state["slots"] = []
    for entry in config["optimizers"]:
        add_slot(state, entry["name"], slot_values(entry["name"], entry["params"]))
    surface = config["surface"]
    state["surface"] = surface
    for name, value in config["surface_params"].items():
        state[f"surf.{surface}.{name}"] = value
    if surface == CUSTOM:
        state["formula"] = config["formula"]
        for key, value in zip(BOUND_KEYS, [v for pair in config["bounds"] for v in pair], strict=True):
            state[key] = value
    state["steps"] = config["steps"]
    state["start_x"], state["start_y"] = config["start"]
    state["noise"], state["seed"] = config["noise"], config["seed"]
    schedule = dict(config["schedule"])
    state["schedule"] = schedule.pop("name")
    for name, value in schedule.items():
        state[f"sched.{state['schedule']}.{name}"] = value
    return config

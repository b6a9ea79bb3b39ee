"""A view as data: the same small JSON for lecture presets and for the link that reopens a view.

    {"surface": "ravine", "surface_params": {"kappa": 100},
     "optimizers": [{"name": "sgd", "params": {"lr": 0.018}}, {"name": "momentum"}],
     "steps": 200, "start": [-3.5, 1.5], "noise": 0.0, "seed": 0,
     "schedule": {"name": "constant"}}

Every field but ``surface`` is optional (defaults as on a fresh page). A config is checked in
full against the registries before anything on the page changes, so a bad preset or a
tampered link gets one message saying what is wrong and the current view stays.

Format 2 (``"version": 2``; a config without a version is format 1, which stays valid) adds
how the view is shown: ``"preset"`` (the id of the lecture preset it came from, whose story
then shows), ``"mode"`` (``"2d"`` or ``"3d"``), ``"presentation"`` (true: sidebar folded,
story and chart fill the screen), ``"levels"`` (``"auto"``, ``"linear"`` or ``"log"``
contour levels) and each optimizer's ``"color"`` (so colours stay with their paths). These
display fields are kept by :func:`check` only where given: a preset that does not name them
leaves the page's mode, presentation and levels as they are.

Format 3 adds ``"main"``: what the main area shows, ``"paths"`` (the default, and what a link
without it opens), ``"sweep"``, ``"basin"`` or ``"ensemble"`` (the explore views); and
``"batch"`` for a surface made from data: ``{"shuffle": true, "data_seed": 0}`` (the
shuffled order every optimizer cuts its batches from) and, per optimizer, ``"batch_size": B``
with 1 ≤ B ≤ n samples (n: the full batch). ``"batch": {"size": B}`` (the page-wide batch size
of earlier links) is the size of every optimizer that names none (default n). ``"epochs": E``
(1 ≤ E ≤ MAX_EPOCHS; data surfaces only) gives the run length in epochs: each optimizer runs
E·⌈n/B⌉ steps (at most ``MAX_STEPS``) and ``steps`` is kept for the steps slider. Other
surfaces take neither; older links open as before (on the paths; a data surface then runs its
full batch, or the link's page-wide size, for ``steps`` steps).

Format 3 also takes ``"traced"``: the "more optimizers" pick, ``{"name":
"pytorch_optimizer.AdaBelief", "lr": 0.001}`` (a class of torch.optim or pytorch_optimizer by
qualified name, 0 < lr ≤ 100), with ``"options": {"line_search_fn": "strong_wolfe"}`` where a
string setting of ``optim_core.installed.STRING_CHOICES`` is not its default. It is checked
for its form only (whether the class is installed is the page's to say: without it the pick
is dropped); a view without it draws no traced path.

Format 3 also keeps what is drawn inside one path: ``"scrub": {"optimizer": i, "param": "lr"}``
(the hyperparameter slider on the i-th of ``optimizers``, counted from 0, varying one of its
numeric hyperparameters that a scrub may vary) and ``"state": i`` (the optimizer-state overlay
of the i-th). Like the display fields they leave the paths as they are; a view without them
(every older link, every preset) opens with the slider and the state off."""

from __future__ import annotations

import base64
import functools
import json
import math
import re
import zlib
from collections.abc import MutableMapping
from typing import Any

from landscapes import LANDSCAPES, from_formula
from landscapes.worker import build_bounded
from optim_core import OPTIMIZERS, SCHEDULES, make_schedule
from optim_core.installed import STRING_CHOICES
from paramspec import validate_params, varied

from . import keys
from .state import MAX_SLOTS, SLOT_COLORS, add_slot, choice_names, concrete_spec, remove_slot, scope_of
from .surface import CUSTOM, DEFAULT_BOUNDS

DEFAULT_STEPS = 500
MAX_STEPS = 2000
DEFAULT_EPOCHS = 10
MAX_EPOCHS = 500
LENGTHS = ("steps", "epochs")  # a data surface's run length is given in one of these
START_LIMIT = 1000.0  # |x₀|, |y₀|
MAX_NOISE = 10.0
MAX_LINK = 4000  # characters of an encoded view
LINK_PARAM = "view"  # the page's address holds the view as ?view=…
# The page a fresh visit opens on. Adam at α = 0.1 (its registry default 0.01 barely leaves the
# start in 500 steps here): the three reach the valley by three different routes.
DEFAULT_VIEW = {"surface": "rosenbrock",
                "optimizers": [{"name": "momentum"}, {"name": "rmsprop"},
                               {"name": "adam", "params": {"lr": 0.1}}]}
VERSION = 3  # of the format below; links without a version are format 1
MODES = ("2d", "3d")
LEVELS = ("auto", "linear", "log")
_PRESET_ID = re.compile(r"^[a-z0-9-]{1,60}$")
MAINS = tuple(keys.MAIN_LABELS)
_DISPLAY = ("version", "title", "story", "preset", "mode", "presentation", "levels", "main",  # not the paths
            "scrub", "state")
_FIELDS = {"surface", "surface_params", "formula", "bounds", "optimizers", "steps", "start", "noise",
           "seed", "schedule", "batch", "epochs", "traced", *_DISPLAY}
_TRACED_NAME = re.compile(r"^(torch\.optim|pytorch_optimizer)\.[A-Za-z_][A-Za-z0-9_]{0,60}$")


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
    except (ValueError, zlib.error, UnicodeDecodeError, RecursionError):
        raise ValueError("This view link is damaged (it does not decode); the page shows "
                         "its current view instead.") from None
    if not isinstance(config, dict):
        raise ValueError("A view link must describe one view.")
    return config


def _values(values: Any, specs, owner: str) -> dict[str, Any]:
    """A mapping of parameter names (those of ``specs`` only) to single plain values."""
    if values is None:
        return {}
    if not isinstance(values, dict):
        raise ValueError(f"{owner}: parameters must be a mapping of names to values.")
    known = {p.name for p in specs}
    unknown = sorted(str(k) for k in values if k not in known)
    if unknown:
        raise ValueError(f"{owner}: unknown parameter(s) {', '.join(unknown)}; "
                         f"allowed: {', '.join(sorted(known)) or 'none'}.")
    for name, v in values.items():
        if not isinstance(v, bool | int | float | str | None) or (isinstance(v, int) and abs(v) > 1e300):
            raise ValueError(f"{owner}: {name} must be one value, not {v!r:.40}.")
    return values


def _number(v, low: float, high: float) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and abs(v) <= 1e300 \
        and math.isfinite(v) and low <= v <= high


def _optimizer(entry) -> dict:
    """{"name", "params"} with every parameter in its range and defaults filled. Rules across
    parameters (Nesterov needs momentum) are not applied here: the page names a broken one
    in its panel, as when it is set by hand, so a link to such a view still opens."""
    if not isinstance(entry, dict) or not isinstance(entry.get("name"), str) \
            or entry["name"] not in OPTIMIZERS \
            or not set(entry) <= {"name", "params", "color", "batch_size"}:
        raise ValueError(f"Each optimizer is {{'name': one of {', '.join(OPTIMIZERS)}, 'params': {{…}}, "
                         f"'color': …, 'batch_size': …}}; got {entry!r:.80}.")
    color = entry.get("color")
    if color is not None and color not in dict(SLOT_COLORS):
        raise ValueError(f"An optimizer's colour is one of {', '.join(c for c, _ in SLOT_COLORS)}; "
                         f"got {color!r:.40}.")
    name, spec = entry["name"], OPTIMIZERS[entry["name"]]
    params = entry.get("params") or {}
    if not isinstance(params, dict):
        raise ValueError(f"optimizer '{name}': 'params' must be a mapping of names to values; "
                         f"got {params!r:.40}.")
    choices = _values({k: v for k, v in params.items() if k in choice_names(spec)}, spec.params,
                      f"optimizer '{name}'")
    concrete = concrete_spec(name, choices)
    rest = _values({k: v for k, v in params.items() if k not in choices}, concrete.params,
                   f"optimizer '{name}'")
    values = validate_params(concrete.params, rest, f"optimizer '{name}'")
    size = {"batch_size": entry["batch_size"]} if "batch_size" in entry else {}
    return {"name": name, "params": {**choices, **values}, **({"color": color} if color else {}), **size}


def check(config: dict) -> dict:
    """The config with every field present and validated; ``ValueError`` names the first
    problem and what is allowed."""
    if not isinstance(config, dict):
        raise ValueError("A view is a mapping with at least a 'surface'.")
    display = _display(config)  # first: a newer format's link is named as such
    unknown = sorted(str(k) for k in set(config) - _FIELDS)
    if unknown:
        raise ValueError(f"Unknown field(s) {', '.join(unknown)}; allowed: {', '.join(sorted(_FIELDS))}.")
    surface, landscape, typed = _surface(config)
    entries = config.get("optimizers", [])
    if not isinstance(entries, list) or len(entries) > MAX_SLOTS:
        raise ValueError(f"'optimizers' must be a list of at most {MAX_SLOTS} entries.")
    optimizers = [_optimizer(entry) for entry in entries]
    colors = [o["color"] for o in optimizers if "color" in o]
    if len(colors) != len(set(colors)):
        raise ValueError("Two optimizers have the same colour; each colour is for one path.")
    steps = config.get("steps", DEFAULT_STEPS)
    if not (_number(steps, 10, MAX_STEPS) and isinstance(steps, int)):
        raise ValueError(f"steps must be a whole number from 10 to {MAX_STEPS}; got {steps!r:.40}.")
    start = config.get("start", list(landscape.start))
    if not (isinstance(start, list | tuple) and len(start) == 2
            and all(_number(v, -START_LIMIT, START_LIMIT) for v in start)):
        raise ValueError(f"start must be [x, y] with |x|, |y| ≤ {START_LIMIT:g}; got {start!r:.80}.")
    noise = config.get("noise", 0.0)
    if not _number(noise, 0.0, MAX_NOISE):
        raise ValueError(f"noise must be a number from 0 to {MAX_NOISE:g}; got {noise!r:.40}.")
    seed = config.get("seed", 0)
    if not (_number(seed, 0, 2**31 - 1) and isinstance(seed, int)):
        raise ValueError(f"seed must be a whole number from 0 to 2³¹ − 1; got {seed!r:.40}.")
    schedule = config.get("schedule") or {"name": "constant"}
    name = schedule.get("name", "constant") if isinstance(schedule, dict) else None
    if not isinstance(name, str) or name not in SCHEDULES:
        raise ValueError(f"schedule must be {{'name': one of {', '.join(SCHEDULES)}, …}}; "
                         f"got {schedule!r:.80}.")
    params = _values({k: v for k, v in schedule.items() if k != "name"}, SCHEDULES[name].params,
                     f"schedule '{name}'")
    made = make_schedule(name, **params)
    batch, size = _batch(config.get("batch"), landscape)
    n = getattr(landscape, "n_samples", None)
    optimizers = [_batch_size(o, size, n) for o in optimizers]
    epochs, length = config.get("epochs"), {}
    if epochs is not None:
        if n is None:
            raise ValueError("'epochs' is for surfaces made from data (e.g. linear_regression); "
                             "this surface has no samples: give 'steps'.")
        if not (_number(epochs, 1, MAX_EPOCHS) and isinstance(epochs, int)):
            raise ValueError(f"epochs must be a whole number from 1 to {MAX_EPOCHS}; got {epochs!r:.40}.")
        length = {"epochs": epochs}
    traced = _traced(config["traced"]) if config.get("traced") is not None else {}
    inside = _inside(config, optimizers)
    return {**config, **display, **typed, **batch, **length, **traced, **inside, "surface": surface,
            "surface_params": dict(landscape.params), "optimizers": optimizers, "steps": steps,
            "start": [float(start[0]), float(start[1])],
            "noise": float(noise), "seed": seed, "schedule": {"name": name, **made.params}}


def _batch_size(optimizer: dict, default: int | None, n: int | None) -> dict:
    """The optimizer with its checked "batch_size" (``default`` where it names none) on a
    surface of ``n`` samples; on other surfaces it must name none."""
    size = optimizer.get("batch_size", default)
    if n is None:
        if size is not None:
            raise ValueError("'batch_size' is for surfaces made from data (e.g. linear_regression); "
                             "this surface has no samples.")
        return optimizer
    if not (_number(size, 1, n) and isinstance(size, int)):
        raise ValueError(f"batch size must be a whole number from 1 to {n} (the samples); got {size!r:.40}.")
    return {**optimizer, "batch_size": size}


def _batch(batch, landscape) -> tuple[dict, int | None]:
    """({"batch": {"shuffle", "data_seed"}} checked, with defaults, the page-wide batch size
    of older links or n) for a surface made from data; ({}, None) otherwise."""
    n = getattr(landscape, "n_samples", None)
    if n is None:
        if batch is not None:
            raise ValueError("'batch' is for surfaces made from data (e.g. linear_regression); "
                             "this surface has no samples.")
        return {}, None
    batch = {"size": n, "shuffle": True, "data_seed": 0} if batch is None else batch
    if not (isinstance(batch, dict) and set(batch) <= {"size", "shuffle", "data_seed"}):
        raise ValueError(f"batch must be {{'size': …, 'shuffle': …, 'data_seed': …}}; got {batch!r:.80}.")
    size, shuffle, seed = batch.get("size", n), batch.get("shuffle", True), batch.get("data_seed", 0)
    if not (_number(size, 1, n) and isinstance(size, int)):
        raise ValueError(f"batch size must be a whole number from 1 to {n} (the samples); got {size!r:.40}.")
    if not isinstance(shuffle, bool):
        raise ValueError(f"batch shuffle must be true or false; got {shuffle!r:.40}.")
    if not (_number(seed, 0, 2**31 - 1) and isinstance(seed, int)):
        raise ValueError(f"batch data_seed must be a whole number from 0 to 2³¹ − 1; got {seed!r:.40}.")
    return {"batch": {"shuffle": shuffle, "data_seed": seed}}, size


def _traced(traced) -> dict:
    """{"traced": {"name", "lr"[, "options"]}} checked for its form."""
    options = traced.get("options", {}) if isinstance(traced, dict) else None
    if not (isinstance(traced, dict) and set(traced) in ({"name", "lr"}, {"name", "lr", "options"})
            and isinstance(traced["name"], str) and _TRACED_NAME.match(traced["name"])
            and _number(traced["lr"], 0.0, 100.0) and traced["lr"] > 0
            and isinstance(options, dict)
            and all(v is not None and v in STRING_CHOICES.get(k, ()) for k, v in options.items())):
        allowed = "; ".join(f"{k}: {', '.join(v for v in vs if v)}" for k, vs in STRING_CHOICES.items())
        raise ValueError("traced must be {'name': 'torch.optim.<Class>' or "
                         "'pytorch_optimizer.<Class>', 'lr': a number, 0 < lr ≤ 100, and optionally "
                         f"'options': {{keyword: value}} with {allowed}}}; got {traced!r:.80}.")
    return {"traced": {"name": traced["name"], "lr": float(traced["lr"]),
                       **({"options": dict(options)} if options else {})}}


def scrub_params(name: str, params: dict[str, Any]) -> list[str]:
    """The hyperparameters of optimizer ``name`` set to (checked) ``params`` that the chart's
    slider may vary (as its picker offers them, :mod:`ui.scrub`)."""
    choices = {k: v for k, v in params.items() if k in choice_names(OPTIMIZERS[name])}
    return [p.name for p in varied(concrete_spec(name, choices).params)]


def _inside(config: dict, optimizers: list[dict]) -> dict:
    """{"scrub": {"optimizer", "param"}, "state": i}, those ``config`` names, checked against
    its (checked) ``optimizers``."""
    out, count = {}, len(optimizers)
    def index(v) -> bool:
        return isinstance(v, int) and not isinstance(v, bool) and 0 <= v < count
    allowed = f"the index of one of its {count} optimizers (from 0)"
    for field in ("scrub", "state"):
        if config.get(field) is not None and not count:
            raise ValueError(f"{field} names one of the view's optimizers, and this view draws none.")
    if config.get("scrub") is not None:
        scrub = config["scrub"]
        if not (isinstance(scrub, dict) and set(scrub) == {"optimizer", "param"}
                and index(scrub["optimizer"])):
            raise ValueError(f"scrub must be {{'optimizer': {allowed}, 'param': …}}; got {scrub!r:.80}.")
        entry = optimizers[scrub["optimizer"]]
        params = scrub_params(entry["name"], entry["params"])
        if scrub["param"] not in params:
            raise ValueError(f"scrub: the slider varies one of {', '.join(params) or 'nothing'} of optimizer "
                             f"'{entry['name']}'; got {scrub['param']!r:.40}.")
        out["scrub"] = {"optimizer": scrub["optimizer"], "param": scrub["param"]}
    if config.get("state") is not None:
        if not index(config["state"]):
            raise ValueError(f"state must be {allowed}; got {config['state']!r:.40}.")
        out["state"] = config["state"]
    return out


def inside_path(state: MutableMapping, settings) -> dict:
    """The link's "scrub" and "state" of the page's pickers (their session state), where one is
    on and names a drawn optimizer that runs (the pickers offer only those) and, for the
    slider, one of its hyperparameters it may vary."""
    drawn = [d.sid if d.error is None else None for d in settings.drawn]
    out = {}
    sid, param = state.get(keys.SCRUB, keys.OFF), state.get(keys.SCRUB_PARAM)
    if sid in drawn and sid is not None:
        i = drawn.index(sid)
        if param in [p.name for p in varied(settings.drawn[i].spec.params)]:
            out["scrub"] = {"optimizer": i, "param": param}
    sid = state.get(keys.STATE_SLOT, keys.OFF)
    if sid in drawn and sid is not None:
        out["state"] = drawn.index(sid)
    return out


def _display(config: dict) -> dict:
    """The display fields of format 2 that ``config`` names, checked."""
    out = {}
    version = config.get("version", 1)
    if not (isinstance(version, int) and not isinstance(version, bool) and 1 <= version <= VERSION):
        raise ValueError(f"This view has format version {version!r:.20}; this optiviz reads versions 1 to "
                         f"{VERSION} (a link from a newer optiviz needs that version).")
    if "preset" in config:
        if not (config["preset"] is None or isinstance(config["preset"], str)
                and _PRESET_ID.match(config["preset"])):
            raise ValueError(f"preset must be a preset's id (lower-case letters, digits and -); "
                             f"got {config['preset']!r:.40}.")
        out["preset"] = config["preset"]
    for field, allowed in (("mode", MODES), ("levels", LEVELS), ("presentation", (False, True)),
                           ("main", MAINS)):
        if field in config:
            value = config[field]
            if not (isinstance(value, bool) if field == "presentation" else value in allowed):
                raise ValueError(f"{field} must be one of {', '.join(json.dumps(a) for a in allowed)}; "
                                 f"got {value!r:.40}.")
            out[field] = value
    return out


def same_view(checked: dict, current: dict) -> bool:
    """Whether the page's config (:func:`from_settings`, not checked: a panel may break a rule)
    draws the same paths as a :func:`check`-ed one (how they are shown aside: titles, stories,
    mode, levels, colours)."""
    def paths(config):
        out = {k: v for k, v in config.items() if k not in _DISPLAY}
        out["optimizers"] = [{k: v for k, v in o.items() if k != "color"} for o in config["optimizers"]]
        return json.loads(json.dumps(out))
    return paths(checked) == paths(current)


def from_settings(settings, main: str = "paths") -> dict:
    """The config of the page as the sidebar set it (a :class:`ui.settings.Settings`), in the
    newest format: everything a link needs to reopen the view as it is shown; ``main`` (what
    the main area shows) only where it is not the paths."""
    typed = {"formula": settings.formula, "bounds": settings.bounds} if settings.surface == CUSTOM else {}
    preset = {"preset": settings.preset} if settings.preset is not None else {}
    return {"version": VERSION, **preset, "surface": settings.surface,
            "surface_params": settings.surface_params, **typed,
            "optimizers": [{"name": d.name, "params": d.hyperparams, "color": d.color,
                            **({"batch_size": d.batch_size} if d.batch_size is not None else {})}
                           for d in settings.drawn],
            "steps": settings.steps, "start": list(settings.start), "noise": settings.noise,
            "seed": settings.seed, "schedule": settings.schedule, "mode": settings.mode,
            "levels": settings.levels, "presentation": settings.presentation,
            **({"main": main} if main != "paths" else {}),
            **({"batch": settings.batch} if settings.batch else {}),
            **({"epochs": settings.epochs} if settings.epochs is not None else {}),
            **({"traced": {"name": settings.traced.name, "lr": settings.traced.lr,
                           **({"options": dict(settings.traced.options)}
                              if settings.traced.options else {})}}
               if settings.traced is not None else {})}


def _surface(config: dict):
    """(name, landscape, typed-surface fields) of a config's surface."""
    surface = config.get("surface")
    if surface == CUSTOM:
        formula, bounds = config.get("formula"), config.get("bounds", DEFAULT_BOUNDS)
        if not isinstance(formula, str):
            raise ValueError("A typed surface needs its 'formula' as text.")
        if (not isinstance(bounds, list | tuple) or len(bounds) != 2
                or not all(isinstance(b, list | tuple) and len(b) == 2
                           and all(_number(v, -START_LIMIT, START_LIMIT) for v in b) for b in bounds)):
            raise ValueError(f"'bounds' must be [[x_min, x_max], [y_min, y_max]], each within "
                             f"±{START_LIMIT:g}.")
        if config.get("surface_params"):
            raise ValueError("A typed surface takes no 'surface_params'.")
        # a link is untrusted text: its formula is worked out in a worker with a time limit
        landscape = build_bounded(functools.partial(from_formula, formula, bounds=bounds))
        return surface, landscape, {"formula": formula, "bounds": [list(b) for b in landscape.bounds]}
    if not isinstance(surface, str) or surface not in LANDSCAPES:
        raise ValueError(f"Unknown surface {surface!r:.40}. Available: {', '.join(LANDSCAPES)}, "
                         f"or '{CUSTOM}' with a 'formula'.")
    params = _values(config.get("surface_params"), LANDSCAPES[surface].params, f"surface '{surface}'")
    return surface, LANDSCAPES[surface].build(**params), {}


def slot_values(name: str, hyperparams: dict[str, Any]) -> dict[str, Any]:
    """Widget-key suffixes (``scope.param``) and values that draw these (checked) settings in
    a slot."""
    choices = {k: v for k, v in hyperparams.items() if k in choice_names(OPTIMIZERS[name])}
    concrete = concrete_spec(name, choices)
    out = {keys.slot_suffix(name, c): v for c, v in choices.items()}
    scope = scope_of(concrete)
    for p in concrete.params:
        if p.name in choices or p.name not in hyperparams:
            continue
        value = hyperparams[p.name]
        if p.optional:
            out[keys.auto(keys.slot_suffix(scope, p.name))] = value is None
        if value is not None:
            out[keys.slot_suffix(scope, p.name)] = value
    return out


def apply(state: MutableMapping, config: dict) -> dict:
    """Check ``config`` and, only if it is valid, make it the page's state. Returns it checked."""
    config = check(config)
    for slot in list(state.get(keys.SLOTS, [])):
        remove_slot(state, slot["id"])
    state.setdefault(keys.NEXT_SLOT, 0)  # ids keep counting: no stale widget state is reused
    state[keys.SLOTS] = []
    sids = [add_slot(state, entry["name"],
                     {**slot_values(entry["name"], entry["params"]),
                      **({keys.SLOT_BATCH: entry["batch_size"]} if "batch_size" in entry else {})},
                     entry.get("color"))
            for entry in config["optimizers"]]
    scrub = config.get("scrub")
    state[keys.SCRUB] = sids[scrub["optimizer"]] if scrub else keys.OFF
    if scrub:
        state[keys.SCRUB_PARAM] = scrub["param"]
    state[keys.STATE_SLOT] = sids[config["state"]] if config.get("state") is not None else keys.OFF
    surface = config["surface"]
    state[keys.SURFACE] = surface
    for name, value in config["surface_params"].items():
        state[keys.surface_param(surface, name)] = value
    if surface == CUSTOM:
        state[keys.FORMULA] = config["formula"]
        for key, value in zip(keys.BOUNDS, [v for pair in config["bounds"] for v in pair], strict=True):
            state[key] = value
    state[keys.STEPS] = config["steps"]
    state[keys.START[0]], state[keys.START[1]] = config["start"]
    state[keys.NOISE], state[keys.SEED] = config["noise"], config["seed"]
    schedule = dict(config["schedule"])
    state[keys.SCHEDULE] = name = schedule.pop("name")
    for param, value in schedule.items():
        state[keys.schedule_param(name, param)] = value
    batch = config.get("batch") or {}
    sizes = [entry["batch_size"] for entry in config["optimizers"] if "batch_size" in entry]
    state[keys.BATCH_SIZE] = sizes[-1] if sizes else None  # a new panel's; none: the full batch
    state[keys.SHUFFLE], state[keys.DATA_SEED] = batch.get("shuffle", True), batch.get("data_seed", 0)
    epochs = config.get("epochs")
    state[keys.LENGTH_IN] = LENGTHS[epochs is not None]
    state[keys.EPOCHS] = epochs or DEFAULT_EPOCHS
    if epochs is not None:
        state[keys.CURVE_X] = "epoch"
    traced = config.get("traced")
    state[keys.TRACED_ON] = traced is not None
    state[keys.TRACED] = traced and traced["name"]
    if traced:
        state[keys.traced_lr(traced["name"])] = traced["lr"]
        for keyword in STRING_CHOICES:
            state[keys.traced_option(traced["name"], keyword)] = traced.get("options", {}).get(keyword)
    if "preset" in config:
        state[keys.PRESET] = config["preset"]
    if "mode" in config:
        state[keys.VIEW_MODE] = keys.MODE_LABELS[config["mode"]]
    for field, key in (("levels", keys.LEVELS), ("presentation", keys.PRESENTATION)):
        if field in config:
            state[key] = config[field]
    if "main" in config:
        state[keys.MAIN] = keys.MAIN_LABELS[config["main"]]
    return config

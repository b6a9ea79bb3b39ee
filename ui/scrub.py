"""The chart's hyperparameter slider: pick one drawn optimizer and one of its hyperparameters
(from its spec); one vectorized run (:func:`optim_core.scrub`, behind a bounded cache) gives
the path for 64 values, and a slider inside the chart (``viz/overlays.js``) morphs the path as it
is dragged, in the browser, with the sidebar's value marked on it."""

from __future__ import annotations

import dataclasses

import streamlit as st

from optim_core import ScrubResult, make_optimizer, scrub
from paramspec import ParamSpec, varied
from viz.scrub import add_scrub

from . import keys
from .compute import landscape
from .controls import label
from .settings import Drawn, Settings
from .state import emoji
from .surface import SurfaceChoice

OFF = keys.OFF


def _options(settings: Settings) -> dict:
    """The drawn optimizers that run, by slot id."""
    return {d.sid: d for d in settings.drawn if d.error is None}


def _params(d: Drawn) -> dict[str, ParamSpec]:
    return {p.name: p for p in varied(d.spec.params)}


def panel_name(d: Drawn) -> str:
    """A drawn optimizer in a menu: its colour and its label."""
    return f"{emoji(d.color)} {d.label}"


def scrub_controls(settings: Settings) -> tuple[Drawn, ParamSpec] | None:
    """The two pickers (optimizer, hyperparameter) in the current container; the choice, or
    None when the slider is off. A choice whose panel was removed turns it off."""
    state = st.session_state
    drawn = _options(settings)
    if state.get(keys.SCRUB, OFF) not in (OFF, *drawn):
        state[keys.SCRUB] = OFF
    state.setdefault(keys.SCRUB, OFF)
    sid = st.selectbox("Hyperparameter slider", (OFF, *drawn), key=keys.SCRUB,
                       format_func=lambda s: OFF if s == OFF else panel_name(drawn[s]),
                       help="Vary one hyperparameter of one optimizer with a slider under the "
                            "chart: its path for 64 values is computed at once, and the slider "
                            "morphs it in the browser as you drag.")
    if sid == OFF:
        return None
    params = _params(drawn[sid])
    if state.get(keys.SCRUB_PARAM) not in params:
        state[keys.SCRUB_PARAM] = "lr" if "lr" in params else next(iter(params))
    name = st.selectbox("Hyperparameter", tuple(params), key=keys.SCRUB_PARAM,
                        format_func=lambda n: label(params[n]))
    return drawn[sid], params[name]


@st.cache_data(max_entries=16, ttl=3600, show_spinner=False)
def _scrub(choice: tuple, name: str, hp_items: tuple, param: str, start: tuple, steps: int,
           noise: float, seed: int, schedule_items: tuple, batch_items: tuple) -> ScrubResult:
    batch = dict(batch_items)
    return scrub(landscape(SurfaceChoice(*choice)), make_optimizer(name, **dict(hp_items)), param,
                 start, steps, noise=noise, seed=seed, schedule=dict(schedule_items),
                 batch_size=batch.get("size"), shuffle=batch.get("shuffle", True),
                 data_seed=batch.get("data_seed", 0))


def scrub_of(settings: Settings, d: Drawn, param: str) -> ScrubResult:
    """The 64 paths (cached on every setting but the scrubbed value, which only moves the mark)."""
    fixed = tuple(sorted((k, v) for k, v in d.hyperparams.items() if k != param))
    return _scrub(dataclasses.astuple(settings.choice), d.name, fixed, param, settings.start,
                  settings.steps_of(d), settings.noise, settings.seed,
                  tuple(sorted(settings.schedule.items())), settings.batch_items(d))


def with_scrub(spec: dict, settings: Settings, chosen: tuple[Drawn, ParamSpec]) -> str:
    """Add the chosen slider to the contour figure ``spec``; returns the hint under the chart."""
    d, param = chosen
    add_scrub(spec, scrub_of(settings, d, param.name), color=d.color, current=d.hyperparams.get(param.name),
              label=d.label)
    hint = (f"The slider under the chart varies {param.symbol} of {d.label}: its path for 64 values "
            "was computed at once, so it morphs as you drag (▲ marks the sidebar's value).")
    if settings.noise > 0:
        hint += " With noise, each value draws its own noise, so at ▲ the path is not the drawn one."
    return hint

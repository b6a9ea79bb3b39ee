"""The optimizer's state on its path, in the page: pick one drawn optimizer, and at every step
the replay shows, the chart draws what made that step (:mod:`viz.state`): the gradient step,
the momentum step, the step taken, a per-coordinate adaptive rule's step box and Lookahead's
slow weights, as its spec's state roles declare. The run behind it records the state
(``record_state=True``), behind a bounded cache."""

from __future__ import annotations

import dataclasses

import streamlit as st

from optim_core import RunResult, make_optimizer, run
from viz.state import add_state

from . import keys
from .compute import landscape
from .scrub import OFF, panel_name
from .settings import Drawn, Settings
from .surface import SurfaceChoice


def state_picker(settings: Settings) -> Drawn | None:
    """The picker (in the current container); the chosen panel, or None (off, or its panel
    was removed)."""
    state = st.session_state
    drawn = {d.sid: d for d in settings.drawn if d.error is None}
    if state.get(keys.STATE_SLOT, OFF) not in (OFF, *drawn):
        state[keys.STATE_SLOT] = OFF
    state.setdefault(keys.STATE_SLOT, OFF)
    sid = st.selectbox("Optimizer state", (OFF, *drawn), key=keys.STATE_SLOT,
                       format_func=lambda s: OFF if s == OFF else panel_name(drawn[s]),
                       help="At each step the replay shows: −α∇f (what gradient descent would do), "
                            "the momentum buffer's step, the step taken, the per-coordinate step "
                            "box of adaptive methods, and Lookahead's slow weights. Hover a point of "
                            "its path to see that step's.")
    return None if sid == OFF else drawn[sid]


@st.cache_data(max_entries=16, ttl=3600, show_spinner=False)
def _recorded(choice: tuple, name: str, hp_items: tuple, start: tuple, steps: int, noise: float,
              seed: int, schedule_items: tuple, batch_items: tuple) -> RunResult:
    batch = dict(batch_items)
    return run(landscape(SurfaceChoice(*choice)), make_optimizer(name, **dict(hp_items)), [start], steps,
               noise=noise, seed=seed, schedule=dict(schedule_items), batch_size=batch.get("size"),
               shuffle=batch.get("shuffle", True), data_seed=batch.get("data_seed", 0), record_state=True)


def with_state(spec: dict, settings: Settings, d: Drawn, land, path: int | None = None) -> str:
    """Add the chosen panel's state to the animated contour ``spec`` (``path``: the index of its
    result among the figure's, whose points then show their step's state on hover); returns a
    hint."""
    res = _recorded(dataclasses.astuple(settings.choice), d.name, tuple(sorted(d.hyperparams.items())),
                    settings.start, settings.steps_of(d), settings.noise, settings.seed,
                    tuple(sorted(settings.schedule.items())), settings.batch_items(d))
    add_state(spec, land, res, path=path)
    hint = (f"Arrows at each shown step of {d.label}: from where the step left, −α∇f, the momentum "
            "buffer's step and the step taken, magnified as the legend says (×N; long arrows "
            "shortened to a quarter of the box). Hover a point of its path for that step's state.")
    if settings.noise > 0:
        hint += " The gradient arrow is the exact gradient; the step used a noisy one."
    return hint

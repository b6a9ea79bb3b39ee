"""The "more optimizers" picker: any installed torch optimizer (torch.optim's and
pytorch_optimizer's classes, :func:`optim_core.installed.installed_optimizers`), run as-is by
:func:`optim_core.trace` and drawn beside the built-ins, labelled "traced (not vectorized)".

Shown only where torch is installed, behind a switch (listing pytorch_optimizer imports it,
which takes seconds). One traced optimizer at a time, with its α and, where the class takes
one, a string setting of :data:`optim_core.installed.STRING_CHOICES` (L-BFGS's
``line_search_fn``: a strong-Wolfe line search evaluates f several times a step; the summary
table counts every evaluation); its other settings are the class's defaults. It sees exact
full gradients: noise, the schedule and mini-batches apply to the built-ins only (the page
says so when they are on)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import streamlit as st

from optim_core import RunResult, torch_available, trace
from optim_core.installed import default_lr, installed_optimizers, string_choices

from . import keys
from .compute import landscape
from .labels import md
from .settings import Settings
from .state import SLOT_COLORS, emoji
from .surface import SurfaceChoice

LABEL = "traced (not vectorized)"
FALLBACK_LR = 1e-3  # for a class whose lr has no numeric default


@dataclass(frozen=True)
class Traced:
    """The picked class (qualified name), its α and its string settings other than their
    defaults, as (keyword, value) pairs."""

    name: str
    lr: float
    options: tuple[tuple[str, str], ...] = ()

    @property
    def label(self) -> str:
        given = ", ".join(f"{k}={v}" for k, v in self.options)
        return f"{self.name.rsplit('.', 1)[-1]}{f' ({given})' if given else ''} — {LABEL}"


def traced_picker(bar) -> Traced | None:
    """The switch, the class and its α (None while off, or without torch)."""
    if not torch_available():
        return None
    state = st.session_state
    state.setdefault(keys.TRACED_ON, False)
    if not bar.toggle("More optimizers (torch, traced)", key=keys.TRACED_ON,
                      help="Any torch.optim or pytorch_optimizer class installed here, run as-is "
                           "one step() at a time (not vectorized) and drawn beside the others."):
        return None
    classes = installed_optimizers()
    if state.get(keys.TRACED) not in classes:
        state[keys.TRACED] = None
    name = bar.selectbox("Installed torch optimizer", list(classes), key=keys.TRACED, index=None,
                         placeholder=f"{len(classes)} installed: choose one…",
                         help="Its default settings, with the α below; exact gradients (no "
                              "noise, schedule or mini-batches).")
    if name is None:
        return None
    key = keys.traced_lr(name)
    state.setdefault(key, default_lr(classes[name]) or FALLBACK_LR)
    lr = bar.number_input("α (lr) of the traced optimizer", min_value=0.0, max_value=100.0,
                          key=key, format="%g", step=None)
    options = []
    for keyword, values in string_choices(classes[name]).items():
        value = bar.selectbox(keyword, values, key=keys.traced_option(name, keyword),
                              format_func=lambda v: "none (the default)" if v is None else v,
                              help="A setting of the class; each step's evaluations of f are "
                                   "counted in the summary table.")
        if value is not None:
            options.append((keyword, value))
    return Traced(name, float(lr), tuple(options))


@st.cache_data(max_entries=64, ttl=3600, show_spinner=False)
def _trace(choice: tuple, name: str, lr: float, options: tuple, start: tuple,
           steps: int) -> RunResult | str:
    """The traced path, or why the class could not run on a point of the plane (kept, so a
    failing class is not retried at every rerun). Classes that take only matrices get the
    point as a 1×2 matrix."""
    cls, land = installed_optimizers()[name], landscape(SurfaceChoice(*choice))
    label = Traced(name, lr, options).label
    failures = []
    for shape in ((2,), (1, 2)):
        try:
            return trace(cls, land, [start], steps, lr=lr, **dict(options), point_shape=shape,
                         label=label)
        except Exception as exc:  # noqa: BLE001  (any third-party class: say why, never a traceback)
            failures.append(f"{type(exc).__name__}: {str(exc)[:200]}")
    return f"{name} could not run on a point of the plane ({failures[0]})."


def _samples(settings: Settings) -> int:
    return getattr(landscape(settings.choice), "n_samples", 0)


def traced_result(settings: Settings, traced: Traced | None, colors: list[str]):
    """(result, colour) of the picked class, or None after saying why it is not drawn."""
    if traced is None:
        return None
    free = [c for c, _ in SLOT_COLORS if c not in colors]
    if not free:
        st.warning(f"**{md(traced.label)}** is not drawn: every path colour is in use. Remove an "
                   "optimizer to draw it.")
        return None
    out = _trace(dataclasses.astuple(settings.choice), traced.name, traced.lr, traced.options,
                 tuple(settings.start), settings.steps_of(None))  # in epochs: one full batch each
    if isinstance(out, str):
        st.warning(f"**{md(traced.label)}** is not drawn: {md(out)}")
        return None
    n = _samples(settings)
    mini = any(d.batch_size is not None and d.batch_size < n for d in settings.drawn)
    if settings.noise or settings.schedule.get("name", "constant") != "constant" or mini:
        st.caption(f"{emoji(free[0])} {md(traced.label)} sees exact full gradients: the noise, "
                   "the schedule and mini-batches apply to the built-in optimizers only.")
    return out, free[0]

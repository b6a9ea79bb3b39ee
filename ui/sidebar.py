"""The sidebar, built from the registries: surface and its parameters, one panel per drawn
optimizer (controls from its ParamSpecs), and the run settings. Returns plain settings."""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from optim_core import OPTIMIZERS, SCHEDULES

from . import keys
from .batch_inputs import batch_inputs, batch_size_input, length_inputs
from .compute import landscape
from .controls import format_value, param_widget
from .labels import md, unique
from .messages import UNEXPLAINED, for_viewers
from .presets import presets
from .scene import drawn_slot
from .settings import Drawn, Settings
from .state import (
    MAX_SLOTS,
    add_slot,
    choice_names,
    concrete_spec,
    duplicate_slot,
    emoji,
    remove_slot,
    reset_slot,
    scope_of,
)
from .surface import CUSTOM, SurfaceChoice
from .surface_inputs import levels_input, start_inputs, surface_inputs
from .traced import traced_picker
from .viewformat import MAX_STEPS, apply

NOISE_LEVELS = (0.0, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0)


def sidebar() -> Settings:
    """Draw the sidebar and return what it says."""
    state = st.session_state
    bar = st.sidebar
    preset = _preset_picker(bar)
    state.setdefault(keys.PRESENTATION, False)
    presentation = bar.toggle("Presentation mode", key=keys.PRESENTATION,
                              help="For a projector: folds this sidebar (» at the top left brings it "
                                   "back) and lets the story and the chart fill the screen. The link "
                                   "keeps it.")
    surface, surface_params, formula, bounds = surface_inputs(bar)
    levels = levels_input(bar)
    n_samples = _samples(surface, surface_params, formula, bounds)

    bar.header("Optimizers")
    drawn = [_slot_panel(bar, slot, n_samples) for slot in state[keys.SLOTS]]
    drawn = [replace(d, label=text) for d, text in zip(drawn, unique([d.label for d in drawn]), strict=True)]
    _add_row(bar, len(drawn))
    traced = traced_picker(bar)

    bar.header("Run")
    steps, epochs = length_inputs(bar, n_samples)
    start = start_inputs(bar)
    state.setdefault(keys.NOISE, 0.0)
    noise_stops = sorted({*NOISE_LEVELS, float(state[keys.NOISE])})  # a preset may use another level
    noise = bar.select_slider("Gradient noise σ", noise_stops, key=keys.NOISE, format_func=format_value,
                              help="Adds σ·ξ, ξ ~ N(0, I), to every gradient: the same draws for "
                                   "every optimizer, so they stay comparable.")
    state.setdefault(keys.SEED, 0)
    seed = int(bar.number_input("Noise seed", 0, 2**31 - 1, step=1, key=keys.SEED)) if noise else 0
    state.setdefault(keys.SCHEDULE, "constant")
    schedule = bar.selectbox("Learning-rate schedule", list(SCHEDULES), key=keys.SCHEDULE,
                             format_func=lambda n: SCHEDULES[n].title,
                             help="Multiplies every optimizer's α at each step, as "
                                  "torch.optim.lr_scheduler does.")
    schedule_params = {p.name: param_widget(p, keys.schedule_param(schedule, p.name), bar)
                       for p in SCHEDULES[schedule].params}
    batch = batch_inputs(bar, n_samples, [d.batch_size for d in drawn])
    settings = Settings(surface, surface_params, drawn, int(steps), start, float(noise), seed,
                        {"name": schedule, **schedule_params}, formula, bounds, levels,
                        bool(presentation), keys.mode_of(state.get(keys.VIEW_MODE)), preset, batch,
                        traced, epochs, n_samples)
    if epochs is not None:
        _epochs_note(bar, settings)
    return settings


def _epochs_note(bar, settings: Settings) -> None:
    """Each panel's steps for the epochs asked; those over the page's cap say so."""
    lines = []
    for d in settings.drawn:
        wanted, runs = settings.wanted_steps(d), settings.steps_of(d)
        text = f"{emoji(d.color)} {runs} steps"
        if wanted > runs:
            epochs = runs * settings.epochs / wanted
            text += (f" — {settings.epochs} epochs in batches of {d.batch_size} would be {wanted}, "
                     f"more than the {MAX_STEPS} a path may take: cut to {epochs:g} epochs")
        lines.append(text)
    if lines:
        bar.caption("  \n".join(lines))


def _samples(surface, surface_params, formula, bounds) -> int | None:
    """The number of samples of a surface made from data (None: not one, or not built)."""
    if surface == CUSTOM:
        return None
    choice = SurfaceChoice(surface, tuple(sorted(surface_params.items())), formula, bounds)
    try:
        return getattr(landscape(choice), "n_samples", None)
    except ValueError:  # the page names what is wrong with the surface
        return None


def _preset_picker(bar) -> str | None:
    """The preset the view was loaded from (an id a link names but this version lacks: none)."""
    state = st.session_state
    if state.get(keys.PRESET) not in presets():
        state[keys.PRESET] = None
    bar.selectbox("Lecture presets", list(presets()), key=keys.PRESET, on_change=load_preset,
                  index=None, placeholder="Choose a story to tell…",
                  format_func=lambda i: presets()[i]["title"],
                  help="Each preset sets up a view that shows one idea; its story appears above "
                       "the charts. Everything stays adjustable.")
    return state[keys.PRESET]


def load_preset() -> None:
    """Make the chosen preset the view (a bad preset leaves the view and says why)."""
    state = st.session_state
    if state[keys.PRESET] is None:
        return
    try:
        apply(state, presets()[state[keys.PRESET]])
    except ValueError as exc:
        state[keys.NOTICE] = f"Preset not loaded: {for_viewers(exc) or UNEXPLAINED}"


def _slot_panel(bar, slot: dict, n_samples: int | None) -> Drawn:
    sid, name, color = slot["id"], slot["name"], slot["color"]
    spec = OPTIMIZERS[name]
    box = bar.expander(f"{emoji(color)} {spec.title}", expanded=True)
    choices = {p.name: param_widget(p, keys.slot_param(sid, name, p.name), box)
               for p in spec.params if p.name in choice_names(spec)}
    concrete = concrete_spec(name, choices)
    values = {p.name: param_widget(p, keys.slot_param(sid, scope_of(concrete), p.name), box)
              for p in concrete.params if p.name not in choices}
    size = batch_size_input(box, sid, n_samples) if n_samples is not None else None
    row = box.container(horizontal=True, gap="small")
    state = st.session_state
    row.button("Reset", key=keys.slot_button("reset", sid), on_click=reset_slot, args=(state, sid),
               help="Back to the registry defaults")
    row.button("Copy", key=keys.slot_button("copy", sid), on_click=duplicate_slot, args=(state, sid),
               help="Draw a copy to vary one setting",
               disabled=len(st.session_state[keys.SLOTS]) >= MAX_SLOTS)
    row.button("✕", key=keys.slot_button("remove", sid), help="Remove this optimizer", on_click=remove_slot,
               args=(st.session_state, sid))
    drawn = drawn_slot(sid, name, {**choices, **values}, color, size, n_samples)
    if drawn.error is not None:
        box.error(f"Not drawn: {md(drawn.error)}")
    return drawn


def _add_row(bar, count: int) -> None:
    pick, add = bar.columns([3, 1], vertical_alignment="bottom")
    st.session_state.setdefault(keys.ADD_CHOICE, "adam")
    pick.selectbox("Add an optimizer", list(OPTIMIZERS), key=keys.ADD_CHOICE,
                   format_func=lambda n: OPTIMIZERS[n].title)
    full = count >= MAX_SLOTS
    add.button("Add", key="add", disabled=full, width="stretch",
               on_click=lambda: add_slot(st.session_state, st.session_state[keys.ADD_CHOICE]),
               help=f"At most {MAX_SLOTS} optimizers at once." if full else None)

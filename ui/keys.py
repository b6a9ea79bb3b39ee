"""Every session-state key of the page, in one place: the widgets, and the code that sets
their values from outside (presets, links, resets, copies), must spell them alike.

A slot's controls live under ``opt{id}.{scope}.{param}`` (``scope`` is the concrete spec,
``adam`` or ``lookahead(adam)``), an optional value's "automatic" box under ``….auto``, a
surface's parameters under ``surf.{surface}.{param}``, a schedule's under
``sched.{schedule}.{param}``."""

from __future__ import annotations

import re

SURFACE = "surface"
FORMULA = "formula"
BOUNDS = ("bounds_x0", "bounds_x1", "bounds_y0", "bounds_y1")  # the typed surface's box
START = ("start_x", "start_y")
STEPS = "steps"
NOISE = "noise"
SEED = "seed"
BATCH_SIZE = "batch_size"  # the batch size last set in a panel: a new panel starts there
SLOT_BATCH = "batch"  # a panel's own batch size, under its slot prefix (ui.keys.slot_batch)
LENGTH_IN = "length_in"  # a data surface's run length: in "steps" or in "epochs"
EPOCHS = "epochs"
SHUFFLE = "shuffle"
DATA_SEED = "data_seed"
CURVE_X = "curve_x"  # the curves' horizontal axis, for mini-batch runs: step or epoch
SCHEDULE = "schedule"
PRESET = "preset"
SLOTS = "slots"
NEXT_SLOT = "next_slot"
ADD_CHOICE = "add_choice"
TRACED_ON = "traced_on"  # the "more optimizers" switch (ui/traced.py)
TRACED = "traced"  # the installed torch optimizer picked there (qualified class name)
NOTICE = "notice"  # a message for the next run (a link or preset that could not be opened)
VIEW_MODE = "view"  # the 2D / 3D switch above the chart
MODE_LABELS = {"2d": "2D contour", "3d": "3D surface"}  # a link's mode → the switch's option
PRESENTATION = "presentation"
LEVELS = "levels"  # contour levels: auto / linear / log
MAIN = "main"  # the switch of the main area: paths or one of the explore views
MAIN_LABELS = {"paths": "Paths", "sweep": "Sweep map", "basin": "Basin map", "ensemble": "Ensemble"}
SWEEP_PICK = "sweep_pick"  # the sweep map's clicked point, for the next run to add as a panel
EXPLORE_MESSAGE = "explore_message"  # what the last click on a map did
OFF = "off"  # SCRUB's and STATE_SLOT's value when none is chosen
SCRUB = "scrub"  # the slot whose hyperparameter the chart's slider varies ("off": none)
SCRUB_PARAM = "scrub_param"  # that hyperparameter
STATE_SLOT = "state_slot"  # the slot whose optimizer state the chart draws ("off": none)
_SURF, _SCHED, _OPT, _EXPLORE = "surf", "sched", "opt", "x"  # prefixes of the parameter keys below


def main_of(label: str | None) -> str:
    """The link's name of the main-area switch's option (``"paths"`` before it is drawn)."""
    return next((m for m, text in MAIN_LABELS.items() if text == label), "paths")


def explore(view: str, *parts: str) -> str:
    """Key of an explore view's control, e.g. ``x.sweep.metric`` or ``x.sweep.adam.lr.lo``
    (a range belongs to its optimizer and hyperparameter, so each keeps its own)."""
    return ".".join((_EXPLORE, view, *parts))


def mode_of(label: str | None) -> str:
    """The link's mode of the 2D / 3D switch's option (``"2d"`` before the switch is drawn)."""
    return next((m for m, text in MODE_LABELS.items() if text == label), "2d")


def surface_param(surface: str, param: str) -> str:
    return f"{_SURF}.{surface}.{param}"


def schedule_param(schedule: str, param: str) -> str:
    return f"{_SCHED}.{schedule}.{param}"


def slot_prefix(sid: int) -> str:
    return f"{_OPT}{sid}."


def slot_suffix(scope: str, param: str) -> str:
    """The part of a slot control's key after :func:`slot_prefix`."""
    return f"{scope}.{param}"


def slot_param(sid: int, scope: str, param: str) -> str:
    """Key of one control of slot ``sid``; ``scope`` separates specs (Lookahead's base
    parameters change with the base, so each base keeps its own values)."""
    return slot_prefix(sid) + slot_suffix(scope, param)


def slot_batch(sid: int) -> str:
    """Key of slot ``sid``'s batch size (copied, reset and removed with its other controls)."""
    return slot_prefix(sid) + SLOT_BATCH


def traced_lr(name: str) -> str:
    """The α of the traced class ``name`` (each class keeps its own)."""
    return f"{TRACED}.{name}.lr"


def traced_option(name: str, keyword: str) -> str:
    """A string setting (e.g. ``line_search_fn``) of the traced class ``name``."""
    return f"{TRACED}.{name}.{keyword}"


def auto(key: str) -> str:
    """The "automatic" box of an optional value (None = automatic) stored under ``key``."""
    return key + ".auto"


def slot_button(action: str, sid: int) -> str:
    """``reset``, ``copy`` or ``remove`` of slot ``sid``."""
    return f"{action}{sid}"


# Values of controls that are not always drawn: another surface's or schedule's parameters, a
# Lookahead base's, the typed formula and its box, the noise and data seeds, the explore views'
# settings, the steps and the epochs (one of them is drawn).
KEPT = re.compile(rf"^({_SURF}\.|{_SCHED}\.|{_OPT}\d+\.|{_EXPLORE}\.|{FORMULA}$|{SEED}$|{DATA_SEED}$|"
                  rf"{STEPS}$|{EPOCHS}$|"
                  + "|".join(f"{k}$" for k in BOUNDS) + ")")

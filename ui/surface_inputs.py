"""The sidebar's surface controls (a registry surface and its parameters, or a typed formula
and its box) and the start point (typed, or reset; a click on the contour is :mod:`ui.click`)."""

from __future__ import annotations

import streamlit as st

from landscapes import ALLOWED_TEXT, LANDSCAPES
from landscapes.formula import MAX_LENGTH

from . import keys
from .controls import param_widget
from .surface import CUSTOM, DEFAULT_BOUNDS, DEFAULT_FORMULA, SurfaceChoice, surface_title
from .viewformat import LEVELS, START_LIMIT

DEFAULT_SURFACE = "rosenbrock"


def surface_inputs(bar) -> tuple[str, dict, str, tuple]:
    """(surface, its parameter values, typed formula, box): the last two for a typed one."""
    state = st.session_state
    bar.header("Surface")
    state.setdefault(keys.SURFACE, DEFAULT_SURFACE)
    surface = bar.selectbox("Surface", [*LANDSCAPES, CUSTOM], key=keys.SURFACE, on_change=reset_start,
                            format_func=surface_title)
    if surface == CUSTOM:
        return surface, {}, *_formula_inputs(bar)
    params = {p.name: param_widget(p, keys.surface_param(surface, p.name), bar)
              for p in LANDSCAPES[surface].params}
    return surface, params, "", ()


def levels_input(bar) -> str:
    """How the contour's levels are spaced: as the surface suggests, or forced linear or log."""
    state = st.session_state
    state.setdefault(keys.LEVELS, "auto")
    return bar.segmented_control("Contour levels", LEVELS, key=keys.LEVELS, required=True,
                                 help="auto: log-spaced where the values span many decades, else "
                                      "linear. log shows the floor of a deep valley; linear the "
                                      "shape of the walls. The link keeps it.")


def _formula_inputs(bar) -> tuple[str, tuple]:
    """The typed formula and the box it is drawn on. Text is parsed safely (never eval'd)
    when the page draws; a mistake is named there and the text stays here to fix."""
    state = st.session_state
    state.setdefault(keys.FORMULA, DEFAULT_FORMULA)
    formula = bar.text_input("f(x, y) =", key=keys.FORMULA, max_chars=MAX_LENGTH,
                             help=f"Allowed: {ALLOWED_TEXT}. ^ also means power.")
    cells = bar.columns(4)
    for cell, label, key, default in zip(cells, ("x from", "x to", "y from", "y to"), keys.BOUNDS,
                                         _flat(DEFAULT_BOUNDS), strict=True):
        state.setdefault(key, default)
        cell.number_input(label, -START_LIMIT, START_LIMIT, step=0.5, format="%g", key=key,
                          on_change=reset_start)
    return formula, _bounds(state)


def _flat(bounds) -> list[float]:
    return [v for pair in bounds for v in pair]


def _bounds(state) -> tuple:
    """The typed surface's box ((x₀, x₁), (y₀, y₁)) as set (defaults before the boxes exist)."""
    x0, x1, y0, y1 = (float(state.get(k, d)) for k, d in zip(keys.BOUNDS, _flat(DEFAULT_BOUNDS), strict=True))
    return (x0, x1), (y0, y1)


def start_inputs(bar) -> tuple[float, float]:
    state = st.session_state
    default = _suggested_start(state)
    state.setdefault(keys.START[0], float(default[0]))
    state.setdefault(keys.START[1], float(default[1]))
    bar.caption("Start point: type it, or click on the contour.")
    left, right, reset = bar.columns([2, 2, 1], vertical_alignment="bottom")
    x = left.number_input("x₀", -START_LIMIT, START_LIMIT, step=0.1, format="%g", key=keys.START[0])
    y = right.number_input("y₀", -START_LIMIT, START_LIMIT, step=0.1, format="%g", key=keys.START[1])
    reset.button("↺", key="reset_start", on_click=reset_start, help="The surface's default start")
    return float(x), float(y)


def reset_start() -> None:
    """Start from the (new) surface's suggested point."""
    x, y = _suggested_start(st.session_state)
    st.session_state[keys.START[0]], st.session_state[keys.START[1]] = round(float(x), 3), round(float(y), 3)


def _suggested_start(state) -> tuple[float, float]:
    return SurfaceChoice(state[keys.SURFACE], bounds=_bounds(state)).start

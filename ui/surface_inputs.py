"""The sidebar's surface controls (a registry surface and its parameters, or a typed formula
and its box) and the start point (typed, reset, or clicked on the contour)."""

from __future__ import annotations

import streamlit as st

from landscapes import ALLOWED_TEXT, LANDSCAPES
from landscapes.formula import MAX_LENGTH

from .config import START_LIMIT
from .controls import param_widget
from .surface import BOUND_KEYS, CUSTOM, DEFAULT_BOUNDS, DEFAULT_FORMULA, SurfaceChoice, surface_title

DEFAULT_SURFACE = "rosenbrock"
RERUN_PAGE = "rerun_page"  # set by a callback inside a fragment that changed the whole view


def surface_inputs(bar) -> tuple[str, dict, str, tuple]:
    """(surface, its parameter values, typed formula, box): the last two for a typed one."""
    state = st.session_state
    bar.header("Surface")
    state.setdefault("surface", DEFAULT_SURFACE)
    surface = bar.selectbox("Surface", [*LANDSCAPES, CUSTOM], key="surface", on_change=reset_start,
                            format_func=surface_title)
    if surface == CUSTOM:
        return surface, {}, *_formula_inputs(bar)
    params = {p.name: param_widget(p, f"surf.{surface}.{p.name}", bar) for p in LANDSCAPES[surface].params}
    return surface, params, "", ()


def _formula_inputs(bar) -> tuple[str, tuple]:
    """The typed formula and the box it is drawn on. Text is parsed safely (never eval'd)
    when the page draws; a mistake is named there and the text stays here to fix."""
    state = st.session_state
    state.setdefault("formula", DEFAULT_FORMULA)
    formula = bar.text_input("f(x, y) =", key="formula", max_chars=MAX_LENGTH,
                             help=f"Allowed: {ALLOWED_TEXT}. ^ also means power.")
    cells = bar.columns(4)
    for cell, label, key, default in zip(cells, ("x from", "x to", "y from", "y to"), BOUND_KEYS,
                                         _flat(DEFAULT_BOUNDS), strict=True):
        state.setdefault(key, default)
        cell.number_input(label, -START_LIMIT, START_LIMIT, step=0.5, format="%g", key=key,
                          on_change=reset_start)
    return formula, _bounds(state)


def _flat(bounds) -> list[float]:
    return [v for pair in bounds for v in pair]


def _bounds(state) -> tuple:
    """The typed surface's box ((x₀, x₁), (y₀, y₁)) as set (defaults before the boxes exist)."""
    x0, x1, y0, y1 = (float(state.get(k, d)) for k, d in zip(BOUND_KEYS, _flat(DEFAULT_BOUNDS), strict=True))
    return (x0, x1), (y0, y1)


def start_inputs(bar) -> tuple[float, float]:
    state = st.session_state
    default = _suggested_start(state)
    state.setdefault("start_x", float(default[0]))
    state.setdefault("start_y", float(default[1]))
    bar.caption("Start point: type it, or click on the contour.")
    left, right, reset = bar.columns([2, 2, 1], vertical_alignment="bottom")
    x = left.number_input("x₀", -START_LIMIT, START_LIMIT, step=0.1, format="%g", key="start_x")
    y = right.number_input("y₀", -START_LIMIT, START_LIMIT, step=0.1, format="%g", key="start_y")
    reset.button("↺", key="reset_start", on_click=reset_start, help="The surface's default start")
    return float(x), float(y)


def reset_start() -> None:
    """Start from the (new) surface's suggested point."""
    x, y = _suggested_start(st.session_state)
    st.session_state["start_x"], st.session_state["start_y"] = round(float(x), 3), round(float(y), 3)


def _suggested_start(state) -> tuple[float, float]:
    return SurfaceChoice(state["surface"], bounds=_bounds(state)).start


def apply_click(state, selection) -> bool:
    """Set the start to the first clicked point of a Plotly selection (kept in range and
    rounded to 3 decimals, as the number boxes show it); an empty selection changes nothing.
    Returns whether the start moved."""
    points = selection.get("points") or []
    if points:
        x, y = (round(min(max(float(points[0][c]), -START_LIMIT), START_LIMIT), 3) for c in "xy")
        state["start_x"], state["start_y"] = x, y
    return bool(points)

"""A click on the contour moves the start. The chart sits in a fragment, which alone would
rerun after its callback; the callback leaves a flag for the fragment, which then reruns the
whole page (every path changed)."""

from __future__ import annotations

import streamlit as st

from . import keys
from .viewformat import START_LIMIT

RERUN_PAGE = "rerun_page"  # set by start_at, read by rerun_page_if_asked


def start_at(x: float, y: float) -> None:
    """The chart's click callback (data coordinates): the clicked position becomes the start.
    The chart sits in a fragment, which alone would rerun; the flag asks it for a whole-page
    rerun."""
    if apply_click(st.session_state, {"points": [{"x": x, "y": y}]}):
        st.session_state[RERUN_PAGE] = True


def apply_click(state, selection) -> bool:
    """Set the start to the first clicked point of a Plotly selection (kept in range and
    rounded to 3 decimals, as the number boxes show it); an empty selection changes nothing.
    Returns whether the start moved."""
    points = selection.get("points") or []
    if points:
        x, y = (round(min(max(float(points[0][c]), -START_LIMIT), START_LIMIT), 3) for c in "xy")
        state[keys.START[0]], state[keys.START[1]] = x, y
    return bool(points)


def rerun_page_if_asked() -> None:
    """Called first in the fragment: rerun the whole page if a callback asked for it."""
    if st.session_state.pop(RERUN_PAGE, False):
        st.rerun(scope="app")

"""The whole page: settings from the sidebar, then the view. Nothing here may show a traceback:
a bad setting gets a message naming it, anything unexpected a message and a log entry, and the
sidebar (everything the user set) stays as it was."""

from __future__ import annotations

import functools
import gc
from dataclasses import replace

import streamlit as st

from . import compute, explore, keys, warm
from .errors import guarded
from .labels import md
from .layout import FORMULA, SIDEBAR_WIDTH, STORY, page_style
from .link import open_link, write_link
from .messages import UNEXPLAINED, for_viewers
from .presets import checked, presets
from .sidebar import load_preset, sidebar
from .state import keep_values
from .surface import CUSTOM
from .view import main_view
from .viewformat import from_settings, same_view

LAST_GOOD = "last_good_surface"  # the last surface that could be drawn: (surface, params, formula, bounds)


@guarded
def _page() -> None:
    open_link()
    # Once per run, with the same value while the mode stays: Streamlit folds or unfolds the
    # sidebar only when the value changes (verified in Chromium, tests/test_browser_ui.py), so
    # a lecturer may still open it while presenting. A width means "shown, this wide".
    presenting = bool(st.session_state.get(keys.PRESENTATION))
    st.set_page_config(page_title="optiviz", page_icon="📉", layout="wide",
                       initial_sidebar_state="collapsed" if presenting else SIDEBAR_WIDTH)
    page_style(presenting)
    keep_values(st.session_state)
    with st.sidebar:  # first in the sidebar: the main area's height stays the chart's (ui.layout)
        main = explore.main_switch()
    settings = sidebar()
    settings, landscape = _drawable(settings)
    if landscape is None:
        return
    explore.prewarm(settings)
    _title(landscape, settings.surface == CUSTOM)
    if notice := st.session_state.pop(keys.NOTICE, None):
        st.warning(md(notice))
    _story(settings)
    if main == "paths":
        main_view(settings, landscape)
    else:
        explore.remember(settings, main)
        explore.explore_view(main, settings, landscape)


def _drawable(settings):
    """(settings, landscape) to draw. While a typed formula or box cannot be drawn, its error
    shows and the last surface that could be drawn stays on screen (the text stays in its box
    to fix; the address keeps the last view that worked)."""
    state = st.session_state
    try:
        landscape = compute.landscape(settings.choice)
    except ValueError as exc:
        reason = for_viewers(exc) or UNEXPLAINED
        st.error(f"This surface can't be drawn: {md(reason)} Fix it in the sidebar; everything else "
                 "you set is kept." + (" The charts show the last surface that worked." if LAST_GOOD in state
                                       else ""))
        if LAST_GOOD not in state:
            return settings, None
        surface, params, formula, bounds = state[LAST_GOOD]
        settings = replace(settings, surface=surface, surface_params=dict(params), formula=formula,
                           bounds=bounds)
        return settings, compute.landscape(settings.choice)
    state[LAST_GOOD] = (settings.surface, tuple(settings.surface_params.items()), settings.formula,
                        settings.bounds)
    write_link(settings)
    return settings, landscape


def _title(landscape, typed: bool) -> None:
    """The surface's name; a typed formula as mathematics (its text is in the sidebar)."""
    st.title(f"{md(landscape.title)}: optimizer paths")
    if typed:
        st.container(key=FORMULA).latex(f"f(x, y) = {landscape.formula_latex}")


def _story(settings) -> None:
    """The loaded preset's story, while the view is still the preset's; once something was
    changed, only a note (the story may no longer hold) and a way back."""
    preset = settings.preset
    if preset is None:
        return
    entry = presets()[preset]
    if same_view(checked(preset), from_settings(settings)):
        st.container(key=STORY).info(f"**{entry['title']}.** {entry['story']}")
        return
    note, back = st.columns([5, 1], vertical_alignment="center")
    note.caption(f"Preset “{entry['title']}” was loaded and has been changed since: its story "
                 "may no longer describe these paths.")
    back.button("Reload preset", key="reload_preset", on_click=load_preset)


def main() -> None:
    with warm.page_run():  # a map's in-server build waits for a quiet moment (ui.warm)
        _page()
    _freeze_once()


@functools.cache
def _freeze_once() -> None:
    """After the process's first run (which imports what the page loads lazily): what is alive
    now (Streamlit, NumPy, SymPy, Plotly, …) lives as long as the process, so it is kept out of
    every later garbage collection. A full one then scans a few thousand objects, not ~170,000
    (40-300 ms with the GIL held: a stall for every session the process serves)."""
    gc.freeze()

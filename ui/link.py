"""The address bar holds the view (``?view=…``, :mod:`ui.viewformat`): a fresh session opens
it, every run writes it back, so a reload or a shared link reopens the view as it is shown."""

from __future__ import annotations

import streamlit as st

from . import keys
from .messages import for_viewers
from .viewformat import DEFAULT_VIEW, LINK_PARAM, apply, decode, encode, from_settings, inside_path

UNREADABLE = ("this optiviz cannot read what it describes. A view link is the page's address as "
              "the page wrote it (…/?view=…), copied whole; the page shows its default view instead.")


def open_link() -> None:
    """A fresh session starts on the view its address describes, else on the default view."""
    state = st.session_state
    if keys.SLOTS in state:
        return
    if LINK_PARAM in st.query_params:
        try:
            apply(state, decode(st.query_params[LINK_PARAM]))
            return
        except Exception as exc:  # noqa: BLE001 (a link is untrusted text: never a broken page)
            state[keys.NOTICE] = f"The link's view could not be restored: {for_viewers(exc) or UNREADABLE}"
    apply(state, DEFAULT_VIEW)


def write_link(settings) -> None:
    """Make the address reopen this view (a :class:`ui.settings.Settings`), with the slider and
    state pickers as they are."""
    config = {**from_settings(settings), **inside_path(st.session_state, settings)}
    st.query_params[LINK_PARAM] = encode(config)


def remember_inside(settings) -> None:
    """After the chart's pickers (the hyperparameter slider, the state), which rerun only their
    fragment: the address gets their choices here (where they changed)."""
    try:
        config = decode(st.query_params[LINK_PARAM])
    except (KeyError, ValueError):  # no link yet: the next page run writes one
        return
    kept = {k: v for k, v in config.items() if k not in ("scrub", "state")}
    new = {**kept, **inside_path(st.session_state, settings)}
    if new != config:
        st.query_params[LINK_PARAM] = encode(new)


def remember_mode() -> None:
    """on_change of the 2D / 3D switch, which reruns only its fragment (not the page that
    writes the link): the new mode goes into the address here."""
    mode = keys.mode_of(st.session_state.get(keys.VIEW_MODE))
    try:
        config = decode(st.query_params[LINK_PARAM])
    except (KeyError, ValueError):  # no link yet: the next page run writes one
        return
    st.query_params[LINK_PARAM] = encode({**config, "mode": mode})

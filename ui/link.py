"""The address bar holds the view (``?view=…``, :mod:`ui.viewformat`): a fresh session opens
it, every run writes it back, so a reload or a shared link reopens the view as it is shown."""

from __future__ import annotations

import streamlit as st

from . import keys
from .messages import for_viewers
from .viewformat import DEFAULT_VIEW, LINK_PARAM, apply, decode, encode, from_settings

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
    """Make the address reopen this view (a :class:`ui.settings.Settings`)."""
    st.query_params[LINK_PARAM] = encode(from_settings(settings))


def remember_mode() -> None:
    """on_change of the 2D / 3D switch, which reruns only its fragment (not the page that
    writes the link): the new mode goes into the address here."""
    mode = keys.mode_of(st.session_state.get(keys.VIEW_MODE))
    try:
        config = decode(st.query_params[LINK_PARAM])
    except (KeyError, ValueError):  # no link yet: the next page run writes one
        return
    st.query_params[LINK_PARAM] = encode({**config, "mode": mode})

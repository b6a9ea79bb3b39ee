"""The whole page: settings from the sidebar, then the view. Nothing here may show a traceback:
a bad setting gets a message naming it, anything unexpected a message and a log entry, and the
sidebar (everything the user set) stays as it was."""

from __future__ import annotations

import streamlit as st

from . import compute, keys
from .errors import LOG, guarded
from .labels import md
from .presets import checked, presets
from .sidebar import load_preset, sidebar
from .state import keep_values
from .view import main_view
from .viewformat import DEFAULT_VIEW, apply, decode, encode, from_settings, same_view

LINK_PARAM = "view"


@guarded
def _page() -> None:
    _open_link()
    keep_values(st.session_state)
    settings = sidebar()
    try:
        landscape = compute.landscape(settings.choice)
    except ValueError as exc:  # a typed formula or box that cannot be drawn
        st.error(f"This surface can't be drawn: {md(str(exc))} Fix it in the sidebar; everything else "
                 "you set is kept.")
        return
    st.query_params[LINK_PARAM] = encode(from_settings(settings))  # the address reopens this view
    st.title(f"{md(landscape.title)}: optimizer paths")
    if notice := st.session_state.pop(keys.NOTICE, None):
        st.warning(md(notice))
    _story(settings)
    main_view(settings, landscape)


def _story(settings) -> None:
    """The loaded preset's story, while the view is still the preset's; once something was
    changed, only a note (the story may no longer hold) and a way back."""
    preset = st.session_state.get(keys.PRESET)
    if preset is None:
        return
    entry = presets()[preset]
    if same_view(checked(preset), from_settings(settings)):
        st.info(f"**{entry['title']}.** {entry['story']}")
        return
    note, back = st.columns([5, 1], vertical_alignment="center")
    note.caption(f"Preset “{entry['title']}” was loaded and has been changed since: its story "
                 "may no longer describe these paths.")
    back.button("Reload preset", key="reload_preset", on_click=load_preset)


def _open_link() -> None:
    """A fresh session starts on the view its address describes, else on the default view."""
    state = st.session_state
    if keys.SLOTS in state:
        return
    if LINK_PARAM in st.query_params:
        try:
            apply(state, decode(st.query_params[LINK_PARAM]))
            return
        except ValueError as exc:
            state[keys.NOTICE] = f"The link's view could not be restored: {exc}"
        except Exception as exc:  # noqa: BLE001 (a link is untrusted text: never a broken page)
            LOG.exception("optiviz: a link failed to open")
            state[keys.NOTICE] = f"The link's view could not be restored ({type(exc).__name__})."
    apply(state, DEFAULT_VIEW)


def main() -> None:
    st.set_page_config(page_title="optiviz", page_icon="📉", layout="wide")
    _page()

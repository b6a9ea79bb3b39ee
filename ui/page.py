"""The whole page: settings from the sidebar, then the view. Nothing here may show a traceback:
a bad setting gets a message naming it, anything unexpected a message and a log entry, and the
sidebar (everything the user set) stays as it was."""

from __future__ import annotations

import streamlit as st

from landscapes import get_landscape

from .errors import guarded
from .sidebar import sidebar
from .view import main_view


@guarded
def _page() -> None:
    settings = sidebar()
    landscape = get_landscape(settings.surface, **settings.surface_params)
    st.title(f"{landscape.title}: optimizer paths")
    main_view(settings, landscape)


def main() -> None:
    st.set_page_config(page_title="optiviz", page_icon="📉", layout="wide")
    _page()

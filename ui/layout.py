"""Page-wide style: less empty space above the charts (a preset's ▶ stays on a 1280×720
screen), and in presentation mode a page that is the story and the chart, in large type."""

from __future__ import annotations

import streamlit as st

_BASE = """
[data-testid="stMainBlockContainer"] { padding-top: 2.5rem; padding-bottom: 2rem; }
[data-testid="stMain"] h1 { font-size: 1.6rem; padding: 0 0 0.25rem 0; }
"""
_PRESENTING = """
[data-testid="stMainBlockContainer"] { padding-top: 0.5rem; padding-left: 1.5rem;
                                        padding-right: 1.5rem; }
[data-testid="stMain"] h1 { font-size: 1.5rem; }
[data-testid="stMain"] [data-testid="stAlertContainer"] p { font-size: 1.15rem; line-height: 1.4; }
"""


def page_style(presenting: bool) -> None:
    st.html(f"<style>{_BASE}{_PRESENTING if presenting else ''}</style>")

"""Page-wide style. The contour sits in a "stage" container whose height follows the browser
window (CSS ``vh``; the server does not know the window's size): on a 1280×720 screen with a
preset's story above it, ▶ and the step slider are in view without scrolling. In presentation
mode the sidebar is folded (:mod:`ui.page`), the page's margins shrink, the story is set in
large type and the stage takes the rest of the window."""

from __future__ import annotations

import streamlit as st

SIDEBAR_WIDTH = 360  # px: labels and choices fit (Streamlit's default is 300)
STAGE = "stage"  # key of the container the contour (or 3D surface) is drawn in, height "stretch"
STORY = "story"  # key of the container of a preset's story
FORMULA = "formula_title"  # key of the container of a typed formula's LaTeX under the title

# Heights: the page's header strip and title, the story box (at most STORY_MAX of the window),
# the 2D/3D switch. The stage gets the rest, within [STAGE_MIN, STAGE_MAX].
_BASE = """
[data-testid="stMainBlockContainer"] { padding-top: 3.5rem; padding-bottom: 2rem; }
[data-testid="stMain"] h1 { font-size: 1.6rem; padding: 0 0 0.2rem 0; }
.st-key-story [data-testid="stAlertContainer"] { max-height: 14vh; overflow-y: auto; padding: 0.5rem 0.9rem; }
.st-key-story p { font-size: 0.92rem; line-height: 1.4; }
div:has(> .st-key-stage) { height: clamp(420px, calc(100vh - 170px), 760px); }
[data-testid="stMain"]:has(.st-key-story) div:has(> .st-key-stage) {
    height: clamp(450px, calc(86vh - 175px), 760px); }
[data-testid="stMain"]:has(.st-key-formula_title) div:has(> .st-key-stage) {
    height: clamp(450px, calc(100vh - 235px), 760px); }
.st-key-formula_title .katex { font-size: 1.3em; }
/* a rerun's stale elements stay as they are: no fade started and cancelled on ~100 elements
   per slider move (15-20 ms of the browser's painting; tests/test_browser_ui.py) */
[data-testid="stElementContainer"][data-stale="true"] { opacity: 1; transition: none; }
"""
_PRESENTING = """
[data-testid="stHeader"] { background: transparent; }
[data-testid="stMainBlockContainer"] { padding: 0.6rem 1.5rem 1rem 1.5rem; }
[data-testid="stMain"] h1 { font-size: 1.35rem; padding-left: 2.6rem; }
.st-key-story [data-testid="stAlertContainer"] { max-height: 16vh; }
.st-key-story p { font-size: clamp(1rem, 1.9vh, 1.6rem); }
div:has(> .st-key-stage) { height: calc(100vh - 125px); }
[data-testid="stMain"]:has(.st-key-story) div:has(> .st-key-stage) { height: calc(84vh - 100px); }
[data-testid="stMain"]:has(.st-key-formula_title) div:has(> .st-key-stage) { height: calc(100vh - 190px); }
"""


def page_style(presenting: bool) -> None:
    st.html(f"<style>{_BASE}{_PRESENTING if presenting else ''}</style>")

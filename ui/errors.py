"""Never a traceback in front of a class: a part of the page that fails shows a message and is
logged, and the rest of the page (and everything the user set) stays. Viewers read only
messages written for them (:mod:`ui.messages`)."""

from __future__ import annotations

import functools

import streamlit as st

from .labels import md
from .messages import UNEXPLAINED, for_viewers

TRY_AGAIN = "Your settings are kept: change one, or reload the page."


def guarded(render):
    """Wrap a render function: an error written for viewers (:func:`for_viewers`) shows its
    own message; anything else a short note that names nothing internal, with the traceback
    in the server log only. Streamlit's own rerun / stop signals are BaseExceptions and pass."""

    @functools.wraps(render)
    def wrapper(*args, **kwargs):
        try:
            return render(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001
            message = for_viewers(exc)
            st.error(md(message) if message is not None else
                     f"This part could not be drawn: {UNEXPLAINED} {TRY_AGAIN}")
        return None

    return wrapper

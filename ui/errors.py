"""Never a traceback in front of a class: a part of the page that fails shows a message and is
logged, and the rest of the page (and everything the user set) stays."""

from __future__ import annotations

import functools
import logging

import streamlit as st

from .labels import md

LOG = logging.getLogger("optiviz")


def guarded(render):
    """Wrap a render function: a ``ValueError`` (a setting outside what is allowed) shows its
    own message, which names the setting; anything else a short note, with the traceback in
    the server log only. Streamlit's own rerun / stop signals are BaseExceptions and pass."""

    @functools.wraps(render)
    def wrapper(*args, **kwargs):
        try:
            return render(*args, **kwargs)
        except ValueError as exc:
            st.error(md(str(exc)))
        except Exception as exc:  # noqa: BLE001
            LOG.exception("optiviz: %s failed", render.__name__)
            st.error(f"Something went wrong drawing this part ({type(exc).__name__}: {md(str(exc))}). "
                     "Your settings are kept: change one, or reload the page.")
        return None

    return wrapper

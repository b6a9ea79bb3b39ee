"""What a viewer may read of an error: only messages written for them. A ``ValueError`` raised
by optiviz's own code names the setting and what is allowed; anything else (its type and its
text) goes to the server log only. No Streamlit here: the command line uses it too."""

from __future__ import annotations

import logging

LOG = logging.getLogger("optiviz")
UNEXPLAINED = "something unexpected went wrong (the details are in the server's log)."
# pyproject.toml's [tool.setuptools] packages and py-modules (tests/test_structure.py checks it)
OWN_MODULES = ("landscapes", "optim_core", "ui", "viz", "app", "optiviz_cli", "paramspec")


def for_viewers(exc: BaseException) -> str | None:
    """``exc``'s message if it was written for viewers: a ``ValueError`` raised in optiviz's own
    code (the innermost frame of its traceback is in one of :data:`OWN_MODULES`). Otherwise
    ``None`` (say :data:`UNEXPLAINED` instead), and the exception with its traceback is logged
    on the server: a library's ``ValueError`` (NumPy's, SymPy's, …) or any other type carries
    internal text."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    module = tb.tb_frame.f_globals.get("__name__", "") if tb is not None else ""
    if isinstance(exc, ValueError) and module.split(".")[0] in OWN_MODULES:
        return str(exc)
    LOG.error("optiviz: unexpected %s", type(exc).__name__, exc_info=exc)
    return None

"""Hand a figure dict to ``st.plotly_chart`` as it is."""

from __future__ import annotations

import plotly.graph_objects as go


class Prebuilt(go.Figure):
    """A figure whose dict is already built (by ``viz.*_spec``, whose output the tests check
    against Plotly's validator). ``st.plotly_chart`` calls ``to_dict()`` and serialises the
    result; a regular Figure would validate every trace of every animation frame on the way
    in and deep-copy them on the way out (33 ms instead of 6 ms for the default animated
contour, measured with its typed arrays)."""

    def __init__(self, spec: dict):
        super().__init__()
        self._spec = spec

    def to_dict(self) -> dict:
        return self._spec

"""The paths chart as an AppTest run sent it: the figure joined from its two elements."""

from __future__ import annotations

import json

from ui.chart import join_figure


def chart_figure(at) -> dict:
    """The figure the page's paths chart draws (contour or 3D)."""
    parts = {e.proto.component_name: json.loads(e.proto.bytes) for e in at.get("bidi_component")}
    return join_figure(parts["optiviz_surface"]["part"], parts["optiviz_chart"]["figure"])

"""The charts as an AppTest run sent them: the paths chart's figure joined from its two elements,
the curves' figures."""

from __future__ import annotations

import json

from ui.chart import join_figure


def chart_figure(at) -> dict:
    """The figure the page's paths chart draws (contour or 3D)."""
    parts = {e.proto.component_name: json.loads(e.proto.bytes) for e in at.get("bidi_component")}
    return join_figure(parts["optiviz_surface"]["part"], parts["optiviz_chart"]["figure"])


def curve_figures(at) -> list[dict]:
    """The figures of the page's still charts (the per-step curves), in page order."""
    return [json.loads(e.proto.bytes)["figure"] for e in at.get("bidi_component")
            if e.proto.component_name == "optiviz_still"]

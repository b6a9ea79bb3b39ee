"""One offline HTML file of an animated figure, for slides: plotly.js and the same step-by-step
animator and hyperparameter slider as the app inlined, the figure as JSON (and for a surface
made from data, the dataset panel beside it). Opens from a file:// address, no server."""

from __future__ import annotations

import html

# Plotly's JSON encoder looks pandas up in sys.modules without importing it: on a server, a
# session whose thread was still importing pandas (Streamlit imports it lazily) left it half
# initialised there, and another session's chart failed ("partially initialized module
# 'pandas' has no attribute 'NaT"; 15 failed reruns in a 50-student load run). Importing it
# here finishes the import before any chart is encoded.
import pandas  # noqa: F401
from plotly.io.json import to_json_plotly
from plotly.offline import get_plotlyjs

from .animation import animator_source
from .dataset import datapanel_source
from .overlays import overlays_source

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>body {{ margin: 16px; font-family: system-ui, sans-serif; color: #262730; }}</style>
</head>
<body>
{charts}
<script>{plotly}</script>
<script>{animator}</script>
<script>{overlays}</script>
<script>
window.OptivizChart.mount(document.getElementById("chart"), {figure}, {options});
</script>{panel}
</body>
</html>
"""


def script_json(value) -> str:
    """JSON of ``value`` (NumPy arrays as typed arrays) that is safe inside a <script> element:
    Plotly's encoder writes "<", "/" and ">" in strings as \\u escapes, so no text can end it."""
    return to_json_plotly(value)


_SIDE_BY_SIDE = ('<div style="display: flex; gap: 16px; align-items: flex-start">'
                 '<div id="chart" style="flex: 3 1 0; min-width: 0"></div>'
                 '<div id="data" style="flex: 2 1 0; min-width: 0"></div></div>')
_PANEL = """
<script>{datapanel}</script>
<script>
window.OptivizData.mount(document.getElementById("data"), {payload}, {{"source": "#chart"}});
</script>"""


def html_document(spec: dict, title: str = "optiviz", presentation: bool = False,
                  panel: dict | None = None) -> str:
    """The page: ``spec`` (a ``*_spec`` figure, animated or not) drawn with its replay
    controls; ``presentation`` fills the window with larger text. ``panel`` (a
    :func:`viz.dataset.dataset_replay`) draws the dataset beside it, following the replay."""
    extra = "" if panel is None else _PANEL.format(datapanel=datapanel_source(), payload=script_json(panel))
    return _PAGE.format(title=html.escape(title), plotly=get_plotlyjs(), animator=animator_source(),
                        overlays=overlays_source(),
                        figure=script_json(spec), options=script_json({"presentation": presentation}),
                        charts='<div id="chart"></div>' if panel is None else _SIDE_BY_SIDE, panel=extra)

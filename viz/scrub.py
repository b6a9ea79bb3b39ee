"""The scrubbed path: one path drawn for the value of a hyperparameter chosen on a slider inside
the chart, morphing in the browser as the slider moves, among the M paths of one
:func:`optim_core.scrub` run sent with the figure.

:func:`add_scrub` appends the morphing traces (an outline, the line, its end point) to a figure
and puts the M paths in ``layout.meta.optiviz_scrub``; ``viz/overlays.js`` draws the slider and
restyles those three traces when it moves (no server round trip). :func:`scrub_figure` is the
notebook's version: Plotly's own slider, with each value's path in its step."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from .colors import outline_for
from .figures import contour_spec
from .overlays import SCRUB_KEY
from .series import compact_array, kept_rows, typed_array

META_KEY = SCRUB_KEY
WIDTH = 3.5  # px of the scrubbed line (an outline of 1.5 px each side under it)
DASH = "7px,4px"  # the outline shows in the gaps: it never reads as the optimizer's own path


def nearest_index(values: np.ndarray, value: float | None) -> int:
    """The index of the value nearest ``value`` (on a log scale where all are positive); the
    middle one when ``value`` is None."""
    if value is None:
        return len(values) // 2
    if value > 0 and np.all(values > 0):
        return int(np.argmin(np.abs(np.log(values) - np.log(value))))
    return int(np.argmin(np.abs(values - value)))


def add_scrub(spec: dict, scrub, *, color: str = "#222222", current: float | None = None,
              label: str = "") -> dict:
    """Append to ``spec`` (a 2D ``*_spec`` figure) the path of ``scrub`` (an
    :class:`optim_core.ScrubResult`) at the value nearest ``current`` (the sidebar's value,
    marked on the slider), and every value's path in the figure's meta for the browser.

    The meta holds ``values`` (M,), ``x`` and ``y`` (M, R) (row-major; path i is its first
    ``lengths[i]`` rows: up to divergence), the three trace indices, the first ``index``, and
    the texts (``symbol``, ``name``, ``current``). Returns ``spec``."""
    res, values = scrub.result, np.asarray(scrub.values, dtype=np.float64)
    lengths = np.array([kept_rows(res, j) for j in range(len(values))])
    index = nearest_index(values, current)
    name = f"{label or res.label}: {scrub.spec.symbol} slider"
    x, y = res.path[:, :, 0].T, res.path[:, :, 1].T
    n = lengths[index]
    first = len(spec["data"])
    # every point drawn, as the browser's redraws while dragging draw them (Plotly would drop
    # points in line with their neighbours)
    common = {"type": "scatter", "legendgroup": META_KEY, "hoverinfo": "skip"}
    spec["data"] += [
        {**common, "mode": "lines", "x": x[index, :n], "y": y[index, :n], "showlegend": False,
         "line": {"color": outline_for(color), "width": WIDTH + 3, "simplify": False}},
        {**common, "mode": "lines", "x": x[index, :n], "y": y[index, :n], "name": name,
         "line": {"color": color, "width": WIDTH, "dash": DASH, "simplify": False}},
        {**common, "mode": "markers", "x": x[index, n - 1:n], "y": y[index, n - 1:n], "showlegend": False,
         "marker": {"symbol": "diamond", "size": 13, "color": color,
                    "line": {"color": outline_for(color), "width": 2}}},
    ]
    layout = spec.setdefault("layout", {})
    layout["meta"] = {**layout.get("meta", {}), META_KEY: {
        "traces": [first, first + 1, first + 2], "values": typed_array(values, "f8"),
        "x": compact_array(x), "y": compact_array(y), "lengths": typed_array(lengths, "i4"),
        "rows": int(x.shape[1]), "index": index, "current": current,
        "symbol": scrub.spec.symbol, "param": scrub.param, "name": label or res.label,
    }}
    return spec


def scrub_figure(landscape, scrub, results: Sequence = (), *, color: str = "#222222",
                 current: float | None = None, label: str = "", **contour_options) -> go.Figure:
    """For notebooks: :func:`viz.contour_spec` of ``results`` with the scrubbed path and Plotly's
    own slider under the chart (one step per value, each carrying its path)."""
    spec = add_scrub(contour_spec(landscape, results, **contour_options), scrub, color=color,
                     current=current, label=label)
    meta = spec["layout"]["meta"][META_KEY]
    res, traces = scrub.result, meta["traces"]
    steps = []
    for i, value in enumerate(scrub.values):
        n = kept_rows(res, i)
        x, y = res.path[:n, i, 0], res.path[:n, i, 1]
        steps.append({"method": "restyle", "label": f"{value:.3g}",
                      "args": [{"x": [x, x, x[-1:]], "y": [y, y, y[-1:]]}, traces]})
    spec["layout"]["sliders"] = [{"active": meta["index"], "steps": steps, "pad": {"t": 40},
                                  "currentvalue": {"prefix": f"{scrub.spec.symbol} = "}}]
    return go.Figure(spec)

"""The dataset panel of a surface made from data: its samples as a small scatter and, for every
trajectory, the model at that trajectory's point θ = (x, y) (a fit line, a probability curve or
a decision boundary, as the surface's :class:`landscapes.data.Picture` declares).

:func:`dataset_spec` draws the fits at one recorded row (the last by default: the final fits);
:func:`dataset_replay` adds what the browser needs to follow the paths' replay
(``viz/datapanel.js``): each fit trace's θ per recorded row and the picture's grid, so showing
row k restyles only the fit traces."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import plotly.graph_objects as go

from .animation import replay_steps
from .figures import FONT_SIZE, colors_for
from .series import compact_array, typed_array

DATAPANEL_JS = Path(__file__).with_name("datapanel.js")
# Samples in greys (the fits wear the paths' colours): a class by its symbol.
CLASS_MARKERS = ({"symbol": "circle-open", "color": "#6b6b6b", "size": 7},
                 {"symbol": "diamond", "color": "#2b2b2b", "size": 7})
SAMPLE_MARKER = {"color": "rgba(90, 90, 90, 0.55)", "size": 6}
_MARGIN = {"l": 10, "r": 10, "t": 36, "b": 10}


def picture_of(landscape):
    """The surface's :class:`~landscapes.data.Picture`, or None for a surface without data."""
    return getattr(landscape, "picture", None)


def datapanel_source() -> str:
    """The panel's JavaScript (defines ``window.OptivizData``)."""
    return DATAPANEL_JS.read_text(encoding="utf-8")


def dataset_figure(landscape, results: Sequence = (), **options) -> go.Figure:
    """:func:`dataset_spec` as a validated figure."""
    return go.Figure(dataset_spec(landscape, results, **options))


def dataset_spec(landscape, results: Sequence = (), *, colors: Sequence[str] | None = None,
                 row: int = -1, height: int = 300, font_size: int = FONT_SIZE) -> dict:
    """The samples (in greys; classes by symbol, in the legend), then one fit per trajectory of
    every result at recorded ``row`` (−1: the last) in the result's colour, as its path on the
    contour. A surface without data raises ``ValueError``."""
    picture = picture_of(landscape)
    if picture is None:
        raise ValueError(f"surface '{landscape.name}' is not made from data: it has no dataset to draw.")
    colors = colors_for(results, colors)
    x, y, cls = picture.samples(landscape.data)
    hover = f"{picture.x_label} = %{{x:.4g}}<br>{picture.y_label} = %{{y:.4g}}<extra></extra>"
    if cls is None:
        data = [_samples(x, y, "samples", SAMPLE_MARKER, hover)]
    else:
        data = [_samples(x[cls == k], y[cls == k], name, marker, hover)
                for k, (name, marker) in enumerate(zip(picture.classes, CLASS_MARKERS, strict=True))]
    for res, color in zip(results, colors, strict=True):
        for j in range(res.path.shape[1]):
            theta = res.path[row, j]  # a diverged path stays at its last finite point
            xs, ys = picture.fit(landscape.data, theta)
            data.append({"type": "scatter", "x": xs, "y": ys, "mode": "lines", "name": res.label,
                         "showlegend": False, "cliponaxis": True,
                         "line": {"color": color, "width": 3}, "hoverinfo": "skip"})
    (x0, x1), (y0, y1) = picture.box(landscape.data)
    layout = {"height": height, "margin": _MARGIN, "font": {"size": font_size},
              "title": {"text": "Data and fit", "x": 0.0, "xanchor": "left",
                        "font": {"size": round(font_size * 4 / 3)}},
              "xaxis": {"title": {"text": picture.x_label}, "range": [x0, x1], "zeroline": False,
                        "automargin": True},
              "yaxis": {"title": {"text": picture.y_label}, "range": [y0, y1], "zeroline": False,
                        "automargin": True},
              "showlegend": cls is not None,
              "legend": {"orientation": "h", "x": 1.0, "xanchor": "right", "y": 1.02,
                         "yanchor": "bottom"}}
    return {"data": data, "layout": layout}


def _samples(x, y, name: str, marker: dict, hover: str) -> dict:
    return {"type": "scatter", "x": x, "y": y, "mode": "markers", "name": name, "marker": marker,
            "hovertemplate": hover}


def dataset_replay(landscape, results: Sequence, **options) -> dict | None:
    """:func:`dataset_spec` at the last row plus ``replay``: ``kind``, ``link``, ``grid`` (the
    picture's), ``first`` (the first fit trace) and ``theta`` (one (R, 2) typed array per fit
    trace, in trace order; float32 where it holds the values, as the paths on the contour);
    None for a surface without data."""
    picture = picture_of(landscape)
    if picture is None:
        return None
    spec = dataset_spec(landscape, results, **options)
    steps = replay_steps(results)
    # row k of the replay is step steps[k]: a path that records fewer steps (a larger batch in
    # epochs) shows its last point at or before that step
    rows = [np.searchsorted(res.step, steps, side="right") - 1 for res in results]
    thetas = [res.path[r, j] for res, r in zip(results, rows, strict=True) for j in range(res.path.shape[1])]
    return {"figure": spec, "replay": {
        "kind": picture.kind, "link": picture.link,
        "grid": typed_array(picture.grid(landscape.data)),
        "first": len(spec["data"]) - len(thetas),
        "theta": [compact_array(t) for t in thetas]}}

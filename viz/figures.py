"""Figures of a landscape and the paths run on it: the 2D contour (replayed step by step in the
browser, ``viz.animation``) and the 3D surface. No Streamlit here: notebooks, exports and the app share
these builders. Every drawn position and level is finite; a loss that is not (a start where
f is undefined) shows as NaN in the hover text only.

Each figure is first a plain dict (``*_spec``), which the app hands to the browser as it is
(Plotly's per-property validation and deep copies of an animated figure cost more than the
run itself); ``*_figure`` wraps the same dict in a validated ``go.Figure`` for notebooks,
exports and tests."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from .animation import animate
from .series import compact_array, display_values, hover_rows, kept_rows, typed_array

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2",
           "#17becf", "#bcbd22", "#7f7f7f")
CLICK_GRID_NAME = "click to start here"
_OPAQUE = {"marker": {"opacity": 1.0}}  # a click selects a point; nothing else may fade
_MARGIN = {"l": 10, "r": 10, "t": 40, "b": 10}
_HOVER = ("%{fullData.name}<br>step %{customdata[0]}<br>(%{x:.4g}, %{y:.4g})<br>"
          "f = %{customdata[1]:.4g}<extra></extra>")


def colors_for(results: Sequence, colors: Sequence[str] | None) -> list[str]:
    """One colour per result: the given ones, else the palette in order."""
    if colors is None:
        colors = [PALETTE[i % len(PALETTE)] for i in range(len(results))]
    if len(colors) != len(results):
        raise ValueError(f"{len(results)} results but {len(colors)} colours.")
    return list(colors)


def surface_grid(landscape, resolution: int = 200):
    """(xs, ys, z) on the landscape's display bounds; z is finite (see below)."""
    resolution = int(min(max(resolution, 10), 300))
    (x0, x1), (y0, y1) = landscape.bounds
    xs, ys = np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution)
    z = landscape.f(np.stack(np.meshgrid(xs, ys), axis=-1))
    finite = np.isfinite(z)
    if not finite.all():  # −∞ draws as the lowest finite value; +∞ and undefined as the highest
        low, high = (z[finite].min(), z[finite].max()) if finite.any() else (0.0, 0.0)
        z = np.where(finite, z, np.where(np.isneginf(z), low, high))
    return xs, ys, z


def contour_figure(landscape, results: Sequence = (), **options) -> go.Figure:
    """:func:`contour_spec` as a validated figure."""
    return go.Figure(contour_spec(landscape, results, **options))


def contour_spec(landscape, results: Sequence = (), *, colors: Sequence[str] | None = None,
                 resolution: int = 150, height: int = 600, animated: bool = False,
                 click_grid: int = 0, grid=None) -> dict:
    """Contour of the landscape (log levels where it asks for them), its minima, and every
    trajectory of every result: a line with markers, the start circled, the last point as a
    dot, a diverged end as an × with its step.

    ``animated`` marks the moving traces for the browser's step-by-step replay
    (:func:`viz.animation.animate`).
    ``click_grid > 0`` lays an invisible ``click_grid``² grid of points over the
    surface so that a click anywhere reports a position (the app's click-to-start).
    ``grid`` reuses a precomputed :func:`surface_grid`.
    """
    colors = colors_for(results, colors)
    xs, ys, z = grid if grid is not None else surface_grid(landscape, resolution)
    shown, label = display_values(landscape, z, z)
    data = [{"type": "contour", "x": xs, "y": ys, "z": compact_array(shown), "ncontours": 30,
             "colorscale": "Viridis", "opacity": 0.7, "colorbar": {"title": {"text": label}},
             "hoverinfo": "skip", "contours": {"showlines": False}}]
    if click_grid > 0:
        gx, gy = np.meshgrid(np.linspace(xs[0], xs[-1], click_grid),
                             np.linspace(ys[0], ys[-1], click_grid))
        hidden = {"marker": {"opacity": 0.0}}
        data.append({"type": "scatter", "x": typed_array(gx.ravel(), "f4"),
                     "y": typed_array(gy.ravel(), "f4"), "mode": "markers",
                     "name": CLICK_GRID_NAME, "showlegend": False, "hoverinfo": "none",
                     "marker": {"size": 8, "opacity": 0.0}, "selected": hidden,
                     "unselected": hidden})
    if landscape.minima:
        mx, my = np.array(landscape.minima).T
        data.append({"type": "scatter", "x": mx, "y": my, "mode": "markers", "name": "minimum",
                     "unselected": _OPAQUE, "hovertemplate": "minimum (%{x:.4g}, %{y:.4g})<extra></extra>",
                     "marker": {"symbol": "star", "size": 16, "color": "white",
                                "line": {"color": "black", "width": 1}}})
    pairs = zip(results, colors, strict=True)
    moving = [_path_traces(data, res, color, _width(i), landscape.bounds)
              for i, (res, color) in enumerate(pairs)]
    (x0, x1), (y0, y1) = landscape.bounds
    layout = {
        "height": height, "margin": _MARGIN, "hovermode": "closest",
        "xaxis": {"range": [x0, x1], "title": {"text": "x"}, "constrain": "domain", "showgrid": False},
        "yaxis": {"range": [y0, y1], "title": {"text": "y"}, "scaleanchor": "x", "scaleratio": 1,
                  "constrain": "domain", "showgrid": False},
        "legend": {"orientation": "h", "x": 0.0, "y": 1.01, "yanchor": "bottom"},
    }
    spec = {"data": data, "layout": layout}
    if animated and results:
        animate(layout, results, moving)
    return spec


def _width(i: int) -> float:
    """Line width of the i-th result: the first three nested (8, 5, 2.5 px), so paths that run
    together (down the same valley) show as stripes instead of hiding each other."""
    return (8.0, 5.0, 2.5)[i] if i < 3 else 1.5


def _path_traces(data: list, res, color: str, width: float, bounds) -> list[tuple[int, int]]:
    """Append one result's traces to ``data``; return (trace index, trajectory) of each path
    line, then (trace index, −1) of the last-point markers: the traces an animation moves."""
    moving = []
    for j in range(res.path.shape[1]):
        keep = kept_rows(res, j)
        moving.append((len(data), j))
        data.append({
            "type": "scatter", "x": compact_array(res.path[:keep, j, 0]),
            "y": compact_array(res.path[:keep, j, 1]),
            "mode": "lines+markers", "name": res.label, "legendgroup": res.label,
            "showlegend": j == 0, "line": {"color": color, "width": width},
            "marker": {"size": min(width, 4.0)},
            "unselected": _OPAQUE, "hovertemplate": _HOVER,
            "customdata": hover_rows(res, slice(keep), j),
        })
    marker = {"type": "scatter", "mode": "markers", "showlegend": False, "hoverinfo": "skip",
              "legendgroup": res.label, "unselected": _OPAQUE}
    starts = res.path[0]
    data.append({**marker, "x": starts[:, 0], "y": starts[:, 1],
                 "marker": {"symbol": "circle-open", "size": 15, "color": color, "line": {"width": 3}}})
    ends = np.array([res.path[kept_rows(res, j) - 1, j] for j in range(res.path.shape[1])])
    moving.append((len(data), -1))
    data.append({**marker, "x": ends[:, 0], "y": ends[:, 1],
                 "marker": {"size": 12, "color": color, "line": {"color": "white", "width": 1.5}}})
    diverged = np.flatnonzero(res.diverged_at >= 0)
    if diverged.size:
        # A path that blew up usually left the chart first: its × goes on the edge, toward
        # where its last finite point lies, and says so.
        (x0, x1), (y0, y1) = bounds
        shown = np.clip(ends[diverged], [x0, y0], [x1, y1])
        off = np.any(shown != ends[diverged], axis=1)
        data.append({
            **marker, "mode": "markers+text", "x": shown[:, 0], "y": shown[:, 1],
            "text": [f"diverged at step {int(res.diverged_at[j])}" + (" (off the chart)" if o else "")
                     for j, o in zip(diverged, off, strict=True)],
            "textposition": "top center", "textfont": {"color": "white", "size": 15},
            "marker": {"symbol": "x", "size": 18, "color": color, "line": {"color": "white", "width": 1}},
        })
    return moving


def surface3d_figure(landscape, results: Sequence = (), **options) -> go.Figure:
    """:func:`surface3d_spec` as a validated figure."""
    return go.Figure(surface3d_spec(landscape, results, **options))


def surface3d_spec(landscape, results: Sequence = (), *, colors: Sequence[str] | None = None,
                   resolution: int = 120, height: int = 600, animated: bool = False,
                   grid=None) -> dict:
    """The surface in 3D (same log scale as the contour where it asks for one) with every path
    lifted onto it. ``grid`` reuses a precomputed :func:`surface_grid`; ``animated`` as in
    :func:`contour_spec`."""
    colors = colors_for(results, colors)
    xs, ys, z = grid if grid is not None else surface_grid(landscape, resolution)
    shown, label = display_values(landscape, z, z)
    data = [{"type": "surface", "x": xs, "y": ys, "z": compact_array(shown),
             "colorscale": "Viridis", "opacity": 0.75, "showscale": False, "hoverinfo": "skip"}]
    # Lifted above the surface: the mesh between grid points cuts across a narrow valley
    # floor, and would hide a path that runs exactly along it.
    lift = 0.03 * float(np.ptp(shown) or 1.0)
    moving = []
    for res, color in zip(results, colors, strict=True):
        moving.append([(len(data) + j, j) for j in range(res.path.shape[1])])
        for j in range(res.path.shape[1]):
            keep = kept_rows(res, j)
            path, loss = res.path[:keep, j], res.loss[:keep, j]
            ok = np.isfinite(loss)
            heights, _ = display_values(landscape, loss[ok], z)
            data.append({
                "type": "scatter3d", "x": path[ok, 0], "y": path[ok, 1], "z": heights + lift,
                "mode": "lines+markers", "name": res.label, "legendgroup": res.label,
                "showlegend": j == 0, "line": {"color": color, "width": 6},
                "marker": {"size": 2.5, "color": color}, "hovertemplate": _HOVER,
                "customdata": hover_rows(res, np.flatnonzero(ok), j),
            })
    layout = {"height": height, "margin": _MARGIN,
              "legend": {"orientation": "h", "x": 0.0, "y": 1.01, "yanchor": "bottom"},
              "scene": {"xaxis": {"title": {"text": "x"}}, "yaxis": {"title": {"text": "y"}},
                        "zaxis": {"title": {"text": label}},
                        "aspectratio": {"x": 1, "y": 1, "z": 0.6},
                        "camera": {"eye": {"x": 0.3, "y": -2.0, "z": 2.0}}}}  # from the front, high
    if animated and results:
        animate(layout, results, moving)
    return {"data": data, "layout": layout}

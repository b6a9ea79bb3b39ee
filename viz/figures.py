"""Figures for a landscape and the paths run on it. No Streamlit here: notebooks, exports and
the app share these builders. Only finite numbers reach a figure."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

PALETTE = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2",
           "#17becf", "#bcbd22", "#7f7f7f")


def surface_grid(landscape, resolution: int = 200):
    """(xs, ys, z) on the landscape's display bounds; z is finite (overflow capped)."""
    resolution = int(min(max(resolution, 10), 300))
    (x0, x1), (y0, y1) = landscape.bounds
    xs, ys = np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution)
    z = landscape.f(np.stack(np.meshgrid(xs, ys), axis=-1))
    finite = np.isfinite(z)
    if not finite.all():
        z = np.where(finite, z, np.nanmax(np.where(finite, z, -np.inf)) if finite.any() else 0.0)
    return xs, ys, z


def _display_levels(landscape, z: np.ndarray) -> tuple[np.ndarray, str]:
    """Log-scaled values for surfaces that ask for them: log10(f − f_min + 1e-3·range)."""
    if not landscape.log_contours:
        return z, "f(x, y)"
    floor = landscape.min_value if landscape.min_value is not None else float(z.min())
    span = float(z.max() - floor) or 1.0
    return np.log10(np.maximum(z - floor, 0.0) + 1e-3 * span), "log₁₀(f − f*)"


def contour_figure(landscape, results: Sequence = (), *, resolution: int = 200,
                   height: int = 600) -> go.Figure:
    """Contour of the landscape, its minima, and every trajectory of every result."""
    xs, ys, z = surface_grid(landscape, resolution)
    shown, label = _display_levels(landscape, z)
    fig = go.Figure(go.Contour(
        x=xs, y=ys, z=shown, ncontours=30, colorscale="Viridis", opacity=0.9,
        colorbar={"title": {"text": label}}, hoverinfo="skip", contours={"showlines": False},
    ))
    if landscape.minima:
        mx, my = np.array(landscape.minima).T
        fig.add_trace(go.Scatter(x=mx, y=my, mode="markers", name="minimum",
                                 marker={"symbol": "star", "size": 14, "color": "white",
                                         "line": {"color": "black", "width": 1}}))
    for i, res in enumerate(results):
        _add_paths(fig, res, PALETTE[i % len(PALETTE)])
    (x0, x1), (y0, y1) = landscape.bounds
    fig.update_layout(
        height=height, margin={"l": 10, "r": 10, "t": 30, "b": 10},
        xaxis={"range": [x0, x1], "title": "x"},
        yaxis={"range": [y0, y1], "title": "y", "scaleanchor": "x", "scaleratio": 1},
        legend={"orientation": "h", "y": -0.08},
    )
    return fig


def _add_paths(fig: go.Figure, res, color: str) -> None:
    for j in range(res.path.shape[1]):
        path = res.path[:, j]
        d = int(res.diverged_at[j])
        keep = len(path) if d < 0 else int(np.searchsorted(res.step, d))
        path = path[:max(keep, 1)]
        first = j == 0
        fig.add_trace(go.Scatter(
            x=path[:, 0], y=path[:, 1], mode="lines+markers", name=res.label,
            legendgroup=res.label, showlegend=first, line={"color": color, "width": 2.5},
            marker={"size": 4}, customdata=np.stack([res.step[:len(path)],
                                                     res.loss[:len(path), j]], axis=-1),
            hovertemplate="%{fullData.name}<br>step %{customdata[0]}<br>"
                          "(%{x:.4g}, %{y:.4g})<br>f = %{customdata[1]:.4g}<extra></extra>",
        ))
        fig.add_trace(go.Scatter(
            x=path[:1, 0], y=path[:1, 1], mode="markers", showlegend=False,
            legendgroup=res.label, hoverinfo="skip",
            marker={"symbol": "circle-open", "size": 12, "color": color, "line": {"width": 3}},
        ))
        if d >= 0:
            fig.add_trace(go.Scatter(
                x=path[-1:, 0], y=path[-1:, 1], mode="markers+text", showlegend=False,
                text=[f"diverged at step {d}"], textposition="top center",
                legendgroup=res.label, marker={"symbol": "x", "size": 14, "color": color},
            ))


def loss_figure(results: Sequence, *, height: int = 300) -> go.Figure:
    """Loss versus step (log y where all losses are positive), one line per trajectory."""
    fig = go.Figure()
    positive = True
    for i, res in enumerate(results):
        color = PALETTE[i % len(PALETTE)]
        for j in range(res.loss.shape[1]):
            d = int(res.diverged_at[j])
            keep = len(res.step) if d < 0 else max(int(np.searchsorted(res.step, d)), 1)
            loss, steps = res.loss[:keep, j], res.step[:keep]
            finite = np.isfinite(loss)  # a start where f itself is not finite is left out
            loss, steps = loss[finite], steps[finite]
            positive &= bool(np.all(loss > 0))
            fig.add_trace(go.Scatter(x=steps, y=loss, mode="lines", name=res.label,
                                     legendgroup=res.label, showlegend=j == 0,
                                     line={"color": color}))
    fig.update_layout(height=height, margin={"l": 10, "r": 10, "t": 30, "b": 10},
                      xaxis={"title": "step"},
                      yaxis={"title": "f", "type": "log" if positive else "linear"})
    return fig

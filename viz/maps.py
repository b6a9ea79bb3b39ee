"""Figures of the explorer's results (:mod:`optim_core.explore`): the sweep map with the
heavy-ball theory over it, basin maps side by side, and noisy ensembles (spread on the contour,
loss quantiles against the step). Pure: results in, Plotly figures out (``*_spec``: the plain
dict; ``*_figure``: the same as a validated ``go.Figure``). Grids travel as binary typed arrays.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from .curves import x_values
from .figures import colors_for, contour_spec
from .series import compact_array, typed_array

# Outcome colours, distinct from Viridis (the sweep's scale) and from the basin colours.
DIVERGED_COLOR = "#d62728"
NOT_REACHED_COLOR = "#bdbdbd"
# One hue per minimum, light enough to be shaded toward white by the steps taken.
BASIN_COLORS = ("#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf",
                "#bcbd22")
BASIN_DIVERGED, BASIN_NONE = "#000000", "#d9d9d9"
SHADE = 0.9  # the share of a basin category's z range used by its shading by steps
LOSS_FLOOR = 1e-16  # log₁₀ of a loss gap that rounds to 0 or below
_MARGIN = {"l": 10, "r": 10, "t": 50, "b": 10}
SWEEP_METRICS = ("final_loss", "steps_to_tol", "diverged_at")  # what may colour a sweep map


def _axis_title(spec) -> str:
    return f"{spec.symbol} ({spec.name})"


def _sweep_values(sw, metric: str) -> tuple[np.ndarray, str]:
    """The coloured quantity: log₁₀ of the final loss gap (f itself if f* is unknown) or the
    steps to tol (NaN where the cell diverged or never reached tol); or the step a cell diverged
    at (NaN where it never did)."""
    bad = sw.diverged_at >= 0
    if metric == "final_loss":
        if sw.min_value is None:
            values, title = sw.final_loss.astype(np.float64), "final f"
        else:
            values = np.log10(np.maximum(sw.final_loss - sw.min_value, LOSS_FLOOR))
            title = "log₁₀(f − f*) at the end"
    elif metric == "steps_to_tol":
        values, title = sw.steps_to_tol.astype(np.float64), f"steps to {sw.criterion}"
        bad = bad | (sw.steps_to_tol < 0)
    elif metric == "diverged_at":
        values, title = sw.diverged_at.astype(np.float64), "diverged at step"
        bad = sw.diverged_at < 0
    else:
        raise ValueError(f"metric must be one of {', '.join(SWEEP_METRICS)}; got {metric!r}.")
    return np.where(bad, np.nan, values), title


def _mask_heatmap(mask: np.ndarray, x, y, color: str, name: str, hover: str) -> dict:
    """Cells where ``mask`` holds in one flat colour, in the legend as ``name``."""
    return {"type": "heatmap", "x": x, "y": y, "z": typed_array(np.where(mask, 1.0, np.nan)),
            "colorscale": [[0, color], [1, color]], "showscale": False, "hoverongaps": False,
            "name": name, "showlegend": True, "hovertemplate": hover}


def sweep_map_spec(sw, metric: str = "final_loss", *, rho=None, height: int = 600) -> dict:
    """The sweep as a heatmap (two axes) or a line (one axis) coloured by ``metric`` (one of
    :data:`SWEEP_METRICS`); diverged cells in red, cells that never reached tol (for the
    steps) in grey; coloured by the step of divergence, the cells that never diverged in grey.
    Axes are logarithmic where the hyperparameter's spec is.

    ``rho``: a theoretical rate shaped like the grid (e.g. :func:`optim_core.heavy_ball_rate`
    on the axes' values), drawn as labelled contours with the ρ = 1 boundary in black.
    """
    values, title = _sweep_values(sw, metric)
    names = list(sw.axes)
    specs = [sw.specs[n] for n in names]
    custom = compact_array(np.stack([sw.final_loss, sw.steps_to_tol, sw.diverged_at], axis=-1))
    if rho is not None:
        rho = np.asarray(rho, dtype=np.float64)
        if rho.shape != values.shape:
            raise ValueError(f"rho must be shaped like the sweep {values.shape}; got {rho.shape}.")
    detail = ("final f = %{customdata[0]:.4g}<br>steps to tol = %{customdata[1]} (−1: never)"
              "<br>diverged at = %{customdata[2]} (−1: never)<extra></extra>")
    if len(names) == 1:
        return _sweep_line(sw, values, title, specs[0], custom, detail, rho, height)
    (s1, s2), (v1, v2) = specs, list(sw.axes.values())
    at = f"{s2.symbol} = %{{x:.4g}}<br>{s1.symbol} = %{{y:.4g}}<br>"
    data = [{"type": "heatmap", "x": v2, "y": v1, "z": compact_array(values), "name": title,
             "colorscale": "Viridis", "colorbar": {"title": {"text": title}}, "hoverongaps": False,
             "customdata": custom, "hovertemplate": at + detail}]
    if metric == "diverged_at":
        data.append(_mask_heatmap(sw.diverged_at < 0, v2, v1, NOT_REACHED_COLOR, "never diverged",
                                  at + "never diverged<extra></extra>"))
    else:
        data.append(_mask_heatmap(sw.diverged_at >= 0, v2, v1, DIVERGED_COLOR, "diverged",
                                  at + "diverged at step %{customdata}<extra></extra>"))
        data[-1]["customdata"] = compact_array(sw.diverged_at)
    if metric == "steps_to_tol":
        never = (sw.steps_to_tol < 0) & (sw.diverged_at < 0)
        data.append(_mask_heatmap(never, v2, v1, NOT_REACHED_COLOR, "tol never reached",
                                  at + "tol never reached<extra></extra>"))
    if rho is not None:
        data += _rho_contours(v2, v1, rho)
    layout = {
        "height": height, "margin": _MARGIN, "title": {"text": _sweep_title(sw)},
        "xaxis": {"title": {"text": _axis_title(s2)}, "type": "log" if s2.log else "linear"},
        "yaxis": {"title": {"text": _axis_title(s1)}, "type": "log" if s1.log else "linear"},
        "legend": {"orientation": "h", "x": 0.0, "y": 1.0, "yanchor": "bottom"},
    }
    return {"data": data, "layout": layout}


def _rho_contours(x, y, rho: np.ndarray) -> list[dict]:
    white, black = [[0, "white"], [1, "white"]], [[0, "black"], [1, "black"]]
    common = {"type": "contour", "x": x, "y": y, "z": compact_array(rho), "showscale": False,
              "hoverinfo": "skip"}
    return [
        {**common, "name": "ρ (theory)", "colorscale": white, "line": {"width": 1},
         "contours": {"coloring": "lines", "start": 0.5, "end": 0.9, "size": 0.1,
                      "showlabels": True, "labelfont": {"color": "white"}}},
        {**common, "name": "ρ = 1 (theory)", "showlegend": True, "colorscale": black,
         "line": {"width": 3, "dash": "dash"},
         "contours": {"coloring": "lines", "start": 1.0, "end": 1.0, "size": 1.0}},
    ]


def _sweep_title(sw) -> str:
    return (f"{sw.optimizer.display_name} on {sw.landscape}: {sw.steps} steps from "
            f"({sw.start[0]:.3g}, {sw.start[1]:.3g})")


def _sweep_line(sw, values, title, spec, custom, detail, rho, height) -> dict:
    v = next(iter(sw.axes.values()))
    at = f"{spec.symbol} = %{{x:.4g}}<br>"
    data = [{"type": "scatter", "x": v, "y": values, "mode": "lines+markers", "name": title,
             "customdata": custom, "hovertemplate": at + detail}]
    gone = np.flatnonzero(sw.diverged_at >= 0)
    if gone.size:
        floor = np.nanmin(values) if np.isfinite(values).any() else 0.0
        data.append({"type": "scatter", "x": v[gone], "y": np.full(gone.size, floor),
                     "mode": "markers", "name": "diverged (drawn at the lowest value)",
                     "marker": {"symbol": "x", "size": 10, "color": DIVERGED_COLOR},
                     "customdata": sw.diverged_at[gone],
                     "hovertemplate": at + "diverged at step %{customdata}<extra></extra>"})
    layout = {"height": height, "margin": _MARGIN, "title": {"text": _sweep_title(sw)},
              "xaxis": {"title": {"text": _axis_title(spec)}, "type": "log" if spec.log else "linear"},
              "yaxis": {"title": {"text": title}},
              "legend": {"orientation": "h", "x": 0.0, "y": 1.0, "yanchor": "bottom"}}
    if rho is not None:
        data.append({"type": "scatter", "x": v, "y": rho, "yaxis": "y2", "mode": "lines",
                     "name": "ρ (theory)", "line": {"color": "black", "dash": "dash"}})
        layout["yaxis2"] = {"title": {"text": "ρ (theory)"}, "overlaying": "y", "side": "right"}
    return {"data": data, "layout": layout}


def sweep_map_figure(sw, metric: str = "final_loss", **options) -> go.Figure:
    """:func:`sweep_map_spec` as a validated figure."""
    return go.Figure(sweep_map_spec(sw, metric, **options))


# --------------------------------------------------------------------------------------------
# Basins


def _tint(color: str, amount: float) -> str:
    """``color`` moved ``amount`` (0..1) of the way to white."""
    rgb = np.array([int(color[i:i + 2], 16) for i in (1, 3, 5)], dtype=float)
    r, g, b = np.round(rgb + (255 - rgb) * amount).astype(int)
    return f"rgb({r},{g},{b})"


def basin_colorscale(n_minima: int) -> list:
    """Category c (0: diverged, 1: none reached, 2 + i: minimum i) owns z in [c, c + SHADE]:
    its full colour at c (reached at once), 75 % toward white at c + SHADE (reached last)."""
    colors = [BASIN_DIVERGED, BASIN_NONE, *(BASIN_COLORS[i % len(BASIN_COLORS)]
                                             for i in range(n_minima))]
    n = len(colors)
    scale = []
    for c, color in enumerate(colors):
        scale += [[c / n, _tint(color, 0.0)], [(c + SHADE) / n, _tint(color, 0.75)]]
    return [*scale, [1.0, _tint(colors[-1], 0.75)]]


def basin_z(bs, slowest: int) -> np.ndarray:
    """The heatmap value of each start: category + SHADE · log(1 + steps) / log(1 + slowest)."""
    shade = np.where(bs.steps_to_tol >= 0, np.log1p(np.maximum(bs.steps_to_tol, 0)), 0.0)
    return bs.label + 2 + SHADE * shade / np.log1p(max(slowest, 1))


def basin_map_spec(results: Sequence, *, height: int = 520) -> dict:
    """Basin maps side by side, one per result of :func:`optim_core.basins` (same surface):
    each start coloured by the minimum it reached first (black: diverged, grey: none within
    tol), lighter the more steps it took (one log scale for all panels, so shades compare)."""
    if not results:
        raise ValueError("basin_map_spec needs at least one basin result.")
    minima = results[0].minima
    if any(r.minima != minima for r in results):
        raise ValueError("basin maps side by side must be of the same surface (same minima).")
    slowest = max(int(r.steps_to_tol.max()) for r in results)
    n = len(minima) + 2
    scale = basin_colorscale(len(minima))
    gap = 0.04
    width = (1 - gap * (len(results) - 1)) / len(results)
    data, layout = [], {"height": height, "margin": _MARGIN, "hovermode": "closest",
                        "legend": {"orientation": "h", "x": 0.0, "y": -0.08, "yanchor": "top"}}
    hover = ("start (%{x:.3g}, %{y:.3g})<br>reached minimum %{customdata[0]} "
             "(−1: none, −2: diverged)<br>at step %{customdata[1]}<extra></extra>")
    for k, bs in enumerate(results):
        suffix = "" if k == 0 else str(k + 1)
        data.append({"type": "heatmap", "x": bs.x, "y": bs.y,
                     "z": compact_array(basin_z(bs, slowest)), "zmin": 0, "zmax": n,
                     "colorscale": scale, "showscale": False, "name": bs.optimizer.display_name,
                     "xaxis": f"x{suffix}", "yaxis": f"y{suffix}",
                     "customdata": typed_array(np.stack([bs.label, bs.steps_to_tol], axis=-1), "i4"),
                     "hovertemplate": hover})
        mx, my = np.array(minima).T
        data.append({"type": "scatter", "x": mx, "y": my, "mode": "markers", "showlegend": False,
                     "xaxis": f"x{suffix}", "yaxis": f"y{suffix}", "hoverinfo": "skip",
                     "marker": {"symbol": "star", "size": 14, "color": "white",
                                "line": {"color": "black", "width": 1}}})
        left = k * (width + gap)
        layout[f"xaxis{suffix}"] = {"domain": [left, left + width], "title": {"text": "x"},
                                    "range": [bs.x[0], bs.x[-1]], "constrain": "domain"}
        layout[f"yaxis{suffix}"] = {"title": {"text": "y" if k == 0 else ""},
                                    "range": [bs.y[0], bs.y[-1]], "scaleanchor": f"x{suffix}",
                                    "constrain": "domain"}
        layout.setdefault("annotations", []).append(
            {"text": f"{bs.optimizer.display_name}: {bs.steps} steps, tol {bs.tol:g}",
             "x": left + width / 2, "y": 1.0, "xref": "paper", "yref": "paper",
             "xanchor": "center", "yanchor": "bottom", "showarrow": False})
    names = ["diverged", "no minimum within tol",
             *(f"minimum {i} ({x:.3g}, {y:.3g})" for i, (x, y) in enumerate(minima))]
    for c, name in enumerate(names):  # legend entries: each category's full colour
        color = scale[2 * c][1]
        data.append({"type": "scatter", "x": [None], "y": [None], "mode": "markers", "name": name,
                     "marker": {"symbol": "square", "size": 12, "color": color}})
    return {"data": data, "layout": layout}


def basin_map_figure(results: Sequence, **options) -> go.Figure:
    """:func:`basin_map_spec` as a validated figure."""
    return go.Figure(basin_map_spec(results, **options))


# --------------------------------------------------------------------------------------------
# Ensembles


def _rgba(color: str, alpha: float) -> str:
    r, g, b = (int(color[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


def spread_ellipses(mean: np.ndarray, cov: np.ndarray, k: float = 1.0, points: int = 24) -> np.ndarray:
    r"""Outlines of the k-σ ellipses :math:`\{\mu + k L u : \lVert u\rVert = 1\}`
    (:math:`\Sigma = L L^\top`, by eigen-decomposition) of each (mean, cov) pair, as one (E·(points + 2), 2)
    polyline with NaN rows between ellipses (each closed)."""
    angle = np.linspace(0.0, 2 * np.pi, points + 1)
    circle = np.stack([np.cos(angle), np.sin(angle)], axis=-1)
    w, v = np.linalg.eigh(cov)
    root = v * np.sqrt(np.maximum(w, 0.0))[:, None, :]  # (E, 2, 2): Σ = root rootᵀ
    rings = mean[:, None, :] + k * np.einsum("eij,pj->epi", root, circle)
    gaps = np.full((len(mean), 1, 2), np.nan)
    return np.concatenate([rings, gaps], axis=1).reshape(-1, 2)


def ensemble_path_spec(landscape, ensembles: Sequence, *, colors: Sequence[str] | None = None,
                       labels: Sequence[str] | None = None, ellipses: int = 40, k: float = 1.0,
                       height: int = 600) -> dict:
    """The surface's contour with each ensemble's mean path and its spread: the k-σ ellipses of
    the members' positions at ``ellipses`` evenly spaced steps, filled, so they form a band."""
    colors = colors_for(ensembles, colors)
    labels = labels or [e.run.label for e in ensembles]
    spec = contour_spec(landscape, height=height)
    for ens, color, label in zip(ensembles, colors, labels, strict=True):
        rows = np.unique(np.linspace(0, len(ens.step) - 1, min(ellipses, len(ens.step))).astype(int))
        ring = spread_ellipses(ens.mean[rows], ens.cov[rows], k)
        spec["data"].append({"type": "scatter", "x": ring[:, 0], "y": ring[:, 1], "mode": "lines",
                             "fill": "toself", "fillcolor": _rgba(color, 0.25),
                             "line": {"color": _rgba(color, 0.6), "width": 1},
                             "name": f"{label}: {k:g}σ spread", "legendgroup": label,
                             "hoverinfo": "skip"})
        spec["data"].append({"type": "scatter", "x": compact_array(ens.mean[:, 0]),
                             "y": compact_array(ens.mean[:, 1]), "mode": "lines",
                             "name": f"{label}: mean of {ens.run.path.shape[1]}",
                             "legendgroup": label, "line": {"color": color, "width": 3},
                             "customdata": ens.step,
                             "hovertemplate": "step %{customdata}<br>mean (%{x:.4g}, %{y:.4g})"
                                              "<extra></extra>"})
    return spec


def ensemble_path_figure(landscape, ensembles: Sequence, **options) -> go.Figure:
    """:func:`ensemble_path_spec` as a validated figure."""
    return go.Figure(ensemble_path_spec(landscape, ensembles, **options))


def ensemble_loss_spec(ensembles: Sequence, *, colors: Sequence[str] | None = None,
                       labels: Sequence[str] | None = None, height: int = 400, x: str = "step") -> dict:
    """Loss quantiles against ``x`` ("step", or "epoch" for mini-batch runs): a band between each
    symmetric pair of quantiles (the outermost palest) and a line for the middle one; log y when
    every quantile is > 0."""
    colors = colors_for(ensembles, colors)
    labels = labels or [e.run.label for e in ensembles]
    data = []
    positive = True
    for ens, color, label in zip(ensembles, colors, labels, strict=True):
        q, lq = ens.quantiles, ens.loss_quantiles
        xs = x_values(ens.run, x)
        positive &= bool(np.all(lq > 0))
        for i in range(len(q) // 2):
            lo, hi = lq[i], lq[len(q) - 1 - i]
            name = f"{label}: {q[i]:g}–{q[len(q) - 1 - i]:g} quantiles"
            data.append({"type": "scatter", "x": xs, "y": compact_array(hi), "mode": "lines",
                         "line": {"width": 0}, "legendgroup": label, "showlegend": False,
                         "name": name, "hoverinfo": "skip"})
            data.append({"type": "scatter", "x": xs, "y": compact_array(lo), "mode": "lines",
                         "fill": "tonexty", "fillcolor": _rgba(color, 0.15 + 0.15 * i),
                         "line": {"width": 0}, "legendgroup": label, "name": name,
                         "hoverinfo": "skip"})
        if len(q) % 2:
            mid = len(q) // 2
            data.append({"type": "scatter", "x": xs, "y": compact_array(lq[mid]),
                         "mode": "lines", "line": {"color": color, "width": 2},
                         "legendgroup": label, "name": f"{label}: {q[mid]:g} quantile",
                         "hovertemplate": f"{x} %{{x:.4~g}}<br>f = %{{y:.4g}}<extra></extra>"})
    layout = {"height": height, "margin": _MARGIN, "xaxis": {"title": {"text": x}},
              "yaxis": {"title": {"text": "f"}, "type": "log" if positive else "linear"},
              "legend": {"orientation": "h", "x": 0.0, "y": 1.0, "yanchor": "bottom"}}
    return {"data": data, "layout": layout}


def ensemble_loss_figure(ensembles: Sequence, **options) -> go.Figure:
    """:func:`ensemble_loss_spec` as a validated figure."""
    return go.Figure(ensemble_loss_spec(ensembles, **options))

"""Figures of a landscape and the paths run on it: the 2D contour (replayed step by step in the
browser, ``viz.animation``) and the 3D surface. No Streamlit here: notebooks, exports and the app share
these builders. Every drawn position and level is finite; a loss that is not (a start where
f is undefined) shows as NaN in the hover text only.

The 2D surface is a picture (:mod:`viz.raster`) under the axes, with a colour bar beside it:
animation frames never touch it. Its bands come from :mod:`viz.levels`, its colours and the
paths' from :mod:`viz.colors`. Paths that run together stay visible: each has an outline in a
layer beneath all paths; paths that cover less of the box lie above those that cover more; the
three lowest have nested widths (stripes where they coincide), the others dashes; every start
and end marker lies above every path, and the minima's stars above them.

Each figure is first a plain dict (``*_spec``), which the app hands to the browser as it is
(Plotly's per-property validation and deep copies of an animated figure cost more than the
run itself); ``*_figure`` wraps the same dict in a validated ``go.Figure`` for notebooks,
exports and tests."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from .animation import HEAD, REVEALED, animate
from .colors import DARK_OUTLINE, PALETTE, outline_for, rgb_hex
from .levels import Levels, choose_levels, log_heights, spans_decades
from .raster import PIXELS, band_colors, band_png, data_uri, finite_surface, pixel_grid
from .series import compact_array, hover_rows, kept_rows

LEVELS_NAME = "levels"  # the invisible trace that carries the colour bar
FONT_SIZE = 12  # Plotly's default; presentation mode passes 18 or more
FONT_SIZE_3D = 14
_OPAQUE = {"marker": {"opacity": 1.0}}  # a click selects a point; nothing else may fade
_MARGIN = {"l": 10, "r": 10, "t": 40, "b": 10}
_HOVER = ("%{fullData.name}<br>step %{customdata[0]}<br>(%{x:.4g}, %{y:.4g})<br>"
          "f = %{customdata[1]:.4g}<extra></extra>")
_WIDTHS = (9.0, 5.5, 2.5)  # nested: where the first three coincide they show as stripes
_DASHES = ("6px,4px", "2px,3px", "8px,3px,2px,3px", "12px,4px", "3px,6px")  # the 4th path on
_OUTLINE = 1.5  # px of outline on each side of a path


def colors_for(results: Sequence, colors: Sequence[str] | None) -> list[str]:
    """One colour per result: the given ones, else the palette in order."""
    if colors is None:
        colors = [PALETTE[i % len(PALETTE)] for i in range(len(results))]
    if len(colors) != len(results):
        raise ValueError(f"{len(results)} results but {len(colors)} colours.")
    return list(colors)


def surface_grid(landscape, resolution: int = 200):
    """(xs, ys, z) on the landscape's display bounds; z is finite (−∞ drawn as the lowest
    finite value, +∞ and undefined as the highest)."""
    resolution = int(min(max(resolution, 10), 300))
    (x0, x1), (y0, y1) = landscape.bounds
    xs, ys = np.linspace(x0, x1, resolution), np.linspace(y0, y1, resolution)
    return xs, ys, finite_surface(landscape.f(np.stack(np.meshgrid(xs, ys), axis=-1)))


def surface_levels(landscape, z: np.ndarray, scale: str = "auto") -> Levels:
    """The contour levels of the landscape from its values ``z`` on the box."""
    return choose_levels(z, scale, landscape.min_value)


def band_colorscale(levels: Levels) -> list:
    """A stepped Plotly colour scale over [0, count]: band k is flat from k/count to (k+1)/count."""
    n = levels.count
    scale = []
    for k, rgb in enumerate(band_colors(levels)):
        scale += [[k / n, rgb_hex(rgb)], [(k + 1) / n, rgb_hex(rgb)]]
    return scale


def smooth_colorscale(levels: Levels) -> list:
    """The bands' colours as a continuous Plotly colour scale over [0, count], each band's colour
    at its middle (the 3D mesh interpolates colours across a cell; steps would stripe it)."""
    n = levels.count
    colors = [rgb_hex(rgb) for rgb in band_colors(levels)]
    return [[0.0, colors[0]], *[[(k + 0.5) / n, c] for k, c in enumerate(colors)], [1.0, colors[-1]]]


def surface_image(landscape, levels: Levels, pixels: int = PIXELS) -> str:
    """The bands of the landscape on its box, as a PNG data URI (see :mod:`viz.raster`); the
    last :data:`_IMAGES_KEPT` are kept, so a slider move redraws the paths, not the surface."""
    key = (str(landscape.expr), landscape.bounds, tuple(levels.edges), int(pixels))
    with _IMAGES_LOCK:
        if key in _IMAGES:
            _IMAGES.move_to_end(key)
            return _IMAGES[key]
    _, _, z = pixel_grid(landscape, pixels)
    uri = data_uri(band_png(z, levels))
    with _IMAGES_LOCK:
        _IMAGES[key] = uri
        while len(_IMAGES) > _IMAGES_KEPT:
            _IMAGES.popitem(last=False)
    return uri


_IMAGES: OrderedDict[tuple, str] = OrderedDict()
_IMAGES_KEPT = 32
_IMAGES_LOCK = threading.Lock()


def contour_figure(landscape, results: Sequence = (), **options) -> go.Figure:
    """:func:`contour_spec` as a validated figure."""
    return go.Figure(contour_spec(landscape, results, **options))


def contour_spec(landscape, results: Sequence = (), *, colors: Sequence[str] | None = None,
                 resolution: int = 150, height: int = 600, animated: bool = False,
                 grid=None, scale: str = "auto",
                 font_size: int = FONT_SIZE, pixels: int = PIXELS) -> dict:
    """The surface's contour bands (a picture under the axes, levels by ``scale``: "auto",
    "linear" or "log", see :mod:`viz.levels`), its minima, and every trajectory of every
    result: a line with markers, the start circled, the last point as a dot, a diverged end
    as an × with its step.

    ``animated`` marks the moving traces for the browser's step-by-step replay
    (:func:`viz.animation.animate`).
    ``grid`` reuses a precomputed :func:`surface_grid` (the values the levels are chosen from);
    ``font_size`` sets every chart text; ``pixels`` is the picture's longer side.
    """
    colors = colors_for(results, colors)
    xs, ys, z = grid if grid is not None else surface_grid(landscape, resolution)
    levels = surface_levels(landscape, z, scale)
    (x0, x1), (y0, y1) = landscape.bounds
    data = [_colorbar(levels, x0, y0, font_size)]
    moving, at = _path_traces(data, results, colors, landscape.bounds)
    if landscape.minima:  # after the paths: a path's end never hides a star
        mx, my = np.array(landscape.minima).T
        data.append({"type": "scatter", "x": mx, "y": my, "mode": "markers", "name": "minimum",
                     "unselected": _OPAQUE, "hovertemplate": "minimum (%{x:.4g}, %{y:.4g})<extra></extra>",
                     "marker": {"symbol": "star", "size": 18, "color": "white",
                                "line": {"color": "black", "width": 1.5}}})
    layout = {
        "height": height, "margin": _MARGIN, "hovermode": "closest", "font": {"size": font_size},
        "images": [{"source": surface_image(landscape, levels, pixels), "xref": "x", "yref": "y",
                    "x": x0, "y": y1, "sizex": x1 - x0, "sizey": y1 - y0, "xanchor": "left",
                    "yanchor": "top", "sizing": "stretch", "layer": "below"}],
        # The plot keeps x and y to scale and hugs the colour bar on its right.
        "xaxis": {"range": [x0, x1], "title": {"text": "x"}, "constrain": "domain",
                  "constraintoward": "right", "showgrid": False, "zeroline": False, "ticks": "outside"},
        "yaxis": {"range": [y0, y1], "title": {"text": "y"}, "scaleanchor": "x", "scaleratio": 1,
                  "constrain": "domain", "constraintoward": "top", "showgrid": False,
                  "zeroline": False, "ticks": "outside"},
        "legend": {"orientation": "h", "x": 0.0, "y": 1.01, "yanchor": "bottom"},
    }
    spec = {"data": data, "layout": layout}
    if animated and results:
        animate(layout, results, moving, at)
    return spec


def _colorbar(levels: Levels, x: float, y: float, font_size: int) -> dict:
    """An invisible one-point trace whose only job is the colour bar of the bands: each band a
    flat step, labelled with its edges (every other one past ten bands)."""
    every = 1 if levels.count <= 10 else 2
    ticks = np.arange(levels.count + 1)[::every]
    hidden = {"marker": {"opacity": 0.0}}
    return {"type": "scatter", "x": [x], "y": [y], "mode": "markers", "showlegend": False,
            "hoverinfo": "skip", "name": LEVELS_NAME, "selected": hidden, "unselected": hidden,
            "marker": {"size": 1, "opacity": 0.0, "color": [0.0], "cmin": 0, "cmax": levels.count,
                       "colorscale": band_colorscale(levels), "showscale": True,
                       "colorbar": {"title": {"text": "f(x, y)", "side": "right"},
                                    "x": 1.0, "xanchor": "left", "xpad": 4, "thickness": 18,
                                    "tickmode": "array", "tickvals": ticks.tolist(),
                                    "ticktext": number_labels(levels.edges[ticks]),
                                    "outlinewidth": 0, "tickfont": {"size": font_size}}}}


def number_labels(values, digits: int = 3) -> list[str]:
    """Numbers as text, with the fewest significant digits (``digits`` or more) that tell them
    apart; powers of ten as 10ⁿ beyond 10⁴ and below 10⁻³."""
    for shown in range(digits, 10):
        labels = [_number(float(v), shown) for v in values]
        if len(set(labels)) == len(labels):
            break
    return labels


def _number(value: float, digits: int) -> str:
    if value == 0 or 1e-3 <= abs(value) < 1e4:
        return np.format_float_positional(value, precision=digits, fractional=False, trim="-")
    mantissa, exponent = f"{value:.{digits - 1}e}".split("e")
    mantissa = mantissa.rstrip("0").rstrip(".") if "." in mantissa else mantissa
    power = "10" + str(int(exponent)).translate(str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹"))
    if mantissa in ("1", "-1"):
        return mantissa[:-1] + power
    return f"{mantissa}·{power}"


def _line_style(i: int, color: str) -> dict:
    """The line of the result in layer i (see :func:`stacking`): nested widths for the three
    lowest (wide to thin), dashes from the fourth on (the paths beneath show through the gaps)."""
    style = {"color": color, "width": _WIDTHS[i] if i < len(_WIDTHS) else _WIDTHS[-1]}
    if i >= len(_WIDTHS):
        style["dash"] = _DASHES[(i - len(_WIDTHS)) % len(_DASHES)]
    return style


def stacking(results: Sequence, bounds) -> list[int]:
    """The layer of each result, 0 at the bottom: paths that cover more of the box lie beneath
    (and are drawn wider) those that cover less, so a path that stays in a small region is
    never buried under one that passes through it; ties keep the results' order. A result's
    cover is the diagonal of its drawn points' bounding box, relative to the box's."""
    (x0, x1), (y0, y1) = bounds
    cover = []
    for res in results:
        points = np.concatenate([res.path[:kept_rows(res, j), j] for j in range(res.path.shape[1])])
        points = np.clip(points, [x0, y0], [x1, y1])
        cover.append(float(np.hypot(*(np.ptp(points, axis=0) / [x1 - x0, y1 - y0]))))
    order = sorted(range(len(results)), key=lambda i: (-round(cover[i], 3), i))
    return [order.index(i) for i in range(len(results))]


def _path_traces(data: list, results: Sequence, colors: Sequence[str], bounds) -> tuple[list, dict]:
    """Append every result's traces to ``data`` in layers: all outlines, then all path lines
    (by :func:`stacking`), then all start, end and divergence markers (no path hides another's
    end). Return, per result, the traces an animation moves: (trace index, trajectory) of each
    outline and path line, then (trace index, HEAD) of its last-point markers and (trace
    index, REVEALED) of its divergence marks; and the step of each divergence mark's points."""
    layers = stacking(results, bounds)
    styles = [_line_style(layer, color) for layer, color in zip(layers, colors, strict=True)]
    order = np.argsort(layers, kind="stable")
    moving, at = [[] for _ in results], {}
    for i in order:
        moving[i] += _outline_traces(data, results[i], styles[i])
    for i in order:
        moving[i] += _line_traces(data, results[i], styles[i], rank=i + 1)
    for i in order:
        moving[i] += _marker_traces(data, results[i], styles[i]["color"], bounds, at)
    return moving, at


def _outline_traces(data: list, res, style: dict) -> list[tuple[int, int]]:
    """Append an outline under each path of one result (white on dark colours, near-black on
    light ones); return (trace index, trajectory) of each."""
    outline = {**style, "color": outline_for(style["color"]), "width": style["width"] + 2 * _OUTLINE}
    moving = []
    for j in range(res.path.shape[1]):
        keep = kept_rows(res, j)
        moving.append((len(data), j))
        data.append({"type": "scatter", "x": compact_array(res.path[:keep, j, 0]),
                     "y": compact_array(res.path[:keep, j, 1]), "mode": "lines",
                     "legendgroup": res.label, "showlegend": False, "hoverinfo": "skip",
                     "line": outline, "unselected": _OPAQUE})
    return moving


def _line_traces(data: list, res, style: dict, rank: int) -> list[tuple[int, int]]:
    """Append one result's path lines, listed ``rank``-th in the legend (the results' order,
    whatever the layers), after its drawn points' dotted lines where it has them
    (``res.drawn``: Schedule-Free's average x beside the gradient point y); return
    (trace index, trajectory) of each (the path lines last: their ends carry the markers)."""
    moving = []
    drawn = getattr(res, "drawn", None)
    for j in range(res.path.shape[1] if drawn is not None else 0):
        keep = kept_rows(res, j)
        moving.append((len(data), j))
        data.append({
            "type": "scatter", "x": compact_array(drawn[:keep, j, 0]),
            "y": compact_array(drawn[:keep, j, 1]), "mode": "lines",
            "name": f"{res.label}: average x", "legendgroup": res.label, "showlegend": j == 0,
            "legendrank": rank, "line": {**style, "dash": "dot"}, "unselected": _OPAQUE,
            "hovertemplate": "average x (%{x:.4g}, %{y:.4g})<extra></extra>",
        })
    for j in range(res.path.shape[1]):
        keep = kept_rows(res, j)
        moving.append((len(data), j))
        data.append({
            "type": "scatter", "x": compact_array(res.path[:keep, j, 0]),
            "y": compact_array(res.path[:keep, j, 1]),
            "mode": "lines+markers", "name": res.label, "legendgroup": res.label,
            "showlegend": j == 0, "legendrank": rank, "line": style,
            "marker": {"size": min(style["width"], 4.0), "color": style["color"]},
            "unselected": _OPAQUE, "hovertemplate": _HOVER,
            "customdata": hover_rows(res, slice(keep), j),
        })
    return moving


def _marker_traces(data: list, res, color: str, bounds, at: dict) -> list[tuple[int, int]]:
    """Append one result's start circles, last-point dots and divergence marks; return
    [(trace index, HEAD)] of the last-point dots and (trace index, REVEALED) of the marks, each
    mark shown from the step its path stopped at (set in ``at``)."""
    ring = outline_for(color)
    marker = {"type": "scatter", "mode": "markers", "showlegend": False, "hoverinfo": "skip",
              "legendgroup": res.label, "unselected": _OPAQUE}
    starts = res.path[0]
    data.append({**marker, "x": starts[:, 0], "y": starts[:, 1],
                 "marker": {"symbol": "circle-open", "size": 15, "color": color, "line": {"width": 3}}})
    ends = np.array([res.path[kept_rows(res, j) - 1, j] for j in range(res.path.shape[1])])
    moving = [(len(data), HEAD)]
    data.append({**marker, "x": ends[:, 0], "y": ends[:, 1],
                 "marker": {"size": 11, "color": color, "line": {"color": ring, "width": 2}}})
    diverged = np.flatnonzero(res.diverged_at >= 0)
    if diverged.size:
        # A path that blew up usually left the chart first: its × goes on the edge, toward
        # where its last finite point lies, and says so.
        (x0, x1), (y0, y1) = bounds
        shown = np.clip(ends[diverged], [x0, y0], [x1, y1])
        off = np.any(shown != ends[diverged], axis=1)
        at[len(data)] = res.diverged_at[diverged]
        moving.append((len(data), REVEALED))
        data.append({
            **marker, "mode": "markers+text", "x": shown[:, 0], "y": shown[:, 1],
            "text": [f"diverged at step {int(res.diverged_at[j])}" + (" (off the chart)" if o else "")
                     for j, o in zip(diverged, off, strict=True)],
            "textposition": "top center", "textfont": {"color": DARK_OUTLINE, "size": 15},
            "marker": {"symbol": "x", "size": 18, "color": color, "line": {"color": ring, "width": 1}},
        })
    return moving


def surface3d_figure(landscape, results: Sequence = (), **options) -> go.Figure:
    """:func:`surface3d_spec` as a validated figure."""
    return go.Figure(surface3d_spec(landscape, results, **options))


def heights3d(landscape, z: np.ndarray, levels: Levels):
    """(height function, z-axis title) of the 3D view: log₁₀(f − f_min + δ) where the levels
    are log ones, or where they are automatic and the surface asks for log contours (or leaves
    it open and its values span decades); f itself otherwise."""
    hint = landscape.log_contours
    log = levels.scale == "log" or (levels.scale == "auto" and (
        hint or (hint is None and spans_decades(z, levels.edges[0]))))
    if log:
        return (lambda v: log_heights(v, levels)), "log₁₀(f − f_min)"
    return (lambda v: np.asarray(v, dtype=float)), "f(x, y)"


def inside_prefix(points: np.ndarray, box: np.ndarray) -> int:
    """How many leading points of a path ``points`` (n, d) lie inside ``box`` (d, 2): the path
    is drawn up to where it first leaves the box."""
    inside = np.all((points >= box[:, 0]) & (points <= box[:, 1]), axis=1)
    return len(points) if inside.all() else int(np.argmin(inside))


def surface3d_spec(landscape, results: Sequence = (), *, colors: Sequence[str] | None = None,
                   resolution: int = 120, height: int = 600, grid=None, scale: str = "auto",
                   font_size: int = FONT_SIZE_3D, animated: bool = False) -> dict:
    """The surface in 3D, coloured with the contour's bands, with every path lifted onto it.
    The scene is the landscape's box: z spans the surface's heights (log ones where
    :func:`heights3d` says so), and a path that leaves the box is cut where it leaves (the
    rest would stretch the axes to where it escaped). ``grid`` reuses a precomputed
    :func:`surface_grid`; ``font_size`` sets every chart text (axis titles drawn at about the
    same size); ``animated`` as in :func:`contour_spec`."""
    colors = colors_for(results, colors)
    xs, ys, z = grid if grid is not None else surface_grid(landscape, resolution)
    levels = surface_levels(landscape, z, scale)
    height_of, label = heights3d(landscape, z, levels)
    shown = height_of(z)
    low, high = float(shown.min()), float(shown.max())
    span = high - low or 1.0
    # Lifted above the surface: the mesh between grid points cuts across a narrow valley
    # floor, and would hide a path that runs exactly along it.
    lift = 0.03 * span
    (x0, x1), (y0, y1) = landscape.bounds
    box = np.array([[x0, x1], [y0, y1], [low - 0.02 * span, high + lift + 0.02 * span]])
    data = [{"type": "surface", "x": xs, "y": ys, "z": compact_array(shown),
             "surfacecolor": compact_array(levels.position(z)), "cmin": 0, "cmax": levels.count,
             "colorscale": smooth_colorscale(levels), "opacity": 0.9, "showscale": False,
             "hoverinfo": "skip"}]
    moving, at = [], {}
    for i, (res, color) in enumerate(zip(results, colors, strict=True)):
        moving.append([(len(data) + j, j) for j in range(res.path.shape[1])])
        for j in range(res.path.shape[1]):
            keep = kept_rows(res, j)
            rows = np.flatnonzero(np.isfinite(res.loss[:keep, j]))
            points = np.column_stack([res.path[rows, j], height_of(res.loss[rows, j]) + lift])
            rows = rows[:inside_prefix(points, box)]
            drawn = points[:len(rows)]
            if not np.array_equal(rows, np.arange(len(rows))):  # rows left out: replay by step
                at[len(data)] = res.step[rows]
            data.append({
                "type": "scatter3d", "x": drawn[:, 0], "y": drawn[:, 1], "z": drawn[:, 2],
                "mode": "lines+markers", "name": res.label, "legendgroup": res.label,
                "showlegend": j == 0,
                "line": {"color": color, "width": 9 if i == 0 else 6},
                "marker": {"size": 3, "color": color},
                "hovertemplate": _HOVER, "customdata": hover_rows(res, rows, j),
            })

    def axis(text: str, bounds) -> dict:
        # gl3d draws axis titles smaller than tick labels of the same nominal size
        return {"title": {"text": text, "font": {"size": round(1.6 * font_size)}}, "range": list(bounds),
                "tickfont": {"size": font_size}, "showspikes": False, "nticks": 6}

    layout = {"height": height, "margin": {"l": 0, "r": 0, "t": 30, "b": 0}, "font": {"size": font_size},
              "legend": {"orientation": "h", "x": 0.0, "y": 1.0, "yanchor": "bottom"},
              "scene": {"xaxis": axis("x", (x0, x1)), "yaxis": axis("y", (y0, y1)),
                        "zaxis": axis(label, box[2]), "domain": {"x": [0, 1], "y": [0, 1]},
                        "aspectmode": "manual", "aspectratio": _aspect(landscape.bounds),
                        # from the front, raised: valleys in view (Rosenbrock's too), x along
                        # the bottom, the z title upright (reading down its axis)
                        "camera": {"eye": {"x": 0.25, "y": -1.6, "z": 1.2},
                                   "center": {"x": 0, "y": 0, "z": -0.1}, "up": {"x": 0, "y": 0, "z": 1}}}}
    if animated and results:
        animate(layout, results, moving, at)
    return {"data": data, "layout": layout}


def _aspect(bounds) -> dict:
    """The box's x : y proportions, the longer side 1, z 0.75."""
    (x0, x1), (y0, y1) = bounds
    longer = max(x1 - x0, y1 - y0)
    return {"x": (x1 - x0) / longer, "y": (y1 - y0) / longer, "z": 0.75}

"""Per-step curves: loss, distance to the nearest minimum, step size and gradient norm, one line
per trajectory, log y where every value drawn is positive."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go

from .figures import FONT_SIZE, colors_for, number_labels
from .levels import round_step
from .series import compact_array, distance_to_minimum, kept_rows, step_axis, typed_array


@dataclass(frozen=True)
class Metric:
    """A per-step quantity of a run: ``values(result, landscape)`` → (R, N)."""

    title: str
    axis: str
    values: Callable
    hover: str


METRICS: dict[str, Metric] = {
    "loss": Metric("Loss", "f(wₜ)", lambda res, land: res.loss, "f = %{y:.4g}"),
    "distance": Metric("Distance to the nearest minimum", "‖wₜ − w*‖", distance_to_minimum,
                       "‖w − w*‖ = %{y:.4g}"),
    "step_size": Metric("Step size", "‖wₜ − wₜ₋₁‖", lambda res, land: res.step_size,
                        "‖Δw‖ = %{y:.4g}"),
    "grad_norm": Metric("Gradient norm", "‖∇f(wₜ)‖", lambda res, land: res.grad_norm,
                        "‖∇f‖ = %{y:.4g}"),
}


def metric_figure(results: Sequence, metric: str, landscape=None, **options) -> go.Figure:
    """:func:`metric_spec` as a validated figure."""
    return go.Figure(metric_spec(results, metric, landscape, **options))


def metric_spec(results: Sequence, metric: str, landscape=None, *,
                colors: Sequence[str] | None = None, height: int = 300, legend: bool = False,
                font_size: int = FONT_SIZE, x: str = "step") -> dict:
    """One metric of :data:`METRICS` versus ``x`` ("step", or "epoch" for mini-batch runs:
    :attr:`RunResult.epoch`) for every trajectory of every result, with a legend on top if
    ``legend``. Diverged trajectories stop at their last finite point;
    non-finite values are left out (on a log axis, so are zeros, e.g. the step size at t = 0).
    A log axis spans the drawn values down to :data:`DECADES` decades below the largest (see
    :func:`log_axis`); ``font_size`` sets every chart text.
    """
    spec = METRICS[metric]
    colors = colors_for(results, colors)
    series = []
    for res, color in zip(results, colors, strict=True):
        values = np.asarray(spec.values(res, landscape))
        xs = x_values(res, x)
        for j in range(values.shape[1]):
            keep = kept_rows(res, j)
            v, s = values[:keep, j], xs[:keep]
            ok = np.isfinite(v)
            series.append((res.label, color, j, s[ok], v[ok]))
    drawn = [v for *_, v in series if v.size]
    log = bool(drawn) and all(np.all(v >= 0) for v in drawn) and any(np.any(v > 0) for v in drawn)
    data = []
    for label, color, j, s, v in series:
        if log:
            s, v = s[v > 0], v[v > 0]
        # steps as x0 + i·dx where evenly spaced (epochs as float64), values as float32 where
        # they fit (a slider move re-sends every curve, so their bytes count)
        xs = step_axis(s) if x == "step" else {"x": typed_array(s, "f8")}
        data.append({"type": "scatter", **xs, "y": compact_array(v), "mode": "lines", "name": label,
                     "legendgroup": label, "showlegend": j == 0, "line": {"color": color, "width": 2},
                     "hovertemplate": f"{label}<br>{x} {'%{x}' if x == 'step' else '%{x:.4~g}'}"
                                      f"<br>{spec.hover}<extra></extra>"})
    yaxis = {"title": {"text": spec.axis}, "type": "log" if log else "linear", "exponentformat": "power"}
    if log:
        yaxis.update(log_axis(np.concatenate([v[v > 0] for v in drawn])))
    layout = {"height": height, "margin": {"l": 10, "r": 10, "t": 40, "b": 10}, "font": {"size": font_size},
              "title": {"text": spec.title, "font": {"size": round(font_size * 4 / 3)}}, "showlegend": legend,
              "legend": {"orientation": "h", "x": 1.0, "xanchor": "right", "y": 1.02, "yanchor": "bottom"},
              "xaxis": {"title": {"text": x}}, "yaxis": yaxis}
    return {"data": data, "layout": layout}


X_AXES = ("step", "epoch")


def x_values(res, x: str) -> np.ndarray:
    """The recorded rows of ``res`` as steps, or as epochs (a mini-batch run only)."""
    if x not in X_AXES:
        raise ValueError(f"x must be one of {', '.join(X_AXES)}; got {x!r}.")
    if x == "epoch":
        if res.epoch is None:
            raise ValueError(f"{res.label}: epochs need a mini-batch run (batch_size set); "
                             "draw it against the step.")
        return res.epoch
    return res.step


DECADES = 16  # float64 carries about 16 significant digits: below that, the curves are noise


def log_axis(values: np.ndarray) -> dict:
    """Range and ticks of a log axis for the positive ``values``: from the smallest, or
    :data:`DECADES` decades below the largest where they reach further (a loss of 10⁻⁸⁴ would
    squash the range where the paths differ into a sliver), to the largest. Ticks every
    decade (every 2nd, 3rd, … beyond 8 decades); within less than two decades 1-2-5 steps, or
    evenly spaced round numbers where those give fewer than three labelled ticks."""
    top = float(np.log10(values.max()))
    bottom = max(float(np.log10(values.min())), top - DECADES)
    if top - bottom < 0.3:  # nearly constant: a third of a decade around it
        bottom, top = (top + bottom) / 2 - 0.15, (top + bottom) / 2 + 0.15
    span = top - bottom
    low, high = bottom - 0.04 * span, top + 0.04 * span
    if span >= 2:
        stride = int(np.ceil(span / 8))
        ticks = 10.0 ** np.arange(int(np.ceil(low / stride)) * stride, np.floor(high) + 1, stride)
    else:
        decades = 10.0 ** np.arange(np.floor(low), np.ceil(high) + 1)
        ticks = np.array([d * p for p in decades for d in (1, 2, 5)])
        ticks = ticks[(ticks >= 10**low) & (ticks <= 10**high)]
        if len(ticks) < 3:  # less than a 1-2-5 step: evenly spaced round numbers
            step = round_step((10**high - 10**low) / 6)
            ticks = step * np.arange(np.ceil(10**low / step), np.floor(10**high / step) + 1)
    return {"range": [low, high], "tickmode": "array", "tickvals": ticks.tolist(),
            "ticktext": number_labels(ticks, digits=1)}


def loss_figure(results: Sequence, **options) -> go.Figure:
    """Loss versus step (log y where all losses are positive)."""
    return metric_figure(results, "loss", **options)

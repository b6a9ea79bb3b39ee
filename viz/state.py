r"""The optimizer's state drawn on its path, at one step: what made step k.

From a run with ``record_state=True`` (every step recorded), for trajectory j and step k ≥ 1,
anchored at the point the step left, :math:`w_{k-1}`:

* the gradient step :math:`-\alpha_k \nabla f(w_{k-1})` (the exact gradient; with noise the
  rule saw a noisy one), what plain gradient descent would do;
* the momentum step :math:`-\alpha_k b_k`, where the registry declares a "velocity" or "first
  moment" field :math:`b` (its value after step k): where the momentum buffer points;
* the step taken, :math:`w_k - w_{k-1}`;
* for a per-coordinate adaptive rule (one that declares a step scale
  :math:`s = \alpha/(\sqrt{\hat v}+\varepsilon)`), a box around :math:`w_{k-1}` with half-widths
  :math:`s_i\,|\partial_i f(w_{k-1})|`: each coordinate's step without momentum, so the box is
  square where the rule equalises the coordinates whatever the curvature;
* Lookahead's slow weights ("slow weights" role) as a trail of their own, up to step k.

Steps are often tiny next to the box: arrows and box are magnified by one factor per run (a
1-2-5 number ≥ 1, :func:`magnification`, given in the legend as "×N") so that the median step
is drawn about :data:`TARGET_SHARE` of the box's diagonal; an arrow still longer than
:data:`MAX_SHARE` of it is drawn shortened to that (its hover text gives the true length). No
names of optimizers here: the roles come from the spec."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go

from optim_core import make_optimizer

from .figures import colors_for, contour_spec
from .overlays import STATE_KEY
from .series import compact_array, kept_rows

MAX_SHARE = 0.25
TARGET_SHARE = 0.06
ARROWS = {  # kind → (legend text, colour)
    "gradient": ("−α∇f (gradient step)", "#d62728"),
    "momentum": ("−α·{field} ({role})", "#7b3fb3"),
    "step": ("step taken", "#111111"),
}
BOX_COLOR, SLOW_COLOR = "#e08a00", "#0f8fa8"


@dataclass(frozen=True)
class StateFrames:
    """Per recorded row k of one trajectory (row 0: before any step, every arrow of length 0):
    ``anchor`` (R, 2) = :math:`w_{k-1}`, ``ends[kind]`` (R, 2) where each arrow ends (shortened
    as drawn), ``lengths[kind]`` (R,) true lengths, ``box`` (R, 2) half-widths or None,
    ``slow`` (R, 2) slow weights or None, ``momentum_label`` the legend text of the momentum
    arrow, ``rows`` how many rows may be drawn (up to divergence), ``scale`` the magnification
    of arrows and box."""

    anchor: np.ndarray
    ends: dict[str, np.ndarray]
    lengths: dict[str, np.ndarray]
    box: np.ndarray | None
    slow: np.ndarray | None
    momentum_label: str
    rows: int
    scale: float = 1.0


def _spec_of(res):
    return make_optimizer(res.optimizer, **res.hyperparams).spec


def _field(spec, state: dict, roles: Sequence[str]) -> tuple[str, str] | None:
    """The first recorded field whose declared role is one of ``roles``: (field, role)."""
    return next(((f, r) for f, r in spec.state_roles.items() if r in roles and f in state), None)


def state_frames(landscape, res, j: int = 0) -> StateFrames:
    """The arrows, box and slow-weight trail of trajectory ``j`` at every recorded step (see
    the module notes). ``res`` must record every step with its state."""
    if res.state is None:
        raise ValueError("This run has no recorded state: run it with record_state=True.")
    if not np.array_equal(res.step, np.arange(len(res.step))):
        raise ValueError("Drawing the state needs every step recorded: run it with record='all'.")
    spec = _spec_of(res)
    rows = kept_rows(res, j)
    path = res.path[:, j]
    anchor = np.concatenate([path[:1], path[:-1]])
    lr = np.asarray(res.hyperparams.get("lr", 1.0), dtype=float)
    lr = float(lr[j] if lr.ndim else lr)
    alpha = lr * np.concatenate([[0.0], res.lr_factor[:len(res.step) - 1]])[:, None]  # row 0: no step
    grad = np.asarray(landscape.grad(anchor), dtype=float)
    vectors = {"gradient": -alpha * grad}
    found = _field(spec, res.state, ("velocity", "first moment"))
    momentum_label = ""
    if found is not None:
        field, role = found
        vectors["momentum"] = -alpha * res.state[field][:, j, :2]
        momentum_label = ARROWS["momentum"][0].format(field=field, role=role)
    vectors["step"] = path - anchor
    (x0, x1), (y0, y1) = landscape.bounds
    diagonal = float(np.hypot(x1 - x0, y1 - y0))
    cap = MAX_SHARE * diagonal
    scale = magnification(np.hypot(*vectors["step"][1:rows].T), diagonal)
    ends, lengths = {}, {}
    for kind, v in vectors.items():
        v = np.where(np.isfinite(v), v, 0.0)
        length = np.hypot(v[:, 0], v[:, 1])
        shrink = np.minimum(scale, cap / np.maximum(length, 1e-300))[:, None]
        ends[kind], lengths[kind] = anchor + v * shrink, length
    box = None
    if "step_scale" in res.state:
        half = res.state["step_scale"][:, j] * np.abs(grad)
        box = np.minimum(np.where(np.isfinite(half), half, 0.0) * scale, cap)
    slow_field = _field(spec, res.state, ("slow weights",))
    slow = res.state[slow_field[0]][:, j, :2] if slow_field else None
    return StateFrames(anchor, ends, lengths, box, slow, momentum_label, rows, scale)


def magnification(steps: np.ndarray, diagonal: float) -> float:
    """The 1-2-5 factor ≥ 1 (at most 10⁶) nearest below the one that draws the median of the
    nonzero ``steps`` at :data:`TARGET_SHARE` of ``diagonal``."""
    moved = steps[np.isfinite(steps) & (steps > 0)]
    if moved.size == 0:
        return 1.0
    want = min(max(TARGET_SHARE * diagonal / float(np.median(moved)), 1.0), 1e6)
    decade = 10.0 ** np.floor(np.log10(want))
    return float(max(m * decade for m in (1, 2, 5) if m * decade <= want))


def state_traces(frames: StateFrames, k: int) -> list[dict]:
    """The Plotly traces of row ``k`` (clamped to the drawn rows): one per arrow, the box, the
    slow trail; each named for the legend, in the order of :func:`trace_kinds`."""
    k = min(max(k, 0), frames.rows - 1)
    a = frames.anchor[k]
    times = f" ×{frames.scale:g}" if frames.scale != 1 else ""
    traces = []
    for kind, end in frames.ends.items():
        text, color = ARROWS[kind]
        name = (frames.momentum_label if kind == "momentum" else text) + times
        e = end[k]
        traces.append({
            "type": "scatter", "mode": "lines+markers", "x": [a[0], e[0]], "y": [a[1], e[1]],
            "name": name, "legendgroup": "state", "line": {"color": color, "width": 3},
            "marker": {"symbol": ["circle", "arrow"], "size": [0, 13], "angleref": "previous",
                       "color": color},
            "hovertemplate": f"{name}<br>length {frames.lengths[kind][k]:.4g}<extra></extra>"})
    if frames.box is not None:
        hx, hy = frames.box[k]
        traces.append({
            "type": "scatter", "mode": "lines", "name": "per-coordinate step box" + times,
            "legendgroup": "state",
            "x": [a[0] - hx, a[0] + hx, a[0] + hx, a[0] - hx, a[0] - hx],
            "y": [a[1] - hy, a[1] - hy, a[1] + hy, a[1] + hy, a[1] - hy],
            "line": {"color": BOX_COLOR, "width": 2}, "hoverinfo": "skip"})
    if frames.slow is not None:
        trail = frames.slow[:k + 1]
        traces.append({
            "type": "scatter", "mode": "lines+markers", "name": "slow weights φ", "legendgroup": "state",
            "x": trail[:, 0], "y": trail[:, 1], "line": {"color": SLOW_COLOR, "width": 2.5, "dash": "dot"},
            "marker": {"size": 7, "symbol": "square", "color": SLOW_COLOR}, "hoverinfo": "skip"})
    return traces


def add_state(spec: dict, landscape, res, j: int = 0, path: int | None = None) -> dict:
    """Append to ``spec`` (an animated 2D ``*_spec`` figure of ``res``) the state traces at the
    last drawn step, and every step's arrows, box and slow trail in ``layout.meta`` so that the
    browser (``viz/overlays.js``) redraws them at each step the replay shows. ``path``: the
    index of ``res`` among the figure's results (its group in ``layout.meta.optiviz.moving``),
    where it is drawn there: then hovering a point of trajectory ``j`` draws that step's state
    (``meta["paths"]``: the traces whose points count), and its hover text gives the arrows'
    true lengths at that step. Returns ``spec``."""
    frames = state_frames(landscape, res, j)
    first = len(spec["data"])
    traces = state_traces(frames, frames.rows - 1)
    for t in traces:  # the browser gives the arrows' hover text each drawn step's length
        t["hovertemplate"] = f"{t['name']}<extra></extra>"
        t.pop("hoverinfo", None)
    spec["data"] += traces
    kinds = [*frames.ends, *(["box"] if frames.box is not None else []),
             *(["slow"] if frames.slow is not None else [])]
    meta = {"traces": list(range(first, first + len(traces))), "kinds": kinds, "rows": frames.rows,
            "anchor": compact_array(frames.anchor),
            "ends": {k: compact_array(e) for k, e in frames.ends.items()},
            "lengths": {k: compact_array(v) for k, v in frames.lengths.items()}}
    if frames.box is not None:
        meta["box"] = compact_array(frames.box)
    if frames.slow is not None:
        meta["slow_x"], meta["slow_y"] = compact_array(frames.slow[:, 0]), compact_array(frames.slow[:, 1])
    layout = spec.setdefault("layout", {})
    if path is not None:
        meta["paths"] = _hover_paths(spec, frames, res, j, path)
    layout["meta"] = {**layout.get("meta", {}), STATE_KEY: meta}
    return spec


def _hover_paths(spec: dict, frames: StateFrames, res, j: int, path: int) -> list[int]:
    """The traces of trajectory ``j`` of the figure's ``path``-th result (point k: row k), whose
    hover then shows the state at k; those with the paths' hover text get the arrows' true
    lengths in it (the columns after step and f in their ``customdata``)."""
    group = ((spec.get("layout", {}).get("meta", {}).get("optiviz") or {}).get("moving") or [])
    traces = [index for index, jj in (group[path] if 0 <= path < len(group) else []) if jj == j]
    kinds = list(frames.ends)
    rows = slice(frames.rows)
    columns = [res.step[rows], res.loss[rows, j], *(frames.lengths[kind][rows] for kind in kinds)]
    short = {"gradient": "|α∇f|", "step": "|step taken|",
             "momentum": f"|{frames.momentum_label.split(' ')[0].lstrip('−')}|"}
    extra = "".join(f"<br>{short[kind]}: %{{customdata[{2 + n}]:.3g}}" for n, kind in enumerate(kinds))
    for index in traces:
        trace = spec["data"][index]
        template = trace.get("hovertemplate", "")
        data = trace.get("customdata")
        shape = data.get("shape", "") if isinstance(data, dict) else ""
        if "customdata[1]" not in template or shape.split(",")[0] != str(frames.rows):
            continue
        trace["customdata"] = compact_array(np.stack(columns, axis=-1))
        trace["hovertemplate"] = template.replace("<extra>", f"<br><i>state (true lengths)</i>{extra}<extra>",
                                                  1)
    return traces


def state_spec(landscape, res, k: int | None = None, *, j: int = 0, color: str | None = None,
               **contour_options) -> dict:
    """The contour with ``res``'s path up to step ``k`` (default: the last drawn) and its state
    at that step: arrows, box and slow trail (see the module notes)."""
    frames = state_frames(landscape, res, j)
    k = frames.rows - 1 if k is None else min(max(int(k), 0), frames.rows - 1)
    shown = _prefix(res, k + 1)
    spec = contour_spec(landscape, [shown], colors=colors_for([shown], [color] if color else None),
                        **contour_options)
    spec["data"] += state_traces(frames, k)
    return spec


def state_figure(landscape, res, k: int | None = None, **options) -> go.Figure:
    """:func:`state_spec` as a validated figure (for notebooks)."""
    return go.Figure(state_spec(landscape, res, k, **options))


def _prefix(res, n: int):
    """The run cut to its first n recorded rows (what the replay shows at row n − 1)."""
    from dataclasses import replace

    return replace(res, path=res.path[:n], loss=res.loss[:n], grad_norm=res.grad_norm[:n],
                   step_size=res.step_size[:n], step=res.step[:n],
                   diverged_at=np.where(res.diverged_at < n, res.diverged_at, -1))

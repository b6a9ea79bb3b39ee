"""Client-side replay of the paths: Plotly frames, a play / pause button and a step scrubber.
The browser plays the frames itself (``redraw: False`` scatter updates), so playback never
round-trips to the server. Frame arrays are binary typed arrays, float32 where it holds the
values; paths are thinned to about MAX_POINTS points except in the last frame, which equals
the figure as drawn."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .series import compact_array, hover_rows, kept_rows

MAX_POINTS = 80  # points per path per frame before thinning


def frame_rows(recorded: int, frames: int) -> np.ndarray:
    """The recorded rows shown by the frames: every k-th from row 0, k the smallest of
    1, 2, 5, 10, 20, 50, … that gives at most about ``frames`` frames (so a recording of
    every step replays at round step numbers), and always the last row."""
    span = max(recorded - 1, 1)
    target = span / max(int(frames), 1)
    stride = next(m * 10**e for e in range(0, 12) for m in (1, 2, 5) if m * 10**e >= target)
    return np.union1d(np.arange(0, recorded, stride), [recorded - 1])


def _prefix(upto: int) -> np.ndarray:
    """Rows 0..upto, thinned to about MAX_POINTS (both ends kept)."""
    rows = np.arange(upto + 1)
    if rows.size <= MAX_POINTS:
        return rows
    return np.union1d(rows[:: int(np.ceil(rows.size / MAX_POINTS))], [upto])


def animate(layout: dict, results: Sequence, moving: Sequence[Sequence[tuple[int, int]]],
            frames: int) -> list[dict]:
    """The frames, and play / pause / scrubber controls added to ``layout``.

    ``moving[i]`` lists result i's path traces as (trace index, trajectory) and its last-point
    marker trace as (trace index, −1). Frame k shows every path up to recorded row
    ``rows[k]`` (or up to where it diverged); a thinned path carries its own hover data.
    The last frame shows the figure as drawn, so the scrubber starts there."""
    recorded = len(results[0].step)
    if any(len(res.step) != recorded for res in results):
        raise ValueError("Animated results must record the same steps.")
    rows = frame_rows(recorded, frames)
    out = [_frame(results, moving, int(row), last=row == rows[-1]) for row in rows]
    _controls(layout, [f["name"] for f in out])
    return out


def _frame(results: Sequence, moving, row: int, last: bool) -> dict:
    """Every path up to ``row``: thinned, or whole for the ``last`` frame (the figure as
    drawn)."""

    data, indices = [], []
    for res, traces in zip(results, moving, strict=True):
        heads = []
        for index, j in traces:
            indices.append(index)
            if j < 0:
                heads = np.array(heads).reshape(-1, 2)
                data.append({"type": "scatter", "x": compact_array(heads[:, 0]),
                             "y": compact_array(heads[:, 1])})
                continue
            upto = min(row, kept_rows(res, j) - 1)
            sel = np.arange(upto + 1) if last else _prefix(upto)
            heads.append(res.path[upto, j])
            data.append({"type": "scatter", "x": compact_array(res.path[sel, j, 0]),
                         "y": compact_array(res.path[sel, j, 1]),
                         "customdata": hover_rows(res, sel, j)})
    return {"name": str(int(results[0].step[row])), "traces": indices, "data": data}


def _controls(layout: dict, names: list[str]) -> None:
    still = {"frame": {"duration": 0, "redraw": False}, "mode": "immediate",
             "transition": {"duration": 0}}
    play = {"frame": {"duration": 60, "redraw": False}, "fromcurrent": True,
            "transition": {"duration": 0}, "mode": "immediate"}
    layout["updatemenus"] = [{
        "type": "buttons", "direction": "left", "showactive": False,
        "x": 0.0, "y": 0.0, "xanchor": "left", "yanchor": "top", "pad": {"t": 60, "r": 10},
        "buttons": [{"label": "▶ play", "method": "animate", "args": [None, play]},
                    {"label": "❚❚ pause", "method": "animate", "args": [[None], still]}],
    }]
    layout["sliders"] = [{
        "active": len(names) - 1, "x": 0.25, "len": 0.75, "y": 0.0, "yanchor": "top",
        "pad": {"t": 45}, "font": {"color": "rgba(0,0,0,0)"},  # no tick labels: the value says it
        "currentvalue": {"prefix": "step ", "font": {"size": 16, "color": "#333"}, "xanchor": "right"},
        "steps": [{"label": n, "method": "animate", "args": [[n], still]} for n in names],
    }]
    layout["margin"] = {**layout.get("margin", {}), "b": 90}

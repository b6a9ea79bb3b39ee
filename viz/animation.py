"""Replay of the paths in the browser, step by step. The figure carries every whole path once;
``layout.meta.optiviz`` tells the animator (``viz/animator.js``) which traces move and the
recorded step numbers. Showing row k (step s = steps[k]) draws each path as its points up to
step s exactly (the recorded rows, nothing resampled; a diverged path stops at its last finite
point, as drawn), each last-point marker at the last shown point, and each revealed marker
(a diverged path's ×) with the points whose step is ≤ s. Only those traces are restyled, so
the surface stays on screen. :func:`frame_at` is the same rule in Python (the file exports)."""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from .series import typed_array

ANIMATOR_JS = Path(__file__).with_name("animator.js")
META_KEY = "optiviz"
HEAD = -1  # a moving entry (trace, HEAD): the last shown point of each of its result's paths
REVEALED = -2  # (trace, REVEALED): each point appears once the replay reaches its step


def animator_source() -> str:
    """The animator's JavaScript (defines ``window.OptivizChart``)."""
    return ANIMATOR_JS.read_text(encoding="utf-8")


def animate(layout: dict, results: Sequence, moving: Sequence[Sequence[tuple[int, int]]],
            at: Mapping[int, np.ndarray] | None = None) -> None:
    """Mark the figure with ``layout`` as animated: ``moving[i]`` lists result i's path traces
    as (trace index, trajectory j ≥ 0), its last-point marker trace as (trace index, HEAD) and
    any marker revealed by step as (trace index, REVEALED). ``at`` gives the step of each point
    of a trace whose points are not the recorded rows 0, 1, 2, … (every REVEALED trace; a path
    with rows left out): such a trace shows the points whose step the replay has reached. The
    replay's rows are the steps any result records (:func:`replay_steps`); the path traces of a
    result that records other steps (one of several lengths, in epochs) are placed by step."""
    steps = replay_steps(results)
    at = dict(at or {})
    for res, group in zip(results, moving, strict=True):
        if not np.array_equal(res.step, steps):
            for index, j in group:
                if j >= 0:
                    at.setdefault(index, res.step)
    meta = {"steps": typed_array(steps, "i4"),
            "moving": [[[int(index), int(j)] for index, j in group] for group in moving]}
    if at:
        meta["at"] = [[int(index), typed_array(point_steps, "i4")] for index, point_steps in at.items()]
    layout["meta"] = {**layout.get("meta", {}), META_KEY: meta}


def replay_steps(results: Sequence) -> np.ndarray:
    """The steps the replay shows, one per row: every step any of ``results`` records."""
    if not results:
        return np.zeros(1, dtype=np.int64)
    return np.unique(np.concatenate([res.step for res in results]))


def animation_of(spec: dict) -> dict | None:
    """The animation data of a figure spec, or None for a still figure."""
    return spec.get("layout", {}).get("meta", {}).get(META_KEY)


def frame_at(spec: dict, row: int) -> tuple[list[int], list[dict]]:
    """(trace indices, their data) of the moving traces of the animated figure ``spec`` at
    recorded ``row``, as the animator draws them: x, y (z where the trace has it) and, for a
    revealed marker, its text."""
    meta = animation_of(spec)
    steps = _numbers(meta["steps"])
    step = steps[row]
    at = {int(index): _numbers(point_steps) for index, point_steps in meta.get("at", [])}
    indices, data = [], []
    for group in meta["moving"]:
        heads = {}
        for index, j in group:
            trace = spec["data"][index]
            keys = [k for k in ("x", "y", "z") if k in trace]
            if j >= 0:
                shown = np.searchsorted(at[index], step, side="right") if index in at else row + 1
                patch = {k: _numbers(trace[k])[:shown] for k in keys}
                if shown:
                    heads.setdefault(j, [patch[k][-1] for k in keys])
            elif j == REVEALED:
                keep = np.flatnonzero(at[index] <= step)
                patch = {k: _numbers(trace[k])[keep] for k in keys}
                if "text" in trace:
                    patch["text"] = [trace["text"][p] for p in keep]
            else:
                continue
            indices.append(index)
            data.append(patch)
        for index, j in group:
            if j == HEAD:
                points = [heads[k] for k in sorted(heads)]
                keys = [k for k in ("x", "y", "z") if k in spec["data"][index]]
                indices.append(index)
                data.append({k: np.array([p[i] for p in points]) for i, k in enumerate(keys)})
    return indices, data


def _numbers(array) -> np.ndarray:
    """The numbers of a figure array: a Plotly typed array ({dtype, bdata}) or a plain one."""
    if isinstance(array, dict):
        return np.frombuffer(base64.b64decode(array["bdata"]), np.dtype(array["dtype"]).newbyteorder("<"))
    return np.asarray(array)

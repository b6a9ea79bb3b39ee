"""Per-step series of a run, cut to what may be drawn: only rows up to divergence, only finite
numbers. Shared by the figures and the summary table."""

from __future__ import annotations

import base64

import numpy as np


def typed_array(values, dtype: str = "f8") -> dict:
    """A Plotly typed array ({dtype, bdata, shape}): little-endian bytes in base64, so a
    figure's JSON carries no per-number text (Plotly encodes 1-D NumPy arrays this way
    itself, but writes 2-D ones, such as a contour's z, as text)."""
    arr = np.ascontiguousarray(values, dtype=np.dtype(dtype).newbyteorder("<"))
    spec = {"dtype": dtype, "bdata": base64.b64encode(arr.tobytes()).decode("ascii")}
    if arr.ndim > 1:
        spec["shape"] = ",".join(map(str, arr.shape))
    return spec


def compact_array(values) -> dict:
    """A typed array in float32 where float32 holds every value (half the bytes), else float64:
    a typed formula can reach 10⁴⁷, or 10⁻⁴⁰, which float32 would turn into inf or 0."""
    arr = np.asarray(values, dtype=np.float64)
    magnitude = np.abs(arr[np.isfinite(arr) & (arr != 0)])
    fits = magnitude.size == 0 or (magnitude.max() < 1e38 and magnitude.min() > 1e-37)
    return typed_array(arr, "f4" if fits else "f8")


def step_axis(steps) -> dict:
    """The x of a series over ``steps``: ``{"x0": s₀, "dx": d}`` (Plotly draws point i at
    s₀ + i·d, nothing sent per point) where the steps are evenly spaced, as when every step is
    recorded; else the steps as an int32 typed array."""
    steps = np.asarray(steps)
    if steps.size == 1 or (steps.size > 1 and np.all(np.diff(steps) == steps[1] - steps[0])):
        return {"x0": int(steps[0]), "dx": int(steps[1] - steps[0]) if steps.size > 1 else 1}
    return {"x": typed_array(steps, "i4")}


def hover_rows(res, rows, j: int) -> dict:
    """The (step, loss) hover data of trajectory ``j`` at recorded ``rows``, as a typed array."""
    return compact_array(np.stack([res.step[rows], res.loss[rows, j]], axis=-1))


def kept_rows(res, j: int) -> int:
    """How many recorded rows of trajectory ``j`` to draw: all, or those before it diverged
    (at least the start, so a path that failed at once still shows where it began)."""
    d = int(res.diverged_at[j])
    if d < 0:
        return len(res.step)
    return max(int(np.searchsorted(res.step, d)), 1)


def distance_to_minimum(res, landscape) -> np.ndarray:
    """(R, N) distance ‖w_t − w*‖ to the nearest known minimum w*; NaN where none is known."""
    return np.asarray(landscape.nearest_minimum_distance(res.path))


def first_within(values: np.ndarray, steps: np.ndarray, tol: float) -> int | None:
    """The first step whose value is ≤ ``tol`` (values along axis 0), else None."""
    hits = np.flatnonzero(np.isfinite(values) & (values <= tol))
    return int(steps[hits[0]]) if hits.size else None

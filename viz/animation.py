"""Replay of the paths in the browser, step by step. The figure carries every whole path once;
``layout.meta.optiviz`` tells the animator (``viz/animator.js``) which traces move and the
recorded step numbers. Showing row k draws each path as its points 0..k exactly (the recorded
rows, nothing resampled; a diverged path stops at its last finite point, as drawn) and each
last-point marker at the last shown point. Only those traces are restyled, so the surface
stays on screen."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .series import typed_array

ANIMATOR_JS = Path(__file__).with_name("animator.js")
META_KEY = "optiviz"


def animator_source() -> str:
    """The animator's JavaScript (defines ``window.OptivizChart``)."""
    return ANIMATOR_JS.read_text(encoding="utf-8")


def animate(layout: dict, results: Sequence, moving: Sequence[Sequence[tuple[int, int]]]) -> None:
    """Mark the figure with ``layout`` as animated: ``moving[i]`` lists result i's path traces
    as (trace index, trajectory j ≥ 0) and its last-point marker trace as (trace index, −1).
    The results must record the same steps (row k of every path is the same step)."""
    steps = results[0].step
    if any(not np.array_equal(res.step, steps) for res in results):
        raise ValueError("Animated results must record the same steps.")
    layout["meta"] = {**layout.get("meta", {}), META_KEY: {
        "steps": typed_array(steps, "i4"),
        "moving": [[[int(index), int(j)] for index, j in group] for group in moving],
    }}


def animation_of(spec: dict) -> dict | None:
    """The animation data of a figure spec, or None for a still figure."""
    return spec.get("layout", {}).get("meta", {}).get(META_KEY)

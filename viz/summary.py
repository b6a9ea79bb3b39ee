"""The summary table: one row per trajectory, with what a lecturer asks about a run."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .series import distance_to_minimum, first_within, kept_rows

COLUMNS = ("optimizer", "final loss", "distance to minimum", "within tolerance at step",
           "diverged at step", "final point", "f, ∇f evaluations")


def summary_rows(results: Sequence, landscape, tol: float) -> list[dict]:
    """Rows of :data:`COLUMNS`. "Within tolerance" is the first step whose distance to the
    nearest minimum is ≤ ``tol`` (None if never, or if the surface has no known minimum);
    final values are at the last finite point of a diverged trajectory; evaluations are
    :func:`evaluations` there."""
    rows = []
    for res in results:
        dist = distance_to_minimum(res, landscape)
        for j in range(res.path.shape[1]):
            last = kept_rows(res, j) - 1
            d = int(res.diverged_at[j])
            point = res.path[last, j]
            name = res.label if res.path.shape[1] == 1 else f"{res.label} [{j}]"
            rows.append({
                "optimizer": name,
                "final loss": _number(res.loss[last, j]),
                "distance to minimum": _number(dist[last, j]),
                "within tolerance at step": first_within(dist[: last + 1, j], res.step, tol),
                "diverged at step": d if d >= 0 else None,
                "final point": f"({point[0]:.4g}, {point[1]:.4g})",
                "f, ∇f evaluations": evaluations(res, last, j),
            })
    return rows


def evaluations(res, row: int, j: int) -> int:
    """How many times trajectory ``j`` evaluated f and ∇f up to recorded ``row``: counted by
    :func:`optim_core.trace` (a line search evaluates several times a step), else one at the
    start and one per step (the engine's rule)."""
    counted = res.settings.get("evaluations")
    return int(counted[row, j]) if counted is not None else int(res.step[row]) + 1


def _number(v) -> float | None:
    v = float(v)
    return v if np.isfinite(v) else None

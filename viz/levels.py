"""Contour levels chosen from the values a surface takes on its box, so that the basin of every
minimum, the valley floors and the walls all show as distinct bands.

Scales (the ``scale`` option of the figure builders):

- ``"auto"``: equal-area bands. The edges are quantiles of f over the box, so each of the
  :data:`EQUAL_BANDS` bands covers the same share of the picture, whatever the spread of the
  values (decades on Rosenbrock and Beale, a few units on a bowl); the lowest band is split
  further at the 0.4 % and 1.5 % quantiles, so the neighbourhood of the minima is a band of
  its own.
- ``"linear"``: edges at the multiples of a round step (1, 2, 2.5 or 5 × 10ⁿ) that gives
  about :data:`EQUAL_BANDS` bands.
- ``"log"``: edges evenly spaced in log₁₀(f − f_min), from the 0.4 % quantile of f − f_min
  (so the basin is resolved, not lumped into one band) to the maximum.

Edges are rounded to two significant digits of f − f_min (readable colour-bar labels), and
edges closer than 2 % in f − f_min are merged: equal-area bands would otherwise draw a plateau
(f within 10⁻⁴ of 1 over half the box) as a deep bowl."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SCALES = ("auto", "linear", "log")
EQUAL_BANDS = 14
BASIN_QUANTILES = (0.004, 0.015)
MIN_RATIO = 1.02  # neighbouring edges in f − f_min differ by at least 2 %


@dataclass(frozen=True)
class Levels:
    """Band edges ``edges[0] < … < edges[-1]`` in f; band k holds edges[k] ≤ f < edges[k+1]."""

    edges: np.ndarray
    scale: str

    @property
    def count(self) -> int:
        return len(self.edges) - 1

    def band(self, values) -> np.ndarray:
        """The band index of each value, clipped to [0, count − 1]."""
        k = np.searchsorted(self.edges, np.asarray(values, dtype=float), side="right") - 1
        return np.clip(k, 0, self.count - 1)

    def position(self, values) -> np.ndarray:
        """Where each value lies on the band scale [0, count]: band k plus the fraction of the
        band below it (linear between its edges)."""
        return np.interp(np.asarray(values, dtype=float), self.edges, np.arange(self.count + 1))


def choose_levels(values, scale: str = "auto", floor: float | None = None) -> Levels:
    """Levels for the finite ``values`` of a surface on its box; ``floor`` is the known minimum
    value f*, if any (the box's smallest value is used where it is lower or unknown)."""
    if scale not in SCALES:
        raise ValueError(f"Contour scale must be one of {', '.join(SCALES)}; got {scale!r}.")
    v = np.asarray(values, dtype=float).ravel()
    v = v[np.isfinite(v)]
    if v.size == 0:
        return Levels(np.array([0.0, 1.0]), scale)
    low = float(v.min()) if floor is None else min(float(floor), float(v.min()))
    high = float(v.max())
    gap = v - low
    top = high - low
    if not top > 0:  # a flat surface: one band
        return Levels(np.array([low, low + (abs(low) or 1.0)]), scale)
    if scale == "linear":
        step = round_step(top / EQUAL_BANDS)
        inner = step * np.arange(np.floor(low / step) + 1, np.ceil(high / step))
        return Levels(np.r_[low, inner[(inner > low) & (inner < high)], high], scale)
    elif scale == "log":
        start = float(np.quantile(gap, BASIN_QUANTILES[0])) or top * 1e-6
        g = np.r_[0.0, np.geomspace(min(start, top / 2), top, EQUAL_BANDS)]
    else:
        shares = np.r_[0.0, BASIN_QUANTILES, np.linspace(0.0, 1.0, EQUAL_BANDS + 1)[1:]]
        g = np.quantile(gap, shares)
    g = _readable(g, top)
    return Levels(low + g, scale)


def round_step(size: float) -> float:
    """The smallest of 1, 2, 2.5, 5 × 10ⁿ that is at least ``size`` > 0."""
    power = 10.0 ** np.floor(np.log10(size))
    return float(next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= size))


def _readable(g: np.ndarray, top: float) -> np.ndarray:
    """Edges in f − f_min: the inner ones rounded to two significant digits where they stay
    increasing, then thinned so that each is at least :data:`MIN_RATIO` times the one below
    (quantiles closer than that mark a region where f barely changes, a plateau: one band,
    so that it looks flat); the ends kept exact."""
    inner = g[1:-1]
    with np.errstate(divide="ignore"):
        digits = 1 - np.floor(np.log10(np.where(inner > 0, inner, 1.0)))
    rounded = np.array([round(x, int(d)) for x, d in zip(inner, digits, strict=True)])
    if np.all(np.diff(np.r_[0.0, rounded, top]) > 0):
        inner = rounded
    kept = [0.0]
    for edge in inner:
        if edge > 0 and edge >= MIN_RATIO * kept[-1]:
            kept.append(float(edge))
    while len(kept) > 1 and top < MIN_RATIO * kept[-1]:
        kept.pop()
    return np.array([*kept, top])


def log_heights(values, levels: Levels) -> np.ndarray:
    """log₁₀(f − f_min + δ), δ the first band's width: the 3D heights on a log scale."""
    low, first = levels.edges[0], levels.edges[1] - levels.edges[0]
    return np.log10(np.maximum(np.asarray(values, dtype=float) - low, 0.0) + first)


def spans_decades(values, floor: float) -> bool:
    """Whether f − floor is skewed over the box: its top percent more than 100 times the median."""
    median, top = np.quantile(np.asarray(values, dtype=float) - floor, [0.5, 0.99])
    return bool(top > 100 * median)

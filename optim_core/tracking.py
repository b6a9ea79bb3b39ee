r"""The first step within tolerance, tracked during a run without recording the path
(``run(..., track=criterion)``; the explorer's sweeps and basin maps).

A criterion says, per trajectory, which minimum a point is within tolerance of: ``which(p,
f, xp)`` gives its index (−1: none), ``screen(p, f, xp)`` a cheap superset of the points
that may be (the eager engine runs ``which`` on those only). ``p`` is an (N, 2) array or a
pair of (N, 1) columns (the compiled engine's split layout).

The eager engine watches the landscape's evaluations (:class:`FirstHit`: once at the starts,
then once per step at the new points); the compiled one updates the same two arrays inside
its chunks (:func:`first_hit`). Either way a hit at or after a trajectory's stop does not
count (:func:`counted`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from array_api_compat import array_namespace, device

from .stepping import columns


@dataclass(frozen=True)
class LossGap:
    """Within tol: :math:`f - f^\\star \\le` tol (the screen is exact)."""

    min_value: float
    tol: float

    def screen(self, p, f, xp):
        return f - self.min_value <= self.tol

    def which(self, p, f, xp):
        return xp.where(f - self.min_value <= self.tol, 0, -1)


@dataclass(frozen=True)
class NearestMinimum:
    """Within tol of minimum i: :math:`\\lVert p - m_i\\rVert \\le` tol. The screen only
    checks x, :math:`|x - m_{i,x}| \\le` tol for some i (a necessary condition, 3 operations
    per minimum); ``which`` gives the nearest minimum's index where it is within tol."""

    minima: tuple[tuple[float, float], ...]
    tol: float

    def screen(self, p, f, xp):
        x, _ = columns(p)
        near = None
        for mx, _ in self.minima:
            close = xp.abs(x - mx) <= self.tol
            near = close if near is None else near | close
        return near

    def which(self, p, f, xp):
        x, y = columns(p)
        best = index = None
        for i, (mx, my) in enumerate(self.minima):
            d2 = (x - mx) ** 2 + (y - my) ** 2
            if best is None:
                best, index = d2, xp.zeros(d2.shape, dtype=xp.int64, device=device(d2))
            else:
                index = xp.where(d2 < best, i, index)
                best = xp.minimum(best, d2)
        return xp.where(best <= self.tol * self.tol, index, -1)


class FirstHit:
    """A landscape that watches the eager engine evaluate it.

    On each call, among the trajectories that have not yet reached tol, ``criterion.screen``
    (over all N) picks those that may have, and ``criterion.which`` (on those only) gives the
    index of the minimum within tol; the first such call and index are kept. ``calls`` lets
    the engine check the one-call-per-step contract. Everything else is the wrapped
    landscape's."""

    def __init__(self, landscape, criterion):
        self._landscape = landscape
        self._criterion = criterion
        self.calls = 0
        self.first = None
        self.index = None

    def __getattr__(self, name):
        return getattr(self._landscape, name)

    def value_and_grad(self, p):
        f, g = self._landscape.value_and_grad(p)
        xp = array_namespace(f)
        if self.first is None:
            self.first = xp.full(f.shape, -1, dtype=xp.int64, device=device(f))
            self.index = xp.full(f.shape, -1, dtype=xp.int64, device=device(f))
        maybe = self._criterion.screen(p, f, xp) & (self.first < 0)
        if bool(xp.any(maybe)):
            (rows,) = xp.nonzero(maybe)
            which = self._criterion.which(p[rows, ...], f[rows], xp)
            self.first[rows] = xp.where(which >= 0, self.calls, -1)
            self.index[rows] = which
        self.calls += 1
        return f, g


def first_hit(criterion, hits, p, f, t, live, xp):
    """``hits`` = (first step, index) after step ``t``: set where a trajectory that took the
    step (``live``) is now within tol for the first time."""
    first, index = hits
    which = criterion.which(p, f, xp)
    new = live & (first < 0) & (which >= 0)
    return xp.where(new, xp.astype(t, first.dtype) if not isinstance(t, int) else t, first), \
        xp.where(new, which, index)


def counted(first: np.ndarray, index: np.ndarray, diverged_at: np.ndarray):
    """(first, index) with hits at or after a trajectory's stop removed (−1, −1)."""
    keep = ((diverged_at < 0) | (first < diverged_at)) & (first >= 0)
    return np.where(keep, first, -1), np.where(keep, index, -1)

"""One step of N trajectories, shared by every way of running them (NumPy, torch eager,
torch compiled): the optimizer's step, the surface's value and gradient, and the stop check.

A trajectory stops (is frozen at its last good point, with the step and the reason kept)
when its new point leaves the box ``|x|, |y| <= limit`` or is not finite, when the value or
the gradient there is not finite, or when its optimizer state stops being finite (e.g.
RMSProp's and Adam's squared gradient overflowing to inf: the step then shrinks to 0 and the
path would stall silently).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from .surface_terms import surface_terms

# Reason codes of ``stop_code`` (0: still running); RunResult.stop_reason holds the texts.
STOP_REASONS = ("", "left the box", "point not finite", "value not finite",
                "gradient not finite", "optimizer state overflowed")


class Carry(NamedTuple):
    """What one step hands to the next: point, value, gradient, optimizer state, and per
    trajectory whether it still runs, the step it stopped at (−1: never) and why (a code).

    The point, the gradient and the state are (N, 2) arrays (joint layout), or, for a rule
    that treats each coordinate on its own, pairs ``(x, y)`` of (N, 1) columns with a state
    per column (the split layout of :func:`split_carry`: a compiled chunk then runs as one
    loop over the N trajectories)."""

    p: Any
    f: Any
    g: Any
    state: Any
    alive: Any
    diverged_at: Any
    reason: Any
    all_alive: bool = False  # eager runs only: no trajectory has stopped yet


@dataclass(frozen=True)
class Problem:
    """The fixed part of a run: surface, rule, switches (bools, None, names) and namespace."""

    landscape: Any
    spec: Any
    switches: dict[str, Any]
    xp: Any

    def hyperparams(self, numbers: dict[str, Any], factor) -> dict[str, Any]:
        """The rule's ``hp`` at one step: α scaled by the schedule's factor (None: 1)."""
        if factor is not None:
            numbers = {**numbers, "lr": numbers["lr"] * factor}
        return {**self.switches, **numbers}


def split_settings(settings: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """(switches, numbers): bools, None and names are fixed per program; numbers vary."""
    numbers = {k: v for k, v in settings.items()
               if isinstance(v, np.ndarray) or is_number(v)}
    return {k: v for k, v in settings.items() if k not in numbers}, numbers


def start_carry(pb: Problem, p, numbers: dict[str, Any], limit) -> Carry:
    """Evaluate the starts; a start outside the box or where f is undefined stops at step 0."""
    xp = pb.xp
    f, g = pb.landscape.value_and_grad(p)
    state = pb.spec.init(p, pb.hyperparams(numbers, None), xp)
    code = stop_code(p, f, g, state, limit, xp)
    alive = code == 0
    return Carry(p, f, g, state, alive, xp.where(alive, _int32(-1, xp), 0), code,
                 bool(xp.all(alive)))


def advance(pb: Problem, c: Carry, numbers: dict[str, Any], sigma, limit, noise, factor, t,
            fast: bool, measure: bool = True, active=None, batch=None) -> tuple[Carry, Any]:
    r"""One step of every trajectory: :math:`g + \sigma\xi_t` -> the rule's step -> value and
    gradient at the new points -> the stop check. Returns the new carry and, if ``measure``,
    the step lengths ‖w_t − w_{t−1}‖ (0 where frozen), else None.

    ``batch`` (a data surface's sample indices for this step) replaces :math:`g`, the full
    gradient, by the mini-batch one :math:`\frac1{|B|}\sum_{i\in B}\nabla\ell_i`; the
    carry keeps the full-data value and gradient.

    A trajectory whose new point leaves the box or is not finite, whose value or gradient
    is not finite, or whose optimizer state stopped being finite is frozen at its last good
    point with ``t`` and the reason recorded. ``fast`` (eager runs) skips the freezing when
    every trajectory is fine (a host check per step); ``active`` (a 0-d bool, compiled
    chunks) turns the whole step into a no-op when false.
    """
    xp = pb.xp
    split = isinstance(c.p, tuple)
    g = c.g if batch is None else pb.landscape.value_and_grad(c.p, samples=batch)[1]
    g_used = g if noise is None else plus(g, scaled(sigma, noise))
    hp = pb.hyperparams(numbers, factor)
    if split:  # a coordinatewise rule, which needs nothing beyond the gradient
        (x, sx), (y, sy) = (pb.spec.step(gj, sj, pj, hp, t, xp)
                            for gj, sj, pj in zip(g_used, c.state, c.p, strict=True))
        p_new, s_new = (x, y), (sx, sy)
        f_new, gx, gy = pb.landscape.value_and_grad_xy(x[:, 0], y[:, 0])
        f_new, g_new = f_new, (gx[:, None], gy[:, None])
    else:
        extra = surface_terms(pb.landscape, c.p, c.f, pb.spec.needs) if pb.spec.needs else {}
        p_new, s_new = pb.spec.step(g_used, c.state, c.p, hp, t, xp, **extra)
        f_new, g_new = pb.landscape.value_and_grad(p_new)
    if fast and c.all_alive and _all_fine(p_new, f_new, g_new, s_new, limit, xp):
        return (c._replace(p=p_new, f=f_new, g=g_new, state=s_new),
                step_length(p_new, c.p) if measure else None)
    code = stop_code(p_new, f_new, g_new, s_new, limit, xp)
    live = c.alive if active is None else c.alive & active
    stops, moves = live & (code != 0), live & (code == 0)
    stamp = t if isinstance(t, int) else xp.astype(t, c.diverged_at.dtype)
    mask = moves[:, None]
    return Carry(
        p=tree_where(mask, p_new, c.p, xp), f=xp.where(moves, f_new, c.f),
        g=tree_where(mask, g_new, c.g, xp), state=tree_where(mask, s_new, c.state, xp),
        alive=c.alive & ~stops, diverged_at=xp.where(stops, stamp, c.diverged_at),
        reason=xp.where(stops, code, c.reason),
    ), xp.where(moves, step_length(p_new, c.p), 0.0) if measure else None


def plus(a, b):
    """a + b for two (N, 2) arrays or two pairs of columns."""
    return tuple(u + v for u, v in zip(a, b, strict=True)) if isinstance(a, tuple) else a + b


def scaled(k, a):
    """k·a for an (N, 2) array or a pair of columns; ``k`` a number or an (N, 1) array."""
    return tuple(k * u for u in a) if isinstance(a, tuple) else k * a


def split_carry(c: Carry) -> Carry:
    """The carry in the split layout: point, gradient and state as (x, y) columns, (N, 1)
    each. A state array of another shape (a per-trajectory (N, 1) or a 0-d number, which a
    per-coordinate rule computes from its hyperparameters alone) goes to both columns."""
    def halves(a):
        if a is None:
            return None, None
        if isinstance(a, tuple):
            pairs = [halves(item) for item in a]
            return _rebuild(a, (x for x, _ in pairs)), _rebuild(a, (y for _, y in pairs))
        return (a[:, 0:1], a[:, 1:2]) if _is_pair(a) else (a, a)

    return c._replace(p=halves(c.p), g=halves(c.g), state=halves(c.state))


def join_carry(c: Carry, like: Carry, xp) -> Carry:
    """Back to the joint layout of ``like`` (the carry :func:`split_carry` split)."""
    def joined(x, y, old):
        if old is None:
            return None
        if isinstance(old, tuple):
            return _rebuild(old, (joined(a, b, o) for a, b, o in zip(x, y, old, strict=True)))
        return xp.concat([x, y], axis=1) if _is_pair(old) else x

    return c._replace(p=joined(*c.p, like.p), g=joined(*c.g, like.g),
                      state=joined(*c.state, like.state))


def _is_pair(a) -> bool:
    """An (N, 2) array: one value per coordinate (split into columns)."""
    return a.ndim == 2 and a.shape[1] == 2


def _rebuild(like: tuple, items):
    """A tuple of ``like``'s type (a NamedTuple or a plain tuple) holding ``items``."""
    return type(like)(*items) if hasattr(like, "_fields") else tuple(items)


def is_number(v) -> bool:
    return isinstance(v, int | float | np.integer | np.floating) and not isinstance(v, bool)


def step_length(new, old):
    """‖new − old‖ per trajectory, for (N, 2) arrays or pairs of columns: a step's length."""
    return row_norm(plus(new, scaled(-1, old)))


def row_norm(v):
    """‖v‖ of each row of an (N, 2) array or of a pair of (N, 1) columns, shape (N,)."""
    x, y = columns(v)
    return (x * x + y * y) ** 0.5


def columns(v):
    """The two coordinates of an (N, 2) array or of a pair of (N, 1) columns, (N,) each."""
    return (v[0][:, 0], v[1][:, 0]) if isinstance(v, tuple) else (v[:, 0], v[:, 1])


def _leaves(tree) -> list:
    """The arrays of a (nested) NamedTuple state; ``None`` fields (unused) are skipped."""
    if tree is None:
        return []
    if isinstance(tree, tuple):
        return [leaf for item in tree for leaf in _leaves(item)]
    return [tree]


def _entries(a) -> list:
    """The entries of each trajectory's row of ``a`` ((N,), (N, k), a pair of columns or a
    0-d number), as arrays of shape (N,) (or 0-d)."""
    if isinstance(a, tuple):
        return _entries(a[0]) + _entries(a[1])
    if a.ndim <= 1:
        return [a]
    return [a[:, j] for j in range(a.shape[1])]


def _finite(arrays: list, xp):
    r"""Per trajectory: every entry of its rows of ``arrays`` is finite, tested as
    :math:`\sum_j 2^{-k}|a_j| < \infty` with :math:`2^k` at least the number of entries. The
    scaling is exact and keeps a sum of finite entries finite; an inf or a NaN makes the sum
    inf or NaN. An abs and a multiply-add an entry, where ``isfinite`` costs a compiled loop
    six operations (not ``a·0 == 0``: Inductor folds ``a·0`` to 0)."""
    cols = [c for a in arrays for c in _entries(a)]
    scale = 2.0 ** -math.ceil(math.log2(len(cols))) if len(cols) > 1 else 1.0
    total = xp.abs(cols[0]) * scale
    for c in cols[1:]:
        total = total + xp.abs(c) * scale
    return total < math.inf


def _int32(v: int, xp):
    """``v`` as a 0-d int32 array: reason codes and stop steps are int32 (as wide as a
    float32, so a compiled loop keeps its vector width)."""
    return xp.asarray(v, dtype=xp.int32)


def _all_fine(p, f, g, state, limit, xp) -> bool:
    """True when no trajectory has to stop: one reduction per array, one host check. A sum
    of finite numbers may still overflow; then the exact per-row check runs (never wrong).
    ``max|p|`` is NaN if any point is, and ``NaN <= limit`` is false."""
    total = f.sum() + g.sum()  # array methods: a third of xp.sum's cost on a (1, 2) array
    for a in _leaves(state):
        total = total + a.sum()
    return bool((xp.abs(p).max() <= limit) & xp.isfinite(total))


def stop_code(p, f, g, state, limit, xp):
    """Per trajectory, the index in STOP_REASONS of why it must stop here (0: it need not),
    int32. The first cause wins: state, then point, box, value, gradient. ``|nan| <= limit``
    is false, so a NaN point is caught as not finite, not as outside the box."""
    code = xp.where(_finite([g], xp), _int32(0, xp), 4)
    code = xp.where(_finite([f], xp), code, 3)
    x, y = columns(p)
    code = xp.where((xp.abs(x) <= limit) & (xp.abs(y) <= limit), code, 1)
    code = xp.where(_finite([p], xp), code, 2)
    leaves = [a for a in _leaves(state) if xp.isdtype(a.dtype, "real floating")]
    return xp.where(_finite(leaves, xp), code, 5) if leaves else code


def tree_where(mask, new, old, xp):
    """``where`` over a (nested) NamedTuple state; ``None`` fields (unused) stay ``None``."""
    if new is None:
        return None
    if isinstance(new, tuple):
        return _rebuild(new, (tree_where(mask, a, b, xp) for a, b in zip(new, old, strict=True)))
    return xp.where(mask, new, old)

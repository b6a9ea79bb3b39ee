r"""Exploring with one vectorized run: hyperparameter sweeps, basins of attraction, ensembles over
noise or shuffles.

Each function lays out a grid (of hyperparameter values, of start points, of noise draws) as
the N trajectories of ONE :func:`optim_core.run`, so a 256 × 256 sweep costs one run of 65,536
trajectories, not 65,536 runs.

**Reaching the tolerance.** A trajectory reaches ``tol`` at the first step t (0 = the start)
whose point :math:`w_t` satisfies the surface's criterion:

* sweeps: the loss gap :math:`f(w_t) - f^\star \le \text{tol}` where the surface declares its
  minimum value :math:`f^\star`, else the distance to the nearest declared minimum
  :math:`\min_i \lVert w_t - m_i\rVert \le \text{tol}`;
* basins: always the distance :math:`\lVert w_t - m_i\rVert \le \text{tol}` (it says *which*
  minimum :math:`m_i` was reached).

It is the first hit: a path may leave the ball again later (Adam bouncing round a minimum).
Steps at or after a trajectory's divergence never count. The hit is tracked during the run,
step by step, without recording the path (:mod:`optim_core.tracking`), so it is exact at
any grid size, eager or compiled.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from landscapes import get_landscape
from paramspec import ParamSpec, varied

from .blocks import run_in_blocks
from .engine import RunResult, run
from .registry import Optimizer, make_optimizer
from .tracking import LossGap, NearestMinimum

MAX_CELLS = 512 * 512
MAX_MEMBERS = 4096
SWEEP_TOL = 1e-6
BASIN_TOL = 1e-3
NOT_CONVERGED, DIVERGED = -1, -2


def _tracked_run(landscape, optimizer: Optimizer, starts, steps: int, criterion,
                 run_kwargs) -> tuple:
    """``run(..., record="final", track=criterion)``: the result, and per trajectory the
    first step within tolerance and the minimum's index then (−1, −1 if never, or only at /
    after divergence)."""
    if "record" in run_kwargs or "track" in run_kwargs:
        raise ValueError("record and track are chosen by the explorer (only the final step is "
                         "kept; the first step within tol is tracked): leave them out.")
    kwargs = dict(run_kwargs)
    workers = kwargs.pop("workers", None)
    res = run_in_blocks(landscape, optimizer, starts, steps, workers=workers, record="final",
                        track=criterion, **kwargs)
    return res, res.first_hit, res.hit_index


def _resolve(landscape, optimizer) -> tuple[Any, Optimizer]:
    if isinstance(landscape, str):
        landscape = get_landscape(landscape)
    if isinstance(optimizer, str):
        optimizer = make_optimizer(optimizer)
    if not isinstance(optimizer, Optimizer):
        raise ValueError(f"optimizer must be a registered name or an Optimizer; got {optimizer!r}.")
    per_trajectory = [k for k, v in optimizer.hyperparams.items() if isinstance(v, np.ndarray)]
    if per_trajectory:
        raise ValueError(f"{optimizer.name}: the fixed settings must be single values; "
                         f"{', '.join(per_trajectory)} hold one value per trajectory.")
    return landscape, optimizer


def _check_tol(tol) -> float:
    if isinstance(tol, bool) or not isinstance(tol, int | float | np.integer | np.floating) \
            or not (np.isfinite(tol) and tol > 0):
        raise ValueError(f"tol must be a finite number > 0; got {tol!r}.")
    return float(tol)


# --------------------------------------------------------------------------------------------
# Sweeps


@dataclass(frozen=True)
class SweepResult:
    """A sweep over one or two hyperparameters; arrays are shaped like the grid,
    (len(v₁),) or (len(v₁), len(v₂)), axis k following the k-th entry of ``axes``.

    ``final_loss``: f at the last step (for a diverged cell, at its last finite point);
    ``steps_to_tol``: first step within ``tol`` (−1: never); ``diverged_at``: step of
    divergence (−1: never); ``final_point``: grid + (2,). ``criterion`` says what "within
    tol" meant; ``min_value`` is f* when the surface declares it.
    """

    axes: dict[str, np.ndarray]
    specs: dict[str, ParamSpec]
    final_loss: np.ndarray
    steps_to_tol: np.ndarray
    diverged_at: np.ndarray
    final_point: np.ndarray
    optimizer: Optimizer
    landscape: str
    start: tuple[float, float]
    steps: int
    tol: float
    criterion: str
    min_value: float | None
    seconds: float
    engine: str = "NumPy"

    def optimizer_at(self, *index: int) -> Optimizer:
        """The optimizer of one cell, e.g. ``sw.optimizer_at(i, j)`` (to draw its path)."""
        values = {name: float(v[i]) for (name, v), i in zip(self.axes.items(), index, strict=True)}
        return make_optimizer(self.optimizer.name, label=self.optimizer.label,
                              **{**self.optimizer.hyperparams, **values})


def _sweep_axes(optimizer: Optimizer, axes) -> dict[str, np.ndarray]:
    """Check the axes against the optimizer's specs: 1 or 2 numeric hyperparameters that accept
    one value per trajectory, each with a non-empty 1-D array of allowed values."""
    specs = {s.name: s for s in optimizer.spec.params}
    numeric = [s.name for s in varied(optimizer.spec.params)]
    owner = f"sweep of {optimizer.name}"
    if not isinstance(axes, dict) or not 1 <= len(axes) <= 2:
        raise ValueError(f"{owner}: axes must be a dict of one or two hyperparameter names to "
                         f"arrays of values; sweepable here: {', '.join(numeric)}.")
    out = {}
    for name, values in axes.items():
        if name not in specs:
            raise ValueError(f"{owner}: unknown hyperparameter {name!r}; sweepable: "
                             f"{', '.join(numeric)}.")
        if name not in numeric:
            raise ValueError(f"{owner}: {name} is {specs[name].range_text}, not a numeric range; "
                             f"set it on the optimizer instead. Sweepable: {', '.join(numeric)}.")
        arr = np.asarray(values.detach().cpu() if hasattr(values, "detach") else values)
        if arr.ndim != 1 or arr.size == 0:
            raise ValueError(f"{owner}: the values of {name} must be a non-empty 1-D array; "
                             f"got shape {arr.shape}.")
        out[name] = specs[name].validate(arr, owner)
    cells = int(np.prod([len(v) for v in out.values()]))
    if cells > MAX_CELLS:
        raise ValueError(f"{owner}: {cells} cells is more than {MAX_CELLS}; use fewer values.")
    return out


def sweep(landscape, optimizer: Optimizer | str, axes: dict, starts=None, steps: int = 500, *,
          tol: float = SWEEP_TOL, **run_kwargs) -> SweepResult:
    r"""Run ``optimizer`` for every combination of the ``axes`` values in one vectorized run.

    ``optimizer``: a registered name or an :class:`Optimizer` whose hyperparameters are the
    fixed settings; ``axes``: ``{"lr": v₁}`` or ``{"lr": v₁, "beta1": v₂}`` (1-D arrays within
    the specs' ranges); ``starts``: the one start point (x, y) of every cell (default: the
    surface's); ``tol``: see the module notes. ``run_kwargs`` go to :func:`optim_core.run`
    (backend, device, dtype, noise, seed, schedule, limit, compile), but ``workers``: the
    processes a NumPy run without noise is shared among, in blocks of trajectories (default:
    the usable cores; see :mod:`optim_core.blocks`; the result is the same for any number).

    Without noise, each cell equals, bit for bit, a :func:`~optim_core.run` with that cell's
    values given as length-1 arrays (the same code path). A run given Python floats may differ
    in the last bits where a rule raises a hyperparameter to the power t (Adam's
    :math:`1-\beta_1^t`: NumPy's vectorized ``**`` and Python's round differently), and on
    chaotic cells that grows. With noise, cell k draws the k-th of N noise streams.
    """
    landscape, optimizer = _resolve(landscape, optimizer)
    values = _sweep_axes(optimizer, axes)
    tol = _check_tol(tol)
    start = np.asarray(landscape.start if starts is None else starts, dtype=np.float64)
    if start.size != 2 or not np.all(np.isfinite(start)):
        raise ValueError(f"sweep: give one finite start point (x, y); got shape {start.shape}.")
    start = start.reshape(2)
    shape = tuple(len(v) for v in values.values())
    grids = np.meshgrid(*values.values(), indexing="ij")
    batch = make_optimizer(optimizer.name, label=optimizer.label,
                           **{**optimizer.hyperparams,
                              **{name: g.ravel() for name, g in zip(values, grids, strict=True)}})
    if landscape.min_value is not None:
        criterion = LossGap(landscape.min_value, tol)
        meaning = f"f − f* ≤ {tol:g} (f* = {landscape.min_value:g})"
    elif landscape.minima:
        criterion = NearestMinimum(tuple(landscape.minima), tol)
        meaning = f"distance to the nearest minimum ≤ {tol:g}"
    else:
        raise ValueError(f"surface '{landscape.name}' declares neither its minimum value nor "
                         "its minima, so 'within tol' has no meaning here: sweep a surface that does.")
    res, first, _ = _tracked_run(landscape, batch, start, steps, criterion, run_kwargs)
    return SweepResult(
        axes=values, specs={s.name: s for s in optimizer.spec.params if s.name in values},
        final_loss=res.loss[-1].reshape(shape), steps_to_tol=first.reshape(shape),
        diverged_at=res.diverged_at.reshape(shape), final_point=res.path[-1].reshape(*shape, 2),
        optimizer=optimizer, landscape=res.landscape, start=(float(start[0]), float(start[1])),
        steps=int(res.step[-1]), tol=tol, criterion=meaning,
        min_value=landscape.min_value, seconds=res.seconds, engine=res.engine,
    )


# --------------------------------------------------------------------------------------------
# Basins of attraction


@dataclass(frozen=True)
class BasinResult:
    """Starts on a grid: ``x`` (nx,), ``y`` (ny,); ``label`` and ``steps_to_tol`` are (ny, nx),
    row j holding the starts at y[j] (as an image or a heatmap's z).

    ``label``: index into ``minima`` of the minimum first reached within ``tol`` (−1: none
    reached, −2: diverged first); ``steps_to_tol``: that step (−1: never)."""

    x: np.ndarray
    y: np.ndarray
    label: np.ndarray
    steps_to_tol: np.ndarray
    minima: tuple[tuple[float, float], ...]
    optimizer: Optimizer
    landscape: str
    steps: int
    tol: float
    seconds: float
    engine: str = "NumPy"


def basin_grid(bounds, resolution) -> tuple[np.ndarray, np.ndarray]:
    """Cell centres of an (nx, ny) grid over ``bounds`` ((x0, x1), (y0, y1))."""
    try:
        nx, ny = (int(n) for n in resolution)
        (x0, x1), (y0, y1) = ((float(a), float(b)) for a, b in bounds)
    except (TypeError, ValueError):
        raise ValueError("resolution must be (nx, ny) and bounds ((x0, x1), (y0, y1)); got "
                         f"{resolution!r} and {bounds!r}.") from None
    if not (nx >= 1 and ny >= 1 and nx * ny <= MAX_CELLS):
        raise ValueError(f"resolution (nx, ny) must be ≥ 1 each and nx·ny ≤ {MAX_CELLS}; got {(nx, ny)}.")
    if not (np.all(np.isfinite([x0, x1, y0, y1])) and x0 < x1 and y0 < y1):
        raise ValueError(f"bounds must be finite and increasing; got {bounds!r}.")
    return (x0 + (np.arange(nx) + 0.5) * (x1 - x0) / nx,
            y0 + (np.arange(ny) + 0.5) * (y1 - y0) / ny)


def basins(landscape, optimizer: Optimizer | str, *, resolution=(256, 256), bounds=None,
           steps: int = 300, tol: float = BASIN_TOL, **run_kwargs) -> BasinResult:
    """Which declared minimum the optimizer reaches from each start of a grid over ``bounds``
    (default: the surface's box), in one vectorized run; see the module notes for ``tol``.
    ``run_kwargs`` (and ``workers``) as for :func:`sweep`."""
    landscape, optimizer = _resolve(landscape, optimizer)
    if not landscape.minima:
        raise ValueError(f"surface '{landscape.name}' declares no minima: a basin map needs them.")
    tol = _check_tol(tol)
    x, y = basin_grid(landscape.bounds if bounds is None else bounds, resolution)
    starts = np.stack(np.meshgrid(x, y), axis=-1).reshape(-1, 2)
    res, first, index = _tracked_run(landscape, optimizer, starts, steps,
                                     NearestMinimum(tuple(landscape.minima), tol), run_kwargs)
    label = np.where(res.diverged_at >= 0, DIVERGED, np.where(first >= 0, index, NOT_CONVERGED))
    shape = (len(y), len(x))
    return BasinResult(x=x, y=y, label=label.reshape(shape), steps_to_tol=first.reshape(shape),
                       minima=tuple(landscape.minima), optimizer=optimizer,
                       landscape=res.landscape, steps=int(res.step[-1]), tol=tol,
                       seconds=res.seconds, engine=res.engine)


# --------------------------------------------------------------------------------------------
# Noisy ensembles


@dataclass(frozen=True)
class EnsembleResult:
    """M runs from one start that differ by their gradient noise or by the order of their
    mini-batches (``over``), over the recorded steps ``step``.

    ``mean`` (R, 2) and ``cov`` (R, 2, 2): mean and covariance of the M positions per step;
    ``loss_quantiles`` (Q, R): the ``quantiles`` of the M losses per step; ``run`` holds
    every path. A diverged member stays at its last finite point (``run.diverged_at``)."""

    mean: np.ndarray
    cov: np.ndarray
    quantiles: tuple[float, ...]
    loss_quantiles: np.ndarray
    step: np.ndarray
    run: RunResult
    over: str = "noise"


ENSEMBLE_OVER = ("noise", "shuffle")


def ensemble(landscape, optimizer: Optimizer | str, start=None, steps: int = 500, *,
             noise: float = 0.0, members: int = 64, seed: int = 0, over: str = "noise",
             data_seed: int = 0, quantiles=(0.1, 0.25, 0.5, 0.75, 0.9), **run_kwargs) -> EnsembleResult:
    r"""``members`` runs of ``optimizer`` from ``start`` as one run of M trajectories.

    ``over="noise"``: the members' gradients carry independent noise :math:`\sigma\xi`,
    :math:`\xi \sim \mathcal N(0, I)` (σ = ``noise`` > 0, drawn with ``seed``).
    ``over="shuffle"`` (a surface made from data, with ``batch_size`` below its n samples in
    ``run_kwargs``): member m shuffles its mini-batches with ``data_seed + m``, so it equals
    ``run(..., data_seed=data_seed + m)``; noise, if σ > 0, is added as in any run.
    ``run_kwargs`` go to :func:`optim_core.run` (``record`` included: every step by default)."""
    landscape, optimizer = _resolve(landscape, optimizer)
    if isinstance(members, bool) or not isinstance(members, int | np.integer) \
            or not 2 <= members <= MAX_MEMBERS:
        raise ValueError(f"members must be a whole number from 2 to {MAX_MEMBERS}; got {members!r}.")
    if over not in ENSEMBLE_OVER:
        raise ValueError(f"over must be one of {', '.join(ENSEMBLE_OVER)}; got {over!r}.")
    if isinstance(noise, bool) or not isinstance(noise, int | float | np.integer | np.floating) \
            or not (np.isfinite(noise) and (noise > 0 or (over == "shuffle" and noise == 0))):
        raise ValueError(f"noise σ must be a finite number > 0 for an ensemble over noise (≥ 0 "
                         f"over shuffles); got {noise!r}.")
    q = np.asarray(quantiles, dtype=np.float64)
    if q.ndim != 1 or q.size == 0 or np.any((q < 0) | (q > 1)):
        raise ValueError(f"quantiles must be numbers in [0, 1]; got {quantiles!r}.")
    if over == "shuffle":
        run_kwargs = {**run_kwargs, "data_seed": _shuffle_seeds(landscape, data_seed, members,
                                                                run_kwargs)}
    start = np.asarray(landscape.start if start is None else start, dtype=np.float64).reshape(1, 2)
    res = run(landscape, optimizer, np.repeat(start, members, axis=0), steps,
              noise=float(noise), seed=seed, **run_kwargs)
    centred = res.path - res.path.mean(axis=1, keepdims=True)
    cov = np.einsum("rmi,rmj->rij", centred, centred) / (members - 1)
    return EnsembleResult(mean=res.path.mean(axis=1), cov=cov, quantiles=tuple(q.tolist()),
                          loss_quantiles=np.quantile(res.loss, q, axis=1), step=res.step, run=res,
                          over=over)


def _shuffle_seeds(landscape, first, members: int, run_kwargs: dict) -> np.ndarray:
    """data_seed, data_seed + 1, …: one per member, where shuffling makes them differ."""
    n = getattr(landscape, "n_samples", None)
    size = run_kwargs.get("batch_size")
    if n is None or size is None or size >= n or not run_kwargs.get("shuffle", True):
        raise ValueError("an ensemble over shuffles needs a surface made from data and "
                         "batch_size below its number of samples, with shuffle on: otherwise "
                         "every member sees the same batches.")
    if isinstance(first, bool) or not isinstance(first, int | np.integer) or first < 0:
        raise ValueError(f"data_seed must be a whole number ≥ 0; got {first!r}.")
    return int(first) + np.arange(members)

"""The vectorized run engine: N trajectories of one optimizer on one landscape, in one loop.

Each step: (noisy) gradient -> optimizer step -> value and gradient at the new points ->
divergence check. A trajectory whose new point, value or gradient is not finite, or whose
point leaves the box ``|x|, |y| <= limit``, is frozen at its last finite point with the step
recorded in ``diverged_at``; the others go on. Nothing raises and nothing warns on divergence.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .backend import Backend, resolve_backend
from .registry import Optimizer, make_optimizer
from .schedules import Schedule, as_schedule

MAX_STEPS = 1_000_000
MAX_RECORD_BYTES = 4 * 2**30


@dataclass
class RunResult:
    """Arrays of a run, all NumPy, aligned on the recorded steps ``step`` (R of them).

    ``path`` (R, N, 2) and ``loss`` (R, N) at the recorded steps; ``grad_norm`` (R, N) is
    ‖∇f‖ there (exact, without noise); ``step_size`` (R, N) is ‖w_t − w_{t−1}‖ (0 at t = 0).
    ``diverged_at`` (N,) is the step whose result was not finite or escaped (−1: never).
    """

    path: np.ndarray
    loss: np.ndarray
    grad_norm: np.ndarray
    step_size: np.ndarray
    diverged_at: np.ndarray
    step: np.ndarray
    lr_factor: np.ndarray
    optimizer: str
    label: str
    hyperparams: dict[str, Any]
    landscape: str
    settings: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def final(self) -> np.ndarray:
        """The last recorded point of each trajectory, (N, 2)."""
        return self.path[-1]


def _prepare_starts(starts) -> np.ndarray:
    arr = np.asarray(starts.detach().cpu() if hasattr(starts, "detach") else starts,
                     dtype=np.float64)
    if arr.shape == (2,):
        arr = arr[None, :]
    if arr.ndim != 2 or arr.shape[1] != 2:
        raise ValueError(f"starts must have shape (N, 2) or (2,); got {arr.shape}.")
    if arr.shape[0] == 0:
        raise ValueError("starts is empty: give at least one start point.")
    if not np.all(np.isfinite(arr)):
        raise ValueError("starts must be finite numbers.")
    return arr


def _batch_size(sizes: dict[str, int | None]) -> int:
    """N from the sizes of the starts and of the per-trajectory arrays; size 1 broadcasts."""
    known = {what: size for what, size in sizes.items() if size is not None}
    n = max(known.values())
    clash = {what: size for what, size in known.items() if size not in (1, n)}
    if clash:
        raise ValueError(
            "Per-trajectory sizes disagree: "
            + ", ".join(f"{what} has {size}" for what, size in known.items())
            + ". Give each one value per trajectory (N), or a single one to share."
        )
    return n


def _hp_on_backend(hyperparams: dict[str, Any], be: Backend) -> dict[str, Any]:
    """Per-trajectory arrays (N,) become backend arrays (N, 1); the rest stay Python values."""
    return {k: be.asarray(v[:, None]) if isinstance(v, np.ndarray) else v
            for k, v in hyperparams.items()}


def _tree_where(mask, new, old, xp):
    """``where`` over a (nested) NamedTuple state; ``None`` fields (unused) stay ``None``."""
    if new is None:
        return None
    if isinstance(new, tuple):
        return type(new)(*(_tree_where(mask, a, b, xp) for a, b in zip(new, old, strict=True)))
    return xp.where(mask, new, old)


def _recorded_steps(steps: int, record: int | str) -> np.ndarray:
    if record == "all":
        every = 1
    elif record == "final":
        every = max(steps, 1)
    elif _is_number(record) and float(record).is_integer() and record >= 1:
        every = int(record)
    else:
        raise ValueError(f"record must be 'all', 'final' or a positive whole number; got {record!r}.")
    recorded = np.arange(0, steps + 1, every)
    return recorded if recorded[-1] == steps else np.append(recorded, steps)


def run(landscape, optimizer: Optimizer | str, starts, steps: int = 500, *,
        backend: str = "numpy", device: str = "cpu", dtype: str = "float64",
        noise=0.0, seed: int = 0, schedule: Schedule | str | dict | None = None,
        record: int | str = "all", limit: float = 1e6) -> RunResult:
    r"""Run ``optimizer`` from each start for ``steps`` steps on ``landscape``.

    ``starts``: (N, 2) or (2,). Per-trajectory hyperparameter arrays of length M with a
    single start run M trajectories from that start. ``noise`` σ (scalar or (N,)) adds
    :math:`\sigma\,\xi_t`, :math:`\xi_t \sim \mathcal N(0, I)`, to every gradient; the stream
    depends only on ``seed`` and N, so optimizers compared with one seed see the same noise.
    ``schedule`` multiplies α per step. ``record`` keeps every step ('all'), every k-th step
    (int) or only the start and the end ('final'); the last step is always kept.
    """
    if isinstance(landscape, str):
        from landscapes import get_landscape  # lazy: landscapes imports optim_core.params

        landscape = get_landscape(landscape)
    if isinstance(optimizer, str):
        optimizer = make_optimizer(optimizer)
    if not (isinstance(steps, int | np.integer) and _is_number(steps) and 0 <= steps <= MAX_STEPS):
        raise ValueError(f"steps must be a whole number from 0 to {MAX_STEPS}; got {steps!r}.")
    if not (_is_number(limit) and 0 < limit < math.inf):
        raise ValueError(f"limit must be a positive finite number; got {limit!r}.")
    steps = int(steps)
    be = resolve_backend(backend, device, dtype)
    sched = as_schedule(schedule)
    sigma = _validate_noise(noise)
    starts_np = _prepare_starts(starts)
    n = _batch_size({"starts": starts_np.shape[0],
                     "the hyperparameter arrays": optimizer.batch_size(),
                     "noise σ": len(sigma) if isinstance(sigma, np.ndarray) else None})
    starts_np = np.broadcast_to(starts_np, (n, 2))
    recorded = _recorded_steps(steps, record)
    _check_memory(len(recorded), n, np.dtype(dtype).itemsize)

    tic = time.perf_counter()
    arrays = _loop(landscape, optimizer, be, starts_np, steps, sigma, seed,
                   sched.factors(steps), recorded, float(limit))
    return RunResult(
        **arrays, lr_factor=sched.factors(steps), optimizer=optimizer.name,
        label=optimizer.display_name, hyperparams=dict(optimizer.hyperparams),
        landscape=getattr(landscape, "name", "custom"),
        settings={"steps": steps, "backend": be.name, "device": str(be.device),
                  "dtype": dtype, "noise": noise, "seed": seed, "schedule": sched.spec.name,
                  "limit": limit},
        seconds=time.perf_counter() - tic,
    )


def _is_number(v) -> bool:
    return isinstance(v, int | float | np.integer | np.floating) and not isinstance(v, bool)


def _check_memory(recorded: int, n: int, itemsize: int) -> None:
    """Refuse runs whose recorded arrays would not fit, before allocating anything."""
    need = recorded * n * 5 * itemsize
    if need > MAX_RECORD_BYTES:
        raise ValueError(
            f"Recording {recorded} steps of {n} trajectories needs {need / 2**30:.1f} GiB "
            f"(limit {MAX_RECORD_BYTES / 2**30:.0f} GiB): use record='final' or record=k "
            "(every k-th step), or fewer trajectories."
        )


def _validate_noise(noise):
    if _is_number(noise):
        if not (np.isfinite(noise) and noise >= 0):
            raise ValueError(f"noise σ must be a finite number ≥ 0; got {noise!r}.")
        return float(noise)
    arr = np.asarray(noise, dtype=np.float64)
    if arr.ndim != 1 or arr.size == 0 or not np.all(np.isfinite(arr)) or np.any(arr < 0):
        raise ValueError("noise σ must be a number ≥ 0 or a 1-D array of them (one per trajectory).")
    return arr


def _loop(landscape, opt: Optimizer, be: Backend, starts: np.ndarray, steps: int, sigma,
          seed: int, factors: np.ndarray, recorded: np.ndarray, limit: float) -> dict:
    xp = be.xp
    n = starts.shape[0]
    hp = _hp_on_backend(opt.settings, be)  # fixed switches merged once, not per step
    lr = hp.get("lr")
    sigma_b = be.asarray(sigma[:, None]) if isinstance(sigma, np.ndarray) else sigma
    noisy = isinstance(sigma, np.ndarray) or sigma > 0
    rng = np.random.default_rng(seed)

    rec_path = xp.zeros((len(recorded), n, 2), dtype=be.dtype, device=be.device)
    rec_loss = xp.zeros((len(recorded), n), dtype=be.dtype, device=be.device)
    rec_gnorm = xp.zeros_like(rec_loss)
    rec_step = xp.zeros_like(rec_loss)
    slot = {int(s): i for i, s in enumerate(recorded)}

    with np.errstate(all="ignore"):
        p = be.asarray(starts)
        f, g = landscape.value_and_grad(p)
        alive = _ok(p, f, g, limit, xp)
        all_alive = bool(xp.all(alive))
        diverged_at = xp.where(alive, -1, 0)
        state = opt.spec.init(p, hp, xp)
        _store(0, slot, p, f, g, xp.zeros_like(f), rec_path, rec_loss, rec_gnorm, rec_step, xp)
        for t in range(1, steps + 1):
            g_used = g
            if noisy:
                g_used = g + sigma_b * be.asarray(rng.standard_normal((n, 2)))
            hp_t = hp if factors[t - 1] == 1.0 else {**hp, "lr": lr * float(factors[t - 1])}
            p_new, state_new = opt.spec.step(g_used, state, p, hp_t, t, xp)
            f_new, g_new = landscape.value_and_grad(p_new)
            ok = _ok(p_new, f_new, g_new, limit, xp)
            if all_alive and bool(xp.all(ok)):  # fast path: nothing to freeze
                step_len = _norm(p_new - p, xp) if t in slot else None
                p, f, g, state = p_new, f_new, g_new, state_new
            else:
                ok = alive & ok
                diverged_at = xp.where(alive & ~ok, t, diverged_at)
                alive, all_alive = ok, False
                mask = alive[:, None]
                step_len = xp.where(alive, _norm(p_new - p, xp), 0.0) if t in slot else None
                p = xp.where(mask, p_new, p)
                f = xp.where(alive, f_new, f)
                g = xp.where(mask, g_new, g)
                state = _tree_where(mask, state_new, state, xp)
            if t in slot:
                _store(t, slot, p, f, g, step_len, rec_path, rec_loss, rec_gnorm, rec_step, xp)

    return {"path": be.to_numpy(rec_path), "loss": be.to_numpy(rec_loss),
            "grad_norm": be.to_numpy(rec_gnorm), "step_size": be.to_numpy(rec_step),
            "diverged_at": be.to_numpy(diverged_at).astype(np.int64), "step": recorded}


def _norm(v, xp):
    return xp.sqrt(xp.sum(v * v, axis=-1))


def _ok(p, f, g, limit, xp):
    """Finite point inside the box, finite value and gradient (column-wise: cheaper than
    reductions over the last axis). ``|nan| <= limit`` is false, so NaN points fail too."""
    return ((xp.abs(p[:, 0]) <= limit) & (xp.abs(p[:, 1]) <= limit) & xp.isfinite(f)
            & xp.isfinite(g[:, 0]) & xp.isfinite(g[:, 1]))


def _store(t, slot, p, f, g, step_len, rec_path, rec_loss, rec_gnorm, rec_step, xp):
    i = slot[t]
    rec_path[i, ...] = p
    rec_loss[i, ...] = f
    rec_gnorm[i, ...] = _norm(g, xp)
    rec_step[i, ...] = step_len


def run_many(landscape, optimizers: Sequence[Optimizer | str], starts, steps: int = 500,
             **kwargs) -> list[RunResult]:
    """Run several optimizers with the same starts, settings, seed and noise stream."""
    return [run(landscape, opt, starts, steps, **kwargs) for opt in optimizers]

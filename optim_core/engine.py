"""The vectorized run engine: N trajectories of one optimizer on one landscape, in one loop.

Each step (:func:`optim_core.stepping.advance`): (noisy) gradient -> optimizer step -> value
and gradient at the new points -> stop check. A trajectory that leaves the box, meets a
non-finite value or gradient, or whose optimizer state overflows is frozen at its last good
point with the step in ``diverged_at`` and the reason in ``stop_reason``; the others go on.
Nothing raises and nothing warns on divergence. ``compile=True`` (torch) runs the same step
in compiled chunks (:mod:`optim_core.compiled`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from landscapes import get_landscape

from .backend import Backend, resolve_backend
from .registry import Optimizer, make_optimizer
from .schedules import Schedule, as_schedule
from .stepping import STOP_REASONS, Problem, advance, is_number, row_norm, split_settings, start_carry
from .tracking import FirstHit, counted

MAX_STEPS = 1_000_000
MAX_RECORD_BYTES = 4 * 2**30
MAX_STATE_BYTES = 256 * 2**20  # the recorded optimizer state (record_state=True)


@dataclass
class RunResult:
    """Arrays of a run, all NumPy, aligned on the recorded steps ``step`` (R of them).

    ``path`` (R, N, 2) and ``loss`` (R, N) at the recorded steps; ``grad_norm`` (R, N) is
    ‖∇f‖ there (exact, without noise); ``step_size`` (R, N) is ‖w_t − w_{t−1}‖ (0 at t = 0).
    ``diverged_at`` (N,) is the step whose result was not finite or escaped (−1: never);
    ``stop_reason`` (N,) says why, one of ``STOP_REASONS`` ("" where it never stopped).
    ``seconds`` is the run's time, ``compile_seconds`` the part spent compiling (compiled
    engine only); ``note`` says when a compiled run had to fall back to eager.
    ``first_hit`` and ``hit_index`` (N,) (with ``track``): the first step within tolerance and
    the minimum reached then (−1, −1: never, or only at / after the trajectory's stop).
    ``drawn`` (R, N, 2), for optimizers whose answer is not the point the gradient is taken
    at (the spec's ``drawn`` hook: Schedule-Free's average x), is that answer at the recorded
    steps; ``path`` is then the gradient point (y). None for every other optimizer.
    ``state`` (``record_state=True`` only) maps each optimizer-state field ("m"; "base.m"
    inside a wrapper) to its values after each recorded step, (R, N, …) (row 0: the initial
    state), plus "step_scale" (R, N, 2) where the rule declares one (row 0: NaN, no step yet).
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
    stop_reason: np.ndarray | None = None
    compile_seconds: float = 0.0
    note: str = ""
    drawn: np.ndarray | None = None
    state: dict[str, np.ndarray] | None = None
    first_hit: np.ndarray | None = None
    hit_index: np.ndarray | None = None

    @property
    def engine(self) -> str:
        """What ran it: "NumPy", "torch" or "torch, compiled"."""
        name = "NumPy" if self.settings.get("backend") == "numpy" else "torch"
        return f"{name}, compiled" if self.settings.get("compiled") else name

    @property
    def epoch(self) -> np.ndarray | None:
        """The recorded steps in epochs, t / (batches per epoch) (⌈n/B⌉, or ⌊n/B⌋ with
        ``drop_last``): a whole number where an epoch ends; None for a run without mini-batches."""
        per_epoch = self.settings.get("batches_per_epoch")
        return None if per_epoch is None else self.step / per_epoch

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


def _recorded_steps(steps: int, record: int | str) -> np.ndarray:
    if record == "all":
        every = 1
    elif record == "final":
        every = max(steps, 1)
    elif is_number(record) and float(record).is_integer() and record >= 1:
        every = int(record)
    else:
        raise ValueError(f"record must be 'all', 'final' or a positive whole number; got {record!r}.")
    recorded = np.arange(0, steps + 1, every)
    return recorded if recorded[-1] == steps else np.append(recorded, steps)


def run(landscape, optimizer: Optimizer | str, starts, steps: int = 500, *,
        backend: str = "numpy", device: str = "cpu", dtype: str = "float64",
        noise=0.0, seed: int = 0, schedule: Schedule | str | dict | None = None,
        record: int | str = "all", limit: float = 1e6, compile: bool = False,
        batch_size: int | None = None, shuffle: bool = True, data_seed: int | Sequence[int] = 0,
        drop_last: bool = False, track=None, record_state: bool = False) -> RunResult:
    r"""Run ``optimizer`` from each start for ``steps`` steps on ``landscape``.

    ``starts``: (N, 2) or (2,). Per-trajectory hyperparameter arrays of length M with a
    single start run M trajectories from that start. ``noise`` σ (scalar or (N,)) adds
    :math:`\sigma\,\xi_t`, :math:`\xi_t \sim \mathcal N(0, I)`, to every gradient; the stream
    depends only on ``seed`` and N, so optimizers compared with one seed see the same noise.
    ``schedule`` multiplies α per step. ``record`` keeps every step ('all'), every k-th step
    (int) or only the start and the end ('final'); the last step is always kept.

    Noise: NumPy draws it with ``numpy.random.default_rng(seed)``, torch with a seeded
    ``torch.Generator`` on the run's device; both are normal, but the two streams differ.
    ``compile=True`` (torch only; ignored for NumPy) runs the same step code compiled with
    ``torch.compile`` in chunks of steps (see :mod:`optim_core.compiled`); where it cannot
    compile it runs eagerly, warns once and says so in ``note``.

    Mini-batches (surfaces made from data only): ``batch_size`` B from 1 (stochastic) to n,
    the number of samples (n: exactly gradient descent on the full loss; None: the same).
    Each epoch takes a permutation of the samples (``shuffle``; else their order) from
    ``numpy.random.default_rng(data_seed)``, a new one per epoch, and cuts it into batches
    of B, the last one smaller unless ``drop_last``; step t uses batch t, the same for every
    run with that ``data_seed``. An array of N seeds gives trajectory i its own permutations,
    those of a run with ``data_seed=seeds[i]`` (an ensemble over shufflings). The recorded
    loss and gradient norm are the full data's; ``RunResult.epoch`` converts steps to epochs.

    ``track`` (a criterion of :mod:`optim_core.tracking`) follows, without recording the
    path, the first step each trajectory is within tolerance (``first_hit``, ``hit_index``).

    ``record_state=True`` also keeps the optimizer's state at the recorded steps
    (``RunResult.state``; eager engine only), at most :data:`MAX_STATE_BYTES` of it.
    """
    if isinstance(landscape, str):
        landscape = get_landscape(landscape)
    if isinstance(optimizer, str):
        optimizer = make_optimizer(optimizer)
    if not (isinstance(steps, int | np.integer) and is_number(steps) and 0 <= steps <= MAX_STEPS):
        raise ValueError(f"steps must be a whole number from 0 to {MAX_STEPS}; got {steps!r}.")
    if not (is_number(limit) and 0 < limit < math.inf):
        raise ValueError(f"limit must be a positive finite number; got {limit!r}.")
    steps = int(steps)
    plan = BatchPlan.make(landscape, batch_size, shuffle, data_seed, drop_last)
    be = resolve_backend(backend, device, dtype)
    sched = as_schedule(schedule)
    sigma = _validate_noise(noise)
    starts_np = _prepare_starts(starts)
    n = _batch_size({"starts": starts_np.shape[0],
                     "the hyperparameter arrays": optimizer.batch_size(),
                     "data_seed": plan.members,
                     "noise σ": len(sigma) if isinstance(sigma, np.ndarray) else None})
    starts_np = np.broadcast_to(starts_np, (n, 2))
    recorded = _recorded_steps(steps, record)
    _check_memory(len(recorded), n, np.dtype(dtype).itemsize)

    compiled = compile and be.name == "torch"
    if compiled and plan.batches is not None:
        raise ValueError("compile=True does not run mini-batches: use compile=False with "
                         "batch_size, or the full batch (batch_size=None or n).")
    if compiled and record_state:
        raise ValueError("record_state=True records the state between steps, which the compiled "
                         "engine does not: use compile=False.")
    if track is not None and plan.batches is not None:
        raise ValueError("track follows full-batch runs only: leave batch_size out.")
    note = ""
    if compiled and optimizer.spec.drawn is not None:
        compiled, note = False, (f"{optimizer.display_name}'s drawn point is recorded by the "
                                 "eager engine: ran eagerly")
    watch = FirstHit(landscape, track) if track is not None and not compiled else None
    pb, numbers = _problem(watch or landscape, optimizer, be)
    states = StateRecording(pb, be) if record_state else None
    tic = time.perf_counter()
    compile_seconds, hits = 0.0, None
    if compiled:
        from .compiled import run_compiled

        carry, rec, compile_seconds, note, hits = run_compiled(
            pb, be, numbers, sigma, float(limit), starts_np, steps, sched.factors(steps),
            recorded, seed, track)
    else:
        carry, rec = _run_eager(pb, be, numbers, sigma, float(limit), starts_np, steps,
                                sched.factors(steps), recorded, seed, plan.batches, states)
        if watch is not None:
            if watch.calls != steps + 1:
                raise RuntimeError(f"the engine evaluated the surface {watch.calls} times for "
                                   f"{steps} steps; tracking expects one call per step.")
            hits = watch.first, watch.index
    arrays = rec.to_numpy(be)
    reason = be.to_numpy(carry.reason)
    diverged_at = be.to_numpy(carry.diverged_at).astype(np.int64)
    first, index = counted(*(be.to_numpy(h).astype(np.int64) for h in hits), diverged_at) \
        if hits is not None else (None, None)
    return RunResult(
        **arrays, diverged_at=diverged_at, step=recorded,
        lr_factor=sched.factors(steps), optimizer=optimizer.name,
        label=optimizer.display_name, hyperparams=dict(optimizer.hyperparams),
        landscape=getattr(landscape, "name", "custom"),
        settings={"steps": steps, "backend": be.name, "device": str(be.device),
                  "dtype": dtype, "noise": noise, "seed": seed, "schedule": sched.spec.name,
                  "limit": limit, "compiled": bool(compile and be.name == "torch" and not note),
                  **plan.settings(steps)},
        seconds=time.perf_counter() - tic, stop_reason=np.array(STOP_REASONS)[reason],
        compile_seconds=compile_seconds, note=note, first_hit=first, hit_index=index,
        state=states.to_numpy() if states is not None else None,
    )


def _problem(landscape, optimizer: Optimizer, be: Backend) -> tuple[Problem, dict[str, Any]]:
    """The fixed part of the run, and its numbers on the backend: per-trajectory arrays (N,)
    become (N, 1) arrays; scalars stay Python floats (the compiled engine makes them 0-d)."""
    switches, numbers = split_settings(optimizer.settings)
    numbers = {k: be.asarray(v[:, None]) if isinstance(v, np.ndarray) else v
               for k, v in numbers.items()}
    return Problem(landscape, optimizer.spec, switches, be.xp), numbers


class Recording:
    """The recorded arrays, on the backend's device: rows of the points (kept as (R, 2, N):
    each row's x and y contiguous, so a compiled block of rows is two plain copies, 2× faster
    than writing them interleaved), ``loss``, ``grad_norm`` and ``step_size`` (R, N), written
    one row (eager) or a block (compiled) at a time. Rows are allocated empty: every one is
    written. :meth:`to_numpy` gives ``path`` as (R, N, 2) (a transposed view)."""

    def __init__(self, be: Backend, rows: int, n: int, drawn: bool = False):
        xp = be.xp
        self.xy = xp.empty((rows, 2, n), dtype=be.dtype, device=be.device)
        self.loss = xp.empty((rows, n), dtype=be.dtype, device=be.device)
        self.grad_norm = xp.empty((rows, n), dtype=be.dtype, device=be.device)
        self.step_size = xp.empty((rows, n), dtype=be.dtype, device=be.device)
        self.drawn = xp.empty((rows, n, 2), dtype=be.dtype, device=be.device) if drawn else None

    def put(self, i: int, p, f, grad_norm, step_size) -> None:
        """Row ``i``, with the points as an (N, 2) array."""
        self.put_columns(i, p[:, 0], p[:, 1], f, grad_norm, step_size)

    def put_columns(self, i, x, y, f, grad_norm, step_size) -> None:
        """Row ``i`` (an int) or rows ``i`` (a slice, with stacked values), with the points
        given as their two coordinates."""
        self.xy[i, 0] = x
        self.xy[i, 1] = y
        self.loss[i] = f
        self.grad_norm[i] = grad_norm
        self.step_size[i] = step_size

    def to_numpy(self, be: Backend) -> dict[str, np.ndarray]:
        out = {k: be.to_numpy(getattr(self, k)) for k in ("loss", "grad_norm", "step_size")}
        out["path"] = be.to_numpy(self.xy).transpose(0, 2, 1)
        if self.drawn is not None:
            out["drawn"] = be.to_numpy(self.drawn)
        return out


class StateRecording:
    """The optimizer state at the recorded steps, as host copies: one list of (N, …) arrays
    per state field (NamedTuple fields joined by "."; unused ``None`` fields skipped), and the
    rule's step scale where it declares one. Refuses, before the first step, a recording
    larger than :data:`MAX_STATE_BYTES`."""

    def __init__(self, pb: Problem, be: Backend):
        self.pb, self.be = pb, be
        self.rows: dict[str, list] = {}

    def check(self, state, rows: int) -> None:
        leaves = state_fields(state)
        per_row = sum(int(np.prod(a.shape)) for a in leaves.values())
        if self.pb.spec.step_scale is not None:
            per_row += 2 * next(iter(leaves.values())).shape[0] if leaves else 0
        need = rows * per_row * 8  # host copies, float64 at most
        if need > MAX_STATE_BYTES:
            raise ValueError(
                f"Recording the optimizer state ({', '.join(leaves)}) of {rows} steps needs "
                f"{need / 2**20:.0f} MiB (limit {MAX_STATE_BYTES / 2**20:.0f} MiB): use record=k "
                "(every k-th step), fewer steps or fewer trajectories.")

    def put(self, state, hp, t: int) -> None:
        for name, a in state_fields(state).items():
            self.rows.setdefault(name, []).append(np.array(self.be.to_numpy(a)))
        if self.pb.spec.step_scale is not None:
            scale = self.pb.spec.step_scale(state, hp, t, self.pb.xp) if t else None
            self.rows.setdefault("step_scale", []).append(
                np.full(self.rows[next(iter(self.rows))][-1].shape[:1] + (2,), np.nan) if scale is None
                else np.array(self.be.to_numpy(scale)))

    def to_numpy(self) -> dict[str, np.ndarray]:
        return {name: np.stack(rows) for name, rows in self.rows.items()}


def state_fields(state, prefix: str = "") -> dict:
    """The arrays of a (nested) NamedTuple state by field path ("m", "base.m")."""
    out = {}
    for name, value in zip(state._fields, state, strict=True):
        if value is None:
            continue
        if isinstance(value, tuple):
            out.update(state_fields(value, f"{prefix}{name}."))
        else:
            out[prefix + name] = value
    return out


def _run_eager(pb: Problem, be: Backend, numbers, sigma, limit: float, starts: np.ndarray,
               steps: int, factors: np.ndarray, recorded: np.ndarray, seed: int, batches=None,
               states: StateRecording | None = None):
    """Step by step on the backend, recording the rows in ``recorded``; ``batches`` yields
    each step's sample indices (None: full gradients); ``states`` records the optimizer state
    at those rows too."""
    n = starts.shape[0]
    sigma_b = be.asarray(sigma[:, None]) if isinstance(sigma, np.ndarray) else sigma
    draw = be.normal_stream(seed, (n, 2)) if _noisy(sigma) else None
    drawn = pb.spec.drawn
    rec = Recording(be, len(recorded), n, drawn is not None)
    slot = {int(s): i for i, s in enumerate(recorded)}

    def record(i, c, step_len, factor, t=0):
        rec.put(i, c.p, c.f, row_norm(c.g), step_len)
        if drawn is not None:
            rec.drawn[i] = drawn(c.p, c.state, pb.hyperparams(numbers, factor), be.xp)
        if states is not None:
            states.put(c.state, pb.hyperparams(numbers, factor), t)

    with np.errstate(all="ignore"):
        c = start_carry(pb, be.asarray(starts), numbers, limit)
        if states is not None:
            states.check(c.state, len(recorded))
        record(0, c, 0.0, None)
        for t in range(1, steps + 1):
            factor = None if factors[t - 1] == 1.0 else float(factors[t - 1])
            c, step_len = advance(pb, c, numbers, sigma_b, limit, draw() if draw else None,
                                  factor, t, fast=True, measure=t in slot,
                                  batch=next(batches) if batches else None)
            if t in slot:
                record(slot[t], c, step_len, factor, t)
    return c, rec


@dataclass(frozen=True)
class BatchPlan:
    """Which samples each step sees: ``size`` B of ``n`` samples (None: not a mini-batch run),
    ``per_epoch`` batches per pass over the data."""

    size: int | None = None
    n: int = 0
    shuffle: bool = True
    data_seed: int | tuple[int, ...] = 0
    drop_last: bool = False

    @classmethod
    def make(cls, landscape, batch_size, shuffle, data_seed, drop_last) -> BatchPlan:
        if batch_size is None:
            return cls()
        n = getattr(landscape, "n_samples", None)
        if n is None:
            raise ValueError(
                f"batch_size needs a surface made from data (e.g. linear_regression); "
                f"'{getattr(landscape, 'name', 'custom')}' has no samples. Leave batch_size=None.")
        if not (isinstance(batch_size, int | np.integer) and is_number(batch_size)
                and 1 <= batch_size <= n):
            raise ValueError(f"batch_size must be a whole number from 1 (stochastic) to {n} "
                             f"(all samples: full batch); got {batch_size!r}.")
        return cls(int(batch_size), n, bool(shuffle), _data_seeds(data_seed), bool(drop_last))

    @property
    def per_epoch(self) -> int:
        return self.n // self.size if self.drop_last else -(-self.n // self.size)

    @property
    def members(self) -> int | None:
        """N when each trajectory has its own ``data_seed`` (a tuple), else None."""
        return len(self.data_seed) if isinstance(self.data_seed, tuple) else None

    @property
    def batches(self):
        """An endless iterator of sample-index arrays, or None for full gradients: (B,) shared
        by every trajectory, or (N, B) with one permutation per trajectory's seed."""
        if self.size is None or self.size == self.n:
            return None
        return self._cut()

    def _cut(self):
        seeds = self.data_seed if isinstance(self.data_seed, tuple) else (self.data_seed,)
        rngs = [np.random.default_rng(s) for s in seeds]
        while True:
            order = np.stack([rng.permutation(self.n) if self.shuffle else np.arange(self.n)
                              for rng in rngs])
            if self.members is None:
                order = order[0]
            for k in range(self.per_epoch):
                yield order[..., k * self.size:(k + 1) * self.size]

    def settings(self, steps: int) -> dict[str, Any]:
        """What RunResult.settings records: B, batches per epoch, epochs (steps / batches per
        epoch), shuffle, seed(s)."""
        if self.size is None:
            return {"batch_size": None}
        seed = list(self.data_seed) if isinstance(self.data_seed, tuple) else self.data_seed
        return {"batch_size": self.size, "batches_per_epoch": self.per_epoch,
                "epochs": steps / self.per_epoch, "shuffle": self.shuffle, "data_seed": seed,
                "drop_last": self.drop_last}


def _data_seeds(data_seed) -> int | tuple[int, ...]:
    """A whole number ≥ 0, or a 1-D sequence of them (one per trajectory) as a tuple."""
    if isinstance(data_seed, int | np.integer) and is_number(data_seed) and data_seed >= 0:
        return int(data_seed)
    arr = np.asarray(data_seed) if isinstance(data_seed, list | tuple | np.ndarray) else None
    if arr is not None and arr.ndim == 1 and arr.size and np.issubdtype(arr.dtype, np.integer) \
            and np.all(arr >= 0):
        return tuple(int(s) for s in arr)
    raise ValueError("data_seed must be a whole number ≥ 0, or a 1-D array of them (one per "
                     f"trajectory); got {data_seed!r:.60}.")


def _noisy(sigma) -> bool:
    return isinstance(sigma, np.ndarray) or sigma > 0


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
    if is_number(noise):
        if not (np.isfinite(noise) and noise >= 0):
            raise ValueError(f"noise σ must be a finite number ≥ 0; got {noise!r}.")
        return float(noise)
    arr = np.asarray(noise, dtype=np.float64)
    if arr.ndim != 1 or arr.size == 0 or not np.all(np.isfinite(arr)) or np.any(arr < 0):
        raise ValueError("noise σ must be a number ≥ 0 or a 1-D array of them (one per trajectory).")
    return arr


def run_many(landscape, optimizers: Sequence[Optimizer | str], starts, steps: int = 500,
             **kwargs) -> list[RunResult]:
    """Run several optimizers with the same starts, settings, seed and noise stream."""
    return [run(landscape, opt, starts, steps, **kwargs) for opt in optimizers]

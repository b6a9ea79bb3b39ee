r"""Large NumPy runs cut into blocks of trajectories and spread over the machine's cores.

Row i of every array of a run depends only on row i (trajectory i's start and settings), so
a run of N trajectories can be cut: rows [0, B), [B, 2B), … run as separate runs, one block
after another, shared among W processes (this one and W − 1 forked copies of it), and the
results put side by side equal the single run's bit for bit. Two things make that faster:

* **cache:** a step is ~40 array operations. On one run of N = 262,144 rows each operation
  streams its 4 MB operands from memory; a block of B = 8,192 rows (128 kB per (B, 2)
  array) stays in the core's cache from one operation to the next (measured, Adam on
  Rosenbrock, 65,536 trajectories × 500 steps: 1.51 s in blocks against 2.10 s in one run);
* **cores:** NumPy's small operations hold the interpreter lock most of the time, so two
  threads ran no faster than one; forked processes share no lock (0.77 s on 2 cores).

Cut only where nothing couples the rows or depends on N: the NumPy backend, no gradient
noise (its stream is drawn for all N at once), no mini-batches and no recorded state. A
child that fails or dies leaves its blocks to this process, which runs them itself.
"""

from __future__ import annotations

import dataclasses
import os
import pickle
import time

import numpy as np

from .engine import RunResult, run
from .registry import Optimizer

BLOCK = 8_192  # trajectories per block: a block's (B, 2) float64 arrays stay in a core's cache
MAX_WORKERS = 8


def cuttable(run_kwargs: dict) -> bool:
    """Whether a run with these keyword arguments may be cut into blocks (see the module)."""
    noise = run_kwargs.get("noise", 0.0)
    return (run_kwargs.get("backend", "numpy") == "numpy"
            and isinstance(noise, int | float) and noise == 0
            and run_kwargs.get("batch_size") is None
            and not run_kwargs.get("record_state", False)
            and np.ndim(run_kwargs.get("data_seed", 0)) == 0)


def default_workers() -> int:
    """The cores this process may use (its CPU affinity), at most :data:`MAX_WORKERS`."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(MAX_WORKERS, cores or 1))


def run_in_blocks(landscape, optimizer: Optimizer, starts, steps: int, *,
                  workers: int | None = None, block: int | None = None,
                  **run_kwargs) -> RunResult:
    """:func:`optim_core.run` cut into blocks of ``block`` trajectories (default
    :data:`BLOCK`) run by ``workers`` processes (default: :func:`default_workers`); the same
    result as one run. One run where :func:`cuttable` says no or N ≤ ``block``."""
    block = block or BLOCK
    starts = np.asarray(starts, dtype=np.float64)
    n = max(starts.shape[0] if starts.ndim == 2 else 1, optimizer.batch_size() or 1)
    if n <= block or not cuttable(run_kwargs):
        return run(landscape, optimizer, starts, steps, **run_kwargs)
    tic = time.perf_counter()
    blocks = [np.arange(a, min(a + block, n)) for a in range(0, n, block)]
    shares = np.array_split(np.arange(len(blocks)), min(workers or default_workers(), len(blocks)))

    def part(share) -> list[RunResult]:
        return [run(landscape, _rows_of(optimizer, blocks[k], n),
                    starts[blocks[k]] if starts.ndim == 2 else starts, steps, **run_kwargs)
                for k in share]

    children = [_fork(part, share) for share in shares[1:]]
    done = part(shares[0])
    for child, share in zip(children, shares[1:], strict=True):
        done += _collect(child) or part(share)
    out = concat_runs(done, optimizer)
    return dataclasses.replace(out, seconds=time.perf_counter() - tic)


def _rows_of(optimizer: Optimizer, rows: np.ndarray, n: int) -> Optimizer:
    """The optimizer of trajectories ``rows``: its per-trajectory arrays cut to those rows (a
    wrapper such as Lookahead holds its base's hyperparameters among its own)."""
    return dataclasses.replace(optimizer, hyperparams={
        k: v[rows] if isinstance(v, np.ndarray) and v.shape[:1] == (n,) else v
        for k, v in optimizer.hyperparams.items()})


def concat_runs(parts: list[RunResult], optimizer: Optimizer) -> RunResult:
    """Runs of consecutive blocks of trajectories as one run (arrays joined on the
    trajectory axis; ``optimizer`` gives the whole run's hyperparameters)."""
    def join(name: str, axis: int):
        arrays = [getattr(p, name) for p in parts]
        return None if arrays[0] is None else np.concatenate(arrays, axis=axis)
    first = parts[0]
    return dataclasses.replace(
        first, hyperparams=dict(optimizer.hyperparams),
        **{name: join(name, 1) for name in ("path", "loss", "grad_norm", "step_size", "drawn")},
        **{name: join(name, 0) for name in ("diverged_at", "stop_reason", "first_hit",
                                            "hit_index")},
        note=next((p.note for p in parts if p.note), ""))


def _fork(part, share) -> tuple[int, int]:
    """Run ``part(share)`` in a forked child; (pid, read end of the pipe its pickle comes on)."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: compute, send, leave without running the parent's exit code
        try:
            os.close(read)
            runs = [dataclasses.replace(r, hyperparams={}) for r in part(share)]
            data = pickle.dumps(runs, protocol=pickle.HIGHEST_PROTOCOL)
            with os.fdopen(write, "wb") as pipe:
                pipe.write(data)
        finally:
            os._exit(0)
    os.close(write)
    return pid, read


def _collect(child: tuple[int, int]) -> list[RunResult] | None:
    """A child's runs, or None if it sent nothing whole (it failed or was killed)."""
    pid, read = child
    with os.fdopen(read, "rb") as pipe:
        data = pipe.read()
    os.waitpid(pid, 0)
    try:
        return pickle.loads(data) if data else None
    except (pickle.UnpicklingError, EOFError):
        return None

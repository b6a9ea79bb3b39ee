"""The compiled engine: the same step (:func:`optim_core.stepping.advance`), run in chunks of
``CHUNK`` steps that ``torch.compile`` turns into one program (Inductor: C++ on the CPU,
Triton on CUDA).

Inside a chunk, everything a step does (the noise, the schedule's factor, the optimizer's
rule, the surface's value and gradient, the stop check and the freeze, the recording) is
traced into one graph, so Inductor fuses the steps and keeps the state in registers between
them. Hyperparameters, σ, the box, the schedule's factors and the step counter enter as
tensors and the batch size N is dynamic, so one program serves all their values; a chunk
cut short (the run's last steps, a recorded step) runs the same program with its extra steps
switched off. The noise is drawn before each chunk by the run's ``torch.Generator`` on the
device, one (N, 2) draw per step as the eager engine does, so both see the same stream.

Programs are kept in this process (:data:`_PROGRAMS`), keyed by what is fixed in them: the
rule and its switches, the surface, dtype, device, chunk length, whether every step's row is
kept and whether there is noise. Inductor also caches what it compiled on disk
(``TORCHINDUCTOR_CACHE_DIR``, by default ``/tmp/torchinductor_<user>``), so a new process
compiles a program it has seen in a few seconds instead of ~20 s.

Where compiling fails (no C++ compiler, an operation Inductor cannot lower), the chunk runs
eagerly: the same results, slower; a warning says so once per program and
``RunResult.note`` says so on every run concerned.
"""

from __future__ import annotations

import functools
import time
import types
import warnings
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import numpy as np

from .backend import Backend
from .stepping import (
    Carry,
    Problem,
    advance,
    columns,
    join_carry,
    row_norm,
    split_carry,
    start_carry,
    step_length,
    tree_where,
)
from .tracking import first_hit

CHUNK = 16  # steps per compiled program: longer chunks compile slower and gain little
MAX_PROGRAMS = 32
MAX_FUSION = 4096  # operations Inductor may fuse into one loop: a whole split chunk


@dataclass
class _Program:
    """A compiled chunk, the eager chunk it falls back to, and the problem it was traced
    for (reused by later runs with the same key, so that dynamo's guards hold)."""

    problem: Problem
    compiled: Any
    eager: Any
    failure: str = ""


_PROGRAMS: OrderedDict[tuple, _Program] = OrderedDict()


def _chunk(pb: Problem, length: int, keep_rows: bool, criterion, numbers, sigma, limit,
           c: Carry, hits, noise, factors, t0, active_steps):
    """``length`` steps from ``c``, of which the first ``active_steps`` are taken. Returns the
    carry, either the stacked rows of every step (x, y, value, ‖∇f‖, step length) or the
    length of the last step taken, and the first hits of ``criterion`` (None: not tracked;
    see :mod:`optim_core.tracking`). A carry in the split layout takes its noise as (2, N)
    rows (one contiguous row per coordinate)."""
    xp = pb.xp
    split = isinstance(c.p, tuple)
    rows, before = [], c.p
    for k in range(length):
        active = active_steps > k
        eps = None if noise is None else (noise[k][0][:, None], noise[k][1][:, None]) if split \
            else noise[k]
        if not keep_rows and k:  # the point before the last step taken
            before = tree_where(active, c.p, before, xp)
        c, step_len = advance(pb, c, numbers, sigma, limit, eps, factors[k], t0 + k,
                              fast=False, measure=keep_rows, active=active)
        if criterion is not None:
            hits = first_hit(criterion, hits, c.p, c.f, t0 + k, c.alive & active, xp)
        if keep_rows:
            rows.append((*columns(c.p), c.f, row_norm(c.g), step_len))
    if keep_rows:
        return c, tuple(xp.stack(col) for col in zip(*rows, strict=True)), hits
    # the last step's length, 0 where frozen (its point did not move), as advance measures it
    return c, step_length(c.p, before), hits


def _bound_chunk(pb: Problem, keep_rows: bool, criterion):
    """:func:`_chunk` with its fixed part bound, as a function with a code object of its own:
    dynamo keeps its guards and its limit of recompilations per code object, so each program
    gets its own (a ``functools.partial`` is traced through one shared wrapper, whose limit all
    programs of a process would share)."""

    def chunk(numbers, sigma, limit, c, hits, noise, factors, t0, active_steps):
        return _chunk(pb, CHUNK, keep_rows, criterion, numbers, sigma, limit, c, hits, noise,
                      factors, t0, active_steps)

    return types.FunctionType(chunk.__code__.replace(), chunk.__globals__, chunk.__name__,
                              chunk.__defaults__, chunk.__closure__)


def _compile(fn, device, split: bool):
    """``torch.compile`` for a chunk. On the CPU, a chunk in the joint (N, 2) layout gets no
    SIMD code: there it had vectors of two lanes (a row's x and y) or strided columns, which
    ran 3× slower than plain scalar loops. A split chunk is a loop over contiguous columns,
    which SIMD suits, fused whole into one loop (Inductor's default cap of 64 fused
    operations cut it into several, each writing the whole state out): Adam on Rosenbrock
    ran 1.4× faster than with a cap of 256, Adan 2.4×, and compiled as fast, now that the
    stop check is a few operations a step (with the six-operation ``isfinite`` of every
    array, whole-chunk fusion had made gcc take minutes per program)."""
    import torch

    if torch.device(device).type != "cpu":
        options = None
    else:
        options = {"max_fusion_size": MAX_FUSION} if split else {"cpp.simdlen": 1}
    return torch.compile(fn, fullgraph=True, dynamic=True, options=options)


def _spec_key(spec) -> tuple:
    inner = _spec_key(spec.inner) if spec.inner is not None else None
    return spec.name, spec.step.__module__, spec.step.__qualname__, inner


def _key(pb: Problem, be: Backend, keep_rows: bool, noisy: bool, criterion) -> tuple:
    land = pb.landscape
    land_key = (getattr(land, "name", None), str(getattr(land, "expr", id(land))),
                getattr(land, "smooth", None))
    switches = tuple(sorted((k, repr(v)) for k, v in pb.switches.items()))
    return (_spec_key(pb.spec), switches, land_key, str(be.dtype), str(be.device), CHUNK,
            keep_rows, noisy, repr(criterion))


def _program(key: tuple, pb: Problem, keep_rows: bool, criterion, device,
             split: bool) -> _Program:
    if key in _PROGRAMS:
        _PROGRAMS.move_to_end(key)
        return _PROGRAMS[key]
    eager = functools.partial(_chunk, pb, CHUNK, keep_rows, criterion)
    try:
        compiled = _compile(_bound_chunk(pb, keep_rows, criterion),
                            device, split)
    except Exception as exc:  # e.g. torch.compile unsupported on this Python
        prog = _Program(pb, None, eager, _why(exc))
    else:
        prog = _Program(pb, compiled, eager)
    _PROGRAMS[key] = prog
    while len(_PROGRAMS) > MAX_PROGRAMS:
        _PROGRAMS.popitem(last=False)
    return prog


def _why(exc: Exception) -> str:
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return f"{type(exc).__name__}: {first[:200]}"


def _graphs() -> int:
    from torch._dynamo.utils import counters

    return counters["stats"]["unique_graphs"]


def _call(prog: _Program, what: str, args) -> tuple[Any, float]:
    """Run one chunk compiled (eagerly if compiling failed); returns the output and the time
    spent compiling in this call (0 when nothing new was compiled)."""
    if prog.failure:
        return prog.eager(*args), 0.0
    from torch.fx.experimental import _config as shapes

    graphs, tic = _graphs(), time.perf_counter()
    try:
        # No duck sizing: by default dynamo gives equal sizes one symbol, so a first run of N =
        # 16 (= CHUNK, the noise's first dimension) or N = 2 (a row's two coordinates) would
        # tie the program to that N and compile again for every other.
        with warnings.catch_warnings(), shapes.patch(use_duck_shape=False):
            # dynamo's notes on array_api_compat's lru_caches
            warnings.filterwarnings("ignore", "Dynamo detected a call", UserWarning)
            out = prog.compiled(*args)
    except Exception as exc:  # compilation failed: same chunk, eagerly, from the same carry
        prog.failure = _why(exc)
        warnings.warn(f"optiviz: torch.compile could not compile {what} ({prog.failure}); "
                      "running it eagerly instead (same results, slower).",
                      RuntimeWarning, stacklevel=4)
        return prog.eager(*args), time.perf_counter() - tic
    return out, (time.perf_counter() - tic if _graphs() != graphs else 0.0)


def _copy_leaves(tree):
    """Each tensor of a (nested) tuple copied into memory of its own, contiguous."""
    import torch

    if isinstance(tree, tuple):
        items = (_copy_leaves(a) for a in tree)
        return type(tree)(*items) if hasattr(tree, "_fields") else tuple(items)
    return tree.clone(memory_format=torch.contiguous_format) if torch.is_tensor(tree) else tree


def _keeps_rows(recorded: np.ndarray) -> bool:
    """Keep every step's row when recorded steps are less than a chunk apart (record='all'
    or every k < CHUNK steps); else return only each chunk's last state."""
    return len(recorded) > 1 and int(np.diff(recorded).min()) < CHUNK


def run_compiled(pb: Problem, be: Backend, numbers: dict[str, Any], sigma, limit: float,
                 starts: np.ndarray, steps: int, factors: np.ndarray, recorded: np.ndarray,
                 seed: int, criterion=None):
    """Like the eager loop of :func:`optim_core.run`, in compiled chunks. Returns the final
    carry, the :class:`~optim_core.engine.Recording`, the seconds spent compiling, a note
    (empty unless it had to run eagerly) and the first hits of ``criterion`` (None if not
    tracked)."""
    import torch

    from .engine import Recording  # here, not at the top: engine imports this module lazily

    n, dt, dev = starts.shape[0], be.dtype, be.device
    noisy = isinstance(sigma, np.ndarray) or sigma > 0
    keep_rows = _keeps_rows(recorded)
    split = pb.spec.is_coordinatewise(pb.switches)
    prog = _program(_key(pb, be, keep_rows, noisy, criterion), pb, keep_rows, criterion, dev,
                    split)
    what = f"{pb.spec.name} on {getattr(pb.landscape, 'name', 'a custom surface')}"

    def tensor(v):
        return v if isinstance(v, torch.Tensor) else torch.tensor(v, dtype=dt, device=dev)

    numbers = {k: tensor(v) for k, v in numbers.items()}
    sigma_t = tensor(sigma[:, None] if isinstance(sigma, np.ndarray) else sigma)
    limit_t = tensor(limit)
    factors_t = tensor(np.concatenate([factors, np.ones(CHUNK)]))
    draw = be.normal_stream(seed, (n, 2)) if noisy else None
    noise = torch.zeros((CHUNK, 2, n) if split else (CHUNK, n, 2), dtype=dt, device=dev) \
        if noisy else None
    drawn = torch.empty((n, 2), dtype=dt, device=dev) if noisy and split else None
    rec = Recording(be, len(recorded), n)
    slot = {int(s): i for i, s in enumerate(recorded)}

    start = start_carry(prog.problem, be.asarray(starts), numbers, limit_t)
    rec.put(0, start.p, start.f, row_norm(start.g), 0.0)
    # Each array in memory of its own: init may share one zeros array between fields (Adam's
    # m and v), and dynamo would guard on that aliasing and compile again once the step has
    # made them different arrays; split columns become contiguous (N, 1) arrays.
    c = _copy_leaves((split_carry(start) if split else start)._replace(all_alive=False))
    hits = None
    if criterion is not None:
        never = torch.full((n,), -1, dtype=torch.int64, device=dev)
        hits = first_hit(criterion, (never, never), start.p, start.f, 0, start.alive, be.xp)
    compile_seconds, t0 = 0.0, 1
    while t0 <= steps:
        end = min(t0 + CHUNK - 1, steps)
        if not keep_rows:  # end the chunk at the next recorded step
            end = min(end, int(recorded[np.searchsorted(recorded, t0)]))
        taken = end - t0 + 1
        for k in range(taken if noisy else 0):  # the eager engine's (N, 2) draws, in order
            if split:
                draw(out=drawn)
                noise[k].copy_(drawn.T)
            else:
                draw(out=noise[k])
        args = (numbers, sigma_t, limit_t, c, hits, noise,
                factors_t[t0 - 1:t0 - 1 + CHUNK].clone(), tensor(t0),
                torch.tensor(taken, device=dev))
        (c, out, hits), spent = _call(prog, what, args)
        compile_seconds += spent
        if keep_rows:
            kept = [t for t in range(t0, end + 1) if t in slot]
            if len(kept) == taken:  # every step of the chunk
                rec.put_columns(slice(slot[t0], slot[end] + 1), *(col[:taken] for col in out))
            elif kept:
                rows = torch.tensor([t - t0 for t in kept], device=dev)
                at = slice(slot[kept[0]], slot[kept[-1]] + 1)
                rec.put_columns(at, *(col.index_select(0, rows) for col in out))
        elif end in slot:
            rec.put_columns(slot[end], *columns(c.p), c.f, row_norm(c.g), out)
        t0 = end + 1
    note = (f"compiled engine unavailable for {what}: {prog.failure}; ran eagerly"
            if prog.failure else "")
    return join_carry(c, start, be.xp) if split else c, rec, compile_seconds, note, hits

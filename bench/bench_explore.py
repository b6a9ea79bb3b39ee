"""Benchmark: the explorer's sweep and basin map (NumPy backend), each next to peers timed in
the same process.

    python bench/bench_explore.py [--threads T] [--quick] [--no-profile]

What is measured (wall clock of one call, after a short warm-up call)
----------------------------------------------------------------------
* **Sweep**: ``sweep(rosenbrock, "adam", {"lr": 256 log-spaced values in [1e-3, 1e-1],
  "beta1": 256 values in [0.5, 0.99]}, steps=500)`` (65,536 cells from Rosenbrock's start,
  first step with f − f* ≤ 1e-2 tracked). Target ≤ 1 s.
* **Basin map**: ``basins(himmelblau, sgd(lr=0.01), resolution=(512, 512), steps=300)``
  (262,144 starts; first step within 1e-3 of one of the 4 minima tracked). Target ≤ 1.5 s.

``sweep()`` and ``basins()`` cut their run into blocks of 8,192 trajectories shared among
the machine's cores (this process and forked copies: :mod:`optim_core.blocks`).

Rows next to each:

* ``run`` alone: the same vectorized run with ``record="final"`` and no tracking, as one
  block in one process (what the blocks and the cores gain, net of the tracking's cost);
* peer (a), "one run per cell": the same work as separate ``run`` calls, one per cell, timed on
  a sample of cells and scaled linearly to the grid (what a user without the vectorized
  explorer does). The sample's results must equal the explorer's cells bit for bit, else exit
  status 1 (each cell's values are passed as length-1 arrays: see ``sweep``'s docstring);
* peer (b), "torch.optim, one (N, 2) tensor": ``torch.optim.Adam`` / ``SGD`` stepping all cells
  as one tensor with ONE shared setting (torch's best case: for the sweep, not the same
  computation, since the cells' hyperparameters differ); for the basin map the same first-hit
  check is written in torch in the loop, so it is the same computation.

Columns: wall seconds, CPU seconds of the process and its forked workers (where measured),
and peer wall seconds /
optiviz wall seconds (above 1: optiviz faster). The machine is shared: the load average is
printed before and after; the CPU seconds stay near what a quiet machine would take while the
wall clock also counts waiting for a core; ``--threads 1`` keeps torch off busy cores.
``--profile`` (default on) splits the explorer's time into surface (value and gradient), the
optimizer's rule, the first-hit tracking and the rest of the engine (cProfile; its overhead
inflates small calls, so read the shares, not the seconds).
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import time

import numpy as np

from landscapes import get_landscape
from optim_core import basins, make_optimizer, run, sweep

SWEEP_TARGET, BASIN_TARGET = 1.0, 1.5
SWEEP_TOL = 1e-2


def _load() -> str:
    return "load average " + " ".join(f"{v:.2f}" for v in os.getloadavg())


CPU_SECONDS: dict[float, float] = {}  # wall seconds of a call -> its process CPU seconds


def _cpu() -> float:
    """CPU seconds of this process and of its children that have ended (the explorer's
    forked workers: see optim_core.blocks)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def _clock(fn):
    """Wall seconds and result of ``fn()``; its CPU seconds are kept for the report: on a
    shared machine they stay near what a quiet one would take, while the wall clock waits."""
    tic, cpu = time.perf_counter(), _cpu()
    out = fn()
    wall = time.perf_counter() - tic
    CPU_SECONDS[wall] = _cpu() - cpu
    return wall, out


def _row(label: str, seconds: float, ours: float | None = None, note: str = "",
         cpu: float | None = None) -> None:
    ratio = f"{seconds / ours:8.1f}x" if ours else f"{'':9}"
    cpu_text = f"{cpu:7.2f}" if cpu is not None else f"{'':7}"
    print(f"  {label:68} {seconds:8.2f} {cpu_text} {ratio}  {note}")


# --------------------------------------------------------------------------------------------
# Sweep


def bench_sweep(n: int, steps: int, sample: int) -> tuple[float, list[str]]:
    import torch

    land = get_landscape("rosenbrock")
    axes = {"lr": np.geomspace(1e-3, 1e-1, n), "beta1": np.linspace(0.5, 0.99, n)}
    print(f"\nSweep: Adam on rosenbrock, {n} x {n} = {n * n} cells x {steps} steps "
          f"(target {SWEEP_TARGET:g} s at 256 x 256 x 500)")
    sweep(land, "adam", {k: v[:4] for k, v in axes.items()}, steps=3)  # warm-up
    sec, sw = _clock(lambda: sweep(land, "adam", axes, steps=steps, tol=SWEEP_TOL))
    lr, b1 = (g.ravel() for g in np.meshgrid(*axes.values(), indexing="ij"))
    sec_run, _ = _clock(lambda: run(land, make_optimizer("adam", lr=lr, beta1=b1), land.start,
                                    steps, record="final"))
    cells = np.random.default_rng(0).choice(n * n, sample, replace=False)
    singles = []

    def one_per_cell():
        for c in cells:
            one = make_optimizer("adam", lr=lr[c:c + 1], beta1=b1[c:c + 1])  # see sweep()
            singles.append(run(land, one, land.start, steps, record="final").loss[-1, 0])

    sec_a, _ = _clock(one_per_cell)
    problems = [f"sweep cell {c}: {sw.final_loss.ravel()[c]!r} != single run {s!r}"
                for c, s in zip(cells, singles, strict=True) if sw.final_loss.ravel()[c] != s]
    p = torch.tensor(np.broadcast_to(land.start, (n * n, 2)).copy(), dtype=torch.float64)
    opt = torch.optim.Adam([p], lr=1e-2, betas=(0.9, 0.999))

    def torch_loop():
        with torch.no_grad():
            for _ in range(steps):
                p.grad = land.grad(p)
                opt.step()

    sec_b, _ = _clock(torch_loop)
    _row("optiviz sweep() (NumPy float64, first step within tol tracked)", sec, cpu=CPU_SECONDS[sec],
         note=f"{(sw.steps_to_tol >= 0).sum()} cells reached {sw.criterion}")
    _row("optiviz run() alone, record='final', no tracking", sec_run, sec, cpu=CPU_SECONDS[sec_run])
    _compiled_row("optiviz sweep(), compiled engine (torch float64, as the page)",
                  lambda **kw: sweep(land, "adam", {k: v[:4] for k, v in axes.items()}, steps=40,
                                     tol=SWEEP_TOL, **kw),
                  lambda **kw: sweep(land, "adam", axes, steps=steps, tol=SWEEP_TOL, **kw),
                  sw.steps_to_tol, "steps_to_tol", sec)
    _row(f"peer (a) one run() per cell, {sample} cells scaled to {n * n}", sec_a * n * n / sample, sec)
    _row("peer (b) torch.optim.Adam on one (N, 2) tensor, shared lr, beta1", sec_b, sec,
         cpu=CPU_SECONDS[sec_b])
    return sec, problems


def _compiled_row(label: str, small, full, eager_values: np.ndarray, field: str,
                  ours: float) -> None:
    """The same call through the compiled engine: compiled once on a small grid (one program
    serves every grid size; the small call runs more than a chunk's steps, else it would
    compile the program that keeps every step's row), then timed; the share of cells whose
    ``field`` equals the NumPy result's (float64 both: only round-off near the tolerance's
    edge may differ)."""
    kw = {"backend": "torch", "compile": True}
    first = small(**kw)
    compile_s = getattr(first, "compile_seconds", None)
    sec, res = _clock(lambda: full(**kw))
    same = float(np.mean(getattr(res, field) == eager_values))
    _row(label, sec, cpu=CPU_SECONDS[sec],
         note=f"{ours / sec:.1f}x the NumPy call's speed; {same:.2%} of cells equal to NumPy's"
              + (f"; compiled in {compile_s:.0f} s first" if compile_s else ""))


# --------------------------------------------------------------------------------------------
# Basins


def torch_basins(land, starts: np.ndarray, lr: float, steps: int, tol: float):
    """torch.optim.SGD on one (N, 2) tensor with the first-hit check of basins() in the loop;
    returns (first step, index of the minimum) per start."""
    import torch

    p = torch.tensor(starts, dtype=torch.float64)
    minima = torch.tensor(land.minima, dtype=torch.float64)
    opt = torch.optim.SGD([p], lr=lr)
    first = torch.full((len(starts),), -1, dtype=torch.int64)
    index = torch.full_like(first, -1)
    with torch.no_grad():
        for t in range(steps + 1):
            if t:
                p.grad = land.grad(p)
                opt.step()
            d2 = ((p[:, None, :] - minima) ** 2).sum(-1)
            best, which = d2.min(dim=1)
            new = (best <= tol * tol) & (first < 0)
            first = torch.where(new, t, first)
            index = torch.where(new, which, index)
    return first.numpy(), index.numpy()


def bench_basins(n: int, steps: int, sample: int) -> tuple[float, list[str]]:
    land, lr = get_landscape("himmelblau"), 0.01
    opt = make_optimizer("sgd", lr=lr)
    print(f"\nBasin map: SGD (lr={lr:g}) on himmelblau, {n} x {n} = {n * n} starts x {steps} steps "
          f"(target {BASIN_TARGET:g} s at 512 x 512 x 300)")
    basins(land, opt, resolution=(8, 8), steps=3)  # warm-up
    sec, bs = _clock(lambda: basins(land, opt, resolution=(n, n), steps=steps))
    starts = np.stack(np.meshgrid(bs.x, bs.y), axis=-1).reshape(-1, 2)
    sec_run, _ = _clock(lambda: run(land, opt, starts, steps, record="final"))
    cells = np.random.default_rng(0).choice(n * n, sample, replace=False)
    sec_a, singles = _clock(lambda: [_single_label(land, opt, starts[c], steps, bs.tol)
                                     for c in cells])
    problems = [f"basin start {c}: {bs.label.ravel()[c]} != single run {s}"
                for c, s in zip(cells, singles, strict=True) if bs.label.ravel()[c] != s]
    sec_b, (first, index) = _clock(lambda: torch_basins(land, starts, lr, steps, bs.tol))
    if not np.array_equal(np.where(first >= 0, index, -1), np.maximum(bs.label.ravel(), -1)):
        problems.append("torch peer's basin labels differ from basins()")
    _row("optiviz basins() (NumPy float64, first step within tol tracked)", sec, cpu=CPU_SECONDS[sec],
         note="starts per label " + str({int(k): int(v) for k, v in zip(
             *np.unique(bs.label, return_counts=True), strict=True)}))
    _row("optiviz run() alone, record='final', no tracking", sec_run, sec, cpu=CPU_SECONDS[sec_run])
    _compiled_row("optiviz basins(), compiled engine (torch float64, as the page)",
                  lambda **kw: basins(land, opt, resolution=(8, 8), steps=40, **kw),
                  lambda **kw: basins(land, opt, resolution=(n, n), steps=steps, **kw),
                  bs.label, "label", sec)
    _row(f"peer (a) one run() per start, {sample} starts scaled to {n * n}", sec_a * n * n / sample, sec)
    _row("peer (b) torch.optim.SGD on one (N, 2) tensor, same first-hit check", sec_b, sec,
         cpu=CPU_SECONDS[sec_b])
    return sec, problems


# --------------------------------------------------------------------------------------------
# Profile


def profile_shares(call, step_fn) -> str:
    """Shares of ``call``'s time: the surface, the optimizer's rule, the tracking, the rest."""
    prof = cProfile.Profile()
    prof.runcall(call)
    stats = pstats.Stats(prof).stats
    cum = {(code[0].rsplit("/", 1)[-1], code[2]): entry[3] for code, entry in stats.items()}
    total = sum(v for (f, name), v in cum.items() if f == "engine.py" and name == "_run_eager")
    surface = sum(v for (f, name), v in cum.items() if f == "landscape.py" and name == "value_and_grad")
    probe = sum(v for (f, name), v in cum.items()
                if f == "tracking.py" and name == "value_and_grad") - surface
    rule = sum(v for (f, name), v in cum.items()
               if f == step_fn.__code__.co_filename.rsplit("/", 1)[-1] and name == step_fn.__name__)
    rest = total - surface - probe - rule
    parts = {"surface f, grad": surface, "optimizer rule": rule, "first-hit tracking": probe,
             "engine rest (checks, masks, noise)": rest}
    return ", ".join(f"{k} {v / total:.0%}" for k, v in parts.items())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's choice)")
    ap.add_argument("--quick", action="store_true", help="small grids (a smoke test)")
    ap.add_argument("--no-profile", dest="profile", action="store_false")
    args = ap.parse_args()
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"{'':70}{'wall s':>8} {'CPU s':>7} {'x peer':>9}")
    print(f"numpy {np.__version__}, torch {torch.__version__} ({torch.get_num_threads()} threads), "
          f"{os.cpu_count()} CPUs; before: {_load()}")
    sweep_n, sweep_steps, basin_n, basin_steps = (32, 100, 64, 60) if args.quick else (256, 500, 512, 300)
    sec_s, problems = bench_sweep(sweep_n, sweep_steps, 8 if args.quick else 32)
    sec_b, more = bench_basins(basin_n, basin_steps, 16 if args.quick else 64)
    problems += more
    print(f"\nafter: {_load()}")
    if not args.quick:
        print(f"sweep {sec_s:.2f} s vs target {SWEEP_TARGET:g} s ({sec_s / SWEEP_TARGET:.1f}x); "
              f"basin map {sec_b:.2f} s vs target {BASIN_TARGET:g} s ({sec_b / BASIN_TARGET:.1f}x)")
    if args.profile:
        from optim_core.adam import adam_step
        from optim_core.sgd import sgd_step

        n = sweep_n // 2
        axes = {"lr": np.geomspace(1e-3, 1e-1, n), "beta1": np.linspace(0.5, 0.99, n)}
        print("where the time goes (cProfile, quarter grids, one process):")
        print("  sweep:", profile_shares(lambda: sweep("rosenbrock", "adam", axes, steps=sweep_steps,
                                                       workers=1), adam_step))
        print("  basins:", profile_shares(
            lambda: basins("himmelblau", make_optimizer("sgd", lr=0.01), workers=1,
                           resolution=(basin_n // 2, basin_n // 2), steps=basin_steps), sgd_step))
    if problems:
        print("PARITY FAILED:\n  " + "\n  ".join(problems))
        sys.exit(1)
    print("parity OK: sampled cells equal separate runs; the torch basin peer's labels equal basins()")


def _single_label(land, opt, start, steps: int, tol: float) -> int:
    """basins()'s label for one start, from a single run recorded at every step."""
    one = run(land, opt, start, steps)
    dist = np.stack([np.hypot(*(one.path[:, 0] - m).T) for m in land.minima], axis=1)
    hits = np.flatnonzero(dist.min(axis=1) <= tol)
    if one.diverged_at[0] >= 0:
        return -2
    return int(np.argmin(dist[hits[0]])) if hits.size else -1


if __name__ == "__main__":
    main()

"""Benchmark: a hyperparameter sweep of Adam on Rosenbrock, optiviz against torch.optim.Adam.

    python bench/bench_sweep.py [--n N] [--steps S] [--device cpu|cuda|auto] [--record final|all]
                                [--threads T] [--quick]

What is measured
----------------
N trajectories start from one point (Rosenbrock's default start); trajectory i runs Adam with
its own learning rate (log-uniform in [1e-3, 1e-1]) and β₁ (uniform in [0.5, 0.99]) for S
steps (β₂, ε at their defaults). Each row is the wall-clock time of one call, after a short
warm-up call:

* optiviz: ``run(land, make_optimizer("adam", lr=lr, beta1=beta1), start, S, ...)`` with the
  NumPy backend (float64), the torch backend on the CPU (float64, float32) and, when CUDA is
  available, on the GPU (float32, float64). Each step also computes the loss and checks for
  divergence, which the peers do not do. ``result MB`` is the size of the returned arrays
  (path, loss, grad_norm, step_size, ...); ``--record`` picks what the headline rows keep
  (default ``final``: only the start and the end). One extra row uses the other mode, on the
  NumPy backend; a ``record="all"`` run keeps (S+1)·N·5 numbers, so its N is cut to stay
  under ``--max-record-gb``.
* peer (a), "extrapolated": one ``torch.optim.Adam`` with one param group per trajectory
  (each param a (2,) view of one (n, 2) tensor, foreach left at its default), the exact
  gradient of all n points computed in one call and copied into the grads each step. This
  is the same computation as the sweep, but Adam loops over groups in Python, so it is timed
  on a subsample of n trajectories and scaled linearly to N.
* peer (b), "shared hyperparameters": one ``torch.optim.Adam`` on a single (N, 2) tensor
  with ONE lr and β₁ for all trajectories, ``p.grad = land.grad(p)`` each step. This is the
  best case for torch, not the same computation (no per-trajectory hyperparameters).

Peers run on the device and dtype of the row they are compared with (NumPy: CPU float64).
NumPy's elementwise ops use one core; torch uses ``--threads`` (default: its own choice, all
cores). On a machine where other processes hold cores, torch with more threads than free
cores can be many times slower and its rows swing from run to run: use ``--threads 1`` there
(the header prints the load average before and after the timings).

How to read the ratios
----------------------
``× peer(a)`` and ``× peer(b)`` are optiviz throughput divided by the peer's throughput
(trajectories × steps per second), i.e. peer seconds / optiviz seconds at equal work:
above 1 optiviz is faster, below 1 slower. Against peer (a) the ratio is what the vectorized
per-trajectory hyperparameters buy; against peer (b) it is the price of optiviz's extra work
(per-trajectory arrays, loss, divergence masks, recording) over a bare shared-lr torch loop.

Correctness is checked in the same run: for three trajectories (the smallest lr, the lr
nearest 1e-2, the largest beta1 with lr <= 0.02), the optiviz sweep path (NumPy, float64,
every step) equals ``torch.optim.Adam`` stepping that trajectory alone to rtol = atol = 1e-9,
as do their float64 endpoints from every backend; peer (a)'s endpoints must equal optiviz's
for every subsampled trajectory with lr <= 0.02. It prints "parity OK" or exits with status 1.
Why lr <= 0.02: with a large lr and a small beta1, Adam keeps bouncing round the minimum and
the dynamics are chaotic, so 1-ulp differences between two implementations (e.g. torch's
addcdiv rounds (-a*m)/d where optiviz rounds a*(m/d)) grow to ~1e-2 within 500 steps; the line
above "parity OK" counts how many of peer (a)'s endpoints agree overall.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from landscapes.catalog import get_landscape
from optim_core import RunResult, make_optimizer, run

SURFACE = "rosenbrock"
LR_RANGE = (1e-3, 1e-1)
BETA1_RANGE = (0.5, 0.99)
PEER_B_LR, PEER_B_BETA1 = 1e-2, 0.9
PARITY_TOL = 1e-9
# Above this lr, Adam keeps bouncing round the minimum and the 1-ulp differences between any
# two implementations grow chaotically (to ~1e-2 within 500 steps for some lr > 0.04).
CALM_LR = 0.02
RESULT_FIELDS = ("path", "loss", "grad_norm", "step_size", "diverged_at", "step", "lr_factor")


@dataclass(frozen=True)
class Sweep:
    """Per-trajectory (lr, β₁), the shared start and the shared settings of the sweep."""

    lr: np.ndarray
    beta1: np.ndarray
    start: tuple[float, float]
    steps: int
    beta2: float
    eps: float

    @property
    def n(self) -> int:
        return len(self.lr)

    def head(self, n: int) -> Sweep:
        """The first ``n`` trajectories (the same hyperparameters, so results line up)."""
        return replace(self, lr=self.lr[:n], beta1=self.beta1[:n])


@dataclass(frozen=True)
class Config:
    backend: str
    device: str
    dtype: str

    @property
    def key(self) -> tuple[str, str]:
        """(device, dtype) of the peers this row is compared with."""
        return self.device, self.dtype


@dataclass(frozen=True)
class Row:
    label: str
    key: tuple[str, str]
    n: int
    steps: int
    seconds: float
    record: str = "-"
    mb: float | None = None
    peer: str = ""  # "a" or "b" for peer rows

    @property
    def rate(self) -> float:
        """Trajectories × steps per second."""
        return self.n * self.steps / self.seconds


# --------------------------------------------------------------------------------------------
# Setup


def make_sweep(n: int, steps: int, seed: int = 0) -> Sweep:
    """Row i of one (n, 2) uniform draw gives trajectory i, so a smaller N is a prefix of a larger."""
    u = np.random.default_rng(seed).random((n, 2))
    lo, hi = np.log10(LR_RANGE)
    defaults = make_optimizer("adam").hyperparams
    return Sweep(lr=10.0 ** (lo + (hi - lo) * u[:, 0]),
                 beta1=BETA1_RANGE[0] + (BETA1_RANGE[1] - BETA1_RANGE[0]) * u[:, 1],
                 start=tuple(get_landscape(SURFACE).start), steps=steps,
                 beta2=defaults["beta2"], eps=defaults["eps"])


def configs(device: str, cuda: bool) -> list[Config]:
    if device == "cuda" and not cuda:
        sys.exit("--device cuda was asked for but torch sees no CUDA GPU.")
    rows = [Config("numpy", "cpu", "float64")]
    if device in ("cpu", "auto"):
        rows += [Config("torch", "cpu", "float64"), Config("torch", "cpu", "float32")]
    if device in ("cuda", "auto") and cuda:
        rows += [Config("torch", "cuda", "float32"), Config("torch", "cuda", "float64")]
    return rows


def record_all_n(n: int, steps: int, max_gb: float) -> int:
    """Largest N (≤ n, a multiple of 1024 when above it) whose record='all' result fits max_gb."""
    per_trajectory = (steps + 1) * 5 * 8  # path (2) + loss + grad_norm + step_size, float64
    fit = int(max_gb * 1e9 // per_trajectory)
    if fit >= n:
        return n
    return max(fit // 1024 * 1024, min(fit, 1024), 1)


# --------------------------------------------------------------------------------------------
# Timing


def _sync(device: str) -> None:
    if device.startswith("cuda"):
        import torch

        torch.cuda.synchronize()


def _clock(fn: Callable[[], object], device: str) -> tuple[float, object]:
    _sync(device)
    tic = time.perf_counter()
    out = fn()
    _sync(device)
    return time.perf_counter() - tic, out


def result_mb(res: RunResult) -> float:
    return sum(getattr(res, name).nbytes for name in RESULT_FIELDS) / 1e6


def time_optiviz(land, sweep: Sweep, cfg: Config, record: str) -> tuple[Row, RunResult]:
    opt = make_optimizer("adam", lr=sweep.lr, beta1=sweep.beta1)
    kwargs = {"backend": cfg.backend, "device": cfg.device, "dtype": cfg.dtype, "record": record}
    run(land, opt, sweep.start, min(sweep.steps, 3), **kwargs)  # warm-up
    seconds, res = _clock(lambda: run(land, opt, sweep.start, sweep.steps, **kwargs), cfg.device)
    label = f"optiviz {cfg.backend} {cfg.device} {cfg.dtype}"
    return Row(label, cfg.key, sweep.n, sweep.steps, seconds, record, result_mb(res)), res


def _tensor_of_starts(sweep: Sweep, n: int, device: str, dtype: str):
    import torch

    starts = np.broadcast_to(np.asarray(sweep.start, dtype=np.float64), (n, 2))
    return torch.tensor(starts, dtype=getattr(torch, dtype), device=device)


def _peer_per_group(land, sweep: Sweep, device: str, dtype: str):
    """torch.optim.Adam, one param group per trajectory; returns (seconds, final (n, 2))."""
    import torch

    p = _tensor_of_starts(sweep, sweep.n, device, dtype)
    g = torch.zeros_like(p)
    params = list(p.unbind(0))  # (2,) views: Adam's in-place updates land in p
    for view, grad in zip(params, g.unbind(0), strict=True):
        view.grad = grad
    groups = [{"params": [v], "lr": float(lr), "betas": (float(b1), sweep.beta2)}
              for v, lr, b1 in zip(params, sweep.lr, sweep.beta1, strict=True)]
    opt = torch.optim.Adam(groups, eps=sweep.eps)

    def loop():
        with torch.no_grad():
            for _ in range(sweep.steps):
                g.copy_(land.grad(p))
                opt.step()
        return p.cpu().numpy()

    return _clock(loop, device)


def _peer_shared(land, sweep: Sweep, device: str, dtype: str):
    """torch.optim.Adam on one (N, 2) tensor with one lr and β₁; returns (seconds, final)."""
    import torch

    p = _tensor_of_starts(sweep, sweep.n, device, dtype)
    opt = torch.optim.Adam([p], lr=PEER_B_LR, betas=(PEER_B_BETA1, sweep.beta2), eps=sweep.eps)

    def loop():
        with torch.no_grad():
            for _ in range(sweep.steps):
                p.grad = land.grad(p)
                opt.step()
        return p.cpu().numpy()

    return _clock(loop, device)


def time_peers(land, sweep: Sweep, key: tuple[str, str], n_sub: int) -> tuple[list[Row], np.ndarray]:
    """Peer (a) on the first n_sub trajectories, scaled to N, and peer (b) at full N."""
    device, dtype = key
    sub = sweep.head(n_sub)
    _peer_per_group(land, replace(sub, steps=min(sweep.steps, 3)), device, dtype)  # warm-up
    sec_a, final_a = _peer_per_group(land, sub, device, dtype)
    _peer_shared(land, replace(sweep, steps=min(sweep.steps, 3)), device, dtype)
    sec_b, _ = _peer_shared(land, sweep, device, dtype)
    where = f"{device} {dtype}"
    rows = [
        Row(f"peer (a) 1 group/trajectory {where}, extrapolated from {n_sub}", key, sweep.n,
            sweep.steps, sec_a * sweep.n / n_sub, peer="a"),
        Row(f"peer (b) one (N,2) tensor {where}, shared hyperparameters", key, sweep.n,
            sweep.steps, sec_b, peer="b"),
    ]
    return rows, final_a


# --------------------------------------------------------------------------------------------
# Correctness


def reference_path(land, sweep: Sweep, i: int) -> np.ndarray:
    """(S + 1, 2) positions of trajectory i from torch.optim.Adam stepping it alone, float64."""
    import torch

    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)  # torch keeps scalar state in the default dtype
    try:
        p = torch.tensor(sweep.start, dtype=torch.float64)
        opt = torch.optim.Adam([p], lr=float(sweep.lr[i]), betas=(float(sweep.beta1[i]), sweep.beta2),
                               eps=sweep.eps)
        out = [p.clone()]
        with torch.no_grad():
            for _ in range(sweep.steps):
                p.grad = land.grad(p)
                opt.step()
                out.append(p.clone())
    finally:
        torch.set_default_dtype(previous)
    return torch.stack(out).numpy()


def parity_indices(sweep: Sweep) -> list[int]:
    """Three calm trajectories: the smallest lr, the lr nearest 1e-2, the largest β₁ (lr ≤ CALM_LR)."""
    calm = np.flatnonzero(sweep.lr <= CALM_LR)
    chosen = [int(np.argmin(sweep.lr)), int(np.argmin(np.abs(np.log10(sweep.lr) + 2.0))),
              int(calm[np.argmax(sweep.beta1[calm])])]
    return list(dict.fromkeys(chosen))


def _mismatch(label: str, ours: np.ndarray, ref: np.ndarray, rows: str = "step") -> str | None:
    """None if ``ours`` matches ``ref`` to PARITY_TOL, else where and by how much it does not."""
    if np.allclose(ours, ref, rtol=PARITY_TOL, atol=PARITY_TOL):
        return None
    dev = np.abs(np.atleast_2d(ours) - np.atleast_2d(ref)).max(axis=1)
    first = int(np.argmax(dev > 0))
    return f"{label}: max deviation {dev.max():.3g}; first nonzero {dev[first]:.3g} at {rows} {first}"


def check_parity(land, sweep: Sweep, full: RunResult, finals: dict[str, np.ndarray],
                 peer_final: np.ndarray) -> tuple[list[int], list[str], str]:
    """Returns (indices checked, problems, a note on peer (a)); no problems means parity OK.

    ``full`` recorded every step of the first trajectories of the sweep; ``finals`` maps a
    label to (N, 2) float64 endpoints; ``peer_final`` holds peer (a)'s (float64, CPU).
    """
    idx = parity_indices(sweep.head(full.path.shape[1]))
    problems = []
    for i in idx:
        ref = reference_path(land, sweep, i)
        name = f"trajectory {i} (lr={sweep.lr[i]:.4g}, beta1={sweep.beta1[i]:.4g})"
        problems.append(_mismatch(f"{name}, path by step", full.path[:, i], ref))
        problems += [_mismatch(f"{name}, endpoint of {label}", final[i], ref[-1], "endpoint")
                     for label, final in finals.items()]
    n = len(peer_final)
    ours = next(iter(finals.values()))[:n]
    calm = sweep.lr[:n] <= CALM_LR
    calm_ours = np.where(calm[:, None], ours, peer_final)  # rows keep their trajectory index
    problems.append(_mismatch(f"peer (a) endpoints with lr <= {CALM_LR:g}", calm_ours, peer_final,
                              "trajectory"))
    agree = np.all(np.isclose(ours, peer_final, rtol=PARITY_TOL, atol=PARITY_TOL), axis=1)
    note = (f"peer (a) endpoints equal optiviz's for {agree.sum()}/{n} trajectories "
            f"({agree[calm].sum()}/{calm.sum()} with lr <= {CALM_LR:g})")
    return idx, [p for p in problems if p], note


# --------------------------------------------------------------------------------------------
# Report


def _ratio(row: Row, peers: dict[tuple[tuple[str, str], str], Row], which: str) -> str:
    peer = peers.get((row.key, which))
    return f"{row.rate / peer.rate:8.2f}x" if peer and not row.peer else f"{'-':>9}"


def print_table(rows: list[Row]) -> None:
    peers = {(r.key, r.peer): r for r in rows if r.peer}
    width = max(len(r.label) for r in rows)
    print(f"{'':{width}}  {'record':>6} {'N':>7} {'seconds':>8} {'traj*steps/s':>12} "
          f"{'result MB':>9} {'x peer(a)':>9} {'x peer(b)':>9}")
    for r in rows:
        mb = f"{r.mb:9.1f}" if r.mb is not None else f"{'-':>9}"
        print(f"{r.label:{width}}  {r.record:>6} {r.n:>7} {r.seconds:8.2f} {r.rate:12.3g} {mb} "
              f"{_ratio(r, peers, 'a')} {_ratio(r, peers, 'b')}")


def _load() -> str:
    return f"{os.getloadavg()[0]:.2f}" if hasattr(os, "getloadavg") else "n/a"


def print_header(sweep: Sweep, n_sub: int) -> None:
    import torch

    print(f"Adam sweep on {SURFACE}: N={sweep.n} trajectories x S={sweep.steps} steps, one start "
          f"{sweep.start}, per-trajectory lr in {LR_RANGE} (log-uniform), beta1 in {BETA1_RANGE}")
    print(f"python {platform.python_version()}, numpy {np.__version__}, torch {torch.__version__} "
          f"({torch.get_num_threads()} threads), {os.cpu_count()} CPUs, load average {_load()}; "
          f"peer (a) subsample {n_sub}, peer (b) lr={PEER_B_LR:g} beta1={PEER_B_BETA1:g}")
    print("x peer = optiviz throughput / peer throughput on the same device and dtype "
          "(>1: optiviz faster)\n")


# --------------------------------------------------------------------------------------------
# Main


def parse_args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=65536, help="trajectories in the sweep")
    ap.add_argument("--steps", type=int, default=500, help="steps per trajectory")
    ap.add_argument("--device", choices=("cpu", "cuda", "auto"), default="auto",
                    help="torch device(s) to time; auto: the CPU, plus CUDA when available")
    ap.add_argument("--record", choices=("final", "all"), default="final",
                    help="what the headline rows record (the extra NumPy row uses the other)")
    ap.add_argument("--subsample", type=int, default=256, help="trajectories timed for peer (a)")
    ap.add_argument("--max-record-gb", type=float, default=2.0,
                    help="cap on the size of a record='all' result (N is cut to fit)")
    ap.add_argument("--threads", type=int, default=None,
                    help="torch intra-op threads (default: torch's own choice); NumPy's elementwise "
                         "ops use one. On a busy machine more threads than free cores slow torch a lot")
    ap.add_argument("--quick", action="store_true", help="tiny run (N=1024, S=100) to check the script")
    args = ap.parse_args(argv)
    if args.quick:
        args.n, args.steps = 1024, 100
    if args.n < 3 or args.steps < 1 or args.subsample < 1 or (args.threads or 1) < 1:
        ap.error("need --n >= 3, --steps >= 1, --subsample >= 1 and --threads >= 1")
    return args


def _optiviz_rows(land, sweep: Sweep, cfgs: list[Config], record: str, max_gb: float):
    """Headline rows, the extra NumPy row with the other record mode, and the run that
    recorded every step (for the parity check)."""
    n_all = record_all_n(sweep.n, sweep.steps, max_gb)
    head = sweep if record == "final" else sweep.head(n_all)
    rows, finals, full = [], {}, None
    for cfg in cfgs:
        row, res = time_optiviz(land, head, cfg, record)
        rows.append(row)
        if cfg.dtype == "float64":
            finals[row.label] = res.final.copy()  # a view would keep the whole path alive
        if record == "all" and cfg.backend == "numpy":
            full = res
        del res
    other = "all" if record == "final" else "final"
    extra = sweep.head(n_all) if other == "all" else sweep
    row, res = time_optiviz(land, extra, cfgs[0], other)
    rows.append(row)
    return rows, finals, full if full is not None else res


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        import torch
    except ImportError:
        sys.exit("This benchmark compares against torch.optim: pip install torch.")
    if args.threads:
        torch.set_num_threads(args.threads)
    land = get_landscape(SURFACE)
    sweep = make_sweep(args.n, args.steps)
    n_sub = min(args.subsample, args.n)
    cfgs = configs(args.device, torch.cuda.is_available())
    print_header(sweep, n_sub)

    rows, finals, full = _optiviz_rows(land, sweep, cfgs, args.record, args.max_record_gb)
    peer_final = None
    for key in dict.fromkeys(cfg.key for cfg in cfgs):
        peer_rows, final_a = time_peers(land, sweep, key, n_sub)
        rows += peer_rows
        if key == ("cpu", "float64"):
            peer_final = final_a
    print_table(rows)
    print(f"(load average after timing: {_load()}; other processes on the machine skew the seconds)")

    idx, problems, note = check_parity(land, sweep, full, finals, peer_final)
    print(f"\n{note}")
    if problems:
        print("PARITY FAILED against torch.optim.Adam stepping one trajectory alone:\n  "
              + "\n  ".join(problems), file=sys.stderr)
        return 1
    print(f"parity OK: trajectories {idx} (every step) and their float64 endpoints in "
          f"{len(finals)} run(s) equal torch.optim.Adam stepping each alone, to {PARITY_TOL:g}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Trajectory-steps per second of Adam on Rosenbrock, (N, 2) float32, every way at hand.

One process, the same batch for every variant: torch.optim.Adam (for-loop, foreach, fused,
and its step compiled with torch.compile), a hand-written analytic torch loop, the same
written out per coordinate and compiled in 16-step chunks (the machine's ceiling), and optiviz
(NumPy, torch eager, torch compiled; ``record="final"``). Each line gives the rate, the ratio
to the best torch.optim variant at that N, the bytes one trajectory-step must move through
memory (and the rate that alone would allow, from a copy bandwidth measured here), and the
compile time. Then a 256 × 256 sweep of (α, β₁) × 500 steps through the compiled engine, and
``record="all"`` against ``"final"``.

    python bench/throughput.py                        # the README figures (1 thread)
    python bench/throughput.py --quick                # a smoke test (seconds)
    python bench/throughput.py --device cuda          # on a GPU, where present
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from landscapes import get_landscape  # noqa: E402
from optim_core import make_optimizer, run  # noqa: E402

LR, BETAS, EPS = 1e-3, (0.9, 0.999), 1e-8
# One trajectory-step of Adam: read and write w, m, v (6 floats each way); torch.optim also
# writes the gradient and reads it back (2 + 2). A compiled chunk of K steps moves its
# state once per chunk, so 48 / K bytes per trajectory-step.
BYTES_OPTIM = (12 + 4) * 4
BYTES_FUSED_STEP = 12 * 4


def rosenbrock_grad(p: torch.Tensor) -> torch.Tensor:
    """∇ of (1 − x)² + 100 (y − x²)², written out by hand."""
    x, y = p[:, 0], p[:, 1]
    r = y - x * x
    return torch.stack([-2 * (1 - x) - 400 * x * r, 200 * r], dim=1)


def timed(fn, steps: int, warm: int = 1) -> float:
    fn(warm)  # warm-up (and compile)
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    tic = time.perf_counter()
    fn(steps)
    if torch.cuda.is_available():
        torch.cuda.synchronize()
    return time.perf_counter() - tic


def torch_optim_variant(starts: torch.Tensor, **flags):
    p = starts.clone().requires_grad_(True)
    opt = torch.optim.Adam([p], lr=LR, betas=BETAS, eps=EPS, **flags)

    def step():
        p.grad = rosenbrock_grad(p.detach())
        opt.step()

    return step


def make_torch_optim(starts, flags, compiled):
    step = torch_optim_variant(starts, **flags)
    if compiled:
        step = torch.compile(step)
    compile_s = 0.0
    if compiled:
        tic = time.perf_counter()
        step()
        compile_s = time.perf_counter() - tic

    def go(steps):
        for _ in range(steps):
            step()

    return go, compile_s


def hand_loop(starts):
    p = starts.clone()
    m, v = torch.zeros_like(p), torch.zeros_like(p)
    b1, b2 = BETAS
    state = {"t": 0}

    def go(steps):
        for _ in range(steps):
            state["t"] += 1
            t = state["t"]
            g = rosenbrock_grad(p)
            m.lerp_(g, 1 - b1)
            v.mul_(b2).addcmul_(g, g, value=1 - b2)
            denom = (v.sqrt() / (1 - b2**t) ** 0.5).add_(EPS)
            p.addcdiv_(m, denom, value=-LR / (1 - b1**t))

    return go


def hand_chunk(starts, chunk: int = 16):
    """The machine's ceiling for this job: Adam + Rosenbrock written out for one coordinate
    column at a time, ``chunk`` steps compiled into one loop, frozen where a step is not
    finite (no reason codes, no recording): what a specialist's fused kernel would do."""
    b1, b2 = BETAS

    def body(x, y, gx, gy, mx, my, vx, vy, alive, t0):
        for k in range(chunk):
            t = t0 + k
            a, s2 = LR / (1 - b1**t), (1 - b2**t) ** 0.5
            mx2, my2 = b1 * mx + (1 - b1) * gx, b1 * my + (1 - b1) * gy
            vx2, vy2 = b2 * vx + (1 - b2) * gx * gx, b2 * vy + (1 - b2) * gy * gy
            x2 = x - a * mx2 / (vx2.sqrt() / s2 + EPS)
            y2 = y - a * my2 / (vy2.sqrt() / s2 + EPS)
            r = y2 - x2 * x2
            gx2, gy2 = -2 * (1 - x2) - 400 * x2 * r, 200 * r
            ok = alive & ((x2.abs() + y2.abs() + gx2.abs() + gy2.abs()) * 0.25 < float("inf"))
            x, y, gx, gy = (torch.where(ok, u, w) for u, w in
                            ((x2, x), (y2, y), (gx2, gx), (gy2, gy)))
            mx, my, vx, vy = (torch.where(ok, u, w) for u, w in
                              ((mx2, mx), (my2, my), (vx2, vx), (vy2, vy)))
            alive = ok
        return x, y, gx, gy, mx, my, vx, vy, alive

    compiled = torch.compile(body, fullgraph=True, dynamic=True,
                             options={"max_fusion_size": 4096})
    x, y = (starts[:, j].clone() for j in range(2))
    r = y - x * x
    state = [x, y, -2 * (1 - x) - 400 * x * r, 200 * r, *(torch.zeros_like(x) for _ in range(4)),
             torch.ones_like(x, dtype=torch.bool)]
    clock = {"t": 1}

    def go(steps):
        for _ in range(max(1, steps // chunk)):
            state[:] = compiled(*state, torch.tensor(clock["t"]))
            clock["t"] += chunk

    tic = time.perf_counter()
    go(chunk)
    return go, time.perf_counter() - tic


def optiviz(starts_np, backend, device, compile_):
    land = get_landscape("rosenbrock")
    opt = make_optimizer("adam", lr=LR, beta1=BETAS[0], beta2=BETAS[1], eps=EPS)
    info = {"compile": 0.0}

    def go(steps):
        res = run(land, opt, starts_np, steps, backend=backend, device=device, dtype="float32",
                  record="final", compile=compile_)
        info["compile"] += res.compile_seconds
        info["note"] = res.note

    return go, info


def copy_bandwidth(device: str, n: int) -> float:
    """Bytes per second of a large tensor copy (read + write), the memory-bound ceiling."""
    a = torch.ones(n, dtype=torch.float32, device=device)
    b = torch.empty_like(a)
    b.copy_(a)
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    tic = time.perf_counter()
    for _ in range(5):
        b.copy_(a)
    if device.startswith("cuda"):
        torch.cuda.synchronize()
    return 5 * 2 * 4 * n / (time.perf_counter() - tic)


def load() -> str:
    return "load average " + ", ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small sizes and few steps")
    ap.add_argument("--threads", type=int, default=1,
                    help="torch.set_num_threads (default 1: the machine is shared)")
    ap.add_argument("--device", default="cpu", help="cpu or cuda")
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--sizes", default="", help="comma-separated N (default 1e3..1e6, 1e7 on GPU)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    dev = args.device
    if dev.startswith("cuda") and not torch.cuda.is_available():
        sys.exit("--device cuda: no CUDA GPU here.")
    if args.sizes:
        sizes = [int(float(s)) for s in args.sizes.split(",")]
    elif args.quick:
        sizes = [1000, 10000]
    else:
        sizes = [10**3, 10**4, 10**5, 10**6] + ([10**7] if dev.startswith("cuda") else [])
    steps = 20 if args.quick else args.steps
    bw = copy_bandwidth(dev, 2**22 if args.quick else 2**26)
    name = torch.cuda.get_device_name() if dev.startswith("cuda") else f"CPU, {args.threads} threads"
    print(f"# Adam on Rosenbrock, (N, 2) float32, {steps} steps; {name}; torch {torch.__version__}")
    print(f"# copy bandwidth {bw / 1e9:.1f} GB/s; {load()}")
    print(f"{'variant':34} {'N':>9} {'M traj-steps/s':>15} {'× best optim':>12} "
          f"{'B/traj-step':>11} {'bound M/s':>10} {'compile s':>9}")
    rng = np.random.default_rng(0)
    for n in sizes:
        starts_np = rng.uniform((-2.0, -1.0), (2.0, 3.0), (n, 2))
        starts = torch.tensor(starts_np, dtype=torch.float32, device=dev)
        st = max(5, steps if n <= 10**6 else steps * 10**6 // n * 2)  # 10⁷ (GPU): fewer
        rows = []
        for label, flags, comp in [("torch.optim.Adam for-loop", {"foreach": False}, False),
                                   ("torch.optim.Adam foreach", {"foreach": True}, False),
                                   ("torch.optim.Adam fused", {"fused": True}, False),
                                   ("torch.compile(torch.optim step)", {"foreach": True}, True)]:
            go, comp_s = make_torch_optim(starts, flags, comp)
            rows.append((label, n * st / timed(go, st), BYTES_OPTIM, comp_s, True))
        rows.append(("hand-written torch loop", n * st / timed(hand_loop(starts), st),
                     BYTES_OPTIM, 0.0, False))
        go, comp_s = hand_chunk(starts)
        st_c = max(16, st // 16 * 16)
        rows.append(("hand-written compiled chunk (K=16)", n * st_c / timed(go, st_c),
                     BYTES_FUSED_STEP / 16, comp_s, False))
        for label, backend, comp in [("optiviz numpy", "numpy", False),
                                     ("optiviz torch eager", "torch", False),
                                     ("optiviz torch compiled", "torch", True)]:
            if backend == "numpy" and dev != "cpu":
                continue
            go, info = optiviz(starts_np, backend, dev if backend == "torch" else "cpu", comp)
            rate = n * st / timed(go, st, warm=st)  # same steps: same compiled program
            from optim_core.compiled import CHUNK

            rows.append((label + (f" (K={CHUNK})" if comp else ""), rate,
                         BYTES_FUSED_STEP / CHUNK if comp else BYTES_OPTIM, info["compile"],
                         False))
            if info.get("note"):
                print("#", info["note"])
        best = max(r[1] for r in rows if r[4])
        for label, rate, nbytes, comp_s, _ in rows:
            print(f"{label:34} {n:>9} {rate / 1e6:>15.1f} {rate / best:>12.2f} {nbytes:>11.1f} "
                  f"{bw / nbytes / 1e6:>10.0f} {comp_s:>9.1f}")
        print(f"# {load()}")
    sweep(dev, 64 if args.quick else 256, 50 if args.quick else 500)
    record_cost(dev, 10**3 if args.quick else 10**4, steps)


def sweep(dev: str, side: int, steps: int) -> None:
    """A side × side grid of (α, β₁), one start, ``steps`` steps, compiled, record='final'."""
    lr, b1 = np.meshgrid(np.geomspace(1e-4, 1e-1, side), np.linspace(0.5, 0.99, side))
    opt = make_optimizer("adam", lr=lr.ravel(), beta1=b1.ravel())
    land = get_landscape("rosenbrock")
    kw = {"backend": "torch", "device": dev, "dtype": "float32", "record": "final", "compile": True}
    first = run(land, opt, [-1.5, 2.5], steps, **kw)
    tic = time.perf_counter()
    run(land, opt, [-1.5, 2.5], steps, **kw)
    print(f"sweep {side}×{side} (α, β₁) × {steps} steps, compiled: {time.perf_counter() - tic:.3f} s "
          f"after {first.compile_seconds:.1f} s of compiling; {load()}")


def _seconds(fn) -> float:
    tic = time.perf_counter()
    fn()
    return time.perf_counter() - tic


def record_cost(dev: str, n: int, steps: int) -> None:
    """record='all' against 'final' at N trajectories, for every engine."""
    land = get_landscape("rosenbrock")
    starts = np.random.default_rng(1).uniform((-2.0, -1.0), (2.0, 3.0), (n, 2))
    for backend, comp in [("numpy", False), ("torch", False), ("torch", True)]:
        if backend == "numpy" and dev != "cpu":
            continue
        secs = {}
        for record in ("final", "all"):
            kw = {"backend": backend, "device": dev if backend == "torch" else "cpu",
                  "dtype": "float32", "record": record, "compile": comp}
            run(land, "adam", starts, steps, **kw)
            secs[record] = min(_seconds(lambda kw=kw: run(land, "adam", starts, steps, **kw))
                               for _ in range(5))  # best of 5: one run is ~10 ms
        what = f"{backend}{' compiled' if comp else ''}"
        print(f"record='all' / 'final', {what:15} N={n} × {steps}: "
              f"{secs['all'] / secs['final']:.2f}× the time")


if __name__ == "__main__":
    main()

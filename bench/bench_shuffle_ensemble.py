"""Benchmark: an ensemble over shuffling seeds (one vectorized run, one permutation stream per
member) next to its peer timed in the same process: one ``run`` per seed.

    python bench/bench_shuffle_ensemble.py [--members M] [--steps T] [--batch B] [--sample K]

The ensemble is ``ensemble(linear_regression(n=64), sgd(lr=0.05), steps=T, over="shuffle",
members=M, batch_size=B)``. The peer runs ``run(..., batch_size=B, data_seed=m)`` for K of the
M seeds, checks their paths equal the ensemble's members (else exit status 1) and scales its
time to M. Prints the wall seconds, the ratio (above 1: the ensemble is faster) and the load
average before and after (the machine may be shared).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

from landscapes import get_landscape
from optim_core import ensemble, make_optimizer, run


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=256)
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--sample", type=int, default=16)
    args = parser.parse_args()
    land, opt = get_landscape("linear_regression", n=64), make_optimizer("sgd", lr=0.05)
    kwargs = {"batch_size": args.batch}
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    ensemble(land, opt, steps=5, over="shuffle", members=args.members, **kwargs)  # warm-up
    tic = time.perf_counter()
    ens = ensemble(land, opt, steps=args.steps, over="shuffle", members=args.members, **kwargs)
    together = time.perf_counter() - tic
    seeds = np.linspace(0, args.members - 1, args.sample).astype(int)
    tic = time.perf_counter()
    alone = [run(land, opt, land.start, args.steps, data_seed=int(s), **kwargs).path[:, 0] for s in seeds]
    separate = (time.perf_counter() - tic) * args.members / len(seeds)
    same = all(np.allclose(path, ens.run.path[:, s], rtol=1e-12, atol=1e-13)
               for s, path in zip(seeds, alone, strict=True))
    print(f"ensemble over {args.members} shuffling seeds × {args.steps} steps (batch {args.batch} of 64): "
          f"{together:.2f} s")
    print(f"one run per seed ({len(seeds)} timed, scaled to {args.members}): {separate:.2f} s "
          f"({separate / together:.1f}× the ensemble's time); members equal: {same}")
    print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())

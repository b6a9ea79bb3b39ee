"""What the worker process costs a typed formula: building a landscape in the server process
vs in a forked worker (``landscapes.worker.build_bounded``), median of ``--repeat`` builds.
The difference is the fork, the pickling of the landscape and the wait for it.

    python bench/bench_worker.py [--formula TEXT] [--repeat N]
"""

from __future__ import annotations

import argparse
import functools
import statistics
import time

from landscapes import from_formula
from landscapes.worker import build_bounded


def _median_ms(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


def _in_process(text: str) -> None:
    land = from_formula(text)
    land.formula_latex, land.gradient_latex  # noqa: B018 (the worker does this too)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--formula", default="x**2 + 3*y**2 + 2*sin(2*x)*sin(2*y)")
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    build_bounded(functools.partial(from_formula, args.formula))  # warm
    here = _median_ms(lambda: _in_process(args.formula), args.repeat)
    there = _median_ms(lambda: build_bounded(functools.partial(from_formula, args.formula)), args.repeat)
    print(f"{args.formula}: in process {here:.0f} ms, in the worker {there:.0f} ms "
          f"(median of {args.repeat}); the worker adds {there - here:.0f} ms ({there / here:.1f}×)")


if __name__ == "__main__":
    main()

"""The page's most work on a typed surface (8 paths × 2000 steps, as the server process runs
it) for a small formula and for one at the program cap, ``MAX_OPERATIONS``: the cap bounds
the time a typed formula can hold the process.

    python bench/bench_cap.py
"""

from __future__ import annotations

import time

from landscapes import from_formula
from landscapes.landscape import MAX_OPERATIONS
from optim_core import make_optimizer, run

PATHS, STEPS = 8, 2000


def _page_work(text: str) -> tuple[int, float]:
    land = from_formula(text)
    start = time.perf_counter()
    for _ in range(PATHS):
        run(land, make_optimizer("adam", lr=0.001), [[0.1, 0.1]], STEPS)
    return land.operations, time.perf_counter() - start


def main() -> None:
    factors = 14  # (x+1)*…*(x+14): 119 operations, the largest such product under the cap
    at_cap = "*".join(f"(x+{i})" for i in range(1, factors + 1))
    small_ops, small = _page_work("x**2 + 3*y**2")
    cap_ops, cap = _page_work(at_cap)
    print(f"{PATHS} paths x {STEPS} steps: {small_ops} operations {small:.2f} s; "
          f"{cap_ops} operations (a {factors}-factor product, cap {MAX_OPERATIONS}) {cap:.2f} s "
          f"({cap / small:.1f}x)")


if __name__ == "__main__":
    main()

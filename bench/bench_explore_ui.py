"""Server time of the explore views' largest requests (NumPy backend), as the page makes them:
the run, then the figure's dict and its JSON (what is sent to the browser).

    PYTHONPATH=. python bench/bench_explore_ui.py
"""

from __future__ import annotations

import time

import numpy as np
import plotly.io as pio

from landscapes import get_landscape
from optim_core import basins, make_optimizer, sweep
from optim_core.theory import sweep_rate
from viz import basin_map_spec, sweep_map_spec


def _timed(label: str, compute, draw) -> None:
    t0 = time.perf_counter()
    result = compute()
    t1 = time.perf_counter()
    size = len(pio.to_json(draw(result), validate=False))
    t2 = time.perf_counter()
    print(f"{label}: run {t1 - t0:.2f} s, figure + JSON {t2 - t1:.2f} s, {size / 1e6:.1f} MB sent")


def main() -> None:
    rosen, bowl = get_landscape("rosenbrock"), get_landscape("quadratic")
    lrs, betas = np.geomspace(1e-4, 1.0, 256), np.linspace(0.01, 0.99, 256)
    _timed("sweep map 256×256 Adam (lr, β₁) × 500 steps on Rosenbrock",
           lambda: sweep(rosen, "adam", {"lr": lrs, "beta1": betas}, steps=500),
           lambda sw: sweep_map_spec(sw))
    _timed("sweep map 256×256 SGD (lr, μ) × 500 steps on the bowl, with ρ",
           lambda: sweep(bowl, "sgd", {"lr": lrs, "momentum": betas}, steps=500),
           lambda sw: sweep_map_spec(sw, rho=sweep_rate(sw, bowl)))
    _timed("basin maps 2 × 512×512 × 300 steps on Himmelblau (SGD, Adam)",
           lambda: [basins("himmelblau", make_optimizer(n, lr=lr), resolution=(512, 512), steps=300)
                    for n, lr in (("sgd", 0.01), ("adam", 0.1))],
           lambda maps: basin_map_spec(maps))


if __name__ == "__main__":
    main()

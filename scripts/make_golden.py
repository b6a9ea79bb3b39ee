"""Regenerate tests/golden/*.npz from the real references (needs torch and pytorch_optimizer).

    python scripts/make_golden.py                 # every optimizer
    python scripts/make_golden.py adopt lookahead  # only these (by name)

Each file holds, for one optimizer, the surfaces, starts and random hyperparameters of the
parity matrix (tests/parity_cases.py) and the reference paths computed one trajectory at a
time by torch.optim / pytorch_optimizer (or the hand-worked formula).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.parity_cases import (  # noqa: E402
    GOLDEN_DIR,
    OPTIMIZER_CASES,
    case_id,
    draw_cases,
    landscape_of,
    save_golden,
)
from tests.reference import STEPS, reference_path  # noqa: E402


def main(names: list[str]) -> None:
    GOLDEN_DIR.mkdir(exist_ok=True)
    unknown = set(names) - {name for name, _ in OPTIMIZER_CASES}
    if unknown:
        raise SystemExit(f"not in the parity matrix: {', '.join(sorted(unknown))}")
    for name, base in OPTIMIZER_CASES:
        if names and name not in names:
            continue
        cases = draw_cases(name, base)
        refs = []
        for case in cases:
            land = landscape_of(case)
            refs.append(np.stack([reference_path(name, hp, land, start, STEPS, base=base)
                                  for hp, start in zip(case["hps"], case["starts"], strict=True)]))
        save_golden(name, base, cases, refs)
        print(f"{case_id(name, base):20s} {GOLDEN_DIR.name}/{case_id(name, base)}.npz")


if __name__ == "__main__":
    main(sys.argv[1:])

"""The parity matrix shared by the tests and ``scripts/make_golden.py``: every registered
optimizer (Lookahead around three bases), random hyperparameters, several surfaces."""

from __future__ import annotations

import json
import zlib
from pathlib import Path

import numpy as np

from landscapes import get_landscape
from optim_core import OPTIMIZERS, make_optimizer, run

from .reference import CASES, CASES_BY_OPTIMIZER, STEPS, sample_hyperparams

GOLDEN_DIR = Path(__file__).parent / "golden"
OPTIMIZER_CASES = [(n, None) for n in OPTIMIZERS if n != "lookahead"] + [
    ("lookahead", "adam"), ("lookahead", "sgd"), ("lookahead", "rmsprop"),
]
ROWS = 2  # trajectories per surface, each with its own hyperparameters
SALTS = (0, 1, 2)  # the live tests draw the matrix three times
# Tests that hold an optimizer beyond the matrix (the README's table names them).
FURTHER_TESTS = {
    "adopt": ("test_parity.py::test_adopt_follows_its_paper_by_hand",),
    "lbfgs": ("test_parity.py::test_lbfgs_stops_where_torch_stops",
              "test_trace.py::test_coordinate_mixing_optimizers_run_one_trajectory_at_a_time"
              "[lbfgs-strong-wolfe]",
              "test_traced_ui.py::test_lbfgs_with_its_line_search_is_drawn_and_its_evaluations_counted"),
    "sgd_schedule_free": ("test_parity.py::test_schedule_free_average_is_the_packages_eval",),
    "adamw_schedule_free": ("test_parity.py::test_schedule_free_average_is_the_packages_eval",),
    "newton": ("test_curvature.py::test_newton_solves_a_quadratic_in_one_step",),
    "polyak": ("test_curvature.py::test_polyak_step_by_hand_and_its_refusal",),
    "sophia_h": ("test_curvature.py::test_hutchinson_probes_average_to_the_diagonal",
                 "test_curvature.py::test_sophia_h_equals_exact_sophia_where_the_hessian_is_diagonal"),
    "sophia_exact": (
        "test_curvature.py::test_sophia_h_equals_exact_sophia_where_the_hessian_is_diagonal",),
}


def case_id(name: str, base: str | None) -> str:
    return f"{name}-{base}" if base else name


def build(name: str, base: str | None, **hp):
    return make_optimizer(name, base=base, **hp) if base else make_optimizer(name, **hp)


def draw_cases(name: str, base: str | None, salt: int = 0) -> list[dict]:
    """For each surface: its start points and one hyperparameter dict per start.

    Switches (booleans) cannot vary between trajectories of one run, so all rows of a
    surface share the first row's switches and "automatic" (None) settings. Draws whose
    paths are ill-conditioned (see :func:`well_conditioned`) are replaced by new draws.
    """
    spec = build(name, base).spec
    shared = {p.name for p in spec.params if not p.per_trajectory}
    rng = np.random.default_rng(zlib.crc32(case_id(name, base).encode()) + salt)
    cases = []
    for land, params, starts in CASES_BY_OPTIMIZER.get(name, CASES):
        for _ in range(200):
            hps = [sample_hyperparams(spec, rng) for _ in range(ROWS)]
            for hp in hps[1:]:
                for k, v in hps[0].items():  # switches, choices, "automatic" (None) and
                    if k in shared or v is None or hp[k] is None:  # one-value settings
                        hp[k] = v
                if hp.get("nesterov") and "dampening" in hp:
                    hp["dampening"] = 0.0
            for hp in hps:
                if base and "bias_correction" in hp:  # torch's Adam always corrects the bias
                    hp["bias_correction"] = True
                if base and "cautious" in hp:  # and has no cautious mask
                    hp["cautious"] = False
            case = {"landscape": land, "params": params, "starts": starts, "hps": hps}
            if well_conditioned(name, base, case):
                break
        else:
            raise RuntimeError(f"no well-conditioned draw for {case_id(name, base)} on {land}")
        cases.append(case)
    return cases


def well_conditioned(name: str, base: str | None, case: dict) -> bool:
    """True when a 1e-12 nudge of the starts moves no path by more than 1e-10.

    Two correct implementations differ by a rounding error (torch fuses some multiply-adds)
    at some steps; a path that amplifies such errors a thousandfold, near a ridge, at the
    edge of stability or through a cancellation, cannot be compared to 1e-9. The check is
    made with this project's engine only, never with the reference, so it cannot hide a
    mismatch: it only keeps the comparison where a mismatch must show.
    """
    land = landscape_of(case)
    opt = build(name, base, **vectorized(case["hps"]))
    starts = np.array(case["starts"])
    a = run(land, opt, starts, STEPS)
    b = run(land, opt, starts * (1 + 1e-12), STEPS)
    if np.any(a.diverged_at != b.diverged_at):
        return False
    return bool(np.nanmax(np.abs(a.path - b.path)) <= 1e-10)


def landscape_of(case: dict):
    return get_landscape(case["landscape"], **case["params"])


def vectorized(hps: list[dict]) -> dict:
    """Per-trajectory arrays for real numbers; one shared value for switches, choices,
    "automatic" (None) and whole numbers that every row shares."""
    return {k: (v if not isinstance(v, float) and all(h[k] == v for h in hps)
                else np.array([h[k] for h in hps]))
            for k, v in hps[0].items()}


def golden_path(name: str, base: str | None) -> Path:
    return GOLDEN_DIR / f"{case_id(name, base)}.npz"


def save_golden(name: str, base: str | None, cases: list[dict], refs: list[np.ndarray]):
    """Store the cases (JSON) and the reference paths, shape (surfaces, ROWS, STEPS + 1, 2)."""
    np.savez_compressed(golden_path(name, base), cases=json.dumps(cases),
                        reference=np.stack(refs))


def load_golden(name: str, base: str | None) -> tuple[list[dict], np.ndarray]:
    with np.load(golden_path(name, base)) as data:
        return json.loads(str(data["cases"])), data["reference"]

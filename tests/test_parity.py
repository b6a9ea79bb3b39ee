"""Every optimizer against its reference, step for step (float64, 200 steps, 3 surfaces,
random hyperparameters): stored golden paths always, live references when torch is present.

Each surface runs twice through the engine: once vectorized (per-trajectory hyperparameter
arrays, one run) and once per trajectory with scalar hyperparameters.
"""

from __future__ import annotations

import numpy as np
import pytest

from landscapes import get_landscape
from optim_core import run

from .parity_cases import (
    OPTIMIZER_CASES,
    SALTS,
    build,
    case_id,
    draw_cases,
    landscape_of,
    load_golden,
    vectorized,
)
from .reference import REFERENCE_PACKAGES, STEPS, adopt_by_hand, reference_path, uses_hand_reference

RTOL = ATOL = 1e-9
IDS = [case_id(n, b) for n, b in OPTIMIZER_CASES]


def _assert_follows(path: np.ndarray, diverged_at: int, ref: np.ndarray, land, what: str) -> int:
    """``path`` (steps+1, 2) equals ``ref`` up to the divergence step; returns steps compared."""
    upto = len(ref) if diverged_at < 0 else diverged_at
    np.testing.assert_allclose(path[:upto], ref[:upto], rtol=RTOL, atol=ATOL, err_msg=what)
    if diverged_at >= 0:  # the reference must really have blown up (or escaped) there
        bad = ref[diverged_at]
        assert (not np.all(np.isfinite(bad)) or np.abs(bad).max() > 1e6
                or not np.isfinite(land.f(bad))), what
        np.testing.assert_array_equal(path[diverged_at:], np.broadcast_to(
            path[diverged_at - 1], path[diverged_at:].shape), err_msg="frozen after divergence")
    return upto


def _check(name, base, cases, refs):
    compared = total = 0
    for case, ref in zip(cases, refs, strict=True):
        land = landscape_of(case)
        starts = np.array(case["starts"])
        vec = run(land, build(name, base, **vectorized(case["hps"])), starts, STEPS)
        for i, hp in enumerate(case["hps"]):
            what = f"{case_id(name, base)} on {case['landscape']} row {i} hp={hp}"
            compared += _assert_follows(vec.path[:, i], vec.diverged_at[i], ref[i], land,
                                        "vectorized " + what)
            total += len(ref[i])
            one = run(land, build(name, base, **hp), starts[i], STEPS)
            _assert_follows(one.path[:, 0], one.diverged_at[0], ref[i], land, "scalar " + what)
    assert compared >= 0.5 * total, "most steps must be compared (too many early divergences)"


@pytest.mark.parametrize(("name", "base"), OPTIMIZER_CASES, ids=IDS)
def test_matches_golden_reference(name, base):
    cases, refs = load_golden(name, base)
    _check(name, base, cases, refs)


def _needs_torch(name, base):
    cases = draw_cases(name, base)
    return not all(uses_hand_reference(name, hp) for c in cases for hp in c["hps"])


@pytest.mark.parametrize("salt", SALTS)
@pytest.mark.parametrize(("name", "base"), OPTIMIZER_CASES, ids=IDS)
def test_matches_live_reference(name, base, salt):
    if _needs_torch(name, base):
        pytest.importorskip("torch")
        if name in REFERENCE_PACKAGES:
            pytest.importorskip(REFERENCE_PACKAGES[name])
    cases = draw_cases(name, base, salt)
    refs = [np.stack([reference_path(name, hp, landscape_of(c), s, STEPS, base=base)
                      for hp, s in zip(c["hps"], c["starts"], strict=True)]) for c in cases]
    _check(name, base, cases, refs)


def test_golden_files_match_the_matrix():
    """The stored cases are the ones the matrix draws today (regenerate if the specs changed)."""
    for name, base in OPTIMIZER_CASES:
        cases, _ = load_golden(name, base)
        assert cases == draw_cases(name, base), f"rerun scripts/make_golden.py ({name})"


def test_adopt_follows_its_paper_by_hand():
    """ADOPT's golden cases against Algorithm 1 worked by hand (no torch needed): the first
    call only measures g², the first move is clipped at 1 and decoupled decay waits for it."""
    cases, refs = load_golden("adopt", None)
    for case, ref in zip(cases, refs, strict=True):
        for hp, start, path in zip(case["hps"], case["starts"], ref, strict=True):
            hand = adopt_by_hand(hp, landscape_of(case), start, STEPS)
            np.testing.assert_allclose(path, hand, rtol=RTOL, atol=ATOL)
    # From (-1, 1) on Rosenbrock's valley floor, ∂f/∂y = 0 at the start, so v_0 = 0 there and
    # the next ∂f/∂y / ε is clipped: at 1 on the first move (the paper), not at 2^¼.
    land = get_landscape("rosenbrock")
    for decoupled in (False, True):
        hp = {**cases[0]["hps"][0], "weight_decay": 0.3, "decoupled_weight_decay": decoupled}
        path = run(land, build("adopt", None, **hp), [-1.0, 1.0], 5).path[:, 0]
        np.testing.assert_array_equal(path[1], path[0])  # no move, no decay at the first call
        np.testing.assert_allclose(path, adopt_by_hand(hp, land, [-1.0, 1.0], 5),
                                   rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("tolerance", [1e-3, 1e-9])
def test_lbfgs_stops_where_torch_stops(tolerance):
    """The random draws rarely converge within 200 steps; here L-BFGS does, and must stop at
    the same point as torch once ‖g‖∞ ≤ tolerance_grad (or g·d stops being a descent)."""
    pytest.importorskip("torch")
    land = get_landscape("himmelblau")
    hp = {"lr": 0.5, "history_size": 5, "tolerance_grad": tolerance, "tolerance_change": 1e-9}
    path = run(land, build("lbfgs", None, **hp), [2.0, 1.0], 60).path[:, 0]
    np.testing.assert_allclose(path, reference_path("lbfgs", hp, land, [2.0, 1.0], 60),
                               rtol=RTOL, atol=1e-14)
    np.testing.assert_array_equal(path[-10:], np.broadcast_to(path[-1], (10, 2)))


@pytest.mark.parametrize("name", ["sgd_schedule_free", "adamw_schedule_free"])
def test_schedule_free_average_is_the_packages_eval(name):
    """The spec's drawn point x equals the authors' optimizer's parameter after ``eval()``."""
    torch = pytest.importorskip("torch")
    schedulefree = pytest.importorskip("schedulefree")
    from optim_core import OPTIMIZERS

    land, spec = get_landscape("himmelblau"), OPTIMIZERS[name]
    hp = {**build(name, None).settings, "lr": 0.02, "weight_decay": 0.05, "warmup_steps": 5}
    p = np.array([[2.0, 1.0]])
    state = spec.init(p, hp, np)
    ref = torch.tensor([2.0, 1.0], dtype=torch.float64, requires_grad=True)
    beta = {"betas": (hp["beta1"], hp["beta2"]), "eps": hp["eps"]} if "beta1" in hp else \
        {"momentum": hp["momentum"]}
    cls = schedulefree.AdamWScheduleFree if "beta1" in hp else schedulefree.SGDScheduleFree
    opt = cls([ref], lr=0.02, weight_decay=0.05, warmup_steps=5, foreach=False, **beta)
    for t in range(1, 41):
        p, state = spec.step(land.grad(p), state, p, hp, t, np)
        opt.train()
        ref.grad = land.grad(ref.detach()).clone()
        opt.step()
        opt.eval()
        np.testing.assert_allclose(spec.drawn(p, state, hp, np)[0], ref.detach().numpy(),
                                   rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", ["sgd_schedule_free", "adamw_schedule_free"])
def test_run_records_the_average_point(name):
    """``RunResult.drawn`` holds x, the authors' ``eval()`` point, at every recorded step, for
    each trajectory of a vectorized run (``path`` stays the gradient point y); optimizers
    without a drawn point have none."""
    torch = pytest.importorskip("torch")
    schedulefree = pytest.importorskip("schedulefree")
    land, starts, steps = get_landscape("himmelblau"), [[2.0, 1.0], [-4.0, -4.0]], 40
    opt = build(name, None, lr=0.02, weight_decay=0.05, warmup_steps=5)
    res = run(land, opt, starts, steps)
    hp = opt.settings
    beta = {"betas": (hp["beta1"], hp["beta2"]), "eps": hp["eps"]} if "beta1" in hp else \
        {"momentum": hp["momentum"]}
    cls = schedulefree.AdamWScheduleFree if "beta1" in hp else schedulefree.SGDScheduleFree
    for j, start in enumerate(starts):
        ref = torch.tensor(start, dtype=torch.float64, requires_grad=True)
        ref_opt = cls([ref], lr=0.02, weight_decay=0.05, warmup_steps=5, foreach=False, **beta)
        xs = [ref.detach().clone()]
        for _ in range(steps):
            ref_opt.train()
            ref.grad = land.grad(ref.detach()).clone()
            ref_opt.step()
            ref_opt.eval()
            xs.append(ref.detach().clone())
        np.testing.assert_allclose(res.drawn[:, j], torch.stack(xs).numpy(), rtol=1e-12,
                                   atol=1e-12)
    assert np.abs(res.drawn - res.path).max() > 1e-3  # x and y really differ
    compiled = run(land, opt, starts, steps, backend="torch", compile=True)  # runs eagerly
    assert "drawn point is recorded by the eager engine" in compiled.note
    assert not compiled.settings["compiled"]
    np.testing.assert_allclose(compiled.drawn, res.drawn, rtol=1e-12, atol=1e-12)
    assert run(land, build("adam", None), starts, 3).drawn is None

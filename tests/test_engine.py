"""The run engine: backends, per-trajectory hyperparameters, divergence, noise, schedules,
recording and the messages for bad input."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from landscapes import from_formula, get_landscape
from optim_core import OPTIMIZERS, make_optimizer, make_schedule, run, run_many

from .conftest import requires_torch

ROSEN = get_landscape("rosenbrock")
BOWL = get_landscape("quadratic", a=1.0, c=10.0)


def test_result_shapes_and_start(backend):
    name, device = backend
    starts = np.array([[-1.5, 2.5], [0.5, 0.5], [1.5, -0.5]])
    res = run(ROSEN, make_optimizer("adam", lr=0.05), starts, 50, backend=name, device=device)
    assert res.path.shape == (51, 3, 2) and isinstance(res.path, np.ndarray)
    assert res.loss.shape == res.grad_norm.shape == res.step_size.shape == (51, 3)
    assert res.diverged_at.shape == (3,) and np.all(res.diverged_at == -1)
    np.testing.assert_array_equal(res.path[0], starts)
    np.testing.assert_allclose(res.loss, ROSEN.f(res.path), rtol=1e-12)
    np.testing.assert_allclose(res.grad_norm, np.linalg.norm(ROSEN.grad(res.path), axis=-1),
                               rtol=1e-12)
    np.testing.assert_allclose(res.step_size[1:], np.linalg.norm(np.diff(res.path, axis=0), axis=-1),
                               rtol=1e-12)
    assert np.all(res.step_size[0] == 0)


@pytest.mark.parametrize("name", [n for n in OPTIMIZERS])
def test_numpy_and_torch_agree(name):
    pytest.importorskip("torch")
    starts = np.array([[-1.5, 2.5], [1.8, 2.0]])
    opt = make_optimizer(name)
    a = run(ROSEN, opt, starts, 200, backend="numpy")
    b = run(ROSEN, opt, starts, 200, backend="torch", device="cpu")
    np.testing.assert_array_equal(a.diverged_at, b.diverged_at)
    np.testing.assert_allclose(a.path, b.path, rtol=1e-9, atol=1e-9)


def test_float32_runs_in_float32(backend):
    name, device = backend
    res = run(BOWL, "adam", [[-2.5, 2.0]], 100, backend=name, device=device, dtype="float32")
    ref = run(BOWL, "adam", [[-2.5, 2.0]], 100, backend=name, device=device)
    assert res.path.dtype == np.float32
    np.testing.assert_allclose(res.path, ref.path, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", ["sgd", "adam", "rmsprop", "lion", "adafactor"])
def test_per_trajectory_lr_equals_separate_runs(name):
    lrs = np.array([1e-3, 3e-3, 1e-2, 3e-2])
    start = np.array([-1.5, 2.5])
    sweep = run(ROSEN, make_optimizer(name, lr=lrs), start, 150)
    assert sweep.path.shape == (151, 4, 2)
    for i, lr in enumerate(lrs):
        one = run(ROSEN, make_optimizer(name, lr=float(lr)), start, 150)
        np.testing.assert_allclose(sweep.path[:, i], one.path[:, 0], rtol=1e-13, atol=1e-15)


def test_per_trajectory_arrays_for_several_hyperparameters():
    n = 16
    rng = np.random.default_rng(0)
    lr, b1 = 10 ** rng.uniform(-3, -1, n), rng.uniform(0.5, 0.99, n)
    sweep = run(BOWL, make_optimizer("adam", lr=lr, beta1=b1), [-2.5, 2.0], 100)
    for i in (0, 7, 15):
        one = run(BOWL, make_optimizer("adam", lr=float(lr[i]), beta1=float(b1[i])), [-2.5, 2.0], 100)
        np.testing.assert_allclose(sweep.path[:, i], one.path[:, 0], rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize(("name", "extra"), [("sgd", {"dampening": 0.5}), ("rmsprop", {})])
def test_zero_momentum_in_an_array_is_bit_identical_to_no_momentum(name, extra):
    """torch skips the momentum buffer when momentum is 0 (another rounding, or no dampening);
    a per-trajectory array holding 0 must do the same, to the bit (only + − × ÷ √ here)."""
    land = get_landscape("himmelblau")
    starts = np.random.default_rng(0).uniform(-4, 4, (64, 2))
    momentum = np.where(np.arange(64) % 2 == 0, 0.0, 0.9)
    res = run(land, make_optimizer(name, lr=0.01, momentum=momentum, **extra), starts, 100)
    plain = run(land, make_optimizer(name, lr=0.01, **extra), starts[::2], 100)
    np.testing.assert_array_equal(res.path[:, ::2], plain.path)


def test_divergence_freezes_only_the_bad_trajectories():
    # Gradient descent on the bowl is stable iff lr < 2 / max curvature = 0.2.
    lrs = np.array([0.05, 0.25, 0.15, 1.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = run(BOWL, make_optimizer("sgd", lr=lrs), [-2.5, 2.0], 400, limit=1e3)
    assert res.diverged_at[0] == -1 and res.diverged_at[2] == -1
    assert res.diverged_at[1] > 0 and res.diverged_at[3] > 0
    assert res.diverged_at[3] < res.diverged_at[1]  # the larger step blows up sooner
    for i in (1, 3):
        d = res.diverged_at[i]
        assert np.all(np.abs(res.path[d - 1, i]) <= 1e3)
        assert np.all(res.path[d:, i] == res.path[d - 1, i])  # frozen at the last good point
        assert np.all(res.step_size[d:, i] == 0)
    assert np.all(np.isfinite(res.path)) and np.all(np.isfinite(res.loss))
    assert np.linalg.norm(res.path[-1, 0]) < 1e-3  # the stable ones converge


def test_overflow_to_inf_is_caught_without_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = run(ROSEN, make_optimizer("sgd", lr=0.1), [-1.5, 2.5], 100)
    assert res.diverged_at[0] > 0
    assert np.all(np.isfinite(res.path)) and np.all(np.isfinite(res.loss))


def test_escape_from_an_unbounded_surface_is_marked():
    res = run(get_landscape("saddle"), make_optimizer("sgd", lr=0.1), [-1.8, 0.05], 200, limit=100.0)
    assert res.diverged_at[0] > 0
    assert np.abs(res.path[-1, 0, 1]) <= 100.0


def test_non_finite_start_at_step_zero_is_rejected():
    with pytest.raises(ValueError, match="finite"):
        run(ROSEN, "adam", [[np.nan, 0.0]], 10)


def _implied_noise(res, lr):
    """For plain SGD, w_{t+1} = w_t - lr (grad + noise): recover the noise."""
    return -(np.diff(res.path, axis=0) / lr) - BOWL.grad(res.path[:-1])


def test_noise_is_reproducible_and_shared_between_optimizers():
    starts = np.array([[-2.5, 2.0], [1.0, 1.0]])
    a = run(BOWL, make_optimizer("sgd", lr=0.01), starts, 50, noise=0.3, seed=7)
    b = run(BOWL, make_optimizer("sgd", lr=0.01), starts, 50, noise=0.3, seed=7)
    c = run(BOWL, make_optimizer("sgd", lr=0.01), starts, 50, noise=0.3, seed=8)
    np.testing.assert_array_equal(a.path, b.path)
    assert not np.allclose(a.path, c.path)
    # the momentum optimizer with beta = 0 is SGD; it must see the same noise stream
    m = run(BOWL, make_optimizer("momentum", lr=0.02, momentum=0.0), starts, 50, noise=0.3, seed=7)
    np.testing.assert_allclose(_implied_noise(a, 0.01), _implied_noise(m, 0.02), atol=1e-9)
    xi = _implied_noise(a, 0.01) / 0.3
    assert abs(xi.mean()) < 0.2 and 0.8 < xi.std() < 1.2


def test_run_many_shares_starts_and_noise():
    results = run_many(BOWL, ["sgd", make_optimizer("adam", label="Adam fast", lr=0.1)],
                       [[-2.5, 2.0]], 30, noise=0.1, seed=1)
    assert [r.label for r in results] == ["SGD", "Adam fast"]
    assert all(r.settings["seed"] == 1 for r in results)


@requires_torch
@pytest.mark.parametrize(("name", "params", "torch_sched"), [
    ("step", {"step_size": 7, "gamma": 0.5}, ("StepLR", {"step_size": 7, "gamma": 0.5})),
    ("exponential", {"gamma": 0.97}, ("ExponentialLR", {"gamma": 0.97})),
    ("cosine", {"min_factor": 0.1}, ("CosineAnnealingLR", {"T_max": 40, "eta_min": 0.1})),
])
def test_schedules_match_torch_lr_scheduler(name, params, torch_sched):
    import torch

    p = torch.zeros(2, requires_grad=True)
    opt = torch.optim.SGD([p], lr=1.0)
    sched = getattr(torch.optim.lr_scheduler, torch_sched[0])(opt, **torch_sched[1])
    expected = []
    for _ in range(40):
        expected.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    np.testing.assert_allclose(make_schedule(name, **params).factors(40), expected, rtol=1e-12)


def test_warmup_cosine_by_hand():
    f = make_schedule("warmup_cosine", warmup=4, min_factor=0.0).factors(8)
    np.testing.assert_allclose(f[:4], [0.25, 0.5, 0.75, 1.0])
    # then cosine from 1 over the remaining 4 steps: epochs 0..3 of a period of 4
    np.testing.assert_allclose(f[4:], (1 + np.cos(np.pi * np.arange(4) / 4)) / 2)


def test_schedule_scales_the_sgd_step():
    sched = make_schedule("step", step_size=10, gamma=0.1)
    res = run(BOWL, make_optimizer("sgd", lr=0.01), [-2.5, 2.0], 20, schedule=sched)
    g = BOWL.grad(res.path[:-1, 0])
    implied_lr = -np.diff(res.path[:, 0], axis=0)[:, 0] / g[:, 0]
    np.testing.assert_allclose(implied_lr, [0.01] * 10 + [0.001] * 10, rtol=1e-10)
    assert res.lr_factor.shape == (20,)
    same = run(BOWL, "sgd", [-2.5, 2.0], 20, schedule={"name": "step", "step_size": 10, "gamma": 0.1})
    no_sched = run(BOWL, "sgd", [-2.5, 2.0], 20, schedule="constant")
    assert not np.allclose(same.path, no_sched.path)


@pytest.mark.parametrize(("record", "expected"), [("all", 31), ("final", 2), (10, 4), (7, 6)])
def test_record_modes(record, expected):
    res = run(BOWL, "adam", [-2.5, 2.0], 30, record=record)
    full = run(BOWL, "adam", [-2.5, 2.0], 30)
    assert res.path.shape == (expected, 1, 2)
    assert res.step[-1] == 30 and res.step[0] == 0
    np.testing.assert_array_equal(res.path, full.path[res.step])


def test_zero_steps():
    res = run(BOWL, "adam", [-2.5, 2.0], 0)
    assert res.path.shape == (1, 1, 2)


def test_one_start_broadcasts_over_a_sweep_and_mismatches_are_explained():
    res = run(BOWL, make_optimizer("adam", lr=np.full(5, 0.01)), [-2.5, 2.0], 5)
    assert res.path.shape == (6, 5, 2)
    with pytest.raises(ValueError, match="starts has 3, the hyperparameter arrays has 5"):
        run(BOWL, make_optimizer("adam", lr=np.full(5, 0.01)), np.zeros((3, 2)), 5)
    with pytest.raises(ValueError, match="the hyperparameter arrays has 5, noise σ has 3"):
        run(BOWL, make_optimizer("adam", lr=np.full(5, 0.01)), [0.0, 0.0], 5, noise=np.ones(3))
    # a single value (start, hyperparameter or noise) is shared by all trajectories
    shared = run(BOWL, make_optimizer("adam", lr=[0.01], beta1=np.full(4, 0.9)), np.zeros((4, 2)) + 1, 5,
                 noise=[0.1])
    assert shared.path.shape == (6, 4, 2)


@pytest.mark.parametrize(("call", "message"), [
    (lambda: make_optimizer("adamm"), "Unknown optimizer 'adamm'. Available: sgd"),
    (lambda: make_optimizer("adam", beta1=1.0), r"beta1 \(β₁\) got 1.0; allowed: 0 ≤ beta1 < 1"),
    (lambda: make_optimizer("adam", lr=-1), "lr"),
    (lambda: make_optimizer("adam", lr=np.array([0.1, -0.1])), "per-trajectory"),
    (lambda: make_optimizer("adam", lr=np.zeros((2, 2)) + 0.1), "1-D array"),
    (lambda: make_optimizer("adam", momentum=0.9), "unknown parameter.*momentum.*allowed: lr"),
    (lambda: make_optimizer("adam", amsgrad="yes"), "True or False"),
    (lambda: make_optimizer("adam", lr=np.ones(3), beta1=np.full(4, 0.9)), "different lengths"),
    (lambda: make_optimizer("lookahead", base="nope"), "unknown base 'nope'"),
    (lambda: make_optimizer("lookahead", k=0), "k"),
    (lambda: make_optimizer("adam", lr=float("nan")), "lr"),
    (lambda: run(BOWL, "adam", np.zeros((3, 3)), 5), r"shape \(N, 2\)"),
    (lambda: run(BOWL, "adam", [0, 0], -1), "steps"),
    (lambda: run(BOWL, "adam", [0, 0], 2.5), "steps"),
    (lambda: run(BOWL, "adam", [0, 0], 5, backend="jax"), "Unknown backend 'jax'"),
    (lambda: run(BOWL, "adam", [0, 0], 5, dtype="float16"), "Unknown dtype"),
    (lambda: run(BOWL, "adam", [0, 0], 5, device="cuda"), "CPU only"),
    (lambda: run(BOWL, "adam", [0, 0], 5, noise=-1.0), "noise"),
    (lambda: run(BOWL, "adam", [0, 0], 5, record=0), "record"),
    (lambda: run(BOWL, "adam", [0, 0], 5, schedule="sawtooth"), "Unknown schedule"),
    (lambda: make_schedule("step", gamma=2.0), "gamma"),
])
def test_clear_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_torch_device_errors_are_clear():
    pytest.importorskip("torch")
    import torch

    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="no CUDA GPU"):
            run(BOWL, "adam", [0, 0], 5, backend="torch", device="cuda")
    res = run(BOWL, "adam", [[-2.5, 2.0]], 5, backend="torch", device="auto")
    assert res.settings["device"] in ("cpu", "cuda", "mps")


def test_hyperparameters_accept_torch_and_numpy_scalars():
    pytest.importorskip("torch")
    import torch

    a = make_optimizer("adam", lr=np.float64(0.01), beta1=torch.tensor(0.8))
    assert a.hyperparams["lr"] == 0.01 and abs(a.hyperparams["beta1"] - 0.8) < 1e-7
    b = make_optimizer("adam", lr=torch.tensor([0.01, 0.02]))
    assert isinstance(b.hyperparams["lr"], np.ndarray)


def _edge_rows(spec) -> list[dict]:
    """Per-trajectory rows: the defaults, every numeric value at its low end, and mid-range."""
    rows = [{}, {}, {}]
    for p in spec.params:
        if not p.per_trajectory or p.kind not in ("float", "int") or p.default is None:
            continue
        low = p.low if not p.low_open else p.low + (1e-3 if p.name != "lr" else 1e-4)
        high = p.high if p.high < 10 else 10.0
        rows[0][p.name] = p.default
        rows[1][p.name] = low if p.name != "eps" else 1e-12
        rows[2][p.name] = (low + high) / 2 if p.name != "lr" else p.default / 2
        if p.kind == "int":
            rows[1][p.name], rows[2][p.name] = int(rows[1][p.name]), int(rows[2][p.name])
    return rows


@pytest.mark.parametrize("name", [n for n in OPTIMIZERS if n != "lookahead"] + ["lookahead"])
def test_edge_values_in_arrays_equal_scalar_runs(name):
    """Arrays holding edge values (momentum 0, weight decay 0, β 0, k 1, …) take the same
    path as scalar runs of each row, including torch's special cases for zeros. Not to the
    bit: powers such as β₂ᵗ of an array may use NumPy's SIMD pow, an ulp off libm's."""
    spec = make_optimizer(name).spec
    rows = _edge_rows(spec)
    if spec.check is not None:  # e.g. Nesterov needs momentum > 0: keep it off the low end
        rows[1]["momentum"] = rows[0]["momentum"]
    # on the bowl, not Rosenbrock: NumPy's SIMD pow for arrays may differ from libm's by an
    # ulp, and a chaotic path would amplify that past any fixed tolerance
    start = np.array([[-2.5, 2.0]])
    arrays = {k: np.array([r[k] for r in rows]) for k in rows[0]}
    vec = run(BOWL, make_optimizer(name, **arrays), start, 120)
    for i, row in enumerate(rows):
        one = run(BOWL, make_optimizer(name, **row), start, 120)
        assert vec.diverged_at[i] == one.diverged_at[0], (name, row)
        np.testing.assert_allclose(vec.path[:, i], one.path[:, 0], rtol=1e-12, atol=1e-14,
                                   err_msg=f"{name} {row}")


@pytest.mark.parametrize("base", [n for n in OPTIMIZERS if n != "lookahead"])
def test_lookahead_wraps_every_optimizer(base):
    """α_slow = 1 (slow weights jump to the fast ones) and k > steps (never syncs) both leave
    the base optimizer's path unchanged; α_slow = 0.5 pulls back every k steps."""
    plain = run(ROSEN, base, [-1.5, 2.5], 60)
    for kw in ({"alpha": 1.0, "k": 3}, {"alpha": 0.5, "k": 100}):
        wrapped = run(ROSEN, make_optimizer("lookahead", base=base, **kw), [-1.5, 2.5], 60)
        np.testing.assert_array_equal(wrapped.path, plain.path)
    pulled = run(ROSEN, make_optimizer("lookahead", base=base, alpha=0.5, k=3), [-1.5, 2.5], 60)
    np.testing.assert_array_equal(pulled.path[:3], plain.path[:3])
    if not np.allclose(plain.path[3], plain.path[0]):
        assert not np.allclose(pulled.path[3], plain.path[3])


@pytest.mark.parametrize("hp", [
    {"nesterov": True},
    {"nesterov": True, "momentum": 0.9, "dampening": 0.5},
    {"nesterov": True, "momentum": np.array([0.9, 0.0])},
])
def test_nesterov_rules_follow_torch(hp):
    with pytest.raises(ValueError, match="Nesterov momentum needs momentum"):
        make_optimizer("sgd", **hp)


def test_nesterov_optimizer_needs_momentum():
    with pytest.raises(ValueError, match="Nesterov"):
        make_optimizer("nesterov", momentum=0.0)
    with pytest.raises(ValueError, match="Nesterov"):
        make_optimizer("lookahead", base="nesterov", momentum=0.0)


def test_radam_small_beta2_stays_real():
    """With β₂ < 0.6, ρ∞ < 5: RAdam never rectifies; no complex numbers on the way."""
    scalar = run(ROSEN, make_optimizer("radam", beta2=0.3), [-1.5, 2.5], 50)
    arrays = run(ROSEN, make_optimizer("radam", beta2=np.array([0.3, 0.999])), [-1.5, 2.5], 50)
    assert scalar.path.dtype == np.float64 and arrays.path.dtype == np.float64
    np.testing.assert_array_equal(arrays.path[:, 0], scalar.path[:, 0])


def test_run_many_sees_one_noise_stream():
    results = run_many(BOWL, [make_optimizer("sgd", lr=0.01), make_optimizer("sgd", lr=0.02)],
                       [[-2.5, 2.0]], 30, noise=0.4, seed=5)
    np.testing.assert_allclose(_implied_noise(results[0], 0.01), _implied_noise(results[1], 0.02),
                               atol=1e-9)


def test_landscape_by_name_and_numpy_scalars_are_accepted():
    res = run("rosenbrock", "adam", [-1.5, 2.5], np.int64(10), record=np.int64(5),
              limit=np.float32(100.0), noise=np.float32(0.1))
    assert res.path.shape == (3, 1, 2) and res.landscape == "rosenbrock"


def test_huge_recordings_are_refused_before_allocating():
    with pytest.raises(ValueError, match="GiB.*record='final'"):
        run(BOWL, make_optimizer("adam", lr=np.full(1_000_000, 0.01)), [0.0, 0.0], 1000)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"limit": True}, "limit"), ({"limit": float("inf")}, "limit"), ({"noise": []}, "noise"),
])
def test_more_bad_settings(kwargs, message):
    with pytest.raises(ValueError, match=message):
        run(BOWL, "adam", [0.0, 0.0], 5, **kwargs)


def test_empty_hyperparameter_array_is_refused():
    with pytest.raises(ValueError, match="empty array"):
        make_optimizer("adam", lr=[])


# --- why a trajectory stopped (issue 7, item 12: silent stalls) -------------------------

TOWER = from_formula("exp(exp(exp(x)))")  # at its default start (1.8, 1.8): g² overflows


@pytest.mark.parametrize("name", ["rmsprop", "adam", "adagrad", "adafactor"])
def test_squared_gradient_overflow_is_a_stop_with_its_reason(name):
    """g ≈ 3e187 at the start: finite, but g² = inf, so v = inf and the step is g/∞ = 0:
    the path would sit at the start for ever. It is stopped and explained instead."""
    res = run(TOWER, name, [TOWER.start], 50)
    assert res.diverged_at[0] == 1 and res.stop_reason[0] == "optimizer state overflowed"
    np.testing.assert_array_equal(res.path[:, 0], np.broadcast_to(TOWER.start, (51, 2)))


@pytest.mark.parametrize(("land", "lr", "start", "step", "reason"), [
    (BOWL, 1.0, [-2.5, 2.0], None, "left the box"),  # lr > 2/curvature: grows geometrically
    (from_formula("log(x)", bounds=((0.1, 3), (-3, 3))), 1.0, [0.5, 0.5], 1,
     "value not finite"),  # x = 0.5 − 1/0.5 < 0: log undefined
    (from_formula("exp(exp(x))", bounds=((0, 7), (-1, 1))), 100.0, [6.555, 0.5], 1,
     "point not finite"),  # g ≈ 3e307, α g = inf
    (from_formula("exp(exp(x))", bounds=((0, 7), (-1, 1))), 1e-300, [6.57, 0.5], 0,
     "value not finite"),  # f itself overflows at the start
    (from_formula("exp(exp(x))", bounds=((0, 7), (-1, 1))), 1e-300, [6.561, 0.5], 0,
     "gradient not finite"),  # f ≈ 1.6e306 finite, f' = f eˣ overflows
])
def test_each_stop_reason(backend, land, lr, start, step, reason):
    name, device = backend
    res = run(land, make_optimizer("sgd", lr=[lr, 1e-6]), [start, [0.5, 0.05]], 100,
              limit=1e3, backend=name, device=device)
    assert res.stop_reason[0] == reason, res.stop_reason
    assert res.diverged_at[0] == (step if step is not None else res.diverged_at[0]) >= 0
    assert res.diverged_at[1] == -1 and res.stop_reason[1] == ""
    assert np.all(np.isfinite(res.path))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_the_stop_check_takes_the_largest_finite_numbers_as_finite(dtype):
    """The check sums scaled magnitudes (one comparison for many arrays): entries at the
    float's maximum must not add up to a false "not finite"; one inf or NaN anywhere must."""
    from optim_core.stepping import STOP_REASONS, stop_code

    big = np.finfo(dtype).max
    p = np.array([[0.5, -0.5]] * 3, dtype=dtype)
    f = np.full(3, big, dtype=dtype)
    g = np.full((3, 2), -big, dtype=dtype)
    state = (np.full((3, 2), big, dtype=dtype), np.full((3, 1), big, dtype=dtype))
    state[0][1, 1], g[2, 0] = np.inf, np.nan
    with np.errstate(all="ignore"):
        code = stop_code(p, f, g, state, 1.0, np)
    assert [STOP_REASONS[c] for c in code] == ["", "optimizer state overflowed",
                                              "gradient not finite"]
    assert code.dtype == np.int32

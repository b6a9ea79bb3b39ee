"""The optimizer's state recorded on its path (``run(..., record_state=True)``), against
torch.optim's own state after k steps and a hand-written Lookahead; what the registry declares
the state fields to mean; the size cap and the compiled engine's refusal."""

from __future__ import annotations

import numpy as np
import pytest

from landscapes import get_landscape
from optim_core import OPTIMIZERS, make_optimizer, run
from optim_core.engine import MAX_STATE_BYTES
from optim_core.registry import STATE_ROLES, OptimizerSpec, register

from .conftest import requires_torch

START = [-1.5, 2.5]
K = 12


def _torch_states(opt_class, steps: int, **hp):
    """torch's optimizer state after each of ``steps`` steps on Rosenbrock from START, with the
    landscape's exact gradient (float64)."""
    import torch

    land = get_landscape("rosenbrock")
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)  # torch keeps NAdam's μ product in the default dtype
    try:
        w = torch.tensor(START, dtype=torch.float64, requires_grad=True)
        opt = opt_class([w], **hp)
        states, points = [], [w.detach().clone().numpy()]
        for _ in range(steps):
            opt.zero_grad()
            w.grad = torch.as_tensor(land.grad(w.detach().numpy()), dtype=torch.float64)
            opt.step()
            states.append({k: v.detach().clone().numpy() if hasattr(v, "numpy") else v
                           for k, v in opt.state[w].items()})
            points.append(w.detach().clone().numpy())
    finally:
        torch.set_default_dtype(previous)
    return states, np.array(points)


@requires_torch
@pytest.mark.parametrize("amsgrad", [False, True])
def test_adams_moments_and_step_scale_are_torchs(amsgrad):
    import torch

    hp = {"lr": 0.05, "betas": (0.8, 0.95), "eps": 1e-8, "amsgrad": amsgrad}
    states, points = _torch_states(torch.optim.Adam, K, **hp)
    res = run("rosenbrock", make_optimizer("adam", lr=0.05, beta1=0.8, beta2=0.95, amsgrad=amsgrad),
              START, K, record_state=True)
    np.testing.assert_allclose(res.path[:, 0], points, rtol=1e-12)
    assert np.all(res.state["m"][0] == 0) and np.isnan(res.state["step_scale"][0]).all()
    for t, s in enumerate(states, start=1):
        np.testing.assert_allclose(res.state["m"][t, 0], s["exp_avg"], rtol=1e-12)
        np.testing.assert_allclose(res.state["v"][t, 0], s["exp_avg_sq"], rtol=1e-12)
        v_hat = (s["max_exp_avg_sq"] if amsgrad else s["exp_avg_sq"]) / (1 - 0.95**t)
        np.testing.assert_allclose(res.state["step_scale"][t, 0], 0.05 / (np.sqrt(v_hat) + 1e-8), rtol=1e-12)
    if amsgrad:
        np.testing.assert_allclose(res.state["v_max"][K, 0], states[-1]["max_exp_avg_sq"], rtol=1e-12)
    else:
        assert "v_max" not in res.state  # an unused field is not recorded


@requires_torch
def test_sgds_velocity_is_torchs_momentum_buffer():
    import torch

    states, _ = _torch_states(torch.optim.SGD, K, lr=1e-3, momentum=0.9, dampening=0.1)
    res = run("rosenbrock", make_optimizer("sgd", lr=1e-3, momentum=0.9, dampening=0.1), START, K,
              record_state=True, record=3)
    np.testing.assert_array_equal(res.step, [0, 3, 6, 9, 12])
    for row, t in enumerate(res.step[1:], start=1):
        np.testing.assert_allclose(res.state["v"][row, 0], states[t - 1]["momentum_buffer"], rtol=1e-12)


@requires_torch
def test_rmsprops_square_average_and_step_scale_are_torchs():
    import torch

    states, _ = _torch_states(torch.optim.RMSprop, K, lr=0.01, alpha=0.9, eps=1e-8, centered=True)
    res = run("rosenbrock", make_optimizer("rmsprop", lr=0.01, beta2=0.9, centered=True), START, K,
              record_state=True)
    for t, s in enumerate(states, start=1):
        np.testing.assert_allclose(res.state["square_avg"][t, 0], s["square_avg"], rtol=1e-12)
        denom = np.sqrt(s["square_avg"] - s["grad_avg"] ** 2) + 1e-8
        np.testing.assert_allclose(res.state["step_scale"][t, 0], 0.01 / denom, rtol=1e-12)


TORCH_STATES = {  # name: (torch class, torch's settings, ours, our field → torch's key)
    "nadam": ("NAdam", {"lr": 0.01, "betas": (0.8, 0.95), "momentum_decay": 0.004},
              {"lr": 0.01, "beta1": 0.8, "beta2": 0.95},
              {"m": "exp_avg", "v": "exp_avg_sq", "mu_product": "mu_product"}),
    "radam": ("RAdam", {"lr": 1e-4, "betas": (0.8, 0.95)}, {"lr": 1e-4, "beta1": 0.8, "beta2": 0.95},
              {"m": "exp_avg", "v": "exp_avg_sq"}),
    "adamax": ("Adamax", {"lr": 0.01, "betas": (0.8, 0.95)}, {"lr": 0.01, "beta1": 0.8, "beta2": 0.95},
               {"m": "exp_avg", "v": "exp_inf"}),
    "adagrad": ("Adagrad", {"lr": 0.1, "lr_decay": 0.01, "initial_accumulator_value": 0.5},
                {"lr": 0.1, "lr_decay": 0.01, "initial_accumulator_value": 0.5}, {"sum": "sum"}),
    "adadelta": ("Adadelta", {"lr": 1.0, "rho": 0.8}, {"lr": 1.0, "rho": 0.8}, {"square_avg": "square_avg"}),
    "adafactor": ("Adafactor", {"lr": 0.01}, {"lr": 0.01}, {"variance": "variance"}),
}


@requires_torch
@pytest.mark.parametrize("name", TORCH_STATES)
def test_declared_fields_are_torchs_state(name):
    """The declared fields (and NAdam's μ product) are torch.optim's state after each step."""
    import torch

    cls, torch_hp, ours, keys = TORCH_STATES[name]
    states, points = _torch_states(getattr(torch.optim, cls), K, **torch_hp)
    res = run("rosenbrock", make_optimizer(name, **ours), START, K, record_state=True)
    np.testing.assert_allclose(res.path[:, 0], points, rtol=1e-12)
    assert np.isfinite(points).all() and set(OPTIMIZERS[name].state_roles) <= set(keys)
    for t, s in enumerate(states, start=1):
        for field, key in keys.items():
            ours = res.state[field][t, 0]  # (2,), or (1,) for NAdam's μ product (a 0-d tensor)
            np.testing.assert_allclose(ours, np.broadcast_to(s[key], ours.shape), rtol=1e-12,
                                       err_msg=f"{name}.{field} at step {t}")


def _ema(avg, x, beta):
    return beta * avg + (1 - beta) * x


def _adopt(s, g, gp, t, rows):
    """The first call only sets v = g²; then g / max(√v_{t−1}, ε), clipped to ±(t−1)^¼, is averaged."""
    if t == 1:
        return {"m": s["m"], "v": g * g}
    clip = (t - 1) ** 0.25
    return {"m": _ema(s["m"], np.clip(g / np.maximum(np.sqrt(s["v"]), 1e-6), -clip, clip), 0.8),
            "v": _ema(s["v"], g * g, 0.9)}


def _adabelief(s, g, gp, t, rows):
    m = _ema(s["m"], g, 0.8)
    return {"m": m, "v": _ema(s["v"], (g - m) ** 2, 0.9) + 1e-12}


def _adan(s, g, gp, t, rows):
    diff = g - gp if t > 1 else 0.0
    return {"m": _ema(s["m"], g, 0.8), "v": _ema(s["v"], (g + 0.9 * diff) ** 2, 0.95)}


def _mars(s, g, gp, t, rows, gamma=0.025, b1=0.95):
    """c = g + γ β₁/(1 − β₁)(g − g_prev) (g_prev = 0 at the first step), clipped to norm 1."""
    c = g + gamma * b1 / (1 - b1) * (g - (gp if t > 1 else 0.0))
    c = c / max(np.hypot(*c), 1.0)
    return {"m": _ema(s["m"], c, b1), "v": _ema(s["v"], c * c, 0.99)}


def _prodigy(s, g, gp, t, rows):
    """m and v average d·g and d²g², d the learnt step size before step t (recorded)."""
    d = rows["d"][t - 1, 0]
    return {"m": 0.8 * s["m"] + d * 0.2 * g, "v": 0.9 * s["v"] + d * d * 0.1 * g * g}


def _m(beta, field="m", first_call_only_measures=False):
    """An exponential average of g in ``field``."""
    return lambda s, g, gp, t, rows: {field: s[field] if t == 1 and first_call_only_measures
                                      else _ema(s[field], g, beta)}


def _m_v(b1, b2):
    return lambda s, g, gp, t, rows: {"m": _ema(s["m"], g, b1), "v": _ema(s["v"], g * g, b2)}


# name: (settings, the declared fields after step t from those after t − 1, the gradient at
# w_{t−1}, the one before, t and the recorded state), each paper's update written out here
BY_HAND = {
    "adopt": ({"lr": 0.01, "beta1": 0.8, "beta2": 0.9, "eps": 1e-6}, _adopt),
    "adabelief": ({"lr": 0.01, "beta1": 0.8, "beta2": 0.9, "eps": 1e-12}, _adabelief),
    "laprop": ({"lr": 0.01, "beta2": 0.9}, lambda s, g, gp, t, rows: {"v": _ema(s["v"], g * g, 0.9)}),
    "adan": ({"lr": 0.01, "beta1": 0.8, "beta2": 0.9, "beta3": 0.95}, _adan),
    "ademamix": ({"lr": 0.01, "beta1": 0.8, "beta2": 0.9, "beta3": 0.99},
                 lambda s, g, gp, t, rows: {**_m_v(0.8, 0.9)(s, g, gp, t, rows),
                                            **_m(0.99, "m_slow")(s, g, gp, t, rows)}),
    "mars": ({"lr": 0.01}, _mars),
    "soap": ({"lr": 0.01, "beta1": 0.8}, _m(0.8, first_call_only_measures=True)),
    "sophia_h": ({"lr": 0.01, "beta1": 0.8}, _m(0.8)),
    "sophia_exact": ({"lr": 0.01, "beta1": 0.8}, _m(0.8)),
    "prodigy": ({"beta1": 0.8, "beta2": 0.9}, _prodigy),
    "lamb": ({"lr": 0.01, "beta1": 0.8, "beta2": 0.9}, _m_v(0.8, 0.9)),
    "lion": ({"lr": 1e-3, "beta1": 0.5, "beta2": 0.8}, _m(0.8)),  # β₂'s average
    "signum": ({"lr": 1e-3, "momentum": 0.8}, _m(0.8)),
    "muon": ({"lr": 1e-3, "momentum": 0.8}, _m(0.8, "buf")),
    # the gradient's point is y, the parameter, which the path records (x is res.drawn)
    "adamw_schedule_free": ({"lr": 0.01, "beta2": 0.9},
                            lambda s, g, gp, t, rows: {"v": _ema(s["v"], g * g, 0.9)}),
}


@pytest.mark.parametrize("name", BY_HAND)
def test_declared_fields_follow_the_papers_updates_by_hand(name):
    """Every declared field, step after step, from the gradient at the recorded point before
    the step (Rosenbrock, no noise) and the update written out here."""
    land = get_landscape("rosenbrock")
    hp, update = BY_HAND[name]
    res = run(land, make_optimizer(name, **hp), START, K, record_state=True)
    assert np.isfinite(res.path).all() and np.any(res.path[-1] != res.path[0])
    declared = set(OPTIMIZERS[name].state_roles)
    s = {f: res.state[f][0, 0] for f in declared}
    assert all(np.all(v == 0) for v in s.values())
    gp = None
    for t in range(1, K + 1):
        g = land.grad(res.path[t - 1, 0])
        s = update(s, g, gp, t, {k: v[:, 0] for k, v in res.state.items()})
        assert set(s) == declared
        for f in declared:
            np.testing.assert_allclose(res.state[f][t, 0], s[f], rtol=1e-10, atol=1e-300,
                                       err_msg=f"{name}.{f} at step {t}")
        gp = g


def _nadam_numerator(st, g, t, b1=0.8, psi=0.004):
    """(1 − μ_t) g / (1 − Π_{i≤t} μ_i) + μ_{t+1} m_t / (1 − Π_{i≤t+1} μ_i), μ_i by hand."""
    mu = [b1 * (1 - 0.5 * 0.96 ** (i * psi)) for i in range(1, t + 2)]
    return ((1 - mu[t - 1]) / (1 - np.prod(mu[:t])) * g
            + mu[t] / (1 - np.prod(mu[:t + 1])) * st["m"][t])


# name: (settings, what the step scale multiplies in step t: fn(recorded state, g_t, t))
SCALED = {
    "nadam": ({"lr": 0.05, "beta1": 0.8, "beta2": 0.95}, _nadam_numerator),
    "radam": ({"lr": 0.05, "beta1": 0.8, "beta2": 0.95},  # ρ_t > 5 from step 6: both branches
              lambda st, g, t: st["m"][t] / (1 - 0.8**t)),
    "adamax": ({"lr": 0.05, "beta1": 0.8, "beta2": 0.95}, lambda st, g, t: st["m"][t] / (1 - 0.8**t)),
    "adagrad": ({"lr": 0.5, "lr_decay": 0.05, "initial_accumulator_value": 0.1}, lambda st, g, t: g),
    "adabelief": ({"lr": 0.05, "beta1": 0.8, "beta2": 0.95}, lambda st, g, t: st["m"][t] / (1 - 0.8**t)),
    "laprop": ({"lr": 0.05, "beta1": 0.0, "beta2": 0.95}, lambda st, g, t: g),  # no momentum
    "adan": ({"lr": 0.05, "beta1": 0.8, "beta2": 0.9, "beta3": 0.95},
             lambda st, g, t: st["m"][t] / (1 - 0.8**t) + 0.9 * st["n"][t] / (1 - 0.9**t)),
    "ademamix": ({"lr": 0.05, "beta1": 0.8, "beta2": 0.95, "beta3": 0.99, "mix": 2.0},
                 lambda st, g, t: st["m"][t] / (1 - 0.8**t) + 2.0 * st["m_slow"][t]),
    "mars": ({"lr": 0.05, "beta1": 0.8, "beta2": 0.95}, lambda st, g, t: st["m"][t] / (1 - 0.8**t)),
}


@pytest.mark.parametrize("name", SCALED)
def test_step_scale_times_what_it_scales_is_the_step_taken(name):
    """w_t − w_{t−1} = −s_t ⊙ (the rule's numerator at step t) on a quadratic, for each step:
    holds whatever the scale's code, so a wrong scale shows."""
    land = get_landscape("quadratic", a=1.0, c=20.0)
    hp, numerator = SCALED[name]
    res = run(land, make_optimizer(name, **hp), [-2.5, 2.0], K, record_state=True)
    st = {k: v[:, 0] for k, v in res.state.items()}
    assert np.isnan(st["step_scale"][0]).all() and np.isfinite(st["step_scale"][1:]).all()
    assert np.isfinite(res.path).all()
    for t in range(1, K + 1):
        g = land.grad(res.path[t - 1, 0])
        np.testing.assert_allclose(res.path[t, 0] - res.path[t - 1, 0],
                                   -st["step_scale"][t] * numerator(st, g, t), rtol=1e-9, atol=1e-15,
                                   err_msg=f"{name} at step {t}")


def test_laprops_scale_enters_its_momentum():
    """With momentum, LaProp averages s_t ⊙ g_t: m_t − β₁ m_{t−1} = (1 − β₁) s_t ⊙ g_t, and the
    step is −m_t / (1 − β₁ᵗ) (a fixed α)."""
    land = get_landscape("quadratic", a=1.0, c=20.0)
    res = run(land, make_optimizer("laprop", lr=0.05, beta1=0.8, beta2=0.95), [-2.5, 2.0], K,
              record_state=True)
    m, scale = res.state["m"][:, 0], res.state["step_scale"][:, 0]
    for t in range(1, K + 1):
        g = land.grad(res.path[t - 1, 0])
        np.testing.assert_allclose(m[t] - 0.8 * m[t - 1], 0.2 * scale[t] * g, rtol=1e-9)
        np.testing.assert_allclose(res.path[t, 0] - res.path[t - 1, 0], -m[t] / (1 - 0.8**t), rtol=1e-9)


def test_lookaheads_slow_weights_are_a_hand_written_lookahead():
    """Hand-written Lookahead (Zhang et al., Algorithm 1) around plain gradient descent:
    k fast steps w ← w − α∇f(w), then φ ← φ + a(w − φ), w ← φ."""
    land, k, a, lr = get_landscape("rosenbrock"), 4, 0.6, 1e-3
    res = run(land, make_optimizer("lookahead", base="sgd", k=k, alpha=a, lr=lr), START, 3 * k + 2,
              record_state=True)
    w, slow = np.array(START), np.array(START)
    for t in range(1, 3 * k + 3):
        w = w - lr * land.grad(w)
        if t % k == 0:
            slow = slow + a * (w - slow)
            w = slow.copy()
        np.testing.assert_allclose(res.state["slow"][t, 0], slow, rtol=1e-13)
        np.testing.assert_allclose(res.path[t, 0], w, rtol=1e-13)
    assert OPTIMIZERS["lookahead"].build(base="adam").spec.state_roles == {
        "slow": "slow weights", "base.m": "first moment", "base.v": "second moment"}


def test_every_declared_role_names_a_recorded_field():
    for name, spec in OPTIMIZERS.items():
        opt = make_optimizer(name, **({"momentum": 0.5} if any(p.name == "momentum" for p in spec.params)
                                      else {}))
        roles = opt.spec.state_roles
        assert set(roles.values()) <= set(STATE_ROLES), name
        res = run("himmelblau", opt, [1.0, 1.0], 3, record_state=True)
        assert set(roles) <= set(res.state), (name, set(roles) - set(res.state))
        for field, rows in res.state.items():
            assert rows.shape[:2] == (4, 1), (name, field)
        assert ("step_scale" in res.state) == (opt.spec.step_scale is not None), name


NO_ROLES = {  # the optimizers that declare no state field, and why
    "asgd": "ax averages the iterates: a point, but not Lookahead's slow weights",
    "rprop": "the previous gradient and per-coordinate step sizes",
    "sgd_schedule_free": "z is the base iterate, not a momentum; v is unused",
    "lbfgs": "curvature pairs", "newton": "no state", "polyak": "no state",
    "lookahead": "the menu entry: each built Lookahead declares its slow weights and its base's",
}


def test_every_optimizer_declares_its_state_or_is_listed_as_having_none():
    assert {n for n, s in OPTIMIZERS.items() if not s.state_roles} == set(NO_ROLES)
    # every step scale is held: Adam's family and RMSProp against torch, the rest by SCALED
    assert {n for n, s in OPTIMIZERS.items() if s.step_scale} == {"rmsprop", "adam", "adamw", "amsgrad",
                                                                  *SCALED}


def test_a_too_large_recording_and_the_compiled_engine_are_refused():
    n = MAX_STATE_BYTES // (4 * 8 * 101) + 1  # Adam's m and v: 4 numbers per trajectory and row
    with pytest.raises(ValueError, match=r"Recording the optimizer state \(m, v\) of 101 steps needs"):
        run("rosenbrock", "adam", np.zeros((n, 2)), 100, record_state=True)
    with pytest.raises(ValueError, match="record_state=True records the state between steps"):
        run("rosenbrock", "adam", START, 5, record_state=True, compile=True, backend="torch")


def test_an_unknown_role_is_refused_at_registration():
    spec = OptimizerSpec(name="roles-test", title="t", params=(), init=None, step=None, latex="",
                         reference="", description="", state_roles={"v": "speed"})
    with pytest.raises(ValueError, match="unknown state roles"):
        register(spec)
    assert "roles-test" not in OPTIMIZERS


def test_without_record_state_nothing_is_kept():
    assert run("rosenbrock", "adam", START, 5).state is None


# --------------------------------------------------------------------------------------------
# Drawing it (viz.state)


def _rosenbrock_grad(p):
    """Worked by hand: f = (1 − x)² + 100 (y − x²)²."""
    x, y = p[..., 0], p[..., 1]
    return np.stack([-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)], axis=-1)


def test_the_arrows_of_a_momentum_step():
    from viz.state import state_frames

    land = get_landscape("rosenbrock")
    res = run(land, make_optimizer("sgd", lr=2e-4, momentum=0.9), START, 30, record_state=True)
    fr = state_frames(land, res)
    for k in (1, 2, 17, 30):
        np.testing.assert_array_equal(fr.anchor[k], res.path[k - 1, 0])
        np.testing.assert_allclose(fr.ends["step"][k] - fr.anchor[k],
                                   fr.scale * (res.path[k, 0] - res.path[k - 1, 0]), rtol=1e-12)
        np.testing.assert_allclose(fr.ends["gradient"][k] - fr.anchor[k],
                                   -2e-4 * fr.scale * _rosenbrock_grad(res.path[k - 1, 0]), rtol=1e-12)
        # torch's SGD: w_k = w_{k−1} − α b_k, so the momentum arrow is the step itself
        np.testing.assert_allclose(fr.ends["momentum"][k], fr.ends["step"][k], rtol=1e-12)
    steps = np.hypot(*np.diff(res.path[:, 0], axis=0).T)  # the median step drawn at ~6 % of 5.66
    assert fr.scale in (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)
    assert 0.024 < fr.scale * np.median(steps) / np.hypot(4, 4) <= 0.06
    assert np.all(fr.ends["step"][0] == fr.anchor[0]) and fr.box is None and fr.slow is None
    assert fr.momentum_label == "−α·v (velocity)"


def test_adopts_velocity_arrow_is_its_step():
    """ADOPT steps by exactly −α m (declared a velocity): the momentum arrow is the step."""
    from viz.state import state_frames

    land = get_landscape("rosenbrock")
    res = run(land, make_optimizer("adopt", lr=0.01), START, 20, record_state=True)
    fr = state_frames(land, res)
    np.testing.assert_allclose(fr.ends["momentum"], fr.ends["step"], rtol=1e-12)
    assert fr.momentum_label == "−α·m (velocity)" and np.any(fr.lengths["step"][2:] > 0)


def test_adams_first_box_is_a_square_of_half_width_alpha():
    """After one step m̂ = g and v̂ = g², so s_i |g_i| = α|g_i| / (|g_i| + ε) ≈ α in every
    coordinate, however different the two partial derivatives are."""
    from viz.state import state_frames

    land = get_landscape("rosenbrock")
    res = run(land, make_optimizer("adam", lr=0.01), START, 5, record_state=True)
    fr = state_frames(land, res)
    np.testing.assert_allclose(fr.box[1], [0.01 * fr.scale] * 2, rtol=1e-6)
    np.testing.assert_allclose(fr.ends["step"][1] - fr.anchor[1],
                               -0.01 * fr.scale * np.sign(_rosenbrock_grad(np.array(START))), rtol=1e-6)
    assert np.all(fr.box[0] == 0)  # row 0: no step yet, nothing drawn


def test_lookaheads_slow_trail_and_long_arrows_shortened():
    from viz.state import MAX_SHARE, state_frames, state_spec, state_traces

    land = get_landscape("rosenbrock")
    res = run(land, make_optimizer("lookahead", base="adam", k=3, lr=0.1), START, 20, record_state=True)
    spec = state_spec(land, res, 10)
    names = [t.get("name") for t in spec["data"]]
    times = f" ×{state_frames(land, res).scale:g}"
    for name in ("−α∇f (gradient step)" + times, "−α·base.m (first moment)" + times, "step taken" + times,
                 "per-coordinate step box" + times, "slow weights φ"):
        assert name in names
    trail = next(t for t in spec["data"] if t.get("name") == "slow weights φ")
    np.testing.assert_array_equal(np.column_stack([trail["x"], trail["y"]]), res.state["slow"][:11, 0])
    fr = state_frames(land, res)
    cap = MAX_SHARE * np.hypot(4, 4)  # Rosenbrock's box: [−2, 2] × [−1, 3]
    drawn = np.hypot(*(fr.ends["gradient"] - fr.anchor).T)
    assert np.all(drawn <= cap + 1e-12) and fr.lengths["gradient"][1] > cap  # α∇f at the start: long
    gradient = state_traces(fr, 1)[0]
    assert f"length {fr.lengths['gradient'][1]:.4g}" in gradient["hovertemplate"]


def test_hovering_the_path_has_each_steps_true_lengths():
    """add_state(..., path=i): the traces of result i's path whose points show their step's state
    in the browser, and in the path's hover text the arrows' true lengths at each step."""
    from viz import contour_spec
    from viz.state import add_state, state_frames

    from .plotly_arrays import as_array

    land = get_landscape("rosenbrock")
    other = run(land, make_optimizer("sgd", lr=1e-3), START, 40)
    res = run(land, make_optimizer("adam", lr=0.05), START, 40, record_state=True)
    spec = add_state(contour_spec(land, [other, res], animated=True), land, res, path=1)
    meta, moving = spec["layout"]["meta"]["optiviz_state"], spec["layout"]["meta"]["optiviz"]["moving"]
    assert meta["paths"] == [index for index, j in moving[1] if j == 0] and len(meta["paths"]) == 2
    fr = state_frames(land, res)
    line = next(spec["data"][i] for i in meta["paths"] if "customdata" in spec["data"][i])
    data = as_array(line["customdata"])
    assert data.shape == (41, 5)
    np.testing.assert_array_equal(data[:, 0], np.arange(41))
    for n, kind in enumerate(("gradient", "momentum", "step")):
        np.testing.assert_allclose(data[:, 2 + n], fr.lengths[kind], rtol=1e-6)
        np.testing.assert_allclose(as_array(meta["lengths"][kind]), fr.lengths[kind], rtol=1e-6)
    assert "|α∇f|: %{customdata[2]:.3g}" in line["hovertemplate"]
    assert "|α·m|: %{customdata[3]:.3g}" in line["hovertemplate"]
    assert "|step taken|: %{customdata[4]:.3g}" in line["hovertemplate"]
    sgd_line = next(spec["data"][i] for i, j in moving[0] if j == 0 and "customdata" in spec["data"][i])
    assert "state" not in sgd_line["hovertemplate"]  # the other path's hover is as before
    assert "paths" not in add_state(contour_spec(land, [res], animated=True), land, res)["layout"]["meta"][
        "optiviz_state"]  # no path named: nothing to hover


def test_drawing_the_state_needs_it_recorded_at_every_step():
    from viz.state import state_frames

    land = get_landscape("rosenbrock")
    with pytest.raises(ValueError, match="run it with record_state=True"):
        state_frames(land, run(land, "adam", START, 5))
    with pytest.raises(ValueError, match="record='all'"):
        state_frames(land, run(land, "adam", START, 10, record=2, record_state=True))


def test_magnification_is_the_1_2_5_number_below_the_target():
    from viz.state import magnification

    assert magnification(np.array([0.01, 0.0, np.nan]), 10.0) == 50.0  # wants 0.6 / 0.01 = 60
    assert magnification(np.array([0.003]), 10.0) == 200.0  # wants 200 exactly
    assert magnification(np.array([5.0]), 10.0) == 1.0  # never shrinks
    assert magnification(np.array([0.0]), 10.0) == 1.0  # nothing moved


def test_the_page_draws_the_chosen_panels_state_and_exports_it():
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    from viz.html_export import html_document
    from viz.overlays import STATE_KEY, overlays_source

    from .page_chart import chart_figure

    at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "app.py"), default_timeout=60).run()
    at.selectbox(key="state_slot").set_value(2).run()  # Adam (α=0.1)
    assert not at.exception and not at.error
    figure = chart_figure(at)
    meta = figure["layout"]["meta"][STATE_KEY]
    assert meta["kinds"] == ["gradient", "momentum", "step", "box"] and meta["rows"] == 501
    moving = figure["layout"]["meta"]["optiviz"]["moving"]  # hovering Adam's path (the 3rd) shows its state
    assert meta["paths"] == [i for i, j in moving[2] if j == 0] and meta["paths"]
    assert [figure["data"][i]["name"].split(" ×")[0] for i in meta["traces"]] == [
        "−α∇f (gradient step)", "−α·m (first moment)", "step taken", "per-coordinate step box"]
    page = html_document(figure)
    assert overlays_source() in page and STATE_KEY in page
    at.selectbox(key="state_slot").set_value(0).run()  # Momentum (EMA): a velocity, no box
    assert chart_figure(at)["layout"]["meta"][STATE_KEY]["kinds"] == ["gradient", "momentum", "step"]
    at.button(key="remove0").click().run()
    assert not at.exception and at.selectbox(key="state_slot").value == "off"

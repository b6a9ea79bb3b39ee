"""``trace`` runs torch optimizers as-is: batched where the rule is element-wise, one run per
trajectory where it mixes coordinates, and the same result type as ``run``."""

from __future__ import annotations

import numpy as np
import pytest

from landscapes import get_landscape
from optim_core import make_optimizer, run, trace

from .reference import CASES

torch = pytest.importorskip("torch")


def _same_result(a, b, rtol=1e-9, atol=1e-9):
    np.testing.assert_array_equal(a.diverged_at, b.diverged_at)
    np.testing.assert_array_equal(a.step, b.step)
    for field in ("path", "loss", "grad_norm", "step_size"):
        np.testing.assert_allclose(getattr(a, field), getattr(b, field), rtol=rtol, atol=atol,
                                   err_msg=field)


@pytest.mark.parametrize(("land", "params", "starts"), CASES, ids=[c[0] for c in CASES])
def test_traced_torch_adam_equals_the_builtin_adam(land, params, starts):
    surface = get_landscape(land, **params)
    hp = {"lr": 0.03, "betas": (0.8, 0.99), "eps": 1e-3, "weight_decay": 0.1}
    traced = trace(torch.optim.Adam, surface, starts, 200, **hp)
    builtin = run(surface, make_optimizer("adam", lr=0.03, beta1=0.8, beta2=0.99, eps=1e-3,
                                          weight_decay=0.1), starts, 200)
    assert traced.settings["layout"] == "batched"
    assert type(traced) is type(builtin)
    _same_result(traced, builtin)
    np.testing.assert_array_equal(traced.settings["evaluations"][-1], [201, 201])


def test_divergence_freezes_like_the_engine():
    surface = get_landscape("quadratic")
    starts = [[1.0, 1.0], [0.0, 1e-3], [2.0, -1.0]]
    traced = trace(torch.optim.SGD, surface, starts, 60, lr=0.25)  # 1 - 0.25·10 = -1.5: blows up
    builtin = run(surface, make_optimizer("sgd", lr=0.25), starts, 60)
    assert (traced.diverged_at > 0).all()
    _same_result(traced, builtin)


def _closure_loop(cls, hp, surface, start, steps):
    """One trajectory stepped by hand: path and cumulative closure calls (the reference)."""
    p = torch.tensor(start, dtype=torch.float64, requires_grad=True)
    opt = cls([p], **hp)
    calls = [1]

    def closure():
        calls[0] += 1
        with torch.no_grad():
            f, g = surface.value_and_grad(p.detach())
        p.grad = g.clone()
        return f

    out, counted = [p.detach().clone()], [1]
    for _ in range(steps):
        with torch.no_grad():
            p.grad = surface.grad(p.detach()).clone()
        before = calls[0]
        opt.step(closure)
        calls[0] = max(calls[0], before + 1)
        out.append(p.detach().clone())
        counted.append(calls[0])
    return torch.stack(out).numpy(), np.array(counted)


@pytest.mark.parametrize(("cls", "hp"), [
    ("LBFGS", {"lr": 0.5, "max_iter": 4, "history_size": 5}),
    ("LBFGS", {"lr": 1.0, "line_search_fn": "strong_wolfe"}),
    ("Lamb", {"lr": 0.05, "weight_decay": 0.01}),
], ids=["lbfgs", "lbfgs-strong-wolfe", "lamb"])
def test_coordinate_mixing_optimizers_run_one_trajectory_at_a_time(cls, hp):
    package = pytest.importorskip("pytorch_optimizer") if cls == "Lamb" else torch.optim
    cls = getattr(package, cls)
    surface = get_landscape("rosenbrock")
    starts = np.array([[-1.5, 2.5], [1.8, 2.0], [0.3, -0.4]])
    traced = trace(cls, surface, starts, 40, **hp)
    assert traced.settings["layout"] == "per trajectory"
    for i, start in enumerate(starts):
        path, calls = _closure_loop(cls, hp, surface, start, 40)
        np.testing.assert_allclose(traced.path[:, i], path, rtol=1e-12, atol=1e-12)
        np.testing.assert_array_equal(traced.settings["evaluations"][:, i], calls)
    forced = trace(cls, surface, starts, 40, per_trajectory=False, **hp)
    assert not np.allclose(forced.path, traced.path), "batched is wrong for this rule"


class _LateNormalisedSGD(torch.optim.Optimizer):
    """SGD that divides by the whole tensor's norm after 15 steps: element-wise at first."""

    def __init__(self, params, lr=0.01):
        super().__init__(params, {"lr": lr})
        self.t = 0

    @torch.no_grad()
    def step(self, closure=None):
        self.t += 1
        for p in self.param_groups[0]["params"]:
            scale = 1.0 if self.t <= 15 else 1.0 / p.grad.norm()
            p.add_(p.grad * scale, alpha=-self.param_groups[0]["lr"])


def test_mixing_that_starts_after_the_probe_is_still_caught():
    surface = get_landscape("himmelblau")
    starts = np.array([[2.0, 1.0], [-4.0, -4.0], [0.5, 3.0]])
    traced = trace(_LateNormalisedSGD, surface, starts, 30, lr=0.005)
    assert traced.settings["layout"] == "per trajectory"
    alone = [trace(_LateNormalisedSGD, surface, s, 30, lr=0.005).path[:, 0] for s in starts]
    np.testing.assert_array_equal(traced.path, np.stack(alone, axis=1))


def test_muon_takes_the_point_as_a_one_by_two_matrix():
    surface = get_landscape("rosenbrock")
    res = trace(torch.optim.Muon, surface, [[-1.5, 2.5], [1.0, 0.0]], 5, point_shape=(1, 2),
                lr=0.01)
    assert res.settings["layout"] == "per trajectory"
    assert res.path.shape == (6, 2, 2)


def test_record_and_labels_follow_run():
    res = trace(torch.optim.RMSprop, "booth", [0.0, 0.0], 10, record=3, lr=0.01)
    assert res.step.tolist() == [0, 3, 6, 9, 10]
    assert res.path.shape == (5, 1, 2) and res.settings["evaluations"].shape == (5, 1)
    assert res.label == "RMSprop (traced)" and res.optimizer == "torch.optim.rmsprop.RMSprop"


@pytest.mark.parametrize(("args", "kwargs", "message"), [
    ((dict, "booth", [0.0, 0.0], 5), {}, "torch.optim.Optimizer subclass"),
    ((torch.optim.Adam, "booth", [0.0, 0.0], 5), {"lr": -1.0}, "cannot be built"),
    ((torch.optim.Adam, "booth", [0.0, 0.0], 5), {"betas2": 0.9}, "cannot be built"),
    ((torch.optim.Adam, "booth", [[0.0, 0.0, 1.0]], 5), {}, "starts must have shape"),
    ((torch.optim.Adam, "booth", [0.0, 0.0], -1), {}, "steps must be"),
    ((torch.optim.Adam, "booth", [0.0, 0.0], 5), {"point_shape": (2, 1)}, "point_shape"),
])
def test_bad_input_says_what_is_allowed(args, kwargs, message):
    with pytest.raises(ValueError, match=message):
        trace(*args, **kwargs)


def test_the_probe_alone_tells_mixing_from_element_wise_rules():
    """The short probe decides before the full run (the check after it is the safety net)."""
    from optim_core.trace import _agree_on_probe, _factory, _Simulation

    surface = get_landscape("rosenbrock")
    starts = np.array([[-1.5, 2.5], [1.8, 2.0]])
    for cls, hp, element_wise in [(torch.optim.Adam, {"lr": 0.1}, True),
                                  (torch.optim.LBFGS, {"lr": 0.5}, False),
                                  (torch.optim.Adafactor, {"lr": 0.05}, False)]:
        sim = _Simulation(_factory(cls, hp), surface, torch.float64, (2,), 1e6)
        assert _agree_on_probe(sim, starts, surface) is element_wise, cls.__name__


def test_traced_one_iteration_lbfgs_equals_the_builtin_lbfgs():
    """torch.optim.LBFGS(max_iter=1) traced (one optimizer per trajectory) and the vectorized
    built-in agree step for step: the two-loop recursion and its masks hold per trajectory."""
    surface = get_landscape("himmelblau")
    starts = [[2.0, 1.0], [-4.0, -4.0], [0.5, 3.0]]
    hp = {"lr": 0.3, "history_size": 4, "tolerance_grad": 1e-7, "tolerance_change": 1e-9}
    traced = trace(torch.optim.LBFGS, surface, starts, 150, max_iter=1, **hp)
    builtin = run(surface, make_optimizer("lbfgs", **hp), starts, 150)
    assert traced.settings["layout"] == "per trajectory"
    _same_result(traced, builtin)
    np.testing.assert_array_equal(traced.settings["evaluations"][-1], [151, 151, 151])

"""The surface's exact Hessian and the rules that read it (a spec's ``needs``): the Hessian
against torch autograd for every surface, damped Newton, the Polyak step size and Sophia's
two Hessian-diagonal estimates against formulas worked by hand and theorems."""

from __future__ import annotations

import numpy as np
import pytest

from landscapes import LANDSCAPES, from_formula, get_landscape
from optim_core import OPTIMIZERS, make_optimizer, run
from optim_core.curvature import solve2
from optim_core.sophia import hutchinson, probe

from .test_landscapes import _landscapes, _points, _scale

TYPED = "x**2*sin(y) + exp(x*y/3) + abs(x - y)**3 + sqrt(x**2 + y**2 + 1)"


def _autograd_hessians(land, pts, torch):
    return np.stack([torch.autograd.functional.hessian(
        land.f, torch.tensor(p, dtype=torch.float64)).numpy() for p in pts])


@pytest.mark.parametrize("name", list(LANDSCAPES))
def test_hessian_matches_torch_autograd(name):
    """Every built-in surface (formula and data, at several parameter settings): the Hessian
    from the SymPy program equals torch's autograd Hessian of f at random points, and the
    value and gradient it comes with are value_and_grad's."""
    torch = pytest.importorskip("torch")
    spec = LANDSCAPES[name]
    cases = list(_landscapes(spec)) if hasattr(spec, "formula") else [spec.build()]
    for land in cases:
        pts = _points(spec, 12, seed=5)
        f, g, h = land.value_grad_hess(pts)
        assert h.shape == (12, 2, 2) and np.all(np.isfinite(h))
        auto = _autograd_hessians(land, pts, torch)
        np.testing.assert_allclose(h, auto, rtol=1e-9, atol=1e-11 * _scale(auto),
                                   err_msg=f"{name} {land.params}")
        f0, g0 = land.value_and_grad(pts)
        np.testing.assert_allclose(f, f0, rtol=1e-13, atol=1e-13 * _scale(f0))
        np.testing.assert_allclose(g, g0, rtol=1e-12, atol=1e-12 * _scale(g0))
        ft, gt, ht = land.value_grad_hess(torch.tensor(pts))  # torch in, torch out
        assert isinstance(ht, torch.Tensor) and ht.dtype == torch.float64
        np.testing.assert_allclose(ht.numpy(), h, rtol=1e-12, atol=1e-12 * _scale(h))


def test_hessian_of_a_typed_formula_and_its_shapes():
    torch = pytest.importorskip("torch")
    land = from_formula(TYPED)
    pts = np.random.default_rng(0).uniform(-2.5, 2.5, (20, 2))
    np.testing.assert_allclose(land.value_grad_hess(pts)[2], _autograd_hessians(land, pts, torch),
                               rtol=1e-9, atol=1e-10)
    for shape in [(), (5,), (3, 4)]:
        f, g, h = land.value_grad_hess(np.ones((*shape, 2)))
        assert (f.shape, g.shape, h.shape) == (shape, (*shape, 2), (*shape, 2, 2))
        np.testing.assert_array_equal(h, np.swapaxes(h, -1, -2))  # symmetric


def test_hessian_by_hand():
    """Rosenbrock, f = (1 − x)² + b(y − x²)²: H = [[2 − 4b(y − 3x²), −4bx], [−4bx, 2b]]."""
    b, (x, y) = 100.0, (0.3, -0.7)
    h = get_landscape("rosenbrock", b=b).value_grad_hess(np.array([x, y]))[2]
    np.testing.assert_allclose(h, [[2 - 4 * b * (y - 3 * x * x), -4 * b * x],
                                   [-4 * b * x, 2 * b]], rtol=1e-14)


def test_closed_form_solve_matches_numpy():
    rng = np.random.default_rng(1)
    a = rng.normal(size=(50, 2, 2))
    h, g, lam = a + np.swapaxes(a, 1, 2), rng.normal(size=(50, 2)), rng.uniform(0, 2, (50, 1))
    want = np.stack([np.linalg.solve(hi + li * np.eye(2), gi)
                     for hi, gi, li in zip(h, g, lam, strict=True)])
    np.testing.assert_allclose(solve2(h, g, lam, np), want, rtol=1e-9, atol=1e-12)


def test_newton_solves_a_quadratic_in_one_step():
    """Theorem: on f = ½(ax² + cy²) the full Newton step (α = 1, λ = 0) lands on the minimum
    from anywhere; damping λ turns it into w − (H + λI)⁻¹g, per axis w·λ/(a + λ)."""
    land = get_landscape("quadratic", a=3.0, c=40.0)
    starts = np.array([[-2.5, 2.0], [1.0, -0.3]])
    np.testing.assert_allclose(run(land, make_optimizer("newton"), starts, 1).path[1], 0.0,
                               atol=1e-15)
    damped = run(land, make_optimizer("newton", damping=2.0), starts, 1).path[1]
    np.testing.assert_allclose(damped, starts * [2.0 / 5.0, 2.0 / 42.0], rtol=1e-14)


def test_polyak_step_by_hand_and_its_refusal():
    """One Polyak step from w on Booth (f* = 0): w − γ f/‖g‖² g; with f* given it aims at
    that value instead; on a surface with no known minimum it says what to do."""
    land = get_landscape("booth")
    w = np.array([-8.0, -6.0])
    f, g = land.value_and_grad(w)
    for hp, target in [({}, 0.0), ({"lr": 0.5, "f_star": -2.0}, -2.0)]:
        got = run(land, make_optimizer("polyak", eps=0.0, **hp), w, 1).path[1, 0]
        np.testing.assert_allclose(got, w - hp.get("lr", 1.0) * (f - target) / (g @ g) * g,
                                   rtol=1e-14)
    near = np.array([1.5, 2.5])  # f = 0.5 < f* = 10: the gap counts as 0, no step uphill
    np.testing.assert_array_equal(run(land, make_optimizer("polyak", f_star=10.0), near, 3)
                                  .path[:, 0], np.broadcast_to(near, (4, 2)))
    with pytest.raises(ValueError, match="needs f\\*.*Give f_star"):
        run(get_landscape("saddle"), make_optimizer("polyak"), [1.0, 0.5], 3)
    path = run(get_landscape("saddle"), make_optimizer("polyak", f_star=-1.0), [1.0, 0.5], 3)
    assert np.all(np.isfinite(path.path))


def test_hutchinson_probes_average_to_the_diagonal():
    """Theorem: E[z ⊙ Hz] = diag H for Rademacher z (in 2-D the error is z_x z_y H_xy, mean 0):
    over 4000 probes the sign products average to about 0, and each probe is ±1."""
    signs = np.array([probe(seed, t, 0) for seed in range(40) for t in range(1, 101)])
    assert set(np.unique(signs)) == {-1.0, 1.0}
    assert abs(np.mean(signs[:, 0] * signs[:, 1])) < 0.05 and np.all(abs(signs.mean(0)) < 0.05)
    hess = get_landscape("rosenbrock").value_grad_hess(np.array([[0.3, -0.7]]))[2]
    est = np.mean([hutchinson(hess, seed, 1, 1, np) for seed in range(4000)], axis=0)
    np.testing.assert_allclose(est[0], np.diag(hess[0]), rtol=0.05)
    one = hutchinson(hess, 7, 3, 1, np)[0]
    zx, zy = probe(7, 3, 0)
    np.testing.assert_allclose(one, np.diag(hess[0]) + zx * zy * hess[0, 0, 1], rtol=1e-14)


def test_sophia_h_equals_exact_sophia_where_the_hessian_is_diagonal():
    """Where H_xy = 0 (an axis-aligned ravine) Hutchinson's z ⊙ Hz is diag H exactly, so both
    Sophias take the same path; rotate the ravine and they part."""
    hp = {"lr": 0.3, "update_period": 3}
    starts = [[-3.5, 1.5], [2.0, 2.0]]
    for angle, same in [(0.0, True), (30.0, False)]:
        land = get_landscape("ravine", kappa=20.0, angle=angle)
        a = run(land, make_optimizer("sophia_h", **hp), starts, 60).path
        b = run(land, make_optimizer("sophia_exact", **hp), starts, 60).path
        assert np.allclose(a, b, rtol=0, atol=1e-14) == same


def test_curvature_reaches_a_wrapped_rule_on_both_backends():
    """Lookahead passes the surface's terms through to the rule it wraps (both paths reach a
    minimum); the torch backend gives the NumPy path."""
    torch = pytest.importorskip("torch")  # noqa: F841
    land = get_landscape("himmelblau")
    opt = make_optimizer("lookahead", base="newton", k=3, alpha=0.5, damping=1.0)
    assert opt.spec.needs == ("hessian",)
    a = run(land, opt, [[2.0, 1.0], [-4.0, -4.0]], 30)
    b = run(land, opt, [[2.0, 1.0], [-4.0, -4.0]], 30, backend="torch")
    np.testing.assert_allclose(a.path, b.path, rtol=1e-12, atol=1e-14)
    assert np.all(land.nearest_minimum_distance(a.path[-1]) < 1e-2)


def test_needs_are_known_terms():
    from optim_core.surface_terms import TERMS

    for spec in OPTIMIZERS.values():
        assert set(spec.needs) <= set(TERMS), spec.name


def test_the_compiled_engine_passes_the_surface_terms(short_chunks):
    """The Hessian program and f* reach the step inside compiled chunks too: same paths as
    NumPy, compiled (no eager fallback)."""
    pytest.importorskip("torch")
    land = get_landscape("himmelblau")
    starts = [[2.0, 1.0], [-4.0, -4.0]]
    for opt in (make_optimizer("newton", lr=0.5, damping=1.0), make_optimizer("polyak")):
        eager = run(land, opt, starts, 40)
        compiled = run(land, opt, starts, 40, backend="torch", compile=True)
        assert compiled.note == "" and compiled.settings["compiled"], compiled.note
        np.testing.assert_allclose(compiled.path, eager.path, rtol=1e-12, atol=1e-14)

"""Rules that read the surface's exact curvature or value (a spec's ``needs``): damped Newton
and the Polyak step size. They are the references a lecture holds Adam's √v̂ against: what a
step would be if the curvature, or the distance to the optimum in value, were known."""

from __future__ import annotations

from typing import NamedTuple

from paramspec import ParamSpec

from .registry import OptimizerSpec


class NoState(NamedTuple):
    """Memoryless rules keep nothing between steps."""


def no_state(p, hp, xp) -> NoState:
    return NoState()


def solve2(hessian, g, damping, xp):
    r""":math:`(H + \lambda I)^{-1} g` for each trajectory's 2×2 system, in closed form:
    with :math:`H + \lambda I = \begin{pmatrix} a & b \\ b & c \end{pmatrix}`,
    :math:`\frac{1}{ac - b^2}\begin{pmatrix} c g_x - b g_y \\ a g_y - b g_x \end{pmatrix}`
    (inf / NaN where the matrix is singular: that trajectory then stops)."""
    a = hessian[:, 0, 0:1] + damping
    b = hessian[:, 0, 1:2]
    c = hessian[:, 1, 1:2] + damping
    gx, gy = g[:, 0:1], g[:, 1:2]
    det = a * c - b * b
    return xp.concat([(c * gx - b * gy) / det, (a * gy - b * gx) / det], axis=-1)


def newton_step(g, s, p, hp, t, xp, hessian):
    r""":math:`w \leftarrow w - \alpha\,(H + \lambda I)^{-1} g`."""
    return p - hp["lr"] * solve2(hessian, g, hp["damping"], xp), s


NEWTON = OptimizerSpec(
    name="newton", title="Damped Newton",
    params=(ParamSpec("lr", "α", 1.0, 0.0, 10.0, low_open=True,
                      help="Fraction of the Newton step taken (1: the full step)"),
            ParamSpec("damping", "λ", 0.0, 0.0, 1000.0,
                      help="Added to the Hessian's diagonal (Levenberg): large λ turns the "
                           "step into gradient descent with step α/λ")),
    init=no_state, step=newton_step, needs=("hessian",),
    latex=r"w_t \leftarrow w_{t-1} - \alpha\,\left(\nabla^2 f(w_{t-1}) + \lambda I\right)^{-1}"
          r" \nabla f(w_{t-1})",
    reference="the formula worked by hand (numpy.linalg.solve), exact Hessian from SymPy",
    description="Steps to the minimum of the local quadratic model: one step on a quadratic "
                "bowl, fast near a minimum, and drawn to saddles and maxima where the "
                "curvature is negative (the Hessian is exact, from the surface's formula).",
)


def polyak_step(g, s, p, hp, t, xp, f, f_star):
    r""":math:`w \leftarrow w - \gamma\,\frac{\max(f - f^*, 0)}{\|g\|^2 + \varepsilon}\, g`,
    with f* the surface's known minimum value unless given."""
    target = hp["f_star"] if hp["f_star"] is not None else f_star
    if target is None:
        raise ValueError("The Polyak step size needs f*, the minimum value of the surface: "
                         "this surface does not declare one. Give f_star (a number), or choose "
                         "a surface with a known minimum.")
    gap = xp.clip(f[:, None] - target, min=0.0)
    sq = xp.sum(g * g, axis=-1, keepdims=True)
    return p - (hp["lr"] * gap / (sq + hp["eps"])) * g, s


POLYAK = OptimizerSpec(
    name="polyak", title="Polyak step size",
    params=(ParamSpec("lr", "γ", 1.0, 0.0, 2.0, low_open=True,
                      help="Scale of the Polyak step (1: the classical step; convergence is "
                           "proved for 0 < γ < 2 on convex surfaces)"),
            ParamSpec("f_star", "f*", None, -1e6, 1e6, optional=True,
                      help="The minimum value the step aims at; None: the surface's known "
                           "minimum (refused where it has none)"),
            ParamSpec("eps", "ε", 1e-12, 0.0, 1.0, log=True,
                      help="Added to ‖g‖² so that a vanishing gradient gives no division by 0")),
    init=no_state, step=polyak_step, needs=("value", "min_value"),
    latex=r"w_t \leftarrow w_{t-1} - \gamma\, \frac{f(w_{t-1}) - f^*}"
          r"{\|\nabla f(w_{t-1})\|^2 + \varepsilon}\, \nabla f(w_{t-1})",
    reference="the formula worked by hand (Polyak, 1987), f* the surface's declared minimum",
    description="Gradient descent whose step size is the gap to the optimal value over ‖g‖²: "
                "no tuning, but it must know f* (the surface's minimum value).",
)

r"""SOAP (Vyas et al., 2024) as ``pytorch_optimizer.SOAP`` with the point as a vector of two and
``precondition_1d=True``: Adam run in the eigenbasis of Shampoo's preconditioner, here the
2×2 EMA :math:`G` of :math:`gg^\top` (without ``precondition_1d`` SOAP on a vector is Adam).

The basis :math:`Q = (u, u^\perp)` is kept as its first column u: the order of the columns
matters (they carry the second moment's coordinates), their signs do not (every use is
:math:`Q(\cdot)Q^\top`). It starts as G's eigenvectors (largest eigenvalue first), found in
closed form, and every ``precondition_frequency`` steps takes one power-iteration step with a
QR factorisation, as the reference does: :math:`M = GQ`, columns (and v's coordinates)
sorted by the Rayleigh quotients :math:`q_j^\top G q_j`, then u = M's first column,
normalised (in 2-D the QR factor's first column; its second is the perpendicular). The
reference rounds that QR to float32; its parity test runs it in float64.

The first call only measures G (no step, no decay), as the reference's does.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from paramspec import ParamSpec

from . import common as c
from .moments import debias
from .ops import lerp, maximum, where
from .registry import OptimizerSpec


class SoapState(NamedTuple):
    m: Any  # first moment, in the original coordinates
    v: Any  # second moment, in the eigenbasis
    gg: Any  # (N, 3): G's entries (G_xx, G_xy, G_yy)
    u: Any  # (N, 2): Q's first column


def soap_init(p, hp, xp) -> SoapState:
    z = xp.zeros_like(p)
    return SoapState(z, z, xp.zeros_like(xp.concat([p, p[:, :1]], axis=-1)), z)


def _col(a, j):
    return a[:, j:j + 1]


def top_eigenvector(gg, xp):
    r"""The unit eigenvector of :math:`\begin{pmatrix} a & b \\ b & d \end{pmatrix}` for its
    largest eigenvalue: :math:`(\cos\theta, \sin\theta)`, :math:`\theta = \tfrac12
    \operatorname{atan2}(2b, a - d)`."""
    theta = 0.5 * xp.atan2(2.0 * _col(gg, 1), _col(gg, 0) - _col(gg, 2))
    return xp.concat([xp.cos(theta), xp.sin(theta)], axis=-1)


def _rotate(x, u):
    r""":math:`Q^\top x = (u\cdot x,\ u^\perp\cdot x)` with :math:`u^\perp = (-u_y, u_x)`."""
    ux, uy, x0, x1 = _col(u, 0), _col(u, 1), _col(x, 0), _col(x, 1)
    return x0 * ux + x1 * uy, x0 * (-uy) + x1 * ux


def _unrotate(a, b, u):
    r""":math:`Q(a, b)^\top = a\,u + b\,u^\perp`."""
    ux, uy = _col(u, 0), _col(u, 1)
    return a * ux + b * (-uy), a * uy + b * ux


def _power_step(gg, u, v, xp):
    r"""One QR power-iteration step of the basis: :math:`M = GQ`, sorted by
    :math:`q_j^\top G q_j` (descending; v's coordinates follow), u = M's first column / its
    norm. Returns (u, v)."""
    a, b, d = _col(gg, 0), _col(gg, 1), _col(gg, 2)
    ux, uy = _col(u, 0), _col(u, 1)
    wx, wy = -uy, ux
    m0x, m0y = a * ux + b * uy, b * ux + d * uy
    m1x, m1y = a * wx + b * wy, b * wx + d * wy
    swap = (wx * m1x + wy * m1y) > (ux * m0x + uy * m0y)
    cx, cy = xp.where(swap, m1x, m0x), xp.where(swap, m1y, m0y)
    norm = xp.sqrt(cx * cx + cy * cy)
    v = xp.where(swap, xp.concat([_col(v, 1), _col(v, 0)], axis=-1), v)
    return xp.concat([cx / norm, cy / norm], axis=-1), v


def _accumulate(gg, g, beta, xp):
    """G ← lerp(G, g gᵀ, 1 − β) entry by entry."""
    gx, gy = _col(g, 0), _col(g, 1)
    return lerp(gg, xp.concat([gx * gx, gx * gy, gy * gy], axis=-1), 1 - beta, xp)


def soap_step(g, s, p, hp, t, xp):
    r"""Adam in the basis Q: :math:`\tilde g = Q^\top g`, :math:`m \leftarrow \mathrm{lerp}(m,
    g)`, :math:`v \leftarrow \mathrm{lerp}(v, \tilde g^2)`, :math:`n = Q\,(Q^\top m /
    (\sqrt v + \varepsilon))`, :math:`w \leftarrow (w - \alpha_t n)(1 - \alpha\lambda)`; then
    G is updated and, every f steps, Q."""
    lr, b1, b2, eps = hp["lr"], hp["beta1"], hp["beta2"], hp["eps"]
    sb = hp["shampoo_beta"] if hp["shampoo_beta"] is not None else b2
    first = t == 1  # a bool, or a 0-d tensor in compiled chunks: both branches, then where
    step = t - 1
    gx_r, gy_r = _rotate(g, s.u)
    m = lerp(s.m, g, 1 - b1, xp)
    v = lerp(s.v, xp.concat([gx_r * gx_r, gy_r * gy_r], axis=-1), 1 - b2, xp)
    denom = xp.sqrt(v) + eps
    mx_r, my_r = _rotate(m, s.u)
    n = xp.concat(_unrotate(mx_r / _col(denom, 0), my_r / _col(denom, 1), s.u), axis=-1)
    if hp["normalize_gradient"]:
        n = n / (xp.sqrt(xp.mean(n * n, axis=-1, keepdims=True)) + eps)
    k = maximum(step, 1, xp)  # step 0 (the first call) takes no step: keep 1 − β⁰ = 0 out
    size = lr * (debias(b2, k, xp) ** 0.5 / debias(b1, k, xp)) if hp["bias_correction"] else lr
    p_new = p + (-size) * n
    wd = hp["weight_decay"]
    p_new = p_new * (1.0 - wd * lr)
    gg = _accumulate(s.gg, g, sb, xp)
    u_qr, v_qr = _power_step(gg, s.u, v, xp)
    refresh = step % hp["precondition_frequency"] == 0
    u = where(refresh, u_qr, s.u, xp)
    v = where(refresh, v_qr, v, xp)
    u0 = top_eigenvector(gg, xp)  # the first call: G's eigenvectors, nothing else
    return (where(first, p, p_new, xp),
            SoapState(where(first, s.m, m, xp), where(first, s.v, v, xp), gg,
                      where(first, u0, u, xp)))


SOAP = OptimizerSpec(
    name="soap", title="SOAP",
    params=(c.lr(1e-2, 3e-3), c.beta1(0.95), c.beta2(0.95),
            ParamSpec("shampoo_beta", "β_G", None, 0.0, 1.0, high_open=True, optional=True,
                      help="Decay of the preconditioner's average G of g gᵀ; None: β₂"),
            c.eps(1e-8), c.weight_decay(1e-2),
            ParamSpec("precondition_frequency", "f", 10, 1, 1000, kind="int",
                      per_trajectory=False, help="Steps between two updates of the eigenbasis"),
            c.switch("bias_correction", "bias correction", True,
                     "Scale the step by √(1 − β₂ᵗ)/(1 − β₁ᵗ) (the reference's correct_bias)"),
            c.switch("normalize_gradient", "normalize", False,
                     "Divide the update by its RMS")),
    init=soap_init, step=soap_step,
    # v is a second moment in Q's eigenbasis (its coordinates are not x and y, and swap with
    # Q's columns): undeclared; no per-coordinate step scale either (the basis is rotated)
    state_roles={"m": "first moment"},
    latex=r"""\begin{aligned}
G_t &\leftarrow \beta_G G_{t-1} + (1-\beta_G)\, g_t g_t^\top, \qquad
Q \text{: eigenbasis of } G \text{ (refreshed every } f \text{ steps)}\\
m_t &\leftarrow \beta_1 m_{t-1} + (1-\beta_1)\, g_t, \qquad
v_t \leftarrow \beta_2 v_{t-1} + (1-\beta_2)\, (Q^\top g_t)^2\\
w_t &\leftarrow \Big(w_{t-1} - \alpha\tfrac{\sqrt{1-\beta_2^t}}{1-\beta_1^t}\,
Q\, \frac{Q^\top m_t}{\sqrt{v_t} + \varepsilon}\Big)(1 - \alpha\lambda)
\end{aligned}""",
    reference="pytorch_optimizer.SOAP (Vyas et al., 2024), precondition_1d=True",
    description="Adam in the eigenbasis of the gradients' outer-product average: on a rotated "
                "ravine it aligns with the valley, where Adam's per-coordinate scaling cannot. "
                "The first call only measures g gᵀ.",
)

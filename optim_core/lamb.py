"""LAMB (You et al., 2020): Adam's direction scaled by a trust ratio ‖w‖ / ‖update‖ per
parameter tensor, here per trajectory (each point is one tensor), as pytorch_optimizer.Lamb."""

from __future__ import annotations

from . import common as c
from .adam import Moments, zero_moments
from .moments import debias, ema_sq
from .ops import decoupled_decay, minimum, row_norm, where
from .registry import OptimizerSpec

WEIGHT_NORM_CLAMP = 10.0  # pytorch_optimizer.Lamb.clamp


def lamb_step(g, s, p, hp, t, xp):
    r""":math:`u = m_t / (\sqrt{v_t} + \varepsilon)` (+λw when coupled),
    :math:`r = \min(\|w\|, 10) / (\|u\| + \varepsilon)` (1 if either norm is 0),
    :math:`w \leftarrow w - \frac{\alpha}{1-\beta_1^t}\, r\, u` (no bias correction of v)."""
    lr, b1, b2, wd = hp["lr"], hp["beta1"], hp["beta2"], hp["weight_decay"]
    m = s.m * b1 + (1 - b1) * g
    v = ema_sq(s.v, g, b2)
    if hp["decoupled_weight_decay"]:
        p = decoupled_decay(p, lr, wd)
        update = m / (xp.sqrt(v) + hp["eps"])
    else:
        update = m / (xp.sqrt(v) + hp["eps"]) + wd * p
    w_norm = minimum(row_norm(p, xp), WEIGHT_NORM_CLAMP, xp)
    u_norm = row_norm(update, xp)
    trust = where((w_norm == 0) | (u_norm == 0), xp.ones_like(w_norm),
                  w_norm / (u_norm + hp["eps"]), xp)
    return p + (-(lr / debias(b1, t, xp)) * trust) * update, Moments(m, v)


LAMB = OptimizerSpec(
    name="lamb", title="LAMB",
    params=(c.lr(1e-2, 1e-3), c.beta1(), c.beta2(), c.eps(1e-6), c.weight_decay(),
            c.decoupled(True)),
    init=zero_moments, step=lamb_step,
    # no step scale: the trust ratio takes norms across the coordinates
    state_roles={"m": "first moment", "v": "second moment"},
    latex=r"""\begin{aligned}
m_t &\leftarrow \beta_1 m_{t-1} + (1-\beta_1)\, g_t, \qquad
v_t \leftarrow \beta_2 v_{t-1} + (1-\beta_2)\, g_t^2, \qquad
u_t = \frac{m_t}{\sqrt{v_t} + \varepsilon}\\
w_t &\leftarrow w_{t-1}(1-\alpha\lambda) - \frac{\alpha}{1-\beta_1^t}\,
\frac{\min(\|w\|, 10)}{\|u_t\| + \varepsilon}\, u_t
\end{aligned}""",
    reference="pytorch_optimizer.Lamb (You et al., 2020)",
    description="Adam whose step length is set relative to the weights' norm (the trust "
                "ratio): each point moves by about α‖w‖ per step, whatever the gradient's scale.",
)

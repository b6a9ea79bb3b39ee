"""Signum (Bernstein et al., 2018): the sign of the momentum, as pytorch_optimizer.SignSGD."""

from __future__ import annotations

from . import common as c
from .lion import LionState
from .moments import ema
from .ops import weight_decay, zeros_init
from .registry import OptimizerSpec


def signum_step(g, s, p, hp, t, xp):
    r""":math:`m \leftarrow \beta m + (1-\beta) g`,
    :math:`w \leftarrow w(1-\alpha\lambda) - \alpha\,\mathrm{sign}(m)` (β = 0: signSGD)."""
    g, p = weight_decay(g, p, hp)
    m = ema(s.m, g, hp["momentum"], xp)
    return p + (-hp["lr"]) * xp.sign(m), LionState(m)


SIGNUM = OptimizerSpec(
    name="signum", title="Signum",
    coordinatewise=True,
    params=(c.lr(1e-2, 1e-3), c.momentum(0.9), c.weight_decay(), c.decoupled(True)),
    init=zeros_init(LionState), step=signum_step,
    state_roles={"m": "first moment"},  # the step is −α sign(m): m's signs, not its size
    latex=r"""\begin{aligned}
m_t &\leftarrow \beta m_{t-1} + (1-\beta)\, g_t\\
w_t &\leftarrow w_{t-1}(1 - \alpha\lambda) - \alpha\, \operatorname{sign}(m_t)
\end{aligned}""",
    reference="pytorch_optimizer.SignSGD (Bernstein et al., 2018, signSGD with momentum)",
    description="Moves every coordinate by exactly ±α in the direction of the momentum's sign.",
)

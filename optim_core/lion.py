"""Lion: the sign of an interpolated momentum (Chen et al., 2023), as pytorch_optimizer.Lion."""

from __future__ import annotations

from typing import Any, NamedTuple

from . import common as c
from .moments import ema
from .ops import cautious, weight_decay, zeros_init
from .registry import OptimizerSpec


class LionState(NamedTuple):
    m: Any


def lion_step(g, s, p, hp, t, xp):
    r""":math:`u = \mathrm{sign}(\beta_1 m + (1-\beta_1) g)`,
    :math:`m \leftarrow \beta_2 m + (1-\beta_2) g`, :math:`w \leftarrow w(1-\alpha\lambda) - \alpha u`."""
    lr = hp["lr"]
    g, p = weight_decay(g, p, hp)
    update = xp.sign(ema(s.m, g, hp["beta1"], xp))
    if hp["cautious"]:
        update = cautious(update, g, xp)
    m = ema(s.m, g, hp["beta2"], xp)
    return p - lr * update, LionState(m)


LION = OptimizerSpec(
    name="lion", title="Lion",
    coordinatewise=c.unless_cautious,
    params=(c.lr(1e-2, 1e-4), c.beta1(0.9), c.beta2(0.99), c.weight_decay(),
            c.decoupled(True), c.cautious()),
    init=zeros_init(LionState), step=lion_step,
    state_roles={"m": "first moment"},  # the β₂ average of g (the step's sign mixes with β₁)
    latex=r"""\begin{aligned}
u_t &= \operatorname{sign}\!\left(\beta_1 m_{t-1} + (1-\beta_1)\, g_t\right)\\
m_t &\leftarrow \beta_2 m_{t-1} + (1-\beta_2)\, g_t\\
w_t &\leftarrow w_{t-1}(1 - \alpha\lambda) - \alpha u_t
\end{aligned}""",
    reference="pytorch_optimizer.Lion (Chen et al., 2023, Symbolic Discovery of Optimization "
              "Algorithms)",
    description="Every coordinate moves by exactly ±α: direction from momentum, size from α. "
                "The momentum arrow −α·m shows the β₂ average m; the step's signs come from "
                "the β₁ mix of the previous m and g, so the two may point apart.",
)

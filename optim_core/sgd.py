"""SGD with momentum (torch.optim.SGD), its Nesterov form, and the EMA "lecture" momentum."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from paramspec import ParamSpec

from . import common as c
from .ops import coupled_decay, is_scalar, maximum, where
from .registry import OptimizerSpec


class Velocity(NamedTuple):
    v: Any


_VELOCITY = {"v": "velocity"}


def _zeros(p, hp, xp) -> Velocity:
    return Velocity(xp.zeros_like(p))


def sgd_step(g, s, p, hp, t, xp):
    r"""torch.optim.SGD: :math:`g \leftarrow g + \lambda w`; :math:`b_1 = g_1`,
    :math:`b_t = \mu b_{t-1} + (1-\tau) g_t`; :math:`d = g + \mu b` (Nesterov) or :math:`b`;
    :math:`w \leftarrow w - \alpha d`."""
    lr, mu, damp = hp["lr"], hp["momentum"], hp["dampening"]
    g = coupled_decay(g, p, hp["weight_decay"])
    if is_scalar(mu) and mu == 0:
        return p - lr * g, s
    buf = where(t == 1, g, s.v * mu + g * (1 - damp), xp)  # t may be a tensor (compiled)
    d = g + buf * mu if hp["nesterov"] else buf
    if not is_scalar(mu):
        d = where(mu == 0, g, d, xp)  # torch skips the buffer entirely when momentum is 0
    return p - lr * d, Velocity(buf)


def ema_momentum_step(g, s, p, hp, t, xp):
    r""":math:`v \leftarrow \beta v + (1-\beta) g`, :math:`w \leftarrow w - \alpha v`."""
    v = hp["momentum"] * s.v + (1 - hp["momentum"]) * g
    return p - hp["lr"] * v, Velocity(v)


def check_nesterov(hp) -> None:
    """torch.optim.SGD's rule: Nesterov momentum needs momentum > 0 and no dampening."""
    if not hp["nesterov"]:
        return
    if np.any(np.asarray(hp["momentum"]) <= 0) or np.any(np.asarray(hp["dampening"]) != 0):
        raise ValueError("Nesterov momentum needs momentum μ > 0 and dampening τ = 0 "
                         f"(as torch.optim.SGD); got μ={hp['momentum']}, τ={hp['dampening']}.")


def sgd_heavy_ball(hp):
    """torch's SGD as heavy ball (:mod:`optim_core.theory`): α' = α(1 − τ), β = μ, λ; not
    with Nesterov's look-ahead."""
    return None if hp["nesterov"] else (hp["lr"] * (1 - hp["dampening"]), hp["momentum"],
                                        hp["weight_decay"])


def ema_heavy_ball(hp):
    """The EMA form as heavy ball: α' = α(1 − β), β, no weight decay."""
    return hp["lr"] * (1 - hp["momentum"]), hp["momentum"], 0.0


_DAMPENING = ParamSpec("dampening", "τ", 0.0, 0.0, 1.0,
                       help="Dampening: scales the gradient added to the momentum buffer")
_NESTEROV = c.switch("nesterov", "Nesterov", False, "Look-ahead (Nesterov) momentum")

SGD = OptimizerSpec(
    name="sgd", title="SGD",
    coordinatewise=True,
    params=(c.lr(1e-3, 1e-3), c.momentum(0.0, "μ"), _DAMPENING, _NESTEROV, c.weight_decay()),
    init=_zeros, step=sgd_step, check=check_nesterov, heavy_ball=sgd_heavy_ball,
    state_roles=_VELOCITY,
    latex=r"""\begin{aligned}
g_t &\leftarrow \nabla f(w_{t-1}) + \lambda w_{t-1}\\
b_t &\leftarrow \mu b_{t-1} + (1-\tau)\, g_t \quad (b_1 = g_1)\\
w_t &\leftarrow w_{t-1} - \alpha \,(g_t + \mu b_t \text{ if Nesterov else } b_t)
\end{aligned}""",
    reference="torch.optim.SGD",
    description="Gradient descent, optionally with heavy-ball or Nesterov momentum.",
)

MOMENTUM = OptimizerSpec(
    name="momentum", title="Momentum (EMA)",
    coordinatewise=True,
    params=(c.lr(1e-2), c.momentum(0.9)),
    init=_zeros, step=ema_momentum_step, heavy_ball=ema_heavy_ball,
    state_roles=_VELOCITY,
    latex=r"""\begin{aligned}
v_t &\leftarrow \beta v_{t-1} + (1-\beta)\, \nabla f(w_{t-1}), \quad v_0 = 0\\
w_t &\leftarrow w_{t-1} - \alpha v_t
\end{aligned}""",
    reference="The lecture formula (exponential moving average of gradients)",
    description="Momentum as a moving average of gradients: smooths zig-zags, builds up speed.",
)

NESTEROV = OptimizerSpec(
    name="nesterov", title="Nesterov",
    coordinatewise=True,
    params=(c.lr(1e-3, 1e-3), c.momentum(0.9, "μ"), c.weight_decay()),
    init=_zeros, step=sgd_step, fixed={"nesterov": True, "dampening": 0.0}, check=check_nesterov,
    state_roles=_VELOCITY,
    latex=r"""\begin{aligned}
b_t &\leftarrow \mu b_{t-1} + \nabla f(w_{t-1}) \quad (b_1 = g_1)\\
w_t &\leftarrow w_{t-1} - \alpha\,(\nabla f(w_{t-1}) + \mu b_t)
\end{aligned}""",
    reference="torch.optim.SGD(nesterov=True)",
    description="Nesterov accelerated gradient: momentum that corrects itself with a look-ahead.",
)


class ASGDState(NamedTuple):
    ax: Any  # the running average of the iterates (ASGD's answer; the path is the iterate)


def asgd_init(p, hp, xp) -> ASGDState:
    return ASGDState(xp.zeros_like(p))


def asgd_step(g, s, p, hp, t, xp):
    r"""torch.optim.ASGD: :math:`\eta_t = \alpha / (1 + \lambda_\eta \alpha (t-1))^{\kappa}`,
    :math:`w \leftarrow w(1 - \lambda_\eta\eta_t) - \eta_t g`; the average
    :math:`\bar w \leftarrow \bar w + \mu_t (w - \bar w)` with
    :math:`\mu_t = 1/\max(1, t - 1 - t_0)` (:math:`\bar w = w` while :math:`\mu_t = 1`)."""
    lr, lambd = hp["lr"], hp["lambd"]
    g = coupled_decay(g, p, hp["weight_decay"])
    eta = lr / (1 + lambd * lr * (t - 1)) ** hp["power"]
    p = p * (1 - lambd * eta) - eta * g
    mu = 1 / maximum(1.0, (t - 1) - hp["t0"], xp)
    ax = where(mu == 1, p, s.ax + (p - s.ax) * mu, xp)
    return p, ASGDState(ax)


ASGD = OptimizerSpec(
    name="asgd", title="ASGD",
    coordinatewise=True,
    params=(
        c.lr(1e-2, 1e-2),
        ParamSpec("lambd", "λ_η", 1e-4, 0.0, 1.0, log=True,
                  help="Decay term: shrinks the step size η_t and the weights (torch's lambd)"),
        ParamSpec("power", "κ", 0.75, 0.0, 2.0,
                  help="Power of the step-size decay: η_t = α / (1 + λ_η α (t−1))^κ "
                       "(torch's alpha)"),
        ParamSpec("t0", "t₀", 1e6, 0.0, 1e7, log=True, help="Step after which averaging starts; the "
                  "average is kept in the state, the path drawn is the iterate (as torch)"),
        c.weight_decay(),
    ),
    init=asgd_init, step=asgd_step,
    # ax, the average of the iterates, is a point but not Lookahead's slow weights φ (the
    # "slow weights" trail's legend); with the default t₀ it is the iterate itself: undeclared
    latex=r"""\begin{aligned}
\eta_t &= \alpha / \left(1 + \lambda_\eta \alpha (t-1)\right)^{\kappa}\\
w_t &\leftarrow w_{t-1}(1 - \lambda_\eta \eta_t) - \eta_t\, (\nabla f(w_{t-1}) + \lambda w_{t-1})\\
\bar w_t &\leftarrow \bar w_{t-1} + \frac{w_t - \bar w_{t-1}}{\max(1,\ t - 1 - t_0)}
\quad \text{(kept, not drawn)}
\end{aligned}""",
    reference="torch.optim.ASGD (Polyak & Juditsky, 1992)",
    description="SGD with a slowly decaying step and a running average of the iterates "
                "(drawn: the iterate, as torch.optim.ASGD's parameter).",
)

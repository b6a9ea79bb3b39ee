"""Per-coordinate adaptive methods: RMSProp, Adagrad, Adadelta, Adafactor (torch.optim)."""

from __future__ import annotations

from typing import Any, NamedTuple

from paramspec import ParamSpec

from . import common as c
from .ops import (
    coupled_decay,
    decoupled_decay,
    is_scalar,
    lerp,
    maximum,
    minimum,
    row_norm,
    where,
    zeros_init,
)
from .registry import OptimizerSpec


class RMSPropState(NamedTuple):
    square_avg: Any
    grad_avg: Any
    buf: Any


def rmsprop_step(g, s, p, hp, t, xp):
    r"""torch.optim.RMSprop with smoothing :math:`\beta_2` (torch's ``alpha``)."""
    lr, beta, mu = hp["lr"], hp["beta2"], hp["momentum"]
    g = coupled_decay(g, p, hp["weight_decay"])
    sq = s.square_avg * beta + (1 - beta) * g * g
    ga = s.grad_avg
    if hp["centered"]:
        ga = lerp(ga, g, 1 - beta, xp)
        avg = xp.sqrt(sq - ga * ga) + hp["eps"]
    else:
        avg = xp.sqrt(sq) + hp["eps"]
    if is_scalar(mu) and mu == 0:
        return p + (-lr * g) / avg, RMSPropState(sq, ga, s.buf)
    buf = s.buf * mu + g / avg
    p_new = p - lr * buf
    if not is_scalar(mu):  # torch skips the buffer where momentum is 0 (another rounding)
        p_new = where(mu == 0, p + (-lr * g) / avg, p_new, xp)
    return p_new, RMSPropState(sq, ga, buf)


def rmsprop_step_scale(s, hp, t, xp):
    r"""The per-coordinate step scale :math:`\alpha/(\sqrt{s_t - \bar g_t^2}+\varepsilon)`
    (:math:`\bar g \equiv 0` unless centered)."""
    sq = s.square_avg - s.grad_avg * s.grad_avg if hp["centered"] else s.square_avg
    return hp["lr"] / (xp.sqrt(sq) + hp["eps"])


RMSPROP = OptimizerSpec(
    name="rmsprop", title="RMSProp",
    coordinatewise=True,
    params=(
        c.lr(1e-2, 1e-2),
        ParamSpec("beta2", "β", 0.99, 0.0, 1.0, high_open=True,
                  help="Smoothing of the squared-gradient average (torch's alpha)"),
        c.eps(1e-8), c.momentum(0.0, "μ"),
        c.switch("centered", "centered", False,
                 "Divide by an estimate of the gradient's variance instead of its raw 2nd moment"),
        c.weight_decay(),
    ),
    init=zeros_init(RMSPropState), step=rmsprop_step, step_scale=rmsprop_step_scale,
    state_roles={"square_avg": "second moment", "buf": "velocity"},
    latex=r"""\begin{aligned}
s_t &\leftarrow \beta s_{t-1} + (1-\beta)\, g_t^2 \qquad
\bar g_t \leftarrow \beta \bar g_{t-1} + (1-\beta) g_t \ \text{(centered)}\\
d_t &= \frac{g_t}{\sqrt{s_t - \bar g_t^2} + \varepsilon}
\quad(\bar g \equiv 0 \text{ unless centered})\\
b_t &\leftarrow \mu b_{t-1} + d_t, \qquad w_t \leftarrow w_{t-1} - \alpha b_t
\end{aligned}""",
    reference="torch.optim.RMSprop (Hinton, Coursera lecture 6e)",
    description="Divides each coordinate's step by a running RMS of its gradients.",
)


class AdagradState(NamedTuple):
    sum: Any


def adagrad_init(p, hp, xp) -> AdagradState:
    return AdagradState(xp.zeros_like(p) + hp["initial_accumulator_value"])


def adagrad_step(g, s, p, hp, t, xp):
    r""":math:`s \leftarrow s + g^2`, :math:`w \leftarrow w - \frac{\alpha}{1 + (t-1)\eta}
    \frac{g}{\sqrt{s} + \varepsilon}` (torch.optim.Adagrad)."""
    g = coupled_decay(g, p, hp["weight_decay"])
    clr = _adagrad_lr(hp, t)
    total = s.sum + g * g
    return p + (-clr * g) / (xp.sqrt(total) + hp["eps"]), AdagradState(total)


def _adagrad_lr(hp, t):
    r""":math:`\alpha/(1 + (t-1)\eta)`: Adagrad's decayed learning rate at step t."""
    return hp["lr"] / (1 + (t - 1) * hp["lr_decay"])


def adagrad_step_scale(s, hp, t, xp):
    r"""Adagrad's step scale :math:`\frac{\alpha}{1+(t-1)\eta}/(\sqrt{s_t}+\varepsilon)` after
    step t (what multiplies the gradient; there is no momentum)."""
    return _adagrad_lr(hp, t) / (xp.sqrt(s.sum) + hp["eps"])


ADAGRAD = OptimizerSpec(
    name="adagrad", title="Adagrad",
    coordinatewise=True,
    params=(
        c.lr(0.5, 1e-2),
        ParamSpec("lr_decay", "η", 0.0, 0.0, 1.0, help="Learning-rate decay: α / (1 + (t−1)η)"),
        c.eps(1e-10),
        ParamSpec("initial_accumulator_value", "s₀", 0.0, 0.0, 10.0,
                  help="Starting value of the sum of squared gradients"),
        c.weight_decay(),
    ),
    init=adagrad_init, step=adagrad_step, step_scale=adagrad_step_scale,
    # the running sum of g² (s₀ + t times their mean): the rule's second moment, not averaged
    state_roles={"sum": "second moment"},
    latex=r"""\begin{aligned}
s_t &\leftarrow s_{t-1} + g_t^2\\
w_t &\leftarrow w_{t-1} - \frac{\alpha}{1 + (t-1)\eta}\,\frac{g_t}{\sqrt{s_t} + \varepsilon}
\end{aligned}""",
    reference="torch.optim.Adagrad (Duchi, Hazan & Singer, 2011)",
    description="Per-coordinate steps that shrink with the sum of all past squared gradients.",
)


class AdadeltaState(NamedTuple):
    square_avg: Any
    acc_delta: Any


def adadelta_step(g, s, p, hp, t, xp):
    r"""torch.optim.Adadelta: :math:`\Delta = \sqrt{u+\varepsilon}/\sqrt{s+\varepsilon}\, g`."""
    rho, eps = hp["rho"], hp["eps"]
    g = coupled_decay(g, p, hp["weight_decay"])
    sq = s.square_avg * rho + (1 - rho) * g * g
    delta = xp.sqrt(s.acc_delta + eps) / xp.sqrt(sq + eps) * g
    acc = s.acc_delta * rho + (1 - rho) * delta * delta
    return p - hp["lr"] * delta, AdadeltaState(sq, acc)


ADADELTA = OptimizerSpec(
    name="adadelta", title="Adadelta",
    coordinatewise=True,
    params=(
        c.lr(1.0, 1.0),
        ParamSpec("rho", "ρ", 0.9, 0.0, 1.0, help="Decay of both running averages"),
        c.eps(1e-6), c.weight_decay(),
    ),
    init=zeros_init(AdadeltaState), step=adadelta_step,
    # acc_delta averages squared steps, not gradients: no role. No step scale: step t's factor
    # √(u_{t−1}+ε)/√(s_t+ε) needs u_{t−1}, which the state after the step no longer holds
    state_roles={"square_avg": "second moment"},
    latex=r"""\begin{aligned}
s_t &\leftarrow \rho s_{t-1} + (1-\rho)\, g_t^2\\
\Delta_t &= \frac{\sqrt{u_{t-1} + \varepsilon}}{\sqrt{s_t + \varepsilon}}\, g_t, \qquad
u_t \leftarrow \rho u_{t-1} + (1-\rho)\, \Delta_t^2\\
w_t &\leftarrow w_{t-1} - \alpha \Delta_t
\end{aligned}""",
    reference="torch.optim.Adadelta (Zeiler, 2012)",
    description="Matches the units of the step to the parameters using a running average of steps.",
)


class AdafactorState(NamedTuple):
    variance: Any


def adafactor_init(p, hp, xp) -> AdafactorState:
    return AdafactorState(xp.zeros_like(p))


def adafactor_step(g, s, p, hp, t, xp):
    r"""torch.optim.Adafactor for a vector parameter (the (x, y) point), so unfactored:
    relative step :math:`\max(\varepsilon_2, \mathrm{RMS}(w))\min(\alpha, 1/\sqrt t)`,
    :math:`\hat\beta_{2,t} = 1 - t^{c}`, update clipped to RMS :math:`\le d`."""
    lr = hp["lr"]
    eps1 = hp["eps1"] if hp["eps1"] is not None else float(xp.finfo(p.dtype).eps)
    rho = minimum(lr, 1 / t**0.5, xp)
    alpha = maximum(hp["eps2"], row_norm(p, xp) / 2**0.5, xp) * rho
    p = decoupled_decay(p, lr, hp["weight_decay"])
    var = lerp(s.variance, g * g, t ** hp["beta2_decay"], xp)
    update = 1.0 / xp.sqrt(maximum(var, eps1 * eps1, xp)) * g
    denom = maximum(1.0, row_norm(update, xp) / (2**0.5 * hp["d"]), xp)
    return p - alpha / denom * update, AdafactorState(var)


ADAFACTOR = OptimizerSpec(
    name="adafactor", title="Adafactor",
    params=(
        c.lr(0.05, 1e-2),
        ParamSpec("beta2_decay", "c", -0.8, -1.0, 0.0,
                  help="Exponent of the second-moment decay: 1 − β̂₂,t = t^c"),
        ParamSpec("eps1", "ε₁", None, 0.0, 1.0, log=True, optional=True,
                  help="Floor of the second moment; None: the dtype's machine epsilon"),
        ParamSpec("eps2", "ε₂", 1e-3, 0.0, 1.0, log=True,
                  help="Floor of the parameter RMS in the relative step size"),
        ParamSpec("d", "d", 1.0, 1.0, 100.0, help="Clipping threshold on the update's RMS"),
        c.weight_decay(),
    ),
    init=adafactor_init, step=adafactor_step,
    # no step scale: the relative step and the update clipping use norms across coordinates
    state_roles={"variance": "second moment"},
    latex=r"""\begin{aligned}
\rho_t &= \min(\alpha, 1/\sqrt{t}), \quad
a_t = \max\!\left(\varepsilon_2, \mathrm{RMS}(w_{t-1})\right) \rho_t\\
v_t &\leftarrow v_{t-1} + t^{c}\,(g_t^2 - v_{t-1}), \quad
u_t = g_t / \sqrt{\max(v_t, \varepsilon_1^2)}\\
w_t &\leftarrow w_{t-1}(1 - \alpha\lambda) - \frac{a_t}{\max(1, \mathrm{RMS}(u_t)/d)}\, u_t
\end{aligned}""",
    reference="torch.optim.Adafactor (Shazeer & Stern, 2018)",
    description="Relative step sizes and update clipping; memory-light second moments.",
)

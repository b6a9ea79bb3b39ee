"""Schedule-Free SGD and AdamW (Defazio et al., 2024), as the authors' ``schedulefree``
package (``SGDScheduleFree``, ``AdamWScheduleFree``, train mode).

Three sequences: z takes plain (SGD or Adam-normalised) steps, x is a weighted average of the
z's (the answer, drawn), and the gradient is taken at their interpolation
:math:`y = (1-\\beta) z + \\beta x` (the parameter, which the engine steps). As in the package,
the state keeps z and the parameter is y; x is recovered as
:math:`x = y + (1 - 1/\\beta)(z - y)`, the package's ``eval()``.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from paramspec import ParamSpec

from . import common as c
from .moments import debias, ema_sq
from .ops import coupled_decay, is_scalar, lerp, maximum, minimum
from .registry import OptimizerSpec


class ScheduleFreeState(NamedTuple):
    z: Any
    v: Any  # AdamW's second moment (unused by SGD)
    lr_max: Any  # (N, 1) largest warmed-up α so far
    weight_sum: Any  # (N, 1) Σ tʳ lr_maxᵖ


def schedule_free_init(p, hp, xp) -> ScheduleFreeState:
    one = xp.zeros_like(p[:, :1])
    return ScheduleFreeState(p, xp.zeros_like(p), one - 1.0, one)


def _average_weight(s, hp, t, xp):
    """(warmed-up α_t, c_t, lr_max, weight_sum): x's averaging weight
    :math:`c_t = t^r \\alpha_{\\max}^p / \\sum_{i \\le t} i^r \\alpha_{\\max}^p`."""
    warmup = hp["warmup_steps"]  # the ramp t / warmup while t ≤ warmup, as min(t / warmup, 1)
    lr = hp["lr"] * (1.0 if is_scalar(warmup) and warmup == 0 else minimum(t / warmup, 1.0, xp))
    lr_max = maximum(lr, s.lr_max, xp)
    weight = t ** hp["r"] * lr_max ** hp["weight_lr_power"]
    weight_sum = s.weight_sum + weight
    return lr, weight / weight_sum, lr_max, weight_sum  # weight_sum > 0: α > 0


def _schedule_free_step(direction, y, s, hp, beta, lr, ckp1, xp):
    r""":math:`y \leftarrow \mathrm{lerp}(y, z, c_t) + \alpha(\beta(1-c_t) - 1)\, u`,
    :math:`z \leftarrow z - \alpha u`."""
    y = lerp(y, s.z, ckp1, xp)
    y = y + (lr * (beta * (1 - ckp1) - 1)) * direction
    return y, s.z - lr * direction


def sgd_schedule_free_step(g, s, p, hp, t, xp):
    r"""SGDScheduleFree: the direction is :math:`g + \lambda y`."""
    lr, ckp1, lr_max, weight_sum = _average_weight(s, hp, t, xp)
    u = coupled_decay(g, p, hp["weight_decay"])
    y, z = _schedule_free_step(u, p, s, hp, hp["momentum"], lr, ckp1, xp)
    return y, ScheduleFreeState(z, s.v, lr_max, weight_sum)


def adamw_schedule_free_step(g, s, p, hp, t, xp):
    r"""AdamWScheduleFree: the direction is
    :math:`g / (\sqrt{v_t / (1-\beta_2^t)} + \varepsilon) + \lambda y`."""
    lr, ckp1, lr_max, weight_sum = _average_weight(s, hp, t, xp)
    b2 = hp["beta2"]
    v = ema_sq(s.v, g, b2)
    u = coupled_decay(g / (xp.sqrt(v / debias(b2, t, xp)) + hp["eps"]), p, hp["weight_decay"])
    y, z = _schedule_free_step(u, p, s, hp, hp["beta1"], lr, ckp1, xp)
    return y, ScheduleFreeState(z, v, lr_max, weight_sum)


def averaged_point(beta_name: str):
    """x from the parameter y and the state's z: the package's ``eval()``."""

    def drawn(p, s, hp, xp):
        return lerp(p, s.z, 1 - 1 / hp[beta_name], xp)

    return drawn


_BETA = {"high_open": True, "low_open": True}
_WARMUP = ParamSpec("warmup_steps", "T_w", 0, 0, 10_000, kind="int", per_trajectory=False,
                    help="Steps of linear learning-rate warm-up")
_R = ParamSpec("r", "r", 0.0, 0.0, 10.0, help="Averaging weight grows as tʳ (0: uniform)")
_POWER = ParamSpec("weight_lr_power", "p", 2.0, 0.0, 10.0,
                   help="Averaging weight grows as the largest α so far to this power")
_AVERAGE_LATEX = r"""\begin{aligned}
y_t &= (1-\beta) z_t + \beta x_t, \qquad z_{t+1} = z_t - \alpha\, u_t(y_t)\\
x_{t+1} &= (1 - c_{t+1})\, x_t + c_{t+1} z_{t+1}, \qquad
c_{t} = \frac{t^r \alpha_{\max}^p}{\sum_{i \le t} i^r \alpha_{\max}^p}\ \ (= 1/t)\\
u_t &= %s
\end{aligned}"""

SGD_SCHEDULE_FREE = OptimizerSpec(
    name="sgd_schedule_free", title="Schedule-Free SGD",
    coordinatewise=True,
    params=(c.lr(1e-3, 1.0),
            ParamSpec("momentum", "β", 0.9, 0.0, 1.0, **_BETA,
                      help="Interpolation between z and x where the gradient is taken"),
            c.weight_decay(), _WARMUP, _R, _POWER),
    init=schedule_free_init, step=sgd_schedule_free_step, drawn=averaged_point("momentum"),
    # z is the base iterate (not a momentum buffer) and v is unused: no roles
    latex=_AVERAGE_LATEX % r"\nabla f(y_t) + \lambda y_t",
    reference="schedulefree.SGDScheduleFree, the authors' package (Defazio et al., 2024)",
    description="SGD without a learning-rate schedule: steps are taken at an interpolation y "
                "of the iterate z and its running average x, the answer. The engine steps "
                "y; x is the spec's `drawn` point.",
)

ADAMW_SCHEDULE_FREE = OptimizerSpec(
    name="adamw_schedule_free", title="Schedule-Free AdamW",
    coordinatewise=True,
    params=(c.lr(2.5e-2, 2.5e-3),
            ParamSpec("beta1", "β₁", 0.9, 0.0, 1.0, **_BETA,
                      help="Interpolation between z and x where the gradient is taken"),
            c.beta2(), c.eps(1e-8), c.weight_decay(), _WARMUP, _R, _POWER),
    init=schedule_free_init, step=adamw_schedule_free_step, drawn=averaged_point("beta1"),
    # z is the base iterate, a point (no momentum buffer, not slow weights): undeclared. No
    # step scale: α/(√v̂+ε) scales z's step, while the path drawn is x
    state_roles={"v": "second moment"},
    latex=_AVERAGE_LATEX % r"\frac{\nabla f(y_t)}{\sqrt{v_t / (1-\beta_2^t)} + \varepsilon}"
                           r" + \lambda y_t",
    reference="schedulefree.AdamWScheduleFree, the authors' package (Defazio et al., 2024)",
    description="AdamW without a learning-rate schedule: Adam-normalised steps at y, "
                "averaged into x (the answer). The engine steps y; x is the spec's `drawn` "
                "point.",
)

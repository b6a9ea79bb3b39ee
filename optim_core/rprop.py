"""Rprop (Riedmiller & Braun, 1993) as torch.optim.Rprop: per-coordinate step sizes that grow
while the gradient keeps its sign and shrink when it flips; only the gradient's sign is used."""

from __future__ import annotations

from typing import Any, NamedTuple

from paramspec import ParamSpec

from . import common as c
from .ops import maximum, minimum
from .registry import OptimizerSpec


class RpropState(NamedTuple):
    prev: Any
    step_size: Any


def rprop_init(p, hp, xp) -> RpropState:
    return RpropState(xp.zeros_like(p), xp.zeros_like(p) + hp["lr"])


def rprop_step(g, s, p, hp, t, xp):
    r""":math:`\sigma = \mathrm{sign}(g_t g_{t-1})`; the step size is multiplied by
    :math:`\eta^+` (σ > 0), :math:`\eta^-` (σ < 0) or 1 and clamped to
    :math:`[\Delta_{\min}, \Delta_{\max}]` (Δmax wins if they cross, as in torch);
    where the sign flipped the gradient counts as 0 (no move, no flip seen next time);
    :math:`w \leftarrow w - \mathrm{sign}(g)\Delta`."""
    flip = xp.sign(g * s.prev)
    factor = xp.where(flip > 0, hp["eta_plus"],
                      xp.where(flip < 0, hp["eta_minus"], xp.ones_like(g)))
    step_size = minimum(maximum(s.step_size * factor, hp["step_min"], xp), hp["step_max"], xp)
    g = xp.where(flip < 0, xp.zeros_like(g), g)
    return p - xp.sign(g) * step_size, RpropState(g, step_size)


RPROP = OptimizerSpec(
    name="rprop", title="Rprop",
    coordinatewise=True,
    params=(
        c.lr(1e-2, 1e-2),
        ParamSpec("eta_minus", "η⁻", 0.5, 0.0, 1.0, low_open=True, high_open=True,
                  help="Step-size factor when the gradient's sign flips (torch's etas[0])"),
        ParamSpec("eta_plus", "η⁺", 1.2, 1.0, 5.0, low_open=True,
                  help="Step-size factor while the gradient keeps its sign (torch's etas[1])"),
        ParamSpec("step_min", "Δmin", 1e-6, 0.0, 1.0, log=True,
                  help="Smallest step size (torch's step_sizes[0])"),
        ParamSpec("step_max", "Δmax", 50.0, 0.0, 1000.0, log=True, low_open=True,
                  help="Largest step size (torch's step_sizes[1])"),
    ),
    init=rprop_init, step=rprop_step,  # prev (last g) and step_size fit no state role
    latex=r"""\begin{aligned}
\Delta_t &= \mathrm{clip}\!\left(\Delta_{t-1}\cdot
\begin{cases}\eta^+ & g_t g_{t-1} > 0\\ \eta^- & g_t g_{t-1} < 0\\ 1 & \text{else}\end{cases},
\ \Delta_{\min}, \Delta_{\max}\right), \qquad \Delta_0 = \alpha\\
g_t &\leftarrow 0 \text{ where } g_t g_{t-1} < 0, \qquad
w_t \leftarrow w_{t-1} - \mathrm{sign}(g_t)\,\Delta_t
\end{aligned}""",
    reference="torch.optim.Rprop (Riedmiller & Braun, 1993)",
    description="Uses only the gradient's sign: each coordinate's step grows by η⁺ while the "
                "sign holds and shrinks by η⁻ when it flips; α is the first step size.",
)

"""Adam relatives that change what is averaged, as pytorch_optimizer has them: AdaBelief (the
gradient's deviation from its mean), LaProp (momentum of the normalised gradient), Adan
(Nesterov momentum from gradient differences), AdEMAMix (a second, slow momentum) and MARS
(variance-reduced gradients)."""

from __future__ import annotations

import math
from typing import Any, NamedTuple

from paramspec import ParamSpec

from . import common as c
from .adam import Moments, zero_moments
from .moments import debias, ema, ema_sq, rms_denom, rms_denom_inner
from .ops import cautious, decoupled_decay, minimum, row_norm, weight_decay, where, zeros_init
from .registry import OptimizerSpec


def adabelief_step(g, s, p, hp, t, xp):
    r"""AdaBelief (Zhuang et al., 2020), pytorch_optimizer.AdaBelief without rectification:
    :math:`s_t = \beta_2 s_{t-1} + (1-\beta_2)(g_t - m_t)^2 + \varepsilon`,
    :math:`w \leftarrow w - \frac{\alpha}{1-\beta_1^t}\,
    m_t / (\sqrt{s_t}/\sqrt{1-\beta_2^t} + \varepsilon)`."""
    lr, b1, b2, eps = hp["lr"], hp["beta1"], hp["beta2"], hp["eps"]
    g, p = weight_decay(g, p, hp)
    m = ema(s.m, g, b1, xp)
    residual = g - m
    var = s.v * b2 + (1 - b2) * residual * residual + eps
    denom = rms_denom(var, b2, t, eps, xp)
    return p + (-(lr / debias(b1, t, xp)) * m) / denom, Moments(m, var)


def adam_like_step_scale(s, hp, t, xp):
    r""":math:`\alpha/(\sqrt{v_t/(1-\beta_2^t)}+\varepsilon)` after step t, Adam's form, for
    the rules here that divide by it (what it multiplies is each rule's: AdaBelief
    :math:`\hat m_t`, AdEMAMix :math:`\hat m_t + \alpha_{mix} m^{slow}_t`)."""
    return hp["lr"] / rms_denom(s.v, hp["beta2"], t, hp["eps"], xp)


ADABELIEF = OptimizerSpec(
    name="adabelief", title="AdaBelief",
    coordinatewise=True,
    params=(c.lr(1e-2, 1e-3), c.beta1(), c.beta2(), c.eps(1e-16), c.weight_decay(),
            c.decoupled(True)),
    init=zero_moments, step=adabelief_step, step_scale=adam_like_step_scale,
    # v is s, the average of the squared deviation (g − m)² (+ε): a centred second moment
    state_roles={"m": "first moment", "v": "second moment"},
    latex=r"""\begin{aligned}
m_t &\leftarrow \beta_1 m_{t-1} + (1-\beta_1)\, g_t, \qquad
s_t \leftarrow \beta_2 s_{t-1} + (1-\beta_2)\,(g_t - m_t)^2 + \varepsilon\\
w_t &\leftarrow w_{t-1} - \frac{\alpha}{1-\beta_1^t}\,
\frac{m_t}{\sqrt{s_t / (1-\beta_2^t)} + \varepsilon}
\end{aligned}""",
    reference="pytorch_optimizer.AdaBelief (Zhuang et al., 2020)",
    description="Adam that divides by how far the gradient strays from its average (its "
                "'belief'), not by its size: big steps where the gradient is predictable.",
)


class LaPropState(NamedTuple):
    m: Any
    v: Any
    lr_avg: Any  # (N, 1) running average of α, for the bias correction under a schedule


def laprop_init(p, hp, xp) -> LaPropState:
    z = xp.zeros_like(p)
    return LaPropState(z, z, xp.zeros_like(p[:, :1]))


def laprop_step(g, s, p, hp, t, xp):
    r"""LaProp (Ziyin et al., 2020), pytorch_optimizer.LaProp: normalise first, then average:
    :math:`m_t = \beta_1 m_{t-1} + (1-\beta_1)\alpha\, g_t / \hat d_t`,
    :math:`\hat d_t = (\sqrt{v_t + 10^{-15}} + \varepsilon)/\sqrt{1-\beta_2^t}`; the step
    :math:`m_t / \bar\alpha_t` undoes the bias of the α-weighted average
    :math:`\bar\alpha_t = \beta_1\bar\alpha_{t-1} + (1-\beta_1)\alpha` (= α(1-β₁ᵗ) for a fixed α);
    decoupled decay after the step."""
    lr, b1, b2 = hp["lr"], hp["beta1"], hp["beta2"]
    v = ema_sq(s.v, g, b2)
    lr_avg = s.lr_avg * b1 + (1 - b1) * lr
    denom = rms_denom_inner(v, b2, t, hp["eps"], xp)
    m = s.m * b1 + ((1 - b1) * lr * g) / denom
    p = p + (-(1 / (lr_avg / lr))) * (cautious(m, g, xp) if hp["cautious"] else m)
    return decoupled_decay(p, lr, hp["weight_decay"]), LaPropState(m, v, lr_avg)


def inner_eps_step_scale(s, hp, t, xp):
    r""":math:`\alpha\sqrt{1-\beta_2^t}/(\sqrt{v_t + 10^{-15}}+\varepsilon)` after step t,
    pytorch_optimizer's form: LaProp multiplies the gradient by it before the momentum (with
    β₁ = 0 the step is −scale ⊙ g), MARS multiplies :math:`\hat m_t`."""
    return hp["lr"] / rms_denom_inner(s.v, hp["beta2"], t, hp["eps"], xp)


LAPROP = OptimizerSpec(
    name="laprop", title="LaProp",
    coordinatewise=c.unless_cautious,
    params=(c.lr(1e-2, 4e-4), c.beta1(), c.beta2(), c.eps(1e-15), c.weight_decay(),
            c.cautious()),
    init=laprop_init, step=laprop_step, step_scale=inner_eps_step_scale,
    # m averages α·g/d̂ (already a step: w moves by −m/(1−β₁ᵗ)), so −α·m, the momentum arrow,
    # would carry α twice: undeclared
    state_roles={"v": "second moment"},
    latex=r"""\begin{aligned}
v_t &\leftarrow \beta_2 v_{t-1} + (1-\beta_2)\, g_t^2, \qquad
m_t \leftarrow \beta_1 m_{t-1} + (1-\beta_1)\,
\frac{\alpha\, g_t \sqrt{1-\beta_2^t}}{\sqrt{v_t} + \varepsilon}\\
w_t &\leftarrow \left(w_{t-1} - \frac{m_t}{1-\beta_1^t}\right)(1 - \alpha\lambda)
\end{aligned}""",
    reference="pytorch_optimizer.LaProp (Ziyin et al., 2020)",
    description="Adam with the order swapped: normalise each gradient by the RMS first, then "
                "take momentum, so β₁ and β₂ no longer interact.",
)


class AdanState(NamedTuple):
    m: Any
    n: Any  # average of gradient differences
    v: Any
    prev_g: Any


def adan_step(g, s, p, hp, t, xp):
    r"""Adan (Xie et al., 2022) as pytorch_optimizer.Adan: with :math:`\Delta_t = g_t - g_{t-1}`
    (0 at t = 1), :math:`m` averages g, :math:`n` averages Δ, :math:`v` averages
    :math:`(g_t + \beta_2\Delta_t)^2`; two bias-corrected steps share one denominator;
    weight decay is decoupled, or the paper's proximal :math:`w / (1 + \alpha\lambda)`."""
    lr, b1, b2, b3, wd = hp["lr"], hp["beta1"], hp["beta2"], hp["beta3"], hp["weight_decay"]
    diff = where(t == 1, 0.0 * g, g - s.prev_g, xp)  # t may be a tensor (compiled chunks)
    m = ema(s.m, g, b1, xp)
    n = ema(s.n, diff, b2, xp)
    z = diff * b2 + g
    v = s.v * b3 + (1 - b3) * z * z
    denom = rms_denom(v, b3, t, hp["eps"], xp)
    decoupled = hp["decoupled_weight_decay"]
    if decoupled:
        p = decoupled_decay(p, lr, wd)
    p = p + (-lr / debias(b1, t, xp) * m) / denom
    p = p + (-lr * b2 / debias(b2, t, xp) * n) / denom
    if not decoupled:
        p = p / (1 + lr * wd)
    return p, AdanState(m, n, v, g)


def adan_step_scale(s, hp, t, xp):
    r"""Adan's step scale :math:`\alpha/(\sqrt{v_t/(1-\beta_3^t)}+\varepsilon)` after step t:
    what multiplies :math:`\hat m_t + \beta_2 \hat n_t` (before the weight decay)."""
    return hp["lr"] / rms_denom(s.v, hp["beta3"], t, hp["eps"], xp)


ADAN = OptimizerSpec(
    name="adan", title="Adan",
    coordinatewise=True,
    params=(c.lr(1e-2, 1e-3), c.beta1(0.98),
            ParamSpec("beta2", "β₂", 0.92, 0.0, 1.0, high_open=True,
                      help="Decay of the average of gradient differences"),
            ParamSpec("beta3", "β₃", 0.99, 0.0, 1.0, high_open=True,
                      help="Decay of the second moment of g + β₂Δg"),
            c.eps(1e-8), c.weight_decay(), c.decoupled(False)),
    init=zeros_init(AdanState), step=adan_step, step_scale=adan_step_scale,
    # v averages (g + β₂Δ)², the corrected gradient's square; n (of Δ = g − g_prev) fits no role
    state_roles={"m": "first moment", "v": "second moment"},
    latex=r"""\begin{aligned}
\Delta_t &= g_t - g_{t-1}\ (\Delta_1 = 0), \quad
m_t \leftarrow \beta_1 m_{t-1} + (1-\beta_1) g_t, \quad
n_t \leftarrow \beta_2 n_{t-1} + (1-\beta_2) \Delta_t\\
v_t &\leftarrow \beta_3 v_{t-1} + (1-\beta_3)(g_t + \beta_2 \Delta_t)^2, \quad
d_t = \sqrt{v_t / (1-\beta_3^t)} + \varepsilon\\
w_t &\leftarrow \left(w_{t-1} - \frac{\alpha}{1-\beta_1^t}\frac{m_t}{d_t}
- \frac{\alpha\beta_2}{1-\beta_2^t}\frac{n_t}{d_t}
\right) \Big/ (1 + \alpha\lambda)
\end{aligned}""",
    reference="pytorch_optimizer.Adan (Xie et al., 2022)",
    description="Nesterov momentum without the look-ahead gradient: the change between "
                "consecutive gradients stands in for it.",
)


class AdEMAMixState(NamedTuple):
    m: Any
    v: Any
    m_slow: Any


def _ademamix_warmup(hp, t, xp):
    """(α_t, β₃,t): α ramps linearly and β₃ in the log-half-life scale over ``t_warmup`` steps."""
    alpha, b1, b3, horizon = hp["mix"], hp["beta1"], hp["beta3"], hp["t_warmup"]
    if horizon is None:
        return alpha, b3
    frac = t / horizon
    log = math.log if isinstance(b1, float) else xp.log
    exp = math.exp if isinstance(b1, float) and isinstance(frac, float) else xp.exp
    log_b1, log_b3 = log(b1), log(b3)
    beta3_t = exp(log_b1 * log_b3 / ((1.0 - frac) * log_b3 + frac * log_b1))
    return minimum(t * alpha / horizon, alpha, xp), minimum(beta3_t, b3, xp)


def ademamix_step(g, s, p, hp, t, xp):
    r"""AdEMAMix (Pagliardini et al., 2024) as pytorch_optimizer.AdEMAMix:
    :math:`w \leftarrow w - \alpha\,(\hat m_t + \alpha_{mix} m^{slow}_t) / (\sqrt{\hat v_t} +
    \varepsilon)` with a slow EMA :math:`m^{slow}` (β₃, not bias-corrected)."""
    lr, b1, b2 = hp["lr"], hp["beta1"], hp["beta2"]
    mix, b3 = _ademamix_warmup(hp, t, xp)
    g, p = weight_decay(g, p, hp)
    m = ema(s.m, g, b1, xp)
    v = ema_sq(s.v, g, b2)
    m_slow = ema(s.m_slow, g, b3, xp)
    denom = rms_denom(v, b2, t, hp["eps"], xp)
    update = (cautious(m, g, xp) if hp["cautious"] else m) / debias(b1, t, xp) + mix * m_slow
    return p + (-lr * update) / denom, AdEMAMixState(m, v, m_slow)


ADEMAMIX = OptimizerSpec(
    name="ademamix", title="AdEMAMix",
    coordinatewise=c.unless_cautious,
    params=(c.lr(1e-2, 1e-3), c.beta1(), c.beta2(),
            ParamSpec("beta3", "β₃", 0.9999, 0.0, 1.0, high_open=True,
                      help="Decay of the slow momentum (a very long memory)"),
            ParamSpec("mix", "α_mix", 5.0, 0.0, 100.0,
                      help="Weight of the slow momentum in the step (the paper's and "
                           "pytorch_optimizer's alpha)"),
            ParamSpec("t_warmup", "T", None, 1.0, 1e6, log=True, optional=True,
                      help="Steps over which α_mix and β₃ warm up (pytorch_optimizer's "
                           "t_alpha_beta3); None: no warm-up"),
            c.eps(1e-8), c.weight_decay(), c.decoupled(False), c.cautious()),
    init=zeros_init(AdEMAMixState), step=ademamix_step, step_scale=adam_like_step_scale,
    # both m and m_slow average g; the momentum arrow draws the first declared, the fast m
    # (Adam's, bias-corrected in the step); m_slow is labelled, not drawn
    state_roles={"m": "first moment", "m_slow": "first moment", "v": "second moment"},
    latex=r"""\begin{aligned}
m_t &\leftarrow \beta_1 m_{t-1} + (1-\beta_1) g_t, \quad
v_t \leftarrow \beta_2 v_{t-1} + (1-\beta_2) g_t^2, \quad
m^{slow}_t \leftarrow \beta_3 m^{slow}_{t-1} + (1-\beta_3) g_t\\
w_t &\leftarrow w_{t-1} - \alpha\,
\frac{m_t / (1-\beta_1^t) + \alpha_{mix}\, m^{slow}_t}{\sqrt{v_t / (1-\beta_2^t)} + \varepsilon}
\end{aligned}""",
    reference="pytorch_optimizer.AdEMAMix (Pagliardini, Ablin & Grangier, 2024)",
    description="Adam plus a second, much slower momentum weighted by α_mix: old gradients "
                "keep pushing long after the fast momentum has forgotten them.",
)


class MARSState(NamedTuple):
    m: Any
    v: Any
    prev_g: Any


def mars_step(g, s, p, hp, t, xp):
    r"""MARS-AdamW (Yuan et al., 2024) as pytorch_optimizer.MARS(mars_type="adamw",
    optimize_1d=True): the corrected gradient
    :math:`c_t = g_t + \gamma\frac{\beta_1}{1-\beta_1}(g_t - g_{t-1})` (:math:`g_0 = 0`),
    scaled to norm ≤ 1, feeds Adam's moments;
    :math:`w \leftarrow w(1-\alpha\lambda) - \alpha\, m_t (1-\beta_1^t)^{-1} /
    ((\sqrt{v_t + 10^{-15}} + \varepsilon)/\sqrt{1-\beta_2^t})`."""
    lr, b1, b2 = hp["lr"], hp["beta1"], hp["beta2"]
    c_t = (g - s.prev_g) * (hp["gamma"] * (b1 / (1 - b1))) + g
    norm = row_norm(c_t, xp)
    c_t = xp.where(norm > 1.0, c_t / norm, c_t)
    m = ema(s.m, c_t, b1, xp)
    v = s.v * b2 + (1 - b2) * c_t * c_t
    denom = rms_denom_inner(v, b2, t, hp["eps"], xp) * debias(b1, t, xp)
    update = (cautious(m, g, xp) if hp["cautious"] else m) / denom
    p = decoupled_decay(p, lr, hp["weight_decay"])
    return p + (-lr) * update, MARSState(m, v, g)


MARS = OptimizerSpec(
    name="mars", title="MARS",
    params=(c.lr(1e-2, 3e-3), c.beta1(0.95), c.beta2(0.99),
            ParamSpec("gamma", "γ", 0.025, 0.0, 1.0,
                      help="Weight of the gradient correction g_t − g_{t−1} "
                           "(variance reduction)"),
            c.eps(1e-8), c.weight_decay(), c.cautious()),
    init=zeros_init(MARSState), step=mars_step, step_scale=inner_eps_step_scale,
    # m and v average the corrected, clipped gradient c_t (≈ g), and its square
    state_roles={"m": "first moment", "v": "second moment"},
    latex=r"""\begin{aligned}
c_t &= g_t + \gamma \tfrac{\beta_1}{1-\beta_1}(g_t - g_{t-1}), \qquad
c_t \leftarrow c_t / \max(1, \|c_t\|)\\
m_t &\leftarrow \beta_1 m_{t-1} + (1-\beta_1) c_t, \qquad
v_t \leftarrow \beta_2 v_{t-1} + (1-\beta_2) c_t^2\\
w_t &\leftarrow w_{t-1}(1-\alpha\lambda) - \alpha\,
\frac{m_t / (1-\beta_1^t)}{\sqrt{v_t / (1-\beta_2^t)} + \varepsilon}
\end{aligned}""",
    reference="pytorch_optimizer.MARS(mars_type='adamw', optimize_1d=True) "
              "(Yuan et al., 2024)",
    description="AdamW fed with a variance-reduced gradient: the last gradient change, "
                "scaled by γ, corrects each gradient; the result is clipped to norm 1.",
)

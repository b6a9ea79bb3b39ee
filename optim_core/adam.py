"""The Adam family: Adam (+AMSGrad, no bias correction), AdamW, NAdam, RAdam, Adamax, ADOPT."""

from __future__ import annotations

from typing import Any, NamedTuple

from paramspec import ParamSpec

from . import common as c
from .moments import debias, ema, ema_sq, rms_denom
from .ops import cautious, coupled_decay, is_scalar, maximum, minimum, weight_decay, where
from .registry import OptimizerSpec


class AdamState(NamedTuple):
    m: Any
    v: Any
    v_max: Any


def adam_init(p, hp, xp) -> AdamState:
    z = xp.zeros_like(p)
    return AdamState(z, z, z if hp.get("amsgrad") else None)


def adam_step(g, s, p, hp, t, xp):
    r"""Algorithm 1 of Kingma & Ba as torch.optim.Adam/AdamW compute it:
    :math:`\hat m/(\sqrt{\hat v}+\varepsilon)` with ε added after the bias correction."""
    lr, b1, b2, eps = hp["lr"], hp["beta1"], hp["beta2"], hp["eps"]
    g, p = weight_decay(g, p, hp)
    m = ema(s.m, g, b1, xp)
    v = ema_sq(s.v, g, b2)
    v_max = xp.maximum(s.v_max, v) if hp["amsgrad"] else s.v_max
    v_used = v_max if hp["amsgrad"] else v
    m_used = cautious(m, g, xp) if hp["cautious"] else m
    if not hp["bias_correction"]:
        return p - lr * m_used / (xp.sqrt(v_used) + eps), AdamState(m, v, v_max)
    step_size = lr / debias(b1, t, xp)
    denom = rms_denom(v_used, b2, t, eps, xp)
    return p + (-step_size * m_used) / denom, AdamState(m, v, v_max)


def adam_step_scale(s, hp, t, xp):
    r"""The per-coordinate step scale :math:`\alpha/(\sqrt{\hat v_t}+\varepsilon)` after step t
    (:math:`\hat v_t = v_t/(1-\beta_2^t)`, AMSGrad's running maximum in place of :math:`v_t`;
    no bias correction: :math:`v_t` itself)."""
    v = s.v_max if hp["amsgrad"] else s.v
    if not hp["bias_correction"]:
        return hp["lr"] / (xp.sqrt(v) + hp["eps"])
    return hp["lr"] / rms_denom(v, hp["beta2"], t, hp["eps"], xp)


_ADAM_ROLES = {"m": "first moment", "v": "second moment"}
_ADAM_PARAMS = (c.lr(1e-2, 1e-3), c.beta1(), c.beta2(), c.eps(1e-8))
_AMSGRAD = c.switch("amsgrad", "AMSGrad", False,
                    "Use the running maximum of the second moment (never lets the step grow)")
_BIAS = c.switch("bias_correction", "bias correction", True,
                 "Divide the moments by 1 − βᵗ to undo their zero initialisation")
_ADAM_LATEX = r"""\begin{aligned}
m_t &\leftarrow \beta_1 m_{t-1} + (1-\beta_1)\, g_t, \qquad
v_t \leftarrow \beta_2 v_{t-1} + (1-\beta_2)\, g_t^2\\
\hat m_t &= \frac{m_t}{1-\beta_1^t}, \qquad \hat v_t = \frac{%s}{1-\beta_2^t}\\
w_t &\leftarrow %s - \alpha\, \frac{\hat m_t}{\sqrt{\hat v_t} + \varepsilon}
\end{aligned}"""

ADAM = OptimizerSpec(
    name="adam", title="Adam",
    coordinatewise=c.unless_cautious,
    params=(*_ADAM_PARAMS, c.weight_decay(), _AMSGRAD, _BIAS, c.cautious()),
    init=adam_init, step=adam_step, state_roles=_ADAM_ROLES, step_scale=adam_step_scale,
    fixed={"decoupled_weight_decay": False},
    latex=(_ADAM_LATEX % ("v_t", "w_{t-1}")).replace(
        r"\end{aligned}",
        r"\\[2pt] &\text{AMSGrad: } \max_{s \le t} v_s \text{ replaces } v_t \text{ in } \hat v_t"
        r"\\ &\text{no bias correction: } \hat m_t = m_t,\ \hat v_t = v_t"
        r"\\ &\text{cautious: } \hat m_t \leftarrow \hat m_t \odot \phi \cdot 2/(\textstyle\sum\phi + 1),"
        r"\ \phi = [\hat m_t g_t > 0]" "\n" r"\end{aligned}"),
    reference="torch.optim.Adam (Kingma & Ba, 2015, Algorithm 1); "
              "bias_correction=False worked by hand",
    description="Momentum plus per-coordinate RMS scaling, with bias-corrected moments.",
)

ADAMW = OptimizerSpec(
    name="adamw", title="AdamW",
    coordinatewise=c.unless_cautious,
    params=(*_ADAM_PARAMS, c.weight_decay(1e-2), _AMSGRAD, c.cautious()),
    init=adam_init, step=adam_step, state_roles=_ADAM_ROLES, step_scale=adam_step_scale,
    fixed={"decoupled_weight_decay": True, "bias_correction": True},
    latex=_ADAM_LATEX % ("v_t", r"w_{t-1}(1 - \alpha\lambda)"),
    reference="torch.optim.AdamW (Loshchilov & Hutter, 2019)",
    description="Adam with weight decay applied to the weights, not mixed into the gradient.",
)

AMSGRAD = OptimizerSpec(
    name="amsgrad", title="AMSGrad",
    coordinatewise=True,
    params=(*_ADAM_PARAMS, c.weight_decay()),
    init=adam_init, step=adam_step, state_roles=_ADAM_ROLES, step_scale=adam_step_scale,
    fixed={"decoupled_weight_decay": False, "amsgrad": True, "bias_correction": True,
           "cautious": False},
    latex=_ADAM_LATEX % (r"\max_{s \le t} v_s", "w_{t-1}"),
    reference="torch.optim.Adam(amsgrad=True) (Reddi, Kale & Kumar, 2018)",
    description="Adam that never lets its second-moment estimate shrink.",
)


class NAdamState(NamedTuple):
    m: Any
    v: Any
    mu_product: Any


def nadam_init(p, hp, xp) -> NAdamState:
    z = xp.zeros_like(p)
    return NAdamState(z, z, xp.ones_like(p[:, :1]))


def nadam_step(g, s, p, hp, t, xp):
    r"""torch.optim.NAdam: momentum schedule :math:`\mu_t = \beta_1(1 - 0.5\cdot0.96^{t\psi})`."""
    lr, b1, b2, psi = hp["lr"], hp["beta1"], hp["beta2"], hp["momentum_decay"]
    g, p = weight_decay(g, p, hp)
    mu = b1 * (1.0 - 0.5 * 0.96 ** (t * psi))
    mu_next = b1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * psi))
    mu_product = s.mu_product * mu
    m = ema(s.m, g, b1, xp)
    v = ema_sq(s.v, g, b2)
    denom = _nadam_denom(v, hp, t, xp)
    p = p + ((-lr * (1.0 - mu) / (1.0 - mu_product)) * g) / denom
    p = p + ((-lr * mu_next / (1.0 - mu_product * mu_next)) * m) / denom
    return p, NAdamState(m, v, mu_product)


def _nadam_denom(v, hp, t, xp):
    r""":math:`\sqrt{v_t/(1-\beta_2^t)} + \varepsilon` (torch's NAdam: the square root of the
    corrected v, where Adam divides by the square root of the correction)."""
    return xp.sqrt(v / debias(hp["beta2"], t, xp)) + hp["eps"]


def nadam_step_scale(s, hp, t, xp):
    r"""NAdam's step scale :math:`\alpha/(\sqrt{v_t/(1-\beta_2^t)}+\varepsilon)` after step t:
    what multiplies its Nesterov numerator
    :math:`\frac{1-\mu_t}{1-\prod_{i\le t}\mu_i} g_t + \frac{\mu_{t+1}}{1-\prod_{i\le t+1}\mu_i} m_t`."""
    return hp["lr"] / _nadam_denom(s.v, hp, t, xp)


NADAM = OptimizerSpec(
    name="nadam", title="NAdam",
    coordinatewise=True,
    params=(c.lr(1e-2, 2e-3), c.beta1(), c.beta2(), c.eps(1e-8), c.weight_decay(),
            ParamSpec("momentum_decay", "ψ", 4e-3, 0.0, 1.0,
                      help="Warm-up of the momentum schedule μ_t"),
            c.decoupled()),
    init=nadam_init, step=nadam_step, state_roles=_ADAM_ROLES, step_scale=nadam_step_scale,
    latex=r"""\begin{aligned}
\mu_t &= \beta_1\left(1 - \tfrac12 0.96^{t\psi}\right), \quad
m_t \leftarrow \beta_1 m_{t-1} + (1-\beta_1) g_t, \quad
v_t \leftarrow \beta_2 v_{t-1} + (1-\beta_2) g_t^2\\
w_t &\leftarrow w_{t-1} - \alpha \left(\frac{(1-\mu_t)\, g_t}{1 - \prod_{i \le t}\mu_i}
+ \frac{\mu_{t+1}\, m_t}{1 - \prod_{i \le t+1}\mu_i}\right)
\Big/ \left(\sqrt{v_t / (1-\beta_2^t)} + \varepsilon\right)
\end{aligned}""",
    reference="torch.optim.NAdam (Dozat, 2016)",
    description="Adam with Nesterov momentum.",
)


def _radam_rectifier(b2, t, xp):
    r"""(:math:`\rho_t > 5`, :math:`r_t`): whether RAdam takes its adaptive step at step t, and
    the rectification factor; (False, None) where no trajectory does (scalar β₂, not yet
    rectified, or :math:`\rho_\infty \le 5`, where :math:`r_t` may divide by zero)."""
    bc2 = debias(b2, t, xp)
    rho_inf = 2 / (1 - b2) - 1
    rho_t = rho_inf - 2 * t * (b2**t) / bc2
    rectified = rho_t > 5.0
    if rectified is False:
        return False, None
    ratio = ((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
    return rectified, maximum(ratio, 0.0, xp) ** 0.5  # the clamp only matters off the branch


def _radam_adaptive(v, b2, t, eps, xp):
    r""":math:`\sqrt{1-\beta_2^t}/(\sqrt{v_t}+\varepsilon)` (torch's RAdam: ε before the correction)."""
    return debias(b2, t, xp) ** 0.5 / (xp.sqrt(v) + eps)


def radam_step(g, s, p, hp, t, xp):
    r"""torch.optim.RAdam: rectify the adaptive step when the variance estimate is reliable
    (:math:`\rho_t > 5`), else take an SGD-with-momentum step."""
    lr, b1, b2, eps = hp["lr"], hp["beta1"], hp["beta2"], hp["eps"]
    g, p = weight_decay(g, p, hp)
    m = ema(s.m, g, b1, xp)
    v = ema_sq(s.v, g, b2)
    m_hat = m / debias(b1, t, xp)
    rectified, rect = _radam_rectifier(b2, t, xp)
    p_plain = p - m_hat * lr
    if rect is None:
        return p_plain, AdamState(m, v, s.v_max)
    adaptive = _radam_adaptive(v, b2, t, eps, xp)
    p_rect = p - m_hat * lr * adaptive * rect
    return where(rectified, p_rect, p_plain, xp), AdamState(m, v, s.v_max)


def radam_step_scale(s, hp, t, xp):
    r"""RAdam's step scale after step t, what multiplies :math:`\hat m_t`:
    :math:`\alpha\, r_t \sqrt{1-\beta_2^t}/(\sqrt{v_t}+\varepsilon)` where
    :math:`\rho_t > 5`, else α (the SGD-with-momentum step of the warm-up)."""
    lr = hp["lr"] * xp.ones_like(s.m)
    rectified, rect = _radam_rectifier(hp["beta2"], t, xp)
    if rect is None:
        return lr
    adaptive = _radam_adaptive(s.v, hp["beta2"], t, hp["eps"], xp)
    return where(rectified, lr * adaptive * rect, lr, xp)


RADAM = OptimizerSpec(
    name="radam", title="RAdam",
    coordinatewise=True,
    params=(c.lr(1e-3, 1e-3), c.beta1(), c.beta2(), c.eps(1e-8), c.weight_decay(),
            c.decoupled()),
    init=adam_init, step=radam_step, state_roles=_ADAM_ROLES, step_scale=radam_step_scale,
    latex=r"""\begin{aligned}
\rho_\infty &= \tfrac{2}{1-\beta_2} - 1, \quad
\rho_t = \rho_\infty - \frac{2t\beta_2^t}{1-\beta_2^t}, \quad
r_t = \sqrt{\frac{(\rho_t-4)(\rho_t-2)\rho_\infty}{(\rho_\infty-4)(\rho_\infty-2)\rho_t}}\\
w_t &\leftarrow w_{t-1} - \alpha\, \hat m_t \cdot
\begin{cases} r_t \sqrt{1-\beta_2^t} / (\sqrt{v_t} + \varepsilon) & \rho_t > 5\\
1 & \text{otherwise}\end{cases}
\end{aligned}""",
    reference="torch.optim.RAdam (Liu et al., 2020)",
    description="Adam with a warm-up derived from the variance of the adaptive step.",
)


class Moments(NamedTuple):
    """First moment ``m`` and a second-moment-like ``v`` (Adamax: the infinity norm)."""

    m: Any
    v: Any


def zero_moments(p, hp, xp) -> Moments:
    z = xp.zeros_like(p)
    return Moments(z, z)


def adamax_step(g, s, p, hp, t, xp):
    r""":math:`u \leftarrow \max(\beta_2 u, |g| + \varepsilon)`,
    :math:`w \leftarrow w - \frac{\alpha}{1-\beta_1^t} \frac{m}{u}` (torch.optim.Adamax)."""
    lr, b1 = hp["lr"], hp["beta1"]
    g = coupled_decay(g, p, hp["weight_decay"])
    m = ema(s.m, g, b1, xp)
    u = maximum(s.v * hp["beta2"], xp.abs(g) + hp["eps"], xp)
    return p + (-(lr / debias(b1, t, xp)) * m) / u, Moments(m, u)


def adamax_step_scale(s, hp, t, xp):
    r"""Adamax's step scale :math:`\alpha/u_t` after step t (what multiplies :math:`\hat m_t`)."""
    return hp["lr"] / s.v


ADAMAX = OptimizerSpec(
    name="adamax", title="Adamax",
    coordinatewise=True,
    params=(c.lr(1e-2, 2e-3), c.beta1(), c.beta2(), c.eps(1e-8), c.weight_decay()),
    init=zero_moments, step=adamax_step, step_scale=adamax_step_scale,
    # u is an exponentially weighted infinity norm max|g| (units of g, Adam's √v, not v): not
    # a second moment, so undeclared; it shows as the step scale α/u
    state_roles={"m": "first moment"},
    latex=r"""\begin{aligned}
m_t &\leftarrow \beta_1 m_{t-1} + (1-\beta_1) g_t, \qquad
u_t \leftarrow \max(\beta_2 u_{t-1},\ |g_t| + \varepsilon)\\
w_t &\leftarrow w_{t-1} - \frac{\alpha}{1-\beta_1^t}\, \frac{m_t}{u_t}
\end{aligned}""",
    reference="torch.optim.Adamax (Kingma & Ba, 2015, Section 7)",
    description="Adam with the infinity norm in place of the RMS.",
)


def adopt_step(g, s, p, hp, t, xp):
    r"""ADOPT (Taniguchi et al., 2024, Algorithm 1) as the authors' ``adopt.ADOPT``: the first
    call only sets :math:`v_0 = g_0^2` (no step, no decay); then normalise by the *previous*
    :math:`v`, clip to :math:`\pm (t-1)^{1/4}` (1 on the first real update), average, step,
    and update :math:`v`."""
    lr, b1, b2, wd = hp["lr"], hp["beta1"], hp["beta2"], hp["weight_decay"]
    decoupled = hp["decoupled_weight_decay"]
    if not decoupled:
        g = coupled_decay(g, p, wd)
    first = t == 1  # a bool, or a 0-d tensor in compiled chunks: both branches, then where
    p_new = p
    if decoupled and not (is_scalar(wd) and wd == 0):
        p_new = p + (-lr * wd) * p  # the authors' order (``param.add_(param, alpha=-lr*wd)``)
    normed = g / maximum(xp.sqrt(s.v), hp["eps"], xp)
    clip = (t - 1) ** 0.25
    normed = minimum(maximum(normed, -clip, xp), clip, xp)
    m = ema(s.m, normed, b1, xp)
    v = ema_sq(s.v, g, b2)
    return (where(first, p, p_new - lr * m, xp),
            Moments(where(first, s.m, m, xp), where(first, s.v + g * g, v, xp)))


ADOPT = OptimizerSpec(
    name="adopt", title="ADOPT",
    coordinatewise=True,
    params=(c.lr(1e-2, 1e-3), c.beta1(), c.beta2(0.9999), c.eps(1e-6), c.weight_decay(),
            c.decoupled()),
    init=zero_moments, step=adopt_step,
    # m averages normalised gradients and the step is exactly −α m (a velocity, as Momentum's
    # v); no step scale: the step used max(√v_{t−1}, ε), and the state after step t holds v_t
    # only (and the clip at ±(t−1)^¼ is no factor)
    state_roles={"m": "velocity", "v": "second moment"},
    latex=r"""\begin{aligned}
v_0 &= g_0^2 \ \text{(the first call takes no step; } t \text{ counts the real updates)}\\
m_t &\leftarrow \beta_1 m_{t-1} + (1-\beta_1)\,
\mathrm{clip}\!\left(\frac{g_t}{\max(\sqrt{v_{t-1}}, \varepsilon)},\ \pm t^{1/4}\right)\\
w_t &\leftarrow w_{t-1}(1 - \alpha\lambda\ \text{if decoupled}) - \alpha m_t, \qquad
v_t \leftarrow \beta_2 v_{t-1} + (1-\beta_2)\, g_t^2
\end{aligned}""",
    reference="adopt.ADOPT, the authors' package torch-adopt (Taniguchi et al., 2024, "
              "Algorithm 1)",
    description="Normalises by the previous second moment, which makes it converge for any β₂. "
                "The first call only measures g² (the path starts moving at step 2).",
)

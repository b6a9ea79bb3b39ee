"""Prodigy (Mishchenko & Defazio, 2024), as the authors' ``prodigyopt.Prodigy``: Adam whose
step size d is learnt, growing while the gradients keep pointing back along the way travelled.

The authors' d is one number per parameter group; here each trajectory is one group, so d is
an (N, 1) array. A trajectory whose first gradient is exactly zero (Σ|s| = 0) is not handled
the authors' way (they skip the step and keep the step counter); it moves by zero instead.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from paramspec import ParamSpec

from . import common as c
from .moments import debias
from .ops import coupled_decay, maximum, minimum, where
from .registry import OptimizerSpec


class ProdigyState(NamedTuple):
    m: Any
    v: Any
    s: Any
    p0: Any
    d: Any  # (N, 1) the learnt step size
    d_max: Any  # (N, 1)
    numerator: Any  # (N, 1) Σ β₃-weighted ⟨g, w₀ − w⟩ d²α/d₀


def prodigy_init(p, hp, xp) -> ProdigyState:
    z, d0 = xp.zeros_like(p), xp.zeros_like(p[:, :1]) + hp["d0"]
    return ProdigyState(z, z, z, p, d0, d0, xp.zeros_like(d0))


def _sum(a, xp):
    return xp.sum(a, axis=-1, keepdims=True)


def prodigy_step(g, st, p, hp, t, xp):
    r"""With :math:`\gamma = d\,\alpha\,(\sqrt{1-\beta_2^t}/(1-\beta_1^t)` if bias correction):
    :math:`r \leftarrow \beta_3 r + \frac{d}{d_0}\gamma\langle g, w_0 - w\rangle`,
    :math:`s \leftarrow \beta_3 s + \frac{d}{d_0}\gamma g`,
    :math:`\hat d = c\, r / \|s\|_1`, :math:`d \leftarrow \min(\max_{\le t} \hat d, d\cdot
    \text{growth})`; :math:`m \leftarrow \beta_1 m + d(1-\beta_1)g`,
    :math:`v \leftarrow \beta_2 v + d^2(1-\beta_2)g^2`,
    :math:`w \leftarrow w - \gamma\, m / (\sqrt v + d\varepsilon)`."""
    lr, b1, b2, d0, wd = hp["lr"], hp["beta1"], hp["beta2"], hp["d0"], hp["weight_decay"]
    b3 = hp["beta3"] if hp["beta3"] is not None else b2**0.5
    decoupled = hp["decoupled_weight_decay"]
    d = st.d
    scale = debias(b2, t, xp) ** 0.5 / debias(b1, t, xp) if hp["bias_correction"] else 1
    dlr = d * lr * scale
    if not decoupled:
        g = coupled_decay(g, p, wd)
    numerator = st.numerator * b3 + (d / d0) * dlr * _sum(g * (st.p0 - p), xp)
    m = st.m * b1 + d * (1 - b1) * g
    v = st.v * b2 + (d * d * (1 - b2)) * g * g
    s = st.s * b3 + ((d / d0) * dlr) * g
    d_hat = hp["d_coef"] * numerator / _sum(xp.abs(s), xp)
    d_new = where(d == d0, maximum(d, d_hat, xp), d, xp)
    d_max = maximum(st.d_max, d_hat, xp)
    growth = hp["growth_rate"]
    d_new = d_max if growth is None else minimum(d_max, d_new * growth, xp)
    denom = xp.sqrt(v) + d_new * hp["eps"]
    if decoupled:
        p = p + (-wd * dlr) * p
    p_adam = p + (-dlr * m) / denom
    p_sgd = p + (-dlr * d_new * g) / denom  # β₁ = 0: the authors keep no first moment
    return where(b1 > 0, p_adam, p_sgd, xp), ProdigyState(m, v, s, st.p0, d_new, d_max,
                                                         numerator)


PRODIGY = OptimizerSpec(
    name="prodigy", title="Prodigy",
    params=(
        c.lr(1.0, 1.0), c.beta1(), c.beta2(),
        ParamSpec("beta3", "β₃", None, 0.0, 1.0, high_open=True, optional=True,
                  help="Decay of the step-size estimate's sums; None: √β₂"),
        c.eps(1e-8), c.weight_decay(), c.decoupled(True),
        c.switch("bias_correction", "bias correction", False,
                 "Scale the step by √(1 − β₂ᵗ)/(1 − β₁ᵗ) (the authors' use_bias_correction)"),
        ParamSpec("d0", "d₀", 1e-4, 0.0, 1.0, log=True, low_open=True,
                  help="Initial step-size estimate (the authors default to 1e-6; d grows "
                       "from either within a few dozen steps)"),
        ParamSpec("d_coef", "c", 1.0, 0.0, 10.0, low_open=True,
                  help="Multiplies the estimated step size"),
        ParamSpec("growth_rate", "growth", None, 1.0, 1e6, log=True, optional=True,
                  help="Largest factor d may grow by per step; None: unbounded"),
    ),
    init=prodigy_init, step=prodigy_step,
    # the authors' m and v average d·g and d²g² (said in the description); no step scale:
    # the step's denominator uses the d after the step, d_{t+1}, with d_t in γ
    state_roles={"m": "first moment", "v": "second moment"},
    latex=r"""\begin{aligned}
r_t &\leftarrow \beta_3 r_{t-1} + \tfrac{d_t}{d_0} d_t \alpha \langle g_t, w_0 - w_{t-1}\rangle,
\qquad s_t \leftarrow \beta_3 s_{t-1} + \tfrac{d_t}{d_0} d_t \alpha\, g_t\\
d_{t+1} &= \max\!\left(d_t,\ c\, r_t / \|s_t\|_1\right), \quad
m_t \leftarrow \beta_1 m_{t-1} + d_t(1-\beta_1) g_t, \quad
v_t \leftarrow \beta_2 v_{t-1} + d_t^2(1-\beta_2) g_t^2\\
w_t &\leftarrow w_{t-1} - d_t \alpha\, \frac{m_t}{\sqrt{v_t} + d_{t+1}\varepsilon}
\end{aligned}""",
    reference="prodigyopt.Prodigy, the authors' package (Mishchenko & Defazio, 2024)",
    description="Learns its own step size d: starts tiny (d₀) and grows it while progress "
                "continues along the way travelled; α = 1 is meant to be left alone. Its "
                "moments average d·g and d²g², so the momentum arrow −α·m grows with d.",
)

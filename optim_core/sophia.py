r"""Sophia (Liu et al., 2024) as ``pytorch_optimizer.SophiaH``: momentum divided by an EMA of
a Hessian-diagonal estimate, clipped per coordinate. Two estimates of :math:`\mathrm{diag}\,H`:

* **Hutchinson** (Sophia-H): :math:`z \odot (Hz)` for Rademacher probes :math:`z \in
  \{\pm1\}^2`, whose mean is :math:`\mathrm{diag}\,H`. :math:`Hz` is exact here (the surface's
  Hessian times z, as the reference's Hessian-vector product by double backward is). The
  probes come from :func:`probe`, a counter-based hash of (seed, step, sample): the same for
  every trajectory of a run and for every backend, so a run is reproducible and a vectorized
  run equals its trajectories run one by one. (The reference draws z with torch's global
  RNG; the parity tests hand it these probes.) In 2-D, :math:`z \odot Hz =
  \mathrm{diag}\,H + z_x z_y H_{xy}(1, 1)`: the estimate is off by ±the cross term.
* **exact**: :math:`\mathrm{diag}\,H` itself (the reference's ``step(hessian=...)``).

Either is refreshed every ``update_period`` steps (steps 1, 1 + k, …), at the point before
the step, and averaged into h only then.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from paramspec import ParamSpec

from . import common as c
from .moments import ema
from .ops import maximum, minimum, weight_decay, where, zeros_init
from .registry import OptimizerSpec

_MASK = 0xFFFFFFFF


def _hash32(x):
    """A 32-bit integer finaliser (xor-shift / multiply; multipliers below 2³¹ so every
    product of a 32-bit value fits an int64): Python ints and int64 tensors alike."""
    x = x & _MASK
    x = ((x ^ (x >> 16)) * 0x7FEB352D) & _MASK
    x = ((x ^ (x >> 15)) * 0x5BD1E995) & _MASK
    return x ^ (x >> 16)


def probe(seed, t, k: int, xp=None):
    """The Rademacher probe (z_x, z_y) of sample ``k`` at step ``t``: each ±1 from the top bit
    of the hash of (seed, t, k, coordinate). ``t`` is an int (eager) or an integer 0-d tensor."""
    if not isinstance(t, int):
        t = xp.astype(t, xp.int64)
    return tuple(2.0 * ((_hash32(((seed * 65_537 + t) * 64 + k) * 2 + j) >> 31) & 1) - 1.0
                 for j in (0, 1))


def hutchinson(hessian, seed, t, samples: int, xp):
    r""":math:`\frac1S\sum_{k<S} z_k \odot (H z_k)`, summed in the reference's order."""
    est = 0.0
    for k in range(samples):
        zx, zy = probe(seed, t, k, xp)
        hx = hessian[:, 0, 0] * zx + hessian[:, 0, 1] * zy
        hy = hessian[:, 1, 0] * zx + hessian[:, 1, 1] * zy
        est = est + xp.stack([(1.0 / samples) * hx * zx, (1.0 / samples) * hy * zy], axis=-1)
    return est


def hessian_diagonal(hessian, xp):
    return xp.stack([hessian[:, 0, 0], hessian[:, 1, 1]], axis=-1)


class SophiaState(NamedTuple):
    m: Any
    h: Any


def sophia_step(g, s, p, hp, t, xp, hessian):
    r""":math:`m \leftarrow \beta_1 m + (1-\beta_1) g`; every k steps
    :math:`h \leftarrow \beta_2 h + (1-\beta_2)\hat h`;
    :math:`w \leftarrow w - \alpha\,\mathrm{clip}(m / \max(h, \varepsilon), \pm\rho)`."""
    if hp["estimate"] == "exact":
        estimate = hessian_diagonal(hessian, xp)
    else:
        # whole numbers that shape the program (the compiled engine hands 0-d tensors)
        estimate = hutchinson(hessian, int(hp["seed"]), t, int(hp["samples"]), xp)
    refresh = (t - 1) % hp["update_period"] == 0
    g, p = weight_decay(g, p, hp)
    m = ema(s.m, g, hp["beta1"], xp)
    h = where(refresh, ema(s.h, estimate, hp["beta2"], xp), s.h, xp)
    clip = hp["clip"]
    update = minimum(maximum(m / maximum(h, hp["eps"], xp), -clip, xp), clip, xp)
    return p + (-hp["lr"]) * update, SophiaState(m, h)


_PARAMS = (
    c.lr(0.5, 6e-2), c.beta1(0.96), c.beta2(0.99),
    c.weight_decay(), c.decoupled(True),
    ParamSpec("clip", "ρ", 0.1, 0.0, 10.0, low_open=True,
              help="Largest |update| per coordinate before α (the reference's p; default 0.01)"),
    ParamSpec("update_period", "k", 10, 1, 1000, kind="int", per_trajectory=False,
              help="Steps between two Hessian-diagonal estimates"),
    c.eps(1e-12),
)
# h averages Hessian-diagonal estimates (curvature, not squared gradients): no role; no step
# scale, the clip at ±ρ makes the step no multiple of m
_ROLES = {"m": "first moment"}
_LATEX = r"""\begin{aligned}
m_t &\leftarrow \beta_1 m_{t-1} + (1-\beta_1)\, g_t, \qquad
h_t \leftarrow \beta_2 h_{t-k} + (1-\beta_2)\, \hat h_t \ \text{ every } k \text{ steps}\\
\hat h_t &= %s\\
w_t &\leftarrow w_{t-1} - \alpha\, \mathrm{clip}\!\left(\frac{m_t}{\max(h_t, \varepsilon)},
\ \pm\rho\right)
\end{aligned}"""

SOPHIA_H = OptimizerSpec(
    name="sophia_h", title="Sophia-H",
    params=(*_PARAMS,
            ParamSpec("samples", "S", 1, 1, 32, kind="int", per_trajectory=False,
                      help="Rademacher probes averaged per estimate"),
            ParamSpec("seed", "seed", 0, 0, 9999, kind="int", per_trajectory=False,
                      help="Seed of the probes (the same for every trajectory of a run)")),
    init=zeros_init(SophiaState), step=sophia_step, needs=("hessian",),
    fixed={"estimate": "hutchinson"}, state_roles=_ROLES,
    latex=_LATEX % r"\tfrac1S \textstyle\sum_{s} z_s \odot \nabla^2 f\, z_s,\ "
                   r"z_s \in \{\pm 1\}^2 \text{ (Hutchinson)}",
    reference="pytorch_optimizer.SophiaH (Liu et al., 2024), Rademacher probes, "
              "given the same probes",
    description="Momentum over a clipped, EMA-smoothed estimate of the Hessian's diagonal "
                "(Hutchinson's z⊙Hz, random probes z; Hz exact from the surface).",
)

SOPHIA_EXACT = OptimizerSpec(
    name="sophia_exact", title="Sophia (exact diag H)",
    params=_PARAMS,
    init=zeros_init(SophiaState), step=sophia_step, needs=("hessian",),
    fixed={"estimate": "exact"}, state_roles=_ROLES,
    latex=_LATEX % r"\mathrm{diag}\, \nabla^2 f(w_{t-1}) \text{ (exact)}",
    reference="pytorch_optimizer.SophiaH (Liu et al., 2024) given the exact diagonal "
              "(step(hessian=...))",
    description="Sophia with the exact Hessian diagonal in place of Hutchinson's estimate: "
                "what Sophia-H estimates, and what Adam's √v̂ stands in for.",
)

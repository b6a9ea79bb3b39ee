"""Muon (Jordan et al., 2024) as torch.optim.Muon, with each trajectory's point taken as a 1×2
matrix. Orthogonalising a 1×2 matrix (one row) keeps its direction and sets its length: the
polar factor of a row vector u is u/‖u‖. Muon's quintic Newton–Schulz iteration only
approximates it, so the step is ``s_K · u/‖u‖`` with a scale ``s_K`` (≈ 0.7–1.2) that the
iteration reaches from 1 after K steps: in 2D, Muon is normalised (Nesterov) momentum."""

from __future__ import annotations

from typing import Any, NamedTuple

from paramspec import ParamSpec

from . import common as c
from .ops import lerp, maximum
from .registry import OptimizerSpec

NS_COEFFICIENTS = (3.4445, -4.7750, 2.0315)  # torch.optim.Muon's (a, b, c)
_LR_SCALE = {"original": 1.0, "match_rms_adamw": 0.2 * 2**0.5}  # for a 1×2 matrix


class MuonState(NamedTuple):
    buf: Any


def muon_init(p, hp, xp) -> MuonState:
    return MuonState(xp.zeros_like(p))


def newton_schulz_row(u, hp, xp):
    r"""Muon's Newton–Schulz iteration on each row of ``u`` (N, 2), each a 1×2 matrix:
    :math:`X_0 = u / \max(\|u\|, \varepsilon)`, :math:`A = XX^\top` (a 1×1 Gram matrix),
    :math:`X \leftarrow aX + (bA + cA^2)X`, K times. torch rounds this to bfloat16; here it
    runs in the run's dtype."""
    a, b, c_ = NS_COEFFICIENTS
    x = u / maximum(xp.sqrt(xp.sum(u * u, axis=-1, keepdims=True)), hp["eps"], xp)
    for _ in range(hp["ns_steps"]):
        gram = xp.sum(x * x, axis=-1, keepdims=True)
        x = a * x + (b * gram + c_ * (gram * gram)) * x
    return x


def muon_step(g, s, p, hp, t, xp):
    r""":math:`b \leftarrow \mu b + (1-\mu) g`; :math:`u = (1-\mu) g + \mu b` (Nesterov) or
    :math:`b`; :math:`w \leftarrow w(1 - \alpha\lambda) - \alpha\, \mathrm{NS}_K(u)`."""
    lr, mu = hp["lr"], hp["momentum"]
    buf = lerp(s.buf, g, 1 - mu, xp)
    u = lerp(g, buf, mu, xp) if hp["nesterov"] else buf
    update = newton_schulz_row(u, hp, xp)
    p = p * (1 - lr * hp["weight_decay"])
    return p + (-lr * _LR_SCALE[hp["adjust_lr_fn"]]) * update, MuonState(buf)


MUON = OptimizerSpec(
    name="muon", title="Muon",
    params=(
        c.lr(2e-2, 1e-3), c.momentum(0.95, "μ"),
        c.switch("nesterov", "Nesterov", True, "Orthogonalise the Nesterov look-ahead "
                 "(1−μ)g + μb instead of the momentum buffer b"),
        ParamSpec("ns_steps", "K", 5, 1, 20, kind="int", per_trajectory=False,
                  help="Newton–Schulz iterations"),
        c.eps(1e-7),
        ParamSpec("adjust_lr_fn", "α scale", "original", kind="choice", per_trajectory=False,
                  choices=tuple(_LR_SCALE),
                  help="torch's learning-rate adjustment for the matrix shape: 'original' "
                       "√max(1, rows/cols) = 1 for 1×2; 'match_rms_adamw' 0.2·√max(rows, cols)"),
        ParamSpec("weight_decay", "λ", 0.0, 0.0, 10.0,
                  help="Decoupled weight decay w(1 − αλ) (torch default 0.1)"),
    ),
    init=muon_init, step=muon_step,
    # buf averages g; the step is −α times the normalised (Nesterov) mix, not −α buf
    state_roles={"buf": "first moment"},
    latex=r"""\begin{aligned}
b_t &\leftarrow \mu b_{t-1} + (1-\mu)\, g_t, \qquad
u_t = (1-\mu)\, g_t + \mu b_t \ \text{(Nesterov) or } b_t\\
X_0 &= u_t / \max(\|u_t\|, \varepsilon), \quad
X \leftarrow aX + (bXX^\top + c(XX^\top)^2)X \ \ (K \text{ times})\\
w_t &\leftarrow w_{t-1}(1 - \alpha\lambda) - \alpha X_K
\qquad (X_K \approx u_t/\|u_t\| \text{ for one row})
\end{aligned}""",
    reference="torch.optim.Muon with the point as a 1×2 matrix and its Newton–Schulz "
              "iteration in float64 (torch rounds it to bfloat16) (Jordan et al., 2024)",
    description="Orthogonalised momentum. For one row, orthogonalising = normalising to unit "
                "length (up to the Newton–Schulz scale), so in 2D Muon is normalised Nesterov "
                "momentum: every step has length ≈ α.",
)

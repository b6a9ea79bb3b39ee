"""L-BFGS (Liu & Nocedal, 1989) as torch.optim.LBFGS(max_iter=1, line_search_fn=None): one
step is one quasi-Newton iteration from one gradient evaluation, vectorized over trajectories.

Each trajectory keeps its last ``m`` curvature pairs (s, y) in an (N, 2m) array, newest on the
right; pairs with :math:`y^\\top s \\le 10^{-10}` are skipped, so trajectories hold different
numbers of pairs and the two-loop recursion masks the empty slots (their terms are exact zeros).
The strong-Wolfe line search evaluates f and ∇f at trial points, which a pure step cannot:
use ``trace(torch.optim.LBFGS, ..., line_search_fn="strong_wolfe")`` for it.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from paramspec import ParamSpec

from . import common as c
from .ops import minimum
from .registry import OptimizerSpec

CURVATURE_FLOOR = 1e-10  # torch skips a pair when yᵀs ≤ this


class LBFGSState(NamedTuple):
    y: Any  # (N, 2m) gradient differences, oldest first
    s: Any  # (N, 2m) steps
    rho: Any  # (N, m) 1 / yᵀs
    count: Any  # (N, 1) pairs held
    h_diag: Any  # (N, 1) initial Hessian scale yᵀs / yᵀy
    d: Any  # (N, 2) last direction
    t: Any  # (N, 1) last step length
    prev_g: Any  # (N, 2)
    n_iter: Any  # (N, 1) iterations taken (steps skipped at a stationary point do not count)


def lbfgs_init(p, hp, xp) -> LBFGSState:
    z, z1, m = xp.zeros_like(p), xp.zeros_like(p[:, :1]), hp["history_size"]
    return LBFGSState(xp.concat([z] * m, axis=1), xp.concat([z] * m, axis=1),
                      xp.concat([z1] * m, axis=1), z1, z1 + 1, z, z1, z, z1)


def _dot(a, b, xp):
    return xp.sum(a * b, axis=-1, keepdims=True)


def _direction(g, y, s, rho, count, h_diag, m, xp):
    r"""The two-loop recursion: :math:`d = -H g` with :math:`H_0 = \gamma I`."""
    q, alphas = -g, [None] * m
    for i in reversed(range(m)):
        valid = m - i <= count
        a = xp.where(valid, _dot(s[:, 2 * i:2 * i + 2], q, xp) * rho[:, i:i + 1], 0.0 * count)
        q = q + (-a) * y[:, 2 * i:2 * i + 2]
        alphas[i] = a
    r = q * h_diag
    for i in range(m):
        be = _dot(y[:, 2 * i:2 * i + 2], r, xp) * rho[:, i:i + 1]
        r = r + (alphas[i] - be) * s[:, 2 * i:2 * i + 2]
    return r


def lbfgs_step(g, st, p, hp, t, xp):
    r"""torch.optim.LBFGS with ``max_iter=1`` and no line search: skip if
    :math:`\|g\|_\infty \le` ``tolerance_grad``; store :math:`(s, y) = (t d, g - g_{prev})` if
    :math:`y^\top s > 10^{-10}`; :math:`d = -Hg` (two loops, :math:`H_0 = \frac{y^\top s}{y^\top y}
    I`); step :math:`\min(1, 1/\|g\|_1)\alpha` the first time, then α; no move when
    :math:`g^\top d > -` ``tolerance_change``."""
    lr, m = hp["lr"], hp["history_size"]
    active = xp.max(xp.abs(g), axis=-1, keepdims=True) > hp["tolerance_grad"]
    n_iter = st.n_iter + 1
    first = n_iter == 1
    y_new, s_new = g - st.prev_g, st.d * st.t
    ys = _dot(y_new, s_new, xp)
    keep = ~first & (ys > CURVATURE_FLOOR)
    y = xp.where(keep, xp.concat([st.y[:, 2:], y_new], axis=1), st.y)
    s = xp.where(keep, xp.concat([st.s[:, 2:], s_new], axis=1), st.s)
    rho = xp.where(keep, xp.concat([st.rho[:, 1:], 1.0 / ys], axis=1), st.rho)
    count = xp.where(keep, minimum(st.count + 1, float(m), xp), st.count)
    h_diag = xp.where(keep, ys / _dot(y_new, y_new, xp), st.h_diag)
    d = xp.where(first, -g, _direction(g, y, s, rho, count, h_diag, m, xp))
    step = xp.where(first, minimum(1.0, 1.0 / xp.sum(xp.abs(g), axis=-1, keepdims=True), xp) * lr,
                    lr + 0.0 * n_iter)
    move = active & (_dot(g, d, xp) <= -hp["tolerance_change"])
    p = xp.where(move, p + step * d, p)
    new = LBFGSState(y, s, rho, count, h_diag, d, step, g, n_iter)
    return p, LBFGSState(*(xp.where(active, a, b) for a, b in zip(new, st, strict=True)))


LBFGS = OptimizerSpec(
    name="lbfgs", title="L-BFGS",
    params=(
        c.lr(1.0, 1.0),
        ParamSpec("history_size", "m", 10, 1, 100, kind="int", per_trajectory=False,
                  help="Curvature pairs (s, y) remembered (torch default 100)"),
        ParamSpec("tolerance_grad", "ε_g", 1e-7, 0.0, 1.0, log=True,
                  help="No step once every |∂f/∂wᵢ| is at most this"),
        ParamSpec("tolerance_change", "ε_d", 1e-9, 0.0, 1.0, log=True,
                  help="No move when the direction is not a descent direction by this margin"),
    ),
    init=lbfgs_init, step=lbfgs_step,
    latex=r"""\begin{aligned}
s_{t-1} &= w_{t-1} - w_{t-2}, \quad y_{t-1} = g_t - g_{t-1}
\quad (\text{kept if } y^\top s > 10^{-10}, \text{ last } m)\\
d_t &= -H_t g_t \ \ \text{(two-loop recursion, } H_0 = \tfrac{y^\top s}{y^\top y} I\text{)}\\
w_t &\leftarrow w_{t-1} + \alpha_t d_t, \qquad
\alpha_1 = \min(1, 1/\|g_1\|_1)\,\alpha,\ \ \alpha_t = \alpha
\end{aligned}""",
    reference="torch.optim.LBFGS(max_iter=1, line_search_fn=None) (Liu & Nocedal, 1989); "
              "strong Wolfe: trace(torch.optim.LBFGS, line_search_fn='strong_wolfe')",
    description="Quasi-Newton: builds an inverse-Hessian estimate from the last m steps and "
                "gradient changes. One step = one iteration, one gradient; no line search.",
)

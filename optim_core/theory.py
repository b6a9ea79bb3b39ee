r"""Convergence theory of heavy-ball momentum on a quadratic (Polyak 1964; Goh 2017, "Why
Momentum Really Works").

**Which iteration the registry's ``sgd`` is.** torch.optim.SGD with momentum μ (dampening τ,
weight decay λ, no Nesterov) steps :math:`b_t = \mu b_{t-1} + (1-\tau) g_t` (:math:`b_1 = g_1`),
:math:`w_t = w_{t-1} - \alpha b_t`. On :math:`f(w) = \tfrac12 w^\top H w`, along an eigenvector
of H with curvature h, :math:`g_t = (h + \lambda) w_{t-1}`, and since
:math:`\alpha b_{t-1} = w_{t-2} - w_{t-1}`, for t ≥ 2

.. math:: w_t = (1 + \mu - \alpha' h')\, w_{t-1} - \mu\, w_{t-2},
   \qquad \alpha' = \alpha(1-\tau),\ h' = h + \lambda,

i.e. Polyak's heavy ball :math:`w_{t+1} = w_t - \alpha\nabla f(w_t) + \beta(w_t - w_{t-1})`
with β = μ. On the state :math:`z_t = (w_t, w_{t-1})` it is :math:`z_t = T z_{t-1}` with

.. math:: T(\alpha, \beta, h) = \begin{pmatrix} 1 + \beta - \alpha h & -\beta \\ 1 & 0 \end{pmatrix},

and :math:`\lVert w_t\rVert^{1/t} \to \rho(\alpha, \beta) = \max_h \rho(T(\alpha, \beta, h))`
(spectral radius) for a generic start. (The first step, :math:`b_1 = g_1`, changes only the
constant in front.) The EMA form (``momentum``: :math:`v_t = \beta v_{t-1} + (1-\beta) g_t`)
is the same iteration with :math:`\alpha' = \alpha(1-\beta)`.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from landscapes.formula import X, Y


def heavy_ball_rate(lr, momentum, curvatures) -> np.ndarray:
    r"""ρ(α, β) = max over the curvatures h of the spectral radius of T(α, β, h) (above).

    ``lr`` and ``momentum`` broadcast against each other (e.g. ``lrs[:, None]`` and
    ``betas[None, :]`` for a grid). The eigenvalues of T solve
    :math:`z^2 - a z + \beta = 0`, :math:`a = 1 + \beta - \alpha h`: with
    :math:`\Delta = a^2 - 4\beta \ge 0` they are real and :math:`\rho = (|a| + \sqrt\Delta)/2`,
    else complex with :math:`|z| = \sqrt\beta`.
    """
    lr, momentum = np.broadcast_arrays(np.asarray(lr, dtype=np.float64),
                                       np.asarray(momentum, dtype=np.float64))
    h = np.asarray(curvatures, dtype=np.float64).reshape(-1)
    a = 1.0 + momentum[..., None] - lr[..., None] * h
    beta = np.broadcast_to(momentum[..., None], a.shape)
    disc = a * a - 4.0 * beta
    real = (np.abs(a) + np.sqrt(np.maximum(disc, 0.0))) / 2.0
    return np.where(disc >= 0, real, np.sqrt(np.abs(beta))).max(axis=-1)


def heavy_ball_lr_limit(momentum, curvatures) -> np.ndarray:
    r"""The ρ = 1 boundary: for 0 ≤ β < 1, ρ(α, β) < 1 exactly when
    :math:`0 < \alpha < 2(1+\beta)/h_{\max}` (Jury's conditions on :math:`z^2 - az + \beta`:
    :math:`|\beta| < 1` and :math:`|a| < 1 + \beta`), for positive curvatures."""
    h = np.asarray(curvatures, dtype=np.float64)
    return 2.0 * (1.0 + np.asarray(momentum, dtype=np.float64)) / h.max()


def quadratic_curvatures(landscape) -> np.ndarray:
    """The eigenvalues of the constant Hessian of a quadratic surface (ascending).

    Raises ``ValueError`` if the Hessian varies over the plane: the rate above then holds only
    near a minimum, not on the whole surface."""
    hessian = sp.hessian(landscape.expr, (X, Y))
    if any(entry.free_symbols for entry in hessian):
        raise ValueError(f"surface '{landscape.name}' is not quadratic (its Hessian varies), so "
                         "the heavy-ball rate does not describe it: use a quadratic bowl.")
    return np.linalg.eigvalsh(np.array(hessian.tolist(), dtype=np.float64))


def sweep_rate(sweep, landscape) -> np.ndarray | None:
    r"""ρ on a sweep's grid (:func:`optim_core.sweep`), where the theory above describes it:
    the optimizer's spec reads its settings as heavy ball (``OptimizerSpec.heavy_ball`` gives
    α', β, λ per cell) and the surface is quadratic; None otherwise (the rate would be a guess).

    Weight decay λ shifts every curvature, h' = h + λ, and ρ depends on α' and h' only through
    α'h', so per cell :math:`\rho = \max_h \rho(T(\alpha'(h + \lambda), \beta, 1))`."""
    mapping = sweep.optimizer.spec.heavy_ball
    if mapping is None:
        return None
    try:
        curvatures = quadratic_curvatures(landscape)
    except ValueError:
        return None
    grids = np.meshgrid(*sweep.axes.values(), indexing="ij")
    read = mapping({**sweep.optimizer.settings, **dict(zip(sweep.axes, grids, strict=True))})
    if read is None:
        return None
    lr, momentum, decay = (np.broadcast_to(np.asarray(v, dtype=np.float64), grids[0].shape)
                           for v in read)
    return np.max([heavy_ball_rate(lr * (h + decay), momentum, [1.0]) for h in curvatures], axis=0)

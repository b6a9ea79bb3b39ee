"""Small array helpers shared by the optimizers.

Hyperparameters arrive either as Python floats (one value for all trajectories) or as arrays
of shape (N, 1) (one value per trajectory, broadcasting over the two coordinates); these
helpers accept both.
"""

from __future__ import annotations


def zeros_init(state_type):
    """The ``init`` of an optimizer whose state starts at zero: every field of ``state_type``
    (a NamedTuple) an array of zeros shaped like the point."""

    def init(p, hp, xp):
        z = xp.zeros_like(p)
        return state_type(*(z for _ in state_type._fields))

    return init


def is_scalar(v) -> bool:
    return isinstance(v, int | float)


def where(cond, a, b, xp):
    """``a`` where ``cond`` else ``b``; ``cond`` may be a Python bool (scalar hyperparameters)."""
    if isinstance(cond, bool):
        return a if cond else b
    return xp.where(cond, a, b)


def lerp(a, b, w, xp):
    r"""``torch.lerp``: :math:`a + w(b - a)` if :math:`|w| < 0.5` else :math:`b - (b - a)(1 - w)`.

    Both forms are the same number mathematically; torch picks one by ``w`` to limit
    round-off, and so do we, so that paths agree with torch.optim to the last bits.
    """
    if is_scalar(w):
        return a + w * (b - a) if abs(w) < 0.5 else b - (b - a) * (1 - w)
    # one product for both forms, bit for bit: b − (b − a)(1 − w) = b + (b − a)(w − 1), as
    # w − 1 rounds to exactly −(1 − w); three array operations where both forms and a
    # select took five
    near = xp.abs(w) < 0.5
    return xp.where(near, a, b) + xp.where(near, w, w - 1) * (b - a)


def maximum(a, b, xp):
    """Elementwise max where either side may be a Python float."""
    if is_scalar(a) and is_scalar(b):
        return max(a, b)
    if is_scalar(a):
        return xp.clip(b, min=a)
    if is_scalar(b):
        return xp.clip(a, min=b)
    return xp.maximum(a, b)


def minimum(a, b, xp):
    """Elementwise min where either side may be a Python float."""
    if is_scalar(a) and is_scalar(b):
        return min(a, b)
    if is_scalar(a):
        return xp.clip(b, max=a)
    if is_scalar(b):
        return xp.clip(a, max=b)
    return xp.minimum(a, b)


def row_norm(v, xp):
    """Euclidean norm of each trajectory's 2-vector, shape (N, 1)."""
    return xp.sqrt(xp.sum(v * v, axis=-1, keepdims=True))


def coupled_decay(g, p, wd):
    """L2 weight decay folded into the gradient: :math:`g + \\lambda w` (torch order)."""
    return g if is_scalar(wd) and wd == 0 else g + wd * p


def decoupled_decay(p, lr, wd):
    """Decoupled weight decay (AdamW): :math:`w (1 - \\alpha\\lambda)`."""
    return p if is_scalar(wd) and wd == 0 else p * (1 - lr * wd)


def weight_decay(g, p, hp):
    """Apply λ the way the rule's reference does: decoupled (shrink w) or coupled (into g).

    Returns ``(g, p)``."""
    if hp["decoupled_weight_decay"]:
        return g, decoupled_decay(p, hp["lr"], hp["weight_decay"])
    return coupled_decay(g, p, hp["weight_decay"]), p


def cautious(update, g, xp):
    r"""The cautious mask (Liang et al., 2024) as pytorch_optimizer applies it: keep the
    coordinates where the update and the gradient agree in sign, rescaled by
    :math:`d / (\#\text{kept} + 1)` with :math:`d = 2` coordinates per trajectory."""
    mask = xp.astype(update * g > 0, update.dtype)
    return update * (mask * (2 / (xp.sum(mask, axis=-1, keepdims=True) + 1)))

"""The moment estimates the Adam family shares, each in the floating-point form of its
reference (torch.optim / pytorch_optimizer), so rules read like their papers and still
agree with the references to round-off."""

from __future__ import annotations

from .ops import lerp


def ema(avg, x, beta, xp):
    r""":math:`\beta\,\bar x + (1-\beta)\,x`, as torch's ``avg.lerp_(x, 1 - beta)``."""
    return lerp(avg, x, 1 - beta, xp)


def ema_sq(avg, x, beta):
    r""":math:`\beta\,\bar v + (1-\beta)\,x^2`, as torch's
    ``avg.mul_(beta).addcmul_(x, x, value=1 - beta)``."""
    return avg * beta + (1 - beta) * x * x


def debias(beta, t):
    r""":math:`1 - \beta^t`: the weight an EMA started at zero has gathered after t steps
    (divide by it to undo the zero start)."""
    return 1 - beta**t

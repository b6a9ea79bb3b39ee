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


def rms_denom(v, beta2, t, eps, xp):
    r""":math:`\sqrt{\hat v_t} + \varepsilon` with :math:`\hat v_t = v_t/(1-\beta_2^t)`, as
    torch's Adam writes it: ``sqrt(v) / sqrt(1 - beta2**t) + eps`` (ε after the correction)."""
    return xp.sqrt(v) / debias(beta2, t) ** 0.5 + eps


def rms_denom_inner(v, beta2, t, eps, xp):
    r""":math:`(\sqrt{v_t + 10^{-15}} + \varepsilon)/\sqrt{1-\beta_2^t}`, pytorch_optimizer's
    form (LaProp, MARS): ε before the correction, and a floor under v."""
    return (xp.sqrt(v + 1e-15) + eps) / debias(beta2, t) ** 0.5

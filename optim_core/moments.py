"""The moment estimates the Adam family shares, each in the floating-point form of its
reference (torch.optim / pytorch_optimizer), so rules read like their papers and still
agree with the references to round-off."""

from __future__ import annotations

from .ops import is_scalar, lerp


def ema(avg, x, beta, xp):
    r""":math:`\beta\,\bar x + (1-\beta)\,x`, as torch's ``avg.lerp_(x, 1 - beta)``."""
    return lerp(avg, x, 1 - beta, xp)


def ema_sq(avg, x, beta):
    r""":math:`\beta\,\bar v + (1-\beta)\,x^2`, as torch's
    ``avg.mul_(beta).addcmul_(x, x, value=1 - beta)``."""
    return avg * beta + (1 - beta) * x * x


def debias(beta, t, xp):
    r""":math:`1 - \beta^t`: the weight an EMA started at zero has gathered after t steps
    (divide by it to undo the zero start). One β (a Python number or a compiled program's
    0-d one): ``1 - beta**t`` as torch.optim computes it. One β per trajectory:
    :math:`-\operatorname{expm1}(t \ln\beta)`, the same number to round-off, one ``exp``
    an entry where a compiled ``pow`` costs several times that (a 256² (α, β₁) sweep ran
    1.7× faster), and without the cancellation of ``1 - beta**t`` for β near 1."""
    if is_scalar(beta) or beta.ndim == 0:
        return 1 - beta**t
    return -xp.expm1(t * xp.log(beta))


def rms_denom(v, beta2, t, eps, xp):
    r""":math:`\sqrt{\hat v_t} + \varepsilon` with :math:`\hat v_t = v_t/(1-\beta_2^t)`, as
    torch's Adam writes it: ``sqrt(v) / sqrt(1 - beta2**t) + eps`` (ε after the correction)."""
    return xp.sqrt(v) / debias(beta2, t, xp) ** 0.5 + eps


def rms_denom_inner(v, beta2, t, eps, xp):
    r""":math:`(\sqrt{v_t + 10^{-15}} + \varepsilon)/\sqrt{1-\beta_2^t}`, pytorch_optimizer's
    form (LaProp, MARS): ε before the correction, and a floor under v."""
    return (xp.sqrt(v + 1e-15) + eps) / debias(beta2, t, xp) ** 0.5

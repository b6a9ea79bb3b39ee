"""Lookahead (Zhang et al., 2019): a wrapper that turns any registered optimizer into one that
pulls its fast weights toward slow weights every k steps (pytorch_optimizer.Lookahead)."""

from __future__ import annotations

from typing import Any, NamedTuple

from paramspec import ParamSpec

from .ops import lerp, where
from .registry import OPTIMIZERS, Optimizer, OptimizerSpec, bind


class LookaheadState(NamedTuple):
    slow: Any
    base: Any


_K = ParamSpec("k", "k", 5, 1, 100, kind="int", help="Fast steps between two slow-weight syncs")
_ALPHA = ParamSpec("alpha", "α_slow", 0.5, 0.0, 1.0,
                   help="How far the slow weights move toward the fast ones at each sync")


def _wrap(base: OptimizerSpec) -> OptimizerSpec:
    """The Lookahead spec around ``base``: its hyperparameters plus ``k`` and ``alpha``."""

    def init(p, hp, xp):  # hp holds base.fixed: the wrapped spec carries it
        return LookaheadState(p, base.init(p, hp, xp))

    def step(g, s, p, hp, t, xp, **extra):  # extra: what base.needs (curvature, f)
        fast, base_state = base.step(g, s.base, p, hp, t, xp, **extra)
        k = hp["k"]
        sync = t % k == 0  # a bool, or an (N, 1) mask when k is per trajectory
        synced = lerp(fast, s.slow, 1.0 - hp["alpha"], xp)
        p_new = where(sync, synced, fast, xp)
        return p_new, LookaheadState(where(sync, synced, s.slow, xp), base_state)

    return OptimizerSpec(
        name="lookahead", title=f"Lookahead({base.title})",
        params=(_K, _ALPHA, *base.params), init=init, step=step, fixed=base.fixed,
        check=base.check, inner=base, coordinatewise=base.coordinatewise, needs=base.needs,
        state_roles={"slow": "slow weights", **{f"base.{k}": r for k, r in base.state_roles.items()}},
        step_scale=None if base.step_scale is None else
        (lambda s, hp, t, xp: base.step_scale(s.base, hp, t, xp)),
        latex=r"""\begin{aligned}
&\text{BASE step on the fast weights } w_t;\ \text{every } k \text{ steps:}\\
&\phi \leftarrow \phi + \alpha_{\text{slow}}\,(w_t - \phi), \qquad w_t \leftarrow \phi
\end{aligned}""".replace("BASE", base.title),
        reference="pytorch_optimizer.Lookahead (Zhang, Lucas, Hinton & Ba, 2019)",
        description=f"Lookahead around {base.title}: k steps forward, then part of the way back.",
    )


def make_lookahead(*, label: str = "", base: str = "adam", **hyperparams) -> Optimizer:
    """``make_optimizer("lookahead", base="adam", k=5, alpha=0.5, lr=...)``."""
    if base not in OPTIMIZERS or base == "lookahead":
        allowed = ", ".join(n for n in OPTIMIZERS if n != "lookahead")
        raise ValueError(f"optimizer 'lookahead': unknown base '{base}'. Allowed: {allowed}.")
    return bind(_wrap(OPTIMIZERS[base]), hyperparams, f"optimizer 'lookahead({base})'", label,
                extra={"base": base})


def lookahead_spec() -> OptimizerSpec:
    """The registry entry; built after the other optimizers so that ``base`` can list them."""
    base = ParamSpec("base", "base", "adam", kind="choice", per_trajectory=False,
                     choices=tuple(OPTIMIZERS),
                     help="The optimizer that takes the fast steps")
    return OptimizerSpec(
        name="lookahead", title="Lookahead",
        params=(base, _K, _ALPHA), init=None, step=None,
        latex=_wrap(OPTIMIZERS["adam"]).latex,
        reference="pytorch_optimizer.Lookahead (Zhang, Lucas, Hinton & Ba, 2019)",
        description="Wraps any optimizer: k fast steps, then the slow weights move part of the way.",
        build=make_lookahead,
    )

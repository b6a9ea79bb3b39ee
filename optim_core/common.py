"""Hyperparameter specs shared by several optimizers (one definition, many rules)."""

from __future__ import annotations

from paramspec import ParamSpec


def lr(default: float, torch_default: float | None = None) -> ParamSpec:
    note = f" (torch default {torch_default:g})" if torch_default is not None else ""
    return ParamSpec("lr", "α", default, 0.0, 100.0, log=True, low_open=True,
                     help="Learning rate: the step size" + note)


def beta1(default: float = 0.9) -> ParamSpec:
    return ParamSpec("beta1", "β₁", default, 0.0, 1.0, high_open=True,
                     help="Decay of the first-moment (gradient) average")


def beta2(default: float = 0.999) -> ParamSpec:
    return ParamSpec("beta2", "β₂", default, 0.0, 1.0, high_open=True,
                     help="Decay of the second-moment (squared gradient) average")


def eps(default: float) -> ParamSpec:
    return ParamSpec("eps", "ε", default, 0.0, 1.0, log=True,
                     help="Added to the denominator for numerical stability")


def weight_decay(default: float = 0.0) -> ParamSpec:
    return ParamSpec("weight_decay", "λ", default, 0.0, 10.0,
                     help="Weight decay: pulls the parameters toward the origin")


def momentum(default: float, symbol: str = "β") -> ParamSpec:
    return ParamSpec("momentum", symbol, default, 0.0, 1.0, high_open=True,
                     help="Momentum: how much of the previous velocity is kept")


def switch(name: str, symbol: str, default: bool, help: str) -> ParamSpec:
    return ParamSpec(name, symbol, default, kind="bool", help=help, per_trajectory=False)


def decoupled(default: bool = False) -> ParamSpec:
    return switch("decoupled_weight_decay", "decoupled", default,
                  "Decay the weights directly (AdamW style) instead of adding λw to the gradient")


def cautious() -> ParamSpec:
    return switch("cautious", "cautious", False,
                  "Cautious mask: skip coordinates where the update and the gradient disagree "
                  "in sign, and rescale the rest (Liang et al., 2024)")


def unless_cautious(settings: dict) -> bool:
    """``coordinatewise`` of a rule with the cautious switch: the mask's rescaling counts the
    kept coordinates of a trajectory, which couples them."""
    return not settings.get("cautious")

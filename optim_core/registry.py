"""The optimizer registry: specs as data, and :func:`make_optimizer` that validates against them.

An optimizer is a pair of pure functions over arrays of shape (N, 2) (N trajectories):

* ``init(params, hp, xp) -> state``: a NamedTuple of arrays;
* ``step(grads, state, params, hp, t, xp) -> (params, state)``: step ``t`` (1-based).

``step`` returns the new parameters rather than an additive update (as optax's ``update``
does): it lets each rule follow its reference's order of floating-point operations (torch's
``addcdiv_(a, b, value=v)`` rounds ``p + (v * a) / b``, ``addcmul_`` ``p + (v * a) * b``), so
that paths agree with torch.optim to round-off. ``hp`` maps hyperparameter names to Python
floats / bools or arrays of shape (N, 1); ``hp["lr"]`` already includes the schedule.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from paramspec import ParamSpec, validate_params

OPTIMIZERS: dict[str, OptimizerSpec] = {}
# What a state field may mean: "velocity" (heavy-ball buffer: the step is −α times it, or
# nearly), "first moment" (an average of gradients), "second moment" (an average of squared
# gradients), "slow weights" (Lookahead's φ, a point of its own).
STATE_ROLES = ("velocity", "first moment", "second moment", "slow weights")


@dataclass(frozen=True)
class OptimizerSpec:
    """Everything the engine, the UI and the docs need to know about one optimizer."""

    name: str
    title: str
    params: tuple[ParamSpec, ...]
    init: Callable
    step: Callable
    latex: str
    reference: str
    description: str
    fixed: dict[str, Any] = field(default_factory=dict)
    build: Callable[..., Optimizer] | None = None
    check: Callable[[dict[str, Any]], None] | None = None  # rules across hyperparameters
    inner: OptimizerSpec | None = None  # the wrapped optimizer of a wrapper (Lookahead's base)
    # ``drawn(p, state, hp, xp) -> (N, 2)``: the point to show when it is not the parameter
    # the gradient is taken at (Schedule-Free's average x); None: the parameter itself.
    drawn: Callable | None = None
    # ``heavy_ball(settings) -> (α', β, λ) | None``: the rule read as Polyak's heavy ball
    # w ← w − α'(∇f + λw) + β(w − w_prev) (see :mod:`optim_core.theory`), or None where these
    # settings make it something else (Nesterov); values may be arrays. None: never heavy ball.
    heavy_ball: Callable[[dict[str, Any]], tuple | None] | None = None
    # What the step reads from the surface beyond the gradient (optax's "extra args"), passed
    # as keywords (see :mod:`optim_core.surface_terms`): "value" -> ``f`` (N,), "hessian" ->
    # ``hessian`` (N, 2, 2), "min_value" -> ``f_star`` (the surface's known minimum or None).
    needs: tuple[str, ...] = ()
    # ``coordinatewise``: the rule treats each coordinate on its own (no norm, sum or matrix
    # across a trajectory's two coordinates), so run on one coordinate column alone it gives
    # the same numbers; the compiled engine then runs a chunk as one loop over the batch. A
    # bool, or a function of the settings (where a switch couples the coordinates).
    coordinatewise: bool | Callable[[dict[str, Any]], bool] = False

    def is_coordinatewise(self, settings: dict[str, Any]) -> bool:
        """Whether, with these settings, the rule treats each coordinate on its own."""
        cw = self.coordinatewise
        return bool(cw(settings) if callable(cw) else cw) and not self.needs

    # What the state's fields mean, for drawing them on the path: field path ("m"; "base.m"
    # inside a wrapper) → one of STATE_ROLES. Fields not named here are recorded, not drawn.
    state_roles: dict[str, str] = field(default_factory=dict)
    # ``step_scale(state, hp, t, xp) -> (N, 2)``: a per-coordinate adaptive rule's step scale
    # α/(√v̂ + ε) after step t (what multiplies its first moment); None: not such a rule.
    step_scale: Callable | None = None


def register(spec: OptimizerSpec) -> OptimizerSpec:
    if spec.name in OPTIMIZERS:
        raise ValueError(f"Optimizer '{spec.name}' is already registered.")
    unknown = set(spec.state_roles.values()) - set(STATE_ROLES)
    if unknown:
        raise ValueError(f"Optimizer '{spec.name}': unknown state roles {sorted(unknown)}; "
                         f"allowed: {', '.join(STATE_ROLES)}.")
    OPTIMIZERS[spec.name] = spec
    return spec


@dataclass(frozen=True)
class Optimizer:
    """An optimizer with validated hyperparameters, ready for :func:`optim_core.run`."""

    spec: OptimizerSpec
    hyperparams: dict[str, Any]
    label: str = ""

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def display_name(self) -> str:
        return self.label or self.spec.title

    def batch_size(self) -> int | None:
        """N implied by per-trajectory hyperparameter arrays, or None if all are scalars."""
        sizes = {len(v) for v in self.hyperparams.values() if isinstance(v, np.ndarray)}
        if len(sizes - {1}) > 1:
            lengths = {k: len(v) for k, v in self.hyperparams.items() if isinstance(v, np.ndarray)}
            raise ValueError(
                f"{self.spec.name}: per-trajectory hyperparameters have different lengths "
                f"{lengths}; give each N values (or one to share)."
            )
        return max(sizes) if sizes else None

    @property
    def settings(self) -> dict[str, Any]:
        """What the rule reads: the hyperparameters plus the spec's fixed switches."""
        return {**self.spec.fixed, **self.hyperparams}


def bind(spec: OptimizerSpec, hyperparams: dict[str, Any], owner: str, label: str = "",
         extra: dict[str, Any] | None = None) -> Optimizer:
    """Validate ``hyperparams`` against ``spec`` (ranges, cross-parameter rules, array
    lengths) and return the :class:`Optimizer`; ``extra`` is stored as given (e.g. a base)."""
    values = validate_params(spec.params, hyperparams, owner)
    if spec.check is not None:
        spec.check({**spec.fixed, **values})
    opt = Optimizer(spec, {**values, **(extra or {})}, label)
    opt.batch_size()
    return opt


def make_optimizer(name: str, *, label: str = "", **hyperparams) -> Optimizer:
    """Build a registered optimizer, e.g. ``make_optimizer("adam", lr=0.01, beta1=0.9)``.

    Unknown names or out-of-range values raise ``ValueError`` saying what is allowed.
    Numeric hyperparameters may be arrays of shape (N,): one value per trajectory.
    """
    if name not in OPTIMIZERS:
        raise ValueError(f"Unknown optimizer '{name}'. Available: {', '.join(OPTIMIZERS)}.")
    spec = OPTIMIZERS[name]
    if spec.build is not None:
        return spec.build(label=label, **hyperparams)
    return bind(spec, hyperparams, f"optimizer '{name}'", label)

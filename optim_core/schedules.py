"""Learning-rate schedules: a factor multiplying α at each step t = 1, 2, ….

Conventions follow torch.optim.lr_scheduler stepped once per optimizer step, so step t uses
the scheduler's "epoch" t − 1 (the first step always uses the full α, except in warm-up).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from paramspec import ParamSpec, validate_params


@dataclass(frozen=True)
class ScheduleSpec:
    name: str
    title: str
    params: tuple[ParamSpec, ...]
    factor: Callable[..., np.ndarray]
    latex: str


@dataclass(frozen=True)
class Schedule:
    """A schedule with validated parameters; ``factors(steps)`` gives the (steps,) multipliers."""

    spec: ScheduleSpec
    params: dict[str, Any] = field(default_factory=dict)

    def factors(self, steps: int) -> np.ndarray:
        t = np.arange(1, steps + 1, dtype=np.float64)
        return np.broadcast_to(self.spec.factor(t, steps, **self.params), t.shape).copy()


def _constant(t, steps):
    return np.ones_like(t)


def _step(t, steps, step_size, gamma):
    return gamma ** np.floor((t - 1) / step_size)


def _exponential(t, steps, gamma):
    return gamma ** (t - 1)


def _cosine_between(e, length, min_factor):
    return min_factor + (1 - min_factor) * (1 + np.cos(math.pi * e / length)) / 2


def _cosine(t, steps, min_factor):
    return _cosine_between(t - 1, steps, min_factor)


def _warmup_cosine(t, steps, warmup, min_factor):
    warm = t / warmup
    decay = _cosine_between(t - 1 - warmup, max(steps - warmup, 1), min_factor)
    return np.where(t <= warmup, warm, decay)


_GAMMA = ParamSpec("gamma", "γ", 0.5, 0.0, 1.0, low_open=True, help="Multiplier per decay",
                   per_trajectory=False)
_MIN = ParamSpec("min_factor", "η_min/α", 0.0, 0.0, 1.0, per_trajectory=False,
                 help="Final learning rate as a fraction of α")

SCHEDULES: dict[str, ScheduleSpec] = {s.name: s for s in (
    ScheduleSpec("constant", "Constant", (), _constant, r"\alpha_t = \alpha"),
    ScheduleSpec(
        "step", "Step decay",
        (ParamSpec("step_size", "s", 100, 1, 100000, kind="int", per_trajectory=False,
                   help="Steps between two decays"), _GAMMA),
        _step, r"\alpha_t = \alpha\, \gamma^{\lfloor (t-1)/s \rfloor}"),
    ScheduleSpec(
        "exponential", "Exponential",
        (ParamSpec("gamma", "γ", 0.99, 0.0, 1.0, low_open=True, per_trajectory=False,
                   help="Multiplier per step"),),
        _exponential, r"\alpha_t = \alpha\, \gamma^{t-1}"),
    ScheduleSpec(
        "cosine", "Cosine", (_MIN,), _cosine,
        r"\alpha_t = \alpha\left[m + (1-m)\tfrac{1 + \cos(\pi (t-1)/T)}{2}\right]"),
    ScheduleSpec(
        "warmup_cosine", "Linear warm-up, then cosine",
        (ParamSpec("warmup", "W", 50, 1, 100000, kind="int", per_trajectory=False,
                   help="Steps of linear warm-up"), _MIN),
        _warmup_cosine,
        r"\alpha_t = \alpha \begin{cases} t/W & t \le W \\ "
        r"m + (1-m)\tfrac{1 + \cos(\pi (t-1-W)/(T-W))}{2} & t > W \end{cases}"),
)}


def make_schedule(name: str, **params) -> Schedule:
    """``make_schedule("cosine", min_factor=0.1)``; ``ValueError`` lists what is allowed."""
    if name not in SCHEDULES:
        raise ValueError(f"Unknown schedule '{name}'. Available: {', '.join(SCHEDULES)}.")
    spec = SCHEDULES[name]
    return Schedule(spec, validate_params(spec.params, params, f"schedule '{name}'"))


def as_schedule(schedule: Schedule | str | dict | None) -> Schedule:
    """Accept a Schedule, a name, ``{"name": ..., **params}`` or None (constant)."""
    if schedule is None:
        return make_schedule("constant")
    if isinstance(schedule, Schedule):
        return schedule
    if isinstance(schedule, str):
        return make_schedule(schedule)
    if isinstance(schedule, dict):
        params = dict(schedule)
        return make_schedule(params.pop("name", "constant"), **params)
    raise ValueError("schedule must be None, a name, a dict with 'name', or a Schedule.")

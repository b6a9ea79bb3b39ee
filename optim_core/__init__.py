"""Vectorized optimizers as pure (init, step) pairs, their registry, schedules and the engine."""

from . import catalog  # noqa: F401  (registers the built-in optimizers)
from .backend import resolve_backend, torch_available
from .engine import RunResult, run, run_many
from .params import ParamSpec
from .registry import OPTIMIZERS, Optimizer, OptimizerSpec, make_optimizer
from .schedules import SCHEDULES, Schedule, make_schedule
from .stepping import STOP_REASONS

__all__ = [
    "OPTIMIZERS", "SCHEDULES", "STOP_REASONS", "Optimizer", "OptimizerSpec", "ParamSpec", "RunResult",
    "Schedule", "make_optimizer", "make_schedule", "resolve_backend", "run", "run_many",
    "torch_available",
]

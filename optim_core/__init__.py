"""Vectorized optimizers as pure (init, step) pairs, their registry, schedules and the engine."""

from paramspec import ParamSpec

from . import catalog  # noqa: F401  (registers the built-in optimizers)
from .backend import resolve_backend, torch_available
from .engine import RunResult, run, run_many
from .explore import BasinResult, EnsembleResult, SweepResult, basins, ensemble, sweep
from .registry import OPTIMIZERS, Optimizer, OptimizerSpec, make_optimizer
from .schedules import SCHEDULES, Schedule, make_schedule
from .scrub import ScrubResult, scrub, scrub_values
from .stepping import STOP_REASONS
from .theory import heavy_ball_lr_limit, heavy_ball_rate, quadratic_curvatures
from .trace import trace

__all__ = [
    "OPTIMIZERS", "SCHEDULES", "STOP_REASONS", "BasinResult", "EnsembleResult", "Optimizer", "OptimizerSpec",
    "ParamSpec", "RunResult", "Schedule", "ScrubResult", "SweepResult", "basins", "ensemble",
    "heavy_ball_lr_limit", "heavy_ball_rate", "make_optimizer", "make_schedule",
    "quadratic_curvatures", "resolve_backend", "run", "run_many", "scrub",
    "scrub_values", "sweep", "torch_available",
    "trace",
]

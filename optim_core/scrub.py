r"""One hyperparameter scrubbed across its range: the paths for M values of it from one start, in
ONE vectorized run (value i is trajectory i), for a slider that morphs the path in the browser.

The values (:func:`scrub_values`) cover the spec's range the way its control does: geometric
where the spec is log (from :func:`paramspec.log_floor` to ``high``), crowding toward
1 for a decay rate in [0, 1) (:math:`\beta_i = 1 - 10^{-4i/(M-1)}`, 0 to 0.9999), evenly spaced
otherwise (an open end pulled in by 1 % of the range), whole numbers for an integer. Values that
break a rule across hyperparameters with the other settings (Nesterov needs μ > 0) are left out.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from paramspec import ParamSpec, is_decay, log_floor, varied

from .engine import RunResult, run
from .explore import _resolve
from .registry import Optimizer, make_optimizer

SCRUB_VALUES = 64
MAX_SCRUB_VALUES = 256
_DECAY_DECADES = 4  # a decay rate's values reach 1 − 10⁻⁴


@dataclass(frozen=True)
class ScrubResult:
    """``values`` (M,) of hyperparameter ``param`` (its ``spec``) and ``result``: the run with
    trajectory i using ``values[i]`` (``result.path`` is (R, M, 2))."""

    param: str
    spec: ParamSpec
    values: np.ndarray
    result: RunResult


def scrub_values(spec: ParamSpec, count: int = SCRUB_VALUES) -> np.ndarray:
    """``count`` values across ``spec``'s range, ascending (see the module notes)."""
    if spec.log:
        values = np.geomspace(log_floor(spec), spec.high, count)
    elif is_decay(spec):
        values = 1.0 - np.geomspace(1.0, 10.0 ** -_DECAY_DECADES, count)
    else:
        pad = (spec.high - spec.low) / 100
        values = np.linspace(spec.low + pad * spec.low_open, spec.high - pad * spec.high_open, count)
    if spec.kind == "int":
        values = np.unique(np.round(values))
    return np.array([v for v in values if spec._in_range(float(v))])


def _rebuilt(optimizer: Optimizer, **values) -> Optimizer:
    return make_optimizer(optimizer.name, label=optimizer.label, **{**optimizer.hyperparams, **values})


def scrub(landscape, optimizer: Optimizer | str, param: str, start=None, steps: int = 500, *,
          values=None, count: int = SCRUB_VALUES, **run_kwargs) -> ScrubResult:
    """Paths of ``optimizer`` from ``start`` (default: the surface's) for many values of
    ``param``: ``values`` as given (a 1-D array within the spec's range), or ``count`` values
    from :func:`scrub_values`. The other hyperparameters are the optimizer's (single values).
    ``run_kwargs`` go to :func:`optim_core.run` (backend, noise, seed, schedule, batch_size, …).

    Without noise, path i equals, bit for bit, ``run`` with ``param=np.array([values[i]])``
    (the same code path; given as a Python float it agrees to round-off). With noise σ > 0,
    value i draws the i-th of M noise streams, so its path is not the single run's."""
    landscape, optimizer = _resolve(landscape, optimizer)
    specs = {p.name: p for p in varied(optimizer.spec.params)}
    if param not in specs:
        raise ValueError(f"{optimizer.name}: cannot scrub {param!r}; scrubbable: {', '.join(specs)}.")
    spec = specs[param]
    if values is None:
        if not (isinstance(count, int) and 2 <= count <= MAX_SCRUB_VALUES):
            raise ValueError(f"count must be a whole number from 2 to {MAX_SCRUB_VALUES}; got {count!r}.")
        values = [v for v in scrub_values(spec, count) if _allowed(optimizer, param, float(v))]
        if not values:
            raise ValueError(f"{optimizer.name}: no value of {param} in its range works with the "
                             "other settings.")
    values = np.asarray(values.detach().cpu() if hasattr(values, "detach") else values, dtype=np.float64)
    if values.ndim != 1 or not 1 <= values.size <= MAX_SCRUB_VALUES:
        raise ValueError(f"values must be a 1-D array of 1 to {MAX_SCRUB_VALUES} numbers; got shape "
                         f"{values.shape}.")
    if "record" in run_kwargs:
        raise ValueError("record is chosen by the scrub (every step is drawn); leave it out.")
    start = np.asarray(landscape.start if start is None else start, dtype=np.float64).reshape(-1)
    if start.size != 2:
        raise ValueError(f"start must be one point (x, y); got {start.size} numbers.")
    res = run(landscape, _rebuilt(optimizer, **{param: values}), start[None, :], steps, **run_kwargs)
    return ScrubResult(param, spec, values, res)


def _allowed(optimizer: Optimizer, param: str, value: float) -> bool:
    try:
        _rebuilt(optimizer, **{param: value})
    except ValueError:
        return False
    return True

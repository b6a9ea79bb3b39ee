"""Declarative parameter specs: the single source for validation, UI controls and docs."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class ParamSpec:
    """One tunable value: an optimizer hyperparameter or a surface parameter.

    ``kind`` is ``"float"``, ``"int"``, ``"bool"`` or ``"choice"``. Numeric values lie in
    ``[low, high]`` (an end is excluded when ``low_open`` / ``high_open``); ``log`` asks the UI
    for a log-scaled slider. ``default=None`` with ``optional=True`` means "automatic"
    (explained in ``help``). Numeric values may be a scalar or one value per trajectory
    (an array of shape (N,)) when ``per_trajectory`` is true.
    """

    name: str
    symbol: str
    default: Any
    low: float | None = None
    high: float | None = None
    log: bool = False
    kind: str = "float"
    help: str = ""
    low_open: bool = False
    high_open: bool = False
    choices: tuple[str, ...] = ()
    optional: bool = False
    per_trajectory: bool = True

    @property
    def range_text(self) -> str:
        """Human-readable allowed values, e.g. ``0 ≤ β1 < 1``."""
        if self.kind == "bool":
            return "True or False"
        if self.kind == "choice":
            return "one of " + ", ".join(repr(c) for c in self.choices)
        lo = "<" if self.low_open else "≤"
        hi = "<" if self.high_open else "≤"
        text = f"{_fmt(self.low)} {lo} {self.name} {hi} {_fmt(self.high)}"
        if self.kind == "int":
            text += " (whole number)"
        return text + (", or None for automatic" if self.optional else "")

    def validate(self, value: Any, owner: str) -> Any:
        """Return the checked value (float, int, bool, str, None or float64 array of shape (N,)).

        Raises ``ValueError`` naming ``owner``, the parameter and what is allowed.
        """
        if value is None and self.optional:
            return None
        if getattr(value, "ndim", None) == 0:  # 0-d NumPy / torch scalars
            value = value.item()
        if self.kind == "bool":
            if isinstance(value, bool | np.bool_):
                return bool(value)
            raise self._error(owner, value)
        if self.kind == "choice":
            if isinstance(value, str) and value in self.choices:
                return value
            raise self._error(owner, value)
        if _is_array_like(value):
            if not self.per_trajectory:
                raise ValueError(f"{owner}: {self.name} takes one value, not one per trajectory.")
            arr = _to_float_array(value, owner, self.name)
            bad = [v for v in arr.ravel().tolist() if not self._in_range(v)]
            if bad:
                raise self._error(owner, bad[0], note=" (in the per-trajectory array)")
            return arr
        if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
            raise self._error(owner, value)
        if not self._in_range(float(value)):
            raise self._error(owner, value)
        return int(value) if self.kind == "int" else float(value)

    def _in_range(self, v: float) -> bool:
        if not math.isfinite(v):
            return False
        if self.kind == "int" and not float(v).is_integer():
            return False
        if self.low is not None and (v < self.low or (self.low_open and v == self.low)):
            return False
        return not (self.high is not None and (v > self.high or (self.high_open and v == self.high)))

    def _error(self, owner: str, value: Any, note: str = "") -> ValueError:
        return ValueError(
            f"{owner}: {self.name} ({self.symbol}) got {value!r}{note}; allowed: {self.range_text}."
        )


def varied(specs) -> list[ParamSpec]:
    """The numeric parameters among ``specs`` that take one value per trajectory: those a
    sweep or a scrub may vary in one vectorized run."""
    return [p for p in specs if p.kind in ("float", "int") and p.per_trajectory]


AUTO_ANCHOR = 1e-12  # where an "automatic" (None) log value's scale is centred


def is_decay(spec: ParamSpec) -> bool:
    """A rate in [0, 1) such as β₁, β₂ or momentum: its interesting values crowd toward 1."""
    return spec.kind == "float" and spec.low == 0.0 and spec.high == 1.0 and spec.high_open


def log_floor(spec: ParamSpec) -> float:
    """The lowest value a log scale of ``spec`` shows: ``low``, or where the range reaches 0,
    four decades below the default's decade (below :data:`AUTO_ANCHOR`'s for an automatic one)."""
    if spec.low and spec.low > 0:
        return float(spec.low)
    anchor = spec.default if spec.default else AUTO_ANCHOR
    return 10.0 ** (math.floor(math.log10(anchor)) - 4)


def _fmt(v: float | None) -> str:
    if v is None:
        return "…"
    if v == math.inf:
        return "∞"
    return f"{v:g}"


def _is_array_like(value: Any) -> bool:
    return (hasattr(value, "shape") and getattr(value, "ndim", 0) > 0) or isinstance(value, list | tuple)


def _to_float_array(value: Any, owner: str, name: str) -> np.ndarray:
    if hasattr(value, "detach"):  # torch tensor
        value = value.detach().cpu().numpy()
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{owner}: {name} must be a number or an array of numbers.") from None
    if arr.ndim == 1 and arr.size == 0:
        raise ValueError(f"{owner}: {name} is an empty array; give one value per trajectory.")
    if arr.ndim != 1:
        raise ValueError(
            f"{owner}: {name} must be a scalar or a 1-D array (one value per trajectory); "
            f"got shape {arr.shape}."
        )
    return arr


def validate_params(
    specs: tuple[ParamSpec, ...], values: dict[str, Any], owner: str
) -> dict[str, Any]:
    """Check ``values`` against ``specs``; fill defaults; reject unknown names."""
    by_name = {s.name: s for s in specs}
    unknown = sorted(set(values) - set(by_name))
    if unknown:
        allowed = ", ".join(by_name) or "none"
        raise ValueError(f"{owner}: unknown parameter(s) {', '.join(unknown)}; allowed: {allowed}.")
    return {
        s.name: s.validate(values[s.name], owner) if s.name in values else s.default
        for s in specs
    }

"""Widgets built from ParamSpecs: the scale of each control is read from the spec (log scale,
a decay rate in [0, 1), a linear range, a switch, a choice), never from a parameter's name."""

from __future__ import annotations

import math
import re
from collections.abc import MutableMapping
from typing import Any

import streamlit as st

from optim_core import OPTIMIZERS, ParamSpec
from paramspec import AUTO_ANCHOR, is_decay, log_floor

from . import keys
from .labels import format_value

_DECAY_OPTIONS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.97, 0.98, 0.99,
                  0.995, 0.998, 0.999, 0.9995, 0.9999, 0.99999)
_LOG_MANTISSAS = (1.0, 2.0, 5.0)
_MAX_SLIDER_INTS = 1000  # wider whole-number ranges get a number box


def option_values(spec: ParamSpec) -> list[float] | None:
    """The stops of a stepped slider for ``spec``, or None where a plain slider fits.

    Log-scaled values get 1-2-5 stops per decade from ``low`` (or, for a range open at 0,
    four decades below the default) to ``high``, plus 0 where 0 is allowed; decay rates get
    stops that crowd toward 1. The default is always a stop."""
    if spec.kind != "float" or not (spec.log or is_decay(spec)):
        return None
    if is_decay(spec):
        values = set(_DECAY_OPTIONS)
    else:
        lo = log_floor(spec)
        decades = range(math.floor(math.log10(lo)), math.ceil(math.log10(spec.high)) + 1)
        values = {m * 10.0**e for e in decades for m in _LOG_MANTISSAS}
        values = {float(f"{v:.3g}") for v in values if lo * (1 - 1e-12) <= v <= spec.high * (1 + 1e-12)}
        if spec.low == 0.0 and not spec.low_open:
            values.add(0.0)
    if spec.default is not None:
        values.add(float(spec.default))
    return sorted(v for v in values if spec._in_range(v))


def nearest(options: list, value: Any) -> Any:
    """The option closest to ``value`` (on a log scale for positive values)."""
    if value in options:
        return value
    def distance(o):
        if o > 0 and value > 0:
            return abs(math.log(o) - math.log(value))
        return abs(o - value) + (1e9 if (o > 0) != (value > 0) else 0.0)
    return min(options, key=distance)


def linear_step(spec: ParamSpec) -> float:
    """A round slider step giving about 200–2000 positions over the range."""
    return 10.0 ** math.floor(math.log10((spec.high - spec.low) / 200))


def label(spec: ParamSpec) -> str:
    """Widget label: symbol and the help's first phrase, whole and without its asides in
    parentheses (the sidebar wraps it; the whole help is in the control's tooltip), e.g.
    ``α · Learning rate``, ``β₂ · Decay of the second-moment average``."""
    if spec.kind == "bool":
        return spec.symbol
    phrase = re.split(r"[:;]", re.sub(r"\s*\([^()]*\)", "", spec.help), maxsplit=1)[0].strip()
    return f"{spec.symbol} · {phrase}"


def _prepare(state: MutableMapping, key: str, default: Any, options: list | None = None,
             spec: ParamSpec | None = None) -> list | None:
    """Put the default in session state (widgets then take no ``value``, so state set by a
    preset or a reset never conflicts with one) and return the options to offer. A value the
    spec allows but the stops lack (from a preset or a link) becomes a stop, so it is shown
    exactly; any other value gives way to the default."""
    state.setdefault(key, default)
    if options is None or state[key] in options:
        return options
    if spec is not None and _allowed(spec, state[key]):
        return sorted({*options, float(state[key])})
    state[key] = default
    return options


def _allowed(spec: ParamSpec, value: Any) -> bool:
    try:
        spec.validate(value, "")
    except ValueError:
        return False
    return True


def param_widget(spec: ParamSpec, key: str, container=st) -> Any:
    """Draw the control for ``spec`` under ``key`` and return its value (the spec's default
    unless session state already holds one)."""
    state = st.session_state
    help_text = f"{spec.help}. Allowed: {spec.range_text}."
    name = label(spec)
    if spec.kind == "bool":
        _prepare(state, key, bool(spec.default))
        return container.toggle(name, key=key, help=help_text)
    if spec.kind == "choice":
        _prepare(state, key, spec.default, list(spec.choices))
        return container.selectbox(name, spec.choices, key=key, help=help_text,
                                   format_func=lambda c: OPTIMIZERS[c].title if c in OPTIMIZERS else c)
    if spec.optional:
        _prepare(state, keys.auto(key), spec.default is None)
        if container.checkbox(f"{spec.symbol}: automatic", key=keys.auto(key), help=spec.help):
            return None
    options = option_values(spec)
    if options is not None:
        default = spec.default if spec.default is not None else nearest(options, AUTO_ANCHOR)
        options = _prepare(state, key, default, options, spec)
        return container.select_slider(name, options, key=key, format_func=format_value, help=help_text)
    if spec.kind == "int":
        _prepare(state, key, int(spec.default))
        state[key] = min(max(int(state[key]), int(spec.low)), int(spec.high))
        if spec.high - spec.low > _MAX_SLIDER_INTS:
            return int(container.number_input(name, int(spec.low), int(spec.high), step=1, key=key,
                                              help=help_text))
        return container.slider(name, int(spec.low), int(spec.high), key=key, help=help_text)
    step = linear_step(spec)
    low = spec.low + step if spec.low_open else spec.low
    high = spec.high - step if spec.high_open else spec.high
    _prepare(state, key, float(spec.default))
    value = float(state[key])
    if _allowed(spec, value):  # a finer allowed value (from a preset or link) widens the track
        low, high = min(low, value), max(high, value)
    else:
        state[key] = min(max(value, low), high)
    return container.slider(name, float(low), float(high), step=step, key=key, help=help_text,
                            format="%g")

"""Names of drawn optimizers: the title plus what differs from the defaults, so that two Adams
read "Adam (α=0.1)" and "Adam (α=0.01)" in legends and tables."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any


def format_value(value: Any) -> str:
    """The shortest text that reads back as the value itself (``0.001``, ``1e-08``,
    ``0.9999999``, ``100``), ``on`` / ``off`` and ``auto``: a label never rounds a setting."""
    if value is None:
        return "auto"
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, float):
        text = repr(value)
        return text[:-2] if text.endswith(".0") else text
    return str(value)


def describe(title: str, specs, values: dict, batch: int | None = None) -> str:
    """``title`` plus every setting that differs from its default, compactly: ``α=0.1``, a
    switch by its name when turned on (``AMSGrad``) and ``… off`` when turned off, e.g.
    ``Adam (α=0.1, β₁=0.5, ε=1e-06, AMSGrad)``; then ``B=8``, a mini-batch size (None: the
    full batch, not named)."""
    changed = [_change(s, values[s.name]) for s in specs if s.name in values and values[s.name] != s.default]
    if batch is not None:
        changed.append(f"B={batch}")
    return f"{title} ({', '.join(changed)})" if changed else title


def _change(spec, value) -> str:
    if isinstance(value, bool):
        return spec.symbol if value else f"{spec.symbol} off"
    return f"{spec.symbol}={format_value(value)}"


def unique(labels: list[str]) -> list[str]:
    """Number repeated labels: ``Adam``, ``Adam #2``."""
    seen: Counter = Counter()
    out = []
    for text in labels:
        seen[text] += 1
        out.append(text if seen[text] == 1 else f"{text} #{seen[text]}")
    return out


def md(text: str) -> str:
    """``text`` shown literally inside Streamlit Markdown: a typed formula such as
    ``x**2 + y**2`` must not turn bold, nor ``$…$`` into math."""
    return re.sub(r"([\\`*_{}\[\]()#+\-.!|~<>$])", r"\\\1", str(text))

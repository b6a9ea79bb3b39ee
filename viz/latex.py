"""LaTeX for hyperparameter values, so each update rule is shown with the numbers in use."""

from __future__ import annotations

import math
import re

import numpy as np

_GREEK = {"α": r"\alpha", "β": r"\beta", "γ": r"\gamma", "ε": r"\varepsilon", "η": r"\eta",
          "λ": r"\lambda", "μ": r"\mu", "ρ": r"\rho", "σ": r"\sigma", "τ": r"\tau", "ψ": r"\psi",
          "θ": r"\theta", "κ": r"\kappa", "φ": r"\phi"}
_SUBSCRIPTS = str.maketrans("₀₁₂₃₄₅₆₇₈₉", "0123456789")


def symbol_latex(symbol: str) -> str:
    r"""LaTeX of a ParamSpec symbol: ``β₁`` → ``\beta_{1}``, ``α_slow`` → ``\alpha_{\text{slow}}``,
    ``η_min/α`` → ``\eta_{\text{min}}/\alpha``; words become ``\text{…}``."""
    if " " in symbol or (len(symbol) > 1 and symbol.isalpha() and symbol.isascii()):
        return rf"\text{{{symbol}}}"
    out = []
    for part in re.split(r"(/)", symbol):
        if part == "/":
            out.append("/")
            continue
        head, _, sub = part.partition("_")
        digits = "".join(c for c in head if c in "₀₁₂₃₄₅₆₇₈₉").translate(_SUBSCRIPTS)
        head = "".join(_GREEK.get(c, c) for c in head if c not in "₀₁₂₃₄₅₆₇₈₉")
        sub = digits or (rf"\text{{{sub}}}" if sub else "")
        out.append(f"{head}_{{{sub}}}" if sub else head)
    return "".join(out)


def value_latex(value) -> str:
    r"""A value in LaTeX, in the fewest digits that give back the value itself: ``1e-08`` →
    ``10^{-8}``, ``2.5e-05`` → ``2.5 \times 10^{-5}``, ``0.9999999`` as is; booleans as
    on / off, None as auto, text upright."""
    if value is None:
        return r"\text{auto}"
    if isinstance(value, bool):
        return r"\text{on}" if value else r"\text{off}"
    if isinstance(value, str):
        return rf"\text{{{value}}}"
    v = float(value)
    if v != 0 and math.isfinite(v) and not 1e-3 <= abs(v) < 1e5:
        mantissa, exponent = np.format_float_scientific(v, unique=True, trim="-").split("e")
        power = f"10^{{{int(exponent)}}}"
        mantissa = mantissa.rstrip(".")
        if mantissa in ("1", "-1"):
            return mantissa.replace("1", "") + power
        return rf"{mantissa} \times {power}"
    return np.format_float_positional(v, unique=True, trim="-")


def values_latex(specs, values: dict) -> str:
    r"""``\alpha = 0.01,\ \beta_{1} = 0.9, …`` for the given specs (in their order)."""
    return r",\quad ".join(f"{symbol_latex(s.symbol)} = {value_latex(values[s.name])}"
                           for s in specs if s.name in values)

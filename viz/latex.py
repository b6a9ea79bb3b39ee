"""LaTeX for hyperparameter values, so each update rule is shown with the numbers in use."""

from __future__ import annotations

import math
import re

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
    r"""A value in LaTeX: ``1e-08`` → ``10^{-8}``, ``2.5e-05`` → ``2.5 \times 10^{-5}``,
    booleans as on / off, None as auto, text upright."""
    if value is None:
        return r"\text{auto}"
    if isinstance(value, bool):
        return r"\text{on}" if value else r"\text{off}"
    if isinstance(value, str):
        return rf"\text{{{value}}}"
    v = float(value)
    if v != 0 and math.isfinite(v) and not 1e-3 <= abs(v) < 1e5:
        mantissa, exponent = f"{v:.4g}".split("e") if "e" in f"{v:.4g}" else (f"{v:.4g}", "0")
        power = f"10^{{{int(exponent)}}}"
        return power if mantissa in ("1", "1.0") else rf"{mantissa} \times {power}"
    return f"{v:.6g}"


def values_latex(specs, values: dict) -> str:
    r"""``\alpha = 0.01,\ \beta_{1} = 0.9, …`` for the given specs (in their order)."""
    return r",\quad ".join(f"{symbol_latex(s.symbol)} = {value_latex(values[s.name])}"
                           for s in specs if s.name in values)

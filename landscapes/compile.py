"""Compile SymPy expressions in ``x, y`` into functions over array-API arrays.

Nothing is generated as source text: each SymPy node becomes a small closure that calls
``xp.<function>`` on the namespace of the input, so one compiled program serves NumPy and
torch (any device, any float dtype) and torch autograd can differentiate through it.
Common subexpressions of the value and the gradient are shared via :func:`sympy.cse`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import sympy as sp

from .formula import FormulaError, X, Y

Node = Callable[[dict, object], object]

_FUNCTION_NAMES = {
    sp.sin: "sin", sp.cos: "cos", sp.tan: "tan", sp.exp: "exp", sp.log: "log",
    sp.sinh: "sinh", sp.cosh: "cosh", sp.tanh: "tanh", sp.atan: "atan", sp.Abs: "abs",
    sp.sign: "sign",
}


def _constant(value: float) -> Node:
    return lambda env, xp: value


def _compile(expr: sp.Expr) -> Node:
    """Return ``node(env, xp)`` evaluating ``expr`` with symbols looked up in ``env``."""
    if expr.is_Symbol:
        return lambda env, xp, s=expr: env[s]
    if not expr.free_symbols:
        try:
            value = complex(expr.evalf())
        except (TypeError, ValueError, ArithmeticError):
            value = complex(math.nan)
        if value.imag != 0 or not math.isfinite(value.real):
            raise FormulaError(f"The formula has an undefined value ({str(expr)[:60]}), "
                               "e.g. log(0) or 1/0.")
        return _constant(value.real)
    if expr.is_Add:
        parts = [_compile(a) for a in expr.args]

        def add(env, xp):
            total = parts[0](env, xp)
            for part in parts[1:]:
                total = total + part(env, xp)
            return total

        return add
    if expr.is_Mul:
        coeff, rest = expr.as_coeff_Mul()
        if coeff == -1:
            inner = _compile(rest)
            return lambda env, xp: -inner(env, xp)
        parts = [_compile(a) for a in expr.args]

        def mul(env, xp):
            total = parts[0](env, xp)
            for part in parts[1:]:
                total = total * part(env, xp)
            return total

        return mul
    if expr.is_Pow:
        return _compile_pow(*expr.args)
    if isinstance(expr, sp.Function) and type(expr) in _FUNCTION_NAMES:
        name = _FUNCTION_NAMES[type(expr)]
        (arg,) = (_compile(a) for a in expr.args)
        return lambda env, xp: getattr(xp, name)(arg(env, xp))
    raise FormulaError(f"Cannot evaluate '{expr}' (unsupported operation {type(expr).__name__}).")


def _compile_pow(base: sp.Expr, exponent: sp.Expr) -> Node:
    if base == sp.E:
        e = _compile(exponent)
        return lambda env, xp: xp.exp(e(env, xp))
    b = _compile(base)
    if exponent.is_Number:
        n = float(exponent)
        if n == 2:
            return lambda env, xp: _square(b(env, xp))
        if n == 0.5:
            return lambda env, xp: xp.sqrt(b(env, xp))
        if n == -1:
            return lambda env, xp: 1.0 / b(env, xp)
        if n == -0.5:
            return lambda env, xp: 1.0 / xp.sqrt(b(env, xp))
        if n.is_integer():
            k = int(n)
            return lambda env, xp: b(env, xp) ** k
        return lambda env, xp: b(env, xp) ** n
    e = _compile(exponent)
    return lambda env, xp: b(env, xp) ** e(env, xp)


def _square(v):
    return v * v


class Program:
    """Evaluates several expressions of ``x, y`` together, sharing common subexpressions."""

    def __init__(self, exprs: Sequence[sp.Expr]):
        replacements, reduced = sp.cse(list(exprs), optimizations="basic")
        self._steps = [(sym, _compile(e)) for sym, e in replacements]
        self._outputs = [_compile(e) for e in reduced]

    def __call__(self, x, y, xp) -> list:
        env = {X: x, Y: y}
        for sym, node in self._steps:
            env[sym] = node(env, xp)
        return [_full(node(env, xp), x, xp) for node in self._outputs]


def _full(value, like, xp):
    """Broadcast a constant (Python float) result to the shape, dtype and device of ``like``."""
    if isinstance(value, float | int):
        return xp.full_like(like, float(value))
    return value

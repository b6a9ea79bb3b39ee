"""Compile SymPy expressions in ``x, y`` into a straight-line program over array-API arrays.

Nothing is generated as source text. The expressions (with common subexpressions shared via
:func:`sympy.cse`) become a flat list of instructions ``(function, i, j)``, each calling
``xp.<function>`` or an operator on earlier results, so one program serves NumPy and torch
(any device, any float dtype) and torch autograd can differentiate through it. Operations on
constants only are done once, here, in float64 (so no Python float ever reaches a torch
function). A program is plain data (module-level functions, indices, floats): it pickles, so
a worker process can build it, and :attr:`Program.size` is the work it does per evaluation.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import sympy as sp

from .formula import FormulaError, RealAbs, RealSign, X, Y


def _add(xp, a, b):
    return a + b


def _sub(xp, a, b):
    return a - b


def _mul(xp, a, b):
    return a * b


def _div(xp, a, b):
    return a / b


def _pow(xp, a, b):
    return a**b


def _neg(xp, a, _):
    return -a


def _square(xp, a, _):
    return a * a


def _recip(xp, a, _):
    return 1.0 / a


def _rsqrt(xp, a, _):
    return 1.0 / xp.sqrt(a)


def _function(name: str):
    def call(xp, a, _):
        return getattr(xp, name)(a)

    call.__name__ = call.__qualname__ = f"_{name}"
    return call


_FUNCTION_NAMES = {
    sp.sin: "sin", sp.cos: "cos", sp.tan: "tan", sp.exp: "exp", sp.log: "log",
    sp.sinh: "sinh", sp.cosh: "cosh", sp.tanh: "tanh", sp.atan: "atan",
    RealAbs: "abs", RealSign: "sign", sp.Abs: "abs", sp.sign: "sign",
}
# one module-level function per name, so instructions pickle by reference
for _name in {*_FUNCTION_NAMES.values(), "sqrt"}:
    globals()[f"_{_name}"] = _function(_name)
_CALLS = {name: globals()[f"_{name}"] for name in {*_FUNCTION_NAMES.values(), "sqrt"}}

# register index of a value: 0 = x, 1 = y, then constants, then instruction results
Ref = tuple[str, int]  # ("v", 0 | 1), ("c", k) or ("i", k)


class _Emitter:
    """Turns SymPy nodes into instructions; operations on constants are folded in float64."""

    def __init__(self):
        self.constants: list[float] = []
        self.code: list[tuple] = []
        self.env: dict[sp.Symbol, Ref] = {X: ("v", 0), Y: ("v", 1)}

    def constant(self, value: float) -> Ref:
        value = float(value)
        if not math.isfinite(value):
            raise FormulaError("The formula has an undefined value (e.g. log(0) or 1/0) everywhere.")
        self.constants.append(value)
        return "c", len(self.constants) - 1

    def emit(self, fn, a: Ref, b: Ref | None = None) -> Ref:
        if a[0] == "c" and (b is None or b[0] == "c"):
            with np.errstate(all="ignore"):
                value = fn(np, np.float64(self.constants[a[1]]),
                           None if b is None else np.float64(self.constants[b[1]]))
            return self.constant(value)
        self.code.append((fn, a, b))
        return "i", len(self.code) - 1

    def compile(self, expr: sp.Expr) -> Ref:
        """Emit ``expr``; returns the reference of its value."""
        if expr in self.env:
            return self.env[expr]
        if not expr.free_symbols:
            try:
                value = complex(expr.evalf())
            except (TypeError, ValueError, ArithmeticError):
                value = complex(math.nan)
            if value.imag != 0:
                value = complex(math.nan)
            return self.constant(value.real)
        if expr.is_Add or expr.is_Mul:
            return self._chain(expr)
        if expr.is_Pow:
            return self._pow(*expr.args)
        if isinstance(expr, sp.Function) and type(expr) in _FUNCTION_NAMES:
            return self.emit(_CALLS[_FUNCTION_NAMES[type(expr)]], self.compile(expr.args[0]))
        raise FormulaError(f"Cannot evaluate '{str(expr)[:60]}' "
                           f"(unsupported operation {type(expr).__name__}).")

    def _chain(self, expr: sp.Expr) -> Ref:
        """a + b + c … (a − c for a term −1·c) or a·b·c … (−a for −1·a), left to right."""
        if expr.is_Mul:
            coeff, rest = expr.as_coeff_Mul()
            if coeff == -1:
                return self.emit(_neg, self.compile(rest))
        total = self.compile(expr.args[0])
        for arg in expr.args[1:]:
            if expr.is_Add:
                coeff, rest = arg.as_coeff_Mul()
                if coeff == -1:
                    total = self.emit(_sub, total, self.compile(rest))
                    continue
            total = self.emit(_add if expr.is_Add else _mul, total, self.compile(arg))
        return total

    def _pow(self, base: sp.Expr, exponent: sp.Expr) -> Ref:
        if base == sp.E:
            return self.emit(_CALLS["exp"], self.compile(exponent))
        b = self.compile(base)
        if exponent.is_Number:
            special = {2.0: _square, 0.5: _CALLS["sqrt"], -1.0: _recip, -0.5: _rsqrt}
            n = float(exponent)
            if n in special:
                return self.emit(special[n], b)
        return self.emit(_pow, b, self.compile(exponent))


class Program:
    """Evaluates several expressions of ``x, y`` together, sharing common subexpressions.

    ``size`` is the number of array operations one evaluation does (after sharing and
    constant folding): the work a step costs.
    """

    def __init__(self, exprs: Sequence[sp.Expr]):
        replacements, reduced = sp.cse(list(exprs), optimizations="basic")
        em = _Emitter()
        for sym, e in replacements:
            em.env[sym] = em.compile(e)
        outputs = [em.compile(e) for e in reduced]
        offsets = {"v": 0, "c": 2, "i": 2 + len(em.constants)}

        def index(ref):  # a one-argument instruction gets x as its unused second argument
            return 0 if ref is None else offsets[ref[0]] + ref[1]

        self.constants = tuple(em.constants)
        self.code = tuple((fn, index(a), index(b)) for fn, a, b in em.code)
        self.outputs = tuple(index(r) for r in outputs)

    @property
    def size(self) -> int:
        return len(self.code)

    def __call__(self, x, y, xp) -> list:
        regs = [x, y, *self.constants]
        for fn, a, b in self.code:
            regs.append(fn(xp, regs[a], regs[b]))
        return [_full(regs[i], x, xp) for i in self.outputs]


def _full(value, like, xp):
    """Broadcast a constant (Python float) result to the shape, dtype and device of ``like``."""
    if isinstance(value, float | int):
        return xp.full_like(like, float(value))
    return value

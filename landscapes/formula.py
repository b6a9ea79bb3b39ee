"""Safe formula parsing: text -> whitelisted Python ``ast`` -> SymPy expression.

User text is never passed to ``eval``, ``exec``, ``sympify`` or ``parse_expr``. The text is
parsed by :func:`ast.parse` in ``eval`` mode and walked node by node; only the node types
and names below are accepted and each one builds its SymPy object directly. The only symbols
are ``x`` and ``y`` (made here, never from user text); declared parameters become numbers.
Powers of two numbers are computed in floating point, so integer towers such as
``9**9**9**9`` fail fast with "too large" instead of hanging exact arithmetic.
"""

from __future__ import annotations

import ast
import math

import sympy as sp

X, Y = sp.symbols("x y", real=True)

MAX_LENGTH = 500
MAX_NODES = 300
MAX_DEPTH = 40
MAX_EXPONENT = 100
_MAX_EXACT_INT = 10**12

FUNCTIONS = {
    "sin": sp.sin, "cos": sp.cos, "tan": sp.tan,
    "exp": sp.exp, "log": sp.log, "sqrt": sp.sqrt, "abs": sp.Abs,
    "sinh": sp.sinh, "cosh": sp.cosh, "tanh": sp.tanh,
    "atan": sp.atan, "arctan": sp.atan,
}
CONSTANTS = {"pi": sp.pi, "e": sp.E}
VARIABLES = {"x": X, "y": Y}

_BINOPS = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow)
_ALLOWED_TEXT = (
    "numbers, x, y, + - * / ** (or ^), parentheses, the constants pi and e, "
    f"and the functions {', '.join(sorted(FUNCTIONS))}"
)


class FormulaError(ValueError):
    """A formula that cannot be accepted; the message says why and what is allowed."""


def _number(value: float | int) -> sp.Expr:
    """A SymPy number: small integers stay exact (clean LaTeX), everything else is a Float."""
    if isinstance(value, bool):
        raise FormulaError("True/False are not numbers here.")
    if not math.isfinite(value):
        raise FormulaError("A number in the formula is too large (overflow).")
    if float(value).is_integer() and abs(value) < _MAX_EXACT_INT:
        return sp.Integer(int(value))
    return sp.Float(float(value))


def _fold_power(base: sp.Expr, exponent: sp.Expr) -> sp.Expr:
    """``base**exponent`` with numeric operands computed in floats (no exact integer towers)."""
    if base.is_Number and exponent.is_Number:
        try:
            value = float(base) ** float(exponent)
        except (OverflowError, ZeroDivisionError) as exc:
            raise FormulaError(f"Cannot compute {base}**{exponent}: {exc}.") from None
        if isinstance(value, complex):
            raise FormulaError(f"{base}**{exponent} is not a real number.")
        return _number(value)
    if exponent.is_Number and abs(float(exponent)) > MAX_EXPONENT:
        raise FormulaError(f"Exponents are limited to ±{MAX_EXPONENT}; got {exponent}.")
    return sp.Pow(base, exponent)


class _Builder:
    """Walks a whitelisted AST and builds the SymPy expression."""

    def __init__(self, params: dict[str, float]):
        self.params = params
        self.nodes = 0

    def build(self, node: ast.AST, depth: int = 0) -> sp.Expr:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise FormulaError(f"The formula is too long: at most {MAX_NODES} parts.")
        if depth > MAX_DEPTH:
            raise FormulaError(f"The formula is nested too deeply: at most {MAX_DEPTH} levels.")
        method = getattr(self, "_" + type(node).__name__, None)
        if method is None:
            raise FormulaError(
                f"'{type(node).__name__}' is not allowed in a formula. Allowed: {_ALLOWED_TEXT}."
            )
        return method(node, depth + 1)

    def _Expression(self, node: ast.Expression, depth: int) -> sp.Expr:
        return self.build(node.body, depth)

    def _Constant(self, node: ast.Constant, depth: int) -> sp.Expr:
        if isinstance(node.value, bool) or not isinstance(node.value, int | float):
            raise FormulaError(f"Only real numbers are allowed as constants, not {node.value!r}.")
        return _number(node.value)

    def _Name(self, node: ast.Name, depth: int) -> sp.Expr:
        name = node.id
        if name in VARIABLES:
            return VARIABLES[name]
        if name in CONSTANTS:
            return CONSTANTS[name]
        if name in self.params:
            return _number(self.params[name])
        if name in FUNCTIONS:
            raise FormulaError(f"'{name}' is a function: write {name}(...).")
        allowed = ", ".join(sorted([*VARIABLES, *CONSTANTS, *self.params]))
        raise FormulaError(f"Unknown name '{name}'. Allowed names: {allowed}.")

    def _UnaryOp(self, node: ast.UnaryOp, depth: int) -> sp.Expr:
        operand = self.build(node.operand, depth)
        if isinstance(node.op, ast.USub):
            return -operand
        if isinstance(node.op, ast.UAdd):
            return operand
        raise FormulaError(f"The operator '{type(node.op).__name__}' is not allowed.")

    def _BinOp(self, node: ast.BinOp, depth: int) -> sp.Expr:
        if not isinstance(node.op, _BINOPS + (ast.BitXor,)):
            raise FormulaError(
                f"The operator '{type(node.op).__name__}' is not allowed; use + - * / **."
            )
        left = self.build(node.left, depth)
        right = self.build(node.right, depth)
        if isinstance(node.op, ast.Pow | ast.BitXor):
            return _fold_power(left, right)
        if isinstance(node.op, ast.Div) and right.is_zero:
            raise FormulaError("Division by zero in the formula.")
        ops = {ast.Add: sp.Add, ast.Sub: lambda a, b: a - b, ast.Mult: sp.Mul,
               ast.Div: lambda a, b: a / b}
        result = ops[type(node.op)](left, right)
        if result.is_Number and not math.isfinite(float(result)):
            raise FormulaError("A number in the formula is too large (overflow).")
        return result

    def _Call(self, node: ast.Call, depth: int) -> sp.Expr:
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            name = node.func.id if isinstance(node.func, ast.Name) else "this call"
            raise FormulaError(
                f"Unknown function '{name}'. Allowed: {', '.join(sorted(FUNCTIONS))}."
            )
        if node.keywords or len(node.args) != 1:
            raise FormulaError(f"{node.func.id}() takes exactly one argument.")
        arg = self.build(node.args[0], depth)
        return FUNCTIONS[node.func.id](arg)


def parse_formula(text: str, params: dict[str, float] | None = None) -> sp.Expr:
    """Parse ``text`` into a SymPy expression in ``x`` and ``y``.

    ``params`` maps declared parameter names to numbers substituted as constants.
    Raises :class:`FormulaError` (a ``ValueError``) with a message saying what is allowed.
    """
    if not isinstance(text, str):
        raise FormulaError("A formula must be text.")
    text = text.strip()
    if not text:
        raise FormulaError("The formula is empty. Example: x**2 + 10*y**2")
    if len(text) > MAX_LENGTH:
        raise FormulaError(f"The formula is too long: {len(text)} characters, at most {MAX_LENGTH}.")
    try:
        tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        raise FormulaError(f"The formula is not valid: {exc.msg} (column {exc.offset}).") from None
    except (ValueError, RecursionError, MemoryError):
        raise FormulaError("The formula could not be read.") from None
    expr = _Builder(dict(params or {})).build(tree)
    if not expr.free_symbols <= {X, Y}:
        raise FormulaError("The formula may use only x and y as variables.")
    return expr

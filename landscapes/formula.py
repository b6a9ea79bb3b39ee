"""Safe formula parsing: text -> whitelisted Python ``ast`` -> SymPy expression.

User text is never passed to ``eval``, ``exec``, ``sympify`` or ``parse_expr``. The text is
parsed by :func:`ast.parse` in ``eval`` mode and walked node by node; only the node types
and names below are accepted and each one builds its SymPy object directly. The only symbols
are ``x`` and ``y`` (made here, never from user text); declared parameters become numbers.
Every constant subexpression is also computed in floating point as it is built, so
``9**9**9**9`` or ``exp(exp(exp(100)))`` fail fast with "too large" instead of hanging
exact arithmetic. That includes constants SymPy folds out of variables as it builds
(``x/x`` → 1, ``x - x`` → 0, ``y**0`` → 1, ``sin(pi)`` → 0): every node is checked *after*
SymPy has built it. ``^`` means power, as in written math.
"""

from __future__ import annotations

import ast
import math
import unicodedata

import sympy as sp

X, Y = sp.symbols("x y", real=True)

MAX_LENGTH = 500
MAX_NODES = 300
MAX_DEPTH = 40
MAX_EXPONENT = 100
_MAX_EXACT_INT = 10**12



class RealSign(sp.Function):
    """sign(u) of a real u: −1, 0 or 1. Folds only numbers (no assumption queries). Its
    derivative is taken as 0 everywhere (true off u = 0), so |u|'s second derivative is 0."""

    nargs = 1

    @classmethod
    def eval(cls, arg):
        if arg.is_Number:
            return sp.sign(arg)
        return None

    def fdiff(self, argindex=1):
        return sp.S.Zero

    def _latex(self, printer, exp=None):
        tex = rf"\operatorname{{sign}}{{\left({printer._print(self.args[0])} \right)}}"
        return tex if exp is None else rf"{tex}^{{{exp}}}"


class RealAbs(sp.Function):
    r"""|u| of a real u, with :math:`\frac{d}{dt}|u| = \operatorname{sign}(u)\,u'`.

    SymPy's ``Abs`` cannot tell that ``sqrt(x)`` or ``x**y`` is real (they are complex for
    x < 0), so it differentiates through ``re`` and ``im`` and asks slow assumption queries.
    Every surface here is real where it is defined (NaN elsewhere), so |u| is |u| and its
    derivative at u = 0 is the subgradient 0 (sign(0) = 0).
    """

    nargs = 1

    @classmethod
    def eval(cls, arg):
        if arg.is_Number:
            return abs(arg)
        return None

    def fdiff(self, argindex=1):
        return RealSign(self.args[0])

    def _latex(self, printer, exp=None):
        tex = rf"\left|{{{printer._print(self.args[0])}}}\right|"
        return tex if exp is None else rf"{tex}^{{{exp}}}"


FUNCTIONS = {
    "sin": sp.sin, "cos": sp.cos, "tan": sp.tan,
    "exp": sp.exp, "log": sp.log, "sqrt": sp.sqrt, "abs": RealAbs,
    "sinh": sp.sinh, "cosh": sp.cosh, "tanh": sp.tanh,
    "atan": sp.atan, "arctan": sp.atan,
}
CONSTANTS = {"pi": sp.pi, "e": sp.E}
VARIABLES = {"x": X, "y": Y}

ALLOWED_TEXT = (
    "numbers, x, y, + - * / ** (or ^), parentheses, the constants pi and e, "
    f"and the functions {', '.join(sorted(FUNCTIONS))}"
)


# Characters that look like allowed ones but are not (names are Latin; operators ASCII).
LOOKALIKES = {
    "х": "x", "Х": "X", "у": "y", "У": "Y", "е": "e", "р": "p", "і": "i", "с": "c", "о": "o",
    "а": "a", "ѕ": "s", "η": "n", "χ": "x", "ο": "o", "ν": "v", "ρ": "p", "π": "pi",
    "−": "-", "–": "-", "×": "*", "·": "*", "÷": "/", "²": "**2", "³": "**3",
}


class FormulaError(ValueError):
    """A formula that cannot be accepted; the message says why and what is allowed."""


def _lookalike_hint(text: str) -> str:
    """A note on the first non-ASCII character, e.g. " 'х' is Cyrillic (CYRILLIC SMALL
    LETTER HA); did you mean Latin x?", or '' if there is none."""
    ch = next((c for c in text if not c.isascii()), None)
    if ch is None:
        return ""
    name = unicodedata.name(ch, f"U+{ord(ch):04X}")
    if unicodedata.category(ch).startswith("L"):
        what = f" '{ch}' is {name.split()[0].capitalize()} ({name})"
    else:
        what = f" '{ch}' ({name}) is not an ASCII character"
    if ch not in LOOKALIKES:
        return f"{what}: type formulas with plain ASCII letters and operators."
    latin = LOOKALIKES[ch]
    return f"{what}; did you mean {'Latin ' if len(latin) == 1 and latin.isalpha() else ''}{latin}?"


def _number(value: float | int) -> sp.Expr:
    """A SymPy number: small integers stay exact (clean LaTeX), everything else is a Float."""
    if not math.isfinite(value):
        raise FormulaError("A number in the formula is too large (overflow).")
    if float(value).is_integer() and abs(value) < _MAX_EXACT_INT:
        return sp.Integer(int(value))
    return sp.Float(float(value))


def _float(compute, what: str) -> float:
    """Run a float computation on constants; overflow and domain errors become FormulaError."""
    try:
        value = compute()
    except OverflowError:
        raise FormulaError(f"{what} is too large (overflow).") from None
    except (ValueError, ZeroDivisionError):
        raise FormulaError(f"{what} is undefined (e.g. log or sqrt of a negative number, "
                           "or a division by zero).") from None
    if isinstance(value, complex):
        raise FormulaError(f"{what} is not a real number.")
    if not math.isfinite(value):
        raise FormulaError(f"{what} is too large (overflow).")
    return float(value)


_UNDEFINED = (sp.zoo, sp.nan, sp.oo, -sp.oo, sp.AccumBounds)


def _float_of(expr: sp.Expr) -> float:
    """The float value of a constant SymPy expression built here (numbers, pi, e, + * ** and
    the allowed functions), computed in floats: never exact arithmetic on huge numbers."""
    if expr.is_Number:
        return _float(lambda: float(expr), "A constant in the formula")
    if expr in (sp.pi, sp.E):
        return float(expr)
    args = [_float_of(a) for a in expr.args]
    if expr.is_Add:
        return _float(lambda: math.fsum(args), "A constant in the formula")
    if expr.is_Mul:
        return _float(lambda: math.prod(args), "A constant in the formula")
    if expr.is_Pow:
        return _float(lambda: args[0] ** args[1], "A constant in the formula")
    name = _FUNCTION_OF.get(type(expr))
    if name is None:
        raise FormulaError(f"The formula has an undefined part ({str(expr)[:60]}).")
    return _float(lambda: _FLOAT_FUNCTIONS[name](args[0]), f"{name}({str(expr.args[0])[:40]})")


def _settle(expr: sp.Expr, value: float | None) -> Built:
    """Check a node as SymPy built it: no infinities or undefined parts, and a float value
    for every constant, including one SymPy folded out of variables (x/x, x - x, y**0) or
    evaluated exactly (sin(pi) is 0, not 1e-16)."""
    if expr.has(*_UNDEFINED):
        raise FormulaError("The formula is undefined somewhere on every point (e.g. a division "
                           "by something that is always zero, or log(0)).")
    if expr.free_symbols:
        return expr, None
    if expr.is_Number:
        return expr, _float_of(expr)
    return expr, (_float_of(expr) if value is None else value)


_FLOAT_FUNCTIONS = {
    "sin": math.sin, "cos": math.cos, "tan": math.tan, "exp": math.exp, "log": math.log,
    "sqrt": math.sqrt, "abs": abs, "sinh": math.sinh, "cosh": math.cosh, "tanh": math.tanh,
    "atan": math.atan, "arctan": math.atan,
}
_FUNCTION_OF = {f: name for name, f in FUNCTIONS.items() if isinstance(f, type)}
_FLOAT_OPS = {
    ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b, ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b, ast.Pow: lambda a, b: a**b,
}
_SYMPY_OPS = {
    ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b, ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b, ast.Pow: sp.Pow,
}

# A built node: its SymPy expression, and its float value when it contains no variable.
Built = tuple[sp.Expr, float | None]


class _Builder:
    """Walks a whitelisted AST and builds the SymPy expression.

    Every constant subexpression is also computed in floating point as it is built, so a
    constant that overflows or leaves its domain (``exp(exp(exp(100)))``, ``log(-1)``) is
    rejected at once, and no exact arithmetic ever runs on huge numbers.
    """

    def __init__(self, params: dict[str, float]):
        self.params = params
        self.nodes = 0

    def build(self, node: ast.AST, depth: int = 0) -> Built:
        self.nodes += 1
        if self.nodes > MAX_NODES:
            raise FormulaError(f"The formula is too long: at most {MAX_NODES} parts.")
        if depth > MAX_DEPTH:
            raise FormulaError(f"The formula is nested too deeply: at most {MAX_DEPTH} levels.")
        method = getattr(self, "_" + type(node).__name__, None)
        if method is None:
            raise FormulaError(
                f"'{type(node).__name__}' is not allowed in a formula. Allowed: {ALLOWED_TEXT}."
            )
        return method(node, depth)

    def _Expression(self, node: ast.Expression, depth: int) -> Built:
        return self.build(node.body, depth + 1)

    def _Constant(self, node: ast.Constant, depth: int) -> Built:
        if isinstance(node.value, bool) or not isinstance(node.value, int | float):
            raise FormulaError(f"Only real numbers are allowed as constants, not {node.value!r}.")
        value = _float(lambda: float(node.value), "A number in the formula")
        return _number(node.value if isinstance(node.value, float) else int(node.value)), value

    def _Name(self, node: ast.Name, depth: int) -> Built:
        name = node.id
        if name in VARIABLES:
            return VARIABLES[name], None
        if name in CONSTANTS:
            return CONSTANTS[name], float(CONSTANTS[name])
        if name in self.params:
            value = float(self.params[name])
            return _number(value), value
        if name in FUNCTIONS:
            raise FormulaError(f"'{name}' is a function: write {name}(...).")
        allowed = ", ".join(sorted([*VARIABLES, *CONSTANTS, *self.params]))
        raise FormulaError(f"Unknown name '{name}'.{_lookalike_hint(name)} Allowed names: {allowed}.")

    def _UnaryOp(self, node: ast.UnaryOp, depth: int) -> Built:
        if not isinstance(node.op, ast.USub | ast.UAdd):
            raise FormulaError(f"The operator '{type(node.op).__name__}' is not allowed.")
        expr, value = self.build(node.operand, depth + 1)
        if isinstance(node.op, ast.UAdd):
            return expr, value
        return _settle(-expr, None if value is None else -value)

    def _BinOp(self, node: ast.BinOp, depth: int) -> Built:
        op = type(node.op)
        if op not in _SYMPY_OPS:
            raise FormulaError(f"The operator '{op.__name__}' is not allowed; use + - * / **.")
        # a chain a + b + c + ... nests to the left; only the right operand counts as deeper
        left, lv = self.build(node.left, depth + (op is ast.Pow))
        right, rv = self.build(node.right, depth + 1)
        if op is ast.Pow and rv is not None and abs(rv) > MAX_EXPONENT:
            raise FormulaError(f"Exponents are limited to ±{MAX_EXPONENT}; got {_shown(right, rv)}.")
        if op is ast.Div and rv == 0:
            raise FormulaError("Division by zero in the formula.")
        if lv is None or rv is None:
            return _settle(_SYMPY_OPS[op](left, right), None)
        value = _float(lambda: _FLOAT_OPS[op](lv, rv), "A constant in the formula")
        if left.is_Number and right.is_Number and (op is ast.Pow or not (
                left.is_Integer and right.is_Integer and op is not ast.Div)):
            return _number(value), value  # computed in floats: no exact towers
        return _settle(_SYMPY_OPS[op](left, right), value)

    def _Call(self, node: ast.Call, depth: int) -> Built:
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            name = f"'{node.func.id}'" if isinstance(node.func, ast.Name) else "this call"
            raise FormulaError(
                f"Unknown function {name}. Allowed functions, called by name: "
                f"{', '.join(sorted(FUNCTIONS))}."
            )
        name = node.func.id
        if node.keywords or len(node.args) != 1:
            raise FormulaError(f"{name}() takes exactly one argument.")
        arg, value = self.build(node.args[0], depth + 1)
        if value is not None:
            value = _float(lambda: _FLOAT_FUNCTIONS[name](value), f"{name}({str(arg)[:40]})")
        return _settle(FUNCTIONS[name](arg), value)


def _shown(expr: sp.Expr, value: float) -> str:
    return str(expr) if expr.is_Number else f"{expr} = {value:.4g}"


def _where(text: str, exc: SyntaxError, lead: int) -> str:
    """Where a syntax error is, as a column of ``text`` as typed (``^`` counts as one
    character though it is parsed as ``**``): 'column 3', or 'at the end'."""
    lines = text.replace("^", "**").split("\n")
    if not exc.offset or not exc.lineno:
        return "at the end"
    index = sum(len(line) + 1 for line in lines[:exc.lineno - 1]) + exc.offset - 1
    typed, parsed = 0, 0
    while typed < len(text) and parsed + (2 if text[typed] == "^" else 1) <= index:
        parsed += 2 if text[typed] == "^" else 1
        typed += 1
    if typed >= len(text):
        return "at the end"
    return f"column {lead + typed + 1}, at '{text[typed]}'"


def parse_formula(text: str, params: dict[str, float] | None = None) -> sp.Expr:
    """Parse ``text`` into a SymPy expression in ``x`` and ``y``.

    ``params`` maps declared parameter names to numbers substituted as constants.
    Raises :class:`FormulaError` (a ``ValueError``) with a message saying what is allowed.
    """
    if not isinstance(text, str):
        raise FormulaError("A formula must be text.")
    lead = len(text) - len(text.lstrip())  # columns are counted in the text as typed
    text = text.strip()
    if not text:
        raise FormulaError("The formula is empty. Example: x**2 + 10*y**2")
    if len(text) > MAX_LENGTH:
        raise FormulaError(f"The formula is too long: {len(text)} characters, at most {MAX_LENGTH}.")
    try:
        tree = ast.parse(text.replace("^", "**"), mode="eval")  # ^ is a power, as in math
    except SyntaxError as exc:
        raise FormulaError(f"The formula is not valid: {exc.msg} ({_where(text, exc, lead)})."
                           f"{_lookalike_hint(text)}") from None
    except (ValueError, RecursionError, MemoryError):
        raise FormulaError("The formula could not be read.") from None
    expr, _ = _Builder(dict(params or {})).build(tree)
    if not expr.free_symbols <= {X, Y}:
        raise FormulaError("The formula may use only x and y as variables.")
    return expr

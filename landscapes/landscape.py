"""The :class:`Landscape`: a 2D surface with its exact gradient, built from a SymPy expression."""

from __future__ import annotations

import math
from contextlib import nullcontext
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import sympy as sp
from array_api_compat import array_namespace, is_numpy_namespace

from .compile import Program
from .formula import FormulaError, X, Y, parse_formula

Bounds = tuple[tuple[float, float], tuple[float, float]]

# Array operations one evaluation of a typed surface's value and gradient may take. The
# page's most work is 8 paths of 2000 steps, run in the server process: at this cap it costs
# about 1.6 times that of a 6-operation formula (bench/bench_cap.py); the built-in surfaces
# take at most 60.
MAX_OPERATIONS = 120


@dataclass(frozen=True)
class Landscape:
    r"""A loss surface :math:`f(x, y)` with the exact gradient :math:`\nabla f` from SymPy.

    ``f``, ``grad`` and ``value_and_grad`` take arrays of shape ``(..., 2)`` (NumPy or torch,
    any device and float dtype) and return results in the same library, device and dtype:
    ``f`` has shape ``(...)``, ``grad`` shape ``(..., 2)``.
    """

    name: str
    title: str
    expr: sp.Expr
    bounds: Bounds
    minima: tuple[tuple[float, float], ...] = ()
    min_value: float | None = None
    start: tuple[float, float] = (0.0, 0.0)
    latex: str = ""
    description: str = ""
    log_contours: bool | None = False  # None: the figures decide from the values
    smooth: bool = True
    params: dict[str, float] = field(default_factory=dict)
    _program: Program = field(init=False, repr=False, compare=False)

    def __post_init__(self):
        object.__setattr__(self, "_program", Program([self.expr, *self.grad_exprs]))

    @property
    def operations(self) -> int:
        """Array operations one evaluation of (f, ∇f) takes: the work of one step."""
        return self._program.size

    @cached_property
    def grad_exprs(self) -> tuple[sp.Expr, sp.Expr]:
        """The symbolic partial derivatives (∂f/∂x, ∂f/∂y)."""
        return sp.diff(self.expr, X), sp.diff(self.expr, Y)

    @cached_property
    def hess_exprs(self) -> tuple[sp.Expr, sp.Expr, sp.Expr]:
        """The symbolic second derivatives (∂²f/∂x², ∂²f/∂x∂y, ∂²f/∂y²)."""
        gx, gy = self.grad_exprs
        return sp.diff(gx, X), sp.diff(gx, Y), sp.diff(gy, Y)

    @cached_property
    def _hess_program(self) -> Program:
        """f, ∇f and the Hessian's three entries in one program (subexpressions shared);
        built on first use, so surfaces that never need curvature do not pay for it."""
        return Program([self.expr, *self.grad_exprs, *self.hess_exprs])

    @cached_property
    def formula_latex(self) -> str:
        """LaTeX of f: the declared display form, else SymPy's."""
        return self.latex or sp.latex(self.expr)

    @cached_property
    def gradient_latex(self) -> str:
        r"""LaTeX of :math:`\nabla f` as a column vector."""
        gx, gy = (sp.latex(g) for g in self.grad_exprs)
        return rf"\nabla f = \begin{{pmatrix}} {gx} \\ {gy} \end{{pmatrix}}"

    def value_and_grad(self, p):
        """Return ``(f(p), grad f(p))`` computed together (shared subexpressions)."""
        xp = array_namespace(p)
        value, gx, gy = self.value_and_grad_xy(p[..., 0], p[..., 1])
        return value, xp.stack([gx, gy], axis=-1)

    def value_and_grad_xy(self, x, y):
        """``(f, ∂f/∂x, ∂f/∂y)`` at the points ``(x, y)`` given as two arrays of one shape
        (the compiled engine keeps a batch's coordinates as separate columns)."""
        xp = array_namespace(x)
        # overflow / 0/0 become inf / NaN, handled by callers (torch never warns; and
        # torch.compile cannot trace np.errstate)
        with np.errstate(all="ignore") if is_numpy_namespace(xp) else nullcontext():
            value, gx, gy = self._program(x, y, xp)
        return value, *(self._at_kinks(g, x, y, value, xp) for g in (gx, gy))

    def value_grad_hess(self, p):
        r"""``(f, ∇f, H)`` at ``p`` (..., 2): shapes (...), (..., 2) and (..., 2, 2), with
        :math:`H_{ij} = \partial^2 f / \partial p_i \partial p_j` exact (SymPy), from one
        program that shares its subexpressions with f and ∇f."""
        xp = array_namespace(p)
        with np.errstate(all="ignore") if is_numpy_namespace(xp) else nullcontext():
            value, gx, gy, hxx, hxy, hyy = self._hess_program(p[..., 0], p[..., 1], xp)
        return value, *self._curvature(value, gx, gy, hxx, hxy, hyy, p, xp)

    def _curvature(self, value, gx, gy, hxx, hxy, hyy, p, xp):
        """(∇f, H) stacked from their entries, with the kink rule applied to every entry."""
        x, y = p[..., 0], p[..., 1]
        gx, gy, hxx, hxy, hyy = (self._at_kinks(d, x, y, value, xp)
                                 for d in (gx, gy, hxx, hxy, hyy))
        hess = xp.stack([xp.stack([hxx, hxy], axis=-1), xp.stack([hxy, hyy], axis=-1)], axis=-2)
        return xp.stack([gx, gy], axis=-1), hess

    def _at_kinks(self, d, x, y, value, xp):
        """At a kink (e.g. Ackley's cone tip) a symbolic derivative is 0/0; 0 is a valid
        subgradient there, so NaNs at finite points with a finite value become 0 (in ∇f and
        H alike); smooth surfaces are returned as they are."""
        if self.smooth:
            return d
        kink = xp.isnan(d) & xp.isfinite(x) & xp.isfinite(y) & xp.isfinite(value)
        return xp.where(kink, xp.zeros_like(d), d)

    def f(self, p):
        """f(p) for p of shape (..., 2)."""
        return self.value_and_grad(p)[0]

    def grad(self, p):
        """∇f(p) for p of shape (..., 2); exact, never finite differences."""
        return self.value_and_grad(p)[1]

    def nearest_minimum_distance(self, p):
        """Distance from each point of ``p`` (..., 2) to the nearest known minimum (NaN if none)."""
        xp = array_namespace(p)
        if not self.minima:
            return xp.full_like(p[..., 0], float("nan"))
        dists = [xp.sqrt((p[..., 0] - mx) ** 2 + (p[..., 1] - my) ** 2) for mx, my in self.minima]
        out = dists[0]
        for d in dists[1:]:
            out = xp.minimum(out, d)
        return out


def default_start(bounds: Bounds) -> tuple[float, float]:
    """Where a typed surface's paths start unless told: 80 % of the way across each range."""
    (x0, x1), (y0, y1) = bounds
    return x0 + 0.8 * (x1 - x0), y0 + 0.8 * (y1 - y0)


def from_formula(
    text: str,
    *,
    bounds: Bounds = ((-3.0, 3.0), (-3.0, 3.0)),
    start: tuple[float, float] | None = None,
    name: str = "custom",
    title: str | None = None,
) -> Landscape:
    """Build a :class:`Landscape` from user text such as ``"x**2 + 10*sin(y)"``.

    The text is parsed safely (see :mod:`landscapes.formula`); the gradient is exact (SymPy).
    Raises :class:`FormulaError` (a ``ValueError``) with a message saying what was wrong and
    what is allowed.
    """
    try:
        (x0, x1), (y0, y1) = ((float(lo), float(hi)) for lo, hi in bounds)
    except (TypeError, ValueError):
        raise FormulaError(f"Bounds must be ((xmin, xmax), (ymin, ymax)); got {bounds!r:.80}.") from None
    if not (all(math.isfinite(v) for v in (x0, x1, y0, y1)) and x0 < x1 and y0 < y1):
        raise FormulaError("Bounds must be finite and increasing: ((xmin, xmax), (ymin, ymax)) "
                         f"with xmin < xmax and ymin < ymax; got {bounds!r}.")
    expr = parse_formula(text)
    if start is None:
        start = default_start(((x0, x1), (y0, y1)))
    land = Landscape(
        name=name, title=title or f"f(x, y) = {text.strip()}", expr=expr,
        bounds=((x0, x1), (y0, y1)), start=start, description="A surface typed as a formula.",
        smooth=False,  # a typed kink (|x|, a cone tip) gets the subgradient 0 instead of 0/0
        log_contours=None,  # log levels if the values on the box span many decades
    )
    if land.operations > MAX_OPERATIONS:
        raise FormulaError(
            f"This formula and its gradient take {land.operations} array operations per step; "
            f"at most {MAX_OPERATIONS} are allowed, so that many long paths still draw in a few "
            "seconds. Try a shorter formula (e.g. fewer factors in a product)."
        )
    return land

"""2D loss surfaces with exact gradients, for NumPy and torch arrays of shape (..., 2)."""

from .catalog import LANDSCAPES, SURFACES, SurfaceSpec, get_landscape
from .formula import FormulaError, parse_formula
from .landscape import Landscape, from_formula

__all__ = [
    "LANDSCAPES", "SURFACES", "FormulaError", "Landscape", "SurfaceSpec",
    "from_formula", "get_landscape", "parse_formula",
]

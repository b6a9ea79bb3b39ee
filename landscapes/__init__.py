"""2D loss surfaces with exact gradients, for NumPy and torch arrays of shape (..., 2)."""

from .catalog import LANDSCAPES, SURFACES, SurfaceSpec, get_landscape
from .data import DataLandscape, DataSurfaceSpec
from .formula import ALLOWED_TEXT, FormulaError, parse_formula
from .landscape import Landscape, default_start, from_formula

__all__ = [
    "ALLOWED_TEXT", "DataLandscape", "DataSurfaceSpec", "LANDSCAPES", "SURFACES", "FormulaError",
    "Landscape", "SurfaceSpec",
    "default_start", "from_formula", "get_landscape", "parse_formula",
]

"""Which surface the page draws: a built-in one with its parameter values, or a formula typed
by the user on bounds they chose. One frozen value, so it also keys the caches."""

from __future__ import annotations

from dataclasses import dataclass

from landscapes import LANDSCAPES, Landscape, default_start, from_formula, get_landscape

CUSTOM = "custom"
CUSTOM_TITLE = "✎ Your formula"
DEFAULT_FORMULA = "x**2 + 3*y**2 + 2*sin(2*x)*sin(2*y)"
DEFAULT_BOUNDS = ((-3.0, 3.0), (-3.0, 3.0))


@dataclass(frozen=True)
class SurfaceChoice:
    """``name`` is a registry surface (with ``params``, sorted (name, value) pairs) or
    :data:`CUSTOM` (with ``formula`` and ``bounds`` ((x₀, x₁), (y₀, y₁)))."""

    name: str
    params: tuple = ()
    formula: str = ""
    bounds: tuple = ()

    def build(self) -> Landscape:
        """The landscape; ``ValueError`` (a FormulaError for typed text) says what is wrong."""
        if self.name == CUSTOM:
            return from_formula(self.formula, bounds=self.bounds, name=CUSTOM,
                                title=CUSTOM_TITLE)
        return get_landscape(self.name, **dict(self.params))

    @property
    def start(self) -> tuple[float, float]:
        """The suggested start, known without parsing a typed formula."""
        return default_start(self.bounds) if self.name == CUSTOM else LANDSCAPES[self.name].start


def surface_title(name: str) -> str:
    return CUSTOM_TITLE if name == CUSTOM else LANDSCAPES[name].title

"""The built-in surfaces, declared as data and built by the same safe formula mechanism as
typed formulas (so every gradient is exact and can be shown in LaTeX)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from paramspec import ParamSpec, validate_params

from .data import DATA_SURFACES, DataSurfaceSpec
from .formula import parse_formula
from .landscape import Bounds, Landscape


@dataclass(frozen=True)
class SurfaceSpec:
    """A surface as data: formula text in x, y and the declared parameters, plus display facts."""

    name: str
    title: str
    formula: str
    latex: str
    bounds: Bounds
    start: tuple[float, float]
    description: str
    minima: tuple[tuple[float, float], ...] = ()
    min_value: float | None = None
    params: tuple[ParamSpec, ...] = ()
    log_contours: bool = False
    smooth: bool = True

    def __post_init__(self):
        if any(p.per_trajectory for p in self.params):
            raise ValueError(f"surface '{self.name}': parameters take one value (per_trajectory=False)")

    def build(self, **params) -> Landscape:
        """The :class:`Landscape` for these parameter values (defaults for the rest)."""
        values = validate_params(self.params, params, f"surface '{self.name}'")
        return _build(self, tuple(sorted(values.items())))


def _param(*args, **kwargs) -> ParamSpec:
    """A surface parameter: one value per surface (it shapes the contour for every path)."""
    return ParamSpec(*args, per_trajectory=False, **kwargs)


@lru_cache(maxsize=128)
def _build(spec: SurfaceSpec, items: tuple[tuple[str, float], ...]) -> Landscape:
    values = dict(items)
    return Landscape(
        name=spec.name, title=spec.title, expr=parse_formula(spec.formula, values),
        bounds=spec.bounds, minima=spec.minima, min_value=spec.min_value, start=spec.start,
        latex=spec.latex, description=spec.description, log_contours=spec.log_contours,
        smooth=spec.smooth, params=values,
    )


_HIMMELBLAU_MINIMA = (
    (3.0, 2.0),
    (-2.805118086952745, 3.131312518250573),
    (-3.779310253377747, -3.283185991286169),
    (3.5844283403304917, -1.8481265269644036),
)
_CAMEL_MIN = (0.0898420131003180624, -0.712656403020739633)
_ST_MIN = -2.90353402777117709512  # root of 4x^3 - 32x + 5 = 0

_FORMULA_SURFACES: tuple[SurfaceSpec, ...] = (
    SurfaceSpec(
        name="rosenbrock", title="Rosenbrock",
        formula="(1 - x)**2 + b*(y - x**2)**2",
        latex=r"f(x,y) = (1-x)^2 + b\,(y-x^2)^2",
        bounds=((-2.0, 2.0), (-1.0, 3.0)), start=(-1.5, 2.5),
        minima=((1.0, 1.0),), min_value=0.0, log_contours=True,
        params=(_param("b", "b", 100.0, 1.0, 1000.0, log=True,
                          help="Steepness of the valley walls"),),
        description="A curved, flat-bottomed valley: finding it is easy, following it is hard.",
    ),
    SurfaceSpec(
        name="saddle", title="Saddle",
        formula="x**2 - y**2", latex=r"f(x,y) = x^2 - y^2",
        bounds=((-2.0, 2.0), (-2.0, 2.0)), start=(-1.8, 0.05),
        description="A saddle point at the origin: gradient descent slows near it; "
                    "the surface is unbounded below, so every path escapes along y.",
    ),
    SurfaceSpec(
        name="ravine", title="Ravine (ill-conditioned quadratic)",
        formula="((cos(angle*pi/180)*x + sin(angle*pi/180)*y)**2"
                " + kappa*(-sin(angle*pi/180)*x + cos(angle*pi/180)*y)**2)/2",
        latex=r"f = \tfrac12\left(u^2 + \kappa v^2\right),\ "
              r"\begin{pmatrix}u\\v\end{pmatrix} = R(\theta)\begin{pmatrix}x\\y\end{pmatrix}",
        bounds=((-4.0, 4.0), (-4.0, 4.0)), start=(-3.5, 1.5),
        minima=((0.0, 0.0),), min_value=0.0,
        params=(
            _param("kappa", "κ", 100.0, 1.0, 1000.0, log=True,
                      help="Condition number: ratio of the steepest to the flattest curvature"),
            _param("angle", "θ", 0.0, -90.0, 90.0,
                      help="Rotation of the valley in degrees; per-coordinate methods "
                           "(RMSProp, Adam) lose their edge when it is not 0"),
        ),
        description="A long narrow valley: plain SGD zig-zags, momentum rolls along it; "
                    "rotate it to see per-coordinate scaling stop helping.",
    ),
    SurfaceSpec(
        name="beale", title="Beale",
        formula="(1.5 - x + x*y)**2 + (2.25 - x + x*y**2)**2 + (2.625 - x + x*y**3)**2",
        latex=r"f = (1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2",
        bounds=((-4.5, 4.5), (-4.5, 4.5)), start=(-1.0, 1.5),
        minima=((3.0, 0.5),), min_value=0.0, log_contours=True,
        description="Sharp ridges and flat corners: gradients span many orders of magnitude.",
    ),
    SurfaceSpec(
        name="himmelblau", title="Himmelblau",
        formula="(x**2 + y - 11)**2 + (x + y**2 - 7)**2",
        latex=r"f = (x^2 + y - 11)^2 + (x + y^2 - 7)^2",
        bounds=((-5.0, 5.0), (-5.0, 5.0)), start=(-0.5, -0.5),
        minima=_HIMMELBLAU_MINIMA, min_value=0.0, log_contours=True,
        description="Four equal minima: which one you reach depends on the start and the optimizer.",
    ),
    SurfaceSpec(
        name="booth", title="Booth",
        formula="(x + 2*y - 7)**2 + (2*x + y - 5)**2",
        latex=r"f = (x + 2y - 7)^2 + (2x + y - 5)^2",
        bounds=((-10.0, 10.0), (-10.0, 10.0)), start=(-8.0, -6.0),
        minima=((1.0, 3.0),), min_value=0.0,
        description="A tilted quadratic bowl: the easy case every optimizer should solve.",
    ),
    SurfaceSpec(
        name="rastrigin", title="Rastrigin",
        formula="20 + x**2 - 10*cos(2*pi*x) + y**2 - 10*cos(2*pi*y)",
        latex=r"f = 20 + \sum_{u \in \{x,y\}} \left(u^2 - 10\cos 2\pi u\right)",
        bounds=((-5.12, 5.12), (-5.12, 5.12)), start=(3.2, 2.3),
        minima=((0.0, 0.0),), min_value=0.0,
        description="A bowl covered in local minima: small steps get trapped, noise can help.",
    ),
    SurfaceSpec(
        name="ackley", title="Ackley",
        formula="-20*exp(-0.2*sqrt(0.5*(x**2 + y**2)))"
                " - exp(0.5*(cos(2*pi*x) + cos(2*pi*y))) + e + 20",
        latex=r"f = -20 e^{-0.2\sqrt{(x^2+y^2)/2}} - e^{(\cos 2\pi x + \cos 2\pi y)/2} + e + 20",
        bounds=((-5.0, 5.0), (-5.0, 5.0)), start=(3.2, 2.8),
        minima=((0.0, 0.0),), min_value=0.0, smooth=False,
        description="A nearly flat, bumpy plain around a deep funnel; "
                    "not differentiable at the minimum (gradient taken as 0 there).",
    ),
    SurfaceSpec(
        name="goldstein_price", title="Goldstein–Price",
        formula="(1 + (x + y + 1)**2*(19 - 14*x + 3*x**2 - 14*y + 6*x*y + 3*y**2))"
                "*(30 + (2*x - 3*y)**2*(18 - 32*x + 12*x**2 + 48*y - 36*x*y + 27*y**2))",
        latex=r"f = \left[1 + (x+y+1)^2(19 - 14x + 3x^2 - 14y + 6xy + 3y^2)\right]"
              r"\left[30 + (2x-3y)^2(18 - 32x + 12x^2 + 48y - 36xy + 27y^2)\right]",
        bounds=((-2.0, 2.0), (-2.0, 2.0)), start=(1.2, 1.2),
        minima=((0.0, -1.0),), min_value=3.0, log_contours=True,
        description="Values from 3 to a million: step sizes that suit one region explode in another.",
    ),
    SurfaceSpec(
        name="six_hump_camel", title="Six-hump camel",
        formula="(4 - 2.1*x**2 + x**4/3)*x**2 + x*y + (-4 + 4*y**2)*y**2",
        latex=r"f = \left(4 - 2.1x^2 + \tfrac{x^4}{3}\right)x^2 + xy + (-4 + 4y^2)y^2",
        bounds=((-2.0, 2.0), (-1.2, 1.2)), start=(-1.5, -1.0),
        minima=(_CAMEL_MIN, (-_CAMEL_MIN[0], -_CAMEL_MIN[1])),
        min_value=-1.0316284534898773504,
        description="Six local minima, two of them global: a map of basins of attraction.",
    ),
    SurfaceSpec(
        name="monkey_saddle", title="Monkey saddle",
        formula="x**3 - 3*x*y**2", latex=r"f = x^3 - 3xy^2",
        bounds=((-2.0, 2.0), (-2.0, 2.0)), start=(1.0, 0.3),
        description="A degenerate saddle with three down-slopes; the gradient vanishes "
                    "to second order at the origin, unbounded below.",
    ),
    SurfaceSpec(
        name="styblinski_tang", title="Styblinski–Tang",
        formula="(x**4 - 16*x**2 + 5*x + y**4 - 16*y**2 + 5*y)/2",
        latex=r"f = \tfrac12 \sum_{u \in \{x,y\}} \left(u^4 - 16u^2 + 5u\right)",
        bounds=((-5.0, 5.0), (-5.0, 5.0)), start=(4.5, 4.5),
        minima=((_ST_MIN, _ST_MIN),), min_value=-78.332331407542830928,
        description="Four basins of different depths: a local minimum that looks good enough.",
    ),
    SurfaceSpec(
        name="quadratic", title="Quadratic bowl",
        formula="(a*x**2 + c*y**2)/2", latex=r"f = \tfrac12\left(a x^2 + c y^2\right)",
        bounds=((-3.0, 3.0), (-3.0, 3.0)), start=(-2.5, 2.0),
        minima=((0.0, 0.0),), min_value=0.0,
        params=(
            _param("a", "a", 1.0, 0.01, 100.0, log=True, help="Curvature along x"),
            _param("c", "c", 10.0, 0.01, 100.0, log=True, help="Curvature along y"),
        ),
        description="The textbook bowl: gradient descent is stable for α < 2 / max(a, c).",
    ),
    SurfaceSpec(
        name="plateau", title="Plateau with a well",
        formula="1 - exp(-(x**2 + y**2)/(2*w**2))",
        latex=r"f = 1 - \exp\!\left(-\frac{x^2 + y^2}{2w^2}\right)",
        bounds=((-4.0, 4.0), (-4.0, 4.0)), start=(3.0, 2.0),
        minima=((0.0, 0.0),), min_value=0.0,
        params=(_param("w", "w", 1.0, 0.2, 3.0, help="Width of the well"),),
        description="A flat plateau with vanishing gradients around a single well: "
                    "plain SGD crawls, normalised methods (Adam, Lion) walk off it.",
    ),
)

SURFACES: tuple[SurfaceSpec | DataSurfaceSpec, ...] = (*_FORMULA_SURFACES, *DATA_SURFACES)
LANDSCAPES: dict[str, SurfaceSpec | DataSurfaceSpec] = {s.name: s for s in SURFACES}


def get_landscape(name: str, **params) -> Landscape:
    """The built-in surface ``name`` with its parameters (``ValueError`` lists what is allowed)."""
    if name not in LANDSCAPES:
        raise ValueError(f"Unknown surface '{name}'. Available: {', '.join(LANDSCAPES)}.")
    return LANDSCAPES[name].build(**params)

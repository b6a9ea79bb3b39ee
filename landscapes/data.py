r"""Surfaces made from data: a two-parameter model fitted to samples.

Every model here is linear in its two parameters :math:`\theta = (x, y)`: sample :math:`i` has
a design row :math:`a_i = (a_{i1}, a_{i2})` and a target :math:`t_i`, the model's output is
:math:`z_i = a_i\cdot\theta` and the surface is the mean of a symbolic per-sample loss,

.. math:: f(\theta) = \frac1n\sum_{i=1}^n \ell(\theta; a_i, t_i),

so the gradient of any batch of samples is exact (SymPy differentiates :math:`\ell` once and
the program runs vectorized over points × samples). For ``ŷ = w·u + b`` the row is
:math:`(u_i, 1)` and :math:`(x, y) = (w, b)`; for two features and no bias it is
:math:`(u_{i1}, u_{i2})`.

Datasets are generated from a seed, or are real ones that ship on disk with scikit-learn
(an optional dependency: ``pip install .[data]``); nothing is downloaded.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

import numpy as np
import sympy as sp
from array_api_compat import array_namespace, device, is_numpy_namespace

from paramspec import ParamSpec, validate_params

from .compile import Program
from .formula import RealAbs, X, Y
from .landscape import Bounds, Landscape

POINTS_PER_BLOCK = 1 << 22  # point-sample pairs per block of DataLandscape.f
A1, A2, T = sp.symbols("a_1 a_2 t", real=True)  # one sample: design row (a_1, a_2), target t
SAMPLE = (A1, A2, T)


def squared_error(lam: float) -> sp.Expr:
    r""":math:`\ell = (a\cdot\theta - t)^2` (``lam`` unused: least squares has a minimum)."""
    return (X * A1 + Y * A2 - T) ** 2


def cross_entropy(lam: float) -> sp.Expr:
    r""":math:`\ell = \log(1 + e^{z}) - t z + \tfrac{\lambda}{2}\|\theta\|^2`, :math:`z = a\cdot\theta`,
    with the softplus written stably as :math:`\tfrac{z + |z|}{2} + \log(1 + e^{-|z|})`."""
    z = X * A1 + Y * A2
    softplus = (z + RealAbs(z)) / 2 + sp.log(1 + sp.exp(-RealAbs(z)))
    return softplus - T * z + sp.Float(lam) / 2 * (X**2 + Y**2)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))


def least_squares_minimum(a: np.ndarray, t: np.ndarray, lam: float) -> np.ndarray:
    r"""The normal equations :math:`A^\top A\,\theta = A^\top t`."""
    return np.linalg.solve(a.T @ a, a.T @ t)


def logistic_minimum(a: np.ndarray, t: np.ndarray, lam: float) -> np.ndarray:
    r"""Newton's method with the exact Hessian
    :math:`H = \frac1n A^\top \operatorname{diag}(s(1-s)) A + \lambda I`, :math:`s = \sigma(A\theta)`,
    halving a step until the loss does not rise (λ > 0 makes the minimum unique and finite)."""
    n = len(t)

    def loss(theta):
        z = a @ theta
        return np.mean(np.logaddexp(0.0, z) - t * z) + lam / 2 * theta @ theta

    theta = np.zeros(2)
    for _ in range(200):
        s = _sigmoid(a @ theta)
        grad = a.T @ (s - t) / n + lam * theta
        hess = (a * (s * (1 - s))[:, None]).T @ a / n + lam * np.eye(2)
        step = np.linalg.solve(hess, grad)
        while loss(theta - step) > loss(theta) and np.max(np.abs(step)) > 1e-16:
            step = step / 2
        theta = theta - step
        if np.max(np.abs(step)) <= 1e-15 * max(1.0, np.max(np.abs(theta))):
            break
    return theta


@dataclass(frozen=True)
class Model:
    """A per-sample loss (given λ) and how its mean's minimum is found."""

    loss: Callable[[float], sp.Expr]
    minimum: Callable[[np.ndarray, np.ndarray, float], np.ndarray]


LINEAR = Model(squared_error, least_squares_minimum)
LOGISTIC = Model(cross_entropy, logistic_minimum)


CURVE_POINTS = 48  # samples of a curved fit (a straight one needs its two ends)
_PAD = 0.08  # of the data's span, around the samples


@dataclass(frozen=True)
class Picture:
    r"""How a data surface draws its samples and the model at a point :math:`\theta = (x, y)`.

    ``kind="curve"``: design rows :math:`(u_i, 1)`; the samples at :math:`(u_i, t_i)` and the
    fit :math:`u \mapsto \operatorname{link}(x\,u + y)`: ``link="identity"`` is the line
    :math:`\hat y = w u + b`, ``"logistic"`` the probability :math:`\sigma(w u + b)` of class 1.

    ``kind="boundary"``: design rows :math:`(u_{i1}, u_{i2})` and labels :math:`t_i \in \{0, 1\}`:
    the samples at :math:`(u_{i1}, u_{i2})` by class, and the decision boundary
    :math:`\{u : x\,u_1 + y\,u_2 = 0\}` (where :math:`\sigma = \tfrac12`), the line through 0
    along :math:`(-y, x)/\lVert\theta\rVert`."""

    kind: str
    x_label: str
    y_label: str
    link: str = "identity"
    classes: tuple[str, str] = ("class 0", "class 1")

    def __post_init__(self):
        if self.kind not in ("curve", "boundary") or self.link not in ("identity", "logistic"):
            raise ValueError(f"Picture: kind must be 'curve' or 'boundary' and link 'identity' or "
                             f"'logistic'; got {self.kind!r}, {self.link!r}.")

    def samples(self, data: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """(x, y, class) of the drawn samples from ``data`` (3, n); class is None for a curve."""
        a1, a2, t = data
        return (a1, t, None) if self.kind == "curve" else (a1, a2, t.astype(int))

    def box(self, data: np.ndarray) -> tuple[tuple[float, float], tuple[float, float]]:
        """The panel's axis ranges: the samples with a margin (a probability axis: [−0.1, 1.1])."""
        x, y, _ = self.samples(data)

        def span(v):
            lo, hi = float(np.min(v)), float(np.max(v))
            pad = _PAD * max(hi - lo, 1e-9)
            return lo - pad, hi + pad
        return span(x), (-0.1, 1.1) if self.link == "logistic" and self.kind == "curve" else span(y)

    def grid(self, data: np.ndarray) -> np.ndarray:
        """The u at which a curve is evaluated: the box's two ends for a line, else
        :data:`CURVE_POINTS` evenly spaced; for a boundary, the radius that reaches every corner
        of the box from 0 (the boundary is drawn from −r to r)."""
        (x0, x1), (y0, y1) = self.box(data)
        if self.kind == "boundary":
            return np.array([np.hypot(max(abs(x0), abs(x1)), max(abs(y0), abs(y1)))])
        return np.linspace(x0, x1, 2 if self.link == "identity" else CURVE_POINTS)

    def fit(self, data: np.ndarray, theta) -> tuple[np.ndarray, np.ndarray]:
        """(xs, ys) of the fit at each point of ``theta`` (..., 2): arrays (..., G); a boundary
        for θ = 0 (none) is NaN."""
        theta = np.asarray(theta, dtype=np.float64)
        w, b = theta[..., 0:1], theta[..., 1:2]
        g = self.grid(data)
        if self.kind == "boundary":
            with np.errstate(all="ignore"):
                r = g[0] / np.hypot(w, b)
            return np.concatenate([r * b, -r * b], -1), np.concatenate([-r * w, r * w], -1)
        z = w * g + b
        return np.broadcast_to(g, z.shape), z if self.link == "identity" else _sigmoid(z)


@dataclass(frozen=True)
class DataLandscape(Landscape):
    r"""A :class:`Landscape` whose value is the mean over samples of a per-sample loss
    ``expr`` in ``x, y`` and the sample symbols :data:`SAMPLE`; ``data`` (3, n) holds the
    rows :math:`a_{i1}, a_{i2}, t_i`."""

    data: np.ndarray = field(default=None, compare=False, repr=False)
    picture: Picture | None = field(default=None, compare=False, repr=False)

    def __post_init__(self):
        object.__setattr__(self, "_program", Program([self.expr, *self.grad_exprs], SAMPLE))

    @cached_property
    def _hess_program(self) -> Program:
        return Program([self.expr, *self.grad_exprs, *self.hess_exprs], SAMPLE)

    @property
    def n_samples(self) -> int:
        return self.data.shape[1]

    @cached_property
    def gradient_latex(self) -> str:
        gx, gy = (sp.latex(g) for g in self.grad_exprs)
        return (rf"\nabla f = \frac{{1}}{{n}}\sum_{{i=1}}^{{n}} \begin{{pmatrix}} {gx} \\ {gy} "
                rf"\end{{pmatrix}}_{{a = a_i,\ t = t_i}}")

    @cached_property
    def _mean_program(self) -> Program | None:
        r"""The mean loss as a program in ``x, y`` alone, when :math:`\ell` is a polynomial in
        the sample's values (least squares): each monomial :math:`a_1^i a_2^j t^k` replaced
        by its mean over the data, so its cost does not grow with n. None otherwise."""
        try:
            poly = sp.Poly(sp.expand(self.expr), *SAMPLE)
        except sp.PolynomialError:
            return None
        a1, a2, t = self.data
        mean = sum(coeff * sp.Float(float(np.mean(a1**i * a2**j * t**k)))
                   for (i, j, k), coeff in poly.terms())
        return Program([sp.sympify(mean)])

    def _samples_like(self, like, samples=None) -> tuple:
        """The data's rows (a_1, a_2, t), or those of the sample indices ``samples``, as arrays
        of ``like``'s namespace, dtype and device."""
        xp = array_namespace(like)
        rows = self.data if samples is None else self.data[:, np.asarray(samples)]
        return tuple(xp.asarray(r, dtype=like.dtype, device=device(like)) for r in rows)

    @cached_property
    def _value_program(self) -> Program:
        return Program([self.expr], SAMPLE)

    def f(self, p):
        """f at many points (the surface's picture and levels): from the data's moments where
        the loss allows it (exact to round-off, ~n times less work), else the mean over
        samples of the loss alone, :data:`POINTS_PER_BLOCK` points at a time (a 640-pixel
        picture of 442 samples would otherwise hold arrays of 1.4 GB)."""
        xp = array_namespace(p)
        x, y = p[..., 0], p[..., 1]
        with np.errstate(all="ignore") if is_numpy_namespace(xp) else nullcontext():
            if self._mean_program is not None:
                return self._mean_program(x, y, xp)[0]
            a1, a2, t = self._samples_like(p)
            flat_x, flat_y = xp.reshape(x, (-1,)), xp.reshape(y, (-1,))
            step = max(POINTS_PER_BLOCK // self.n_samples, 1)
            parts = [xp.mean(self._value_program(flat_x[i:i + step, None], flat_y[i:i + step, None],
                                                 xp, a1, a2, t)[0], axis=-1)
                     for i in range(0, flat_x.shape[0], step)]
        return xp.reshape(xp.concat(parts), x.shape)

    def value_and_grad(self, p, samples=None):
        """``(f, ∇f)`` at ``p`` (..., 2): the means over all samples, or over the sample
        indices ``samples`` when given: a mini-batch (B,) shared by every point, or one per
        point (..., B) (the shape of ``p``'s leading axes)."""
        xp = array_namespace(p)
        value, gx, gy = self.value_and_grad_xy(p[..., 0], p[..., 1], samples)
        return value, xp.stack([gx, gy], axis=-1)

    def value_and_grad_xy(self, x, y, samples=None):
        """``(f, ∂f/∂x, ∂f/∂y)`` at the points ``(x, y)`` (two arrays of one shape), means
        over all samples or over ``samples``."""
        xp = array_namespace(x)
        a1, a2, t = self._samples_like(x, samples)
        with np.errstate(all="ignore") if is_numpy_namespace(xp) else nullcontext():
            value, gx, gy = self._program(x[..., None], y[..., None], xp, a1, a2, t)
        return tuple(xp.mean(v, axis=-1) for v in (value, gx, gy))

    def value_grad_hess(self, p):
        """``(f, ∇f, H)`` at ``p`` (..., 2), each the mean over all samples."""
        xp = array_namespace(p)
        a1, a2, t = self._samples_like(p)
        x, y = p[..., 0][..., None], p[..., 1][..., None]
        with np.errstate(all="ignore") if is_numpy_namespace(xp) else nullcontext():
            parts = self._hess_program(x, y, xp, a1, a2, t)
        # an entry free of x and y (least squares' H) has the samples' shape only
        value, *rest = (xp.mean(xp.broadcast_to(v, parts[0].shape), axis=-1) for v in parts)
        return value, *self._curvature(value, *rest, p, xp)


# --------------------------------------------------------------------------- datasets
W_TRUE, B_TRUE = 2.0, 1.0  # the generated regression line y = 2u + 1
OUTLIER_SHIFT = 10.0  # a regression outlier's target, lifted
OUTLIER_V = 4.0  # a classification outlier's standardised feature (labelled 0)


def _feature(rng: np.random.Generator, n: int, scale: float, offset: float) -> np.ndarray:
    return offset + scale * rng.standard_normal(n)


def generated_line(n: int, noise: float, outliers: float, scale: float, offset: float,
                   seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Feature u ~ offset + scale·N(0, 1); target y = 2u + 1 + noise·N(0, 1), and the first
    round(outliers·n) samples lifted by 10."""
    rng = np.random.default_rng(seed)
    u = _feature(rng, n, scale, offset)
    y = W_TRUE * u + B_TRUE + noise * rng.standard_normal(n)
    y[: round(outliers * n)] += OUTLIER_SHIFT
    return np.stack([u, np.ones(n)], axis=1), y


def generated_classes(n: int, flip: float, outliers: float, scale: float, offset: float,
                      seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Feature u ~ offset + scale·N(0, 1) = offset + scale·v; label 1 with probability
    σ(2v − 0.5): classes that overlap, whatever the scale and offset. Then the labels of
    round(flip·n) samples drawn at random are flipped (label noise), and the first
    round(outliers·n) samples move far out on class 1's side, v = :data:`OUTLIER_V`, labelled
    0 (mislabelled points that cross-entropy pulls hard on). With both 0 the data is the same
    as with neither drawn."""
    rng = np.random.default_rng(seed)
    v = rng.standard_normal(n)
    labels = (rng.random(n) < _sigmoid(2.0 * v - 0.5)).astype(float)
    flipped = rng.choice(n, size=round(flip * n), replace=False) if flip > 0 else []
    labels[flipped] = 1.0 - labels[flipped]
    far = round(outliers * n)
    v[:far], labels[:far] = OUTLIER_V, 0.0
    return np.stack([offset + scale * v, np.ones(n)], axis=1), labels


def _sklearn_datasets():
    try:
        from sklearn import datasets
    except ImportError:
        raise ValueError("This surface uses a dataset that ships with scikit-learn, which is not "
                         "installed: pip install 'optiviz[data]' (or scikit-learn).") from None
    return datasets


def _standard(v: np.ndarray) -> np.ndarray:
    return (v - v.mean()) / v.std()


def diabetes_bmi(scale: float, offset: float) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's diabetes data (442 patients): body-mass index, standardised then
    scaled and shifted, against disease progression after a year / 100."""
    data = _sklearn_datasets().load_diabetes(scaled=False)
    u = offset + scale * _standard(data.data[:, 2])
    return np.stack([u, np.ones_like(u)], axis=1), data.target / 100.0


def iris_two_features() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's iris: versicolor (0) vs virginica (1), 100 flowers, by sepal length and
    sepal width, both standardised (two weights, no bias)."""
    data = _sklearn_datasets().load_iris()
    keep = data.target > 0
    feats = data.data[keep][:, :2]
    return np.stack([_standard(feats[:, 0]), _standard(feats[:, 1])], axis=1), \
        (data.target[keep] == 2).astype(float)


# --------------------------------------------------------------------------- surfaces


@dataclass(frozen=True)
class DataSurfaceSpec:
    """A data surface as data: the model, the dataset (from the parameters) and display facts.
    Bounds, minima and the minimum value depend on the data: they are those of the built
    surface (for the spec itself: at the defaults)."""

    name: str
    title: str
    latex: str
    start: tuple[float, float]
    description: str
    model: Model
    dataset: Callable[..., tuple[np.ndarray, np.ndarray]]
    picture: Picture
    params: tuple[ParamSpec, ...] = ()
    log_contours: bool = False
    smooth: bool = True

    def build(self, **params) -> DataLandscape:
        values = validate_params(self.params, params, f"surface '{self.name}'")
        return _build(self, tuple(sorted(values.items())))

    @property
    def bounds(self) -> Bounds:
        return self.build().bounds

    @property
    def minima(self) -> tuple[tuple[float, float], ...]:
        return self.build().minima

    @property
    def min_value(self) -> float:
        return self.build().min_value


def display_bounds(minimum: np.ndarray, start: tuple[float, float]) -> Bounds:
    """A square around the minimum that holds the start with a margin (half-width ≥ 2)."""
    half = max(2.0, 1.25 * float(np.max(np.abs(np.asarray(start) - minimum))))
    return tuple((float(m - half), float(m + half)) for m in minimum)


@lru_cache(maxsize=64)
def _build(spec: DataSurfaceSpec, items: tuple[tuple[str, float], ...]) -> DataLandscape:
    values = dict(items)
    lam = values.pop("lam", 0.0)
    a, t = spec.dataset(**values)
    theta = spec.model.minimum(a, t, lam)
    land = DataLandscape(
        name=spec.name, title=spec.title, expr=spec.model.loss(lam),
        bounds=display_bounds(theta, spec.start), minima=(tuple(map(float, theta)),),
        start=spec.start, latex=spec.latex, description=spec.description,
        log_contours=spec.log_contours, smooth=spec.smooth, params=dict(items),
        data=np.ascontiguousarray(np.column_stack([a, t]).T), picture=spec.picture,
    )
    object.__setattr__(land, "min_value", float(land.f(theta)))
    return land


def _param(*args, **kwargs) -> ParamSpec:
    return ParamSpec(*args, per_trajectory=False, **kwargs)


_N = _param("n", "n", 64, 8, 512, kind="int", help="Number of samples")
_SEED = _param("seed", "seed", 0, 0, 9999, kind="int", help="Seed of the generated data")
_SCALE = _param("scale", "scale", 1.0, 0.1, 10.0, log=True,
                help="Spread of the feature; far from 1 the bowl becomes a ravine")
_OFFSET = _param("offset", "offset", 0.0, -10.0, 10.0,
                 help="Mean of the feature; away from 0 the bowl becomes a tilted ravine "
                      "(standardised features: offset 0, scale 1)")
_LAM = _param("lam", "λ", 0.01, 0.001, 1.0, log=True,
              help="L2 penalty λ/2·‖θ‖² (keeps the minimum finite when the classes separate)")

_MSE = r"f(w,b) = \frac{1}{n}\sum_{i=1}^{n} \left(w\,u_i + b - y_i\right)^2"
_XENT = (r"f = \frac{1}{n}\sum_{i=1}^{n} \left[\log\!\left(1 + e^{z_i}\right) - t_i z_i\right]"
         r" + \tfrac{\lambda}{2}\|\theta\|^2,\ ")

DATA_SURFACES: tuple[DataSurfaceSpec, ...] = (
    DataSurfaceSpec(
        name="linear_regression", title="Linear regression (generated data)", latex=_MSE,
        start=(-2.0, -3.0), model=LINEAR, dataset=generated_line,
        picture=Picture("curve", "feature u", "target y"),
        params=(_N, _param("noise", "σ", 0.5, 0.0, 3.0, help="Noise on the targets"),
                _param("outliers", "outliers", 0.0, 0.0, 0.3,
                       help="Fraction of samples lifted by 10"), _SCALE, _OFFSET, _SEED),
        description="ŷ = w·u + b fitted by mean squared error to y = 2u + 1 + noise: "
                    "(x, y) is (w, b). An offset or scale on the feature turns the bowl "
                    "into a ravine.",
    ),
    DataSurfaceSpec(
        name="diabetes_regression", title="Linear regression (diabetes, BMI)", latex=_MSE,
        start=(-1.0, -1.0), model=LINEAR, dataset=diabetes_bmi, params=(_SCALE, _OFFSET),
        picture=Picture("curve", "body-mass index (standardised)", "progression / 100"),
        description="Disease progression / 100 against body-mass index for 442 patients "
                    "(scikit-learn's diabetes data); (x, y) is (w, b).",
    ),
    DataSurfaceSpec(
        name="logistic_regression", title="Logistic regression (generated data)",
        latex=_XENT + r"z_i = w\,u_i + b", start=(-3.0, 2.0), model=LOGISTIC,
        dataset=generated_classes,
        picture=Picture("curve", "feature u", "class / P(class 1)", link="logistic"),
        params=(_N, _param("flip", "label noise", 0.0, 0.0, 0.4,
                           help="Fraction of labels flipped at random"),
                _param("outliers", "outliers", 0.0, 0.0, 0.3,
                       help="Fraction of samples moved far out on class 1's side, labelled 0"),
                _param("scale", "scale", 1.0, 0.1, 10.0, log=True, help=_SCALE.help),
                _param("offset", "offset", 0.0, -5.0, 5.0, help=_OFFSET.help), _LAM, _SEED),
        description="One weight and a bias on one feature, two overlapping classes, "
                    "cross-entropy: (x, y) is (w, b).",
    ),
    DataSurfaceSpec(
        name="iris_logistic", title="Logistic regression (iris, two features)",
        latex=_XENT + r"z_i = w_1 u_{i1} + w_2 u_{i2}", start=(-2.0, 2.0), model=LOGISTIC,
        dataset=iris_two_features, params=(_LAM,),
        picture=Picture("boundary", "sepal length (standardised)", "sepal width (standardised)",
                        classes=("versicolor", "virginica")),
        description="Versicolor vs virginica by standardised sepal length and width "
                    "(scikit-learn's iris), cross-entropy: (x, y) is (w₁, w₂).",
    ),
)


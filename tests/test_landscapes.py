"""Generic checks over the whole surface registry ``landscapes.LANDSCAPES``.

Every surface is checked the same way: its declared minima (value, zero gradient, global on a
grid of its display box), its exact gradient against torch autograd, shapes and dtypes for
NumPy and torch inputs, NumPy/torch agreement, parameter validation, display metadata and
``nearest_minimum_distance``. The ravine gets extra checks of its rotation and conditioning.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from landscapes import LANDSCAPES, SURFACES, Landscape, SurfaceSpec, get_landscape

NAMES = list(LANDSCAPES)
PARAM_NAMES = [n for n, s in LANDSCAPES.items() if s.params]
NO_MINIMA = [n for n, s in LANDSCAPES.items() if not s.minima]
WITH_MINIMA = [n for n, s in LANDSCAPES.items() if s.minima]


def _points(spec: SurfaceSpec, n: int, seed: int = 0) -> np.ndarray:
    """``n`` uniform random points (n, 2) inside the display bounds, float64."""
    rng = np.random.default_rng(seed)
    (x0, x1), (y0, y1) = spec.bounds
    return np.stack([rng.uniform(x0, x1, n), rng.uniform(y0, y1, n)], axis=-1)


def _grid(spec: SurfaceSpec, n: int = 201) -> np.ndarray:
    (x0, x1), (y0, y1) = spec.bounds
    gx, gy = np.meshgrid(np.linspace(x0, x1, n), np.linspace(y0, y1, n), indexing="ij")
    return np.stack([gx, gy], axis=-1)


def _param_cases(spec: SurfaceSpec) -> list[dict[str, float]]:
    """Defaults, each parameter alone at its low and high end, and all at low / all at high."""
    cases: list[dict[str, float]] = [{}]
    for p in spec.params:
        cases += [{p.name: p.low}, {p.name: p.high}]
    if len(spec.params) > 1:
        cases += [{p.name: p.low for p in spec.params}, {p.name: p.high for p in spec.params}]
    return cases


def _landscapes(spec: SurfaceSpec):
    """The surface built at each of :func:`_param_cases`."""
    return (spec.build(**params) for params in _param_cases(spec))


# Independent textbook definitions (NumPy), to catch a mistyped formula string in the catalog.
def _reference(name: str, x, y, params: dict[str, float]):
    if name == "rosenbrock":
        return (1 - x) ** 2 + params["b"] * (y - x**2) ** 2
    if name == "saddle":
        return x**2 - y**2
    if name == "ravine":
        t = math.radians(params["angle"])
        u = math.cos(t) * x + math.sin(t) * y
        v = -math.sin(t) * x + math.cos(t) * y
        return 0.5 * (u**2 + params["kappa"] * v**2)
    if name == "beale":
        return (1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2 + (2.625 - x + x * y**3) ** 2
    if name == "himmelblau":
        return (x**2 + y - 11) ** 2 + (x + y**2 - 7) ** 2
    if name == "booth":
        return (x + 2 * y - 7) ** 2 + (2 * x + y - 5) ** 2
    if name == "rastrigin":
        return 20 + x**2 - 10 * np.cos(2 * np.pi * x) + y**2 - 10 * np.cos(2 * np.pi * y)
    if name == "ackley":
        return (-20 * np.exp(-0.2 * np.sqrt(0.5 * (x**2 + y**2)))
                - np.exp(0.5 * (np.cos(2 * np.pi * x) + np.cos(2 * np.pi * y))) + np.e + 20)
    if name == "goldstein_price":
        a = 1 + (x + y + 1) ** 2 * (19 - 14 * x + 3 * x**2 - 14 * y + 6 * x * y + 3 * y**2)
        b = 30 + (2 * x - 3 * y) ** 2 * (18 - 32 * x + 12 * x**2 + 48 * y - 36 * x * y + 27 * y**2)
        return a * b
    if name == "six_hump_camel":
        return (4 - 2.1 * x**2 + x**4 / 3) * x**2 + x * y + (-4 + 4 * y**2) * y**2
    if name == "monkey_saddle":
        return x**3 - 3 * x * y**2
    if name == "styblinski_tang":
        return 0.5 * (x**4 - 16 * x**2 + 5 * x + y**4 - 16 * y**2 + 5 * y)
    if name == "quadratic":
        return 0.5 * (params["a"] * x**2 + params["c"] * y**2)
    if name == "plateau":
        return 1 - np.exp(-(x**2 + y**2) / (2 * params["w"] ** 2))
    return None


def _scale(values) -> float:
    return max(1.0, float(np.max(np.abs(values))))


# --------------------------------------------------------------------------- registry basics


def test_registry_is_consistent():
    assert len(NAMES) == len(SURFACES) == len(set(NAMES)) > 0
    for name, spec in LANDSCAPES.items():
        assert spec.name == name
        land = get_landscape(name)
        assert isinstance(land, Landscape)
        assert land.name == name
        assert land.params == {p.name: p.default for p in spec.params}


def test_unknown_surface_lists_available_names():
    with pytest.raises(ValueError, match="nope") as info:
        get_landscape("nope")
    for name in NAMES:
        assert name in str(info.value)


@pytest.mark.parametrize("name", NAMES)
def test_metadata(name):
    spec = LANDSCAPES[name]
    land = spec.build()
    (x0, x1), (y0, y1) = land.bounds
    assert math.isfinite(x0) and math.isfinite(x1) and x0 < x1
    assert math.isfinite(y0) and math.isfinite(y1) and y0 < y1
    sx, sy = land.start
    assert x0 <= sx <= x1 and y0 <= sy <= y1, "default start outside the display bounds"
    for mx, my in land.minima:
        assert x0 <= mx <= x1 and y0 <= my <= y1, f"minimum {(mx, my)} outside the bounds"
    assert (land.min_value is None) == (not land.minima)
    assert isinstance(land.formula_latex, str) and land.formula_latex.strip()
    assert land.formula_latex == spec.latex
    assert isinstance(land.gradient_latex, str) and land.gradient_latex.strip()
    assert r"\nabla" in land.gradient_latex
    assert land.title and land.description
    if land.minima:  # a start already at the answer would make a dull demo
        assert float(land.nearest_minimum_distance(np.array(land.start))) > 1e-3


@pytest.mark.parametrize("name", NAMES)
def test_formula_matches_textbook_definition(name):
    spec = LANDSCAPES[name]
    for land in _landscapes(spec):
        p = _points(spec, 200, seed=1)
        ref = _reference(name, p[:, 0], p[:, 1], land.params)
        if ref is None:
            pytest.skip(f"no independent reference definition for '{name}'")
        np.testing.assert_allclose(land.f(p), ref, rtol=1e-12, atol=1e-12 * _scale(ref))


# --------------------------------------------------------------------------- minima


@pytest.mark.parametrize("name", WITH_MINIMA)
def test_minima_value_and_gradient(name):
    spec = LANDSCAPES[name]
    for land in _landscapes(spec):
        tol = 1e-10 * max(1.0, abs(land.min_value))
        for m in land.minima:
            value, grad = land.value_and_grad(np.array(m, dtype=np.float64))
            assert abs(float(value) - land.min_value) <= tol, (land.params, m, float(value))
            if land.smooth:
                np.testing.assert_allclose(grad, 0.0, atol=1e-8, err_msg=f"{land.params} {m}")
            else:
                # the kink is at the minimum: value_and_grad returns the subgradient 0 exactly
                assert np.all(grad == 0.0), (land.params, m, grad)


def test_ackley_gradient_is_exactly_zero_at_its_kink():
    torch = pytest.importorskip("torch")
    land = get_landscape("ackley")
    assert not land.smooth
    assert land.minima == ((0.0, 0.0),)
    for p in (np.zeros(2), np.zeros((3, 2), np.float32),
              torch.zeros(2, dtype=torch.float64), torch.zeros(4, 2, dtype=torch.float32)):
        value, grad = land.value_and_grad(p)
        assert np.all(np.asarray(grad) == 0.0)
        assert float(np.max(np.abs(np.asarray(value)))) < 1e-6
    # the rule touches only the kink: nearby the gradient is the real, non-zero one
    assert np.all(np.abs(land.grad(np.array([1e-3, -2e-3]))) > 1e-3)


@pytest.mark.parametrize("name", WITH_MINIMA)
def test_declared_minimum_is_global_on_the_display_box(name):
    spec = LANDSCAPES[name]
    for land in _landscapes(spec):
        values = land.f(_grid(spec))
        tol = 1e-10 * max(1.0, abs(land.min_value))
        assert np.nanmin(values) >= land.min_value - tol, (land.params, np.nanmin(values))
        for mx, my in land.minima:  # and a strict local minimum: every nearby point is higher
            ring = np.array([[mx + 1e-3 * math.cos(a), my + 1e-3 * math.sin(a)]
                             for a in np.linspace(0, 2 * math.pi, 16, endpoint=False)])
            assert np.all(land.f(ring) > land.min_value), (land.params, (mx, my))


# --------------------------------------------------------------------------- gradient


@pytest.mark.parametrize("name", NAMES)
def test_gradient_matches_torch_autograd(name):
    torch = pytest.importorskip("torch")
    spec = LANDSCAPES[name]
    for land in _landscapes(spec):
        pts = _points(spec, 50, seed=2)
        p = torch.tensor(pts, dtype=torch.float64, requires_grad=True)
        value = land.f(p)
        assert value.requires_grad, "f must stay differentiable through torch"
        (auto,) = torch.autograd.grad(value.sum(), p)
        exact = land.grad(torch.tensor(pts, dtype=torch.float64))
        assert exact.dtype == torch.float64
        auto, exact = auto.numpy(), exact.numpy()
        assert np.all(np.isfinite(exact))
        np.testing.assert_allclose(exact, auto, rtol=1e-10, atol=1e-12 * _scale(auto),
                                   err_msg=f"{name} {land.params}")


@pytest.mark.parametrize("name", NAMES)
def test_gradient_matches_central_differences(name):
    """Independent of torch: a 4th-order central difference of f agrees with the exact gradient."""
    spec = LANDSCAPES[name]
    land = spec.build()
    p = _points(spec, 50, seed=3)
    h = 1e-4
    fd = np.empty_like(p)
    for k in range(2):
        e = np.zeros(2)
        e[k] = h
        fd[:, k] = (-land.f(p + 2 * e) + 8 * land.f(p + e) - 8 * land.f(p - e) + land.f(p - 2 * e)) / (12 * h)
    exact = land.grad(p)
    scale = _scale(land.f(p)) + _scale(exact)
    np.testing.assert_allclose(exact, fd, rtol=1e-5, atol=1e-7 * scale)


# --------------------------------------------------------------------------- shapes, dtypes, backends

DTYPES = [
    pytest.param(("numpy", "float32"), id="np-f32"),
    pytest.param(("numpy", "float64"), id="np-f64"),
    pytest.param(("torch", "float32"), id="torch-f32"),
    pytest.param(("torch", "float64"), id="torch-f64"),
]
BATCHES = [(), (7,), (3, 4)]


def _as(lib: str, dtype: str, arr: np.ndarray):
    if lib == "numpy":
        return arr.astype(dtype)
    torch = pytest.importorskip("torch")
    return torch.tensor(arr, dtype=getattr(torch, dtype))


def _check_same_kind(out, lib: str, dtype: str, shape: tuple):
    if lib == "numpy":
        # numpy may hand back a NumPy scalar for batch shape (); still numpy and the same dtype
        assert isinstance(out, np.ndarray | np.generic), type(out)
        assert out.dtype == np.dtype(dtype), out.dtype
        assert out.shape == shape
    else:
        import torch

        assert isinstance(out, torch.Tensor), type(out)
        assert out.dtype == getattr(torch, dtype), out.dtype
        assert tuple(out.shape) == shape


@pytest.mark.parametrize("backend", DTYPES)
@pytest.mark.parametrize("name", NAMES)
def test_shapes_and_dtypes(name, backend):
    lib, dtype = backend
    spec = LANDSCAPES[name]
    land = spec.build()
    for batch in BATCHES:
        n = math.prod(batch)
        pts64 = _points(spec, n, seed=4).reshape(*batch, 2)
        p = _as(lib, dtype, pts64)
        value, grad = land.value_and_grad(p)
        _check_same_kind(value, lib, dtype, batch)
        _check_same_kind(grad, lib, dtype, (*batch, 2))
        _check_same_kind(land.f(p), lib, dtype, batch)
        _check_same_kind(land.grad(p), lib, dtype, (*batch, 2))
        _check_same_kind(land.nearest_minimum_distance(p), lib, dtype, batch)
        # the values are those of the float64 NumPy evaluation, to the input's precision
        ref_v, ref_g = land.value_and_grad(pts64)
        v, g = np.asarray(value, dtype=np.float64), np.asarray(grad, dtype=np.float64)
        assert np.all(np.isfinite(v)) and np.all(np.isfinite(g))
        rtol = 1e-3 if dtype == "float32" else 1e-12
        np.testing.assert_allclose(v, ref_v, rtol=rtol, atol=rtol * _scale(ref_v))
        np.testing.assert_allclose(g, ref_g, rtol=rtol, atol=rtol * _scale(ref_g))


@pytest.mark.parametrize("name", NAMES)
def test_numpy_and_torch_agree_in_float64(name):
    torch = pytest.importorskip("torch")
    spec = LANDSCAPES[name]
    for land in _landscapes(spec):
        pts = _points(spec, 500, seed=5).reshape(20, 25, 2)
        nv, ng = land.value_and_grad(pts)
        tv, tg = land.value_and_grad(torch.tensor(pts, dtype=torch.float64))
        np.testing.assert_allclose(tv.numpy(), nv, rtol=1e-13, atol=1e-14 * _scale(nv))
        np.testing.assert_allclose(tg.numpy(), ng, rtol=1e-13, atol=1e-14 * _scale(ng))


# --------------------------------------------------------------------------- parameters


@pytest.mark.parametrize("name", PARAM_NAMES)
def test_parameters_at_both_ends_build_and_matter(name):
    spec = LANDSCAPES[name]
    probe = np.array([spec.start, (0.7, -0.4)])
    for p in spec.params:
        assert p.low is not None and p.high is not None and p.low <= p.default <= p.high
        lo = spec.build(**{p.name: p.low})
        hi = spec.build(**{p.name: p.high})
        assert lo.params[p.name] == p.low and hi.params[p.name] == p.high
        for land in (lo, hi):
            value, grad = land.value_and_grad(_points(spec, 30, seed=6))
            assert np.all(np.isfinite(value)) and np.all(np.isfinite(grad))
        default = spec.build()
        for end, land in ((p.low, lo), (p.high, hi)):
            if end != p.default:  # (angle ±90 are the same surface, so compare with the default)
                assert not np.allclose(land.f(probe), default.f(probe)), f"{p.name}={end} has no effect"
    everything_low = spec.build(**{p.name: p.low for p in spec.params})
    everything_high = spec.build(**{p.name: p.high for p in spec.params})
    assert np.all(np.isfinite(everything_low.f(probe))) and np.all(np.isfinite(everything_high.f(probe)))
    # get_landscape passes parameters through
    p0 = spec.params[0]
    assert get_landscape(name, **{p0.name: p0.high}).params[p0.name] == p0.high


def _outside(low: float, high: float) -> list[float]:
    return [low - abs(low) - 1.0, high + abs(high) + 1.0, float("nan"), float("inf")]


@pytest.mark.parametrize("name", PARAM_NAMES)
def test_out_of_range_parameter_is_rejected_with_its_range(name):
    spec = LANDSCAPES[name]
    for p in spec.params:
        for bad in _outside(p.low, p.high):
            with pytest.raises(ValueError) as info:
                get_landscape(name, **{p.name: bad})
            msg = str(info.value)
            assert p.name in msg, msg
            assert p.range_text in msg, msg
            assert f"{p.low:g}" in msg and f"{p.high:g}" in msg, msg
            assert name in msg, msg
        for bad in ("1", True, None):
            with pytest.raises(ValueError, match=p.name):
                spec.build(**{p.name: bad})


@pytest.mark.parametrize("name", NAMES)
def test_unknown_parameter_is_rejected(name):
    spec = LANDSCAPES[name]
    with pytest.raises(ValueError) as info:
        get_landscape(name, not_a_param=1.0)
    msg = str(info.value)
    assert "not_a_param" in msg and "allowed" in msg, msg
    for p in spec.params:
        assert p.name in msg, msg


@pytest.mark.parametrize("name", PARAM_NAMES[:1])
def test_array_valued_surface_parameter_is_a_value_error(name):
    p = LANDSCAPES[name].params[0]
    with pytest.raises(ValueError, match=p.name):
        get_landscape(name, **{p.name: [p.default, p.default]})


# --------------------------------------------------------------------------- ravine


def _rotation(deg: float) -> np.ndarray:
    t = math.radians(deg)
    return np.array([[math.cos(t), -math.sin(t)], [math.sin(t), math.cos(t)]])


def _hessian(land: Landscape, p: np.ndarray, h: float = 1e-2) -> np.ndarray:
    """Hessian at ``p`` from central differences of the exact gradient."""
    cols = []
    for k in range(2):
        e = np.zeros(2)
        e[k] = h
        cols.append((land.grad(p + e) - land.grad(p - e)) / (2 * h))
    return np.stack(cols, axis=-1)


@pytest.mark.parametrize("kappa", [1.0, 7.5, 100.0, 1000.0])
@pytest.mark.parametrize("angle", [30.0, -90.0, 45.0, 90.0])
def test_ravine_rotation_rotates_the_function(angle, kappa):
    base = get_landscape("ravine", kappa=kappa, angle=0.0)
    rot = get_landscape("ravine", kappa=kappa, angle=angle)
    p = _points(LANDSCAPES["ravine"], 100, seed=7)
    rp = p @ _rotation(angle).T  # R p for each row
    np.testing.assert_allclose(rot.f(rp), base.f(p), rtol=1e-12, atol=1e-12)
    # and the gradient rotates with it: grad f_rot(R p) = R grad f(p)
    np.testing.assert_allclose(rot.grad(rp), base.grad(p) @ _rotation(angle).T, rtol=1e-10, atol=1e-10)
    if kappa != 1.0 and abs(angle) != 90.0:  # the rotation is not a symmetry: the test can tell
        assert not np.allclose(rot.f(p), base.f(p))


@pytest.mark.parametrize("kappa", [1.0, 3.0, 100.0, 1000.0])
@pytest.mark.parametrize("angle", [0.0, 30.0, -60.0, 90.0])
def test_ravine_hessian_has_condition_number_kappa(kappa, angle):
    land = get_landscape("ravine", kappa=kappa, angle=angle)
    for p in _points(LANDSCAPES["ravine"], 3, seed=8):
        hess = _hessian(land, p)
        np.testing.assert_allclose(hess, hess.T, atol=1e-9 * kappa)
        eig, vec = np.linalg.eigh(hess)
        np.testing.assert_allclose(eig, [1.0, kappa] if kappa > 1 else [1.0, 1.0], rtol=1e-9)
        assert eig[1] / eig[0] == pytest.approx(kappa, rel=1e-9)
        if kappa > 1:  # the flat direction is (cos θ, sin θ): the valley turns by +angle
            t = math.radians(angle)
            assert abs(vec[:, 0] @ [math.cos(t), math.sin(t)]) == pytest.approx(1.0, abs=1e-9)


# --------------------------------------------------------------------------- nearest minimum


@pytest.mark.parametrize("name", NO_MINIMA)
def test_nearest_minimum_distance_is_nan_without_minima(name):
    land = get_landscape(name)
    assert land.minima == ()
    p = _points(LANDSCAPES[name], 12).reshape(3, 4, 2)
    d = land.nearest_minimum_distance(p)
    assert d.shape == (3, 4) and np.all(np.isnan(d))
    torch = pytest.importorskip("torch")
    dt = land.nearest_minimum_distance(torch.tensor(p))
    assert dt.shape == (3, 4) and bool(torch.isnan(dt).all())


@pytest.mark.parametrize("name", WITH_MINIMA)
def test_nearest_minimum_distance(name):
    land = get_landscape(name)
    p = _points(LANDSCAPES[name], 60, seed=9)
    mins = np.array(land.minima)
    expected = np.min(np.linalg.norm(p[:, None, :] - mins[None, :, :], axis=-1), axis=1)
    np.testing.assert_allclose(land.nearest_minimum_distance(p), expected, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(land.nearest_minimum_distance(mins), 0.0, atol=1e-15)
    for m in mins:  # a point a known offset away from a minimum, nearer to it than to the others
        others = [np.linalg.norm(m - o) for o in mins if not np.array_equal(m, o)]
        r = 0.25 * min(others, default=1.0)
        assert float(land.nearest_minimum_distance(m + [0.6 * r, 0.8 * r])) == pytest.approx(r, rel=1e-12)
    torch = pytest.importorskip("torch")
    dt = land.nearest_minimum_distance(torch.tensor(p.reshape(6, 10, 2)))
    assert dt.shape == (6, 10)
    np.testing.assert_allclose(dt.numpy().ravel(), expected, rtol=1e-12, atol=1e-12)

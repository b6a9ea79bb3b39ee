"""Independent reference trajectories: the real torch.optim / pytorch_optimizer classes, or the
formula worked by hand, stepped one trajectory at a time with the landscape's exact gradient.

Used live by the parity tests (when torch is installed) and by ``scripts/make_golden.py``,
which stores the same trajectories so that a machine without torch still checks the truth.
"""

from __future__ import annotations

from contextlib import contextmanager

import numpy as np

# Landscapes, starts and steps for the parity checks (several surfaces, 200+ steps).
# Starts lie well inside one basin: near a ridge or a saddle, 1-ulp differences (torch's
# kernels fuse multiply-adds) decide which basin a path falls into, and no comparison of
# two implementations can be exact there.
CASES = (
    ("rosenbrock", {}, [[-1.5, 2.5], [1.8, 2.0]]),
    ("himmelblau", {}, [[2.0, 1.0], [-4.0, -4.0]]),
    ("ravine", {"kappa": 20.0, "angle": 30.0}, [[-3.5, 1.5], [2.0, 2.0]]),
)
STEPS = 200
# Optimizers whose paths are chaotic on a surface of CASES get three others: the Polyak step
# bounces across Rosenbrock's curved valley (a 1e-12 nudge moves its path by 0.1).
CASES_BY_OPTIMIZER = {
    "polyak": (CASES[1], CASES[2], ("booth", {}, [[-8.0, -6.0], [5.0, 5.0]])),
}

# Sub-ranges for random hyperparameters: inside each spec's range, away from instant blow-up.
_TEST_RANGES = {
    "beta1": (0.0, 0.99), "beta2": (0.5, 0.9999), "momentum": (0.0, 0.99),
    "dampening": (0.0, 0.5), "weight_decay": (0.0, 0.5), "rho": (0.5, 0.99),
    "momentum_decay": (0.0, 0.01), "beta2_decay": (-1.0, -0.5), "d": (1.0, 3.0),
    "initial_accumulator_value": (0.0, 1.0), "lr_decay": (0.0, 0.1), "alpha": (0.1, 0.9),
    "eta_minus": (0.2, 0.8), "eta_plus": (1.05, 1.5), "step_min": (0.0, 1e-3),
    "step_max": (0.05, 1.0), "lambd": (0.0, 0.5), "power": (0.5, 1.0), "t0": (0.0, 150.0),
    "tolerance_grad": (0.0, 1e-3), "tolerance_change": (0.0, 1e-3), "beta3": (0.5, 0.9999),
    "mix": (0.0, 10.0), "t_warmup": (10.0, 300.0), "d_coef": (0.1, 2.0), "gamma": (0.0, 0.5),
    "growth_rate": (1.01, 2.0), "r": (0.0, 2.0), "weight_lr_power": (0.0, 4.0),
    "shampoo_beta": (0.5, 0.99), "clip": (0.01, 0.5), "damping": (0.0, 5.0),
    "f_star": (-1.0, 0.0),
}


def sample_hyperparams(spec, rng: np.random.Generator) -> dict:
    """Random hyperparameters for ``spec``, each within its declared range."""
    hp = {}
    for p in spec.params:
        if p.kind == "bool":
            hp[p.name] = bool(rng.integers(2))
        elif p.kind == "int":
            hp[p.name] = int(rng.integers(1, 11))
        elif p.kind == "choice":
            hp[p.name] = str(rng.choice(p.choices))
        elif p.name == "lr":
            hp["lr"] = float(min(p.default * 10 ** rng.uniform(-1.0, 0.7), p.high))
        elif p.name.startswith("eps"):  # large enough for its placement in the rule to show
            hp[p.name] = None if p.optional and rng.integers(2) else float(10 ** rng.uniform(-6, -1))
        elif p.optional and rng.integers(2):
            hp[p.name] = None
        elif p.name in _TEST_RANGES:
            lo, hi = _TEST_RANGES[p.name]
            hp[p.name] = float(rng.uniform(lo, hi))
        elif p.log and p.default > 0:
            hp[p.name] = float(p.default * 10 ** rng.uniform(-1, 1))
        else:
            hp[p.name] = float(rng.uniform(p.low, p.high))
    if hp.get("nesterov") and "dampening" in hp:  # torch.optim.SGD: no dampening, μ > 0
        hp["dampening"] = 0.0
        hp["momentum"] = max(hp.get("momentum", 0.9), 0.1)
    return hp


def _torch_optimizer(name: str, hp: dict, params, base: str | None = None):
    import torch

    o = torch.optim
    betas = (hp.get("beta1"), hp.get("beta2"))
    wd = hp.get("weight_decay", 0.0)
    if name == "lookahead":
        from pytorch_optimizer import Lookahead

        inner = _torch_optimizer(base, hp, params)
        return Lookahead(inner, k=hp["k"], alpha=hp["alpha"])
    if name in ("sgd", "nesterov"):
        return o.SGD(params, lr=hp["lr"], momentum=hp["momentum"],
                     dampening=hp.get("dampening", 0.0),
                     nesterov=name == "nesterov" or hp["nesterov"], weight_decay=wd)
    if name == "rmsprop":
        return o.RMSprop(params, lr=hp["lr"], alpha=hp["beta2"], eps=hp["eps"],
                         momentum=hp["momentum"], centered=hp["centered"], weight_decay=wd)
    if name == "adagrad":
        return o.Adagrad(params, lr=hp["lr"], lr_decay=hp["lr_decay"], eps=hp["eps"],
                         initial_accumulator_value=hp["initial_accumulator_value"],
                         weight_decay=wd)
    if name == "adadelta":
        return o.Adadelta(params, lr=hp["lr"], rho=hp["rho"], eps=hp["eps"], weight_decay=wd)
    if name in ("adam", "amsgrad"):
        return o.Adam(params, lr=hp["lr"], betas=betas, eps=hp["eps"], weight_decay=wd,
                      amsgrad=name == "amsgrad" or hp["amsgrad"])
    if name == "adamw":
        return o.AdamW(params, lr=hp["lr"], betas=betas, eps=hp["eps"], weight_decay=wd,
                       amsgrad=hp["amsgrad"])
    if name == "nadam":
        return o.NAdam(params, lr=hp["lr"], betas=betas, eps=hp["eps"], weight_decay=wd,
                       momentum_decay=hp["momentum_decay"],
                       decoupled_weight_decay=hp["decoupled_weight_decay"])
    if name == "radam":
        return o.RAdam(params, lr=hp["lr"], betas=betas, eps=hp["eps"], weight_decay=wd,
                       decoupled_weight_decay=hp["decoupled_weight_decay"])
    if name == "adamax":
        return o.Adamax(params, lr=hp["lr"], betas=betas, eps=hp["eps"], weight_decay=wd)
    if name == "adafactor":
        return o.Adafactor(params, lr=hp["lr"], beta2_decay=hp["beta2_decay"],
                           eps=(hp.get("eps1"), hp["eps2"]), d=hp["d"], weight_decay=wd)
    if name == "rprop":
        return o.Rprop(params, lr=hp["lr"], etas=(hp["eta_minus"], hp["eta_plus"]),
                       step_sizes=(hp["step_min"], hp["step_max"]))
    if name == "asgd":
        return o.ASGD(params, lr=hp["lr"], lambd=hp["lambd"], alpha=hp["power"], t0=hp["t0"],
                      weight_decay=wd)
    if name == "muon":
        return o.Muon(params, lr=hp["lr"], momentum=hp["momentum"], nesterov=hp["nesterov"],
                      ns_steps=hp["ns_steps"], eps=hp["eps"], adjust_lr_fn=hp["adjust_lr_fn"],
                      weight_decay=wd)
    if name == "lbfgs":
        return o.LBFGS(params, lr=hp["lr"], max_iter=1, history_size=hp["history_size"],
                       tolerance_grad=hp["tolerance_grad"],
                       tolerance_change=hp["tolerance_change"])
    if name == "soap":
        from pytorch_optimizer import SOAP

        return SOAP(params, lr=hp["lr"], betas=betas, shampoo_beta=hp["shampoo_beta"],
                    weight_decay=wd, precondition_frequency=hp["precondition_frequency"],
                    precondition_1d=True, correct_bias=hp["bias_correction"],
                    normalize_gradient=hp["normalize_gradient"], eps=hp["eps"])
    if name in ("sophia_h", "sophia_exact"):
        from pytorch_optimizer import SophiaH

        return SophiaH(params, lr=hp["lr"], betas=betas, weight_decay=wd,
                       weight_decouple=hp["decoupled_weight_decay"], p=hp["clip"],
                       update_period=hp["update_period"], num_samples=hp.get("samples", 1),
                       hessian_distribution="rademacher", eps=hp["eps"], foreach=False)
    if name in ("adabelief", "laprop", "signum", "lamb", "adan", "ademamix", "mars"):
        import pytorch_optimizer as po

        if name == "adabelief":
            return po.AdaBelief(params, lr=hp["lr"], betas=betas, eps=hp["eps"], weight_decay=wd,
                                weight_decouple=hp["decoupled_weight_decay"], foreach=False)
        if name == "laprop":
            return po.LaProp(params, lr=hp["lr"], betas=betas, eps=hp["eps"], weight_decay=wd,
                             foreach=False, cautious=hp["cautious"])
        if name == "adan":
            return po.Adan(params, lr=hp["lr"], betas=(*betas, hp["beta3"]), eps=hp["eps"],
                           weight_decay=wd, weight_decouple=hp["decoupled_weight_decay"],
                           foreach=False)
        if name == "ademamix":
            return po.AdEMAMix(params, lr=hp["lr"], betas=(*betas, hp["beta3"]), eps=hp["eps"],
                               weight_decay=wd, weight_decouple=hp["decoupled_weight_decay"],
                               alpha=hp["mix"], t_alpha_beta3=hp["t_warmup"], foreach=False,
                               cautious=hp["cautious"])
        if name == "mars":
            return po.MARS(params, lr=hp["lr"], betas=betas, gamma=hp["gamma"], eps=hp["eps"],
                           mars_type="adamw", optimize_1d=True, weight_decay=wd,
                           cautious=hp["cautious"], foreach=False)
        if name == "lamb":
            return po.Lamb(params, lr=hp["lr"], betas=betas, eps=hp["eps"], weight_decay=wd,
                           weight_decouple=hp["decoupled_weight_decay"], foreach=False)
        return po.SignSGD(params, lr=hp["lr"], momentum=hp["momentum"], weight_decay=wd,
                          weight_decouple=hp["decoupled_weight_decay"], foreach=False)
    if name == "prodigy":
        from prodigyopt import Prodigy  # the authors' package

        return Prodigy(params, lr=hp["lr"], betas=betas, beta3=hp["beta3"], eps=hp["eps"],
                       weight_decay=wd, decouple=hp["decoupled_weight_decay"],
                       use_bias_correction=hp["bias_correction"], d0=hp["d0"],
                       d_coef=hp["d_coef"], growth_rate=hp["growth_rate"] or float("inf"))
    if name in ("sgd_schedule_free", "adamw_schedule_free"):
        import schedulefree  # the authors' package

        common = {"lr": hp["lr"], "weight_decay": wd, "warmup_steps": hp["warmup_steps"],
                  "r": hp["r"], "weight_lr_power": hp["weight_lr_power"], "foreach": False}
        if name == "sgd_schedule_free":
            opt = schedulefree.SGDScheduleFree(params, momentum=hp["momentum"], **common)
        else:
            opt = schedulefree.AdamWScheduleFree(params, betas=betas, eps=hp["eps"], **common)
        opt.train()
        return opt
    if name == "adopt":
        from adopt import ADOPT  # the authors' package, torch-adopt

        return ADOPT(params, lr=hp["lr"], betas=betas, eps=hp["eps"], weight_decay=wd,
                     decouple=hp["decoupled_weight_decay"])
    if name == "lion":
        from pytorch_optimizer import Lion

        return Lion(params, lr=hp["lr"], betas=betas, weight_decay=wd,
                    weight_decouple=hp["decoupled_weight_decay"], cautious=hp["cautious"])
    raise KeyError(name)


def _hand_path(name: str, hp: dict, landscape, start, steps: int) -> np.ndarray:
    """The lecture momentum and Adam without bias correction, written out plainly."""
    w = np.array(start, dtype=np.float64)
    m, v, v_max = np.zeros(2), np.zeros(2), np.zeros(2)
    out = [w.copy()]
    for _ in range(steps):
        g = landscape.grad(w)
        if name == "momentum":
            m = hp["momentum"] * m + (1 - hp["momentum"]) * g
            w = w - hp["lr"] * m
        else:  # Adam, bias_correction=False, L2 weight decay in the gradient
            g = g + hp["weight_decay"] * w
            m = hp["beta1"] * m + (1 - hp["beta1"]) * g
            v = hp["beta2"] * v + (1 - hp["beta2"]) * g * g
            v_max = np.maximum(v_max, v)
            v_used = v_max if hp["amsgrad"] else v
            w = w - hp["lr"] * m / (np.sqrt(v_used) + hp["eps"])
        out.append(w.copy())
    return np.array(out)


def adopt_by_hand(hp: dict, landscape, start, steps: int) -> np.ndarray:
    """ADOPT, Algorithm 1 of Taniguchi et al. (2024), written from the paper: v_0 = g_0^2 from
    the start's gradient (no move), then for k = 1, 2, ...: clip g / max(sqrt(v), eps) to
    +-k^(1/4), average it into m, move by -lr m, update v. L2 decay goes into every gradient
    (g_0 too); decoupled decay shrinks w before each move, never at the first call."""
    w = np.array(start, dtype=np.float64)
    out = [w.copy()]
    lr, b1, b2, wd, eps = hp["lr"], hp["beta1"], hp["beta2"], hp["weight_decay"], hp["eps"]
    decoupled = hp["decoupled_weight_decay"]
    g = landscape.grad(w) + (0.0 if decoupled else wd * w)
    v, m = g * g, np.zeros(2)
    out.append(w.copy())
    for k in range(1, steps):
        g = landscape.grad(w) + (0.0 if decoupled else wd * w)
        if decoupled:
            w = w - lr * wd * w
        m = b1 * m + (1 - b1) * np.clip(g / np.maximum(np.sqrt(v), eps), -k**0.25, k**0.25)
        w = w - lr * m
        v = b2 * v + (1 - b2) * g * g
        out.append(w.copy())
    return np.array(out)


# The package each live reference needs beyond torch (the parity tests skip without it).
REFERENCE_PACKAGES = {"adopt": "adopt", "lion": "pytorch_optimizer",
                      "lookahead": "pytorch_optimizer", "adabelief": "pytorch_optimizer",
                      "laprop": "pytorch_optimizer", "signum": "pytorch_optimizer",
                      "lamb": "pytorch_optimizer",
                      "adan": "pytorch_optimizer", "ademamix": "pytorch_optimizer",
                      "prodigy": "prodigyopt", "mars": "pytorch_optimizer",
                      "soap": "pytorch_optimizer", "sophia_h": "pytorch_optimizer",
                      "sophia_exact": "pytorch_optimizer",
                      "sgd_schedule_free": "schedulefree",
                      "adamw_schedule_free": "schedulefree"}


def cautious_adam_by_hand(name: str, hp: dict, landscape, start, steps: int) -> np.ndarray:
    """Cautious Adam / AdamW (Liang et al., 2024, with pytorch_optimizer's rescaling): Adam's
    update m̂ / (sqrt(v̂) + eps) kept only where it agrees in sign with g, times
    2 / (kept + 1)."""
    w = np.array(start, dtype=np.float64)
    m, v, v_max = np.zeros(2), np.zeros(2), np.zeros(2)
    lr, b1, b2, wd = hp["lr"], hp["beta1"], hp["beta2"], hp["weight_decay"]
    out = [w.copy()]
    for t in range(1, steps + 1):
        g = landscape.grad(w)
        if name == "adamw":
            w = w * (1 - lr * wd)
        else:
            g = g + wd * w
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        v_max = np.maximum(v_max, v)
        v_used = v_max if hp["amsgrad"] else v
        m_hat = m / (1 - b1**t)
        if name == "adam" and not hp["bias_correction"]:
            m_hat, v_hat = m, v_used
        else:
            v_hat = v_used / (1 - b2**t)
        kept = (m_hat * g > 0).astype(float)
        w = w - lr * m_hat * kept * (2 / (kept.sum() + 1)) / (np.sqrt(v_hat) + hp["eps"])
        out.append(w.copy())
    return np.array(out)


def newton_by_hand(hp: dict, landscape, start, steps: int) -> np.ndarray:
    """Damped Newton, w - lr (H + damping I)^-1 g, with H from torch autograd and the system
    solved by numpy.linalg.solve (independent of the closed-form 2x2 solve and of SymPy)."""
    import torch

    w = np.array(start, dtype=np.float64)
    out = [w.copy()]
    for _ in range(steps):
        h = torch.autograd.functional.hessian(landscape.f, torch.tensor(w)).numpy()
        w = w - hp["lr"] * np.linalg.solve(h + hp["damping"] * np.eye(2), landscape.grad(w))
        out.append(w.copy())
    return np.array(out)


def polyak_by_hand(hp: dict, landscape, start, steps: int) -> np.ndarray:
    """Polyak's step size: w - lr max(f - f*, 0) / (|g|^2 + eps) g, f* given or the surface's."""
    f_star = landscape.min_value if hp["f_star"] is None else hp["f_star"]
    w = np.array(start, dtype=np.float64)
    out = [w.copy()]
    for _ in range(steps):
        f, g = landscape.value_and_grad(w)
        w = w - hp["lr"] * max(f - f_star, 0.0) / (g @ g + hp["eps"]) * g
        out.append(w.copy())
    return np.array(out)


_BY_HAND = {"polyak": polyak_by_hand}


def uses_hand_reference(name: str, hp: dict) -> bool:
    return (name in _BY_HAND or name == "momentum"
            or (name in ("adam", "adamw") and hp.get("cautious", False))
            or (name == "adam" and not hp.get("bias_correction", True)))


def reference_path(name: str, hp: dict, landscape, start, steps: int,
                   base: str | None = None) -> np.ndarray:
    """(steps + 1, 2) positions from the reference implementation of ``name``."""
    if name in ("adam", "adamw") and hp.get("cautious", False):
        return cautious_adam_by_hand(name, hp, landscape, start, steps)
    if name in _BY_HAND:
        return _BY_HAND[name](hp, landscape, start, steps)
    if uses_hand_reference(name, hp):
        return _hand_path(name, hp, landscape, start, steps)
    if name == "newton":
        return newton_by_hand(hp, landscape, start, steps)
    import torch

    # float64 throughout: torch keeps some scalar state (NAdam's mu_product, step counts)
    # in the default dtype, float32 unless changed.
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    shape = MATRIX_SHAPED.get(name, (2,))
    try:
        with _in_float64(name):
            p = torch.tensor(start, dtype=torch.float64).reshape(shape).requires_grad_(True)
            opt = _torch_optimizer(name, hp, [p], base=base)
            out = [p.detach().clone()]
            def closure():  # LBFGS evaluates through it; the others ignore it
                with torch.no_grad():
                    f, p.grad = landscape.value_and_grad(p.detach())
                return f.sum()

            for t in range(1, steps + 1):
                with torch.no_grad():
                    p.grad = landscape.grad(p.detach()).clone()
                if name in ("sophia_h", "sophia_exact"):
                    _sophia_step(opt, name, hp, landscape, p, t)
                else:
                    opt.step(closure) if name == "lbfgs" else opt.step()
                out.append(p.detach().clone())
    finally:
        torch.set_default_dtype(previous)
    return torch.stack(out).reshape(steps + 1, 2).numpy()


def _sophia_step(opt, name: str, hp: dict, landscape, p, t: int) -> None:
    """One SophiaH step. Exact: at refresh steps it is handed diag H from torch autograd.
    Hutchinson: p.grad carries its graph (as after ``backward(create_graph=True)``), so the
    reference takes its own Hessian-vector products by double backward; only its random
    probes are replaced by optiviz's (optim_core.sophia.probe), so both draw the same z."""
    import torch

    refresh = (t - 1) % hp["update_period"] == 0
    if name == "sophia_exact":
        if refresh:
            h = torch.autograd.functional.hessian(landscape.f, p.detach())
            opt.step(hessian=[torch.diagonal(h).clone()])
        else:
            opt.step()
        return
    from optim_core.sophia import probe

    with torch.enable_grad():
        (p.grad,) = torch.autograd.grad(landscape.f(p), p, create_graph=True)
    drawn = iter(range(hp["samples"]))
    original = torch.randint_like

    def randint_like(like, low, high, **kwargs):  # the reference's Rademacher draw: {0, 1}
        assert (low, high) == (0, 2)
        return (torch.tensor(probe(hp["seed"], t, next(drawn)), dtype=like.dtype) + 1) / 2

    torch.randint_like = randint_like
    try:
        opt.step()
    finally:
        torch.randint_like = original
    assert next(drawn, None) is None or not refresh, "the reference drew fewer probes"


# Optimizers that take matrices only get the point as a 1×2 matrix.
MATRIX_SHAPED = {"muon": (1, 2)}


@contextmanager
def _in_float64(name: str):
    """Where a reference rounds part of its algorithm to a lower precision, the cast is made a
    copy while it runs, leaving the rest of its algorithm as it is: torch.optim.Muon's
    Newton-Schulz iteration (``grad.bfloat16()``) and pytorch_optimizer.SOAP's QR
    (``power_iter.to(torch.float32)``)."""
    import torch

    if name == "muon":
        patched, attr = torch.Tensor.bfloat16, "bfloat16"
        replacement = lambda self, *args, **kwargs: self.clone()  # noqa: E731
    elif name == "soap":
        patched, attr = torch.Tensor.to, "to"

        def replacement(self, *args, **kwargs):
            if args and args[0] is torch.float32 and self.dtype is torch.float64:
                return self.clone()
            return patched(self, *args, **kwargs)
    else:
        yield
        return
    setattr(torch.Tensor, attr, replacement)
    try:
        yield
    finally:
        setattr(torch.Tensor, attr, patched)

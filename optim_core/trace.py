"""Any ``torch.optim.Optimizer`` subclass, as-is, on a surface: :func:`trace`.

The optimizer sees the landscape's exact gradient (set as ``p.grad``) and, when its ``step``
takes one, a closure that evaluates f and ∇f again (LBFGS, line searches). Two layouts:

* **batched**: the (N, 2) starts are one parameter and one optimizer steps them all. Right
  only for element-wise rules (Adam, RMSprop, Lion, ...), where row i never sees row j.
* **per trajectory**: one parameter of shape ``point_shape`` and one optimizer per start.
  Needed when the rule mixes coordinates across the tensor (norms, trust ratios, matrix
  factors, orthogonalisation, line searches on the summed loss).

``per_trajectory=None`` decides by experiment, never by name: a probe of ``PROBE_STEPS``
steps from several starts runs both ways; the batched layout is kept only if it agrees with
the single runs, and after the full batched run, the rows with the largest and the smallest
starting gradient are run again alone over every step. Any disagreement beyond round-off
makes the whole run per trajectory, and ``settings["layout"]`` says which layout drew it.
"""

from __future__ import annotations

import inspect
import math
import time
from typing import Any

import numpy as np

from .engine import RunResult, _prepare_starts, _recorded_steps

PROBE_STEPS = 10
POINT_SHAPES = ((2,), (1, 2))
_RTOL, _ATOL = 1e-9, 1e-12  # batched vs single: round-off only (SIMD vs scalar kernels)


def trace(optimizer_class, landscape, starts, steps: int = 500, *,
          per_trajectory: bool | None = None, point_shape: tuple[int, ...] = (2,),
          label: str = "", dtype: str = "float64", record: int | str = "all",
          limit: float = 1e6, **hyperparameters) -> RunResult:
    r"""Run ``optimizer_class(params, **hyperparameters)`` from each start for ``steps`` steps.

    Returns the same :class:`RunResult` as :func:`optim_core.run` (path, loss, grad_norm,
    step_size, diverged_at with the same freezing), plus in ``settings``: ``layout``
    ("batched" or "per trajectory"), ``evaluations`` (R, N), the cumulative number of
    (f, ∇f) evaluations at the recorded steps (a step costs max(1, closure calls)), and
    ``traced: True``. One step is one ``optimizer.step()`` call.

    ``per_trajectory``: True / False to declare the layout, None to detect it (see the
    module). ``point_shape``: the shape of one trajectory's parameter, (2,) a vector, (1, 2) a
    1×2 matrix (for optimizers that only take matrices, such as ``torch.optim.Muon``).
    Hyperparameters are passed to the class as they are (scalars, shared by every start).
    """
    import torch

    if isinstance(landscape, str):
        from landscapes import get_landscape

        landscape = get_landscape(landscape)
    factory = _factory(optimizer_class, hyperparameters)
    if point_shape not in POINT_SHAPES:
        raise ValueError(f"point_shape must be one of {POINT_SHAPES}; got {point_shape!r}.")
    if dtype not in ("float32", "float64"):
        raise ValueError(f"dtype must be 'float32' or 'float64'; got {dtype!r}.")
    if not (isinstance(steps, int) and not isinstance(steps, bool) and 0 <= steps <= 100_000):
        raise ValueError(f"steps must be a whole number from 0 to 100000; got {steps!r}.")
    if not (isinstance(limit, int | float) and 0 < limit < math.inf):
        raise ValueError(f"limit must be a positive finite number; got {limit!r}.")
    if per_trajectory not in (None, True, False):
        raise ValueError(f"per_trajectory must be True, False or None; got {per_trajectory!r}.")
    starts_np = _prepare_starts(starts)
    recorded = _recorded_steps(steps, record)
    sim = _Simulation(factory, landscape, getattr(torch, dtype), point_shape, float(limit))

    tic = time.perf_counter()
    layout, arrays = _run_in_layout(sim, starts_np, steps, per_trajectory, landscape)
    name = f"{optimizer_class.__module__}.{optimizer_class.__qualname__}"
    return RunResult(
        path=arrays["path"][recorded], loss=arrays["loss"][recorded],
        grad_norm=arrays["grad_norm"][recorded], step_size=arrays["step_size"][recorded],
        diverged_at=arrays["diverged_at"], step=recorded, lr_factor=np.ones(steps),
        optimizer=name, label=label or f"{optimizer_class.__name__} (traced)",
        hyperparams=dict(hyperparameters), landscape=getattr(landscape, "name", "custom"),
        settings={"steps": steps, "backend": "torch", "device": "cpu", "dtype": dtype,
                  "noise": 0.0, "seed": 0, "schedule": "constant", "limit": limit,
                  "traced": True, "layout": layout,
                  "evaluations": arrays["evaluations"][recorded]},
        seconds=time.perf_counter() - tic,
    )


def _factory(optimizer_class, hyperparameters: dict[str, Any]):
    """``params -> optimizer``, checked once on a probe tensor so that a bad class or a bad
    hyperparameter fails here with a clear message, not in the middle of a run."""
    import torch

    if not (inspect.isclass(optimizer_class) and issubclass(optimizer_class, torch.optim.Optimizer)):
        raise ValueError(f"trace needs a torch.optim.Optimizer subclass (e.g. torch.optim.Adam); "
                         f"got {optimizer_class!r}.")

    def make(params):
        return optimizer_class(params, **hyperparameters)

    try:
        make([torch.zeros(1, 2, requires_grad=True)])
    except (TypeError, ValueError) as err:
        raise ValueError(f"{optimizer_class.__name__}({', '.join(hyperparameters)}) "
                         f"cannot be built: {err}") from None
    return make


def _run_in_layout(sim, starts: np.ndarray, steps: int, per_trajectory, landscape):
    n = len(starts)
    if per_trajectory or (per_trajectory is None and n > 1 and not _agree_on_probe(sim, starts, landscape)):
        return "per trajectory", _per_trajectory(sim, starts, steps)
    batched = sim.run(starts, steps, batched=True)
    if per_trajectory is None and n > 1:
        g0 = batched["grad_norm"][0]
        rows = sorted({int(np.argmax(g0)), int(np.argmin(g0))})
        if not all(_same(_row(batched, i), sim.run(starts[i:i + 1], steps, batched=False))
                   for i in rows):
            return "per trajectory", _per_trajectory(sim, starts, steps)
    return "batched", batched


def _agree_on_probe(sim, starts: np.ndarray, landscape) -> bool:
    """Batched and single runs agree for ``PROBE_STEPS`` steps from distinct starts (up to
    four of the user's, plus two points of the surface's box at very different scales)."""
    (x0, x1), (y0, y1) = getattr(landscape, "bounds", ((-1.0, 1.0), (-1.0, 1.0)))
    box = np.array([[x0 + 0.3 * (x1 - x0), y0 + 0.8 * (y1 - y0)],
                    [x0 + 0.52 * (x1 - x0), y0 + 0.45 * (y1 - y0)]])
    probe = np.unique(np.concatenate([starts[:4], box]), axis=0)
    batched = sim.run(probe, PROBE_STEPS, batched=True)
    return all(_same(_row(batched, i), sim.run(probe[i:i + 1], PROBE_STEPS, batched=False))
               for i in range(len(probe)))


def _row(arrays: dict, i: int) -> dict:
    return {k: v[i:i + 1] if k == "diverged_at" else v[:, i:i + 1] for k, v in arrays.items()}


def _same(a: dict, b: dict) -> bool:
    return (np.array_equal(a["diverged_at"], b["diverged_at"])
            and np.allclose(a["path"], b["path"], rtol=_RTOL, atol=_ATOL))


def _per_trajectory(sim, starts: np.ndarray, steps: int) -> dict:
    runs = [sim.run(starts[i:i + 1], steps, batched=False) for i in range(len(starts))]
    return {k: np.concatenate([r[k] for r in runs], axis=0 if k == "diverged_at" else 1)
            for k in runs[0]}


class _Simulation:
    """Steps a torch optimizer on a landscape and records every step like the engine does."""

    def __init__(self, factory, landscape, dtype, point_shape, limit: float):
        self.factory, self.landscape, self.dtype = factory, landscape, dtype
        self.point_shape, self.limit = point_shape, limit

    def run(self, starts: np.ndarray, steps: int, *, batched: bool) -> dict:
        """Full arrays (steps + 1, k, ...) for the k rows of ``starts``: one parameter of
        shape (k, 2) if ``batched``, else ``point_shape`` (then k must be 1)."""
        import torch

        k = len(starts)
        shape = (k, 2) if batched else self.point_shape
        p = torch.tensor(starts, dtype=self.dtype).reshape(shape).requires_grad_(True)
        opt = self.factory([p])
        evaluations = [0]

        def evaluate():
            with torch.no_grad():
                f, g = self.landscape.value_and_grad(p.detach().reshape(k, 2))
            return f, g

        def closure():
            evaluations[0] += 1
            f, g = evaluate()
            p.grad = g.reshape(shape).clone()
            return f.sum()

        takes_closure = "closure" in inspect.signature(opt.step).parameters
        path = np.zeros((steps + 1, k, 2))
        loss, gnorm, step_size, evals = (np.zeros((steps + 1, k)) for _ in range(4))
        f, g = evaluate()
        cur = _numpy(p, f, g, k)
        alive = self._ok(*cur)
        diverged_at = np.where(alive, -1, 0)
        self._store(0, cur, 0.0, path, loss, gnorm, step_size)
        total = np.ones(k)
        evals[0] = total
        for t in range(1, steps + 1):
            if alive.any():
                p.grad = g.reshape(shape).clone()
                evaluations[0] = 0
                if takes_closure:
                    opt.step(closure)
                else:
                    opt.step()
                f, g = evaluate()
                new = _numpy(p, f, g, k)
                ok = alive & self._ok(*new)
                diverged_at = np.where(alive & ~ok, t, diverged_at)
                moved = np.where(ok, np.linalg.norm(new[0] - cur[0], axis=-1), 0.0)
                cur = tuple(np.where(ok[:, None] if a.ndim == 2 else ok, a_new, a)
                            for a, a_new in zip(cur, new, strict=True))
                total = total + np.where(alive, max(evaluations[0], 1), 0)
                alive = ok
            else:
                moved = 0.0
            self._store(t, cur, moved, path, loss, gnorm, step_size)
            evals[t] = total
        return {"path": path, "loss": loss, "grad_norm": gnorm, "step_size": step_size,
                "diverged_at": diverged_at.astype(np.int64), "evaluations": evals.astype(np.int64)}

    def _ok(self, p, f, g) -> np.ndarray:
        return (np.all(np.abs(p) <= self.limit, axis=-1) & np.isfinite(f)
                & np.all(np.isfinite(g), axis=-1))

    @staticmethod
    def _store(t, cur, moved, path, loss, gnorm, step_size):
        p, f, g = cur
        path[t], loss[t], gnorm[t], step_size[t] = p, f, np.linalg.norm(g, axis=-1), moved


def _numpy(p, f, g, k: int):
    return (p.detach().reshape(k, 2).cpu().numpy().astype(np.float64),
            f.detach().reshape(k).cpu().numpy().astype(np.float64),
            g.detach().reshape(k, 2).cpu().numpy().astype(np.float64))

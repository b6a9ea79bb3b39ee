"""Choosing the array library, device and dtype; moving arrays in and out of it."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import numpy as np

# torch's CPU allocator backs arrays of 2 MB or more with transparent huge pages: a fresh
# recording (e.g. 40 MB for 10⁴ paths × 200 steps) is written 2.5× faster, as 512× fewer
# page faults clear its memory. Read at torch's first large allocation; set it to 0 to opt out.
os.environ.setdefault("THP_MEM_ALLOC_ENABLE", "1")

BACKENDS = ("numpy", "torch")
DTYPES = ("float32", "float64")
DEVICES = ("cpu", "cuda", "mps", "auto")


@dataclass(frozen=True)
class Backend:
    """An array namespace ``xp`` with the device and dtype every array of a run lives in."""

    name: str
    xp: Any
    device: Any
    dtype: Any

    def asarray(self, value) -> Any:
        """A float array of this backend from a NumPy array or a number."""
        if self.name == "numpy":
            return np.array(value, dtype=self.dtype)
        return self.xp.asarray(np.array(value, dtype=np.float64), dtype=self.dtype,
                               device=self.device)

    def normal_stream(self, seed: int, shape: tuple[int, ...]):
        """``draw(out=None)`` -> the next standard normal array of ``shape``, reproducible
        from ``seed``. NumPy: ``default_rng(seed)`` (float64, then cast). torch: a seeded
        ``torch.Generator`` on the device, drawn in the run's dtype, so no host round trip;
        ``out`` fills a given array instead (the compiled engine's noise block). The two
        libraries' streams differ."""
        if self.name == "numpy":
            rng = np.random.default_rng(seed)
            return lambda out=None: self.asarray(rng.standard_normal(shape))
        import torch

        gen = torch.Generator(device=self.device)
        gen.manual_seed(int(seed))

        def draw(out=None):
            if out is not None:
                return torch.randn(shape, generator=gen, out=out)
            return torch.randn(shape, generator=gen, dtype=self.dtype, device=self.device)

        return draw

    def to_numpy(self, value) -> np.ndarray:
        if self.name == "numpy":
            return np.asarray(value)
        return value.detach().cpu().numpy()


def torch_available() -> bool:
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True


def resolve_backend(backend: str = "numpy", device: str = "cpu",
                    dtype: str = "float64") -> Backend:
    """Validate the run settings and return the :class:`Backend` (``ValueError`` if impossible)."""
    if backend not in BACKENDS:
        raise ValueError(f"Unknown backend '{backend}'. Available: {', '.join(BACKENDS)}.")
    if dtype not in DTYPES:
        raise ValueError(f"Unknown dtype '{dtype}'. Available: {', '.join(DTYPES)}.")
    if device not in DEVICES and not str(device).startswith("cuda:"):
        raise ValueError(f"Unknown device '{device}'. Available: {', '.join(DEVICES)}, cuda:N.")
    if backend == "numpy":
        if device not in ("cpu", "auto"):
            raise ValueError(f"The NumPy backend runs on the CPU only; use backend='torch' "
                             f"for device='{device}'.")
        import array_api_compat.numpy as xp_np

        return Backend("numpy", xp_np, "cpu", np.dtype(dtype))
    if not torch_available():
        raise ValueError("backend='torch' needs PyTorch: pip install 'optiviz[torch]' "
                         "(on the project machines: pip install torch==2.13.0).")
    import array_api_compat.torch as xp_torch
    import torch

    if device == "auto":
        if torch.cuda.is_available():
            device = "cuda"
        elif getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            device = "mps"
        else:
            device = "cpu"
    if str(device).startswith("cuda") and not torch.cuda.is_available():
        raise ValueError("device='cuda' was asked for but no CUDA GPU is available; "
                         "use device='cpu' or 'auto'.")
    if device == "mps" and not (getattr(torch.backends, "mps", None)
                                and torch.backends.mps.is_available()):
        raise ValueError("device='mps' was asked for but Apple MPS is not available.")
    if device == "mps" and dtype == "float64":
        raise ValueError("MPS does not support float64; use dtype='float32' on device='mps'.")
    return Backend("torch", xp_torch, torch.device(device), getattr(torch, dtype))

"""Shared fixtures: the backends every engine test runs on (numpy, torch-cpu, torch-cuda)."""

from __future__ import annotations

import os

import pytest

from optim_core import torch_available

# The explore maps run eagerly in the tests (one engine, no compiling in the background);
# tests/test_warm.py turns compiled maps on where it tests them.
os.environ.setdefault("OPTIVIZ_COMPILE", "0")

HAS_TORCH = torch_available()
requires_torch = pytest.mark.skipif(not HAS_TORCH, reason="torch is not installed")


def _cuda() -> bool:
    if not HAS_TORCH:
        return False
    import torch

    return torch.cuda.is_available()


BACKENDS = [
    pytest.param(("numpy", "cpu"), id="numpy"),
    pytest.param(("torch", "cpu"), id="torch-cpu", marks=requires_torch),
    pytest.param(("torch", "cuda"), id="torch-cuda", marks=[
        pytest.mark.cuda, pytest.mark.skipif(not _cuda(), reason="no CUDA GPU present")]),
]


@pytest.fixture(params=BACKENDS)
def backend(request):
    """(backend, device) pairs; torch ones skip with a reason when unavailable."""
    return request.param

"""Shared fixtures: the backends every engine test runs on (numpy, torch-cpu, torch-cuda)."""

from __future__ import annotations

import os

import pytest

from optim_core import compiled, torch_available

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


TEST_CHUNK = 4  # steps per compiled chunk in the tests
ENGINE_CHUNK = compiled.CHUNK


@pytest.fixture
def short_chunks(monkeypatch):
    """Compiled chunks of :data:`TEST_CHUNK` steps instead of the engine's ``CHUNK`` (16):
    gcc builds a 4-step program about 5× faster (41 s against 205 s for Adan's, cold), and
    nothing in the chunk logic depends on the length (a test that wants the engine's own
    length asks for :func:`engine_chunks` as well)."""
    monkeypatch.setattr(compiled, "CHUNK", TEST_CHUNK)


@pytest.fixture
def engine_chunks(monkeypatch):
    """The engine's own chunk length, after :func:`short_chunks` (requested fixtures run after
    the module's)."""
    monkeypatch.setattr(compiled, "CHUNK", ENGINE_CHUNK)

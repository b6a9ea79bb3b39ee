"""Which engine an explore map runs on: the compiled one (torch) once the map's program is
compiled, else the eager NumPy one while that program compiles in the background.

A compiled program serves every grid size, value and step count of one kind of map (the
rule and its switches, the surface, the tolerance): :func:`engine` is asked with that
``kind``. The first time a kind is seen, a small run of it with ``compile=True`` is queued on
one background thread (≈ 5 s with Inductor's disk cache, ≈ 20 s cold) and the map runs
eagerly; once it is done, that kind's maps run compiled. At most :data:`MAX_QUEUED` kinds wait
at once (others run eagerly and ask again next time), so a class trying many settings never
builds an unbounded queue of compilations. Without torch, or with the environment variable
``OPTIVIZ_COMPILE=0`` (the tests' default), every map runs eagerly.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import threading
from collections.abc import Callable, Hashable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

LOG = logging.getLogger("optiviz")
COMPILED: dict[str, Any] = {"backend": "torch", "compile": True}
EAGER: dict[str, Any] = {}
MAX_QUEUED = 4

_ready: set[Hashable] = set()
_queued: set[Hashable] = set()
_lock = threading.Lock()
_pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="optiviz-compile")


def enabled() -> bool:
    """Compiled maps are possible: torch is installed and ``OPTIVIZ_COMPILE`` is not 0."""
    return os.environ.get("OPTIVIZ_COMPILE", "1") != "0" and \
        importlib.util.find_spec("torch") is not None


def engine(kind: Hashable, warm: Callable[[dict[str, Any]], Any]) -> dict[str, Any]:
    """The run keywords for a map of this ``kind``: :data:`COMPILED` if its program is ready,
    else :data:`EAGER`, queuing ``warm(COMPILED)`` (a small run of the same kind) to build it."""
    if not enabled():
        return EAGER
    with _lock:
        if kind in _ready:
            return COMPILED
        if kind not in _queued and len(_queued) < MAX_QUEUED:
            _queued.add(kind)
            _pool.submit(_warm, kind, warm)
    return EAGER


def _warm(kind: Hashable, warm: Callable[[dict[str, Any]], Any]) -> None:
    try:
        warm(COMPILED)
    except Exception:  # noqa: BLE001 - that kind stays eager; the server log says why
        LOG.exception("optiviz: compiling %r failed; its maps run eagerly", kind)
        ok = False
    else:
        ok = True
    with _lock:
        _queued.discard(kind)
        if ok:
            _ready.add(kind)


def wait(timeout: float | None = None) -> bool:
    """Block until every queued compilation is done (tests, and the benchmark)."""
    done = threading.Event()
    _pool.submit(done.set)
    return done.wait(timeout)

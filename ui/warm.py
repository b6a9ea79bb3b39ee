"""Which engine an explore map runs on: the compiled one (torch) once the map's program is
compiled, else the eager NumPy one while that program compiles in the background.

A compiled program serves every grid size, value and step count of one kind of map (the
rule and its switches, the surface, the tolerance): :func:`engine` is asked with that
``kind``. The first time a kind is seen, a small run of it with ``compile=True`` is queued on
one background thread and the map runs eagerly; once it is done, that kind's maps run
compiled.

Compiling is mostly Python (dynamo's tracing, Inductor's code generation: ≈ 45 s of CPU for a
sweep's program, cold), and in the server's process it would hold the interpreter's lock
against every page's rerun (a slider move took 412 ms instead of 244 ms while it ran). So the
small run goes first to a child process at the lowest CPU priority, which fills Inductor's
disk caches; the same run in the server then finds them (≈ 6 s of CPU instead of ≈ 45). The
child dies with the server. Those 6 s still hold the server's interpreter, so the server waits
for a quiet moment (no page of this process rerun for :data:`QUIET_S`): a lecturer's server
finds one within seconds; under a class's steady load it may never come, and a map of that
kind runs eagerly until it does (100 students on 2 processes: changes' p95 3.3 s with the
in-server builds taken at once, 1.4 s without them).

At most :data:`MAX_QUEUED` kinds wait at once (others run eagerly and ask again next time),
so a class trying many settings never builds an unbounded queue of compilations. Without
torch, or with the environment variable ``OPTIVIZ_COMPILE=0`` (the tests' default), every map
runs eagerly.
"""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import logging
import math
import os
import pickle
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Hashable
from typing import Any

LOG = logging.getLogger("optiviz")
COMPILED: dict[str, Any] = {"backend": "torch", "compile": True}
EAGER: dict[str, Any] = {}
MAX_QUEUED = 4
CHILD_TIMEOUT_S = 900  # a child still compiling after this is stopped; the server compiles
QUIET_S = 3.0  # the server builds a kind once no page has rerun for this long
_CHILD = "import ui.warm; ui.warm.child({parent})"

_ready: set[Hashable] = set()
_queued: set[Hashable] = set()
_lock = threading.Lock()
_jobs: queue.Queue = queue.Queue()
_worker: list[threading.Thread] = []  # one daemon thread, started with the first job


class _Activity:
    """The page reruns of this process: how many run now, and when the last one ended."""

    def __init__(self):
        self.running = 0
        self.last_end = -math.inf
        self.changed = threading.Condition()


_activity = _Activity()


@contextlib.contextmanager
def page_run():
    """Around every page rerun: what :func:`wait_quiet` waits for."""
    with _activity.changed:
        _activity.running += 1
    try:
        yield
    finally:
        with _activity.changed:
            _activity.running -= 1
            _activity.last_end = time.monotonic()
            _activity.changed.notify_all()


def wait_quiet(quiet_s: float) -> None:
    """Block until no page of this process is rerunning or has for ``quiet_s`` seconds."""
    with _activity.changed:
        while True:
            idle = time.monotonic() - _activity.last_end
            if _activity.running == 0 and idle >= quiet_s:
                return
            _activity.changed.wait(None if _activity.running else quiet_s - idle)


def _submit(fn: Callable[..., Any], *args: Any) -> None:
    """Queue ``fn(*args)`` on the one compiling thread. A daemon thread: a stopping server
    does not wait for a compilation (its child is killed with it)."""
    with _lock:
        if not _worker:
            _worker.append(threading.Thread(target=_work, name="optiviz-compile", daemon=True))
            _worker[0].start()
    _jobs.put((fn, args))


def _work() -> None:
    while True:
        fn, args = _jobs.get()
        fn(*args)


def enabled() -> bool:
    """Compiled maps are possible: torch is installed and ``OPTIVIZ_COMPILE`` is not 0."""
    return os.environ.get("OPTIVIZ_COMPILE", "1") != "0" and \
        importlib.util.find_spec("torch") is not None


def engine(kind: Hashable, warm: Callable[[dict[str, Any]], Any]) -> dict[str, Any]:
    """The run keywords for a map of this ``kind``: :data:`COMPILED` if its program is ready,
    else :data:`EAGER`, queuing ``warm(COMPILED)`` (a small run of the same kind) to build it.
    ``warm`` should pickle (a module-level function, or a ``functools.partial`` of one) so that
    a child process can build it first (:func:`build_apart`)."""
    if not enabled():
        return EAGER
    with _lock:
        if kind in _ready:
            return COMPILED
        queue_it = kind not in _queued and len(_queued) < MAX_QUEUED
        if queue_it:
            _queued.add(kind)
    if queue_it:
        _submit(_warm, kind, warm)
    return EAGER


def build_apart(warm: Callable[[dict[str, Any]], Any]) -> bool:
    """Run ``warm(COMPILED)`` in a child Python at the lowest CPU priority, filling Inductor's
    disk caches for this process. False (and nothing run) if ``warm`` does not pickle, or if
    the child failed or ran out of time (the server log says why)."""
    try:
        payload = pickle.dumps(functools.partial(warm, COMPILED))
    except (pickle.PicklingError, AttributeError, TypeError):
        return False
    try:
        done = subprocess.run([sys.executable, "-c", _CHILD.format(parent=os.getpid())],
                              input=payload, capture_output=True, timeout=CHILD_TIMEOUT_S,
                              check=False)
    except subprocess.TimeoutExpired:
        LOG.warning("optiviz: compiling in a child process took over %d s", CHILD_TIMEOUT_S)
        return False
    if done.returncode != 0:
        LOG.warning("optiviz: compiling in a child process failed (exit %d): %s", done.returncode,
                    done.stderr.decode(errors="replace")[-2000:])
    return done.returncode == 0


def child(parent: int) -> None:
    """A build's child process: killed with its parent (Linux), at the lowest CPU priority
    (gcc, which Inductor starts, inherits it), runs the pickled call read from stdin."""
    import ctypes

    with contextlib.suppress(OSError, AttributeError):  # PR_SET_PDEATHSIG = 1, SIGKILL = 9
        ctypes.CDLL(None, use_errno=True).prctl(1, 9)
    if os.getppid() != parent:  # the server stopped before that took effect
        sys.exit(1)
    os.nice(19)
    pickle.loads(sys.stdin.buffer.read())()


def _warm(kind: Hashable, warm: Callable[[dict[str, Any]], Any]) -> None:
    try:
        build_apart(warm)
        wait_quiet(QUIET_S)
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
    _submit(done.set)
    return done.wait(timeout)

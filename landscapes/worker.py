"""Build a landscape where a slow build cannot hold anyone up: in a separate process, with a
hard time limit and a memory limit.

Parsing is bounded in size, but SymPy's differentiation, simplification and common
subexpression search are pure Python with no time bound of their own, and a server process
serves every session from one core. :func:`build_bounded` runs a build in a fresh child of a
fork server that has SymPy and this package loaded already (a start costs milliseconds, not
a Python start-up), waits at most ``time_limit`` seconds for the pickled landscape (its
program and LaTeX included, so the caller does no symbolic work), and kills the child
otherwise: its core and memory are freed at once. At most :data:`MAX_WORKERS` builds run at
the same time; more wait their turn within the same limit.
"""

from __future__ import annotations

import logging
import multiprocessing
import resource
import threading
from collections.abc import Callable

from .formula import FormulaError
from .landscape import Landscape

LOG = logging.getLogger(__name__)
TIME_LIMIT = 3.0  # seconds a build may take once its worker has started
MEMORY_LIMIT = 1 << 30  # bytes of address space a worker may use
MAX_WORKERS = 4

_turns = threading.BoundedSemaphore(MAX_WORKERS)
_context_lock = threading.Lock()
_context = None


def _fork_server():
    """The multiprocessing context: children forked from one server with SymPy imported."""
    global _context
    with _context_lock:
        if _context is None:
            context = multiprocessing.get_context("forkserver")
            # "__main__" is imported once by the server, so a child does not import the
            # program's main script again (multiprocessing would, for every child)
            context.set_forkserver_preload(["__main__", "landscapes"])
            _context = context
        return _context


def _build_in_child(conn, build: Callable[[], Landscape]) -> None:
    """Child side: build, do the symbolic work the caller would do later, send the result."""
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    try:
        land = build()
        land.formula_latex, land.gradient_latex  # noqa: B018 (cached for the caller)
        conn.send(("ok", land))
    except FormulaError as exc:  # the message is for the user
        conn.send(("error", str(exc)))
    except (MemoryError, RecursionError):
        conn.send(("error", "The formula is too large to work with: make it shorter or simpler."))
    except Exception as exc:  # noqa: BLE001 (reported as a refusal; details to the log)
        conn.send(("bug", f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()


def build_bounded(build: Callable[[], Landscape], time_limit: float = TIME_LIMIT) -> Landscape:
    """``build()`` run in a worker process, which is killed after ``time_limit`` seconds.

    ``build`` must pickle (a module-level function, a bound method of a picklable object, or
    a ``functools.partial`` of one). Raises :class:`FormulaError` with a message for the
    user when the build fails, runs out of time or memory, or no worker is free in time.
    """
    if not _turns.acquire(timeout=time_limit):
        raise FormulaError("The server is busy building other formulas; try again in a moment.")
    try:
        context = _fork_server()
        receive, send = context.Pipe(duplex=False)
        child = context.Process(target=_build_in_child, args=(send, build), daemon=True)
        child.start()
        send.close()
        try:
            answer = receive.recv() if receive.poll(time_limit) else None
        except EOFError:  # the child died without answering (e.g. killed for memory)
            answer = ("error", "The formula is too large to work with: make it shorter or simpler.")
        finally:
            child.kill()
            child.join()
            receive.close()
    finally:
        _turns.release()
    if answer is None:
        raise FormulaError(f"Working out this formula and its gradient took longer than "
                           f"{time_limit:g} s, so it was stopped. Try a shorter or simpler formula.")
    kind, payload = answer
    if kind == "ok":
        return payload
    if kind == "bug":
        LOG.error("building a landscape failed in its worker: %s", payload)
        raise FormulaError("This formula could not be worked out (the error was logged for the "
                           "maintainers). Try writing it another way.")
    raise FormulaError(payload)

"""Build a landscape where a slow build cannot hold anyone up: in a separate process, with a
hard time limit and a memory limit.

Parsing is bounded in size, but SymPy's differentiation, simplification and common
subexpression search are pure Python with no time bound of their own, and a server process
serves every session from one core. :func:`build_bounded` forks a child of the calling
process (SymPy and this package are loaded already, so a start costs milliseconds), waits at
most ``time_limit`` seconds for the pickled landscape (its program and LaTeX included, so the
caller does no symbolic work), and kills the child otherwise: its core and memory are freed at
once. The child also bounds itself (an alarm, an address-space limit), so it ends even if the
caller dies. At most :data:`MAX_WORKERS` builds run at the same time; more wait their turn
within the same limit.

Why fork, not spawn or a fork server: a spawned child starts Python and imports SymPy and the
surfaces (1–2 s), and multiprocessing prepares spawn and fork-server children by importing the
caller's ``__main__``, which under Streamlit is the page script itself. The forked child runs
only the build (pure Python) and never touches the server's other threads.
"""

from __future__ import annotations

import logging
import math
import multiprocessing
import resource
import signal
import threading
from collections.abc import Callable

from .formula import FormulaError
from .landscape import Landscape

LOG = logging.getLogger(__name__)
TIME_LIMIT = 3.0  # seconds a build may take once its worker has started
MEMORY_LIMIT = 1 << 30  # bytes of address space a worker may use beyond what it inherits
MAX_WORKERS = 4
TOO_LARGE = "The formula is too large to work with: make it shorter or simpler."

_turns = threading.BoundedSemaphore(MAX_WORKERS)


class WorkersBusy(FormulaError):
    """No worker was free within the time limit: a passing state, worth another try."""
_FORK = multiprocessing.get_context("fork")


def _build_in_child(conn, build: Callable[[], Landscape], time_limit: float) -> None:
    """Child side: build, do the symbolic work the caller would do later, send the result."""
    signal.alarm(math.ceil(time_limit) + 1)  # ends this process even if the caller is gone
    with open("/proc/self/statm") as statm:
        inherited = int(statm.read().split()[0]) * resource.getpagesize()
    resource.setrlimit(resource.RLIMIT_AS, (inherited + MEMORY_LIMIT, inherited + MEMORY_LIMIT))
    try:
        land = build()
        land.formula_latex, land.gradient_latex  # noqa: B018 (cached for the caller)
        conn.send(("ok", land))
    except FormulaError as exc:  # the message is for the user
        conn.send(("error", str(exc)))
    except (MemoryError, RecursionError):
        conn.send(("error", TOO_LARGE))
    except Exception as exc:  # noqa: BLE001 (reported as a refusal; details to the log)
        conn.send(("bug", f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()


def build_bounded(build: Callable[[], Landscape], time_limit: float | None = None) -> Landscape:
    """``build()`` run in a worker process, which is killed after ``time_limit`` seconds
    (:data:`TIME_LIMIT` unless given).

    ``build`` runs in a forked copy of this process; its result must pickle. Raises
    :class:`FormulaError` with a message for the user when the build fails, runs out of time
    or memory, or no worker is free in time.
    """
    time_limit = TIME_LIMIT if time_limit is None else time_limit
    if not _turns.acquire(timeout=time_limit):
        raise WorkersBusy("The server is busy building other formulas; try again in a moment.")
    try:
        receive, send = _FORK.Pipe(duplex=False)
        child = _FORK.Process(target=_build_in_child, args=(send, build, time_limit), daemon=True)
        child.start()
        send.close()
        try:
            answer = receive.recv() if receive.poll(time_limit) else None
        except EOFError:  # the child died without answering (e.g. out of memory)
            answer = ("error", TOO_LARGE)
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

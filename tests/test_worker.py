"""Typed formulas are worked out in a worker process with a hard time limit
(``landscapes.worker.build_bounded``): a slow or endless build is stopped and its process
freed, the others keep being served meanwhile, and every failure is a ``FormulaError`` whose
message is for the user."""

from __future__ import annotations

import functools
import os
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from landscapes import FormulaError, Landscape, from_formula, worker
from landscapes.worker import WorkersBusy, build_bounded

from .processes import alive as _alive


def _endless(pid_file: str) -> Landscape:
    Path(pid_file).write_text(str(os.getpid()))
    while True:
        pass


def _hungry() -> Landscape:
    return bytearray(8 << 30)  # more than the worker's memory limit


def _broken() -> Landscape:
    raise KeyError("internal")


def test_a_formula_is_built_in_the_worker_with_its_program_and_latex():
    land = build_bounded(functools.partial(from_formula, "(x - 1)**2 + 10*sin(y)"))
    assert isinstance(land, Landscape)
    assert "formula_latex" in vars(land) and "gradient_latex" in vars(land)  # worked out there
    p = np.array([[0.5, 0.25]])
    np.testing.assert_allclose(land.grad(p), [[2 * (0.5 - 1), 10 * np.cos(0.25)]], rtol=1e-14)


def test_the_parser_message_comes_back_from_the_worker():
    with pytest.raises(FormulaError, match="too large"):
        build_bounded(functools.partial(from_formula, "exp(exp(exp(100*(x/x))))"))


def test_an_endless_build_is_stopped_and_its_process_freed(tmp_path):
    pid_file = tmp_path / "pid"
    with pytest.raises(FormulaError, match="longer than 0.5 s"):
        build_bounded(functools.partial(_endless, str(pid_file)), time_limit=0.5)
    assert not _alive(int(pid_file.read_text()))


def test_other_builds_are_served_while_one_runs_endlessly(tmp_path):
    errors = []

    def slow():
        try:
            build_bounded(functools.partial(_endless, str(tmp_path / "pid")), time_limit=6.0)
        except FormulaError as exc:
            errors.append(exc)

    thread = threading.Thread(target=slow)
    thread.start()
    try:
        while not (tmp_path / "pid").exists():
            time.sleep(0.01)
        land = build_bounded(functools.partial(from_formula, "x**2 + y**2"), time_limit=6.0)
        assert thread.is_alive()  # answered while the endless one still runs
        assert float(land.f(np.array([1.0, 2.0]))) == 5.0
    finally:
        thread.join()
    assert len(errors) == 1


def test_a_build_that_runs_out_of_memory_is_refused():
    with pytest.raises(FormulaError, match="too large"):
        build_bounded(_hungry, time_limit=10.0)


def test_an_internal_error_is_logged_not_shown(caplog):
    with pytest.raises(FormulaError) as info:
        build_bounded(_broken)
    assert "KeyError" not in str(info.value) and "logged" in str(info.value)
    assert "KeyError" in caplog.text


def test_when_every_worker_is_busy_the_build_is_refused_as_busy(monkeypatch):
    monkeypatch.setattr(worker, "_turns", threading.BoundedSemaphore(1))
    worker._turns.acquire()  # the only worker is taken
    try:
        with pytest.raises(WorkersBusy, match="busy"):
            build_bounded(functools.partial(from_formula, "x"), time_limit=0.2)
    finally:
        worker._turns.release()

"""The page's "more optimizers" picker (ui/traced.py): an installed torch optimizer, run as-is by
``trace`` and drawn beside the built-ins; and a rule refused at run time (the Polyak step with
no known f*) named on the page instead of drawn."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from landscapes import LANDSCAPES, get_landscape
from optim_core import trace
from optim_core.installed import default_lr, installed_optimizers
from ui import keys
from ui.traced import LABEL
from viz.series import compact_array

from .page_chart import chart_figure
from .plotly_arrays import as_array

APP = str(Path(__file__).resolve().parents[1] / "app.py")
STEPS = 500  # the page's default


def _lines(at: AppTest) -> dict[str, np.ndarray]:
    lines = [t for t in chart_figure(at)["data"] if t.get("mode") == "lines+markers"]
    return {t["name"]: np.stack([as_array(t["x"]), as_array(t["y"])], axis=-1) for t in lines}


def _first_working(prefix: str):
    """The first installed class under ``prefix`` that runs on the default view and whose path
    depends on α (so the test sees α reach it), and its path."""
    land, start = get_landscape("rosenbrock"), LANDSCAPES["rosenbrock"].start
    for name, cls in installed_optimizers().items():
        if not name.startswith(prefix):
            continue
        lr = default_lr(cls) or 1e-3
        try:
            res = trace(cls, land, [start], STEPS, lr=lr)
            other = trace(cls, land, [start], 20, lr=lr * 2)
        except Exception:  # noqa: BLE001, S112  (a class that needs more than a point: next)
            continue
        if np.all(np.isfinite(res.path)) and not np.allclose(other.path, res.path[:21]):
            return name, res
    pytest.skip(f"no installed {prefix} class runs on a point")


def test_picker_draws_a_pytorch_optimizer_class_as_trace_does():
    pytest.importorskip("torch")
    pytest.importorskip("pytorch_optimizer")
    name, direct = _first_working("pytorch_optimizer.")
    at = AppTest.from_file(APP, default_timeout=120).run()
    assert not at.exception
    at.toggle(key=keys.TRACED_ON).set_value(True).run()
    at.selectbox(key=keys.TRACED).set_value(name).run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    lines = _lines(at)
    label = f"{name.rsplit('.', 1)[-1]} — {LABEL}"
    assert label in lines and len(lines) == 4  # beside the three built-ins
    for k in range(2):  # the chart's points are trace's, compacted the same way
        np.testing.assert_array_equal(lines[label][:, k],
                                      as_array(compact_array(direct.path[:, 0, k])))
    assert direct.settings["traced"] and len(np.unique(direct.path[:, 0], axis=0)) > 10
    half = (default_lr(installed_optimizers()[name]) or 1e-3) / 2
    at.number_input(key=keys.traced_lr(name)).set_value(half).run()  # α reaches the class
    moved = _lines(at)[label]
    again = trace(installed_optimizers()[name], get_landscape("rosenbrock"),
                  [LANDSCAPES["rosenbrock"].start], STEPS, lr=half)
    np.testing.assert_array_equal(moved[:, 0], as_array(compact_array(again.path[:, 0, 0])))
    at.toggle(key=keys.TRACED_ON).set_value(False).run()
    assert len(_lines(at)) == 3


def test_a_class_that_cannot_run_is_named_not_drawn():
    pytest.importorskip("torch")
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.toggle(key=keys.TRACED_ON).set_value(True).run()
    at.selectbox(key=keys.TRACED).set_value("torch.optim.SparseAdam").run()  # sparse gradients only
    assert not at.exception and not at.error
    assert any("SparseAdam" in w.value and "is not drawn" in w.value for w in at.warning)
    assert len(_lines(at)) == 3


def test_polyak_without_a_known_minimum_is_named_not_drawn():
    at = AppTest.from_file(APP, default_timeout=120).run()
    at.selectbox(key=keys.ADD_CHOICE).set_value("polyak").run()
    at.button(key="add").click().run()
    assert len(_lines(at)) == 4
    at.selectbox(key=keys.SURFACE).set_value("saddle").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    notes = [w.value.replace("\\", "") for w in at.warning]
    assert any("Polyak step size** is not drawn" in n and "f_star" in n for n in notes), notes
    assert len(_lines(at)) == 3


def test_the_traced_pick_survives_the_link():
    """A link names the pick ({"name", "lr"}); opening it draws that class with that α, and the
    page's own link keeps it. A malformed pick is refused with a message."""
    pytest.importorskip("torch")
    from ui.viewformat import check, decode, encode

    view = {"surface": "rosenbrock", "optimizers": [{"name": "adam"}],
            "traced": {"name": "torch.optim.Adagrad", "lr": 0.3}}
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["view"] = encode(view)
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    label = f"Adagrad — {LABEL}"
    lines = _lines(at)
    assert set(lines) == {"Adam", label}
    direct = trace(installed_optimizers()["torch.optim.Adagrad"], get_landscape("rosenbrock"),
                   [LANDSCAPES["rosenbrock"].start], STEPS, lr=0.3)
    np.testing.assert_array_equal(lines[label][:, 1], as_array(compact_array(direct.path[:, 0, 1])))
    link = at.query_params["view"]
    assert decode(link if isinstance(link, str) else link[0])["traced"] == view["traced"]
    for bad in ({"name": "os.system", "lr": 0.1}, {"name": "torch.optim.Adam", "lr": 0},
                {"name": "torch.optim.Adam"}):
        with pytest.raises(ValueError, match="traced must be"):
            check({**view, "traced": bad})


def test_lbfgs_with_its_line_search_is_drawn_and_its_evaluations_counted():
    """L-BFGS takes ``line_search_fn``: the picker offers strong Wolfe; the path is trace's with
    it, and the summary counts its evaluations of f (several a step), the built-ins one a step.
    The link keeps the choice; an unknown value is refused with what is allowed."""
    pytest.importorskip("torch")
    from ui.viewformat import check, decode, encode

    view = {"surface": "rosenbrock", "optimizers": [{"name": "adam"}], "steps": 60,
            "traced": {"name": "torch.optim.LBFGS", "lr": 1.0,
                       "options": {"line_search_fn": "strong_wolfe"}}}
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["view"] = encode(view)
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.selectbox(key=keys.traced_option("torch.optim.LBFGS", "line_search_fn")).value \
        == "strong_wolfe"
    label = f"LBFGS (line_search_fn=strong_wolfe) — {LABEL}"
    direct = trace(installed_optimizers()["torch.optim.LBFGS"], get_landscape("rosenbrock"),
                   [LANDSCAPES["rosenbrock"].start], 60, lr=1.0, line_search_fn="strong_wolfe")
    lines = _lines(at)
    np.testing.assert_array_equal(lines[label][:, 0], as_array(compact_array(direct.path[:, 0, 0])))
    rows = {r["optimizer"]: r for r in at.dataframe[0].value.to_dict("records")}
    evaluations = int(direct.settings["evaluations"][-1, 0])
    assert evaluations > 61  # more than one a step: the line search's
    assert int(rows[label]["f, ∇f evaluations"]) == evaluations
    assert int(rows["Adam"]["f, ∇f evaluations"]) == 61  # the start and one a step
    link = at.query_params["view"]
    assert decode(link if isinstance(link, str) else link[0])["traced"] == view["traced"]
    at.selectbox(key=keys.traced_option("torch.optim.LBFGS", "line_search_fn")).set_value(None).run()
    assert f"LBFGS — {LABEL}" in _lines(at)
    with pytest.raises(ValueError, match="line_search_fn: strong_wolfe"):
        check({**view, "traced": {**view["traced"], "options": {"line_search_fn": "armijo"}}})

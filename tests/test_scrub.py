"""The hyperparameter scrub: :func:`optim_core.scrub` equals separate single runs at sampled
values, its values follow each spec's scale, bad requests are refused with a message; the
figure carries every value's path exactly; the page's pickers add the slider to the chart."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from landscapes import get_landscape
from optim_core import OPTIMIZERS, make_optimizer, run, scrub, scrub_values
from paramspec import ParamSpec
from viz.scrub import META_KEY, add_scrub, nearest_index, scrub_figure
from viz.series import kept_rows

from .page_chart import chart_figure
from .plotly_arrays import as_array

APP = str(Path(__file__).resolve().parents[1] / "app.py")
SAMPLED = (0, 17, 40, 63)


def _spec(name: str, param: str) -> ParamSpec:
    return next(p for p in make_optimizer(name).spec.params if p.name == param)


@pytest.mark.parametrize(("name", "param", "fixed"), [
    ("adam", "lr", {}), ("adam", "beta2", {"lr": 0.05}), ("sgd", "momentum", {"lr": 1e-3}),
    ("rmsprop", "eps", {"lr": 0.01}), ("lookahead", "k", {"base": "adam", "lr": 0.05}),
])
def test_each_path_is_the_single_run_at_that_value(name, param, fixed):
    land = get_landscape("rosenbrock")
    sc = scrub(land, make_optimizer(name, **fixed), param, steps=300)
    assert sc.result.path.shape[1] == len(sc.values)
    for i in (i for i in SAMPLED if i < len(sc.values)):
        v = float(sc.values[i])
        same_path = run(land, make_optimizer(name, **fixed, **{param: np.array([v])}), land.start, 300)
        np.testing.assert_array_equal(sc.result.path[:, i], same_path.path[:, 0])  # the same code path
        assert sc.result.diverged_at[i] == same_path.diverged_at[0]
        value = int(v) if sc.spec.kind == "int" else v
        single = run(land, make_optimizer(name, **fixed, **{param: value}), land.start, 300)
        if single.diverged_at[0] < 0:  # a Python float: equal to round-off (see scrub's docstring)
            np.testing.assert_allclose(sc.result.path[:, i], single.path[:, 0], rtol=1e-9, atol=1e-12)


def test_the_values_follow_each_specs_scale():
    lr = scrub_values(_spec("adam", "lr"))  # log, open at 0: 4 decades below the default's
    assert len(lr) == 64 and lr[0] == pytest.approx(1e-6) and lr[-1] == pytest.approx(100.0)
    assert np.allclose(lr[1:] / lr[:-1], (1e8) ** (1 / 63))  # geometric
    beta2 = scrub_values(_spec("adam", "beta2"))  # a decay rate: 1 − β evenly spaced in log
    assert beta2[0] == 0.0 and beta2[-1] == pytest.approx(0.9999)
    assert np.allclose(np.diff(np.log10(1 - beta2)), -4 / 63)
    damp = scrub_values(_spec("sgd", "dampening"))  # linear, closed [0, 1]
    assert np.allclose(damp, np.linspace(0, 1, 64))
    k = scrub_values(_spec("lookahead", "k"))  # whole numbers 1..100, no repeats
    assert k[0] == 1 and k[-1] == 100 and np.all(k == np.round(k)) and len(np.unique(k)) == len(k)
    c = scrub_values(ParamSpec("c", "c", 1.0, 0.0, 2.0, low_open=True, high_open=True))
    assert c[0] == pytest.approx(0.02) and c[-1] == pytest.approx(1.98)  # open ends pulled in by 1 %


def test_values_that_break_a_rule_are_left_out():
    sc = scrub("rosenbrock", "nesterov", "momentum", steps=5)  # Nesterov needs μ > 0
    assert len(sc.values) == 63 and sc.values.min() > 0


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"param": "amsgrad"}, "cannot scrub 'amsgrad'; scrubbable: lr, beta1"),
    ({"param": "learning_rate"}, "cannot scrub 'learning_rate'"),
    ({"param": "lr", "values": [[0.1]]}, "values must be a 1-D array"),
    ({"param": "lr", "values": [-1.0]}, "lr (α) got -1.0 (in the per-trajectory array)"),
    ({"param": "lr", "count": 1}, "count must be a whole number from 2 to 256"),
    ({"param": "lr", "record": 5}, "record is chosen by the scrub"),
    ({"param": "lr", "start": [1.0, 2.0, 3.0]}, "start must be one point"),
])
def test_bad_requests_say_what_is_allowed(kwargs, message):
    with pytest.raises(ValueError) as err:
        scrub("rosenbrock", "adam", steps=5, **kwargs)
    assert message in str(err.value)


def test_the_figure_carries_every_path_up_to_divergence():
    land = get_landscape("rosenbrock")
    sc = scrub(land, make_optimizer("sgd"), "lr", steps=200)  # α up to 100: some diverge
    assert np.any(sc.result.diverged_at > 0)
    spec = add_scrub({"data": [{"type": "scatter"}], "layout": {}}, sc, color="#00ff00", current=0.01)
    meta = spec["layout"]["meta"][META_KEY]
    assert meta["traces"] == [1, 2, 3] and meta["rows"] == 201
    values, lengths = as_array(meta["values"]), as_array(meta["lengths"])
    x = as_array(meta["x"]).reshape(len(values), -1)
    y = as_array(meta["y"]).reshape(len(values), -1)
    np.testing.assert_array_equal(values, sc.values)
    for i in range(len(values)):
        assert lengths[i] == kept_rows(sc.result, i)
        np.testing.assert_array_equal(x[i], sc.result.path[:, i, 0].astype(x.dtype))
        np.testing.assert_array_equal(y[i], sc.result.path[:, i, 1].astype(y.dtype))
    i = meta["index"]
    assert i == int(np.argmin(np.abs(np.log10(sc.values) + 2)))  # nearest to 0.01, on a log scale
    line, end = spec["data"][2], spec["data"][3]
    np.testing.assert_array_equal(as_array(line["x"]), sc.result.path[:lengths[i], i, 0])
    assert as_array(end["y"])[0] == sc.result.path[lengths[i] - 1, i, 1]


def test_nearest_index():
    assert nearest_index(np.array([1e-3, 1e-2, 1e-1]), 0.02) == 1  # log: 0.02 is nearer 0.01
    assert nearest_index(np.array([0.0, 0.5, 1.0]), 0.3) == 1
    assert nearest_index(np.array([0.0, 0.5, 1.0]), None) == 1


def test_the_notebook_figure_has_plotlys_own_slider():
    land = get_landscape("himmelblau")
    sc = scrub(land, "sgd", "momentum", steps=50)
    fig = scrub_figure(land, sc, current=0.9)
    slider = fig.layout.sliders[0]
    assert len(slider.steps) == len(sc.values) == 64
    assert slider.active == nearest_index(sc.values, 0.9)
    step = slider.steps[5]
    np.testing.assert_array_equal(as_array(step.args[0]["x"][1]),
                                  sc.result.path[:kept_rows(sc.result, 5), 5, 0])


def test_the_page_adds_the_slider_for_the_chosen_panel_and_hyperparameter():
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert "optiviz_scrub" not in chart_figure(at)["layout"].get("meta", {})
    at.selectbox(key="scrub").set_value(2).run()  # the third panel: Adam (α=0.1)
    assert not at.exception and not at.error
    assert at.selectbox(key="scrub_param").value == "lr"
    meta = chart_figure(at)["layout"]["meta"][META_KEY]
    assert meta["name"] == "Adam (α=0.1)" and meta["current"] == 0.1 and meta["symbol"] == "α"
    np.testing.assert_array_equal(as_array(meta["values"]), scrub_values(OPTIMIZERS["adam"].params[0]))
    at.selectbox(key="scrub_param").set_value("beta1").run()
    meta = chart_figure(at)["layout"]["meta"][META_KEY]
    assert meta["param"] == "beta1" and meta["current"] == 0.9
    at.button(key="remove2").click().run()  # its panel goes: so does the slider
    assert not at.exception and at.selectbox(key="scrub").value == "off"
    assert META_KEY not in chart_figure(at)["layout"].get("meta", {})

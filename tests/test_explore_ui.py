"""The explore views on the page (AppTest drives each one), their pure helpers, the main-area
switch in the link, and the heavy-ball overlay: ρ against the 2×2 iteration matrix's
eigenvalues computed here, and drawn exactly where the registry and the surface say it holds."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from landscapes import get_landscape
from optim_core import OPTIMIZERS, make_optimizer, sweep
from optim_core.theory import sweep_rate
from tests.page_chart import curve_figures
from tests.test_browser import _CHART_JS, TIMEOUT_MS, browser, server, wait_idle  # noqa: F401
from ui import keys
from ui.explore import (
    BASIN_WORK,
    ENSEMBLE_WORK,
    SWEEP_WORK,
    add_cell,
    axis_values,
    cell_values,
    default_range,
    sweepable,
    work_message,
)
from ui.state import MAX_SLOTS
from ui.viewformat import apply, check, decode, encode

APP = str(Path(__file__).resolve().parents[1] / "app.py")
RHO_ONE = "ρ = 1 (theory)"


# --- theory ------------------------------------------------------------------------------------


def _rho_by_eigenvalues(alpha, beta, curvatures) -> float:
    """max over h of |eigenvalues| of [[1 + β − αh, −β], [1, 0]], by NumPy's eigensolver."""
    return max(np.abs(np.linalg.eigvals([[1 + beta - alpha * h, -beta], [1.0, 0.0]])).max()
               for h in curvatures)


@pytest.mark.parametrize(("name", "fixed", "effective"), [
    # torch's SGD: α' = α(1 − τ), curvatures shifted by the weight decay λ
    ("sgd", {"dampening": 0.3, "weight_decay": 0.5}, lambda a, m: (a * 0.7, m, 0.5)),
    ("momentum", {}, lambda a, m: (a * (1 - m), m, 0.0)),  # the EMA form: α' = α(1 − β)
])
def test_sweep_rate_equals_the_iteration_matrix_eigenvalues(name, fixed, effective):
    bowl = get_landscape("quadratic")  # x²/2 + 5y²: curvatures 1 and 10
    lrs, mus = np.geomspace(1e-3, 0.5, 7), np.linspace(0.0, 0.95, 5)
    sw = sweep(bowl, make_optimizer(name, **fixed), {"lr": lrs, "momentum": mus}, steps=3)
    rho = sweep_rate(sw, bowl)
    for i, a in enumerate(lrs):
        for j, m in enumerate(mus):
            alpha, beta, decay = effective(a, m)
            expected = _rho_by_eigenvalues(alpha, beta, [1.0 + decay, 10.0 + decay])
            assert rho[i, j] == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_the_rate_says_which_cells_converge():
    """Theorem check: ρ < 1 cells shrink toward the minimum, ρ > 1 cells blow up."""
    bowl = get_landscape("quadratic")
    sw = sweep(bowl, "sgd", {"lr": np.geomspace(1e-2, 1.0, 24), "momentum": np.linspace(0, 0.95, 20)},
               steps=400)
    rho = sweep_rate(sw, bowl)
    start = bowl.value_and_grad(np.array([bowl.start]))[0][0]
    grew = (sw.diverged_at >= 0) | (sw.final_loss > start)
    assert np.all(grew[rho > 1.03]) and (rho > 1.03).any()
    assert np.all(sw.final_loss[rho < 0.97] < 1e-3 * start) and (rho < 0.97).any()


@pytest.mark.parametrize(("surface", "name", "fixed"), [
    ("quadratic", "sgd", {"nesterov": True, "momentum": 0.9}),  # look-ahead: not heavy ball
    ("quadratic", "nesterov", {}),
    ("quadratic", "adam", {}),
    ("rosenbrock", "sgd", {}),  # not quadratic
])
def test_sweep_rate_is_none_where_the_theory_does_not_hold(surface, name, fixed):
    land = get_landscape(surface)
    sw = sweep(land, make_optimizer(name, **fixed), {"lr": np.array([1e-3, 1e-2])}, steps=2)
    assert sweep_rate(sw, land) is None


# --- pure helpers ------------------------------------------------------------------------------


def test_axis_values_follow_the_spec_and_refuse_bad_ranges():
    lr = next(p for p in OPTIMIZERS["adam"].params if p.name == "lr")
    beta1 = next(p for p in OPTIMIZERS["adam"].params if p.name == "beta1")
    np.testing.assert_allclose(axis_values(lr, 1e-3, 1e-1, 3), [1e-3, 1e-2, 1e-1])
    np.testing.assert_allclose(axis_values(beta1, 0.0, 0.9, 4), [0.0, 0.3, 0.6, 0.9])
    with pytest.raises(ValueError, match="smaller to a larger"):
        axis_values(lr, 0.1, 0.01, 3)
    with pytest.raises(ValueError, match="start above 0"):
        axis_values(lr, 0.0, 0.1, 3)
    with pytest.raises(ValueError, match="beta1"):
        axis_values(beta1, 0.5, 1.0, 3)  # β₁ < 1
    k = next(p for p in OPTIMIZERS["lookahead"].params if p.name == "k")
    assert axis_values(k, 1, 5, 9).tolist() == [1, 2, 3, 4, 5]


def test_every_optimizer_s_default_ranges_are_allowed():
    for spec in OPTIMIZERS.values():
        current = make_optimizer(spec.name).hyperparams
        for p in sweepable(make_optimizer(spec.name).spec):
            low, high = default_range(p, current.get(p.name))
            assert len(axis_values(p, low, high, 4)) >= 2, (spec.name, p.name, low, high)


def test_work_message_names_the_cap_and_what_to_lower():
    assert work_message("sweep map", SWEEP_WORK, SWEEP_WORK, "x") is None
    text = work_message("sweep map", SWEEP_WORK + 1, SWEEP_WORK, "the steps")
    assert f"{SWEEP_WORK:,}" in text and "lower the steps" in text


def test_a_clicked_point_picks_the_nearest_cell_on_log_axes():
    axes = {"lr": np.array([1e-3, 1e-2, 1e-1]), "momentum": np.array([0.0, 0.5, 0.9])}
    logs = {"lr": True, "momentum": False}
    # 0.004 is nearer 1e-2 on a log scale (and nearer 1e-3 on a linear one)
    assert cell_values(axes, logs, {"x": 0.6, "y": 0.004}) == {"lr": 1e-2, "momentum": 0.5}
    assert cell_values({"lr": axes["lr"]}, {"lr": True}, {"x": 0.05, "y": 3.0}) == {"lr": 1e-1}


def test_add_cell_adds_a_panel_with_the_cell_s_setting():
    state = {keys.SLOTS: [], keys.NEXT_SLOT: 0}
    apply(state, {"surface": "quadratic", "optimizers": [{"name": "sgd", "params": {"lr": 0.01}}]})
    fixed = make_optimizer("sgd", lr=0.01, dampening=0.2).hyperparams
    message = add_cell(state, "sgd", fixed, {"lr": 0.0123456789, "momentum": 0.87654321})
    new = state[keys.SLOTS][-1]
    assert len(state[keys.SLOTS]) == 2 and new["name"] == "sgd" and "Added" in message
    prefix = keys.slot_prefix(new["id"])
    assert state[prefix + "sgd.lr"] == 0.01235 and state[prefix + "sgd.momentum"] == 0.8765
    assert state[prefix + "sgd.dampening"] == 0.2  # the fixed settings come along
    while len(state[keys.SLOTS]) < MAX_SLOTS:
        add_cell(state, "sgd", fixed, {"lr": 0.1})
    assert "panels are in use" in add_cell(state, "sgd", fixed, {"lr": 0.1})
    assert len(state[keys.SLOTS]) == MAX_SLOTS


def test_the_main_view_travels_in_the_link_and_old_links_open_on_the_paths():
    state = {}
    apply(state, {"version": 3, "surface": "himmelblau", "main": "basin"})
    assert state[keys.MAIN] == "Basin map"
    state = {}
    apply(state, {"version": 2, "surface": "himmelblau", "mode": "3d"})
    assert keys.MAIN not in state and keys.main_of(state.get(keys.MAIN)) == "paths"
    with pytest.raises(ValueError, match="main must be one of"):
        check({"surface": "himmelblau", "main": "gallery"})


# --- the page ----------------------------------------------------------------------------------


def _open(config: dict, main: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["view"] = encode({**config, "version": 3, **({"main": main} if main else {})})
    at.run()
    _fine(at)
    return at


def _fine(at: AppTest) -> None:
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]


def _charts(at: AppTest) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def _names(chart: dict) -> list[str]:
    return [d.get("name") for d in chart["data"]]


def _main_switch(at: AppTest):
    return next(b for b in at.get("button_group") if b.key == keys.MAIN)


BOWL = {"surface": "quadratic", "optimizers": [{"name": "sgd", "params": {"lr": 0.05, "momentum": 0.5}},
                                               {"name": "adam", "params": {"lr": 0.1}}],
        "steps": 200}


def test_the_switch_opens_each_view_and_the_link_remembers_it():
    at = _open(BOWL)
    assert _main_switch(at).value == "Paths" and curve_figures(at) and not at.get("plotly_chart")
    for label, main, first_trace in (("Sweep map", "sweep", "log₁₀(f − f*) at the end"),
                                     ("Basin map", "basin", "SGD (α=0.05, μ=0.5)"),
                                     ("Ensemble", "ensemble", "levels")):
        _main_switch(at).set_value(label).run()
        _fine(at)
        assert not at.warning, [w.value for w in at.warning]
        assert _names(_charts(at)[0])[0] == first_trace
        link = at.query_params["view"]
        assert decode(link if isinstance(link, str) else link[0])["main"] == main
    reopened = _open(BOWL, "ensemble")
    assert _main_switch(reopened).value == "Ensemble" and len(_charts(reopened)) == 2
    _main_switch(at).set_value("Paths").run()
    link = at.query_params["view"]
    assert "main" not in decode(link if isinstance(link, str) else link[0])


def test_the_theory_overlay_is_drawn_exactly_where_it_holds():
    at = _open(BOWL, "sweep")  # SGD with momentum on the quadratic bowl: theory holds
    assert RHO_ONE in _names(_charts(at)[0])
    assert any("ρ = 1" in c.value for c in at.caption)
    at.session_state[keys.explore("sweep", "source")] = f"slot:{at.session_state[keys.SLOTS][1]['id']}"
    at.run()  # Adam: no heavy-ball reading
    _fine(at)
    assert RHO_ONE not in _names(_charts(at)[0])
    at.session_state[keys.explore("sweep", "source")] = "reg:momentum"  # the EMA form: theory holds
    at.run()
    assert RHO_ONE in _names(_charts(at)[0])
    at.session_state[keys.explore("sweep", "source")] = "reg:nesterov"
    at.run()
    assert RHO_ONE not in _names(_charts(at)[0])
    other = _open({**BOWL, "surface": "rosenbrock"}, "sweep")  # not quadratic
    assert RHO_ONE not in _names(_charts(other)[0])


def test_a_click_on_the_sweep_map_adds_that_setting_as_a_panel():
    at = _open(BOWL, "sweep")
    spec = _charts(at)[0]
    assert spec["layout"]["yaxis"]["type"] == "log"  # α is a log hyperparameter
    before = len(at.session_state[keys.SLOTS])
    # what the chart's on_select leaves for the next run (ui.explore._remember_pick)
    at.session_state[keys.SWEEP_PICK] = {"x": 0.6, "y": 0.02}
    at.run()
    _fine(at)
    slots = at.session_state[keys.SLOTS]
    assert len(slots) == before + 1 and slots[-1]["name"] == "sgd"
    prefix = keys.slot_prefix(slots[-1]["id"])
    lr, mu = at.session_state[prefix + "sgd.lr"], at.session_state[prefix + "sgd.momentum"]
    assert lr == pytest.approx(0.02, rel=0.1) and mu == pytest.approx(0.6, abs=0.02)
    assert any("Added" in s.value for s in at.success)
    _main_switch(at).set_value("Paths").run()
    _fine(at)
    paths = [d for d in curve_figures(at)[0]["data"] if d.get("mode") == "lines"]
    assert len(paths) == before + 1  # the new panel's loss curve is drawn


@pytest.mark.parametrize(("main", "settings", "cap"), [
    ("sweep", {"n": 256, "steps": 2000}, SWEEP_WORK),
    ("basin", {"side": 512, "steps": 2000}, BASIN_WORK),
    ("ensemble", {"members": 256}, ENSEMBLE_WORK),
])
def test_requests_over_the_cap_are_refused_with_what_to_lower(main, settings, cap):
    three = [*BOWL["optimizers"], {"name": "rmsprop"}]
    at = _open({**BOWL, "optimizers": three, "steps": 2000, "surface": "himmelblau"}, main)
    for name, value in settings.items():
        at.session_state[keys.explore(main, name)] = value
    at.run()
    _fine(at)
    assert any(f"{cap:,}" in w.value and "lower" in w.value for w in at.warning), \
        [w.value for w in at.warning]
    assert not at.get("plotly_chart")


def test_views_say_what_is_missing_instead_of_failing():
    at = _open({"surface": "plateau", "optimizers": [{"name": "sgd"}]}, "basin")
    if not get_landscape("plateau").minima:
        assert any("declares no minima" in i.value for i in at.info)
    at = _open({**BOWL, "noise": 0.0}, "ensemble")
    at.session_state[keys.explore("ensemble", "noise")] = 0.0
    at.run()
    _fine(at)
    assert any("needs noise" in i.value for i in at.info)
    at = _open({**BOWL, "optimizers": []}, "sweep")  # no panel: any registry optimizer
    first = f"reg:{next(iter(OPTIMIZERS))}"
    assert _charts(at) and at.session_state[keys.explore("sweep", "source")] == first


@pytest.mark.browser
def test_a_real_click_on_the_sweep_map_adds_a_panel_whose_path_is_drawn(browser, server):  # noqa: F811
    """Chromium: Plotly's click on the map reaches the page, which adds the panel; the Paths
    view then draws one path more."""
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    try:
        page.goto(f"{server.url}/?view={encode({**BOWL, 'version': 3, 'main': 'sweep'})}")
        wait_idle(page)
        box = page.locator(".js-plotly-plot .nsewdrag").first.bounding_box()
        # low α, mid μ: a cell that converges
        page.mouse.click(box["x"] + 0.5 * box["width"], box["y"] + 0.8 * box["height"])
        page.get_by_text("as a panel: open").wait_for()
        wait_idle(page)
        page.locator('[data-testid="stButtonGroup"] button', has_text="Paths").first.click()
        page.wait_for_function(f"() => {{ const c = ({_CHART_JS})(); "
                               "return c && c.paths.filter(p => p.name).length === 3; }")
    finally:
        context.close()


def test_every_registered_optimizer_sweeps_with_its_first_axes_and_ranges():
    at = _open(BOWL, "sweep")
    at.session_state[keys.explore("sweep", "n")] = 4
    at.session_state[keys.explore("sweep", "steps")] = 10
    for name in OPTIMIZERS:
        at.session_state[keys.explore("sweep", "source")] = f"reg:{name}"
        at.run()
        _fine(at)
        (chart,) = _charts(at)
        assert chart["layout"]["title"]["text"].startswith(OPTIMIZERS[name].title), name

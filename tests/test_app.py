"""The Streamlit page, run headless with AppTest: defaults, every surface, sliders that change
paths, adding / copying / resetting / removing optimizers, divergence, bad settings."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from landscapes import LANDSCAPES
from ui.click import apply_click

from .page_chart import chart_figure, curve_figures
from .plotly_arrays import as_array

APP = str(Path(__file__).resolve().parents[1] / "app.py")
ADAM_LR = "opt2.adam.lr"


def _app() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60).run()
    _no_failure(at)
    return at


def _no_failure(at: AppTest) -> None:
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]



def _math(latex) -> str:
    """The TeX of an st.latex element (Streamlit wraps it in $$ … $$)."""
    return latex.value.strip().removeprefix("$$").removesuffix("$$").strip()


def _contour(at: AppTest) -> dict:
    figure = chart_figure(at)
    assert "scene" not in figure["layout"], "the 2D view is shown"
    return figure


def _paths(at: AppTest) -> dict[str, np.ndarray]:
    """Name → (n, 2) drawn points of every path line on the contour, in legend order (the
    traces are layered by how much of the box each path covers)."""
    lines = [t for t in _contour(at)["data"] if t.get("mode") == "lines+markers"]
    return {t["name"]: np.stack([as_array(t["x"]), as_array(t["y"])], axis=-1)
            for t in sorted(lines, key=lambda t: t.get("legendrank", 1000))}


def test_default_page_draws_three_optimizers_with_every_view():
    at = _app()
    paths = _paths(at)
    assert list(paths) == ["Momentum (EMA)", "RMSProp", "Adam (α=0.1)"]
    assert all(p.shape == (501, 2) for p in paths.values())
    assert all(np.allclose(p[0], LANDSCAPES["rosenbrock"].start) for p in paths.values())
    curves = [f["layout"]["title"]["text"] for f in curve_figures(at)]
    assert curves == ["Loss", "Distance to the nearest minimum", "Step size", "Gradient norm"]
    replay = _contour(at)["layout"]["meta"]["optiviz"]  # the chart replays steps 0..500
    assert list(as_array(replay["steps"])) == list(range(501)) and len(replay["moving"]) == 3
    assert len(at.dataframe) == 1 and len(at.dataframe[0].value) == 3
    assert any(r"\hat{m}" in latex.value or "m_t" in latex.value for latex in at.latex)


@pytest.mark.parametrize("surface", list(LANDSCAPES))
def test_every_surface_renders_with_the_default_optimizers(surface):
    at = _app()
    at.selectbox(key="surface").set_value(surface).run()
    _no_failure(at)
    assert len(_paths(at)) == 3
    start = LANDSCAPES[surface].start
    assert (at.number_input(key="start_x").value, at.number_input(key="start_y").value) == start


def test_learning_rate_slider_changes_only_its_path():
    at = _app()
    before = _paths(at)
    at.select_slider(key=ADAM_LR).set_value(0.02).run()
    _no_failure(at)
    after = _paths(at)
    assert "Adam (α=0.02)" in after and "Adam (α=0.1)" not in after
    assert not np.allclose(before["Adam (α=0.1)"], after["Adam (α=0.02)"])
    for name in ("Momentum (EMA)", "RMSProp"):
        np.testing.assert_array_equal(before[name], after[name])


def test_add_copy_reset_and_remove_optimizers():
    at = _app()
    at.selectbox(key="add_choice").set_value("adam").run()
    at.button(key="add").click().run()
    _no_failure(at)
    assert list(_paths(at)) == ["Momentum (EMA)", "RMSProp", "Adam (α=0.1)", "Adam"]
    at.select_slider(key="opt3.adam.lr").set_value(0.1).run()
    assert list(_paths(at))[-2:] == ["Adam (α=0.1)", "Adam (α=0.1) #2"]
    at.select_slider(key="opt3.adam.lr").set_value(0.05).run()
    assert list(_paths(at))[-1] == "Adam (α=0.05)"  # Adam α=0.1 vs Adam α=0.05, one colour each
    colors = [t["line"]["color"] for t in _contour(at)["data"] if t.get("mode") == "lines+markers"]
    assert len(set(colors)) == 4
    at.button(key="copy3").click().run()
    assert at.select_slider(key="opt4.adam.lr").value == 0.05
    at.button(key="reset3").click().run()
    assert at.select_slider(key="opt3.adam.lr").value == 0.01
    at.button(key="remove3").click().run()
    at.button(key="remove4").click().run()
    at.button(key="remove0").click().run()
    _no_failure(at)
    assert list(_paths(at)) == ["RMSProp", "Adam (α=0.1)"]


def test_no_optimizer_left_still_draws_the_surface():
    at = _app()
    for sid in range(3):
        at.button(key=f"remove{sid}").click().run()
    _no_failure(at)
    assert _paths(at) == {} and "add one" in at.info[0].value


def test_diverging_setting_shows_its_note_and_no_exception():
    at = _app()
    at.select_slider(key="opt0.momentum.lr").set_value(1.0).run()
    _no_failure(at)
    notes = [w.value.replace("\\", "") for w in at.warning]  # Markdown escapes aside
    assert len(notes) == 1 and "Momentum (EMA) (α=1)** stopped at step" in notes[0]
    assert "(left the box)" in notes[0] or "not finite)" in notes[0]  # the reason is named
    marks = [t for t in _contour(at)["data"] if t.get("mode") == "markers+text"]
    assert len(marks) == 1 and "diverged at step" in marks[0]["text"][0]


def test_lookahead_shows_its_base_controls_and_rules():
    at = _app()
    at.selectbox(key="add_choice").set_value("lookahead").run()
    at.button(key="add").click().run()
    at.selectbox(key="opt3.lookahead.base").set_value("sgd").run()
    _no_failure(at)
    assert at.toggle(key="opt3.lookahead(sgd).nesterov").value is False
    at.slider(key="opt3.lookahead(sgd).k").set_value(10).run()
    _no_failure(at)
    assert "Lookahead(SGD) (k=10)" in _paths(at)
    assert any(r"\phi" in latex.value for latex in at.latex)


def test_a_rule_across_settings_is_explained_and_the_rest_still_draws():
    at = _app()
    at.selectbox(key="add_choice").set_value("sgd").run()
    at.button(key="add").click().run()
    at.toggle(key="opt3.sgd.nesterov").set_value(True).run()  # needs momentum > 0
    assert not at.exception
    assert len(at.error) == 1 and "Not drawn" in at.error[0].value and "Nesterov" in at.error[0].value
    assert len(_paths(at)) == 3


def test_surface_parameters_schedule_and_noise_change_the_run():
    at = _app()
    at.selectbox(key="surface").set_value("ravine").run()
    before = _paths(at)
    at.select_slider(key="surf.ravine.kappa").set_value(1000.0).run()
    at.slider(key="surf.ravine.angle").set_value(30.0).run()
    at.selectbox(key="schedule").set_value("warmup_cosine").run()
    at.number_input(key="sched.warmup_cosine.warmup").set_value(20).run()
    at.select_slider(key="noise").set_value(0.1).run()
    at.number_input(key="seed").set_value(7).run()
    _no_failure(at)
    after = _paths(at)
    assert all(not np.allclose(before[k], after[k]) for k in before)
    assert any(r"\kappa = 1000" in latex.value for latex in at.latex)


def test_start_point_from_the_number_boxes():
    at = _app()
    at.number_input(key="start_x").set_value(0.5).run()
    at.number_input(key="start_y").set_value(-0.5).run()
    _no_failure(at)
    assert all(np.allclose(p[0], (0.5, -0.5)) for p in _paths(at).values())
    at.button(key="reset_start").click().run()
    assert all(np.allclose(p[0], LANDSCAPES["rosenbrock"].start) for p in _paths(at).values())


def test_a_click_on_the_contour_sets_the_start():
    state = {"start_x": -1.5, "start_y": 2.5}
    apply_click(state, {"points": []})
    assert state == {"start_x": -1.5, "start_y": 2.5}
    apply_click(state, {"points": [{"x": 0.123456, "y": 1e9, "curve_number": 1}]})
    assert state == {"start_x": 0.123, "start_y": 1000.0}


def test_switching_to_the_3d_view_and_changing_the_tolerance():
    at = _app()
    at.select_slider(key="tolerance").set_value(0.5).run()
    _no_failure(at)
    table = at.dataframe[0].value
    assert (table["within tolerance at step"] != "never").any()
    next(b for b in at.get("button_group") if b.key == "view").set_value("3D surface").run()
    _no_failure(at)
    figure = chart_figure(at)
    assert figure["data"][0]["type"] == "surface" and "optiviz" in figure["layout"]["meta"]


def test_a_typed_formula_is_drawn_with_its_exact_gradient():
    at = _app()
    at.selectbox(key="surface").set_value("custom").run()
    at.text_input(key="formula").set_value("(x - 1)^2 + 10*(y + 0.5)^2").run()
    _no_failure(at)
    assert at.title[0].value.startswith("✎ Your formula")
    assert _math(at.latex[0]) == r"f(x, y) = \left(x - 1\right)^{2} + 10 \left(y + 0.5\right)^{2}"
    paths = _paths(at)
    assert len(paths) == 3 and all(np.allclose(p[0], (1.8, 1.8)) for p in paths.values())
    assert any(r"20 y + 10" in latex.value for latex in at.latex)  # ∂f/∂y = 20(y + 0.5)
    assert any("no known minimum" in c.value for c in at.caption)


@pytest.mark.parametrize(("text", "message"), [
    ("x**2 + foo(y)", "Unknown function 'foo'"),
    ("__import__('os').system('ls')", "Unknown function"),
    ("9**9**9**9", "Exponents are limited"),
    ("+".join(["x"] * 200), "at most 300 parts"),
    ("-" * 100 + "x", "nested too deeply"),
    ("x +* y", "not valid"),
])
def test_a_hostile_or_broken_formula_gets_a_message_and_keeps_its_text(text, message):
    at = _app()
    at.selectbox(key="surface").set_value("custom").run()
    at.text_input(key="formula").set_value(text).run()
    assert not at.exception
    assert len(at.error) == 1 and message in at.error[0].value and "can't be drawn" in at.error[0].value
    assert at.text_input(key="formula").value == text  # nothing the user typed is lost
    assert at.selectbox(key="surface").value == "custom"


def test_a_typed_surface_box_must_increase():
    at = _app()
    at.selectbox(key="surface").set_value("custom").run()
    at.number_input(key="bounds_x0").set_value(5.0).run()
    assert not at.exception and "increasing" in at.error[0].value
    at.number_input(key="bounds_x0").set_value(-4.0).run()
    _no_failure(at)
    assert at.number_input(key="start_x").value == pytest.approx(-4.0 + 0.8 * 7.0)


def test_a_preset_story_shows_while_its_view_is_unchanged():
    at = _app()
    preset = "step-size-limit"
    at.selectbox(key="preset").set_value(preset).run()
    _no_failure(at)
    assert len(at.info) == 1 and "Too large a step diverges" in at.info[0].value
    at.select_slider(key=f"opt{at.session_state['slots'][0]['id']}.sgd.lr").set_value(0.001).run()
    assert not at.info and any("has been changed since" in c.value for c in at.caption)
    at.button(key="reload_preset").click().run()
    _no_failure(at)
    assert len(at.info) == 1 and "Too large a step diverges" in at.info[0].value


def test_values_of_hidden_controls_survive_until_they_are_shown_again():
    at = _app()
    at.selectbox(key="surface").set_value("ravine").run()
    at.select_slider(key="surf.ravine.kappa").set_value(1000.0).run()
    at.select_slider(key="noise").set_value(0.5).run()
    at.number_input(key="seed").set_value(7).run()
    at.selectbox(key="schedule").set_value("step").run()
    at.number_input(key="sched.step.step_size").set_value(37).run()
    at.selectbox(key="add_choice").set_value("lookahead").run()
    at.button(key="add").click().run()
    at.select_slider(key="opt3.lookahead(adam).lr").set_value(0.2).run()
    # hide them all: another surface, no noise, another schedule, another base
    at.selectbox(key="surface").set_value("rosenbrock").run()
    at.select_slider(key="noise").set_value(0.0).run()
    at.selectbox(key="schedule").set_value("cosine").run()
    at.selectbox(key="opt3.lookahead.base").set_value("sgd").run()
    # and back
    at.selectbox(key="surface").set_value("ravine").run()
    at.select_slider(key="noise").set_value(0.5).run()
    at.selectbox(key="schedule").set_value("step").run()
    at.selectbox(key="opt3.lookahead.base").set_value("adam").run()
    _no_failure(at)
    assert at.select_slider(key="surf.ravine.kappa").value == 1000.0
    assert at.number_input(key="seed").value == 7
    assert at.number_input(key="sched.step.step_size").value == 37
    assert at.select_slider(key="opt3.lookahead(adam).lr").value == 0.2


def test_a_typed_formula_and_its_box_survive_a_visit_to_another_surface():
    at = _app()
    at.selectbox(key="surface").set_value("custom").run()
    at.text_input(key="formula").set_value("x^2 + y^2").run()
    at.number_input(key="bounds_x0").set_value(-5.0).run()
    at.selectbox(key="surface").set_value("rosenbrock").run()
    at.selectbox(key="surface").set_value("custom").run()
    _no_failure(at)
    assert at.text_input(key="formula").value == "x^2 + y^2"
    assert at.number_input(key="bounds_x0").value == -5.0


def test_a_preset_with_a_broken_panel_still_draws_the_others():
    at = _app()
    at.selectbox(key="preset").set_value("himmelblau-minima").run()
    at.selectbox(key="add_choice").set_value("sgd").run()
    at.button(key="add").click().run()
    sid = at.session_state["slots"][-1]["id"]
    at.toggle(key=f"opt{sid}.sgd.nesterov").set_value(True).run()
    assert not at.exception and len(at.error) == 1 and "Nesterov" in at.error[0].value
    assert len(_paths(at)) == 3 and any("has been changed since" in c.value for c in at.caption)


def test_a_typed_formula_is_shown_as_mathematics_not_as_python():
    at = _app()
    at.selectbox(key="surface").set_value("custom").run()
    at.text_input(key="formula").set_value("x**2 + y**2").run()
    _no_failure(at)
    assert "**" not in at.title[0].value and at.title[0].value.startswith("✎ Your formula")
    assert _math(at.latex[0]) == "f(x, y) = x^{2} + y^{2}"


def test_an_optimizer_whose_state_overflows_says_so_instead_of_sitting_still():
    at = _app()  # default view: Momentum, RMSProp, Adam
    at.selectbox(key="surface").set_value("custom").run()
    at.text_input(key="formula").set_value("exp(exp(exp(x)))").run()
    _no_failure(at)
    notes = [w.value.replace("\\", "") for w in at.warning]
    overflowed = [n for n in notes if "(optimizer state overflowed)" in n]
    assert any("RMSProp" in n for n in overflowed) and any("Adam" in n for n in overflowed), notes


def test_a_broken_formula_keeps_the_last_good_surface_drawn_under_its_error():
    at = _app()
    at.selectbox(key="surface").set_value("custom").run()
    at.text_input(key="formula").set_value("x^2 + 3*y^2").run()
    _no_failure(at)
    good, charts = _contour(at)["layout"]["images"][0]["source"], len(curve_figures(at))
    link = at.query_params["view"]
    at.text_input(key="formula").set_value("x^2 + 3*y^").run()
    assert not at.exception and len(at.error) == 1 and "last surface that worked" in at.error[0].value
    assert at.text_input(key="formula").value == "x^2 + 3*y^"  # the text stays to fix
    assert len(curve_figures(at)) == charts and _contour(at)["layout"]["images"][0]["source"] == good
    assert _math(at.latex[0]) == "f(x, y) = x^{2} + 3 y^{2}"
    assert at.query_params["view"] == link  # a reload reopens the view that worked


def test_a_start_where_f_is_undefined_is_explained():
    at = _app()
    at.selectbox(key="surface").set_value("custom").run()
    at.text_input(key="formula").set_value("log(x) + y^2").run()
    at.number_input(key="start_x").set_value(-1.0).run()
    assert not at.exception and not at.error
    notes = [w.value.replace("\\", "") for w in at.warning]
    assert len(notes) == 3 and all("cannot start at (-1, 1.8)" in n for n in notes)


def test_a_start_outside_the_box_is_noted():
    at = _app()
    at.number_input(key="start_x").set_value(500.0).run()
    _no_failure(at)
    assert any("lies outside the drawn box" in c.value for c in at.caption)


def test_a_legend_names_every_changed_setting_epsilon_included():
    at = _app()
    for param, value in (("lr", 0.2), ("beta1", 0.8), ("beta2", 0.99), ("eps", 1e-6)):
        at.select_slider(key=f"opt2.adam.{param}").set_value(value).run()
    at.toggle(key="opt2.adam.amsgrad").set_value(True).run()
    _no_failure(at)
    assert "Adam (α=0.2, β₁=0.8, β₂=0.99, ε=1e-06, AMSGrad)" in _paths(at)

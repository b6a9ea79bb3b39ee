"""Views as data: presets and links are checked in full before the page changes."""

from __future__ import annotations

import base64
import zlib
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from landscapes import LANDSCAPES
from ui.viewformat import DEFAULT_VIEW, apply, check, decode, encode, same_view, slot_values

from .page_chart import chart_figure, curve_figures

APP = str(Path(__file__).resolve().parents[1] / "app.py")
VIEW = {"surface": "ravine", "surface_params": {"kappa": 30, "angle": 20},
        "optimizers": [{"name": "sgd", "params": {"lr": 0.03}},
                       {"name": "lookahead", "params": {"base": "adafactor", "k": 7}}],
        "steps": 250, "start": [-3, 1.25], "noise": 0.3, "seed": 5,
        "schedule": {"name": "step", "step_size": 50}}


def test_a_view_round_trips_through_a_link():
    assert decode(encode(VIEW)) == VIEW
    assert len(encode(VIEW)) < 400


def test_check_fills_defaults_from_the_registries():
    full = check(VIEW)
    assert full["surface_params"] == {"kappa": 30.0, "angle": 20.0}
    assert full["optimizers"][0]["params"]["momentum"] == 0.0
    assert full["optimizers"][1]["params"]["base"] == "adafactor"
    assert full["schedule"] == {"name": "step", "step_size": 50, "gamma": 0.5}
    bare = check({"surface": "booth"})
    assert bare["start"] == list(LANDSCAPES["booth"].start) and bare["steps"] == 500
    assert (bare["optimizers"], bare["noise"], bare["schedule"]) == ([], 0.0, {"name": "constant"})


@pytest.mark.parametrize(("change", "message"), [
    ({"surface": "nope"}, "Unknown surface 'nope'"),
    ({"surface_params": {"kappa": 0.5}}, "kappa"),
    ({"optimizers": [{"name": "adam", "params": {"lr": -1}}]}, "lr (α) got -1"),
    ({"optimizers": [{"name": "adam", "params": {"lr": [0.1, 0.2]}}]}, "lr must be one value"),
    ({"optimizers": [{"name": "rm -rf"}]}, "Each optimizer is"),
    ({"optimizers": [{"name": ["adam"]}]}, "Each optimizer is"),
    ({"optimizers": [{"name": "adam", "params": {"name": "x"}}]}, "unknown parameter(s) name"),
    ({"optimizers": [{"name": "adam", "params": {"label": "x", "self": 1}}]},
     "unknown parameter(s) label, self"),
    ({"optimizers": [{"name": "adam", "params": {"lr": 10**400}}]}, "lr must be one value"),
    ({"surface": ["rosenbrock"]}, "Unknown surface"),
    ({"surface": {"a": 1}}, "Unknown surface"),
    ({"surface_params": {"self": 1}}, "unknown parameter(s) self"),
    ({"surface_params": {"kappa": 10**400}}, "kappa must be one value"),
    ({"start": [10**400, 0]}, "start must be"),
    ({"steps": 10.5}, "steps must be"),
    ({"optimizers": [{"name": "adam"}] * 9}, "at most 8"),
    ({"steps": 10**9}, "steps must be"),
    ({"steps": True}, "steps must be"),
    ({"start": [0, float("nan")]}, "start must be"),
    ({"start": [0]}, "start must be"),
    ({"noise": -1}, "noise must be"),
    ({"seed": -3}, "seed must be"),
    ({"schedule": {"name": "warp"}}, "schedule must be"),
    ({"schedule": ["step"]}, "schedule must be"),
    ({"schedule": {"name": "step", "step_size": 10**400}}, "step_size must be one value"),
    ({"extra": 1}, "Unknown field(s) extra"),
])
def test_every_bad_field_is_named(change, message):
    with pytest.raises(ValueError) as err:
        check({**VIEW, **change})
    assert message in str(err.value)


@pytest.mark.parametrize("text", ["", "@@@", "x" * 5000, encode([1, 2]),
                                  base64.urlsafe_b64encode(zlib.compress(b"{" * 10**6)).decode(),
                                  base64.urlsafe_b64encode(zlib.compress(b"[" * 70000)).decode()])
def test_damaged_links_are_refused(text):
    with pytest.raises(ValueError):
        check(decode(text))


def test_a_bad_view_leaves_the_state_untouched():
    state: dict = {}
    apply(state, DEFAULT_VIEW)
    before = dict(state)
    with pytest.raises(ValueError):
        apply(state, {**VIEW, "optimizers": [*VIEW["optimizers"], {"name": "adam", "params": {"eps": -1}}]})
    assert state == before


def test_apply_sets_every_widget_and_replaces_the_slots():
    state: dict = {}
    apply(state, DEFAULT_VIEW)
    state["opt0.momentum.lr"] = 0.5
    apply(state, VIEW)
    assert [s["name"] for s in state["slots"]] == ["sgd", "lookahead"]
    assert "opt0.momentum.lr" not in state
    assert state["opt3.sgd.lr"] == 0.03 and state["opt4.lookahead.base"] == "adafactor"
    assert state["opt4.lookahead(adafactor).k"] == 7 and state["opt4.lookahead(adafactor).eps1.auto"]
    assert (state["surface"], state["surf.ravine.kappa"], state["steps"]) == ("ravine", 30.0, 250)
    assert (state["start_x"], state["start_y"], state["noise"], state["seed"]) == (-3.0, 1.25, 0.3, 5)
    assert state["schedule"] == "step" and state["sched.step.step_size"] == 50


def test_slot_values_of_an_automatic_setting():
    values = slot_values("adafactor", {"eps1": 1e-20})
    assert values["adafactor.eps1.auto"] is False and values["adafactor.eps1"] == 1e-20


def test_the_page_opens_a_link_exactly_and_keeps_its_address_current():
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["view"] = encode(VIEW)
    at.run()
    assert not at.exception and not at.error
    assert at.select_slider(key="noise").value == 0.3  # not a stop of the slider: kept exactly
    assert at.select_slider(key="opt0.sgd.lr").value == 0.03
    link = at.query_params["view"]
    assert same_view(check(VIEW), check(decode(link if isinstance(link, str) else link[0])))


def test_a_damaged_link_opens_the_default_view_with_a_note():
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["view"] = "not-a-view"
    at.run()
    assert not at.exception and "could not be restored" in at.warning[0].value
    assert at.selectbox(key="surface").value == "rosenbrock"


TYPED = {"surface": "custom", "formula": "x^2 + 3*sin(y)", "bounds": [[-2, 4], [-1, 1]],
         "optimizers": [{"name": "adam"}]}


def test_a_typed_surface_round_trips_and_gets_its_default_start():
    full = check(decode(encode(TYPED)))
    assert full["formula"] == "x^2 + 3*sin(y)" and full["bounds"] == [[-2.0, 4.0], [-1.0, 1.0]]
    assert full["start"] == pytest.approx([2.8, 0.6])  # 80 % across each range
    state: dict = {}
    apply(state, TYPED)
    assert (state["surface"], state["formula"], state["bounds_x1"], state["bounds_y0"]) == \
        ("custom", "x^2 + 3*sin(y)", 4.0, -1.0)


@pytest.mark.parametrize(("change", "message"), [
    ({"formula": None}, "needs its 'formula'"),
    ({"formula": "open('x')"}, "Unknown function 'open'"),
    ({"bounds": [[1, 0], [0, 1]]}, "increasing"),
    ({"bounds": [0, 1]}, "'bounds' must be"),
    ({"bounds": [[-2000, 2000], [0, 1]]}, "within ±1000"),
    ({"bounds": [[True, 2], [0, 1]]}, "'bounds' must be"),
    ({"surface_params": {"b": 1}}, "takes no 'surface_params'"),
])
def test_every_bad_typed_surface_field_is_named(change, message):
    with pytest.raises(ValueError) as err:
        check({**TYPED, **change})
    assert message in str(err.value)


def test_the_page_opens_a_link_to_a_typed_surface():
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["view"] = encode(TYPED)
    at.run()
    assert not at.exception and not at.error
    assert at.text_input(key="formula").value == "x^2 + 3*sin(y)"
    assert r"f(x, y) = x^{2} + 3 \sin{\left(y \right)}" in at.latex[0].value


def test_a_view_with_a_broken_rule_across_settings_still_opens_and_names_it():
    view = {"surface": "rosenbrock", "optimizers": [{"name": "sgd", "params": {"nesterov": True}},
                                                    {"name": "adam", "params": {"lr": 0.05}}]}
    assert check(view)["optimizers"][0]["params"]["nesterov"] is True  # ranges checked, not the rule
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["view"] = encode(view)
    at.run()
    assert not at.exception and at.select_slider(key="opt1.adam.lr").value == 0.05
    assert len(at.error) == 1 and "Nesterov" in at.error[0].value  # named in its panel
    link = at.query_params["view"]
    assert same_view(check(view), check(decode(link if isinstance(link, str) else link[0])))  # F5 keeps it


@pytest.mark.parametrize("view", [
    {"surface": [1]}, {"optimizers": [{"name": [1]}]}, {"surface": "rosenbrock", "start": [10**400, 0]},
    {"surface": "rosenbrock", "optimizers": [{"name": "adam", "params": {"name": "x"}}]},
])
def test_a_tampered_link_opens_the_default_view_with_a_note(view):
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["view"] = encode(view)
    at.run()
    assert not at.exception and not at.error
    assert "could not be restored" in at.warning[0].value
    assert len(curve_figures(at)) == 4 and "scene" not in chart_figure(at)["layout"]


def test_a_link_keeps_every_allowed_value_exactly():
    view = {"surface": "rosenbrock", "start": [0.0004, 1.0], "noise": 0.3, "seed": 3,
            "optimizers": [{"name": "adam", "params": {"lr": 0.0123, "beta2": 0.9999999}}],
            "schedule": {"name": "step", "step_size": 40, "gamma": 0.0004}}
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["view"] = encode(view)
    at.run()
    assert not at.exception and not at.error
    link = at.query_params["view"]
    assert same_view(check(view), check(decode(link if isinstance(link, str) else link[0])))
    lines = [t for t in chart_figure(at)["data"] if t.get("mode") == "lines+markers"]
    names = [t["name"] for t in sorted(lines, key=lambda t: t.get("legendrank", 1000))]  # legend order
    assert names == ["Adam (α=0.0123, β₂=0.9999999)"]  # the label shows the values used
    assert at.slider(key="sched.step.gamma").value == 0.0004


def _link(at: AppTest) -> dict:
    link = at.query_params["view"]
    return decode(link if isinstance(link, str) else link[0])


def _mode_switch(at: AppTest):
    return next(b for b in at.get("button_group") if b.key == "view")


def _reopen(config: dict) -> AppTest:
    """A fresh session (a reload, or the link on another machine) on this view."""
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["view"] = encode(config)
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    return at


@pytest.mark.parametrize(("change", "message"), [
    ({"version": 4}, "format version 4"),
    ({"version": "2"}, "format version '2'"),
    ({"version": 4, "sparkle": 1}, "format version 4"),  # a newer link is named as such first
    ({"mode": "4d"}, "mode must be one of"),
    ({"levels": "cubic"}, "levels must be one of"),
    ({"presentation": 1}, "presentation must be one of"),
    ({"main": "gallery"}, "main must be one of"),
    ({"preset": "Bad Id!"}, "preset must be a preset's id"),
    ({"optimizers": [{"name": "adam", "color": "red"}]}, "colour is one of"),
    ({"optimizers": [{"name": "adam", "color": "#D55E00"}, {"name": "sgd", "color": "#D55E00"}]},
     "the same colour"),
])
def test_every_bad_display_field_is_named(change, message):
    with pytest.raises(ValueError) as err:
        check({**VIEW, **change})
    assert message in str(err.value)


def test_a_format_1_link_still_opens_and_changes_nothing_it_does_not_name():
    full = check(VIEW)  # no version: format 1
    assert not {"version", "mode", "levels", "presentation", "preset"} & set(full)
    state: dict = {"view": "3D surface", "presentation": True, "levels": "log"}
    apply(state, VIEW)
    assert (state["view"], state["presentation"], state["levels"]) == ("3D surface", True, "log")
    at = _reopen(VIEW)
    assert _link(at)["version"] == 3 and same_view(check(VIEW), check(_link(at)))


def test_a_preset_and_its_story_survive_a_reload():
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.selectbox(key="preset").set_value("ravine-momentum").run()
    link = _link(at)
    assert link["preset"] == "ravine-momentum"
    again = _reopen(link)
    assert again.selectbox(key="preset").value == "ravine-momentum"
    assert len(again.info) == 1 and "Momentum rolls along a ravine" in again.info[0].value


def test_a_changed_preset_reopens_with_its_note_and_reload_button():
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.selectbox(key="preset").set_value("ravine-momentum").run()
    at.slider(key="steps").set_value(300).run()
    again = _reopen(_link(at))
    assert not again.info and any("has been changed since" in c.value for c in again.caption)
    again.button(key="reload_preset").click().run()
    assert "Momentum rolls along a ravine" in again.info[0].value


def test_an_unknown_preset_id_opens_the_view_without_a_story():
    at = _reopen({**VIEW, "version": 2, "preset": "a-preset-from-a-newer-version"})
    assert at.selectbox(key="preset").value is None and not at.info
    assert "preset" not in _link(at)


def test_the_3d_view_survives_a_reload_and_the_switch_updates_the_link():
    at = _reopen({**VIEW, "version": 2, "mode": "3d"})
    assert _mode_switch(at).value == "3D surface"
    assert chart_figure(at)["data"][0]["type"] == "surface"
    assert _link(at)["mode"] == "3d"
    _mode_switch(at).set_value("2D contour").run()  # reruns only the chart's fragment
    assert _link(at)["mode"] == "2d"
    assert chart_figure(_reopen(_link(at)))["layout"].get("images")


def test_presentation_mode_and_contour_levels_survive_a_reload():
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.toggle(key="presentation").set_value(True).run()
    next(b for b in at.get("button_group") if b.key == "levels").set_value("log").run()
    link = _link(at)
    assert (link["presentation"], link["levels"]) == (True, "log")
    again = _reopen(link)
    assert again.toggle(key="presentation").value is True
    assert again.session_state["levels"] == "log" and _link(again)["levels"] == "log"


def test_colours_stay_with_their_paths_after_a_panel_is_removed():
    at = AppTest.from_file(APP, default_timeout=60).run()
    before = {s["name"]: s["color"] for s in at.session_state["slots"]}
    at.button(key=f"remove{at.session_state['slots'][0]['id']}").click().run()
    again = _reopen(_link(at))
    after = {s["name"]: s["color"] for s in again.session_state["slots"]}
    assert list(after) == ["rmsprop", "adam"] and after == {n: before[n] for n in after}
    contour = chart_figure(again)
    lines = [t["line"]["color"] for t in sorted(contour["data"], key=lambda t: t.get("legendrank", 1000))
             if t.get("mode") == "lines+markers"]
    assert lines == [before["rmsprop"], before["adam"]]


# The hyperparameter slider and the state overlay (format 3: "scrub", "state").
INSIDE = {**VIEW, "version": 3, "scrub": {"optimizer": 1, "param": "alpha"}, "state": 0}


@pytest.mark.parametrize(("change", "message"), [
    ({"scrub": {"optimizer": 2, "param": "lr"}}, "scrub must be {'optimizer': the index of one of its 2"),
    ({"scrub": {"optimizer": 0}}, "scrub must be"),
    ({"scrub": "sgd"}, "scrub must be"),
    ({"scrub": {"optimizer": 0, "param": "beta1"}},
     "the slider varies one of lr, momentum, dampening, weight_decay of optimizer 'sgd'; got 'beta1'"),
    ({"state": 2}, "state must be the index of one of its 2 optimizers"),
    ({"state": True}, "state must be the index"),
    ({"optimizers": [], "scrub": None}, "state names one of the view's optimizers, and this view draws none"),
])
def test_every_bad_slider_or_state_field_is_named(change, message):
    with pytest.raises(ValueError) as err:
        check({**INSIDE, **change})
    assert message in str(err.value)


def test_apply_turns_the_slider_and_state_on_for_the_named_slots_and_off_without_them():
    state: dict = {}
    apply(state, DEFAULT_VIEW)
    assert state["scrub"] == state["state_slot"] == "off"
    apply(state, INSIDE)
    sids = [s["id"] for s in state["slots"]]
    assert (state["scrub"], state["scrub_param"], state["state_slot"]) == (sids[1], "alpha", sids[0])
    assert check(INSIDE)["scrub"] == {"optimizer": 1, "param": "alpha"}
    assert same_view(check(INSIDE), check(VIEW))  # they draw the same paths
    apply(state, VIEW)  # a view without them (a preset, an older link): both off
    assert state["scrub"] == state["state_slot"] == "off"


def test_the_slider_and_state_choices_survive_a_reload():
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert "scrub" not in _link(at) and "state" not in _link(at)
    at.selectbox(key="scrub").set_value(2).run()  # Adam (α=0.1); reruns only the chart's fragment
    at.selectbox(key="scrub_param").set_value("beta1").run()
    at.selectbox(key="state_slot").set_value(0).run()  # Momentum (EMA)
    link = _link(at)
    assert (link["scrub"], link["state"]) == ({"optimizer": 2, "param": "beta1"}, 0)
    again = _reopen(link)
    sids = [s["id"] for s in again.session_state["slots"]]
    assert again.selectbox(key="scrub").value == sids[2]
    assert again.selectbox(key="scrub_param").value == "beta1"
    assert again.selectbox(key="state_slot").value == sids[0]
    meta = chart_figure(again)["layout"]["meta"]
    assert meta["optiviz_scrub"]["param"] == "beta1"
    assert meta["optiviz_state"]["kinds"] == ["gradient", "momentum", "step"]  # Momentum's
    assert (_link(again)["scrub"], _link(again)["state"]) == ({"optimizer": 2, "param": "beta1"}, 0)
    again.selectbox(key="scrub").set_value("off").run()
    assert "scrub" not in _link(again) and _link(again)["state"] == 0
    again.button(key=f"remove{sids[0]}").click().run()  # the state's panel goes: the state is off
    assert not {"scrub", "state"} & set(_link(again))


def test_an_old_link_opens_with_the_slider_and_state_off():
    at = _reopen(VIEW)  # format 1, no scrub or state
    assert at.selectbox(key="scrub").value == "off" and at.selectbox(key="state_slot").value == "off"
    assert not {"optiviz_scrub", "optiviz_state"} & set(chart_figure(at)["layout"].get("meta", {}))
    assert not {"scrub", "state"} & set(_link(at))


def test_a_link_naming_a_missing_slot_or_hyperparameter_opens_the_default_view_with_a_note():
    for bad in ({"scrub": {"optimizer": 0, "param": "gamma"}}, {"state": 5}):
        at = AppTest.from_file(APP, default_timeout=60)
        at.query_params["view"] = encode({**INSIDE, **bad})
        at.run()
        assert not at.exception and not at.error
        assert "could not be restored" in at.warning[0].value and ("scrub" in at.warning[0].value
                                                                   or "state" in at.warning[0].value)
        assert at.selectbox(key="surface").value == "rosenbrock"
        assert at.selectbox(key="scrub").value == "off" and at.selectbox(key="state_slot").value == "off"

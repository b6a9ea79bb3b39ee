"""The page's pure rules: slider stops from ParamSpecs, labels, optimizer slots."""

from __future__ import annotations

import pytest

from landscapes import LANDSCAPES
from optim_core import OPTIMIZERS, SCHEDULES
from paramspec import ParamSpec
from ui import keys
from ui.controls import format_value, is_decay, label, linear_step, nearest, option_values
from ui.labels import describe, unique
from ui.state import MAX_SLOTS, SLOT_COLORS, add_slot, duplicate_slot, remove_slot, reset_slot
from ui.viewformat import DEFAULT_VIEW, apply

ALL_SPECS = [p for o in OPTIMIZERS.values() for p in o.params] + \
            [p for s in SCHEDULES.values() for p in s.params] + \
            [p for s in LANDSCAPES.values() for p in s.params]


@pytest.mark.parametrize("spec", ALL_SPECS, ids=lambda s: s.name)
def test_every_stop_is_allowed_and_the_default_is_one(spec):
    options = option_values(spec)
    if options is None:
        return
    assert options == sorted(set(options))
    for v in options:
        spec.validate(v, "test")  # raises if a stop is out of range
    if spec.default is not None:
        assert spec.default in options


def test_learning_rate_stops_are_one_two_five_per_decade():
    lr = OPTIMIZERS["adam"].params[0]
    assert lr.log and option_values(lr)[:4] == [1e-6, 2e-6, 5e-6, 1e-5]
    assert option_values(lr)[-3:] == [20.0, 50.0, 100.0]
    eps = next(p for p in OPTIMIZERS["adam"].params if p.name == "eps")
    assert option_values(eps)[:2] == [0.0, 1e-12]  # ε = 0 is allowed, so it is a stop


def test_decay_rates_crowd_toward_one():
    beta2 = next(p for p in OPTIMIZERS["adopt"].params if p.name == "beta2")
    assert is_decay(beta2)
    stops = option_values(beta2)
    assert stops[0] == 0.0 and 0.9999 in stops and stops[-1] < 1.0
    assert not is_decay(ParamSpec("rho", "ρ", 0.9, 0.0, 1.0))  # ρ = 1 is allowed: a plain slider


def test_an_automatic_value_gets_a_slider_around_its_anchor():
    eps1 = next(p for p in OPTIMIZERS["adafactor"].params if p.name == "eps1")
    assert eps1.optional and option_values(eps1)[1] == 1e-16


def test_nearest_stop_uses_a_log_scale():
    stops = [0.0, 1e-3, 1e-2, 1e-1]
    assert nearest(stops, 0.003) == 1e-3 and nearest(stops, 0.004) == 1e-2  # √(10⁻³·10⁻²) ≈ 0.0032
    assert nearest(stops, 0.04) == 1e-1
    assert nearest(stops, 0.0) == 0.0 and nearest(stops, 0.02) == 1e-2


def test_linear_steps_are_round():
    assert linear_step(ParamSpec("w", "w", 0.0, 0.0, 10.0)) == 0.01
    assert linear_step(ParamSpec("a", "θ", 0.0, -90.0, 90.0)) == 0.1


@pytest.mark.parametrize("spec", ALL_SPECS, ids=lambda s: s.name)
def test_a_control_label_is_a_whole_phrase_of_its_help(spec):
    text = label(spec)
    assert "…" not in text and text.count("(") == text.count(")")
    if spec.kind != "bool":
        symbol, phrase = text.split(" · ", 1)
        assert symbol == spec.symbol and len(phrase) >= 3 and all(w in spec.help for w in phrase.split())
    assert label(OPTIMIZERS["rmsprop"].params[1]) == "β · Smoothing of the squared-gradient average"


def test_labels_name_what_differs_from_the_defaults():
    specs = OPTIMIZERS["adam"].params
    defaults = {s.name: s.default for s in specs}
    assert describe("Adam", specs, defaults) == "Adam"
    assert describe("Adam", specs, {**defaults, "lr": 0.1}) == "Adam (α=0.1)"
    many = {**defaults, "lr": 0.1, "beta1": 0.5, "beta2": 0.9, "eps": 1e-6, "amsgrad": True}
    assert describe("Adam", specs, many) == "Adam (α=0.1, β₁=0.5, β₂=0.9, ε=1e-06, AMSGrad)"
    assert describe("Adam", specs, {**defaults, "bias_correction": False}) == "Adam (bias correction off)"
    assert unique(["Adam", "SGD", "Adam", "Adam"]) == ["Adam", "SGD", "Adam #2", "Adam #3"]


def test_slots_add_copy_reset_and_remove():
    state: dict = {}
    apply(state, DEFAULT_VIEW)
    assert [s["name"] for s in state["slots"]] == ["momentum", "rmsprop", "adam"]
    assert state["opt2.adam.lr"] == 0.1
    assert len({s["color"] for s in state["slots"]}) == 3
    state["opt2.adam.lr"] = 0.1
    copy = duplicate_slot(state, 2)
    assert state[f"opt{copy}.adam.lr"] == 0.1 and state["slots"][-1]["name"] == "adam"
    reset_slot(state, 2)
    assert "opt2.adam.lr" not in state and state[f"opt{copy}.adam.lr"] == 0.1
    remove_slot(state, 0)
    freed = SLOT_COLORS[0][0]
    assert freed not in {s["color"] for s in state["slots"]}
    assert state["slots"][-1]["color"] != freed
    new = add_slot(state, "sgd")
    assert state["slots"][-1] == {"id": new, "name": "sgd", "color": freed}  # first free colour
    assert len(state["slots"]) == 4


def test_slots_are_capped():
    state: dict = {"slots": [], "next_slot": 0}
    ids = [add_slot(state, "adam") for _ in range(MAX_SLOTS)]
    assert None not in ids and add_slot(state, "adam") is None
    assert len({s["color"] for s in state["slots"]}) == MAX_SLOTS


@pytest.mark.parametrize(("value", "text"), [
    (0.001, "0.001"), (1e-08, "1e-08"), (0.9999999, "0.9999999"), (100.0, "100"), (True, "on"),
    (None, "auto"), (1.23456789e-07, "1.23456789e-07"), (7, "7"),
])
def test_values_are_shown_exactly(value, text):
    assert format_value(value) == text


def test_kept_keys_are_those_of_controls_that_are_not_always_drawn():
    kept = [keys.surface_param("ravine", "kappa"), keys.schedule_param("step", "gamma"),
            keys.slot_param(12, "lookahead(adam)", "lr"), keys.auto(keys.slot_param(3, "adafactor", "eps1")),
            keys.FORMULA, keys.SEED, *keys.BOUNDS, keys.slot_batch(4),
            keys.STEPS, keys.EPOCHS]  # a data surface draws one of the steps and the epochs
    assert all(keys.KEPT.match(k) for k in kept)
    drawn = [keys.NOISE, keys.LENGTH_IN, keys.SURFACE, keys.PRESET, keys.PRESENTATION, keys.LEVELS,
             keys.VIEW_MODE, *keys.START, "formula_x", "seedling"]
    assert not any(keys.KEPT.match(k) for k in drawn)


def test_a_link_mode_and_the_switch_label_map_both_ways():
    assert all(keys.mode_of(label) == mode for mode, label in keys.MODE_LABELS.items())
    assert keys.mode_of(None) == "2d"

"""Lecture presets (assets/presets.json): each is a valid view, loads in the page, and what its
story says is true of the paths the engine draws for it (run with the preset's own settings)."""

from __future__ import annotations

import base64
import json
import math
import re
from pathlib import Path

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from landscapes import get_landscape
from optim_core import make_optimizer, run, run_many
from ui.presets import PRESETS_FILE, presets
from ui.viewformat import check

from .page_chart import chart_figure

APP = str(Path(__file__).resolve().parents[1] / "app.py")
IDS = list(presets())


def _run(pid: str, **changes):
    """(checked view, landscape, one RunResult per optimizer) for the preset, with ``changes``."""
    view = check({**presets()[pid], **changes})
    land = get_landscape(view["surface"], **view["surface_params"])
    optimizers = [make_optimizer(o["name"], **o["params"]) for o in view["optimizers"]]
    common = {"starts": view["start"], "noise": view["noise"], "seed": view["seed"],
              "schedule": view["schedule"]}
    if "batch" not in view:
        return view, land, run_many(land, optimizers, steps=view["steps"], **common)
    batch, n = view["batch"], land.n_samples  # each its own batch size; epochs: ⌈n/B⌉ steps each
    results = [run(land, opt, steps=view["epochs"] * -(-n // o["batch_size"]) if "epochs" in view
                   else view["steps"], batch_size=o["batch_size"], shuffle=batch["shuffle"],
                   data_seed=batch["data_seed"], **common)
               for opt, o in zip(optimizers, view["optimizers"], strict=True)]
    return view, land, results


def _lr(view: dict, i: int) -> float:
    return view["optimizers"][i]["params"]["lr"]


def _path(result) -> np.ndarray:
    return result.path[:, 0]


def _dist(path: np.ndarray, point=(0.0, 0.0)) -> np.ndarray:
    return np.hypot(path[:, 0] - point[0], path[:, 1] - point[1])


def _leaves_picture_at(land, path: np.ndarray) -> int | None:
    (x0, x1), (y0, y1) = land.bounds
    out = (path[:, 0] < x0) | (path[:, 0] > x1) | (path[:, 1] < y0) | (path[:, 1] > y1)
    return int(np.argmax(out)) if out.any() else None


def _uv(view: dict, path: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Ravine coordinates: u along the valley floor, v across it."""
    a = math.radians(view["surface_params"]["angle"])
    x, y = path[:, 0], path[:, 1]
    return math.cos(a) * x + math.sin(a) * y, -math.sin(a) * x + math.cos(a) * y


def _sign_changes(values: np.ndarray) -> int:
    return int(np.sum(np.sign(values[1:]) != np.sign(values[:-1])))


# --- every preset is a valid view --------------------------------------------------------------

def test_ids_are_unique():
    ids = [p["id"] for p in json.loads(PRESETS_FILE.read_text(encoding="utf-8"))]
    assert ids and len(ids) == len(set(ids)) == len(IDS)


@pytest.mark.parametrize("pid", IDS)
def test_preset_is_a_checked_view_with_a_title_a_story_and_a_start_on_screen(pid):
    preset = presets()[pid]
    view = check(preset)
    assert preset["title"].strip() and preset["story"].strip()
    assert 1 <= len(view["optimizers"]) <= 8 and 10 <= view["steps"] <= 2000
    assert "start" in preset
    (x0, x1), (y0, y1) = get_landscape(view["surface"], **view["surface_params"]).bounds
    assert x0 <= view["start"][0] <= x1 and y0 <= view["start"][1] <= y1


@pytest.mark.parametrize("pid", IDS)
def test_every_step_size_a_story_names_is_one_it_draws(pid):
    named = {float(v) for v in re.findall(r"α = (\d+(?:\.\d+)?)", presets()[pid]["story"])}
    drawn = {o["params"].get("lr") for o in check(presets()[pid])["optimizers"]}
    assert named <= drawn


# --- every preset loads in the real page -------------------------------------------------------

def _drawn_paths(at: AppTest) -> list[dict]:
    lines = [t for t in chart_figure(at)["data"] if t.get("mode") == "lines+markers"]
    return sorted(lines, key=lambda t: t.get("legendrank", 1000))  # legend order; layers go by cover


def _first_point(trace: dict) -> tuple[float, float]:
    """The first (x, y) of a Plotly trace (a plain list or a typed array {dtype, bdata})."""
    def first(v):
        if isinstance(v, dict):
            return float(np.frombuffer(base64.b64decode(v["bdata"]), dtype=np.dtype(v["dtype"]))[0])
        return float(v[0])
    return first(trace["x"]), first(trace["y"])


@pytest.mark.parametrize("pid", IDS)
def test_preset_loads_in_the_page(pid):
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.selectbox(key="preset").set_value(pid).run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    view = check(presets()[pid])
    assert at.selectbox(key="surface").value == view["surface"]
    paths = _drawn_paths(at)
    assert len(paths) == len(view["optimizers"])
    assert all(np.allclose(_first_point(t), view["start"]) for t in paths)
    assert any(presets()[pid]["title"] in info.value for info in at.info)


# --- each story is true of its paths -----------------------------------------------------------

def test_step_size_limit_story():
    view, land, (below, limit, above) = _run("step-size-limit")
    c = view["surface_params"]["c"]
    assert (view["surface_params"]["a"], c) == (1, 10) and _lr(view, 0) < 2 / c == _lr(view, 1) < _lr(view, 2)
    p = _path(below)
    assert below.diverged_at[0] == -1 and land.nearest_minimum_distance(p[-1]) < 1e-3
    assert np.all(np.sign(p[1:21, 1]) == -np.sign(p[:20, 1]))  # zig-zags across y = 0
    assert view["start"][1] == 2 and np.allclose(np.abs(_path(limit)[1:, 1]), 2.0)  # bounces forever
    assert limit.diverged_at[0] == -1
    assert _leaves_picture_at(land, _path(above)) == 5 and above.diverged_at[0] == 138


def test_ravine_momentum_story():
    view, land, (sgd, momentum) = _run("ravine-momentum")
    kappa = view["surface_params"]["kappa"]
    assert kappa == 100 and view["surface_params"]["angle"] == 0
    assert _lr(view, 0) < 2 / kappa == 0.02 and 5 <= _lr(view, 1) / _lr(view, 0) < 6
    assert view["optimizers"][1]["params"]["momentum"] == 0.9
    p, d = _path(sgd), _dist(_path(sgd))
    assert np.all(np.sign(p[1:11, 1]) == -np.sign(p[:10, 1]))  # zig-zags between the walls
    assert np.all(d[-50:] / d[-51:-1] > 0.98)  # closes under 2 % per step
    assert round(float(d[-1]), 2) == 0.23
    y = _path(momentum)[:, 1]
    assert _sign_changes(y[np.abs(y) > 0.05]) >= 4  # swings across the valley too
    assert _dist(_path(momentum))[-1] < 0.002


def test_saddle_story():
    view, land, (sgd, adam) = _run("saddle-escape")
    assert view["start"][1] == 0.001 and _lr(view, 0) == _lr(view, 1)
    p, d = _path(sgd), _dist(_path(sgd))
    assert np.allclose(p[1:60, 1] / p[:59, 1], 1 + 2 * _lr(view, 0))  # y grows by 10 % per step
    assert 30 <= np.sum(d < 0.2) <= 40 and sgd.step_size[1:, 0][d[1:] < 0.2].min() < 0.01
    assert _leaves_picture_at(land, p) == 80
    q = _path(adam)
    assert abs((q[1, 1] - q[0, 1]) - _lr(view, 1)) < 0.01 * _lr(view, 1)  # a full-sized y-step at once
    assert _dist(q).min() > 1.2 and _leaves_picture_at(land, q) == 36


def test_plateau_story():
    view, land, (sgd, adam, lion) = _run("plateau")
    assert _lr(view, 0) == _lr(view, 1) == _lr(view, 2) == 0.1
    assert round(float(sgd.grad_norm[0, 0]), 3) == 0.005
    assert round(float(sgd.step_size[1, 0]), 4) == 0.0005
    assert np.hypot(*(_path(sgd)[-1] - _path(sgd)[0])) < 0.1
    for fast in (adam, lion):
        near = _dist(_path(fast)) < 0.1
        assert near.any() and 25 <= np.argmax(near) <= 35


def test_axis_aligned_ravine_story():
    view, land, (sgd, rmsprop, adam) = _run("ravine-per-coordinate")
    assert view["surface_params"]["angle"] == 0
    assert 20 <= np.argmax(_dist(_path(rmsprop)) < 0.01) <= 30
    assert 90 <= np.argmax(_dist(_path(adam)) < 0.01) <= 100
    assert _dist(_path(adam))[-1] < 0.01
    assert round(float(_dist(_path(sgd))[-1]), 2) == 0.23


def test_rotated_ravine_story():
    aligned, _, (sgd0, _, _) = _run("ravine-per-coordinate")
    view, land, (sgd, rmsprop, adam) = _run("ravine-rotated")
    assert view["surface_params"]["angle"] == 45
    assert view["optimizers"] == aligned["optimizers"] and view["steps"] == aligned["steps"]
    assert np.allclose(np.stack(_uv(view, np.array([view["start"]])))[:, 0], aligned["start"], atol=0.01)
    u, v = _uv(view, _path(sgd))
    assert np.abs(np.stack([u, v], axis=-1) - _path(sgd0)).max() < 0.01  # the same path, rotated
    d = [float(_dist(_path(r))[-1]) for r in (sgd, rmsprop, adam)]
    assert (round(d[0], 2), round(d[1], 2), round(d[2], 1)) == (0.23, 0.44, 2.0)
    u_r, v_r = _uv(view, _path(rmsprop))
    u_a, v_a = _uv(view, _path(adam))
    assert np.abs(v_r[5:]).max() < 0.01  # on the floor within a few steps
    assert _sign_changes(v_a[1:]) >= 3  # sways across the floor
    assert u_a[-1] - u_a[20] < u_r[-1] - u_r[20]  # and creeps along it more slowly


def test_adam_epsilon_story():
    view, land, (sign_like, eps_one, momentum) = _run("adam-epsilon")
    assert view["optimizers"][0]["params"]["eps"] == 1e-8 and view["optimizers"][1]["params"]["eps"] == 1
    assert _lr(view, 1) == _lr(view, 2)
    steps = np.abs(np.diff(_path(sign_like)[:4], axis=0))
    assert np.allclose(steps, _lr(view, 0), rtol=0.02)  # α per coordinate: off at 45°
    assert max(r.grad_norm.max() for r in (sign_like, eps_one, momentum)) < 0.21
    line = np.asarray(view["start"]) / np.hypot(*view["start"])

    def off_line(r):
        p = _path(r)
        return np.abs(p[:, 0] * line[1] - p[:, 1] * line[0]).max()
    assert off_line(sign_like) > 0.5 and off_line(eps_one) < 0.06 and off_line(momentum) < 1e-9


def test_adam_bias_correction_story():
    view, land, (corrected, uncorrected) = _run("adam-bias-correction")
    on, off = (o["params"] for o in view["optimizers"])
    assert on["bias_correction"] and not off["bias_correction"] and on["lr"] == off["lr"]
    assert on["beta2"] == off["beta2"] == 0.999
    long, short = uncorrected.step_size[1:11, 0].max(), corrected.step_size[1:11, 0].max()
    assert round(float(long), 2) == 0.72 and round(float(short), 2) == 0.14
    assert round(float(long / short)) == 5
    assert round(float(_path(uncorrected)[:, 0].max()), 2) == 1.27
    per_coordinate = np.abs(np.diff(_path(corrected)[:11], axis=0))
    assert np.all((0.9 * on["lr"] < per_coordinate) & (per_coordinate <= 1.01 * on["lr"]))
    assert _dist(_path(uncorrected))[-1] < 0.05  # spirals back


def test_himmelblau_story():
    view, land, (sgd, adam, momentum) = _run("himmelblau-minima")
    minima = np.array(land.minima)
    ends = [int(np.linalg.norm(minima - _path(r)[-1], axis=1).argmin()) for r in (sgd, adam, momentum)]
    assert [tuple(np.round(minima[i], 2)) for i in ends] == [(3.0, 2.0), (-2.81, 3.13), (3.58, -1.85)]
    assert all(land.nearest_minimum_distance(_path(r)[-1]) < 1e-3 for r in (sgd, adam, momentum))
    gx, gy = land.grad(np.asarray(view["start"]))
    assert abs(gx) < 0.05 * abs(gy) and gy > 0  # almost straight down
    assert np.allclose(np.diff(_path(adam)[:4], axis=0), -_lr(view, 1), rtol=0.03)  # down and left
    assert _dist(_path(momentum)[:20], (3.0, 2.0)).min() < 0.5  # around (3, 2) before it leaves


def test_rastrigin_noise_story():
    view, land, (small, large) = _run("rastrigin-noise")
    assert view["noise"] == 10 and view["schedule"] == {"name": "cosine", "min_factor": 0.0}
    settle = 2 / (2 + 40 * math.pi**2)  # α below which SGD can settle into a bump
    assert _lr(view, 0) < round(settle, 3) == 0.005 < _lr(view, 1)
    assert np.all(np.round(_path(small)) == (3, 2)) and round(float(small.loss[-1, 0])) == 13
    assert len({tuple(c) for c in np.round(_path(large)).astype(int)}) >= 3  # basin to basin
    assert tuple(np.round(_path(large)[-1])) == (0, 1) and round(float(large.loss[-1, 0])) == 1
    for seed in range(1, 10):
        _, _, (trapped, moved) = _run("rastrigin-noise", seed=seed)
        assert moved.loss[-1, 0] < trapped.loss[-1, 0] - 4
    _, _, (_, calm) = _run("rastrigin-noise", noise=0.0)
    assert tuple(np.round(_path(calm)[-1])) == (3, 2)


# --- data surfaces: mini-batches, feature scaling, decaying steps ------------------------------

def _fit_distance(land, result) -> np.ndarray:
    return _dist(_path(result), land.minima[0])


def test_batch_size_story():
    view, land, (one, eight, full) = _run("sgd-batch-size")
    assert np.allclose(land.minima[0], (1.91, 1.04), atol=0.005) and land.n_samples == 64
    assert [o["batch_size"] for o in view["optimizers"]] == [1, 8, 64] and view["epochs"] == 10
    assert {_lr(view, i) for i in range(3)} == {0.05}
    assert [len(r.step) - 1 for r in (one, eight, full)] == [640, 80, 10]  # 10 epochs each
    d1, d8, d64 = (_fit_distance(land, r) for r in (one, eight, full))
    assert d1[:100].min() < 0.1 and 0.08 < d1[-64:].mean() < 0.15  # "about 0.1 … last 10 %"
    assert d8[-8:].max() < 0.04
    assert round(d64[-1], 1) == 2.0 and np.all(np.diff(full.loss[:, 0]) < 0)  # smooth, each step lower
    assert np.all(np.diff(d64) < 0)


def test_feature_offset_story():
    view, land, (below, above) = _run("feature-offset-ravine")
    a = np.stack(land.data[:2], axis=1)
    curv = np.linalg.eigvalsh(2 * a.T @ a / len(a))
    assert round(curv[1]) == 55 and round(curv[0], 2) == 0.06 and 800 < curv[1] / curv[0] < 1000
    assert _lr(view, 0) < 2 / curv[1] < _lr(view, 1) and round(2 / curv[1], 3) == 0.036
    assert _leaves_picture_at(land, _path(above)) is not None and _fit_distance(land, above)[-1] > 1e3
    assert _leaves_picture_at(land, _path(below)) is None
    assert round(_fit_distance(land, below)[-1]) == 2
    view0, land0, (std, _) = _run("feature-offset-ravine", surface_params={"offset": 0.0})
    a0 = np.stack(land0.data[:2], axis=1)
    assert np.round(np.linalg.eigvalsh(2 * a0.T @ a0 / len(a0)), 1).tolist() == [1.6, 2.0]
    assert 60 <= int(np.argmax(_fit_distance(land0, std) < 0.05)) <= 70


def test_decaying_step_story():
    view, land, (decayed,) = _run("sgd-decaying-step")
    assert view["schedule"] == {"name": "exponential", "gamma": 0.995}
    assert _fit_distance(land, decayed)[-100:].max() < 0.035
    _, _, (constant,) = _run("sgd-decaying-step", schedule={"name": "constant"})
    assert round(_fit_distance(land, constant)[-100:].mean(), 2) == 0.19

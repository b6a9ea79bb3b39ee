"""Mini-batch runs on data surfaces, against hand-written loops and torch.optim with autograd
of the per-sample loss averaged over each batch."""

from __future__ import annotations

import numpy as np
import pytest

from landscapes import get_landscape
from optim_core import make_optimizer, run, run_many

START = (-2.0, -3.0)


def _design(land):
    a1, a2, t = land.data
    return np.stack([a1, a2], axis=1), t


def _batches(n, size, epochs, seed, shuffle=True, drop_last=False):
    """The documented plan, written out: a new permutation per epoch, cut into batches."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(epochs):
        order = rng.permutation(n) if shuffle else np.arange(n)
        stop = n - n % size if drop_last else n
        out += [order[k:k + size] for k in range(0, stop, size)]
    return out


def _sgd_loop(a, t, theta, lr, batches):
    """Plain SGD on the mean squared error, gradient 2/|B| Σ a_i (a_i·θ − t_i) by hand."""
    path = [np.array(theta, dtype=float)]
    for b in batches:
        th = path[-1]
        path.append(th - lr * 2 * a[b].T @ (a[b] @ th - t[b]) / len(b))
    return np.array(path)


def test_full_batch_is_gradient_descent_exactly():
    land = get_landscape("linear_regression")
    a, t = _design(land)
    full = run(land, make_optimizer("sgd", lr=0.05), START, 60, batch_size=land.n_samples)
    plain = run(land, make_optimizer("sgd", lr=0.05), START, 60)
    assert np.array_equal(full.path, plain.path) and np.array_equal(full.loss, plain.loss)
    ref = _sgd_loop(a, t, START, 0.05, [np.arange(len(t))] * 60)
    np.testing.assert_allclose(full.path[:, 0], ref, rtol=1e-12, atol=1e-12)
    assert full.settings["epochs"] == 60.0


@pytest.mark.parametrize("size,shuffle,drop_last", [(1, True, False), (1, False, False),
                                                    (10, True, False), (10, True, True)])
def test_mini_batches_equal_a_hand_written_loop(size, shuffle, drop_last):
    land = get_landscape("linear_regression", n=64, offset=1.0)
    a, t = _design(land)
    batches = _batches(64, size, 3, seed=7, shuffle=shuffle, drop_last=drop_last)
    res = run(land, make_optimizer("sgd", lr=0.02), START, len(batches), batch_size=size,
              shuffle=shuffle, data_seed=7, drop_last=drop_last)
    np.testing.assert_allclose(res.path[:, 0], _sgd_loop(a, t, START, 0.02, batches),
                               rtol=1e-12, atol=1e-12)
    assert res.settings["epochs"] == pytest.approx(3.0)
    # the recorded loss is the full data's, at each point of the path
    np.testing.assert_allclose(res.loss[:, 0], np.mean((res.path[:, 0] @ a.T - t) ** 2, axis=1),
                               rtol=1e-12)


def _torch_path(land, name, hyper, batches, torch):
    """torch.optim on autograd of the hand-written per-sample cross-entropy, batch means."""
    a, t = (torch.tensor(v) for v in _design(land))
    theta = torch.tensor(START, dtype=torch.float64, requires_grad=True)
    opt = {"momentum": torch.optim.SGD, "adam": torch.optim.Adam}[name]([theta], **hyper)
    lam = land.params["lam"]
    path = [theta.detach().clone()]
    for b in batches:
        opt.zero_grad()
        z = a[b] @ theta
        loss = (torch.nn.functional.softplus(z) - t[b] * z + lam / 2 * theta @ theta).mean()
        loss.backward()
        opt.step()
        path.append(theta.detach().clone())
    return torch.stack(path).numpy()


def test_every_optimizer_of_a_comparison_sees_the_same_batches_as_torch_optim():
    torch = pytest.importorskip("torch")
    land = get_landscape("logistic_regression", n=64)
    batches = _batches(64, 10, 3, seed=3)  # 7 batches an epoch, the last of 4
    opts = [make_optimizer("sgd", lr=0.3, momentum=0.9), make_optimizer("adam", lr=0.1)]
    results = run_many(land, opts, START, len(batches), batch_size=10, data_seed=3)
    refs = [_torch_path(land, "momentum", {"lr": 0.3, "momentum": 0.9}, batches, torch),
            _torch_path(land, "adam", {"lr": 0.1}, batches, torch)]
    for res, ref in zip(results, refs, strict=True):
        np.testing.assert_allclose(res.path[:, 0], ref, rtol=1e-10, atol=1e-12)


def test_torch_backend_runs_the_same_batches():
    pytest.importorskip("torch")
    land = get_landscape("logistic_regression")
    kw = {"batch_size": 8, "data_seed": 5, "steps": 40}
    np_res = run(land, "adam", START, **kw)
    torch_res = run(land, "adam", START, backend="torch", **kw)
    np.testing.assert_allclose(torch_res.path, np_res.path, rtol=1e-12, atol=1e-12)


def test_the_data_seed_decides_the_batches_and_settings_record_them():
    land = get_landscape("linear_regression")
    one, same, other = (run(land, "sgd", START, 30, batch_size=4, data_seed=s) for s in (1, 1, 2))
    assert np.array_equal(one.path, same.path) and not np.array_equal(one.path, other.path)
    assert {k: one.settings[k] for k in ("batch_size", "epochs", "shuffle", "data_seed")} == \
        {"batch_size": 4, "epochs": 30 / 16, "shuffle": True, "data_seed": 1}
    fixed = [run(land, "sgd", START, 30, batch_size=4, shuffle=False, data_seed=s) for s in (1, 2)]
    assert np.array_equal(fixed[0].path, fixed[1].path)


def test_bad_batch_settings_say_what_is_allowed():
    land = get_landscape("linear_regression", n=32)
    for bad in (0, 33, 2.5, True, "8"):
        with pytest.raises(ValueError, match="batch_size must be a whole number from 1"):
            run(land, "sgd", START, 5, batch_size=bad)
    with pytest.raises(ValueError, match="data_seed"):
        run(land, "sgd", START, 5, batch_size=4, data_seed=-1)
    with pytest.raises(ValueError, match="made from data"):
        run("rosenbrock", "sgd", START, 5, batch_size=4)


def test_compiled_engine_refuses_mini_batches():
    pytest.importorskip("torch")
    with pytest.raises(ValueError, match="compile=True does not run mini-batches"):
        run("linear_regression", "sgd", START, 5, backend="torch", compile=True, batch_size=4)


# --- the view format and the page --------------------------------------------------------------

def test_the_view_format_carries_a_checked_batch_for_data_surfaces_only():
    from ui.viewformat import check, decode, encode

    sgd = {"name": "sgd"}
    view = check({"surface": "linear_regression", "batch": {"size": 8},  # an older, page-wide size
                  "optimizers": [sgd, {**sgd, "batch_size": 2}]})
    assert view["batch"] == {"shuffle": True, "data_seed": 0}
    assert [o["batch_size"] for o in view["optimizers"]] == [8, 2]  # the page-wide size, its own
    assert check(decode(encode(view)))["optimizers"] == view["optimizers"]
    old = check({"surface": "linear_regression", "surface_params": {"n": 32}, "optimizers": [sgd]})
    assert old["batch"] == {"shuffle": True, "data_seed": 0}  # a format-1 link
    assert old["optimizers"][0]["batch_size"] == 32 and "epochs" not in old  # the full batch, steps
    assert "batch" not in check({"surface": "rosenbrock"})
    assert check({"surface": "linear_regression", "epochs": 3})["epochs"] == 3
    for bad, message in (({"size": 0}, "from 1 to 64"), ({"size": 65}, "from 1 to 64"),
                         ({"size": "8"}, "from 1 to 64"), ({"size": 8.5}, "from 1 to 64"),
                         ({"shuffle": 1}, "true or false"),
                         ({"data_seed": -1}, "data_seed"), ({"sizes": 8}, "batch must be"),
                         ([8], "batch must be")):
        with pytest.raises(ValueError, match=message):
            check({"surface": "linear_regression", "batch": bad})
    for bad in (0, 65, "8", 8.5):
        with pytest.raises(ValueError, match="from 1 to 64"):
            check({"surface": "linear_regression", "optimizers": [{**sgd, "batch_size": bad}]})
    for bad in (0, 501, 2.5, "3"):
        with pytest.raises(ValueError, match="epochs must be"):
            check({"surface": "linear_regression", "epochs": bad})
    with pytest.raises(ValueError, match="surfaces made from data"):
        check({"surface": "rosenbrock", "batch": {"size": 8}})
    with pytest.raises(ValueError, match="surfaces made from data"):
        check({"surface": "rosenbrock", "optimizers": [{**sgd, "batch_size": 8}]})
    with pytest.raises(ValueError, match="surfaces made from data"):
        check({"surface": "rosenbrock", "epochs": 3})


# --- the page: each panel's batch size, epochs, links ---------------------------------------------

def _page(view: dict | None = None):
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    from ui.viewformat import encode

    at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "app.py"), default_timeout=120)
    if view is not None:
        at.query_params["view"] = encode(view)
    at.run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    return at


def _lines(at) -> dict[str, np.ndarray]:
    """Each drawn path by its legend label (the chart stacks the paths by their size)."""
    from tests.page_chart import chart_figure
    from tests.plotly_arrays import as_array

    return {t["name"]: np.stack([as_array(t["x"]), as_array(t["y"])], axis=-1)
            for t in chart_figure(at)["data"] if t.get("mode") == "lines+markers"}


REG = {"version": 3, "surface": "linear_regression", "surface_params": {"n": 32}, "start": [-2.0, -3.0],
       "batch": {"shuffle": True, "data_seed": 5}}


def test_two_panels_run_their_own_batch_sizes():
    from ui import keys

    at = _page({**REG, "steps": 60, "optimizers": [{"name": "sgd", "params": {"lr": 0.05}},
                                                   {"name": "sgd", "params": {"lr": 0.05}}]})
    sids = [s["id"] for s in at.session_state[keys.SLOTS]]
    assert [at.select_slider(key=keys.slot_batch(s)).value for s in sids] == [32, 32]  # full batch
    at.select_slider(key=keys.slot_batch(sids[0])).set_value(2).run()
    at.select_slider(key=keys.slot_batch(sids[1])).set_value(8).run()
    land = get_landscape("linear_regression", n=32)
    lines = _lines(at)
    assert sorted(lines) == ["SGD (α=0.05, B=2)", "SGD (α=0.05, B=8)"]
    for size in (2, 8):  # each its own size, cut from the same shuffled order
        want = run(land, make_optimizer("sgd", lr=0.05), START, 60, batch_size=size, data_seed=5).path[:, 0]
        np.testing.assert_allclose(lines[f"SGD (α=0.05, B={size})"], want, rtol=1e-6, atol=1e-9)
    assert at.session_state[keys.BATCH_SIZE] == 8  # the last set: where a new panel starts
    at.button(key="add").click().run()
    new = at.session_state[keys.SLOTS][-1]["id"]
    assert at.select_slider(key=keys.slot_batch(new)).value == 8


def test_epochs_run_each_panel_its_batches_per_epoch():
    from ui import keys

    sgd = {"name": "sgd", "params": {"lr": 0.05}}
    at = _page({**REG, "steps": 60, "optimizers": [{**sgd, "batch_size": 4}, {**sgd, "batch_size": 12}]})
    assert [len(p) - 1 for p in _lines(at).values()] == [60, 60]  # steps: the same for both
    at.button_group(key=keys.LENGTH_IN).set_value("epochs").run()
    at.number_input(key=keys.EPOCHS).set_value(3).run()
    land = get_landscape("linear_regression", n=32)
    lines = _lines(at)
    for size, steps in ((4, 3 * 8), (12, 3 * 3)):  # ⌈32/4⌉ = 8, ⌈32/12⌉ = 3 per epoch
        want = run(land, make_optimizer("sgd", lr=0.05), START, steps, batch_size=size,
                   data_seed=5).path[:, 0]
        assert len(want) == steps + 1
        np.testing.assert_allclose(lines[f"SGD (α=0.05, B={size})"], want, rtol=1e-6, atol=1e-9)
    assert at.session_state[keys.CURVE_X] == "epoch"  # the curves against epochs
    assert any("24 steps" in c.value and "9 steps" in c.value for c in at.sidebar.caption)
    table = at.dataframe[0].value
    assert list(table["steps"]) == [24, 9]
    at.select_slider(key=keys.slot_batch(at.session_state[keys.SLOTS][0]["id"])).set_value(1).run()
    at.number_input(key=keys.EPOCHS).set_value(100).run()  # 3200 steps: over the cap
    assert sorted(len(p) - 1 for p in _lines(at).values()) == [300, 2000]
    assert any("would be 3200" in c.value and "cut to 62.5 epochs" in c.value for c in at.sidebar.caption)


def test_the_link_keeps_each_panels_batch_size_and_the_epochs():
    from ui import keys
    from ui.link import LINK_PARAM
    from ui.viewformat import check, decode

    view = {**REG, "epochs": 4, "optimizers": [{"name": "sgd", "params": {"lr": 0.05}, "batch_size": 2},
                                               {"name": "adam", "params": {"lr": 0.1}, "batch_size": 16}]}
    at = _page(view)
    link = check(decode(at.query_params[LINK_PARAM]))
    assert [o["batch_size"] for o in link["optimizers"]] == [2, 16] and link["epochs"] == 4
    assert link["batch"] == {"shuffle": True, "data_seed": 5}
    assert at.button_group(key=keys.LENGTH_IN).value == "epochs"
    again = _page(link)  # the link reopens the same view
    lines = _lines(again)
    assert {label: len(p) - 1 for label, p in lines.items()} == {"SGD (α=0.05, B=2)": 4 * 16,
                                                                "Adam (α=0.1, B=16)": 4 * 2}


def test_an_old_page_wide_batch_link_still_opens():
    old = {"version": 3, "surface": "linear_regression", "steps": 50, "start": [-2.0, -3.0],
           "optimizers": [{"name": "sgd", "params": {"lr": 0.05}}, {"name": "momentum"}],
           "batch": {"size": 8, "shuffle": True, "data_seed": 1}}
    at = _page(old)
    land = get_landscape("linear_regression")
    lines = _lines(at)
    assert sorted(lines) == ["Momentum (EMA) (B=8)", "SGD (α=0.05, B=8)"]  # that size for every panel
    for label, opt in (("SGD (α=0.05, B=8)", make_optimizer("sgd", lr=0.05)),
                       ("Momentum (EMA) (B=8)", make_optimizer("momentum"))):
        want = run(land, opt, START, 50, batch_size=8, data_seed=1).path[:, 0]
        np.testing.assert_allclose(lines[label], want, rtol=1e-6, atol=1e-9)


def test_the_page_draws_the_presets_three_batch_sizes():
    from ui import keys
    from ui.presets import presets

    at = _page()
    at.selectbox(key="preset").set_value("sgd-batch-size").run()
    assert not at.exception and not at.error
    sids = [s["id"] for s in at.session_state[keys.SLOTS]]
    assert [at.select_slider(key=keys.slot_batch(s)).value for s in sids] == [1, 8, 64]
    preset = presets()["sgd-batch-size"]
    land = get_landscape("linear_regression")
    lines = _lines(at)
    assert sorted(lines) == ["SGD (α=0.05)", "SGD (α=0.05, B=1)", "SGD (α=0.05, B=8)"]  # 64: all
    for size, label in ((1, "SGD (α=0.05, B=1)"), (8, "SGD (α=0.05, B=8)"), (64, "SGD (α=0.05)")):
        want = run(land, make_optimizer("sgd", lr=0.05), preset["start"], 10 * (64 // size),
                   batch_size=size, data_seed=0).path[:, 0]
        assert len(want) == 10 * (64 // size) + 1  # 10 epochs each: 640, 80 and 10 steps
        np.testing.assert_allclose(lines[label], want, rtol=1e-6, atol=1e-9)

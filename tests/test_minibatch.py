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

    view = check({"surface": "linear_regression", "batch": {"size": 8}})
    assert view["batch"] == {"size": 8, "shuffle": True, "data_seed": 0}
    assert check(decode(encode(view)))["batch"] == view["batch"]
    old = check({"surface": "linear_regression", "surface_params": {"n": 32}})  # a format-1 link
    assert old["batch"] == {"size": 32, "shuffle": True, "data_seed": 0}  # the full batch
    assert "batch" not in check({"surface": "rosenbrock"})
    for bad, message in (({"size": 0}, "from 1 to 64"), ({"size": 65}, "from 1 to 64"),
                         ({"size": "8"}, "from 1 to 64"), ({"size": 8.5}, "from 1 to 64"),
                         ({"shuffle": 1}, "true or false"),
                         ({"data_seed": -1}, "data_seed"), ({"sizes": 8}, "batch must be"),
                         ([8], "batch must be")):
        with pytest.raises(ValueError, match=message):
            check({"surface": "linear_regression", "batch": bad})
    with pytest.raises(ValueError, match="surfaces made from data"):
        check({"surface": "rosenbrock", "batch": {"size": 8}})


def test_the_page_draws_the_presets_mini_batches():
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    from tests.page_chart import chart_figure
    from tests.plotly_arrays import as_array
    from ui.presets import presets

    at = AppTest.from_file(str(Path(__file__).resolve().parents[1] / "app.py"), default_timeout=60).run()
    at.selectbox(key="preset").set_value("sgd-batch-size").run()
    assert not at.exception and at.select_slider(key="batch_size").value == 1
    preset = presets()["sgd-batch-size"]
    want = run(get_landscape("linear_regression"), make_optimizer("sgd", lr=0.05), preset["start"],
               preset["steps"], batch_size=1, data_seed=0).path[:, 0]
    (line,) = [t for t in chart_figure(at)["data"] if t.get("mode") == "lines+markers"]
    drawn = np.stack([as_array(line["x"]), as_array(line["y"])], axis=-1)
    np.testing.assert_allclose(drawn, want, rtol=1e-6, atol=1e-9)  # not the full-batch path

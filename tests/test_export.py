"""Exports read back: CSV and JSON hold exactly the runs (and the view that reproduces them), the
animation's frames show every step up to theirs, PNG / SVG / GIF / MP4 have the asked size and
frame count and show the surface. The browser-made formats render one small preset once each."""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ui.presets import checked
from ui.scene import scene_of
from viz import surface_grid, surface_levels
from viz.animation import REVEALED, animation_of
from viz.export import (
    CSV_COLUMNS,
    ExportError,
    animation_frames,
    check_size,
    export,
    frame_rows,
    read_runs_json,
    runs_csv,
    runs_json,
)
from viz.raster import band_colors

ROOT = Path(__file__).resolve().parents[1]
PRESET = "step-size-limit"  # three SGD paths, one of them diverges
SMALL = (320, 240)
FEW = 5  # frames asked for: rows 0, 50, 100, 150 of 151


@pytest.fixture(scope="module")
def scene():
    return scene_of(checked(PRESET))


def _make(fmt, scene, **options):
    return export(fmt, scene.landscape, scene.results, view=checked(PRESET), colors=scene.colors,
                  scale=scene.settings.levels, **options)


def _surface_share(picture: np.ndarray, scene) -> float:
    """Share of the picture's pixels within 12 (of 255) of one of the surface's band colours
    that are not near white (the picture is scaled into the plot area, which blends
    neighbouring pixels)."""
    z = surface_grid(scene.landscape, 150)[2]
    colors = band_colors(surface_levels(scene.landscape, z, scene.settings.levels)).astype(float)
    colors = colors[colors.min(axis=1) < 230]  # not the near-white bands: the page is white too
    flat = picture.reshape(-1, 1, 3).astype(float)
    return float((np.abs(flat - colors[None]).max(axis=-1).min(axis=-1) <= 12).mean())


def test_csv_rows_equal_the_runs(scene):
    text = runs_csv(scene.results, checked(PRESET))
    first, body = text.split("\n", 1)
    assert json.loads(first.removeprefix("# view: ")) == json.loads(json.dumps(checked(PRESET)))
    rows = list(csv.reader(io.StringIO(body)))
    assert tuple(rows[0]) == CSV_COLUMNS
    rows = rows[1:]
    assert len(rows) == sum(r.path.shape[0] * r.path.shape[1] for r in scene.results)
    got = np.array([[float(v) for v in row[3:]] for row in rows])
    want = np.concatenate([np.column_stack([r.step, r.path[:, 0], r.loss[:, 0], r.grad_norm[:, 0],
                                            r.step_size[:, 0]]) for r in scene.results])
    np.testing.assert_array_equal(got, want)  # written in full: read back bit for bit
    assert [row[0] for row in rows[:: len(scene.results[0].step)]] == [r.label for r in scene.results]
    assert {row[1] for row in rows} == {"sgd"}


def test_json_round_trips_and_reproduces(scene):
    view, runs = read_runs_json(runs_json(scene.results, checked(PRESET)))
    assert len(runs) == len(scene.results)
    for got, want in zip(runs, scene.results, strict=True):
        for name in ("path", "loss", "grad_norm", "step_size", "diverged_at", "step", "lr_factor"):
            np.testing.assert_array_equal(getattr(got, name), getattr(want, name))
        assert (got.label, got.optimizer, got.hyperparams) == (want.label, want.optimizer, want.hyperparams)
    assert any(r.diverged_at[0] > 0 for r in runs)  # the α = 0.21 path, kept as in the run
    again = scene_of(view)  # the view in the file makes the same paths
    for a, b in zip(again.results, scene.results, strict=True):
        np.testing.assert_array_equal(a.path, b.path)


def test_frames_show_every_step_up_to_theirs(scene):
    still, frames = animation_frames(scene.landscape, scene.results, colors=scene.colors, frames=FEW)
    rows = frame_rows(len(scene.results[0].step), FEW)
    assert list(rows) == [0, 50, 100, 150]
    assert [f["name"] for f in frames] == [str(r) for r in rows]
    lines = [i for i, t in enumerate(still["data"]) if "lines" in t.get("mode", "")]
    for row, frame in zip(rows, frames, strict=True):
        patches = dict(zip(frame["traces"], frame["data"], strict=True))
        assert set(lines) <= set(patches)
        drawn = sorted(tuple(np.asarray(patches[i]["x"]).tolist()) for i in lines)
        want, heads = [], []
        for res in scene.results:  # each path's x, steps 0..row (or to its divergence), in float32
            keep = res.path.shape[0] if res.diverged_at[0] < 0 else int(res.diverged_at[0])
            x = res.path[: min(row, keep - 1) + 1, 0, 0].astype(np.float32)
            want += [tuple(x.tolist())] * 2  # its line and its outline
            heads.append([float(x[-1])])
        assert drawn == sorted(want)
        dots = [np.asarray(p["x"]).tolist() for i, p in patches.items()
                if i not in lines and still["data"][i]["mode"] == "markers"]
        assert dots == heads  # each result's last-point dot at its last shown point
        moving = animation_of(still)["moving"]
        for res, group in zip(scene.results, moving, strict=True):
            for i in [i for i, j in group if j == REVEALED]:  # a diverged path's ×, from its step on
                shown = int(res.diverged_at[0] <= res.step[row])
                assert len(patches[i]["x"]) == len(patches[i]["text"]) == shown
                assert all(t.startswith(f"diverged at step {res.diverged_at[0]}") for t in patches[i]["text"])


def test_sizes_and_formats_are_checked():
    assert check_size(320, 240, "mp4") == (320, 240)
    for bad in ((10, 240), (320, 5000), (320.0, 240), (True, 240)):
        with pytest.raises(ValueError, match="whole numbers from 100 to 4000"):
            check_size(*bad)
    with pytest.raises(ValueError, match="even width and height"):
        check_size(321, 240, "mp4")


def test_unknown_format_and_fps(scene):
    with pytest.raises(ValueError, match="allowed: png, svg"):
        _make("bmp", scene)
    with pytest.raises(ValueError, match="fps must be"):
        _make("gif", scene, fps=0)


def test_no_browser_says_what_to_install(scene, monkeypatch):
    monkeypatch.delenv("BROWSER_PATH", raising=False)
    monkeypatch.setenv("PATH", "")
    for fmt in ("png", "gif"):
        with pytest.raises(ExportError, match="install Chromium"):
            _make(fmt, scene, size=SMALL, frames=FEW)


def test_html_is_the_animated_contour(scene):
    text = _make("html", scene).decode()
    assert "OptivizChart.mount" in text and "data:image/png;base64" in text  # the page's replay


# -- made by the browser --------------------------------------------------------------------

def test_png_has_its_size_and_the_surface(scene):
    pytest.importorskip("kaleido")
    picture = np.asarray(Image.open(io.BytesIO(_make("png", scene, size=(640, 480)))).convert("RGB"))
    assert picture.shape == (480, 640, 3)
    assert _surface_share(picture, scene) > 0.3  # the surface's bands fill the plot area


def test_svg_has_its_size_and_the_surface_picture(scene):
    pytest.importorskip("kaleido")
    text = _make("svg", scene, size=SMALL).decode()
    root = re.search(r"<svg[^>]*>", text).group(0)
    assert f'width="{SMALL[0]}"' in root and f'height="{SMALL[1]}"' in root
    assert re.search(r"<image[^>]*data:image/png;base64", text)


def test_gif_has_the_frames_at_the_size(scene):
    pytest.importorskip("playwright")
    gif = Image.open(io.BytesIO(_make("gif", scene, size=SMALL, frames=FEW, fps=10)))
    count = len(frame_rows(len(scene.results[0].step), FEW))
    assert (gif.n_frames, gif.size) == (count, SMALL)
    durations = []
    for k in range(count):
        gif.seek(k)
        durations.append(gif.info["duration"])
        picture = np.asarray(gif.convert("RGB"))
        assert _surface_share(picture, scene) > 0.1
    assert durations[:-1] == [100] * (count - 1) and durations[-1] == 2000  # rests on the last


def test_mp4_has_the_frames_at_the_size(scene, tmp_path):
    imageio = pytest.importorskip("imageio.v2")
    pytest.importorskip("playwright")
    path = tmp_path / "a.mp4"
    path.write_bytes(_make("mp4", scene, size=SMALL, frames=FEW, fps=10))
    with imageio.get_reader(path, format="FFMPEG") as reader:
        meta = reader.get_meta_data()
        frames = [frame for frame in reader]
    assert len(frames) == len(frame_rows(len(scene.results[0].step), FEW))
    assert frames[0].shape == (SMALL[1], SMALL[0], 3) and meta["fps"] == 10
    assert not np.array_equal(frames[0], frames[-1])  # the paths move


def test_walkthrough_example_runs_clean(tmp_path):
    out = subprocess.run([sys.executable, str(ROOT / "examples" / "walkthrough.py"), str(tmp_path)],
                         cwd=ROOT, capture_output=True, text=True, timeout=300,
                         env={"PYTHONPATH": str(ROOT), "PATH": ""})
    assert out.returncode == 0 and not out.stderr, out.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["animation.html", "contour.html", "grad_norm.html",
                                                          "loss.html"]
    assert "final loss" in out.stdout


def test_scene_draws_the_page_paths():
    """A view's runs, labels and colours as the page makes them, worked out by hand; a panel
    whose setting breaks a rule across parameters is left out, as on the page."""
    from landscapes import get_landscape
    from optim_core import make_optimizer, run
    from ui.state import SLOT_COLORS

    colors = [c for c, _ in SLOT_COLORS]
    first, *rest = checked(PRESET)["optimizers"]
    broken = {"name": "sgd", "params": {"nesterov": True}, "color": colors[7]}
    view = {**checked(PRESET), "optimizers": [{**first, "color": colors[4]}, *rest, broken]}
    scene = scene_of(view)
    assert [d.label for d in scene.settings.drawn] == ["SGD (α=0.19)", "SGD (α=0.2)", "SGD (α=0.21)",
                                                        "SGD (Nesterov)"]
    assert "Nesterov" in scene.settings.drawn[-1].error
    assert [r.label for r in scene.results] == ["SGD (α=0.19)", "SGD (α=0.2)", "SGD (α=0.21)"]
    assert scene.colors == [colors[4], colors[0], colors[1]]  # its own colour, else the first free
    land = get_landscape("quadratic", a=1.0, c=10.0)
    for res, lr in zip(scene.results, (0.19, 0.2, 0.21), strict=True):
        want = run(land, make_optimizer("sgd", lr=lr), [[-2.5, 2.0]], 150)
        np.testing.assert_array_equal(res.path, want.path)


def _panel():
    from ui.exports import export_panel
    from ui.presets import checked
    from ui.scene import scene_of

    scene = scene_of(checked("step-size-limit"))
    export_panel(scene.settings, scene.landscape, scene.results, scene.colors)


def test_page_prepares_a_file_only_when_asked(monkeypatch):
    """The panel offers CSV and JSON at once, a picture after *Prepare*; where no browser is
    found, the button's place says why instead of failing."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(_panel, default_timeout=120).run()
    assert not at.exception
    downloads = lambda: [b.proto.label for b in at.get("download_button")]  # noqa: E731
    assert downloads() == ["⬇ CSV", "⬇ JSON"]
    assert [b.label for b in at.button] == ["Prepare PNG", "Prepare SVG", "Prepare GIF", "Prepare MP4"]
    monkeypatch.delenv("BROWSER_PATH", raising=False)
    monkeypatch.setenv("PATH", "")
    at.button(key="prepare_gif").click().run()
    assert not at.exception and not at.error
    assert any("GIF" in c.value and "install Chromium" in c.value for c in at.caption)
    assert downloads() == ["⬇ CSV", "⬇ JSON"]


def test_page_offers_the_prepared_picture():
    pytest.importorskip("kaleido")
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_function(_panel, default_timeout=120).run()
    at.button(key="prepare_png").click().run()
    assert not at.exception
    assert "⬇ PNG" in [b.proto.label for b in at.get("download_button")]
    at.run()  # the next rerun offers it from the cache, with no Prepare button left
    assert "Prepare PNG" not in [b.label for b in at.button]
    assert "⬇ PNG" in [b.proto.label for b in at.get("download_button")]


def test_readme_notebook_walkthrough_runs():
    text = (ROOT / "README.md").read_text().split("## From Python / notebooks", 1)[1]
    code = re.search(r"```python\n(.*?)```", text, re.S).group(1)
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)  # our own README, not user input
    assert [r.path.shape for r in namespace["results"]] == [(501, 1, 2)] * 3

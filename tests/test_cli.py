"""The ``optiviz`` command: exit status 0 when done, 2 with one line naming what was wrong and
what is allowed, never a traceback; a preset and a link export the page's own paths."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

import optiviz_cli
from optiviz_cli import main
from ui.presets import checked, presets
from ui.scene import scene_of
from ui.viewformat import check, encode
from viz.export import runs_csv

ROOT = Path(__file__).resolve().parents[1]
PRESET = "plateau"


def _fails(argv, capsys, *fragments):
    """Run the command: status 2 and one line on stderr holding every fragment."""
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("optiviz: "), err
    for fragment in fragments:
        assert fragment in err, err
    return err


def test_presets_are_listed(capsys):
    assert main(["presets"]) == 0
    out = capsys.readouterr().out
    for key, preset in presets().items():
        assert key in out and preset["title"] in out
    assert main(["presets", "--ids"]) == 0
    assert capsys.readouterr().out.split() == list(presets())


def test_preset_exports_its_runs(tmp_path, capsys):
    out = tmp_path / "p.csv"
    assert main(["export", "--preset", PRESET, "--out", str(out)]) == 0
    assert "wrote" in capsys.readouterr().out
    scene = scene_of(checked(PRESET))
    assert out.read_text() == runs_csv(scene.results, checked(PRESET))


def test_a_link_exports_what_it_shows(tmp_path):
    view = {**checked("himmelblau-minima"), "steps": 40}
    link = encode(view)
    want = runs_csv(scene_of(view).results, check(view))
    for given in (link, f"http://localhost:8501/?view={link}", f"https://host/app?x=1&view={link}"):
        out = tmp_path / "v.json"
        assert main(["export", "--view", given, "--format", "csv", "--out", str(out)]) == 0
        assert out.read_text() == want


@pytest.mark.parametrize("argv, fragments", [
    (["export", "--preset", "nope", "--out", "x.png"], ["Unknown preset 'nope'", "allowed: step-size-limit"]),
    (["export", "--preset", PRESET, "--format", "tiff", "--out", "x.png"],
     ["invalid choice: 'tiff'", "'png'"]),
    (["export", "--preset", PRESET, "--out", "x.bmp"], ["Give --format", ".gif"]),
    (["export", "--preset", PRESET, "--out", "/no/such/folder/x.png"],
     ["folder /no/such/folder does not exist"]),
    (["export", "--preset", PRESET, "--out", "{tmp}"], ["is a folder"]),
    (["export", "--preset", PRESET, "--out", "x.png", "--size", "big"], ["--size must be WxH"]),
    (["export", "--preset", PRESET, "--out", "x.png", "--size", "10x10"], ["from 100 to 4000"]),
    (["export", "--preset", PRESET, "--out", "x.mp4", "--size", "321x240"], ["even width and height"]),
    (["export", "--preset", PRESET, "--out", "x.gif", "--fps", "0"], ["fps must be a number from 1 to 60"]),
    (["export", "--view", "AAAA", "--out", "x.csv"], ["damaged"]),
    (["export", "--view", "http://h/?a=1", "--out", "x.csv"], ["no ?view="]),
    (["export", "--preset", PRESET, "--view", "AAAA", "--out", "x.csv"], ["not allowed with"]),
    (["export", "--preset", PRESET], ["--out"]),
    (["frob"], ["invalid choice: 'frob'"]),
    ([], ["command"]),
])
def test_bad_arguments_exit_2_with_one_line(argv, fragments, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _fails([a.replace("{tmp}", str(tmp_path)) for a in argv], capsys, *fragments)
    assert not list(tmp_path.iterdir())  # nothing written


def test_no_traceback_from_the_installed_command():
    argv = ["export", "--preset", "nope", "--out", "a.gif"]
    out = subprocess.run([sys.executable, "-m", "optiviz_cli", *argv], cwd=ROOT, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 2 and "Traceback" not in out.stderr
    assert out.stderr.strip().splitlines() == [out.stderr.strip()]


def test_script_is_declared():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert project["project"]["scripts"]["optiviz"] == "optiviz_cli:main"
    assert "optiviz_cli" in project["tool"]["setuptools"]["py-modules"]
    assert {"kaleido", "imageio", "imageio-ffmpeg"} <= {
        d.split(">")[0].split("=")[0] for d in project["project"]["optional-dependencies"]["export"]}


def test_app_starts_streamlit_in_the_project(monkeypatch):
    calls = []
    monkeypatch.setattr(optiviz_cli.subprocess, "call", lambda cmd, cwd: calls.append((cmd, cwd)) or 0)
    assert main(["app", "--server.port", "8600"]) == 0
    (cmd, cwd), = calls
    assert cmd[1:4] == ["-m", "streamlit", "run"] and Path(cmd[4]) == ROOT / "app.py"
    assert cmd[5:] == ["--server.port", "8600"] and Path(cwd) == ROOT

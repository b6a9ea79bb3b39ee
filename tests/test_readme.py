"""The README stays true: its generated tables match the registries and its example runs."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_generated_tables_are_current():
    out = subprocess.run([sys.executable, "scripts/gen_readme.py", "--check"], cwd=ROOT,
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_every_registered_name_is_listed():
    from landscapes import LANDSCAPES
    from optim_core import OPTIMIZERS

    text = (ROOT / "README.md").read_text()
    for name in [*OPTIMIZERS, *LANDSCAPES]:
        assert f"| `{name}` |" in text


def test_the_tests_the_optimizer_table_names_exist():
    """Every test the table says holds an optimizer is defined (and each optimizer has one)."""
    from optim_core import OPTIMIZERS
    from scripts.gen_readme import held_by

    for name in OPTIMIZERS:
        named = re.findall(r"`(?:(test_\w+\.py)::)?(test_\w+)\[?", held_by(name))
        assert named, name
        for file, test in named:
            source = (ROOT / "tests" / (file or "test_parity.py")).read_text()
            assert f"def {test}(" in source, (name, file, test)


def test_python_example_runs_as_written(capsys):
    code = re.search(r"```python\n(.*?)```", (ROOT / "README.md").read_text(), re.S).group(1)
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)  # our own README, not user input
    assert namespace["res"].path.shape == (501, 2, 2)
    assert namespace["sweep"].path.shape == (2, 1024, 2)
    assert "Momentum" in capsys.readouterr().out


def test_quick_start_has_the_two_commands():
    text = (ROOT / "README.md").read_text()
    quick = text.split("## Quick start", 1)[1].split("\n#", 1)[0]
    blocks = re.findall(r"```bash\n(.*?)```", quick, re.S)
    commands = [line.split("#")[0].strip() for b in blocks for line in b.splitlines()]
    assert [c for c in commands if c] == ["make run", "make test"]
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^run:", makefile, re.M) and re.search(r"^test:", makefile, re.M)
    assert "make test" in (ROOT / ".ci" / "run").read_text()

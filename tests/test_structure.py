"""The packages' import graph: hyperparameter specs (paramspec) belong to neither the
surfaces nor the optimizers, so landscapes never imports optim_core and there is no cycle."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _imported_by(module: str) -> set[str]:
    code = f"import sys, {module}; print(' '.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         check=True)
    return {name.split(".")[0] for name in out.stdout.split()}


def test_landscapes_do_not_import_the_optimizers():
    loaded = _imported_by("landscapes")
    assert "paramspec" in loaded
    assert "optim_core" not in loaded and "ui" not in loaded and "viz" not in loaded


def test_the_optimizers_do_not_import_the_page():
    loaded = _imported_by("optim_core")
    assert not {"ui", "viz", "streamlit", "plotly"} & loaded


def test_messages_know_every_module_of_ours():
    """A ValueError raised in any of our modules is shown to viewers (ui.messages); a module
    missing from its list would turn its messages into "something unexpected went wrong"."""
    import tomllib

    from ui.messages import OWN_MODULES

    setup = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert set(OWN_MODULES) == set(setup["packages"]) | set(setup["py-modules"])


def test_charts_are_encoded_only_after_pandas_is_fully_imported():
    """Plotly's JSON encoder reads ``sys.modules["pandas"]`` without importing it; a pandas
    half imported by another session's thread broke charts under load (bench/load_matrix.py).
    viz.html_export (which encodes every chart) imports it first."""
    code = "import sys, viz.html_export; print(hasattr(sys.modules.get('pandas'), 'NaT'))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "True"


def _latex_texts() -> dict[str, str]:
    from landscapes import LANDSCAPES
    from optim_core import OPTIMIZERS, SCHEDULES

    texts = {f"optimizer {n}": s.latex for n, s in OPTIMIZERS.items()}
    texts.update({f"surface {n}": s.latex or "" for n, s in LANDSCAPES.items()})
    texts.update({f"schedule {n}": s.latex for n, s in SCHEDULES.items()})
    return texts


def test_every_latex_formula_is_well_formed_text():
    r"""No control characters (a ``"\beta"`` typed outside a raw string becomes a backspace and
    "eta"; KaTeX then draws garbage), balanced braces, matched \begin/\end and \left/\right,
    and no line ending in a lone backslash (a row break is \\)."""
    import re

    for where, tex in _latex_texts().items():
        assert not [c for c in tex if ord(c) < 32 and c != "\n"], where
        assert tex.count("{") - tex.count(r"\{") == tex.count("}") - tex.count(r"\}"), where
        stack = []
        for kind, env in re.findall(r"\\(begin|end)\{(\w+)\}", tex):
            if kind == "begin":
                stack.append(env)
            else:
                assert stack and stack.pop() == env, f"{where}: \\end{{{env}}} unmatched"
        assert not stack, f"{where}: \\begin{{{stack[-1]}}} never ended"
        assert len(re.findall(r"\\left\b", tex)) == len(re.findall(r"\\right\b", tex)), where
        assert not re.search(r"(?<!\\)\\\n", tex), f"{where}: a lone backslash ends a line"

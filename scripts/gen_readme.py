"""Write the generated parts of README.md from the registries, so the lists cannot drift.

    python scripts/gen_readme.py          # rewrite README.md in place
    python scripts/gen_readme.py --check  # exit 1 if README.md is out of date

Generated parts sit between ``<!-- BEGIN name -->`` and ``<!-- END name -->`` markers.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from landscapes import LANDSCAPES  # noqa: E402
from optim_core import OPTIMIZERS, SCHEDULES  # noqa: E402
from tests.parity_cases import FURTHER_TESTS, OPTIMIZER_CASES, SALTS, case_id  # noqa: E402
from ui.presets import presets  # noqa: E402

README = ROOT / "README.md"


def _value(v) -> str:
    if v is None:
        return "auto"
    return f"{v:g}" if isinstance(v, float) else str(v)


def _params(params) -> str:
    return ", ".join(f"`{p.name}`={_value(p.default)}" for p in params) or "—"


def held_by(name: str) -> str:
    """The tests (in tests/) that compare ``name`` with its reference: its rows of the parity
    matrix, golden and live, and any further test named in FURTHER_TESTS."""
    ids = [case_id(n, b) for n, b in OPTIMIZER_CASES if n == name]
    salts = ",".join(map(str, SALTS))
    tests = [f"`test_parity.py::test_matches_golden_reference[{i}]`, "
             f"`test_matches_live_reference[{i}-{{{salts}}}]`" for i in ids]
    return "; ".join(tests + [f"`{t}`" for t in FURTHER_TESTS.get(name, ())])


def optimizers_table() -> str:
    rows = ["| name | optimizer | hyperparameters (defaults) | reference | held by (tests/) |",
            "| --- | --- | --- | --- | --- |"]
    for name, spec in OPTIMIZERS.items():
        rows.append(f"| `{name}` | {spec.title} | {_params(spec.params)} | {spec.reference} "
                    f"| {held_by(name)} |")
    return "\n".join(rows)


def _minima(spec) -> str:
    if not spec.minima:
        return "none (unbounded below)"
    pts = ", ".join(f"({x:.4g}, {y:.4g})" for x, y in spec.minima)
    return f"{pts}; f* = {spec.min_value:.6g}"


def surfaces_table() -> str:
    rows = ["| name | surface | parameters (defaults) | minima | what it teaches |",
            "| --- | --- | --- | --- | --- |"]
    for name, spec in LANDSCAPES.items():
        rows.append(f"| `{name}` | {spec.title} | {_params(spec.params)} | {_minima(spec)} "
                    f"| {spec.description} |")
    return "\n".join(rows)


def schedules_table() -> str:
    rows = ["| name | schedule | parameters (defaults) |", "| --- | --- | --- |"]
    rows += [f"| `{n}` | {s.title} | {_params(s.params)} |" for n, s in SCHEDULES.items()]
    return "\n".join(rows)


def presets_list() -> str:
    lines = []
    for preset in presets().values():
        drawn = ", ".join(OPTIMIZERS[o["name"]].title for o in preset.get("optimizers", []))
        surface = LANDSCAPES[preset["surface"]].title
        lines.append(f"- **{preset['title']}** ({surface}; {drawn}). {preset['story']}")
    return "\n".join(lines)


BLOCKS = {"optimizers": optimizers_table, "surfaces": surfaces_table, "schedules": schedules_table,
          "presets": presets_list}


def render(text: str) -> str:
    for name, make in BLOCKS.items():
        pattern = re.compile(rf"(<!-- BEGIN {name} -->\n)(?:.*?\n)?(<!-- END {name} -->)", re.S)
        if not pattern.search(text):
            raise SystemExit(f"README.md has no '<!-- BEGIN {name} -->' block")
        text = pattern.sub(lambda m, make=make: m.group(1) + make() + "\n" + m.group(2), text)
    return text


def main() -> int:
    current = README.read_text()
    fresh = render(current)
    if "--check" in sys.argv:
        if fresh != current:
            print("README.md is out of date: run `python scripts/gen_readme.py`")
            return 1
        return 0
    README.write_text(fresh)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Lecture presets: views that each tell one story, kept as data in ``assets/presets.json``
(the format of :mod:`ui.viewformat`, plus an ``id``, a ``title`` and the ``story`` to tell)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from .viewformat import check

PRESETS_FILE = Path(__file__).resolve().parents[1] / "assets" / "presets.json"


@cache
def presets() -> dict[str, dict]:
    """id → preset, in the file's order."""
    entries = json.loads(PRESETS_FILE.read_text(encoding="utf-8"))
    return {p["id"]: {k: v for k, v in p.items() if k != "id"} for p in entries}


@cache
def checked(preset_id: str) -> dict:
    """The preset with every field filled in (checked once)."""
    return check(presets()[preset_id])

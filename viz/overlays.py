"""What the browser draws over the animator's chart (``viz/overlays.js``): the hyperparameter
slider (:mod:`viz.scrub`) and the optimizer's state at the shown step (:mod:`viz.state`). Each
puts its data in the figure's ``layout.meta`` under its key; the script acts on what it finds."""

from __future__ import annotations

from pathlib import Path

OVERLAYS_JS = Path(__file__).with_name("overlays.js")
SCRUB_KEY = "optiviz_scrub"
STATE_KEY = "optiviz_state"


def overlays_source() -> str:
    """The overlays' JavaScript (defines ``window.OptivizOverlays``; needs the animator)."""
    return OVERLAYS_JS.read_text(encoding="utf-8")


def has_overlay(spec: dict) -> bool:
    """Whether the figure asks the browser for an overlay."""
    meta = spec.get("layout", {}).get("meta", {})
    return SCRUB_KEY in meta or STATE_KEY in meta

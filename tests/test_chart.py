"""The page's paths chart (ui/chart.py): how a figure is split into the surface part, which a
slider move does not change (so Streamlit re-sends only its hash), and the rest."""

from __future__ import annotations

import json

from landscapes import get_landscape
from optim_core import make_optimizer, run, run_many
from ui.chart import join_figure, split_figure
from viz import contour_spec
from viz.html_export import script_json


def _figure(adam_lr: float) -> dict:
    land = get_landscape("rosenbrock")
    results = [*run_many(land, ["momentum", "rmsprop"], land.start, 200),
               run(land, make_optimizer("adam", lr=adam_lr), [land.start], 200)]
    spec = contour_spec(land, results, animated=True, resolution=60)
    spec["layout"].setdefault("images", [{"source": "data:image/png;base64,AAAA", "xref": "x", "yref": "y"}])
    return spec


def _plain(spec: dict) -> dict:
    return json.loads(script_json(spec))


def test_split_and_join_give_back_the_figure():
    spec = _figure(0.1)
    line = next(i for i, t in enumerate(spec["data"]) if t.get("mode") == "lines+markers")
    spec["data"].insert(line, {**spec["data"][line], "name": None, "line": {"width": 9}})  # an outline
    surface, rest = split_figure(spec)
    assert surface["data"] and not any("lines" in t.get("mode", "") for t in surface["data"])  # no path
    assert surface["images"] == spec["layout"]["images"] and "images" not in rest["layout"]
    once = [t[k]["same"] for t in rest["data"] for k in ("x", "y") if "same" in (t.get(k) or {})]
    assert once and all(k in ("x", "y") for _, k in once)  # the outline's arrays are sent once
    assert _plain(join_figure(surface, rest)) == _plain(spec)


def test_a_slider_move_leaves_the_surface_part_as_it_was():
    (surface, rest), (surface2, rest2) = split_figure(_figure(0.1)), split_figure(_figure(0.2))
    assert script_json(surface) == script_json(surface2)  # the same bytes: Streamlit sends a hash
    assert script_json(rest) != script_json(rest2)
    assert len(script_json(surface)) > 10_000  # large enough for Streamlit's message cache

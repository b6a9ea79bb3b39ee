"""The paths chart on the page: a Streamlit component (``st.components.v2``, in the page, no
iframe) that draws a figure with the step-by-step animator of ``viz/animator.js`` and reports a
click on the contour as data coordinates.

plotly.js and the animator are files served once (browser-cached) from a folder filled at run
time: plotly.js is the installed plotly package's copy, never one of ours. The figure travels in
two elements: the surface part (the traces before the first path, and layout images) and the
rest. The surface part is unchanged when only a path changed, and Streamlit then sends just
its hash (its per-session message cache of elements ≥ 10 kB), so a slider move re-sends the
paths, not the surface."""

from __future__ import annotations

import functools
import hashlib
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import plotly
import streamlit as st
from streamlit.components import v1 as components_v1

from viz.animation import ANIMATOR_JS, animation_of
from viz.html_export import script_json
from viz.overlays import OVERLAYS_JS, has_overlay

ASSET_NAME = "assets"
PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"

# The loader every chart component of the page shares (paths, curves, dataset panel), run as
# an ES module. Scripts load once per page; a figure waits for the surface part it names (a
# second element, possibly drawn after it).
LOADER_JS = """
const reg = (window.__optivizParts ||= {parts: new Map(), waiting: new Map(), scripts: new Map()});
const text = (d) => typeof d === "string" ? d : new TextDecoder().decode(d);
function script(src) {
  if (!reg.scripts.has(src)) reg.scripts.set(src, new Promise((resolve, reject) => {
    const s = document.createElement("script");
    s.src = src; s.onload = resolve; s.onerror = () => reject(new Error("cannot load " + src));
    document.head.appendChild(s);
  }));
  return reg.scripts.get(src);
}
"""
_SURFACE_JS = LOADER_JS + """
export default function ({data}) {
  const {key, part} = JSON.parse(text(data));
  reg.parts.set(key, part);
  (reg.waiting.get(key) || []).forEach((resolve) => resolve(part));
  reg.waiting.delete(key);
  while (reg.parts.size > 6) reg.parts.delete(reg.parts.keys().next().value);
}
"""
_CHART_JS = LOADER_JS + """
function part(key) {
  if (reg.parts.has(key)) return Promise.resolve(reg.parts.get(key));
  return new Promise((resolve) => {
    reg.waiting.set(key, [...(reg.waiting.get(key) || []), resolve]);
  });
}
export default function ({data, parentElement, setTriggerValue}) {
  const d = JSON.parse(text(data));
  let root = parentElement.querySelector(".ovz-mount");
  if (!root) {
    root = document.createElement("div");
    root.className = "ovz-mount";
    parentElement.appendChild(root);
  }
  const options = {presentation: d.presentation,
                   onClick: d.clickable ? (x, y) => setTriggerValue("click", [x, y]) : null};
  root.__queue = (root.__queue || Promise.resolve()).then(async () => {
    await script(d.plotly);
    await script(d.animator);
    if (d.overlays) await script(d.overlays);  // slider and state drawn over the animator's chart
    const surface = await part(d.surface);
    const rest = d.figure.data;  // an array sent once, then {same: [trace, key]}
    rest.forEach((t) => ["x", "y", "z", "customdata"].forEach((key) => {
      if (t[key] && t[key].same) t[key] = rest[t[key].same[0]][t[key].same[1]];
    }));
    const layout = Object.assign({}, d.figure.layout);
    if (surface.images) layout.images = surface.images;
    const figure = {data: surface.data.concat(d.figure.data), layout};
    if (root.__optiviz) {
      root.__optiviz.setOptions(options);
      await root.__optiviz.update(figure);
    } else {
      window.OptivizChart.mount(root, figure, options);
    }
  }).catch((e) => { root.textContent = "The chart could not be drawn: " + e.message; });
  reg.drawing = root.__queue;  // still charts (ui/still_chart.py) draw after it
}
"""

_surface_part = st.components.v2.component("optiviz_surface", js=_SURFACE_JS)
_chart = st.components.v2.component("optiviz_chart", js=_CHART_JS, isolate_styles=False)


@functools.cache
def _animator_version() -> str:
    """A short hash of the animator's and the overlays' sources (read once per process, not on
    every rerun)."""
    return hashlib.blake2b(ANIMATOR_JS.read_bytes() + OVERLAYS_JS.read_bytes(), digest_size=6).hexdigest()


def _asset_dir() -> Path:
    """A folder holding plotly.min.js and the animator, named by their versions (made again if
    the temporary folder was cleaned while the server runs)."""
    folder = Path(tempfile.gettempdir()) / f"optiviz-chart-{plotly.__version__}-{_animator_version()}"
    if not (folder / "overlays.js").exists():
        staging = Path(tempfile.mkdtemp(prefix="optiviz-chart-"))
        shutil.copyfile(PLOTLY_JS, staging / "plotly.min.js")
        shutil.copyfile(ANIMATOR_JS, staging / "animator.js")
        shutil.copyfile(OVERLAYS_JS, staging / "overlays.js")
        try:
            staging.rename(folder)
        except OSError:  # another process made it first
            shutil.rmtree(staging, ignore_errors=True)
    return folder


def asset_urls() -> tuple[str, str]:
    """Where the browser finds plotly.js and the animator (served by Streamlit)."""
    folder = _asset_dir()
    name = components_v1.declare_component(ASSET_NAME, path=str(folder)).name
    base = st.get_option("server.baseUrlPath").strip("/")
    prefix = f"/{base}/component/{name}" if base else f"/component/{name}"
    return f"{prefix}/plotly.min.js", f"{prefix}/animator.js?v={folder.name}"


def split_figure(spec: dict) -> tuple[dict, dict]:
    """(surface part, rest) of a figure: the traces before the first moving one and the layout
    images, then the others and the rest of the layout. A still figure is all surface. In the
    rest, an array equal to one before it (an outline's x and y are its line's) is sent once:
    it becomes {"same": [trace, key]}, the trace counted within the rest."""
    anim = animation_of(spec)
    moving = [index for group in (anim or {}).get("moving", []) for index, _ in group]
    first = min(moving) if moving else len(spec["data"])
    layout = dict(spec.get("layout", {}))
    surface = {"data": spec["data"][:first]}
    if "images" in layout:
        surface["images"] = layout.pop("images")
    return surface, {"data": _sent_once(spec["data"][first:]), "layout": layout}


_ARRAYS = ("x", "y", "z", "customdata")


def _sent_once(traces: list) -> list:
    seen, out = {}, []
    for i, trace in enumerate(traces):
        trace = dict(trace)
        for key in _ARRAYS:
            content = _content(trace.get(key))
            if content is None:
                continue
            if content in seen:
                trace[key] = {"same": seen[content]}
            else:
                seen[content] = [i, key]
        out.append(trace)
    return out


def _content(value) -> tuple | None:
    """What identifies an array's content (a typed-array spec or a NumPy array), else None."""
    if isinstance(value, dict) and "bdata" in value:
        return "typed", value["dtype"], value["bdata"], value.get("shape")
    if isinstance(value, np.ndarray):
        return "numpy", value.dtype.str, value.shape, value.tobytes()
    return None


def join_figure(surface: dict, rest: dict) -> dict:
    """The figure :func:`split_figure` split (as the browser joins it)."""
    layout = dict(rest["layout"])
    if "images" in surface:
        layout["images"] = surface["images"]
    data = [dict(t) for t in rest["data"]]
    for trace in data:
        for key in _ARRAYS:
            if isinstance(trace.get(key), dict) and "same" in trace[key]:
                index, source = trace[key]["same"]
                trace[key] = data[index][source]
    return {"data": [*surface["data"], *data], "layout": layout}


def path_chart(spec: dict, *, key: str, presentation: bool = False,
               on_click: Callable[[float, float], None] | None = None) -> None:
    """Draw ``spec`` (a ``viz`` figure, animated or not). ``on_click(x, y)`` is called (as a
    widget callback, before the rerun) with the data coordinates of a click on the plot."""
    surface, rest = split_figure(spec)
    surface_json = script_json(surface)
    digest = hashlib.blake2b(surface_json.encode(), digest_size=12).hexdigest()
    plotly_url, animator_url = asset_urls()
    head = {"surface": digest, "plotly": plotly_url, "animator": animator_url,
            "presentation": presentation, "clickable": on_click is not None}
    if has_overlay(spec):
        head["overlays"] = animator_url.replace("/animator.js", "/overlays.js")

    def clicked() -> None:
        point = st.session_state[key].get("click")
        if on_click is not None and point:
            on_click(float(point[0]), float(point[1]))

    data = script_json(head)[:-1] + ',"figure":' + script_json(rest) + "}"
    _chart(key=key, data=data.encode(), on_click_change=clicked)
    _surface_part(key=f"{key}.surface", data=f'{{"key":"{digest}","part":{surface_json}}}'.encode(),
                  height=0)

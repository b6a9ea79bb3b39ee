"""A still Plotly figure (the per-step curves) drawn with the page's own plotly.js after the paths
chart: on a slider move the browser redraws the changed path first, then each curve in a task
of its own. As ``st.plotly_chart`` elements the four curves were drawn ahead of the path and
held the browser's main thread for about 150 ms of a move's 350 (issue 7)."""

from __future__ import annotations

import streamlit as st

from viz.html_export import script_json

from .chart import LOADER_JS, asset_urls

# The figure is drawn once the paths chart's pending draw is done (or a second has passed) and
# the browser has painted. data-pending="1" on the root while a figure waits (tests wait for "0").
_STILL_JS = LOADER_JS + """
const after = () => new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
const chart = () => Promise.race([reg.drawing, new Promise((resolve) => setTimeout(resolve, 1000))]);
export default function ({data, parentElement}) {
  const d = JSON.parse(text(data));
  let root = parentElement.querySelector(".ovz-still");
  if (!root) {
    root = document.createElement("div");
    root.className = "ovz-still";
    parentElement.appendChild(root);
  }
  root.dataset.pending = "1";
  root.__queue = (root.__queue || Promise.resolve()).then(async () => {
    await script(d.plotly);
    await chart();
    await after();
    // The look of Streamlit's own charts: the page's font and text colour, the title on the
    // left in bold, grey ticks, faint horizontal grid lines only.
    const style = getComputedStyle(root), fig = d.figure.layout, grey = "rgba(128, 128, 128, 0.9)";
    const layout = Object.assign({}, fig, {paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)",
      autosize: true, font: Object.assign({color: style.color, family: style.fontFamily}, fig.font)});
    if (fig.title) {
      layout.title = Object.assign({x: 0, xref: "paper", xanchor: "left", y: 1, yref: "container",
                                    yanchor: "top", pad: {t: 4}}, fig.title,
                                   {font: Object.assign({weight: 600}, fig.title.font)});
    }
    ["xaxis", "yaxis"].forEach((a, i) => {
      layout[a] = Object.assign({showgrid: i === 1, gridcolor: "rgba(128, 128, 128, 0.2)", zeroline: false,
                                 tickfont: {color: grey}, automargin: true}, fig[a]);
    });
    await window.Plotly.react(root, d.figure.data, layout, d.config);
    root.dataset.pending = "0";
    root.dispatchEvent(new CustomEvent("ovz-drawn", {bubbles: true,
                                                     detail: {kind: "still", at: performance.now()}}));
  }).catch((e) => {
    root.textContent = "The chart could not be drawn: " + e.message;
    root.dataset.pending = "0";
  });
}
"""

_still = st.components.v2.component("optiviz_still", js=_STILL_JS, isolate_styles=False)

CONFIG = {"displaylogo": False, "scrollZoom": False, "responsive": True}


def still_chart(spec: dict, *, key: str) -> None:
    """Draw ``spec`` (a ``viz`` figure dict) as it is, after the paths chart."""
    plotly_url, _ = asset_urls()
    _still(key=key, data=script_json({"plotly": plotly_url, "config": CONFIG, "figure": spec}).encode())

"""The dataset panel on the page, for a surface made from data: a Streamlit component (in the
page, no iframe) that draws :func:`viz.dataset.dataset_replay` with ``viz/datapanel.js`` and
follows the paths chart's replay (its "ovz-drawn" events) row by row, in the browser."""

from __future__ import annotations

import streamlit as st

from viz.dataset import datapanel_source, dataset_replay
from viz.html_export import script_json

from .chart import LOADER_JS, asset_urls

_PANEL_JS = datapanel_source() + LOADER_JS + """
export default function ({data, parentElement}) {
  const d = JSON.parse(text(data));
  let root = parentElement.querySelector(".ovz-data");
  if (!root) {
    root = document.createElement("div");
    root.className = "ovz-data";
    parentElement.appendChild(root);
  }
  root.__queue = (root.__queue || Promise.resolve()).then(async () => {
    await script(d.plotly);
    if (root.__optivizData) await root.__optivizData.update(d.payload);
    else window.OptivizData.mount(root, d.payload, {source: d.source});
  }).catch((e) => { root.textContent = "The dataset panel could not be drawn: " + e.message; });
}
"""

_panel = st.components.v2.component("optiviz_dataset", js=_PANEL_JS, isolate_styles=False)


def dataset_panel(landscape, results, colors, *, key: str, chart_key: str, height: int = 300,
                  font_size: int | None = None) -> None:
    """The samples of ``landscape`` and each path's fit, following the replay of the paths
    chart drawn with ``key=chart_key``."""
    payload = dataset_replay(landscape, results, colors=colors, height=height,
                             **({"font_size": font_size} if font_size else {}))
    plotly_url, _ = asset_urls()
    data = {"plotly": plotly_url, "source": f".st-key-{chart_key}", "payload": payload}
    _panel(key=key, data=script_json(data).encode())

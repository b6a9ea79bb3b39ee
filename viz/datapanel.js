/* optiviz dataset panel: a small Plotly chart of a data surface's samples whose fit traces follow
 * the paths' replay.
 *
 * The payload (viz/dataset.py, dataset_replay) is {figure, replay}; replay holds the picture's
 * kind and link, its grid, the first fit trace and one θ per recorded row for each fit trace.
 * The paths chart (viz/animator.js) dispatches a bubbling "ovz-drawn" event with detail.row each
 * time it shows a row; the panel then draws each fit at that row's θ = (w, b):
 *   kind "curve":    u ↦ link(w·u + b) at the grid's u (identity: a line; logistic: σ);
 *   kind "boundary": the line w·u₁ + b·u₂ = 0 from −r to r (grid = [r]), along (−b, w)/‖θ‖.
 * Only the fit traces are restyled. Used by the Streamlit component (ui/datapanel.py) and the
 * offline HTML export: window.OptivizData.mount(root, payload, {source}) -> controller, where
 * source is a CSS selector of the paths chart's root or of an element holding it (events from
 * elsewhere are ignored).
 */
(function () {
  "use strict";
  if (window.OptivizData) return;

  const TYPES = {f4: Float32Array, f8: Float64Array, i4: Int32Array};

  function decode(v) {
    if (!(v && typeof v.bdata === "string")) return v;
    const bin = atob(v.bdata);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    return new TYPES[v.dtype](bytes.buffer);
  }

  const sigmoid = (z) => 0.5 * (1 + Math.tanh(0.5 * z));

  /* [xs, ys] of one fit at θ = (w, b). */
  function fit(replay, w, b) {
    const grid = replay.grid;
    if (replay.kind === "boundary") {
      const r = grid[0] / Math.hypot(w, b);
      return [[r * b, -r * b], [-r * w, r * w]];
    }
    const link = replay.link === "logistic" ? sigmoid : (z) => z;
    return [Array.from(grid), Array.from(grid, (u) => link(w * u + b))];
  }

  function mount(root, payload, options) {
    options = options || {};
    root.classList.add("ovz-data");
    const plot = document.createElement("div");
    plot.className = "ovz-data-plot";
    root.replaceChildren(plot);
    const st = {replay: null, rows: 1};

    function show(row) {
      if (!st.replay) return Promise.resolve();
      const k = Math.max(0, Math.min(st.rows - 1, Number(row)));
      const update = {x: [], y: []}, indices = [];
      st.replay.theta.forEach((theta, i) => {
        const [xs, ys] = fit(st.replay, theta[2 * k], theta[2 * k + 1]);
        update.x.push(xs);
        update.y.push(ys);
        indices.push(st.replay.first + i);
      });
      root.dataset.row = String(k);
      return Promise.resolve(window.Plotly.restyle(plot, update, indices));
    }

    /* The row the paths chart shows now (its root's data-row), else the last. */
    function currentRow() {
      const host = options.source ? document.querySelector(options.source) : null;
      const chart = host && (host.classList.contains("ovz-root") ? host : host.querySelector(".ovz-root"));
      return chart && chart.dataset.row !== undefined ? Number(chart.dataset.row) : st.rows - 1;
    }

    function update(next) {
      const replay = Object.assign({}, next.replay);
      replay.grid = Array.from(decode(replay.grid));
      replay.theta = replay.theta.map(decode);
      st.replay = replay;
      st.rows = replay.theta.length ? replay.theta[0].length / 2 : 1;
      const layout = Object.assign({}, next.figure.layout, {paper_bgcolor: "rgba(0,0,0,0)"});
      layout.font = Object.assign({color: getComputedStyle(root).color}, layout.font || {});
      const config = {displaylogo: false, scrollZoom: false, responsive: true, displayModeBar: false};
      return Promise.resolve(window.Plotly.react(plot, next.figure.data, layout, config))
        .then(() => show(currentRow()));
    }

    function drawn(e) {
      if (!root.isConnected) { controller.destroy(); return; }  // the page dropped the panel
      const from = e.target;
      if (options.source && !(from.closest && from.closest(options.source))) return;
      show(e.detail.row);
    }
    document.addEventListener("ovz-drawn", drawn);

    const controller = {
      update, show, get row() { return Number(root.dataset.row); },
      destroy() { document.removeEventListener("ovz-drawn", drawn); window.Plotly.purge(plot); },
    };
    root.__optivizData = controller;
    update(payload);
    return controller;
  }

  window.OptivizData = {mount, fit};
})();

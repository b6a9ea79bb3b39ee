/* optiviz overlays, drawn in the browser over the animator's chart (viz/animator.js) from data
 * in the figure's layout.meta: the hyperparameter slider (optiviz_scrub, viz/scrub.py) and the
 * optimizer's state at the shown step (optiviz_state, viz/state.py). No server round trip.
 *
 * Hyperparameter slider: a slider inside the chart that morphs one path among the M paths of
 * one vectorized run. While it is dragged, the path's SVG is rewritten directly (Plotly's own
 * restyle redraws the whole plot, 50-100 ms in the page); on release, Plotly redraws it once.
 *
 * The figure's layout.meta.optiviz_scrub holds the values (M), the paths as x and y (M × R,
 * row-major; path i is its first lengths[i] rows), and the three traces to move (outline,
 * line, end point), given views into the typed arrays (nothing copied); input events that
 * arrive while a redraw runs are folded into the next one, so the path follows the pointer at
 * the browser's drawing rate. The sidebar's
 * value is marked under the slider (▲).
 *
 * Hooks the animator's chart (viz/animator.js): after every figure it draws (its "ovz-drawn"
 * event), the chart gets the slider if its figure has a scrub, else loses it. Each redraw
 * sets root.dataset.hpIndex and sends an "ovz-scrubbed" event ({index, at}).
 *
 * The state is drawn at the replay's row, or while a point of its path is hovered, at that
 * point's row (root.dataset.stateHover); root.dataset.stateRow is the row drawn, stateDraws
 * counts the redraws.
 */
(function () {
  "use strict";
  if (window.OptivizOverlays) return;

  const KEY = "optiviz_scrub", STATE = "optiviz_state";
  const CSS = `
.ovz-hp { flex: 1 0 100%; display: flex; align-items: center; gap: 10px; padding-top: 4px; }
.ovz-hp-name { font-size: 15px; white-space: nowrap; }
.ovz-hp-track { position: relative; flex: 1 1 200px; min-width: 140px; padding-bottom: 14px; }
.ovz-hp-track input[type=range] { width: 100%; margin: 0; accent-color: var(--st-primary-color, #ff4b4b); }
.ovz-hp-mark { position: absolute; bottom: 0; transform: translateX(-50%); font-size: 11px;
  line-height: 12px; white-space: nowrap; pointer-events: none; }
.ovz-hp-value { font-size: 16px; font-variant-numeric: tabular-nums; min-width: 12ch; white-space: nowrap; }
.ovz-root.ovz-big .ovz-hp-name, .ovz-root.ovz-big .ovz-hp-value { font-size: 22px; }
`;
  const THUMB = 16; // px: the range input's thumb (its centre travels within the track minus this)

  function el(tag, attrs, text) {
    const e = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => e.setAttribute(k, v));
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function addStyle() {
    if (document.getElementById("ovz-hp-style")) return;
    const style = el("style", {id: "ovz-hp-style"});
    style.textContent = CSS;
    document.head.appendChild(style);
  }

  const number = (v) => (Math.abs(v) >= 1e4 || (v !== 0 && Math.abs(v) < 1e-3)
    ? v.toExponential(2) : String(Number(v.toPrecision(3))));

  /* Where value v lies along the slider, as a fractional index into the ascending values
   * (interpolated on a log scale where both neighbours are positive), clamped to the ends. */
  function position(values, v) {
    const m = values.length;
    if (m < 2 || v <= values[0]) return 0;
    if (v >= values[m - 1]) return m - 1;
    let i = 0;
    while (values[i + 1] < v) i++;
    const [a, b] = [values[i], values[i + 1]];
    const f = a > 0 ? Math.log(v / a) / Math.log(b / a) : (v - a) / (b - a);
    return i + f;
  }

  /* The bar's controls, made once per chart: inside the replay bar (its own row), so the
   * animator counts it when it sizes the plot. */
  function controls(root) {
    const bar = root.querySelector(".ovz-bar");
    const row = el("div", {class: "ovz-hp", role: "group", "aria-label": "hyperparameter slider"});
    const name = el("span", {class: "ovz-hp-name"});
    const track = el("div", {class: "ovz-hp-track"});
    const input = el("input", {class: "ovz-hp-input", type: "range", min: "0", max: "0", step: "1"});
    const mark = el("span", {class: "ovz-hp-mark"});
    const value = el("span", {class: "ovz-hp-value", "aria-live": "off"});
    track.append(input, mark);
    row.append(name, track, value);
    bar.appendChild(row);
    return {row, name, input, mark, value, pending: null, busy: false, data: null};
  }

  /* The SVG group Plotly drew trace `index` in (a 2D scatter trace), or null. */
  function traceGroup(plot, index) {
    return [...plot.querySelectorAll(".scatterlayer .trace")]
      .find((g) => g.__data__ && g.__data__[0] && g.__data__[0].trace.index === index) || null;
  }

  /* Move the drawn traces straight in the SVG Plotly made (lines: their path; the end point:
   * its marker), the way Plotly places them (axis c2p); false where the traces are not drawn
   * that way, so Plotly must. The figure's data get the arrays too (what a full redraw uses). */
  function drawSvg(plot, traces, xs, ys) {
    const full = plot._fullLayout, xa = full && full.xaxis, ya = full && full.yaxis;
    if (!xa || !ya || full.scene) return false;
    const groups = traces.map((index) => traceGroup(plot, index));
    const lines = groups.map((g, k) => g && (plot._fullData[traces[k]].mode === "markers"
      ? g.querySelector("path.point") : g.querySelector("path.js-line")));
    if (lines.some((e) => !e)) return false;
    lines.forEach((e, k) => {
      const x = xs[k], y = ys[k];
      if (plot._fullData[traces[k]].mode === "markers") {
        e.setAttribute("transform", `translate(${xa.c2p(x[0])},${ya.c2p(y[0])})`);
      } else {
        const parts = new Array(x.length);
        for (let i = 0; i < x.length; i++) parts[i] = `${xa.c2p(x[i]).toFixed(2)},${ya.c2p(y[i]).toFixed(2)}`;
        e.setAttribute("d", "M" + parts.join("L"));
      }
      plot.data[traces[k]].x = x;
      plot.data[traces[k]].y = y;
    });
    return true;
  }

  /* Draw path i of the current data: outline and line get its rows, the end point its last.
   * While the slider moves (`fast`), straight in the SVG; else (or where that cannot be done)
   * through Plotly, which also brings its hover and zoom up to date. */
  function draw(root, s, i, fast) {
    const d = s.data, plot = root.querySelector(".ovz-plot");
    const n = d.lengths[i], from = i * d.rows;
    const x = d.x.subarray(from, from + n), y = d.y.subarray(from, from + n);
    s.value.textContent = `${d.symbol} = ${number(d.values[i])}`;
    const xs = [x, x, x.subarray(n - 1, n)], ys = [y, y, y.subarray(n - 1, n)];
    const done = fast && drawSvg(plot, d.traces, xs, ys)
      ? null : window.Plotly.restyle(plot, {x: xs, y: ys}, d.traces);
    return Promise.resolve(done).then(() => {
      const at = performance.now();
      root.dataset.hpIndex = String(i);
      root.dataset.hpDrawn = done === null ? "svg" : "plotly";
      root.dispatchEvent(new CustomEvent("ovz-scrubbed", {bubbles: true, detail: {index: i, at}}));
    });
  }

  /* Redraw the slider's latest value; values that came while drawing fold into one redraw. */
  function pump(root, s) {
    if (s.busy || s.pending === null) return;
    const [i, fast] = [s.pending, s.fast];
    s.pending = null;
    s.busy = true;
    draw(root, s, i, fast).finally(() => { s.busy = false; pump(root, s); });
  }

  function ask(root, s, i, fast) {
    s.pending = i;
    s.fast = fast;
    pump(root, s);
  }

  function same(a, b) {
    return a && b && a.length === b.length && a.every((v, i) => v === b[i]);
  }

  /* Give the chart in `root` the slider its figure asks for (or take it away). */
  function attach(root) {
    const plot = root.querySelector(".ovz-plot");
    const meta = plot && plot.layout && plot.layout.meta && plot.layout.meta[KEY];
    let s = root.__ovzScrub;
    if (!meta) {
      if (s) { s.row.remove(); root.__ovzScrub = null; window.dispatchEvent(new Event("resize")); }
      return;
    }
    addStyle();
    const decode = window.OptivizChart.decode;
    const values = Array.from(decode(meta.values));
    const keep = s && s.data && same(s.data.values, values) && s.data.param === meta.param;
    const fresh = !s;
    if (fresh) {
      s = root.__ovzScrub = controls(root);
      // while dragging: straight in the SVG; on release ("change"): once through Plotly
      s.input.addEventListener("input", () => ask(root, s, Number(s.input.value), true));
      s.input.addEventListener("change", () => ask(root, s, Number(s.input.value), false));
    }
    const index = keep ? Number(s.input.value) : meta.index;
    s.data = {values, param: meta.param, symbol: meta.symbol, rows: meta.rows, traces: meta.traces,
              x: decode(meta.x), y: decode(meta.y), lengths: decode(meta.lengths)};
    s.name.textContent = `${meta.name}:`;
    s.input.max = String(values.length - 1);
    s.input.value = String(index);
    s.input.setAttribute("aria-label", `${meta.symbol} of ${meta.name}`);
    const current = meta.current;
    s.mark.hidden = current === null || current === undefined;
    if (!s.mark.hidden) {
      const f = values.length > 1 ? position(values, current) / (values.length - 1) : 0.5;
      s.mark.style.left = `calc(${THUMB / 2}px + (100% - ${THUMB}px) * ${f})`;
      s.mark.textContent = `▲ ${number(current)}`;
      s.mark.title = "the value set in the sidebar";
    }
    if (fresh) window.dispatchEvent(new Event("resize")); // the animator resizes the plot for the new row
    ask(root, s, index, false);
  }

  /* The state overlay of the figure in `root` at row k (or nothing, without one). */
  function drawState(root, k) {
    const plot = root.querySelector(".ovz-plot");
    const meta = plot && plot.layout && plot.layout.meta && plot.layout.meta[STATE];
    if (!meta) return;
    if (!root.__ovzState || root.__ovzState.meta !== meta) {
      const decode = window.OptivizChart.decode, parts = {};
      ["anchor", "box", "slow_x", "slow_y"].forEach((key) => { if (meta[key]) parts[key] = decode(meta[key]); });
      parts.ends = {};
      Object.entries(meta.ends).forEach(([kind, v]) => { parts.ends[kind] = decode(v); });
      parts.lengths = {};
      Object.entries(meta.lengths || {}).forEach(([kind, v]) => { parts.lengths[kind] = decode(v); });
      root.__ovzState = {meta, parts};
    }
    const {parts} = root.__ovzState;
    k = Math.max(0, Math.min(k, meta.rows - 1));
    const ax = parts.anchor[2 * k], ay = parts.anchor[2 * k + 1], xs = [], ys = [], hover = [];
    meta.kinds.forEach((kind, i) => {
      const name = plot.data[meta.traces[i]].name, length = parts.lengths[kind];
      hover.push(length ? `${name}<br>step ${k}: length ${number(length[k])}<extra></extra>`
        : `${name}<extra></extra>`);
      if (kind === "box") {
        const hx = parts.box[2 * k], hy = parts.box[2 * k + 1];
        xs.push([ax - hx, ax + hx, ax + hx, ax - hx, ax - hx]);
        ys.push([ay - hy, ay - hy, ay + hy, ay + hy, ay - hy]);
      } else if (kind === "slow") {
        xs.push(parts.slow_x.subarray(0, k + 1));
        ys.push(parts.slow_y.subarray(0, k + 1));
      } else {
        const e = parts.ends[kind];
        xs.push([ax, e[2 * k]]);
        ys.push([ay, e[2 * k + 1]]);
      }
    });
    // while the path is hovered, no hover here ("skip" counts only without a hovertemplate)
    const off = hoverRow(root) !== null;
    const update = {x: xs, y: ys, hovertemplate: off ? hover.map(() => "") : hover,
                    hoverinfo: hover.map(() => (off ? "skip" : "all"))};
    return Promise.resolve(window.Plotly.restyle(plot, update, meta.traces)).then(() => {
      root.dataset.stateRow = String(k);
      root.dataset.stateDraws = String(Number(root.dataset.stateDraws || 0) + 1);
    });
  }

  /* Rows asked for while a redraw runs fold into one: the replay never waits on a queue. */
  function askState(root, k) {
    const q = (root.__ovzStateQueue ||= {busy: false, pending: null});
    q.pending = k;
    if (q.busy) return;
    const next = () => {
      if (q.pending === null) { q.busy = false; return; }
      const row = q.pending;
      q.pending = null;
      q.busy = true;
      Promise.resolve(drawState(root, row)).finally(next);
    };
    next();
  }

  /* Hovering a point of the path whose state is drawn (the traces in meta.paths; point k is
   * row k) draws the state at that row, without moving the replay; leaving it, the replay's
   * row again. Meanwhile the state's own traces take no hover (drawState): Plotly hovers again
   * after each redraw, and would else pick the arrow that starts next to the pointer. Plotly
   * sends an unhover with each change of hovered point: it takes effect only where no hover
   * of the path follows. Hooked once per plot (Plotly.react keeps the handlers). */
  function hookHover(root) {
    const plot = root.querySelector(".ovz-plot");
    if (!plot || plot.__ovzHover || typeof plot.on !== "function") return;
    plot.__ovzHover = true;
    let leaving = 0;
    const leave = () => {
      leaving = 0;
      if (hoverRow(root) === null) return;
      root.__ovzHoverRow = null;
      delete root.dataset.stateHover;
      askState(root, root.__optiviz ? root.__optiviz.row : 0);
    };
    plot.on("plotly_hover", (e) => {
      clearTimeout(leaving);
      const meta = (plot.layout && plot.layout.meta && plot.layout.meta[STATE]) || {};
      const p = ((e && e.points) || []).find((q) => (meta.paths || []).includes(q.curveNumber));
      if (!p) { leave(); return; }  // another trace: the replay's row
      root.__ovzHoverRow = p.pointNumber;
      root.dataset.stateHover = String(p.pointNumber);
      askState(root, p.pointNumber);
    });
    plot.on("plotly_unhover", () => {
      clearTimeout(leaving);
      leaving = setTimeout(leave, 0);
    });
  }

  /* The hovered row of the state's path, or null. */
  function hoverRow(root) {
    const k = root.__ovzHoverRow;
    return k === undefined ? null : k;
  }

  document.addEventListener("ovz-drawn", (e) => {
    const root = e.target;
    if (!e.detail || !root.classList || !root.classList.contains("ovz-root")) return;
    if (e.detail.kind === "figure") {
      attach(root);
      hookHover(root);
      root.__ovzHoverRow = null;  // a new figure: the hovered point is gone
      delete root.dataset.stateHover;
    }
    askState(root, hoverRow(root) === null ? e.detail.row : hoverRow(root));
  });

  window.OptivizOverlays = {attach, drawState, position};
})();

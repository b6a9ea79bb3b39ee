/* optiviz path animator: one Plotly chart whose path traces are revealed step by step.
 *
 * The figure arrives once (surface, minima, every whole path). Its layout.meta.optiviz says
 * which traces move: `moving[i]` lists result i's path traces as [trace, j], its last-point
 * markers as [trace, -1] and its marks revealed by step (a diverged path's ×) as [trace, -2];
 * `steps` holds the recorded step numbers (row k is step steps[k]); `at` pairs a trace with the
 * step of each of its points where those are not rows 0, 1, 2, … (every [trace, -2]; a 3D
 * path with rows left out). Showing row k restyles only the moving traces: every path becomes
 * its points up to step steps[k] (the recorded rows, never resampled), every marker the last
 * shown point of its result's paths, every revealed mark the points whose step is reached.
 * Nothing else is touched, so the surface (a contour trace or an image) stays drawn.
 *
 * Used by the Streamlit component (ui/chart.py) and by the offline HTML export
 * (viz/html_export.py): window.OptivizChart.mount(root, figure, options) -> controller.
 */
(function () {
  "use strict";
  if (window.OptivizChart) return;

  const SPEEDS = [0.25, 0.5, 1, 2, 4];
  const SECONDS_AT_1X = 8; // the whole run at 1×
  // Step markers drawn per path at most (Plotly spreads them along it): every marker is an
  // SVG node, and 3 × 500 of them took 3/4 of a redraw. The line itself keeps every step.
  const MAX_MARKERS = 120;
  const WIPED = new Set(["contour", "heatmap", "histogram2dcontour", "histogram2d"]);
  const THREE_D = new Set(["surface", "scatter3d", "mesh3d", "cone", "isosurface", "volume"]);
  const TYPES = {f4: Float32Array, f8: Float64Array, i4: Int32Array, u4: Uint32Array,
                 i2: Int16Array, u2: Uint16Array, i1: Int8Array, u1: Uint8Array};
  const CSS = `
.ovz-root { color: var(--st-text-color, inherit); font-family: inherit; outline: none; }
.ovz-bar { display: flex; align-items: center; gap: 8px; flex-wrap: wrap; padding: 6px 0 2px 0; }
.ovz-bar button, .ovz-bar select { font: inherit; font-size: 15px; color: inherit; cursor: pointer;
  background: var(--st-secondary-background-color, #f0f2f6); border: 1px solid rgba(128,128,128,.45);
  border-radius: 6px; padding: 3px 10px; min-height: 32px; }
.ovz-bar .ovz-play { min-width: 84px; }
.ovz-bar input[type=range] { flex: 1 1 160px; min-width: 120px; accent-color: var(--st-primary-color, #ff4b4b); }
.ovz-label { font-size: 16px; font-variant-numeric: tabular-nums; min-width: 11ch; white-space: nowrap; }
.ovz-root.ovz-big .ovz-bar button, .ovz-root.ovz-big .ovz-bar select { font-size: 20px; min-height: 42px; }
.ovz-root.ovz-big .ovz-label { font-size: 22px; }
`;

  function decode(v) {
    const bin = atob(v.bdata);
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    return new TYPES[v.dtype](bytes.buffer);
  }
  const typed = (v) => v && typeof v === "object" && typeof v.bdata === "string";
  const values = (v) => (typed(v) ? decode(v) : v);

  function el(tag, attrs, text) {
    const e = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => e.setAttribute(k, v));
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function addStyle() {
    if (document.getElementById("ovz-style")) return;
    const style = el("style", {id: "ovz-style"});
    style.textContent = CSS;
    document.head.appendChild(style);
  }

  /* The controller of one chart in `root`. */
  function mount(root, figure, options) {
    addStyle();
    options = options || {};
    root.classList.add("ovz-root");
    root.tabIndex = 0;
    const plot = el("div", {class: "ovz-plot"});
    const bar = el("div", {class: "ovz-bar", role: "group", "aria-label": "replay"});
    const play = el("button", {class: "ovz-play", type: "button", "aria-label": "play"}, "▶ play");
    const back = el("button", {class: "ovz-back", type: "button", "aria-label": "one step back",
                               title: "one step back (←)"}, "◀ 1");
    const fwd = el("button", {class: "ovz-forward", type: "button", "aria-label": "one step forward",
                              title: "one step forward (→)"}, "1 ▶");
    const scrub = el("input", {class: "ovz-scrub", type: "range", min: "0", max: "0", step: "1",
                               "aria-label": "step"});
    const label = el("span", {class: "ovz-label", "aria-live": "off"});
    const speed = el("select", {class: "ovz-speed", "aria-label": "speed", title: "replay speed"});
    SPEEDS.forEach((s) => {
      const o = el("option", {value: String(s)}, ({0.25: "¼×", 0.5: "½×"})[s] || `${s}×`);
      if (s === 1) o.selected = true;
      speed.appendChild(o);
    });
    bar.append(play, back, fwd, scrub, label, speed);
    root.replaceChildren(plot, bar);

    const st = {fig: null, meta: null, full: [], k: 0, rows: 1, playing: false, pos: 0,
                last: 0, raf: 0, speed: 1};

    /* How many points of trace `index` (of n) row st.k shows: its points up to that step. */
    function shownCount(index, n) {
      const at = st.at.get(index), step = st.meta.steps[st.k];
      if (!at) return Math.min(st.k + 1, n);
      let lo = 0, hi = at.length;  // the first point past the step (a path's steps increase)
      while (lo < hi) { const mid = (lo + hi) >> 1; if (at[mid] <= step) lo = mid + 1; else hi = mid; }
      return lo;
    }

    /* The moving traces' data at row st.k: {x: [...], y: [...], (z), (text)} and their indices
     * (text: a revealed mark's, undefined for the others). A group's markers ([trace, -1]) get
     * the last shown point of each of its trajectories j (a trajectory may be drawn by several
     * traces, e.g. an outline and a line). */
    function moved() {
      const update = {x: [], y: []}, indices = [];
      const three = st.full.some((f) => f && f.z);
      if (three) update.z = [];
      if (st.at.size) update.text = [];
      const revealed = [];  // how many points each revealed mark shows
      const push = (key, value) => { if (update[key]) update[key].push(value); };
      st.meta.moving.forEach((group) => {
        const heads = new Map();
        group.forEach(([index, j]) => {
          if (j < 0) return;
          const f = st.full[index], n = shownCount(index, f.x.length);
          update.x.push(f.x.subarray(0, n));
          update.y.push(f.y.subarray(0, n));
          if (three) update.z.push(f.z.subarray(0, n));
          push("text", undefined);
          if (n > 0) heads.set(j, [f.x[n - 1], f.y[n - 1], three ? f.z[n - 1] : undefined]);
          indices.push(index);
        });
        group.forEach(([index, j]) => {
          if (j !== -2) return;
          const f = st.full[index], step = st.meta.steps[st.k], shown = [];
          st.at.get(index).forEach((s, p) => { if (s <= step) shown.push(p); });
          revealed.push(shown.length);
          ["x", "y", "z", "text"].forEach((key) => push(key, f[key] && shown.map((p) => f[key][p])));
          indices.push(index);
        });
        const points = [...heads.keys()].sort((a, b) => a - b).map((j) => heads.get(j));
        group.forEach(([index, j]) => {
          if (j !== -1) return;
          update.x.push(points.map((p) => p[0]));
          update.y.push(points.map((p) => p[1]));
          if (three) update.z.push(points.map((p) => p[2]));
          push("text", undefined);
          indices.push(index);
        });
      });
      return [update, indices, revealed.join()];
    }

    function data() {
      const [update, indices, revealed] = moved();
      st.revealed = revealed;
      const out = st.fig.data.slice();
      indices.forEach((index, i) => {
        out[index] = Object.assign({}, out[index]);
        Object.keys(update).forEach((key) => {
          if (update[key][i] !== undefined) out[index][key] = update[key][i];
        });
      });
      return out;
    }

    function showLabel() {
      const steps = st.meta.steps;
      label.textContent = `step ${steps[st.k]} / ${steps[steps.length - 1]}`;
      scrub.value = String(st.k);
      root.dataset.row = String(st.k);
      root.dataset.mode = st.fast ? "animate" : "restyle";
      root.dataset.step = String(steps[st.k]);
    }

    function drawn(kind) {
      const at = performance.now();
      root.dataset.drawnAt = String(at);
      root.dispatchEvent(new CustomEvent("ovz-drawn", {bubbles: true, detail: {kind, at, row: st.k}}));
    }

    /* Show row k: only the moving traces change. Plotly's scatter-only animation (no redraw)
     * is the fast way, but it wipes contour and heatmap traces (plotly.js #4491), so a figure
     * with one (or a 3D scene) is restyled instead; so is a row where a revealed mark comes or
     * goes (the animation would leave its text behind). */
    function show(k) {
      st.k = Math.max(0, Math.min(st.rows - 1, k));
      showLabel();
      const [update, indices, revealed] = moved();
      const same = revealed === st.revealed;
      st.revealed = revealed;
      const done = st.fast && same
        ? window.Plotly.animate(plot, {data: indices.map((_, i) => ({x: update.x[i], y: update.y[i],
                                                                     ...(update.text && update.text[i] ? {text: update.text[i]} : {})})),
                                       traces: indices},
                                {frame: {duration: 0, redraw: false}, transition: {duration: 0},
                                 mode: "immediate"})
        : window.Plotly.restyle(plot, update, indices);
      return Promise.resolve(done).then(() => drawn("step"));
    }

    function setPlaying(on) {
      st.playing = on;
      play.textContent = on ? "❚❚ pause" : "▶ play";
      play.setAttribute("aria-label", on ? "pause" : "play");
      root.dataset.playing = on ? "1" : "0";
      cancelAnimationFrame(st.raf);
      if (!on) return;
      if (st.k >= st.rows - 1) st.k = 0;
      st.pos = st.k;
      st.last = performance.now();
      const tick = (now) => {
        if (!st.playing) return;
        st.pos += (now - st.last) / 1000 * Number(root.dataset.rate); // rows per second
        st.last = now;
        const k = Math.min(Math.floor(st.pos), st.rows - 1);
        const next = k !== st.k ? show(k) : Promise.resolve();
        if (k >= st.rows - 1) { next.then(() => setPlaying(false)); return; }
        next.then(() => { if (st.playing) st.raf = requestAnimationFrame(tick); });
      };
      show(st.k).then(() => { st.raf = requestAnimationFrame(tick); });
    }

    function stepBy(d) { setPlaying(false); show(st.k + d); }

    play.addEventListener("click", () => setPlaying(!st.playing));
    back.addEventListener("click", () => stepBy(-1));
    fwd.addEventListener("click", () => stepBy(1));
    scrub.addEventListener("input", () => { setPlaying(false); show(Number(scrub.value)); });
    function setSpeed(s) {
      st.speed = s;
      speed.value = String(s);
      root.dataset.speed = String(s);
      root.dataset.rate = String(Math.max(st.rows - 1, 1) / SECONDS_AT_1X * s);
    }
    speed.addEventListener("change", () => setSpeed(Number(speed.value)));
    root.addEventListener("keydown", (e) => {
      if (e.target !== root && e.target !== plot && !plot.contains(e.target)) return;
      if (e.key === " ") { setPlaying(!st.playing); e.preventDefault(); }
      else if (e.key === "ArrowLeft") { stepBy(-1); e.preventDefault(); }
      else if (e.key === "ArrowRight") { stepBy(1); e.preventDefault(); }
    });

    /* A click on the plot area (not a drag): its data coordinates, exactly. */
    let down = null;
    plot.addEventListener("pointerdown", (e) => { down = [e.clientX, e.clientY]; });
    plot.addEventListener("click", (e) => {
      if (!options.onClick || !down || Math.hypot(e.clientX - down[0], e.clientY - down[1]) > 4) return;
      const full = plot._fullLayout, xa = full && full.xaxis, ya = full && full.yaxis;
      if (!xa || !ya || full.scene) return;
      const box = plot.getBoundingClientRect();
      const px = e.clientX - box.left - xa._offset, py = e.clientY - box.top - ya._offset;
      if (px < 0 || py < 0 || px > xa._length || py > ya._length) return;
      options.onClick(xa.p2d(px), ya.p2d(py));
    });

    /* Outside the page, a chart whose axes keep x and y to scale is only as wide as its plot
     * needs at this height (plus ~260 px for tick labels and the colour bar), so that it can
     * be centred instead of leaving the window's left half empty; undefined otherwise. */
    function fitWidth(layout, height) {
      const x = (layout.xaxis || {}).range, y = (layout.yaxis || {}).range;
      if (!x || !y || !(layout.yaxis || {}).scaleanchor) return undefined;
      const wide = (height - 110) * Math.abs(x[1] - x[0]) / Math.abs(y[1] - y[0]) + 260;
      return Math.round(Math.min(root.clientWidth || window.innerWidth, wide));
    }

    /* The height of the page's "stage" around the chart (the box whose CSS height follows the
     * window, ui/layout.py), crossing a shadow root; 0 outside the page (the HTML export). */
    function stageHeight() {
      let node = root;
      while (node) {
        if (node.classList && node.classList.contains("st-key-stage")) {
          return node.parentElement ? node.parentElement.getBoundingClientRect().height : 0;
        }
        node = node.parentElement || (node.getRootNode && node.getRootNode().host) || null;
      }
      return 0;
    }
    window.addEventListener("resize", () => {
      if (st.fig && stageHeight() > 0) window.Plotly.relayout(plot, {height: layoutFor(st.fig.layout).height});
    });

    function layoutFor(layout) {
      const out = Object.assign({}, layout);
      out.paper_bgcolor = "rgba(0,0,0,0)";
      out.font = Object.assign({color: getComputedStyle(root).color}, layout.font || {});
      ["xaxis", "yaxis"].forEach((a) => {  // tick labels and titles make their own room
        if (layout[a]) out[a] = Object.assign({automargin: true}, layout[a]);
      });
      // The legend goes under the chart: over it, a long legend wraps under the modebar.
      out.legend = Object.assign({}, layout.legend, {orientation: "h", x: 0, xanchor: "left",
                                                     y: 0, yref: "container", yanchor: "bottom"});
      out.margin = Object.assign({}, layout.margin, {t: 30});
      const stage = stageHeight();
      if (stage > 0) {  // the page's stage (ui/layout.py) sizes the chart to the window
        out.height = Math.max(320, stage - bar.offsetHeight - 4);
      } else if (options.presentation) {
        out.height = Math.max(420, window.innerHeight - (window.innerWidth >= 1600 ? 170 : 150));
        out.width = fitWidth(layout, out.height);
      }
      if (options.presentation) out.font.size = Math.max(out.font.size || 0, window.innerWidth >= 1600 ? 18 : 15);
      delete out.updatemenus;
      delete out.sliders;
      return out;
    }

    /* Draw a new figure; keep the shown row (clamped), or the end if the end was shown. */
    function update(fig) {
      const atEnd = st.fig === null || st.k >= st.rows - 1;
      setPlaying(false);
      st.fig = {data: fig.data.map((t) => Object.assign({}, t)), layout: fig.layout};
      st.meta = (fig.layout.meta || {}).optiviz || {moving: [], steps: {dtype: "i4", bdata: "AAAAAA=="}};
      st.meta = Object.assign({}, st.meta, {steps: Array.from(values(st.meta.steps))});
      st.at = new Map((st.meta.at || []).map(([index, steps]) => [index, values(steps)]));
      st.full = [];
      st.meta.moving.forEach((group) => group.forEach(([index, j]) => {
        if (j === -2) {
          const t = st.fig.data[index];
          st.full[index] = {x: Array.from(values(t.x)), y: Array.from(values(t.y)),
                            z: t.z === undefined ? undefined : Array.from(values(t.z)), text: t.text};
        }
        if (j < 0) return;
        const t = st.fig.data[index];
        if (t.type === "scatter" && t.marker && t.marker.maxdisplayed === undefined) {  // line: every step
          st.fig.data[index] = Object.assign({}, t, {marker: Object.assign({maxdisplayed: MAX_MARKERS}, t.marker)});
        }
        st.full[index] = {x: Float64Array.from(values(t.x)), y: Float64Array.from(values(t.y)),
                          z: t.z === undefined ? undefined : Float64Array.from(values(t.z))};
      }));
      st.rows = st.meta.steps.length;
      st.fast = st.fig.data.every((t) => !WIPED.has(t.type) && !THREE_D.has(t.type));
      st.k = atEnd ? st.rows - 1 : Math.min(st.k, st.rows - 1);
      scrub.max = String(st.rows - 1);
      setSpeed(st.speed);
      bar.style.display = st.meta.moving.length ? "" : "none";
      root.classList.toggle("ovz-big", Boolean(options.presentation) && window.innerWidth >= 1600);
      showLabel();
      const config = Object.assign({displaylogo: false, scrollZoom: false, responsive: true},
                                   options.config || {});
      const layout = layoutFor(st.fig.layout);
      plot.style.maxWidth = layout.width ? `${layout.width}px` : "";
      plot.style.margin = layout.width ? "0 auto" : "";
      return Promise.resolve(window.Plotly.react(plot, data(), layout, config))
        .then(() => drawn("figure"));
    }

    const controller = {
      update, show, setSpeed, play: () => setPlaying(true), pause: () => setPlaying(false),
      get row() { return st.k; }, get rows() { return st.rows; },
      setOptions(o) { options = Object.assign(options, o); },
      destroy() { setPlaying(false); window.Plotly.purge(plot); root.replaceChildren(); },
    };
    plot.__optiviz = controller;
    root.__optiviz = controller;
    update(figure);
    return controller;
  }

  window.OptivizChart = {mount, decode, SPEEDS};
})();

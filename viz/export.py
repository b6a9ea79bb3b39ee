"""Files for slides, papers and notebooks from runs and the page's figures: the trajectories as
CSV or JSON (with the view that made them), the figure as PNG, SVG or HTML, and the animation as
GIF or MP4. No Streamlit here.

Pictures come from a Chromium-based browser: PNG and SVG through Plotly's own exporter (kaleido),
the animation's frames through one headless page (Playwright) that draws the figure once and
restyles its paths per frame, as the page's replay does, without kaleido's per-figure start-up.
Each frame ``k`` shows every path's recorded steps 0..k, all of them, over the surface picture,
as the page's replay does at that step. Where a format cannot be made here,
:class:`ExportError` says why and what to install."""

from __future__ import annotations

import base64
import csv
import io
import json
import math
import os
import shutil
import tempfile
from collections.abc import Sequence

import numpy as np
from PIL import Image

from optim_core import RunResult

from .animation import animation_of, frame_at
from .dataset import dataset_replay
from .figures import contour_spec, surface3d_spec
from .html_export import html_document

FORMATS = ("png", "svg", "html", "gif", "mp4", "csv", "json")
FRAMES = 50  # rows of the replay a file shows (the page replays every row)
SIZE = (960, 720)
FPS = 12
HOLD = 2.0  # seconds a GIF rests on its last frame before it loops
MIN_SIDE, MAX_SIDE = 100, 4000
CSV_COLUMNS = ("label", "optimizer", "trajectory", "step", "x", "y", "loss", "grad_norm", "step_size")
JSON_FORMAT = "optiviz-runs/1"
_BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")
_INSTALL = "pip install 'optiviz[export]'"
_NO_BROWSER = ("{what} needs a Chromium-based browser and none was found: install Chromium "
               "(e.g. apt-get install chromium) or Chrome, or set BROWSER_PATH to one.")
_ARRAYS = ("path", "loss", "grad_norm", "step_size", "diverged_at", "step", "lr_factor")


class ExportError(RuntimeError):
    """A format that cannot be made on this machine; the message says why and what to install."""


def check_size(width, height, fmt: str = "png") -> tuple[int, int]:
    """(width, height) in pixels, each a whole number from MIN_SIDE to MAX_SIDE (even for MP4,
    whose H.264 frames come in 2×2 blocks); ``ValueError`` otherwise."""
    ok = all(isinstance(v, int) and not isinstance(v, bool) and MIN_SIDE <= v <= MAX_SIDE
             for v in (width, height))
    if not ok:
        raise ValueError(f"The size must be WxH with whole numbers from {MIN_SIDE} to {MAX_SIDE}; "
                         f"got {width!r}x{height!r}.")
    if fmt == "mp4" and (width % 2 or height % 2):
        raise ValueError(f"MP4 needs an even width and height (H.264); got {width}x{height}.")
    return width, height


# -- trajectories --------------------------------------------------------------------------

def _number(v) -> str:
    """Shortest text that reads back as the same float (``nan`` / ``inf`` as such)."""
    return repr(float(v))


def runs_csv(results: Sequence[RunResult], view: dict | None = None) -> str:
    """One row per result × trajectory × recorded step (:data:`CSV_COLUMNS`); the view that
    made the runs in a first comment line, ``# view: {json}``. Numbers are written in full."""
    out = io.StringIO()
    if view is not None:
        out.write(f"# view: {json.dumps(view, separators=(',', ':'))}\n")
    rows = csv.writer(out, lineterminator="\n")
    rows.writerow(CSV_COLUMNS)
    for res in results:
        for j in range(res.path.shape[1]):
            for i, step in enumerate(res.step):
                rows.writerow([res.label, res.optimizer, j, int(step), _number(res.path[i, j, 0]),
                               _number(res.path[i, j, 1]), _number(res.loss[i, j]),
                               _number(res.grad_norm[i, j]), _number(res.step_size[i, j])])
    return out.getvalue()


def _plain(value):
    """JSON-ready: arrays as nested lists, non-finite floats as null."""
    if isinstance(value, np.ndarray):
        return _plain(value.tolist())
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def runs_json(results: Sequence[RunResult], view: dict | None = None) -> str:
    """Every recorded step of every run with the optimizer, its hyperparameters and the run's
    settings, plus the ``view`` (surface, optimizers, steps, start, noise, seed, schedule) that
    reproduces them; non-finite numbers are null. :func:`read_runs_json` reads it back."""
    runs = [{"label": r.label, "optimizer": r.optimizer, "hyperparams": r.hyperparams,
             "landscape": r.landscape, "settings": r.settings,
             **{name: getattr(r, name) for name in _ARRAYS}} for r in results]
    return json.dumps(_plain({"format": JSON_FORMAT, "view": view, "runs": runs}), allow_nan=False)


def read_runs_json(text: str) -> tuple[dict | None, list[RunResult]]:
    """(view, runs) of :func:`runs_json`'s text (null numbers become NaN)."""
    data = json.loads(text)
    if not isinstance(data, dict) or data.get("format") != JSON_FORMAT:
        raise ValueError(f"Not an optiviz runs file (format {JSON_FORMAT}).")
    runs = []
    for r in data["runs"]:
        arrays = {name: np.array(r[name], dtype=np.int64 if name in ("diverged_at", "step") else float)
                  for name in _ARRAYS}
        runs.append(RunResult(**arrays, optimizer=r["optimizer"], label=r["label"],
                              hyperparams=r["hyperparams"], landscape=r["landscape"],
                              settings=r["settings"]))
    return data["view"], runs


# -- figures -------------------------------------------------------------------------------

def still_spec(landscape, results: Sequence, *, colors=None, mode: str = "2d", scale: str = "auto",
               size: tuple[int, int] = SIZE, font_size: int | None = None) -> dict:
    """The page's figure at ``size``: the contour with its surface picture and the paths
    (``mode`` "2d"), or the 3D surface ("3d"); no animation controls."""
    options = {"colors": colors, "scale": scale, "height": size[1]}
    if font_size is not None:
        options["font_size"] = font_size
    spec = (surface3d_spec if mode == "3d" else contour_spec)(landscape, results, **options)
    _fit(spec["layout"], size)
    return spec


def _values(array) -> np.ndarray:
    """The numbers of a figure array: a Plotly typed array ({dtype, bdata}) or a plain one."""
    if isinstance(array, dict):
        return np.frombuffer(base64.b64decode(array["bdata"]), np.dtype(array["dtype"]).newbyteorder("<"))
    return np.asarray(array)


def frame_rows(recorded: int, frames: int) -> np.ndarray:
    """The recorded rows a file's animation shows (the page replays every row; a file takes
    about ``frames`` of them): every k-th from row 0, k the smallest of 1, 2, 5, 10, 20, 50, …
    that gives at most about ``frames`` frames (round step numbers), and always the last row."""
    span = max(recorded - 1, 1)
    target = span / max(int(frames), 1)
    stride = next(m * 10**e for e in range(0, 12) for m in (1, 2, 5) if m * 10**e >= target)
    return np.union1d(np.arange(0, recorded, stride), [recorded - 1])


def animation_frames(landscape, results: Sequence, *, colors=None, scale: str = "auto",
                     size: tuple[int, int] = SIZE, frames: int = FRAMES,
                     font_size: int | None = None) -> tuple[dict, list[dict]]:
    """(still figure, frames) of the contour's replay at the rows of :func:`frame_rows`, as the
    page's animator shows them (:func:`viz.animation.frame_at`): at row k every moving path trace
    is its points 0..k exactly (no thinning; a diverged path stops where it is drawn to), each
    result's last-point markers sit at the last shown point of its trajectories, and a diverged
    path's × shows from the step it stopped at. A frame is
    ``{"name": step, "traces": [trace index, …], "data": [patch, …]}``."""
    if not results:
        raise ValueError("There is nothing to animate: no optimizer is drawn.")
    options = {} if font_size is None else {"font_size": font_size}
    still = contour_spec(landscape, results, colors=colors, scale=scale, height=size[1], animated=True,
                         **options)
    _fit(still["layout"], size)
    steps = _values(animation_of(still)["steps"])
    out = []
    for row in frame_rows(len(steps), frames):
        indices, data = frame_at(still, row)
        out.append({"name": str(int(steps[row])), "traces": indices,
                    "data": [{"type": "scatter", **patch} for patch in data]})
    return still, out


def _fit(layout: dict, size: tuple[int, int]) -> None:
    """A file's figure at ``size``, with room for the tick labels (the page's margins leave
    them to its chart component)."""
    layout["width"], layout["height"] = size
    for axis in ("xaxis", "yaxis"):
        if axis in layout:
            layout[axis]["automargin"] = True


def _to_json(value) -> str:
    import plotly.io as pio

    return pio.to_json(value, validate=False)


def html_text(landscape, results: Sequence, *, colors=None, mode: str = "2d", scale: str = "auto",
              presentation: bool = False) -> str:
    """The page's offline HTML file (:func:`viz.html_export.html_document`): the figure with its
    step-by-step replay, plotly.js and the animator inlined, and a data surface's dataset panel."""
    build = surface3d_spec if mode == "3d" else contour_spec
    spec = build(landscape, results, colors=colors, scale=scale, animated=True)
    return html_document(spec, title=f"optiviz: {landscape.title}", presentation=presentation,
                         panel=dataset_replay(landscape, results, colors=colors))


def browser_path() -> str:
    """The Chromium-based browser that renders pictures: ``BROWSER_PATH``, else the first of
    chromium / chrome on the PATH (kaleido looks in the same places)."""
    found = os.environ.get("BROWSER_PATH") or next(filter(None, map(shutil.which, _BROWSERS)), None)
    if not found:
        raise ExportError(_NO_BROWSER.format(what="A picture"))
    return found


def figure_image(spec: dict, fmt: str) -> bytes:
    """PNG or SVG bytes of a figure at its layout's width and height, by Plotly's exporter."""
    try:
        import kaleido  # noqa: F401 (Plotly's image export needs it)
        import plotly.io as pio
    except ImportError:
        raise ExportError(f"{fmt.upper()} export needs kaleido: {_INSTALL}.") from None
    os.environ.setdefault("BROWSER_PATH", browser_path())
    layout = spec["layout"]
    try:
        return pio.to_image(spec, format=fmt, width=layout.get("width"), height=layout.get("height"),
                            validate=False)
    except Exception as exc:  # kaleido's own error (the browser's problem) stays as the cause
        raise ExportError(f"{fmt.upper()} export failed in the browser that draws pictures: check "
                          "that it starts, or set BROWSER_PATH to another Chromium-based browser.") from exc


_PLOT_JS = """async (fig) => {
  const note = {text: '', xref: 'paper', yref: 'paper', x: 1, y: 1.01, xanchor: 'right',
                yanchor: 'bottom', showarrow: false, font: {size: 16}};
  fig.layout.annotations = [note];
  await Plotly.newPlot('chart', fig.data, fig.layout, {staticPlot: true});
}"""
_FRAME_JS = """async (frame) => {
  await Plotly.update('chart', {x: frame.x, y: frame.y, text: frame.text},
                      {'annotations[0].text': 'step ' + frame.name},
                      frame.traces);
}"""


def render_frames(still: dict, frames: list[dict]) -> list[np.ndarray]:
    """(height, width, 3) uint8 pictures of the frames, each labelled with its step: one
    headless browser page draws the figure once, then restyles the moving traces per frame
    (as the page's replay does) and takes a picture of the chart."""
    try:
        from playwright.sync_api import Error, sync_playwright
        from plotly.offline import get_plotlyjs
    except ImportError:
        raise ExportError(f"Animations need Playwright: {_INSTALL}.") from None
    width, height = still["layout"]["width"], still["layout"]["height"]
    figure = json.loads(_to_json(still))
    pictures = []
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=browser_path(), args=[
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
            try:
                page = browser.new_page(viewport={"width": width, "height": height})
                page.set_content(f"<html><body style='margin:0'><div id='chart' style='width:{width}px;"
                                 f"height:{height}px'></div><script>{get_plotlyjs()}</script></body></html>")
                page.evaluate(_PLOT_JS, figure)
                chart = page.locator("#chart")
                for frame in frames:
                    page.evaluate(_FRAME_JS, {
                        "name": frame["name"], "traces": frame["traces"],
                        "x": [np.asarray(d["x"], dtype=float).tolist() for d in frame["data"]],
                        "y": [np.asarray(d["y"], dtype=float).tolist() for d in frame["data"]],
                        "text": [d.get("text") for d in frame["data"]]})
                    pictures.append(chart.screenshot(type="png", animations="disabled"))
            finally:
                browser.close()
    except Error as exc:
        raise ExportError("The browser could not render the animation: check that it starts, or set "
                          "BROWSER_PATH to another Chromium-based browser.") from exc
    return [np.asarray(Image.open(io.BytesIO(p)).convert("RGB")) for p in pictures]


def gif_bytes(pictures: Sequence[np.ndarray], fps: float = FPS) -> bytes:
    """A looping GIF, one picture per frame at ``fps``; the last rests :data:`HOLD` seconds.
    Every frame takes the 256 colours of the last one, which shows every path whole (one
    shared palette: 10× smaller and faster than a palette per frame, and no flicker)."""
    palette = Image.fromarray(pictures[-1]).quantize(256, method=Image.Quantize.MEDIANCUT)
    images = [Image.fromarray(p).quantize(palette=palette, dither=Image.Dither.NONE) for p in pictures]
    frame_ms = round(1000 / fps)
    durations = [frame_ms] * (len(images) - 1) + [max(frame_ms, round(1000 * HOLD))]
    out = io.BytesIO()
    images[0].save(out, format="GIF", save_all=True, append_images=images[1:], duration=durations,
                   loop=0, disposal=1)
    return out.getvalue()


def mp4_bytes(pictures: Sequence[np.ndarray], fps: float = FPS) -> bytes:
    """An H.264 MP4 (yuv420p: plays in PowerPoint, Keynote and browsers), one picture per
    frame at ``fps``; ffmpeg comes with the imageio-ffmpeg wheel."""
    try:
        import imageio.v2 as imageio
        import imageio_ffmpeg

        imageio_ffmpeg.get_ffmpeg_exe()
    except (ImportError, RuntimeError):
        raise ExportError(f"MP4 export needs imageio and its ffmpeg: {_INSTALL}.") from None
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "animation.mp4")
        with imageio.get_writer(path, format="FFMPEG", fps=fps, codec="libx264", pixelformat="yuv420p",
                                macro_block_size=2, quality=8) as writer:
            for p in pictures:
                writer.append_data(p)
        with open(path, "rb") as f:
            return f.read()


def export(fmt: str, landscape, results: Sequence, *, view: dict | None = None, colors=None,
           mode: str = "2d", scale: str = "auto", size: tuple[int, int] = SIZE, fps: float = FPS,
           frames: int = FRAMES, font_size: int | None = None) -> bytes:
    """The file of format ``fmt`` (one of :data:`FORMATS`) for these runs on this landscape.
    ``view`` is written into CSV and JSON; ``mode`` picks the PNG / SVG / HTML figure (GIF
    and MP4 replay the contour)."""
    if fmt not in FORMATS:
        raise ValueError(f"Unknown format {fmt!r}; allowed: {', '.join(FORMATS)}.")
    size = check_size(*size, fmt)
    if not (isinstance(fps, int | float) and 1 <= fps <= 60):
        raise ValueError(f"fps must be a number from 1 to 60; got {fps!r}.")
    if fmt == "csv":
        return runs_csv(results, view).encode()
    if fmt == "json":
        return runs_json(results, view).encode()
    if fmt == "html":
        return html_text(landscape, results, colors=colors, mode=mode, scale=scale).encode()
    if fmt in ("png", "svg"):
        spec = still_spec(landscape, results, colors=colors, mode=mode, scale=scale, size=size,
                          font_size=font_size)
        return figure_image(spec, fmt)
    still, moving = animation_frames(landscape, results, colors=colors, scale=scale, size=size,
                                     frames=frames, font_size=font_size)
    pictures = render_frames(still, moving)
    return gif_bytes(pictures, fps) if fmt == "gif" else mp4_bytes(pictures, fps)

"""Download buttons for the drawn view: trajectories as CSV and JSON (made when clicked), the
figure as PNG and SVG, the animation as GIF and MP4. A picture is made only when asked for
(*Prepare*, then *Download*): it takes a browser and seconds, never on every rerun. Files are
made from the page's own paths and kept in a bounded cache shared by every session, keyed on the
view's link; a machine that cannot make a format gets its reason instead."""

from __future__ import annotations

import streamlit as st

from viz.export import FPS, SIZE, ExportError, export, runs_csv, runs_json

from .labels import md
from .messages import LOG, UNEXPLAINED, for_viewers
from .settings import Settings
from .viewformat import encode, from_settings

PICTURES = {"png": ("PNG", "image/png"), "svg": ("SVG", "image/svg+xml"), "gif": ("GIF", "image/gif"),
            "mp4": ("MP4", "video/mp4")}
SIZES = ((960, 720), (1280, 720), (1920, 1080), (640, 480))
FPS_CHOICES = (6, FPS, 24)
_ASKED = "export_asked"  # {format: (link, size, fps)} the files asked for in this session


@st.cache_data(max_entries=16, ttl=900, show_spinner=False)
def _file(fmt: str, link: str, size: tuple[int, int], fps: float, _settings: Settings, _landscape,
          _results, _colors) -> bytes:
    """The file of the view whose link is ``link`` (which fixes the unhashed arguments)."""
    return export(fmt, _landscape, _results, colors=_colors, mode=_settings.mode, scale=_settings.levels,
                  size=size, fps=fps)


@st.fragment
def export_panel(settings: Settings, landscape, results, colors) -> None:
    """The export row under the chart (a fragment: preparing a file reruns only this row)."""
    if not results:
        return
    view = from_settings(settings)
    link = encode(view)
    name = f"optiviz-{settings.preset or settings.surface}"
    with st.expander("⬇ Export: pictures, animations, data"):
        size_col, fps_col = st.columns(2)
        size = size_col.selectbox("Size (pixels)", SIZES, format_func=lambda s: f"{s[0]} × {s[1]}",
                                  key="export_size", index=SIZES.index(SIZE))
        fps = fps_col.selectbox("Animation speed (frames per second)", FPS_CHOICES, key="export_fps",
                                index=FPS_CHOICES.index(FPS))
        data_col, *picture_cols = st.columns(1 + len(PICTURES))
        for fmt, mime, text in (("csv", "text/csv", runs_csv), ("json", "application/json", runs_json)):
            data_col.download_button(
                f"⬇ {fmt.upper()}", key=f"export_{fmt}", on_click="ignore", mime=mime,
                file_name=f"{name}.{fmt}", data=lambda text=text: text(results, view),
                help="Every recorded step of every path, and the view that made them.")
        asked = st.session_state.setdefault(_ASKED, {})
        for column, (fmt, (title, mime)) in zip(picture_cols, PICTURES.items(), strict=True):
            wanted = (link, size, fps)
            if asked.get(fmt) != wanted:
                if column.button(f"Prepare {title}", key=f"prepare_{fmt}",
                                 help="Makes the file (a few seconds; animations longer)."):
                    asked[fmt] = wanted
                else:
                    continue
            try:
                with st.spinner(f"Making the {title}…"):
                    data = _file(fmt, link, size, fps, settings, landscape, results, colors)
            except ExportError as exc:  # why this machine can't make it (the cause is logged)
                LOG.warning("optiviz: %s export failed", fmt, exc_info=exc)
                column.caption(md(f"{title}: {exc}"))
                continue
            except Exception as exc:  # noqa: BLE001 (a button never shows a traceback)
                column.caption(md(f"{title} could not be made: {for_viewers(exc) or UNEXPLAINED}"))
                continue
            column.download_button(f"⬇ {title}", data=data, file_name=f"{name}.{fmt}", mime=mime,
                                   key=f"export_{fmt}", on_click="ignore")

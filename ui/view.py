"""The main view: paths on the contour or the 3D surface (replayed in the browser), the per-step
curves, the summary table, and the update rules with the values in use."""

from __future__ import annotations

import streamlit as st

from landscapes import LANDSCAPES
from optim_core import SCHEDULES
from viz import COLUMNS, contour_spec, metric_spec, summary_rows, surface3d_spec, values_latex
from viz.curves import X_AXES
from viz.dataset import dataset_replay, picture_of
from viz.html_export import html_document

from . import keys
from .chart import path_chart
from .click import rerun_page_if_asked, start_at
from .compute import grid, run_drawn
from .datapanel import dataset_panel
from .errors import guarded
from .exports import export_panel
from .labels import md
from .layout import STAGE
from .link import remember_inside, remember_mode
from .scrub import OFF, scrub_controls, with_scrub
from .settings import Settings
from .state import emoji
from .state_view import state_picker, with_state
from .still_chart import still_chart
from .traced import traced_result

CHART_KEY = "paths"
DATASET_KEY = "dataset"
POPOVER = "inside_path"  # the pickers of the hyperparameter slider and the state arrows
CHART_HEIGHT = 640  # outside the page's stage (which sizes the chart to the window)
PRESENTATION_FONT = 18  # px: every chart text in presentation mode
SURFACE_RESOLUTION = 120  # the 3D mesh
TOLERANCES = (1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 0.05, 0.1, 0.5)


def main_view(settings: Settings, landscape) -> None:
    drawn, results = _runs(settings)
    colors = [d.color for d in drawn]
    if not settings.drawn:
        st.info("No optimizer drawn: add one in the sidebar.")
    (x0, x1), (y0, y1) = landscape.bounds
    if not (x0 <= settings.start[0] <= x1 and y0 <= settings.start[1] <= y1):
        st.caption(f"The start ({settings.start[0]:g}, {settings.start[1]:g}) lies outside the drawn "
                   f"box [{x0:g}, {x1:g}] × [{y0:g}, {y1:g}]: paths may run off the chart.")
    for d, res in zip(drawn, results, strict=True):
        step = int(res.diverged_at[0])
        if step == 0:
            st.warning(f"{emoji(d.color)} **{md(d.label)}** cannot start at ({settings.start[0]:g}, "
                       f"{settings.start[1]:g}): f or its gradient is not finite there. Choose "
                       "another start.")
        elif step > 0:
            reason = str(res.stop_reason[0]) if res.stop_reason is not None else ""
            st.warning(f"{emoji(d.color)} **{md(d.label)}** stopped at step {step}"
                       + (f" ({reason})" if reason else "")
                       + ": its path is drawn up to its last finite point (×). A smaller α, or a "
                       "schedule, keeps it on the surface.")
    if traced := traced_result(settings, settings.traced, colors):
        results, colors = [*results, traced[0]], [*colors, traced[1]]
    left, right = st.columns([3, 2], gap="medium")
    with left:
        _paths_panel(settings, landscape, results, colors, tuple(d.sid for d in drawn))
        export_panel(settings, landscape, results, colors)
    with right:
        if picture_of(landscape) is not None:
            dataset_panel(landscape, results, colors, key=DATASET_KEY, chart_key=CHART_KEY,
                          font_size=PRESENTATION_FONT if settings.presentation else None)
        x = _curve_axis(results, settings.epochs is not None)
        for metric in ("loss", "distance"):
            if metric == "distance" and not landscape.minima:
                st.caption("This surface has no known minimum, so there is no distance to one.")
                continue
            still_chart(metric_spec(results, metric, landscape, colors=colors, height=290,
                                    legend=metric == "loss", x=x), key=f"curve.{metric}")
    a, b = st.columns(2)
    for column, metric in ((a, "step_size"), (b, "grad_norm")):
        with column:
            still_chart(metric_spec(results, metric, landscape, colors=colors, height=260, x=x),
                        key=f"curve.{metric}")
    _summary(results, landscape, bool(landscape.minima))
    _rules(settings, landscape)


def _curve_axis(results, in_epochs: bool) -> str:
    """The curves' horizontal axis: the step, or for mini-batch runs what the switch says
    (an epoch is one pass over the samples: ⌈n/B⌉ steps, ⌊n/B⌋ dropping the last batch);
    the epoch at first when the run length is in epochs."""
    if not results or any(res.epoch is None for res in results):
        return "step"
    st.session_state.setdefault(keys.CURVE_X, X_AXES[1] if in_epochs else X_AXES[0])
    return st.segmented_control("Curves against", X_AXES, key=keys.CURVE_X, required=True,
                                help="Read the curves per optimizer step or per epoch (one pass "
                                     "over the data).")


def _runs(settings: Settings) -> tuple[list, list]:
    """The drawn optimizers that ran, and their results. One refused when it runs (the Polyak
    step on a surface with no known minimum) is named, with the reason, and left out."""
    kept, results = [], []
    for d in (d for d in settings.drawn if d.error is None):
        try:
            results.append(run_drawn(settings, d))
        except ValueError as exc:
            st.warning(f"{emoji(d.color)} **{md(d.label)}** is not drawn: {md(str(exc))}")
            continue
        kept.append(d)
    return kept, results


@st.fragment
@guarded
def _paths_panel(settings: Settings, landscape, results, colors, sids: tuple[int, ...]) -> None:
    """2D or 3D, replayed step by step in the browser; switching between them reruns only this
    panel. A click on the contour moves the start, which changes every path: then the whole
    page reruns. ``sids``: the slots of the first results (the traced path comes after)."""
    rerun_page_if_asked()
    st.session_state.setdefault(keys.VIEW_MODE, keys.MODE_LABELS["2d"])
    with st.container(horizontal=True, vertical_alignment="center"):
        view = st.segmented_control("View", tuple(keys.MODE_LABELS.values()), key=keys.VIEW_MODE,
                                    label_visibility="collapsed", required=True, on_change=remember_mode)
        on = any(st.session_state.get(k, OFF) != OFF for k in (keys.SCRUB, keys.STATE_SLOT))
        with st.popover("⇆ Slider · state" + (" ●" if on else ""), key=POPOVER,
                        help="A hyperparameter slider inside the chart, and the optimizer's state "
                             "drawn at each step of the replay"):
            scrubbed = scrub_controls(settings)
            shown_state = state_picker(settings)
    remember_inside(settings)
    presentation = settings.presentation
    font = {"font_size": PRESENTATION_FONT} if presentation else {}
    with st.container(key=STAGE):  # as tall as the window allows (ui.layout); the chart fills it
        if view == keys.MODE_LABELS["3d"]:
            fig = surface3d_spec(landscape, results, colors=colors, height=CHART_HEIGHT, animated=True,
                                 grid=grid(settings.choice, SURFACE_RESOLUTION), scale=settings.levels,
                                 **font)
            path_chart(fig, key=CHART_KEY, presentation=presentation)
            hint = "▶ replays every path step by step (space, ← →); drag to turn the surface."
            if scrubbed is not None or shown_state is not None:
                hint += " The hyperparameter slider and the state arrows draw on the 2D contour."
        else:
            fig = contour_spec(landscape, results, colors=colors, height=CHART_HEIGHT, animated=True,
                               grid=grid(settings.choice), scale=settings.levels, **font)
            hint = ("▶ replays every path step by step (space, ← →); ◀ 1 and 1 ▶ step, the slider "
                    "scrubs. Click anywhere on the contour to start from there.")
            if scrubbed is not None:
                hint = with_scrub(fig, settings, scrubbed) + " " + hint
            if shown_state is not None:
                path = sids.index(shown_state.sid) if shown_state.sid in sids else None
                hint = with_state(fig, settings, shown_state, landscape, path) + " " + hint
            path_chart(fig, key=CHART_KEY, presentation=presentation, on_click=start_at)
    note, export = st.columns([3, 1], vertical_alignment="center")
    note.caption(hint)
    export.download_button(
        "⬇ HTML for slides", key="export", on_click="ignore", mime="text/html",
        file_name=f"optiviz-{settings.surface}.html",
        data=lambda: html_document(fig, title=f"optiviz: {landscape.title}", presentation=presentation,
                                   panel=dataset_replay(landscape, results, colors=colors)),
        help="This chart with its step-by-step replay as one offline HTML file (no server needed).")


@st.fragment
@guarded
def _summary(results, landscape, has_minimum: bool) -> None:
    """The table; changing its tolerance reruns only this part."""
    st.subheader("Summary")
    st.session_state.setdefault("tolerance", 1e-2)
    tol = st.select_slider("Tolerance ‖w − w*‖ for “within tolerance”", TOLERANCES, key="tolerance",
                           format_func=lambda v: f"{v:g}", disabled=not has_minimum)
    steps = [int(res.step[-1]) for res in results for _ in range(res.path.shape[1])]
    rows = [{**_readable(row, has_minimum), "steps": n}
            for row, n in zip(summary_rows(results, landscape, tol), steps, strict=True)]
    st.dataframe(rows, hide_index=True, column_order=(COLUMNS[0], "steps", *COLUMNS[1:]))


def _readable(row: dict, has_minimum: bool) -> dict:
    """Table cells as text: numbers to 4 digits, "never" for an event that did not happen,
    "—" where the surface has no minimum to measure against."""
    missing = "never" if has_minimum else "—"
    def number(v):
        return "—" if v is None else f"{v:.4g}"
    return {**row, "final loss": number(row["final loss"]),
            "distance to minimum": number(row["distance to minimum"]),
            "within tolerance at step": missing if row["within tolerance at step"] is None
            else str(row["within tolerance at step"]),
            "diverged at step": "never" if row["diverged at step"] is None else str(row["diverged at step"])}


def _rules(settings: Settings, landscape) -> None:
    st.subheader("Update rules")
    st.markdown(f"**{md(landscape.title)}** — {landscape.description}")
    st.latex(landscape.formula_latex)
    st.latex(landscape.gradient_latex)
    if settings.surface_params:
        st.latex(values_latex(LANDSCAPES[settings.surface].params, settings.surface_params))
    schedule = SCHEDULES[settings.schedule["name"]]
    if schedule.params:
        length = "each path's steps" if settings.epochs is not None else f"{settings.steps} steps"
        st.markdown(f"Learning-rate schedule: **{schedule.title}** (T = {length})")
        st.latex(schedule.latex)
        st.latex(values_latex(schedule.params, settings.schedule))
    for d in settings.drawn:
        if d.error is not None:
            continue
        spec = d.spec
        st.markdown(f"{emoji(d.color)} **{md(d.label)}** — {md(spec.reference)}")
        st.latex(spec.latex)
        if spec.inner is not None:
            st.latex(spec.inner.latex)
        st.latex(values_latex(spec.params, d.hyperparams))
    if settings.noise > 0:
        st.markdown(f"Every gradient is ĝ = ∇f + σξ with σ = {settings.noise:g}, ξ ~ N(0, I) "
                    f"(seed {settings.seed}).")


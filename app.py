"""optiviz — Streamlit page (a first version: surface, optimizers and steps; the full
lecture-ready page is the app issue). Widgets -> pure calls -> Plotly figures."""

from __future__ import annotations

import streamlit as st

from landscapes import LANDSCAPES, get_landscape
from optim_core import OPTIMIZERS, make_optimizer, run
from viz import contour_figure, loss_figure

DEFAULT_SURFACE = "rosenbrock"
DEFAULT_OPTIMIZERS = ["momentum", "rmsprop", "adam"]


@st.cache_data(max_entries=64, ttl=3600, show_spinner=False)
def _run(surface: str, name: str, start: tuple[float, float], steps: int):
    return run(get_landscape(surface), make_optimizer(name), [start], steps)


def main() -> None:
    st.set_page_config(page_title="optiviz", layout="wide")
    st.title("optiviz: optimizer paths on 2D loss surfaces")
    with st.sidebar:
        surface = st.selectbox("Surface", list(LANDSCAPES), key="surface",
                               index=list(LANDSCAPES).index(DEFAULT_SURFACE),
                               format_func=lambda n: LANDSCAPES[n].title)
        names = st.multiselect("Optimizers", list(OPTIMIZERS), default=DEFAULT_OPTIMIZERS,
                               key="optimizers", format_func=lambda n: OPTIMIZERS[n].title)
        steps = st.slider("Steps", 10, 2000, 500, step=10, key="steps")
    land = get_landscape(surface)
    st.caption(land.description)
    try:
        results = [_run(surface, n, land.start, steps) for n in names]
    except ValueError as exc:
        st.error(str(exc))
        return
    st.plotly_chart(contour_figure(land, results), width="stretch")
    st.plotly_chart(loss_figure(results), width="stretch")
    st.latex(land.formula_latex)
    for res in results:
        if res.diverged_at[0] >= 0:
            st.warning(f"{res.label} diverged at step {res.diverged_at[0]}.")


main()

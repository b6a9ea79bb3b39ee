"""Plotly figure builders: pure functions from landscapes and run results to figures
(``*_spec``: the plain dict; ``*_figure``: the same as a validated ``go.Figure``)."""

from .colors import PALETTE, PATH_COLORS
from .curves import METRICS, loss_figure, metric_figure, metric_spec
from .dataset import dataset_figure, dataset_spec
from .figures import (
    contour_figure,
    contour_spec,
    surface3d_figure,
    surface3d_spec,
    surface_grid,
    surface_image,
    surface_levels,
)
from .latex import symbol_latex, value_latex, values_latex
from .levels import SCALES
from .maps import (
    basin_map_figure,
    basin_map_spec,
    ensemble_loss_figure,
    ensemble_loss_spec,
    ensemble_path_figure,
    ensemble_path_spec,
    sweep_map_figure,
    sweep_map_spec,
)
from .scrub import scrub_figure
from .state import state_figure, state_spec
from .summary import COLUMNS, summary_rows

__all__ = [
    "COLUMNS", "METRICS", "PALETTE", "PATH_COLORS", "SCALES", "basin_map_figure",
    "basin_map_spec", "contour_figure", "contour_spec", "dataset_figure", "dataset_spec",
    "ensemble_loss_figure", "ensemble_loss_spec",
    "ensemble_path_figure", "ensemble_path_spec", "loss_figure", "metric_figure", "metric_spec",
    "scrub_figure", "state_figure", "state_spec", "summary_rows", "surface3d_figure", "surface3d_spec",
    "surface_grid", "surface_image",
    "surface_levels", "sweep_map_figure", "sweep_map_spec", "symbol_latex", "value_latex",
    "values_latex",
]

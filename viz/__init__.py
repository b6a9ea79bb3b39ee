"""Plotly figure builders: pure functions from landscapes and run results to figures."""

from .curves import METRICS, loss_figure, metric_figure
from .figures import CLICK_GRID_NAME, PALETTE, contour_figure, surface3d_figure, surface_grid
from .latex import symbol_latex, value_latex, values_latex
from .summary import COLUMNS, summary_rows

__all__ = [
    "CLICK_GRID_NAME", "COLUMNS", "METRICS", "PALETTE", "contour_figure", "loss_figure",
    "metric_figure", "summary_rows", "surface3d_figure", "surface_grid", "symbol_latex",
    "value_latex", "values_latex",
]

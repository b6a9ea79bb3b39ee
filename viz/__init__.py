"""Plotly figure builders: pure functions from landscapes and run results to figures."""

from .figures import PALETTE, contour_figure, loss_figure, surface_grid

__all__ = ["PALETTE", "contour_figure", "loss_figure", "surface_grid"]

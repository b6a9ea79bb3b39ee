"""What the sidebar says, as plain frozen data: the page's computations and views read these,
never the widgets."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .surface import SurfaceChoice


@dataclass(frozen=True)
class Drawn:
    """One optimizer slot as set in the sidebar; ``error`` says why it cannot run."""

    sid: int
    name: str
    hyperparams: dict[str, Any]
    label: str
    color: str
    spec: Any  # the concrete OptimizerSpec its controls and rule come from
    error: str | None = None


@dataclass(frozen=True)
class Settings:
    surface: str
    surface_params: dict[str, Any]
    drawn: list[Drawn]
    steps: int
    start: tuple[float, float]
    noise: float
    seed: int
    schedule: dict[str, Any] = field(default_factory=dict)
    formula: str = ""  # the typed surface (surface == CUSTOM) and its bounds
    bounds: tuple = ()
    levels: str = "auto"  # contour levels: "auto" (the surface's hint), "linear" or "log"
    presentation: bool = False  # sidebar folded, story and chart fill the screen
    mode: str = "2d"  # "2d" contour or "3d" surface
    preset: str | None = None  # the lecture preset the view was loaded from
    batch: dict[str, Any] | None = None  # a data surface's {"size", "shuffle", "data_seed"}
    traced: Any = None  # the "more optimizers" pick (ui.traced.Traced), or None

    @property
    def choice(self) -> SurfaceChoice:
        return SurfaceChoice(self.surface, tuple(sorted(self.surface_params.items())), self.formula,
                             self.bounds)

"""What the sidebar says, as plain frozen data: the page's computations and views read these,
never the widgets."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .batch_inputs import batches_per_epoch
from .surface import SurfaceChoice
from .viewformat import MAX_STEPS


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
    batch_size: int | None = None  # on a surface made from data: its samples per step


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
    batch: dict[str, Any] | None = None  # a data surface's {"shuffle", "data_seed"}
    traced: Any = None  # the "more optimizers" pick (ui.traced.Traced), or None
    epochs: int | None = None  # a data surface's run length in epochs (None: ``steps``)
    n_samples: int | None = None  # a data surface's samples

    def wanted_steps(self, drawn: Drawn | None) -> int:
        """The steps ``drawn`` asks for: ``steps``, or epochs × its batches per epoch (None:
        a path of exact, full-batch gradients, one step per epoch)."""
        if self.epochs is None or self.n_samples is None:
            return self.steps
        size = drawn.batch_size if drawn is not None and drawn.batch_size else self.n_samples
        return self.epochs * batches_per_epoch(self.n_samples, size)

    def batch_items(self, drawn: Drawn) -> tuple:
        """``drawn``'s mini-batches as sorted items of {"size", "shuffle", "data_seed"} (its
        own size, the page's shuffled order); () off a data surface."""
        return tuple(sorted({**self.batch, "size": drawn.batch_size}.items())) if self.batch else ()

    def steps_of(self, drawn: Drawn | None) -> int:
        """The steps ``drawn`` runs: :meth:`wanted_steps`, at most the page's cap."""
        return min(self.wanted_steps(drawn), MAX_STEPS)

    @property
    def choice(self) -> SurfaceChoice:
        return SurfaceChoice(self.surface, tuple(sorted(self.surface_params.items())), self.formula,
                             self.bounds)

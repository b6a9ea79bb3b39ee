"""A view turned into what the page draws, without Streamlit: the settings, the surface and one
run per drawn optimizer. The command line and the exports build a view's paths here, with the
page's rules (labels, colours, a panel whose setting breaks a rule is left out)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from landscapes import LANDSCAPES, Landscape
from optim_core import OPTIMIZERS, RunResult, make_optimizer, run

from . import keys
from .labels import describe, unique
from .messages import UNEXPLAINED, for_viewers
from .settings import Drawn, Settings
from .state import add_slot, choice_names, concrete_spec
from .surface import CUSTOM
from .viewformat import check


def drawn_slot(sid: int, name: str, hyperparams: dict, color: str, batch_size: int | None = None,
               n_samples: int | None = None) -> Drawn:
    """One optimizer slot as the page shows it: its concrete spec (Lookahead's base chosen),
    its label (what differs from the defaults, and a batch size below the ``n_samples`` of a
    data surface) and the error that keeps it from running."""
    choices = {k: v for k, v in hyperparams.items() if k in choice_names(OPTIMIZERS[name])}
    concrete = concrete_spec(name, choices)
    values = {k: v for k, v in hyperparams.items() if k not in choices}
    error = None
    try:
        make_optimizer(name, **hyperparams)
    except ValueError as exc:
        error = for_viewers(exc) or UNEXPLAINED
    mini = batch_size if batch_size is not None and n_samples is not None and batch_size < n_samples else None
    return Drawn(sid, name, dict(hyperparams), describe(concrete.title, concrete.params, values, mini), color,
                 concrete, error, batch_size)


def settings_of(config: dict) -> Settings:
    """The page's settings for a view (checked first: ``ValueError`` names what is wrong).
    Colours are given out as the page does: an optimizer's own, else the first free one."""
    config = check(config)
    slots: dict = {keys.SLOTS: [], keys.NEXT_SLOT: 0}
    for entry in config["optimizers"]:
        add_slot(slots, entry["name"], color=entry.get("color"))
    n = None if config["surface"] == CUSTOM else \
        getattr(LANDSCAPES[config["surface"]].build(**config["surface_params"]), "n_samples", None)
    drawn = [drawn_slot(slot["id"], entry["name"], entry["params"], slot["color"], entry.get("batch_size"), n)
             for slot, entry in zip(slots[keys.SLOTS], config["optimizers"], strict=True)]
    drawn = [replace(d, label=text) for d, text in zip(drawn, unique([d.label for d in drawn]), strict=True)]
    bounds = tuple(tuple(b) for b in config.get("bounds", ()))
    return Settings(config["surface"], dict(config["surface_params"]), drawn, config["steps"],
                    tuple(config["start"]), config["noise"], config["seed"], dict(config["schedule"]),
                    config.get("formula", ""), bounds, config.get("levels", "auto"),
                    bool(config.get("presentation", False)), config.get("mode", "2d"), config.get("preset"),
                    config.get("batch"), None, config.get("epochs"), n)


def run_slot(landscape: Landscape, settings: Settings, drawn: Drawn) -> RunResult:
    """The path of one drawn optimizer from the view's start, labelled as in the legend."""
    batch = dict(settings.batch_items(drawn))
    res = run(landscape, make_optimizer(drawn.name, **drawn.hyperparams), [settings.start],
              settings.steps_of(drawn), noise=settings.noise, seed=settings.seed,
              schedule=dict(settings.schedule), batch_size=batch.get("size"),
              shuffle=batch.get("shuffle", True), data_seed=batch.get("data_seed", 0))
    return replace(res, label=drawn.label)


@dataclass(frozen=True)
class Scene:
    """Everything a view draws: ``results`` and ``colors`` of the optimizers that run."""

    settings: Settings
    landscape: Landscape
    results: list[RunResult]
    colors: list[str]


def scene_of(config: dict) -> Scene:
    """Settings, surface and paths of a view (``ValueError`` for a bad view)."""
    settings = settings_of(config)
    landscape = settings.choice.build()
    drawn = [d for d in settings.drawn if d.error is None]
    return Scene(settings, landscape, [run_slot(landscape, settings, d) for d in drawn],
                 [d.color for d in drawn])

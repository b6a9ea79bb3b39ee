"""The torch optimizers installed here, for :func:`optim_core.trace` and the page's "more
optimizers" picker: ``torch.optim``'s classes and ``pytorch_optimizer``'s own (its re-exports
of torch's are listed once, under torch.optim), by qualified name. Empty without torch."""

from __future__ import annotations

import inspect
from functools import lru_cache


@lru_cache(maxsize=1)
def installed_optimizers() -> dict[str, type]:
    """{"torch.optim.Adam": class, …, "pytorch_optimizer.AdaBelief": class, …}, each group in
    alphabetical order."""
    try:
        import torch
    except ImportError:
        return {}
    base = torch.optim.Optimizer
    found = {f"torch.optim.{name}": obj for name, obj in sorted(vars(torch.optim).items())
             if isinstance(obj, type) and issubclass(obj, base) and obj is not base}
    try:
        import pytorch_optimizer
    except ImportError:
        return found
    classes = {pytorch_optimizer.load_optimizer(n) for n in pytorch_optimizer.get_supported_optimizers()}
    own = [c for c in classes if c.__module__.split(".")[0] == "pytorch_optimizer"
           and issubclass(c, base)]
    found.update({f"pytorch_optimizer.{c.__name__}": c
                  for c in sorted(own, key=lambda c: c.__name__.lower())})
    return found


# String settings a page can offer, by keyword (never by class): a class whose constructor takes
# the keyword gets a choice among these values, its default (None) first.
STRING_CHOICES: dict[str, tuple[str | None, ...]] = {"line_search_fn": (None, "strong_wolfe")}


def string_choices(cls: type) -> dict[str, tuple[str | None, ...]]:
    """The keywords of :data:`STRING_CHOICES` that ``cls`` takes, with their values."""
    try:
        params = inspect.signature(cls.__init__).parameters
    except (TypeError, ValueError):
        return {}
    return {k: v for k, v in STRING_CHOICES.items() if k in params}


def default_lr(cls: type) -> float | None:
    """The class's default learning rate (its ``lr`` keyword's default), None if it has none."""
    try:
        param = inspect.signature(cls.__init__).parameters.get("lr")
    except (TypeError, ValueError):
        return None
    value = None if param is None else param.default
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None

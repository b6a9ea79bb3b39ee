"""The page's optimizer slots, kept in session state (any mutable mapping, so the rules are
tested without Streamlit). A slot is one drawn optimizer: an id, a registry name and a colour;
its hyperparameters live under the widget keys of :func:`ui.keys.slot_param`."""

from __future__ import annotations

from collections.abc import MutableMapping

from optim_core import make_optimizer
from viz import PATH_COLORS

from . import keys

# (line colour, the same colour as an emoji for labels), from the one palette (viz/colors.py)
SLOT_COLORS = tuple((c.hex, c.emoji) for c in PATH_COLORS)
MAX_SLOTS = len(SLOT_COLORS)


def keep_values(state: MutableMapping) -> None:
    """Streamlit forgets a widget's value after a run that did not draw it; assigned once per
    run, the value becomes the user's and survives until the control is drawn again."""
    for key in [k for k in state if isinstance(k, str) and keys.KEPT.match(k)]:
        state[key] = state[key]


def choice_names(spec) -> set[str]:
    """The parameters that pick what the others are (Lookahead's base)."""
    return {p.name for p in spec.params if p.kind == "choice"}


def concrete_spec(name: str, choices: dict):
    """The spec whose controls a slot shows for these choices, e.g. Lookahead(Adam)'s."""
    return make_optimizer(name, **choices).spec


def scope_of(spec) -> str:
    """The widget-key scope of a concrete spec: ``adam``, or ``lookahead(adam)`` for a wrapper."""
    return spec.name + (f"({spec.inner.name})" if spec.inner is not None else "")


def add_slot(state: MutableMapping, name: str, values: dict[str, object] | None = None,
             color: str | None = None) -> int | None:
    """Append a slot drawing ``name`` in ``color`` if that is free, else in the first free
    colour; ``values`` maps widget-key suffixes (``scope.param``) to initial values. Returns
    its id, or None when all :data:`MAX_SLOTS` colours are in use."""
    slots = list(state[keys.SLOTS])
    if len(slots) >= MAX_SLOTS:
        return None
    used = {s["color"] for s in slots}
    if color in used or color not in dict(SLOT_COLORS):
        color = next(c for c, _ in SLOT_COLORS if c not in used)
    sid = state[keys.NEXT_SLOT]
    state[keys.NEXT_SLOT] = sid + 1
    state[keys.SLOTS] = [*slots, {"id": sid, "name": name, "color": color}]
    for suffix, value in (values or {}).items():
        state[keys.slot_prefix(sid) + suffix] = value
    return sid


def remove_slot(state: MutableMapping, sid: int) -> None:
    """Drop the slot and its controls' values."""
    state[keys.SLOTS] = [s for s in state[keys.SLOTS] if s["id"] != sid]
    reset_slot(state, sid)


def reset_slot(state: MutableMapping, sid: int) -> None:
    """Forget the slot's values: its controls show the registry defaults again."""
    for key in [k for k in state if isinstance(k, str) and k.startswith(keys.slot_prefix(sid))]:
        del state[key]


def duplicate_slot(state: MutableMapping, sid: int) -> int | None:
    """A copy of the slot with its current values, in a new colour (to vary one setting)."""
    slot = next(s for s in state[keys.SLOTS] if s["id"] == sid)
    prefix = keys.slot_prefix(sid)
    values = {k[len(prefix):]: v for k, v in state.items()
              if isinstance(k, str) and k.startswith(prefix)}
    return add_slot(state, slot["name"], values)


def emoji(color: str) -> str:
    return dict(SLOT_COLORS).get(color, "●")

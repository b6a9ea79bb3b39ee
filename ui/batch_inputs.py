"""The mini-batch controls, drawn only for a surface made from data (one that has samples):
each optimizer panel's own batch size (powers of 2 below n, and n itself: the full batch), and
for the page shuffling, its seed and the run length in steps or in epochs."""

from __future__ import annotations

import streamlit as st

from . import keys
from .controls import format_value
from .viewformat import DEFAULT_EPOCHS, DEFAULT_STEPS, LENGTHS, MAX_EPOCHS, MAX_STEPS


def batch_sizes(n: int) -> list[int]:
    """1, 2, 4, … below n, then n (the full batch: plain gradient descent)."""
    return [*(2**k for k in range(n.bit_length()) if 2**k < n), n]


def batches_per_epoch(n: int, size: int) -> int:
    """Steps per pass over ``n`` samples in batches of ``size``: ⌈n/B⌉ (the page keeps the
    last, smaller batch)."""
    return -(-n // size)


def _remember(key: str) -> None:
    st.session_state[keys.BATCH_SIZE] = st.session_state[key]


def batch_size_input(box, sid: int, n_samples: int) -> int:
    """Slot ``sid``'s batch size. A new panel (or one whose size the surface lacks) starts at
    the batch size last set in any panel, else at the full batch; a size from a link or preset
    that is not a power of 2 (any 1 ≤ B ≤ n is allowed there) becomes a stop of its own."""
    state = st.session_state
    key, sizes = keys.slot_batch(sid), batch_sizes(n_samples)
    value = state.get(key)
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= n_samples:
        sizes = sorted({*sizes, value})
    else:
        last = state.get(keys.BATCH_SIZE)
        state[key] = last if last in sizes else n_samples
    return int(box.select_slider("Batch size", sizes, key=key, format_func=format_value,
                                 on_change=_remember, args=(key,),
                                 help=f"Samples per step, of {n_samples}: 1 is stochastic gradient "
                                      f"descent, {n_samples} the full batch (gradient descent). The "
                                      "contour and the loss are always the full data's."))


def batch_inputs(bar, n_samples: int | None, sizes: list[int]) -> dict | None:
    """{"shuffle", "data_seed"} for a data surface of ``n_samples`` whose panels use batch
    ``sizes``; None otherwise. Every panel cuts the same seeded permutation per epoch."""
    if n_samples is None:
        return None
    state = st.session_state
    state.setdefault(keys.SHUFFLE, True)
    shuffle = bar.toggle("Shuffle every epoch", key=keys.SHUFFLE,
                         help="A new random order of the samples each pass; off: always in order. "
                              "Every optimizer cuts its batches from the same order.")
    state.setdefault(keys.DATA_SEED, 0)
    seed = int(bar.number_input("Shuffle seed", 0, 2**31 - 1, step=1, key=keys.DATA_SEED,
                                disabled=not shuffle or all(s == n_samples for s in sizes)))
    return {"shuffle": bool(shuffle), "data_seed": seed}


def _curves_in_epochs() -> None:
    if st.session_state[keys.LENGTH_IN] == "epochs":
        st.session_state[keys.CURVE_X] = "epoch"


def length_inputs(bar, n_samples: int | None) -> tuple[int, int | None]:
    """(steps, epochs): the Steps slider, or for a data surface the choice of steps or epochs
    (epochs None: the run length is in steps)."""
    state = st.session_state
    state.setdefault(keys.STEPS, DEFAULT_STEPS)
    state.setdefault(keys.EPOCHS, DEFAULT_EPOCHS)
    state.setdefault(keys.LENGTH_IN, LENGTHS[0])
    if n_samples is not None:
        length = bar.segmented_control("Run length in", LENGTHS, key=keys.LENGTH_IN, required=True,
                                       on_change=_curves_in_epochs,
                                       help="Steps: every optimizer takes the same number of steps. "
                                            "Epochs: each takes as many passes over the data, so a "
                                            "smaller batch takes more steps.")
        if length == "epochs":
            epochs = int(bar.number_input("Epochs", 1, MAX_EPOCHS, step=1, key=keys.EPOCHS,
                                          help=f"Passes over the {n_samples} samples: ⌈{n_samples}/B⌉ "
                                               f"steps each, at most {MAX_STEPS} steps per path."))
            return int(state[keys.STEPS]), epochs
    steps = bar.slider("Steps", 10, MAX_STEPS, step=10, key=keys.STEPS,
                       help=f"Optimizer steps per path (at most {MAX_STEPS}).")
    return int(steps), None

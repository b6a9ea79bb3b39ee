"""The mini-batch controls, drawn only for a surface made from data (one that has samples):
batch size (powers of 2 up to n, and n itself: the full batch), shuffling and its seed."""

from __future__ import annotations

import streamlit as st

from . import keys
from .controls import format_value


def batch_sizes(n: int) -> list[int]:
    """1, 2, 4, … below n, then n (the full batch: plain gradient descent)."""
    return [*(2**k for k in range(n.bit_length()) if 2**k < n), n]


def batch_inputs(bar, n_samples: int | None) -> dict | None:
    """{"size", "shuffle", "data_seed"} for a data surface of ``n_samples``; None otherwise."""
    if n_samples is None:
        return None
    state = st.session_state
    sizes = batch_sizes(n_samples)
    if state.get(keys.BATCH_SIZE) not in sizes:  # a new surface or sample count: full batch
        state[keys.BATCH_SIZE] = n_samples
    size = bar.select_slider("Batch size", sizes, key=keys.BATCH_SIZE, format_func=format_value,
                             help=f"Samples per step, of {n_samples}: 1 is stochastic gradient "
                                  f"descent, {n_samples} the full batch (gradient descent). The "
                                  "contour and the loss are always the full data's.")
    state.setdefault(keys.SHUFFLE, True)
    shuffle = bar.toggle("Shuffle every epoch", key=keys.SHUFFLE,
                         help="A new random order of the samples each pass; off: always in order.")
    state.setdefault(keys.DATA_SEED, 0)
    seed = int(bar.number_input("Shuffle seed", 0, 2**31 - 1, step=1, key=keys.DATA_SEED,
                                disabled=not shuffle or size == n_samples))
    return {"size": int(size), "shuffle": bool(shuffle), "data_seed": seed}

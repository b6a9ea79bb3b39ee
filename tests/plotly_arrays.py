"""Read arrays out of Plotly figures and their JSON: plain lists, NumPy arrays, or typed
arrays ``{dtype, bdata, shape}`` (base64 little-endian bytes)."""

from __future__ import annotations

import base64

import numpy as np


def as_array(value) -> np.ndarray:
    if isinstance(value, dict):
        dtype = np.dtype(value["dtype"]).newbyteorder("<")
        arr = np.frombuffer(base64.b64decode(value["bdata"]), dtype=dtype)
        return arr.reshape([int(n) for n in str(value["shape"]).split(",")]) if "shape" in value else arr
    return np.asarray(value, dtype=float)

"""What a step may read from the surface beyond the gradient, on request (a spec's ``needs``).

The idea is optax's "extra args": most rules see only ``g``; a curvature-aware rule declares
``needs=("hessian",)`` and its step receives the exact Hessian as a keyword. Terms:

* ``"value"``: ``f`` (N,), the value at the current point (a data surface's full-data value,
  also in mini-batch runs);
* ``"hessian"``: ``hessian`` (N, 2, 2), the exact Hessian at the current point
  (:meth:`landscapes.Landscape.value_grad_hess`; full data on data surfaces);
* ``"min_value"``: ``f_star``, the surface's known minimum value f*, or None where it has none.
"""

from __future__ import annotations

TERMS = ("value", "hessian", "min_value")


def surface_terms(landscape, p, f, needs: tuple[str, ...]) -> dict:
    """The keywords for a step that ``needs`` these terms, at the points ``p`` (value ``f``)."""
    out = {}
    if "value" in needs:
        out["f"] = f
    if "hessian" in needs:
        out["hessian"] = landscape.value_grad_hess(p)[2]
    if "min_value" in needs:
        out["f_star"] = getattr(landscape, "min_value", None)
    return out

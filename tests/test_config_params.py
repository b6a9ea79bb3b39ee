"""A link whose optimizer 'params' is not a mapping names the field (it used to escape as an
AttributeError, shown to the viewer only as "(AttributeError)")."""

from __future__ import annotations

import pytest

from ui.config import check


@pytest.mark.parametrize("params", [[1, 2], "lr=0.1", 3])
def test_optimizer_params_that_are_not_a_mapping_are_named(params):
    with pytest.raises(ValueError, match=r"optimizer 'adam': 'params' must be a mapping"):
        check({"surface": "rosenbrock", "optimizers": [{"name": "adam", "params": params}]})

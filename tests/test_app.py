"""The Streamlit page runs headless (AppTest): default view, another surface, no optimizer."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from landscapes import LANDSCAPES

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def _app() -> AppTest:
    return AppTest.from_file(APP, default_timeout=60).run()


def test_default_page_draws_three_optimizers():
    at = _app()
    assert not at.exception
    assert at.multiselect(key="optimizers").value == ["momentum", "rmsprop", "adam"]
    assert len(at.get("plotly_chart")) == 2


@pytest.mark.parametrize("surface", list(LANDSCAPES))
def test_every_surface_renders(surface):
    at = _app()
    at.selectbox(key="surface").set_value(surface).run()
    assert not at.exception


def test_no_optimizer_selected_still_draws_the_surface():
    at = _app()
    at.multiselect(key="optimizers").set_value([]).run()
    assert not at.exception and len(at.get("plotly_chart")) == 2

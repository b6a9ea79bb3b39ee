"""Typed formulas on the page (AppTest): formulas that once stalled the server process, or
escaped with another exception type, get the parser's message in the page's error box; the
text stays to be fixed; a formula whose gradient is too much work per step is refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "app.py")
PRODUCT = "*".join(f"(x+{i})" for i in range(1, 60))  # 403 characters


@pytest.mark.parametrize(("text", "message"), [
    ("exp(exp(exp(100*(x/x))))", "too large"),       # ran forever in the server process
    ("sinh(x*y/sin(pi)/y)", "Division by zero"),      # TypeError escaped
    ("х**2 + y", "did you mean Latin x?"),            # a Cyrillic х
    (PRODUCT, "array operations per step"),           # 14–19 s at 8 paths × 2000 steps
])
def test_a_formula_that_stalled_or_escaped_gets_its_message(text, message):
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.selectbox(key="surface").set_value("custom").run()
    at.text_input(key="formula").set_value(text).run()
    assert not at.exception, at.exception
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and "can't be drawn" in errors[0], errors
    assert message in errors[0] or "took longer than" in errors[0], errors
    assert at.text_input(key="formula").value == text


def test_abs_of_a_root_is_drawn():
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.selectbox(key="surface").set_value("custom").run()
    at.text_input(key="formula").set_value("abs(sqrt(x)) + y**2").run()
    assert not at.exception and not at.error, [e.value for e in at.error]

"""bench/load.py's simulated student, against the page's real widgets (AppTest): every change it
makes must be one the page has, whatever view a preset left it in."""

from __future__ import annotations

import importlib.util
import random
import sys
from pathlib import Path

from streamlit.proto.WidgetStates_pb2 import WidgetStates
from streamlit.testing.v1 import AppTest

from ui import keys

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("load_driver", ROOT / "bench" / "load.py")
load = sys.modules["load_driver"] = importlib.util.module_from_spec(_spec)  # its dataclasses look it up
_spec.loader.exec_module(load)


def _page(preset: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.selectbox(key=keys.PRESET).set_value(preset).run()  # as a student picks it: on_change loads it
    assert not at.exception and not at.error
    return at


class _Tab:
    """The driver's view of a page: its widgets by user key (here: the run length only)."""

    def __init__(self, widgets: dict):
        self.widgets = widgets


def test_a_run_length_in_epochs_is_moved_with_the_epochs_box():
    """The mini-batch preset measures its run in epochs: there is no Steps slider, and the
    driver moves the Epochs number (it stopped with KeyError 'steps' before)."""
    at = _page("sgd-batch-size")
    epochs = at.number_input(key=keys.EPOCHS)
    assert not [s for s in at.slider if s.key == keys.STEPS]
    before = epochs.value
    tab = _Tab({keys.EPOCHS: ("number_input", epochs.proto)})
    [state] = load._slider(tab, random.Random(0))
    assert state.id == epochs.proto.id and abs(state.double_value - before) == 1
    widgets = [w for w in at._tree.get_widget_states().widgets if w.id != state.id] + [state]
    at._run(WidgetStates(widgets=widgets))
    assert not at.exception and not at.error
    assert at.number_input(key=keys.EPOCHS).value == state.double_value

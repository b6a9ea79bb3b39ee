"""The production configuration (.streamlit/config.toml) a shared server runs with: every
option is one Streamlit knows, and the settings a class server needs are there."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from streamlit import config as st_config

CONFIG = Path(__file__).resolve().parents[1] / ".streamlit" / "config.toml"

REQUIRED = {
    "server.headless": True,
    "server.address": "127.0.0.1",          # only the reverse proxy faces the network
    "server.fileWatcherType": "none",
    "server.runOnSave": False,
    "server.enableXsrfProtection": True,
    "server.enableWebsocketCompression": True,
    "browser.gatherUsageStats": False,
    "client.showErrorDetails": "none",      # no exception text in front of viewers
    "client.toolbarMode": "viewer",
    "runner.postScriptGC": False,           # a full collection per rerun stalled every session
}


def _options() -> dict:
    table = tomllib.loads(CONFIG.read_text())
    return {f"{section}.{key}": value for section, keys in table.items() for key, value in keys.items()}


def test_every_option_is_one_streamlit_knows():
    known = set(st_config._config_options_template)
    unknown = sorted(set(_options()) - known)
    assert not unknown, unknown


@pytest.mark.parametrize(("option", "value"), REQUIRED.items())
def test_the_class_server_settings_are_set(option, value):
    assert _options().get(option) == value


def test_uploads_and_messages_are_bounded():
    options = _options()
    assert options["server.maxUploadSize"] <= 1  # the page has no uploader
    assert options["server.maxMessageSize"] <= 50

"""Several app processes behind nginx (`make serve`, deploy/serve.sh): two browser sessions
are served through the proxy at once, each over its own websocket (the page draws only if
the upgrade works), nginx keeps each browser on one process, and `stop` ends every process
the script started. Needs nginx (apt-get install nginx-light) besides the browser test's
needs; skips without it, unless OPTIVIZ_REQUIRE_BROWSER=1 (CI)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .processes import alive as _alive
from .test_browser import _DRAWN_JS, _ERRORS, TIMEOUT_MS, VIEWPORT, _free_port, _unavailable, browser  # noqa: F401

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[1]
PROCESSES = 2


@pytest.fixture(scope="module")
def proxy(browser, tmp_path_factory):  # noqa: F811 (the browser fixture from test_browser)
    if shutil.which("nginx") is None:
        _unavailable("nginx is missing (apt-get install nginx-light)")
    run_dir = tmp_path_factory.mktemp("serve")
    env = {**os.environ, "OPTIVIZ_PROCESSES": str(PROCESSES), "OPTIVIZ_RUN_DIR": str(run_dir),
           "OPTIVIZ_LISTEN": f"127.0.0.1:{_free_port()}", "OPTIVIZ_FIRST_PORT": str(_free_port()),
           "PY": sys.executable}
    script = str(ROOT / "deploy" / "serve.sh")
    started = subprocess.run([script, "start"], env=env, capture_output=True, text=True, timeout=180)
    try:
        assert started.returncode == 0, started.stdout + started.stderr
        yield env["OPTIVIZ_LISTEN"], run_dir
    finally:
        pids = [int(p.read_text()) for p in run_dir.glob("*.pid")]
        subprocess.run([script, "stop"], env=env, timeout=60, check=True)
        assert pids and not list(run_dir.glob("*.pid"))
        for pid in pids:  # stop waits for nothing: give each a moment to exit
            for _ in range(100):
                if not _alive(pid):
                    break
                time.sleep(0.1)
            assert not _alive(pid), f"process {pid} still runs after stop"


def test_two_browser_sessions_are_served_through_the_proxy(browser, proxy):  # noqa: F811
    listen, run_dir = proxy
    contexts = [browser.new_context(viewport=VIEWPORT) for _ in range(2)]  # separate cookies
    try:
        pages = [c.new_page() for c in contexts]
        for page in pages:  # both open before either is awaited: served at the same time
            page.goto(f"http://{listen}/", timeout=TIMEOUT_MS)
        for page in pages:  # two cold processes build their first page at once: allow for both
            page.wait_for_function(_DRAWN_JS, timeout=2 * TIMEOUT_MS)
            assert page.locator(_ERRORS).count() == 0
    finally:
        for context in contexts:
            context.close()
    for _ in range(100):  # nginx logs a websocket when it closes
        log = (run_dir / "access.log").read_text().splitlines()
        upgrades = [line for line in log if "/_stcore/stream" in line and " 101 " in line]
        if len(upgrades) >= 2:
            break
        time.sleep(0.1)
    assert len(upgrades) >= 2, log  # one websocket per session, through nginx
    upstreams = (run_dir / "upstreams.conf").read_text().split()
    assert len([u for u in upstreams if u.startswith("127.0.0.1:")]) == PROCESSES


def _load(listen: str, *args: str) -> str:
    """bench/load.py's report of a run through the proxy, which must end without an error."""
    out = subprocess.run([sys.executable, str(ROOT / "bench" / "load.py"), "--url", f"http://{listen}",
                          *args], capture_output=True, text=True, timeout=240, cwd=ROOT,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert out.returncode == 0, out.stdout + out.stderr
    assert "\n0 errors" in out.stdout, out.stdout
    return out.stdout


def test_ten_students_for_thirty_seconds_through_the_proxy_without_an_error(proxy):
    """The short load test (bench/load.py): 10 websocket sessions, each a student moving
    sliders, adding optimizers, loading presets and typing formulas with a think time,
    through nginx, for 30 s; any error (a dropped connection, an exception or the page's
    "unexpected" note, a request that is never answered) fails it."""
    listen, _ = proxy
    _load(listen, "--sessions", "10", "--seconds", "30", "--think", "2")


def test_a_burst_of_visitors_opening_one_link_all_get_the_page(proxy):
    listen, _ = proxy
    assert "burst of 10: 10 pages" in _load(listen, "--burst", "--sessions", "10", "--seconds", "120")


def test_students_beside_one_typing_slow_formulas_are_served_without_an_error(proxy):
    listen, _ = proxy
    out = _load(listen, "--hostile", "--sessions", "4", "--seconds", "20", "--think", "2")
    assert re.search(r"hostile session: [1-9]\d* slow formulas", out), out

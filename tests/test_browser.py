"""The report in a real browser: headless Debian Chromium loads it (file://, no network), the timeline
chart and the tables are in the rendered DOM, and a screenshot is saved (test-artifacts/report.png)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from flows.report import write_report
from tasks.storage import Warehouse

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parent.parent
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


def _chromium() -> str:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        pytest.fail("Debian's chromium is not installed: .ci/run installs it (apt-get install chromium)")
    return exe


def test_report_renders_in_headless_chromium(seed_run, tmp_path):
    report = Path(write_report(Warehouse(str(seed_run[0])), None, str(tmp_path / "report.html")))
    exe = _chromium()
    base = [exe, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1200,1600"]
    dom = subprocess.run([*base, "--dump-dom", report.as_uri()], capture_output=True, text=True, timeout=120)
    assert dom.returncode == 0, dom.stderr[-2000:]
    html = dom.stdout
    assert '<svg xmlns="http://www.w3.org/2000/svg" id="timeline"' in html
    assert html.count("<circle") >= 10
    for cls in ("summary", "actor-matrix", "events", "documents", "versions"):
        assert f'class="{cls}"' in html, cls
    out_dir = ROOT / "test-artifacts"
    out_dir.mkdir(exist_ok=True)
    shot = out_dir / "report.png"
    shot.unlink(missing_ok=True)
    run = subprocess.run([*base, f"--screenshot={shot}", report.as_uri()], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    assert shot.exists() and shot.stat().st_size > 20_000  # a rendered page, not a blank one

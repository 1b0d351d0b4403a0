"""Test setup: Prefect offline and quiet in a temporary PREFECT_HOME; shared seed-run fixtures."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

_HOME = tempfile.mkdtemp(prefix="newslake-prefect-")
os.environ["PREFECT_HOME"] = _HOME
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ["PREFECT_LOGGING_TO_API_ENABLED"] = "false"
# The ephemeral API gets 20 s to start by default; a loaded 2-core CI machine can need more.
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
# A `newslake run` subprocess leaves its temporary API up for the next one; in tests for 20 s only.
os.environ.setdefault("NEWSLAKE_API_LINGER_S", "20")
# Measured: an *empty* PREFECT_API_URL makes Prefect's events client fail; unset means ephemeral mode.
if os.environ.get("PREFECT_API_URL", None) == "":
    del os.environ["PREFECT_API_URL"]

SEEDS = ROOT / "seeds"
GOLD = ROOT / "tests" / "gold"
DATA = ROOT / "tests" / "data"
RUN_DATE = "2026-11-21"  # the gold events' reference date


def pytest_sessionfinish(session, exitstatus):
    shutil.rmtree(_HOME, ignore_errors=True)


@pytest.fixture(scope="session")
def seed_run(tmp_path_factory):
    """One real flow run over seeds/ into a fresh warehouse (shared: each ephemeral Prefect start costs ~10 s)."""
    from flows.pipeline import news_pipeline

    wh = tmp_path_factory.mktemp("wh") / "warehouse"
    summary = news_pipeline(inputs=[str(SEEDS)], warehouse=str(wh), run_date=RUN_DATE)
    return wh, summary

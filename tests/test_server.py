"""The real thing: a local `prefect server start`, `newslake serve` with a short interval schedule, a
manual trigger with parameters (`prefect deployment run ... -p ...`), then the tables.

Marked `server` (the default `pytest` run skips it; `.ci/run` runs it with `-m server`).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import RUN_DATE, SEEDS

from tasks.storage import Warehouse

pytestmark = pytest.mark.server
BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_http(url: str, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise TimeoutError(f"{url} did not answer within {timeout_s} s")


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


@pytest.fixture
def prefect_server(tmp_path):
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(
        PREFECT_HOME=str(tmp_path / "prefect-home"),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_SERVER_API_PORT=str(port),  # `--port` alone would leave the UI pointing at 4200
        PREFECT_SERVER_API_HOST="127.0.0.1",
    )
    log = open(tmp_path / "server.log", "w")  # noqa: SIM115
    proc = subprocess.Popen(
        [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    try:
        _wait_http(f"http://127.0.0.1:{port}/api/health", 120)
        client_env = {**env, "PREFECT_API_URL": f"http://127.0.0.1:{port}/api"}
        yield client_env
    finally:
        _stop(proc)
        log.close()


def test_serve_schedule_and_manual_trigger_with_parameters(prefect_server, tmp_path):
    env = prefect_server
    inputs = tmp_path / "in"
    shutil.copytree(SEEDS, inputs)
    scheduled_wh = tmp_path / "scheduled"
    manual_wh = tmp_path / "manual"
    serve_log = open(tmp_path / "serve.log", "w")  # noqa: SIM115
    serve = subprocess.Popen(
        [str(BIN / "newslake"), "serve", "--interval", "30", "--input", str(inputs), "--warehouse", str(scheduled_wh)],
        env=env, stdout=serve_log, stderr=subprocess.STDOUT, start_new_session=True, cwd=tmp_path,
    )
    try:
        # the deployment appears with its interval schedule
        deadline = time.monotonic() + 120
        while True:
            out = subprocess.run([str(BIN / "prefect"), "deployment", "inspect", "news-pipeline/newslake"], env=env, capture_output=True, text=True)
            if out.returncode == 0:
                break
            assert time.monotonic() < deadline, out.stdout + out.stderr
            time.sleep(1)
        assert "'interval': 30.0" in out.stdout, out.stdout
        # a manual trigger with parameters, watched to completion
        run = subprocess.run(
            [
                str(BIN / "prefect"), "deployment", "run", "news-pipeline/newslake",
                "-p", f"warehouse={manual_wh}", "-p", f"run_date={RUN_DATE}",
                "--watch", "--watch-timeout", "300",
            ],
            env=env, capture_output=True, text=True, timeout=360,
        )
        assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
        assert "Completed" in run.stdout
        wh = Warehouse(str(manual_wh))
        assert wh.read("documents").num_rows == 5
        r = wh.run()
        assert json.loads(r["params"])["run_date"] == RUN_DATE and r["flow_run_id"]
        assert wh.read("events").num_rows >= 5
        # the interval schedule fires on its own into the default warehouse
        deadline = time.monotonic() + 150
        while not (Warehouse(str(scheduled_wh)).exists("runs") and Warehouse(str(scheduled_wh)).runs()):
            assert time.monotonic() < deadline, (tmp_path / "serve.log").read_text()[-3000:]
            time.sleep(2)
        assert Warehouse(str(scheduled_wh)).read("documents").num_rows == 5
    finally:
        _stop(serve)
        serve_log.close()


def test_serve_without_server_fails_with_a_clear_reason(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    proc = subprocess.run([str(BIN / "newslake"), "serve", "--warehouse", str(tmp_path)], env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert "prefect server start" in proc.stderr and len(proc.stderr.strip().splitlines()) == 1

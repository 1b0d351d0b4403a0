"""The temporary Prefect API a `newslake run` leaves up for the next run: which API a run uses
(configured, recorded, new), leases, and (slow) two real runs sharing one server that then stops."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import ROOT, SEEDS

from flows import deploy
from flows.cli import main


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    h = tmp_path / "home"
    h.mkdir()
    monkeypatch.setenv("PREFECT_HOME", str(h))
    for k in ("PREFECT_API_URL", "PREFECT_PROFILE", "PREFECT_PROFILES_PATH"):
        monkeypatch.delenv(k, raising=False)
    return h


@pytest.mark.parametrize(("raw", "seconds"), [("", deploy.API_LINGER_S), ("0", 0.0), ("2.5", 2.5), ("-3", 0.0)])
def test_linger_seconds_from_the_environment(raw, seconds, monkeypatch):
    monkeypatch.setenv(deploy.LINGER_ENV, raw)
    assert deploy.api_linger_s() == seconds


def test_a_bad_linger_value_fails_the_run_in_one_line(home, monkeypatch, capsys):
    monkeypatch.setenv(deploy.LINGER_ENV, "ten")
    assert main(["run", "--warehouse", str(home / "wh")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"newslake: {deploy.LINGER_ENV} must be a number of seconds (0: no lingering API), got 'ten'"]


def test_configured_api_comes_from_the_environment_or_the_active_profile(home, monkeypatch):
    assert deploy.configured_api_url() is None
    (home / "profiles.toml").write_text(
        'active = "local"\n[profiles.local]\nPREFECT_API_URL = "http://127.0.0.1:4200/api"\n[profiles.other]\n'
    )
    assert deploy.configured_api_url() == "http://127.0.0.1:4200/api"
    monkeypatch.setenv("PREFECT_PROFILE", "other")
    assert deploy.configured_api_url() is None
    monkeypatch.setenv("PREFECT_API_URL", "http://example.invalid:1/api")
    assert deploy.configured_api_url() == "http://example.invalid:1/api"


def test_stale_leases_are_dropped_and_live_ones_kept(home):
    state = deploy.api_state_dir()
    (state / "leases").mkdir(parents=True)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (state / "leases" / f"4321.{dead.pid}").write_text("")
    (state / "leases" / f"4321.{os.getpid()}").write_text(deploy._proc_start(os.getpid()))
    (state / "leases" / f"9999.{os.getpid()}").write_text("")  # another server's lease
    if deploy._proc_start(os.getpid()):  # a recycled pid (other start time) is not this run
        (state / "leases" / f"4321.{os.getppid()}").write_text("1")
    assert deploy.live_leases(state, 4321) == [os.getpid()]
    assert sorted(f.name for f in (state / "leases").iterdir()) == [f"4321.{os.getpid()}", f"9999.{os.getpid()}"]


def test_a_record_of_a_dead_server_is_not_reused(home):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    state = deploy.api_state_dir()
    state.mkdir(parents=True)
    record = state / f"server-{deploy._server_key()}.json"
    record.write_text(json.dumps({"pid": dead.pid, "port": 1, "key": "x", "start": ""}))
    api = deploy.TemporaryApi(linger_s=5)
    assert not api.attach() and not api.reused and not record.exists()
    assert not (state / "leases").exists() or not list((state / "leases").iterdir())


def _flow_runs(api_url: str) -> int:
    req = urllib.request.Request(f"{api_url}/flow_runs/count", data=b"{}", headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return int(json.loads(r.read()))


def _records(home: Path) -> list[Path]:
    """The servers recorded under `home` (each records itself within a poll of answering)."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if found := list((home / "newslake-api").glob("server-*.json")):
            return found
        time.sleep(0.2)
    return []


def _gone(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not deploy._pid_alive(pid):
            return True
        with contextlib.suppress(ChildProcessError):  # our own child: reap it
            os.waitpid(pid, os.WNOHANG)
        time.sleep(0.2)
    return not deploy._pid_alive(pid)


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc")
def test_two_runs_share_one_lingering_api_which_then_stops(tmp_path):
    """A first `newslake run` leaves its API up; a second run uses the same server (both are real,
    recorded flow runs in its database); once no run holds a lease for the linger time, it stops and
    removes its record. `newslake api` lists it meanwhile."""
    env = {k: v for k, v in os.environ.items() if k not in ("PREFECT_API_URL", "NEWSLAKE_PREFECT_API", "PREFECT_PROFILE")}
    env["PREFECT_HOME"] = str(tmp_path / "home")
    # 30 s: long enough for the first run's exit and the second run's start-up on a loaded machine (at
    # 4 s the server had stopped before the second run, or before its record was looked at, at load 12)
    env[deploy.LINGER_ENV] = "30"
    cmd = [sys.executable, "-m", "flows.cli", "run", "--input", str(SEEDS), "--quiet", "--run-date", "2026-11-21"]
    first = subprocess.run([*cmd, "--warehouse", str(tmp_path / "wh1")], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert first.returncode == 0, first.stderr
    records = _records(tmp_path / "home")
    assert len(records) == 1
    info = json.loads(records[0].read_text())
    url = f"http://127.0.0.1:{info['port']}/api"
    try:
        assert deploy._pid_alive(info["pid"]), "the API did not outlive its run"
        assert _flow_runs(url) == 1
        second = subprocess.run([*cmd, "--warehouse", str(tmp_path / "wh2")], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
        assert second.returncode == 0, second.stderr
        assert json.loads(records[0].read_text())["pid"] == info["pid"]  # the same server, not a new one
        assert _flow_runs(url) == 2
        status = subprocess.run([sys.executable, "-m", "flows.cli", "api"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
        assert str(info["pid"]) in status.stdout and str(info["port"]) in status.stdout
        assert _gone(info["pid"], 30 + 60), "the lingering API did not stop once unused"
        assert not records[0].exists()
    finally:
        if deploy._pid_alive(info["pid"]):
            os.kill(info["pid"], 9)


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc")
def test_newslake_api_stop_ends_a_lingering_api(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("PREFECT_API_URL", "NEWSLAKE_PREFECT_API", "PREFECT_PROFILE")}
    env["PREFECT_HOME"] = str(tmp_path / "home")
    env[deploy.LINGER_ENV] = "600"
    code = "from flows.deploy import TemporaryApi; a = TemporaryApi.reuse_or_start(); a.wait_ready(); a.stop(); print(a.port)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    records = _records(tmp_path / "home")
    assert records
    pid = json.loads(records[0].read_text())["pid"]
    try:
        stop = subprocess.run([sys.executable, "-m", "flows.cli", "api", "stop"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
        assert stop.returncode == 0 and f"pid {pid}" in stop.stdout, stop.stdout + stop.stderr
        assert _gone(pid, 30) and not records[0].exists()
    finally:
        if deploy._pid_alive(pid):
            os.kill(pid, 9)


def test_migrations_are_skipped_only_on_a_known_default_database(home, monkeypatch):
    key = deploy._server_key()
    assert not deploy._database_migrated(key)  # no server of this install answered yet
    (deploy.api_state_dir()).mkdir(parents=True)
    (deploy.api_state_dir() / f"migrated-{key}").touch()
    assert not deploy._database_migrated(key)  # ... and the database file is gone
    (home / "prefect.db").write_bytes(b"")
    assert deploy._database_migrated(key)
    assert not deploy._database_migrated("another-prefect-version")
    monkeypatch.setenv("PREFECT_API_DATABASE_CONNECTION_URL", "postgresql+asyncpg://db/prefect")
    assert not deploy._database_migrated(key)  # a configured database is always checked

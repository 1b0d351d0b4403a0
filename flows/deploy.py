"""Scheduled deployment: `newslake serve` serves the news pipeline against a Prefect server.

Schedules and manual triggers need a real Prefect API (`prefect server start`, or Prefect Cloud):
on the ephemeral API a served flow only logs "Cannot schedule flows on an ephemeral server".
"""

from __future__ import annotations

import os
from pathlib import Path

DEPLOYMENT_NAME = "newslake"


class NoPrefectServer(RuntimeError):
    """`serve` was asked for while no PREFECT_API_URL points at a Prefect server."""


def deployment_parameters(inputs: list[str] | None, warehouse: str, run_date: str | None = None) -> dict:
    """Default parameters of the deployment (absolute paths: the serving process's cwd is not the user's)."""
    from flows.pipeline import default_inputs

    params = {
        "inputs": [str(Path(p).resolve()) for p in (inputs or default_inputs())],
        "warehouse": str(Path(warehouse).resolve()) if "://" not in warehouse else warehouse,
    }
    if run_date:
        params["run_date"] = run_date
    return params


def serve(
    inputs: list[str] | None,
    warehouse: str,
    cron: str | None = None,
    interval_s: float | None = None,
    name: str = DEPLOYMENT_NAME,
) -> None:
    """Serve the `news-pipeline` flow as deployment `news-pipeline/<name>` (blocks until interrupted).

    One run at a time (a deployment concurrency limit of 1): a scheduled run never overlaps a manual one. Trigger it by
    hand with `prefect deployment run 'news-pipeline/<name>' -p run_date=2026-11-21 -p full_refresh=true`.
    """
    if not os.environ.get("PREFECT_API_URL"):
        raise NoPrefectServer(
            "newslake serve needs a Prefect server: run `prefect server start` and "
            "`export PREFECT_API_URL=http://127.0.0.1:4200/api` (schedules cannot run on an ephemeral API)"
        )
    import asyncio

    from flows.pipeline import news_pipeline

    runner = _stopping_runner()(name=name)
    runner.add_flow(
        news_pipeline,
        name=name,
        cron=cron,
        interval=interval_s,
        parameters=deployment_parameters(inputs, warehouse),
        concurrency_limit=1,
        description="newslake: scraped news pages -> clean, deduplicated, versioned Delta tables of documents and events",
        tags=["newslake"],
    )
    print(f"serving deployment 'news-pipeline/{name}' on {os.environ['PREFECT_API_URL']} (Ctrl-C or SIGTERM stops)", flush=True)
    asyncio.run(runner.start())
    print("newslake serve: stopped", flush=True)


def _stopping_runner():
    """Prefect's Runner, stopping cleanly on SIGTERM and SIGINT.

    Prefect's own SIGTERM handler calls `Runner.stop()` from inside the running event loop, where it
    only creates the `astop()` coroutine and drops it ("coroutine 'Runner.astop' was never awaited")
    before `sys.exit`. Here both signals schedule `astop()` on the loop: the polling loops are
    cancelled, the runner's context exits (its client closed) and `serve` returns.
    """
    import asyncio
    import signal

    from prefect.runner import Runner

    class StoppingRunner(Runner):
        def handle_sigterm(self, *args: object, **kwargs: object) -> None:
            self._stop_soon()

        def _stop_soon(self) -> None:
            if getattr(self, "_stopping_soon", False) or not self.started:
                return
            self._stopping_soon = True
            loop = asyncio.get_running_loop()
            # from a signal handler: call_soon_threadsafe wakes the loop up (a plain create_task
            # would wait until the loop's next poll ends)
            loop.call_soon_threadsafe(lambda: loop.create_task(self.astop()))

        async def start(self, *args: object, **kwargs: object) -> None:
            asyncio.get_running_loop().add_signal_handler(signal.SIGINT, self._stop_soon)
            await super().start(*args, **kwargs)

    return StoppingRunner

# --- the local Prefect API of a `newslake run` -------------------------------------------------

# Where the time of a small run went with Prefect's own ephemeral mode (seeds, bench/bench_startup.py):
# importing the pipeline (Prefect itself ~2 s) and then starting the temporary API server, whose
# process spends ~4 s importing Prefect's server before it answers, one after the other. Started
# here as the CLI's first act, the server boots on the second core while this process imports and
# validates; and it stays up for the next run (API_LINGER_S idle), which then skips the boot. The
# flow run is the same real Prefect flow run against a real API in every case.
API_START_TIMEOUT_S = 120.0
API_LINGER_S = 600.0
LINGER_ENV = "NEWSLAKE_API_LINGER_S"
UVICORN_STARTUP_FAILURE = 3  # uvicorn's exit code when it cannot bind (the port was taken meanwhile)
PARENT_POLL_S = 0.5
PACKAGE_ROOT = Path(__file__).resolve().parent.parent


def api_linger_s() -> float:
    """Seconds a run's temporary API stays up, idle, for the next run (`NEWSLAKE_API_LINGER_S`,
    default 600; 0: it stops with its run). ValueError names the variable when it is not a number."""
    raw = os.environ.get(LINGER_ENV, "").strip()
    if not raw:
        return API_LINGER_S
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{LINGER_ENV} must be a number of seconds (0: no lingering API), got {raw!r}") from None
    return max(0.0, value) if value == value else API_LINGER_S  # NaN: the default


def prefect_home() -> Path:
    """Prefect's home (its database, profiles), as Prefect resolves it, without importing Prefect."""
    return Path(os.environ.get("PREFECT_HOME") or "~/.prefect").expanduser()


def _active_profile() -> dict:
    """The settings of Prefect's active profile (`profiles.toml`), without importing Prefect."""
    import tomllib

    path = Path(os.environ.get("PREFECT_PROFILES_PATH") or prefect_home() / "profiles.toml").expanduser()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    name = os.environ.get("PREFECT_PROFILE") or data.get("active") or "ephemeral"
    profile = data.get("profiles", {}).get(name, {})
    return profile if isinstance(profile, dict) else {}


def configured_api_url() -> str | None:
    """The Prefect API the user configured: `PREFECT_API_URL`, else the active profile's (None: none;
    `newslake run` then uses its own temporary API)."""
    return os.environ.get("PREFECT_API_URL") or _active_profile().get("PREFECT_API_URL") or None


def api_state_dir() -> Path:
    """Where the temporary APIs of this Prefect home are recorded (`<PREFECT_HOME>/newslake-api/`)."""
    return prefect_home() / "newslake-api"


def _server_key() -> str:
    """Which runs may share a server: the same Python, Prefect version, newslake checkout and database."""
    import hashlib
    import sys
    from importlib.metadata import version

    profile = _active_profile()
    parts = [sys.executable, version("prefect"), str(PACKAGE_ROOT), str(prefect_home().resolve())]
    parts += [os.environ.get(k) or str(profile.get(k) or "") for k in _DB_URL_SETTINGS]
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:16]


class _StateLock:
    """An exclusive lock over the state directory (leases, server records), via flock."""

    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / "lock"
        self.fh = None

    def __enter__(self) -> _StateLock:
        import fcntl

        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.fh = open(self.path, "a")  # noqa: SIM115 - held until __exit__
        fcntl.flock(self.fh, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.fh is not None
        self.fh.close()  # releases the flock


def _can_linger() -> bool:
    import importlib.util

    return importlib.util.find_spec("fcntl") is not None  # POSIX; elsewhere the API stops with its run


def _proc_stat(pid: int) -> list[str]:
    """Fields of /proc/PID/stat after the command name (Linux), [] elsewhere."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return []


def _proc_start(pid: int) -> str:
    """The process's start time in clock ticks since boot (Linux), '' elsewhere: tells a recycled pid."""
    stat = _proc_stat(pid)
    return stat[19] if len(stat) > 19 else ""


def _pid_alive(pid: int, start: str = "") -> bool:
    """Whether process `pid` runs (a zombie does not), and is the one started at `start` if given."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    stat = _proc_stat(pid)
    if stat and stat[0] in ("Z", "X"):
        return False
    return not start or not stat or stat[19] == start


def _health(api_url: str, timeout_s: float) -> bool:
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(f"{api_url}/health", timeout=timeout_s) as r:
            return r.status == 200
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return False


def live_leases(state_dir: Path, port: int) -> list[int]:
    """Pids of the runs holding a lease on the server at `port`; stale leases (dead runs) removed.
    Call under the state lock."""
    pids = []
    for f in (state_dir / "leases").glob(f"{port}.*"):
        try:
            pid = int(f.name.split(".", 1)[1])
            start = f.read_text().strip()
        except (OSError, ValueError):
            continue
        if _pid_alive(pid, start):
            pids.append(pid)
        else:
            f.unlink(missing_ok=True)
    return pids


def lingering_servers(state_dir: Path | None = None) -> list[dict]:
    """The temporary API servers recorded under the Prefect home: pid, port, key, leases, alive."""
    import json

    state_dir = state_dir or api_state_dir()
    out = []
    if not state_dir.is_dir():
        return out
    with _StateLock(state_dir):
        for f in sorted(state_dir.glob("server-*.json")):
            try:
                info = json.loads(f.read_text())
                info["alive"] = _pid_alive(int(info["pid"]), str(info.get("start", "")))
                info["leases"] = live_leases(state_dir, int(info["port"]))
            except (OSError, ValueError, KeyError, TypeError):
                continue
            out.append(info)
    return out


def stop_lingering_servers(state_dir: Path | None = None) -> list[int]:
    """SIGTERM every recorded temporary API server of this Prefect home (runs using one keep their
    flow runs: they fail to report, as with any stopped API). Returns the pids signalled."""
    import signal

    state_dir = state_dir or api_state_dir()
    stopped = []
    for info in lingering_servers(state_dir):
        if info["alive"]:
            os.kill(int(info["pid"]), signal.SIGTERM)
            stopped.append(int(info["pid"]))
        (state_dir / f"server-{info['key']}.json").unlink(missing_ok=True)
    return stopped


class TemporaryApi:
    """A local Prefect API server for `newslake run` (the app Prefect's ephemeral mode serves: UI off,
    the Prefect home's database).

    `reuse_or_start()` leases the server an earlier run of this install left running, else starts one
    in the background. A started server stays up `linger_s` seconds once no run holds a lease on it
    (the next run then skips its ~5 s boot); with `linger_s == 0` it stops with its run (SIGTERM on
    `stop()`, and it watches the run's pid: `kill -9` of the run included). A lingering server also
    exits when no live run leases it for `linger_s` (a killed run's lease is stale at once) or when
    its Prefect home is removed.
    """

    def __init__(self, port: int | None = None, linger_s: float | None = None) -> None:
        self.port = port or _free_port()
        self.linger_s = (api_linger_s() if linger_s is None else linger_s) if _can_linger() else 0.0
        self.proc = None
        self.ready = False
        self.reused = False
        self.state_dir = api_state_dir()
        self._leased = False
        self._log = None

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    @classmethod
    def reuse_or_start(cls) -> TemporaryApi:
        api = cls()
        if api.linger_s > 0 and api.attach():
            return api
        return api.start()

    # --- leases -------------------------------------------------------------------------------

    def _lease_file(self) -> Path:
        return self.state_dir / "leases" / f"{self.port}.{os.getpid()}"

    def _take_lease(self) -> None:
        """Call under the state lock."""
        f = self._lease_file()
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text(_proc_start(os.getpid()))
        self._leased = True

    def _drop_lease(self) -> None:
        if self._leased:
            self._lease_file().unlink(missing_ok=True)
            self._leased = False

    def attach(self) -> bool:
        """Lease the running server recorded for this install (same Python, Prefect, checkout and
        database); False when there is none or it does not answer."""
        import json

        record = self.state_dir / f"server-{_server_key()}.json"
        if not record.exists():
            return False
        try:
            with _StateLock(self.state_dir):
                info = json.loads(record.read_text())
                if not _pid_alive(int(info["pid"]), str(info.get("start", ""))):
                    record.unlink(missing_ok=True)
                    return False
                self.port = int(info["port"])
                self._take_lease()  # under the lock: the server cannot decide to exit in between
        except (OSError, ValueError, KeyError, TypeError):
            return False
        if _health(self.api_url, timeout_s=5):
            self.ready = self.reused = True
            return True
        self._drop_lease()
        self.port = _free_port()
        return False

    # --- starting, waiting, stopping ----------------------------------------------------------

    def start(self) -> TemporaryApi:
        import subprocess
        import sys

        env = {**os.environ, "PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1", "PREFECT__SERVER_FINAL": "1"}
        env.pop("PREFECT_API_URL", None)
        # the server process imports this module (wherever the user's cwd is)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (str(PACKAGE_ROOT), env.get("PYTHONPATH")) if p)
        key = _server_key()
        if _database_migrated(key):
            # the Prefect home's database was migrated by an earlier server of this install: Prefect's
            # migration check on start (alembic loading every revision) is skipped, and so is its block
            # registration, which that server did: even when memoized it first imports every installed
            # Prefect collection to hash their block types (prefect-dask and dask.distributed: 0.4-0.7 s
            # of a ~4.5 s boot, idle machine)
            env["PREFECT_API_DATABASE_MIGRATE_ON_START"] = "false"
            env["PREFECT_SERVER_REGISTER_BLOCKS_ON_START"] = "false"
            env["PREFECT_SERVER_MEMOIZE_BLOCK_AUTO_REGISTRATION"] = "false"
        stderr = subprocess.PIPE
        if self.linger_s > 0:
            with _StateLock(self.state_dir):
                self._take_lease()
            # it outlives this process: its errors go to a file, not to a pipe nobody reads later
            self._log = self.state_dir / f"server-{key}.log"
            stderr = open(self._log, "wb")  # noqa: SIM115 - handed to the child
        self.proc = subprocess.Popen(
            [sys.executable, "-c", f"from flows.deploy import serve_temporary_api; serve_temporary_api({self.port}, {os.getpid()}, {self.linger_s!r}, {key!r})"],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            # a lingering server is its own session (a terminal's Ctrl-C or hang-up is not for it);
            # one that stops with its run also gets SIGTERM when the run dies (Linux)
            start_new_session=self.linger_s > 0,
            preexec_fn=None if self.linger_s > 0 else _die_with_parent,
        )
        if stderr is not subprocess.PIPE:
            stderr.close()
        return self

    def _last_error(self) -> str:
        if self._log is not None:
            try:
                lines = self._log.read_text(errors="replace").strip().splitlines()
            except OSError:
                lines = []
        else:
            lines = (self.proc.stderr.read() or b"").decode(errors="replace").strip().splitlines() if self.proc and self.proc.stderr else []
        return lines[-1] if lines else "no message"

    def answers(self) -> bool:
        """Whether the API answers /health now (one short check; a started server that has not
        answered yet is left to `wait_ready`)."""
        if not self.ready and self.proc is not None and self.proc.poll() is None:
            self.ready = _health(self.api_url, timeout_s=0.5)
        return self.ready

    def wait_ready(self, timeout_s: float = API_START_TIMEOUT_S) -> None:
        """Block until the API answers /health (restarting on another port if this one was taken)."""
        import time

        if self.ready:
            return
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc is None:
                raise RuntimeError("Prefect's temporary API was not started")
            code = self.proc.poll()
            if code == UVICORN_STARTUP_FAILURE:  # address already in use
                self._drop_lease()
                self.port = _free_port()
                self.start()
                continue
            if code is not None:
                raise RuntimeError(f"Prefect's temporary API exited with code {code}: {self._last_error()}")
            if _health(self.api_url, timeout_s=2):
                self.ready = True
                return
            time.sleep(0.05)
        raise RuntimeError(f"Prefect's temporary API did not answer within {timeout_s:.0f} s")

    def stop(self) -> None:
        """Flush what this process still sends to the API (logs, events); then release the server
        (a lingering one stays up for the next run) or stop it."""
        import sys

        if self.proc is None and not self.reused:
            return
        try:
            if "prefect" not in sys.modules:  # nothing sent yet (the command failed before the flow)
                raise ImportError
            from prefect.events.worker import EventsWorker
            from prefect.logging.handlers import APILogWorker

            APILogWorker.drain_all(timeout=5)
            EventsWorker.drain_all(timeout=5)
        except Exception:  # nothing to flush, or Prefect never imported
            pass
        keep = self.linger_s > 0 and self.ready
        self._drop_lease()
        if keep or self.proc is None:
            self.proc = None
            self.reused = False
            return
        if not self.ready:
            # still importing (the command failed first): it has served nothing, and SIGTERM waits
            # for the end of its imports (a handler Prefect's import installs) - ~10 s on a busy machine
            self.proc.kill()
        else:
            self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except Exception:
            self.proc.kill()
            self.proc.wait()
        self.proc = None


def serve_temporary_api(port: int, parent_pid: int, linger_s: float = 0.0, key: str = "") -> None:
    """The temporary API's process: uvicorn serving Prefect's server app (the app Prefect's ephemeral
    mode serves) on 127.0.0.1:`port` until SIGTERM. With `linger_s == 0` it also stops once process
    `parent_pid` (the `newslake run` that started it) is gone, however it ended (SIGKILL included);
    otherwise it records itself for later runs (`<PREFECT_HOME>/newslake-api/server-KEY.json`) and
    stops after `linger_s` seconds without a live run's lease. SIGINT is ignored: Ctrl-C in a
    terminal reaches the whole process group, and the run still reports its end to this API."""
    import gc
    import signal

    # The collector is paused while the server imports and starts (as `newslake run`'s start-up:
    # flows.cli.StartUpGc), then frozen and back on for the serving.
    gc.disable()

    import uvicorn

    class Server(uvicorn.Server):
        def handle_exit(self, sig: int, frame: object) -> None:
            if sig != signal.SIGINT:
                super().handle_exit(sig, frame)

        async def startup(self, *args: object, **kwargs: object) -> None:
            await super().startup(*args, **kwargs)
            gc.freeze()
            gc.enable()

    config = uvicorn.Config(
        "prefect.server.api.server:create_app", factory=True, host="127.0.0.1", port=port, log_level="error", lifespan="on"
    )
    server = Server(config)
    if key:
        _mark_migrated_when_started(server, key)
    if linger_s > 0:
        watch_leases(server, port, linger_s, key)
    else:
        watch_parent(parent_pid, _exit_soon)
    server.run()
    if not server.started:
        raise SystemExit(UVICORN_STARTUP_FAILURE)


_DB_URL_SETTINGS = ("PREFECT_API_DATABASE_CONNECTION_URL", "PREFECT_SERVER_DATABASE_CONNECTION_URL")


def _database_migrated(key: str) -> bool:
    """Whether a server with this key (same Prefect version, home, database) answered before, on
    Prefect's default SQLite database, which still exists (a custom database is always checked)."""
    profile = _active_profile()
    if any(os.environ.get(k) or profile.get(k) for k in _DB_URL_SETTINGS):
        return False
    return (api_state_dir() / f"migrated-{key}").exists() and (prefect_home() / "prefect.db").is_file()


def _mark_migrated_when_started(server, key: str, interval_s: float = 0.2) -> None:
    """From a daemon thread: once `server` answers (its start-up migrated the database), say so."""
    import threading
    import time

    def loop() -> None:
        while not server.started:
            time.sleep(interval_s)
        marker = api_state_dir() / f"migrated-{key}"
        try:
            marker.parent.mkdir(parents=True, exist_ok=True)
            marker.touch()
        except OSError:
            pass

    threading.Thread(target=loop, name="newslake-api-migrated", daemon=True).start()


def watch_leases(server, port: int, linger_s: float, key: str, interval_s: float = PARENT_POLL_S) -> None:
    """From a daemon thread: once `server` answers, record it for later runs; stop it (`_exit_soon`)
    after `linger_s` seconds with no live lease on `port`, or when the Prefect home is gone."""
    import json
    import threading
    import time

    state_dir = api_state_dir()
    record = state_dir / f"server-{key}.json"
    me = {"pid": os.getpid(), "port": port, "key": key, "start": _proc_start(os.getpid())}

    def loop() -> None:
        registered = False
        idle_since: float | None = None
        while True:
            time.sleep(interval_s)
            if not state_dir.is_dir():  # the Prefect home was removed (a test's temporary home)
                break
            try:
                with _StateLock(state_dir):
                    if not registered and server.started:
                        record.write_text(json.dumps(me))
                        registered = True
                    if live_leases(state_dir, port):
                        idle_since = None
                        continue
                    now = time.monotonic()
                    idle_since = idle_since if idle_since is not None else now
                    if now - idle_since < linger_s:
                        continue
                    # deciding under the lock: no run can lease this server from here on
                    try:
                        if json.loads(record.read_text()).get("port") == port:
                            record.unlink()
                    except (OSError, ValueError):
                        pass
                    break
            except OSError:
                break
        _exit_soon()

    threading.Thread(target=loop, name="newslake-api-leases", daemon=True).start()


def watch_parent(parent_pid: int, on_gone, interval_s: float = PARENT_POLL_S) -> None:
    """Call `on_gone()` from a daemon thread once this process's parent is no longer `parent_pid`
    (it died: the process was re-parented). PR_SET_PDEATHSIG alone is not enough: it is tied to the
    parent's thread that started the child, is Linux-only, and misses a parent that died before it
    was set."""
    import threading
    import time

    def loop() -> None:
        while os.getppid() == parent_pid:
            time.sleep(interval_s)
        on_gone()

    threading.Thread(target=loop, name="newslake-parent-watch", daemon=True).start()


def _exit_soon() -> None:
    """Stop the server as SIGTERM does (graceful), and exit outright if that takes over 10 s."""
    import signal
    import threading

    os.kill(os.getpid(), signal.SIGTERM)
    timer = threading.Timer(10.0, os._exit, args=(1,))
    timer.daemon = True
    timer.start()


def _die_with_parent() -> None:
    """In the server's process before exec (Linux): SIGTERM it when the CLI process dies, even by
    SIGKILL (with `watch_parent` in the server as the portable backstop)."""
    import contextlib
    import ctypes
    import signal

    with contextlib.suppress(OSError, AttributeError):  # not Linux: the server's parent watch stops it
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _free_port() -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]

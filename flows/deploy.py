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

# --- the temporary Prefect API of a `newslake run` ---------------------------------------------

# Where the time of a small run went with Prefect's own ephemeral mode (seeds, bench/bench_startup.py):
# importing the pipeline (Prefect itself ~2 s) and then starting the temporary API server, whose
# process spends ~4 s importing Prefect's server before it answers, one after the other. Started
# here as the CLI's first act, the server boots on the second core while this process imports and
# validates; the flow run is the same real Prefect flow run against a real API.
API_START_TIMEOUT_S = 120.0


class TemporaryApi:
    """A local Prefect API server (the one Prefect's ephemeral mode starts: same app, UI off, the
    Prefect home's database), started in the background and stopped when the command ends."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or _free_port()
        self.proc = None
        self.ready = False

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    def start(self) -> TemporaryApi:
        import subprocess
        import sys

        env = {**os.environ, "PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1", "PREFECT__SERVER_FINAL": "1"}
        env.pop("PREFECT_API_URL", None)
        # the server process imports this module (wherever the user's cwd is)
        package_root = str(Path(__file__).resolve().parent.parent)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
        self.proc = subprocess.Popen(
            [sys.executable, "-c", f"from flows.deploy import serve_temporary_api; serve_temporary_api({self.port}, {os.getpid()})"],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            preexec_fn=_die_with_parent,
        )
        return self

    def wait_ready(self, timeout_s: float = API_START_TIMEOUT_S) -> None:
        """Block until the API answers /health (restarting on another port if this one was taken)."""
        import time
        import urllib.error
        import urllib.request

        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            assert self.proc is not None
            code = self.proc.poll()
            if code == 3:  # uvicorn: address already in use
                self.port = _free_port()
                self.start()
                continue
            if code is not None:
                err = (self.proc.stderr.read() or b"").decode(errors="replace").strip().splitlines() if self.proc.stderr else []
                raise RuntimeError(f"Prefect's temporary API exited with code {code}: {err[-1] if err else 'no message'}")
            try:
                with urllib.request.urlopen(f"{self.api_url}/health", timeout=2) as r:
                    if r.status == 200:
                        self.ready = True
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.05)
        raise RuntimeError(f"Prefect's temporary API did not answer within {timeout_s:.0f} s")

    def stop(self) -> None:
        """Flush what this process still sends to the API (logs, events), then stop the server."""
        if self.proc is None:
            return
        import sys

        try:
            if "prefect" not in sys.modules:  # nothing sent yet (the command failed before the flow)
                raise ImportError
            from prefect.events.worker import EventsWorker
            from prefect.logging.handlers import APILogWorker

            APILogWorker.drain_all(timeout=5)
            EventsWorker.drain_all(timeout=5)
        except Exception:  # nothing to flush, or Prefect never imported
            pass
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


def serve_temporary_api(port: int, parent_pid: int) -> None:
    """The temporary API's process: uvicorn serving Prefect's server app (the app Prefect's ephemeral
    mode serves) on 127.0.0.1:`port` until SIGTERM, or until process `parent_pid` (the `newslake run`
    that started it) is gone, however it ended (SIGKILL included). SIGINT is ignored: Ctrl-C in a
    terminal reaches the whole process group, and the run still reports its end to this API before
    it stops the server."""
    import signal

    import uvicorn

    watch_parent(parent_pid, _exit_soon)

    class Server(uvicorn.Server):
        def handle_exit(self, sig: int, frame: object) -> None:
            if sig != signal.SIGINT:
                super().handle_exit(sig, frame)

    config = uvicorn.Config(
        "prefect.server.api.server:create_app", factory=True, host="127.0.0.1", port=port, log_level="error", lifespan="on"
    )
    server = Server(config)
    server.run()
    if not server.started:
        raise SystemExit(UVICORN_STARTUP_FAILURE)


UVICORN_STARTUP_FAILURE = 3  # uvicorn's exit code when it cannot bind (the port was taken meanwhile)
PARENT_POLL_S = 0.5


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

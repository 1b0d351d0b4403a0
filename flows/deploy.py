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

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    def start(self) -> TemporaryApi:
        import importlib.util
        import subprocess
        import sys

        spec = importlib.util.find_spec("prefect")
        if spec is None or spec.origin is None:
            raise RuntimeError("Prefect is not installed")
        app_dir = str(Path(spec.origin).resolve().parent.parent)
        env = {**os.environ, "PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1", "PREFECT__SERVER_FINAL": "1"}
        env.pop("PREFECT_API_URL", None)
        self.proc = subprocess.Popen(
            [
                sys.executable, "-m", "uvicorn", "--app-dir", app_dir, "--factory",
                "prefect.server.api.server:create_app", "--host", "127.0.0.1", "--port", str(self.port),
                "--log-level", "error", "--lifespan", "on",
            ],
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
                        return
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.05)
        raise RuntimeError(f"Prefect's temporary API did not answer within {timeout_s:.0f} s")

    def stop(self) -> None:
        """Flush what this process still sends to the API (logs, events), then stop the server."""
        if self.proc is None:
            return
        try:
            from prefect.events.worker import EventsWorker
            from prefect.logging.handlers import APILogWorker

            APILogWorker.drain_all(timeout=5)
            EventsWorker.drain_all(timeout=5)
        except Exception:  # nothing to flush, or Prefect never imported
            pass
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except Exception:
            self.proc.kill()
            self.proc.wait()
        self.proc = None


def _die_with_parent() -> None:
    """In the server's process before exec (Linux): SIGTERM it when the CLI process dies, even by
    SIGKILL, so a killed run leaves no API server behind."""
    import contextlib
    import ctypes
    import signal

    with contextlib.suppress(OSError, AttributeError):  # not Linux: the server is stopped by `stop` only
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _free_port() -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]

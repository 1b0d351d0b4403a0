"""What a user sees of a running `newslake run`: a one-line progress display and the flow's warnings.

`RunProgress` is a logging handler attached to Prefect's flow-run and task-run loggers in the CLI's
process. It reads the flow's own log records (the input listing, each finished batch, each finished
final task) and redraws one status line on an interactive terminal: stage, inputs done / total (when
the total is known: loose files only, not records inside JSONL/WARC files), inputs per second and the
time left. Prefect's console handler stays quiet meanwhile (see `flows/cli.py`); warnings the flow
logs are still shown, as one line each.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from typing import IO

# Stages of a run in order, and the task whose completion ends each of the final ones.
STAGE_STARTING = "starting Prefect"
STAGE_LISTING = "listing inputs"
STAGE_BATCHES = "ingest, clean, dedup signatures, events"
STAGE_DEDUP = "dedup"
STAGE_EVENTS = "merging events"
STAGE_PUBLISH = "publishing tables"
STAGE_DONE = "done"
NEXT_STAGE = {"dedup": STAGE_EVENTS, "merge_events": STAGE_PUBLISH, "publish": STAGE_DONE}

# The flow's log lines this display follows (flows/pipeline.py; tests/test_cli.py runs the flow and
# fails if they drift).
_FILES = re.compile(r"^run \S+: (\d+) input files")
_BATCH = re.compile(r"^batch \d+: (\d+) inputs -> ")


class RunProgress(logging.Handler):
    """Follows a run from its log records; draws on `stream` only when `live` (an interactive terminal)."""

    def __init__(
        self,
        stream: IO[str],
        total: int | None = None,
        live: bool = True,
        clock: Callable[[], float] = time.monotonic,
        min_interval_s: float = 0.1,
    ) -> None:
        super().__init__(logging.INFO)
        self.stream = stream
        self.total = total
        self.live = live
        self.clock = clock
        self.min_interval_s = min_interval_s
        self.started = clock()
        self.work_started: float | None = None  # when the inputs were listed: the rate counts from here
        self.done = 0
        self.files: int | None = None
        self.stage = STAGE_STARTING
        self._drawn = 0.0
        self._width = 0

    # --- following the run --------------------------------------------------------------------

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self.follow(record)
        except Exception:  # a display must never fail the run
            self.handleError(record)

    def follow(self, record: logging.LogRecord) -> None:
        msg = record.getMessage()
        if record.levelno >= logging.WARNING and record.name.startswith("prefect.flow_runs") and not record.exc_info:
            if record.levelno == logging.WARNING:  # errors reach the user as the CLI's one-line failure
                self.clear()
                self.stream.write(f"newslake: warning: {msg.splitlines()[0]}\n")
                self.draw(force=True)
            return
        task = getattr(record, "task_run_name", None)
        if task and msg.startswith("Finished in state"):
            kind = task.rsplit("-", 1)[0]
            if kind in NEXT_STAGE:
                self.stage = NEXT_STAGE[kind]
            elif kind == "ingest" and self.stage in (STAGE_STARTING, STAGE_LISTING):
                self.stage = STAGE_BATCHES
        elif msg.startswith("Beginning flow run") and self.stage == STAGE_STARTING:
            self.stage = STAGE_LISTING
        elif m := _FILES.match(msg):
            self.files = int(m.group(1))
            self.work_started = self.clock()
            self.stage = STAGE_BATCHES
        elif m := _BATCH.match(msg):
            self.done += int(m.group(1))
            self.stage = STAGE_BATCHES
        self.draw()

    # --- drawing ------------------------------------------------------------------------------

    def line(self) -> str:
        """The status line: stage, inputs done (/ total), rate, time left."""
        now = self.clock()
        elapsed = max(1e-6, now - self.started)
        working = max(1e-6, now - (self.work_started if self.work_started is not None else self.started))
        parts = [f"newslake: {self.stage}"]
        if self.done or self.total:
            parts.append(f"{self.done:,}/{self.total:,} inputs" if self.total else f"{self.done:,} inputs")
            rate = self.done / working
            if rate > 0:
                parts.append(f"{rate:,.0f}/s" if rate >= 10 else f"{rate:.1f}/s")
            if self.total and rate > 0 and self.done < self.total:
                parts.append(f"ETA {_duration((self.total - self.done) / rate)}")
        parts.append(_duration(elapsed))
        return " | ".join(parts)

    def draw(self, force: bool = False) -> None:
        if not self.live:
            return
        now = self.clock()
        if not force and now - self._drawn < self.min_interval_s:
            return
        self._drawn = now
        text = self.line()
        self.stream.write("\r" + text.ljust(self._width))
        self._width = len(text)
        self.stream.flush()

    def clear(self) -> None:
        """Remove the status line (before other output, and at the end)."""
        if self.live and self._width:
            self.stream.write("\r" + " " * self._width + "\r")
            self.stream.flush()
            self._width = 0


def _duration(seconds: float) -> str:
    s = int(round(seconds))
    if s < 60:
        return f"{seconds:.1f}s" if seconds < 10 else f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s // 3600}h{s % 3600 // 60:02d}m"

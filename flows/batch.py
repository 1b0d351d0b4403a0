"""One batch through the CPU stages, as plain functions, and the process pool that runs batches.

`process_batch`: raw documents -> clean (with the site boilerplate learned so far) -> MinHash
signatures + event mentions -> the batch's `documents` and `segments` rows as checked Arrow tables.
It imports no Prefect, so a worker process starts in a fraction of a second and a batch crosses the
process boundary as records in and Arrow tables, signatures and mentions out.

`BatchPool`: `workers` processes (forkserver: forked from a clean server process that has imported
the stages once, never from the flow process with its Prefect threads), or the calling thread when
`workers` is 1. A worker that dies (segfault, out of memory) fails only its batch with an error naming
the batch's sources; the pool is replaced so a retry of the batch runs on fresh workers.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import multiprocessing
import os
import pickle
import re
import shutil
import signal
import tempfile
import threading
import time
import weakref
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from tasks import clean as clean_stage
from tasks.config import PipelineConfig
from tasks.ingest import excerpt_of
from tasks.records import RawDoc, Reject, Rejected
from tasks.schema import to_table

if TYPE_CHECKING:
    from tasks import events as events_stage


def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's `malloc_trim`, or None elsewhere (musl, macOS)."""
    try:
        fn = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None
    fn.argtypes, fn.restype = [ctypes.c_size_t], ctypes.c_int
    return fn


_MALLOC_TRIM = _malloc_trim()


def release_memory() -> None:
    """Hand the memory freed since the last call back to the OS: glibc keeps freed heap pages (a
    100k-document run ended its batches holding ~200 MB free in glibc's arenas, twice a 10k run's,
    because the peak of its largest batches stayed mapped), and Arrow's pool keeps freed segments.
    Called between batches and between the final steps, so a run's RSS follows what it holds, not the
    largest transient it ever had. Costs a few milliseconds."""
    pa.default_memory_pool().release_unused()
    if _MALLOC_TRIM is not None:
        _MALLOC_TRIM(0)


class Packed:
    """A list of records pickled by the worker that made them: a batch's index entries and event
    mentions cost ~600 and ~220 bytes per document this way, against ~1,500 and ~1,100 as Python
    objects. The flow process moves both to disk (`Spill`) as each batch is written: index entries in
    run order until dedup turns them into columns, mentions partitioned by merge key."""

    __slots__ = ("blob", "n")

    def __init__(self, items: list) -> None:
        self.blob = pickle.dumps(items, protocol=pickle.HIGHEST_PROTOCOL)
        self.n = len(items)

    def __len__(self) -> int:
        return self.n

    def __getstate__(self) -> tuple[bytes, int]:
        return self.blob, self.n

    def __setstate__(self, state: tuple[bytes, int]) -> None:
        self.blob, self.n = state

    def unpack(self) -> list:
        return pickle.loads(self.blob)


def unpack_all(packs: list[Packed]) -> list:
    """The records of several packs, in order."""
    return [item for p in packs for item in p.unpack()]


class Spill:
    """Records kept on disk, partitioned by a key, for a run's final phase: records that must be
    grouped across the whole run (event mentions by merge key) are appended to one of `parts` files
    as batches finish, and read back one partition at a time, so the run holds one partition of them,
    not all. The files live in a private temporary directory removed by `cleanup()` (or when the
    object is collected)."""

    def __init__(self, parts: int = 64, prefix: str = "newslake-spill-") -> None:
        self.parts = parts
        # the owner's pid in the name: a killed run's directory is reclaimed by the next (`reclaim_spills`)
        self.root = Path(tempfile.mkdtemp(prefix=f"{prefix}{os.getpid()}-"))
        self.n = 0
        self.keys: set = set()  # the partition keys seen, when `add` is given `key_of`
        self._finalizer = weakref.finalize(self, shutil.rmtree, str(self.root), True)

    def __len__(self) -> int:
        return self.n

    def add(self, items: Iterable, part_of: Callable[[Any], int], key_of: Callable[[Any], Any] | None = None) -> None:
        """Append `items`, each to the partition `part_of(item)` (0 .. parts-1); `key_of`: remember
        each item's key in `keys` (small: e.g. the distinct event type/date pairs of a run)."""
        groups: dict[int, list] = defaultdict(list)
        for it in items:
            groups[part_of(it)].append(it)
            if key_of is not None:
                self.keys.add(key_of(it))
        for part, its in groups.items():
            with open(self._file(part), "ab") as fh:
                pickle.dump(its, fh, protocol=pickle.HIGHEST_PROTOCOL)
            self.n += len(its)

    def add_packed(self, part: int, packed: Packed) -> None:
        """Append records already pickled (`Packed`) to partition `part` as they are."""
        with open(self._file(part), "ab") as fh:
            fh.write(packed.blob)
        self.n += len(packed)

    def chunks(self, part: int) -> Iterator[list]:
        """The records of partition `part` as they were added, one added list at a time."""
        path = self._file(part)
        if not path.exists():
            return
        with open(path, "rb") as fh:
            while True:
                try:
                    yield pickle.load(fh)
                except EOFError:
                    return

    def load(self, part: int) -> list:
        """Every record of partition `part`, in the order added."""
        return [it for chunk in self.chunks(part) for it in chunk]

    def cleanup(self) -> None:
        self._finalizer()

    def _file(self, part: int) -> Path:
        return self.root / f"{part:05d}.pkl"


_SPILL_NAME = re.compile(r"^newslake-[a-z]+-(\d+)-")


def reclaim_spills(tmp: str | None = None) -> list[str]:
    """Remove the spill directories (`Spill`) of runs whose process is gone (killed with SIGKILL, so
    no cleanup ran) from the temporary directory; returns what was removed."""
    root = Path(tmp or tempfile.gettempdir())
    removed = []
    for p in root.glob("newslake-*"):
        m = _SPILL_NAME.match(p.name)
        if not m or not p.is_dir() or int(m.group(1)) == os.getpid():
            continue
        try:
            os.kill(int(m.group(1)), 0)
            continue  # its run is alive
        except ProcessLookupError:
            pass
        except PermissionError:
            continue  # another user's live process
        shutil.rmtree(p, ignore_errors=True)
        removed.append(str(p))
    return removed


@dataclass(frozen=True, slots=True)
class BatchResult:
    documents: pa.Table  # `documents` rows of the kept documents
    segments: pa.Table  # `segments` rows
    rejects: list[Reject]  # documents dropped by cleaning (stage "clean")
    entries: tuple[Packed, ...]  # MinHash index entries (dedup.IndexEntry), one per kept document
    mentions: tuple[Packed, ...]  # event mentions (events.Mention) of the kept documents
    doc_ids: list[str]  # kept documents, in input order


class DocumentTimeout(Exception):
    """Raised inside a document's processing when its time limit (`document_timeout_s`) passes."""


@contextmanager
def time_limit(seconds: float | None) -> Iterator[bool]:
    """Raise DocumentTimeout in the block once `seconds` pass (a SIGALRM timer). Yields whether the
    limit is enforced: only in a process's main thread (worker processes, or a direct call), where
    Python delivers signals; in a thread (the flow's process with `--workers 1`) there is no limit."""
    if not seconds or threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield False
        return

    def alarm(signum: int, frame: Any) -> None:
        raise DocumentTimeout

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield True
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _clean_and_extract(
    raw: RawDoc, fingerprints: frozenset[str], cfg: PipelineConfig, run_date: date
) -> tuple[clean_stage.CleanDoc, list[events_stage.Mention]]:
    """The per-document part of a batch: clean, then event mentions (the work a time limit bounds)."""
    from tasks import events as events_stage
    if cfg.slow_source_id and raw.source_id == cfg.slow_source_id:  # fault injection for tests
        time.sleep(cfg.document_timeout_s * 10 + 1)
    doc = clean_stage.clean_document(raw, cfg.clean, fingerprints)
    mentions = events_stage.extract_events([(raw.doc_id, doc.clean_text, doc.published)], run_date, cfg.events.max_year_back)
    return doc, mentions


def stage_loaders() -> list[Callable[[], object]]:
    """The steps that load what `process_batch` needs in a process, in order (each 0.1-0.5 s): the
    event and dedup stages, then their resources (`events.load_resources`). Done once per process;
    `newslake run` takes them while its Prefect API boots."""

    def stages() -> None:
        from tasks import dedup, events  # noqa: F401

    def resources() -> None:
        from tasks import events

        events.load_resources()

    return [stages, resources]


def process_batch(
    raws: list[RawDoc],
    fingerprints: dict[str, frozenset[str]],
    cfg: PipelineConfig,
    run_date: date,
    run_id: str,
    now: datetime,
) -> BatchResult:
    """clean + extract_events per document, then sign + rows, for one batch. `fingerprints`: site ->
    boilerplate block fingerprints (`clean.SiteBoilerplate`); `run_date`: the reference for relative
    dates. A document whose cleaning and event extraction take longer than `document_timeout_s` is
    dropped as a `timeout` reject (with the others of its kind: `empty_after_clean`, ...); the batch
    goes on."""
    # (imported here, not with the module: a run that finds nothing to process never loads the event
    # and dedup stages; the pool's workers have them preloaded)
    from tasks import dedup as dedup_stage
    from tasks import events as events_stage

    kept: list[clean_stage.CleanDoc] = []
    dropped: list[tuple[RawDoc, Rejected]] = []
    mentions: list[events_stage.Mention] = []
    events_stage.load_resources()  # before the per-document time limits: loading is not a document's cost
    for raw in raws:
        try:
            with time_limit(cfg.document_timeout_s):
                doc, ms = _clean_and_extract(raw, fingerprints.get(raw.site_key, frozenset()), cfg, run_date)
        except Rejected as r:
            dropped.append((raw, r))
            continue
        except DocumentTimeout:
            where = raw.origin or raw.source_id
            detail = f"{where}: cleaning and event extraction took longer than document_timeout_s={cfg.document_timeout_s:g}"
            dropped.append((raw, Rejected("timeout", detail)))
            continue
        kept.append(doc)
        mentions.extend(ms)
    entries = dedup_stage.sign(
        (dedup_stage.DedupInput(d.raw.doc_id, d.signed_text, d.published) for d in kept), cfg.dedup
    )
    rejects = [
        Reject(raw.source_id, "clean", r.reason, r.detail, excerpt_of(raw.text), raw.content_sha256)
        for raw, r in dropped
    ]
    return BatchResult(
        documents=to_table("documents", [clean_stage.document_row(d, run_id, now) for d in kept]),
        segments=to_table("segments", [r for d in kept for r in clean_stage.segment_rows(d, run_id)]),
        rejects=rejects,
        entries=(Packed(entries),),
        mentions=(Packed(mentions),),
        doc_ids=[d.raw.doc_id for d in kept],
    )


def concat_results(parts: list[BatchResult]) -> BatchResult:
    """One BatchResult from the results of consecutive chunks of a batch (order kept)."""
    if len(parts) == 1:
        return parts[0]
    return BatchResult(
        documents=pa.concat_tables([p.documents for p in parts]),
        segments=pa.concat_tables([p.segments for p in parts]),
        rejects=[r for p in parts for r in p.rejects],
        entries=tuple(e for p in parts for e in p.entries),
        mentions=tuple(m for p in parts for m in p.mentions),
        doc_ids=[d for p in parts for d in p.doc_ids],
    )


def default_workers() -> int:
    """One worker per core this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


class BatchFailed(RuntimeError):
    """A batch could not be processed; the message is one line naming the batch's sources and why."""


class WorkerDied(BatchFailed):
    """A worker process died while processing a batch (the batch's sources are in the message)."""


class BatchTimeout(BatchFailed, TimeoutError):
    """A batch ran longer than `batch_timeout_s` (its worker was killed)."""


_PR_SET_PDEATHSIG = 1


def _die_with_parent(run_pid: int) -> None:
    """Worker start: exit when the run's process is gone, so a run killed with SIGKILL leaves no
    worker behind (and then no forkserver: it exits once no process holds its pipe). The worker's
    parent is the forkserver, so besides `PR_SET_PDEATHSIG` (Linux) a daemon thread checks the run's
    pid once a second."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        pass

    def watch() -> None:
        while True:
            try:
                os.kill(run_pid, 0)
            except ProcessLookupError:
                os._exit(1)
            except PermissionError:
                pass
            time.sleep(1.0)

    threading.Thread(target=watch, name="newslake-run-watch", daemon=True).start()


class BatchPool:
    """Runs batch functions on `workers` processes, or in the calling thread when `workers` <= 1."""

    def __init__(self, workers: int | None = None) -> None:
        self.workers = default_workers() if workers is None else max(1, workers)
        self._executor: ProcessPoolExecutor | None = None

    def _pool(self) -> ProcessPoolExecutor:
        if self._executor is None:
            ctx = multiprocessing.get_context("forkserver")
            ctx.set_forkserver_preload([__name__, "tasks.dedup", "tasks.events"])  # workers start with the stages imported
            self._executor = ProcessPoolExecutor(max_workers=self.workers, mp_context=ctx, initializer=_die_with_parent, initargs=(os.getpid(),))
        return self._executor

    def run(self, fn: Any, *args: Any, label: str = "batch", timeout: float | None = None) -> Any:
        """`fn(*args)` on a worker (blocking the calling thread until it is done)."""
        return self._gather([(fn, args)], label, timeout)[0]

    def map(self, fn: Any, items: list, *args: Any, label: str = "batch", timeout: float | None = None) -> list:
        """`[fn(item, *args) for item in items]`, the items spread over the workers (each item one job,
        e.g. a chunk of a batch), results in order. `timeout`: seconds for all of them."""
        return self._gather([(fn, (item, *args)) for item in items], label, timeout)

    def _gather(self, jobs: list[tuple[Any, tuple]], label: str, timeout: float | None) -> list:
        if self.workers <= 1:
            return [fn(*args) for fn, args in jobs]
        pool = self._pool()
        futures: list[Future] = [pool.submit(fn, *args) for fn, args in jobs]
        deadline = None if timeout is None else time.monotonic() + timeout
        try:
            return [f.result(timeout=None if deadline is None else max(0.0, deadline - time.monotonic())) for f in futures]
        except TimeoutError as exc:  # a hung batch: its worker is killed with the pool
            self.close(kill=True)
            raise BatchTimeout(f"{label} took longer than {timeout:.0f} s (batch_timeout_s)") from exc
        except BrokenProcessPool as exc:
            if self._executor is pool:  # the first thread to notice replaces the pool
                self._executor = None
                pool.shutdown(wait=False, cancel_futures=True)
            raise WorkerDied(f"{label}: a worker process died (killed, out of memory or crashed): {exc}") from exc

    def close(self, kill: bool = False) -> None:
        """Stop the workers: after their current batch, or at once (`kill`, a failed run)."""
        pool, self._executor = self._executor, None
        if pool is None:
            return
        if kill:
            for proc in list(getattr(pool, "_processes", {}).values()):
                proc.terminate()
        pool.shutdown(wait=not kill, cancel_futures=True)

    def __enter__(self) -> BatchPool:
        return self

    def __exit__(self, exc_type: object, *exc: object) -> None:
        self.close(kill=exc_type is not None)

    def __getstate__(self) -> dict:
        # Handed to a task that runs in another process (processes/Dask task runners): there the
        # batch runs in that process, which is already one of several workers.
        return {"workers": 1}

    def __setstate__(self, state: dict) -> None:
        self.workers = state["workers"]
        self._executor = None

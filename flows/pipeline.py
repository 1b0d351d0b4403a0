"""The main Prefect flow: ingest -> clean -> dedup -> extract_events -> publish, over batches.

Stage logic lives in `tasks/` (pure functions); this module holds the thin @task wrappers and the
flow that orders them. Each task run handles a whole batch (thousands of documents): a Prefect task
run costs ~5 ms, so one per document would dominate the run time.

First a counting pass: the site-boilerplate blocks of every new document of the run, read as a
stream, so that every batch is cleaned with the same learned boilerplate. Then per batch: ingest
(files -> raw records + rejects) in the flow, then
`process_batch` (clean, MinHash signatures, event mentions, rows) on a worker process of the run's
`BatchPool` (one per core), then the batch's documents, segments and quarantine rows are written as it
finishes, so memory stays flat. Up to `workers + 1` batches are in flight; each finished batch leaves
its index entries and its event mentions on disk (the mentions partitioned by merge key).
At the end: dedup over this run's signatures and the stored index (columnar), event merging across
documents and runs one key partition at a time, the derived tables written as streams of chunks, and,
last, one `runs` row recording every table's version.
"""

from __future__ import annotations

import json
import secrets
import time
from collections import Counter, deque
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from itertools import chain
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run as runtime_flow_run

from flows.batch import (
    BatchFailed,
    BatchPool,
    BatchResult,
    Spill,
    WorkerDied,
    concat_results,
    default_workers,
    process_batch,
    reclaim_spills,
    release_memory,
)
from tasks import clean as clean_stage
from tasks import ingest as ingest_stage
from tasks.config import PipelineConfig
from tasks.schema import TABLES, table_chunks, to_table
from tasks.storage import Warehouse, WarehouseError, dedupe_on_keys

TASK_RUNNERS = ("threads", "processes", "dask")


class _Stage:
    """A stage module imported on first use. The event, entity and dedup stages (~15% of this
    module's import, their regexes compiled at import) are needed only by a run with documents to
    process: an unchanged re-run never loads them."""

    def __init__(self, name: str) -> None:
        self._name = name

    def __getattr__(self, attr: str) -> Any:
        import importlib

        value = getattr(importlib.import_module(self._name), attr)
        setattr(self, attr, value)  # later lookups find it here
        return value


dedup_stage = _Stage("tasks.dedup")
entities_stage = _Stage("tasks.entities")
events_stage = _Stage("tasks.events")


def make_task_runner(kind: str = "threads", workers: int | None = None, dask_address: str | None = None):
    """The Prefect task runner for the batch tasks: `threads` (default; I/O overlaps CPU), `processes`
    (every core busy on CPU stages), or `dask` (prefect-dask: a LocalCluster of `workers` processes,
    or the cluster at `dask_address`, e.g. tcp://scheduler:8786; the warehouse must then be on storage
    every worker reaches)."""
    from prefect.task_runners import ProcessPoolTaskRunner, ThreadPoolTaskRunner

    if kind == "threads":
        return ThreadPoolTaskRunner(max_workers=workers or 4)
    if kind == "processes":
        return ProcessPoolTaskRunner(max_workers=workers or default_workers())
    if kind == "dask":
        try:
            from prefect_dask import DaskTaskRunner
        except ImportError as exc:
            raise RuntimeError("--task-runner dask needs prefect-dask: pip install -e '.[dask]'") from exc
        if dask_address:
            return DaskTaskRunner(address=dask_address)
        return DaskTaskRunner(
            cluster_kwargs={
                "n_workers": workers or 2,
                "threads_per_worker": 1,
                "processes": True,
                "dashboard_address": None,
            }
        )
    raise ValueError(f"unknown task runner {kind!r}; choose one of {', '.join(TASK_RUNNERS)}")


PIPELINE_TABLES = (
    "documents",
    "segments",
    "quarantine",
    "duplicates",
    "dedup_index",
    "events",
    "event_mentions",
    "entities",
    "boilerplate",
    "inputs",
    "input_files",
)


# Written only in a run's final phase, under the warehouse lock, just before its `runs` row.
FINAL_TABLES = ("event_mentions", "events", "duplicates", "boilerplate", "dedup_index", "entities", "inputs", "input_files")


class RejectBudgetExceeded(RuntimeError):
    """More inputs were rejected than `max_reject_share` allows (quarantine is written first)."""


def default_inputs() -> list[str]:
    """`seeds/` in the working directory, else the seeds shipped next to the package (editable install)."""
    here = Path("seeds")
    if here.is_dir():
        return [str(here)]
    shipped = Path(__file__).resolve().parent.parent / "seeds"
    return [str(shipped)]


def new_run_id(now: datetime) -> str:
    return now.strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(3)


def plan_batches(items: Iterable, batch_size: int, max_batch_bytes: int = 64_000_000) -> Iterator[list]:
    """Group the input stream (files, JSONL/WARC records, stream rejects) into batches of at most
    `batch_size` items / `max_batch_bytes` bytes, lazily: a 10 GB JSONL file is never in memory."""
    batch: list = []
    size = 0
    for it in items:
        n = getattr(it, "size", 0)
        if batch and (len(batch) >= batch_size or size + n > max_batch_bytes):
            yield batch
            batch, size = [], 0
        batch.append(it)
        size += n
    if batch:
        yield batch


@dataclass(slots=True)
class RunState:
    """What a run accumulates across batches: index entries and event mentions on disk (spills),
    counts and the site-boilerplate counts in memory (bounded)."""

    boilerplate: clean_stage.SiteBoilerplate
    index: Spill = field(default_factory=lambda: Spill(1, "newslake-index-"))  # dedup.IndexEntry, in run order
    mentions: Spill = field(default_factory=lambda: Spill(MENTION_PARTS, "newslake-mentions-"))  # by merge key
    counts: Counter = field(default_factory=Counter)
    quarantine_reasons: Counter = field(default_factory=Counter)
    changed_doc_ids: set[str] = field(default_factory=set)  # stored by an earlier run, content changed
    inputs: list[ingest_stage.InputDone] = field(default_factory=list)  # JSONL/WARC files read whole
    file_stats: list[ingest_stage.FileStat] = field(default_factory=list)  # new `input_files` rows
    restore: set[str] = field(default_factory=set)  # documents rewritten as they were: index and mentions stand

    def add_batch(self, written: dict, unchanged: int = 0, rederived: bool = False) -> None:
        """Count a written batch (with its `unchanged` inputs; `rederived`: stored documents cleaned
        again, not inputs) and keep what the final phase needs of it on disk: its index entries (in
        run order) and its event mentions (partitioned by merge key). Then the memory the batch freed
        goes back to the OS, so the run's RSS stays flat."""
        if rederived:
            self.counts.update({"rederived": written["documents"], "documents_updated": written["documents_updated"]})
        else:
            self.counts.update(
                {
                    "records_in": written["documents"] + written["quarantined"] + unchanged,
                    "unchanged": unchanged,
                    "documents": written["documents"],
                    "quarantined": written["quarantined"],
                    "documents_inserted": written["documents_inserted"],
                    "documents_updated": written["documents_updated"],
                }
            )
        restore = self.restore
        for packed in written["entries"]:
            if restore:
                self.index.add((e for e in packed.unpack() if e.doc_id not in restore), lambda _: 0)
            else:
                self.index.add_packed(0, packed)
        for packed in written["mentions"]:
            ms = packed.unpack()
            self.mentions.add([m for m in ms if m.doc_id not in restore] if restore else ms, _mention_partition, events_stage.mention_key)
        self.changed_doc_ids.update(d for d in written["changed"] if d not in restore)
        self.quarantine_reasons.update(written["reasons"])
        release_memory()

    def cleanup(self) -> None:
        """Remove the run's spill files."""
        self.index.cleanup()
        self.mentions.cleanup()


# Mentions are merged into events one key partition at a time: 64 partitions hold ~1.6k mentions each
# at 100k documents (one partition in memory at a time instead of all).
MENTION_PARTS = 64


def _mention_partition(m: events_stage.Mention) -> int:
    return events_stage.key_partition(events_stage.mention_key(m), MENTION_PARTS)


def _event_partition(e: events_stage.Event) -> int:
    return events_stage.key_partition(events_stage.event_key(e), MENTION_PARTS)


class Payload:
    """An opaque holder for a batch's records passed between tasks.

    Prefect walks task inputs and results that are lists, tuples, sets or dataclasses, looking for
    futures (measured: ~1 s per 1,000 documents, 80% of a run's time); it does not walk into this.
    """

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def __getstate__(self) -> Any:
        return self.value

    def __setstate__(self, value: Any) -> None:
        self.value = value


# --- thin tasks --------------------------------------------------------------------------------


# NO_CACHE on every task: batches are never re-run with the same inputs, and Prefect's default
# policy hashes the inputs (pickling thousands of documents or the whole run's index) for a cache key
# and would persist the results: more cost than it could save.
@task(name="ingest", retries=2, retry_delay_seconds=[1, 5], cache_policy=NO_CACHE)
def ingest_task(items: Payload, cfg: PipelineConfig, known: Payload, seen: Payload) -> Payload:
    return Payload(ingest_stage.ingest(items.value, cfg.ingest, known.value, seen.value))


def count_blocks(
    files: list[ingest_stage.InputFile],
    cfg: PipelineConfig,
    known: ingest_stage.Known,
    indexed: Mapping[str, Any],
    boilerplate: clean_stage.SiteBoilerplate,
) -> tuple[clean_stage.SiteBoilerplate, set[str], int | None, dict[str, ingest_stage.FileStat]]:
    """The counting pass: the blocks of every document the run will clean and no published run has
    indexed (those are counted already) added to `boilerplate`, batch by batch in run order, as
    `ingest` reads them (the same records: unchanged inputs and repeated document ids left out).

    Returns the counts, the ids of the documents the run will clean, the number of inputs when
    every one of them is unchanged since an earlier run (None when any gave a record, a reject or a
    JSONL/WARC file read whole): the run then has nothing to ingest again; and the fingerprint of
    every file judged by its content hash, by path (`ingest.FileStat`)."""
    seen: dict[str, str] = {}
    stats: dict[str, ingest_stage.FileStat] = {}
    other = False
    unchanged = 0

    def units() -> Iterator:
        nonlocal other
        for u in ingest_stage.iter_units(files, cfg.ingest, known, stats):
            if isinstance(u, ingest_stage.InputDone):
                other = True
            else:
                yield u

    for batch in plan_batches(units(), cfg.ingest.batch_size):
        raws, rejects, n = ingest_stage.ingest(batch, cfg.ingest, known, seen, stats)
        other = other or bool(raws or rejects)
        unchanged += n
        boilerplate.add(r for r in raws if r.doc_id not in indexed)
        seen.update((r.doc_id, "") for r in raws)
    return boilerplate, set(seen), None if other else unchanged, stats


@task(name="count_blocks", cache_policy=NO_CACHE)
def count_blocks_task(files: Payload, cfg: PipelineConfig, known: Payload, indexed: Payload, boilerplate: Payload) -> Payload:
    """The counting pass; returns the boilerplate counts, the ids of the documents the run will clean,
    when every input is unchanged their number, and the files' fingerprints (`count_blocks`)."""
    return Payload(count_blocks(files.value, cfg, known.value, indexed.value, boilerplate.value))


STORED_RAW_COLUMNS = [
    "doc_id", "source_id", "source_uri", "content_type", "content_sha256", "raw_text", "encoding", "site_key",
    "title", "published_date", "extra", "clean_text", "text_hash",
]


@task(name="find_affected", cache_policy=NO_CACHE)
def find_affected_task(wh: Warehouse, learned: Payload, skip: Payload, only: Payload | None = None) -> Payload:
    """Ids of the stored documents (not among `skip`, the run's own; among `only` if given) whose
    cleaning the newly learned boilerplate (`learned`: site -> fingerprints) can change: a stream over
    the documents table."""
    learned, skip, only = learned.value, skip.value, (only.value if only is not None else None)
    shared = learned.get(clean_stage.RUN_WIDE, frozenset())
    out: set[str] = set()
    cols = ["doc_id", "site_key", "content_type", "raw_text", "clean_text"]
    for batch in wh.scan("documents", columns=cols, batch_size=2_000):
        for r in batch.to_pylist():
            if r["doc_id"] not in skip and (only is None or r["doc_id"] in only) and clean_stage.touched_by(
                r["content_type"], r["raw_text"], r["clean_text"], learned.get(r["site_key"], frozenset()), shared
            ):
                out.add(r["doc_id"])
    return Payload(out)


def stored_raws(wh: Warehouse, doc_ids: set[str], fingerprints: Mapping[str, frozenset[str]], cfg: PipelineConfig) -> Iterator:
    """The stored documents `doc_ids` as raw records again (`clean.stored_raw`; `fingerprints`: the
    boilerplate they were cleaned with), streamed from the documents table."""
    shared = fingerprints.get(clean_stage.RUN_WIDE, frozenset())
    for batch in wh.scan("documents", columns=STORED_RAW_COLUMNS, batch_size=2_000):
        for r in batch.to_pylist():
            if r["doc_id"] in doc_ids:
                raw = clean_stage.stored_raw(r, cfg.clean, fingerprints.get(r["site_key"], frozenset()), shared)
                if raw is not None:
                    yield raw


@contextmanager
def _lock(wh: Warehouse, held: bool) -> Iterator[None]:
    """The warehouse lock, unless the caller holds it already (`held`)."""
    if held:
        yield
    else:
        with wh.lock():
            yield


def _worker_died(task: Any, task_run: Any, state: Any) -> bool:
    """Retry a batch only when its worker process died (the pool is replaced by then), not on errors
    or timeouts, which would fail again."""
    try:
        state.result()
    except WorkerDied:
        return True
    except Exception:
        return False
    return False


@task(name="process_batch", retries=1, retry_condition_fn=_worker_died, cache_policy=NO_CACHE)
def process_task(
    pool: Payload, raws: Payload, fingerprints: Payload, cfg: PipelineConfig, run_date: date, run_id: str, label: str
) -> Payload:
    """clean + sign + extract_events + rows for one batch, in chunks of `worker_chunk_docs` spread
    over the run's worker processes (a batch keeps both cores busy, and the next batch's chunks queue
    behind it, so no core idles while the last batch drains). Retried once when a worker died."""
    docs, n = raws.value, cfg.worker_chunk_docs
    chunks = [docs[i : i + n] for i in range(0, len(docs), n)] or [[]]
    args = (fingerprints.value, cfg, run_date, run_id, datetime.now(UTC))
    parts = pool.value.map(process_batch, chunks, *args, label=label, timeout=cfg.batch_timeout_s)
    return Payload(concat_results(parts))


@task(name="write_batch", retries=3, retry_delay_seconds=[1, 5, 15], cache_policy=NO_CACHE)
def write_batch_task(
    wh: Warehouse,
    run_id: str,
    processed: Payload,
    ingest_rejects: Payload,
    known_ids: Payload,
    fresh: Payload,
    locked: bool = False,
) -> Payload:
    """Merge a batch's documents, segments and quarantine rows (ingest and clean rejects).

    `known_ids`: documents of this batch stored by an earlier run; those whose content changed lose
    the old segments no longer present. `fresh`: (no document of the batch stored before or written by
    this run yet, table versions at the run's start): then rows are appended, not merged, unless
    another run wrote meanwhile. `locked`: the flow holds the warehouse lock (a second pass). Returns what was written and the batch's packed index entries and mentions.
    """
    is_fresh, start_versions = fresh.value
    res: BatchResult = processed.value
    known_ids = known_ids.value
    now = datetime.now(UTC)
    rejects = list(ingest_rejects.value) + res.rejects
    changed = [d for d in res.doc_ids if d in known_ids]
    with _lock(wh, locked):
        # documents first: a run killed after it finds them stored, so the rerun merges (not
        # appends) their segments, whichever commit the kill followed
        m = wh.insert_or_merge("documents", res.documents, run_id, is_fresh, start_versions.get("documents"))
        if is_fresh:
            wh.insert_or_merge("segments", res.segments, run_id, True, start_versions.get("segments"))
        else:
            wh.merge("segments", res.segments, run_id, stale=("doc_id", changed))
        wh.merge(
            "quarantine",
            to_table("quarantine", [ingest_stage.quarantine_row(r, run_id, now) for r in rejects]),
            run_id,
        )
    processed.value = None  # written: Prefect may keep the payload, so it is emptied
    return Payload(
        {
            "entries": res.entries,  # the packed run state the final phase needs, not the rows
            "mentions": res.mentions,
            "documents": len(res.doc_ids),
            "quarantined": len(rejects),
            "documents_inserted": m.get("num_target_rows_inserted", 0),
            "documents_updated": m.get("num_target_rows_updated", 0),
            "changed": changed,
            "reasons": [r.reason for r in rejects],
        }
    )


@task(name="dedup", cache_policy=NO_CACHE)
def dedup_task(wh: Warehouse, index: Payload, cfg: PipelineConfig, run_id: str) -> Payload:
    """Cluster the run's documents (`index`: their index entries, spilled in run order) against the
    stored index; both held as columns (`dedup.Index`), built one chunk at a time."""
    spill: Spill = index.value
    new = dedup_stage.Index.build(spill.chunks(0), len(spill), cfg.dedup.num_perm)
    # nothing new (only changed documents' rejects): the stored index need not be read
    stored_rows = wh.table("dedup_index").to_pyarrow_dataset().count_rows() if len(spill) and wh.exists("dedup_index") else 0
    scheme = dedup_stage.signature_scheme(cfg.dedup)
    if stored_rows and wh.signatures() != scheme:
        raise WarehouseError(
            f"warehouse {wh.root}: table dedup_index holds signatures of scheme {wh.signatures() or '(not recorded)'}, "
            f"this run signs with {scheme}: rebuild the warehouse (`newslake upgrade --check` says so) or run with its dedup settings"
        )
    if len(spill):
        wh.record_signatures(scheme, run_id)  # under the warehouse lock, before this run's index rows are written
    batches = wh.scan("dedup_index") if stored_rows else []
    stored = dedup_stage.Index.build(
        ([dedup_stage.index_entry_from_row(r) for r in b.to_pylist()] for b in batches), stored_rows, cfg.dedup.num_perm
    )
    return Payload(dedup_stage.cluster(new, stored, cfg.dedup))


@task(name="merge_events", cache_policy=NO_CACHE)
def merge_events_task(
    wh: Warehouse, mentions: Payload, canonical_of: Payload, cfg: PipelineConfig, run_id: str
) -> Payload:
    """Merge the run's mentions (a `Spill` partitioned by merge key) into events, one partition at a
    time, against the stored events of the same keys (streamed from the table into a spill of their
    own). The `events` and `event_mentions` rows go to two Parquet files in the mentions' spill
    directory, so neither the run's events nor its mention rows are ever all in memory.
    Returns ({table: parquet path}, {table: rows})."""
    spill: Spill = mentions.value
    keys: set = spill.keys
    stored = Spill(spill.parts, "newslake-events-")
    out = {t: spill.root / f"{t}.parquet" for t in ("events", "event_mentions")}
    writers = {t: pq.ParquetWriter(path, TABLES[t].schema) for t, path in out.items()}
    n: Counter = Counter({t: 0 for t in out})
    try:
        if keys:
            for batch in wh.scan("events"):
                found = (events_stage.event_from_row(r) for r in batch.to_pylist())
                stored.add((e for e in found if events_stage.event_key(e) in keys), _event_partition)
        for part in range(spill.parts):
            ms = spill.load(part)
            if not ms:
                continue
            events, assign = events_stage.merge_events(ms, canonical_of.value, stored.load(part), cfg.events.min_confidence)
            published = {e.event_id for e in events}
            rows = {
                "events": [events_stage.event_row(e, run_id) for e in events],
                "event_mentions": [
                    events_stage.mention_row(m, assign[i], run_id) for i, m in enumerate(ms) if assign.get(i) in published
                ],
            }
            for t, r in rows.items():  # keys repeat only inside a partition: de-duplicated here
                table = dedupe_on_keys(to_table(t, r), TABLES[t].keys)
                writers[t].write_table(table)
                n[t] += table.num_rows
    finally:
        for w in writers.values():
            w.close()
        stored.cleanup()
    return Payload((out, dict(n)))


def _parquet_chunks(path: Path, rows: int = 10_000) -> Iterator[pa.Table]:
    for batch in pq.ParquetFile(path).iter_batches(batch_size=rows):
        yield pa.Table.from_batches([batch])


@task(name="publish", retries=3, retry_delay_seconds=[1, 5, 15], cache_policy=NO_CACHE)
def publish_task(wh: Warehouse, run_id: str, tables: Payload, stale_mentions: Payload) -> dict[str, int]:
    """Write the run's derived tables, each streamed in chunks (`tables`: name -> a function giving
    the chunks); returns every pipeline table's version afterwards.

    Order matters for a run killed part-way: a document counts as done once it has a `dedup_index`
    row, so events, mentions, duplicates and block counts are written before the index (a document
    whose index row is missing is processed again, and its events merge into the same ids), and
    `inputs` and `input_files` last (a file counts as finished once all else is written)."""
    tables, stale_mentions = tables.value, stale_mentions.value
    wh.write_stream("event_mentions", tables["event_mentions"], run_id, stale=("doc_id", stale_mentions))
    release_memory()
    for t in ("events", "duplicates", "boilerplate", "dedup_index"):
        wh.write_stream(t, tables[t], run_id)
        release_memory()
    # Entities are derived from the whole events table: rebuilt, written only when they change.
    # Read as a stream of 5k-row batches of the columns needed (all events as objects cost ~5 KB each).
    for t in ("events", "event_mentions"):  # a run with no events yet has not created them
        wh.ensure(t)
    per_event: Counter = Counter()
    for batch in wh.scan("event_mentions", columns=["event_id"], batch_size=20_000):
        per_event.update(batch.column(0).to_pylist())
    entity_rows = entities_stage.entity_rows(
        (
            (r["event_id"], r["actors"], r["doc_ids"])
            for batch in wh.scan("events", columns=["event_id", "actors", "doc_ids"])
            for r in batch.to_pylist()
        ),
        per_event,
        run_id,
    )
    current = {
        r["entity_id"]: r["record_hash"]
        for r in wh.read("entities", columns=["entity_id", "record_hash"]).to_pylist()
    }
    if current != {r["entity_id"]: r["record_hash"] for r in entity_rows} or not wh.exists("entities"):
        wh.overwrite("entities", to_table("entities", entity_rows), run_id)
    wh.write_stream("inputs", tables["inputs"], run_id)
    wh.write_stream("input_files", tables["input_files"], run_id)
    for t in PIPELINE_TABLES:
        wh.ensure(t)
    return wh.current_versions(PIPELINE_TABLES)


# --- the flow ----------------------------------------------------------------------------------


@flow(name="news-pipeline", log_prints=False)
def news_pipeline(
    inputs: list[str] | None = None,
    warehouse: str = "warehouse",
    run_date: str | None = None,
    config: dict[str, Any] | None = None,
    full_refresh: bool = False,
    workers: int | None = None,
) -> dict[str, Any]:
    """Run every stage over `inputs` (files or folders) into the Delta tables under `warehouse`.

    `run_date` (YYYY-MM-DD, default today UTC) is the reference for relative dates in documents
    without a publication date. `config` overrides PipelineConfig defaults, e.g.
    `{"dedup": {"jaccard_threshold": 0.6}}`. Inputs already stored with the same content hash (as
    documents or quarantine rows) are skipped unless `full_refresh`. `workers`: processes for the CPU
    stages (default one per core; 1 runs them in the flow's process). Returns the run summary (also
    the `runs` row).
    """
    log = get_run_logger()
    started = datetime.now(UTC)
    run_id = new_run_id(started)
    cfg = PipelineConfig.from_dict(config)
    ref_date = date.fromisoformat(run_date) if run_date else started.date()
    inputs = list(inputs or default_inputs())
    workers = default_workers() if workers is None else max(1, int(workers))
    wh = Warehouse(warehouse)
    params = {
        "inputs": inputs,
        "warehouse": warehouse,
        "run_date": ref_date.isoformat(),
        "config": cfg.to_dict(),
        "full_refresh": full_refresh,
        "workers": workers,
    }
    listed_ns = time.time_ns()  # before the listing: see `ingest.fingerprints_to_record`
    files = ingest_stage.list_inputs(inputs)
    log.info("run %s: %d input files under %s -> %s (%d workers)", run_id, len(files), ", ".join(inputs), warehouse, workers)

    reclaim_spills()  # spill directories of killed runs
    state, runs_version = _process(wh, files, cfg, run_id, ref_date, workers, full_refresh, listed_ns)

    try:
        with wh.lock():  # read the stored index and events, merge, write: one run at a time
            if wh.version("runs") != runs_version:
                # Another run published while this one processed its batches: its boilerplate and
                # documents were not there when this run counted and cleaned. The batch phase is done
                # again holding the lock, as if this run had started after the other finished (the
                # same tables as the two runs one after the other, in the order they publish).
                log.warning("run %s: another run published meanwhile; processing the inputs again after it", run_id)
                state.cleanup()
                state, _ = _process(wh, files, cfg, run_id, ref_date, workers, full_refresh, listed_ns, locked=True)
                state.counts["second_pass"] = 1
            summary = _finish(wh, run_id, started, params, cfg, state)
    finally:
        state.cleanup()
    _report(summary)
    if summary["status"] == "failed":
        c = summary["counts"]
        raise RejectBudgetExceeded(
            f"run {run_id}: {c['quarantined']} of {c['records_in'] - c.get('unchanged', 0)} inputs rejected "
            f"(more than max_reject_share {cfg.max_reject_share:.0%}); see the quarantine table"
        )
    log.info(
        "run %s completed: %s",
        run_id,
        json.dumps({k: v for k, v in summary["counts"].items() if k != "quarantine_reasons"}),
    )
    return summary


def _process(
    wh: Warehouse,
    files: list[ingest_stage.InputFile],
    cfg: PipelineConfig,
    run_id: str,
    ref_date: date,
    workers: int,
    full_refresh: bool,
    listed_ns: int = 0,
    locked: bool = False,
) -> tuple[RunState, int | None]:
    """The batch phase of a run: what is done already, the counting pass, then every batch of new and
    changed inputs (and of stored documents that newly learned boilerplate changes) cleaned, signed,
    mined for events and written. `listed_ns`: when `files` were listed (ns since the epoch; 0: no
    file fingerprints are recorded). `locked`: the caller holds the warehouse lock (a second pass).
    Returns the run state for the final phase and the `runs` table's version at the start."""
    log = get_run_logger()
    with _lock(wh, locked):  # a consistent start: no other run is in its final phase meanwhile
        runs_version = wh.version("runs")
        # A run killed (or failed) in its final phase left part of the derived tables written: they go
        # back to what the last published run recorded, and its documents are redone below.
        undone = wh.roll_back_unpublished(FINAL_TABLES, run_id)
        if undone:
            log.warning("run %s: rolled back what an unpublished run left in %s", run_id, ", ".join(f"{t} (to v{v})" for t, v in sorted(undone.items())))
        stored_docs = wh.read("documents", columns=["doc_id", "source_id", "content_sha256", "text_hash", "published_date", "run_id"]).to_pylist()
        index = wh.read("dedup_index", columns=["doc_id", "text_hash", "published_date"]).to_pylist()
        # (a second pass redoes its own first pass's rejects too: they were cleaned with other boilerplate)
        stored_q = [
            r for r in wh.read("quarantine", columns=["source_id", "content_sha256", "run_id"]).to_pylist() if r["run_id"] != run_id
        ] if not full_refresh else []
        stored_inputs = wh.read("inputs", columns=["source_id", "content_sha256", "n_records"]).to_pylist() if not full_refresh else []
        stored_blocks = wh.read("boilerplate", columns=["site_key", "fingerprint", "n_documents"]).to_pylist()
        stored_stats = {
            r["path"]: ingest_stage.FileStat(**r)
            for r in wh.read("input_files", columns=["path", "source_id", "size_bytes", "mtime_ns", "content_sha256"]).to_pylist()
        }
    known_docs = {r["doc_id"] for r in stored_docs}
    # Documents a published run indexed: their blocks are in the stored boilerplate counts already.
    indexed = {r["doc_id"]: (r["text_hash"], r["published_date"]) for r in index}
    del index
    known = ingest_stage.Known()
    if not full_refresh:
        # A document is done once a published run indexed it as it is stored (every document gets a
        # dedup_index row in the final phase): documents written by a run killed mid-way, new or
        # rewritten by it (their index row then holds the old text's hash), are processed again.
        finished = [r for r in stored_docs if indexed.get(r["doc_id"]) == (r["text_hash"], r["published_date"])] + stored_q
        known = ingest_stage.Known(
            files=frozenset((r["source_id"], r["content_sha256"]) for r in finished),
            records=frozenset(r["content_sha256"] for r in finished),
            inputs={(r["source_id"], r["content_sha256"]): r["n_records"] for r in stored_inputs},
            stats=stored_stats,  # a file listed as recorded there is not read to be found unchanged
        )
    # In a second pass: documents the first pass rewrote after the run that published meanwhile had
    # indexed them (with boilerplate learned without that run). They are cleaned again like any input;
    # unless newly learned boilerplate changes them, that gives back the published run's text, and its
    # index entries and event mentions for them stand (as when this run starts after it).
    rewritten = {
        r["doc_id"] for r in stored_docs
        if locked and r["run_id"] == run_id and r["doc_id"] in indexed and indexed[r["doc_id"]] != (r["text_hash"], r["published_date"])
    }
    del stored_docs, stored_q, stored_inputs
    state = RunState(
        boilerplate=clean_stage.SiteBoilerplate(
            cfg.clean.site_boilerplate_min_docs,
            ((r["site_key"], r["fingerprint"], r["n_documents"]) for r in stored_blocks),
            cfg.clean.site_boilerplate_max_blocks,
            cfg.clean.shared_boilerplate_min_docs,
        )
    )
    del stored_blocks
    # Site boilerplate is counted over all of the run's new documents before the first batch is
    # cleaned (a streaming pass over the inputs: one batch of records in memory at a time), so every
    # document of the run is cleaned with the same learned boilerplate, whichever batch it is in.
    before = dict(state.boilerplate.fingerprints)
    state.boilerplate, run_ids, all_unchanged, found_stats = count_blocks_task(
        Payload(files), cfg, Payload(known), Payload(indexed), Payload(state.boilerplate)
    ).value
    if listed_ns:
        state.file_stats = ingest_stage.fingerprints_to_record(found_stats, stored_stats, listed_ns, cfg.ingest)
    del found_stats, stored_stats
    # Boilerplate the stored documents were cleaned with changed: those whose text it can change are
    # cleaned again in this run, from their stored raw text (after the run's own inputs).
    learned = clean_stage.newly_learned(before, state.boilerplate.fingerprints)
    # (only documents a published run indexed: those of a run still going are that run's to finish)
    affected = find_affected_task(wh, Payload(learned), Payload(run_ids), Payload(indexed)).value if learned else set()
    if rewritten:
        state.restore = rewritten - (find_affected_task(wh, Payload(learned), Payload(set()), Payload(rewritten)).value if learned else set())
    del run_ids
    if affected:
        log.info("run %s: newly learned boilerplate changes %d stored documents: cleaned again", run_id, len(affected))
    if all_unchanged is not None and not affected and not state.restore:
        # Every input is unchanged since an earlier run (the counting pass read and hashed each one):
        # the batch phase would read them all again to find the same.
        state.counts.update(records_in=all_unchanged, unchanged=all_unchanged)
        log.info("run %s: all %d inputs unchanged since an earlier run", run_id, all_unchanged)
        return state, runs_version
    # Batches are pipelined: while up to `workers` batches are cleaned, signed and mined for events on
    # the pool's processes, the flow ingests the next one and finished batches are written. Results
    # are collected oldest first, so memory holds at most `window` batches.
    pending: deque = deque()
    # (a second pass holds the warehouse lock, which no longer orders its batch writes: one at a time)
    window = 1 if locked else max(cfg.max_batches_in_flight, workers + 1)

    def collect() -> None:
        n_batch, n_items, unchanged, f_proc, f_write, label, again = pending.popleft()
        try:
            payload = f_write.result()
        except Exception as exc:  # the cause, not Prefect's "UnfinishedRun" of the write that never ran
            raise _batch_failed(label, f_proc, exc) from exc
        written, payload.value = payload.value, None  # Prefect may keep the payload: keep it empty
        state.add_batch(written, unchanged, rederived=again)
        log.info(
            "batch %d: %d inputs -> %d documents, %d quarantined, %d unchanged",
            n_batch,
            n_items,
            written["documents"],
            written["quarantined"],
            unchanged,
        )

    def work(units: Iterable) -> Iterator:
        for u in units:  # files finished whole become `inputs` rows at the end
            if isinstance(u, ingest_stage.InputDone):
                state.inputs.append(u)
            else:
                yield u

    units = work(ingest_stage.iter_units(files, cfg.ingest, known))
    stored = stored_raws(wh, affected, before, cfg) if affected else iter(())
    batches = chain(
        ((b, False) for b in plan_batches(units, cfg.ingest.batch_size)),
        ((b, True) for b in plan_batches(stored, cfg.ingest.batch_size)),
    )
    start_versions = {t: wh.version(t) for t in ("documents", "segments")}
    run_doc_ids: dict[str, str] = {}  # doc_id -> where this run read it (a later copy is a duplicate_source_id)
    known_payload, seen_payload = Payload(known), Payload(run_doc_ids)
    with BatchPool(workers) as pool:
        pool_payload = Payload(pool)
        for n_batch, (batch, again) in enumerate(batches, start=1):
            if not locked and wh.version("runs") != runs_version:
                # another run published: the final phase processes the inputs again, after it
                log.info("run %s: another run published meanwhile; the batch phase stops at batch %d", run_id, n_batch)
                break
            payload = ingest_task(Payload(batch), cfg, known_payload, seen_payload)
            (raws, rejects, unchanged), payload.value = payload.value, None
            if not raws and not rejects:  # all unchanged since an earlier run: nothing to process or write
                state.counts.update(records_in=unchanged, unchanged=unchanged)
                continue
            label = f"batch {n_batch} ({_sources(batch)})"
            f_proc = process_task.submit(
                pool_payload, Payload(raws), Payload(dict(state.boilerplate.fingerprints)), cfg, ref_date, run_id, label
            )
            known_ids = frozenset(r.doc_id for r in raws if r.doc_id in known_docs)
            batch_ids = {r.doc_id for r in raws}
            fresh = not known_ids and not (batch_ids & run_doc_ids.keys()) and len(batch_ids) == len(raws)
            run_doc_ids.update((r.doc_id, r.origin or r.source_id) for r in raws)
            f_write = write_batch_task.submit(
                wh, run_id, f_proc, Payload(rejects), Payload(known_ids), Payload((fresh, start_versions)), locked
            )
            pending.append((n_batch, len(batch), unchanged, f_proc, f_write, label, again))
            del raws, batch
            while len(pending) >= window:
                collect()
        while pending:
            collect()
    del run_doc_ids, known_docs, known, known_payload, seen_payload, indexed
    return state, runs_version


def _batch_failed(label: str, f_proc: Any, exc: BaseException) -> BatchFailed:
    """One line naming the batch's inputs and why it failed: its processing error if there was one
    (the write then never ran), else the write's."""
    try:
        f_proc.result()
        cause = exc
    except Exception as proc_exc:
        cause = proc_exc
    if isinstance(cause, BatchFailed):
        return type(cause)(str(cause).splitlines()[0] if str(cause) else label)
    reason = str(cause).splitlines()[0] if str(cause) else ""
    return BatchFailed(f"{label}: {type(cause).__name__}" + (f": {reason}" if reason else ""))


def _sources(batch: list) -> str:
    """`first .. last` source of a batch, for error messages."""

    def name(it: Any) -> str:
        if isinstance(it, ingest_stage.RecordUnit):
            return f"{it.file.source_id}:{it.index}"
        return str(getattr(it, "source_id", it))

    return name(batch[0]) if len(batch) == 1 else f"{name(batch[0])} .. {name(batch[-1])}"


def _finish(
    wh: Warehouse,
    run_id: str,
    started: datetime,
    params: dict,
    cfg: PipelineConfig,
    state: RunState,
    call: Any = None,
) -> dict[str, Any]:
    """Dedup, event merging and publishing, then the `runs` row (the caller holds the warehouse lock).

    `call(task)` -> what to call for a task: the task itself (default: Prefect task runs), or its plain
    function (`lambda t: t.fn`, the bench's baseline without Prefect)."""
    call = call or (lambda t: t)
    n_new = len(state.index)

    def input_file_chunks():
        return table_chunks("input_files", (ingest_stage.input_file_row(st, run_id) for st in state.file_stats))

    if not n_new and not state.changed_doc_ids:
        # Nothing new reached this run (an unchanged re-run, or only rejects): the derived tables
        # stand as they are, and reading the stored index and events would be most of its cost.
        if state.inputs:  # e.g. a file copied under a new name: its records were all known
            wh.merge("inputs", to_table("inputs", [ingest_stage.input_row(d, run_id) for d in state.inputs]), run_id)
        if state.file_stats:  # e.g. files touched but not changed: their new mtimes
            wh.write_stream("input_files", input_file_chunks, run_id)
        for t in PIPELINE_TABLES:
            wh.ensure(t)
        versions = wh.current_versions(PIPELINE_TABLES)
        counts = {**dict(state.counts), "duplicates": 0, "exact_duplicates": 0, "near_duplicates": 0, "events": 0, "event_mentions": 0}
        return _publish_run(wh, run_id, started, _status(counts, cfg), params, {**counts, "quarantine_reasons": dict(state.quarantine_reasons)}, versions)
    # One corpus-level step after the other. The dedup index (this run's entries and the stored
    # ones) is the one structure held whole; mentions are merged one key partition at a time and
    # every derived table is written as a stream of 10k-row chunks.
    clustering = call(dedup_task)(wh, Payload(state.index), cfg, run_id).value
    release_memory()
    dup_counts = clustering.counts()
    stored_dups = wh.read("duplicates", columns=["doc_id", "canonical_doc_id"])
    canonical_of = dict(zip(stored_dups.column(0).to_pylist(), stored_dups.column(1).to_pylist(), strict=True))
    canonical_of.update(zip(clustering.new.doc_ids, clustering.canonical, strict=True))
    del stored_dups
    out, n_events = call(merge_events_task)(wh, Payload(state.mentions), Payload(canonical_of), cfg, run_id).value
    del canonical_of
    release_memory()
    tables = {
        "event_mentions": lambda: _parquet_chunks(out["event_mentions"]),
        "events": lambda: _parquet_chunks(out["events"]),
        "duplicates": lambda: table_chunks("duplicates", (dedup_stage.duplicate_row(r, run_id) for r in clustering.dup_rows())),
        "dedup_index": lambda: table_chunks("dedup_index", (dedup_stage.index_row(e, run_id) for e in clustering.entries())),
        "boilerplate": lambda: table_chunks("boilerplate", state.boilerplate.rows(run_id)),
        "inputs": lambda: table_chunks("inputs", (ingest_stage.input_row(d, run_id) for d in state.inputs)),
        "input_files": input_file_chunks,
    }
    counts = {
        **dict(state.counts),
        **dup_counts,
        "events": n_events["events"],
        "event_mentions": n_events["event_mentions"],
        "quarantine_reasons": dict(state.quarantine_reasons),
    }
    # Every document of this run replaces its stored mentions: those of changed documents, and those
    # another run wrote meanwhile or a killed run left (events merged differently then).
    run_docs = set(clustering.new.doc_ids)
    stale = set(state.changed_doc_ids)
    for batch in wh.scan("event_mentions", columns=["doc_id"], batch_size=50_000):
        stale.update(d for d in batch.column(0).to_pylist() if d in run_docs)
    del run_docs
    versions = call(publish_task)(wh, run_id, Payload(tables), Payload(sorted(stale)))
    return _publish_run(wh, run_id, started, _status(counts, cfg), params, counts, versions)


def _status(counts: dict, cfg: PipelineConfig) -> str:
    """`failed` when more inputs were rejected than `max_reject_share` allows, else `completed`."""
    processed = counts.get("records_in", 0) - counts.get("unchanged", 0)
    share = counts.get("quarantined", 0) / processed if processed else 0.0
    return "failed" if share > cfg.max_reject_share else "completed"


def _publish_run(
    wh: Warehouse,
    run_id: str,
    started: datetime,
    status: str,
    params: dict,
    counts: dict,
    versions: dict[str, int],
) -> dict[str, Any]:
    try:
        flow_run_id = str(runtime_flow_run.id) if runtime_flow_run.id else None
    except Exception:  # outside a flow run (direct call in a test)
        flow_run_id = None
    row = {
        "run_id": run_id,
        "flow_run_id": flow_run_id,
        "started_at": started,
        "finished_at": datetime.now(UTC),
        "status": status,
        "params": json.dumps(params, sort_keys=True),
        "counts": json.dumps(counts, sort_keys=True),
        "table_versions": json.dumps(versions, sort_keys=True),
    }
    wh.append("runs", to_table("runs", [row]), run_id)
    versions = {**versions, "runs": wh.version("runs")}
    return {**row, "params": params, "counts": counts, "table_versions": versions}


def _report(summary: dict[str, Any]) -> None:
    """Markdown + table artifacts on the Prefect run: counts, quarantine by reason, table versions."""
    counts = summary["counts"]
    lines = [
        f"# newslake run `{summary['run_id']}` — {summary['status']}",
        "",
        "| measure | value |",
        "|---|---|",
        *[f"| {k} | {v} |" for k, v in counts.items() if k != "quarantine_reasons"],
        "",
        "## Quarantine by reason",
        "",
        *([f"- `{k}`: {v}" for k, v in counts.get("quarantine_reasons", {}).items()] or ["- none"]),
        "",
        "## Table versions",
        "",
        *[f"- `{k}`: v{v}" for k, v in summary["table_versions"].items()],
    ]
    create_markdown_artifact(
        markdown="\n".join(lines), key="newslake-run-report", description=f"newslake run {summary['run_id']}"
    )
    create_table_artifact(
        table=[{"table": k, "version": v} for k, v in summary["table_versions"].items()],
        key="newslake-table-versions",
        description="Delta table versions written by this run",
    )


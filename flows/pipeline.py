"""The main Prefect flow: ingest -> clean -> dedup -> extract_events -> publish, over batches.

Stage logic lives in `tasks/` (pure functions); this module holds the thin @task wrappers and the
flow that orders them. Each task run handles a whole batch (thousands of documents): a Prefect task
run costs ~5 ms, so one per document would dominate the run time.

Per batch: ingest (files -> raw records + rejects), clean (-> clean documents + segments), sign
(MinHash signatures) and extract (event mentions); documents, segments and quarantine rows of the
batch are written as the batch finishes, so memory stays flat. At the end: dedup over this run's
signatures and the stored index, event merging across documents and runs, then publish the derived
tables and, last, one `runs` row recording every table's version.
"""

from __future__ import annotations

import json
import os
import secrets
from collections import Counter, deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run as runtime_flow_run

from tasks import clean as clean_stage
from tasks import dedup as dedup_stage
from tasks import events as events_stage
from tasks import ingest as ingest_stage
from tasks.config import PipelineConfig
from tasks.schema import record_hash, to_table
from tasks.storage import Warehouse

TASK_RUNNERS = ("threads", "processes", "dask")


def make_task_runner(kind: str = "threads", workers: int | None = None, dask_address: str | None = None):
    """The Prefect task runner for the batch tasks: `threads` (default; I/O overlaps CPU), `processes`
    (every core busy on CPU stages), or `dask` (prefect-dask: a LocalCluster of `workers` processes,
    or the cluster at `dask_address`, e.g. tcp://scheduler:8786; the warehouse must then be on storage
    every worker reaches)."""
    from prefect.task_runners import ProcessPoolTaskRunner, ThreadPoolTaskRunner

    if kind == "threads":
        return ThreadPoolTaskRunner(max_workers=workers or 4)
    if kind == "processes":
        return ProcessPoolTaskRunner(max_workers=workers or os.cpu_count() or 2)
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
)


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
    """What a run accumulates across batches: small per document (signatures, mentions, counts)."""

    index_entries: list[dedup_stage.IndexEntry] = field(default_factory=list)
    mentions: list[events_stage.Mention] = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)
    quarantine_reasons: Counter = field(default_factory=Counter)
    site_blocks: Counter = field(default_factory=Counter)  # (site, fingerprint) -> new documents carrying it
    site_examples: dict[tuple[str, str], str] = field(default_factory=dict)
    # site -> fingerprints seen in at least `site_boilerplate_min_docs` documents (all runs), kept up to
    # date as blocks are counted instead of being recomputed from every count each batch
    fingerprints: dict[str, set[str]] = field(default_factory=dict)
    new_doc_ids: set[str] = field(default_factory=set)
    changed_doc_ids: set[str] = field(default_factory=set)  # stored by an earlier run, content changed


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


# NO_CACHE: batches are never re-run with the same inputs, and hashing thousands of documents
# for a cache key would cost more than it could save.
@task(name="ingest", retries=2, retry_delay_seconds=[1, 5], cache_policy=NO_CACHE)
def ingest_task(items: Payload, cfg: PipelineConfig, known: Payload) -> Payload:
    return Payload(ingest_stage.ingest(items.value, cfg.ingest, known.value))


@task(name="clean", cache_policy=NO_CACHE)
def clean_task(raws: Payload, cfg: PipelineConfig, fingerprints: Payload) -> Payload:
    return Payload(clean_stage.clean(raws.value, cfg.clean, fingerprints.value))


@task(name="sign", cache_policy=NO_CACHE)
def sign_task(cleaned: Payload, cfg: PipelineConfig) -> Payload:
    docs = cleaned.value[0]
    return Payload(
        dedup_stage.sign(
            (dedup_stage.DedupInput(d.raw.doc_id, d.clean_text, d.published) for d in docs), cfg.dedup
        )
    )


@task(name="extract_events", cache_policy=NO_CACHE)
def extract_events_task(cleaned: Payload, run_date: date, cfg: PipelineConfig) -> Payload:
    docs = cleaned.value[0]
    return Payload(
        events_stage.extract_events(
            ((d.raw.doc_id, d.clean_text, d.published) for d in docs), run_date, cfg.events.max_year_back
        )
    )


@task(name="write_batch", retries=3, retry_delay_seconds=[1, 5, 15], cache_policy=NO_CACHE)
def write_batch_task(
    wh: Warehouse, run_id: str, cleaned: Payload, ingest_rejects: Payload, known_ids: Payload, fresh: Payload
) -> Payload:
    """Merge a batch's documents, segments and quarantine rows (ingest and clean rejects).

    `known_ids`: documents of this batch stored by an earlier run; those whose content changed lose
    the old segments no longer present. `fresh`: (no document of the batch stored before or written by
    this run yet, table versions at the run's start): then rows are appended, not merged, unless
    another run wrote meanwhile. Returns counts, changed ids and quarantine reasons.
    """
    is_fresh, start_versions = fresh.value
    docs, dropped = cleaned.value
    known_ids = known_ids.value
    now = datetime.now(UTC)
    rejects = list(ingest_rejects.value) + [
        ingest_stage.Reject(
            raw.source_id, "clean", r.reason, r.detail, ingest_stage.excerpt_of(raw.text), raw.content_sha256
        )
        for raw, r in dropped
    ]
    changed = [d.raw.doc_id for d in docs if d.raw.doc_id in known_ids]
    doc_rows = [clean_stage.document_row(d, run_id, now) for d in docs]
    seg_rows = [r for d in docs for r in clean_stage.segment_rows(d, run_id)]
    with wh.lock():
        if is_fresh:
            wh.insert_or_merge("segments", to_table("segments", seg_rows), run_id, True, start_versions.get("segments"))
        else:
            wh.merge("segments", to_table("segments", seg_rows), run_id, stale=("doc_id", changed))
        wh.merge(
            "quarantine",
            to_table("quarantine", [ingest_stage.quarantine_row(r, run_id, now) for r in rejects]),
            run_id,
        )
        m = wh.insert_or_merge("documents", to_table("documents", doc_rows), run_id, is_fresh, start_versions.get("documents"))
    return Payload(
        {
            "documents": len(docs),
            "quarantined": len(rejects),
            "documents_inserted": m.get("num_target_rows_inserted", 0),
            "documents_updated": m.get("num_target_rows_updated", 0),
            "changed": changed,
            "doc_ids": [d.raw.doc_id for d in docs],
            "reasons": [r.reason for r in rejects],
            "ingest_rejects": sum(r.stage == "ingest" for r in rejects),
        }
    )


@task(name="dedup")
def dedup_task(wh: Warehouse, entries: Payload, cfg: PipelineConfig) -> Payload:
    if not entries.value:  # nothing new (an unchanged re-run): the stored index need not be read
        return Payload(([], []))
    stored = [dedup_stage.index_entry_from_row(r) for r in wh.read("dedup_index").to_pylist()]
    return Payload(dedup_stage.dedup(entries.value, stored, cfg.dedup))


@task(name="merge_events")
def merge_events_task(
    wh: Warehouse, mentions: Payload, canonical_of: Payload, cfg: PipelineConfig
) -> Payload:
    stored = [events_stage.event_from_row(r) for r in wh.read("events").to_pylist()]
    return Payload(
        events_stage.merge_events(mentions.value, canonical_of.value, stored, cfg.events.min_confidence)
    )


@task(name="publish", retries=3, retry_delay_seconds=[1, 5, 15])
def publish_task(wh: Warehouse, run_id: str, tables: Payload, stale_mentions: Payload) -> dict[str, int]:
    """Write the run's derived tables; returns every pipeline table's version afterwards."""
    tables, stale_mentions = tables.value, stale_mentions.value
    wh.merge("duplicates", to_table("duplicates", tables["duplicates"]), run_id)
    wh.merge("dedup_index", to_table("dedup_index", tables["dedup_index"]), run_id)
    wh.merge(
        "event_mentions",
        to_table("event_mentions", tables["event_mentions"]),
        run_id,
        stale=("doc_id", stale_mentions),
    )
    wh.merge("events", to_table("events", tables["events"]), run_id)
    wh.merge("boilerplate", to_table("boilerplate", tables["boilerplate"]), run_id)
    # Entities are derived from the whole events table: rebuilt, written only when they change.
    all_events = [events_stage.event_from_row(r) for r in wh.read("events").to_pylist()]
    per_event = Counter(wh.read("event_mentions", columns=["event_id"]).column("event_id").to_pylist())
    entity_rows = events_stage.entity_rows(all_events, per_event, run_id)
    current = {
        r["entity_id"]: r["record_hash"]
        for r in wh.read("entities", columns=["entity_id", "record_hash"]).to_pylist()
    }
    if current != {r["entity_id"]: r["record_hash"] for r in entity_rows} or not wh.exists("entities"):
        wh.overwrite("entities", to_table("entities", entity_rows), run_id)
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
) -> dict[str, Any]:
    """Run every stage over `inputs` (files or folders) into the Delta tables under `warehouse`.

    `run_date` (YYYY-MM-DD, default today UTC) is the reference for relative dates in documents
    without a publication date. `config` overrides PipelineConfig defaults, e.g.
    `{"dedup": {"jaccard_threshold": 0.6}}`. Inputs already stored with the same content hash (as
    documents or quarantine rows) are skipped unless `full_refresh`. Returns the run summary (also
    the `runs` row).
    """
    log = get_run_logger()
    started = datetime.now(UTC)
    run_id = new_run_id(started)
    cfg = PipelineConfig.from_dict(config)
    ref_date = date.fromisoformat(run_date) if run_date else started.date()
    inputs = list(inputs or default_inputs())
    wh = Warehouse(warehouse)
    params = {
        "inputs": inputs,
        "warehouse": warehouse,
        "run_date": ref_date.isoformat(),
        "config": cfg.to_dict(),
        "full_refresh": full_refresh,
    }
    files = ingest_stage.list_inputs(inputs)
    log.info("run %s: %d input files under %s -> %s", run_id, len(files), ", ".join(inputs), warehouse)

    state = RunState()
    stored_docs = wh.read("documents", columns=["doc_id", "source_id", "content_sha256"]).to_pylist()
    known_docs = {r["doc_id"] for r in stored_docs}
    known = ingest_stage.Known()
    if not full_refresh:
        stored_q = wh.read("quarantine", columns=["source_id", "content_sha256"]).to_pylist()
        # A document counts as done once its run reached dedup (every document gets a dedup_index row
        # in the final phase): documents written by a run that was killed mid-way are processed again.
        done = set(wh.read("dedup_index", columns=["doc_id"]).column("doc_id").to_pylist())
        finished = [r for r in stored_docs if r["doc_id"] in done] + stored_q
        known = ingest_stage.Known(
            files=frozenset((r["source_id"], r["content_sha256"]) for r in finished),
            records=frozenset(r["content_sha256"] for r in finished),
        )
    del stored_docs
    stored_blocks = {
        (r["site_key"], r["fingerprint"]): r["n_documents"]
        for r in wh.read("boilerplate", columns=["site_key", "fingerprint", "n_documents"]).to_pylist()
    }
    for (site, fp), n in stored_blocks.items():
        if n >= cfg.clean.site_boilerplate_min_docs:
            state.fingerprints.setdefault(site, set()).add(fp)
    # Batches are pipelined: CPU stages of up to `window` batches run at once on the task runner
    # (threads by default; processes or Dask use both cores / a cluster), while the flow ingests the
    # next batch. Results are collected oldest first, so memory holds at most `window` batches.
    pending: deque = deque()
    window = max(2, cfg.max_batches_in_flight)

    def collect() -> None:
        n_batch, n_files, unchanged, f_sign, f_events, f_write = pending.popleft()
        written = f_write.result().value
        state.index_entries.extend(f_sign.result().value)
        state.mentions.extend(f_events.result().value)
        state.changed_doc_ids.update(written["changed"])
        state.new_doc_ids.update(written["doc_ids"])
        state.quarantine_reasons.update(written["reasons"])
        state.counts.update(
            {
                "records_in": written["documents"] + written["quarantined"] + unchanged,
                "unchanged": unchanged,
                "documents": written["documents"],
                "quarantined": written["quarantined"],
                "documents_inserted": written["documents_inserted"],
                "documents_updated": written["documents_updated"],
            }
        )
        log.info(
            "batch %d: %d files -> %d documents, %d quarantined, %d unchanged",
            n_batch,
            n_files,
            written["documents"],
            written["quarantined"],
            unchanged,
        )

    units = ingest_stage.iter_units(files, cfg.ingest, known)
    start_versions = {t: wh.version(t) for t in ("documents", "segments")}
    run_doc_ids: set[str] = set()
    known_payload = Payload(known)
    for n_batch, batch in enumerate(plan_batches(units, cfg.ingest.batch_size), start=1):
        raws, rejects, unchanged = ingest_task(Payload(batch), cfg, known_payload).value
        for raw in raws:
            if raw.doc_id not in known_docs:  # documents of earlier runs are already counted
                for fp, text in clean_stage.site_blocks(raw).items():
                    key = (raw.site_key, fp)
                    state.site_blocks[key] += 1
                    if (
                        state.site_blocks[key] + stored_blocks.get(key, 0)
                        >= cfg.clean.site_boilerplate_min_docs
                    ):
                        state.site_examples.setdefault(key, text)
                        state.fingerprints.setdefault(key[0], set()).add(fp)
        fingerprints = {site: frozenset(fps) for site, fps in state.fingerprints.items()}
        f_clean = clean_task.with_options(timeout_seconds=cfg.batch_timeout_s).submit(
            Payload(raws), cfg, Payload(fingerprints)
        )
        f_sign = sign_task.with_options(timeout_seconds=cfg.batch_timeout_s).submit(f_clean, cfg)
        f_events = extract_events_task.with_options(timeout_seconds=cfg.batch_timeout_s).submit(
            f_clean, ref_date, cfg
        )
        known_ids = frozenset(r.doc_id for r in raws if r.doc_id in known_docs)
        batch_ids = {r.doc_id for r in raws}
        fresh = not known_ids and not (batch_ids & run_doc_ids) and len(batch_ids) == len(raws)
        run_doc_ids.update(batch_ids)
        f_write = write_batch_task.submit(wh, run_id, f_clean, Payload(rejects), Payload(known_ids), Payload((fresh, start_versions)))
        pending.append((n_batch, len(batch), unchanged, f_sign, f_events, f_write))
        del raws
        while len(pending) >= window:
            collect()
    while pending:
        collect()

    with wh.lock():  # read the stored index and events, merge, write: one run at a time
        summary = _finish(wh, run_id, started, params, cfg, state, stored_blocks)
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


def _finish(
    wh: Warehouse,
    run_id: str,
    started: datetime,
    params: dict,
    cfg: PipelineConfig,
    state: RunState,
    stored_blocks: dict,
) -> dict[str, Any]:
    """Dedup, event merging and publishing, then the `runs` row (the caller holds the warehouse lock)."""
    dup_rows, index_entries = dedup_task(wh, Payload(state.index_entries), cfg).value
    canonical_of = {r.doc_id: r.canonical_doc_id for r in dup_rows}
    stored_dups = wh.read("duplicates", columns=["doc_id", "canonical_doc_id"]).to_pylist()
    canonical_of = {**{r["doc_id"]: r["canonical_doc_id"] for r in stored_dups}, **canonical_of}
    events, assign = merge_events_task(wh, Payload(state.mentions), Payload(canonical_of), cfg).value
    published_ids = {e.event_id for e in events}
    mention_rows = [
        events_stage.mention_row(m, assign[i], run_id)
        for i, m in enumerate(state.mentions)
        if assign.get(i) in published_ids
    ]
    boiler_rows = []
    for (site, fp), n_new in state.site_blocks.items():
        n = stored_blocks.get((site, fp), 0) + n_new
        if n >= cfg.clean.site_boilerplate_min_docs:
            row = {
                "site_key": site,
                "fingerprint": fp,
                "example": state.site_examples[(site, fp)][:200],
                "n_documents": n,
                "run_id": run_id,
            }
            row["record_hash"] = record_hash(row)
            boiler_rows.append(row)
    tables = {
        "duplicates": [dedup_stage.duplicate_row(r, run_id) for r in dup_rows],
        "dedup_index": [dedup_stage.index_row(e, run_id) for e in index_entries],
        "event_mentions": mention_rows,
        "events": [events_stage.event_row(e, run_id) for e in events],
        "boilerplate": boiler_rows,
    }
    versions = publish_task(wh, run_id, Payload(tables), Payload(sorted(state.changed_doc_ids)))
    counts = {
        **dict(state.counts),
        "duplicates": sum(not r.is_canonical for r in dup_rows),
        "exact_duplicates": sum(r.method == "exact" and not r.is_canonical for r in dup_rows),
        "near_duplicates": sum(r.method == "near" and not r.is_canonical for r in dup_rows),
        "events": len(events),
        "event_mentions": len(mention_rows),
        "quarantine_reasons": dict(state.quarantine_reasons),
    }
    processed = counts.get("records_in", 0) - counts.get("unchanged", 0)
    share = counts.get("quarantined", 0) / processed if processed else 0.0
    status = "failed" if share > cfg.max_reject_share else "completed"
    return _publish_run(wh, run_id, started, status, params, counts, versions)


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


"""The only module that touches disk: Delta Lake tables under a warehouse directory, and the run manifest.

Every write is checked against `tasks/schema.py` first, carries the run id in the commit metadata,
and creates tables with `delta.logRetentionDuration` raised so old versions stay readable (time travel).
Merges de-duplicate their source on the table key (deltalake inserts both copies of a duplicate new
key), skip rows whose `record_hash` is unchanged (re-runs add nothing), and retry on CommitFailedError
when another writer commits first. The `runs` table is written last: one row per run with every
table's version, so readers can pin a consistent set of tables.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import random
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import xxhash
from deltalake import CommitProperties, DeltaTable, WriterProperties, write_deltalake
from deltalake.exceptions import CommitFailedError, TableNotFoundError
from deltalake.transaction import AddAction

from tasks.schema import TABLES, check_table

# Parquet row groups of at most 16k rows: delta-rs buffers a whole row group before encoding it, and
# its default (1M rows) held a whole table write in memory (+142 MB for 100k index rows, +53 MB now).
# Compression must be named: WriterProperties without it writes uncompressed (3.6x larger files).
WRITER = WriterProperties(max_row_group_size=16_384, compression="SNAPPY")

# Appends to a local warehouse: Parquet files written by pyarrow as the batches stream in, a new file
# past FILE_TARGET_BYTES, then committed in one transaction. delta-rs's writer held memory in
# proportion to the rows of a commit (100k index rows streamed in 10k-row chunks: +194 MB peak against
# +102 MB this way, of which ~60 MB is making the rows); object stores keep delta-rs's writer.
FILE_TARGET_BYTES = 128 << 20

TABLE_CONFIGURATION = {
    # Keep the log and removed files for ten years: time travel to any run stays possible until a
    # deliberate `vacuum`. The default (30 days) silently drops old versions.
    "delta.logRetentionDuration": "interval 3650 days",
    "delta.deletedFileRetentionDuration": "interval 3650 days",
}
COMMIT_RETRIES = 8


class WarehouseError(RuntimeError):
    """A warehouse table is missing, unreadable or inconsistent (the message names it)."""


class SimulatedCrash(BaseException):
    """Raised by the crash-test hook in place of a kill (BaseException: nothing handles it as an error)."""


class CrashHook:
    """Fault injection for crash-consistency tests: the process stops right after its N-th Delta
    commit that writes rows (creating an empty table changes no row, so stopping after it leaves
    what stopping after the commit before does), as if killed there. `NEWSLAKE_CRASH_AFTER_COMMITS=N` (read once per process) kills the
    process group with SIGKILL; `CRASH.arm(n)` in-process raises SimulatedCrash instead, and every
    later commit of the process is refused (a killed process commits nothing more)."""

    def __init__(self) -> None:
        env = os.environ.get("NEWSLAKE_CRASH_AFTER_COMMITS", "")
        self.after: int | None = int(env) if env.isdigit() else None
        self.kill = self.after is not None
        self.commits = 0
        self.crashed = False

    def arm(self, n: int | None) -> None:
        self.after, self.kill, self.commits, self.crashed = n, False, 0, False

    def before(self) -> None:
        if self.crashed:
            raise SimulatedCrash("the process crashed earlier (crash-test hook)")

    def committed(self) -> None:
        if self.after is None:
            return
        self.commits += 1
        if self.commits >= self.after:
            if self.kill:
                import signal

                os.killpg(os.getpgrp(), signal.SIGKILL)
            self.crashed = True
            raise SimulatedCrash(f"crash-test hook: stopped after commit {self.commits}")


CRASH = CrashHook()


@dataclass(frozen=True, slots=True)
class Warehouse:
    root: str
    storage_options: dict[str, str] | None = None

    # --- paths and tables ---------------------------------------------------------------------

    def uri(self, table: str) -> str:
        if table not in TABLES:
            raise WarehouseError(f"unknown table {table!r}; tables: {', '.join(TABLES)}")
        if "://" in self.root:
            return f"{self.root.rstrip('/')}/{table}"
        return str(Path(self.root) / table)

    def exists(self, table: str) -> bool:
        try:
            DeltaTable(self.uri(table), storage_options=self.storage_options)
            return True
        except TableNotFoundError:
            return False

    def table(self, table: str, version: int | None = None) -> DeltaTable:
        try:
            return DeltaTable(self.uri(table), version=version, storage_options=self.storage_options)
        except TableNotFoundError as exc:
            raise WarehouseError(f"table {table!r} does not exist in warehouse {self.root} (run `newslake run` first)") from exc

    def ensure(self, table: str) -> DeltaTable:
        """Open `table`, creating it empty (with the contract schema and retention settings) if missing."""
        if self.exists(table):
            return self.table(table)
        if "://" not in self.root:
            Path(self.root).mkdir(parents=True, exist_ok=True)
        CRASH.before()
        try:
            dt = DeltaTable.create(
                self.uri(table),
                schema=TABLES[table].schema,
                mode="ignore",
                configuration=TABLE_CONFIGURATION,
                description=schema_description(TABLES[table].schema),
                storage_options=self.storage_options,
                commit_properties=CommitProperties(custom_metadata={"newslake.operation": "create"}),
            )
        except CommitFailedError:  # another writer created it first
            return self.table(table)
        return dt  # not counted by CRASH: an empty table's creation changes no row

    def version(self, table: str) -> int | None:
        return self.table(table).version() if self.exists(table) else None

    def read(self, table: str, columns: Sequence[str] | None = None, version: int | None = None) -> pa.Table:
        """The whole table (or some columns) as Arrow; an empty table with the contract schema if missing."""
        if not self.exists(table):
            schema = TABLES[table].schema
            return schema.empty_table().select(list(columns)) if columns else schema.empty_table()
        return self.table(table, version).to_pyarrow_table(columns=list(columns) if columns else None)

    # --- analysts' reads: one table, or all tables, as of one published run ----------------------

    def resolve_version(self, table: str, run_id: str | None = None, version: int | None = None) -> int | None:
        """The version to read: `version` if given; else the one `run_id` recorded in `runs`; else the
        latest published run's; else (no run published yet) the table's latest version."""
        if version is not None:
            return version
        if table == "runs":
            return None  # append-only: every published run is in its latest version
        try:
            run = self.run(run_id)
        except WarehouseError:
            if run_id is not None:
                raise
            return None
        versions = json.loads(run["table_versions"])
        if table not in versions:
            raise WarehouseError(f"table {table!r} was not written by run {run['run_id']}")
        return versions[table]

    def arrow(self, table: str, run_id: str | None = None, version: int | None = None) -> pa.Table:
        """`table` as an Arrow table, as of the latest published run (or `run_id`, or `version`)."""
        return self.table(table, self.resolve_version(table, run_id, version)).to_pyarrow_table()

    def pandas(self, table: str, run_id: str | None = None, version: int | None = None):
        """`table` as a pandas DataFrame, as of the latest published run (or `run_id`, or `version`)."""
        return self.arrow(table, run_id, version).to_pandas()

    def polars(self, table: str, run_id: str | None = None, version: int | None = None):
        """`table` as a Polars DataFrame, as of the latest published run (or `run_id`, or `version`)."""
        import polars as pl

        return pl.from_arrow(self.arrow(table, run_id, version))

    def dataset(self, table: str, version: int | None = None, run_id: str | None = None) -> ds.Dataset:
        """A lazy Arrow dataset of `table` for DuckDB and other Arrow readers.

        delta-rs merges write Parquet files whose Arrow schema uses string_view; a dataset declared
        with plain strings then breaks DuckDB's filter pushdown ("no kernel matching input types
        (string, string_view)"). Declaring the view types reads every file correctly.
        """
        return _arrow_dataset(self.table(table, self.resolve_version(table, run_id, version)))

    def scan(self, table: str, columns: Sequence[str] | None = None, batch_size: int = 5000) -> Iterator[pa.RecordBatch]:
        """The table's latest version (not the latest published run's, unlike `dataset`), as a stream
        of record batches: what the pipeline itself reads while it writes. Nothing if missing."""
        try:
            dt = self.table(table)
        except WarehouseError:
            return iter(())
        return _arrow_dataset(dt).to_batches(columns=list(columns) if columns else None, batch_size=batch_size)

    def duckdb(self, run_id: str | None = None, allow_files: bool = False):
        """A DuckDB connection with every table registered at one published run (default: the latest).

        Offline: no DuckDB extension is needed (DuckDB's `delta_scan` would download one). Unless
        `allow_files`, external access is switched off once the tables are registered and the setting
        is locked: SQL can read the registered tables only (no `read_csv('/etc/...')`, `glob`,
        `COPY ... TO`, `ATTACH`, `INSTALL`/`LOAD`), so a query from an untrusted source cannot touch
        the machine's files.
        """
        import duckdb

        versions = json.loads(self.run(run_id)["table_versions"])
        con = duckdb.connect()
        for table, version in sorted(versions.items()):
            con.register(table, self.dataset(table, version))
        if "runs" not in versions:  # append-only; a run cannot record its own row's version
            con.register("runs", self.dataset("runs"))
        with contextlib.suppress(duckdb.Error):  # timestamps come out in UTC, with their zone
            con.execute("SET TimeZone = 'UTC'")
        if not allow_files:
            con.execute("SET enable_external_access = false")
            con.execute("SET lock_configuration = true")
        return con

    def history(self, table: str) -> list[dict[str, Any]]:
        return self.table(table).history()

    # --- writes -------------------------------------------------------------------------------

    @contextmanager
    def lock(self, timeout_s: float = 3600.0) -> Iterator[None]:
        """Exclusive write lock on a local warehouse (`<root>/.newslake.lock`, fcntl; released by the OS
        if the process dies). Runs hold it while they read-merge-write, so two concurrent runs
        serialise their writes instead of both inserting the same new keys (which deltalake allows).
        Object-store warehouses (`s3://...`) are not locked: serialise runs there with a Prefect
        concurrency limit or one work-pool slot.
        """
        if "://" in self.root:
            yield
            return
        import fcntl

        Path(self.root).mkdir(parents=True, exist_ok=True)
        with open(Path(self.root) / ".newslake.lock", "a+") as fh:
            deadline = time.monotonic() + timeout_s
            while True:
                try:
                    fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() > deadline:
                        raise WarehouseError(f"warehouse {self.root} is locked by another run for more than {timeout_s:.0f} s") from None
                    time.sleep(0.2)
            try:
                yield
            finally:
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)

    def _retry(self, what: str, fn) -> Any:
        for attempt in range(COMMIT_RETRIES):
            CRASH.before()
            try:
                return fn()
            except CommitFailedError:
                if attempt == COMMIT_RETRIES - 1:
                    raise
                time.sleep(min(2.0, 0.05 * 2**attempt) * (0.5 + random.random()))
        raise WarehouseError(f"{what}: unreachable")

    def merge(self, table: str, data: pa.Table, run_id: str, stale: tuple[str, Sequence[str]] | None = None) -> dict[str, int]:
        """Upsert `data` on the table key; unchanged rows (same record_hash) are left alone.

        `stale=(column, values)`: target rows whose `column` is in `values` but which are not in the
        source are deleted (segments of a document that changed and now has fewer blocks).
        Returns deltalake's merge metrics.
        """
        spec = TABLES[table]
        data = dedupe_on_keys(check_table(table, data), spec.keys)
        if data.num_rows == 0 and not (stale and stale[1]):
            return {"num_target_rows_inserted": 0, "num_target_rows_updated": 0, "num_target_rows_deleted": 0}

        def run() -> dict[str, int]:
            dt = self.ensure(table)
            if _only_inserts(dt, stale):
                # Nothing stored yet (a first run): a merge could only insert, and its join would
                # cost memory and time in proportion to the data. Writers hold the warehouse lock.
                self._append(table, data.to_batches(), run_id)
                return {"num_target_rows_inserted": data.num_rows, "num_target_rows_updated": 0, "num_target_rows_deleted": 0}
            metrics = _upsert(dt, data, spec, run_id, stale).execute()
            CRASH.committed()
            return metrics

        return self._retry(f"merge into {table}", run)

    def write_stream(
        self,
        table: str,
        chunks: Callable[[], Iterable[pa.Table]],
        run_id: str,
        stale: tuple[str, Sequence[str]] | None = None,
    ) -> int:
        """`merge` for data too large to hold as one Arrow table: `chunks()` yields pieces (a fresh
        iterator on every call, so a commit conflict can retry), each checked against the contract and
        streamed to delta-rs as it is made. Keys must be unique across chunks (the caller partitions by
        key); within a chunk the last row per key wins. Written in one commit: appended when the table
        holds nothing yet, merged (streamed execution) otherwise. Returns the number of source rows.
        A key repeated in a later chunk raises WarehouseError (delta-rs would insert both copies).
        """
        spec = TABLES[table]
        written = 0
        failure: list[BaseException] = []

        def checked() -> Iterator[pa.Table]:
            seen: set[int] = set()  # 64-bit hashes of the keys streamed so far
            try:
                for chunk in chunks():
                    chunk = dedupe_on_keys(check_table(table, chunk), spec.keys)
                    cols = [chunk.column(k).to_pylist() for k in spec.keys]
                    for key in zip(*cols, strict=True):
                        h = xxhash.xxh64_intdigest(repr(key).encode())
                        if h in seen:
                            raise WarehouseError(f"write {table}: key {key} appears in more than one chunk of the stream")
                        seen.add(h)
                    if chunk.num_rows:
                        yield chunk
            except Exception as exc:  # raised inside delta-rs's read of the stream: re-raised as is below
                failure.append(exc)
                raise

        def run() -> int:
            nonlocal written
            written = 0
            pieces = checked()
            first = next(pieces, None)
            if first is None and not (stale and stale[1]):
                return 0  # nothing to write: no empty commit

            def batches() -> Iterator[pa.RecordBatch]:
                nonlocal written
                for chunk in itertools.chain([first] if first is not None else [], pieces):
                    written += chunk.num_rows
                    yield from chunk.to_batches()

            dt = self.ensure(table)
            if _only_inserts(dt, stale):  # first write (writers hold the lock)
                self._append(table, batches(), run_id)
            else:
                reader = pa.RecordBatchReader.from_batches(spec.schema, batches())
                _upsert(dt, reader, spec, run_id, stale, streamed_exec=True).execute()
                CRASH.committed()
            return written

        try:
            return self._retry(f"write {table}", run)
        except Exception as exc:
            if failure and failure[-1] is not exc:  # delta-rs wraps it in a DeltaError: give the cause
                raise failure[-1] from exc
            raise

    def only_written_by(self, table: str, run_id: str, since_version: int | None) -> bool:
        """True when every commit to `table` after `since_version` was made by run `run_id` (table
        creations aside): nobody else can have inserted rows since."""
        current = self.version(table)
        if current is None:
            return True
        start = -1 if since_version is None else since_version
        if current <= start:
            return True
        for h in self.history(table)[: current - start]:
            if h.get("version", 0) <= start:
                continue
            if h.get("newslake.run_id") != run_id and h.get("newslake.operation") != "create":
                return False
        return True

    def insert_or_merge(self, table: str, data: pa.Table, run_id: str, fresh: bool, since_version: int | None) -> dict[str, int]:
        """Append `data` when its keys are new (`fresh`: none stored before the run, none written by
        this run yet) and no other writer touched the table since `since_version`; merge otherwise.
        Appends cost O(batch) where merges scan the table, so a long first ingest stays linear."""
        if fresh and self.only_written_by(table, run_id, since_version):
            data = dedupe_on_keys(check_table(table, data), TABLES[table].keys)
            if data.num_rows:
                self.append(table, data, run_id)
            return {"num_target_rows_inserted": data.num_rows, "num_target_rows_updated": 0, "num_target_rows_deleted": 0}
        return self.merge(table, data, run_id)

    def append(self, table: str, data: pa.Table, run_id: str) -> None:
        data = check_table(table, data)
        self._retry(f"append to {table}", lambda: self._append(table, data.to_batches(), run_id))

    def _append(self, table: str, batches: Iterable[pa.RecordBatch], run_id: str) -> None:
        """Append `batches` (already checked) in one commit. A local warehouse streams them into
        Parquet files (pyarrow) committed with deltalake's transaction API, so memory does not grow
        with the rows; files of a failed append are removed and the table keeps its version."""
        dt = self.ensure(table)
        props = _run_commit(run_id)
        schema = TABLES[table].schema
        if "://" in self.root:
            reader = pa.RecordBatchReader.from_batches(schema, batches)
            write_deltalake(
                self.uri(table), reader, mode="append", storage_options=self.storage_options,
                commit_properties=props, writer_properties=WRITER,
            )
            CRASH.committed()
            return
        files: list[Path] = []
        try:
            actions = _write_files(Path(self.uri(table)), schema, batches, files)
            if actions:
                dt.create_write_transaction(actions, "append", schema, commit_properties=props)
        except BaseException:
            for f in files:
                f.unlink(missing_ok=True)
            raise
        if actions:
            CRASH.committed()

    def overwrite(self, table: str, data: pa.Table, run_id: str) -> None:
        """Replace the table's content in one commit (for derived tables rebuilt each run)."""
        data = check_table(table, data)
        self.ensure(table)
        self._retry(
            f"overwrite {table}",
            lambda: write_deltalake(
                self.uri(table),
                data,
                mode="overwrite",
                storage_options=self.storage_options,
                commit_properties=_run_commit(run_id),
                writer_properties=WRITER,
            ),
        )
        CRASH.committed()

    # --- runs ---------------------------------------------------------------------------------

    def runs(self) -> list[dict[str, Any]]:
        """Published runs in the order their `runs` rows were committed, oldest first: the last one
        published is the latest, whatever the start times (a run that started later but finished
        first is not the latest once the other publishes)."""
        if not self.exists("runs"):
            return []
        dt = self.table("runs")
        rows = dt.to_pyarrow_table().to_pylist()
        order = self.commit_order("runs")  # read after the rows: every row's commit is in it
        return sorted(rows, key=lambda r: (order.get(r["run_id"], -1), r["finished_at"]))

    def roll_back_unpublished(self, tables: Sequence[str], run_id: str) -> dict[str, int]:
        """Undo what runs that never published left at the end of `tables` (a run killed, or failed
        by an error, in its final phase): each table whose commits after the version the last
        published run recorded were all made by runs without a `runs` row is restored to that
        version (to its empty first version when the last run had none). Call it holding the lock
        with `tables` written only under it, before reading them: the final phase writes them and
        its `runs` row in one lock section, so such commits can only be a dead run's. Returns
        table -> version restored to."""
        runs = self.runs()
        published = {r["run_id"] for r in runs}
        recorded = json.loads(runs[-1]["table_versions"]) if runs else {}
        restored: dict[str, int] = {}
        for t in tables:
            current = self.version(t)
            base = recorded.get(t, 0)
            if current is None or current <= base:
                continue
            later = [h for h in self.history(t) if h.get("version", -1) > base]
            writers = {h.get("newslake.run_id") for h in later if h.get("newslake.operation") != "create"}
            if not writers or writers & published or None in writers:
                continue  # a published run's (or a foreign) commit: leave the table alone
            CRASH.before()
            self.table(t).restore(base, commit_properties=_run_commit(run_id))
            CRASH.committed()
            restored[t] = base
        return restored

    def commit_order(self, table: str) -> dict[str, int]:
        """run id -> the version of that run's last commit to `table` (its Delta log)."""
        order: dict[str, int] = {}
        for h in self.history(table):
            rid = h.get("newslake.run_id")
            if rid is not None and h.get("version") is not None:
                order[rid] = max(order.get(rid, -1), int(h["version"]))
        return order

    def run(self, run_id: str | None = None) -> dict[str, Any]:
        """A published run (the latest completed one when `run_id` is None)."""
        runs = [r for r in self.runs() if r["status"] == "completed"]
        if not runs:
            raise WarehouseError(f"no completed run in warehouse {self.root}")
        if run_id is None:
            return runs[-1]
        for r in runs:
            if r["run_id"] == run_id:
                return r
        raise WarehouseError(f"run {run_id!r} not found in warehouse {self.root}")

    def table_at_run(self, table: str, run_id: str | None = None) -> DeltaTable:
        """`table` at the version a published run recorded: a consistent view across tables."""
        versions = json.loads(self.run(run_id)["table_versions"])
        if table not in versions:
            raise WarehouseError(f"table {table!r} was not part of run {run_id or 'latest'}")
        return self.table(table, versions[table])

    def current_versions(self, tables: Sequence[str]) -> dict[str, int]:
        return {t: v for t in tables if (v := self.version(t)) is not None}


    # --- maintenance: row counts, vacuum, optimize, rollback, schema check ------------------------

    def row_counts(self, tables: Sequence[str], run_id: str | None = None) -> dict[str, int]:
        """Rows per table as of a published run (default: the latest), from the Delta log's per-file
        record counts: no data file is read."""
        versions = json.loads(self.run(run_id)["table_versions"])
        out = {}
        for t in tables:
            if t in versions or (t == "runs" and self.exists(t)):
                actions = pa.table(self.table(t, versions.get(t)).get_add_actions(flatten=True))
                out[t] = int(pc.sum(actions.column("num_records")).as_py() or 0) if actions.num_rows else 0
        return out

    def kept_runs(self, keep_runs: int | None = None, older_than_days: float | None = None) -> list[dict[str, Any]]:
        """The published runs whose table versions stay readable under a retention policy: the last
        `keep_runs` runs and every run finished less than `older_than_days` ago (no option: all of
        them). The latest published run is always kept."""
        runs = [r for r in self.runs() if r["status"] == "completed"]
        if not runs:
            return []
        if keep_runs is None and older_than_days is None:
            return runs
        keep = {id(runs[-1])}
        if keep_runs is not None:
            keep |= {id(r) for r in runs[-max(1, keep_runs):]}
        if older_than_days is not None:
            cutoff = time.time() - older_than_days * 86400
            keep |= {id(r) for r in runs if r["finished_at"].timestamp() >= cutoff}
        return [r for r in runs if id(r) in keep]

    def vacuum(self, keep_runs: int | None = None, older_than_days: float | None = None, dry_run: bool = False) -> dict[str, int]:
        """Delete data files that no kept run (see `kept_runs`) and no table's current version still
        reads: the leftovers of merges and overwrites between published runs, and of runs outside the
        retention. Returns files deleted (or, with `dry_run`, that would be) per table. Holds the
        write lock: a run in progress is never vacuumed under."""
        kept = self.kept_runs(keep_runs, older_than_days)
        if not kept:
            raise WarehouseError(f"no completed run in warehouse {self.root}: nothing to vacuum against")
        removed: dict[str, int] = {}
        with self.lock():
            for t in TABLES:
                if not self.exists(t):
                    continue
                dt = self.table(t)
                versions = sorted({v for r in kept if (v := json.loads(r["table_versions"]).get(t)) is not None} | {dt.version()})

                def vacuum(dry: bool, dt: DeltaTable = dt, versions: list[int] = versions) -> list[str]:
                    return dt.vacuum(
                        retention_hours=0, dry_run=dry, enforce_retention_duration=False, keep_versions=versions,
                        commit_properties=CommitProperties(custom_metadata={"newslake.operation": "vacuum"}),
                    )

                files = vacuum(True)
                if "://" not in self.root:  # delta-rs lists tombstones of files deleted by an earlier vacuum too
                    files = [f for f in files if (Path(self.uri(t)) / f).exists()]
                if files and not dry_run:
                    vacuum(False)
                removed[t] = len(files)
        return removed

    def _unpublished(self, run: dict[str, Any]) -> list[str]:
        """Tables whose current version is not the one `run` published (a killed or running run
        committed since): maintenance that makes new versions would publish those commits."""
        versions = json.loads(run["table_versions"])
        return sorted(t for t, v in versions.items() if t != "runs" and self.version(t) != v)

    def optimize(self, target_size: int | None = None) -> dict[str, Any]:
        """Compact each table's small files into larger ones (a new version per table with the same
        rows; old versions stay readable until `vacuum`), and publish the new versions as a
        maintenance run. Returns {"run_id", "tables": {table: files removed/added}}."""
        with self.lock():
            latest = self.run()
            stale = self._unpublished(latest)
            if stale:
                raise WarehouseError(
                    f"tables {', '.join(stale)} have commits newer than the latest published run "
                    f"{latest['run_id']} (a run in progress or killed): run `newslake run` first"
                )
            run_id = maintenance_run_id()
            versions = dict(json.loads(latest["table_versions"]))
            done: dict[str, Any] = {}
            for t in sorted(versions):
                if t == "runs" or not self.exists(t):
                    continue
                m = self.table(t).optimize.compact(target_size=target_size, writer_properties=WRITER, commit_properties=_run_commit(run_id))
                done[t] = {"files_removed": m.get("numFilesRemoved", 0), "files_added": m.get("numFilesAdded", 0)}
                versions[t] = self.version(t)
            self._publish_maintenance(run_id, {"operation": "optimize"}, latest, versions)
        return {"run_id": run_id, "tables": done}

    def rollback(self, to_run_id: str) -> dict[str, Any]:
        """Restore every table to the versions run `to_run_id` published, each as a new version (the
        history in between stays readable), and publish them as a maintenance run: readers and the
        next run see the warehouse as that run left it. Returns {"run_id", "versions"}."""
        with self.lock():
            target = self.run(to_run_id)
            run_id = maintenance_run_id()
            versions: dict[str, int] = {}
            for t, v in sorted(json.loads(target["table_versions"]).items()):
                if t == "runs":
                    continue
                dt = self.table(t)
                if dt.version() != v:
                    dt.restore(v, commit_properties=_run_commit(run_id))
                versions[t] = self.version(t)
            self._publish_maintenance(run_id, {"operation": "rollback", "to_run": target["run_id"]}, target, versions)
        return {"run_id": run_id, "versions": versions}

    def _publish_maintenance(self, run_id: str, params: dict[str, Any], basis: dict[str, Any], versions: dict[str, int]) -> None:
        """A `runs` row for a maintenance operation: it publishes `versions`; counts are the ones of
        the run whose data it carries (`basis`), so summaries and reports stay meaningful."""
        from datetime import UTC, datetime

        now = datetime.now(UTC)
        row = dict(basis)
        row.update(
            run_id=run_id, flow_run_id=None, started_at=now, finished_at=now, status="completed",
            params=json.dumps({**params, "basis_run": basis["run_id"]}, sort_keys=True),
            table_versions=json.dumps(versions, sort_keys=True),
        )
        schema = TABLES["runs"].schema
        self.append("runs", pa.Table.from_pylist([{c: row.get(c) for c in schema.names}], schema=schema), run_id)

    def schema_status(self, signatures: str | None = None) -> list[dict[str, Any]]:
        """Each stored table against the contract in `tasks/schema.py`: `ok`, `missing` (not created
        yet), `upgradable` (the contract adds nullable columns: `upgrade` adds them) or
        `incompatible` (a column removed, retyped, or added as non-null: the table must be rebuilt).
        With `signatures` (the scheme this newslake signs with, `dedup.signature_scheme`), a
        `dedup_index` holding signatures of another scheme, or of none recorded, is `incompatible`
        too: signatures of two schemes are not comparable, near duplicates of earlier runs would go
        unseen. Each row: table, status, recorded schema version, contract version, detail."""
        out = []
        for t, spec in TABLES.items():
            row = {"table": t, "contract": schema_fingerprint(spec.schema), "recorded": None, "status": "ok", "detail": ""}
            if not self.exists(t):
                out.append({**row, "status": "missing"})
                continue
            dt = self.table(t)
            row["recorded"] = recorded_schema(dt)
            if t == INDEX_TABLE and signatures is not None:
                stored_scheme = recorded_signatures(dt)
                if stored_scheme != signatures and dt.to_pyarrow_dataset().count_rows():
                    made = f"scheme {stored_scheme}" if stored_scheme else "a scheme not recorded (before one-permutation MinHash)"
                    out.append({**row, "status": "incompatible", "detail": f"signatures made with {made}, this newslake signs with {signatures}"})
                    continue
            stored = {f.name: f for f in pa.schema(dt.schema().to_arrow())}
            added = [f for f in spec.schema if f.name not in stored]
            removed = [n for n in stored if n not in spec.schema.names]
            retyped = [f.name for f in spec.schema if f.name in stored and not _compatible(stored[f.name].type, f.type)]
            if removed or retyped or any(not f.nullable for f in added):
                why = [f"columns no longer in the contract: {', '.join(removed)}"] if removed else []
                why += [f"columns with another type: {', '.join(retyped)}"] if retyped else []
                why += [f"new non-null columns: {', '.join(f.name for f in added if not f.nullable)}"] if any(not f.nullable for f in added) else []
                out.append({**row, "status": "incompatible", "detail": "; ".join(why)})
            elif added:
                out.append({**row, "status": "upgradable", "detail": "new columns: " + ", ".join(f.name for f in added)})
            else:
                out.append(row)
        return out

    def upgrade(self) -> list[str]:
        """Add the contract's new nullable columns to stored tables (null in existing rows; a
        `run --full-refresh` fills them) and record the contract's schema version on every table.
        Raises WarehouseError when a table is incompatible. Returns the tables changed."""
        from deltalake import Field

        status = self.schema_status()
        bad = [s for s in status if s["status"] == "incompatible"]
        if bad:
            raise WarehouseError(incompatible_message(self.root, bad))
        changed = []
        with self.lock():
            for s in status:
                if s["status"] == "missing":
                    continue
                dt = self.table(s["table"])
                spec = TABLES[s["table"]]
                if s["status"] == "upgradable":
                    stored = set(pa.schema(dt.schema().to_arrow()).names)
                    fields = [Field.from_arrow(f) for f in spec.schema if f.name not in stored]
                    dt.alter.add_columns(fields)
                    changed.append(s["table"])
                dt = self.table(s["table"])
                if recorded_schema(dt) != s["contract"]:
                    dt.alter.set_table_description(schema_description(spec.schema, recorded_signatures(dt)))
                    if s["table"] not in changed:
                        changed.append(s["table"])
        return changed

    def record_signatures(self, scheme: str, run_id: str | None = None) -> None:
        """Record on `dedup_index` the signature scheme its rows are made with (before the first
        rows are written; the caller holds the warehouse lock). A run's commit (`run_id`): undone
        with its other commits when the run dies unpublished (`roll_back_unpublished`)."""
        dt = self.ensure(INDEX_TABLE)
        if recorded_signatures(dt) != scheme:
            CRASH.before()
            dt.alter.set_table_description(
                schema_description(TABLES[INDEX_TABLE].schema, scheme),
                commit_properties=_run_commit(run_id) if run_id else None,
            )
            CRASH.committed()

    def signatures(self) -> str | None:
        """The signature scheme recorded on `dedup_index` (None: no table, or none recorded)."""
        return recorded_signatures(self.table(INDEX_TABLE)) if self.exists(INDEX_TABLE) else None


# The contract version a table was created or upgraded with is recorded in its Delta description
# ("newslake schema <version>"), and on `dedup_index` the MinHash signature scheme of its rows
# ("newslake schema <version> signatures <scheme>"): delta-rs refuses custom table properties.
SCHEMA_PREFIX = "newslake schema "
SIGNATURES_PREFIX = " signatures "
INDEX_TABLE = "dedup_index"


def schema_description(schema: pa.Schema, signatures: str | None = None) -> str:
    return SCHEMA_PREFIX + schema_fingerprint(schema) + (SIGNATURES_PREFIX + signatures if signatures else "")


def recorded_schema(dt: DeltaTable) -> str | None:
    """The schema version recorded on a table (None for tables made before versions were recorded)."""
    desc = dt.metadata().description or ""
    return desc.removeprefix(SCHEMA_PREFIX).partition(SIGNATURES_PREFIX)[0] if desc.startswith(SCHEMA_PREFIX) else None


def recorded_signatures(dt: DeltaTable) -> str | None:
    """The signature scheme recorded on a `dedup_index` table (None when none is)."""
    desc = dt.metadata().description or ""
    return desc.partition(SIGNATURES_PREFIX)[2] or None if desc.startswith(SCHEMA_PREFIX) else None


def schema_fingerprint(schema: pa.Schema) -> str:
    """A short, stable version id of a table schema (column names, types, nullability)."""
    text = ";".join(f"{f.name}:{f.type}:{int(f.nullable)}" for f in schema)
    return xxhash.xxh64_hexdigest(text.encode())[:12]


def _compatible(stored: pa.DataType, contract: pa.DataType) -> bool:
    """Same type up to Arrow's string/view/large variants (delta-rs reads strings back as views)."""
    return _view_type(stored).equals(_view_type(contract)) or str(stored) == str(contract)


def incompatible_message(root: str, bad: list[dict[str, Any]]) -> str:
    """What to tell the user about tables this newslake cannot write (one line)."""
    tables = "; ".join(f"{s['table']} ({s['detail']})" for s in bad)
    return (
        f"warehouse {root} was written by another newslake schema: {tables}. Rebuild it: "
        f"move it aside and `newslake run` into a new warehouse (the old one stays readable)"
    )


def maintenance_run_id() -> str:
    """Run id of a maintenance operation (same shape as a pipeline run's: UTC time + random suffix)."""
    import secrets
    from datetime import UTC, datetime

    return datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(3)


def _run_commit(run_id: str) -> CommitProperties:
    """Every write's commit carries the run that made it (`history`, `only_written_by`)."""
    return CommitProperties(custom_metadata={"newslake.run_id": run_id})


def _only_inserts(dt: DeltaTable, stale: tuple[str, Sequence[str]] | None) -> bool:
    """A merge into `dt` could only insert: the table holds no file and nothing stale is deleted."""
    return not (stale and stale[1]) and not dt.file_uris()


def _upsert(dt: DeltaTable, source: Any, spec: Any, run_id: str, stale: tuple[str, Sequence[str]] | None, **kw: Any) -> Any:
    """The merge of every upsert, on the table key: update changed rows (record_hash differs),
    insert new keys, and delete `stale` target rows (`column IN values`) the source no longer has."""
    merger = dt.merge(
        source, predicate=" AND ".join(f"t.{k} = s.{k}" for k in spec.keys), source_alias="s", target_alias="t",
        commit_properties=_run_commit(run_id), writer_properties=WRITER, **kw,
    )
    if "record_hash" in spec.column_names:
        merger = merger.when_matched_update_all(predicate="t.record_hash != s.record_hash")
    else:
        merger = merger.when_matched_update_all()
    merger = merger.when_not_matched_insert_all()
    if stale and stale[1]:
        col, values = stale
        quoted = ", ".join("'" + v.replace("'", "''") + "'" for v in sorted(set(values)))
        merger = merger.when_not_matched_by_source_delete(predicate=f"t.{col} IN ({quoted})")
    return merger


def _write_files(root: Path, schema: pa.Schema, batches: Iterable[pa.RecordBatch], files: list[Path]) -> list[AddAction]:
    """Write `batches` into Parquet files under the table directory `root` (Snappy, 16k-row row
    groups, a new file past FILE_TARGET_BYTES), each path appended to `files` as it is opened, and
    return their add actions with per-file statistics."""
    actions: list[AddAction] = []
    writer: pq.ParquetWriter | None = None
    stats = _FileStats(schema)
    path = root

    def close() -> None:
        nonlocal writer
        assert writer is not None
        writer.close()
        writer = None
        st = path.stat()
        actions.append(AddAction(path.name, st.st_size, {}, int(st.st_mtime * 1000), True, stats.json()))

    try:
        for batch in batches:
            if not batch.num_rows:
                continue
            if writer is None:
                path = root / f"part-00000-{uuid.uuid4()}-c000.snappy.parquet"
                files.append(path)
                writer = pq.ParquetWriter(path, schema, compression="snappy")
                stats = _FileStats(schema)
            writer.write_batch(batch, row_group_size=WRITER.max_row_group_size)
            stats.add(batch)
            if os.path.getsize(path) >= FILE_TARGET_BYTES:
                close()
        if writer is not None:
            close()
    finally:
        if writer is not None:  # a batch failed mid-file: the caller removes the files
            writer.close()
    return actions


# String bounds longer than this are left out of file statistics (delta-rs truncates them to 64 bytes).
STAT_STRING_BYTES = 64


class _FileStats:
    """A data file's Delta statistics, as delta-rs writes them: `numRecords`, and per top-level
    string, integer and date column its min, max and null count (the columns file skipping and
    merge pruning use; others are left out, which readers take as unknown). A string column whose
    largest value is longer than STAT_STRING_BYTES gets no bounds; its smallest value is cut to a
    prefix of that length."""

    def __init__(self, schema: pa.Schema) -> None:
        self.rows = 0
        self.cols = [
            f.name for f in schema
            if pa.types.is_string(f.type) or pa.types.is_integer(f.type) or pa.types.is_date32(f.type)
        ]
        self.min: dict[str, Any] = {}
        self.max: dict[str, Any] = {}
        self.nulls = dict.fromkeys(self.cols, 0)

    def add(self, batch: pa.RecordBatch) -> None:
        self.rows += batch.num_rows
        for c in self.cols:
            col = batch.column(c)
            self.nulls[c] += col.null_count
            mm = pc.min_max(col)
            lo, hi = mm["min"].as_py(), mm["max"].as_py()
            if lo is not None:
                self.min[c] = lo if c not in self.min else min(self.min[c], lo)
                self.max[c] = hi if c not in self.max else max(self.max[c], hi)

    def json(self) -> str:
        lo: dict[str, Any] = {}
        hi: dict[str, Any] = {}
        for c, v in self.max.items():
            if isinstance(v, str) and len(v.encode()) > STAT_STRING_BYTES:
                continue  # long text (article bodies): no bounds, as if unknown
            low = self.min[c]
            if isinstance(low, str):  # a prefix is still a lower bound
                low = low.encode()[:STAT_STRING_BYTES].decode("utf-8", "ignore")
            lo[c], hi[c] = (x.isoformat() if hasattr(x, "isoformat") else x for x in (low, v))
        return json.dumps({"numRecords": self.rows, "minValues": lo, "maxValues": hi, "nullCount": self.nulls})


def _arrow_dataset(dt: DeltaTable) -> ds.Dataset:
    """A Delta table version as an Arrow dataset with view types (see `Warehouse.dataset`)."""
    schema = pa.schema([pa.field(f.name, _view_type(f.type), f.nullable) for f in pa.schema(dt.schema().to_arrow())])
    return dt.to_pyarrow_dataset(schema=schema)


def _view_type(t: pa.DataType) -> pa.DataType:
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return pa.string_view()
    if pa.types.is_binary(t) or pa.types.is_large_binary(t):
        return pa.binary_view()
    if pa.types.is_list(t) or pa.types.is_large_list(t):
        return pa.list_(pa.field(t.value_field.name, _view_type(t.value_type)))
    if pa.types.is_struct(t):
        return pa.struct([pa.field(f.name, _view_type(f.type), f.nullable) for f in t])
    return t


def dedupe_on_keys(table: pa.Table, keys: Sequence[str]) -> pa.Table:
    """Keep the last row per key (deltalake would insert both copies of a duplicate new key)."""
    if table.num_rows < 2:
        return table
    last: dict[tuple, int] = {}
    cols = [table.column(k).to_pylist() for k in keys]
    for i, key in enumerate(zip(*cols, strict=True)):
        last[key] = i
    if len(last) == table.num_rows:
        return table
    return table.take(pa.array(sorted(last.values()), type=pa.int64()))

"""`newslake` command line: run | serve | api | query | report | tables | history | clean | vacuum
| optimize | rollback | upgrade.

Exit code 0 on success; on failure one line on stderr (`newslake: ...`) and exit code 1 (2 for usage
errors argparse reports). Tracebacks only with `--debug`. Arguments, inputs and config are checked
before Prefect is imported: a typo fails in a fraction of a second. Each command imports only what it
needs (only `run` and `serve` import Prefect).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
QUERY_FORMATS = ("table", "csv", "json", "jsonl", "parquet")
API_LINGER_DEFAULT_S = 600  # flows.deploy.API_LINGER_S (not imported: --help stays light)


class CliError(Exception):
    """A problem the user can fix (bad argument, missing input, wrong warehouse): one line, exit 1."""


def _quiet_prefect_defaults(args: argparse.Namespace) -> None:
    """Prefect settings from the environment, set before Prefect is imported."""
    # Offline by design: Prefect's telemetry would log errors on every run without network.
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    # The ephemeral API gets 20 s to start by default, too little on a busy 2-core machine.
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
    # An empty PREFECT_API_URL breaks Prefect's events client: treat it as unset.
    if os.environ.get("PREFECT_API_URL", None) == "":
        del os.environ["PREFECT_API_URL"]
    # Prefect's console output (INFO lines per task, its tracebacks) stays out of the terminal unless
    # asked for with --log-level or --debug; the flow and task logs still reach the Prefect API (UI).
    level = args.log_level or ("DEBUG" if args.debug else None)
    if level:
        os.environ["PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL"] = level
        if level == "DEBUG":
            os.environ["PREFECT_LOGGING_LEVEL"] = "DEBUG"
    else:
        os.environ.setdefault("PREFECT_LOGGING_HANDLERS_CONSOLE_LEVEL", "CRITICAL")


# --- argument and input checks (no Prefect, no heavy imports) ---------------------------------


def _run_date(s: str) -> str:
    try:
        return date.fromisoformat(s).isoformat()
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"--run-date must be YYYY-MM-DD, got {s!r}") from exc


def _positive_int(s: str) -> int:
    try:
        n = int(s)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number >= 1, got {s!r}")
    return n


def parse_config(text: str | None) -> dict[str, Any] | None:
    """`--config` JSON -> the overrides dict, checked against `PipelineConfig` (keys and types)."""
    if not text:
        return None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CliError(f"--config is not valid JSON ({exc.msg} at character {exc.pos}): {text[:60]!r}") from None
    if not isinstance(data, dict):
        raise CliError(f"--config must be a JSON object like '{{\"dedup\": {{\"jaccard_threshold\": 0.6}}}}', got {text[:60]!r}")
    import dataclasses

    from tasks.config import PipelineConfig

    defaults = PipelineConfig()
    for key, value in data.items():
        section = getattr(defaults, key, None)
        if dataclasses.is_dataclass(section):
            if not isinstance(value, dict):
                raise CliError(f"--config: {key!r} must be a JSON object of settings, got {json.dumps(value)}")
            for name, v in value.items():
                want = getattr(section, name, None)
                if want is not None and not isinstance(v, bool) and isinstance(want, int | float) and not isinstance(v, int | float):
                    raise CliError(f"--config: {key}.{name} must be a number, got {json.dumps(v)}")
                if isinstance(want, bool) and not isinstance(v, bool):
                    raise CliError(f"--config: {key}.{name} must be true or false, got {json.dumps(v)}")
    try:
        PipelineConfig.from_dict(data)
    except (ValueError, TypeError) as exc:
        raise CliError(f"--config: {exc}") from None
    return data


def check_inputs(paths: list[str] | None) -> None:
    for p in paths or []:
        if not os.path.exists(p):
            raise CliError(f"--input {p}: " + ("a symlink to nothing" if os.path.lexists(p) else "no such file or directory"))
        if not os.access(p, os.R_OK):
            raise CliError(f"--input {p}: not readable (permission denied)")


def check_warehouse_writable(root: str) -> None:
    if "://" in root:
        return
    p = Path(root)
    if p.exists() and not p.is_dir():
        raise CliError(f"--warehouse {root}: exists and is not a directory")
    existing = next(a for a in [p, *p.parents] if a.exists())
    if not os.access(existing, os.W_OK):
        raise CliError(f"--warehouse {root}: {existing} is not writable")


def open_warehouse(root: str):
    """The warehouse at `root` for reading; CliError when it does not exist or holds no newslake table."""
    if "://" not in root:
        p = Path(root)
        if not p.is_dir():
            raise CliError(f"warehouse {root} does not exist (create it with `newslake run --warehouse {root}`)")
    from tasks.schema import TABLES
    from tasks.storage import Warehouse

    wh = Warehouse(root)
    if not any(wh.exists(t) for t in TABLES):
        raise CliError(f"{root} is not a newslake warehouse (no tables in it)")
    return wh


def check_schema(wh, command: str = "run", config: dict[str, Any] | None = None) -> None:
    """Fail early, saying what to run, when the stored tables predate this newslake's schema (or the
    stored dedup index was signed otherwise than `config`'s dedup settings sign)."""
    from tasks.storage import incompatible_message

    status = wh.schema_status(_signatures(config))
    bad = [s for s in status if s["status"] == "incompatible"]
    if bad:
        raise CliError(incompatible_message(wh.root, bad))
    old = [s["table"] for s in status if s["status"] == "upgradable"]
    if old:
        raise CliError(
            f"tables {', '.join(old)} of warehouse {wh.root} need new columns: run `newslake upgrade --warehouse {wh.root}`, "
            f"then `newslake {command} --full-refresh` to fill them"
        )


# --- output helpers ---------------------------------------------------------------------------


def _json_value(v: Any) -> Any:
    """A query value as JSON: dates ISO, timestamps ISO with their zone, decimals as numbers."""
    from decimal import Decimal

    if isinstance(v, datetime | date):
        return v.isoformat()
    if isinstance(v, Decimal):
        return float(v)
    if isinstance(v, bytes):
        return v.hex()
    if isinstance(v, dict):
        return {k: _json_value(x) for k, x in v.items()}
    if isinstance(v, list | tuple):
        return [_json_value(x) for x in v]
    if hasattr(v, "total_seconds"):  # timedelta
        return v.total_seconds()
    return v


def _cell(v: Any) -> str:
    """A scalar as text (nulls empty), a nested value as compact JSON."""
    if v is None:
        return ""
    if isinstance(v, dict | list | tuple):
        return json.dumps(_json_value(v), ensure_ascii=False, separators=(",", ":"))
    if isinstance(v, datetime | date):
        return v.isoformat()
    if isinstance(v, float):
        return repr(v) if v != int(v) or abs(v) >= 1e16 else f"{v:.1f}"
    return str(v)


def format_table(columns: list[str], rows: list[dict], numeric: set[str], max_width: int = 60) -> str:
    """A plain-text table: text left-aligned, numbers right-aligned, empty cells for nulls, long
    cells cut at `max_width` characters with an ellipsis."""
    if not rows:
        return "  ".join(columns) + "\n(no rows)"

    def fit(s: str) -> str:
        s = " ".join(s.split())  # newlines and tabs would break the table
        return s if len(s) <= max_width else s[: max_width - 1] + "…"

    cells = [[fit(_cell(r.get(c))) for c in columns] for r in rows]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(columns)]

    def line(values: list[str]) -> str:
        return "  ".join(v.rjust(w) if c in numeric else v.ljust(w) for v, w, c in zip(values, widths, columns, strict=True)).rstrip()

    return "\n".join([line(columns), "  ".join("-" * w for w in widths), *(line(r) for r in cells)])


def _print_table(rows: list[dict], columns: list[str], numeric: tuple[str, ...] = ()) -> None:
    print(format_table(columns, rows, set(numeric)))


def export_rows(table, fmt: str) -> str:
    """An Arrow query result as csv / json (an array) / jsonl (one object per line) / table text."""
    import pyarrow as pa

    rows = table.to_pylist()
    columns = table.column_names
    if fmt == "json":
        return json.dumps([_json_value(r) for r in rows], ensure_ascii=False, indent=1) + "\n"
    if fmt == "jsonl":
        return "".join(json.dumps(_json_value(r), ensure_ascii=False) + "\n" for r in rows)
    if fmt == "csv":
        import csv
        import io

        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(columns)
        for r in rows:
            w.writerow([_cell(r[c]) for c in columns])
        return buf.getvalue()
    numeric = {f.name for f in table.schema if pa.types.is_integer(f.type) or pa.types.is_floating(f.type) or pa.types.is_decimal(f.type)}
    return format_table(columns, rows, numeric) + "\n"


# --- commands ---------------------------------------------------------------------------------


def cmd_run(args: argparse.Namespace) -> int:
    check_inputs(args.input)
    check_warehouse_writable(args.warehouse)
    config = parse_config(args.config)
    if args.task_runner == "dask":
        import importlib.util

        if importlib.util.find_spec("prefect_dask") is None:
            raise CliError("--task-runner dask needs prefect-dask: pip install -e '.[dask]'")
    if args.dry_run:
        _check_stored_schema(args.warehouse, config)
        return dry_run(args, config)

    with StartUpGc() as start_up:
        return _start_and_run(args, config, start_up)


class StartUpGc:
    """Python's cyclic garbage collector paused while a run starts (imports, the API's wait), then
    back on with what start-up built frozen (`gc.freeze`: never walked again). Start-up leaves ~160k
    long-lived objects the collector tracks (Prefect's modules and pydantic models, pyarrow, the
    stages), and the collections their allocation sets off each walk everything the process holds:
    `import flows.pipeline` took 2.3-2.7 s with it on against 1.8 s paused (idle machine). Leaving
    the block turns it back on too."""

    def __enter__(self) -> StartUpGc:
        import gc

        self.paused = gc.isenabled()
        gc.disable()
        return self

    def done(self) -> None:
        """Start-up is over: the flow's work runs with the collector on."""
        import gc

        if self.paused:
            gc.freeze()
            gc.enable()
            self.paused = False

    def __exit__(self, *exc: object) -> None:
        self.done()


def _start_and_run(args: argparse.Namespace, config: dict | None, start_up: StartUpGc) -> int:
    from flows.deploy import TemporaryApi, api_linger_s, configured_api_url

    try:
        api_linger_s()
    except ValueError as exc:
        raise CliError(str(exc)) from None
    api = None
    # NEWSLAKE_PREFECT_API=ephemeral leaves the API to Prefect's own ephemeral mode (started when the
    # flow begins; bench/bench_startup.py's baseline).
    if not configured_api_url() and os.environ.get("NEWSLAKE_PREFECT_API") != "ephemeral":
        # Lease the temporary API an earlier run left running, or start one now, in the background:
        # it boots while this process imports (the stored schema's check below included: it imports
        # deltalake, ~1-3 s).
        api = TemporaryApi.reuse_or_start()
        os.environ["PREFECT_API_URL"] = api.api_url  # read when Prefect is imported; process workers inherit it
    try:
        _check_stored_schema(args.warehouse, config)
        live = sys.stderr.isatty() and not args.quiet
        total = _loose_file_total(args.input) if live else None
        return _run_flow(args, config, api, live, total, start_up)
    finally:
        if api is not None:
            api.stop()
            os.environ.pop("PREFECT_API_URL", None)


def _check_stored_schema(warehouse: str, config: dict[str, Any] | None = None) -> None:
    """An existing local warehouse's schema version (CliError with what to run when it is older)."""
    if "://" not in warehouse and Path(warehouse).is_dir():
        from tasks.storage import Warehouse

        check_schema(Warehouse(warehouse), config=config)


# Inputs under this many bytes are processed in the flow's own process: starting the worker pool
# (a forkserver importing the stages, then each worker loading its models) costs more than the work.
SMALL_RUN_BYTES = 1_000_000


def _small_run_workers(inputs: list[str] | None) -> int | None:
    """1 (no worker processes) for a run whose inputs total under SMALL_RUN_BYTES, else None (the
    flow's default: one per core)."""
    from flows.plan import default_inputs, input_sizes

    _, _, size = input_sizes(inputs or default_inputs(), stop_at_bytes=SMALL_RUN_BYTES)
    return 1 if size < SMALL_RUN_BYTES else None


def _loose_file_total(inputs: list[str] | None) -> int | None:
    """Inputs of the run when known before it starts: the files, unless JSONL/WARC files hold records."""
    from flows.plan import count_input_files, default_inputs

    n, containers = count_input_files(inputs or default_inputs())
    return None if containers else n


def _run_flow(args: argparse.Namespace, config: dict | None, api, live: bool, total: int | None, start_up: StartUpGc) -> int:
    import contextlib

    from flows.progress import RunProgress

    progress = RunProgress(sys.stderr, total=total, live=live)
    progress.draw(force=True)  # "starting": the imports below take seconds
    loggers: list[logging.Logger] = []
    levels: list[int] = []
    file_handler = None
    try:
        from prefect.settings import PREFECT_API_URL, temporary_settings

        from flows.pipeline import make_task_runner, news_pipeline

        # Handlers go on after Prefect's import: its logging setup replaces the handlers of its loggers.
        loggers = [logging.getLogger("prefect.flow_runs"), logging.getLogger("prefect.task_runs")]
        levels = [lg.level for lg in loggers]
        if not args.quiet:
            for lg in loggers:
                lg.addHandler(progress)
                if not lg.isEnabledFor(logging.INFO):  # PREFECT_LOGGING_LEVEL=WARNING would blind the display
                    lg.setLevel(logging.INFO)
        if args.log_file:
            file_handler = logging.FileHandler(args.log_file, encoding="utf-8")
            file_handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
            logging.getLogger("prefect").addHandler(file_handler)
        flow_fn = news_pipeline
        workers = args.workers if args.workers is not None else _small_run_workers(args.input)
        if api is not None:
            if workers == 1 and args.task_runner == "threads":
                _load_stages_while_booting(api)
            api.wait_ready()
        if args.task_runner != "threads":
            # the batch tasks themselves run on separate processes: each does its batch in-process
            flow_fn = news_pipeline.with_options(task_runner=make_task_runner(args.task_runner, args.workers, args.dask_address))
            workers = 1
        # the settings, not only the environment: Prefect may have been imported before (Python callers)
        pinned = temporary_settings(updates={PREFECT_API_URL: api.api_url}) if api is not None else contextlib.nullcontext()
        start_up.done()
        with pinned:
            summary = flow_fn(
                inputs=args.input or None,
                warehouse=args.warehouse,
                run_date=args.run_date or datetime.now(UTC).date().isoformat(),
                config=config,
                full_refresh=args.full_refresh,
                workers=workers,
            )
    finally:
        progress.clear()
        for lg, level in zip(loggers, levels, strict=True):
            lg.removeHandler(progress)
            lg.setLevel(level)
        if file_handler is not None:
            logging.getLogger("prefect").removeHandler(file_handler)
            file_handler.close()
    if not args.quiet:
        print_summary(summary, args.warehouse, time.monotonic() - args.started)
    return 0


def _load_stages_while_booting(api) -> None:
    """While the temporary API boots (a server starting takes ~4 s, the client's imports ~2 s), load
    what a batch processed in this process needs (`flows.batch.stage_loaders`), one step at a time,
    stopping once the API answers: the flow's batch then starts with its stages and models loaded
    (~0.5-1 s of a seeds run). A run with nothing new does not need them; it loses at most the step
    under way when the API came up."""
    from flows.batch import stage_loaders

    for load in stage_loaders():
        if api.answers():
            return
        load()


def print_summary(summary: dict, warehouse: str, seconds: float) -> None:
    """What the run changed, and what the warehouse holds after it."""
    from tasks.storage import Warehouse

    c = summary["counts"]
    try:
        totals = Warehouse(warehouse).row_counts(["documents", "quarantine", "events"], summary["run_id"])
    except Exception:  # a failed run is not published: no totals to show
        totals = {}

    def total(t: str) -> str:
        return f"; {totals[t]:,} in the warehouse" if t in totals else ""

    reasons = c.get("quarantine_reasons") or {}
    print(f"run {summary['run_id']} {summary['status']} in {seconds:.1f} s")
    print(f"  inputs          {c.get('records_in', 0):,} read, {c.get('unchanged', 0):,} unchanged since an earlier run (skipped)")
    print(f"  documents       {c.get('documents_inserted', 0):,} new, {c.get('documents_updated', 0):,} changed{total('documents')}")
    print(f"  quarantined     {c.get('quarantined', 0):,}" + (" (" + ", ".join(f"{k} {v}" for k, v in sorted(reasons.items())) + ")" if reasons else "") + total("quarantine"))
    print(f"  duplicates      {c.get('duplicates', 0):,} ({c.get('exact_duplicates', 0):,} exact, {c.get('near_duplicates', 0):,} near)")
    print(f"  events          {c.get('events', 0):,} ({c.get('event_mentions', 0):,} mentions){total('events')}")
    print("  table versions  " + ", ".join(f"{k}=v{v}" for k, v in sorted(summary["table_versions"].items())))
    print(f"  warehouse       {Path(warehouse).resolve() if '://' not in warehouse else warehouse}")


def dry_run(args: argparse.Namespace, config: dict | None) -> int:
    """List what `run` would process: every input with its format, size and whether it is new,
    changed or unchanged since an earlier run (compared by content hash, as `run` does). No Prefect."""
    from flows.plan import default_inputs, plan_inputs

    plan = plan_inputs(args.input or default_inputs(), args.warehouse, full_refresh=args.full_refresh)
    if not args.quiet:
        _print_table(plan, ["input", "format", "bytes", "status"], numeric=("bytes",))
    counts: dict[str, int] = {}
    for row in plan:
        key = row["status"].split(" ")[0]
        counts[key] = counts.get(key, 0) + 1
    print(f"dry run: {len(plan):,} inputs; " + ", ".join(f"{v:,} {k}" for k, v in sorted(counts.items())) + "; nothing written")
    return 0


def cmd_tables(args: argparse.Namespace) -> int:
    from tasks.schema import TABLES

    wh = open_warehouse(args.warehouse)
    status = {s["table"]: s for s in wh.schema_status(_signatures())}
    rows = []
    for name, spec in TABLES.items():
        if wh.exists(name):
            dt = wh.table(name)
            import pyarrow as pa
            import pyarrow.compute as pc

            actions = pa.table(dt.get_add_actions(flatten=True))
            n = int(pc.sum(actions.column("num_records")).as_py() or 0) if actions.num_rows else 0
            rows.append({"table": name, "rows": n, "version": dt.version(), "schema": status[name]["status"], "grain": spec.grain})
        else:
            rows.append({"table": name, "rows": None, "version": None, "schema": "missing", "grain": spec.grain})
    _print_table(rows, ["table", "rows", "version", "schema", "grain"], numeric=("rows", "version"))
    return 0


def cmd_history(args: argparse.Namespace) -> int:
    from tasks.schema import TABLES

    if args.table and args.table not in TABLES:
        raise CliError(f"unknown table {args.table!r}; tables: {', '.join(TABLES)}")
    wh = open_warehouse(args.warehouse)
    names = [args.table] if args.table else [t for t in TABLES if wh.exists(t)]
    rows = []
    for name in names:
        for h in wh.history(name):
            ts = datetime.fromtimestamp(h["timestamp"] / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M:%S")
            metrics = h.get("operationMetrics") or {}
            changed = {k.replace("num_target_rows_", ""): v for k, v in metrics.items() if k.startswith("num_target_rows_") and v}
            rows.append(
                {
                    "table": name,
                    "version": h.get("version"),
                    "timestamp": ts,
                    "operation": h.get("operation"),
                    "run_id": h.get("newslake.run_id") or h.get("newslake.operation", ""),
                    "rows": ", ".join(f"{k}={v}" for k, v in changed.items()),
                }
            )
    _print_table(rows, ["table", "version", "timestamp", "operation", "run_id", "rows"], numeric=("version",))
    return 0


def cmd_clean(args: argparse.Namespace) -> int:
    if not os.path.isfile(args.path):
        raise CliError(f"{args.path}: no such file")
    from tasks.clean import clean_document
    from tasks.config import CleanConfig, IngestConfig
    from tasks.ingest import ingest, list_inputs
    from tasks.records import RawDoc, Reject

    files = list_inputs([args.path])
    docs, rejects, _ = ingest(files, IngestConfig())
    for r in rejects:
        print(f"newslake: {r.source_id}: {r.reason}: {r.detail}", file=sys.stderr)
    out = []
    for raw in docs:
        if not isinstance(raw, RawDoc) or isinstance(raw, Reject):
            continue
        doc = clean_document(raw, CleanConfig())
        if args.json:
            out.append(
                {
                    "source_id": raw.source_id,
                    "title": doc.title,
                    "author": doc.author,
                    "site_name": doc.site_name,
                    "published_date": doc.published.isoformat() if doc.published else None,
                    "segments": [{"seq": s.seq, "label": s.label, "reason": s.reason, "text": s.text} for s in doc.segments],
                }
            )
        else:
            print(doc.comments_text if args.comments else doc.clean_text)
    if args.json:
        print(json.dumps(out if len(out) != 1 else out[0], indent=2, ensure_ascii=False))
    return 1 if rejects and not docs else 0


def cmd_serve(args: argparse.Namespace) -> int:
    if args.cron and args.interval:
        raise CliError("give --cron or --interval, not both")
    check_inputs(args.input)
    check_warehouse_writable(args.warehouse)
    from flows.deploy import NoPrefectServer, serve

    cron = args.cron if args.cron or args.interval else "0 6 * * *"
    try:
        serve(args.input or None, args.warehouse, cron=cron, interval_s=args.interval, name=args.name)
    except NoPrefectServer as exc:
        raise CliError(str(exc)) from None
    return 0


def cmd_api(args: argparse.Namespace) -> int:
    """The temporary Prefect APIs that `newslake run` left running for later runs: list or stop them."""
    from flows.deploy import (
        LINGER_ENV,
        api_linger_s,
        api_state_dir,
        configured_api_url,
        lingering_servers,
        stop_lingering_servers,
    )

    if args.action == "stop":
        stopped = stop_lingering_servers()
        print(f"api: stopped {len(stopped)} temporary Prefect API server(s)" + (f" (pid {', '.join(map(str, stopped))})" if stopped else ""))
        return 0
    try:
        linger = f"{api_linger_s():g} s"
    except ValueError as exc:
        raise CliError(str(exc)) from None
    url = configured_api_url()
    print(f"configured Prefect API: {url}" if url else "configured Prefect API: none (`newslake run` uses a temporary one)")
    print(f"a run's temporary API stays up {linger} idle for the next run ({LINGER_ENV}=0: it stops with its run)")
    rows = [{"pid": s["pid"], "port": s["port"], "alive": "yes" if s["alive"] else "no", "runs using it": len(s["leases"])} for s in lingering_servers()]
    print(f"servers recorded in {api_state_dir()}:")
    _print_table(rows, ["pid", "port", "alive", "runs using it"], numeric=("pid", "port", "runs using it"))
    return 0


def cmd_query(args: argparse.Namespace) -> int:
    if args.format == "parquet" and not args.output:
        raise CliError("--format parquet needs --output FILE")
    wh = open_warehouse(args.warehouse)
    con = wh.duckdb(args.run, allow_files=args.allow_files)
    import duckdb

    try:
        rel = con.sql(args.sql)
        table = rel.to_arrow_table() if rel is not None else None
    except duckdb.PermissionException as exc:
        raise CliError(f"query refused: {str(exc).splitlines()[0]} (the query may read the warehouse tables only; --allow-files lifts this)") from None
    except duckdb.Error as exc:
        raise CliError(f"query failed: {str(exc).splitlines()[0]}") from None
    if table is None:
        raise CliError("the SQL returned no result (use a SELECT)")
    if args.format == "parquet":
        import pyarrow.parquet as pq

        pq.write_table(table, args.output)
        print(f"{table.num_rows} rows written to {args.output}")
        return 0
    if args.format == "table" and table.num_rows > args.max_rows:
        text = export_rows(table.slice(0, args.max_rows), "table") + f"({table.num_rows - args.max_rows:,} more rows; --max-rows N shows more)\n"
    else:
        text = export_rows(table, args.format)
    if args.output:
        with open(args.output, "w", encoding="utf-8") as fh:
            fh.write(text)
        print(f"{table.num_rows} rows written to {args.output}")
    else:
        sys.stdout.write(text)
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    wh = open_warehouse(args.warehouse)
    from flows.report import write_report

    out = write_report(wh, args.run, args.output)
    print(f"report written to {Path(out).resolve()}")
    return 0


def cmd_vacuum(args: argparse.Namespace) -> int:
    wh = open_warehouse(args.warehouse)
    removed = wh.vacuum(keep_runs=args.keep_runs, older_than_days=args.older_than_days, dry_run=args.dry_run)
    kept = wh.kept_runs(args.keep_runs, args.older_than_days)
    verb = "would delete" if args.dry_run else "deleted"
    print(f"vacuum: {verb} {sum(removed.values()):,} data files no kept run reads; {len(kept)} published runs stay readable")
    if not args.quiet:
        _print_table([{"table": t, "files": n} for t, n in sorted(removed.items())], ["table", "files"], numeric=("files",))
    return 0


def cmd_optimize(args: argparse.Namespace) -> int:
    wh = open_warehouse(args.warehouse)
    out = wh.optimize()
    removed = sum(t["files_removed"] for t in out["tables"].values())
    added = sum(t["files_added"] for t in out["tables"].values())
    print(f"optimize: {removed:,} small files compacted into {added:,}; published as run {out['run_id']} "
          f"(old versions stay readable until `newslake vacuum`)")
    return 0


def cmd_rollback(args: argparse.Namespace) -> int:
    wh = open_warehouse(args.warehouse)
    out = wh.rollback(args.run)
    print(f"rollback: every table restored to run {args.run}'s versions, published as run {out['run_id']}")
    return 0


def _signatures(config: dict[str, Any] | None = None) -> str:
    """The dedup signature scheme of `config` (a run's --config; default: this newslake's defaults),
    checked against the one recorded on a stored index."""
    from tasks.config import PipelineConfig
    from tasks.dedup import signature_scheme

    return signature_scheme(PipelineConfig.from_dict(config).dedup)


def cmd_upgrade(args: argparse.Namespace) -> int:
    wh = open_warehouse(args.warehouse)
    status = wh.schema_status(_signatures())
    if args.check:
        _print_table(status, ["table", "status", "recorded", "contract", "detail"])
        bad = [s for s in status if s["status"] in ("incompatible", "upgradable")]
        if bad:
            check_schema(wh)
        print("schema: every table matches this newslake")
        return 0
    if any(s["status"] == "incompatible" for s in status):
        check_schema(wh)  # a table (or the index's signatures) cannot be upgraded in place: says what to do
    changed = wh.upgrade()
    print(f"upgrade: {len(changed)} tables updated ({', '.join(changed) or 'none needed'})"
          + ("; run `newslake run --full-refresh` to fill the new columns" if any(s["status"] == "upgradable" for s in status) else ""))
    return 0


# --- the parser -------------------------------------------------------------------------------


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("newslake")
    except PackageNotFoundError:
        return "unknown"


def _common() -> argparse.ArgumentParser:
    c = argparse.ArgumentParser(add_help=False)
    g = c.add_argument_group("output and logging")
    g.add_argument("-q", "--quiet", action="store_true", help="print only errors (no progress, no summary)")
    g.add_argument("--log-level", choices=LOG_LEVELS, type=str.upper, help="show Prefect's and newslake's log lines from this level on (default: none)")
    g.add_argument("--log-file", metavar="FILE", help="append the run's log (INFO and up) to FILE")
    g.add_argument("--debug", action="store_true", help="full tracebacks and Prefect's debug log on errors")
    return c


def _warehouse_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--warehouse", default="warehouse", metavar="DIR", help="warehouse directory (default: warehouse/)")


def build_parser() -> argparse.ArgumentParser:
    common = _common()
    p = argparse.ArgumentParser(
        prog="newslake",
        description="Scraped news pages -> clean, deduplicated, versioned Delta Lake tables of documents and events.",
    )
    p.add_argument("--version", action="version", version=f"newslake {_version()}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    r = sub.add_parser("run", parents=[common], help="run the pipeline once", description="Run the pipeline (a Prefect flow) over the inputs into the warehouse. "
                       "On a terminal a progress line shows the stage, inputs done / total, inputs per second and the time left.")
    r.add_argument("--input", action="append", metavar="PATH", help="input file or folder (repeatable; default: seeds/)")
    _warehouse_arg(r)
    r.add_argument("--run-date", type=_run_date, metavar="YYYY-MM-DD", help="reference date for relative dates (default: today UTC)")
    r.add_argument("--workers", type=_positive_int, metavar="N", help="processes for the CPU stages (default: one per core, or 1 for inputs under 1 MB; 1: in the flow's process); with --task-runner processes|dask: Prefect/Dask workers")
    r.add_argument("--task-runner", choices=("threads", "processes", "dask"), default="threads", help="where batch tasks run: threads of the flow process handing batches to --workers processes (default), Prefect's process pool, or Dask")
    r.add_argument("--dask-address", metavar="URL", help="an existing Dask scheduler (tcp://host:8786) for --task-runner dask")
    r.add_argument("--full-refresh", action="store_true", help="reprocess inputs already ingested with the same content")
    r.add_argument("--config", metavar="JSON", help='config overrides as JSON, e.g. \'{"dedup": {"jaccard_threshold": 0.6}}\'')
    r.add_argument("--dry-run", action="store_true", help="list the inputs and whether each is new, changed or unchanged; run nothing, write nothing")
    r.set_defaults(func=cmd_run)

    sv = sub.add_parser(
        "serve",
        parents=[common],
        help="serve the scheduled deployment (needs a Prefect server)",
        description="Serve deployment news-pipeline/NAME on the Prefect API in PREFECT_API_URL, on a cron or interval "
        "schedule; also triggerable by hand: prefect deployment run 'news-pipeline/newslake' -p run_date=YYYY-MM-DD. "
        "SIGTERM or Ctrl-C stops it cleanly.",
    )
    sv.add_argument("--cron", metavar="EXPR", help='cron schedule in UTC (default "0 6 * * *")')
    sv.add_argument("--interval", type=float, metavar="SECONDS", help="interval schedule instead of cron")
    sv.add_argument("--input", action="append", metavar="PATH", help="input file or folder (repeatable; default: seeds/)")
    _warehouse_arg(sv)
    sv.add_argument("--name", default="newslake", help="deployment name (default: newslake)")
    sv.set_defaults(func=cmd_serve)

    a = sub.add_parser(
        "api",
        parents=[common],
        help="list or stop the temporary Prefect API a run left running",
        description="`newslake run` without a configured Prefect API (PREFECT_API_URL or the active Prefect profile) "
        f"starts a local one and leaves it up, idle, for the next run ({int(API_LINGER_DEFAULT_S)} s by default; the "
        "variable NEWSLAKE_API_LINGER_S sets the seconds, 0 stops it with its run). This lists such servers or stops them.",
    )
    a.add_argument("action", nargs="?", choices=("status", "stop"), default="status", help="status (default) or stop")
    a.set_defaults(func=cmd_api)

    q = sub.add_parser(
        "query",
        parents=[common],
        help="run DuckDB SQL over the tables at one run",
        description="Run DuckDB SQL over every table as of one published run (default: the latest). Offline: no DuckDB "
        "extension is needed. The SQL sees the warehouse tables only: reading or writing other files (read_csv, glob, "
        "COPY ... TO), ATTACH and INSTALL/LOAD are refused unless --allow-files.",
    )
    q.add_argument("sql", help="SQL; tables: documents, segments, duplicates, events, event_mentions, entities, quarantine, runs, ...")
    q.add_argument("--run", metavar="RUN_ID", help="read the tables as of this run (default: the latest published run)")
    q.add_argument("--format", choices=QUERY_FORMATS, default="table",
                   help="table (default; text left-aligned, nulls empty), csv (nested columns as JSON), json (one JSON array), "
                   "jsonl (JSON Lines), parquet (needs --output); dates ISO, timestamps ISO in UTC with zone")
    q.add_argument("--output", metavar="FILE", help="write to FILE instead of stdout (required for parquet)")
    q.add_argument("--max-rows", type=_positive_int, default=100, help="rows shown in table format (default: 100)")
    q.add_argument("--allow-files", action="store_true", help="let the SQL read and write local files and load extensions (trusted SQL only)")
    _warehouse_arg(q)
    q.set_defaults(func=cmd_query)

    rp = sub.add_parser(
        "report",
        parents=[common],
        help="write a static HTML report of one run",
        description="Write a self-contained HTML page (no script, no network at view time): run summary, events by type "
        "and mode over time, who did what to whom, events with their evidence, cleaning, duplicates, quarantine.",
    )
    rp.add_argument("--run", metavar="RUN_ID", help="report on this run (default: the latest published run)")
    rp.add_argument("--output", default="report.html", metavar="FILE", help="output file (default: report.html)")
    _warehouse_arg(rp)
    rp.set_defaults(func=cmd_report)

    t = sub.add_parser("tables", parents=[common], help="list tables with row counts, versions and schema status",
                       description="List the warehouse tables with row counts, current versions and whether each matches this newslake's schema.")
    _warehouse_arg(t)
    t.set_defaults(func=cmd_tables)

    h = sub.add_parser("history", parents=[common], help="list table versions with run ids", description="List the versions of one table (or all) with the run that wrote each.")
    h.add_argument("table", nargs="?", help="table name (default: all tables)")
    _warehouse_arg(h)
    h.set_defaults(func=cmd_history)

    c = sub.add_parser("clean", parents=[common], help="print the clean article of one file", description="Clean one input file and print the article (or its comments, or every labelled block as JSON).")
    c.add_argument("path", help="a .txt, .html or .jsonl file")
    g = c.add_mutually_exclusive_group()
    g.add_argument("--comments", action="store_true", help="print the reader comments instead of the article")
    g.add_argument("--json", action="store_true", help="print metadata and every labelled block as JSON")
    c.set_defaults(func=cmd_clean)

    v = sub.add_parser("vacuum", parents=[common], help="delete data files no kept run reads",
                       description="Delete the data files that no kept published run and no current table version reads "
                       "(leftovers of merges between runs). By default every published run stays readable; --keep-runs and "
                       "--older-than-days give up time travel to older runs. The latest run is always kept.")
    v.add_argument("--keep-runs", type=_positive_int, metavar="N", help="keep the last N published runs readable")
    v.add_argument("--older-than-days", type=float, metavar="DAYS", help="keep the runs finished in the last DAYS days readable")
    v.add_argument("--dry-run", action="store_true", help="count the files, delete nothing")
    _warehouse_arg(v)
    v.set_defaults(func=cmd_vacuum)

    o = sub.add_parser("optimize", parents=[common], help="compact small data files",
                       description="Compact each table's small files into larger ones (same rows, a new version of each table, "
                       "published as a maintenance run). Old versions stay readable until vacuum.")
    _warehouse_arg(o)
    o.set_defaults(func=cmd_optimize)

    rb = sub.add_parser("rollback", parents=[common], help="restore every table to an earlier run",
                        description="Restore every table to the versions an earlier published run recorded, as new versions "
                        "(nothing is deleted; the history stays readable), published as a maintenance run.")
    rb.add_argument("--run", required=True, metavar="RUN_ID", help="the published run to go back to (see `newslake query 'select run_id, finished_at from runs'`)")
    _warehouse_arg(rb)
    rb.set_defaults(func=cmd_rollback)

    u = sub.add_parser("upgrade", parents=[common], help="check or upgrade the tables' schema",
                       description="Compare every stored table with this newslake's schema (recorded on each table as its "
                       "schema version). Without --check: add new nullable columns and record the version; tables that "
                       "cannot be upgraded in place are named with what to do.")
    u.add_argument("--check", action="store_true", help="only report; exit 1 when an upgrade or rebuild is needed")
    _warehouse_arg(u)
    u.set_defaults(func=cmd_upgrade)
    return p


def main(argv: list[str] | None = None) -> int:
    """The `newslake` program (`argv` None: the process's command line, with a fast exit: see
    `_exit_without_teardown`), or one command in-process (`argv` given, as the tests call it)."""
    if argv is None:
        import atexit

        atexit.register(_exit_without_teardown)  # first registered, so the last exit handler to run
        try:
            _EXIT["code"] = _main(None)
        except SystemExit as exc:  # argparse's --help and usage errors
            _EXIT["code"] = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
            raise
        return _EXIT["code"]
    return _main(argv)


# The exit code `main` returned (or argparse exited with), for `_exit_without_teardown`; unset when
# an exception escaped (`--debug`): exit code 1, as Python's own.
_EXIT: dict[str, int] = {}


def _exit_without_teardown() -> None:
    """End the process once every other exit handler has run (Prefect's, multiprocessing's, ...),
    without the interpreter's teardown: freeing the ~3,000 modules Prefect, pyarrow and the stages
    import took 0.7-1.2 s of a seeds run's wall time (idle machine), for nothing the process still
    needs. Non-daemon threads were joined before exit handlers run; logging and the standard streams
    are flushed here (their own flush would come after this)."""
    import contextlib

    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):  # a closed pipe (`newslake ... | head`)
            stream.flush()
    os._exit(_EXIT.get("code", 1))


def _main(argv: list[str] | None) -> int:
    started = time.monotonic()
    args = build_parser().parse_args(argv)
    args.started = started
    _quiet_prefect_defaults(args)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("newslake: interrupted", file=sys.stderr)
        return 130
    except SystemExit:
        raise
    except CliError as exc:
        if args.debug:
            raise
        print(f"newslake: {exc}", file=sys.stderr)
        return 1
    except Exception as exc:
        if args.debug:
            raise
        print(f"newslake: {args.command} failed: {_one_line(exc)}", file=sys.stderr)
        return 1


def _one_line(exc: BaseException) -> str:
    """The error's first line; Prefect's wrappers (UnfinishedRun ...) give way to their cause."""
    while exc.__cause__ is not None and type(exc).__name__ in ("UnfinishedRun", "CrashedRun", "FailedRun"):
        exc = exc.__cause__
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}".rstrip(": ")


if __name__ == "__main__":
    sys.exit(main())

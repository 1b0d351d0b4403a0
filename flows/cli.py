"""`newslake` command line: run | serve | query | report | tables | history | clean.

Exit code 0 on success; on failure a one-line reason on stderr and exit code 1 (2 for usage errors).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import UTC, date, datetime
from pathlib import Path


def _quiet_prefect_defaults() -> None:
    # Offline by design: Prefect's telemetry would log errors on every run without network.
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    # The ephemeral API gets 20 s to start by default, too little on a busy 2-core machine.
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
    # An empty PREFECT_API_URL breaks Prefect's events client: treat it as unset.
    if os.environ.get("PREFECT_API_URL", None) == "":
        del os.environ["PREFECT_API_URL"]


def _run_date(s: str) -> str:
    try:
        return date.fromisoformat(s).isoformat()
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"--run-date must be YYYY-MM-DD, got {s!r}") from exc


def _print_table(rows: list[dict], columns: list[str]) -> None:
    widths = {c: max(len(c), *(len(str(r.get(c, ""))) for r in rows)) if rows else len(c) for c in columns}
    print("  ".join(c.ljust(widths[c]) for c in columns))
    print("  ".join("-" * widths[c] for c in columns))
    for r in rows:
        print("  ".join(str(r.get(c, "")).ljust(widths[c]) for c in columns))


def cmd_run(args: argparse.Namespace) -> int:
    from flows.pipeline import make_task_runner, news_pipeline

    config = json.loads(args.config) if args.config else None
    flow_fn = news_pipeline
    workers = args.workers
    if args.task_runner != "threads":
        # the batch tasks themselves run on separate processes: each does its batch in-process
        flow_fn = news_pipeline.with_options(task_runner=make_task_runner(args.task_runner, args.workers, args.dask_address))
        workers = 1
    summary = flow_fn(
        inputs=args.input or None,
        warehouse=args.warehouse,
        run_date=args.run_date or datetime.now(UTC).date().isoformat(),
        config=config,
        full_refresh=args.full_refresh,
        workers=workers,
    )
    c = summary["counts"]
    print()
    print(f"run {summary['run_id']} {summary['status']}")
    print(f"  records in      {c.get('records_in', 0)} ({c.get('unchanged', 0)} unchanged since an earlier run, skipped)")
    print(f"  documents       {c.get('documents', 0)} ({c.get('documents_inserted', 0)} new, {c.get('documents_updated', 0)} changed)")
    print(f"  quarantined     {c.get('quarantined', 0)}" + (f"  {c['quarantine_reasons']}" if c.get("quarantine_reasons") else ""))
    print(f"  duplicates      {c.get('duplicates', 0)} ({c.get('exact_duplicates', 0)} exact, {c.get('near_duplicates', 0)} near)")
    print(f"  events          {c.get('events', 0)} ({c.get('event_mentions', 0)} mentions)")
    print("  table versions  " + ", ".join(f"{k}=v{v}" for k, v in sorted(summary["table_versions"].items())))
    print(f"  warehouse       {Path(args.warehouse).resolve()}")
    return 0


def cmd_tables(args: argparse.Namespace) -> int:
    from tasks.schema import TABLES
    from tasks.storage import Warehouse

    wh = Warehouse(args.warehouse)
    rows = []
    for name, spec in TABLES.items():
        if wh.exists(name):
            dt = wh.table(name)
            n = sum(a.num_rows for a in dt.to_pyarrow_dataset().to_batches(columns=[spec.keys[0]]))
            rows.append({"table": name, "rows": n, "version": dt.version(), "grain": spec.grain})
        else:
            rows.append({"table": name, "rows": "-", "version": "-", "grain": spec.grain})
    _print_table(rows, ["table", "rows", "version", "grain"])
    return 0


def cmd_history(args: argparse.Namespace) -> int:
    from tasks.schema import TABLES
    from tasks.storage import Warehouse

    wh = Warehouse(args.warehouse)
    names = [args.table] if args.table else [t for t in TABLES if wh.exists(t)]
    if args.table and args.table not in TABLES:
        raise SystemExit(f"newslake: unknown table {args.table!r}; tables: {', '.join(TABLES)}")
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
                    "run_id": h.get("newslake.run_id", ""),
                    "rows": ", ".join(f"{k}={v}" for k, v in changed.items()),
                }
            )
    _print_table(rows, ["table", "version", "timestamp", "operation", "run_id", "rows"])
    return 0


def cmd_clean(args: argparse.Namespace) -> int:
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
        assert isinstance(raw, RawDoc) and not isinstance(raw, Reject)
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
    from flows.deploy import serve

    if args.cron and args.interval:
        raise SystemExit("newslake: give --cron or --interval, not both")
    cron = args.cron if args.cron or args.interval else "0 6 * * *"
    serve(args.input or None, args.warehouse, cron=cron, interval_s=args.interval, name=args.name)
    return 0


def cmd_query(args: argparse.Namespace) -> int:
    from tasks.storage import Warehouse

    con = Warehouse(args.warehouse).duckdb(args.run)
    df = con.sql(args.sql).df()
    if args.format == "parquet" and not args.output:
        raise SystemExit("newslake: --format parquet needs --output FILE")
    if args.format == "table":
        import pandas as pd

        with pd.option_context("display.max_rows", args.max_rows, "display.max_columns", None, "display.width", 200, "display.max_colwidth", 80):
            text = df.to_string(index=False) if len(df) else "(no rows)"
    elif args.format == "csv":
        text = df.to_csv(index=False)
    elif args.format == "json":
        text = df.to_json(orient="records", date_format="iso", force_ascii=False, lines=True)
    else:
        df.to_parquet(args.output, index=False)
        print(f"{len(df)} rows written to {args.output}")
        return 0
    if args.output:
        with open(args.output, "w", encoding="utf-8") as fh:
            fh.write(text)
        print(f"{len(df)} rows written to {args.output}")
    else:
        print(text)
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from flows.report import write_report
    from tasks.storage import Warehouse

    out = write_report(Warehouse(args.warehouse), args.run, args.output)
    print(f"report written to {Path(out).resolve()}")
    return 0


def _add_io_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--input", action="append", metavar="PATH", help="input file or folder (repeatable; default: seeds/)")
    p.add_argument("--warehouse", default="warehouse", metavar="DIR", help="warehouse directory (default: warehouse/)")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="newslake",
        description="Scraped news pages -> clean, deduplicated, versioned Delta Lake tables of documents and events.",
    )
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    r = sub.add_parser("run", help="run the pipeline once", description="Run the pipeline (a Prefect flow) over the inputs into the warehouse.")
    _add_io_arguments(r)
    r.add_argument("--run-date", type=_run_date, metavar="YYYY-MM-DD", help="reference date for relative dates (default: today UTC)")
    r.add_argument("--workers", type=int, metavar="N", help="processes for the CPU stages (default: one per core; 1: in the flow's process); with --task-runner processes|dask: Prefect/Dask workers")
    r.add_argument("--task-runner", choices=("threads", "processes", "dask"), default="threads", help="where batch tasks run: threads of the flow process handing batches to --workers processes (default), Prefect's process pool, or Dask")
    r.add_argument("--dask-address", metavar="URL", help="an existing Dask scheduler (tcp://host:8786) for --task-runner dask")
    r.add_argument("--full-refresh", action="store_true", help="reprocess inputs already ingested with the same content")
    r.add_argument("--config", metavar="JSON", help='config overrides as JSON, e.g. \'{"dedup": {"jaccard_threshold": 0.6}}\'')
    r.set_defaults(func=cmd_run)

    sv = sub.add_parser(
        "serve",
        help="serve the scheduled deployment (needs a Prefect server)",
        description="Serve deployment news-pipeline/NAME on the Prefect API in PREFECT_API_URL, on a cron or interval "
        "schedule; also triggerable by hand: prefect deployment run 'news-pipeline/newslake' -p run_date=YYYY-MM-DD",
    )
    sv.add_argument("--cron", metavar="EXPR", help='cron schedule in UTC (default "0 6 * * *")')
    sv.add_argument("--interval", type=float, metavar="SECONDS", help="interval schedule instead of cron")
    _add_io_arguments(sv)
    sv.add_argument("--name", default="newslake", help="deployment name (default: newslake)")
    sv.set_defaults(func=cmd_serve)

    q = sub.add_parser(
        "query",
        help="run DuckDB SQL over the tables at one run",
        description="Run DuckDB SQL over every table as of one published run (default: the latest). "
        "Offline: no DuckDB extension is needed.",
    )
    q.add_argument("sql", help="SQL; tables: documents, segments, duplicates, events, event_mentions, entities, quarantine, runs, ...")
    q.add_argument("--run", metavar="RUN_ID", help="read the tables as of this run (default: the latest published run)")
    q.add_argument("--format", choices=("table", "csv", "json", "parquet"), default="table", help="output format (default: table)")
    q.add_argument("--output", metavar="FILE", help="write to FILE instead of stdout (required for parquet)")
    q.add_argument("--max-rows", type=int, default=100, help="rows shown in table format (default: 100)")
    q.add_argument("--warehouse", default="warehouse", metavar="DIR")
    q.set_defaults(func=cmd_query)

    rp = sub.add_parser(
        "report",
        help="write a static HTML report of one run",
        description="Write a self-contained HTML page (no network at view time): run summary, cleaning, duplicates, "
        "quarantine, an events timeline and who met or agreed with whom.",
    )
    rp.add_argument("--run", metavar="RUN_ID", help="report on this run (default: the latest published run)")
    rp.add_argument("--output", default="report.html", metavar="FILE", help="output file (default: report.html)")
    rp.add_argument("--warehouse", default="warehouse", metavar="DIR")
    rp.set_defaults(func=cmd_report)

    t = sub.add_parser("tables", help="list tables with row counts and versions", description="List the warehouse tables with row counts and current versions.")
    t.add_argument("--warehouse", default="warehouse", metavar="DIR")
    t.set_defaults(func=cmd_tables)

    h = sub.add_parser("history", help="list table versions with run ids", description="List the versions of one table (or all) with the run that wrote each.")
    h.add_argument("table", nargs="?", help="table name (default: all tables)")
    h.add_argument("--warehouse", default="warehouse", metavar="DIR")
    h.set_defaults(func=cmd_history)

    c = sub.add_parser("clean", help="print the clean article of one file", description="Clean one input file and print the article (or its comments, or every labelled block as JSON).")
    c.add_argument("path", help="a .txt, .html or .jsonl file")
    g = c.add_mutually_exclusive_group()
    g.add_argument("--comments", action="store_true", help="print the reader comments instead of the article")
    g.add_argument("--json", action="store_true", help="print metadata and every labelled block as JSON")
    c.set_defaults(func=cmd_clean)
    return p


def main(argv: list[str] | None = None) -> int:
    _quiet_prefect_defaults()
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        print("newslake: interrupted", file=sys.stderr)
        return 130
    except SystemExit:
        raise
    except Exception as exc:  # one line for the user; the traceback is in Prefect's log
        print(f"newslake: {args.command} failed: {type(exc).__name__}: {exc}".splitlines()[0], file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())

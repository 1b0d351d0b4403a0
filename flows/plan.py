"""What a run would do, worked out without Prefect: the input count for the progress display and the
`newslake run --dry-run` listing (each input new, changed or unchanged since an earlier run)."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

# Files that hold many records each (read record by record): the run's input count is not known
# before they are read.
RECORD_CONTAINERS = (".jsonl", ".ndjson", ".jsonl.gz", ".ndjson.gz", ".warc", ".warc.gz")
STATUS_NEW = "new"
STATUS_CHANGED = "changed"
STATUS_UNCHANGED = "unchanged"
STATUS_QUARANTINE = "quarantine"


def default_inputs() -> list[str]:
    """`seeds/` in the working directory, else the seeds shipped next to the package (the flow's
    default, `flows.pipeline.default_inputs`, without importing Prefect)."""
    here = Path("seeds")
    if here.is_dir():
        return [str(here)]
    return [str(Path(__file__).resolve().parent.parent / "seeds")]


def count_input_files(paths: list[str]) -> tuple[int, bool]:
    """(files under `paths`, whether any of them holds many records); hidden files and folders skipped
    as the run skips them. For the progress display only: a cheap walk, no reads."""
    n, containers, _ = input_sizes(paths)
    return n, containers


def input_sizes(paths: list[str], stop_at_bytes: int | None = None) -> tuple[int, bool, int]:
    """(files under `paths`, whether any holds many records, their bytes): a walk with one stat per
    file, no reads; hidden files and folders skipped as the run skips them. With `stop_at_bytes` the
    walk ends once the bytes reach it (the counts are then partial)."""
    n, containers, size = 0, False, 0

    def add(path: str, name: str) -> None:
        nonlocal n, containers, size
        n += 1
        containers |= name.lower().endswith(RECORD_CONTAINERS)
        with contextlib.suppress(OSError):
            size += os.stat(path).st_size

    for p in paths:
        if os.path.isfile(p):
            add(p, p)
            continue
        for root, dirnames, filenames in os.walk(p):
            dirnames[:] = [d for d in dirnames if not d.startswith(".")]
            for f in filenames:
                if not f.startswith("."):
                    add(os.path.join(root, f), f)
                    if stop_at_bytes is not None and size >= stop_at_bytes:
                        return n, containers, size
    return n, containers, size


def plan_inputs(paths: list[str], warehouse: str, full_refresh: bool = False) -> list[dict[str, Any]]:
    """Every input file with its format, size and status against the warehouse: `unchanged` (stored
    with the same content hash by a run that finished it: skipped), `changed` (stored with other
    content), `new`, or `quarantine (reason)` when its bytes are already unreadable. JSONL/WARC files
    are judged whole, by their bytes, as the run first does."""
    from tasks.config import IngestConfig
    from tasks.ingest import file_sha256, list_inputs, read_bytes, sha256_hex
    from tasks.records import Rejected
    from tasks.storage import Warehouse

    wh = Warehouse(warehouse)
    done = set(wh.read("dedup_index", columns=["doc_id"]).column("doc_id").to_pylist())
    docs = wh.read("documents", columns=["doc_id", "source_id", "content_sha256"]).to_pylist()
    stored: dict[str, set[str]] = {}
    finished: set[tuple[str, str]] = set()
    for r in docs:
        stored.setdefault(r["source_id"], set()).add(r["content_sha256"])
        if r["doc_id"] in done:
            finished.add((r["source_id"], r["content_sha256"]))
    for r in wh.read("quarantine", columns=["source_id", "content_sha256"]).to_pylist():
        stored.setdefault(r["source_id"], set()).add(r["content_sha256"])
        finished.add((r["source_id"], r["content_sha256"]))
    inputs = {(r["source_id"], r["content_sha256"]): r["n_records"] for r in wh.read("inputs", columns=["source_id", "content_sha256", "n_records"]).to_pylist()}
    input_ids = {sid for sid, _ in inputs}
    cfg = IngestConfig()
    plan = []
    for f in list_inputs(paths):
        name = f.path.lower()
        container = name.endswith(RECORD_CONTAINERS)
        fmt = _format_of(name)
        try:
            if f.problem:  # never opened (a FIFO, a dangling or looping link, ...): the run quarantines it
                status = f"{STATUS_QUARANTINE} ({f.problem[0]})"
            elif container:
                digest = file_sha256(f.path)
                n = inputs.get((f.source_id, digest))
                status = f"{STATUS_UNCHANGED} ({n} records)" if n is not None else STATUS_CHANGED if f.source_id in input_ids else STATUS_NEW
            else:
                data = read_bytes(f.path, cfg)
                digest = sha256_hex(data)
                status = (
                    f"{STATUS_QUARANTINE} (empty_input)" if not data.strip()
                    else STATUS_UNCHANGED if (f.source_id, digest) in finished
                    else STATUS_CHANGED if f.source_id in stored else STATUS_NEW
                )
        except Rejected as r:
            status = f"{STATUS_QUARANTINE} ({r.reason})"
        except OSError as exc:
            status = f"{STATUS_QUARANTINE} (read_error: {exc.strerror or exc})"
        if full_refresh and status.startswith(STATUS_UNCHANGED):
            status = "refresh"
        plan.append({"input": f.source_id, "format": fmt, "bytes": f.size, "status": status})
    return plan


def _format_of(name: str) -> str:
    base = name.removesuffix(".gz")
    for ext, fmt in ((".jsonl", "jsonl"), (".ndjson", "jsonl"), (".warc", "warc"), (".html", "html"), (".htm", "html"), (".xhtml", "html"), (".txt", "text"), (".text", "text")):
        if base.endswith(ext):
            return fmt + (".gz" if name.endswith(".gz") else "")
    return "sniffed"

"""Crash consistency (issue 19.3): a run stopped right after any one of its Delta commits, then run
again, gives the same tables as an uninterrupted run: every table's keys and record hashes compared.

The stop is the storage crash hook (`CRASH.arm(n)`): right after the n-th commit the run raises and
commits nothing more, which leaves the warehouse exactly as a `kill -9` there would (a Delta commit is
atomic and nothing else of a run is durable). `test_operations.py` kills real processes."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from conftest import RUN_DATE, SEEDS

from flows.pipeline import news_pipeline
from tasks.schema import TABLES
from tasks.storage import CRASH, Warehouse

pytestmark = pytest.mark.slow
DERIVED = ("documents", "segments", "quarantine", "duplicates", "dedup_index", "events", "event_mentions", "entities", "boilerplate", "inputs", "input_files")
CONFIG = {"ingest": {"batch_size": 5}, "max_reject_share": 1.0}


def snapshot(wh: Warehouse) -> dict[str, set]:
    """Every derived table as a set of (key..., record hash) (quarantine: key, reason, detail), and
    its row count (a repeated row would not show in the set)."""
    out = {}
    for t in DERIVED:
        spec = TABLES[t]
        content = ["record_hash"] if "record_hash" in spec.column_names else ["reason", "detail"]
        rows = wh.read(t, columns=[*spec.keys, *content]).to_pylist()
        out[t] = ({tuple(r[c] for c in [*spec.keys, *content]) for r in rows}, len(rows))
    return out


def _corpus(root: Path, edited: bool = False) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for p in sorted(SEEDS.iterdir()):
        text = p.read_text()
        if edited and p.name.startswith("002"):
            text = text.replace("\n\n", "\n\nThe agency added a short statement on Monday.\n\n", 1)
        (root / p.name).write_text(text)
    lines = []
    for i in range(4):
        body = (SEEDS / sorted(p.name for p in SEEDS.iterdir())[i % 5]).read_text().split("\n\n")
        if edited and i % 2:
            body = body[::-1]  # half of the records rewritten
        lines.append(json.dumps({"id": f"rec{i}", "url": f"https://example.org/{i}", "text": "\n\n".join(body[: 3 + i])}))
    (root / "feed.jsonl").write_text("\n".join(lines) + "\n")
    (root / "empty.txt").write_text("")
    for p in root.iterdir():  # written an hour ago: every file's fingerprint is recorded (`input_files`)
        st = p.stat()
        os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns - 3600 * 10**9))
    return root


def _run(inputs: Path, wh: Path, crash_after: int | None = None) -> int:
    CRASH.arm(crash_after if crash_after is not None else 10**9)
    try:
        news_pipeline(inputs=[str(inputs)], warehouse=str(wh), run_date=RUN_DATE, config=CONFIG, workers=1)
    finally:
        commits = CRASH.commits
        CRASH.arm(None)
    return commits


@pytest.mark.parametrize("kind", ["full", "incremental"])
def test_a_run_stopped_after_any_commit_then_rerun_gives_the_uninterrupted_tables(kind, tmp_path):
    v1 = _corpus(tmp_path / "v1")
    v2 = _corpus(tmp_path / "v2", edited=True) if kind == "incremental" else v1
    base = tmp_path / "base"
    if kind == "incremental":
        _run(v1, base)
    ref = tmp_path / "ref"
    if base.exists():
        shutil.copytree(base, ref)
    n_commits = _run(v2, ref)
    expected = snapshot(Warehouse(str(ref)))
    assert expected["events"] and expected["boilerplate"] is not None and expected["entities"]
    failures = []
    for n in range(1, n_commits):
        wh = tmp_path / f"wh{n}"
        if base.exists():
            shutil.copytree(base, wh)
        with pytest.raises(BaseException):  # noqa: B017 (the hook stops the run with SimulatedCrash)
            _run(v2, wh, crash_after=n)
        _run(v2, wh)
        got = snapshot(Warehouse(str(wh)))
        bad = [t for t in DERIVED if got[t] != expected[t]]
        if bad:
            failures.append((n, bad))
        shutil.rmtree(wh)
    assert not failures, f"{kind}: commits after which the rerun differs (of {n_commits}): {failures}"
    print(f"{kind}: stopped after each of {n_commits - 1} commits, every rerun equal")


def _run_commits(wh: Warehouse, run_id: str) -> int:
    """Row-writing commits a run made (what the crash hook counts): its commits in every table's log."""
    n = 0
    for t in TABLES:
        if wh.exists(t):
            n += sum(1 for h in wh.history(t) if h.get("newslake.run_id") == run_id and h.get("newslake.operation") != "create")
    return n


def test_kill_9_of_a_real_run_at_varied_points_then_rerun_gives_the_uninterrupted_tables(tmp_path):
    """Issue 19.3 with real processes: `newslake run` (2 worker processes, batches of 20) is killed
    with SIGKILL — its whole process group — after its first documents commit, half-way through its
    commits, in its final phase, just before its `runs` row, and at a moment in the middle of
    processing a batch; each time the rerun gives every table's keys and record hashes of an
    uninterrupted run."""
    import os
    import signal
    import time

    from test_operations import _cli
    from test_operations import _corpus as make_corpus

    corpus = make_corpus(tmp_path / "corpus", 120) / "pages"
    cfg = json.dumps({"ingest": {"batch_size": 20}})
    args = lambda wh: ["--input", str(corpus), "--warehouse", str(wh), "--workers", "2", "--config", cfg]  # noqa: E731

    def finish(proc) -> None:
        out, _ = proc.communicate(timeout=600)
        assert proc.returncode == 0, out[-2000:]

    ref = Warehouse(str(tmp_path / "ref"))
    finish(_cli(args(ref.root), tmp_path))
    expected = snapshot(ref)
    n = _run_commits(ref, ref.runs()[-1]["run_id"])
    assert n > 6
    failures = []
    for point in (1, n // 2, n - 3, n - 1, "mid-batch"):
        wh = Warehouse(str(tmp_path / f"wh-{point}"))
        if point == "mid-batch":
            proc = _cli(args(wh.root), tmp_path)
            deadline = time.monotonic() + 240
            while (wh.version("documents") or 0) < 2:  # two batches written, the next ones in flight
                assert proc.poll() is None and time.monotonic() < deadline
                time.sleep(0.05)
            time.sleep(0.3)
            os.killpg(proc.pid, signal.SIGKILL)
        else:
            proc = _cli(args(wh.root), tmp_path, NEWSLAKE_CRASH_AFTER_COMMITS=str(point))
        proc.communicate(timeout=600)
        assert proc.returncode == -signal.SIGKILL, f"kill point {point}: the run was not killed"
        assert wh.runs() == []  # nothing published
        finish(_cli(args(wh.root), tmp_path))
        got = snapshot(wh)
        bad = [t for t in DERIVED if got[t] != expected[t]]
        if bad:
            failures.append((point, bad))
    assert not failures, f"kill points after which the rerun differs (of {n} commits): {failures}"

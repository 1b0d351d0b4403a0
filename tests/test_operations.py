"""Running it like production: incremental re-runs, changed inputs, a run killed with SIGKILL
mid-write, and two runs on one warehouse at once (real `newslake run` subprocesses)."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from conftest import DATA, RUN_DATE, SEEDS
from deltalake import DeltaTable

from flows.pipeline import news_pipeline
from tasks.schema import TABLES
from tasks.storage import Warehouse

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parent.parent
CONTENT = ("documents", "segments", "duplicates", "dedup_index", "events", "event_mentions", "quarantine")


def _corpus(path: Path, n: int) -> Path:
    sys.path.insert(0, str(ROOT / "bench"))
    from make_corpus import write

    root = write(path, n, seed=3, fmt="files")
    for p in root.rglob("*"):  # an hour old, as a corpus usually is: every file's fingerprint is recorded
        if p.is_file():
            st = p.stat()
            os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns - 3600 * 10**9))
    return root


def _cli(args: list[str], tmp: Path, **extra_env: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env["PREFECT_HOME"] = str(tmp / f"prefect-{time.monotonic_ns()}")
    env.update(extra_env)
    return subprocess.Popen(
        [sys.executable, "-m", "flows.cli", "run", "--run-date", RUN_DATE, *args],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )


def _all_readable(wh: Warehouse) -> dict[str, int]:
    rows = {}
    for t in TABLES:
        if wh.exists(t):
            rows[t] = DeltaTable(wh.uri(t)).to_pyarrow_table().num_rows
    return rows


def _assert_unique_keys(wh: Warehouse) -> None:
    for t in CONTENT:
        if not wh.exists(t):
            continue
        keys = TABLES[t].keys
        rows = wh.read(t, columns=list(keys)).to_pylist()
        assert len(rows) == len({tuple(r[k] for k in keys) for r in rows}), f"duplicate keys in {t}"


def test_unchanged_rerun_skips_and_full_refresh_reprocesses(tmp_path):
    inputs = tmp_path / "in"
    shutil.copytree(SEEDS, inputs)
    wh_dir = str(tmp_path / "wh")
    first = news_pipeline(inputs=[str(inputs)], warehouse=wh_dir, run_date=RUN_DATE)
    wh = Warehouse(wh_dir)
    before = {t: wh.version(t) for t in CONTENT}
    second = news_pipeline(inputs=[str(inputs)], warehouse=wh_dir, run_date=RUN_DATE)
    assert second["counts"]["unchanged"] == 5 and second["counts"].get("documents", 0) == 0
    assert {t: wh.version(t) for t in CONTENT} == before  # nothing rewritten
    third = news_pipeline(inputs=[str(inputs)], warehouse=wh_dir, run_date=RUN_DATE, full_refresh=True)
    assert third["counts"]["documents"] == 5 and third["counts"]["unchanged"] == 0
    assert third["counts"]["documents_inserted"] == 0 and third["counts"]["documents_updated"] == 0
    assert third["counts"]["events"] == first["counts"]["events"]
    assert {t: wh.version(t) for t in CONTENT if t != "events"} == {t: before[t] for t in CONTENT if t != "events"}
    assert wh.read("events").num_rows == first["counts"]["events"]
    assert len(wh.runs()) == 3


def test_an_unchanged_rerun_reads_no_input_and_records_its_run(tmp_path, monkeypatch):
    """Every input's path, size and mtime are as recorded with its finished hash: none is read, the
    batch phase is skipped, and the run is still published with its counts. Touched files (new mtime,
    same bytes) are read once each and stay unchanged."""
    import tasks.ingest as ingest_module

    inputs = tmp_path / "in"
    shutil.copytree(SEEDS, inputs)
    wh_dir = str(tmp_path / "wh")
    news_pipeline(inputs=[str(inputs)], warehouse=wh_dir, run_date=RUN_DATE)
    reads: Counter = Counter()
    real = ingest_module.read_bytes

    def counting(path, cfg, name=None):
        reads[path] += 1
        return real(path, cfg, name)

    monkeypatch.setattr(ingest_module, "read_bytes", counting)
    second = news_pipeline(inputs=[str(inputs)], warehouse=wh_dir, run_date=RUN_DATE)
    assert second["counts"]["unchanged"] == second["counts"]["records_in"] == 5
    # the seeds' copies keep their (old) mtimes: each file's path, size and mtime were recorded
    assert len(reads) == 0
    wh = Warehouse(wh_dir)
    assert wh.read("input_files").num_rows == 5
    versions = wh.current_versions(["input_files", *CONTENT])
    for p in inputs.iterdir():  # touched, same bytes: each read once, unchanged, its new mtime recorded
        st = p.stat()
        os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    third = news_pipeline(inputs=[str(inputs)], warehouse=wh_dir, run_date=RUN_DATE)
    assert third["counts"]["unchanged"] == third["counts"]["records_in"] == 5
    assert len(reads) == 5 and set(reads.values()) == {1}
    after = wh.current_versions(["input_files", *CONTENT])
    assert after["input_files"] == versions["input_files"] + 1 and {t: after[t] for t in CONTENT} == {t: versions[t] for t in CONTENT}
    reads.clear()
    fourth = news_pipeline(inputs=[str(inputs)], warehouse=wh_dir, run_date=RUN_DATE)
    assert fourth["counts"]["unchanged"] == 5 and len(reads) == 0
    assert wh.current_versions(["input_files"]) == {"input_files": after["input_files"]}  # nothing to record
    runs = wh.runs()
    assert len(runs) == 4 and runs[-1]["run_id"] == fourth["run_id"]


def test_unchanged_jsonl_and_warc_files_are_skipped_whole_on_a_rerun(tmp_path):
    """Multi-record files finished by a run are in `inputs`; the next run skips them by file hash."""
    inputs = tmp_path / "in"
    inputs.mkdir()
    for name in ("pages.warc.gz", "records.jsonl"):
        shutil.copy(DATA / name, inputs / name)
    wh_dir = str(tmp_path / "wh")
    first = news_pipeline(inputs=[str(inputs)], warehouse=wh_dir, run_date=RUN_DATE)
    wh = Warehouse(wh_dir)
    rows = {r["source_id"]: r["n_records"] for r in wh.read("inputs").to_pylist()}
    assert set(rows) == {"pages.warc.gz", "records.jsonl"} and sum(rows.values()) == first["counts"]["records_in"]
    before = {t: wh.version(t) for t in CONTENT}
    second = news_pipeline(inputs=[str(inputs)], warehouse=wh_dir, run_date=RUN_DATE)
    assert second["counts"]["unchanged"] == second["counts"]["records_in"] == first["counts"]["records_in"]
    assert {t: wh.version(t) for t in CONTENT} == before
    with (inputs / "records.jsonl").open("a") as fh:  # a line appended: that file is read again
        fh.write(json.dumps({"id": "late", "text": "A late record about a launch, long enough to be a document."}) + "\n")
    third = news_pipeline(inputs=[str(inputs)], warehouse=wh_dir, run_date=RUN_DATE)
    assert third["counts"]["documents"] == 1 and third["counts"]["unchanged"] == first["counts"]["records_in"]
    assert {r["source_id"]: r["n_records"] for r in wh.read("inputs").to_pylist()}["records.jsonl"] == rows["records.jsonl"] + 1


def test_changed_input_updates_its_rows(tmp_path):
    inputs = tmp_path / "in"
    shutil.copytree(SEEDS, inputs)
    wh_dir = str(tmp_path / "wh")
    news_pipeline(inputs=[str(inputs)], warehouse=wh_dir, run_date=RUN_DATE)
    wh = Warehouse(wh_dir)
    doc_id = next(r["doc_id"] for r in wh.read("documents").to_pylist() if r["source_id"] == "001_d90a3442fa7c3b49.txt")
    segs_before = [r for r in wh.read("segments").to_pylist() if r["doc_id"] == doc_id]
    # the site removed the reader comments: fewer blocks, no comments
    path = inputs / "001_d90a3442fa7c3b49.txt"
    path.write_text("\n".join(path.read_text().splitlines()[:22]) + "\n")
    summary = news_pipeline(inputs=[str(inputs)], warehouse=wh_dir, run_date=RUN_DATE)
    assert summary["counts"]["documents"] == 1 and summary["counts"]["unchanged"] == 4
    assert summary["counts"]["documents_updated"] == 1 and summary["counts"]["documents_inserted"] == 0
    doc = next(r for r in wh.read("documents").to_pylist() if r["doc_id"] == doc_id)
    assert doc["comments_text"] == "" and doc["run_id"] == summary["run_id"]
    segs_after = [r for r in wh.read("segments").to_pylist() if r["doc_id"] == doc_id]
    assert len(segs_after) == 22 < len(segs_before)  # stale segments of the old version are gone
    assert wh.read("documents").num_rows == 5
    _assert_unique_keys(wh)


def test_sigkill_mid_run_leaves_tables_readable_and_next_run_completes(tmp_path):
    corpus = _corpus(tmp_path / "corpus", 1200) / "pages"
    first_half = tmp_path / "first"
    first_half.mkdir()
    sites = sorted(p for p in corpus.iterdir())
    for site in sites[: len(sites) // 3]:
        shutil.copytree(site, first_half / site.name)
    wh_dir = tmp_path / "wh"
    wh = Warehouse(str(wh_dir))
    done = _cli(["--input", str(first_half), "--warehouse", str(wh_dir)], tmp_path)
    out, _ = done.communicate(timeout=300)
    assert done.returncode == 0, out[-2000:]
    run1 = wh.run()
    docs_run1 = wh.table_at_run("documents", run1["run_id"]).to_pyarrow_table().num_rows
    # the full corpus in small batches; kill it once it has written two batches
    proc = _cli(["--input", str(corpus), "--warehouse", str(wh_dir), "--config", json.dumps({"ingest": {"batch_size": 100}})], tmp_path)
    v0 = wh.version("documents")
    deadline = time.monotonic() + 240
    while wh.version("documents") < v0 + 2:
        assert proc.poll() is None, proc.stdout.read()[-2000:]
        assert time.monotonic() < deadline
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    # every table is readable, nothing was published for the killed run, pinned readers see run 1 only
    readable = _all_readable(wh)
    assert readable["documents"] > docs_run1
    assert [r["run_id"] for r in wh.runs()] == [run1["run_id"]]
    assert wh.table_at_run("documents", run1["run_id"]).to_pyarrow_table().num_rows == docs_run1
    _assert_unique_keys(wh)
    # the next run completes the work: every input accounted for, no duplicate rows
    again = _cli(["--input", str(corpus), "--warehouse", str(wh_dir)], tmp_path)
    out, _ = again.communicate(timeout=600)
    assert again.returncode == 0, out[-2000:]
    n_files = sum(1 for _ in corpus.rglob("*.txt"))
    assert wh.read("documents").num_rows + wh.read("quarantine").num_rows == n_files
    assert wh.read("duplicates").num_rows == wh.read("documents").num_rows
    assert [r["status"] for r in wh.runs()] == ["completed", "completed"]
    _assert_unique_keys(wh)


_READER = """
import json, sys, time
from tasks.storage import Warehouse
wh, seen = Warehouse(sys.argv[1]), []
while True:
    try:
        run = wh.run()
        n = wh.arrow("documents").num_rows
        seen.append([run["run_id"], n])
    except Exception as exc:  # no run published yet is fine; anything else is a failed read
        if "no completed run" not in str(exc) and "does not exist" not in str(exc):
            print(json.dumps({"error": repr(exc)}))
            sys.exit(1)
    if len(wh.runs()) >= 2:
        print(json.dumps(seen))
        break
    time.sleep(0.3)
"""


def _session_workers(sid: int) -> list[str]:
    """Command lines of the multiprocessing processes (forkserver, pool workers) of session `sid`."""
    out = subprocess.run(["ps", "-eo", "sid=,args="], capture_output=True, text=True, check=True).stdout
    return [line for line in out.splitlines() if line.split(None, 1)[0] == str(sid) and "multiprocessing" in line]


def test_sigkill_of_the_run_process_alone_leaves_no_worker_and_its_spills_are_reclaimed(tmp_path):
    """Issue 19.3: kill -9 of the flow's process only (not its group): its forkserver and pool workers
    exit with it, and the next run removes the spill directories it left in TMPDIR."""
    corpus = _corpus(tmp_path / "corpus", 300) / "pages"
    tmpdir = tmp_path / "tmp"
    tmpdir.mkdir()
    wh_dir = tmp_path / "wh"
    wh = Warehouse(str(wh_dir))
    cfg = json.dumps({"ingest": {"batch_size": 20}})
    proc = _cli(["--input", str(corpus), "--warehouse", str(wh_dir), "--workers", "2", "--config", cfg], tmp_path, TMPDIR=str(tmpdir))
    deadline = time.monotonic() + 240
    while (wh.version("documents") or 0) < 2:
        assert proc.poll() is None, proc.stdout.read()[-2000:]
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert _session_workers(proc.pid)  # the pool is up
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    left = list(tmpdir.glob("newslake-*"))
    assert left  # no cleanup ran
    deadline = time.monotonic() + 30
    while _session_workers(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert _session_workers(proc.pid) == []
    again = _cli(["--input", str(corpus), "--warehouse", str(wh_dir), "--workers", "2"], tmp_path, TMPDIR=str(tmpdir))
    out, _ = again.communicate(timeout=600)
    assert again.returncode == 0, out[-2000:]
    assert not any(p.exists() for p in left)
    with contextlib.suppress(ProcessLookupError):  # what else it started (Prefect's temporary API server)
        os.killpg(proc.pid, signal.SIGKILL)


def test_two_concurrent_runs_with_a_reader(tmp_path):
    """Issue 19.4: two runs on overlapping inputs at once (real processes) while a reader polls the
    latest run: reads never fail, every input is accounted for once, the latest run is the one
    published last and shows every document, and every table (keys and record hashes) equals what the
    two runs give one after the other, in the order they published."""
    corpus = _corpus(tmp_path / "corpus", 600) / "pages"
    parts = [tmp_path / f"part{k}" for k in range(3)]
    for i, site in enumerate(sorted(corpus.iterdir())):  # a third of the sites in each part
        shutil.copytree(site, parts[i % 3] / site.name)
    # overlapping inputs: the middle part's files are read by both runs
    a = ["--input", str(parts[0]), "--input", str(parts[1])]
    b = ["--input", str(parts[1]), "--input", str(parts[2])]
    wh_dir = tmp_path / "wh"
    cfg = json.dumps({"ingest": {"batch_size": 50}})
    p1 = _cli([*a, "--warehouse", str(wh_dir), "--config", cfg], tmp_path)
    p2 = _cli([*b, "--warehouse", str(wh_dir), "--config", cfg], tmp_path)
    reader = subprocess.Popen([sys.executable, "-c", _READER, str(wh_dir)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    out1, _ = p1.communicate(timeout=600)
    out2, _ = p2.communicate(timeout=600)
    assert p1.returncode == 0, out1[-2000:]
    assert p2.returncode == 0, out2[-2000:]
    seen, _ = reader.communicate(timeout=120)
    assert reader.returncode == 0, seen
    wh = Warehouse(str(wh_dir))
    _all_readable(wh)
    _assert_unique_keys(wh)
    source_ids = {r["source_id"] for r in wh.read("documents", columns=["source_id"]).to_pylist()}
    q = {r["source_id"] for r in wh.read("quarantine", columns=["source_id"]).to_pylist()}
    expected = {p.relative_to(p.parents[1]).as_posix() for p in corpus.rglob("*.txt")}
    assert source_ids | q == expected
    assert wh.read("duplicates").num_rows == len(source_ids)
    runs = wh.runs()
    assert len(runs) == 2 and all(r["status"] == "completed" for r in runs)
    last = max(runs, key=lambda r: wh.commit_order("runs")[r["run_id"]])
    assert wh.run()["run_id"] == last["run_id"]
    assert wh.arrow("documents").num_rows == len(source_ids)  # the latest run shows everything
    # the same two runs one after the other, in the order they published
    from test_crash import snapshot

    order = [a if str(parts[0]) in json.loads(r["params"])["inputs"] else b for r in runs]
    seq_dir = tmp_path / "sequential"
    for args in order:
        p = _cli([*args, "--warehouse", str(seq_dir), "--config", cfg], tmp_path)
        out, _ = p.communicate(timeout=600)
        assert p.returncode == 0, out[-2000:]
    seq = Warehouse(str(seq_dir))
    got, want = snapshot(wh), snapshot(seq)
    differ = {t: (len(got[t][0] ^ want[t][0]), got[t][1], want[t][1]) for t in got if got[t] != want[t]}
    counts = [json.loads(r["counts"]) for r in runs]
    assert not differ, f"tables differing from the sequential runs (rows not shared, rows, rows): {differ}; run counts {counts}"
    print("concurrent runs: second pass in the later run:", counts[1].get("second_pass", 0))


@pytest.mark.parametrize("runner", ["processes", "dask"])
def test_other_task_runners_give_the_same_tables(runner, seed_run, tmp_path):
    """`--task-runner processes` (both cores) and `dask` (a 2-worker LocalCluster via prefect-dask)
    write the same tables as the default thread runner."""
    from flows.pipeline import make_task_runner

    wh_dir = tmp_path / "wh"
    flow_fn = news_pipeline.with_options(task_runner=make_task_runner(runner, workers=2))
    summary = flow_fn(inputs=[str(SEEDS)], warehouse=str(wh_dir), run_date=RUN_DATE)
    assert summary["status"] == "completed"
    ours, ref = Warehouse(str(wh_dir)), Warehouse(str(seed_run[0]))
    for t in ("documents", "segments", "duplicates", "events", "event_mentions", "entities"):
        a = sorted(r["record_hash"] for r in ours.read(t, columns=["record_hash"]).to_pylist())
        b = sorted(r["record_hash"] for r in ref.read(t, columns=["record_hash"]).to_pylist())
        assert a == b, t


def test_second_run_derives_entities_and_events_from_the_latest_tables(tmp_path):
    """Run 2 adds documents with new events: the events it merges against and the entities it
    rebuilds come from the tables as just written (not from the last published run's versions)."""
    inputs = tmp_path / "in"
    inputs.mkdir()
    shutil.copy(SEEDS / "000_268cf9d23be273d3.txt", inputs)
    wh_dir = str(tmp_path / "wh")
    news_pipeline(inputs=[str(inputs)], warehouse=wh_dir, run_date=RUN_DATE)
    wh = Warehouse(wh_dir)
    before = {r["name"] for r in wh.read("entities").to_pylist()}
    for p in SEEDS.iterdir():
        shutil.copy(p, inputs)
    summary = news_pipeline(inputs=[str(inputs)], warehouse=wh_dir, run_date=RUN_DATE)
    assert summary["counts"]["documents"] == 4 and summary["counts"]["unchanged"] == 1
    events = wh.read("events").to_pylist()
    actors = {a["name"] for e in events for a in e["actors"]}
    entities = wh.read("entities").to_pylist()
    assert {r["name"] for r in entities} == actors and actors - before  # run 2's new actors are there
    per_doc = {}
    for m in wh.read("event_mentions").to_pylist():
        per_doc.setdefault(m["event_id"], set()).add(m["doc_id"])
    for e in events:  # every event lists the documents whose mentions point to it, across both runs
        assert per_doc.get(e["event_id"], set()) <= set(e["doc_ids"]), e["summary"]
    _assert_unique_keys(wh)


def test_hostile_folder_run_accounts_for_every_unit_and_reruns_unchanged(tmp_path, monkeypatch):
    """Issue 19 end to end: the hostile folder (tests/hostile.py) plus a document past its time
    limit (injected by config) through the flow on worker processes: no crash, no hang; documents +
    quarantine rows = units, each with its expected outcome; the summary's counts equal the tables';
    a rerun finds every unit unchanged and writes no row."""
    import hostile

    expected = hostile.build(tmp_path / "in")
    hostile.lock_scandir(monkeypatch)
    expected["linked_dir/linked.txt"] = "timeout"
    config = {"document_timeout_s": 10, "slow_source_id": "linked_dir/linked.txt", "max_reject_share": 1.0}
    wh_dir = str(tmp_path / "wh")
    summary = news_pipeline(inputs=[str(tmp_path / "in")], warehouse=wh_dir, run_date=RUN_DATE, config=config, workers=2)
    wh = Warehouse(wh_dir)
    docs, quarantine = wh.read("documents").to_pylist(), wh.read("quarantine").to_pylist()
    got = {d["source_id"]: "document" for d in docs}
    for q in quarantine:
        assert q["source_id"] not in got, q
        got[q["source_id"]] = q["reason"]
    assert got == expected
    assert len(docs) + len(quarantine) == len(expected)
    c = summary["counts"]
    assert (c["records_in"], c["documents"], c["quarantined"]) == (len(expected), len(docs), len(quarantine))
    assert c["quarantine_reasons"] == dict(Counter(q["reason"] for q in quarantine))
    assert not any(str(tmp_path) in q["detail"] for q in quarantine)
    before = {t: wh.version(t) for t in CONTENT}
    again = news_pipeline(inputs=[str(tmp_path / "in")], warehouse=wh_dir, run_date=RUN_DATE, config=config, workers=2)
    assert again["counts"]["unchanged"] == again["counts"]["records_in"] == len(expected)
    assert {t: wh.version(t) for t in CONTENT} == before


def test_full_refresh_on_an_unchanged_corpus_changes_nothing(tmp_path):
    """Issue 19.5: `--full-refresh` over the same inputs (many small batches, so site boilerplate is
    learned batch by batch in the first run) changes no row of any table, and every event lists
    exactly the documents of its mentions."""
    from test_crash import snapshot

    corpus = _corpus(tmp_path / "corpus", 300) / "pages"
    wh_dir = str(tmp_path / "wh")
    cfg = {"ingest": {"batch_size": 20}}
    news_pipeline(inputs=[str(corpus)], warehouse=wh_dir, run_date=RUN_DATE, config=cfg, workers=1)
    wh = Warehouse(wh_dir)
    before = snapshot(wh)
    again = news_pipeline(inputs=[str(corpus)], warehouse=wh_dir, run_date=RUN_DATE, config=cfg, workers=1, full_refresh=True)
    assert again["counts"]["documents_updated"] == 0 and again["counts"]["documents_inserted"] == 0
    assert snapshot(wh) == before
    per_event: dict[str, set] = {}
    for m in wh.read("event_mentions", columns=["event_id", "doc_id"]).to_pylist():
        per_event.setdefault(m["event_id"], set()).add(m["doc_id"])
    events = wh.read("events", columns=["event_id", "doc_ids"]).to_pylist()
    assert events and all(set(e["doc_ids"]) == per_event.get(e["event_id"], set()) for e in events)

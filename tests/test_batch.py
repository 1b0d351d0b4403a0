"""The batch function and the process pool it runs on (real worker processes)."""

from __future__ import annotations

import os
import time
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from conftest import RUN_DATE, SEEDS

from flows.batch import BatchPool, Packed, Spill, WorkerDied, process_batch, unpack_all
from tasks.config import PipelineConfig
from tasks.ingest import ingest, list_inputs


def _seed_raws():
    raws, rejects, _ = ingest(list_inputs([SEEDS]), PipelineConfig().ingest)
    assert raws and not rejects
    return raws


def test_a_batch_on_a_worker_process_equals_the_batch_in_process():
    raws, cfg, now = _seed_raws(), PipelineConfig(), datetime(2026, 11, 21, tzinfo=UTC)
    args = (raws, {}, cfg, date.fromisoformat(RUN_DATE), "r1", now)
    here = process_batch(*args)
    with BatchPool(2) as pool:
        there = pool.run(process_batch, *args)
    assert there.documents.equals(here.documents) and there.segments.equals(here.segments)
    assert there.doc_ids == here.doc_ids and not there.rejects
    assert unpack_all(there.mentions) == unpack_all(here.mentions) and unpack_all(here.mentions)
    sigs = [[e.signature.tolist() for e in unpack_all(r.entries)] for r in (here, there)]
    assert sigs[0] == sigs[1] and len(sigs[0]) == len(raws)


def test_a_dead_worker_fails_only_its_batch_with_the_batch_named_and_the_pool_recovers():
    with BatchPool(2) as pool:
        with pytest.raises(WorkerDied, match=r"batch 7 \(a.jsonl:1 .. a.jsonl:9\)"):
            pool.run(os._exit, 3, label="batch 7 (a.jsonl:1 .. a.jsonl:9)")
        assert pool.run(sum, [1, 2, 3]) == 6  # a fresh pool


def test_a_hung_batch_times_out_with_its_name_and_the_pool_recovers():
    with BatchPool(2) as pool:
        t = time.monotonic()
        with pytest.raises(TimeoutError, match="batch 2 took longer than 1 s"):
            pool.run(time.sleep, 60, label="batch 2", timeout=1)
        assert time.monotonic() - t < 30  # the sleeping worker was killed, not waited for
        assert pool.run(sum, [4, 5]) == 9


def test_one_worker_runs_in_the_calling_process():
    with BatchPool(1) as pool:
        assert pool.run(os.getpid) == os.getpid()
    with BatchPool(2) as pool:
        assert pool.run(os.getpid) != os.getpid()


def test_spill_partitions_round_trip_and_are_removed():
    spill = Spill(parts=4)
    root = spill.root
    spill.add(range(10), lambda x: x % 4, key_of=lambda x: x % 3)
    spill.add([10, 11], lambda x: x % 4)
    assert len(spill) == 12 and spill.keys == {0, 1, 2}
    assert [spill.load(p) for p in range(4)] == [[0, 4, 8], [1, 5, 9], [2, 6, 10], [3, 7, 11]]
    # records pickled by a worker go to disk as they are, and come back one added list at a time
    spill.add_packed(1, Packed(["a", "b"]))
    spill.add_packed(1, Packed([]))
    assert len(spill) == 14 and list(spill.chunks(1)) == [[1, 5, 9], ["a", "b"], []]
    assert spill.load(1) == [1, 5, 9, "a", "b"] and list(spill.chunks(3)) == [[3, 7], [11]]
    assert list(Spill(parts=2).chunks(0)) == []  # nothing added
    assert root.is_dir()
    spill.cleanup()
    assert not root.exists()
    spill.cleanup()  # twice is harmless


def test_release_memory_hands_freed_heap_pages_back_to_the_os():
    # In a fresh process: 200 MB of 2 KB blocks, every 64th kept, so the heap cannot shrink from its
    # top; glibc keeps the freed pages mapped until release_memory trims them.
    code = """
import sys
from flows.batch import _MALLOC_TRIM, release_memory
if _MALLOC_TRIM is None:
    print("skip"); sys.exit()
def rss():
    return int(open("/proc/self/statm").read().split()[1]) * 4096 >> 20
blocks = [bytes(2048) for _ in range(100_000)]
kept = blocks[::64]
del blocks
before = rss()
release_memory()
print(before, rss())
"""
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=Path(__file__).parent.parent)
    if out.stdout.strip() == "skip":
        pytest.skip("not glibc: no malloc_trim")
    before, after = map(int, out.stdout.split())
    assert before - after > 100, (before, after)


def test_a_document_past_its_time_limit_is_quarantined_and_the_batch_goes_on():
    """`document_timeout_s` bounds one document's cleaning + event extraction; the slow document
    (injected by config) becomes a `timeout` reject, on a worker process and in the main thread."""
    raws = _seed_raws()
    slow = raws[1].source_id
    cfg = PipelineConfig.from_dict({"document_timeout_s": 3, "slow_source_id": slow})
    args = ({}, cfg, date.fromisoformat(RUN_DATE), "r1", datetime(2026, 11, 21, tzinfo=UTC))
    here = process_batch(raws, *args)
    with BatchPool(2) as pool:
        there = pool.run(process_batch, raws, *args)
    for res in (here, there):
        assert [(r.source_id, r.reason) for r in res.rejects] == [(slow, "timeout")]
        assert "document_timeout_s=3" in res.rejects[0].detail and slow in res.rejects[0].detail
        assert res.doc_ids == [r.doc_id for r in raws if r.source_id != slow]

"""End-to-end throughput of `newslake run`, with every ratio issue 7 asks for, in one run.

For each corpus size (bench/make_corpus.py `--format mixed`: WARC.gz responses, plain and gzipped
JSONL, loose .txt/.html files; 30% HTML; boilerplate, comments and duplicate clusters) it runs the
real CLI in fresh subprocesses and prints:
- docs/s and MB/s end to end (the flow's own time: runs.started_at..finished_at) with the default
  one worker process per core, and the peak RSS of the flow process and of the whole process tree;
- the cost of an unchanged re-run as a share of the first run;
- the speed-up of 2 worker processes over `--workers 1` (every stage in the flow's process);
- Prefect overhead: the flow's time against the same batch functions, pool and warehouse writes
  called directly without Prefect (a subprocess of this script, same worker count);
and, across sizes, time(largest)/time(smallest). Then a peer: the script a user would write instead
(warcio/json reading, trafilatura for HTML, dateparser `search_dates`, datasketch MinHash-LSH at
5-word shingles / 0.7, pandas -> Parquet), one worker, on the first corpus, with the ratios.

    python bench/run_all.py --sizes 10000 100000 [--peer-docs N]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

RUN_DATE = "2026-11-21"
PAGE = os.sysconf("SC_PAGE_SIZE")


# Memory "flat" (issue 7): the 100k run's peak RSS may exceed the 10k run's by the dedup index the
# run holds (dedup.Index: a 128 x uint32 signature, ids and hashes, ~0.65 KB per document, plus the
# doc_id -> canonical map for event sources, ~0.15 KB) and a small constant (allocator pools and
# delta-rs buffers that settle at a level rather than grow with the input).
INDEX_KB_PER_DOC = 0.8
FLAT_SLACK_MB = 100


def _rss_tree(root: int) -> tuple[int, int]:
    """(RSS of `root`, RSS of `root` and all its descendants), bytes, from /proc."""
    parent: dict[int, int] = {}
    rss: dict[int, int] = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                stat = f.read()
            with open(f"/proc/{d}/statm") as f:
                rss[int(d)] = int(f.read().split()[1]) * PAGE
        except OSError:
            continue
        parent[int(d)] = int(stat[stat.rindex(")") + 2 :].split()[1])
    tree, frontier = {root}, [root]
    while frontier:
        p = frontier.pop()
        for c, pp in parent.items():
            if pp == p and c not in tree:
                tree.add(c)
                frontier.append(c)
    return rss.get(root, 0), sum(rss.get(p, 0) for p in tree)


def run_measured(cmd: list[str], env: dict) -> tuple[float, float, float, str]:
    """(wall s, peak RSS MB of the process, peak RSS MB of its process tree, output)."""
    t = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    peaks = [0, 0]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.25):
            own, tree = _rss_tree(proc.pid)
            peaks[0], peaks[1] = max(peaks[0], own), max(peaks[1], tree)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out = proc.stdout.read()
    proc.wait()
    done.set()
    sampler.join()
    wall = time.perf_counter() - t
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:4])} failed:\n{out[-3000:]}")
    return wall, peaks[0] / 2**20, peaks[1] / 2**20, out


def newslake(corpus: Path, warehouse: Path, home: Path, *extra: str) -> tuple[float, float, float]:
    """One `newslake run`: (flow seconds, peak RSS MB of the flow process, of its process tree)."""
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env.update(PREFECT_HOME=str(home), PREFECT_SERVER_ANALYTICS_ENABLED="false", PREFECT_LOGGING_LEVEL="WARNING")
    cmd = [sys.executable, "-m", "flows.cli", "run", "--run-date", RUN_DATE, "--input", str(corpus), "--warehouse", str(warehouse), *extra]
    _, own, tree, _ = run_measured(cmd, env)
    return flow_seconds(warehouse), own, tree


def flow_seconds(warehouse: Path) -> float:
    from tasks.storage import Warehouse

    r = Warehouse(str(warehouse)).runs()[-1]
    return (r["finished_at"] - r["started_at"]).total_seconds()


def direct(corpus: Path, warehouse: Path, workers: int) -> float:
    """The flow's work without Prefect: the same ingest, boilerplate learning, batch function on the
    same process pool, the same batch writes and final phase (the tasks' plain `.fn`), the same
    pipelining (worker threads, `workers + 1` batches in flight). Returns seconds."""
    from collections import deque
    from concurrent.futures import ThreadPoolExecutor
    from datetime import UTC, date, datetime

    from flows import pipeline as pl
    from flows.batch import BatchPool
    from tasks import clean, ingest
    from tasks.config import PipelineConfig
    from tasks.storage import Warehouse

    started = datetime.now(UTC)
    t = time.perf_counter()
    cfg, wh, run_id = PipelineConfig(), Warehouse(str(warehouse)), "direct"
    state = pl.RunState(boilerplate=clean.SiteBoilerplate(cfg.clean.site_boilerplate_min_docs))
    versions = {k: wh.version(k) for k in ("documents", "segments")}
    no_ids = pl.Payload(frozenset())

    def one(pool: BatchPool, raws: list, rejects: list, fingerprints: dict) -> dict:
        res = pl.process_task.fn(pl.Payload(pool), pl.Payload(raws), pl.Payload(fingerprints), cfg, date.fromisoformat(RUN_DATE), run_id, "batch")
        return pl.write_batch_task.fn(wh, run_id, res, pl.Payload(rejects), no_ids, pl.Payload((True, versions))).value

    with BatchPool(workers) as pool, ThreadPoolExecutor(workers + 1) as threads:
        pending: deque = deque()
        for batch in pl.plan_batches(ingest.iter_units(ingest.list_inputs([corpus]), cfg.ingest), cfg.ingest.batch_size):
            raws, rejects, _ = pl.ingest_task.fn(pl.Payload(batch), cfg, pl.Payload(ingest.Known())).value
            state.boilerplate.add(raws)
            pending.append(threads.submit(one, pool, raws, rejects, dict(state.boilerplate.fingerprints)))
            while len(pending) > workers:
                state.add_batch(pending.popleft().result())
        while pending:
            state.add_batch(pending.popleft().result())
    try:
        pl._finish(wh, run_id, started, {}, cfg, state, call=lambda task: task.fn)
    finally:
        state.cleanup()
    return time.perf_counter() - t


def peer_records(corpus: Path, limit: int):
    """What the peer script reads: WARC responses (warcio), JSONL(.gz) lines, loose files."""
    import gzip

    from warcio.archiveiterator import ArchiveIterator

    n = 0
    for path in sorted(corpus.rglob("*")):
        if not path.is_file():
            continue
        if path.name.endswith(".warc.gz"):
            with path.open("rb") as fh:
                recs = [(r.rec_headers.get_header("WARC-Record-ID"), r.content_stream().read().decode("utf-8", "replace"), True) for r in ArchiveIterator(fh) if r.rec_type == "response"]
        elif path.name.endswith((".jsonl", ".jsonl.gz")):
            with (gzip.open(path, "rt", encoding="utf-8") if path.suffix == ".gz" else path.open(encoding="utf-8")) as fh:
                recs = [(o["id"], o.get("html") or o["text"], "html" in o) for o in map(json.loads, fh)]
        else:
            recs = [(str(path), path.read_text(encoding="utf-8", errors="replace"), path.suffix == ".html")]
        for rec in recs:
            if n >= limit:
                return
            n += 1
            yield rec


def peer(corpus: Path, limit: int) -> tuple[int, float]:
    """The straightforward script: trafilatura (HTML), dateparser, datasketch 5-shingle/0.7, pandas -> Parquet."""
    import pandas as pd
    import trafilatura
    from datasketch import MinHash, MinHashLSH
    from dateparser.search import search_dates

    t = time.perf_counter()
    rows = []
    for rid, body, is_html in peer_records(corpus, limit):
        text = (trafilatura.extract(body, favor_precision=True, include_comments=False) or "") if is_html else body
        found = search_dates(text, languages=["en"]) or []
        rows.append({"id": rid, "text": text, "dates": [d.isoformat() for _, d in found]})
    lsh = MinHashLSH(threshold=0.7, num_perm=128)
    sets = [[" ".join(w[i : i + 5]).encode() for w in [row["text"].lower().split()] for i in range(max(1, len(w) - 4))] for row in rows]
    for row, m in zip(rows, MinHash.bulk(sets, num_perm=128), strict=True):
        row["dups"] = lsh.query(m)
        lsh.insert(row["id"], m)
    with tempfile.TemporaryDirectory() as d:
        pd.DataFrame(rows).to_parquet(Path(d) / "docs.parquet")
    return len(rows), time.perf_counter() - t


def corpus_mb(corpus: Path) -> float:
    return sum(p.stat().st_size for p in corpus.rglob("*") if p.is_file()) / 1e6


def check(name: str, value: float, ok: bool, target: str) -> str:
    return f"  {'PASS' if ok else 'MISS'}  {name}: {value:.3g} (target {target})"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[10000, 100000])
    ap.add_argument("--peer-docs", type=int, default=None, help="documents for the peer script (default: all of the first corpus; 0: skip)")
    ap.add_argument("--html-share", type=float, default=0.3)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    ap.add_argument("--direct", nargs=2, metavar=("CORPUS", "WAREHOUSE"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.direct:  # the baseline, in its own process
        print(json.dumps({"direct_s": direct(Path(args.direct[0]), Path(args.direct[1]), args.workers)}))
        return
    from make_corpus import write

    results = []
    for n in args.sizes:
        corpus = write(args.out / f"mixed{n}", n, seed=17, fmt="mixed", html_share=args.html_share)
        mb = corpus_mb(corpus)
        home = Path(tempfile.mkdtemp(prefix="nl-bench-"))
        wh = {k: args.out / f"wh{n}-{k}" for k in ("main", "one", "direct")}
        for w in wh.values():
            shutil.rmtree(w, ignore_errors=True)
        w = str(args.workers)
        fsec, rss, rss_tree = newslake(corpus, wh["main"], home, "--workers", w)
        rerun, _, _ = newslake(corpus, wh["main"], home, "--workers", w)
        one, rss_one, _ = newslake(corpus, wh["one"], home, "--workers", "1")
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        _, _, _, out = run_measured([sys.executable, __file__, "--workers", w, "--direct", str(corpus), str(wh["direct"])], env)
        dsec = json.loads(out.strip().splitlines()[-1])["direct_s"]
        res = {
            "docs": n, "MB": round(mb, 1), "flow_s": round(fsec, 1), "docs_per_s": round(n / fsec), "MB_per_s": round(mb / fsec, 2),
            "peak_rss_flow_MB": round(rss), "peak_rss_tree_MB": round(rss_tree), "rerun_share": round(rerun / fsec, 4),
            "one_worker_s": round(one, 1), "one_worker_docs_per_s": round(n / one), "peak_rss_one_worker_MB": round(rss_one),
            "speedup_2proc": round(one / fsec, 2), "direct_s": round(dsec, 1), "prefect_overhead": round(fsec / dsec - 1, 4),
        }
        results.append(res)
        print(json.dumps(res), flush=True)
        shutil.rmtree(home, ignore_errors=True)
    print()
    print("| docs | MB | flow s | docs/s | MB/s | peak RSS flow / tree MB | unchanged re-run | 1 worker docs/s | 2-process speed-up | direct s | Prefect overhead |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(f"| {r['docs']:,} | {r['MB']} | {r['flow_s']} | {r['docs_per_s']} | {r['MB_per_s']} | {r['peak_rss_flow_MB']} / {r['peak_rss_tree_MB']} | "
              f"{r['rerun_share']:.1%} | {r['one_worker_docs_per_s']} | {r['speedup_2proc']:.2f}x | {r['direct_s']} | {r['prefect_overhead']:+.1%} |")
    big = results[-1]
    checks = []
    if len(results) > 1:
        small = results[0]
        ratio = big["flow_s"] / small["flow_s"]
        print(f"\ntime({big['docs']})/time({small['docs']}) = {ratio:.2f} for {big['docs'] / small['docs']:.0f}x the documents")
        checks.append(check(f"time({big['docs']})/time({small['docs']})", ratio, ratio <= 11, "<= 11"))
        grow = big["peak_rss_flow_MB"] - small["peak_rss_flow_MB"]
        index = INDEX_KB_PER_DOC * (big["docs"] - small["docs"]) / 1024
        print(f"peak RSS of the flow process: {small['peak_rss_flow_MB']} MB -> {big['peak_rss_flow_MB']} MB (+{grow} MB, "
              f"{grow * 1024 / (big['docs'] - small['docs']):.2f} KB per extra document); the in-memory dedup index "
              f"grows by ~{index:.0f} MB, the rest by {grow - index:.0f} MB")
        checks.append(check(f"peak RSS growth {small['docs']} -> {big['docs']} beyond the dedup index (MB)", round(grow - index),
                            grow - index <= FLAT_SLACK_MB, f"<= {FLAT_SLACK_MB}"))
    checks += [
        check(f"Prefect overhead at {big['docs']}", big["prefect_overhead"], big["prefect_overhead"] <= 0.05, "<= 0.05"),
        check(f"2-process speed-up at {big['docs']}", big["speedup_2proc"], big["speedup_2proc"] >= 1.6, ">= 1.6"),
        check(f"unchanged re-run share at {big['docs']}", big["rerun_share"], big["rerun_share"] <= 0.03, "<= 0.03"),
    ]
    peer_docs = args.sizes[0] if args.peer_docs is None else args.peer_docs
    if peer_docs:
        n, p = peer(args.out / f"mixed{args.sizes[0]}", peer_docs)
        rate = n / p
        first = results[0]
        print(f"\npeer script (1 worker): {rate:.1f} docs/s on {n} documents of the {first['docs']} corpus ({p:.0f} s)")
        print(f"newslake, {args.workers} workers: {first['docs_per_s']} docs/s = {first['docs_per_s'] / rate:.1f}x the peer; "
              f"1 worker: {first['one_worker_docs_per_s']} docs/s = {first['one_worker_docs_per_s'] / rate:.1f}x")
        checks.append(check(f"newslake / peer at {first['docs']}", first["docs_per_s"] / rate, first["docs_per_s"] / rate >= 10, ">= 10"))
    print("\nissue 7 targets:")
    print("\n".join(checks))


if __name__ == "__main__":
    main()

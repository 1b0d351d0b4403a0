"""Near-duplicate detection: newslake vs datasketch on the same generated corpus, in one run.

Prints pairwise precision / recall / F1 against the corpus's known clusters and docs/s for:
- newslake: vectorised MinHash (3-word shingles, 128 perms) + LSH bands + verified pairs, on clean text;
- datasketch: `MinHash.bulk` + `MinHashLSH` with the common setting (5-word shingles, threshold 0.7),
  on the same clean text;
- newslake incremental: the first half as run 1, the second half as run 2 against the stored index
  (round-tripped through the `dedup_index` row format), which must be as precise as one run.

    python bench/bench_dedup.py --docs 10000 [--docs 100000]
"""

from __future__ import annotations

import argparse
import itertools
import resource
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from make_corpus import page_text, pages  # noqa: E402

from tasks.clean import clean_document  # noqa: E402
from tasks.config import CleanConfig, DedupConfig  # noqa: E402
from tasks.dedup import DedupInput, dedup, index_entry_from_row, index_row, sign  # noqa: E402
from tasks.records import RawDoc, normalise_words  # noqa: E402


def pairs(clusters: dict[str, set[str]]) -> set[tuple[str, str]]:
    return {p for members in clusters.values() for p in itertools.combinations(sorted(members), 2)}


def prf(pred: set, truth: set) -> tuple[float, float, float]:
    tp = len(pred & truth)
    p = tp / len(pred) if pred else 1.0
    r = tp / len(truth) if truth else 1.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def sign_batched(docs: list[DedupInput], cfg: DedupConfig, batch: int = 2000) -> list:
    entries = []
    for i in range(0, len(docs), batch):  # signatures per batch, as the flow does
        entries += sign(docs[i : i + batch], cfg)
    return entries


def newslake(docs: list[DedupInput], cfg: DedupConfig) -> tuple[dict[str, set[str]], float, float]:
    """Clusters, seconds, and the peak memory (MB, tracemalloc: numpy included) the dedup stage itself
    allocated: signatures of all documents (the index) plus per-batch work."""
    import tracemalloc

    tracemalloc.start()
    t = time.perf_counter()
    rows, _ = dedup(sign_batched(docs, cfg), [], cfg)
    dt = time.perf_counter() - t
    peak = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    clusters: dict[str, set[str]] = defaultdict(set)
    for r in rows:
        clusters[r.cluster_id].add(r.doc_id)
    return clusters, dt, peak


def newslake_incremental(docs: list[DedupInput], cfg: DedupConfig) -> dict[str, set[str]]:
    half = len(docs) // 2
    rows1, entries1 = dedup(sign_batched(docs[:half], cfg), [], cfg)
    stored = [index_entry_from_row(index_row(e, "run1")) for e in entries1]
    rows2, _ = dedup(sign_batched(docs[half:], cfg), stored, cfg)
    clusters: dict[str, set[str]] = defaultdict(set)
    for r in rows1 + rows2:
        clusters[r.cluster_id].add(r.doc_id)
    return clusters


def datasketch(docs: list[DedupInput], shingle: int = 5, threshold: float = 0.7) -> tuple[dict[str, set[str]], float]:
    from datasketch import MinHash, MinHashLSH

    t = time.perf_counter()
    sets = []
    for d in docs:
        ws = normalise_words(d.text)
        sets.append([" ".join(ws[i : i + shingle]).encode() for i in range(max(1, len(ws) - shingle + 1))])
    mhs = MinHash.bulk(sets, num_perm=128)
    lsh = MinHashLSH(threshold=threshold, num_perm=128)
    for d, m in zip(docs, mhs, strict=True):
        lsh.insert(d.doc_id, m)
    parent = {d.doc_id: d.doc_id for d in docs}

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for d, m in zip(docs, mhs, strict=True):
        for other in lsh.query(m):
            ra, rb = find(d.doc_id), find(other)
            if ra != rb:
                parent[max(ra, rb)] = min(ra, rb)
    dt = time.perf_counter() - t
    clusters: dict[str, set[str]] = defaultdict(set)
    for d in docs:
        clusters[find(d.doc_id)].add(d.doc_id)
    return clusters, dt


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, action="append", help="corpus size (repeatable)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--skip-datasketch", action="store_true")
    args = ap.parse_args()
    cfg = DedupConfig()
    print(f"{'docs':>7} {'system':<26} {'P':>6} {'R':>6} {'F1':>6} {'docs/s':>8} {'ratio':>6} {'rss MB':>7} {'dedup peak MB':>14} {'KB/doc':>7}")
    for n in args.docs or [10000]:
        truth: dict[str, set[str]] = defaultdict(set)
        docs: list[DedupInput] = []
        t = time.perf_counter()
        for p in pages(n, args.seed):
            raw = RawDoc(p.doc_id, p.doc_id, None, "text/plain", "", page_text(p), "utf-8", p.site, title=p.title)
            docs.append(DedupInput(p.doc_id, clean_document(raw, CleanConfig()).clean_text, None))
            truth[p.cluster].add(p.doc_id)
        t_clean = time.perf_counter() - t
        gold = pairs(truth)
        ours, t_ours, peak = newslake(docs, cfg)
        p, r, f = prf(pairs(ours), gold)
        base = n / t_ours
        print(f"{n:>7} {'newslake':<26} {p:6.3f} {r:6.3f} {f:6.3f} {base:8.0f} {1.0:6.2f} {rss_mb():7.0f} {peak:14.0f} {1000 * peak / n:7.2f}")
        inc = newslake_incremental(docs, cfg)
        p, r, f = prf(pairs(inc), gold)
        print(f"{n:>7} {'newslake, 2 runs (index)':<26} {p:6.3f} {r:6.3f} {f:6.3f} {'':>8} {'':>6} {rss_mb():7.0f}")
        if not args.skip_datasketch:
            theirs, t_theirs = datasketch(docs)
            p, r, f = prf(pairs(theirs), gold)
            print(f"{n:>7} {'datasketch 5-shingle/0.7':<26} {p:6.3f} {r:6.3f} {f:6.3f} {n / t_theirs:8.0f} {t_ours / t_theirs:6.2f} {rss_mb():7.0f}")
            print(f"{'':>7} newslake speed-up over datasketch: {t_theirs / t_ours:.1f}x")
        print(f"{'':>7} (cleaning before dedup: {n / t_clean:.0f} docs/s, not included above)")


if __name__ == "__main__":
    main()

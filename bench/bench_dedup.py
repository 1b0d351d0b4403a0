"""Near-duplicate detection: newslake vs datasketch on the same generated corpus, in one run.

Prints pairwise precision / recall / F1 against the corpus's known clusters and documents per CPU-second
(process time: both systems are single-threaded, and on a shared machine wall time measures the other
jobs) for:
- newslake: word 2-shingles hashed vectorised, one-permutation MinHash (128 values) + LSH bands + verified
  pairs + star clusters, on clean text;
- datasketch: `MinHash.bulk` + `MinHashLSH` with the common setting (5-word shingles, threshold 0.7),
  on the same clean text;
- newslake incremental: the first half as run 1, the second half as run 2 against the stored index
  (round-tripped through the `dedup_index` row format), which must be as precise as one run.

    python bench/bench_dedup.py --docs 10000 [--docs 100000]
    python bench/bench_dedup.py --realistic DATASETS --docs 10000 [--out metrics.json]

`--realistic DATA` uses `make_corpus.realistic_pages` (real article texts of DATA/*/gold.jsonl on shared
site templates, half the records without URL) and cleans them as a run does: boilerplate learned over
all records first (`SiteBoilerplate`, site and run-wide: the flow's counting pass), then batches of
2,000 cleaned with it.
It prints P/R/F1 per variant kind (pairs with at least one document of that kind), the documents lost
to cleaning, and the purity of the largest predicted clusters (share of the largest true cluster).
"""

from __future__ import annotations

import argparse
import itertools
import pickle
import resource
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from make_corpus import page_text, pages, realistic_pages  # noqa: E402

from tasks.clean import SiteBoilerplate, clean, clean_document  # noqa: E402
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


def newslake(docs: list[DedupInput], cfg: DedupConfig, repeat: int = 1, memory: bool = True) -> tuple[dict[str, set[str]], float, float]:
    """Clusters, seconds (the best of `repeat` runs), and the peak memory (MB, tracemalloc: numpy
    included; 0 unless `memory`) the dedup stage itself allocated: signatures of all documents (the
    index) plus per-batch work. Timed without tracemalloc (which slows Python code several times, and
    datasketch is timed without it); memory in a second pass."""
    import tracemalloc

    dt, peak = float("inf"), 0.0
    for _ in range(repeat):
        t = time.process_time()
        rows, _ = dedup(sign_batched(docs, cfg), [], cfg)
        dt = min(dt, time.process_time() - t)
    if memory:
        tracemalloc.start()
        rows, _ = dedup(sign_batched(docs, cfg), [], cfg)
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


def datasketch(docs: list[DedupInput], shingle: int = 5, threshold: float = 0.7, repeat: int = 1) -> tuple[dict[str, set[str]], float]:
    """Clusters and seconds (the best of `repeat` runs) of datasketch's usual setting."""
    best = float("inf")
    for _ in range(repeat):
        clusters, dt = _datasketch_once(docs, shingle, threshold)
        best = min(best, dt)
    return clusters, best


def _datasketch_once(docs: list[DedupInput], shingle: int, threshold: float) -> tuple[dict[str, set[str]], float]:
    from datasketch import MinHash, MinHashLSH

    t = time.process_time()
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
    dt = time.process_time() - t
    clusters: dict[str, set[str]] = defaultdict(set)
    for d in docs:
        clusters[find(d.doc_id)].add(d.doc_id)
    return clusters, dt


def exact_chrome_docs(data: Path, n: int, seed: int, split: str) -> tuple[list[DedupInput], dict[str, str], dict[str, str], dict[str, int]]:
    """The realistic corpus with each page's site template lines removed exactly (known from the
    generator) instead of cleaned: comment threads stay in the text. Measures the dedup stage apart from
    cleaning, at sizes whose cleaning this machine cannot afford (same return as `realistic_docs`)."""
    docs: list[DedupInput] = []
    cluster_of: dict[str, str] = {}
    variant_of: dict[str, str] = {}
    for p in realistic_pages(data, n, seed, split):
        chrome = set(p.chrome)
        docs.append(DedupInput(p.doc_id, "\n\n".join(x for x in p.text.split("\n\n") if x.strip() and x.strip() not in chrome), None))
        cluster_of[p.doc_id], variant_of[p.doc_id] = p.cluster, p.variant
    return docs, cluster_of, variant_of, {}


def realistic_docs(data: Path, n: int, seed: int, split: str) -> tuple[list[DedupInput], dict[str, str], dict[str, str], dict[str, int]]:
    """Clean the realistic corpus as a run does: a counting pass (boilerplate learned over all of the
    run's records, batch by batch), then each batch of 2,000 cleaned with what was learned (the corpus
    is generated twice, deterministically, instead of held). Returns the kept documents, doc ->
    cluster, doc -> variant, and rejects per variant."""
    ccfg = CleanConfig()
    learner = SiteBoilerplate(ccfg.site_boilerplate_min_docs, (), ccfg.site_boilerplate_max_blocks, ccfg.shared_boilerplate_min_docs)
    docs: list[DedupInput] = []
    cluster_of: dict[str, str] = {}
    variant_of: dict[str, str] = {}
    lost: dict[str, int] = defaultdict(int)

    def batches() -> Iterator[list[RawDoc]]:
        batch: list[RawDoc] = []
        for p in realistic_pages(data, n, seed, split):
            site = p.url.split("/")[2].removeprefix("www.") if p.url else "corpus"
            batch.append(RawDoc(p.doc_id, p.doc_id, p.url, "text/plain", "", p.text, "utf-8", site))
            cluster_of[p.doc_id] = p.cluster
            variant_of[p.doc_id] = p.variant
            if len(batch) == 2000:
                yield batch
                batch = []
        if batch:
            yield batch

    for batch in batches():
        learner.add(batch)
    for batch in batches():
        kept, dropped = clean(batch, ccfg, learner.fingerprints)
        docs.extend(DedupInput(d.raw.doc_id, d.signed_text, None) for d in kept)
        for raw, _ in dropped:
            lost[variant_of[raw.doc_id]] += 1
    return docs, cluster_of, variant_of, dict(lost)


def per_variant(pred: set, gold: set, variant_of: dict[str, str], sizes: dict[str, int], cluster_of: dict[str, str]) -> dict[str, tuple[float, float, float, int]]:
    """P/R/F1 over the pairs with at least one document of each kind ("unrelated": originals without copies)."""
    def kind(d: str) -> str:
        v = variant_of[d]
        return "unrelated" if v == "original" and sizes[cluster_of[d]] == 1 else v

    out = {}
    for v in sorted({kind(d) for d in variant_of}):
        pv = {x for x in pred if kind(x[0]) == v or kind(x[1]) == v}
        gv = {x for x in gold if kind(x[0]) == v or kind(x[1]) == v}
        n = sum(1 for d in variant_of if kind(d) == v)
        out[v] = (*prf(pv, gv), n)
    return out


def purity(clusters: dict[str, set[str]], cluster_of: dict[str, str], top: int = 5) -> list[tuple[int, int, float]]:
    """(size, true clusters in it, share of the largest true cluster) of the `top` largest predicted clusters."""
    from collections import Counter

    out = []
    for members in sorted(clusters.values(), key=lambda m: (-len(m), min(m)))[:top]:
        c = Counter(cluster_of[d] for d in members)
        out.append((len(members), len(c), c.most_common(1)[0][1] / len(members)))
    return out


def main() -> None:
    import json

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, action="append", help="corpus size (repeatable)")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--realistic", type=Path, metavar="DATA", help="realistic corpus from DATA/*/gold.jsonl")
    ap.add_argument("--split", choices=("all", "a", "b"), default="all", help="realistic: which half of the real articles")
    ap.add_argument("--chrome", choices=("clean", "exact"), default="clean", help="realistic: clean the pages as a run does, or remove the site template lines exactly (dedup alone; ~100x cheaper)")
    ap.add_argument("--skip-datasketch", action="store_true")
    ap.add_argument("--repeat", type=int, default=1, help="time each system this many times, in turns, keep the best of each (a noisy shared machine)")
    ap.add_argument("--clean-cache", type=Path, metavar="DIR", help="realistic: keep the cleaned corpus in DIR (pickle per size/seed/split) and reuse it; clear DIR when cleaning changes")
    ap.add_argument("--out", type=Path, help="write the metrics of the last size as flat JSON (for bench/gate.py)")
    ap.add_argument("--set", action="append", default=[], metavar="FIELD=VALUE", help="override a DedupConfig field for this run (repeatable), e.g. --set containment_threshold=0.85")
    ap.add_argument("--show-mixed", action="store_true", help="print every predicted cluster holding more than one base: its members' base, variant, words and text start")
    args = ap.parse_args()
    import dataclasses

    fields = {f.name: f for f in dataclasses.fields(DedupConfig)}
    overrides = {}
    for item in args.set:
        key, _, value = item.partition("=")
        if key not in fields:
            ap.error(f"--set {item}: DedupConfig has no field {key!r} (fields: {', '.join(fields)})")
        overrides[key] = type(getattr(DedupConfig(), key))(value)
    cfg = DedupConfig(**overrides)
    if overrides:
        print(f"DedupConfig overrides: {overrides}")
    metrics: dict[str, float] = {}
    for n in args.docs or [10000]:
        t = time.process_time()
        if args.realistic:
            cached = args.clean_cache / f"realistic_{n}_{args.seed}_{args.split}{'_exact' if args.chrome == 'exact' else ''}.pkl" if args.clean_cache else None
            from_cache = bool(cached and cached.exists())
            if from_cache:
                docs, cluster_of, variant_of, lost = pickle.loads(cached.read_bytes())
            else:
                docs, cluster_of, variant_of, lost = (exact_chrome_docs if args.chrome == "exact" else realistic_docs)(args.realistic, n, args.seed, args.split)
                if cached:
                    cached.parent.mkdir(parents=True, exist_ok=True)
                    cached.write_bytes(pickle.dumps((docs, cluster_of, variant_of, lost)))
        else:
            from_cache = False
            docs, cluster_of, variant_of, lost = [], {}, {}, {}
            for p in pages(n, args.seed):
                raw = RawDoc(p.doc_id, p.doc_id, None, "text/plain", "", page_text(p), "utf-8", p.site, title=p.title)
                docs.append(DedupInput(p.doc_id, clean_document(raw, CleanConfig()).clean_text, None))
                cluster_of[p.doc_id], variant_of[p.doc_id] = p.cluster, p.variant
        t_clean = time.process_time() - t
        truth: dict[str, set[str]] = defaultdict(set)
        for d, c in cluster_of.items():
            truth[c].add(d)
        sizes = {c: len(m) for c, m in truth.items()}
        gold = pairs(truth)
        print(f"\n{n} documents ({'realistic, ' + str(args.realistic) + ' split ' + args.split + (', chrome removed exactly' if args.chrome == 'exact' else ', cleaned') if args.realistic else 'pseudo-word'}, seed {args.seed}): "
              f"{sum(1 for s in sizes.values() if s > 1)} true clusters of copies, {len(gold)} true pairs; "
              f"{n - len(docs)} documents rejected by cleaning {dict(sorted(lost.items()))}")
        print(f"{'docs':>7} {'system':<26} {'P':>6} {'R':>6} {'F1':>6} {'docs/CPU-s':>10} {'ratio':>6} {'rss MB':>7} {'dedup peak MB':>14} {'KB/doc':>7}")
        if args.skip_datasketch:
            ours, t_ours, peak = newslake(docs, cfg, args.repeat)
        else:
            # timed in turns (newslake, datasketch, newslake, ...), the best of `repeat` each: on a
            # shared machine whose load drifts, one system timed after the other measures the drift
            t_ours = t_theirs = float("inf")
            for _ in range(args.repeat):
                ours, t, peak = newslake(docs, cfg, 1, memory=False)
                t_ours = min(t_ours, t)
                theirs, t = datasketch(docs)
                t_theirs = min(t_theirs, t)
            peak = newslake(docs, cfg, 0)[2]
        pred = pairs(ours)
        p, r, f = prf(pred, gold)
        base = n / t_ours
        print(f"{n:>7} {'newslake':<26} {p:6.3f} {r:6.3f} {f:6.3f} {base:10.0f} {1.0:6.2f} {rss_mb():7.0f} {peak:14.0f} {1000 * peak / n:7.2f}")
        metrics.update(precision=round(p, 4), recall=round(r, 4), f1=round(f, 4), docs=n, rejected=n - len(docs), docs_per_cpu_s=round(base), dedup_peak_mb=round(peak, 1), rss_mb=round(rss_mb()))
        inc = newslake_incremental(docs, cfg)
        pi, ri, fi = prf(pairs(inc), gold)
        print(f"{n:>7} {'newslake, 2 runs (index)':<26} {pi:6.3f} {ri:6.3f} {fi:6.3f} {'':>10} {'':>6} {rss_mb():7.0f}")
        metrics.update(incremental_precision=round(pi, 4), incremental_recall=round(ri, 4))
        if not args.skip_datasketch:
            pd, rd, fd = prf(pairs(theirs), gold)
            print(f"{n:>7} {'datasketch 5-shingle/0.7':<26} {pd:6.3f} {rd:6.3f} {fd:6.3f} {n / t_theirs:10.0f} {t_ours / t_theirs:6.2f} {rss_mb():7.0f}")
            print(f"{'':>7} newslake speed-up over datasketch: {t_theirs / t_ours:.1f}x")
            metrics["speedup_vs_datasketch"] = round(t_theirs / t_ours, 2)
        print(f"{'':>7} (cleaning before dedup: {'from --clean-cache' if from_cache else f'{n / t_clean:.0f} docs per CPU-second'}, not included above)")
        print(f"\n{'kind':<12} {'docs':>6} {'P':>6} {'R':>6} {'F1':>6}")
        for v, (pv, rv, fv, nv) in per_variant(pred, gold, variant_of, sizes, cluster_of).items():
            print(f"{v:<12} {nv:>6} {pv:6.3f} {rv:6.3f} {fv:6.3f}")
            metrics[f"recall_{v}"] = round(rv, 4)
            metrics[f"precision_{v}"] = round(pv, 4)
        top = purity(ours, cluster_of)
        print("largest predicted clusters (size, true clusters, purity): " + ", ".join(f"({s}, {k}, {q:.2f})" for s, k, q in top))
        metrics["largest_cluster"] = top[0][0] if top else 0
        metrics["min_purity_top5"] = round(min(q for _, _, q in top), 4) if top else 1.0
        metrics["mixed_clusters"] = sum(1 for m in ours.values() if len({cluster_of[d] for d in m}) > 1)
        print(f"predicted clusters holding more than one base: {metrics['mixed_clusters']}")
        if args.show_mixed:
            text_of = {d.doc_id: d.text for d in docs}
            for canonical, m in ours.items():
                if len({cluster_of[d] for d in m}) > 1:
                    print(f"  cluster of {canonical}:")
                    for d in sorted(m):
                        words = text_of[d].split()
                        print(f"    {d} base {cluster_of[d]} {variant_of[d]:<10} {len(words):>5} words  {' '.join(words[:40])[:240]}")
    if args.out:
        args.out.write_text(json.dumps(metrics, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()

"""Exact and near-duplicate detection on clean text, repeated blocks inside a document.

In:  clean documents (id, clean text, publication date) of this run, the stored index of earlier runs
     (`IndexEntry`: text hash, MinHash signature, canonical id) and a DedupConfig.
Out: one `DupRow` per new document (cluster, canonical copy, method, similarity) and the index entries
     to store. Nothing is dropped: duplicates stay documents, linked to their canonical copy.

Near duplicates: word 3-shingles -> 128 MinHash values (numpy, multiply-shift hashing, fixed seed) ->
LSH bands -> every candidate pair verified by signature agreement (estimated Jaccard) before union-find,
so clusters do not chain through weak pairs. Documents under `min_words` are matched exactly only:
short articles sharing a site's chrome would otherwise merge.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import xxhash

from tasks.config import DedupConfig

_TOKEN_RE = re.compile(r"[^\W_]+", re.U)


def normalise_words(text: str) -> list[str]:
    """Lower-cased word tokens (letters and digits); punctuation, case and spacing do not count."""
    return _TOKEN_RE.findall(text.lower())


def text_hash(text: str) -> str:
    """xxh64 of the normalised text: equal hashes are exact duplicates."""
    return xxhash.xxh64_hexdigest(" ".join(normalise_words(text)).encode())


# --- repeated blocks inside one document --------------------------------------------------------


def find_repeats(texts: Sequence[str], jaccard: float = 0.85, min_words: int = 6) -> dict[int, int]:
    """index -> index of the earlier block it repeats (same normalised text, or word-set Jaccard >= `jaccard`).

    Used by the cleaning stage to label repeated paragraphs `duplicate` (seed 001 repeats its article).
    """
    out: dict[int, int] = {}
    exact: dict[str, int] = {}
    sets: list[tuple[int, frozenset[str]]] = []
    for i, t in enumerate(texts):
        ws = normalise_words(t)
        key = " ".join(ws)
        if not key:
            continue
        if key in exact:
            out[i] = exact[key]
            continue
        exact[key] = i
        if len(ws) < min_words:
            continue
        s = frozenset(ws)
        for j, sj in sets:
            inter = len(s & sj)
            if inter and inter / len(s | sj) >= jaccard:
                out[i] = j
                break
        else:
            sets.append((i, s))
    return out


# --- MinHash ----------------------------------------------------------------------------------

_MASK32 = np.uint64(0xFFFFFFFF)


def _params(cfg: DedupConfig) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(cfg.seed)
    a = rng.integers(1, 2**63, size=cfg.num_perm, dtype=np.uint64) | np.uint64(1)  # odd multipliers
    b = rng.integers(0, 2**63, size=cfg.num_perm, dtype=np.uint64)
    return a, b


def shingles(words: Sequence[str], k: int) -> np.ndarray:
    """Distinct 64-bit hashes of the k-word shingles (one shingle for texts shorter than k)."""
    if len(words) < k:
        grams = [" ".join(words)]
    else:
        grams = [" ".join(words[i : i + k]) for i in range(len(words) - k + 1)]
    return np.unique(np.fromiter((xxhash.xxh64_intdigest(g.encode()) for g in grams), dtype=np.uint64, count=len(grams)))


def minhash(shingle_hashes: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """uint32 signature: for each permutation, min over shingles of the top 32 bits of (a*x + b) mod 2^64."""
    with np.errstate(over="ignore"):
        h = (shingle_hashes[None, :] * a[:, None] + b[:, None]) >> np.uint64(32)
    return (h.min(axis=1) & _MASK32).astype(np.uint32)


def estimated_jaccard(s1: np.ndarray, s2: np.ndarray) -> float:
    return float(np.mean(s1 == s2))


# --- index and clustering ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DedupInput:
    doc_id: str
    text: str
    published: date | None


@dataclass(frozen=True, slots=True)
class IndexEntry:
    doc_id: str
    text_hash: str
    n_words: int
    published: date | None
    signature: np.ndarray | None  # None for short documents
    canonical_doc_id: str


@dataclass(frozen=True, slots=True)
class DupRow:
    doc_id: str
    cluster_id: str
    canonical_doc_id: str
    is_canonical: bool
    method: str
    similarity: float


def signature_entry(doc: DedupInput, cfg: DedupConfig, params: tuple[np.ndarray, np.ndarray]) -> IndexEntry:
    ws = normalise_words(doc.text)
    sig = minhash(shingles(ws, cfg.shingle_words), *params) if len(ws) >= cfg.min_words else None
    return IndexEntry(doc.doc_id, xxhash.xxh64_hexdigest(" ".join(ws).encode()), len(ws), doc.published, sig, doc.doc_id)


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        self.parent.setdefault(x, x)
        root = x
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[x] != root:
            self.parent[x], x = root, self.parent[x]
        return root

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def _band_keys(sig: np.ndarray, bands: int) -> list[bytes]:
    rows = len(sig) // bands
    return [bytes([i]) + sig[i * rows : (i + 1) * rows].tobytes() for i in range(bands)]


def sign(docs: Iterable[DedupInput], cfg: DedupConfig) -> list[IndexEntry]:
    """Per-batch step: documents -> index entries (text hash, MinHash signature). ~0.6 KB per document."""
    params = _params(cfg)
    return [signature_entry(d, cfg, params) for d in docs]


def dedup(
    new: Sequence[IndexEntry], stored: Iterable[IndexEntry], cfg: DedupConfig
) -> tuple[list[DupRow], list[IndexEntry]]:
    """Cluster this run's documents (their index entries from `sign`) among themselves and against the
    stored index.

    Canonical choice per cluster: a stored canonical (earlier run) wins; otherwise the earliest
    `published` date, then the medoid (highest mean similarity to the other members), then the
    smallest doc_id. Returns rows for this run's documents and their index entries.
    """
    if cfg.num_perm % cfg.bands:
        raise ValueError(f"dedup: num_perm={cfg.num_perm} is not a multiple of bands={cfg.bands}")
    new_ids = {e.doc_id for e in new}
    old = {e.doc_id: e for e in stored if e.doc_id not in new_ids}
    entries: dict[str, IndexEntry] = {**old, **{e.doc_id: e for e in new}}
    uf = _UnionFind()
    method: dict[str, str] = {}
    # Exact: same normalised text.
    by_hash: dict[str, str] = {}
    for e in list(old.values()) + new:
        first = by_hash.setdefault(e.text_hash, e.doc_id)
        if first != e.doc_id:
            uf.union(first, e.doc_id)
            method[e.doc_id] = method[first] = "exact"
    # Near: LSH candidates, verified.
    buckets: dict[bytes, list[str]] = defaultdict(list)
    for e in list(old.values()) + new:
        if e.signature is None:
            continue
        for key in _band_keys(e.signature, cfg.bands):
            buckets[key].append(e.doc_id)
    checked: set[tuple[str, str]] = set()
    for ids in buckets.values():
        if len(ids) < 2:
            continue
        for i, a in enumerate(ids):
            for b in ids[i + 1 :]:
                if a not in new_ids and b not in new_ids:
                    continue  # pairs of old documents were settled in their own run
                pair = (a, b) if a < b else (b, a)
                if pair in checked or uf.find(a) == uf.find(b):
                    continue
                checked.add(pair)
                if estimated_jaccard(entries[a].signature, entries[b].signature) >= cfg.jaccard_threshold:
                    uf.union(a, b)
                    method.setdefault(a, "near")
                    method.setdefault(b, "near")
    # Clusters touching this run's documents.
    clusters: dict[str, list[str]] = defaultdict(list)
    for doc_id in entries:
        clusters[uf.find(doc_id)].append(doc_id)
    rows: list[DupRow] = []
    out_entries: list[IndexEntry] = []
    for members in clusters.values():
        if not any(m in new_ids for m in members):
            continue
        canonical = _canonical(members, entries, old)
        canon_hash = entries[canonical].text_hash
        # The canonical copy carries the cluster's strongest link: exact if any copy is identical.
        canon_method = "exact" if any(entries[m].text_hash == canon_hash for m in members if m != canonical) else "near"
        for m in sorted(members):
            if m not in new_ids:
                continue
            e = entries[m]
            if len(members) == 1:
                mth, sim = "unique", 1.0
            elif m == canonical:
                mth, sim = canon_method, 1.0
            elif e.text_hash == canon_hash:
                mth, sim = "exact", 1.0
            else:
                mth = "near"
                sim = _similarity(e, entries[canonical])
            rows.append(DupRow(m, canonical, canonical, m == canonical, mth, round(sim, 4)))
            out_entries.append(IndexEntry(m, e.text_hash, e.n_words, e.published, e.signature, canonical))
    rows.sort(key=lambda r: r.doc_id)
    return rows, out_entries


def _similarity(a: IndexEntry, b: IndexEntry) -> float:
    if a.signature is None or b.signature is None:
        return 1.0 if a.text_hash == b.text_hash else 0.0
    return estimated_jaccard(a.signature, b.signature)


def _canonical(members: list[str], entries: dict[str, IndexEntry], old: dict[str, IndexEntry]) -> str:
    stored = sorted({old[m].canonical_doc_id for m in members if m in old})
    if stored:
        return stored[0]
    dated = [m for m in members if entries[m].published is not None]
    if dated:
        earliest = min(entries[m].published for m in dated)
        members = [m for m in dated if entries[m].published == earliest]
    if len(members) == 1:
        return members[0]

    def centrality(m: str) -> float:
        return sum(_similarity(entries[m], entries[o]) for o in members if o != m)

    return max(sorted(members), key=centrality)


# --- rows for the warehouse --------------------------------------------------------------------


def duplicate_row(r: DupRow, run_id: str) -> dict:
    from tasks.schema import record_hash

    row = {
        "doc_id": r.doc_id,
        "cluster_id": r.cluster_id,
        "canonical_doc_id": r.canonical_doc_id,
        "is_canonical": r.is_canonical,
        "method": r.method,
        "similarity": float(r.similarity),
        "run_id": run_id,
    }
    row["record_hash"] = record_hash(row)
    return row


def index_row(e: IndexEntry, run_id: str) -> dict:
    from tasks.schema import record_hash

    row = {
        "doc_id": e.doc_id,
        "text_hash": e.text_hash,
        "n_words": e.n_words,
        "published_date": e.published,
        "signature": e.signature.astype("<u4").tobytes() if e.signature is not None else None,
        "canonical_doc_id": e.canonical_doc_id,
        "run_id": run_id,
    }
    row["record_hash"] = record_hash({k: (v.hex() if isinstance(v, bytes) else v) for k, v in row.items()})
    return row


def index_entry_from_row(row: dict) -> IndexEntry:
    sig = row.get("signature")
    return IndexEntry(
        doc_id=row["doc_id"],
        text_hash=row["text_hash"],
        n_words=row["n_words"],
        published=row.get("published_date"),
        signature=np.frombuffer(sig, dtype="<u4").astype(np.uint32) if sig else None,
        canonical_doc_id=row["canonical_doc_id"],
    )

"""Exact and near-duplicate detection on clean text, repeated blocks inside a document.

In:  clean documents (id, clean text, publication date) of this run, the stored index of earlier runs
     (`IndexEntry`: text hash, MinHash signature, canonical id) and a DedupConfig.
Out: one `DupRow` per new document (cluster, canonical copy, method, similarity) and the index entries
     to store. Nothing is dropped: duplicates stay documents, linked to their canonical copy.

Near duplicates: word k-shingles (words hashed vectorised over the normalised bytes) -> 128
one-permutation MinHash values with densification (numpy, seeded) ->
LSH bands -> every candidate pair verified by signature agreement (estimated Jaccard, or containment for
truncated copies, confirmed by the order of the values: `contained_by_order`) -> star clusters: every member verified against its cluster's canonical document and
related to every other member, so clusters never chain through a sequence of pairs. Documents under
`min_words` are matched exactly only: short articles sharing a site's chrome would otherwise merge.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import xxhash

from tasks.config import DedupConfig

# --- MinHash ----------------------------------------------------------------------------------

# The signature scheme: how a text becomes its stored signature (word hashing, shingling, MinHash).
# Bump it with any change that makes signatures of the same text differ: stored `dedup_index` rows
# of another scheme are not comparable (the scheme is recorded on the table, `upgrade --check` and
# every run check it). oph1: polynomial word hashes over the normalised bytes (`word_hashes`),
# one-permutation MinHash with optimal densification (`minhash_many`).
SIGNATURE_SCHEME = "oph1"


def signature_scheme(cfg: DedupConfig) -> str:
    """The id of the signatures `cfg` makes: scheme, words per shingle, values, seed (e.g. "oph1-k2-p128-s1")."""
    return f"{SIGNATURE_SCHEME}-k{cfg.shingle_words}-p{cfg.num_perm}-s{cfg.seed}"



def _params(cfg: DedupConfig) -> tuple[np.ndarray, np.ndarray]:
    """The seeded parts of the signature: a 64-bit key mixed into every shingle hash, and for each of the
    `num_perm` bins a random order of the other bins (where an empty bin takes its value from)."""
    rng = np.random.default_rng(cfg.seed)
    key = rng.integers(0, 2**63, size=1, dtype=np.int64).astype(np.uint64)
    probe = np.argsort(rng.random((cfg.num_perm, cfg.num_perm)), axis=1)
    return key, probe


_K1 = np.uint64(0x9E3779B97F4A7C15)
_K2 = np.uint64(0xC2B2AE3D27D4EB4F)
_BASE = 0x100000001B3  # odd: invertible mod 2^64, so a word's hash can be cut out of a prefix sum
_BASE_INV = pow(_BASE, -1, 2**64)
_ASCII_WORD = frozenset(b"abcdefghijklmnopqrstuvwxyz0123456789")
_ASCII_TABLE = bytes(c if c in _ASCII_WORD else 32 for c in range(256))
_UTF8_TABLE = bytes(c if c in _ASCII_WORD or c >= 128 else 32 for c in range(256))  # multi-byte chars kept
_ASCII_BYTES = bytes(range(128))


def normal_bytes(text: str) -> bytes:
    """The normalised words of `text` as UTF-8, one space between them: exactly
    `b" ".join(records.word_tokens(text))` (letters and digits, lower-cased), made with one
    translate + split instead of a regex and a list of word objects (~4x faster on non-ASCII text)."""
    low = text.lower()
    if low.isascii():
        return b" ".join(low.encode().translate(_ASCII_TABLE).split())
    # [^\W_] is str.isalnum(): ASCII punctuation by the byte table, then each non-ASCII character that
    # is not a letter or digit (curly quotes, dashes: a handful per text) replaced in the UTF-8 bytes,
    # where a character's encoding never matches inside another's
    raw = low.encode()
    non_ascii = set(raw.translate(None, _ASCII_BYTES).decode())
    raw = raw.translate(_UTF8_TABLE)
    for c in {c for c in non_ascii if not c.isalnum()}:
        raw = raw.replace(c.encode(), b" ")
    return b" ".join(raw.split())


def _mix(h: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser: spreads the polynomial hash over all 64 bits."""
    with np.errstate(over="ignore"):
        h = (h ^ (h >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        h = (h ^ (h >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return h ^ (h >> np.uint64(31))


def _geometric(base: int, n: int) -> np.ndarray:
    """base^i mod 2^64 for i < n, by doubling (log2(n) vectorised multiplies, not a sequential cumprod)."""
    out = np.empty(n, dtype=np.uint64)
    out[0] = 1
    k = 1
    with np.errstate(over="ignore"):
        while k < n:
            m = min(k, n - k)
            np.multiply(out[:m], np.uint64(pow(base, k, 2**64)), out=out[k : k + m])
            k += m
    return out


@functools.lru_cache(maxsize=2)
def _pow_table(n: int) -> tuple[np.ndarray, np.ndarray]:
    return _geometric(_BASE, n), _geometric(_BASE_INV, n)


def _powers(n: int) -> tuple[np.ndarray, np.ndarray]:
    """B^i and B^-i mod 2^64 for i < n (at least): constants, kept for the next chunk of the same size."""
    size = max(1 << 19, 1 << (n - 1).bit_length())
    if size > 1 << 20:  # one very long text: not kept (16 bytes per byte of text)
        return _geometric(_BASE, n), _geometric(_BASE_INV, n)
    return _pow_table(size)


def word_hashes(buf: bytes) -> np.ndarray:
    """64-bit hash of every word of `buf` (normalised words separated by single spaces, as from
    `normal_bytes`), vectorised over the bytes: a polynomial hash sum(c_i * B^i) mod 2^64 of each word,
    cut out of one prefix sum (times B^-start), mixed with the word's length. No Python per word."""
    v = np.frombuffer(buf, dtype=np.uint8)
    if not len(v):
        return np.zeros(0, dtype=np.uint64)
    word = v != 32
    starts = np.flatnonzero(word & np.concatenate([[True], ~word[:-1]]))
    ends = np.flatnonzero(word & np.concatenate([~word[1:], [True]])) + 1
    powers, inv = _powers(len(v))
    with np.errstate(over="ignore"):
        prefix = np.concatenate([[np.uint64(0)], np.cumsum(v.astype(np.uint64) * powers[: len(v)], dtype=np.uint64)])
        h = (prefix[ends] - prefix[starts]) * inv[starts] + (ends - starts).astype(np.uint64) * _K2
    return _mix(h)


def word_hash(word: bytes) -> int:
    """`word_hashes` of one word in plain Python (the reference the vectorised version is tested on)."""
    m = 2**64 - 1
    h = (sum(c * pow(_BASE, i, 2**64) for i, c in enumerate(word)) + len(word) * int(_K2)) & m
    h = ((h ^ (h >> 30)) * 0xBF58476D1CE4E5B9) & m
    h = ((h ^ (h >> 27)) * 0x94D049BB133111EB) & m
    return h ^ (h >> 31)


def _combine(w: np.ndarray, k: int) -> np.ndarray:
    """Hashes of the k-word windows of the word-hash array `w` (len(w) - k + 1 values)."""
    n = len(w) - k + 1
    h = np.zeros(n, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(k):
            h = h * _K1 + w[j : j + n]
            h ^= h >> np.uint64(29)
        h *= _K2
    return h


def shingles(words: Sequence[str | bytes], k: int) -> np.ndarray:
    """64-bit hashes of the k-word shingles of normalised `words` (one shingle for texts shorter than
    k), combined from word hashes with odd multipliers (vectorised; order-sensitive)."""
    w = word_hashes(b" ".join(x if isinstance(x, bytes) else x.encode() for x in words))
    return _combine(w, min(k, max(1, len(w))))


def minhash(shingle_hashes: np.ndarray, params: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """One document's signature (see `minhash_many`)."""
    return minhash_many([shingle_hashes], params)[0]


def minhash_many(shingle_sets: Sequence[np.ndarray], params: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """Signatures of many documents at once: (n_docs, num_perm) uint32, one-permutation MinHash with
    optimal densification (Li et al. 2012, Shrivastava 2017): each shingle's seeded 64-bit hash picks
    one of `num_perm` bins (its high bits) and competes there with its low 32 bits; a bin no shingle
    fell into takes the value of the first filled bin in its fixed random probe order. Two documents
    agree on a bin with probability ~ their Jaccard similarity, as with `num_perm` separate
    permutations, at the cost of one hash per shingle instead of `num_perm` (measured on real text:
    the same estimation error, MinHash ~10x faster)."""
    key, probe = params
    p = probe.shape[0]
    n = len(shingle_sets)
    if not n:
        return np.zeros((0, p), dtype=np.uint32)
    lens = np.fromiter((len(x) for x in shingle_sets), dtype=np.int64, count=n)
    h = _mix(np.concatenate(shingle_sets) ^ key)
    slot = np.repeat(np.arange(n, dtype=np.int64) * p, lens) + ((h >> np.uint64(32)) % np.uint64(p)).astype(np.int64)
    out = np.full(n * p, np.iinfo(np.uint32).max, dtype=np.uint32)
    np.minimum.at(out, slot, (h & np.uint64(0xFFFFFFFF)).astype(np.uint32))
    out = out.reshape(n, p)
    filled = np.zeros(n * p, dtype=bool)
    filled[slot] = True
    filled = filled.reshape(n, p)
    sparse = np.flatnonzero(~filled.all(axis=1) & filled.any(axis=1))
    if len(sparse):
        have, vals = filled[sparse], out[sparse]
        dense, need = vals.copy(), ~have
        for t in range(p):  # probe step t: each still-empty bin looks at the t-th bin of its order
            if not need.any():
                break
            src = probe[:, t]
            hit = need & have[:, src]
            dense[hit] = vals[:, src][hit]
            need &= ~hit
        out[sparse] = dense
    return out


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


def lsh_candidates(sigs: np.ndarray, bands: int, max_bucket_pairs: int = 64) -> np.ndarray:
    """Candidate pairs (i < j) of rows of `sigs` that agree on every value of at least one band.

    Per band, rows are sorted by a 64-bit key of the band's values; rows with equal keys form a
    bucket. Each bucket contributes its consecutive pairs and pairs with its first row (not all
    pairs: a bucket of 1,000 copies would give 500,000), which with union-find connects the bucket.
    """
    n, p = sigs.shape
    rows = p // bands
    out = []
    for b in range(bands):
        block = sigs[:, b * rows : (b + 1) * rows].astype(np.uint64)
        key = np.zeros(n, dtype=np.uint64)
        with np.errstate(over="ignore"):
            for c in range(rows):
                key = (key ^ block[:, c]) * _K1
                key ^= key >> np.uint64(31)
        order = np.argsort(key, kind="stable")
        sk = key[order]
        same = sk[1:] == sk[:-1]
        if not same.any():
            continue
        # consecutive pairs inside buckets
        idx = np.nonzero(same)[0]
        out.append(np.stack([order[idx], order[idx + 1]], axis=1))
        # pairs with the bucket's first row
        start_flag = np.concatenate([[True], ~same])
        first = np.maximum.accumulate(np.where(start_flag, np.arange(n), 0))
        star = np.nonzero(~start_flag & (first != np.arange(n) - 1))[0]
        if len(star):
            out.append(np.stack([order[first[star]], order[star]], axis=1))
    if not out:
        return np.empty((0, 2), dtype=np.int64)
    pairs = np.concatenate(out).astype(np.int64)
    codes = _unique_sorted(np.minimum(pairs[:, 0], pairs[:, 1]) * n + np.maximum(pairs[:, 0], pairs[:, 1]))
    return np.stack([codes // n, codes % n], axis=1)


def _unique_sorted(codes: np.ndarray) -> np.ndarray:
    """The distinct values of an int64 array, ascending: an in-place sort and a mask (what np.unique
    returns; numpy 2's hash-table unique took ~5x as long on the ~4M candidate codes of 100k documents)."""
    codes.sort()
    if len(codes) < 2:
        return codes
    keep = np.empty(len(codes), dtype=bool)
    keep[0] = True
    np.not_equal(codes[1:], codes[:-1], out=keep[1:])
    return codes[keep]


def shingle_counts(sigs: np.ndarray, n_words: np.ndarray, cfg: DedupConfig) -> np.ndarray:
    """Distinct shingles per row, for containment: `n_words - k + 1`, unless the signature shows far fewer
    distinct ones (a text whose paragraphs are repeated five times: its containment in another text was
    overestimated five-fold, which merged unrelated bases). Estimated from the signature alone (no
    extra column in the index): from how many bins hold a distinct value (occupancy, below `num_perm`
    distinct shingles' worth), else from the mean bin minimum (~ num_perm / (n + num_perm))."""
    counts = np.maximum(1, n_words - cfg.shingle_words + 1).astype(np.float64)
    if not len(sigs):
        return counts
    p = sigs.shape[1]
    srt = np.sort(sigs, axis=1)
    filled = 1 + (srt[:, 1:] != srt[:, :-1]).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        occupancy = np.log1p(-np.minimum(filled, p - 0.5) / p) / np.log1p(-1 / p)
        mean_min = p * p / (sigs.astype(np.float64) / 2**32).sum(axis=1).clip(1e-9) - p
    est = np.where(filled < p, occupancy, mean_min)
    repeated = (est < cfg.repeat_share_max * counts) & sigs.any(axis=1)
    return np.where(repeated, np.maximum(est, 1.0), counts)


def estimated_containment(j: np.ndarray, na: np.ndarray, nb: np.ndarray) -> np.ndarray:
    """Containment |A∩B| / min(|A|, |B|) from the estimated Jaccard `j` and the distinct shingle
    counts: J(1 + r)/(1 + J), r = max/min."""
    return j * (1 + np.maximum(na, nb) / np.minimum(na, nb)) / (1 + j)


def verify_pairs(sigs: np.ndarray, sizes: np.ndarray, pairs: np.ndarray, cfg: DedupConfig, chunk: int = 65536, full: np.ndarray | None = None) -> np.ndarray:
    """Boolean mask of candidate pairs that are near duplicates, vectorised: estimated Jaccard >=
    `jaccard_threshold`, or the shorter text mostly inside the longer one (truncated copies, a comment
    thread appended): containment |A∩B| / min(|A|, |B|) = J(1 + r)/(1 + J), r = max/min of the distinct
    shingle counts, >= `containment_threshold`, when the shorter text has `containment_min_shingles`.
    The estimate's error grows with r (a 150-word article under a 450-word thread: J ~0.25 estimated
    from 128 values +- 0.04, containment +- 0.12); allowing for it (accepting within one standard
    error) found 0.4% more copies at 3x the mixed clusters on the realistic bench, so it is not done.
    With `full` (the signatures' full 32-bit values, `sigs` may be their low bits) a pair accepted by
    containment alone must also pass `contained_by_order`."""
    ok = np.zeros(len(pairs), dtype=bool)
    for s in range(0, len(pairs), chunk):
        p = pairs[s : s + chunk]
        j = (sigs[p[:, 0]] == sigs[p[:, 1]]).mean(axis=1)
        na, nb = sizes[p[:, 0]], sizes[p[:, 1]]
        lo = np.minimum(na, nb)
        containment = estimated_containment(j, na, nb)
        contained = (j >= cfg.containment_min_jaccard) & (containment >= cfg.containment_threshold) & (lo >= cfg.containment_min_shingles)
        similar = j >= cfg.jaccard_threshold
        if full is not None:
            only = np.flatnonzero(contained & ~similar)
            if len(only):
                short = np.where(na[only] <= nb[only], p[only, 0], p[only, 1])
                long_ = np.where(na[only] <= nb[only], p[only, 1], p[only, 0])
                contained[only] = contained_by_order(full[short], full[long_], cfg)
        ok[s : s + chunk] = similar | contained
    return ok


def contained_by_order(short: np.ndarray, long_: np.ndarray, cfg: DedupConfig) -> np.ndarray:
    """Rows where the shorter text's signature is consistent with containment >= `order_containment_threshold`
    in the longer one, judged by the order of the values (`order_containment`) rather than the size
    ratio (whose estimate multiplies the error of the Jaccard estimate by r: at 100k realistic documents
    short cleaned texts of 47-87 shingles with a true containment of 0.48-0.63 in another were estimated
    at 0.82-0.94). In: (n, num_perm) full uint32 signatures of the shorter and the longer text of each
    pair."""
    return order_containment(short, long_, cfg) >= cfg.order_containment_threshold


@functools.lru_cache(maxsize=4)
def _probe_rank(num_perm: int, seed: int) -> np.ndarray:
    """rank[x, y]: the step at which empty bin x looks at bin y in densification (`_params`' probe order)."""
    _, probe = _params(DedupConfig(num_perm=num_perm, bands=1, seed=seed))
    rank = np.empty(probe.shape, dtype=np.int16)
    rank[np.arange(num_perm)[:, None], probe] = np.arange(num_perm, dtype=np.int16)[None, :]
    return rank


def _source_bins(a: np.ndarray, rank: np.ndarray, rounds: int = 4) -> np.ndarray:
    """(n, p) bool: the bins of each signature row that may be where their value's shingle fell (not a
    copy made by densification). A value held by one bin is its own; for a value held by several, the
    source o must come, in the probe order of every other bin x holding the value, before any bin known
    to be a source (x copied from the first source it met). Sources found so narrow the others down; a
    few rounds settle most values of a short text. The true source is never excluded."""
    n, p = a.shape
    eq = a[:, :, None] == a[:, None, :]  # eq[r, x, o]: bins x and o hold the same value
    source = eq.sum(axis=2) == 1
    possible = np.ones((n, p), dtype=bool)
    other = ~np.eye(p, dtype=bool)[None]
    for _ in range(rounds):
        first = np.where(source[:, None, :], rank[None], p).min(axis=2)  # per x: earliest known source
        excluded = (eq & other & (rank[None] > first[:, :, None])).any(axis=1)
        now = possible & ~excluded
        single = (eq & now[:, None, :]).sum(axis=2) == 1
        now_source = source | (now & single)
        if (now == possible).all() and (now_source == source).all():
            break
        possible, source = now, now_source
    return possible


def order_containment(short: np.ndarray, long_: np.ndarray, cfg: DedupConfig, chunk: int = 256) -> np.ndarray:
    """The share of the shorter text A inside the longer B, estimated from the order of the signature
    values (no size ratio). In A's value v's source bin (`_source_bins`: where its shingle fell; the
    other bins holding v were copied by densification) B's value is the minimum over B's shingles there:
    equal to v when the shingle is in B too ("meets"), above v when it is not and B has nothing smaller
    there ("escapes"; below v tells nothing). Over bins where v is the smallest of A and B together,
    meets / (meets + escapes) estimates |A∩B| / |A|; an exact containment has no escape. Judged over
    every bin holding v (as before sources were found), an escape was missed in about half of the
    bins and a 60%-contained text scored 0.78 (median; 0.65 now, 1.00 for an exact containment).
    1.0 when no value tells either way."""
    n, p = short.shape
    out = np.ones(n, dtype=np.float64)
    rank = _probe_rank(p, cfg.seed)
    for s in range(0, n, chunk):
        sa, lb = short[s : s + chunk], long_[s : s + chunk]
        m = len(sa)
        src = _source_bins(sa, rank)
        order = np.argsort(sa, axis=1, kind="stable")
        a = np.take_along_axis(sa, order, axis=1)
        b = np.take_along_axis(lb, order, axis=1)
        src = np.take_along_axis(src, order, axis=1)
        start = np.ones((m, p), dtype=bool)
        start[:, 1:] = a[:, 1:] != a[:, :-1]  # the first bin of each distinct value of A
        flat_start = np.flatnonzero(start.ravel())
        above = np.logical_and.reduceat(((b > a) | ~src).ravel(), flat_start)
        meets = np.logical_or.reduceat((b == a).ravel(), flat_start)
        row = flat_start // p
        n_escape = np.bincount(row, weights=above & ~meets, minlength=m)
        n_meet = np.bincount(row, weights=meets, minlength=m)
        seen = n_meet + n_escape
        out[s : s + m] = np.where(seen > 0, n_meet / np.maximum(seen, 1.0), 1.0)
    return out


def sign(docs: Iterable[DedupInput], cfg: DedupConfig, params: tuple[np.ndarray, np.ndarray] | None = None, chunk_bytes: int = 1 << 19) -> list[IndexEntry]:
    """Per-batch step: documents -> index entries (text hash, MinHash signature). ~0.6 KB per document.

    Documents under `min_words` get no signature (exact matching only). Documents are hashed in chunks
    of ~`chunk_bytes` of normalised text: words of all of a chunk's documents in one vectorised pass,
    shingles over the concatenated word hashes (windows that cross a document boundary dropped), one
    chunked MinHash pass.
    """
    params = params or _params(cfg)
    docs = list(docs)
    k = cfg.shingle_words
    texts = [normal_bytes(d.text) for d in docs]
    n_words = [t.count(b" ") + 1 if t else 0 for t in texts]
    long_idx = [i for i, n in enumerate(n_words) if n >= max(cfg.min_words, k)]
    sig_of: dict[int, np.ndarray] = {}
    s = 0
    while s < len(long_idx):
        e, size = s, 0
        while e < len(long_idx) and (e == s or size + len(texts[long_idx[e]]) <= chunk_bytes):
            size += len(texts[long_idx[e]]) + 1
            e += 1
        part = long_idx[s:e]
        lens = np.array([n_words[i] for i in part], dtype=np.int64)
        sh = _combine(word_hashes(b" ".join(texts[i] for i in part)), k)
        starts = np.concatenate([[0], np.cumsum(lens)[:-1]])
        # keep windows that start at least k-1 words before their document's end
        doc_of = np.repeat(np.arange(len(part)), lens)[: len(sh)]
        keep = np.arange(len(sh)) <= (starts + lens - k)[doc_of]
        sets = np.split(sh[keep], np.cumsum(lens - k + 1)[:-1])
        sigs = minhash_many(sets, params)
        sig_of.update((i, sigs[n]) for n, i in enumerate(part))
        s = e
    return [
        IndexEntry(d.doc_id, xxhash.xxh64_hexdigest(t), n, d.published, sig_of.get(i), d.doc_id)
        for i, (d, t, n) in enumerate(zip(docs, texts, n_words, strict=True))
    ]


@dataclass(slots=True)
class Index:
    """Index entries as columns: what a run holds of its documents for dedup (the dedup index).

    ~0.65 KB per document (the 128 x uint32 signature, ids, hashes) against ~1.5 KB as `IndexEntry`
    objects; unsigned (short) documents have a zero signature row and `signed` False.
    """

    doc_ids: list[str]
    text_hash: list[str]
    n_words: np.ndarray  # int64
    published: list[date | None]
    sigs: np.ndarray  # (n, num_perm) uint32
    signed: np.ndarray  # bool
    canonical: list[str]

    def __len__(self) -> int:
        return len(self.doc_ids)

    @classmethod
    def build(cls, chunks: Iterable[Iterable[IndexEntry]], n: int, num_perm: int) -> Index:
        """The index of `n` entries given in chunks (e.g. one unpickled chunk at a time), filled in
        place: only one chunk's entry objects exist at a time."""
        idx = cls([], [], np.zeros(n, dtype=np.int64), [], np.zeros((n, num_perm), dtype=np.uint32), np.zeros(n, dtype=bool), [])
        i = 0
        for chunk in chunks:
            for e in chunk:
                if i == n:
                    raise ValueError(f"dedup index: more than the {n} entries announced")
                idx.doc_ids.append(e.doc_id)
                idx.text_hash.append(e.text_hash)
                idx.n_words[i] = e.n_words
                idx.published.append(e.published)
                if e.signature is not None:
                    idx.sigs[i] = e.signature
                    idx.signed[i] = True
                idx.canonical.append(e.canonical_doc_id)
                i += 1
        if i != n:
            raise ValueError(f"dedup index: {i} entries, {n} announced")
        return idx

    def take(self, rows: np.ndarray) -> Index:
        return Index(
            [self.doc_ids[i] for i in rows],
            [self.text_hash[i] for i in rows],
            self.n_words[rows],
            [self.published[i] for i in rows],
            self.sigs[rows],
            self.signed[rows],
            [self.canonical[i] for i in rows],
        )

    def entry(self, i: int, canonical: str | None = None) -> IndexEntry:
        sig = self.sigs[i] if self.signed[i] else None
        return IndexEntry(self.doc_ids[i], self.text_hash[i], int(self.n_words[i]), self.published[i], sig, canonical or self.canonical[i])


@dataclass(slots=True)
class Clustering:
    """`cluster`'s result for the run's documents (aligned with the new index): canonical copy,
    method and similarity to it. Rows for the warehouse are made from it on demand."""

    new: Index
    canonical: list[str]
    method: list[str]
    similarity: np.ndarray  # float64

    def dup_rows(self) -> Iterator[DupRow]:
        """One row per new document, by doc_id."""
        for i in sorted(range(len(self.new)), key=self.new.doc_ids.__getitem__):
            c, d = self.canonical[i], self.new.doc_ids[i]
            yield DupRow(d, c, c, d == c, self.method[i], float(self.similarity[i]))

    def counts(self) -> dict[str, int]:
        """Documents of the run that are copies of another (exact / near)."""
        copies = [m for m, c, d in zip(self.method, self.canonical, self.new.doc_ids, strict=True) if c != d]
        return {"duplicates": len(copies), "exact_duplicates": copies.count("exact"), "near_duplicates": copies.count("near")}

    def entries(self) -> Iterator[IndexEntry]:
        """The new documents' index entries to store (with their canonical copy)."""
        for i in range(len(self.new)):
            yield self.new.entry(i, self.canonical[i])


class _Clusters:
    """Union-find over row numbers of the combined (stored, then new) index."""

    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, x: int) -> int:
        parent = self.parent
        root = x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:
            parent[x], x = root, parent[x]
        return root

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def related_pairs(sigs: np.ndarray, sizes: np.ndarray, pairs: np.ndarray, cfg: DedupConfig) -> np.ndarray:
    """Boolean mask of pairs that are at least loosely related: estimated Jaccard >= `member_min_jaccard`
    or containment >= `member_min_containment`. Every two members of a cluster must be (the band of
    complete-link under the star's verification), so a cluster never holds unrelated documents."""
    j = (sigs[pairs[:, 0]] == sigs[pairs[:, 1]]).mean(axis=1)
    na, nb = sizes[pairs[:, 0]], sizes[pairs[:, 1]]
    containment = estimated_containment(j, na, nb)
    return (j >= cfg.member_min_jaccard) | (containment >= cfg.member_min_containment)


def _complete_link(centre: int, cands: list[int], sigs: np.ndarray, sizes: np.ndarray, cfg: DedupConfig, members: list[int] | None = None) -> list[int]:
    """The candidates (verified against `centre`, best first) that join its cluster: each must be
    related (`related_pairs`) to every member already in it."""
    members = list(members or [])
    joined: list[int] = []
    for x in cands:
        if members:
            pairs = np.stack([np.full(len(members), x, dtype=np.int64), np.asarray(members, dtype=np.int64)], axis=1)
            if not related_pairs(sigs, sizes, pairs, cfg).all():
                continue
        members.append(x)
        joined.append(x)
    return joined


def _bridges(reps: list[int], adj: dict[int, list[int]], sigs: np.ndarray, sizes: np.ndarray, cfg: DedupConfig) -> set[int]:
    """The groups of `reps` that would bridge unrelated texts: verified inside a longer neighbour by
    containment alone (estimated Jaccard under `jaccard_threshold`) while that neighbour is unrelated
    (`related_pairs`) to another of their neighbours. A short text truly ~85% inside two unrelated
    articles (a truncated copy cleaned down to one sentence both hold) had the most verified
    neighbours, so it became a star's centre and pulled in whichever article was more like it by
    Jaccard: the shorter one, often the wrong base. Such a group is never a centre; it joins the cluster
    whose centre holds it best (`_held`). Pure; a few pairs per group."""
    inside = set(reps)
    out: set[int] = set()
    for g in reps:
        nbrs = [x for x in adj.get(g, ()) if x in inside]
        if len(nbrs) < 2:
            continue
        nb = np.asarray(nbrs, dtype=np.int64)
        j = (sigs[nb] == sigs[g]).mean(axis=1)
        holders = nb[(sizes[nb] > sizes[g]) & (j < cfg.jaccard_threshold)]
        if not len(holders):
            continue
        pairs = np.asarray([(a, b) for a in holders.tolist() for b in nbrs if b != a], dtype=np.int64).reshape(-1, 2)
        if len(pairs) and not related_pairs(sigs, sizes, pairs, cfg).all():
            out.add(g)
    return out


def _held(g: int, rows: np.ndarray, low: np.ndarray, full: np.ndarray, sizes: np.ndarray, cfg: DedupConfig) -> tuple[np.ndarray, ...]:
    """How well each of `rows` holds row `g`: the containment of the shorter of the two in the longer as
    verification estimates it (J(1 + r)/(1 + J)), then by the order of the values (`order_containment`),
    then the estimated Jaccard."""
    g_rows = np.full(len(rows), g, dtype=np.int64)
    j = (low[rows] == low[g]).mean(axis=1)
    na, nb = sizes[g_rows], sizes[rows]
    containment = estimated_containment(j, na, nb)
    g_short = na <= nb
    order = order_containment(full[np.where(g_short, g_rows, rows)], full[np.where(g_short, rows, g_rows)], cfg)
    return containment, order, j


def _earliest(members: list[int], published) -> list[int]:
    """The members with the earliest publication date (all of them when none is dated)."""
    dated = [m for m in members if published(m) is not None]
    if not dated:
        return members
    first = min(published(m) for m in dated)
    return [m for m in dated if published(m) == first]


def _priority_key(members: list[int], doc_ids: list[str], published, degree: int) -> tuple:
    """Centre order of an exact group: earliest `published` first (undated last), then the most
    verified neighbours (the medoid-like copy), then the smallest doc_id. Pure, so stable."""
    dates = [published(m) for m in members if published(m) is not None]
    return (min(dates) if dates else date.max, -degree, min(doc_ids[m] for m in members))


def cluster(new: Index, stored: Index, cfg: DedupConfig) -> Clustering:
    """Cluster this run's documents among themselves and against the stored index, on columns.

    Exact duplicates: same normalised-text hash (an exact group). Near: LSH candidates verified pair by
    pair (`verify_pairs`) link exact groups into components; inside a component, clusters are stars:
    every member is verified against the cluster's canonical document itself, never only through a
    chain (A~B, B~C with A and C unrelated are not one cluster), so a cluster's diameter is bounded by
    the verification threshold. Centres: the stored canonical of a stored cluster first (a new copy
    joins the stored cluster whose canonical it matches best: next week's copy joins last week's
    cluster); then, among the rest, the earliest `published`, then the most verified neighbours, then
    the smallest doc_id. A group is tested against a centre when it is within two verified links of it.
    """
    if cfg.num_perm % cfg.bands:
        raise ValueError(f"dedup: num_perm={cfg.num_perm} is not a multiple of bands={cfg.bands}")
    new_ids = set(new.doc_ids)
    keep = np.fromiter((d not in new_ids for d in stored.doc_ids), dtype=bool, count=len(stored))
    old = stored if keep.all() else stored.take(np.nonzero(keep)[0])
    del new_ids, keep
    n_old, n = len(old), len(old) + len(new)
    doc_ids = old.doc_ids + new.doc_ids
    hashes = old.text_hash + new.text_hash
    first: dict[str, int] = {}
    grp = np.fromiter((first.setdefault(h, i) for i, h in enumerate(hashes)), dtype=np.int64, count=n)
    del first
    signed = np.concatenate([old.signed, new.signed])
    sigs = new.sigs if not n_old else np.concatenate([old.sigs, new.sigs])
    n_words = new.n_words if not n_old else np.concatenate([old.n_words, new.n_words])
    sizes = shingle_counts(sigs, n_words, cfg)
    # verification compares the low 16 bits of each value: half the memory traffic of the bulk check,
    # and a chance agreement of 1/65536 per value (+0.00002 on an estimated Jaccard)
    low = sigs.astype(np.uint16)
    edges = np.empty((0, 2), dtype=np.int64)
    if signed.sum() > 1:
        # Unsigned rows are zeros: they share LSH buckets with each other only, and their pairs are
        # dropped. The run's matrix is used as is when nothing is stored (no copy of ~0.5 KB/doc).
        cand = lsh_candidates(sigs, cfg.bands)
        # pairs of signed documents, one of them new (pairs of old documents were settled before)
        cand = cand[signed[cand[:, 0]] & signed[cand[:, 1]] & ((cand[:, 0] >= n_old) | (cand[:, 1] >= n_old))]
        edges = grp[cand[verify_pairs(low, sizes, cand, cfg, full=sigs)]]
        edges = edges[edges[:, 0] != edges[:, 1]]
        codes = _unique_sorted(np.minimum(edges[:, 0], edges[:, 1]) * n + np.maximum(edges[:, 0], edges[:, 1]))
        edges = np.stack([codes // n, codes % n], axis=1)
        del cand
    uf = _Clusters(n)
    for a, b in edges.tolist():
        uf.union(a, b)
    adj: dict[int, list[int]] = defaultdict(list)
    for a, b in edges.tolist():
        adj[a].append(b)
        adj[b].append(a)
    del edges
    groups: dict[int, list[int]] = defaultdict(list)
    for i, g in enumerate(grp.tolist()):
        groups[g].append(i)
    comps: dict[int, list[int]] = defaultdict(list)
    for g in groups:
        comps[uf.find(g)].append(g)
    del uf

    def published(i: int) -> date | None:
        return old.published[i] if i < n_old else new.published[i - n_old]

    def sim(a: int, b: int) -> float:
        if not (signed[a] and signed[b]):
            return 1.0 if hashes[a] == hashes[b] else 0.0
        return estimated_jaccard(sigs[a], sigs[b])

    def passing(centre: int, reps: list[int]) -> np.ndarray:
        """Mask of the groups `reps` verified against the centre row (both signed)."""
        if not reps or not signed[centre]:
            return np.zeros(len(reps), dtype=bool)
        r = np.asarray(reps, dtype=np.int64)
        pairs = np.stack([np.full(len(r), centre, dtype=np.int64), r], axis=1)
        return signed[r] & verify_pairs(low, sizes, pairs, cfg, full=sigs)

    canon_rows: dict[str, int] = {}
    wanted = {old.canonical[m] for members in comps.values() if len(members) > 1 or len(groups[members[0]]) > 1 for g in members for m in groups[g] if m < n_old}
    if wanted:
        canon_rows = {d: i for i, d in enumerate(doc_ids) if d in wanted}
    canonical = list(new.doc_ids)
    method = ["unique"] * len(new)
    similarity = np.ones(len(new))
    for reps in comps.values():
        if len(reps) == 1 and len(groups[reps[0]]) == 1:
            continue  # a singleton
        if all(m < n_old for g in reps for m in groups[g]):
            continue  # no new document in it
        reps = sorted(reps)
        clusters: list[tuple[str, int, list[int]]] = []  # (canonical doc_id, centre row, member groups)

        def start_cluster(clusters: list, g: int, joined: list[int]) -> None:
            """A new cluster centred on group g (its earliest document the canonical), `joined` with it."""
            c = min(doc_ids[m] for m in _earliest(groups[g], published))
            clusters.append((c, next(m for m in groups[g] if doc_ids[m] == c), [g, *joined]))

        open_reps: list[int] = []
        stored_centres: dict[str, int] = {}
        for g in reps:
            olds = sorted(old.canonical[m] for m in groups[g] if m < n_old)
            if olds:
                c = olds[0]
                if c not in stored_centres:
                    stored_centres[c] = len(clusters)
                    clusters.append((c, canon_rows.get(c, g), []))
                clusters[stored_centres[c]][2].append(g)
            else:
                open_reps.append(g)
        if stored_centres and open_reps:  # new groups join the stored cluster whose canonical they match best
            best = np.full(len(open_reps), -1.0)
            best_k = np.full(len(open_reps), -1)
            for k, (_, centre, _) in enumerate(clusters):
                ok = passing(centre, open_reps)
                js = np.array([sim(centre, g) for g in open_reps])
                better = ok & (js > best)
                best[better], best_k[better] = js[better], k
            placed: set[int] = set()
            for k, (_, centre, member_groups) in enumerate(clusters):
                mine = sorted((g for g, kk in zip(open_reps, best_k.tolist(), strict=True) if kk == k), key=lambda x: (-sim(centre, x), x))
                joined = _complete_link(centre, mine, low, sizes, cfg, [gr for gr in member_groups if signed[gr]])
                member_groups.extend(joined)
                placed.update(joined)
            open_reps = [g for g in open_reps if g not in placed]
        if len(open_reps) == 2 and not clusters:
            # two groups joined by one verified edge: a star already (no chain to cut)
            a, b = sorted(open_reps, key=lambda g: _priority_key(groups[g], doc_ids, published, 1 + len(groups[g]) - 1))
            start_cluster(clusters, a, [b])
            open_reps = []
        if open_reps:
            bridges = _bridges(open_reps, adj, low, sizes, cfg) if len(open_reps) > 2 else set()
            order = sorted(open_reps, key=lambda g: _priority_key(groups[g], doc_ids, published, len(adj.get(g, ())) + len(groups[g]) - 1))
            left = set(open_reps) - bridges
            for g in order:
                if g not in left:
                    continue
                left.discard(g)
                near = {x for y in adj.get(g, ()) for x in (y, *adj.get(y, ()))} & left
                cands = sorted(near)
                ok = passing(g, cands)
                cands = [x for x, o in zip(cands, ok.tolist(), strict=True) if o]
                joined = _complete_link(g, sorted(cands, key=lambda x: (-sim(g, x), x)), low, sizes, cfg)
                left.difference_update(joined)
                start_cluster(clusters, g, joined)
            for g in sorted(bridges):  # each joins the cluster whose centre holds it best, else stays alone
                fits = [(k, centre) for k, (_, centre, _) in enumerate(clusters) if passing(centre, [g])[0]]
                if len(fits) > 1:
                    rows_c = np.asarray([centre for _, centre in fits], dtype=np.int64)
                    held = _held(g, rows_c, low, sigs, sizes, cfg)
                    fits = [f for *_, f in sorted(zip(*(-x for x in held), fits, strict=True))]
                for k, centre in fits:
                    member_groups = clusters[k][2]
                    if _complete_link(centre, [g], low, sizes, cfg, [gr for gr in member_groups if signed[gr]]):
                        member_groups.append(g)
                        break
                else:
                    start_cluster(clusters, g, [])
        for c, centre, member_groups in clusters:
            rows = [m for gr in member_groups for m in groups[gr]]
            canon_hash = hashes[centre]
            exact = any(hashes[m] == canon_hash for m in rows if doc_ids[m] != c)
            for m in rows:
                if m < n_old:
                    continue
                k = m - n_old
                canonical[k] = c
                if len(rows) == 1 and doc_ids[m] == c and c not in stored_centres:
                    method[k] = "unique"
                elif doc_ids[m] == c:
                    method[k] = "exact" if exact else "near"
                elif hashes[m] == canon_hash:
                    method[k] = "exact"
                else:
                    method[k] = "near"
                    similarity[k] = round(sim(m, centre), 4)
    return Clustering(new, canonical, method, similarity)


def dedup(
    new: Sequence[IndexEntry], stored: Iterable[IndexEntry], cfg: DedupConfig
) -> tuple[list[DupRow], list[IndexEntry]]:
    """`cluster` over index entries given as objects: rows for this run's documents (by doc_id) and
    their index entries to store."""
    if not new:
        return [], []
    stored = list(stored)
    result = cluster(Index.build([new], len(new), cfg.num_perm), Index.build([stored], len(stored), cfg.num_perm), cfg)
    return list(result.dup_rows()), list(result.entries())


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

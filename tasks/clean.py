"""raw -> clean records: article (title + body) kept, boilerplate and comments split off, every block labelled.

In:  `RawDoc`s (plain-text dumps or HTML) and a CleanConfig, plus the site boilerplate fingerprints
     learned so far (this run and earlier runs).
Out: `CleanDoc`s with `clean_text`, `comments_text`, metadata columns and one `Segment` per block with
     its label (`schema.SEGMENT_LABELS`) and the rule that decided it. A document with no article left
     raises Rejected("empty_after_clean") and is quarantined; nothing removed is lost (it is a segment).

The stage entry point: plain-text dumps go through the block cleaner (`tasks.blocks`), HTML pages
through `tasks.html_page`; this module turns either result into a CleanDoc, learns site boilerplate
across documents (`SiteBoilerplate`) and builds the `documents`/`segments` rows. Public text APIs:
`html_to_text(html) -> str`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
import xxhash

from tasks.blocks import block_fingerprint, clean_text_dump, guess_language, words_of
from tasks.config import CleanConfig
from tasks.html_page import clean_html, html_pathology
from tasks.records import RawDoc, Rejected

# --- records -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Segment:
    seq: int
    label: str
    text: str
    reason: str


@dataclass(frozen=True, slots=True)
class CleanDoc:
    raw: RawDoc
    title: str | None
    author: str | None
    site_name: str | None
    published: date | None
    language: str | None
    clean_text: str
    comments_text: str
    segments: tuple[Segment, ...]



def html_to_text(html: str) -> str:
    """Article text only (no comments, no boilerplate) of one HTML page: the public extraction API."""
    res = clean_html(html, CleanConfig())
    return "\n\n".join(b.text for b in res.blocks if b.label in ("title", "content"))


# --- record and batch functions ----------------------------------------------------------------


def clean_document(raw: RawDoc, cfg: CleanConfig, site_fingerprints: frozenset[str] = frozenset()) -> CleanDoc:
    """One raw document -> CleanDoc, or Rejected("empty_after_clean"/"parse_error"/"pathological_html")."""
    try:
        if raw.content_type == "text/html":
            if why := html_pathology(raw.text, cfg):
                raise Rejected("pathological_html", f"{raw.source_id}: {why}")
            res = clean_html(raw.text, cfg, site_fingerprints)
        else:
            res = clean_text_dump(raw.text, cfg, site_fingerprints, known_title=raw.title)
    except RecursionError as exc:  # pathological nesting
        raise Rejected("parse_error", f"{raw.source_id}: parser recursion limit ({exc})") from exc
    title = raw.title or res.title
    body = res.texts("content")
    if title and not any(b.label == "title" for b in res.blocks) and body:
        parts = [title, *body]
    else:
        parts = [b.text for b in res.blocks if b.label in ("title", "content")]
    clean = "\n\n".join(parts)
    if len(" ".join(body)) < cfg.min_clean_chars:
        raise Rejected("empty_after_clean", f"{raw.source_id}: {len(' '.join(body))} characters of article text left after cleaning")
    comments = res.texts("comment") + [c for c in res.extra_comments if c not in res.texts("comment")]
    segments = tuple(Segment(i, b.label, b.text, b.reason) for i, b in enumerate(res.blocks))
    if res.extra_comments:
        start = len(segments)
        segments += tuple(
            Segment(start + k, "comment", c, "html_comment") for k, c in enumerate(res.extra_comments) if c not in res.texts("comment")
        )
    return CleanDoc(
        raw=raw,
        title=title,
        author=res.author,
        site_name=res.site_name,
        published=raw.published or res.published,
        language=guess_language(clean),
        clean_text=clean,
        comments_text="\n\n".join(comments),
        segments=segments,
    )


def site_blocks(raw: RawDoc, max_words: int = 40) -> dict[str, str]:
    """fingerprint -> text of the short blocks of one plain-text document: the unit of site boilerplate learning."""
    out: dict[str, str] = {}
    if raw.content_type != "text/plain":
        return out
    for line in raw.text.splitlines():
        s = " ".join(line.split())
        if s and len(words_of(s)) <= max_words:
            out.setdefault(block_fingerprint(s), s)
    return out


def _block_key(site: str, fingerprint: str) -> int:
    return xxhash.xxh64_intdigest(f"{site}\0{fingerprint}".encode())


class SiteBoilerplate:
    """Learns site boilerplate: short blocks of plain-text documents that recur in at least `min_docs`
    documents of one site (this run's new documents plus the counts earlier runs stored).

    In: `stored` (site_key, fingerprint, n_documents) rows of the `boilerplate` table, then the new
    documents of each batch (`add`), in batch order: a batch is cleaned with what was learned up to and
    including itself. Out: `fingerprints` (site -> boilerplate fingerprints, for `clean`) and `rows`
    (the `boilerplate` table rows of blocks this run saw).

    Counts live in two sorted numpy arrays (uint64 key of site + fingerprint, uint32 count: 12 bytes per
    distinct block, against ~300 for a Counter of string tuples); texts are kept only for blocks that
    became boilerplate. Past `max_blocks` distinct blocks, blocks seen once are forgotten (lossy
    counting: a block recurring later starts again from one); real site chrome recurs on most pages of
    its site and is never at one.
    """

    def __init__(self, min_docs: int, stored: Iterable[tuple[str, str, int]] = (), max_blocks: int = 5_000_000) -> None:
        self.min_docs = min_docs
        self.max_blocks = max_blocks
        self._keys = np.empty(0, dtype=np.uint64)
        self._counts = np.empty(0, dtype=np.uint32)
        self._stored: dict[int, int] = {}
        self._known: dict[int, tuple[str, str, str | None]] = {}  # boilerplate key -> (site, fp, example)
        self.fingerprints: dict[str, frozenset[str]] = {}
        new_fps: dict[str, set[str]] = {}
        for site, fp, n in stored:
            k = _block_key(site, fp)
            self._stored[k] = n
            if n >= min_docs:
                self._known[k] = (site, fp, None)
                new_fps.setdefault(site, set()).add(fp)
        self.fingerprints = {s: frozenset(f) for s, f in new_fps.items()}

    def __len__(self) -> int:
        return len(self._keys)

    def add(self, raws: Iterable[RawDoc]) -> None:
        """Count the short blocks of these (new) documents, each block once per document."""
        keys: list[int] = []
        meta: dict[int, tuple[str, str, str]] = {}
        for raw in raws:
            for fp, text in site_blocks(raw).items():
                k = _block_key(raw.site_key, fp)
                keys.append(k)
                meta.setdefault(k, (raw.site_key, fp, text))
        if not keys:
            return
        new, cnt = np.unique(np.fromiter(keys, dtype=np.uint64, count=len(keys)), return_counts=True)
        pos = np.searchsorted(self._keys, new)
        found = pos < len(self._keys)
        found[found] = self._keys[pos[found]] == new[found]
        self._counts[pos[found]] += cnt[found].astype(np.uint32)
        self._keys = np.insert(self._keys, pos[~found], new[~found])
        self._counts = np.insert(self._counts, pos[~found], cnt[~found].astype(np.uint32))
        totals = self._counts[np.searchsorted(self._keys, new)].astype(np.int64)
        totals += np.fromiter((self._stored.get(int(k), 0) for k in new), dtype=np.int64, count=len(new))
        for k in new[totals >= self.min_docs].tolist():
            known = self._known.get(k)
            if known is None or known[2] is None:
                self._known[k] = meta[k]
                site, fp, _ = meta[k]
                if fp not in self.fingerprints.get(site, ()):
                    self.fingerprints[site] = self.fingerprints.get(site, frozenset()) | {fp}
        if len(self._keys) > self.max_blocks:
            keep = (self._counts > 1) | np.isin(self._keys, np.fromiter(self._known, dtype=np.uint64, count=len(self._known)))
            self._keys, self._counts = self._keys[keep], self._counts[keep]

    def rows(self, run_id: str) -> list[dict]:
        """`boilerplate` rows: blocks seen by this run in at least `min_docs` documents (all runs)."""
        from tasks.schema import record_hash

        out = []
        for k, (site, fp, example) in self._known.items():
            i = int(np.searchsorted(self._keys, np.uint64(k)))
            if i >= len(self._keys) or int(self._keys[i]) != k or example is None:
                continue  # not seen by this run: the stored row stands
            row = {
                "site_key": site,
                "fingerprint": fp,
                "example": example[:200],
                "n_documents": self._stored.get(k, 0) + int(self._counts[i]),
                "run_id": run_id,
            }
            row["record_hash"] = record_hash(row)
            out.append(row)
        return out


def clean(
    raws: Iterable[RawDoc], cfg: CleanConfig, site_fingerprints: Mapping[str, frozenset[str]] | None = None
) -> tuple[list[CleanDoc], list[tuple[RawDoc, Rejected]]]:
    """Batch function: raw docs -> (clean docs, rejected docs with their reason)."""
    site_fingerprints = site_fingerprints or {}
    kept: list[CleanDoc] = []
    rejected: list[tuple[RawDoc, Rejected]] = []
    for raw in raws:
        try:
            kept.append(clean_document(raw, cfg, site_fingerprints.get(raw.site_key, frozenset())))
        except Rejected as r:
            rejected.append((raw, r))
    return kept, rejected


# --- rows for the warehouse --------------------------------------------------------------------


def document_row(doc: CleanDoc, run_id: str, now: datetime) -> dict:
    from tasks.records import text_hash
    from tasks.schema import record_hash

    raw = doc.raw
    row = {
        "doc_id": raw.doc_id,
        "source_id": raw.source_id,
        "source_uri": raw.source_uri,
        "content_type": raw.content_type,
        "content_sha256": raw.content_sha256,
        "title": doc.title,
        "author": doc.author,
        "site_name": doc.site_name,
        "published_date": doc.published,
        "language": doc.language,
        "raw_text": raw.text,
        "clean_text": doc.clean_text,
        "comments_text": doc.comments_text,
        "site_key": raw.site_key,
        "text_hash": text_hash(doc.clean_text),
        "encoding": raw.encoding,
        "extra": raw.extra,
        "run_id": run_id,
        "ingested_at": now,
    }
    row["record_hash"] = record_hash(row)
    return row


def segment_rows(doc: CleanDoc, run_id: str) -> list[dict]:
    from tasks.schema import record_hash

    rows = []
    for s in doc.segments:
        row = {"doc_id": doc.raw.doc_id, "seq": s.seq, "label": s.label, "text": s.text, "reason": s.reason, "run_id": run_id}
        row["record_hash"] = record_hash(row)
        rows.append(row)
    return rows

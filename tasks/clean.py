"""raw -> clean records: article (title + body) kept, boilerplate and comments split off, every block labelled.

In:  `RawDoc`s (plain-text dumps or HTML) and a CleanConfig, plus the site boilerplate fingerprints
     learned so far (this run and earlier runs).
Out: `CleanDoc`s with `clean_text`, `comments_text`, metadata columns and one `Segment` per block with
     its label (`schema.SEGMENT_LABELS`) and the rule that decided it. A document with no article left
     raises Rejected("empty_after_clean") and is quarantined; nothing removed is lost (it is a segment).

The stage entry point: plain-text dumps go through the block cleaner (`tasks.blocks`), HTML pages
through `tasks.html_page`; this module turns either result into a CleanDoc, learns site boilerplate
across documents (`SiteBoilerplate`) and builds the `documents`/`segments` rows. Public text APIs:
`html_to_text(html) -> str`, `clean_html_page(html) -> {"article", "comments"}`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

import numpy as np
import xxhash

from tasks.blocks import MODEL_DROPPED_TITLE, TextResult, block_fingerprint, clean_text_dump, words_of
from tasks.config import CleanConfig
from tasks.html_page import clean_html, html_pathology
from tasks.metadata import document_language
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
    dedup_text: str | None = None  # the text dedup signs, when not `clean_text` (learned boilerplate left out)

    @property
    def signed_text(self) -> str:
        """What dedup hashes and shingles: `clean_text` without learned or known boilerplate lines."""
        return self.clean_text if self.dedup_text is None else self.dedup_text



def clean_dump_text(text: str) -> dict[str, str]:
    """Article and reader comments of one plain-text dump (every visible block of a page on its own line,
    in page order): `{"article": ..., "comments": ...}`, exactly the `clean_text` / `comments_text` that
    `clean_document` stores for a `.txt` input with no known title. Public API."""
    res, _, _ = _clean_plain(text, CleanConfig())
    article, _ = _article_text(res, None)
    return {"article": article, "comments": _comments_text(res)}


def html_to_text(html: str) -> str:
    """Article text only (no comments, no boilerplate) of one HTML page: the public extraction API.
    The article of `clean_html_page`, without reading the comments' text."""
    res = clean_html(html, CleanConfig(), with_metadata=False, with_comments=False)
    return _article_text(res, None, res_title=False)[0]


def clean_html_page(html: str, cfg: CleanConfig | None = None) -> dict[str, str]:
    """One HTML page -> {"article": headline + body text, "comments": reader comments}, plain text.

    The same path as the pipeline's `clean_document` for HTML (documents.clean_text/comments_text);
    comments come from the page's comment containers and are never part of the article.
    """
    res = clean_html(html, cfg or CleanConfig(), with_metadata=False)
    article, _ = _article_text(res, None, res_title=False)
    return {"article": article, "comments": _comments_text(res)}


# --- record and batch functions ----------------------------------------------------------------


def _article_text(res: TextResult, known_title: str | None, res_title: bool = True) -> tuple[str, int]:
    """(clean text: title and content blocks, characters of content) of a labelled result; a title not
    among the blocks (the known one, else the result's own when `res_title`) leads the text."""
    title = known_title or (res.title if res_title else None)
    body = res.texts("content")
    # a title the line model judged page chrome is no article text (the result keeps it as metadata)
    dropped = title == res.title and any(b.reason == MODEL_DROPPED_TITLE for b in res.blocks)
    if title and not dropped and not any(b.label == "title" for b in res.blocks) and body:
        parts = [title, *body]
    else:
        parts = [b.text for b in res.blocks if b.label in ("title", "content")]
    return "\n\n".join(parts), len(" ".join(body))


def _clean_plain(
    text: str,
    cfg: CleanConfig,
    site_fingerprints: frozenset[str] = frozenset(),
    shared_fingerprints: frozenset[str] = frozenset(),
    known_title: str | None = None,
) -> tuple[TextResult, dict[int, tuple[str, str]], set[str]]:
    """The plain-text path of `clean_document` and `clean_dump_text`: learned boilerplate and known chrome
    set aside, then the block cleaner; without the set-aside lines when they would leave no article
    (the third value: those lines, which dedup does not sign)."""
    rest, set_aside = _set_aside(text, site_fingerprints, shared_fingerprints)
    res = clean_text_dump(rest, cfg, known_title=known_title, lines_set_aside=bool(set_aside))
    if set_aside and _too_short(res, cfg):
        # no article without the set-aside lines (or less than a document's minimum: a short real
        # article whose sentences recur in ten other documents of the run, one line left): the
        # document keeps them, dedup does not sign them
        return clean_text_dump(text, cfg, known_title=known_title, lines_set_aside=bool(set_aside)), {}, {t for t, _ in set_aside.values()}
    return res, set_aside, set()


def _too_short(res: TextResult, cfg: CleanConfig) -> bool:
    """Whether a result holds less article text than a document needs (`min_clean_chars`)."""
    return len(" ".join(res.texts("content"))) < cfg.min_clean_chars


def _signed(clean: str, body: list[str], unsigned: set[str]) -> str | None:
    """The clean text without the `unsigned` lines (None: sign the clean text), unless that would leave
    no article paragraph to sign."""
    if not unsigned or all(x in unsigned for x in body):
        return None
    return "\n\n".join(x for x in clean.split("\n\n") if x not in unsigned)


def _comments_text(res: TextResult) -> str:
    comments = res.texts("comment")
    return "\n\n".join(comments + [c for c in res.extra_comments if c not in comments])


def clean_document(
    raw: RawDoc, cfg: CleanConfig, site_fingerprints: frozenset[str] = frozenset(), shared_fingerprints: frozenset[str] = frozenset()
) -> CleanDoc:
    """One raw document -> CleanDoc, or Rejected("empty_after_clean"/"parse_error"/"pathological_html").

    `site_fingerprints`: boilerplate learned on the document's site; `shared_fingerprints`: learned
    across the sites of the run (`SiteBoilerplate`). In a plain-text dump, lines that are learned
    boilerplate or known chrome (`known_chrome`: consent banners, newsletter and share blocks) are set
    aside before the block cleaner sees the page, so that a banner is never taken for the article's
    first paragraph; they stay as `boilerplate` segments in page order. Learned boilerplate never
    empties a document: when no article would be left with it, the document is cleaned without it."""
    set_aside: dict[int, tuple[str, str]] = {}
    unsigned: set[str] = set()
    try:
        if raw.content_type == "text/html":
            if why := html_pathology(raw.text, cfg):
                raise Rejected("pathological_html", f"{raw.source_id}: {why}")
            learned = site_fingerprints | shared_fingerprints if shared_fingerprints else site_fingerprints
            res = clean_html(raw.text, cfg, learned)
            if learned and _too_short(res, cfg):
                res = clean_html(raw.text, cfg)
            else:
                _apply_learned(res, shared_fingerprints, site_fingerprints)
        else:
            res, set_aside, unsigned = _clean_plain(raw.text, cfg, site_fingerprints, shared_fingerprints, raw.title)
    except RecursionError as exc:  # pathological nesting
        raise Rejected("parse_error", f"{raw.source_id}: parser recursion limit ({exc})") from exc
    title = raw.title or res.title
    # A title known from the record (JSONL `title`) leads the text; an HTML page's headline is already a
    # block when the page's own rules put it there (adding the <title> measured worse: bench/RESULTS.md).
    clean, body_chars = _article_text(res, raw.title, res_title=raw.content_type != "text/html")
    if body_chars < cfg.min_clean_chars:
        raise Rejected("empty_after_clean", f"{raw.source_id}: {body_chars} characters of article text left after cleaning")
    blocks = _in_page_order(raw.text, set_aside, res.blocks) if set_aside else [(b.label, b.text, b.reason) for b in res.blocks]
    segments = tuple(Segment(i, label, text, reason) for i, (label, text, reason) in enumerate(blocks))
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
        language=document_language(clean, res.language),
        clean_text=clean,
        comments_text=_comments_text(res),
        segments=segments,
        dedup_text=_signed(clean, res.texts("content"), unsigned),
    )


RUN_WIDE = "*"  # `boilerplate.site_key` of blocks learned across every site of a run (no site key needed)
SITE_BOILERPLATE = "site_boilerplate"  # segment reasons of learned boilerplate: recurring on one site ...
SHARED_BOILERPLATE = "shared_boilerplate"  # ... or across the documents of many sites
KNOWN_CHROME = "known_chrome"  # a consent, newsletter or share block of a kind every site carries
# Consent banners, newsletter and share blocks, recognised the first time they are seen, in a few
# languages. Matched against a whole block of at most `KNOWN_CHROME_MAX_WORDS` words; measured on the
# 1,863 gold articles of the development sets: no article paragraph matches (bench/bench_dedup.py).
KNOWN_CHROME_MAX_WORDS = 90
KNOWN_CHROME_RE = re.compile(
    r"\b(?:"
    r"(?:we|this (?:web)?site|our (?:web)?site|and our partners)\b.{0,40}\b(?:use|uses|store|stores)\b.{0,60}\bcookies?\b"
    r"|cookies?\b.{0,80}\b(?:accept|agree|consent|personali[sz]ed? (?:ads|content|advertising))"
    r"|(?:wir|diese website) (?:verwenden|nutzen|verwendet|nutzt) cookies"
    r"|nous utilisons des cookies|ce site utilise des cookies|(?:utilizamos|usamos) cookies|este sitio web utiliza cookies"
    r"|(?:utilizziamo|usiamo) (?:i )?cookie|questo sito utilizza (?:i )?cookie|wij gebruiken cookies|deze website gebruikt cookies"
    r"|(?:sign up|subscribe) (?:for|to) (?:our|the) (?:\w+ ){0,3}(?:newsletter|briefing|bulletin)"
    r"|(?:melden sie sich|abonnieren sie) .{0,40}newsletter|(?:abonnez-vous|inscrivez-vous) .{0,30}(?:newsletter|lettre)"
    r"|suscr[ií]bete a (?:nuestro|nuestra) (?:bolet[ií]n|newsletter)|iscriviti alla (?:nostra )?newsletter"
    r"|get (?:our|the) (?:free )?(?:\w+ ){0,2}(?:newsletter|briefing)\b.{0,40}\binbox"
    r"|share this (?:story|article|post)\s*[:|]"
    r"|^click (?:here )?(?:for|to see) (?:the )?full (?:results|gallery|story|coverage)"
    r")",
    re.I,
)


def known_chrome(text: str, n_words: int) -> bool:
    """A consent/newsletter/share block (`KNOWN_CHROME_RE`), recognised without any learning."""
    return n_words <= KNOWN_CHROME_MAX_WORDS and KNOWN_CHROME_RE.search(text) is not None


def _set_aside(text: str, site: frozenset[str], shared: frozenset[str]) -> tuple[str, dict[int, tuple[str, str]]]:
    """The dump without its learned-boilerplate and known-chrome lines, and those lines (line number ->
    (text, reason)). Only lines of at most `KNOWN_CHROME_MAX_WORDS` words are looked at."""
    lines = text.splitlines()
    out: dict[int, tuple[str, str]] = {}
    for i, line in enumerate(lines):
        t = " ".join(line.split())
        if not t:
            continue
        n = len(words_of(t))
        if n > KNOWN_CHROME_MAX_WORDS:
            continue
        if site or shared:
            fp = block_fingerprint(t)
            if fp in site:
                out[i] = (t, SITE_BOILERPLATE)
                continue
            if fp in shared:
                out[i] = (t, SHARED_BOILERPLATE)
                continue
        if known_chrome(t, n):
            out[i] = (t, KNOWN_CHROME)
    if not out:
        return text, out
    return "\n".join(line for i, line in enumerate(lines) if i not in out), out


def _in_page_order(text: str, set_aside: Mapping[int, tuple[str, str]], blocks) -> list[tuple[str, str, str]]:
    """(label, text, reason) of the cleaner's blocks with the set-aside lines put back where they were:
    a block is placed at the first line it starts with (rejoined continuation lines are skipped)."""
    out: list[tuple[str, str, str]] = []
    j = 0
    for i, line in enumerate(text.splitlines()):
        if i in set_aside:
            t, reason = set_aside[i]
            out.append(("boilerplate", t, reason))
            continue
        t = " ".join(line.split())
        if t and j < len(blocks) and blocks[j].text.startswith(t):
            out.append((blocks[j].label, blocks[j].text, blocks[j].reason))
            j += 1
    out.extend((b.label, b.text, b.reason) for b in blocks[j:])
    return out


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


def _contexts(raw: RawDoc, max_words: int, known: frozenset[str]) -> dict[str, tuple[str, int, int]]:
    """fingerprint -> (text, words, context) of the blocks (lines of at most `max_words` words) of one
    plain-text document. The context is a hash of the document's longest line that is neither the
    block itself nor known boilerplate (0 when there is none): copies of one article share their
    longest paragraph, so a paragraph repeated by copies of one article stays at one or two contexts,
    while page chrome recurs next to many different articles."""
    if raw.content_type != "text/plain":
        return {}
    lines: dict[str, tuple[str, int]] = {}
    longest: list[tuple[int, str]] = []
    for line in raw.text.splitlines():
        t = " ".join(line.split())
        if not t:
            continue
        fp = block_fingerprint(t)
        if fp not in known:
            longest.append((len(t), fp))
        if fp not in lines and (n := len(words_of(t))) <= max_words:
            lines[fp] = (t, n)
    longest.sort(reverse=True)
    top = [fp for _, fp in longest[:2]]
    out = {}
    for fp, (t, n) in lines.items():
        other = next((x for x in top if x != fp), None)
        out[fp] = (t, n, 0 if other is None else xxhash.xxh64_intdigest(other.encode()) | 1)
    return out


class SiteBoilerplate:
    """Learns boilerplate blocks: lines of plain-text documents that recur next to at least `min_docs`
    different articles of one site, or next to `shared_min_docs` different articles of any sites of the
    run (site key `RUN_WIDE`: consent banners, newsletter lines, chrome of records with no URL).

    The unit of counting is a (block, context) pair, the context being the document's longest line
    other than the block (`_contexts`): a block counts once per different article it is seen with, so
    the paragraphs of an article copied many times are not boilerplate, while chrome is. Documents
    without a URL (JSONL records with only a text) have no site: their blocks count run-wide only.

    In: `stored` (site_key, fingerprint, n_documents) rows of the `boilerplate` table, then the new
    documents of each batch (`add`), in run order. The flow counts all of a run's documents before it
    cleans the first (a counting pass), so the run cleans every document with the same fingerprints. Out: `fingerprints` (site -> boilerplate fingerprints, `RUN_WIDE` -> the shared
    ones, for `clean`) and `rows` (the `boilerplate` table rows of blocks this run saw).

    Counts live in sorted numpy arrays (uint64 key of site + fingerprint, uint32 count; uint64 hashes of
    the (block, context) pairs seen): ~20 bytes per distinct block and pair, against ~300 for a Counter
    of string tuples; texts are kept only for blocks that became boilerplate. Past `max_blocks`
    distinct blocks, blocks seen once are forgotten (lossy counting: a block recurring later starts
    again from one); real chrome recurs on most pages and is never at one.
    """

    def __init__(
        self,
        min_docs: int,
        stored: Iterable[tuple[str, str, int]] = (),
        max_blocks: int = 5_000_000,
        shared_min_docs: int = 10,
        max_words: int = 40,
        shared_max_words: int = KNOWN_CHROME_MAX_WORDS,
    ) -> None:
        self.min_docs = min_docs
        self.shared_min_docs = shared_min_docs
        self.max_words = max_words
        self.shared_max_words = shared_max_words
        self.max_blocks = max_blocks
        self._keys = np.empty(0, dtype=np.uint64)
        self._counts = np.empty(0, dtype=np.uint32)
        self._pairs = np.empty(0, dtype=np.uint64)
        self._stored: dict[int, int] = {}
        self._known: dict[int, tuple[str, str, str | None]] = {}  # boilerplate key -> (site, fp, example)
        self.fingerprints: dict[str, frozenset[str]] = {}
        new_fps: dict[str, set[str]] = {}
        for site, fp, n in stored:
            k = _block_key(site, fp)
            self._stored[k] = n
            if n >= self._threshold(site):
                self._known[k] = (site, fp, None)
                new_fps.setdefault(site, set()).add(fp)
        self.fingerprints = {s: frozenset(f) for s, f in new_fps.items()}

    def _threshold(self, site: str) -> int:
        return self.shared_min_docs if site == RUN_WIDE else self.min_docs

    def __len__(self) -> int:
        return len(self._keys)

    def add(self, raws: Iterable[RawDoc]) -> None:
        """Count the blocks of these (new) documents, each block once per different context."""
        pair_keys: list[int] = []
        keys_of_pair: list[int] = []
        meta: dict[int, tuple[str, str, str]] = {}
        shared = self.fingerprints.get(RUN_WIDE, frozenset())
        for raw in raws:
            has_site = raw.source_uri is not None
            site_known = self.fingerprints.get(raw.site_key, frozenset()) if has_site else frozenset()
            for fp, (text, n, ctx) in _contexts(raw, self.shared_max_words, shared | site_known if site_known else shared).items():
                for site in (RUN_WIDE, raw.site_key) if has_site and n <= self.max_words else (RUN_WIDE,):
                    k = _block_key(site, fp)
                    pair_keys.append(xxhash.xxh64_intdigest(f"{k}\0{ctx}".encode()))
                    keys_of_pair.append(k)
                    meta.setdefault(k, (site, fp, text))
        if not pair_keys:
            return
        pk = np.fromiter(pair_keys, dtype=np.uint64, count=len(pair_keys))
        bk = np.fromiter(keys_of_pair, dtype=np.uint64, count=len(keys_of_pair))
        pk, first = np.unique(pk, return_index=True)
        bk = bk[first]
        pos = np.searchsorted(self._pairs, pk)
        seen = pos < len(self._pairs)
        seen[seen] = self._pairs[pos[seen]] == pk[seen]
        self._pairs = np.insert(self._pairs, pos[~seen], pk[~seen])
        new, cnt = np.unique(bk[~seen], return_counts=True)
        if not len(new):
            return
        pos = np.searchsorted(self._keys, new)
        found = pos < len(self._keys)
        found[found] = self._keys[pos[found]] == new[found]
        self._counts[pos[found]] += cnt[found].astype(np.uint32)
        self._keys = np.insert(self._keys, pos[~found], new[~found])
        self._counts = np.insert(self._counts, pos[~found], cnt[~found].astype(np.uint32))
        totals = self._counts[np.searchsorted(self._keys, new)].astype(np.int64)
        totals += np.fromiter((self._stored.get(int(k), 0) for k in new), dtype=np.int64, count=len(new))
        for k, total in zip(new.tolist(), totals.tolist(), strict=True):
            site, fp, _ = meta[k]
            if total < self._threshold(site):
                continue
            known = self._known.get(k)
            if known is None or known[2] is None:
                self._known[k] = meta[k]
                if fp not in self.fingerprints.get(site, ()):
                    self.fingerprints[site] = self.fingerprints.get(site, frozenset()) | {fp}
        if len(self._keys) > self.max_blocks:
            keep = (self._counts > 1) | np.isin(self._keys, np.fromiter(self._known, dtype=np.uint64, count=len(self._known)))
            self._keys, self._counts = self._keys[keep], self._counts[keep]
            self._pairs = np.empty(0, dtype=np.uint64)  # forgotten with them: later pairs count again

    def rows(self, run_id: str) -> list[dict]:
        """`boilerplate` rows: blocks seen by this run in at least the threshold of contexts (all runs)."""
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


def newly_learned(before: Mapping[str, frozenset[str]], after: Mapping[str, frozenset[str]]) -> dict[str, frozenset[str]]:
    """site -> the boilerplate fingerprints in `after` and not in `before` (sites with none left out)."""
    out = {site: fps - before.get(site, frozenset()) for site, fps in after.items()}
    return {site: fps for site, fps in out.items() if fps}


def touched_by(content_type: str, raw_text: str, clean_text: str, site: frozenset[str], shared: frozenset[str]) -> bool:
    """Whether boilerplate learned since a stored document was cleaned (`site`: on its site, `shared`:
    run-wide) can change its cleaning: a plain-text dump has a line that is now learned boilerplate
    (`_set_aside` looks at lines), an HTML page an article block that is now shared boilerplate
    (`_apply_learned` looks at content blocks; site boilerplate does not apply to HTML). Otherwise the
    document cleans exactly as it did."""
    if content_type == "text/html":
        texts, learned = clean_text.split("\n\n"), shared
    else:
        texts, learned = raw_text.splitlines(), site | shared
    if not learned:
        return False
    for line in texts:
        t = " ".join(line.split())
        if t and len(words_of(t)) <= KNOWN_CHROME_MAX_WORDS and block_fingerprint(t) in learned:
            return True
    return False


def stored_raw(row: Mapping, cfg: CleanConfig, site: frozenset[str], shared: frozenset[str]) -> RawDoc | None:
    """A stored `documents` row as the raw record it was cleaned from, to clean it again (`site`,
    `shared`: the boilerplate it was cleaned with). The row keeps everything of the record but
    whether its title came with it (a JSONL `title`) or was found by the cleaner: for a record that
    can carry one, the reading that reproduces the stored title and clean text is taken, else None (the
    document is left as it is). The publication date is kept as stored (the cleaner keeps a record's
    date before its own)."""
    from tasks.records import text_hash

    def raw(title: str | None) -> RawDoc:
        return RawDoc(
            doc_id=row["doc_id"], source_id=row["source_id"], source_uri=row["source_uri"], content_type=row["content_type"],
            content_sha256=row["content_sha256"], text=row["raw_text"], encoding=row["encoding"], site_key=row["site_key"],
            title=title, published=row["published_date"], extra=row["extra"], origin=row["source_id"],
        )

    uri, extra = row["source_uri"] or "", row["extra"] or ""
    if row["title"] is None or uri.startswith("file:") or '"warc_file"' in extra:  # files and WARC records carry no title
        return raw(None)
    for title in (None, row["title"]):
        try:
            doc = clean_document(raw(title), cfg, site, shared)
        except Rejected:
            continue
        if doc.title == row["title"] and text_hash(doc.clean_text) == row["text_hash"]:
            return raw(title)
    return None


def _apply_learned(res, shared: frozenset[str], site: frozenset[str]) -> None:
    """Learned and known boilerplate on the cleaner's blocks, in place: blocks the cleaner matched as
    site boilerplate are renamed `shared_boilerplate` when they were learned run-wide; longer shared
    blocks (the cleaner matches up to 40 words) and known consent/newsletter/share blocks that the
    cleaner kept as content become boilerplate. A document is never emptied by this: when no content
    would be left, the content stays."""
    changed = []
    for b in res.blocks:
        if b.label == "boilerplate" and b.reason == SITE_BOILERPLATE:
            fp = block_fingerprint(b.text)
            if fp in shared and fp not in site:
                b.reason = SHARED_BOILERPLATE
        elif b.label == "content":
            n = len(words_of(b.text))
            if shared and n <= KNOWN_CHROME_MAX_WORDS and block_fingerprint(b.text) in shared:
                changed.append((b, b.reason))
                b.label, b.reason = "boilerplate", SHARED_BOILERPLATE
            elif known_chrome(b.text, n):
                changed.append((b, b.reason))
                b.label, b.reason = "boilerplate", KNOWN_CHROME
    if changed and not any(b.label == "content" for b in res.blocks):
        for b, reason in changed:
            b.label, b.reason = "content", reason


def clean(
    raws: Iterable[RawDoc], cfg: CleanConfig, site_fingerprints: Mapping[str, frozenset[str]] | None = None
) -> tuple[list[CleanDoc], list[tuple[RawDoc, Rejected]]]:
    """Batch function: raw docs -> (clean docs, rejected docs with their reason). `site_fingerprints`:
    site -> learned boilerplate, `RUN_WIDE` -> boilerplate learned across sites (applies to every document)."""
    site_fingerprints = site_fingerprints or {}
    shared = site_fingerprints.get(RUN_WIDE, frozenset())
    kept: list[CleanDoc] = []
    rejected: list[tuple[RawDoc, Rejected]] = []
    for raw in raws:
        try:
            kept.append(clean_document(raw, cfg, site_fingerprints.get(raw.site_key, frozenset()), shared))
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

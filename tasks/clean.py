"""raw -> clean records: article (title + body) kept, boilerplate and comments split off, every block labelled.

In:  `RawDoc`s (plain-text dumps or HTML) and a CleanConfig, plus the site boilerplate fingerprints
     learned so far (this run and earlier runs).
Out: `CleanDoc`s with `clean_text`, `comments_text`, metadata columns and one `Segment` per block with
     its label (`schema.SEGMENT_LABELS`) and the rule that decided it. A document with no article left
     raises Rejected("empty_after_clean") and is quarantined; nothing removed is lost (it is a segment).

Plain-text dumps are split into blocks (non-empty lines). Each block gets features (URL density,
chrome phrases, bylines/dates, commerce vocabulary, reply markers, repetition) and the document gets
structure (header zone with the title, body, the point where the comment thread starts, trailing
chrome). HTML goes through trafilatura for the main text and metadata, then through the same block
rules; comments come from trafilatura and from our own detection of comment containers.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

import numpy as np
import xxhash

from tasks.config import CleanConfig
from tasks.records import RawDoc, Rejected, normalise_words

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


@dataclass(slots=True)
class _Block:
    text: str
    label: str = ""
    reason: str = ""
    words: int = 0
    lw: list[str] = field(default_factory=list)  # lower-cased words, computed once


@dataclass(slots=True)
class TextResult:
    """What the block cleaner found in one text: labelled blocks plus metadata."""

    blocks: list[_Block]
    title: str | None = None
    author: str | None = None
    site_name: str | None = None
    published: date | None = None
    extra_comments: list[str] = field(default_factory=list)

    def texts(self, label: str) -> list[str]:
        return [b.text for b in self.blocks if b.label == label]


# --- block features ----------------------------------------------------------------------------

URL_RE = re.compile(r"(?:https?://|www\.)\S+", re.I)
TERMINAL = tuple('.!?"”’)]…:;')
WORD_RE = re.compile(r"[^\W_]+(?:['’][^\W_]+)*", re.U)
MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december|"
    "jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
)
DATE_LINE_RE = re.compile(
    rf"^(?:(?:posted|published|updated|date)\s*(?:on)?:?\s*)?(?:(?:mon|tues|wednes|thurs|fri|satur|sun)day,?\s*)?"
    rf"(?:(?:{MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?,?\s+\d{{4}}|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:{MONTHS})\.?,?\s+\d{{4}}|\d{{4}}-\d{{2}}-\d{{2}})"
    rf"(?:\s*(?:at\s*)?\d{{1,2}}:\d{{2}}\s*(?:am|pm)?(?:\s*[A-Z]{{2,4}})?)?"
    rf"(?:\s*(?:by|[|·•–—-])\s+(?P<author>[A-Z][\w.'’-]+(?:\s+[A-Z][\w.'’-]+){{0,3}}))?\.?$",
    re.I,
)
BYLINE_RE = re.compile(
    r"^(?i:by|written by|posted by|author:?|words by)\s+([A-Z][\w.'’-]+(?:\s+(?:[A-Z][\w.'’-]+|de|van|von|der|le|la|and)){0,4})"
    r"(?:\s*[,|–—-]\s*.{0,60})?$"
)
# Page chrome: phrase -> reason. Matched against a whole short block (<= 12 words) only.
CHROME_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(rx, re.I))
    for name, rx in (
        ("source_link", r"^(source|source link|original source|via|read the original( article)?)\s*:?\s*\S*$"),
        ("login", r"\b(log ?in|sign ?in|sign ?up|create (an )?account|register|log ?out|my account|forgot (your )?password)\b"),
        ("comments_prompt", r"^(leave a (comment|reply)|add (a )?comment|post a comment|no comments( yet)?|comments? (are )?closed|\d+\s+(comments?|responses?|replies)|join the (discussion|conversation)|comments?)\s*[:.!]?$"),
        ("share", r"^(share( this( article| story| post)?)?( on)?|tweet|pin it|email|print|whatsapp|facebook|twitter|linkedin|reddit|copy link)([\s,|/·•]+(share|tweet|pin it|email|print|whatsapp|facebook|twitter|linkedin|reddit|telegram|copy link|x))*\s*:?$"),
        ("tags", r"^(filed under|tags?|tagged( with)?|topics?|categories|category|posted in|related topics)\s*:?[\s,]*[\w\s,&'’-]*$"),
        ("copyright", r"(©|\(c\)|copyright\b|all rights reserved)"),
        ("subscribe", r"\b(subscribe|newsletter|sign up for|get the latest|follow us)\b"),
        ("related", r"^(related( articles| posts| stories| coverage)?|read more|more from|you may also like|recommended|see also|trending|most popular|popular posts|next article|previous article|previous post|next post)\b"),
        ("advertisement", r"^(advertisement|sponsored( content)?|ad|promoted|paid content)\s*:?$"),
        ("cookie", r"\b(cookies?|privacy policy|terms of (use|service)|accept all|gdpr)\b"),
        ("comment_form", r"(your email address will not be published|required fields are marked|save my name, email|notify me of (new|follow-up) (comments|posts)|you must be logged in to post)"),
        ("navigation", r"^(home|menu|search|skip to (main )?content|back to top|top|next|previous|close|toggle navigation|main menu)\s*[>|»]?\s*$"),
    )
)
COMMERCE_WORDS = frozenset(
    ["ebook", "ebooks", "e-book", "audiobook", "audiobooks", "paperback", "hardcover", "purchase", "purchased", "buy", "order", "preorder", "pre-order", "amazon", "audible", "kindle", "shop", "store", "discount", "coupon", "price", "prices", "sale", "deal", "deals", "shipping", "checkout", "cart", "subscription", "subscribe", "membership", "trial", "publisher", "bookseller", "seller", "vendors", "available"]
)
PRICE_RE = re.compile(r"[$€£]\s?\d+(?:[.,]\d{2})?|\b\d+(?:[.,]\d{2})?\s?(?:USD|EUR|GBP)\b")
BLURB_RE = re.compile(r"^[\"“].{20,}[\"”]\s*(?:--|—|–|-)\s*[A-Z][\w .,'’&-]{2,60}$")
# Reply markers that open or sit inside a comment thread.
REPLY_MARKERS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(rx))
    for name, rx in (
        ("at_mention", r"^@[\w.’'-]+"),
        ("says_header", r"^[A-Z][\w.’'-]*(?:\s+[A-Z][\w.’'-]*){0,3}\s+(?:says|said|wrote|writes|replied|commented)\s*:"),
        ("name_colon", r"^[A-Z][\w.’'-]*(?:\s+[A-Z][\w.’'-]*){0,2}\s*:\s+\S"),
        ("reply_word", r"^(?:Reply|Report|Like|Quote|Permalink)(?:\s*[|·•]\s*\w+)*\s*$"),
        ("comment_count", r"^\d+\s+(?:comments?|responses?|replies|thoughts)\b"),
    )
)
FIRST_SECOND_PERSON = frozenset(["i", "i'm", "i’m", "i've", "i’ve", "me", "my", "mine", "you", "you're", "you’re", "your", "yours", "we", "we're", "our", "us", "lol", "imho", "imo", "btw"])
STOP_WORDS = {
    "en": frozenset(["the", "and", "of", "to", "in", "is", "that", "for", "on", "with", "as", "was", "it", "by", "at", "from", "are", "be", "this", "have", "has", "an", "not", "which"]),
    "de": frozenset(["der", "die", "und", "das", "ist", "nicht", "ein", "eine", "zu", "den", "von", "mit", "sich", "des", "auf", "für", "im", "dem"]),
    "fr": frozenset(["le", "la", "les", "et", "des", "est", "une", "un", "du", "que", "dans", "pour", "pas", "sur", "au", "qui", "avec", "ce"]),
    "es": frozenset(["el", "la", "de", "que", "y", "los", "las", "en", "un", "una", "por", "con", "para", "es", "del", "se", "al", "lo"]),
    "it": frozenset(["il", "di", "che", "e", "la", "per", "un", "una", "non", "sono", "del", "della", "le", "con", "gli", "nel", "si"]),
    "nl": frozenset(["de", "het", "een", "en", "van", "is", "dat", "op", "te", "in", "voor", "niet", "met", "zijn", "aan", "er"]),
    "pt": frozenset(["o", "a", "de", "que", "e", "os", "as", "um", "uma", "do", "da", "em", "para", "com", "não", "por", "se", "no", "na"]),
}


def words_of(text: str) -> list[str]:
    return WORD_RE.findall(text)


def url_density(text: str) -> float:
    if "http" not in text and "www." not in text:
        return 0.0
    return sum(len(m) for m in URL_RE.findall(text)) / max(1, len(text))


LONG_CHROME_RE = re.compile(
    r"\b(we use cookies|this (web)?site uses cookies|use of cookies|cookie (policy|settings|preferences)|accept (all )?cookies|"
    r"your email address will not be published|all rights reserved|subscribe to our newsletter)\b",
    re.I,
)


def chrome_reason(text: str, n_words: int | None = None) -> str | None:
    """Name of the page-chrome pattern a short block matches, or None.

    Long blocks (cookie banners, comment-form notes) match only the unambiguous phrases.
    `n_words` (the block's word count) saves a tokenisation when the text has no URL.
    """
    has_url = "http" in text or "www." in text
    stripped = URL_RE.sub("", text).strip() if has_url else text.strip()
    if n_words is None or has_url:
        n_words = len(words_of(stripped))
    if n_words > 12:
        if n_words <= 40 and (m := LONG_CHROME_RE.search(stripped)):
            return "cookie" if "cookie" in m.group(0).lower() else "notice"
        return None
    for name, rx in CHROME_PATTERNS:
        if rx.search(stripped):
            return name
    return None


def commerce_score(text: str, lw: list[str] | None = None) -> int:
    ws = lw if lw is not None else words_of(text.lower())
    return sum(w in COMMERCE_WORDS for w in ws) + 2 * len(PRICE_RE.findall(text))


def reply_marker(text: str) -> str | None:
    for name, rx in REPLY_MARKERS:
        if rx.search(text):
            if name == "name_colon" and len(words_of(text.split(":", 1)[0])) > 3:
                continue
            return name
    return None


def person_score(text: str, lw: list[str] | None = None) -> float:
    """Share of first/second-person words: high in comments, low in news prose."""
    ws = lw if lw is not None else words_of(text.lower())
    return sum(w in FIRST_SECOND_PERSON for w in ws) / max(1, len(ws))


def guess_language(text: str) -> str | None:
    ws = words_of(text[:5000].lower())
    if len(ws) < 20:
        return None
    counts = Counter(ws)
    scores = {lang: sum(counts[w] for w in sw) / len(ws) for lang, sw in STOP_WORDS.items()}
    lang, best = max(scores.items(), key=lambda kv: kv[1])
    return lang if best >= 0.08 else None


def is_sentence_like(text: str, min_words: int, n_words: int | None = None) -> bool:
    n = len(words_of(text)) if n_words is None else n_words
    return n >= min_words and text.rstrip().endswith(TERMINAL)


def block_fingerprint(text: str) -> str:
    return xxhash.xxh64_hexdigest(" ".join(normalise_words(text)).encode())


# --- repeated blocks inside one document --------------------------------------------------------


def find_repeats(
    texts: Sequence[str], jaccard: float = 0.85, min_words: int = 6, word_lists: Sequence[list[str]] | None = None
) -> dict[int, int]:
    """index -> index of the earlier block it repeats (same normalised text, or word-set Jaccard >= `jaccard`).

    Labels repeated paragraphs `duplicate` (seed 001 repeats its article).
    `word_lists` (lower-cased words per text) saves re-tokenising when the caller has them.
    """
    out: dict[int, int] = {}
    exact: dict[str, int] = {}
    sets: list[tuple[int, frozenset[str]]] = []
    for i, t in enumerate(texts):
        ws = word_lists[i] if word_lists is not None else normalise_words(t)
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


# --- paragraph repair --------------------------------------------------------------------------

ORDINAL_TAIL_RE = re.compile(r"^\d+(?:st|nd|rd|th|\d)*\b")


def _should_join(prev: str, nxt: str) -> str | None:
    """How to rejoin a paragraph broken across blocks: "" (mid-word), " " (mid-sentence) or None."""
    p = prev.rstrip()
    n = nxt.lstrip()
    if not p or not n or len(p.split()) < 5 or p.endswith(TERMINAL) or URL_RE.search(p[-40:]):
        return None
    last = p.split()[-1]
    if last.isdigit() and len(last) <= 2 and ORDINAL_TAIL_RE.match(n) and not n.split()[0].isdigit():
        return ""  # "a 1" + "4th Five-Year Plan" -> "a 14th Five-Year Plan"
    if p.endswith("-") and p[-2:-1].isalpha() and n[:1].isalpha():
        return ""  # hyphenated word broken at the line end
    if n[:1].islower() and len(p.split()) >= 6:
        return " "
    return None


def split_blocks(text: str) -> list[_Block]:
    """Non-empty lines, stripped, with paragraphs broken mid-sentence or mid-word rejoined."""
    blocks: list[_Block] = []
    for line in text.splitlines():
        s = " ".join(line.split())  # folds runs of spaces, tabs and non-breaking spaces
        if not s:
            continue
        if blocks and (sep := _should_join(blocks[-1].text, s)) is not None:
            blocks[-1].text = blocks[-1].text + sep + s
            blocks[-1].reason = "rejoined_break"
            continue
        blocks.append(_Block(s, reason=""))
    for b in blocks:
        b.lw = words_of(b.text.lower())
        b.words = len(b.lw)
    return blocks


# --- the block cleaner -------------------------------------------------------------------------


def _title_candidate(b: _Block) -> bool:
    t = b.text
    return 2 <= b.words <= 30 and not t.endswith((".", "…", "...", ":", ",", ";")) and url_density(t) == 0


def _overlap(lw: list[str], body_words: set[str]) -> float:
    ws = {w for w in lw if len(w) > 3}
    return len(ws & body_words) / max(1, len(ws))


def label_blocks(
    blocks: list[_Block],
    cfg: CleanConfig,
    site_fingerprints: frozenset[str] = frozenset(),
    find_title: bool = True,
) -> TextResult:
    """Label every block of one document. Pure: same blocks and config, same labels."""
    res = TextResult(blocks=blocks)
    n = len(blocks)
    if not n:
        return res
    # 1. Block-level features.
    for b in blocks:
        t = b.text
        if url_density(t) > cfg.url_density_max:
            b.label, b.reason = "boilerplate", "url_density"
        elif (name := chrome_reason(t, b.words)) is not None:
            b.label, b.reason = "boilerplate", f"chrome_{name}"
        elif (m := BYLINE_RE.match(t)) and b.words <= 10:
            b.label, b.reason = "metadata", "byline"
            res.author = res.author or m.group(1).strip()
        elif dm := DATE_LINE_RE.match(t):
            b.label, b.reason = "metadata", "date_line"
            if dm.group("author"):
                res.author = res.author or dm.group("author")
            if res.published is None:
                from tasks.dates import parse_absolute_date

                res.published = parse_absolute_date(t)
        elif (cs := commerce_score(t, b.lw)) >= 3 or (cs >= 2 and PRICE_RE.search(t)):
            b.label, b.reason = "boilerplate", "promotion"
        elif site_fingerprints and b.words <= 40 and block_fingerprint(t) in site_fingerprints:
            b.label, b.reason = "boilerplate", "site_boilerplate"
    # A quoted blurb next to a promotion is part of it ("Not simply about one mission..." --Review).
    for i, b in enumerate(blocks):
        if not b.label and BLURB_RE.match(b.text):
            near = [blocks[j] for j in (i - 1, i + 1) if 0 <= j < n]
            if any(x.reason == "promotion" for x in near):
                b.label, b.reason = "boilerplate", "promotion_blurb"
    # Link lists under a "Related" / "Read more" heading: title-like lines up to the next sentence.
    for i, b in enumerate(blocks):
        if b.reason == "chrome_related":
            for nb in blocks[i + 1 :]:
                if nb.label or nb.words > 16 or nb.text.endswith((".", "!", "?", '"', "”")):
                    break
                nb.label, nb.reason = "boilerplate", "related_list"
    # A site line right after the byline ("By Doug Messier" / "Parabolic Arc").
    for i, b in enumerate(blocks[:-1]):
        nb = blocks[i + 1]
        if b.reason == "byline" and not nb.label and 1 <= nb.words <= 5 and not nb.text.endswith(TERMINAL):
            nb.label, nb.reason = "metadata", "site_line"
            res.site_name = nb.text
    # 2. Repeats inside the document: a block that repeats an earlier one takes its side.
    repeats = find_repeats([b.text for b in blocks], cfg.near_repeat_jaccard, word_lists=[b.lw for b in blocks])
    # 3. Body start: the first unlabelled sentence-like block.
    body_start = next(
        (i for i, b in enumerate(blocks) if not b.label and i not in repeats and is_sentence_like(b.text, cfg.min_content_words, b.words)),
        None,
    )
    if body_start is None:
        body_start = next((i for i, b in enumerate(blocks) if not b.label and b.words >= cfg.min_content_words), n)
    body_words = {w for b in blocks[body_start : body_start + 8] for w in b.lw if len(w) > 3}
    # 4. Header zone: title and chrome.
    header = [i for i in range(body_start) if not blocks[i].label]
    if find_title:
        cands = [i for i in header if _title_candidate(blocks[i])]
        if cands:
            best = max(cands, key=lambda i: (_overlap(blocks[i].lw, body_words), i))
            blocks[best].label, blocks[best].reason = "title", "header_title"
            res.title = blocks[best].text
    for i in header:
        if not blocks[i].label:
            blocks[i].label, blocks[i].reason = "boilerplate", "header_chrome"
    # 5. Comment thread start.
    comment_start = _comment_start(blocks, body_start, repeats)
    # 6. Body labels.
    for i in range(body_start, n):
        b = blocks[i]
        if i in repeats:
            orig = blocks[repeats[i]]
            if orig.label in ("content", "title") and (comment_start is None or i < comment_start):
                b.label, b.reason = "duplicate", f"repeats_block_{repeats[i]}"
                continue
            if orig.label == "boilerplate" and not b.label:
                b.label, b.reason = "boilerplate", f"repeats_boilerplate_{repeats[i]}"
                continue
        if comment_start is not None and i >= comment_start:
            if not b.label and reply_marker(b.text) in ("reply_word", "comment_count"):
                b.label, b.reason = "boilerplate", "comment_chrome"
            elif b.label != "boilerplate" or b.reason == "site_boilerplate":
                b.label, b.reason = "comment", b.reason if b.reason.startswith("reply_") else "after_comment_start"
            continue
        if not b.label:
            b.label, b.reason = "content", b.reason or ("paragraph" if b.words >= cfg.min_content_words else "short_in_body")
    # 7. Trailing chrome: short unpunctuated blocks after the last long content block.
    last_long = max((i for i, b in enumerate(blocks) if b.label == "content" and b.words >= cfg.min_content_words), default=-1)
    for b in blocks[last_long + 1 :]:
        if b.label == "content" and b.words < cfg.min_content_words and not b.text.endswith(TERMINAL):
            b.label, b.reason = "boilerplate", "trailing_chrome"
    return res


def _comment_start(blocks: list[_Block], body_start: int, repeats: Mapping[int, int]) -> int | None:
    """Index of the first block of the reader-comment thread, or None when the page has none.

    A thread needs evidence: a comment heading ("12 comments", "Leave a reply" followed by text) or reply
    markers (@name, "X says:", "Name: ...") after the article. The thread starts right after the last
    separator (boilerplate, promotion or a repeat of the article) that precedes the first marker; with no
    separator, at the earliest block of the comment-shaped run (first/second person) before the marker.
    """
    n = len(blocks)
    markers = [i for i in range(body_start + 1, n) if not blocks[i].label and reply_marker(blocks[i].text)]
    headings = [
        i
        for i in range(body_start + 1, n - 1)
        if (blocks[i].reason == "chrome_comments_prompt" or (not blocks[i].label and reply_marker(blocks[i].text) == "comment_count"))
        and any(not blocks[j].label for j in range(i + 1, n))
    ]
    if headings and (not markers or headings[0] <= markers[0]):
        h = headings[0]
        if not any(blocks[j].words >= 5 and not blocks[j].label for j in range(h + 1, n)):
            return None
        blocks[h].label, blocks[h].reason = "boilerplate", blocks[h].reason or "comments_heading"
        return h + 1
    if not markers:
        return None
    strong = [i for i in markers if reply_marker(blocks[i].text) in ("at_mention", "says_header", "comment_count")]
    if not strong and len(markers) < 2:
        return None
    first = markers[0]
    # The last separator before the first marker.
    sep = max(
        (i for i in range(body_start, first) if blocks[i].label == "boilerplate" or i in repeats),
        default=None,
    )
    if sep is not None:
        start = sep + 1
        # Separators inside a long article (an ad between paragraphs) must not cut the article:
        # require the run between separator and marker to look like comments or be short.
        run = blocks[start:first]
        if len(run) <= 4 or sum(person_score(b.text, b.lw) > 0.02 for b in run) >= len(run) / 2:
            return start
    start = first
    while start - 1 > body_start and not blocks[start - 1].label and person_score(blocks[start - 1].text, blocks[start - 1].lw) > 0.03:
        start -= 1
    return start


def clean_text_dump(
    text: str, cfg: CleanConfig, site_fingerprints: frozenset[str] = frozenset(), known_title: str | None = None
) -> TextResult:
    """Plain-text dump -> labelled blocks and metadata (no Prefect, no disk)."""
    blocks = split_blocks(text)
    res = label_blocks(blocks, cfg, site_fingerprints, find_title=True)
    if known_title and res.title is None:
        norm = " ".join(normalise_words(known_title))
        for b in blocks:
            if b.label == "content" and " ".join(normalise_words(b.text)) == norm:
                b.label, b.reason = "title", "known_title"
                break
        res.title = known_title.strip()
    return res


# --- HTML --------------------------------------------------------------------------------------

COMMENT_CONTAINER_RE = re.compile(r"(^|[\s_-])(comments?|commentlist|comment-list|disqus|respond|replies|discussion)([\s_-]|$)", re.I)
COMMENT_BODY_XPATH = " | ".join(
    f".//*[contains(concat(' ', normalize-space(@class), ' '), '{c}')]"
    for c in ("comment-content", "comment-body", "comment-text", "comment__content", "comment__body", "comment_text", "reply-content", "post-message")
) + " | .//*[@itemprop='text']"
COMMENT_ITEM_RE = re.compile(r"(^|[\s_-])(comment|reply)($|[\s_-])", re.I)
_XML_DECL_RE = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)


def _text_of(el) -> str:
    return " ".join(el.text_content().split())


def parse_html(html: str):
    """lxml tree of a page (parsed once, shared by metadata, comments and trafilatura); None if empty."""
    import lxml.html
    from lxml import etree

    html = _XML_DECL_RE.sub("", html, count=1)  # lxml refuses str input with an encoding declaration
    if not html.strip():
        return None
    try:
        return lxml.html.fromstring(html)
    except (etree.ParserError, ValueError):
        return None


def _html_comments(tree) -> list[str]:
    """Text of comment containers (#comments, .comment-list, Disqus threads): one block per comment.

    Inside a container, comment bodies (`.comment-content`, `.comment-body`, `[itemprop=text]`, ...) are
    taken first; else each comment item (`li.comment`, `div.reply`) minus nothing; else the container's
    paragraphs. Headings ("3 Comments") and form text are left out.
    """
    containers = [
        el
        for el in tree.xpath("//*[@id or @class]")
        if el.tag not in ("html", "body", "head", "script", "style", "form", "textarea", "input", "button")
        and (COMMENT_CONTAINER_RE.search(el.get("id") or "") or COMMENT_CONTAINER_RE.search(el.get("class") or ""))
    ]
    chosen = set(containers)
    out: list[str] = []
    for el in containers:
        if any(p in chosen for p in el.iterancestors()):
            continue
        bodies = el.xpath(COMMENT_BODY_XPATH)
        if not bodies:
            items = [i for i in el.iter("li", "article", "div") if i is not el and COMMENT_ITEM_RE.search(i.get("class") or "")]
            item_set = set(items)
            items = [i for i in items if not any(p in item_set for p in i.iterancestors())]
            bodies = [p for i in items for p in (i.findall(".//p") or [i])]
        if not bodies:
            bodies = el.findall(".//p")
        body_set = set(bodies)
        for b in bodies:
            if any(p in body_set for p in b.iterancestors()):
                continue
            t = _text_of(b)
            if t and len(t.split()) >= 3 and not chrome_reason(t) and reply_marker(t) != "comment_count":
                out.append(t)
    return out


META_KEYS = {
    "article:published_time": "published",
    "og:published_time": "published",
    "datepublished": "published",
    "date": "published",
    "pubdate": "published",
    "dc.date": "published",
    "dc.date.issued": "published",
    "author": "author",
    "article:author": "author",
    "dc.creator": "author",
    "og:site_name": "site_name",
    "application-name": "site_name",
    "og:title": "title",
    "twitter:title": "title",
}


def html_metadata(tree) -> dict[str, str]:
    """<meta> metadata (published time, author, site name, title), <title>, <time datetime>, canonical URL."""
    found: dict[str, str] = {}
    for m in tree.iter("meta"):
        k = (m.get("property") or m.get("name") or m.get("itemprop") or "").strip().lower()
        v = (m.get("content") or "").strip()
        if k in META_KEYS and v and META_KEYS[k] not in found and not v.startswith("http"):
            found[META_KEYS[k]] = v
    if "title" not in found:
        t = tree.find(".//title")
        if t is not None and t.text_content().strip():
            found["title"] = " ".join(t.text_content().split())
    if "published" not in found:
        for t in tree.iter("time"):
            if t.get("datetime"):
                found["published"] = t.get("datetime")
                break
    for link in tree.iter("link"):
        if (link.get("rel") or "").lower() == "canonical" and link.get("href"):
            found["url"] = link.get("href")
            break
    return found


def _trafilatura(tree, cfg: CleanConfig, fast: bool):
    import trafilatura

    return trafilatura.bare_extraction(
        tree,
        fast=fast,
        favor_precision=cfg.html_favor_precision,
        include_comments=False,
        with_metadata=False,
        include_tables=True,
    )


NEVER_TEXT = ("script", "style", "noscript", "svg", "template", "iframe", "object", "embed", "canvas", "link", "button", "select", "input", "textarea")


def clean_html(html: str, cfg: CleanConfig, site_fingerprints: frozenset[str] = frozenset()) -> TextResult:
    """HTML page -> labelled blocks (article body), metadata and comments.

    One lxml parse: metadata and comment containers are read from the tree first, then the tree goes to
    trafilatura (`favor_precision`, comments and metadata off: ours are cheaper) for the main text,
    which then passes through the same block rules as plain-text dumps.
    """
    from lxml import etree

    tree = parse_html(html)
    if tree is None:
        return TextResult(blocks=[])
    meta = html_metadata(tree)
    comments = _html_comments(tree)
    # Elements that never hold article text go in one C-level pass before trafilatura.
    etree.strip_elements(tree, *NEVER_TEXT, with_tail=False)
    para_chars = sum(len(_text_of(p)) for p in tree.iter("p"))
    doc = _trafilatura(tree, cfg, fast=True)
    text = (doc.text if doc is not None else "") or ""
    # trafilatura's fallback extractors (readability, jusText) cost ~2x its main pass and matter on
    # pages where the main pass finds little: run them only then, like its own comparison step.
    if len(text) < cfg.html_fallback_min_chars or len(text) < cfg.html_fallback_min_share * para_chars:
        retry = parse_html(html)
        if retry is not None:
            etree.strip_elements(retry, *NEVER_TEXT, with_tail=False)
            full = _trafilatura(retry, cfg, fast=False)
            if full is not None and len(full.text or "") > len(text):
                doc = full
    body = (doc.text if doc is not None and doc.text else "") or ""
    blocks = split_blocks(body)
    res = label_blocks(blocks, cfg, site_fingerprints, find_title=False)
    title = meta.get("title")
    site = meta.get("site_name")
    if title:
        # "Article title | Site name" in <title>: keep the article part.
        if site and title.endswith(site) and len(title) > len(site):
            title = re.sub(r"\s*[|–—:-]\s*$", "", title[: -len(site)]).strip() or title
        else:
            title = re.split(r"\s+[|–—]\s+", title)[0].strip() or title
        first = next((b for b in blocks if b.label in ("content", "boilerplate")), None)
        if first is not None and normalise_words(first.text) == normalise_words(title):
            first.label, first.reason = "title", "html_heading"
    res.title = title or None
    res.author = meta.get("author") or res.author
    res.site_name = site or res.site_name
    if meta.get("published"):
        from tasks.dates import parse_published

        res.published = parse_published(meta["published"])
    article = {" ".join(normalise_words(b.text)) for b in blocks if b.label == "content"}
    res.extra_comments = [c for c in comments if " ".join(normalise_words(c)) not in article]
    comment_keys = {" ".join(normalise_words(c)) for c in res.extra_comments}
    for b in blocks:
        if b.label == "content" and " ".join(normalise_words(b.text)) in comment_keys:
            b.label, b.reason = "comment", "html_comment_container"
    return res


def html_to_text(html: str) -> str:
    """Article text only (no comments, no boilerplate) of one HTML page: the public extraction API."""
    res = clean_html(html, CleanConfig())
    return "\n\n".join(b.text for b in res.blocks if b.label in ("title", "content"))


# --- record and batch functions ----------------------------------------------------------------


_TAG_RE = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9:-]*)[^>]*?(/?)>")
VOID_TAGS = frozenset("area base br col embed hr img input link meta param source track wbr p li td tr th option dt dd".split())
_HUGE_ATTR_RE_CACHE: dict[int, re.Pattern[str]] = {}


def html_pathology(html: str, cfg: CleanConfig) -> str | None:
    """Why a page would stall or defeat the parser, or None: nesting deeper than `max_html_depth`
    (libxml2 silently cuts trees at 256 levels) or an attribute longer than `max_attribute_chars`."""
    rx = _HUGE_ATTR_RE_CACHE.setdefault(cfg.max_attribute_chars, re.compile(r"=\s*([\"'])[^\"']{" + str(cfg.max_attribute_chars) + "}"))
    if rx.search(html):
        return f"an attribute longer than {cfg.max_attribute_chars} characters"
    depth = 0
    for m in _TAG_RE.finditer(html):
        closing, tag, selfclosing = m.group(1), m.group(2).lower(), m.group(3)
        if tag in VOID_TAGS or selfclosing:
            continue
        depth = max(0, depth - 1) if closing else depth + 1
        if depth > cfg.max_html_depth:
            return f"elements nested deeper than {cfg.max_html_depth} levels"
    return None


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

"""HTML pages -> article text, reader comments and page metadata.

In:  the HTML of one page (str) and a CleanConfig.
Out: a `blocks.TextResult` (the article's blocks, labelled by the block rules; comments found in
     comment containers; title, author, site name, publication date, language from the page's metadata,
     read by `tasks.metadata`), and
     `html_pathology`: why a page would defeat the parser, for quarantine.
"""

from __future__ import annotations

import re

from tasks.blocks import TextResult, chrome_reason, label_blocks, reply_marker, split_blocks
from tasks.config import CleanConfig
from tasks.metadata import html_metadata
from tasks.records import normalise_words

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
    title = meta.get("title")  # already without " | Site name" (tasks.metadata.split_title)
    site = meta.get("site_name")
    if title:
        first = next((b for b in blocks if b.label in ("content", "boilerplate")), None)
        if first is not None and normalise_words(first.text) == normalise_words(title):
            first.label, first.reason = "title", "html_heading"
    res.title = title or None
    res.author = meta.get("author") or res.author
    res.site_name = site or res.site_name
    res.language = meta.get("language")
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

"""HTML pages -> article text, reader comments and page metadata.

In:  the HTML of one page (str) and a CleanConfig.
Out: a `blocks.TextResult`: the article's blocks (trafilatura's main text, then the HTML block rules
     of `cfg.html_block_rules`), the reader comments found in comment containers (kept apart, never
     in the article), title, author, site name, publication date from the page's metadata.

How (one lxml parse shared by every step):
1. metadata from <meta>/<title>/<time>;
2. elements that never hold text (script, style, forms' widgets, ...) go in one C-level pass;
3. comment containers (generic markup: `#comments`, `.commentlist`, Disqus, Livefyre, Blogger,
   WordPress, `.comment-body` ...) are cut out of the tree, their text lines become the comments;
4. trafilatura's main-text extraction (settings from CleanConfig) on what is left;
5. the HTML block rules (measured one by one on the labelled sets: bench/RESULTS.md) label blocks.
Every removed block stays a labelled block (for `segments`).
"""

from __future__ import annotations

import contextvars
import re
from dataclasses import dataclass

from tasks.blocks import (
    BYLINE_RE,
    DATE_LINE_RE,
    TERMINAL,
    TextResult,
    _Block,
    chrome_reason,
    find_repeats,
    reply_marker,
    url_density,
    words_of,
)
from tasks.config import CleanConfig
from tasks.metadata import html_metadata
from tasks.records import normalise_words

# --- parsing -----------------------------------------------------------------------------------

_XML_DECL_RE = re.compile(r"^\s*<\?xml[^>]*\?>", re.I)
_PARSER = None


def _parser():
    """lxml's HTML parser as trafilatura configures it (no HTML comments or PIs), plus huge_tree:
    libxml2 otherwise cuts a tree silently at 256 levels and the rest of the page is lost."""
    global _PARSER
    if _PARSER is None:
        import lxml.html

        _PARSER = lxml.html.HTMLParser(
            huge_tree=True, remove_comments=True, remove_pis=True, collect_ids=False, default_doctype=False
        )
    return _PARSER


_INVALID_XML_CHARS_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_HTML_END_RE = re.compile(r"</html\s*>", re.I)
_DOC_END_TAGS_RE = re.compile(r"</(?:html|body)\s*>", re.I)
_TITLE_OPEN_RE = re.compile(r"<title\b[^>]*>", re.I)
_TITLE_CLOSE_RE = re.compile(r"</title\s*>", re.I)
_TITLE_END_RE = re.compile(r"[<\n]")


def repair_html(html: str) -> str:
    """Control characters that XML does not allow are removed, as trafilatura does before parsing
    (libxml2 turns them into U+FFFD, and trafilatura then extracted nothing from one dragnet-dev
    article holding a single BEL character). Then two breakages that make libxml2 lose a page's
    whole text where a browser shows it:
    - markup after `</html>` (a second document appended, late scripts and articles of 2008-era CMSs):
      libxml2 2.14 drops everything after `</html>`, browsers put it in the body. The `</body>` and
      `</html>` end tags are taken out, so the rest stays in the tree;
    - a `<title>` never closed (a truncated head): its RCDATA runs to the end of the page and the
      tree has no body. The title is closed at its first line break or tag.
    (14 and 7 of google-news's 621 pages; one readability page has an article after `</html>`.)"""
    html = _INVALID_XML_CHARS_RE.sub("", html)
    m = _HTML_END_RE.search(html)
    if m is not None and "<" in html[m.end() :]:
        html = _DOC_END_TAGS_RE.sub("", html)
    t = _TITLE_OPEN_RE.search(html)
    if t is not None and _TITLE_CLOSE_RE.search(html, t.end()) is None:
        e = _TITLE_END_RE.search(html, t.end())
        if e is not None:
            html = f"{html[: e.start()]}</title>{html[e.start() :]}"
    return html


def parse_html(html: str):
    """lxml tree of a page (parsed once, shared by metadata, comments and trafilatura); None if empty."""
    import lxml.html
    from lxml import etree

    html = _XML_DECL_RE.sub("", html, count=1)  # lxml refuses str input with an encoding declaration
    if not html.strip():
        return None
    html = repair_html(html)
    try:
        return lxml.html.fromstring(html, parser=_parser())
    except (etree.ParserError, ValueError):
        return None


def _text_of(el) -> str:
    return " ".join(el.text_content().split())


BLOCK_TAGS = frozenset(
    "address article aside blockquote br dd details dialog div dl dt fieldset figcaption figure footer form "
    "h1 h2 h3 h4 h5 h6 header hr li main nav ol p pre section summary table tbody td tfoot th thead tr ul".split()
)


def block_lines(el) -> list[str]:
    """Visible text of an element, one line per block-level element (whitespace folded)."""
    from lxml import etree

    parts: list[str] = []
    for event, e in etree.iterwalk(el, events=("start", "end")):
        tag = e.tag if isinstance(e.tag, str) else ""
        if event == "start":
            if tag in BLOCK_TAGS:
                parts.append("\n")
            if e.text and tag:
                parts.append(e.text)
        else:
            if tag in BLOCK_TAGS:
                parts.append("\n")
            if e is not el and e.tail:
                parts.append(e.tail)
    return [s for line in "".join(parts).split("\n") if (s := " ".join(line.split()))]


# --- reader comments ----------------------------------------------------------------------------

# A comment container names itself in its id or class: WordPress (#comments, .commentlist,
# .comment-body), Blogger (#comments, .comment-holder), Disqus (#disqus_thread), Livefyre, Echo,
# IntenseDebate (#idc-container), Jomcomment (#jc_commentsDiv) and most CMS themes; in other
# languages' themes: komment- (German, Scandinavian, Finnish, Hungarian: "kommentare", "kommentti"),
# koment- (Czech, Slovak, Polish, Indonesian, Croatian: "komentare", "komentarze"), comentari- (Spanish,
# Portuguese, Catalan: "comentarios"), reactie (Dutch), yorum (Turkish); French "commentaires" and
# Italian "commenti" already contain "comment". "yoursay"/"your-say": British news sites' threads.
# The names are matched lower-cased, without re.I (6x slower on these alternations: it was most of
# the time spent finding regions).
COMMENT_REGION_RE = re.compile(
    r"comment|komment|koment|comentari|reactie|yorum|disqus|livefyre|discussion|talkback|yoursay|your-?say|"
    r"idc-container|echo-stream|reactions"
)
# schema.org markup of a comment (microdata): itemtype .../Comment or .../UserComments, itemprop "comment".
SCHEMA_COMMENT_RE = re.compile(r"schema\.org/(?:comment|usercomments)\b|(?:^|\s)comments?(?:\s|$)")
# ... but not the reply form, a counter, a link or a button that merely mentions comments, nor a
# sidebar widget of recent comments on other posts.
NOT_REGION_RE = re.compile(
    r"form|respond|count|cnt|num|button|btn|link|rss|feed|closed|policy|rules|guideline|reasons|login|subscribe|share|icon|"
    r"no-?comments?\b|recent|widget|sidebar|popular|latest|most|module|add-?comment|post-?comment(?!s)|new-?comment|leave|write|"
    r"verify|preview|license|status|sort|paginat|paging|nav",
)
# Inside a region: the parts that are chrome of the thread (forms, reply links, sorting, paging, votes).
REGION_CHROME_RE = re.compile(
    r"form|respond|reply-?link|\breply\b|sort|paginat|paging|nav|subscribe|share|rss|feed|login|button|btn|toolbar|"
    r"actions|vote|rating|report|flag|avatar|item-control|delete|\bedit\b",
)
REGION_CHROME_MAX_CHARS = 80
FORM_MAX_CHARS = 300  # a form field's label and note; a block around a field with more text may hold comments
REGION_TAGS = frozenset("div section ol ul dl aside article li table tbody td footer p blockquote".split())


def comment_regions(tree) -> list:
    """Top-most comment containers of a page (elements named as comments by their id or class).

    A candidate that holds the page's headline (<h1>) or an `articleBody`, or is the `articleBody`, is a
    page wrapper whose class merely mentions comments ("post has-comments"): never a comment region.
    An element marked up as a schema.org Comment is a region whatever its class says.
    """
    micro = tree.xpath("//*[@itemprop or @itemtype]")  # one pass over the tree for both uses
    bodies = [e for e in micro if e.get("itemprop") == "articleBody"]
    wrappers = {a for h in [*tree.iter("h1"), *bodies] for a in h.iterancestors()} | set(bodies)
    schema = {
        e for e in micro if SCHEMA_COMMENT_RE.search(f"{e.get('itemtype') or ''} {e.get('itemprop') or ''}".lower())
    }  # a comment by its microdata, whatever its class says
    found = []
    for el in tree.iter(*REGION_TAGS):
        if el in wrappers or el in schema:
            continue
        names = f"{el.get('id') or ''} {el.get('class') or ''}".lower()
        if len(names) < 4 or not COMMENT_REGION_RE.search(names) or NOT_REGION_RE.search(names):
            continue
        found.append(el)
    if schema:
        found.extend(e for e in schema if e not in wrappers and e.tag in REGION_TAGS)
        order = {e: i for i, e in enumerate(tree.iter(*REGION_TAGS))}
        found.sort(key=order.__getitem__)
    chosen = set(found)
    top = [el for el in found if not any(p in chosen for p in el.iterancestors())]
    return top + anchored_threads(tree, set(top), wrappers)


ANCHOR_MIN_CHARS_BEFORE = 500  # an anchored thread follows the article: this much page text before it
ANCHOR_MAX_CLIMB = 4  # wrappers of the anchor (heading, cell, row) climbed to find what follows it


def anchored_threads(tree, regions: set, wrappers: set) -> list:
    """Comment threads that no container names, only an anchor (`<a name="comments">`, also inside a
    heading: `<h2><a id="comments"></a>Comments</h2>`) followed by the comments as bare siblings (2008
    news sites, blogs). What follows the anchor in its parent is wrapped in a new <div> and returned
    as a region. Not when that holds the headline or an `articleBody`, nor when less than
    `ANCHOR_MIN_CHARS_BEFORE` characters of text come before the anchor (a "jump to comments" anchor
    at the top of a page)."""
    found = []
    for a in tree.xpath("//a[not(@href)][@name or @id]"):
        names = f"{a.get('name') or ''} {a.get('id') or ''}".lower()
        if not COMMENT_REGION_RE.search(names) or NOT_REGION_RE.search(names):
            continue
        if any(p in regions for p in a.iterancestors()):
            continue
        start = a
        parent = a.getparent()
        for _ in range(ANCHOR_MAX_CLIMB):
            # The heading that holds the anchor leads the thread; so does a table cell or row that holds
            # only the anchor and a heading's worth of text ("What you think..." in a 2008 table layout):
            # the thread is what follows that wrapper.
            if parent is None or parent.getparent() is None or parent.tag in ("body", "html"):
                break
            heading = parent.tag in ("h2", "h3", "h4", "h5", "h6", "p", "div") and len(parent) == 1
            if not heading and (start.getnext() is not None or len(parent.text_content()) > REGION_CHROME_MAX_CHARS):
                break
            start, parent = parent, parent.getparent()
            if heading and start.getnext() is not None:
                break
        if parent is None or parent.tag == "html":
            continue
        after = list(start.itersiblings())
        if not after or any(e in wrappers or e.tag == "h1" for e in after):
            continue
        if sum(len(t.strip()) for t in a.xpath("preceding::text()")) < ANCHOR_MIN_CHARS_BEFORE:
            continue
        div = start.makeelement("div", {})  # an lxml.html element, like the rest of the tree
        if start is a:
            div.text, a.tail = a.tail, None
        start.addnext(div)
        for e in after:
            div.append(e)  # moves the element with its tail
        found.append(div)
        regions.add(div)
    return found


HIDDEN_STYLE_RE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden")
# hidden, hiddenBox, is-hidden, comment-hidden; not Bootstrap's hidden-xs/-sm/-md/-lg (hidden on one screen size)
HIDDEN_CLASS_RE = re.compile(r"(?:^|[\s_-])hidden(?!-(?:xs|sm|md|lg|xl|print)\b)")


FORM_STATE_RE = re.compile(r"preview|error|status|confirm|success|notice|alert|moderat|captcha|verif|pending")


def hidden(el) -> bool:
    """Whether an element is hidden from the reader when the page loads."""
    if el.get("hidden") is not None:
        return True
    style, cls = el.get("style"), el.get("class")
    return bool(style and HIDDEN_STYLE_RE.search(style.lower())) or bool(cls and HIDDEN_CLASS_RE.search(cls.lower()))


def comment_lines(region) -> list[str]:
    """Text lines of one comment region, minus its chrome: forms, reply links, sorting, paging and vote
    widgets inside it, headings ("3 Responses to ..."), Reply/Report lines, comment counts, login and
    share prompts, the comment form's notes."""
    # The posting form's hidden state boxes, shown by a script after a post (a comment preview, "Your
    # comment could not be posted", the captcha's notes): hidden elements that hold a form widget or are
    # named as such a box. Not every hidden element: collapsed replies and a comment's full text behind
    # "read more" are hidden too, and readers' comments (12 pages lost recall when all were dropped).
    for el in list(region.iter("div", "p", "span", "form", "section", "ul")):
        if el is region or el.getparent() is None or not hidden(el):
            continue
        names = f"{el.get('id') or ''} {el.get('class') or ''}".lower()
        if FORM_STATE_RE.search(names) or next(el.iter(*FORM_WIDGETS, "form"), None) is not None:
            el.drop_tree()
    region_chars = len(region.text_content())
    # The reply form where it is not a <form>: labels, and the short block around each text field.
    for w in list(region.iter("textarea", "input", "select", "label")):
        if w.getparent() is None or (w.tag == "input" and (w.get("type") or "text").lower() not in ("text", "email", "url")):
            continue
        top = w
        for a in w.iterancestors():
            if a is region or len(a.text_content()) > FORM_MAX_CHARS:
                break
            top = a
        if top.getparent() is not None:
            top.drop_tree()
    for el in list(region.iter("form", "h1", "h2", "h3", "h4", "h5", "h6", "div", "span", "ul", "p", "a", "li", "nav")):
        if el is region or el.getparent() is None:
            continue
        names = f"{el.get('id') or ''} {el.get('class') or ''}".lower()
        chars = len(el.text_content())
        # Length guards: a badly closed <h2> or an ASP.NET page-wide <form> can hold the whole thread,
        # and a comment's own class may say "comment-has-avatar".
        form = el.tag == "form" and chars < 0.5 * region_chars
        heading = el.tag == "nav" or (el.tag[0] == "h" and el.tag[1:].isdigit())
        widget = len(names) > 3 and REGION_CHROME_RE.search(names) is not None
        if form or ((heading or widget) and chars <= REGION_CHROME_MAX_CHARS):
            el.drop_tree()
    out = []
    for line in block_lines(region):
        if reply_marker(line) in ("reply_word", "comment_count") or chrome_reason(line):
            continue
        out.append(line)
    return out


# --- trafilatura -------------------------------------------------------------------------------

NEVER_TEXT = ("script", "style", "noscript", "svg", "template", "iframe", "object", "embed", "canvas", "link")
FORM_WIDGETS = ("button", "select", "input", "textarea")  # never text either; they mark comment forms first


# --- skipping trafilatura's fallback where it cannot change the result ------------------------

# trafilatura 2.3.1 (`external.compare_extraction`, precision focus) replaces its main pass's text by
# readability's only when readability's text is more than twice as long, or when the main pass is empty
# or has no paragraph text or more tables than paragraphs; and runs jusText only when the main pass is
# shorter than `min_extracted_size` or holds "unclean" elements. Readability selects from the page's
# text, so its text is never longer than the whole page's: where the main pass's text is more than half
# the page's, with paragraphs, no tables dominating, nothing unclean and enough length, the comparison
# returns the main pass unchanged, and running readability (a copy of the tree, a prune, a summary:
# about a third of trafilatura's time on dragnet-dev) is skipped. The output is the same by
# construction; `tests/test_html_page.py` checks it on the fixtures.
_SURE_TRAFILATURA = "2.3.1"  # the version whose compare_extraction the reasoning above reads
_SURE_MARGIN_CHARS = 16  # whitespace readability's serialisation may add between the blocks it joins
_skip_active = contextvars.ContextVar("newslake_skip_sure_fallbacks", default=False)
_compare_installed = False


def sure_main_text(raw_tree, body, text: str, options) -> bool:
    """Whether trafilatura's `compare_extraction` would return the main pass (`body`, `text`) as it is."""
    from trafilatura.external import SANITIZED_XPATH

    n = len(text)
    if options.focus != "precision" or n < options.min_extracted_size or body.xpath(SANITIZED_XPATH):
        return False
    page_chars = len(" ".join(raw_tree.text_content().split()))
    if 2 * n < page_chars + _SURE_MARGIN_CHARS:
        return False  # readability might find more than twice as much
    if page_chars <= 2 * options.min_extracted_size:
        return True
    return bool(body.xpath(".//p//text()")) and len(body.findall(".//table")) <= len(body.findall(".//p"))


def _install_sure_skip() -> None:
    """Wrap trafilatura's compare_extraction once; the wrapper skips only inside `_trafilatura_text`
    (others in the process, e.g. the benches' trafilatura baseline, get the unchanged function), and
    only on the trafilatura version it was reasoned on."""
    global _compare_installed
    if _compare_installed:
        return
    _compare_installed = True
    import trafilatura
    import trafilatura.core as core

    if trafilatura.__version__ != _SURE_TRAFILATURA:
        return
    original = core.compare_extraction

    def compare_extraction(cleaned_tree, raw_tree, body, text, options):
        if _skip_active.get() and sure_main_text(raw_tree, body, text, options):
            return body, text
        return original(cleaned_tree, raw_tree, body, text, options)

    core.compare_extraction = compare_extraction


def _trafilatura_text(tree, cfg: CleanConfig, fast: bool) -> str:
    if cfg.html_skip_sure_fallbacks and not fast:
        _install_sure_skip()
        token = _skip_active.set(True)
        try:
            return _bare_text(tree, cfg, fast)
        finally:
            _skip_active.reset(token)
    return _bare_text(tree, cfg, fast)


def _bare_text(tree, cfg: CleanConfig, fast: bool) -> str:
    import trafilatura

    doc = trafilatura.bare_extraction(
        tree,
        fast=fast,
        favor_precision=cfg.html_focus == "precision",
        favor_recall=cfg.html_focus == "recall",
        include_comments=False,
        with_metadata=False,
        include_tables=cfg.html_include_tables,
    )
    return (doc.text if doc is not None else "") or ""


# --- HTML block rules --------------------------------------------------------------------------

HTML_BLOCK_RULES = (
    "url_density",  # a block mostly made of URLs is navigation
    "chrome",  # short page-chrome lines (share, login, related, copyright ...) — English phrases
    "byline",  # "By Name" lines are metadata
    "date_line",  # a line that is only a date is metadata
    "repeats",  # a block repeating an earlier one is a duplicate
    "header_chrome",  # short blocks before the first sentence are chrome
    "trailing_chrome",  # short unpunctuated blocks after the last long one are chrome
    "comment_match",  # a block equal to a comment-container line is a comment
    "title",  # the headline (<h1> / <title>) leads the article when trafilatura left it out
)


_BULLET_RE = re.compile(r"[-•·–—*]\s")
CHROME_NEIGHBOUR_WORDS = 4  # inside the body, a chrome line between two lines this long interrupts running text


def _standalone(text: str, n_words: int) -> bool:
    """A line that stands alone (a link, a button, a label), not a piece of running text: it starts with
    no lower-case letter and is not a sentence, nor an item of a bulleted list of more than three words
    ("- New signup/login call-to-action in the Pocket doorhanger": 3 of the 6 chrome lines that were
    article text on readability and dragnet-dev, no chrome line). Chrome phrases are only looked for
    in such lines ("... ensuring cookies aren't readable by third parties." is article text)."""
    if n_words > 3 and _BULLET_RE.match(text):
        return False
    return not text[:1].islower() and not (n_words > 3 and text.endswith((".", "!", "?", '"', "”", ":")))


def label_html_blocks(
    blocks: list[_Block], cfg: CleanConfig, rules: frozenset[str], comment_keys: set[str], title: str | None
) -> None:
    """Label trafilatura's blocks in place: `content` unless an enabled rule says otherwise. A line
    that the next one continues (it starts lower-case: running text broken by inline markup, "...
    determines if cookies for the other" + "domain are") is never chrome. Inside the body (between
    its first and last sentence-ending line of `min_content_words`), a chrome phrase is chrome only
    where it interrupts running text, both neighbours being lines of `CHROME_NEIGHBOUR_WORDS` or more
    ("Advertisement" between two paragraphs); among short lines it is part of a list or a menu that
    trafilatura kept as the article's ("Learn more", "Next", "Add-ons" on a product page)."""
    longs = [i for i, b in enumerate(blocks) if b.words >= cfg.min_content_words and b.text.endswith(TERMINAL)]
    lo, hi = (longs[0], longs[-1]) if longs else (len(blocks), -1)
    for i, b in enumerate(blocks):
        t = b.text
        continued = i + 1 < len(blocks) and blocks[i + 1].text[:1].islower()
        in_list = lo < i < hi and min(blocks[i - 1].words, blocks[i + 1].words) < CHROME_NEIGHBOUR_WORDS
        if "url_density" in rules and url_density(t) > cfg.url_density_max:
            b.label, b.reason = "boilerplate", "url_density"
        elif (
            "chrome" in rules
            and not continued
            and not in_list
            and _standalone(t, b.words)
            and (name := chrome_reason(t, b.words)) is not None
        ):
            b.label, b.reason = "boilerplate", f"chrome_{name}"
        elif "byline" in rules and BYLINE_RE.match(t) and b.words <= 10:
            b.label, b.reason = "metadata", "byline"
        elif "date_line" in rules and DATE_LINE_RE.match(t):
            b.label, b.reason = "metadata", "date_line"
        elif "comment_match" in rules and comment_keys and " ".join(normalise_words(t)) in comment_keys:
            b.label, b.reason = "comment", "html_comment_container"
    if "repeats" in rules:
        for i, j in find_repeats([b.text for b in blocks], cfg.near_repeat_jaccard, word_lists=[b.lw for b in blocks]).items():
            if not blocks[i].label and blocks[j].label in ("", "content", "title"):
                blocks[i].label, blocks[i].reason = "duplicate", f"repeats_block_{j}"
    first_long = next((i for i, b in enumerate(blocks) if not b.label and b.words >= cfg.min_content_words and b.text.endswith(TERMINAL)), None)
    norm_title = " ".join(normalise_words(title)) if title else ""
    for i, b in enumerate(blocks):
        if b.label:
            continue
        if norm_title and " ".join(normalise_words(b.text)) == norm_title and (first_long is None or i <= first_long):
            b.label, b.reason = "title", "html_heading"
        elif "header_chrome" in rules and first_long is not None and i < first_long and b.words < cfg.min_content_words:
            b.label, b.reason = "boilerplate", "header_chrome"
        else:
            b.label, b.reason = "content", "trafilatura"
    if "trailing_chrome" in rules:
        last_long = max((i for i, b in enumerate(blocks) if b.label == "content" and b.words >= cfg.min_content_words), default=-1)
        for b in blocks[last_long + 1 :]:
            if b.label == "content" and b.words < cfg.min_content_words and not b.text.endswith(TERMINAL):
                b.label, b.reason = "boilerplate", "trailing_chrome"


def _headline(tree, meta_title: str | None) -> str | None:
    """The article's headline: the <h1> that the <title>/og:title starts with, else the lone <h1>,
    else the <title> minus a trailing " | Site name"."""
    h1s = [t for h in tree.iter("h1") if (t := _text_of(h))]
    if meta_title:
        mt = " ".join(normalise_words(meta_title))
        for h in h1s:
            if mt.startswith(" ".join(normalise_words(h))):
                return h
    if len(h1s) == 1 and len(h1s[0].split()) >= 2:
        return h1s[0]
    return meta_title


@dataclass(slots=True)
class PageText:
    """What one HTML page yields before the block rules: trafilatura's main text, the comment lines
    cut out of the page, the headline and the <meta> metadata."""

    text: str
    comments: list[str]
    headline: str | None
    title: str | None
    meta: dict[str, str]


def read_page(html: str, cfg: CleanConfig, with_metadata: bool = True, with_comments: bool = True) -> PageText | None:
    """Parse once; metadata (`tasks.metadata`; without `with_metadata`, none); drop never-text
    elements; cut comment regions out (their text lines only `with_comments`, or when the
    `comment_match` rule needs them); trafilatura. Work the text APIs do not use is skipped (it was
    ~15% of the time on dragnet-dev, more than trafilatura spends on its own parse)."""
    from lxml import etree

    tree = parse_html(html)
    if tree is None:
        if not html.strip():
            return None
        text = _reparsed_text(html, cfg)  # lxml refused the page (a garbled XML declaration, say)
        return PageText(text, [], None, None, {}) if text.strip() else None
    meta = html_metadata(tree) if with_metadata else {}
    etree.strip_elements(tree, *NEVER_TEXT, with_tail=False)
    # Reader comments: cut out of the tree before trafilatura reads it, so none is left in the article.
    comments: list[str] = []
    if cfg.html_comment_regions:
        lines = with_comments or "comment_match" in cfg.html_block_rules
        for region in comment_regions(tree):
            if lines:
                comments.extend(comment_lines(region))
            region.drop_tree()
    etree.strip_elements(tree, *FORM_WIDGETS, with_tail=False)
    title = meta.get("title")  # already without " | Site name" (tasks.metadata.split_title)
    headline = _headline(tree, title) if with_metadata or "title" in cfg.html_block_rules else None
    big = len(html) > cfg.html_full_pass_max_chars
    text = _trafilatura_text(tree, cfg, fast=cfg.html_fast or big)
    if cfg.html_fast and not big and len(text) < cfg.html_fallback_min_chars:
        # trafilatura's fallbacks (its readability port, jusText) matter where the main pass finds little
        text = max(text, _trafilatura_text(tree, cfg, fast=False), key=len)
    if len(text.strip()) < cfg.min_clean_chars and not big:
        text = max(text, _reparsed_text(html, cfg, visible_text=_tree_empty(html, cfg)), key=len)
    return PageText(text, comments, headline, title, meta)


def _tree_empty(html: str, cfg: CleanConfig) -> bool:
    """Whether lxml's tree of the page holds (almost) no text: libxml2 gives some malformed pages (a
    broken <html> tag) a tree without their text. Only asked for near-empty extractions, so the page
    is parsed again here rather than measured on every page."""
    from lxml import etree

    tree = parse_html(html)
    if tree is None:
        return True
    etree.strip_elements(tree, *NEVER_TEXT, with_tail=False)
    return len("".join(tree.itertext()).strip()) < cfg.min_clean_chars


def _reparsed_text(html: str, cfg: CleanConfig, visible_text: bool = True) -> str:
    """The article of a page whose lxml tree held no text (libxml2 gives some malformed 2008-era pages
    no <body>: 11 of google-news's 621 pages, real articles all): the page re-parsed by Python's
    tolerant html.parser and extracted again, else its visible text line by line (the block rules
    then label the chrome), so a readable page is never emptied into quarantine."""
    import warnings

    from bs4 import BeautifulSoup, XMLParsedAsHTMLWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
        soup = BeautifulSoup(html, "html.parser")
    for el in soup(list(NEVER_TEXT)):
        el.decompose()
    tree = parse_html(str(soup))
    text = _trafilatura_text(tree, cfg, fast=False) if tree is not None else ""
    if len(text.strip()) >= cfg.html_fallback_min_chars or not visible_text:
        return text  # the whole visible text only when lxml saw none of it (it carries comment threads)
    body = soup.body or soup
    return "\n".join(line for line in body.get_text("\n").splitlines() if line.strip())


def split_lines(text: str) -> list[_Block]:
    """trafilatura's text -> one block per non-empty line (whitespace folded). Unlike the dump cleaner's
    `split_blocks`, lines are never rejoined: in extracted HTML a line break is a real block boundary
    (rejoining glued table cells and list items: "404 │ 0" + "2020-08-01" -> "02020-08-01")."""
    blocks = []
    for line in text.splitlines():
        if s := " ".join(line.split()):
            b = _Block(s)
            b.lw = words_of(s.lower())
            b.words = len(b.lw)
            blocks.append(b)
    return blocks


def label_page(page: PageText, cfg: CleanConfig, rules: frozenset[str] | None = None) -> list[_Block]:
    """trafilatura's text -> labelled blocks (headline first when the `title` rule adds it), then the
    comment lines as `comment` blocks."""
    rules = frozenset(cfg.html_block_rules) if rules is None else rules
    blocks = split_lines(page.text)
    headline = page.headline if "title" in rules else page.title
    comment_keys = {" ".join(normalise_words(c)) for c in page.comments}
    label_html_blocks(blocks, cfg, rules, comment_keys, headline)
    if "title" in rules and headline and not any(b.label == "title" for b in blocks):
        norm = " ".join(normalise_words(headline))
        hb = split_lines(headline)
        if hb and norm and not any(norm in " ".join(normalise_words(b.text)) for b in blocks[:3]):
            hb[0].label, hb[0].reason = "title", "html_headline"
            blocks.insert(0, hb[0])
    return blocks + [_comment_block(c) for c in page.comments]


def clean_html(
    html: str,
    cfg: CleanConfig,
    site_fingerprints: frozenset[str] = frozenset(),
    with_metadata: bool = True,
    with_comments: bool = True,
) -> TextResult:
    """HTML page -> labelled blocks (title, article body, comments; removed blocks labelled), metadata.

    `site_fingerprints` is accepted for the stage's common signature; HTML pages are not matched
    against site boilerplate learned from text dumps. `with_metadata=False` reads no metadata (the
    text APIs return none); `with_comments=False` cuts comment regions out without reading their
    text (no `comment` blocks; the article is the same).
    """
    page = read_page(html, cfg, with_metadata, with_comments)
    if page is None:
        return TextResult(blocks=[])
    res = TextResult(blocks=label_page(page, cfg))
    res.title = page.headline or page.title or None
    res.author = page.meta.get("author")
    res.site_name = page.meta.get("site_name")
    res.language = page.meta.get("language")
    if page.meta.get("published"):
        from tasks.dates import parse_published

        res.published = parse_published(page.meta["published"])
    return res


def _comment_block(text: str) -> _Block:
    return _Block(text, label="comment", reason="html_comment_container")


# --- pathological pages ------------------------------------------------------------------------

_HUGE_ATTR_RE_CACHE: dict[int, re.Pattern[str]] = {}


def html_pathology(html: str, cfg: CleanConfig) -> str | None:
    """Why a page would stall the parser, or None: an attribute longer than `max_attribute_chars`
    (inline blobs). Depth is not a reason: the parser reads deep trees (huge_tree) and the work on a
    large page is bounded by size instead (`html_full_pass_max_chars`)."""
    rx = _HUGE_ATTR_RE_CACHE.setdefault(cfg.max_attribute_chars, re.compile(r"=\s*([\"'])[^\"']{" + str(cfg.max_attribute_chars) + "}"))
    if rx.search(html):
        return f"an attribute longer than {cfg.max_attribute_chars} characters"
    return None

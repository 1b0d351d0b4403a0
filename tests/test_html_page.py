"""HTML pages: article text, comments kept apart (comment containers by their markup), the block rules,
and deep pages read rather than quarantined. Handwritten fixtures in tests/data/."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from tasks.clean import clean_document, clean_html_page, html_to_text
from tasks.config import CleanConfig
from tasks.html_page import HTML_BLOCK_RULES, block_lines, comment_regions, label_page, parse_html, read_page
from tasks.records import RawDoc

DATA = Path(__file__).parent / "data"
CFG = CleanConfig()


def _page(name: str) -> str:
    return (DATA / name).read_text(encoding="utf-8")


def test_blogger_thread_comments_apart_from_article():
    out = clean_html_page(_page("blogger_page.html"))
    art, com = out["article"], out["comments"]
    assert art.startswith("The first frost came early")  # default rules: no headline added (measured)
    assert "turned black overnight" in art and "fleece from the start of October" in art
    for c in ("courgettes", "Fleece saved my beans", "said..."):
        assert c in com and c not in art
    lines = com.split("\n\n")
    assert lines[:2] == ["Margaret said...", "Same here, the frost took my courgettes on the very same night."]
    assert "12 October 2012 19:40" in lines  # the comment's time line is part of it
    # chrome of the thread: heading, form labels, admin links; a sidebar widget of recent comments
    for junk in ("2 comments", "Name (required)", "Mail (will not", "Delete", "Recent comments", "Potato Blight"):
        assert junk not in com and junk not in art


def test_wrapper_whose_class_mentions_comments_is_not_a_region():
    tree = parse_html(_page("blogger_page.html"))
    regions = comment_regions(tree)
    assert [r.get("id") for r in regions] == ["comments"]  # not div.post.has-comments, not the widget


def test_html_to_text_is_the_article_of_clean_html_page_and_of_clean_document():
    html = _page("disqus_page.html")
    raw = RawDoc("d" * 16, "p.html", None, "text/html", "0" * 64, html, "utf-8", "s")
    doc = clean_document(raw, CFG)
    assert html_to_text(html) == clean_html_page(html)["article"] == doc.clean_text
    assert clean_html_page(html)["comments"] == doc.comments_text


def test_block_lines_one_line_per_block():
    tree = parse_html("<html><body><div id='x'>One <b>two</b><p>three</p>four<br>five</div></body></html>")
    (div,) = tree.xpath("//div")
    assert block_lines(div) == ["One two", "three", "four", "five"]


def test_each_rule_can_be_switched_off():
    page = read_page(_page("disqus_page.html"), CFG)
    none = label_page(page, CFG, frozenset())
    assert {b.label for b in none if b.label not in ("comment", "title")} <= {"content"}
    for rule in HTML_BLOCK_RULES:
        label_page(page, CFG, frozenset({rule}))  # every rule name is known to the labeller


def test_title_rule_puts_the_headline_first():
    cfg = dataclasses.replace(CFG, html_block_rules=("chrome", "title"))
    assert clean_html_page(_page("blogger_page.html"), cfg)["article"].startswith("First Frost on the Beans\n\nThe first frost")


def test_comment_regions_off_leaves_comments_to_trafilatura():
    cfg = dataclasses.replace(CFG, html_comment_regions=False)
    out = clean_html_page(_page("blogger_page.html"), cfg)
    assert out["comments"] == ""
    assert "runner beans" in out["article"]


@pytest.mark.parametrize("depth", [300, 1000])
def test_deep_nesting_is_read(depth):
    text = "The harbour authority confirmed on Monday that the ferry timetable will change in spring."
    html = "<html><body>" + "<div>" * depth + f"<p>{text}</p>" + "</div>" * depth + "</body></html>"
    assert text in html_to_text(html)


def test_empty_and_broken_pages():
    assert clean_html_page("") == {"article": "", "comments": ""}
    assert clean_html_page("<html><body></body></html>")["article"] == ""
    assert "first paragraph is complete" in html_to_text(_page("truncated.html"))


_ART = (
    "The harbour authority confirmed on Monday that the ferry timetable will change in spring, "
    "after a year of complaints from commuters about late and cancelled crossings."
)


def _article_page(headline: str = "Ferry timetable to change") -> str:
    return f"<div class='story'><h1>{headline}</h1><p>{_ART}</p><p>{_ART.replace('Monday', 'Friday')}</p></div>"


@pytest.mark.parametrize(
    "page",
    [
        # a chrome-only document, then the article's own document appended after </html>
        "<html><head><title>Portal</title></head><body><p>Weather: clear</p></body></html>\n"
        f"<!DOCTYPE html><html><head><title>News</title></head><body>{_article_page()}</body></html>",
        # a late script after </html>, then the article
        f"<html><body><p>Menu</p></body></html><script>var x = 1;</script>{_article_page()}",
        # a <title> never closed: its text would otherwise run to the end of the page
        f"<html><head><title>Ferry timetable to change - News\n<script>var a;</script></head><body>{_article_page()}</body></html>",
    ],
    ids=["document_after_html_end", "markup_after_html_end", "unclosed_title"],
)
def test_broken_document_structure_keeps_the_article(page):
    """libxml2 drops what follows `</html>` and reads an unclosed <title> to the end of the page (real
    google-news articles were quarantined as empty): the article is in the parsed tree, not recovered by luck."""
    assert any("change in spring" in p.text_content() for p in parse_html(page).iter("p"))
    assert "timetable will change in spring" in html_to_text(page)
    raw = RawDoc("d" * 16, "p.html", None, "text/html", "0" * 64, page, "utf-8", "s")
    assert "ferry timetable will change in spring" in clean_document(raw, CFG).clean_text


def test_repair_leaves_ordinary_pages_alone():
    from tasks.html_page import repair_html

    page = f"<html><head><title>T</title></head><body>{_article_page()}</body></html>\n"
    assert repair_html(page) == page


def test_control_characters_are_removed_before_parsing():
    from tasks.html_page import repair_html

    page = f"<html><body><ul><li>{_ART}\x07</li></ul><p>{_ART}\x0b</p></body></html>"
    assert repair_html(page) == page.replace("\x07", "").replace("\x0b", "")
    assert "\ufffd" not in html_to_text(page)


def _anchored_thread_page(anchor_first: bool) -> str:
    story = "".join(f"<p>{_ART.replace('Monday', day)}</p>" for day in ("Monday", "Tuesday", "Friday", "Sunday"))
    thread = (
        "<hr><a name='comments'></a><b>Comments are now closed for this story</b><br><br>"
        "<b>Stephen B</b><br>The ferries were late every single week of last winter, I stopped counting.<br><br>"
        "<b>Maria K</b><br>Good news at last for those of us on the island, thanks for the report.<br>"
    )
    body = f"<a name='comments'></a>{story}" if anchor_first else f"{story}{thread}"
    return f"<html><body><div id='main'><h1>Ferry timetable to change</h1>{body}</div></body></html>"


def test_thread_marked_only_by_an_anchor_is_kept_apart():
    out = clean_html_page(_anchored_thread_page(anchor_first=False))
    assert "stopped counting" in out["comments"] and "Good news at last" in out["comments"]
    assert "stopped counting" not in out["article"] and "Good news at last" not in out["article"]
    assert "timetable will change in spring" in out["article"] and "on Sunday" in out["article"]


def test_anchor_before_the_article_cuts_nothing():
    out = clean_html_page(_anchored_thread_page(anchor_first=True))
    assert out["comments"] == ""
    assert "on Monday" in out["article"] and "on Sunday" in out["article"]


def _story() -> str:
    return "".join(f"<p>{_ART.replace('Monday', day)}</p>" for day in ("Monday", "Tuesday", "Friday", "Sunday"))


_READERS = (
    "The ferries were late every single week of last winter, I stopped counting.",
    "Good news at last for those of us on the island, thanks for the report.",
)


@pytest.mark.parametrize(
    "thread",
    [
        # microdata only: no class or id names the comments
        "<section>" + "".join(
            f"<div itemscope itemtype='https://schema.org/Comment'><b>Reader {i}</b><p>{t}</p></div>" for i, t in enumerate(_READERS)
        ) + "</section>",
        # a German theme's container; a Spanish one
        "<div id='kommentare'>" + "".join(f"<div class='eintrag'><p>{t}</p></div>" for t in _READERS) + "</div>",
        "<ol class='lista-comentarios'>" + "".join(f"<li><p>{t}</p></li>" for t in _READERS) + "</ol>",
        # a 2008 table layout: the anchor sits alone in a heading cell, the thread is the rows after it
        "<table><tr><td class='q'><a name='yoursay'></a>What you think...</td></tr>"
        + "".join(f"<tr><td><span>{t}</span><br><b>reader{i}</b></td></tr>" for i, t in enumerate(_READERS))
        + "</table>",
    ],
    ids=["schema_org_comment", "german_class", "spanish_class", "anchor_in_table_cell"],
)
def test_comment_threads_found_by_markup_without_english_names(thread):
    page = f"<html><body><div id='main'><h1>Ferry timetable to change</h1>{_story()}</div>{thread}</body></html>"
    out = clean_html_page(page)
    for t in _READERS:
        assert t in out["comments"] and t not in out["article"]
    assert "timetable will change in spring" in out["article"] and "on Sunday" in out["article"]


def test_schema_org_article_body_is_never_a_comment_region():
    page = (
        "<html><body><article itemscope itemtype='https://schema.org/NewsArticle'><h1>Ferry timetable to change</h1>"
        f"<div itemprop='articleBody' class='comments-enabled'>{_story()}</div></article></body></html>"
    )
    assert comment_regions(parse_html(page)) == []
    assert clean_html_page(page)["comments"] == ""


def _blocks(*lines: str) -> list:
    from tasks.html_page import split_lines

    return split_lines("\n".join(lines))


def test_chrome_inside_the_body_only_where_it_interrupts_running_text():
    from tasks.html_page import label_html_blocks

    para = _ART
    # "Advertisement" between two paragraphs is an insertion; "Next" among short menu lines is part of
    # a list trafilatura kept; "Share this" after the last paragraph is chrome at the edge.
    blocks = _blocks(para, "Advertisement", para, "Try it now", "Next", "Add-ons", para, "Share this")
    label_html_blocks(blocks, CFG, frozenset({"chrome"}), set(), None)
    labels = {b.text: b.label for b in blocks}
    assert labels["Advertisement"] == "boilerplate" and labels["Share this"] == "boilerplate"
    assert labels["Next"] == "content" and labels["Try it now"] == "content"


def _menu_and_article(paragraphs: int, menu_items: int) -> str:
    body = "".join(
        f"<p>Paragraph {i} of the report says the council met on Tuesday and agreed the budget after a long debate.</p>"
        for i in range(paragraphs)
    )
    menu = "".join(f"<li><a href='/s{i}'>Section {i} of the site with its own long menu label</a></li>" for i in range(menu_items))
    return f"<html><body><ul class='menu'>{menu}</ul><article><h1>Budget agreed</h1>{body}</article></body></html>"


@pytest.mark.parametrize(
    "html,readability_runs",
    [
        (_menu_and_article(12, 2), False),  # the article is most of the page: readability cannot be twice as long
        (_menu_and_article(3, 40), True),  # a short article in a long page: the comparison runs
    ],
)
def test_fallback_skipped_only_where_it_cannot_change_the_text(monkeypatch, html, readability_runs):
    import trafilatura.external

    calls = []
    real = trafilatura.external.try_readability
    monkeypatch.setattr(trafilatura.external, "try_readability", lambda tree: calls.append(1) or real(tree))
    skipped = html_to_text(html)
    assert bool(calls) is readability_runs
    assert skipped == html_to_text_with(html, html_skip_sure_fallbacks=False)


@pytest.mark.parametrize("name", ["blogger_page.html", "disqus_page.html", "deep_nesting.html", "truncated.html"])
def test_skipping_the_fallback_leaves_every_fixture_unchanged(name):
    html = _page(name)
    assert clean_html_page(html) == clean_html_page(html, dataclasses.replace(CFG, html_skip_sure_fallbacks=False))


def html_to_text_with(html: str, **changes) -> str:
    return clean_html_page(html, dataclasses.replace(CFG, **changes))["article"]


def test_hidden_posting_form_boxes_left_out_hidden_replies_kept():
    """The comment form's hidden state boxes (a preview, "could not be posted") are not comments; a
    reply collapsed behind a hidden class or display:none is."""
    thread = (
        "<div id='comments'>"
        f"<div class='comment'><p>{_READERS[0]}</p></div>"
        f"<div class='comment hidden'><p>{_READERS[1]}</p></div>"
        "<div style='display: none'><p>A third reader agrees with both of the comments above, every word.</p></div>"
        "<div id='comment-preview' class='hiddenBox'><p>This is only a preview. Your comment has not yet been posted.</p>"
        "<form><input type='submit' value='Post'></form></div>"
        "<div class='hiddenBox redBox' id='comment-post-error'><p>Your comment could not be posted. Error type:</p></div>"
        "</div>"
    )
    page = f"<html><body><div id='main'><h1>Ferry timetable to change</h1>{_story()}</div>{thread}</body></html>"
    com = clean_html_page(page)["comments"]
    assert _READERS[0] in com and _READERS[1] in com and "A third reader agrees" in com
    assert "only a preview" not in com and "could not be posted" not in com

"""Page metadata (tasks.metadata): JSON-LD, meta tags, microdata, bylines, dates, language, titles."""

from __future__ import annotations

from datetime import date

import pytest

from tasks.config import CleanConfig
from tasks.html_page import parse_html
from tasks.metadata import (
    detect_language,
    document_language,
    html_metadata,
    normalise_language,
    page_metadata,
    split_title,
)

BODY = "<p>" + "The council approved the new budget after a long debate about schools and roads. " * 6 + "</p>"


def _md(head: str, body: str = BODY, html_attrs: str = "", url: str | None = None):
    return page_metadata(parse_html(f"<html {html_attrs}><head>{head}</head><body>{body}</body></html>"), url)


def test_json_ld_graph_with_author_objects():
    head = """<script type="application/ld+json">{"@context": "https://schema.org", "@graph": [
        {"@type": "WebSite", "name": "Daily Planet"},
        {"@type": ["NewsArticle"], "headline": "Council approves budget", "datePublished": "2023-03-04T09:12:00Z",
         "author": [{"@type": "Person", "name": "Lois Lane"}, {"@type": "Person", "name": "Clark Kent"}],
         "publisher": {"@type": "Organization", "name": "Daily Planet"}, "inLanguage": "en-US",
         "mainEntityOfPage": {"@id": "https://planet.example/2023/03/04/budget"}}]}</script>"""
    md = _md(head)
    assert md.author == "Lois Lane, Clark Kent"
    assert md.published == date(2023, 3, 4)
    assert (md.site_name, md.language, md.title) == ("Daily Planet", "en", "Council approves budget")
    assert md.url == "https://planet.example/2023/03/04/budget"


def test_json_ld_array_reportage_article_and_broken_script():
    head = """<script type="application/ld+json">{not json</script>
    <script type="application/ld+json">[{"@type": "ReportageNewsArticle", "author": "Jane Roe",
      "datePublished": "2019-11-18"}]</script>"""
    md = _md(head)
    assert (md.author, md.published) == ("Jane Roe", date(2019, 11, 18))


@pytest.mark.parametrize(
    ("head", "author", "published"),
    [
        # article:author is a profile URL (dropped); sailthru names the byline
        ('<meta property="article:author" content="https://www.facebook.com/someone">'
         '<meta name="sailthru.author" content="Mary Smith"><meta name="sailthru.date" content="2021-06-02 10:00:00">',
         "Mary Smith", date(2021, 6, 2)),
        ('<meta name="parsely-page" content=\'{"title": "T", "pub_date": "2020-01-31T08:00:00Z", "author": "Ann Lee"}\'>',
         "Ann Lee", date(2020, 1, 31)),
        ('<meta name="DC.creator" content="Paul Martin"><meta name="DC.date.issued" content="2008-01-14">',
         "Paul Martin", date(2008, 1, 14)),
        ('<meta name="pdate" content="20190806">', None, date(2019, 8, 6)),
        ('<meta property="article:published_time" content="2024-05-06T07:08:09+02:00"><meta name="author" content="By Kim Park">',
         "Kim Park", date(2024, 5, 6)),
        # a web designer or the site's own handle is not the author
        ('<meta name="author" content="Vivid Interactive and Design">', None, None),
        ('<meta name="author" content="calgarysun">', None, None),
    ],
)
def test_meta_tags(head, author, published):
    md = _md(head)
    assert (md.author, md.published) == (author, published)


def test_microdata_time_and_html_lang():
    body = ('<article><span itemprop="author" itemscope><span itemprop="name">Min-jun Kim</span></span>'
            '<time datetime="2022-10-09T12:00:00+09:00" pubdate>10월 9일</time>' + BODY + "</article>")
    md = _md("", body, 'lang="ko"')
    assert (md.author, md.published, md.language) == ("Min-jun Kim", date(2022, 10, 9), "ko")


def test_byline_and_date_elements_without_metadata():
    body = ('<h1>Storm hits the coast</h1><div class="byline">By Jane Doe | Staff writer</div>'
            '<div class="posted">POSTED: 2:45 pm EST January 22, 2008</div>' + BODY
            + '<div class="comment"><span class="author">By Troll Person</span></div>')
    md = _md("<title>Storm hits the coast</title>", body)
    assert (md.author, md.published) == ("Jane Doe", date(2008, 1, 22))


def test_year_first_date_in_a_date_element():
    md = _md("", '<span class="post-time">於 2013/12/28 10:28</span>' + BODY)
    assert md.published == date(2013, 12, 28)


def test_date_from_the_url_then_from_the_dateline():
    md = _md('<link rel="canonical" href="https://news.example/2015/03/18/story.html">')
    assert md.published == date(2015, 3, 18)
    md = _md("<title>Mayor resigns</title>", "<h1>Mayor resigns</h1><p>Jan. 10, 2008 12:00 AM</p>" + BODY
             + "<p>Copyright (c) January 1, 2007 Example Corp</p>")
    assert md.published == date(2008, 1, 10)
    # a copyright year is not a publication date (no day, no month)
    assert _md("", BODY + "<p>Copyright (c) 2007-2008 Example Corp. All rights reserved.</p>").published is None


def test_no_metadata_gives_nones():
    md = _md("", "<p>short</p>")
    assert (md.author, md.published, md.site_name, md.url, md.language) == (None, None, None, None, None)


@pytest.mark.parametrize(
    ("title", "site", "expected"),
    [
        ("Introducing Junior Gaspard, New CEO at Acme", "Acme", "Introducing Junior Gaspard, New CEO at Acme"),
        ("Introducing Junior Gaspard, New CEO at", None, "Introducing Junior Gaspard, New CEO at"),
        ("Council approves budget | Daily Planet", "Daily Planet", "Council approves budget"),
        ("Daily Planet - Council approves budget", "Daily Planet", "Council approves budget"),
        ("Council approves the new budget | Daily Planet", None, "Council approves the new budget"),
        ("Spider-Man returns", "Marvel", "Spider-Man returns"),
        ("Ledger-Enquirer.com | 01/07/2008 | Mauritania detains 9 over French deaths", None, "Mauritania detains 9 over French deaths"),
        ("Sir Edmund Hillary - the mountaineering legend- Hindustan Times", None, "Sir Edmund Hillary"),
        # a breadcrumb title, parts set apart by " / "; a slash inside words or figures stays
        ("FT.com / Home UK / UK - Apple bows to pressure for iTunes price cut", None, "Apple bows to pressure for iTunes price cut"),
        ("The Bellingham Herald / Wire Elections / Obama picking up support in Harlem", None, "Obama picking up support in Harlem"),
        ("AC/DC announce a new world tour for 24/7 fans", None, "AC/DC announce a new world tour for 24/7 fans"),
    ],
)
def test_split_title_keeps_words(title, site, expected):
    assert split_title(title, site) == expected


def test_long_swallowed_title_is_dropped():
    md = _md("<title>Bush to Saudis " + "x " * 400 + "</title>")
    assert md.title is None


def test_title_holding_the_head_is_dropped_but_literal_markup_is_kept():
    # an unclosed <title> swallows the head's tags as text; a title that merely quotes markup is a title
    swallowed = _md("<title>Bush to Saudis &lt;/head&gt;&lt;body&gt;&lt;div&gt;menu</title>")
    assert swallowed.title is None
    quoted = _md("<title>Why &lt;script&gt; tags break pages</title>")
    assert quoted.title == "Why <script> tags break pages"


@pytest.mark.parametrize(
    ("tag", "code"),
    [("en-US", "en"), ("en_GB", "en"), ("EN", "en"), ("pt-BR", "pt"), ("English", "en"), ("und", None), ("", None), (None, None)],
)
def test_normalise_language(tag, code):
    assert normalise_language(tag) == code


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("대통령은 오늘 서울에서 기자회견을 열고 새로운 경제 정책을 발표했다. 정부는 내년 예산을 늘릴 계획이다.", "ko"),
        ("政府は本日、新しい経済対策を発表した。首相は記者会見で来年度の予算を増やす方針を示した。", "ja"),
        ("Президент заявил сегодня на пресс-конференции, что правительство увеличит бюджет в следующем году.", "ru"),
        ("Der Stadtrat hat am Mittwoch den neuen Haushalt beschlossen, nachdem lange über Schulen gestritten wurde.", "de"),
        ("Le conseil municipal a adopté mercredi le nouveau budget après un long débat sur les écoles et les routes.", "fr"),
        ("El ayuntamiento aprobó el miércoles el nuevo presupuesto tras un largo debate sobre escuelas y carreteras.", "es"),
        ("The council approved the new budget on Wednesday after a long debate about schools and roads.", "en"),
    ],
)
def test_detect_language_beyond_english(text, code):
    assert detect_language(text) == code


def test_document_language_prefers_the_declared_one_and_needs_text():
    assert document_language("The council approved the new budget on Wednesday after a long debate.", "fr-FR") == "fr"
    assert document_language("too short", None) is None


def test_html_metadata_flat_dict_and_clean_document_language():
    tree = parse_html('<html lang="ru"><head><meta property="og:site_name" content="Vesti">'
                      '<title>Новости дня | Vesti</title></head><body>' + BODY + "</body></html>")
    assert html_metadata(tree) == {"title": "Новости дня", "site_name": "Vesti", "language": "ru"}

    from tasks.clean import clean_document
    from tasks.records import RawDoc

    html = '<html lang="id"><head><title>Berita</title></head><body><article>' + BODY + "</article></body></html>"
    raw = RawDoc(doc_id="d1", source_id="a.html", source_uri="a.html", content_type="text/html", text=html,
                 content_sha256="0" * 64, encoding="utf-8", site_key="example")
    assert clean_document(raw, CleanConfig()).language == "id"
    text = "Der Stadtrat hat am Mittwoch den neuen Haushalt beschlossen, nachdem lange über Schulen gestritten wurde. " * 3
    raw = RawDoc(doc_id="d2", source_id="b.txt", source_uri="b.txt", content_type="text/plain", text=text,
                 content_sha256="1" * 64, encoding="utf-8", site_key="example")
    assert clean_document(raw, CleanConfig()).language == "de"


def test_html_cleaner_title_keeps_its_last_word():
    # issue 18: "Introducing Junior Gaspard, New CEO at" lost its last word to the title splitter
    from tasks.html_page import clean_html

    html = ('<html><head><meta property="og:site_name" content="Acme"><title>Introducing Junior Gaspard, New CEO at Acme</title>'
            "</head><body><article>" + BODY + "</article></body></html>")
    assert clean_html(html, CleanConfig()).title == "Introducing Junior Gaspard, New CEO at Acme"
    html = html.replace("New CEO at Acme</title>", "New CEO at Acme | Acme</title>")
    assert clean_html(html, CleanConfig()).title == "Introducing Junior Gaspard, New CEO at Acme"


# --- pages without metadata: date lines, bylines, the title's site name (issue 18.3) ---------

PROSE = "<p>" + "Officials said the plan would take effect after a review, and critics said it went too far. " * 4 + "</p>"


def _page(body: str, title: str = "Council approves new budget after long debate - Springfield Herald"):
    return page_metadata(parse_html(f"<html><head><title>{title}</title></head><body>{body}</body></html>"))


def test_date_line_next_to_the_headline_beats_the_headers_today_date():
    body = (
        "<div class='top'>Tuesday, January 15, 2008 | Subscribe</div><div>News Sports Business</div>"
        "<h1>Council approves new budget after long debate</h1><div>By Jane Roe</div>"
        "<div>Posted: 9:07 pm PST January 11, 2008</div>" + PROSE
    )
    md = _page(body)
    assert md.published == date(2008, 1, 11)
    assert md.author == "Jane Roe"


def test_dates_inside_sentences_and_captions_are_not_publication_dates():
    body = (
        "<h1>Council approves new budget after long debate</h1>"
        "<p>The city had not passed a budget on time since March 15, 2003, officials said.</p>"
        "<p>The mayor, in this June 3, 2007, file photo.</p>"
        "<p>Emergency rule was imposed on January 11, 2007, after months of turmoil.</p>" + PROSE
    )
    assert _page(body).published is None


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Mardi 15 janvier 2008 - No. 16400", date(2008, 1, 15)),  # French
        ("Publicado el 15 de enero de 2008", date(2008, 1, 15)),  # Spanish
        ("Aktualisiert: 3. März 2008, 14:05 Uhr", date(2008, 3, 3)),  # German
        ("15/01/08 15:46", date(2008, 1, 15)),  # two-digit year in a date line
        ("Article Launched: 01/09/2008 09:37:25 PM PST", date(2008, 1, 9)),  # a US zone: month first
        ("Last Updated: 11:11am BST 10/01/2008", None),  # the zone is before the date: no order known
        ("Monday | 07/01/2008", date(2008, 1, 7)),  # the weekday tells the order
        ("Release: 01/10/2008", None),  # ambiguous, nothing tells: no date rather than a wrong one
        ("Eurosport - Sat, 29 Dec 15:58:00 2007", date(2007, 12, 29)),
        ("[ Published: 8-Jan-2008 ]", date(2008, 1, 8)),
    ],
)
def test_date_lines_in_several_languages_and_numeric_orders(line, expected):
    body = f"<h1>Council approves new budget after long debate</h1><div>{line}</div>" + PROSE
    assert _page(body).published == expected


def test_the_pages_other_numeric_dates_tell_an_ambiguous_dates_order():
    body = (
        "<h1>Council approves new budget after long debate</h1><div>Release: 01/10/2008</div>" + PROSE
        + "<ul><li>Older story 1/17/2008</li></ul>"  # month first somewhere on the page
    )
    assert _page(body).published == date(2008, 1, 10)


@pytest.mark.parametrize(
    ("byline", "expected"),
    [
        ("By JILL LAWLESS The Associated Press", "JILL LAWLESS"),
        ("By JOSEPH WHITE AP Sports Writer", "JOSEPH WHITE"),
        ("Par Jean Dupont", "Jean Dupont"),
        ("Posted by Chris Cornwell on January 9, 2008 in Games", "Chris Cornwell"),
        ("By staff writers", None),
        ("Posted by Slaytanic", None),  # a lone capitalised word is a handle, not a byline
    ],
)
def test_byline_lines_near_the_headline(byline, expected):
    body = f"<h1>Council approves new budget after long debate</h1><div>{byline}</div>" + PROSE
    assert _page(body).author == expected


def test_byline_elements_keep_their_parts_apart_and_photo_credits_are_not_authors():
    body = "<h1>Council approves new budget</h1><div class='byline'>Marc Katz<br>Staff Writer</div>" + PROSE
    assert _page(body).author == "Marc Katz"
    credit = "<h1>Council approves new budget</h1><div class='imageByline'>Kevork Djansezian, file</div>" + PROSE
    assert _page(credit).author is None


@pytest.mark.parametrize(
    ("title", "site"),
    [
        ("Louisiana's new first lady is mom and MBA - NOLA.com", "NOLA.com"),
        ("Fire in Burrabazar rages amidst fear | Hindustan Times", "Hindustan Times"),
        ("The Telegraph - Calcutta (Kolkata) | Sports | Tour to continue", "The Telegraph"),
        ("Pressure on Tasmanian health over abuse : thewest.com.au", "thewest.com.au"),
        ("Review: Mad Money Cashes In On Cast - Entertainment News", None),  # a section, not a site
        ("Samjhauta Express back on track | Nation | Page 2", None),  # a headline, not a site
        ("Council approves new budget", None),
    ],
)
def test_site_name_from_the_title(title, site):
    assert _page(PROSE, title=title).site_name == site


def test_the_titles_site_name_beats_a_publishers_company():
    head = '<title>Council approves budget - KNTV.com</title><meta name="publisher" content="Internet Broadcasting Systems, Inc.">'
    assert _md(head).site_name == "KNTV.com"


def test_a_name_in_capitals_under_the_headline_is_a_byline_but_a_caps_heading_is_not():
    body = "<h1>Council approves new budget after long debate</h1><div>RANDY SPORTAK</div>" + PROSE
    assert _page(body).author == "RANDY SPORTAK"
    heading = "<h1>Council approves new budget after long debate</h1><div>TOP STORIES</div>" + PROSE
    assert _page(heading).author is None


# --- third pass (issue 18.3): failure kinds found on pages where newslake had no author/date ----


def test_a_page_without_a_body_element_still_gives_its_dateline_and_byline():
    # a page whose start is cut ("?<!DOCTYPE ...", a fragment beginning inside a script) parses to a
    # root <div> with no <body>: its text is still read
    html = ("?<!DOCTYPE html><meta name='x' content='y'><title>Council approves new budget - Springfield Herald</title>"
            "<div><h1>Council approves new budget</h1><p>By Jane Roe</p><p>Tuesday 15 January 2008</p>" + PROSE + "</div>")
    tree = parse_html(html)
    assert not tree.xpath("//body")  # the kind this test is about
    md = page_metadata(tree)
    assert (md.author, md.published) == ("Jane Roe", date(2008, 1, 15))


@pytest.mark.parametrize(
    ("byline", "expected"),
    [
        ("By Julian Linden in Sydney", "Julian Linden"),  # the dateline's place after the name
        ("by Hasan Mansoor in Karachi", "Hasan Mansoor"),
        ("| By Melissa Jenkins", "Melissa Jenkins"),  # a separator left from the line above
        ("By Ben Grossman -- Broadcasting &amp; Cable, 1/21/2008", "Ben Grossman"),
        ("By JOHN PYE AT MELBOURNE PARK", "JOHN PYE"),
        ("Posted by Ann Lee at 10:00", "Ann Lee"),
    ],
)
def test_byline_places_and_separators_are_cut(byline, expected):
    body = f"<h1>Council approves new budget after long debate</h1><div>{byline}</div>" + PROSE
    assert _page(body).author == expected


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        ('<meta name="created" content="Sat, 12 Jan 2008 22:00:00 GMT">', date(2008, 1, 12)),
        ('<meta name="NBDATE" content="Saturday, December 29, 2007">', date(2007, 12, 29)),
        ('<meta name="story_date" content="2019-04-02T10:00:00Z">', date(2019, 4, 2)),
        # an ambiguous numeric value is not read, nor a date that is not the publication's
        ('<meta name="t_omni_pubdate" content="01/12/2008 00:00">', None),
        ('<meta name="last_update_date" content="2008-01-05 18:43:18">', None),
        ('<meta name="expiry_date" content="2009-01-05">', None),
    ],
)
def test_other_cms_date_meta_names(head, expected):
    assert _md(head).published == expected


def test_time_element_without_datetime_gives_its_text():
    md = _md("", "<article><time pubdate>5 janvier 2015</time>" + BODY + "</article>")
    assert md.published == date(2015, 1, 5)
    assert _md("", "<article><time>il y a 3 heures</time>" + BODY + "</article>").published is None


def test_date_in_the_urls_query():
    md = _md('<meta property="og:url" content="http://headlines.example.jp/hl?a=20170309-35097838-cnetj-sci">')
    assert md.published == date(2017, 3, 9)


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        # the header's "today" date written with a month name tells the order of the story's "01.09.2008"
        ("<div>Tue, January 15, 2008</div><h1>Council approves new budget after long debate</h1>"
         "<div>Tucson | Published: 01.09.2008</div>", date(2008, 1, 9)),
        ("<div>Tuesday 15 January 2008</div><h1>Council approves new budget after long debate</h1>"
         "<div>Last Updated: 12:01am GMT 08/01/2008</div>", date(2008, 1, 8)),
        # both readings far from the page's other dates: the ambiguous one is not used, the header's is all there is
        ("<div>Tuesday 15 June 2008</div><h1>Council approves new budget after long debate</h1>"
         "<div>Published: 01.09.2008</div>", date(2008, 6, 15)),
    ],
)
def test_the_pages_other_dates_tell_an_ambiguous_dates_order(lines, expected):
    assert _page(lines + PROSE).published == expected


def test_line_start_two_digit_year_and_compact_iso_datetimes():
    body = "<h1>Council approves new budget after long debate</h1><div>01/13/08 - Ontario Hockey League (OHL) report</div>" + PROSE
    assert _page(body).published == date(2008, 1, 13)
    newsml = "<div>20080118T125454Z afp.com 20080118 urn:newsml:afp.com:20080118 Thailand-politics " + "text " * 40 + "</div>"
    assert _page(newsml + PROSE, title="").published == date(2008, 1, 18)


@pytest.mark.parametrize(
    ("head", "site"),
    [
        # nothing names the site: the host of the page's own address
        ('<link rel="canonical" href="https://www.nytimes.com/2017/01/13/world/sudan.html"><title>Sudan sanctions eased</title>', "nytimes.com"),
        ('<base href="http://www.harrowtimes.co.uk/sport/localsport/"><title>Aidy recalls big guns</title>', "harrowtimes.co.uk"),
        ('<meta property="al:ios:app_name" content="Yahoo"><link rel="canonical" href="http://finance.yahoo.com/n.html">', "Yahoo"),
        # the metadata's own name wins over the host
        ('<meta property="og:site_name" content="Salon"><link rel="canonical" href="http://www.salon.com/2015/x/">', "Salon"),
        ('<base href="/relative/"><title>Aidy recalls big guns</title>', None),
    ],
)
def test_site_name_from_app_names_and_the_pages_host(head, site):
    md = _md(head)
    assert md.site_name == site
    assert md.url != "http://www.harrowtimes.co.uk/sport/localsport/"  # a <base> is a section's address, not the page's


def test_labelled_author_lines_and_an_outlet_in_the_meta_under_a_persons_byline():
    body = "<h1>Council approves new budget after long debate</h1><div>Posted : Thu, 10 Jan 2008</div><div>Author : Ravi Chopra</div>" + PROSE
    assert _page(body).author == "Ravi Chopra"
    # <meta name=author> naming the outlet gives way to the person the visible byline names ...
    head = '<title>Council approves new budget after long debate</title><meta name="author" content="ABC News">'
    body = ("<h1>Council approves new budget after long debate</h1>"
            "<div>By JESSICA MINTZ AP Technology Writer SEATTLE Jan 14, 2008 (AP)</div>" + PROSE)
    assert _md(head, body).author == "JESSICA MINTZ"
    # ... but a person in the meta stays, and an outlet stays when no byline names anyone
    assert _md(head.replace("ABC News", "Mary Smith"), body).author == "Mary Smith"
    assert _md(head, "<h1>Council approves new budget after long debate</h1>" + PROSE).author == "ABC News"


def test_a_personal_sites_owner_is_its_author_but_a_sites_own_name_is_not():
    head = ('<meta name="author" content="Haki Benita"><meta property="og:site_name" content="Haki Benita">'
            '<link rel="canonical" href="https://hakibenita.com/sql-anomaly-detection">')
    assert _md(head).author == "Haki Benita"
    other = head.replace("hakibenita.com", "blog.example.com")
    assert _md(other).author is None  # the site's own name, on a site that does not spell it


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("<span class='pubTime'>2016年10月14日07:17</span>", date(2016, 10, 14)),  # Chinese, Japanese
        ("<div>입력 2019년 3월 5일 오전 9:12</div>", date(2019, 3, 5)),  # Korean
    ],
)
def test_cjk_year_month_day_dates(line, expected):
    body = f"<h1>Council approves new budget after long debate</h1>{line}" + PROSE
    assert _page(body).published == expected


FOOTER = "<div>Copyright © 2008 Springfield Herald. All rights reserved.</div>"


@pytest.mark.parametrize(
    ("line", "footer", "expected"),
    [
        # the weekday tells the year around the copyright's: Friday 28 December was in 2007
        ("<div>Fri Dec 28, 6:09 PM ET</div>", FOOTER, date(2007, 12, 28)),
        ("<div>Sat 19 Jan, 10:45 AM</div>", FOOTER, date(2008, 1, 19)),
        ("<div>Springfield Herald | Published: Tuesday, January 08</div>", FOOTER, date(2008, 1, 8)),
        # a no-break space's mojibake after "Published:", an "@" before the date
        ("<div>Published:\u00c2 Tuesday, January 08</div>", FOOTER, date(2008, 1, 8)),
        ("<div>Classy Hewitt through @ Tuesday 15 January, 06:55 GMT</div>", FOOTER, date(2008, 1, 15)),
        # the copyright's year after the holder's name
        ("<div>Fri Dec 28, 6:09 PM ET</div>", "<div>© OddsPreview.com 2008. All rights reserved.</div>", date(2007, 12, 28)),
        ("<div>Fri Dec 28, 6:09 PM ET</div>", "<div>Guardian Unlimited © Guardian News and Media Limited 2008</div>", date(2007, 12, 28)),
        # no copyright year: no year to fit; a weekday that fits neither 2007 nor 2008: no date
        ("<div>Fri Dec 28, 6:09 PM ET</div>", "", None),
        ("<div>Thu Dec 28, 6:09 PM ET</div>", FOOTER, None),
        # inside a sentence it is not a date line
        ("<p>The vote is set for Friday, Dec 28 at the town hall, officials said on Monday.</p>", FOOTER, None),
    ],
)
def test_weekday_dates_without_a_year_take_the_year_the_weekday_fits(line, footer, expected):
    body = f"<h1>Council approves new budget after long debate</h1>{line}" + PROSE + footer
    assert _page(body).published == expected


def test_a_full_date_line_wins_over_a_yearless_one():
    body = "<h1>Council approves new budget after long debate</h1><div>Fri Dec 28</div><div>Posted: January 2, 2008</div>" + PROSE + FOOTER
    assert _page(body).published == date(2008, 1, 2)


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ("var page = {pubtime: '2016年10月14日07:17', channel: 'tech'};", date(2016, 10, 14)),
        ('window.meta = {"publishDate": "2017-03-09T10:00:00Z", "section": "world"};', date(2017, 3, 9)),
        ("var pub_date = 'January 22, 2008';", date(2008, 1, 22)),
        # a list of related stories gives several dates: none is the page's
        ('var related = [{"pubDate": "2017-03-01"}, {"pubDate": "2017-02-11"}];', None),
        # not a publication date's name; an ambiguous numeric value
        ('var cfg = {"updateTime": "2017-03-09", "public": "2017-03-09"};', None),
        ("var pubdate = '01/12/2008';", None),
        # a CMS's setter call; a robots expiry is not a publication date
        ("setMetaData('aheadline','Council approves budget'); setMetaData('apublished','2007-12-27T00:01:00');", date(2007, 12, 27)),
        ("setMetaData('unpublished_after','2008-02-12'); var robots = 'unavailable_after: 12-Feb-2008 16:26:00 PST';", None),
    ],
)
def test_publication_date_set_by_a_pages_script(script, expected):
    body = "<h1>Council approves new budget after long debate</h1>" + PROSE
    md = _md(f"<script>{script}</script><title>Council approves new budget after long debate</title>", body)
    assert md.published == expected


@pytest.mark.parametrize(
    ("first_paragraph", "author"),
    [
        ("WASHINGTON (Reuters) - The administration said on Monday it had notified Congress of the plan.", "Reuters"),
        ("MANILA, Nov. 24 (Xinhua) -- The president has ordered the evacuation of coastal towns.", "Xinhua"),
        ("KUALA LUMPUR, Malaysia (AP) -- The government scrambled Wednesday to contain the fallout.", "AP"),
        ("LAS VEGAS--(BUSINESS WIRE)--The company today announced its results for the quarter.", "BUSINESS WIRE"),
        ("(CNN) -- An audio recording called on Europeans to leave the country.", "CNN"),
        ("By Scott Garbarini, Associate NFL Editor -- (Sports Network) - Postseason football returns.", "Scott Garbarini"),
        ("The council (Photo) - approved the budget on Monday after a long debate.", None),  # not a dateline
        ("Officials said (in a statement) - the plan would take effect after a review.", None),  # lowercase: prose
    ],
)
def test_a_wire_storys_dateline_credit_is_its_author_when_no_byline_names_one(first_paragraph, author):
    body = f"<h1>Council approves new budget after long debate</h1><p>{first_paragraph}</p>" + PROSE
    assert _page(body).author == author


def test_a_byline_wins_over_the_wire_credit():
    body = "<h1>Council approves new budget after long debate</h1><div>By Jane Roe</div><p>WASHINGTON (Reuters) - The plan.</p>" + PROSE
    assert _page(body).author == "Jane Roe"


NAV = "".join(f"<div>{w}</div>" for w in ("Home", "News", "Sport", "Business", "Opinion"))


@pytest.mark.parametrize(
    ("body", "author"),
    [
        # the headline is not found (a site-wide <title>, no <h1>): the page's only "By" line above the story
        (NAV + "<div><b>Council approves new budget</b></div><div>By Jane Roe in Springfield</div>" + PROSE, "Jane Roe"),
        (NAV + "<div>By THE ASSOCIATED PRESS</div>" + PROSE, "THE ASSOCIATED PRESS"),
        # a list of other stories' bylines, a columnist's link in a menu, an outlet's one-word name
        (NAV + PROSE + "<div>Other story</div><div>By Jane Roe | Read Article</div><div>By Corby | Read Article</div>", None),
        (NAV + "<div>by Dan Smith</div><div>- Past Articles</div>" + NAV + PROSE, None),
        (NAV + "<div>BY HERALD REPORTER</div>" + PROSE, None),
        # lowercase "By ..." lines are not bylines and do not hide one; a labelled author line is one
        (NAV + "<div>By LESLIE BREFELD</div>" + PROSE + "<div>By posting you agree to the terms</div><div>By sector</div>", "LESLIE BREFELD"),
        (NAV + "<div>Author: Luke Van Leuveren</div><div>Published: 29 Dec, 2007</div>" + PROSE, "Luke Van Leuveren"),
    ],
)
def test_the_pages_only_byline_line_when_no_headline_is_found(body, author):
    assert _page(body, title="Springfield Herald - News, Sport and Weather").author == author


LONG = "The opposition party surged to a landslide victory in the vote, officials said on Saturday. " * 2


@pytest.mark.parametrize(
    ("body", "author"),
    [
        # no headline found: the page's only paragraph opening with a wire dateline credits the story's agency
        (NAV + f"<p>TAIPEI, Taiwan (AP) - {LONG}</p>" + PROSE, "AP"),
        (NAV + f"<p>New Delhi (PTI): {LONG}</p>" + PROSE, "PTI"),
        # several paragraphs credit different agencies (a list of stories): none is the page's
        (NAV + f"<p>TAIPEI, Taiwan (AP) - {LONG}</p><p>BEIJING (Reuters) - {LONG}</p>", None),
        # a short teaser line is not the story's first paragraph
        (NAV + "<div>TAIPEI (AP) - Vote count begins</div>" + PROSE, None),
    ],
)
def test_the_pages_only_wire_dateline_paragraph_when_no_headline_is_found(body, author):
    assert _page(body, title="Springfield Herald - News, Sport and Weather").author == author


@pytest.mark.parametrize(
    ("head", "body", "author"),
    [
        # a name's contact in parentheses or angle brackets is not part of it
        ('<meta name="author" content="Bradley M. Kuhn (http://ebb.org/bkuhn/)">', BODY, "Bradley M. Kuhn"),
        ('<meta name="author" content="Jane Roe &lt;jane@example.org&gt;">', BODY, "Jane Roe"),
        # Chinese and Korean names are one word; role words standing for a name are not names
        ('<meta name="author" content="王小明">', BODY, "王小明"),
        ('<meta name="author" content="김철수">', BODY, "김철수"),
        ('<meta name="author" content="作者">', BODY, None),
        # the page shows the meta's name as its editor, not its writer
        ('<meta name="author" content="王小明">', BODY + "<div>作者：</div><div>[责任编辑:王小明]</div>", None),
    ],
)
def test_structured_author_contacts_and_cjk_names(head, body, author):
    assert _md(head, body).author == author


@pytest.mark.parametrize(
    ("results", "expected"),
    [
        # "Release: 01/10/2008" with no weekday or zone; the page's results list "Jan 17" with no year: January 10
        ("<ul><li>Jan 17</li><li>Jan 19</li></ul>", date(2008, 1, 10)),
        ("<ul><li>17 Oct</li></ul>", date(2008, 10, 1)),
        # a year-end list ("Dec 29") is near a January reading across the year
        ("<ul><li>Dec 29</li></ul>", date(2008, 1, 10)),
        # a month name inside a sentence tells nothing; nothing else does: no date rather than a guess
        ("<p>The team plays again on Jan 17 at home, the coach said after the game on Thursday night.</p>", None),
    ],
)
def test_yearless_month_name_dates_tell_an_ambiguous_dates_order(results, expected):
    body = "<h1>Council approves new budget after long debate</h1><div>Release: 01/10/2008</div>" + PROSE + results
    assert _page(body).published == expected


@pytest.mark.parametrize(
    ("byline", "author"),
    [
        ("By Laura Clout and agencies", "Laura Clout"),
        ("By HERB KEINON AND AP", "HERB KEINON"),
        ("By Jane Roe and John Doe", "Jane Roe and John Doe"),
        # a wire agency's short or lowercase byline
        ("By CP", "CP"),
        ("By the Associated Press", "the Associated Press"),
    ],
)
def test_agencies_credited_after_a_byline_name_are_cut(byline, author):
    body = f"<h1>Council approves new budget after long debate</h1><div>{byline}</div>" + PROSE
    assert _page(body).author == author


ES_PROSE = "<p>" + "El gobierno de la provincia dijo que el plan de la ciudad no es para los vecinos que viven en el centro. " * 4 + "</p>"


@pytest.mark.parametrize(
    ("html_attrs", "prose", "expected"),
    [
        # an ambiguous numeric date's order from the page's language: en-US month first, en-GB day first,
        # Spanish text (no declared language) day first
        ('lang="en-US"', PROSE, date(2008, 1, 10)),
        ('lang="en_GB"', PROSE, date(2008, 10, 1)),
        ("", ES_PROSE, date(2008, 10, 1)),
        # a bare "en" or English text says nothing: no date rather than a guess
        ('lang="en"', PROSE, None),
        ("", PROSE, None),
    ],
)
def test_the_pages_language_tells_an_ambiguous_dates_order(html_attrs, prose, expected):
    body = f"<h1>Council approves new budget after long debate</h1><div>Release: 01/10/2008</div>{prose}"
    md = page_metadata(parse_html(f"<html {html_attrs}><head><title>Council approves new budget after long debate"
                                  f"</title></head><body>{body}</body></html>"))
    assert md.published == expected


def test_a_zone_or_weekday_next_to_the_date_wins_over_the_pages_language():
    body = "<h1>Council approves new budget after long debate</h1><div>Posted 01/10/2008 09:37 PM PST</div>" + ES_PROSE
    md = page_metadata(parse_html(f'<html lang="es"><head><title>Council approves new budget after long debate</title></head><body>{body}</body></html>'))
    assert md.published == date(2008, 1, 10)


@pytest.mark.parametrize(
    ("title", "prose", "expected"),
    [
        # a title part that is a date: the page's date (day first: Spanish text)
        ("Una solución para la cuestión mapuche - 07.12.2017 - LA NACION", ES_PROSE, date(2017, 12, 7)),
        ("Springfield Herald | January 15, 2008 | Council approves budget", PROSE, date(2008, 1, 15)),
        # a date among the headline's words is not the page's; an ambiguous one in English: no order known
        ("Markets after the January 15, 2008 crash - Springfield Herald", PROSE, None),
        ("Council approves budget - 07.12.2017 - Springfield Herald", PROSE, None),
    ],
)
def test_a_date_standing_as_a_title_part(title, prose, expected):
    md = page_metadata(parse_html(f"<html><head><title>{title}</title></head><body><h1>Council approves</h1>{prose}</body></html>"))
    assert md.published == expected


@pytest.mark.parametrize(
    ("dateline", "expected"),
    [
        # "Published 01/08/2008" (GMT: no order) and the story's yearless wire dateline "Jan. 7": January 8
        ("(PressMediaWire) NEW YORK, Jan. 7 -- As part of its election coverage the network sits down with both.", date(2008, 1, 8)),
        ("SALMON, Idaho, 2 Aug (Reuters) - A player was arrested in Boise on Thursday for resisting police.", date(2008, 8, 1)),
        # a month name inside a sentence is not a dateline
        ("As part of its election coverage the network said on Jan. 7 -- that both will sit down.", None),
    ],
)
def test_a_yearless_wire_dateline_tells_an_ambiguous_dates_order(dateline, expected):
    body = f"<h1>Council approves new budget after long debate</h1><div>Published 01/08/2008 - 10:07 a.m. GMT</div><p>{dateline}</p>" + PROSE
    assert _page(body).published == expected


@pytest.mark.parametrize(
    ("byline", "author"),
    [
        # a byline lowercased in the markup (the page's CSS capitalises it): read as capitalised, role cut
        ("michelle shephard national security reporter", "Michelle Shephard"),
        # an outlet or a handle in lowercase is not a person
        ("winnipeg sun", None),
        ("calgarysun", None),
    ],
)
def test_a_lowercase_byline_element(byline, author):
    body = f'<h1>Council approves new budget after long debate</h1><span class="articleAuthor">{byline}</span>' + PROSE
    assert _page(body).author == author


STORY = "<p>" + "Chief Minister Narendra Modi on Saturday made his first visit to the capital after the party's win. " * 2 + "</p>"


@pytest.mark.parametrize(
    ("body", "author"),
    [
        # a wire agency's name as a line of its own heading the story (no headline found on the page)
        ("<div>Press Trust of India</div><div>Saturday, December 29, 2007 (New Delhi)</div>" + STORY, "Press Trust of India"),
        ("<div>THE CANADIAN PRESS</div>" + STORY, "THE CANADIAN PRESS"),
        # under the story's paragraph: a source or a related link's credit, not the story's
        (STORY + "<div>Reuters</div>" + STORY, None),
        # several agencies credited so: a list of stories
        ("<div>Reuters</div>" + STORY + "<div>Associated Press</div>" + STORY, None),
        # no story under it
        ("<div>Reuters</div><ul><li>Markets</li><li>World</li></ul>", None),
    ],
)
def test_a_wire_agencys_name_line_heading_the_story(body, author):
    assert _page(body, title="NDTV.com: India news").author == author


def test_a_byline_under_a_headline_found_through_a_breadcrumb_title():
    # the title's first words are the breadcrumb's, found in the page's menu: the headline is its last part
    body = ("<div>The Bellingham Herald / Wire Elections</div>" + "<ul>" + "<li>Menu item</li>" * 30 + "</ul>"
            "<h2>Obama picking up support in Harlem</h2><div>By KAREN MATTHEWS</div><div>THE ASSOCIATED PRESS</div>"
            "<div>E-mail | Print</div><div>Digg it</div><div>Share</div><div>Font</div>" + PROSE)
    assert _page(body, title="The Bellingham Herald / Wire Elections / Obama picking up support in Harlem").author == "KAREN MATTHEWS"


POST = "<p>" + "Soul Calibur IV adds two guests from a galaxy far away, and the fighting game crowd is thrilled about it. " * 2 + "</p>"


@pytest.mark.parametrize(
    ("footer", "author"),
    [
        # a blog post's own footer line, the page's only one, when nothing else names an author
        ("<div>Posted by Chris Cornwell on January 9, 2008 in Games | Permalink</div>", "Chris Cornwell"),
        ("<div>Posted by Eric Earling at December 29, 2007 12:03 PM | Email This</div>", "Eric Earling"),
        # a handle or a first name; a commenter's "Posted by:" line; two such lines (a comment thread)
        ("<div>Posted by admin on August 9, 2012 in Uncategorized</div>", None),
        ("<div>Posted by: Jane Roe | January 9, 2008 at 10:12 AM</div>", None),
        ("<div>Posted by Jane Roe on January 9, 2008</div><div>Posted by John Doe on January 10, 2008</div>", None),
        # a guest post: the one who posted it is not its author
        ("<p>The following is a guest blog post by Nicholas Holmes.</p><div>Posted by Dharmesh Shah on Tue, Oct 30, 2012</div>", None),
    ],
)
def test_a_blog_posts_posted_by_footer(footer, author):
    assert _page(POST + footer, title="Xboxer: news").author == author


def test_without_a_headline_the_storys_first_paragraph_anchors_the_date():
    # the title is not found on the page: the date line over the story's first paragraph, not the site
    # header's "Last updated: <today>" at the page's top
    body = ("<div>Last updated: January 17, 2008 01:13 [IST]</div>" + "<ul>" + "<li>Menu item</li>" * 20 + "</ul>"
            "<div>Press Trust of India</div><div>Saturday, December 29, 2007 (New Delhi)</div>" + STORY)
    assert _page(body, title="NDTV.com: India news").published == date(2007, 12, 29)

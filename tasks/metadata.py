"""Page metadata: author, publication date, language, site name, canonical URL and title of one HTML page.

In:  the lxml tree of a page (before any element is stripped) and, when known, the page's URL.
Out: `PageMetadata` (every field None when the page does not say), or the same as the flat dict
     `html_metadata` gives the HTML cleaner (`title`, `author`, `published` as YYYY-MM-DD,
     `site_name`, `url`, `language` as an ISO 639-1 code).

Sources, most trusted first: JSON-LD (`NewsArticle`, `Article`, `ReportageNewsArticle`, `BlogPosting`...,
inside `@graph` or arrays; author as a string, an object or a list of them), `<meta>` (OpenGraph and
`article:*`, Dublin Core, `sailthru.*`, `parsely-*`, `itemprop`), microdata (`itemprop=author` /
`datePublished`), `<time datetime>` (else a `<time>`'s text), `rel=author` links, a date in the URL's
path or query; then the page itself (its `<body>`, or its root when a cut page has none),
read as lines near its headline: byline lines ("By ...", "Par ...", "Posted by ...", a name in
capitals under the headline, "Author: ...") and byline elements (class or id naming a byline or
author) — also when the metadata's author names an outlet ("ABC News"), a person's byline then wins —,
else a wire dateline's credit; when no headline is found, the page's only "By ..."/"Author: ..." line
with the story's paragraph under it, else its only paragraph opening with a wire dateline, else a wire
agency's name standing as the line that heads the story ("Press Trust of India"); a byline element
lowercased in the markup ("michelle shephard", capitalised by CSS) is read capitalised;
the date line or hinted date element nearest the headline (dates inside sentences and numeric dates of
unknown day/month order are not used — the order comes from a weekday or time zone next to the date, the
page's other numeric dates, its language (en-US month first; en-GB, es, fr, de... day first) or a
reading near a date the page writes with a month name, a wire dateline's "Jan. 7" included; month names
in en/fr/de/es/it/pt/nl, year-month-day marked with 年月日/년월일), else a date standing as a part of
the `<title>` ("Headline - 07.12.2017 - Site"), else a yearless date line with a weekday ("Fri Dec 28, 6:09 PM ET": the year around
the page's copyright year that the weekday fits), else the one date a page's script sets outside JSON-LD
(`pubtime: '...'`, `"publishDate": "..."`, `setMetaData('apublished', '...')`), else another CMS's date `<meta>` ("created", "NBDATE") with
a full date. Site name: the metadata's (app names included), else
the title's end part when it is a domain or an outlet's name, else the host of the page's address. Language: `<html lang>` / `content-language` / `og:locale` / JSON-LD `inLanguage`,
else `detect_language` on the text (py3langid, its model shipped in the package).
"""

from __future__ import annotations

import calendar
import functools
import itertools
import json
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date

# <meta> name/property/itemprop (lowercase) -> field, in order of trust within a field.
META_KEYS: dict[str, str] = {
    "article:published_time": "published",
    "og:published_time": "published",
    "article:published": "published",
    "datepublished": "published",
    "sailthru.date": "published",
    "parsely-pub-date": "published",
    "og:article:published_time": "published",
    "cxenseparse:recs:publishtime": "published",
    "article_date_original": "published",
    "pdate": "published",
    "ptime": "published",
    "pubdate": "published",
    "publishdate": "published",
    "publish-date": "published",
    "publish_date": "published",
    "publication_date": "published",
    "publicationdate": "published",
    "originalpublicationdate": "published",
    "dc.date.issued": "published",
    "dcterms.issued": "published",
    "dc.date": "published",
    "dcterms.date": "published",
    "dc.date.created": "published",
    "dcterms.created": "published",
    "datecreated": "published",
    "date": "published",
    "displaydate": "published",
    "citation_publication_date": "published",
    "article:modified_time": "modified",
    "og:updated_time": "modified",
    "datemodified": "modified",
    "last-modified": "modified",
    "revision_date": "modified",
    "author": "author",
    "article:author": "author",
    "sailthru.author": "author",
    "parsely-author": "author",
    "dc.creator": "author",
    "dcterms.creator": "author",
    "byl": "author",
    "citation_author": "author",
    "og:site_name": "site_name",
    "application-name": "site_name",
    "apple-mobile-web-app-title": "site_name",
    "al:ios:app_name": "site_name",
    "al:android:app_name": "site_name",
    "dc.publisher": "site_name",
    "publisher": "site_name",
    "og:title": "title",
    "twitter:title": "title",
    "sailthru.title": "title",
    "parsely-title": "title",
    "dc.title": "title",
    "headline": "title",
    "og:url": "url",
    "parsely-link": "url",
    "og:locale": "language",
    "content-language": "language",
    "language": "language",
    "dc.language": "language",
    "dcterms.language": "language",
}
ARTICLE_TYPES = frozenset(
    "newsarticle article reportagenewsarticle analysisnewsarticle opinionnewsarticle reviewnewsarticle "
    "backgroundnewsarticle blogposting liveblogposting report socialmediaposting techarticle "
    "scholarlyarticle webpage".split()
)
BYLINE_HINT_RE = re.compile(r"byline|by-line|author|writer|reporter|contributor|creditline|\bcredit\b", re.I)
DATE_HINT_RE = re.compile(r"date|time|publish|posted|dateline|timestamp|byline|\bmeta\b|story-info|article-info", re.I)
_BY_PREFIX_RE = re.compile(r"^\s*(?:(?:written|posted|reported|words|story|text|photos?)\s+)?by[:\s]+", re.I)
_NAME_RE = re.compile(r"^[A-Z\u00C0-\u024F][\w.'’\u00C0-\u024F-]*(?:\s+(?:[A-Z\u00C0-\u024F][\w.'’\u00C0-\u024F-]*|de|da|van|von|der|den|le|la|al|bin|and|&)){0,5}$")
_NOT_A_NAME = frozenset(
    "comments comment share email print home news more about contact login subscribe search menu staff "
    "follow twitter facebook posted updated published read view profile articles related last update e-mail "
    "january february march april may june july august september october november december jan feb mar apr jun jul aug "
    "sep sept oct nov dec monday tuesday wednesday thursday friday saturday sunday today yesterday photo photos "
    "photograph video file getty images image our".split()
)
_TRAILING_DATE_WORD_RE = re.compile(
    r"\s+(?:on\s+)?(?:January|February|March|April|May|June|July|August|September|October|November|December|"
    r"Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\.?$"
)
_COMPANY_WORDS = frozenset(
    "design designs interactive solutions web webmaster technologies technology software studio studios inc ltd llc "
    "corp corporation hosting digital media limited gmbh communications services admin administrator editor editors "
    "staff newsroom desk team".split()
)
_AGENCIES = frozenset("reuters bloomberg xinhua interfax yonhap kyodo bernama tass ansa efe dpa apa belga anp tt ntb ria cp upi afp pti ians".split())
_NOT_AUTHOR_HINT_RE = re.compile(r"image|photo|caption|figure|gallery|picture|thumb", re.I)
_NOT_BYLINE_TAGS = frozenset("script style noscript form input button select option head link meta textarea".split())
_URL_DATE_RE = re.compile(r"[/=]((?:19|20)\d{2})[/_-]?([01]\d)[/_-]?([0-3]\d)(?:[/_.&-]|$)")  # path or query ("?a=20170309-...")
_TITLE_SEP_RE = r"\s*(?:[|–—:·•»]|\s-)\s*"
LANG_MIN_CHARS = 40


@dataclass(frozen=True, slots=True)
class PageMetadata:
    title: str | None = None
    author: str | None = None
    published: date | None = None
    site_name: str | None = None
    url: str | None = None
    language: str | None = None


def _clean(s: object) -> str:
    return " ".join(str(s).split()) if s is not None else ""


def _text(el) -> str:
    """An element's text with its parts spaced ("Marc Katz<br>Staff Writer" -> "Marc Katz Staff Writer")."""
    return _clean(" ".join(el.itertext()))


def _json_ld_objects(tree) -> list[dict]:
    """Every JSON object in the page's `application/ld+json` scripts, `@graph` and arrays flattened."""
    out: list[dict] = []

    def walk(o: object) -> None:
        if isinstance(o, list):
            for x in o:
                walk(x)
        elif isinstance(o, dict):
            out.append(o)
            if "@graph" in o:
                walk(o["@graph"])

    for s in tree.xpath('//script[contains(translate(@type, "LDJSON", "ldjson"), "ld+json")]'):
        raw = (s.text or "").strip()
        raw = re.sub(r"^\s*(?://\s*)?<!\[CDATA\[|(?://\s*)?\]\]>\s*$", "", raw)
        if not raw:
            continue
        try:
            walk(json.loads(raw))
        except ValueError:
            continue  # a broken script: the other sources still count
    return out


def _types(o: dict) -> set[str]:
    t = o.get("@type")
    ts = t if isinstance(t, list) else [t]
    return {str(x).lower() for x in ts if x}


def _names(v: object) -> list[str]:
    """An author/publisher value (string, object with name, list of either) -> names."""
    if isinstance(v, list):
        return [n for x in v for n in _names(x)]
    if isinstance(v, dict):
        n = v.get("name")
        if isinstance(n, list | dict):
            return _names(n)
        return [_clean(n)] if n else []
    if isinstance(v, str) and v.strip() and not v.strip().startswith(("http://", "https://")):
        return [_clean(v)]
    return []


def _from_json_ld(objs: list[dict]) -> dict[str, str]:
    found: dict[str, str] = {}
    articles = [o for o in objs if _types(o) & ARTICLE_TYPES]
    # NewsArticle-like objects first, then a WebPage; the first one that has a field gives it.
    articles.sort(key=lambda o: "webpage" in _types(o))
    for o in articles:
        if "published" not in found:
            for k in ("datePublished", "dateCreated", "uploadDate"):
                if isinstance(o.get(k), str) and o[k].strip():
                    found["published"] = o[k].strip()
                    break
        if "modified" not in found and isinstance(o.get("dateModified"), str):
            found["modified"] = o["dateModified"].strip()
        if "author" not in found and (names := _names(o.get("author") or o.get("creator"))):
            found["author"] = ", ".join(dict.fromkeys(n for n in names if n))
        if "title" not in found and isinstance(o.get("headline"), str) and o["headline"].strip():
            found["title"] = _clean(o["headline"])
        if "site_name" not in found and (names := _names(o.get("publisher"))):
            found["site_name"] = names[0]
        if "language" not in found and isinstance(o.get("inLanguage"), str):
            found["language"] = o["inLanguage"]
        if "url" not in found:
            u = o.get("url") or o.get("mainEntityOfPage")
            u = u.get("@id") if isinstance(u, dict) else u
            if isinstance(u, str) and u.startswith("http"):
                found["url"] = u
    for o in objs:
        if "site_name" not in found and _types(o) & {"organization", "newsmediaorganization", "website"} and o.get("name"):
            found["site_name"] = _clean(o["name"])
    return found


def _from_meta(tree) -> dict[str, str]:
    found: dict[str, str] = {}
    rank: dict[str, int] = {}
    order = {k: i for i, k in enumerate(META_KEYS)}
    for m in tree.iter("meta"):
        k = (m.get("property") or m.get("name") or m.get("itemprop") or m.get("http-equiv") or "").strip().lower()
        v = _clean(m.get("content"))
        if k == "parsely-page" and v.startswith("{"):
            try:
                page = json.loads(v)
            except ValueError:
                continue
            for pk, field in (("pub_date", "published"), ("author", "author"), ("title", "title"), ("link", "url")):
                if isinstance(page.get(pk), str) and page[pk].strip() and field not in found:
                    found[field], rank[field] = page[pk].strip(), len(order)
            continue
        field = META_KEYS.get(k)
        if not field and v and "meta_date" not in found and _OTHER_DATE_META_RE.search(k) and not _NOT_PUBLISHED_META_RE.search(k):
            # a CMS's own name for the publication date ("created", "NBDATE", "story_date", "fecha"):
            # trusted below the known names, and only for a full date
            if d := _iso_date(v) or _full_date(v):  # an ambiguous "01/12/2008" is not read
                found["meta_date"] = d.isoformat()
            continue
        if not field or not v:
            continue
        if field not in ("url",) and v.startswith(("http://", "https://")):
            continue  # article:author is often a profile URL
        if field not in found or order[k] < rank[field]:
            found[field], rank[field] = v, order[k]
    return found


# <meta> names other CMSs give the publication date (any name holding one of these words) ...
_OTHER_DATE_META_RE = re.compile(r"date|created|publi|issued|posted|fecha|datum|data", re.I)
# ... unless it names another date
_NOT_PUBLISHED_META_RE = re.compile(
    r"modif|updat|expir|revis|review|valid|birth|end|start|event|print|index|crawl|build|copyright|change|"
    r"edit|refresh|cache|version|format|type|schema|validat|lastmod|available|accessed|retriev", re.I)


def _from_markup(tree) -> dict[str, str]:
    """Microdata, <time>, rel=author, <html lang>, canonical link, <title>."""
    found: dict[str, str] = {}
    root = tree.getroottree().getroot()
    lang = root.get("lang") or root.get("{http://www.w3.org/XML/1998/namespace}lang") or root.get("xml:lang")
    if lang:
        found["language"] = lang
    for el in tree.xpath('//*[@itemprop="datePublished" or @itemprop="dateCreated"]'):
        v = el.get("content") or el.get("datetime") or _clean(el.text_content())
        if v:
            found["published"] = v
            break
    if "published" not in found:
        times = [t for t in tree.iter("time") if t.get("datetime")]
        times.sort(key=lambda t: not (t.get("pubdate") is not None or re.search(r"publish|posted|created", (t.get("class") or "") + (t.get("itemprop") or ""), re.I)))
        if times:
            found["published"] = times[0].get("datetime")
        else:  # <time>January 5, 2015</time>, <time pubdate>5 janvier 2015</time>: its text is the date
            for t in tree.iter("time"):
                if len(txt := _text(t)) <= 100 and (d := _full_date(txt) or _compact_date(txt)):
                    found["published"] = d.isoformat()
                    break
    for el in tree.xpath('//*[@itemprop="author"]'):
        names = el.xpath('.//*[@itemprop="name"]')
        v = (names[0].get("content") or _text(names[0])) if names else (el.get("content") or _text(el))
        if v := _person(v):
            found["author"] = v
            break
    if "author" not in found:
        for a in tree.xpath('//a[contains(concat(" ", normalize-space(@rel), " "), " author ")]'):
            if v := _person(_text(a)):
                found["author"] = v
                break
    for link in tree.iter("link"):
        if (link.get("rel") or "").lower() == "canonical" and link.get("href"):
            found["url"] = link.get("href").strip()
            break
    for b in tree.iter("base"):
        if (href := (b.get("href") or "").strip()).startswith(("http://", "https://")):
            found["base_url"] = href  # the page's own address, for its site's host only (not its URL: a section's)
            break
    t = tree.find(".//title")
    if t is not None and (tt := _clean(t.text_content())) and len(tt) <= 300 and not _SWALLOWED_RE.search(tt):
        found["title"] = tt  # a longer one, or one holding the head's tags, swallowed the page (an unclosed <title>)
    return found


_COMPANY_SUFFIX_RE = re.compile(r"\b(?:Inc|Ltd|LLC|Corp|Corporation|GmbH|plc|S\.A|Pty)\.?$", re.I)
_SWALLOWED_RE = re.compile(r"</?(?:head|body|meta|link|title|html)\b", re.I)


_AGENCY_BYLINES = frozenset(("cp", "ap", "afp", "upi", "pti", "ians", "the associated press", "the canadian press"))


def _person(text: str) -> str | None:
    """A byline's text -> the name(s) in it, or None when it does not look like one."""
    t = _clean(text).lstrip("|•·>:-–— ")
    t = _BY_PREFIX_RE.sub("", t)
    if t.strip(" .").lower() in _AGENCY_BYLINES:
        return t.strip(" .")  # "By CP", "By the Associated Press": a wire agency, too short or lowercase for a name
    t = re.split(
        r"\s*(?:[|•·,;/(]|\s-\s|\s–\s|\s—\s|\s?--|\bposted\b|\bpublished\b|\bupdated\b|\bon\s+(?=[A-Z0-9])|\d"
        r"|\s(?:in|at|from|for|IN|AT|FROM|FOR)\s+(?=[A-Z0-9]))",  # "By Julian Linden in Sydney", "By Ben Grossman -- Broadcasting & Cable"
        t,
        maxsplit=1,
    )[0]
    t = _TRAILING_DATE_WORD_RE.sub("", t).strip(" .:-–—")
    t = _AND_AGENCIES_RE.sub("", t)  # "Laura Clout and agencies", "HERB KEINON AND AP"
    t = _strip_affiliation(_TRAILING_ROLE_RE.sub("", t).strip(" .:-–—"))
    if not (3 <= len(t) <= 60) or not _NAME_RE.match(t):
        return None
    words = t.split()
    if len(words) > 6 or any(w.lower().strip(".") in _NOT_A_NAME for w in words):
        return None
    return t if _plausible_author(t) else None


_AND_AGENCIES_RE = re.compile(r"\s+(?:and|&)\s+(?:agencies|wires|wire\s+services|(?:the\s+)?Associated\s+Press|AP|Reuters|AFP)$", re.I)
# "Staff Writer", "AP Sports Writer", "Associated Press Writer" after a name
_TRAILING_ROLE_RE = re.compile(
    r"(?:\s+(?:the\s+)?(?:AP|Associated\s+Press|Reuters|AFP|Staff|Senior|Sports|Entertainment|Business|Political|"
    r"Chief|Special|Contributing|Correspondent|Staff|Technology|Science|Medical|Health|Economics|Legal|Diplomatic|"
    r"Military|Religion|Environment|Environmental|National|Foreign|Financial|Energy|Education|Travel|Music|Film|"
    r"Movie|Television|TV|Arts?|Auto|Investigative|Crime|Courts?|Features?|Fashion|Food|Golf|Hockey|Baseball|"
    r"Basketball|Football|Soccer|Tennis|Racing|Security|Defence|Defense|Labour|Labor|Metro|City|Parliamentary)\b)*"
    r"\s+(?:Writer|Reporter|Correspondent|Editor|Columnist)s?"
    r"(?:\s+[A-Z][A-Z.\s-]*)?$",  # "AP Technology Writer SEATTLE": the dateline's place in capitals after the role
    re.I,
)
_TRAILING_AGENCY_RE = re.compile(r"\s+(?:the\s+)?(?:Associated\s+Press|AP|Reuters|AFP|UPI|Bloomberg)$", re.I)


def _strip_affiliation(t: str) -> str:
    """"TOM CANAVAN ASSOCIATED PRESS" -> "TOM CANAVAN", "Marc Kaufman WASHINGTON POST" -> "Marc Kaufman",
    "MIRJAM SWANSON THE PRESS-ENTERPRISE" -> "MIRJAM SWANSON": an outlet after a name of 2+ words."""
    if len((u := _TRAILING_AGENCY_RE.sub("", t)).split()) >= 2:
        t = u
    words = t.split()
    if len(words) >= 3 and "THE" in words[2:]:
        i = words.index("THE", 2)
        return " ".join(words[:i])
    if len(words) >= 3 and not words[0].isupper():
        k = len(words)
        while k > 2 and words[k - 1].isupper() and len(words[k - 1]) > 1:
            k -= 1
        if any(w.strip("-").lower() in _OUTLET_WORDS for w in words[k:]):
            return " ".join(words[:k])
    return t


_OUTLET_WORDS = frozenset(
    "post times news press herald tribune journal gazette star sun daily chronicle review independent express "
    "mail guardian telegraph wire agency radio tv network examiner observer courier inquirer globe".split()
)


_CJK_NAME_RE = re.compile(r"[\u4e00-\u9fff]{2,4}|[\uac00-\ud7af]{2,4}")
# role and placeholder words that stand where a name would: author, reporter, editor, source, anonymous, admin
_CJK_NOT_NAMES = frozenset("作者 记者 記者 编辑 編輯 责任编辑 責任編輯 来源 來源 本报 本報 本站 佚名 管理员 管理員 网友 網友 기자 편집 작성자 관리자".split())
_CJK_EDITOR_RE = re.compile(r"(?:责任编辑|責任編輯|责编|編輯|编辑|편집)\s*[:：]?\s*\0")
# a name's contact after it: "Bradley M. Kuhn (http://ebb.org/bkuhn/)", "Jane Roe <jane@example.org>"
_CONTACT_AFTER_RE = re.compile(r"\s*[(<]\s*(?:https?://|mailto:|[\w.+-]+@)[^)>]*[)>]\s*$", re.I)


def _plausible_author(t: str) -> bool:
    """Not a web designer, a company or a site handle ("Vivid Interactive and Design", "calgarysun",
    "CBNNews"): one-word values only in capitals (agencies: "AFP", "REUTERS") or as a capitalised name."""
    words = t.split()
    if any(w.lower().strip(".,") in _COMPANY_WORDS for w in words) or re.fullmatch(r"[a-z0-9 ._-]+", t):
        return False
    if len(words) == 1:  # agencies only ("AFP", "REUTERS", "Reuters"): a lone capitalised word is a handle or a first name
        if _CJK_NAME_RE.fullmatch(words[0]):  # "肖春芳", "김철수": a Chinese or Korean name is written as one word
            return words[0] not in _CJK_NOT_NAMES
        return words[0].isupper() or words[0].lower() in _AGENCIES
    return words[-1].lower() not in ("and", "&", "with", "of")


def _from_page(tree, order: dict) -> tuple[dict[str, str], list[tuple[int, date]]]:
    """Byline and date elements (class/id hints), for pages without metadata: the byline found
    first, and every hinted date element's (document position, date)."""
    found: dict[str, str] = {}
    dates: list[tuple[int, date]] = []
    for el in _body(tree).xpath(".//*[@class or @id]"):
        hint = f"{el.get('class') or ''} {el.get('id') or ''}"
        want_author = "author" not in found and BYLINE_HINT_RE.search(hint) and not _NOT_AUTHOR_HINT_RE.search(hint)
        want_date = len(dates) < MAX_DATE_ELEMENTS and DATE_HINT_RE.search(hint)
        if not (want_author or want_date) or "comment" in hint.lower():
            continue  # a commenter's name or date is not the article's
        if el.tag in _NOT_BYLINE_TAGS or len(el) > 12 or sum(1 for _ in itertools.islice(el.iter(), 40)) >= 40:
            continue  # a container, not a byline or a date line
        txt = _text(el)
        if want_author and txt and len(txt) <= 120 and (v := _element_person(el, txt)):
            found["author"] = v
        if want_date and txt and len(txt) <= 200 and (d := _full_date(txt) or _compact_date(txt)):
            dates.append((order.get(el, 0), d))
    return found, dates


MAX_DATE_ELEMENTS = 20


def _element_person(el, txt: str) -> str | None:
    """A byline element's name: the first of its text pieces that is one ("Ben Silverman" of
    "<a>Ben Silverman</a><span>Games</span>"), else its whole text read as a byline."""
    for piece in el.itertext():
        if piece.strip() and (v := _person(piece)):
            return v
    if (v := _person(txt)) is not None:
        return v
    if re.fullmatch(r"[a-z'’.-]+(?: [a-z'’.-]+){1,6}", txt):
        # a byline lowercased in the markup and capitalised by the page's CSS ("michelle shephard national
        # security reporter"): read as capitalised; a person's two words or more, not an outlet ("winnipeg sun")
        v = _person(txt.title())
        if v and len(v.split()) >= 2 and not _outlet_like(v):
            return v
    return None


# Month names of date lines, in the languages most news is written in (full names and the usual
# abbreviations; abbreviations that are also common words, "out", "set", "ago", are left out).
_MONTH_NAMES: dict[str, int] = {}
for _month_no, _month_words in enumerate(
    (
        "january jan janvier janv januar jänner jaenner enero ene gennaio gen janeiro januari",
        "february feb febr février fevrier févr fevr februar febrero febbraio fevereiro fev februari",
        "march mar mars märz maerz mär marzo março marco maart mrt",
        "april apr avril avr abril abr aprile",
        "may mai mayo maggio mag maio mei",
        "june jun juin juni junio giugno giu junho",
        "july jul juillet juil juli julio luglio lug julho",
        "august aug août aout agosto augustus",
        "september sep sept septembre septiembre setiembre settembre setembro",
        "october oct octobre oktober okt octubre ottobre ott outubro",
        "november nov novembre noviembre novembro",
        "december dec décembre decembre déc dezember dez diciembre dic dicembre dezembro",
    ),
    start=1,
):
    for _word in _month_words.split():
        _MONTH_NAMES[_word] = _month_no
_MON_RX = "|".join(sorted(map(re.escape, _MONTH_NAMES), key=len, reverse=True))
_Y4 = r"((?:19|20)\d{2})(?![\d:])"
_ORD = r"(?:st|nd|rd|th|er|e|º|°|\.)?"
_DATELINE_RES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (kind, re.compile(rx, re.I))
    for kind, rx in (
        # 15 janvier 2008, 8-Jan-2008, 9th January 2008, 15 de enero de 2008, 29 Dec 15:58:00 2007
        ("dmy", rf"(?<![\w.:/-])([0-3]?\d){_ORD}(?:\s+(?:de|of))?[\s.,/-]+({_MON_RX})\b\.?(?:\s+de)?[\s.,/-]*(?:\d{{1,2}}:\d{{2}}(?::\d{{2}})?\s+)?{_Y4}"),
        # January 9 , 2008, Jan, 15, 2008, January 15th 2008, Dec 27 15:58:00 2007
        ("mdy", rf"(?<![\w])({_MON_RX})\b\.?[\s,]+([0-3]?\d){_ORD}[\s,]+(?:\d{{1,2}}:\d{{2}}(?::\d{{2}})?\s+)?{_Y4}"),
        # 2008-01-15, 2008/1/15, 2008.01.15
        ("ymd", r"(?<![\w.:/-])((?:19|20)\d{2})([/.-])([01]?\d)\2([0-3]?\d)(?![\w/-]|\.\d)"),
        # 2016年10月14日, 2016년 10월 14일 (Chinese, Japanese, Korean: year, month, day, each marked)
        ("cjk", r"((?:19|20)\d{2})\s*[年년]\s*([01]?\d)\s*[月월]\s*([0-3]?\d)\s*[日일]"),
        # 15/01/2008, 1/17/2008, 01.09.2008, 31-12-2007, 15/01/08 (two-digit years only in a date line)
        ("numeric", r"(?<![\w.:/-])([0-3]?\d)([/.-])([0-3]?\d)\2((?:19|20)\d{2}|\d{2})(?![\w/-]|\.\d)"),
    )
)
# Time zones that say how a numeric date is ordered (GMT/UTC say nothing: used everywhere).
_MONTH_FIRST_ZONES_RE = re.compile(r"\b(?:[ECMP][SD]T|ET|PT|AKST|HST)\b")
_DAY_FIRST_ZONES_RE = re.compile(r"\b(?:BST|CET|CEST|EET|EEST|WET|WEST|IST|AEST|AEDT|ACST|AWST|WST|NZST|NZDT|SAST|MSK|HKT|SGT|PKT|WIB)\b")


def _dateline_dates(text: str, short: bool) -> list[tuple[int, int, int, int, int, bool]]:
    """Written dates of a line: (start, end, year, month, day, ambiguous) in order of position.
    `ambiguous`: a numeric date both of whose orders are valid, read day first here. `short`: the
    line is a date line, where two-digit years are read."""
    out = []
    for kind, rx in _DATELINE_RES:
        for m in rx.finditer(text):
            g = m.groups()
            amb = False
            if kind == "dmy":
                d, mo, y = int(g[0]), _MONTH_NAMES[g[1].lower()], int(g[2])
            elif kind == "mdy":
                mo, d, y = _MONTH_NAMES[g[0].lower()], int(g[1]), int(g[2])
            elif kind == "ymd":
                y, mo, d = int(g[0]), int(g[2]), int(g[3])
            elif kind == "cjk":
                y, mo, d = int(g[0]), int(g[1]), int(g[2])
            else:
                a, b, ys = int(g[0]), int(g[2]), g[3]
                if len(ys) == 2 and not (short or m.start() == 0 or _CLOCK_AFTER_RE.match(text, m.end())):
                    continue  # "01/13/08 - Ontario Hockey League ...": a date line's start
                y = int(ys) if len(ys) == 4 else 2000 + int(ys) if int(ys) < 70 else 1900 + int(ys)
                amb = a <= 12 and b <= 12 and a != b
                d, mo = (b, a) if a <= 12 < b else (a, b)
            try:
                date(y, mo, d)
            except ValueError:
                continue
            out.append((m.start(), m.end(), y, mo, d, amb))
    out.sort()
    return out


def _iso_date(v: str) -> date | None:
    """"2008-01-12", "2008-01-12T10:00:00Z", "20080112": a year-first value, else None."""
    m = re.match(r"\s*((?:19|20)\d{2})-?(0[1-9]|1[0-2])-?(0[1-9]|[12]\d|3[01])(?!\d)", v)
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3))) if m else None
    except ValueError:
        return None


def _full_date(
    text: str, lead_chars: int | None = None, day_first: bool | None = None, known: Callable[[], frozenset[date]] = frozenset,
    lang_order: Callable[[], bool | None] = lambda: None,
) -> date | None:
    """The first written date with day, month and year in `text` ("POSTED: 2:45 pm January 22, 2008",
    "Mardi 15 janvier 2008", "15/01/08 15:46") that reads as a date line, not as a date inside a
    sentence ("since March 15, 2003", "in this June 3, 2007, file photo"). A numeric date both of whose
    orders are valid ("01/10/2008") counts only when a weekday or a time zone next to it, or the
    page's other numeric dates (`day_first`), tell which it is. With `lead_chars` (a long line), only
    a date starting within its first `lead_chars` characters or followed by a clock time counts."""
    short = len(text) <= 40
    for start, end, y, mo, d, amb in _dateline_dates(text, short):
        if not 1990 <= y <= 2099:
            continue
        if lead_chars is not None and start > lead_chars and not _CLOCK_AFTER_RE.match(text, end):
            continue
        if _in_prose(text, start, end):
            continue
        if not amb:
            return date(y, mo, d)
        # read day first: (d, mo); the other order swaps them
        if (r := _resolve_order(text, start, end, date(y, mo, d), date(y, d, mo), day_first, known, lang_order)) is not None:
            return r
    return None


_CLOCK_AFTER_RE = re.compile(r"[\s,;@|-]*(?:at\s+|a\s+las\s+|à\s+|um\s+)?\d{1,2}[:.h]\d{2}\b", re.I)


# A date preceded by one of these words is part of a sentence ("since", "after", "in this ...").
_PROSE_BEFORE_RE = re.compile(
    r"\b(?:since|after|before|until|till|from|between|through|during|in|of|this|that|to|and|or|than|as|"
    r"ended|starting|began|born|died|til)\s*$",
    re.I,
)
_PUBLISHING_WORDS = r"posted|published|updated|modified|created|written|filed|released|issued|dated|last\s+updated|edition"
_PROSE_ON_RE = re.compile(r"(?<![\w:])([a-z]+)\s+on\s*$")  # a lowercase word: "imposed on", not "Cornwell on", "11am on"
_PROSE_AFTER_RE = re.compile(r"^\s*,\s*(?:file|photo|when|after|and|but|which|who|in|at\s+the|the|a|an|to|of|as|while|before|during)\b", re.I)


def _in_prose(text: str, start: int, end: int) -> bool:
    """Whether the date at text[start:end] is inside a sentence rather than a date line."""
    before = text[max(0, start - 40) : start]
    after = text[end : end + 30]
    if _PROSE_BEFORE_RE.search(before) and not re.search(rf"(?:{_PUBLISHING_WORDS})\W*(?:on|in)?\W*$", before, re.I):
        return True
    if (m := _PROSE_ON_RE.search(before)) and not re.fullmatch(rf"(?:{_PUBLISHING_WORDS})", m.group(1), re.I):
        return True  # "imposed on January 11, 2007" (but "Posted on January 11, 2008")
    return bool(_PROSE_AFTER_RE.match(after))


_WEEKDAY_RE = re.compile(r"\b(mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?", re.I)
_WEEKDAY_NUM = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}


def _resolve_order(
    text: str, start: int, end: int, day_first_reading: date, month_first_reading: date, day_first: bool | None,
    known: Callable[[], frozenset[date]] = frozenset, lang_order: Callable[[], bool | None] = lambda: None,
) -> date | None:
    """An ambiguous numeric date at text[start:end]: the reading a weekday written within
    20 characters of it agrees with, else the order a time zone after it implies (PST/EST: month
    first; CET/IST/AEST...: day first), else the page's order `day_first`, else the order of the
    page's language (`lang_order`: `_language_order`), else the one reading near a date the page
    writes with a month name (`known`), else None."""
    near = text[max(0, start - 20) : end + 20]
    readings = {True: day_first_reading, False: month_first_reading}
    if wd := _WEEKDAY_RE.search(near):
        want = _WEEKDAY_NUM[wd.group(1).lower()]
        hits = [r for r in readings.values() if r.weekday() == want]
        return hits[0] if len(hits) == 1 else None
    after = text[end : end + 40]
    if _MONTH_FIRST_ZONES_RE.search(after):
        return readings[False]
    if _DAY_FIRST_ZONES_RE.search(after):
        return readings[True]
    if day_first is not None:
        return readings[day_first]
    if (by_language := lang_order()) is not None:
        return readings[by_language]
    # the page's dates written with month names ("Tue, January 15, 2008" in its header, "January 8" in
    # a list): the one reading within KNOWN_DATE_DAYS of one of them ("01.09.2008" -> January 9, not
    # September 1)
    near = [r for r in readings.values() if any(_days_apart(r, k) <= KNOWN_DATE_DAYS for k in known())]
    return near[0] if len(near) == 1 else None


YEARLESS = 1  # the year of a known date the page writes without one ("Jan 17" in a list of results)


def _days_apart(r: date, k: date) -> int:
    """Days between a reading and a known date; a yearless known date is taken in the reading's year
    or the ones next to it (a "Dec 29" next to a January story)."""
    if k.year != YEARLESS:
        return abs((r - k).days)
    out = 10**6
    for y in (r.year - 1, r.year, r.year + 1):
        if k.month != 2 or k.day != 29 or calendar.isleap(y):
            out = min(out, abs((r - date(y, k.month, k.day)).days))
    return out


# A date written with a month name but no year, a line's whole text or its start: "Jan 17", "17 January"
_YEARLESS_DATE_RE = re.compile(
    rf"^\W*(?:({_MON_RX})\.?\s+([0-3]?\d){_ORD}|([0-3]?\d){_ORD}\s+({_MON_RX})\.?)(?![\w/.-]|,?\s*(?:19|20)\d\d)", re.I
)


def _yearless_dates(ln: str) -> list[date]:
    m = _YEARLESS_DATE_RE.match(ln)
    if not m:
        return []
    try:
        return [date(YEARLESS, _MONTH_NAMES[(m.group(1) or m.group(4)).lower()], int(m.group(2) or m.group(3)))]
    except ValueError:
        return []


# A wire dateline's yearless date at a line's start: "NEW YORK, Jan. 7 --", "SALMON, Idaho, Jan 17
# (Reuters) -", "(PressMediaWire) NEW YORK, Jan. 7 --", "Naciriya, 2 Jan. (AKI) -" (with a year after
# it, it is a full date, read elsewhere).
_YEARLESS_DATELINE_RE = re.compile(
    rf"^\W*(?:\([^()]{{2,30}}\)\s*)?[A-Z][A-Za-z.'’ -]{{1,40}}?(?:,\s*[A-Z][A-Za-z.'’ -]{{1,30}}?)?,\s+"
    rf"(?:((?i:{_MON_RX}))\.?\s+([0-3]?\d)|([0-3]?\d)\s+((?i:{_MON_RX})))\.?\s*(?:\(|--|-\s|–|—|:)",
)


def _yearless_dateline(ln: str) -> date | None:
    """A line's wire dateline date without its year (`YEARLESS` as the year), else None."""
    m = _YEARLESS_DATELINE_RE.match(ln[:80])
    if not m:
        return None
    try:
        return date(YEARLESS, _MONTH_NAMES[(m.group(1) or m.group(4)).lower()], int(m.group(2) or m.group(3)))
    except ValueError:
        return None


# The order numeric dates have in the page's language: English as written in the United States month
# first; in Britain, Ireland, Australia, New Zealand, India and South Africa day first (a bare "en" or
# "en-CA" says nothing); the other languages news is written in day first. Checked on the development
# pages (all four sets) whose own numeric dates tell their order (a day over 12): every "en-US" page
# month first (31 of 31), every "en-GB" page day first (3 of 3).
_DAY_FIRST_REGIONS = frozenset("gb uk ie au nz in za".split())
_DAY_FIRST_LANGUAGES = frozenset(
    "fr de es it pt nl ru pl cs sk sl hr sr bs bg uk be tr el da sv nb nn no fi et ro ca gl eu is id ms vi".split()
)


def _language_order(declared: str | None, text: Callable[[], str]) -> bool | None:
    """True when the page's language writes numeric dates day first, False when month first, None when
    it cannot tell. `declared`: the page's language tag ("en-US", "es"); without one, the stop-word
    guess of `text()` (the page's running text), which names a language only when it is sure."""
    if declared:
        lang, _, region = declared.strip().split(",")[0].strip().lower().replace("_", "-").partition("-")
        if lang == "en":
            return False if region[:2] == "us" else True if region[:2] in _DAY_FIRST_REGIONS else None
        return True if lang in _DAY_FIRST_LANGUAGES else None
    from tasks.blocks import guess_language

    return True if guess_language(text()) in _DAY_FIRST_LANGUAGES else None


KNOWN_DATE_DAYS = 45
YEARLESS_LINE_MAX_CHARS = 40  # "Jan 17", "Jan 17 | Nevada 82, San Jose St. 70": a list's line, not a sentence


def _url_date(url: str | None) -> date | None:
    if not url:
        return None
    m = _URL_DATE_RE.search(url)
    if not m:
        return None
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


_BLOCK_TAGS = frozenset(
    "p div td th li dd dt h1 h2 h3 h4 h5 h6 tr table ul ol section article header footer aside nav main body "
    "blockquote pre form center address figure figcaption br hr".split()
)
DATELINE_MAX_CHARS = 160  # a line holding a date longer than this is prose or a caption


def _body(tree):
    """The page's <body>, else its root: a page whose start is cut or garbled ("?<!DOCTYPE", a
    fragment beginning inside a script) parses to a root <div> with no <body>, its text still there."""
    body = tree.xpath("//body")
    return body[0] if body else tree.getroottree().getroot()


def _doc_order(tree) -> dict:
    """element -> its position in document order."""
    return {el: i for i, el in enumerate(tree.iter())}


def _lines(tree, order: dict) -> list[tuple[int, str]]:
    """The page's visible text as lines: consecutive text nodes inside the same block element
    (p, div, td, li, h1...) joined, as a browser would lay them out; each with the document
    position of its first text node's element."""
    lines: list[tuple[int, str]] = []
    last = None
    for t in _body(tree).xpath(".//text()[not(ancestor::script or ancestor::style or ancestor::noscript or ancestor::title)]"):
        txt = _clean(t)
        el = t.getparent()
        if el is None:
            continue
        pos = order.get(el, 0)
        if t.is_tail:  # a tail belongs to the element's parent
            brk = el.tag in _BLOCK_TAGS
            el = el.getparent()
        else:
            brk = el.tag in ("br", "hr")
        while el is not None and el.tag not in _BLOCK_TAGS:
            el = el.getparent()
        if not txt:
            continue
        if lines and el is last and not brk:
            lines[-1] = (lines[-1][0], lines[-1][1] + " " + txt)
        else:
            lines.append((pos, txt))
        last = el
    return lines


def _headline_line(tree, lines: list[tuple[int, str]], title: str | None) -> int | None:
    """Index of the line holding the headline: the title's first words, else the page's first
    <h1>/<h2> with text; None when neither is found."""
    for h in ([title] if title else []) + [_text(el) for el in _body(tree).xpath(".//h1 | .//h2")[:3]]:
        head = " ".join(h.split()[:6])
        if len(head) >= 8 and (i := next((i for i, (_, ln) in enumerate(lines) if head in ln), None)) is not None:
            return i
    return None


def _page_date(
    lines: list[tuple[int, str]], start: int | None, hinted: list[tuple[int, date]], day_first: bool | None = None,
    lang_order: Callable[[], bool | None] = lambda: None,
) -> date | None:
    """The publication date a page without date metadata shows, from the hinted date elements
    (`hinted`, from `_from_page`) and the date lines (the first within 3,000 characters after the
    headline line `start`, the first within the page's first 6,000 characters): the one nearest
    the headline, a line above it counting double (above it sit the site header's "today" dates,
    below it the story's dateline and byline); when no headline is found, the story's first paragraph
    (`_story_start`) stands for it, else the first of them is taken. A date
    line is a short line holding a full date ("Tuesday, January 15, 2008", "Posted: 10 Jan 2008
    14:25 GMT"), not a date inside a sentence or a caption; copyright years are left out. An ambiguous
    numeric date is read in the page's order `day_first` (`_numeric_order`), else its language's
    (`lang_order`: `_language_order`)."""
    import bisect

    known = functools.cache(  # read only when an ambiguous numeric date needs them
        lambda: frozenset(
            date(y, mo, d) for _, ln in lines if len(ln) <= DATELINE_MAX_CHARS for _, _, y, mo, d, amb in _dateline_dates(ln, False) if not amb
        )
        | frozenset(k for _, ln in lines if len(ln) <= YEARLESS_LINE_MAX_CHARS for k in _yearless_dates(ln))
        | frozenset(k for _, ln in lines if (k := _yearless_dateline(ln)))
    )
    positions = [pos for pos, _ in lines]
    cands = [(bisect.bisect_left(positions, pos), d) for pos, d in hinted]  # line index, date
    if start is None and (story := _story_start(lines)) is not None:
        # no headline found: the story's first paragraph anchors the search instead (its date line sits
        # just above it, a site header's "Last updated: <today>" at the page's top)
        start = story
        windows = [_first_chars(lines[max(0, story - STORY_DATE_LINES_BEFORE) :], 3000), _first_chars(lines, 6000)]
    else:
        windows = ([_first_chars(lines[start:], 3000)] if start is not None else []) + [_first_chars(lines, 6000)]
    for w in windows:
        for pos, ln in w:
            long = len(ln) > DATELINE_MAX_CHARS
            ln = _COPYRIGHT_RE.sub(" ", ln)
            if d := _full_date(ln, LEAD_CHARS if long else None, day_first, known, lang_order) or _compact_date(ln[:LEAD_CHARS] if long else ln):
                cands.append((bisect.bisect_left(positions, pos), d))
                break
    if not cands and (years := _copyright_years(lines)):
        # no full date anywhere near the story: a date line with a weekday but no year ("Fri Dec 28,
        # 6:09 PM ET"), its year the one around the page's copyright year that the weekday fits
        for w in windows:
            for pos, ln in w:
                if d := _weekday_date(ln, years, LEAD_CHARS if len(ln) > DATELINE_MAX_CHARS else None):
                    cands.append((bisect.bisect_left(positions, pos), d))
                    break
    if not cands:
        return None
    if start is None:
        return min(cands, key=lambda c: c[0])[1]
    return min(cands, key=lambda c: (c[0] - start if c[0] >= start else 2 * (start - c[0]), c[0]))[1]


def _long_text(lines: list[tuple[int, str]]) -> str:
    """The page's running text for a language guess: its lines of 80+ characters, the first 5,000 characters."""
    return " ".join(ln for _, ln in lines if len(ln) >= 80)[:5000]


_TITLE_PART_RE = re.compile(r"\s+[|–—»·]\s+|\s+-\s+")
TITLE_DATE_MAX_CHARS = 30


def _title_date(title: str | None, day_first: bool | None, lang_order: Callable[[], bool | None]) -> date | None:
    """A date the page's <title> holds as a part of its own ("Una solución no violenta ... - 07.12.2017 -
    LA NACION", "Site | 01/15/2008 | Headline"): the page's date; a date among the headline's words is
    not one. An ambiguous numeric date needs the page's or its language's order."""
    if not title:
        return None
    for part in _TITLE_PART_RE.split(_clean(title))[1:]:  # the first part is the headline (or the site)
        if len(part) <= TITLE_DATE_MAX_CHARS and (d := _full_date(part, None, day_first, frozenset, lang_order)):
            return d
    return None


STORY_PARAGRAPH_CHARS = 150
STORY_DATE_LINES_BEFORE = 4


def _story_start(lines: list[tuple[int, str]]) -> int | None:
    """Index of the page's first paragraph of prose (a line of 150+ characters ending a sentence), else None."""
    return next((i for i, (_, ln) in enumerate(lines) if len(ln) >= STORY_PARAGRAPH_CHARS and ln.rstrip()[-1:] in ".!?\"”'’)"), None)


# A byline line: "By Jane Doe", "Par Jean Dupont", "Von Hans Meier", "Por Ana Ruiz", "Door Jan de Vries";
# or "Posted by Jane Doe" inside a line.
_BYLINE_LINE_RE = re.compile(
    r"^(?:(?:written|posted|reported|story|words|text)\s+)?(?:by|par|von|por|di|door|av|af)[:\s]+(?=\S)"
    r"|^(?:author|autor|auteur|autore|authors|autores|auteurs)\s*:\s*(?=\S)",  # "Author : DPA", "Autor: Hans Meier"
    re.I,
)
_POSTED_BY_RE = re.compile(r"\b(?:posted|written|reported|filed)\s+by[:\s]+", re.I)
BYLINE_LINES_BEFORE, BYLINE_LINES_AFTER = 3, 15


_CAPS_NAME_RE = re.compile(r"^[A-Z][A-Z.'’-]+(?:\s+(?:[A-Z][A-Z.'’-]*|Mc[A-Z]+|de|van|von|da|al)){1,3}$")
CAPS_NAME_LINES_AFTER = 4


def _byline(lines: list[tuple[int, str]], start: int | None) -> str | None:
    """The author named by a byline line near the headline (3 lines above it to 15 below): "By ...",
    "Posted by ...", or a name alone in capitals within 4 lines below it ("RANDY SPORTAK")."""
    if start is None:
        return None
    for i, (_, ln) in enumerate(lines[max(0, start - BYLINE_LINES_BEFORE) : start + BYLINE_LINES_AFTER], start=max(0, start - BYLINE_LINES_BEFORE)):
        if len(ln) > 200:
            continue
        ln = ln.lstrip("|•·>:-–— ")  # "| By Melissa Jenkins": a separator left from the line above
        m = _BYLINE_LINE_RE.match(ln) or _POSTED_BY_RE.search(ln)
        if m and (v := _person(ln[m.end() :])):
            return v
        if (
            start < i <= start + CAPS_NAME_LINES_AFTER
            and _CAPS_NAME_RE.match(ln)
            and not any(w.lower().strip(".") in _GENERIC_TITLE_WORDS | _SITE_WORDS for w in ln.split())
            and (v := _person(ln))
        ):
            return v
    return None


# "By Jane Roe", "By the Associated Press", "Author: Luke Van Leuveren"; not "By posting you agree", "By sector"
_BY_LINE_START_RE = re.compile(r"^(?:(?:by|par|von|por|door)[:\s]+|(?:author|autor|auteur)\s*:\s*)(?=(?-i:[A-Z\u00C0-\u024F]|the\s))", re.I)
LONE_BYLINE_MAX_CHARS = 80
LONE_BYLINE_PROSE_CHARS, LONE_BYLINE_PROSE_LINES = 120, 4


def _lone_byline(lines: list[tuple[int, str]]) -> str | None:
    """The author of a page whose headline is not found near a byline (a site-wide <title>, no <h1>):
    the page's only "By ..." line, when it names a person (two words or more, or a known agency) and a
    paragraph of the story follows within 4 lines; none when several lines start with "By" (a list of
    other stories or posts: "By Lowery | Read Article", "By Charlie K | Read Article")."""
    found = [i for i, (_, ln) in enumerate(lines) if len(ln) <= LONE_BYLINE_MAX_CHARS and _BY_LINE_START_RE.match(ln.lstrip("|•·>:-–— "))]
    if len(found) != 1:
        return None
    i = found[0]
    ln = lines[i][1].lstrip("|•·>:-–— ")
    v = _person(ln[_BY_LINE_START_RE.match(ln).end() :])
    if not v or (len(v.split()) < 2 and v.lower() not in _AGENCIES):
        return None  # "BY HERALD REPORTER" -> "HERALD": the outlet, "POR AGENCIAS"
    if not any(len(ln) >= LONE_BYLINE_PROSE_CHARS for _, ln in lines[i + 1 : i + 1 + LONE_BYLINE_PROSE_LINES]):
        return None  # a columnist's link in a menu ("by Dan Di Sciullo", "- Past Articles"), not the story's byline
    return v


# A wire story's dateline credit: "WASHINGTON (Reuters) -", "MANILA, Nov. 24 (Xinhua) --", "TORONTO (AP) -",
# "LAS VEGAS--(BUSINESS WIRE)--", "(CNN) --": the place (and date) in the line's first 60 characters, the
# agency in parentheses, then a dash or colon and the story.
_WIRE_CREDIT_RE = re.compile(
    r"^(?:[A-Z][\w.'’ ,-]{0,60}?\s*(?:--|[-–—])?\s*)?\(((?:[A-Z][\w.&'’-]*)(?:\s+[A-Z][\w.&'’-]*){0,3})\)\s*(?:--|[-–—:])\s*\S"
)
_NOT_WIRE_WORDS = frozenset("photo photos video file update updated updates live watch audio pictures graphic map map".split())
WIRE_LINES_AFTER = 15


def _wire_credit(lines: list[tuple[int, str]], start: int | None) -> str | None:
    """The agency a wire story credits in its dateline ("WASHINGTON (Reuters) - ...": "Reuters"), in
    the first lines below the headline, when the page names no author: the story's source as the page
    gives it (an organisation, as schema.org's `author` may be); a "By ..." name before the credit
    wins over it."""
    if start is None:
        return None
    for _, ln in lines[start : start + WIRE_LINES_AFTER + 1]:
        m = _WIRE_CREDIT_RE.match(ln.strip())
        if m and m.start(1) <= 64:
            lead = ln.strip()[: m.start(1)]
            if (by := _BYLINE_LINE_RE.match(lead)) and (person := _person(lead[by.end() :])):
                return person  # "By Scott Garbarini, Associate NFL Editor -- (Sports Network) - ..."
            agency = m.group(1).strip()
            if not any(w.lower().strip(".") in _NOT_WIRE_WORDS for w in agency.split()) and not agency[:1].isdigit():
                return agency
    return None


LONE_CREDIT_MIN_CHARS = 150


def _lone_wire_credit(lines: list[tuple[int, str]]) -> str | None:
    """The agency credited by the page's only paragraph (a line of 150 characters or more) that opens
    with a wire dateline ("TAIPEI, Taiwan (AP) - ...", "New Delhi (PTI): ..."), for a page whose
    headline is not found: the story's first paragraph; none when several paragraphs open so (a list)."""
    hits = set()
    for _, ln in lines:
        if len(ln) >= LONE_CREDIT_MIN_CHARS and (m := _WIRE_CREDIT_RE.match(ln.strip())) and m.start(1) <= 64:
            hits.add(m.group(1).strip())
    if len(hits) != 1:
        return None
    agency = hits.pop()
    bad = any(w.lower().strip(".") in _NOT_WIRE_WORDS for w in agency.split()) or agency[:1].isdigit()
    return None if bad else agency


# Wire agencies by the names a credit line spells out (lowercase, "the" dropped).
_AGENCY_NAMES = frozenset(
    (
        "associated press", "press trust of india", "agence france-presse", "agence france presse", "reuters",
        "canadian press", "united press international", "indo-asian news service", "asian news international",
        "xinhua", "xinhua news agency", "deutsche presse-agentur", "kyodo news", "yonhap", "bernama", "ansa",
    )
)
AGENCY_LINE_PROSE_LINES = 3
AGENCY_LINE_STORY_CHARS = 150  # a line this long before the credit line is a paragraph of the story


def _agency_line(lines: list[tuple[int, str]]) -> str | None:
    """A wire agency's name standing as a line of its own ("Press Trust of India" over "Saturday, December
    29, 2007 (New Delhi)" and the story): the story's credit, when the story's paragraph (120+ characters)
    follows within 3 lines, no paragraph (150+ characters) stands in the 2 lines above it (the credit
    heads the story) and the page names no other agency so; none when it credits several (a list)."""
    hits: dict[str, int] = {}
    for i, (_, ln) in enumerate(lines):
        if len(ln) <= 40 and (name := re.sub(r"^the\s+", "", ln.strip(" .:-–—|").lower())) in _AGENCY_NAMES:
            hits.setdefault(name, i)
    if len(hits) != 1:
        return None
    i = next(iter(hits.values()))
    if not any(len(ln) >= LONE_BYLINE_PROSE_CHARS for _, ln in lines[i + 1 : i + 1 + AGENCY_LINE_PROSE_LINES]):
        return None
    if any(len(ln) >= AGENCY_LINE_STORY_CHARS for _, ln in lines[max(0, i - 2) : i]):
        return None  # under a story's paragraph: a source named at its end or a related link's, not its credit
    return lines[i][1].strip(" .:-–—|")


# A blog post's footer: "Posted by Chris Cornwell on January 9, 2008 in Games | Permalink", "Posted by Eric
# Earling at December 29, 2007 12:03 PM" (a commenter's "Posted by: jrmylmb | ..." has a colon).
_POSTED_BY_DATE_RE = re.compile(r"^\W*posted\s+by\s+(?=[^:])(.{3,80}?)\s+(?:on|at)\s+(.{6,40})", re.I)


_GUEST_POST_RE = re.compile(r"\bguest\s+(?:blog\s+)?(?:post|article|column|blogger)\b", re.I)


def _posted_by_line(lines: list[tuple[int, str]]) -> str | None:
    """The author a blog post's "Posted by NAME on DATE" line names, when it is the page's only such
    line (a comment thread has several), the name has two words or more ("Posted by admin", "Posted by
    Kathy": a handle or a first name, not taken) and the page does not call itself a guest post."""
    hits = [m for _, ln in lines if (m := _POSTED_BY_DATE_RE.match(ln)) and _full_date(m.group(2))]
    if len(hits) != 1 or any(_GUEST_POST_RE.search(ln) for _, ln in lines):
        return None  # "The following is a guest blog post by Nicholas Holmes": the poster is not its author
    v = _person(hits[0].group(0)[hits[0].start(1) :])
    return v if v and len(v.split()) >= 2 else None


def _first_chars(lines: list[tuple[int, str]], n: int) -> list[tuple[int, str]]:
    out, total = [], 0
    for pos, ln in lines:
        if total >= n:
            break
        out.append((pos, ln))
        total += len(ln) + 1
    return out


LEAD_CHARS = 40  # in a long line, a date line is its beginning ("16 January 2008 – The Security Council ...")
_NUMERIC_DATE_RE = re.compile(r"(?<![\w.:/-])([0-3]?\d)([/.-])([0-3]?\d)\2(?:(?:19|20)\d{2}|\d{2})(?![\w/-]|\.\d)")


def _numeric_order(lines: list[str]) -> bool | None:
    """Whether the page writes numeric dates day first (True: "28/12/2007" somewhere), month first
    (False: "1/17/2008"), or cannot tell (None: neither, or both)."""
    seen = set()
    for ln in lines:
        for m in _NUMERIC_DATE_RE.finditer(ln):
            a, b = int(m.group(1)), int(m.group(3))
            if a > 12 >= b:
                seen.add(True)
            elif b > 12 >= a:
                seen.add(False)
    return seen.pop() if len(seen) == 1 else None


_COPYRIGHT_RE = re.compile(r"(?:©|\(c\)|copyright)\s*(?:(?:19|20)\d{2}\s*[-–]\s*)?(?:(?:19|20)\d{2})?", re.I)


_COPYRIGHT_YEAR_RE = re.compile(r"(?:©|\(c\)|copyright)\s*(?:(?:19|20)\d{2}\s*[-–]\s*)?((?:19|20)\d{2})(?!\d)", re.I)
# the year after the holder's name: "© OddsPreview.com 2008.", "©CanWest News Service 2007", "Guardian
# Unlimited © Guardian News and Media Limited 2008"
_COPYRIGHT_HOLDER_YEAR_RE = re.compile(r"(?:©|\(c\)|copyright)\s*[A-Z][\w.,&'’ -]{1,50}?\s((?:19|20)\d{2})(?![\d/-])", re.I)
# A date line's weekday, month and day without a year: "Fri Dec 28, 6:09 PM ET", "Published: Tuesday,
# January 08", "Sat 19 Jan, 10:45 AM" (English weekday names).
_WEEKDAY_NO_YEAR_RE = re.compile(
    rf"\b(mon|tue|wed|thu|fri|sat|sun)(?:day|sday|nesday|rsday|urday|s|r|rs)?\.?,?\s+"
    rf"(?:({_MON_RX})\.?\s+([0-3]?\d){_ORD}(?!\d)|([0-3]?\d){_ORD}\s+({_MON_RX})(?![a-z])\.?)(?!\s*,?\s*(?:19|20)\d\d)",
    re.I,
)


# A publication date a page's script sets outside JSON-LD: `pubtime: '2016年10月14日07:17'`,
# `"publishDate": "2017-03-09T10:00"`, `var pub_date = "..."` (a CMS's page variables).
# Also a CMS's setter call, `setMetaData('apublished','2007-12-27T00:01:00')` (a name ending in
# "published", the value the call's second argument).
_SCRIPT_DATE_RE = re.compile(
    r"""["']?\b(?:date_?published|publish(?:ed)?_?(?:date|time|at)|pub_?(?:date|time))["']?\s*[:=]\s*["']([^"'\n]{6,40})["']"""
    r"""|\(\s*["']\w{0,3}published["']\s*,\s*["']([^"'\n]{6,40})["']\s*\)""",
    re.I,
)


def _script_date(tree) -> date | None:
    """The publication date a page's scripts give (`_SCRIPT_DATE_RE`), when they give one date only
    (a list of related stories gives several: none is taken); year-first or full written dates only."""
    found = set()
    for el in tree.iter("script"):
        if "ld+json" in (el.get("type") or "").lower() or not el.text:
            continue
        text, low = el.text, el.text.lower()
        i = low.find("pub")  # every name the pattern knows has "pub": only around those is it tried
        while i >= 0:
            m = _SCRIPT_DATE_RE.search(text, max(0, i - 8), i + 80)
            v = m and (m.group(1) or m.group(2))
            if v and (d := _iso_date(v) or _full_date(v)) and 1990 <= d.year <= 2099:
                found.add(d)
            i = low.find("pub", i + 3)
    return found.pop() if len(found) == 1 else None


def _copyright_years(lines: list[tuple[int, str]]) -> frozenset[int]:
    """The years of the page's copyright notices ("© 2008 CanWest", "Copyright 2006-2008 Yahoo", "© OddsPreview.com 2008")."""
    return frozenset(int(m.group(1)) for _, ln in lines for rx in (_COPYRIGHT_YEAR_RE, _COPYRIGHT_HOLDER_YEAR_RE) for m in rx.finditer(ln))


def _weekday_date(text: str, years: frozenset[int], lead_chars: int | None = None) -> date | None:
    """A yearless date line's date: the weekday tells the year among each copyright year and the
    one before it (a story from late December under the new year's notice), when exactly one fits;
    with `lead_chars` (a long line) only a date starting within its first `lead_chars` characters."""
    m = _WEEKDAY_NO_YEAR_RE.search(text)
    if not m or (lead_chars is not None and m.start() > lead_chars):
        return None
    before = text[: m.start()].rstrip().removesuffix("Â").rstrip()  # "Published:Â Tuesday": a no-break space's mojibake
    if before and before[-1] not in "|-–—•·:,([@" and not re.search(rf"(?:{_PUBLISHING_WORDS})\W*(?:on)?$", before, re.I):
        return None  # a line's start, after a separator or "Published:", not a sentence's "on Friday, Dec 28"
    month, day = _MONTH_NAMES[(m.group(2) or m.group(5)).lower()], int(m.group(3) or m.group(4))
    want = _WEEKDAY_NUM[m.group(1).lower()]
    fits = set()
    for y in years | {y - 1 for y in years}:
        try:
            d = date(y, month, day)
        except ValueError:
            continue
        if d.weekday() == want:
            fits.add(d)
    return fits.pop() if len(fits) == 1 else None


def _compact_date(text: str) -> date | None:
    """"20080109 15:24" (compact, followed by a time) or "2013/12/28" (year first, slashes or dots)."""
    m = re.search(r"\b((?:19|20)\d{2})(0[1-9]|1[0-2])([0-2]\d|3[01])(?:\s+\d{1,2}:\d{2}\b|T\d{4}(?:\d{2})?Z?\b)", text) or re.search(
        r"\b((?:19|20)\d{2})[/.](0?[1-9]|1[0-2])[/.](3[01]|[12]\d|0?[1-9])\b", text
    )
    if not m:
        return None
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        return None


def split_title(title: str | None, site: str | None) -> str | None:
    """"Article title | Site name" -> "Article title": the site name (or a short trailing part) is cut
    only where a separator sets it apart, so a title ending in the site's own word keeps it
    ("Introducing Junior Gaspard, New CEO at Acme" with site "Acme" stays whole)."""
    if not title:
        return None
    t = _clean(title)
    if site:
        s = re.escape(_clean(site))
        for rx in (rf"^(?P<t>.+?){_TITLE_SEP_RE}{s}$", rf"^{s}{_TITLE_SEP_RE}(?P<t>.+)$"):
            if (m := re.match(rx, t, re.I)) and len(m.group("t").split()) >= 2:
                return m.group("t").strip()
        return t
    parts = [p.strip() for p in re.split(r"\s+[|–—»/]\s+|\s+-\s+", t) if p.strip()]
    if len(parts) < 2:
        return t
    # "Title | Site": the first part; "Site | 01/07/2008 | Title", "FT.com / Home UK / UK - Title" (a
    # breadcrumb): the longest, when the rest are short.
    first, longest = parts[0], max(parts, key=lambda p: len(p.split()))
    if len(first.split()) >= 3 and len(parts[-1].split()) <= 5:
        return first
    if len(longest.split()) >= 3 and all(len(p.split()) <= 5 for p in parts if p is not longest):
        return longest
    return t


_DOMAIN_RE = re.compile(r"^(?:www\.)?[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.(?:com|net|org|info|biz|tv|fm|news|[a-z]{2})$", re.I)
_SITE_WORDS = _OUTLET_WORDS | frozenset(
    "online magazine bbc cnn abc cbs nbc fox sky reuters bloomberg today weekly monthly sport sports "
    "standard record register bulletin dispatch telegram recorder reporter sentinel leader mirror".split()
)


_GENERIC_TITLE_WORDS = frozenset(
    "the news sport sports world business entertainment local national international politics health science "
    "technology tech opinion life lifestyle arts culture travel update updates daily today latest breaking top "
    "stories story headlines online home page section and & of in".split()
)


def _title_site(title: str | None) -> str | None:
    """The site's name a page title carries ("Headline - NOLA.com", "The Telegraph - Calcutta (Kolkata) |
    Sports | Headline", "Headline | Hindustan Times"): an end part of the title set apart by " | ",
    " - ", " – ", " — ", " : ", " :: " or " » " that is a domain name, or (the last part, or the first
    of three or more when it starts with "The") a short capitalised name with a news outlet's word (Times, Post, Herald, Press...) and a
    word that is not a section's ("Entertainment News", "Daily Sports Update" are sections); None
    otherwise."""
    if not title:
        return None
    parts = [p.strip() for p in re.split(r"\s+(?:[|–—»:]|::|-)\s+", _clean(title)) if p.strip()]
    if len(parts) < 2:
        return None
    for i, p in ((len(parts) - 1, parts[-1]), (0, parts[0])):
        if len(" ".join(parts[:i] + parts[i + 1 :]).split()) < 2:
            continue
        if _DOMAIN_RE.match(p):
            return p
        words = [w.lower().strip(".,'’") for w in p.split()]
        if (
            1 <= len(words) <= 5
            and (i == len(parts) - 1 or (len(parts) > 2 and words[0] == "the"))
            and all(w[:1].isupper() or w in ("of", "and", "&", "the") for w in p.split())
            and not re.search(r"[\d:>]", p)
            and any(w in _SITE_WORDS for w in words)
            and any(w not in _GENERIC_TITLE_WORDS for w in words)
            and not p.endswith((".", "?", "!"))
        ):
            return p
    return None


def normalise_language(tag: str | None) -> str | None:
    """"en-US", "en_GB", "EN", "English" -> "en"; None when it is not a language tag."""
    if not tag:
        return None
    t = tag.strip().split(",")[0].strip().lower().replace("_", "-")
    names = {"english": "en", "french": "fr", "german": "de", "spanish": "es", "italian": "it", "portuguese": "pt",
             "russian": "ru", "japanese": "ja", "chinese": "zh", "korean": "ko", "dutch": "nl", "arabic": "ar"}
    if t in names:
        return names[t]
    m = re.match(r"^([a-z]{2,3})(?:-|$)", t)
    if not m or m.group(1) in ("und", "mul", "zxx", "xx"):
        return None
    return m.group(1)


@functools.lru_cache(maxsize=1)
def _langid():
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)


def detect_language(text: str, min_chars: int = LANG_MIN_CHARS, min_probability: float = 0.5) -> str | None:
    """ISO 639-1 code of `text` by py3langid (97 languages, model shipped with the package), or None
    for text too short or too uncertain to tell. Only the first 1,500 characters are read (as accurate
    as 3,000 on the development pages, a third of the time)."""
    sample = " ".join(text[:1500].split())
    if len(sample) < min_chars:
        return None
    lang, prob = _langid().classify(sample)
    return lang if prob >= min_probability else None


def document_language(text: str, declared: str | None = None) -> str | None:
    """The page's declared language when it names one, else the language of `text`: the stop-word
    guess of the block cleaner when it is sure (en, de, fr, es...; ~1 ms), else py3langid. py3langid's
    model takes ~1-3 s to load, once per process: only documents the stop words cannot place pay it."""
    from tasks.blocks import guess_language

    return normalise_language(declared) or guess_language(text) or detect_language(text)


def page_metadata(tree, url: str | None = None) -> PageMetadata:
    """Metadata of one page from its tree (see the module docstring for the order of sources)."""
    ld = _from_json_ld(_json_ld_objects(tree))
    meta = _from_meta(tree)
    markup = _from_markup(tree)
    merged: dict[str, str] = {}
    for src in (ld, meta, markup):
        for k, v in src.items():
            merged.setdefault(k, v)
    if "author" in merged:
        merged["author"] = _person_list(merged["author"], merged.get("site_name"), merged.get("url") or url) or ""
    published = _parse_date(merged.get("published")) or _url_date(merged.get("url")) or _url_date(url)
    outlet_author = _outlet_like(merged.get("author") or "")
    if not merged.get("author") or outlet_author or published is None:
        order = _doc_order(tree)
        lines = _lines(tree, order)
        start = _headline_line(tree, lines, split_title(merged.get("title"), merged.get("site_name")))
        page, hinted = _from_page(tree, order)
        if not merged.get("author"):
            merged["author"] = _byline(lines, start) or page.get("author") or _wire_credit(lines, start) or _lone_byline(lines) or _lone_wire_credit(lines) or _agency_line(lines) or _posted_by_line(lines) or ""
        elif outlet_author and (v := _byline(lines, start)) and not _outlet_like(v):
            merged["author"] = v  # <meta name=author content="ABC News"> under a visible "By JESSICA MINTZ"
        if published is None:
            language = merged.get("language")
            day_first = _numeric_order([ln for _, ln in lines])
            lang_order = functools.cache(lambda: _language_order(language, lambda: _long_text(lines)))  # asked only for an ambiguous date
            published = (
                _page_date(lines, start, hinted, day_first, lang_order)
                or _title_date(_text(t) if (t := tree.find(".//title")) is not None else None, day_first, lang_order)
                or _script_date(tree)
                or _parse_date(merged.get("meta_date"))
                or _parse_date(merged.get("modified"))
            )
    if (a := merged.get("author")) and _CJK_NAME_RE.fullmatch(a) and _CJK_EDITOR_RE.search(" ".join(_body(tree).itertext()).replace(a, "\0")):
        merged["author"] = ""  # <meta name=author> naming the one the page shows as "责任编辑：肖春芳", its editor
    site = merged.get("site_name")
    if site and _COMPANY_SUFFIX_RE.search(site):  # "Internet Broadcasting Systems, Inc.": the publisher's company
        site = _title_site(merged.get("title")) or site
    return PageMetadata(
        title=split_title(merged.get("title"), site),
        author=merged.get("author") or None,
        published=published,
        site_name=site or _title_site(merged.get("title")) or _host(merged.get("url") or url or merged.get("base_url")),
        url=merged.get("url") or url,
        language=normalise_language(merged.get("language")),
    )


def _outlet_like(author: str) -> bool:
    """An author value naming an outlet, not a person ("ABC News", "The Earthtimes", "CBSNews.com")."""
    words = [w.lower().strip(".,") for w in author.split()]
    return bool(words) and (words[0] == "the" or "." in author or any(w in _SITE_WORDS for w in words))


def _host(url: str | None) -> str | None:
    """"https://www.nytimes.com/2017/01/13/x.html" -> "nytimes.com": the site a page's own address
    names, when nothing names the site otherwise; None for a relative or unusable address."""
    m = re.match(r"^https?://(?:www\d?\.)?([a-z0-9.-]+\.[a-z]{2,})(?::\d+)?(?:[/?#]|$)", (url or "").strip(), re.I)
    return m.group(1).lower() if m else None


def _personal_site(name: str, url: str | None) -> bool:
    """A site named after its author: the name is a person's and the page's host spells it
    ("Haki Benita" on hakibenita.com)."""
    host = _host(url) or ""
    return len(name.split()) >= 2 and not _outlet_like(name) and host.split(".")[0] == "".join(name.lower().split())


def _person_list(v: str, site: str | None = None, url: str | None = None) -> str | None:
    """Structured author values: "By Jane Doe and John Roe" -> "Jane Doe and John Roe"; handles,
    URLs, the site's own name and company-like values dropped."""
    t = _BY_PREFIX_RE.sub("", _CONTACT_AFTER_RE.sub("", _clean(v))).strip(" .")
    t = _TRAILING_ROLE_RE.sub("", t.replace(",", " ,")).replace(" ,", ",").strip(" ,")  # "Jane Doe, Staff Writer"
    if not t or t.startswith("@") or "://" in t or len(t) > 120:
        return None
    if site and t.lower().replace(" ", "") == site.lower().replace(" ", "") and not _personal_site(t, url):
        return None
    return t if _plausible_author(t) else None


def _parse_date(v: str | None) -> date | None:
    if not v:
        return None
    from tasks.dates import parse_published

    d = parse_published(v)
    return d if d is not None and 1990 <= d.year <= 2099 else None


def html_metadata(tree, url: str | None = None) -> dict[str, str]:
    """`page_metadata` as the flat dict the HTML cleaner reads: title, author, published (YYYY-MM-DD),
    site_name, url, language; fields the page does not give are absent."""
    md = page_metadata(tree, url)
    out = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in asdict(md).items()}
    return {k: v for k, v in out.items() if v}

"""Page metadata: author, publication date, language, site name, canonical URL and title of one HTML page.

In:  the lxml tree of a page (before any element is stripped) and, when known, the page's URL.
Out: `PageMetadata` (every field None when the page does not say), or the same as the flat dict
     `html_metadata` gives the HTML cleaner (`title`, `author`, `published` as YYYY-MM-DD,
     `site_name`, `url`, `language` as an ISO 639-1 code).

Sources, most trusted first: JSON-LD (`NewsArticle`, `Article`, `ReportageNewsArticle`, `BlogPosting`...,
inside `@graph` or arrays; author as a string, an object or a list of them), `<meta>` (OpenGraph and
`article:*`, Dublin Core, `sailthru.*`, `parsely-*`, `itemprop`), microdata (`itemprop=author` /
`datePublished`), `<time datetime>`, `rel=author` links; then the page itself: byline and date
elements (class or id naming a byline, author, date or time), a date in the URL, the first full date
in the page's text. Language: `<html lang>` / `content-language` / `og:locale` / JSON-LD `inLanguage`,
else `detect_language` on the text (py3langid, its model shipped in the package).
"""

from __future__ import annotations

import functools
import itertools
import json
import re
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
    "follow twitter facebook posted updated published read view profile articles related".split()
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
_NOT_BYLINE_TAGS = frozenset("script style noscript form input button select option head link meta textarea".split())
_URL_DATE_RE = re.compile(r"/((?:19|20)\d{2})[/_-]?([01]\d)[/_-]?([0-3]\d)(?:[/_.-]|$)")
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
        if not field or not v:
            continue
        if field not in ("url",) and v.startswith(("http://", "https://")):
            continue  # article:author is often a profile URL
        if field not in found or order[k] < rank[field]:
            found[field], rank[field] = v, order[k]
    return found


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
    for el in tree.xpath('//*[@itemprop="author"]'):
        names = el.xpath('.//*[@itemprop="name"]')
        v = (names[0].get("content") or _clean(names[0].text_content())) if names else (el.get("content") or _clean(el.text_content()))
        if v := _person(v):
            found["author"] = v
            break
    if "author" not in found:
        for a in tree.xpath('//a[contains(concat(" ", normalize-space(@rel), " "), " author ")]'):
            if v := _person(_clean(a.text_content())):
                found["author"] = v
                break
    for link in tree.iter("link"):
        if (link.get("rel") or "").lower() == "canonical" and link.get("href"):
            found["url"] = link.get("href").strip()
            break
    t = tree.find(".//title")
    if t is not None and (tt := _clean(t.text_content())) and len(tt) <= 300 and not _SWALLOWED_RE.search(tt):
        found["title"] = tt  # a longer one, or one holding the head's tags, swallowed the page (an unclosed <title>)
    return found


_SWALLOWED_RE = re.compile(r"</?(?:head|body|meta|link|title|html)\b", re.I)


def _person(text: str) -> str | None:
    """A byline's text -> the name(s) in it, or None when it does not look like one."""
    t = _clean(text)
    t = _BY_PREFIX_RE.sub("", t)
    t = re.split(r"\s*(?:[|•·,;]|\s-\s|\s–\s|\s—\s|\bposted\b|\bpublished\b|\bupdated\b|\bon\s+(?=[A-Z0-9])|\d)", t, maxsplit=1)[0]
    t = _TRAILING_DATE_WORD_RE.sub("", t).strip(" .:-–—")
    if not (3 <= len(t) <= 60) or not _NAME_RE.match(t):
        return None
    words = t.split()
    if len(words) > 6 or any(w.lower() in _NOT_A_NAME for w in words):
        return None
    return t if _plausible_author(t) else None


def _plausible_author(t: str) -> bool:
    """Not a web designer, a company or a site handle ("Vivid Interactive and Design", "calgarysun",
    "CBNNews"): one-word values only in capitals (agencies: "AFP", "REUTERS") or as a capitalised name."""
    words = t.split()
    if any(w.lower().strip(".,") in _COMPANY_WORDS for w in words):
        return False
    if len(words) == 1:
        w = words[0]
        return w.isupper() or (w[:1].isupper() and w[1:].islower() and len(w) > 2 and not w.lower().endswith(("news", "times", "online", "daily")))
    return True


def _from_page(tree) -> dict[str, str]:
    """Byline and date elements (class/id hints), for pages without metadata."""
    found: dict[str, str] = {}
    for el in tree.xpath("//body//*[@class or @id]"):
        hint = f"{el.get('class') or ''} {el.get('id') or ''}"
        want_author = "author" not in found and BYLINE_HINT_RE.search(hint)
        want_date = "published" not in found and DATE_HINT_RE.search(hint)
        if not (want_author or want_date) or "comment" in hint.lower():
            continue  # a commenter's name or date is not the article's
        if el.tag in _NOT_BYLINE_TAGS or len(el) > 12 or sum(1 for _ in itertools.islice(el.iter(), 40)) >= 40:
            continue  # a container, not a byline or a date line
        txt = _clean(el.text_content())
        if want_author and txt and len(txt) <= 120 and (v := _person(txt)):
            found["author"] = v
        if want_date and txt and len(txt) <= 200 and (d := _full_date(txt) or _compact_date(txt)):
            found["published"] = d.isoformat()
        if "author" in found and "published" in found:
            break
    return found


def _full_date(text: str) -> date | None:
    """The first date with day, month and year written out in `text` ("POSTED: 2:45 pm January 22, 2008")."""
    from tasks.dates import find_dates

    for dm in find_dates(text, date(2100, 1, 1)):
        if dm.precision == "day" and re.search(r"(?:19|20)\d{2}", dm.text) and 1990 <= dm.date.year <= 2099:
            return dm.date
    return None


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


def _text_date(tree, title: str | None = None) -> date | None:
    """The first full date in the page's visible text after its headline (a dateline; within 3,000
    characters of it), else in the first 6,000 characters; copyright years left out."""
    texts = tree.xpath("//body//text()[not(ancestor::script) and not(ancestor::style) and not(ancestor::noscript)]")
    buf = " ".join(_clean(t) for t in texts if t and t.strip())
    start = 0
    if title:
        head = " ".join(title.split()[:6])
        i = buf.find(head)
        if i >= 0:
            start = i
    windows = ([buf[start : start + 3000]] if start else []) + [buf[:6000]]
    for w in windows:
        w = _COPYRIGHT_RE.sub(" ", w)
        if d := _full_date(w) or _compact_date(w):
            return d
    return None


_COPYRIGHT_RE = re.compile(r"(?:©|\(c\)|copyright)\s*(?:(?:19|20)\d{2}\s*[-–]\s*)?(?:(?:19|20)\d{2})?", re.I)


def _compact_date(text: str) -> date | None:
    """"20080109 15:24" (compact, followed by a time) or "2013/12/28" (year first, slashes or dots)."""
    m = re.search(r"\b((?:19|20)\d{2})(0[1-9]|1[0-2])([0-2]\d|3[01])\s+\d{1,2}:\d{2}\b", text) or re.search(
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
    parts = [p.strip() for p in re.split(r"\s+[|–—»]\s+|\s+-\s+", t) if p.strip()]
    if len(parts) < 2:
        return t
    # "Title | Site": the first part; "Site | 01/07/2008 | Title": the longest, when the rest are short.
    first, longest = parts[0], max(parts, key=lambda p: len(p.split()))
    if len(first.split()) >= 3 and len(parts[-1].split()) <= 5:
        return first
    if len(longest.split()) >= 3 and all(len(p.split()) <= 5 for p in parts if p is not longest):
        return longest
    return t


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
        merged["author"] = _person_list(merged["author"], merged.get("site_name")) or ""
    need_page = not merged.get("author") or not merged.get("published")
    page = _from_page(tree) if need_page else {}
    for k, v in page.items():
        if not merged.get(k):
            merged[k] = v
    published = _parse_date(merged.get("published")) or _url_date(merged.get("url")) or _url_date(url)
    if published is None:
        published = _parse_date(merged.get("modified")) or _text_date(tree, split_title(merged.get("title"), merged.get("site_name")))
    site = merged.get("site_name")
    return PageMetadata(
        title=split_title(merged.get("title"), site),
        author=merged.get("author") or None,
        published=published,
        site_name=site,
        url=merged.get("url") or url,
        language=normalise_language(merged.get("language")),
    )


def _person_list(v: str, site: str | None = None) -> str | None:
    """Structured author values: "By Jane Doe and John Roe" -> "Jane Doe and John Roe"; handles,
    URLs, the site's own name and company-like values dropped."""
    t = _BY_PREFIX_RE.sub("", _clean(v)).strip(" .")
    if not t or t.startswith("@") or "://" in t or len(t) > 120:
        return None
    if site and t.lower().replace(" ", "") == site.lower().replace(" ", ""):
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

"""Deterministic synthetic news corpus with known duplicate clusters, for the benches.

Each cluster has an original article and 0..k variants of the kinds news aggregation produces:
`exact` (mirror), `syndicated` (other site boilerplate around the same body), `truncated`,
`reordered` paragraphs, `typos` (and synonyms), `spun` (heavier synonym rewrite), `comments` (a reader
thread appended). Pages come as plain-text dumps (site chrome lines around the body, like scraped
pages) or HTML, and are written as JSONL (`--format jsonl`), loose files (`--format files`), both, or
`mixed` (what a crawl delivery looks like: HTML pages half in WARC.gz files as HTTP responses, a quarter
as JSONL `html` records, a quarter as loose .html files; text dumps three quarters as JSONL records —
alternately in a plain and a gzipped JSONL file — and a quarter as loose .txt files).

    python bench/make_corpus.py --docs 10000 --out bench/out/corpus10k --format jsonl --seed 1

Each record carries `cluster` (ground truth) and `variant`; newslake keeps them in `documents.extra`.
"""

from __future__ import annotations

import argparse
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

AGENCIES = ["ESA", "NASA", "CNSA", "JAXA", "ISRO", "Roscosmos", "CNES", "DLR", "ASI", "UK Space Agency", "Canadian Space Agency", "KARI"]
PEOPLE = [
    "Maria Keller", "Jonas Weber", "Li Wei", "Chen Jing", "Aiko Tanaka", "Ravi Kumar", "Olga Petrova", "Pierre Martin",
    "Sofia Rossi", "James Carter", "Amina Diallo", "Lucas Silva", "Hannah Becker", "Tomasz Nowak", "Elena Garcia",
]
PLACES = ["Paris", "Beijing", "Houston", "Darmstadt", "Tokyo", "Bengaluru", "Moscow", "Toulouse", "Kourou", "Noordwijk", "Cologne", "Rome"]
MISSIONS = ["Aurora", "Helios", "Borealis", "Cassini-2", "Juno Next", "Odyssey", "Pathway", "Meridian", "Zephyr", "Orion Relay", "Tethys", "Nimbus"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"]
NOUNS = ["mission", "satellite", "rocket", "probe", "lander", "rover", "orbiter", "telescope", "station", "module", "engine", "antenna", "payload", "instrument", "budget", "contract", "partnership", "agreement", "programme", "network", "sample", "crater", "orbit", "trajectory", "launch", "pad", "booster", "capsule", "crew", "experiment", "camera", "sensor", "radar", "spectrometer", "laboratory", "facility", "consortium", "committee", "council", "report", "study", "survey", "dataset", "prototype", "demonstrator", "test", "campaign", "milestone", "schedule", "review", "framework"]
ADJS = ["new", "joint", "lunar", "martian", "orbital", "european", "international", "commercial", "robotic", "scientific", "ambitious", "delayed", "upgraded", "reusable", "heavy", "small", "large", "first", "second", "final", "early", "late", "crewed", "uncrewed", "deep", "polar"]
VERBS = ["approved", "announced", "confirmed", "delayed", "completed", "tested", "launched", "signed", "reviewed", "presented", "selected", "funded", "delivered", "integrated", "shipped", "assembled", "unveiled", "extended", "postponed", "evaluated", "designed", "proposed"]
SYNONYMS = {
    "approved": "endorsed", "announced": "revealed", "confirmed": "verified", "delayed": "postponed", "completed": "finished",
    "tested": "trialled", "launched": "lofted", "signed": "inked", "new": "fresh", "joint": "shared", "large": "big",
    "small": "compact", "first": "initial", "final": "last", "said": "stated", "agency": "organisation",
    "mission": "expedition", "budget": "funding", "report": "document", "study": "analysis", "early": "initial",
    "international": "global", "ambitious": "bold", "programme": "program", "facility": "site", "crew": "team",
}
SITE_CHROME = [
    (["Home | News | Science | Space", "Subscribe to our newsletter"], ["Share this article", "Related: More from our space desk", "© {year} {site}. All rights reserved."]),
    (["Skip to content", "Menu", "Search"], ["Tags: space, science, exploration", "Leave a comment", "Log in to reply"]),
    (["{site} — your daily space news", "Login | Register"], ["Read more", "Source link", "Cookie policy | Privacy policy"]),
    (["Top stories", "Latest news"], ["Filed under , , ,", "Follow us on Twitter", "Advertisement"]),
]
COMMENTERS = ["spacefan42", "Mark T.", "Lee Stevenson", "orbital_joe", "Karen", "Dr. Who", "Anna B", "Rocketman"]
COMMENT_TEXTS = [
    "I think this is great news, finally some progress after all these years of waiting.",
    "You are missing the point here, the budget will never be enough for this kind of project.",
    "Does anyone know when the next launch window opens? I would love to watch it live.",
    "We have heard these promises before and nothing ever comes of them, sadly.",
    "My son is studying aerospace engineering and this is exactly what he hopes to work on one day.",
    "Cooperation in space is the only sane way forward, whatever the politics on the ground.",
    "I bet the schedule slips by at least two years, it always does with these programmes.",
]


@dataclass(frozen=True, slots=True)
class Page:
    doc_id: str
    cluster: str
    variant: str
    site: str
    title: str
    published: str
    body: list[str]  # article paragraphs
    header: list[str]
    footer: list[str]
    comments: list[str]


def _sentence(r: random.Random) -> str:
    agency, other = r.sample(AGENCIES, 2)
    person = r.choice(PEOPLE)
    mission = r.choice(MISSIONS)
    templates = [
        f"The {r.choice(ADJS)} {r.choice(NOUNS)} was {r.choice(VERBS)} by {agency} after {r.randint(2, 30)} months of {r.choice(NOUNS)} work",
        f"{person}, who leads the {mission} {r.choice(NOUNS)} at {agency}, said the {r.choice(ADJS)} {r.choice(NOUNS)} had been {r.choice(VERBS)}",
        f"Engineers in {r.choice(PLACES)} {r.choice(VERBS)} a {r.choice(ADJS)} {r.choice(NOUNS)} for the {mission} {r.choice(NOUNS)}",
        f"{agency} and {other} {r.choice(VERBS)} a {r.choice(ADJS)} {r.choice(NOUNS)} on {r.choice(MONTHS)} {r.randint(1, 28)}, {r.randint(2015, 2026)}",
        f"According to the {r.choice(NOUNS)}, the {r.choice(ADJS)} {r.choice(NOUNS)} will cost about {r.randint(10, 900)} million euros",
        f"Officials expect the {mission} {r.choice(NOUNS)} to reach its {r.choice(ADJS)} {r.choice(NOUNS)} in {r.choice(MONTHS)} {r.randint(2024, 2032)}",
        f"The {r.choice(NOUNS)} of the {r.choice(ADJS)} {r.choice(NOUNS)} was {r.choice(VERBS)} in {r.choice(PLACES)}, {person} told reporters",
    ]
    s = r.choice(templates)
    extra = " ".join(r.choice(NOUNS + ADJS) for _ in range(r.randint(0, 6)))
    return (s + (" and " + extra if extra else "")).strip() + "."


def _article(r: random.Random) -> tuple[str, list[str]]:
    mission = r.choice(MISSIONS)
    title = f"{r.choice(AGENCIES)} {r.choice(VERBS)} {r.choice(ADJS)} {mission} {r.choice(NOUNS)}".title()
    paras = [" ".join(_sentence(r) for _ in range(r.randint(2, 4))) for _ in range(r.randint(3, 8))]
    return title, paras


def _typos(paras: list[str], rate: float, r: random.Random) -> list[str]:
    out = []
    for p in paras:
        words = p.split()
        for i, w in enumerate(words):
            if r.random() < rate:
                base = w.strip(".,").lower()
                if base in SYNONYMS:
                    words[i] = w.replace(base, SYNONYMS[base]) if w.islower() else SYNONYMS[base]
                elif len(w) > 4:
                    j = r.randrange(1, len(w) - 2)
                    words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
        out.append(" ".join(words))
    return out


def _chrome(r: random.Random, site: str, year: int) -> tuple[list[str], list[str]]:
    head, foot = r.choice(SITE_CHROME)
    return [h.format(site=site, year=year) for h in head], [f.format(site=site, year=year) for f in foot]


def _comments(r: random.Random) -> list[str]:
    out = []
    for _ in range(r.randint(2, 6)):
        who = r.choice(COMMENTERS)
        text = r.choice(COMMENT_TEXTS)
        out.append(f"{who} says:" if r.random() < 0.5 else f"@{who.split()[0]}")
        out.append(text)
        if r.random() < 0.5:
            out.append("Reply")
    return out


VARIANTS = ("exact", "syndicated", "truncated", "reordered", "typos", "spun", "comments")


def pages(n_docs: int, seed: int = 1, dup_share: float = 0.35, n_sites: int = 200) -> Iterator[Page]:
    """n_docs pages; about `dup_share` of them are variants of an earlier original."""
    r = random.Random(seed)
    sites = [f"site{i:03d}.example.com" for i in range(n_sites)]
    produced = 0
    cluster_no = 0
    while produced < n_docs:
        cluster_no += 1
        cid = f"c{cluster_no:07d}"
        site = r.choice(sites)
        title, body = _article(r)
        year = r.randint(2019, 2026)
        date = f"{year}-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}"
        head, foot = _chrome(r, site, year)
        yield Page(f"{cid}-0", cid, "original", site, title, date, body, head, foot, [])
        produced += 1
        n_var = 0
        while r.random() < dup_share / (1 - dup_share) / (1 + n_var) and produced < n_docs and n_var < 6:
            n_var += 1
            kind = r.choice(VARIANTS)
            vsite = r.choice(sites)
            vhead, vfoot = _chrome(r, vsite, year)
            vbody, vcomments, vtitle, vh, vf = list(body), [], title, head, foot
            if kind == "exact":
                vh, vf, vsite = head, foot, site
            elif kind == "syndicated":
                vh, vf = vhead, vfoot
            elif kind == "truncated":
                vbody = body[: max(2, int(len(body) * r.uniform(0.6, 0.9)))]
            elif kind == "reordered":
                vbody = body[:]
                r.shuffle(vbody)
            elif kind == "typos":
                vbody = _typos(body, r.uniform(0.03, 0.08), r)
            elif kind == "spun":
                vbody = _typos(body, r.uniform(0.10, 0.15), r)
            elif kind == "comments":
                vcomments = _comments(r)
            yield Page(f"{cid}-{n_var}", cid, kind, vsite, vtitle, date, vbody, vh, vf, vcomments)
            produced += 1


def page_text(p: Page) -> str:
    """The page as a scraped plain-text dump: chrome, title, byline, body, chrome, comments."""
    lines = [*p.header, p.title, f"By {PEOPLE[int(p.cluster[1:]) % len(PEOPLE)]}", *p.body, *p.footer]
    if p.comments:
        lines += [f"{len(p.comments) // 2} comments", *p.comments]
    return "\n\n".join(lines) + "\n"


NAV_SECTIONS = ["World", "Politics", "Business", "Science", "Space", "Technology", "Health", "Sport", "Culture", "Opinion", "Video", "Podcasts"]


def page_html(p: Page) -> str:
    """The page as HTML with the markup weight of a real news site: scripts, styles, a mega-menu,
    a related-articles sidebar, share bars, a footer of links, and a comment section."""
    r = random.Random(int(p.cluster[1:]) * 31 + len(p.doc_id))
    body = "".join(f"<p>{x}</p>" for x in p.body)
    menu = "".join(
        f'<li class="menu-item"><a href="/{s.lower()}">{s}</a><ul class="sub-menu">'
        + "".join(f'<li><a href="/{s.lower()}/{i}">{s} {r.choice(NOUNS)} {i}</a></li>' for i in range(6))
        + "</ul></li>"
        for s in NAV_SECTIONS
    )
    related = "".join(
        f'<li class="related-item"><a href="/news/{r.randint(1, 10**6)}"><img src="/img/{r.randint(1, 999)}.jpg" alt="">'
        f"<span>{' '.join(r.choice(NOUNS + ADJS) for _ in range(6)).title()}</span></a></li>"
        for _ in range(12)
    )
    footer_links = "".join(f'<li><a href="/page/{i}">{r.choice(NOUNS).title()} {r.choice(NOUNS)}</a></li>' for i in range(40))
    scripts = "".join(f"<script>window.dataLayer=window.dataLayer||[];dataLayer.push({{'slot':{i},'unit':'{p.site}/{i}'}});</script>" for i in range(8))
    style = "<style>" + " ".join(f".c{i}{{margin:{i}px;padding:{i % 7}px;color:#{i:03x}}}" for i in range(120)) + "</style>"
    chrome = "".join(f"<div class='topbar'>{h}</div>" for h in p.header)
    foot = "".join(f"<p class='legal'>{f}</p>" for f in p.footer)
    comments = "".join(
        f'<li class="comment"><div class="comment-author">{r.choice(COMMENTERS)}</div><div class="comment-content"><p>{c}</p></div>'
        f'<a class="comment-reply-link" href="#">Reply</a></li>'
        for c in p.comments
        if not c.startswith("@") and not c.endswith(":") and c != "Reply"
    )
    comment_section = (
        f'<section id="comments" class="comments-area"><h2>{len(comments) and comments.count("<li")} Comments</h2><ol class="comment-list">{comments}</ol></section>'
        if comments
        else ""
    )
    return (
        f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>{p.title} | {p.site}</title>"
        f'<meta property="og:site_name" content="{p.site}"><meta property="article:published_time" content="{p.published}">'
        f"{style}{scripts}</head><body><header>{chrome}<nav class='main-nav'><ul class='menu'>{menu}</ul></nav></header>"
        f"<main><article class='post'><h1 class='entry-title'>{p.title}</h1><div class='byline'>By staff</div>"
        f"<div class='entry-content'>{body}</div><div class='share-bar'><a href='#'>Facebook</a> <a href='#'>Twitter</a> <a href='#'>Email</a></div></article>"
        f"<aside class='sidebar'><h3>Related stories</h3><ul>{related}</ul></aside>{comment_section}</main>"
        f"<footer>{foot}<ul class='footer-links'>{footer_links}</ul></footer></body></html>"
    )


def write_mixed(out: Path, n_docs: int, seed: int, html_share: float, warc_records_per_file: int = 5000) -> Path:
    """The `mixed` layout (see the module docstring); the same pages as `write` for the same seed."""
    import contextlib
    import gzip
    import hashlib
    import io
    import uuid

    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    out.mkdir(parents=True, exist_ok=True)
    r = random.Random(seed + 1)
    n_warc = n_json = 0
    writer = None
    with contextlib.ExitStack() as stack:
        jsonl = [
            stack.enter_context((out / "records.jsonl").open("w", encoding="utf-8")),
            stack.enter_context(io.TextIOWrapper(gzip.GzipFile(out / "records2.jsonl.gz", "wb", mtime=0), encoding="utf-8")),
        ]
        for p in pages(n_docs, seed):
            is_html = r.random() < html_share
            where = r.random()
            url = f"https://{p.site}/news/{p.doc_id}"
            rec = {"id": p.doc_id, "url": url, "title": p.title, "published": p.published, "cluster": p.cluster, "variant": p.variant}
            body = page_html(p) if is_html else page_text(p)
            if is_html and where < 0.5:
                if writer is None or n_warc % warc_records_per_file == 0:
                    path = out / f"crawl-{n_warc // warc_records_per_file:04d}.warc.gz"
                    writer = WARCWriter(stack.enter_context(path.open("wb")), gzip=True)
                payload = body.encode("utf-8")
                http = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
                rid = f"<urn:uuid:{uuid.UUID(bytes=hashlib.md5(p.doc_id.encode()).digest())}>"
                warc_headers = {"WARC-Record-ID": rid, "WARC-Date": f"{p.published}T12:00:00Z"}
                writer.write_record(writer.create_warc_record(url, "response", payload=io.BytesIO(payload), http_headers=http, warc_headers_dict=warc_headers))
                n_warc += 1
            elif where < 0.75:
                rec["html" if is_html else "text"] = body
                jsonl[n_json % 2].write(json.dumps(rec, ensure_ascii=False) + "\n")
                n_json += 1
            else:
                sub = out / "pages" / p.site
                sub.mkdir(parents=True, exist_ok=True)
                (sub / f"{p.doc_id}.{'html' if is_html else 'txt'}").write_text(body, encoding="utf-8")
    return out


def write(out: Path, n_docs: int, seed: int, fmt: str, html_share: float = 0.0) -> Path:
    """Write the corpus; returns the directory. JSONL records: id, url, title, text|html, published, cluster, variant."""
    if fmt == "mixed":
        return write_mixed(out, n_docs, seed, html_share)
    out.mkdir(parents=True, exist_ok=True)
    r = random.Random(seed + 1)
    jsonl = (out / "corpus.jsonl").open("w", encoding="utf-8") if fmt in ("jsonl", "both") else None
    try:
        for p in pages(n_docs, seed):
            is_html = r.random() < html_share
            rec = {"id": p.doc_id, "url": f"https://{p.site}/news/{p.doc_id}", "title": p.title, "published": p.published, "cluster": p.cluster, "variant": p.variant}
            rec["html" if is_html else "text"] = page_html(p) if is_html else page_text(p)
            if jsonl:
                jsonl.write(json.dumps(rec, ensure_ascii=False) + "\n")
            if fmt in ("files", "both"):
                sub = out / "pages" / p.site
                sub.mkdir(parents=True, exist_ok=True)
                (sub / f"{p.doc_id}.{'html' if is_html else 'txt'}").write_text(rec.get("html") or rec["text"], encoding="utf-8")
    finally:
        if jsonl:
            jsonl.close()
    return out


# --- realistic mode: bases from real article text ----------------------------------------------

REAL_VARIANTS = ("exact", "syndicated", "truncated", "reordered", "spun", "comments", "repeated")
# Consent banners as consent-management platforms ship them: the same text on many unrelated sites.
CONSENT_BANNERS = [
    "We use cookies and similar technologies to personalise content and ads, to provide social media features and to analyse our traffic. We also share information about your use of our site with our social media, advertising and analytics partners. By clicking Accept you agree to this.",
    "This website uses cookies to improve your experience while you navigate through the website. Out of these, the cookies that are categorized as necessary are stored on your browser as they are essential for the working of basic functionalities of the website.",
    "We and our partners store and/or access information on a device, such as cookies, and process personal data, such as unique identifiers and standard information sent by a device for personalised ads and content, ad and content measurement, and audience insights.",
    "Wir verwenden Cookies und ähnliche Technologien, um Inhalte und Anzeigen zu personalisieren, Funktionen für soziale Medien anbieten zu können und die Zugriffe auf unsere Website zu analysieren.",
    "Nous utilisons des cookies pour vous garantir la meilleure expérience sur notre site web. Si vous continuez à utiliser ce site, nous supposerons que vous en êtes satisfait.",
    "Utilizamos cookies propias y de terceros para mejorar nuestros servicios y mostrarle publicidad relacionada con sus preferencias mediante el análisis de sus hábitos de navegación.",
]
NEWSLETTER_LINES = [
    "Sign up for our daily newsletter and get the best stories delivered straight to your inbox.",
    "Get our free morning briefing: the news you need to start your day, in your inbox every weekday.",
    "Want more stories like this? Subscribe to our weekly newsletter.",
    "Melden Sie sich für unseren Newsletter an und verpassen Sie keine Nachrichten mehr.",
    "Click for full results",
    "Click here to see the full gallery",
    "Follow us on Facebook and Twitter for the latest updates.",
    "Share this story: Facebook | Twitter | Email | WhatsApp",
    "Have a news tip? Email our newsroom or call us any time, day or night.",
    "This article was produced with the support of our readers. Become a member today.",
]
NAV_WORDS = ["Home", "News", "World", "Politics", "Business", "Sport", "Culture", "Opinion", "Video", "Local", "Weather", "Tech", "Science", "Health", "Travel", "Obituaries"]


def real_articles(data: Path, split: str = "all", min_words: int = 25) -> list[tuple[str, str, list[str]]]:
    """(id, title, paragraphs) of the gold article texts under `data` (*/gold.jsonl), sorted by set and
    id; `split` "a"/"b" keeps one half by a hash of the id (tune on one, check on the other)."""
    import hashlib

    out = []
    for gold in sorted(data.glob("*/gold.jsonl")):
        for line in gold.read_text(encoding="utf-8").split("\n"):
            if not line.strip():
                continue
            rec = json.loads(line)
            half = "ab"[hashlib.sha256(rec["id"].encode()).digest()[0] % 2]
            if split != "all" and half != split:
                continue
            paras = [" ".join(x.split()) for x in rec["article"].splitlines()]
            paras = [x for x in paras if x]
            if sum(len(x.split()) for x in paras) < min_words:
                continue
            first = paras[0]
            if len(paras) > 1 and len(first.split()) <= 20 and not first.endswith((".", "!", "?")):
                title, paras = first, paras[1:]
            else:
                title = " ".join(first.split()[:10])
            out.append((f"{gold.parent.name}/{rec['id']}", title, paras))
    out.sort(key=lambda x: x[0])
    return _distinct(out)


def _distinct(arts: list[tuple[str, str, list[str]]], max_shared: float = 0.1) -> list[tuple[str, str, list[str]]]:
    """The articles minus those sharing more than `max_shared` of their word 5-grams with an earlier one,
    or holding more than `max_shared` of an earlier one's (the sets hold near-identical pages:
    lorem-ipsum test pages, one agency story under two headlines, a brief and the longer page that
    contains it): bases must be unrelated, and remixed bases must not hold most of a real one."""
    from collections import Counter

    owner: dict[str, int] = {}
    sizes: list[int] = []
    kept = []
    for a in arts:
        ws = " ".join(a[2]).lower().split()
        grams = {" ".join(ws[i : i + 5]) for i in range(max(1, len(ws) - 4))}
        shared = Counter(owner[g] for g in grams if g in owner)
        if any(n > max_shared * len(grams) or n > max_shared * sizes[k] for k, n in shared.items()):
            continue
        for g in grams:
            owner.setdefault(g, len(kept))
        sizes.append(len(grams))
        kept.append(a)
    return kept


def real_comments(data: Path) -> list[list[str]]:
    """Reader-comment threads of the gold pages (lines), for the `comments` variant."""
    out = []
    for gold in sorted(data.glob("*/gold.jsonl")):
        for line in gold.read_text(encoding="utf-8").split("\n"):
            if not line.strip():
                continue
            rec = json.loads(line)
            lines = [" ".join(x.split()) for x in (rec.get("comments") or "").splitlines()]
            lines = [x for x in lines if x]
            if len(lines) >= 4:
                out.append(lines)
    return out


@dataclass(frozen=True, slots=True)
class SiteTemplate:
    name: str
    header: tuple[str, ...]
    footer: tuple[str, ...]


def _site_templates(r: random.Random, n: int, titles: list[str]) -> list[SiteTemplate]:
    """Site chrome with shared parts: consent banners and newsletter/share lines reused across sites,
    navigation menus, a "most read" list of other articles' titles, copyright lines."""
    out = []
    for i in range(n):
        name = f"{r.choice(['daily', 'metro', 'the', 'news', 'city', 'global', 'valley'])}{r.choice(['herald', 'times', 'post', 'wire', 'tribune', 'courier', 'gazette', 'express'])}{i}"
        nav = " | ".join(r.sample(NAV_WORDS, r.randint(5, 10)))
        header = [f"{name.title()} — {r.choice(['breaking news', 'independent journalism', 'local news and sport', 'news you can trust'])}", nav]
        if r.random() < 0.6:
            header.insert(0, r.choice(CONSENT_BANNERS))
            header.insert(1, r.choice(["Accept", "Accept all", "I agree", "OK", "Manage settings | Accept"]))
        footer = r.sample(NEWSLETTER_LINES, r.randint(1, 3))
        if r.random() < 0.5:
            footer += ["Most read", *r.sample(titles, 4)]
        footer += [f"© {r.randint(2008, 2026)} {name.title()}. All rights reserved.", r.choice(["Privacy policy | Terms of use | Contact", "About us | Advertise | Careers", "Impressum | Datenschutz"])]
        out.append(SiteTemplate(name, tuple(header), tuple(footer)))
    return out


def _remix(r: random.Random, arts: list[tuple[str, str, list[str]]], vocab: list[str]) -> tuple[str, list[str]]:
    """A base made of real sentences (used when the real articles run out): at least eight sentences,
    each from another article and at most a quarter of that article's words, so that no base holds
    most of a short real article (a remix that contains a 40-word brief is a copy of it, not an
    unrelated base); sentences are added until the longest is at most a sixth of the remix's words.
    At 100,000 documents ~70,000 remixes draw on the same ~1,750 articles, so each real sentence is
    in ~14 remixes: a remix that was mostly one 60-word sentence was mostly inside a dozen unrelated
    remixes (a true containment of 0.8, a copy by any measure), and predicted clusters of 10-21
    documents of 7-16 bases followed. The title is a headline of random words of the vocabulary, not
    another article's title (which ~40 remixes shared with each other and with the real article)."""
    from tasks.records import split_sentences

    paras = []
    n_sent = n_words = longest = 0
    used: set[int] = set()
    while len(paras) < 2 or n_sent < 8 or longest * 6 > n_words:
        sents = []
        for _ in range(r.randint(1, 4)):
            a = r.randrange(len(arts))
            if a in used:
                continue
            _, _, ps = arts[a]
            text = r.choice(ps)
            limit = sum(len(p.split()) for p in ps) / 4
            spans = [(x, y) for x, y in split_sentences(text) if 5 <= len(text[x:y].split()) <= min(60, limit)]
            if spans:
                x, y = r.choice(spans)
                sents.append(text[x:y].strip())
                used.add(a)
                n_words += len(sents[-1].split())
                longest = max(longest, len(sents[-1].split()))
        if sents:
            paras.append(" ".join(sents))
            n_sent += len(sents)
        if len(paras) >= 30:
            break
    return " ".join(r.choice(vocab) for _ in range(r.randint(5, 10))).capitalize(), paras


def _thread_windows(r: random.Random, threads: list[list[str]]) -> list[list[str]]:
    """The comment threads cut into disjoint windows of 4-20 consecutive comment lines, shuffled: each
    `comments` copy takes the next one, so copies of different bases never share a thread (under
    different articles, real threads differ); once they are used up, threads of lines drawn from
    random threads."""
    out = []
    for t in threads:
        s = 0
        while len(t) - s >= 4:
            n = r.randint(4, 20)
            out.append(t[s : s + n])
            s += n
    r.shuffle(out)
    return out


def _spin(paras: list[str], rate: float, r: random.Random, vocab: list[str]) -> list[str]:
    """Replace about `rate` of the words: another real word, a typo (adjacent letters swapped) or dropped."""
    out = []
    for p in paras:
        words = []
        for w in p.split():
            if r.random() >= rate:
                words.append(w)
                continue
            op = r.random()
            if op < 0.5:
                words.append(r.choice(vocab))
            elif op < 0.8 and len(w) > 3:
                j = r.randrange(0, len(w) - 1)
                words.append(w[:j] + w[j + 1] + w[j] + w[j + 2 :])
            elif op >= 0.8:
                continue
            else:
                words.append(r.choice(vocab))
        out.append(" ".join(words))
    return out


@dataclass(frozen=True, slots=True)
class RealPage:
    doc_id: str
    cluster: str
    variant: str
    site: str
    url: str | None
    text: str
    chrome: tuple[str, ...] = ()  # the site template's header and footer lines in `text` (exact chrome removal)


def realistic_pages(data: Path, n_docs: int, seed: int = 1, split: str = "all", dup_share: float = 0.3, n_sites: int = 120, url_share: float = 0.5) -> Iterator[RealPage]:
    """Pages built around real article text (see `real_articles`): each base (a real article, or a remix
    of real sentences once they are used up) on one site's template, then 0..6 variants of the kinds in
    `REAL_VARIANTS`; about half the records have a URL (the site key), the rest only id and text."""
    arts = real_articles(data, split)
    if not arts:
        raise SystemExit(f"{data}: no */gold.jsonl with article texts")
    threads = real_comments(data)
    r = random.Random(seed)
    order = list(range(len(arts)))
    r.shuffle(order)
    vocab = sorted({w for _, _, ps in arts[:400] for p in ps for w in p.split() if w.isalpha()})
    sites = _site_templates(r, n_sites, [t for _, t, _ in arts])
    windows = _thread_windows(r, threads)
    lines = [x for t in threads for x in t]
    produced = cluster_no = n_threads = 0
    written: set[str] = set()

    def fresh_comment(line: str) -> bool:
        """Whether a comment line is new to the corpus: lines of 8 words or more whose word 5-grams
        are half in earlier appended comments are left out (the gold threads repeat comments, one
        page's thread holds a comment as one long line and again as its paragraphs: two windows of it
        appended to two unrelated bases made them share 60% of their text, a mixed cluster at 10k,
        seed 11). No random draw depends on it: the corpus is otherwise the same."""
        ws = line.lower().split()
        if len(ws) < 8:
            return True
        grams = {" ".join(ws[i : i + 5]) for i in range(len(ws) - 4)}
        new = len(grams - written) * 2 > len(grams)
        written.update(grams)
        return new

    def render(site: SiteTemplate, title: str, body: list[str], comments: list[str], with_url: bool, doc_id: str) -> RealPage:
        lines = [*site.header, title, *body, *site.footer]
        if comments:
            lines += [f"{len(comments) // 2} Comments", *comments]
        url = f"https://www.{site.name}.example/news/{doc_id}" if with_url else None
        return RealPage(doc_id, "", "", site.name, url, "\n\n".join(lines) + "\n", site.header + site.footer)

    while produced < n_docs:
        cluster_no += 1
        cid = f"c{cluster_no:07d}"
        if cluster_no <= len(order):
            _, title, body = arts[order[cluster_no - 1]]
        else:
            title, body = _remix(r, arts, vocab)
        site = r.choice(sites)
        pages_ = [("original", render(site, title, body, [], r.random() < url_share, f"{cid}-0"))]
        produced += 1
        n_var = 0
        while r.random() < dup_share / (1 - dup_share) / (1 + n_var) and produced < n_docs and n_var < 6:
            n_var += 1
            kind = r.choice(REAL_VARIANTS)
            vsite, vbody, vcomments = r.choice(sites), list(body), []
            if kind == "exact":
                vsite = site
            elif kind == "truncated":
                if len(body) >= 3:
                    vbody = body[: max(2, int(len(body) * r.uniform(0.5, 0.9)))]
                else:
                    ws = " ".join(body).split()
                    vbody = [" ".join(ws[: max(1, int(len(ws) * r.uniform(0.6, 0.9)))])]
            elif kind == "reordered":
                r.shuffle(vbody)
            elif kind == "spun":
                vbody = _spin(body, r.uniform(0.05, 0.15), r, vocab)
            elif kind == "comments":
                vcomments = windows[n_threads] if n_threads < len(windows) else r.sample(lines, r.randint(4, 20))
                vcomments = [x for x in vcomments if fresh_comment(x)]
                n_threads += 1
            elif kind == "repeated":
                k = r.randrange(len(body))
                vbody = body[: k + 1] + body[k : k + r.randint(1, 2)] + body[k + 1 :]
            pages_.append((kind, render(vsite, title, vbody, vcomments, r.random() < url_share, f"{cid}-{n_var}")))
            produced += 1
        for kind, p in pages_:
            yield RealPage(p.doc_id, cid, kind, p.site, p.url, p.text, p.chrome)


def write_realistic(out: Path, data: Path, n_docs: int, seed: int, split: str = "all") -> Path:
    """JSONL records: id, text, url (about half of them), cluster, variant."""
    out.mkdir(parents=True, exist_ok=True)
    with (out / "corpus.jsonl").open("w", encoding="utf-8") as f:
        for p in realistic_pages(data, n_docs, seed, split):
            rec = {"id": p.doc_id, "text": p.text, "cluster": p.cluster, "variant": p.variant}
            if p.url:
                rec["url"] = p.url
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=1000)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--format", choices=("jsonl", "files", "both", "mixed"), default="jsonl")
    ap.add_argument("--html-share", type=float, default=0.0, help="share of pages written as HTML")
    ap.add_argument("--realistic", type=Path, metavar="DATA", help="bases from the real article texts of DATA/*/gold.jsonl (JSONL only)")
    ap.add_argument("--split", choices=("all", "a", "b"), default="all", help="realistic mode: which half of the real articles")
    args = ap.parse_args()
    if args.realistic:
        print(write_realistic(args.out, args.realistic, args.docs, args.seed, args.split))
    else:
        print(write(args.out, args.docs, args.seed, args.format, args.html_share))


if __name__ == "__main__":
    main()

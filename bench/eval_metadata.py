"""Page metadata coverage on real HTML pages: newslake's `tasks.metadata` (after) next to the old
`html_metadata` (before, kept here as it was) and trafilatura's `extract_metadata`, in one run.

    python bench/eval_metadata.py --data DATASETS [--sets google-news,readability] [--json OUT]
                                  [--sample N] [--no-baseline]

For every page of each set's `html/` (decoded as newslake's ingest does, no URL given to anyone):
the share of pages with an author, a publication date, a language, a site name and a canonical URL.
Language: before = the old stop-word guess on the page's gold article text; after = the declared
language, else py3langid on the same text. Also printed: how often newslake's and trafilatura's dates
agree where both have one, and the language detectors' accuracy and speed against the pages that
declare their language (`<html lang>`), on the gold article text (py3langid, lingua when installed,
the old stop-word guess). `--sample N` prints N pages' values to check by eye.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import sys
import time
import warnings
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tasks.blocks import guess_language  # noqa: E402
from tasks.config import IngestConfig  # noqa: E402
from tasks.dates import parse_published  # noqa: E402
from tasks.html_page import parse_html  # noqa: E402
from tasks.ingest import decode  # noqa: E402
from tasks.metadata import detect_language, document_language, normalise_language, page_metadata  # noqa: E402

FIELDS = ("author", "published", "language", "site_name", "url")
OLD_META_KEYS = {
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


def old_html_metadata(tree) -> dict[str, str]:
    """html_metadata as it was before tasks/metadata.py (main 7b96cf8), the "before" column."""
    found: dict[str, str] = {}
    for m in tree.iter("meta"):
        k = (m.get("property") or m.get("name") or m.get("itemprop") or "").strip().lower()
        v = (m.get("content") or "").strip()
        if k in OLD_META_KEYS and v and OLD_META_KEYS[k] not in found and not v.startswith("http"):
            found[OLD_META_KEYS[k]] = v
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


def trafilatura_metadata(tree) -> dict[str, str | None]:
    from trafilatura.metadata import extract_metadata

    m = extract_metadata(tree)
    return {"author": m.author, "published": m.date, "site_name": m.sitename, "url": m.url, "language": getattr(m, "language", None)}


def load_set(folder: Path) -> list[tuple[str, str, str]]:
    """(page id, html, gold article text) of every page with a gold line."""
    gold = {}
    for line in (folder / "gold.jsonl").read_text(encoding="utf-8").split("\n"):
        if line.strip():
            g = json.loads(line)
            gold[str(g["id"])] = g.get("article") or ""
    cfg = IngestConfig()
    out = []
    for p in sorted((folder / "html").glob("*.htm*")):
        html, _ = decode(p.read_bytes(), cfg)
        out.append((p.stem, html, gold.get(p.stem, "")))
    return out


def lingua_detector():
    try:
        from lingua import LanguageDetectorBuilder
    except ImportError:
        return None
    det = LanguageDetectorBuilder.from_all_languages().with_preloaded_language_models().build()

    def detect(text: str) -> str | None:
        lang = det.detect_language_of(text[:3000])
        return lang.iso_code_639_1.name.lower() if lang is not None else None

    return detect


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True, type=Path, help="the development data-set folder (DATASETS)")
    ap.add_argument("--sets", default="google-news,readability", help="comma-separated sets with html/ and gold.jsonl")
    ap.add_argument("--json", type=Path, help="write a flat metric -> number object here (for bench/gate.py)")
    ap.add_argument("--sample", type=int, default=0, help="print N random pages' values per set (seed 0)")
    ap.add_argument("--dump", type=Path, help="write every page's values (newslake's and trafilatura's) here as JSON Lines")
    ap.add_argument("--no-baseline", action="store_true", help="skip trafilatura (~0.1-0.2 s a page) and lingua")
    args = ap.parse_args()
    logging.disable(logging.CRITICAL)
    warnings.filterwarnings("ignore")
    flat: dict[str, float] = {}
    lang_rows: list[tuple[str, str]] = []  # (declared language, gold article text)
    dump = args.dump.open("w", encoding="utf-8") if args.dump else None
    for name in [s.strip() for s in args.sets.split(",") if s.strip()]:
        folder = args.data / name
        if not (folder / "html").is_dir():
            sys.exit(f"eval_metadata: {folder}/html: no such folder")
        pages = load_set(folder)
        have = {sysname: Counter() for sysname in ("before", "after", "trafilatura")}
        secs = Counter()
        agree = both = 0
        shown: list[str] = []
        sample_ids = set(random.Random(0).sample([p[0] for p in pages], min(args.sample, len(pages))))
        n = 0
        for pid, html, article in pages:
            tree = parse_html(html)
            if tree is None:
                continue
            n += 1
            t = time.perf_counter()
            old = old_html_metadata(tree)
            old["language"] = guess_language(article) or ""
            secs["before"] += time.perf_counter() - t
            t = time.perf_counter()
            md = page_metadata(tree)
            new = {"author": md.author, "published": md.published, "site_name": md.site_name, "url": md.url,
                   "language": document_language(article, md.language)}
            secs["after"] += time.perf_counter() - t
            if md.language and article:
                lang_rows.append((md.language, article))
            for f in FIELDS:
                have["before"][f] += bool(old.get(f))
                have["after"][f] += bool(new.get(f))
            if not args.no_baseline:
                t = time.perf_counter()
                tm = trafilatura_metadata(parse_html(html))
                secs["trafilatura"] += time.perf_counter() - t
                for f in FIELDS:
                    have["trafilatura"][f] += bool(tm.get(f))
                td = parse_published(tm["published"]) if tm.get("published") else None
                if td and md.published:
                    both += 1
                    agree += td == md.published
            if dump is not None:
                row = {"set": name, "id": pid, "newslake": {k: str(v) if v else None for k, v in new.items()}}
                if not args.no_baseline:
                    row["trafilatura"] = tm
                dump.write(json.dumps(row, ensure_ascii=False) + "\n")
            if pid in sample_ids:
                shown.append(f"  {pid}: author={md.author!r} published={md.published} language={new['language']} "
                             f"site={md.site_name!r} url={md.url!r} title={md.title!r}"
                             + ("" if args.no_baseline else f" | trafilatura author={tm['author']!r} date={tm['published']}"))
        print(f"\n{name}: {n} pages")
        print(f"  {'system':<12}" + "".join(f"{f:>11}" for f in FIELDS) + f"{'ms/page':>10}")
        for sysname, c in have.items():
            if sysname == "trafilatura" and args.no_baseline:
                continue
            print(f"  {sysname:<12}" + "".join(f"{100 * c[f] / n:10.1f}%" for f in FIELDS) + f"{1000 * secs[sysname] / n:10.1f}")
            for f in FIELDS:
                flat[f"{name}/{sysname}/{f}"] = round(c[f] / n, 4)
        if both:
            print(f"  dates: newslake and trafilatura agree on {agree}/{both} pages where both have one ({100 * agree / both:.1f}%)")
            flat[f"{name}/date_agreement"] = round(agree / both, 4)
        for line in shown:
            print(line)
    if lang_rows:
        print(f"\nlanguage detectors on the gold article text of {len(lang_rows)} pages that declare a language "
              f"({', '.join(f'{k} {v}' for k, v in Counter(lang for lang, _ in lang_rows).most_common(8))})")
        detectors = [("py3langid", detect_language), ("stop words (old)", guess_language),
                     ("stop words, else py3langid (used)", lambda t: document_language(t))]
        if not args.no_baseline and (lg := lingua_detector()) is not None:
            detectors.insert(1, ("lingua", lg))
        for dname, fn in detectors:
            t = time.perf_counter()
            right = sum(normalise_language(fn(text) or "") == lang for lang, text in lang_rows)
            dt = time.perf_counter() - t
            print(f"  {dname:<18} accuracy {100 * right / len(lang_rows):5.1f}%   {1000 * dt / len(lang_rows):6.2f} ms/text")
            key = "used" if "(used)" in dname else dname.split()[0]
            flat[f"language_accuracy/{key}"] = round(right / len(lang_rows), 4)
    if args.json:
        args.json.write_text(json.dumps(flat, indent=1, sort_keys=True))


if __name__ == "__main__":
    main()

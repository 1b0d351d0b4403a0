"""Cleaning: newslake vs trafilatura on the same generated pages, in one run.

For plain-text dumps and for HTML pages (bench/make_corpus.py: site chrome, bylines, related links,
reader comments) it prints pages/s and the ratio to trafilatura (favor_precision=True,
include_comments=False, the setting newslake uses), plus quality against the known article:
token 4-gram F1 of the article text, the share of comment text left in the article, and comment
recall/precision (trafilatura's comments from `bare_extraction(include_comments=True)`).
Text dumps are given to trafilatura as one <p> per line, which is what a user would have to do.

    python bench/bench_clean.py [--pages 2000]
"""

from __future__ import annotations

import argparse
import html as htmllib
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from make_corpus import page_html, page_text, pages  # noqa: E402
from quality import ngram_f1  # noqa: E402

from tasks.clean import clean_document  # noqa: E402
from tasks.config import CleanConfig  # noqa: E402
from tasks.records import RawDoc  # noqa: E402

COMMENT_MARKERS = ("says:", "Reply")


def gold(p) -> tuple[str, str]:
    article = "\n\n".join([p.title, *p.body])
    comments = "\n\n".join(c for c in p.comments if not c.endswith(":") and c != "Reply" and not c.startswith("@"))
    return article, comments


def text_as_html(text: str) -> str:
    paras = "".join(f"<p>{htmllib.escape(x)}</p>" for x in text.split("\n") if x.strip())
    return f"<html><body>{paras}</body></html>"


def score(results: list[tuple[str, str]], golds: list[tuple[str, str]]) -> dict[str, float]:
    f1 = [ngram_f1(a, g[0])[2] for (a, _), g in zip(results, golds, strict=True)]
    with_comments = [(r, g) for r, g in zip(results, golds, strict=True) if g[1]]
    leak = [_leak(r[0], g[1]) for r, g in with_comments]
    cp = [ngram_f1(r[1], g[1])[0] for r, g in with_comments]
    cr = [ngram_f1(r[1], g[1])[1] for r, g in with_comments]
    mean = lambda xs: sum(xs) / len(xs) if xs else float("nan")  # noqa: E731
    return {"f1": mean(f1), "leak": mean(leak), "c_prec": mean(cp), "c_rec": mean(cr)}


def _leak(article: str, comments: str) -> float:
    """Share of the comment text's 4-grams found in the article."""
    _, recall, _ = ngram_f1(article, comments)
    return recall


def run_newslake(docs: list[RawDoc]) -> tuple[list[tuple[str, str]], float]:
    cfg = CleanConfig()
    t = time.perf_counter()
    out = []
    for d in docs:
        c = clean_document(d, cfg)
        out.append((c.clean_text, c.comments_text))
    return out, time.perf_counter() - t


def run_trafilatura(htmls: list[str], with_comments: bool) -> tuple[list[tuple[str, str]], float]:
    import trafilatura

    t = time.perf_counter()
    out = []
    for h in htmls:
        if with_comments:
            d = trafilatura.bare_extraction(h, favor_precision=True, include_comments=True)
            out.append(((d.text or "") if d else "", (d.comments or "") if d else ""))
        else:
            out.append((trafilatura.extract(h, favor_precision=True, include_comments=False) or "", ""))
    return out, time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pages", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=11)
    args = ap.parse_args()
    import trafilatura  # noqa: F401  (import cost outside the timings)

    pp = list(pages(args.pages, args.seed))
    golds = [gold(p) for p in pp]
    print(f"{'input':<6} {'system':<28} {'pages/s':>8} {'ratio':>6} {'F1':>6} {'leak':>6} {'c_prec':>7} {'c_rec':>6}")
    for kind in ("text", "html"):
        if kind == "text":
            docs = [RawDoc(p.doc_id, p.doc_id, None, "text/plain", "", page_text(p), "utf-8", p.site) for p in pp]
            htmls = [text_as_html(page_text(p)) for p in pp]
        else:
            htmls = [page_html(p) for p in pp]
            docs = [RawDoc(p.doc_id, p.doc_id, None, "text/html", "", h, "utf-8", p.site) for p, h in zip(pp, htmls, strict=True)]
        ours, t_ours = run_newslake(docs)
        theirs, t_theirs = run_trafilatura(htmls, with_comments=False)
        theirs_c, t_theirs_c = run_trafilatura(htmls, with_comments=True)
        n = len(pp)
        for name, res, t in (
            ("newslake", ours, t_ours),
            ("trafilatura (comments off)", theirs, t_theirs),
            ("trafilatura (comments on)", theirs_c, t_theirs_c),
        ):
            s = score(res, golds)
            print(f"{kind:<6} {name:<28} {n / t:8.0f} {t_theirs / t:6.2f} {s['f1']:6.3f} {s['leak']:6.3f} {s['c_prec']:7.3f} {s['c_rec']:6.3f}")
    print("ratio = trafilatura (comments off) time / system time: > 1 means faster than trafilatura")


if __name__ == "__main__":
    main()

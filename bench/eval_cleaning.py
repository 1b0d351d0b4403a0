"""Cleaning quality on real labelled pages: newslake next to trafilatura, every set, one run, one table.

    python bench/eval_cleaning.py --data DATASETS [--sets a,b] [--kinds html,comments,dumps]
                                  [--limit N] [--worst N] [--json OUT]

For every set in DATA that has a gold.jsonl (`<set>/html/<id>.html`, optionally `<set>/dumps/<id>.txt`):

- kind `html`: trafilatura 2.3.1 `extract(favor_precision=True, include_comments=False)` (the baseline)
  and `tasks.clean.html_to_text`, on every page;
- kind `comments`: on the pages with gold comments, `tasks.clean.clean_html_page` (article and comments)
  next to trafilatura's own comments (`bare_extraction(favor_precision=True, include_comments=True)`);
- kind `dumps`: on sets with dumps/, `tasks.clean.clean_dump_text` (skipped with a note when the
  function does not exist yet), timed against trafilatura on the same pages' HTML.

Metric (the ScrapingHub article-extraction benchmark's, as the data sets' score.py computes it; this is
a re-implementation, the data folder is only read): tokens are regex `\\w+` (case kept); per page the
multisets of token 4-grams of prediction and gold; P = shared/predicted, R = shared/gold (an empty
prediction has P = 0; empty prediction and empty gold score 1); a set's P and R are means over pages and
F1 is the harmonic mean of those means. Comment leak = share of the gold comment-only 4-grams (comment
4-grams minus article 4-grams) found in the predicted article, mean over pages with gold comments.
Comments P/R are the same P/R on the comment text, over pages with gold comments; `comments_R_once`
("R once") counts each distinct gold comment 4-gram once (google-news's comment gold repeats most lines
two to four times, nested annotations: a thread written once cannot reach R 1 there; this column says
how much of the distinct comment text was found; it is not the issue's metric). `comments_thread_*`: the
same comment figures over the pages whose gold comments hold a reader thread, told by a posting time (a
clock time, a numeric date, a year or "N days ago" on some line: reader comments carry one, a comment
section's chrome alone — a counter, "Have your say", the form's labels — does not; google-news's gold
labels that chrome as comments on about a third of its pages). Pages decode as UTF-8,
else cp1252, else latin-1. A page whose extractor raises scores zero and is counted in `errors`.

Speed: CPU time of this process (`time.process_time`, less sensitive than wall time to other jobs on a
shared machine), each page timed for trafilatura and for ours back to back. `pages_per_s_ratio` =
ours / trafilatura on the same pages in the same run (> 1: ours is faster).

Metrics written to --json, flat: `<set>/<system>/<metric>` with metric in P, R, F1, leak, comments_P,
comments_R, comments_R_once, comments_thread_P/R/R_once, thread_pages, pages, errors, empty, pages_per_s, pages_per_s_ratio. Systems: `trafilatura`,
`html_to_text`, `trafilatura_comments`, `clean_html_page` (article figures over the pages with gold
comments only), `clean_dump_text`.
"""

from __future__ import annotations

import argparse
import importlib
import json
import re
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TOKEN = re.compile(r"\w+")
# A posting time in a gold comment line: what tells a reader thread from a comment section's chrome.
THREAD_TIME_RE = re.compile(
    r"\d{1,2}:\d{2}|\b\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}\b|\b(?:19|20)\d{2}\b|\b\d+ (?:minutes?|hours?|days?|weeks?|months?) ago\b"
)
KINDS = ("html", "comments", "dumps")


# --- the metric ---------------------------------------------------------------------------------


def shingles(text: str, n: int = 4) -> Counter:
    """Multiset of token n-grams (a text shorter than n tokens is one n-gram of what it has)."""
    t = TOKEN.findall(text or "")
    if not t:
        return Counter()
    if len(t) < n:
        return Counter([tuple(t)])
    return Counter(tuple(t[i : i + n]) for i in range(len(t) - n + 1))


def prf(pred: Counter, gold: Counter) -> tuple[float, float]:
    """(P, R) of predicted against gold n-gram multisets."""
    if not pred and not gold:
        return 1.0, 1.0
    tp = sum((pred & gold).values())
    p = tp / sum(pred.values()) if pred else 0.0
    r = tp / sum(gold.values()) if gold else 0.0
    return p, r


def decode(raw: bytes) -> str:
    for enc in ("utf-8", "cp1252"):
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            pass
    return raw.decode("latin-1")


def has_reader_thread(comments: str) -> bool:
    """Whether a gold comment text holds a reader thread (a posting time on some line), not only the
    comment section's chrome."""
    return THREAD_TIME_RE.search(comments) is not None


def f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def mean(xs: list[float]) -> float | None:
    return sum(xs) / len(xs) if xs else None


# --- one system on one set ----------------------------------------------------------------------


@dataclass
class Score:
    """Per-page scores of one system on one set, and its CPU seconds."""

    P: list[float] = field(default_factory=list)
    R: list[float] = field(default_factory=list)
    leak: list[float] = field(default_factory=list)
    cP: list[float] = field(default_factory=list)
    cR: list[float] = field(default_factory=list)
    cR1: list[float] = field(default_factory=list)
    thread: list[bool] = field(default_factory=list)  # per page of cP: its gold holds a reader thread
    secs: float = 0.0
    errors: int = 0
    empty: int = 0
    worst: list[tuple[float, str, float, float]] = field(default_factory=list)

    def add(self, page_id: str, gold: dict, article: str, comments: str | None, secs: float) -> None:
        got = shingles(article)
        g = gold["_art"]
        p, r = prf(got, g)
        self.P.append(p)
        self.R.append(r)
        self.secs += secs
        self.empty += not article.strip()
        self.worst.append((f1(p, r), page_id, p, r))
        if gold["comments"]:
            only = gold["_only"]
            self.leak.append(sum((only & got).values()) / sum(only.values()) if only else 0.0)
            if comments is not None:
                got_com = shingles(comments)
                cp, cr = prf(got_com, gold["_com"])
                self.cP.append(cp)
                self.cR.append(cr)
                distinct = gold["_com"].keys()
                self.cR1.append(len(distinct & got_com.keys()) / len(distinct) if distinct else 1.0)
                self.thread.append(has_reader_thread(gold["comments"]))

    def metrics(self) -> dict[str, float]:
        n = len(self.P)
        P, R = mean(self.P) or 0.0, mean(self.R) or 0.0
        out = {"P": P, "R": R, "F1": f1(P, R), "pages": n, "errors": self.errors, "empty": self.empty}
        if self.leak:
            out["leak"] = mean(self.leak)
        if self.cP:
            out["comments_P"] = mean(self.cP)
            out["comments_R"] = mean(self.cR)
            out["comments_R_once"] = mean(self.cR1)
            keep = self.thread
            if any(keep):
                out["thread_pages"] = sum(keep)
                for name, xs in (("P", self.cP), ("R", self.cR), ("R_once", self.cR1)):
                    out[f"comments_thread_{name}"] = mean([x for x, k in zip(xs, keep, strict=True) if k])
        if self.secs > 0:
            out["pages_per_s"] = n / self.secs
        return out


def split_result(out) -> tuple[str, str | None]:
    if isinstance(out, str):
        return out, None
    if isinstance(out, dict):
        return out.get("article") or "", out.get("comments")
    raise TypeError(f"extractor returned {type(out).__name__}, not str or dict")


def timed(fn: Callable[[str], object], text: str, score: Score, page_id: str) -> tuple[str, str | None, float]:
    t0 = time.process_time()
    try:
        article, comments = split_result(fn(text))
    except Exception as exc:  # a page that breaks an extractor scores zero, the run goes on
        score.errors += 1
        article, comments = "", None
        print(f"  error: {page_id}: {type(exc).__name__}: {exc}", file=sys.stderr)
    return article, comments, time.process_time() - t0


# --- systems ------------------------------------------------------------------------------------


def trafilatura_article(html: str) -> str:
    import trafilatura

    return trafilatura.extract(html, favor_precision=True, include_comments=False) or ""


def trafilatura_comments(html: str) -> dict:
    import trafilatura

    doc = trafilatura.bare_extraction(html, favor_precision=True, include_comments=True, with_metadata=False)
    if doc is None:
        return {"article": "", "comments": ""}
    return {"article": doc.text or "", "comments": doc.comments or ""}


def ours(name: str) -> Callable[[str], object] | None:
    mod = importlib.import_module("tasks.clean")
    return getattr(mod, name, None)


# --- the run ------------------------------------------------------------------------------------


def load_gold(path: Path, limit: int) -> list[dict]:
    # split on "\n" only: str.splitlines would also split inside texts holding U+2028 and the like
    gold = [json.loads(line) for line in path.read_text(encoding="utf-8").split("\n") if line.strip()]
    gold.sort(key=lambda g: g["id"])
    if limit:
        gold = gold[:limit]
    for g in gold:
        g["_art"] = shingles(g["article"])
        if g.get("comments"):
            g["_com"] = shingles(g["comments"])
            g["_only"] = g["_com"] - g["_art"]
    return gold


def eval_set(set_dir: Path, kinds: set[str], limit: int, notes: list[str]) -> dict[str, Score]:
    gold = load_gold(set_dir / "gold.jsonl", limit)
    scores: dict[str, Score] = {}
    html_fn, page_fn, dump_fn = ours("html_to_text"), ours("clean_html_page"), ours("clean_dump_text")
    has_dumps = (set_dir / "dumps").is_dir()
    if "comments" in kinds and page_fn is None:
        notes.append("clean_html_page: not in tasks.clean, skipped")
    if "dumps" in kinds and has_dumps and dump_fn is None:
        notes.append(f"{set_dir.name}: clean_dump_text not in tasks.clean, dumps skipped")
    for g in gold:
        pid = g["id"]
        html_path = set_dir / "html" / f"{pid}.html"
        if not html_path.is_file():
            continue
        html = decode(html_path.read_bytes())
        want_html = "html" in kinds
        want_page = "comments" in kinds and page_fn is not None and bool(g.get("comments"))
        dump_path = set_dir / "dumps" / f"{pid}.txt"
        want_dump = "dumps" in kinds and dump_fn is not None and dump_path.is_file()
        if not (want_html or want_page or want_dump):
            continue
        base = scores.setdefault("trafilatura", Score())
        article, _, t_base = timed(trafilatura_article, html, base, pid)
        base.add(pid, g, article, None, t_base)
        if want_html:
            s = scores.setdefault("html_to_text", Score())
            article, _, secs = timed(html_fn, html, s, pid)
            s.add(pid, g, article, None, secs)
            scores.setdefault("_base/html_to_text", Score()).secs += t_base
        if want_page:
            s = scores.setdefault("trafilatura_comments", Score())
            article, comments, secs = timed(trafilatura_comments, html, s, pid)
            s.add(pid, g, article, comments, secs)
            s = scores.setdefault("clean_html_page", Score())
            article, comments, secs = timed(page_fn, html, s, pid)
            s.add(pid, g, article, comments, secs)
            scores.setdefault("_base/clean_html_page", Score()).secs += t_base
        if want_dump:
            s = scores.setdefault("clean_dump_text", Score())
            article, comments, secs = timed(dump_fn, decode(dump_path.read_bytes()), s, pid)
            s.add(pid, g, article, comments, secs)
            scores.setdefault("_base/clean_dump_text", Score()).secs += t_base
    return scores


def flat_metrics(set_name: str, scores: dict[str, Score]) -> dict[str, float]:
    out: dict[str, float] = {}
    for system, s in scores.items():
        if system.startswith("_base/"):
            continue
        m = s.metrics()
        base = scores.get(f"_base/{system}")
        if base is not None and s.secs > 0:
            m["pages_per_s_ratio"] = base.secs / s.secs
        for k, v in m.items():
            if v is not None:
                out[f"{set_name}/{system}/{k}"] = round(float(v), 4)
    return out


def fmt(v: float | None, spec: str = ".3f") -> str:
    return "-" if v is None else format(v, spec)


def table(metrics: dict[str, float]) -> str:
    rows = sorted({tuple(k.split("/")[:2]) for k in metrics})
    head = f"{'set':<15} {'system':<21} {'pages':>5} {'P':>6} {'R':>6} {'F1':>6} {'com P':>6} {'com R':>6} {'R once':>6} {'leak':>6} {'pages/s':>8} {'ratio':>6} {'err':>4}"
    lines = [head, "-" * len(head)]
    for set_name, system in rows:
        def g(k: str, _s=set_name, _y=system) -> float | None:
            return metrics.get(f"{_s}/{_y}/{k}")

        lines.append(
            f"{set_name:<15} {system:<21} {int(g('pages') or 0):>5} {fmt(g('P')):>6} {fmt(g('R')):>6} {fmt(g('F1')):>6} "
            f"{fmt(g('comments_P')):>6} {fmt(g('comments_R')):>6} {fmt(g('comments_R_once')):>6} {fmt(g('leak')):>6} {fmt(g('pages_per_s'), '.1f'):>8} "
            f"{fmt(g('pages_per_s_ratio'), '.2f'):>6} {int(g('errors') or 0):>4}"
        )
    threads = [row for row in rows if f"{row[0]}/{row[1]}/thread_pages" in metrics]
    if threads:
        lines += ["", "comments on the pages whose gold holds a reader thread (a posting time on some line):"]
        for set_name, system in threads:
            k = f"{set_name}/{system}/"
            lines.append(
                f"{set_name:<15} {system:<21} {int(metrics[k + 'thread_pages']):>5} of {int(metrics[k + 'pages']):>4}  "
                f"com P {fmt(metrics.get(k + 'comments_thread_P'))}  com R {fmt(metrics.get(k + 'comments_thread_R'))}  "
                f"R once {fmt(metrics.get(k + 'comments_thread_R_once'))}"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, required=True, help="folder of sets (each with gold.jsonl and html/)")
    ap.add_argument("--sets", default="", help="comma-separated set names (default: every set with gold.jsonl)")
    ap.add_argument("--kinds", default=",".join(KINDS), help=f"comma-separated, of {', '.join(KINDS)}")
    ap.add_argument("--limit", type=int, default=0, help="first N pages (by id) of each set; 0 = all")
    ap.add_argument("--worst", type=int, default=0, help="list the N worst pages of each of our systems")
    ap.add_argument("--json", type=Path, help="write the flat metrics here")
    a = ap.parse_args(argv)
    kinds = {k for k in a.kinds.split(",") if k}
    if kinds - set(KINDS):
        print(f"eval_cleaning: unknown kind(s) {sorted(kinds - set(KINDS))}", file=sys.stderr)
        return 2
    if not a.data.is_dir():
        print(f"eval_cleaning: data folder {a.data} does not exist", file=sys.stderr)
        return 2
    sets = sorted(p for p in a.data.iterdir() if (p / "gold.jsonl").is_file() and (p / "html").is_dir())
    if a.sets:
        wanted = {s for s in a.sets.split(",") if s}
        missing = wanted - {p.name for p in sets}
        if missing:
            print(f"eval_cleaning: no set {', '.join(sorted(missing))} with gold.jsonl in {a.data}", file=sys.stderr)
            return 2
        sets = [p for p in sets if p.name in wanted]
    metrics: dict[str, float] = {}
    notes: list[str] = []
    t0 = time.perf_counter()
    for set_dir in sets:
        scores = eval_set(set_dir, kinds, a.limit, notes)
        metrics.update(flat_metrics(set_dir.name, scores))
        if a.worst:
            for system, s in scores.items():
                if system.startswith("_base/") or system.startswith("trafilatura"):
                    continue
                print(f"{set_dir.name} / {system}: worst pages")
                for f, pid, p, r in sorted(s.worst)[: a.worst]:
                    print(f"  {pid:<40} F1 {f:.3f}  P {p:.3f}  R {r:.3f}")
    print(table(metrics))
    for n in dict.fromkeys(notes):
        print(f"note: {n}")
    print(f"({time.perf_counter() - t0:.0f} s wall; pages/s and ratio from CPU time)")
    if a.json:
        a.json.write_text(json.dumps(metrics, indent=1, sort_keys=True), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

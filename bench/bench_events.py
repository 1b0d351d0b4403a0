"""Event extraction throughput: documents/s and words/s of `extract_events` (dates, actors, triggers)
plus `merge_events`, on generated news text and on the seeds, with dateparser's `search_dates` (the
usual way to find dates in text) timed on the same documents for scale.

    python bench/bench_events.py [--docs 2000]
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from make_corpus import pages  # noqa: E402

from tasks.events import extract_events, merge_events  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--docs", type=int, default=2000)
    ap.add_argument("--dateparser-docs", type=int, default=200, help="documents given to dateparser (it is slow)")
    args = ap.parse_args()
    run_date = date(2026, 11, 21)
    gen = [(p.doc_id, "\n\n".join([p.title, *p.body]), date.fromisoformat(p.published)) for p in pages(args.docs, 5)]
    seeds = [(f.name, f.read_text(encoding="utf-8"), None) for f in sorted((ROOT / "seeds").glob("*.txt"))] * 40
    extract_events(gen[:10], run_date)  # warm caches (gazetteer, regexes)
    print(f"{'corpus':<10} {'system':<24} {'docs':>6} {'docs/s':>8} {'words/s':>9} {'mentions':>9} {'events':>7}")
    for name, docs in (("generated", gen), ("seeds x40", seeds)):
        words = sum(len(t.split()) for _, t, _ in docs)
        t = time.perf_counter()
        mentions = extract_events(docs, run_date)
        events, _ = merge_events(mentions, {})
        dt = time.perf_counter() - t
        print(f"{name:<10} {'newslake':<24} {len(docs):>6} {len(docs) / dt:8.0f} {words / dt:9.0f} {len(mentions):>9} {len(events):>7}")
        try:
            from dateparser.search import search_dates
        except ImportError:
            continue
        sub = docs[: args.dateparser_docs]
        words = sum(len(t.split()) for _, t, _ in sub)
        t = time.perf_counter()
        for _, text, _ in sub:
            search_dates(text, languages=["en"])
        dt = time.perf_counter() - t
        print(f"{name:<10} {'dateparser search_dates':<24} {len(sub):>6} {len(sub) / dt:8.0f} {words / dt:9.0f} {'(dates only)':>17}")


if __name__ == "__main__":
    main()

"""One event, many sources, on real news (issue 16.4): how `merge_events` groups the events of the
google-news gold articles (publication dates from the pages' metadata, as `bench/bench_events.py`
reads them), and a proxy of how often a merge joins unrelated articles.

    python bench/eval_merge.py --data DATASETS [--show]

The set has no story labels, so the proxy is lexical: for every pair of documents that one event
joins, the Jaccard overlap of the two articles' capitalised words (names, places); pairs under
0.08 are "unrelated-looking". It undercounts true merges (two articles on one story told from other
angles share few names), so `--show` prints every multi-document event (type, date, each document's
title and evidence sentence) for judging by a reader; the verdicts go in bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import itertools
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_events import RUN_DATE, google_news_docs  # noqa: E402
from tasks.events import extract_events, merge_events  # noqa: E402

NAME_RE = re.compile(r"\b[A-Z][a-z]{3,}\b")
UNRELATED = 0.08


def merge_figures(docs: list[tuple[str, str, object]], show: bool = False) -> dict[str, float]:
    mentions = extract_events(docs, RUN_DATE)
    events, assign = merge_events(mentions, {})
    names = {d: set(NAME_RE.findall(t)) for d, t, _p in docs}
    text = {d: t for d, t, _p in docs}
    by_event: dict[str, list] = defaultdict(list)
    for i, m in enumerate(mentions):
        by_event[assign.get(i)].append(m)
    multi = [e for e in events if len(set(e.doc_ids)) > 1]
    pairs = [
        len(names[a] & names[b]) / max(1, len(names[a] | names[b]))
        for e in multi
        for a, b in itertools.combinations(sorted(set(e.doc_ids)), 2)
    ]
    if show:
        for k, e in enumerate(sorted(multi, key=lambda e: e.event_id), 1):
            print(f"#{k} {e.event_type} {e.event_date} {e.date_precision} documents={len(set(e.doc_ids))}")
            seen = set()
            for m in by_event[e.event_id]:
                if m.doc_id not in seen:
                    seen.add(m.doc_id)
                    title = text[m.doc_id].split("\n", 1)[0]
                    print(f"   [{title[:50]}] {m.sentence[:120]!r}")
    return {
        "events": len(events),
        "multi_document_events": len(multi),
        "documents_in_multi_document_events": len({d for e in multi for d in e.doc_ids}),
        "merged_document_pairs": len(pairs),
        "unrelated_looking_pairs": sum(j < UNRELATED for j in pairs),
        "largest_event_documents": max((len(set(e.doc_ids)) for e in events), default=0),
        "documents_per_event": dict(sorted(Counter(len(set(e.doc_ids)) for e in events).items())),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, required=True, help="the development data-set folder (DATASETS)")
    ap.add_argument("--show", action="store_true", help="print every multi-document event for judging")
    args = ap.parse_args()
    docs = google_news_docs(args.data / "google-news")
    figures = merge_figures(docs, args.show)
    print(f"\ngoogle-news gold articles: {len(docs)}")
    for k, v in figures.items():
        print(f"  {k}: {v}")


if __name__ == "__main__":
    main()

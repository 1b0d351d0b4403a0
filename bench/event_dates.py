"""Where the google-news events' dates come from, and the ones no reader could accept (issue 16.3).

    python bench/event_dates.py --data DATASETS [--run-date 2026-12-02] [--show]

Runs `extract_events` on the google-news gold articles (publication dates from their pages, as
`bench/bench_events.py` reads them) with the given run date and prints: the mentions not `planned`
dated after their document's publication date; the mentions of pages with no publication date and
no dated dateline (their reference is the run date); the mentions dated in the run date's year or
later (the collection is from 2007-08: any such date was taken from the run date); and every
mention by the kind of its date text (an explicit year, a yearless month day, a weekday, a relative
word, none: the lede rule's publication day), and how many days before publication the lede-area
mentions with a day of their own are dated (what the lede rule's publication day is worth). The same input should give the same dates whatever the
run date: run it with two.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_events import google_news_docs  # noqa: E402
from tasks.events import dateline_date, document_anchor, extract_events  # noqa: E402

YEAR_RE = re.compile(r"\b[12]\d{3}\b")
MONTH_RE = re.compile(r"(?i)\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b")
WEEKDAY_RE = re.compile(r"(?i)\b(?:mon|tues|wednes|thurs|fri|satur|sun)day\b")


def date_kind(text: str) -> str:
    if not text:
        return "none (the lede's publication day)"
    if YEAR_RE.search(text):
        return "explicit year"
    if MONTH_RE.search(text):
        return "yearless month day" if re.search(r"\d", text) else "yearless month"
    if WEEKDAY_RE.search(text):
        return "weekday"
    return "relative word"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--run-date", type=date.fromisoformat, default=date(2026, 12, 2))
    ap.add_argument("--show", action="store_true", help="print each counted mention")
    a = ap.parse_args()
    docs = google_news_docs(a.data / "google-news")
    ref = {d: p or dateline_date(t, a.run_date, document_anchor(t, a.run_date)) for d, t, p in docs}
    ms = extract_events(docs, a.run_date)
    after, undated, late = [], [], []
    for m in ms:
        p = ref[m.doc_id]
        if p is None:
            undated.append(m)
        elif m.mode != "planned" and m.date_value[:10] > p.isoformat()[: len(m.date_value)]:
            after.append(m)
        if int(m.date_value[:4]) >= a.run_date.year:
            late.append(m)
    print(f"google-news, run date {a.run_date}: {len(docs)} articles, {sum(p is not None for p in ref.values())} with a publication date or dated dateline, {len(ms)} mentions")
    for name, got in (("not planned, dated after publication", after), ("on pages with no publication date", undated), (f"dated in {a.run_date.year} or later", late)):
        print(f"  {name}: {len(got)} in {len({m.doc_id for m in got})} articles {dict(Counter(date_kind(m.date_text) for m in got).most_common())}")
        if a.show:
            for m in got:
                print(f"    {m.doc_id[:8]} {m.event_type} [{m.mode}] {m.date_value}/{m.date_precision} ({m.date_text}) {m.sentence[:100]!r}")
    lags = Counter(
        min((ref[m.doc_id] - date.fromisoformat(m.date_value)).days, 3)
        for m in ms
        if ref[m.doc_id] is not None and m.date_text and m.date_precision == "day" and m.char_start < 400 and m.mode != "planned" and date.fromisoformat(m.date_value) <= ref[m.doc_id]
    )
    print(f"  lede-area mentions (first 400 characters) with a day of their own, publication minus that day (3 = 3+ days): {dict(sorted(lags.items()))}")
    print(f"  every mention by its date's kind: {dict(Counter(date_kind(m.date_text) for m in ms).most_common())}")


if __name__ == "__main__":
    main()

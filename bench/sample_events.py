"""Print the main events of a random sample of google-news gold articles, for judging by a reader.

    python bench/sample_events.py --data ../shared/datasets [--n 30] [--seed 16] [--all]

For each sampled article (gold text, publication date from the page's metadata, as
`bench/bench_events.py` reads them): its headline and lead, then every published event of the
article (the main one marked `*`): type, mode, date, source, target, location, trigger and evidence
sentence. A reader judges the main event (type, actors, date) right / partly right / wrong.
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_events import RUN_DATE, google_news_docs  # noqa: E402
from tasks.events import extract_events, merge_events  # noqa: E402


def _actor(a) -> str:
    return "-" if a is None else f"{a.name} ({a.kind}{', ' + a.country if a.country else ''})"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, required=True, help="../shared/datasets")
    ap.add_argument("--n", type=int, default=30)
    ap.add_argument("--seed", type=int, default=16)
    ap.add_argument("--all", action="store_true", help="every article, not a sample")
    args = ap.parse_args()
    docs = google_news_docs(args.data / "google-news")
    sample = docs if args.all else sorted(random.Random(args.seed).sample(docs, args.n))
    for doc_id, text, published in sample:
        ms = extract_events([(doc_id, text, published)], RUN_DATE)
        events, assign = merge_events(ms, {})
        kept = {eid for eid in assign.values()} & {e.event_id for e in events}
        print(f"\n=== {doc_id} published {published}\n  {text[:300].replace(chr(10), ' | ')}")
        for i, m in enumerate(ms):
            if assign.get(i) not in kept:
                continue
            print(
                f"  {'*' if m.is_main else ' '} {m.event_type} [{m.mode}] {m.date_value} ({m.date_text or 'publication'})"
                f" src={_actor(m.source)} tgt={_actor(m.target)} loc={m.location} trig={m.trigger!r} conf={m.confidence}"
                f"\n      {m.sentence[:220]!r}"
            )


if __name__ == "__main__":
    main()

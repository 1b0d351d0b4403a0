"""Print the main events of a random sample of google-news gold articles, for judging by a reader.

    python bench/sample_events.py --data ../shared/datasets [--n 30] [--seed 16] [--all] [--verdicts FILE]

For each sampled article (gold text, publication date from the page's metadata, as
`bench/bench_events.py` reads them): its headline, lead sentence and main event (type, mode, date,
source, target, location, trigger), then every other published event of the article. A reader
judges the main event (type, actors, date) right / partly / wrong / none.

`--verdicts FILE` makes a judgement repeatable: a JSON object `{doc_id: {"main": "<the main event's
line>", "verdict": "right|partly|wrong|none", "kind": "..."}}` written by the reader. Articles whose
main event is still the judged one count with their verdict; the others are printed as `CHANGED`
and need a new look. The counts per verdict and kind are printed at the end.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_events import RUN_DATE, google_news_docs  # noqa: E402
from tasks.events import extract_events, merge_events  # noqa: E402
from tasks.records import split_sentences  # noqa: E402

VERDICTS = ("right", "partly", "wrong", "none")


def _actor(a) -> str:
    return "-" if a is None else f"{a.name} ({a.kind}{', ' + a.country if a.country else ''})"


def event_line(m) -> str:
    """One line naming what a reader judges of an event mention (the key of a stored verdict)."""
    return (
        f"{m.event_type} [{m.mode}] {m.date_value}/{m.date_precision} ({m.date_text or 'publication'})"
        f" src={_actor(m.source)} tgt={_actor(m.target)} loc={m.location} trig={m.trigger!r}"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, required=True, help="../shared/datasets")
    ap.add_argument("--n", type=int, default=30)
    ap.add_argument("--seed", type=int, default=16)
    ap.add_argument("--all", action="store_true", help="every article, not a sample")
    ap.add_argument("--verdicts", type=Path, help="JSON of judged main events (see the docstring)")
    ap.add_argument("--brief", action="store_true", help="only the main event, not the article's other events")
    args = ap.parse_args()
    docs = google_news_docs(args.data / "google-news")
    sample = docs if args.all else sorted(random.Random(args.seed).sample(docs, args.n))
    judged = json.loads(args.verdicts.read_text(encoding="utf-8")) if args.verdicts else {}
    counts: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    changed = 0
    for doc_id, text, published in sample:
        ms = extract_events([(doc_id, text, published)], RUN_DATE)
        events, assign = merge_events(ms, {})
        kept = {e.event_id for e in events}
        shown = [(i, m) for i, m in enumerate(ms) if assign.get(i) in kept]
        main_m = next((m for _i, m in shown if m.is_main), None)
        sents = [text[s:e].strip() for s, e in split_sentences(text)[:2]]
        line = event_line(main_m) if main_m else "none"
        print(f"\n=== {doc_id} published {published}")
        print(f"  title: {sents[0][:200] if sents else ''}")
        print(f"  lead:  {sents[1][:300] if len(sents) > 1 else ''}")
        print(f"  MAIN:  {line}")
        if main_m:
            print(f"         {main_m.sentence[:240]!r}")
        if doc_id in judged:
            j = judged[doc_id]
            if j["main"] == line:
                counts[j["verdict"]] += 1
                kinds[f"{j['verdict']}: {j.get('kind', '')}"] += 1
                print(f"  judged: {j['verdict']} {j.get('kind', '')}")
            else:
                changed += 1
                print(f"  CHANGED (judged {j['verdict']} {j.get('kind', '')}: {j['main']})")
        if not args.brief:
            for _i, m in shown:
                if not m.is_main:
                    print(f"    other: {event_line(m)}\n           {m.sentence[:160]!r}")
    if judged:
        print("\nverdicts of unchanged main events: " + ", ".join(f"{v} {counts[v]}" for v in VERDICTS) + f"; changed {changed}")
        for k, n in kinds.most_common():
            print(f"  {n:3d} {k}")


if __name__ == "__main__":
    main()

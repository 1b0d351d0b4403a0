"""Print the events of a random sample of google-news gold articles, for judging by a reader.

    python bench/sample_events.py --data DATASETS [--n 30] [--seed 16] [--all] [--brief] [--verdicts FILE]

For each sampled article (gold text, publication date from the page's metadata, as
`bench/bench_events.py` reads them): its headline, lead sentence and main event (type, mode, date,
source, target, location, trigger), then every other published event of the article, numbered
(`--brief`: the main event only). Two judgements are made of an article:

- the main event's (an earlier session's): right / partly / wrong / none;
- the article's (issue 16.2's figure): is it a news article (it reports a happening; a review, a
  feature, a listing is not), and which of its events, if any, has a type, actors and date a reader
  accepts ("at least one accepted event").

`--verdicts FILE` makes the judgements repeatable: a JSON object `{doc_id: {"main": "<the main
event's line>", "verdict": "right|partly|wrong|none", "kind": "...", "article": {"news": true|false,
"accepted": ["<event line>", ...], "events": ["<every event line when judged>", ...], "kind":
"..."}}}`. A main event still the judged one counts with its verdict, else it is printed `CHANGED`.
An article counts as accepted while one of its accepted lines is still among its events, as not
accepted while its events are exactly the judged ones; otherwise it is printed `CHANGED (article)`
and needs a new look. The counts per verdict and kind are printed at the end: accepted / news
articles is the issue's figure.
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
ACCEPTED, NOT_ACCEPTED, NOT_NEWS, CHANGED = "accepted", "not accepted", "not news", "changed"


def article_verdict(judged: dict, lines: list[str]) -> str:
    """An article's stored judgement against its events now: `not news` for an article judged to
    report no happening, `accepted` while one of its accepted event lines is still produced,
    `not accepted` while its events are exactly the judged ones, else `changed` (judge again)."""
    if judged["news"] is None:
        return CHANGED
    if not judged["news"]:
        return NOT_NEWS
    if any(line in lines for line in judged["accepted"]):
        return ACCEPTED
    if not judged["accepted"] and sorted(lines) == sorted(judged["events"]):
        return NOT_ACCEPTED
    return CHANGED


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
    ap.add_argument("--data", type=Path, required=True, help="the development data-set folder (DATASETS)")
    ap.add_argument("--n", type=int, default=30)
    ap.add_argument("--seed", type=int, default=16)
    ap.add_argument("--all", action="store_true", help="every article, not a sample")
    ap.add_argument("--verdicts", type=Path, help="JSON of judged events (see the docstring)")
    ap.add_argument("--brief", action="store_true", help="only the main event, not the article's other events")
    ap.add_argument("--template", type=Path, help="write the sample's events as a verdicts file to fill in"
                    " (the judgements of --verdicts kept; an article's events refreshed where it is not yet judged)")
    args = ap.parse_args()
    docs = google_news_docs(args.data / "google-news")
    sample = docs if args.all else sorted(random.Random(args.seed).sample(docs, args.n))
    judged = json.loads(args.verdicts.read_text(encoding="utf-8")) if args.verdicts else {}
    counts: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    changed = 0
    art_counts: Counter[str] = Counter()
    art_kinds: Counter[str] = Counter()
    art_changed = 0
    template = {k: dict(v) for k, v in judged.items()}
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
        print(f"  MAIN:  {line}" + (f"  [{next(n for n, (_i, m) in enumerate(shown, 1) if m is main_m)}]" if main_m else ""))
        if main_m:
            print(f"         {main_m.sentence[:240]!r}")
        if judged.get(doc_id, {}).get("verdict"):
            j = judged[doc_id]
            if j["main"] == line:
                counts[j["verdict"]] += 1
                kinds[f"{j['verdict']}: {j.get('kind', '')}"] += 1
                print(f"  judged: {j['verdict']} {j.get('kind', '')}")
            else:
                changed += 1
                print(f"  CHANGED (judged {j['verdict']} {j.get('kind', '')}: {j['main']})")
        lines = [event_line(m) for _i, m in shown]
        entry = template.setdefault(doc_id, {"main": line, "verdict": "", "kind": ""})
        if "article" not in entry:
            entry["article"] = {"news": None, "accepted": [], "events": lines, "kind": ""}
        if not args.brief:
            for n, (_i, m) in enumerate(shown, 1):
                if not m.is_main:
                    print(f"    [{n}] {lines[n - 1]}\n           {m.sentence[:160]!r}")
        a = judged.get(doc_id, {}).get("article")
        if a is not None:
            verdict = article_verdict(a, lines)
            if verdict == CHANGED:
                entry["article"] = {**a, "accepted": [], "events": lines}
                art_changed += 1
                print(f"  CHANGED (article; judged news={a['news']} accepted={a['accepted']} {a.get('kind', '')})")
            else:
                art_counts[verdict] += 1
                art_kinds[f"{verdict}: {a.get('kind', '')}"] += 1
                print(f"  article: {verdict} {a.get('kind', '')}")
    if args.template:
        args.template.write_text(json.dumps(template, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    if judged:
        print("\nverdicts of unchanged main events: " + ", ".join(f"{v} {counts[v]}" for v in VERDICTS) + f"; changed {changed}")
        for k, n in kinds.most_common():
            print(f"  {n:3d} {k}")
    if art_counts or art_changed:
        news = art_counts[ACCEPTED] + art_counts[NOT_ACCEPTED]
        print(f"\narticles: {art_counts[ACCEPTED]} of {news} news articles have an accepted event"
              f" ({art_counts[ACCEPTED] / max(news, 1):.0%}); {art_counts[NOT_NEWS]} not news articles set aside;"
              f" changed {art_changed}")
        for k, n in art_kinds.most_common():
            print(f"  {n:3d} {k}")


if __name__ == "__main__":
    main()

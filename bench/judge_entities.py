"""Repeatable judging of the `entities` table: a seeded random sample of rows with their evidence.

    python bench/judge_entities.py --warehouse WH [--sample 40] [--seed 2026] [--re-extract]
                                   [--verdicts FILE] [--every 1] [--json OUT]

WH is a warehouse a `newslake run` wrote (e.g. over the 621 pages of google-news). Without
`--re-extract` the sample is drawn from its `entities` table as stored. With `--re-extract` the
entity rows are rebuilt from the warehouse's `documents` (their clean text and publication date)
with the code of this checkout: every document's event mentions (`extract_events`), their actors
aggregated as the pipeline does (`entity_rows`; one event per mention: merging events only unions
the same actors), so a change to the tagger or the actor coding is judged without a new run
(`--every N`: every N-th document, for iterating).

Prints counts per kind, then `--sample` rows drawn with pandas `sample(random_state=seed)` (the same
seed and table give the same rows): name, kind, country, sector, aliases, n_documents and one
sentence where the entity is named. `--verdicts FILE`: a JSON object "kind|name" -> "right" or
"wrong: why"; the rows judged there are marked and the share right among judged rows printed, so a
judgement can be re-applied to a new sample (rows not in the file print "?").
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tasks import events as events_stage  # noqa: E402
from tasks.entities import entity_rows  # noqa: E402
from tasks.storage import Warehouse  # noqa: E402


def re_extract(wh: Warehouse, every: int, run_date) -> tuple[list[dict], dict[tuple[str, str], str]]:
    """Entity rows rebuilt from the warehouse's documents with this checkout's code, and one
    evidence sentence per (kind, name)."""
    docs = wh.read("documents", columns=["doc_id", "clean_text", "published_date"]).to_pylist()
    docs.sort(key=lambda d: d["doc_id"])
    events: list[tuple[str, list[dict], list[str]]] = []
    evidence: dict[tuple[str, str], str] = {}
    for k, d in enumerate(docs[::every]):
        ms = events_stage.extract_events([(d["doc_id"], d["clean_text"] or "", d["published_date"])], run_date)
        for j, m in enumerate(ms):
            actors = [events_stage._actor_dict(a) for a in m.actors]
            events.append((f"{k}:{j}", actors, [d["doc_id"]]))
            for a in actors:
                evidence.setdefault((a["kind"], a["name"]), m.sentence)
    return entity_rows(events, {}, "judge"), evidence


def stored_evidence(wh: Warehouse) -> dict[tuple[str, str], str]:
    events = wh.read("events", columns=["event_id", "actors"]).to_pylist()
    sentence: dict[str, str] = {}
    for r in wh.read("event_mentions", columns=["event_id", "sentence"]).to_pylist():
        sentence[r["event_id"]] = sentence.get(r["event_id"], "") + " / " + r["sentence"] if r["event_id"] in sentence else r["sentence"]
    out: dict[tuple[str, str], str] = {}
    for e in events:
        for a in e["actors"]:
            key, sent = (a["kind"], a["name"]), sentence.get(e["event_id"], "")
            forms = [a["name"], *(a["aliases"] or ())]
            if key not in out or (any(f in sent for f in forms) and not any(f in out[key] for f in forms)):
                out[key] = sent
    return out


def main(argv: list[str] | None = None) -> int:
    import datetime as dt

    import pandas as pd

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--warehouse", required=True)
    ap.add_argument("--sample", type=int, default=40)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--re-extract", action="store_true")
    ap.add_argument("--every", type=int, default=1)
    ap.add_argument("--run-date", default="2009-01-01")
    ap.add_argument("--verdicts")
    ap.add_argument("--json", help="also write the sample as JSON lines here")
    args = ap.parse_args(argv)
    wh = Warehouse(args.warehouse)
    if args.re_extract:
        rows, evidence = re_extract(wh, args.every, dt.date.fromisoformat(args.run_date))
        ents = pd.DataFrame(rows)
    else:
        ents, evidence = wh.pandas("entities"), stored_evidence(wh)
    print(f"{len(ents)} entities; by kind: {dict(sorted(Counter(ents['kind']).items()))}")
    print(f"with a country: {int(ents['country'].notna().sum())}; with a sector: {int(ents['sector'].notna().sum())}")
    ents = ents.sort_values(["kind", "name"]).reset_index(drop=True)
    sample = ents.sample(min(args.sample, len(ents)), random_state=args.seed)
    verdicts = json.loads(Path(args.verdicts).read_text(encoding="utf-8")) if args.verdicts else {}
    out, right, judged = [], 0, 0
    for k, (_, r) in enumerate(sample.iterrows(), 1):
        key = f"{r['kind']}|{r['name']}"
        verdict = verdicts.get(key, "?")
        if verdict != "?":
            judged += 1
            right += verdict.startswith("right")
        context = " ".join(evidence.get((r["kind"], r["name"]), "").split())[:300]
        row = {"k": k, "name": r["name"], "kind": r["kind"], "country": r["country"], "sector": r["sector"],
               "aliases": list(r["aliases"]), "n_documents": int(r["n_documents"]), "context": context, "verdict": verdict}
        out.append(row)
        print(f"{k:3d} | {row['name']} | {row['kind']} ({row['country']}, {row['sector']}) | docs {row['n_documents']} | aliases {row['aliases'][:5]} | {verdict}")
        print(f"      {context}")
    if verdicts:
        print(f"judged {judged} of {len(out)} rows: {right} right ({right / max(judged, 1):.0%})")
    if args.json:
        Path(args.json).write_text("".join(json.dumps(r, ensure_ascii=False, default=str) + "\n" for r in out), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Draw entity rows of a warehouse for judging by eye, with the sentence each was found in.

    python bench/sample_entities.py --warehouse WH [--n 40] [--seed 2026] [--stratified]

Prints counts per kind (and rows with a country / a sector), then the sample: name, kind, country,
sector, aliases and one evidence sentence of an event that has the entity among its actors.
`--stratified` draws about n / kinds rows of every kind (all of a kind with fewer rows).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tasks.storage import Warehouse  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--warehouse", required=True)
    ap.add_argument("--n", type=int, default=40)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--stratified", action="store_true")
    ap.add_argument("--json", help="also write the sample as JSON lines here")
    args = ap.parse_args(argv)
    wh = Warehouse(args.warehouse)
    ents = wh.pandas("entities")
    events = wh.pandas("events")
    mentions = wh.pandas("event_mentions")
    print(f"{len(ents)} entities; by kind: {ents['kind'].value_counts().to_dict()}")
    print(f"with a country: {int(ents['country'].notna().sum())}; with a sector: {int(ents['sector'].notna().sum())}")
    if args.stratified:
        kinds = sorted(ents["kind"].unique())
        per = max(1, args.n // len(kinds))
        parts = [g.sample(min(per, len(g)), random_state=args.seed) for _, g in ents.groupby("kind", sort=True)]
        import pandas as pd

        sample = pd.concat(parts)
    else:
        sample = ents.sample(min(args.n, len(ents)), random_state=args.seed)
    sentences: dict[str, list[str]] = {}
    for ev, sent in zip(mentions["event_id"], mentions["sentence"], strict=True):
        sentences.setdefault(ev, []).append(sent)
    by_actor: dict[tuple[str, str], list[str]] = {}
    for ev, actors in zip(events["event_id"], events["actors"], strict=True):
        for a in actors:
            by_actor.setdefault((a["kind"], a["name"]), []).append(ev)
    out = []
    for k, (_, r) in enumerate(sample.iterrows(), 1):
        forms = [r["name"], *list(r["aliases"])]
        context = ""
        for ev in by_actor.get((r["kind"], r["name"]), []):
            for sent in sentences.get(ev, []):
                if any(f and f in sent for f in forms):
                    context = sent
                    break
            if context:
                break
        row = {
            "k": k,
            "name": r["name"],
            "kind": r["kind"],
            "country": r["country"],
            "sector": r["sector"],
            "aliases": list(r["aliases"]),
            "n_documents": int(r["n_documents"]),
            "context": " ".join(context.split())[:300],
        }
        out.append(row)
        print(f"{k:3d} | {row['name']} | {row['kind']} ({row['country']}, {row['sector']}) | aliases {row['aliases'][:5]}")
        print(f"      {row['context']}")
    if args.json:
        Path(args.json).write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in out), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

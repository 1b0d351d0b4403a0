"""Repeatable judging of the `entities` table: a seeded random sample of rows with their evidence.

    python bench/judge_entities.py --warehouse WH [--sample 40] [--seed 2026] [--stratified]
                                   [--re-extract] [--every 1] [--verdicts FILE] [--margins] [--json OUT]

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
judgement can be re-applied to a new sample (rows not in the file print "?"); judged samples are
kept in `bench/judged/entities_seed<S>.json`. `--stratified`: about sample / kinds rows of every kind
(all of a kind with fewer rows), for looking at rare kinds.

`--margins`: for each row found in one document, the tagger's Viterbi margin of its name there
(`Tagger.span_margin`: the decoded path's score minus the best relabelling of the span; the largest
over the row's tagged mentions; "-" for rows no tagger span names: dictionary, gazetteer, titled
persons), and, with `--verdicts`, how many judged right and wrong one-mention, one-document rows a
margin threshold would drop (the question whether a confidence filter on the `entities` table pays).
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


def re_extract(wh: Warehouse, every: int, run_date) -> tuple[list[dict], dict[tuple[str, str], str], list]:
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
    return entity_rows(events, {}, "judge"), evidence, events


def stored_events(wh: Warehouse) -> list[tuple[str, list[dict], list[str]]]:
    return [(e["event_id"], e["actors"], e["doc_ids"]) for e in wh.read("events", columns=["event_id", "actors", "doc_ids"]).to_pylist()]


def tagger_margins(wh: Warehouse, events: list[tuple[str, list[dict], list[str]]], keys: set[tuple[str, str]]) -> dict[tuple[str, str], float]:
    """(kind, name) -> the largest Viterbi margin of a tagged span naming it (its name or an alias,
    the same kind) in its one document, for the `keys` found in one document; keys no tagger span
    names are left out."""
    from tasks.tagger import load_tagger

    forms_of: dict[tuple[str, str], set[str]] = {}
    doc_of: dict[tuple[str, str], set[str]] = {}
    for _event_id, actors, doc_ids in events:
        for a in actors:
            key = (a["kind"], a["name"])
            if key in keys:
                forms_of.setdefault(key, set()).update([a["name"], *(a.get("aliases") or ())])
                doc_of.setdefault(key, set()).update(doc_ids)
    wanted: dict[str, list[tuple[str, str]]] = {}
    for key, docs in doc_of.items():
        if len(docs) == 1:
            wanted.setdefault(next(iter(docs)), []).append(key)
    texts = {d["doc_id"]: d["clean_text"] or "" for d in wh.read("documents", columns=["doc_id", "clean_text"]).to_pylist() if d["doc_id"] in wanted}
    tg, out = load_tagger(), {}
    for doc_id in sorted(wanted):
        text, margins = texts.get(doc_id, ""), {}
        tg.tag(text, margins=margins)
        for key in wanted[doc_id]:
            found = [m for (s, e), (label, m) in margins.items() if label == key[0] and text[s:e] in forms_of[key]]
            if found:
                out[key] = max(found)
    return out


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
    ap.add_argument("--stratified", action="store_true")
    ap.add_argument("--single", action="store_true", help="draw only one-mention, one-document rows")
    ap.add_argument("--margins", action="store_true")
    ap.add_argument("--re-extract", action="store_true")
    ap.add_argument("--every", type=int, default=1)
    ap.add_argument("--run-date", default="2009-01-01")
    ap.add_argument("--verdicts")
    ap.add_argument("--json", help="also write the sample as JSON lines here")
    args = ap.parse_args(argv)
    wh = Warehouse(args.warehouse)
    if args.re_extract:
        rows, evidence, events = re_extract(wh, args.every, dt.date.fromisoformat(args.run_date))
        ents = pd.DataFrame(rows)
    else:
        ents, evidence, events = wh.pandas("entities"), stored_evidence(wh), stored_events(wh)
    print(f"{len(ents)} entities; by kind: {dict(sorted(Counter(ents['kind']).items()))}")
    print(f"with a country: {int(ents['country'].notna().sum())}; with a sector: {int(ents['sector'].notna().sum())}")
    ents = ents.sort_values(["kind", "name"]).reset_index(drop=True)
    if args.single:
        ents = ents[(ents["n_documents"] == 1) & (ents["n_mentions"] == 1)].reset_index(drop=True)
    if args.stratified:
        per = max(1, args.sample // ents["kind"].nunique())
        sample = pd.concat([g.sample(min(per, len(g)), random_state=args.seed) for _, g in ents.groupby("kind", sort=True)])
    else:
        sample = ents.sample(min(args.sample, len(ents)), random_state=args.seed)
    verdicts = json.loads(Path(args.verdicts).read_text(encoding="utf-8")) if args.verdicts else {}
    margin: dict[tuple[str, str], float] = {}
    if args.margins:
        one_doc = ents[ents["n_documents"] == 1]
        keys = set(zip(one_doc["kind"], one_doc["name"], strict=True))
        margin = tagger_margins(wh, events, keys)
    out, right, judged = [], 0, 0
    for k, (_, r) in enumerate(sample.iterrows(), 1):
        key = f"{r['kind']}|{r['name']}"
        verdict = verdicts.get(key, "?")
        if verdict != "?":
            judged += 1
            right += verdict.startswith("right")
        context = " ".join(evidence.get((r["kind"], r["name"]), "").split())[:300]
        row = {"k": k, "name": r["name"], "kind": r["kind"], "country": r["country"], "sector": r["sector"],
               "aliases": list(r["aliases"]), "n_documents": int(r["n_documents"]), "n_mentions": int(r["n_mentions"]),
               "context": context, "verdict": verdict}
        if args.margins:
            row["margin"] = margin.get((r["kind"], r["name"]))
        out.append(row)
        shown = "" if not args.margins else " | margin " + ("-" if row["margin"] is None else f"{row['margin']:.2f}")
        print(f"{k:3d} | {row['name']} | {row['kind']} ({row['country']}, {row['sector']}) | docs {row['n_documents']}{shown} | aliases {row['aliases'][:5]} | {verdict}")
        print(f"      {context}")
    if verdicts:
        print(f"judged {judged} of {len(out)} rows: {right} right ({right / max(judged, 1):.0%})")
    if args.margins:
        single = ents[(ents["n_documents"] == 1) & (ents["n_mentions"] == 1)]
        in_table = [margin.get(k) for k in zip(single["kind"], single["name"], strict=True)]
        judged_rows = [(margin.get(tuple(k.split("|", 1))), v.startswith("right")) for k, v in verdicts.items()]
        n_single = {k for k in zip(single["kind"], single["name"], strict=True)}
        judged_single = [(m, ok) for (k, v), (m, ok) in zip(verdicts.items(), judged_rows, strict=True) if tuple(k.split("|", 1)) in n_single]
        print(f"one-mention, one-document rows: {len(single)}, {sum(m is not None for m in in_table)} of them tagger spans with a margin")
        for t in (0.5, 1.0, 1.5, 2.0, 3.0, 4.0):
            drop = sum(m is not None and m < t for m in in_table)
            right_d = sum(m is not None and m < t and ok for m, ok in judged_single)
            wrong_d = sum(m is not None and m < t and not ok for m, ok in judged_single)
            print(f"  margin < {t}: drops {drop} rows of the table; of the judged rows ({len(judged_single)} one-mention, one-document): {right_d} right, {wrong_d} wrong")
    if args.json:
        Path(args.json).write_text("".join(json.dumps(r, ensure_ascii=False, default=str) + "\n" for r in out), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

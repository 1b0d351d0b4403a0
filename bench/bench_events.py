"""Events and actors on real labelled data, and the events stage's throughput, in one run.

    python bench/bench_events.py --data ../shared/datasets [--out metrics.json] [--previous REV]

Prints, each figure naming its data:
1. PLOVER gold records (events/plover-gsr/PLOVER_GSR_CAMEO.txt, 322 sentences): event-type accuracy
   (the first PLOVER-category trigger of the sentence against the gold category, the v0.5 names of
   the file mapped to PLOVER 0.8: DEMAND -> request, DISAPPROVE/INVESTIGATE -> accuse, FIGHT ->
   assault), per type; source/target actor agreement (the predicted source/target overlaps a gold
   source/target actor text); the share of gold actor texts found as actors.
2. CASE 2021 task 2 snippets (events/case2021-task2/snippets.tsv, 1,019): type accuracy against
   the subtypes mapped to the ontology (CASE_TO_TYPE), per type. The triggers are hand-written
   and CAMEO-derived, not trained on either set: both are development data they were checked on.
3. google-news gold articles (621): share of articles with at least one event, counts per type.
4. Speed: the events stage (entities included: `extract_events`) on the google-news articles with 2
   worker processes, next to the previous events stage (git revision `--previous`, run from a
   `git archive` of its `tasks/` package) in the same run.
`--out` writes the flat metrics the gate reads (bench/floors.json, section "events").
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tasks.entities import find_actors, learn_document, load_gazetteer  # noqa: E402
from tasks.events import _source_target, find_triggers  # noqa: E402
from tasks.schema import EVENT_ONTOLOGY  # noqa: E402

GSR_TO_TYPE = {"DEMAND": "request", "DISAPPROVE": "accuse", "INVESTIGATE": "accuse", "FIGHT": "assault"}
PLOVER_TYPES = {t for t, (p, _c) in EVENT_ONTOLOGY.items() if p}
CASE_TO_TYPE = {
    "ABDUCT_DISSAP": "coerce", "AGREEMENT": "agree", "AIR_STRIKE": "assault", "ARMED_CLASH": "assault",
    "ARREST": "arrest", "ART_MISS_ATTACK": "assault", "ATTACK": "assault", "CHANGE_TO_GROUP_ACT": "protest",
    "CHEM_WEAP": "assault", "DISR_WEAP": "coerce", "FORCE_AGAINST_PROTEST": "coerce", "GOV_REGAINS_TERIT": "assault",
    "GRENADE": "assault", "HQ_ESTABLISHED": "mobilize", "MOB_VIOL": "protest", "NON_STATE_ACTOR_OVERTAKES_TER": "assault",
    "NON_VIOL_TERRIT_TRANSFER": "retreat", "PEACE_PROTEST": "protest", "PROPERTY_DISTRUCT": "assault",
    "PROTEST_WITH_INTER": "protest", "REM_EXPLOS": "assault", "SEX_VIOL": "assault", "SUIC_BOMB": "assault",
    "VIOL_DEMONSTR": "protest", "ORG_CRIME": "crime", "NATURAL_DISASTER": "disaster", "MAN_MADE_DISASTER": "accident",
    "DIPLO": "consult",
}
# Types an arrest/crime sentence may be coded as by an analyst using PLOVER alone.
EQUIVALENT = {("arrest", "coerce"), ("coerce", "arrest")}


def _sentence_type(text: str, allowed: set[str] | None = None) -> tuple[str | None, tuple]:
    for t in find_triggers(text):
        if allowed is None or t[0] in allowed:
            return t[0], t
    return None, ()


def _overlaps(a, gold_spans) -> bool:
    return a is not None and a.start >= 0 and any(a.start < e and s < a.end for s, e in gold_spans)


def _gold_spans(text: str, actors) -> list[tuple[int, int]]:
    out = []
    for g in actors if isinstance(actors, list) else []:
        t = (g.get("actorText") or "").strip()
        i = text.find(t) if t else -1
        if i >= 0:
            out.append((i, i + len(t)))
    return out


def plover_gold(path: Path) -> dict[str, float]:
    records = [r for r in json.loads(path.read_text(encoding="utf-8")) if r.get("text") and r["event"] != "DOCUMENT"]
    gaz = load_gazetteer()
    per = defaultdict(lambda: [0, 0])
    found = total = src_ok = tgt_ok = n_src = n_tgt = 0
    for r in records:
        text = r["text"]
        gold = GSR_TO_TYPE.get(r["event"], r["event"].lower())
        pred, trig = _sentence_type(text, PLOVER_TYPES)
        per[gold][1] += 1
        per[gold][0] += pred == gold
        ctx = learn_document(text, gaz)
        actors = find_actors(text, gaz, ctx)
        src_spans, tgt_spans = _gold_spans(text, r.get("source")), _gold_spans(text, r.get("target"))
        for s, e in src_spans + tgt_spans:
            total += 1
            found += any(a.start < e and s < a.end for a in actors if a.start >= 0)
        if trig:
            source, target = _source_target(pred, actors, trig[1], trig[2])
        else:
            source = target = None
        if src_spans:
            n_src += 1
            src_ok += _overlaps(source, src_spans)
        if tgt_spans:
            n_tgt += 1
            tgt_ok += _overlaps(target, tgt_spans)
    n = len(records)
    acc = sum(v[0] for v in per.values()) / n
    print(f"\nPLOVER gold records ({n} sentences): type accuracy {acc:.3f}")
    print("  " + ", ".join(f"{t} {v[0]}/{v[1]}" for t, v in sorted(per.items())))
    print(f"  source actor agreement {src_ok / n_src:.3f} ({n_src}), target {tgt_ok / n_tgt:.3f} ({n_tgt}); gold actor texts found as actors {found / total:.3f} ({total})")
    return {"plover_type_accuracy": round(acc, 4), "plover_source_agreement": round(src_ok / n_src, 4),
            "plover_target_agreement": round(tgt_ok / n_tgt, 4), "plover_actor_found_rate": round(found / total, 4)}


def case_snippets(path: Path) -> dict[str, float]:
    rows = [line.split("\t") for line in path.read_text(encoding="utf-8").splitlines()[1:] if line.count("\t") >= 2]
    per = defaultdict(lambda: [0, 0])
    for _id, text, sub in rows:
        gold = CASE_TO_TYPE.get(sub.strip())
        if gold is None:
            continue
        types = [t[0] for t in find_triggers(text)]
        pred = Counter(types).most_common(1)[0][0] if types else None
        per[gold][1] += 1
        per[gold][0] += pred == gold or (pred, gold) in EQUIVALENT
    n = sum(v[1] for v in per.values())
    acc = sum(v[0] for v in per.values()) / n
    print(f"\nCASE 2021 task 2 snippets ({n} with a mapped subtype): type accuracy {acc:.3f} (most frequent trigger type of the snippet)")
    print("  " + ", ".join(f"{t} {v[0]}/{v[1]}" for t, v in sorted(per.items())))
    return {"case_type_accuracy": round(acc, 4)}


def google_news_docs(root: Path) -> list[tuple[str, str, date | None]]:
    from tasks.dates import parse_published
    from tasks.html_page import html_metadata, parse_html

    docs = []
    for line in (root / "gold.jsonl").read_text(encoding="utf-8").splitlines():
        r = json.loads(line)
        published = None
        html = root / "html" / f"{r['id']}.html"
        if html.exists():
            try:
                published = parse_published(html_metadata(parse_html(html.read_text(encoding="utf-8", errors="replace"))).get("published"))
            except Exception:  # a page the parser refuses: no publication date
                published = None
        docs.append((r["id"], r["article"], published))
    return sorted(docs)


RUN_DATE = date(2009, 1, 1)  # after the google-news collection (2008): the reference when a page has no date


def google_news(docs) -> dict[str, float]:
    from tasks.events import extract_events, merge_events

    mentions = extract_events(docs, RUN_DATE)
    events, _ = merge_events(mentions, {})
    with_event = {d for e in events for d in e.doc_ids}
    by_type = Counter(e.event_type for e in events)
    modes = Counter(e.mode for e in events)
    dated = sum(1 for _d, _t, p in docs if p)
    print(f"\ngoogle-news gold articles ({len(docs)}, {dated} with a publication date in their metadata): "
          f"{len(with_event) / len(docs):.1%} have >= 1 event; {len(events)} events, {len(mentions)} mentions")
    print("  per type: " + ", ".join(f"{t} {n}" for t, n in by_type.most_common()))
    print("  per mode: " + ", ".join(f"{t} {n}" for t, n in modes.most_common()))
    return {"google_news_share_with_event": round(len(with_event) / len(docs), 4)}


SPEED = """
import sys, time, pickle
from multiprocessing import Pool
from datetime import date
from tasks.events import extract_events
docs = pickle.load(open(sys.argv[1], "rb"))
def work(chunk):
    return len(extract_events(chunk, date(2009, 1, 1)))
chunks = [docs[i::16] for i in range(16)]
with Pool(2) as pool:
    pool.map(work, chunks[:2])
    t = time.perf_counter()
    n = sum(pool.map(work, chunks))
    dt = time.perf_counter() - t
print(len(docs) / dt, n)
"""


def speed(docs, previous: str) -> dict[str, float]:
    import pickle

    with tempfile.TemporaryDirectory() as tmp:
        blob = Path(tmp) / "docs.pkl"
        blob.write_bytes(pickle.dumps(docs * 4))
        prev = Path(tmp) / "prev"
        prev.mkdir()
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", previous, "tasks"], capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(prev)], input=archive, check=True)
        out = {}
        print(f"\nevents stage speed, google-news gold articles x4 ({len(docs) * 4}), 2 worker processes:")
        for name, path in ((f"previous ({previous})", prev), ("newslake", ROOT)):
            res = subprocess.run([sys.executable, "-c", SPEED, str(blob)], capture_output=True, text=True, cwd=str(path),
                                 env={"PYTHONPATH": str(path), "PATH": "/usr/bin:/bin"})
            if res.returncode:
                print(f"  {name}: failed: {res.stderr.strip().splitlines()[-1]}")
                continue
            rate, n = res.stdout.split()
            print(f"  {name:<24} {float(rate):8.0f} articles/s  ({n} mentions)")
            out[name] = float(rate)
    return {"articles_per_s": round(out.get("newslake", 0.0), 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, required=True, help="../shared/datasets")
    ap.add_argument("--out", type=Path)
    ap.add_argument("--previous", default="7b96cf8", help="git revision of the previous events stage")
    ap.add_argument("--no-speed", action="store_true")
    args = ap.parse_args()
    metrics = {}
    metrics |= plover_gold(args.data / "events" / "plover-gsr" / "PLOVER_GSR_CAMEO.txt")
    metrics |= case_snippets(args.data / "events" / "case2021-task2" / "snippets.tsv")
    docs = google_news_docs(args.data / "google-news")
    metrics |= google_news(docs)
    if not args.no_speed:
        speed(docs, args.previous)
    if args.out:
        args.out.write_text(json.dumps(metrics, indent=1) + "\n")


if __name__ == "__main__":
    main()

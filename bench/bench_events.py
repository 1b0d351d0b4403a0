"""Events and actors on real labelled data, and the events stage's throughput, in one run.

    python bench/bench_events.py --data DATASETS [--out metrics.json] [--previous REV]

Prints, each figure naming its data:
1. Event types on 5 held-apart folds of the labelled records (train/events.py): the PLOVER gold
   records (events/plover-gsr/PLOVER_GSR_CAMEO.txt, 322 sentences, v0.5 names mapped to PLOVER 0.8:
   DEMAND -> request, DISAPPROVE/INVESTIGATE -> accuse, FIGHT -> assault) and the CASE 2021 task 2
   snippets (events/case2021-task2/snippets.tsv, 983 with a subtype mapped to the ontology); each
   fold's classifier is trained on the other folds of both sets. Accuracy per set and per type for
   the patterns alone (first trigger of one of the set's types), the classifier alone, and both
   combined (what the pipeline runs: `tasks.event_classifier.sentence_type`).
2. PLOVER source/target actor agreement (the predicted source/target overlaps a gold source/target
   actor text, at the trigger of the combined type) and the share of gold actor texts found as actors.
3. google-news gold articles (621): share of articles with at least one event, counts per type.
4. Speed: the events stage (entities included: `extract_events`) on the google-news articles with 2
   worker processes, next to the previous events stage (git revision `--previous`, run from a
   `git archive` of its `tasks/` package) in the same run: wall-clock articles/s, articles per
   CPU-second of the workers, their ratios, and whether the two stages' mentions are identical.
`--out` writes the flat metrics the gate reads (bench/floors.json, section "events").
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections import Counter
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import train.events as te  # noqa: E402
from tasks.entities import find_actors, learn_document, load_gazetteer  # noqa: E402
from tasks.events import _source_target  # noqa: E402
from tasks.schema import EVENT_ONTOLOGY  # noqa: E402

PLOVER_TYPES = {t for t, (p, _c) in EVENT_ONTOLOGY.items() if p}


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


def event_types(data: Path, folds: int) -> tuple[dict[str, float], list, list, dict]:
    """Type accuracy on held-apart folds of the PLOVER gold records and the CASE 2021 snippets
    (train/events.py: every fold's classifier trained on the other folds of both sets), for the
    patterns alone, the classifier alone and both combined (what the pipeline runs)."""
    records = te.load(data)
    rows, trigs = te.design(records)
    print(f"\nEvent types on {folds} held-apart folds of {len(records)} labelled records "
          f"(events/plover-gsr PLOVER_GSR_CAMEO.txt, events/case2021-task2 snippets.tsv; each record its own document):")
    preds = te.cross_validate(records, rows, trigs, folds, te.DEFAULT_L2)
    acc = te.report(records, preds)
    metrics = {
        "plover_type_accuracy": round(acc["plover/combined"], 4),
        "plover_type_accuracy_patterns": round(acc["plover/patterns"], 4),
        "case_type_accuracy": round(acc["case/combined"], 4),
        "case_type_accuracy_patterns": round(acc["case/patterns"], 4),
    }
    return metrics, records, trigs, preds


def plover_actors(records: list, trigs: list, preds: dict) -> dict[str, float]:
    """Source/target actor agreement on the PLOVER gold records: the predicted source (target)
    overlaps a gold source (target) actor text; the trigger is the one of the held-apart combined
    type (else the sentence's first trigger of a PLOVER type). And the share of gold actor texts found as actors."""
    gaz = load_gazetteer()
    found = total = src_ok = tgt_ok = n_src = n_tgt = 0
    for r, trig_list, pred in zip(records, trigs, preds["combined"], strict=True):
        if r[0] != "plover":
            continue
        text, raw = r[2], r[4]
        trig = next((t for t in trig_list if t[0] == pred), None) or next((t for t in trig_list if t[0] in PLOVER_TYPES), None)
        ctx = learn_document(text, gaz)
        actors = find_actors(text, gaz, ctx)
        src_spans, tgt_spans = _gold_spans(text, raw.get("source")), _gold_spans(text, raw.get("target"))
        for s, e in src_spans + tgt_spans:
            total += 1
            found += any(a.start < e and s < a.end for a in actors if a.start >= 0)
        source, target = _source_target(pred, actors, trig[1], trig[2], text) if trig else (None, None)
        if src_spans:
            n_src += 1
            src_ok += _overlaps(source, src_spans)
        if tgt_spans:
            n_tgt += 1
            tgt_ok += _overlaps(target, tgt_spans)
    print(f"  PLOVER source actor agreement {src_ok / n_src:.3f} ({n_src}), target {tgt_ok / n_tgt:.3f} ({n_tgt}); gold actor texts found as actors {found / total:.3f} ({total})")
    return {"plover_source_agreement": round(src_ok / n_src, 4), "plover_target_agreement": round(tgt_ok / n_tgt, 4),
            "plover_actor_found_rate": round(found / total, 4)}


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
import hashlib, sys, time, pickle
from multiprocessing import Pool
from datetime import date
from tasks.events import extract_events
docs = pickle.load(open(sys.argv[1], "rb"))
def work(chunk):
    t = time.process_time()
    ms = extract_events(chunk, date(2009, 1, 1))
    return time.process_time() - t, len(ms), hashlib.sha256(repr(ms).encode()).hexdigest()
chunks = [docs[i::16] for i in range(16)]
with Pool(2) as pool:
    pool.map(work, chunks[:2])
    t = time.perf_counter()
    res = pool.map(work, chunks)
    dt = time.perf_counter() - t
digest = hashlib.sha256("".join(r[2] for r in res).encode()).hexdigest()
print(len(docs) / dt, len(docs) / sum(r[0] for r in res), sum(r[1] for r in res), digest[:16])
"""


def speed(docs, previous: str) -> dict[str, float]:
    """Wall-clock articles/s on 2 worker processes and articles per CPU-second of the workers (the
    figure a shared machine does not distort), for the previous stage and this one in one run, their
    ratio, and whether both gave the same mentions (for a speed-only change they must)."""
    import pickle

    with tempfile.TemporaryDirectory() as tmp:
        blob = Path(tmp) / "docs.pkl"
        blob.write_bytes(pickle.dumps(docs * 4))
        prev = Path(tmp) / "prev"
        prev.mkdir()
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", previous, "tasks"], capture_output=True, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(prev)], input=archive, check=True)
        out: dict[str, tuple[float, float, str]] = {}
        print(f"\nevents stage speed, google-news gold articles x4 ({len(docs) * 4}), 2 worker processes "
              f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores):")
        for name, path in ((f"previous ({previous})", prev), ("newslake", ROOT)):
            res = subprocess.run([sys.executable, "-c", SPEED, str(blob)], capture_output=True, text=True, cwd=str(path),
                                 env={"PYTHONPATH": str(path), "PATH": "/usr/bin:/bin"})
            if res.returncode:
                print(f"  {name}: failed: {res.stderr.strip().splitlines()[-1]}")
                continue
            rate, cpu_rate, n, digest = res.stdout.split()
            print(f"  {name:<24} {float(rate):8.0f} articles/s wall, {float(cpu_rate):6.0f} articles per CPU-s  ({n} mentions, digest {digest})")
            out[name] = (float(rate), float(cpu_rate), digest)
        (pw, pc, pd), (nw, nc, nd) = out.get(f"previous ({previous})", (0, 0, "")), out.get("newslake", (0, 0, ""))
        print(f"  load average after: {os.getloadavg()[0]:.1f}")
        if pw and nw:
            print(f"  ratio newslake / previous: {nw / pw:.2f}x wall, {nc / pc:.2f}x CPU; mentions {'identical' if pd == nd else 'DIFFER'}")
    return {"articles_per_s": round(nw, 1), "articles_per_cpu_s": round(nc, 1)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, required=True, help="the development data-set folder (DATASETS)")
    ap.add_argument("--out", type=Path)
    ap.add_argument("--previous", default="0fc74dd", help="git revision of the previous events stage")
    ap.add_argument("--no-speed", action="store_true")
    ap.add_argument("--folds", type=int, default=5, help="held-apart folds of the labelled records")
    ap.add_argument("--only-speed", action="store_true", help="the speed comparison alone")
    args = ap.parse_args()
    metrics: dict[str, float] = {}
    docs = google_news_docs(args.data / "google-news")
    if not args.only_speed:
        metrics, records, trigs, preds = event_types(args.data, args.folds)
        metrics |= plover_actors(records, trigs, preds)
        metrics |= google_news(docs)
    if not args.no_speed:
        metrics |= speed(docs, args.previous)
    if args.out:
        args.out.write_text(json.dumps(metrics, indent=1) + "\n")


if __name__ == "__main__":
    main()

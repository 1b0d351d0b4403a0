"""Date tagging quality on TimeML gold (TempEval-3's TBAQ-cleaned: TimeBank + AQUAINT, 256 news documents):
newslake's `find_dates` next to dateparser's `search_dates`, in one run, on the same documents.

    python bench/bench_dates.py --data DATASETS [--json OUT] [--errors N] [--no-baseline]

`--data` is the data-set folder (its `timex/TBAQ-cleaned`) or a folder of `.tml` files itself.

What is scored (the issues' figures use these rules):
- gold: TIMEX3 inside TEXT of type DATE, plus TIME whose value starts with a calendar day; DURATION,
  SET and TIME without a day are not scored, and a prediction overlapping only such a mention is
  ignored (neither right nor wrong).
- matching: one-to-one by character overlap (exact spans first, then the largest overlap).
- value-scored gold: the matched gold whose value cut at the time of day ("1998-02-06TMO" ->
  "1998-02-06") is YYYY, YYYY-MM or YYYY-MM-DD. A prediction matched to other gold (PRESENT_REF,
  weeks, quarters, seasons, decades, X-values) is left out of value precision.
- value P = right values / predictions in value scope; R = right values / value-scored gold.
Each system's value-F1 is printed with its relaxed-span F1 and recall by gold kind. The reference
date is the document's creation time (DCT). A DOCID seen twice is scored once.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
import warnings
import xml.etree.ElementTree as ET
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from datetime import time as dtime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tasks.dates import find_dates  # noqa: E402

ISO_RE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
DAY_PREFIX_RE = re.compile(r"^\d{4}-\d{2}-\d{2}(T|$)")
VALUE_KINDS = ("day", "month", "year")


@dataclass
class Gold:
    start: int
    end: int
    text: str
    value: str  # cut at the time of day
    kind: str  # day | month | year | other (not value-scored)
    span_scored: bool


@dataclass
class Doc:
    id: str
    text: str
    dct: date
    gold: list[Gold] = field(default_factory=list)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def gold_kind(value: str) -> str:
    if ISO_RE.match(value):
        return {4: "year", 7: "month", 10: "day"}[len(value)]
    if value.endswith("_REF"):
        return "ref"
    if re.match(r"^[\dX]{4}-W", value):
        return "week"
    if re.search(r"-(Q[\dX]|H[\dX]|SP|SU|FA|WI)$", value):
        return "quarter/half/season"
    if re.match(r"^\d{2,3}X{0,2}$", value):
        return "decade/century"
    return "other"


def read_tml(path: Path) -> Doc:
    """One TimeML file -> its plain TEXT, DCT and TIMEX3 gold with offsets into that text."""
    root = ET.parse(path).getroot()
    dct = next((t.get("value") for t in root.iter() if _local(t.tag) == "TIMEX3" and t.get("functionInDocument") == "CREATION_TIME"), None)
    if not dct or not re.match(r"^\d{4}-\d{2}-\d{2}", dct):
        raise ValueError(f"{path.name}: no usable document creation time ({dct!r})")
    text_el = next((e for e in root.iter() if _local(e.tag) == "TEXT"), None)
    if text_el is None:
        raise ValueError(f"{path.name}: no TEXT element")
    parts: list[str] = []
    spans: list[tuple[int, int, ET.Element]] = []
    pos = 0

    def walk(el: ET.Element) -> None:
        nonlocal pos
        start = pos
        for s in (el.text,):
            if s:
                parts.append(s)
                pos += len(s)
        for ch in el:
            walk(ch)
            if ch.tail:
                parts.append(ch.tail)
                pos += len(ch.tail)
        if _local(el.tag) == "TIMEX3":
            spans.append((start, pos, el))

    walk(text_el)
    text = "".join(parts)
    docid = next(((e.text or "").strip() for e in root.iter() if _local(e.tag) == "DOCID"), "") or path.stem
    doc = Doc(docid, text, date.fromisoformat(dct[:10]))
    for s, e, el in spans:
        ty = (el.get("type") or "").upper()
        raw = (el.get("value") or "").strip()
        value = raw.split("T", 1)[0] if "T" in raw and re.match(r"^[\dX]{4}-", raw) else raw
        scored = ty == "DATE" or (ty == "TIME" and bool(DAY_PREFIX_RE.match(raw)))
        doc.gold.append(Gold(s, e, text[s:e], value, gold_kind(value) if scored else ty, scored))
    return doc


def load(folder: Path) -> list[Doc]:
    docs, seen = [], set()
    for p in sorted(folder.rglob("*.tml")):
        d = read_tml(p)
        if d.id in seen:
            continue
        seen.add(d.id)
        d.id = str(p.relative_to(folder))
        docs.append(d)
    return docs


@dataclass
class Score:
    c: Counter = field(default_factory=Counter)
    kind_total: Counter = field(default_factory=Counter)
    kind_found: Counter = field(default_factory=Counter)
    kind_right: Counter = field(default_factory=Counter)
    errors: dict[str, list[str]] = field(default_factory=lambda: {"value": [], "miss": [], "fp": []})
    seconds: float = 0.0

    def add(self, doc: Doc, preds: list[tuple[int, int, str]]) -> None:
        scored = [g for g in doc.gold if g.span_scored]
        unscored = [g for g in doc.gold if not g.span_scored]
        pairs = []
        for gi, g in enumerate(scored):
            for pi, (s, e, _) in enumerate(preds):
                if s < g.end and g.start < e:
                    pairs.append((not (s == g.start and e == g.end), -(min(e, g.end) - max(s, g.start)), abs(s - g.start), gi, pi))
        g2p: dict[int, int] = {}
        p2g: dict[int, int] = {}
        for *_, gi, pi in sorted(pairs):
            if gi not in g2p and pi not in p2g:
                g2p[gi], p2g[pi] = pi, gi
        ignored = {pi for pi, (s, e, _) in enumerate(preds) if pi not in p2g and any(s < u.end and u.start < e for u in unscored)}
        counted = len(preds) - len(ignored)
        c = self.c
        c["pred"] += counted
        c["gold_span"] += len(scored)
        c["relaxed_tp"] += len(g2p)
        c["gold_value"] += sum(g.kind in VALUE_KINDS for g in scored)
        c["pred_value"] += counted - sum(scored[gi].kind not in VALUE_KINDS for gi in g2p)
        for gi, g in enumerate(scored):
            self.kind_total[g.kind] += 1
            if gi in g2p:
                self.kind_found[g.kind] += 1
                s, e, v = preds[g2p[gi]]
                if g.kind in VALUE_KINDS:
                    if v == g.value:
                        c["value_tp"] += 1
                        self.kind_right[g.kind] += 1
                    else:
                        self.errors["value"].append(f"{doc.id} gold {g.text!r} {g.value} pred {doc.text[s:e]!r} {v} (DCT {doc.dct}) | {_context(doc.text, s, e)}")
            elif g.kind in VALUE_KINDS:
                self.errors["miss"].append(f"{doc.id} {g.text!r} {g.value} (DCT {doc.dct}) | {_context(doc.text, g.start, g.end)}")
        for pi, (s, e, v) in enumerate(preds):
            if pi not in p2g and pi not in ignored:
                self.errors["fp"].append(f"{doc.id} {doc.text[s:e]!r} {v} | {_context(doc.text, s, e)}")

    def metrics(self) -> dict[str, float]:
        c = self.c

        def prf(tp: int, npred: int, ngold: int) -> tuple[float, float, float]:
            p = tp / npred if npred else 0.0
            r = tp / ngold if ngold else 0.0
            return p, r, (2 * p * r / (p + r) if p + r else 0.0)

        vp, vr, vf = prf(c["value_tp"], c["pred_value"], c["gold_value"])
        rp, rr, rf = prf(c["relaxed_tp"], c["pred"], c["gold_span"])
        out = {"value_P": vp, "value_R": vr, "value_F1": vf, "relaxed_P": rp, "relaxed_R": rr, "relaxed_F1": rf}
        for k in VALUE_KINDS:
            out[f"value_R_{k}"] = self.kind_right[k] / self.kind_total[k] if self.kind_total[k] else 0.0
        return out


def _context(text: str, s: int, e: int, width: int = 70) -> str:
    return " ".join((text[max(0, s - width) : s] + "[[" + text[s:e] + "]]" + text[e : e + width // 2]).split())


def newslake_preds(doc: Doc) -> list[tuple[int, int, str]]:
    return [(m.start, m.end, m.value) for m in find_dates(doc.text, doc.dct)]


def dateparser_preds(doc: Doc) -> list[tuple[int, int, str]]:
    """dateparser.search.search_dates (English, RELATIVE_BASE = DCT); substrings located left to right;
    precision from re-parsing each substring with RETURN_TIME_AS_PERIOD."""
    from dateparser.date import DateDataParser
    from dateparser.search import search_dates

    base = datetime.combine(doc.dct, dtime())
    found = search_dates(doc.text, languages=["en"], settings={"RELATIVE_BASE": base}) or []
    ddp = DateDataParser(languages=["en"], settings={"RELATIVE_BASE": base, "RETURN_TIME_AS_PERIOD": True})
    out, cursor = [], 0
    for sub, when in found:
        i = doc.text.find(sub, cursor)
        i = i if i >= 0 else doc.text.find(sub)
        if i < 0:
            continue
        cursor = i + len(sub)
        try:
            period = ddp.get_date_data(sub).period
        except Exception:  # noqa: BLE001 - dateparser raises assorted errors on odd substrings
            period = None
        n = {"year": 4, "month": 7}.get(period, 10)
        out.append((i, i + len(sub), f"{when.year:04d}-{when.month:02d}-{when.day:02d}"[:n]))
    return out


def run(name: str, fn, docs: list[Doc]) -> Score:
    sc = Score()
    for d in docs:
        t = time.perf_counter()
        preds = fn(d)
        sc.seconds += time.perf_counter() - t
        sc.add(d, preds)
    return sc


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True, type=Path, help="data-set folder (with timex/TBAQ-cleaned) or a folder of .tml files")
    ap.add_argument("--json", type=Path, help="write a flat metric -> number object here (for bench/gate.py)")
    ap.add_argument("--errors", type=int, default=0, help="print up to N value errors, misses and false positives of newslake")
    ap.add_argument("--no-baseline", action="store_true", help="skip dateparser (about 15 s)")
    args = ap.parse_args()
    folder = args.data / "timex" / "TBAQ-cleaned" if (args.data / "timex" / "TBAQ-cleaned").is_dir() else args.data
    docs = load(folder)
    if not docs:
        sys.exit(f"bench_dates: no .tml files under {folder}")
    systems = [("newslake", newslake_preds)]
    if not args.no_baseline:
        warnings.filterwarnings("ignore")
        systems.append(("dateparser", dateparser_preds))
    scores = {name: run(name, fn, docs) for name, fn in systems}
    print(f"{folder}: {len(docs)} documents, {scores['newslake'].c['gold_span']} scored gold dates, {scores['newslake'].c['gold_value']} with a day/month/year value")
    print(f"{'system':<12} {'value P':>8} {'R':>6} {'F1':>6}   {'relaxed P':>9} {'R':>6} {'F1':>6}   {'R day':>6} {'month':>6} {'year':>6}  {'ms/doc':>7}")
    flat: dict[str, float] = {}
    for name, sc in scores.items():
        m = sc.metrics()
        print(
            f"{name:<12} {100 * m['value_P']:8.1f} {100 * m['value_R']:6.1f} {100 * m['value_F1']:6.1f}   "
            f"{100 * m['relaxed_P']:9.1f} {100 * m['relaxed_R']:6.1f} {100 * m['relaxed_F1']:6.1f}   "
            f"{100 * m['value_R_day']:6.1f} {100 * m['value_R_month']:6.1f} {100 * m['value_R_year']:6.1f}  {1000 * sc.seconds / len(docs):7.2f}"
        )
        flat.update({f"{name}/{k}": round(v, 4) for k, v in m.items()})
    nl = scores["newslake"]
    print("newslake relaxed recall by gold kind: " + "  ".join(f"{k} {nl.kind_found[k]}/{nl.kind_total[k]}" for k in sorted(nl.kind_total)))
    if args.errors:
        for k in ("value", "miss", "fp"):
            print(f"\n{k} ({len(nl.errors[k])}):")
            for line in nl.errors[k][: args.errors]:
                print("  " + line)
    if args.json:
        args.json.write_text(json.dumps(flat, indent=1, sort_keys=True))


if __name__ == "__main__":
    main()

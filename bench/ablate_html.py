"""What each step of the HTML path does to article P/R/F1 on the labelled sets (one run, same pages).

    python bench/ablate_html.py --data DATASETS [--sets a,b] [--limit N] [--extract a,b] [--json OUT]

Extraction variants (each reads every page once through `html_page.read_page` with that config):
`precision`, `balanced`, `recall` (trafilatura's focus, fallbacks on), `precision_fast` (main pass,
fallbacks only under 300 characters), `precision_no_tables`, `precision_no_regions` (comment containers
left in the page). On the text of each, the HTML block rules (`html_page.HTML_BLOCK_RULES`) are scored
as: none, all, all minus one rule (what dropping it costs), none plus one rule (what it buys alone),
and the configured default. Article = title + content blocks, scored as bench/eval_cleaning.py does.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from eval_cleaning import decode, f1, load_gold, prf, shingles  # noqa: E402

from tasks.config import CleanConfig  # noqa: E402
from tasks.html_page import HTML_BLOCK_RULES, label_page, read_page  # noqa: E402

BASE = CleanConfig()
EXTRACT = {
    "precision": dataclasses.replace(BASE, html_focus="precision", html_fast=False),
    "balanced": dataclasses.replace(BASE, html_focus="balanced", html_fast=False),
    "recall": dataclasses.replace(BASE, html_focus="recall", html_fast=False),
    "precision_fast": dataclasses.replace(BASE, html_focus="precision", html_fast=True),
    "precision_no_tables": dataclasses.replace(BASE, html_focus="precision", html_fast=False, html_include_tables=False),
    "precision_no_regions": dataclasses.replace(BASE, html_focus="precision", html_fast=False, html_comment_regions=False),
}


def rule_variants() -> dict[str, frozenset[str]]:
    allr = frozenset(HTML_BLOCK_RULES)
    out = {"rules:none": frozenset(), "rules:all": allr, "rules:default": frozenset(BASE.html_block_rules)}
    for r in HTML_BLOCK_RULES:
        out[f"all-{r}"] = allr - {r}
        out[f"none+{r}"] = frozenset({r})
    return out


def print_set(name: str, per: dict, extracts: list[str], variants: dict, flat: dict[str, float]) -> None:
    """One set's table: P/R/F1 per (extraction, rule variant), and the same into `flat`."""
    print(f"{name} ({len(per[extracts[0]]['rules:none'][0])} pages)   P / R / F1")
    for e in extracts:
        for v in variants:
            if v not in per[e]:
                continue
            ps, rs = per[e][v]
            P, R = sum(ps) / len(ps), sum(rs) / len(rs)
            flat[f"{name}/{e}/{v}/P"], flat[f"{name}/{e}/{v}/R"], flat[f"{name}/{e}/{v}/F1"] = P, R, f1(P, R)
            print(f"  {e:<22} {v:<24} {P:.3f} / {R:.3f} / {f1(P, R):.3f}", flush=True)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--sets", default="")
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--extract", default="precision,balanced,recall,precision_fast,precision_no_tables,precision_no_regions")
    ap.add_argument("--rules-on", default="precision,balanced", help="extractions scored with every rule variant (others: none, default)")
    ap.add_argument("--json", type=Path)
    a = ap.parse_args(argv)
    sets = sorted(p for p in a.data.iterdir() if (p / "gold.jsonl").is_file() and (p / "html").is_dir())
    if a.sets:
        sets = [p for p in sets if p.name in set(a.sets.split(","))]
    extracts = [e for e in a.extract.split(",") if e]
    variants = rule_variants()
    rules_on = set(a.rules_on.split(","))
    # scores[set][extract][variant] = ([P...], [R...])
    scores: dict[str, dict[str, dict[str, tuple[list[float], list[float]]]]] = {}
    flat: dict[str, float] = {}
    for set_dir in sets:
        per = scores.setdefault(set_dir.name, {})
        for g in load_gold(set_dir / "gold.jsonl", a.limit):
            html = decode((set_dir / "html" / f"{g['id']}.html").read_bytes())
            for e in extracts:
                cfg = EXTRACT[e]
                page = read_page(html, cfg)
                for v, rules in variants.items():
                    if e not in rules_on and v not in ("rules:none", "rules:default"):
                        continue
                    if page is None:
                        article = ""
                    else:
                        blocks = label_page(page, cfg, rules)
                        article = "\n\n".join(b.text for b in blocks if b.label in ("title", "content"))
                    p, r = prf(shingles(article), g["_art"])
                    ps, rs = per.setdefault(e, {}).setdefault(v, ([], []))
                    ps.append(p)
                    rs.append(r)
        print_set(set_dir.name, per, extracts, variants, flat)
    if a.json:
        a.json.write_text(json.dumps(flat, indent=1, sort_keys=True), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Already-clean article text through the plain-text cleaner: how much of each article comes out.

    python bench/eval_clean_text.py --data DATASETS [--every N] [--worst N] [--json OUT]

In:  the gold article texts of every `DATA/*/gold.jsonl` (as bench/make_corpus.py's realistic mode takes
     them: >= 25 words, near-identical articles dropped; the title line first when the gold has none),
     each fed to `tasks.clean.clean_dump_text` as a plain-text record (one paragraph a line), as a JSONL
     `text` or a pasted article reaches the pipeline.
Out: per set and over all, the share of each article's words that the cleaned article keeps (word
     multiset overlap), its mean, how many articles keep >= 99% ("whole"), < 90% and < 50% of their
     words, and how many come out empty. An already-clean article must come out whole (issue 14.4,
     issue 17). --json writes flat `<set>/<metric>` numbers (set `all` for the whole) for the gate.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from make_corpus import real_articles  # noqa: E402  (the articles issue 17's realistic corpus is built from)

from tasks.clean import clean_dump_text  # noqa: E402


def kept_share(source: str, cleaned: str) -> float:
    """Share of the source's words (lower-cased, whitespace tokens, as a multiset) found in the cleaned text."""
    a, b = Counter(source.lower().split()), Counter(cleaned.lower().split())
    return sum((a & b).values()) / max(1, sum(a.values()))


def article_text(title: str, paras: list[str]) -> str:
    """The article as a plain-text record: the title line (unless the first paragraph starts with it), then
    one paragraph a line."""
    return "\n".join(paras if paras[0].startswith(title) else [title, *paras])


def summarise(shares: list[float]) -> dict[str, float]:
    n = len(shares)
    return {
        "articles": n,
        "mean_kept": sum(shares) / max(1, n),
        "whole_share": sum(s >= 0.99 for s in shares) / max(1, n),
        "under_90": sum(s < 0.9 for s in shares),
        "under_50": sum(s < 0.5 for s in shares),
        "empty": sum(s == 0 for s in shares),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--every", type=int, default=1, help="every n-th article (quick runs; figures use all)")
    ap.add_argument("--worst", type=int, default=0, help="print the ids of the n articles that keep least")
    ap.add_argument("--json", type=Path)
    a = ap.parse_args()
    arts = real_articles(a.data)[:: a.every]
    if not arts:
        raise SystemExit(f"{a.data}: no */gold.jsonl with article texts")
    rows = []
    for aid, title, paras in arts:
        text = article_text(title, paras)
        rows.append((kept_share(text, clean_dump_text(text)["article"]), aid))
    out: dict[str, float] = {}
    for name in [*sorted({aid.split("/")[0] for _, aid in rows}), "all"]:
        s = summarise([x for x, aid in rows if name == "all" or aid.split("/")[0] == name])
        out.update({f"{name}/{k}": v for k, v in s.items()})
        print(
            f"{name:<14} {s['articles']:>5} articles  mean kept {s['mean_kept']:.3f}  whole {s['whole_share']:.3f}  "
            f"< 90% {s['under_90']:>4}  < 50% {s['under_50']:>4}  empty {s['empty']:>3}"
        )
    for share, aid in sorted(rows)[: a.worst]:
        print(f"  {share:.2f} {aid}")
    if a.json:
        a.json.write_text(json.dumps(out, indent=1, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

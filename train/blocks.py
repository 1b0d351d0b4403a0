"""Train the dump line model (tasks/data/dump_lines.json) from the labelled plain-text dumps.

  python train/blocks.py --data ../shared/datasets [--out tasks/data/dump_lines.json] [--folds 5]

In:  `<data>/dragnet-dev/dumps/<id>.txt` (a page's visible blocks, one a line) and `gold.jsonl` (the page's
     article and reader comments). Each dump line is labelled by its token 4-gram containment in the gold
     article / gold comment-only text (`label_lines`), featurised by `tasks.blocks.line_features`.
Out: the weights of a multinomial logistic regression (standardised features) plus the label transition
     and start log-probabilities of the Viterbi pass, written as JSON; printed: the grouped cross-validation
     scores by site (host of the page's canonical URL), then the fit on the whole set.

Deterministic: sorted inputs, fixed seed, a solver with no randomness.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path
from urllib.parse import urlparse

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

from eval_cleaning import decode  # noqa: E402  (the pages' decoding, as the scorer does it)

from tasks.blocks import LINE_FEATURES, LINE_LABELS, find_repeats, line_features, split_blocks  # noqa: E402
from tasks.config import CleanConfig  # noqa: E402

TOKEN = re.compile(r"\w+")
SEED = 14
CHROME, ARTICLE, COMMENT = range(3)


def grams(tokens: list[str], n: int = 4) -> Counter:
    if len(tokens) < n:
        return Counter([tuple(tokens)]) if tokens else Counter()
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


def toks(text: str) -> list[str]:
    return TOKEN.findall(text.lower())


def label_lines(texts: list[str], article: str, comments: str) -> list[int]:
    """Gold label of each line: ARTICLE / COMMENT when most of its 4-grams are in the (not yet used) gold
    article / comment-only 4-grams, CHROME otherwise. A repeat of article text already used is chrome
    (the scorer counts 4-gram multisets). Lines under 4 tokens: article or comment when their tokens
    occur in that gold text and they sit inside (or right before) that part's span of long lines."""
    ga = grams(toks(article))
    gc = grams(toks(comments)) - ga
    a_str, c_str = " " + " ".join(toks(article)) + " ", " " + " ".join(toks(comments)) + " "
    labels = [CHROME] * len(texts)
    short: list[int] = []
    for i, t in enumerate(texts):
        tk = toks(t)
        if len(tk) < 4:
            short.append(i)
            continue
        g = grams(tk)
        tot = sum(g.values())
        in_a = sum((g & ga).values())
        in_c = sum((g & gc).values())
        if in_a / tot >= 0.5 and in_a >= in_c:
            labels[i] = ARTICLE
            ga -= g
        elif in_c / tot >= 0.5:
            labels[i] = COMMENT
    for lab, s in ((ARTICLE, a_str), (COMMENT, c_str)):
        idx = [i for i, x in enumerate(labels) if x == lab]
        if not idx:
            continue
        lo, hi = idx[0] - 3, idx[-1]
        for i in short:
            tk = toks(texts[i])
            if labels[i] == CHROME and tk and lo <= i <= hi and f" {' '.join(tk)} " in s:
                labels[i] = lab
    return labels


def site_of(html_path: Path) -> str:
    """Registered domain of the page's canonical URL (og:url, else the most linked host)."""
    h = html_path.read_bytes().decode("utf-8", "replace")
    m = (
        re.search(r"<link[^>]+rel=[\"']canonical[\"'][^>]*href=[\"']([^\"']+)", h, re.I)
        or re.search(r"<link[^>]+href=[\"']([^\"']+)[\"'][^>]*rel=[\"']canonical", h, re.I)
        or re.search(r"property=[\"']og:url[\"'][^>]*content=[\"']([^\"']+)", h, re.I)
    )
    host = urlparse(m.group(1)).netloc if m else ""
    if not host:
        c = Counter(urlparse(u).netloc for u in re.findall(r"href=[\"'](https?://[^\"']+)", h, re.I))
        host = c.most_common(1)[0][0] if c else html_path.stem
    parts = host.lower().split(":")[0].split(".")
    keep = 3 if len(parts) >= 3 and len(parts[-1]) == 2 and parts[-2] in ("co", "com", "org", "net", "ac", "gov") else 2
    return ".".join(parts[-keep:])


def load(data: Path) -> list[dict]:
    root = data / "dragnet-dev"
    pages = []
    for line in (root / "gold.jsonl").read_text(encoding="utf-8").split("\n"):
        if not line.strip():
            continue
        g = json.loads(line)
        dump = root / "dumps" / f"{g['id']}.txt"
        if not dump.is_file():
            continue
        blocks = split_blocks(decode(dump.read_bytes()))
        texts = [b.text for b in blocks]
        repeats = find_repeats(texts, CleanConfig().near_repeat_jaccard, word_lists=[b.lw for b in blocks])
        pages.append(
            {
                "id": g["id"],
                "site": site_of(root / "html" / f"{g['id']}.html"),
                "texts": texts,
                "X": np.array(line_features(blocks, repeats), dtype=np.float64).reshape(len(blocks), len(LINE_FEATURES)),
                "y": np.array(label_lines(texts, g["article"], g["comments"]), dtype=np.int64),
                "article": g["article"],
                "comments": g["comments"],
            }
        )
    pages.sort(key=lambda p: p["id"])
    return pages


# --- model ------------------------------------------------------------------------------------


def fit(pages: list[dict], c: float) -> dict:
    from sklearn.linear_model import LogisticRegression

    X = np.vstack([p["X"] for p in pages])
    y = np.concatenate([p["y"] for p in pages])
    mean, scale = X.mean(0), X.std(0)
    scale[scale == 0] = 1.0
    clf = LogisticRegression(C=c, max_iter=3000, random_state=SEED)
    clf.fit((X - mean) / scale, y)
    prior = np.bincount(y, minlength=3) / len(y)
    trans = np.ones((3, 3))
    start = np.ones(3)
    for p in pages:
        start[p["y"][0]] += 1
        for a, b in zip(p["y"][:-1], p["y"][1:], strict=True):
            trans[a, b] += 1
    trans /= trans.sum(1, keepdims=True)
    start /= start.sum()
    return {
        "labels": list(LINE_LABELS),
        "features": list(LINE_FEATURES),
        "mean": mean.tolist(),
        "scale": scale.tolist(),
        "coef": clf.coef_.tolist(),
        "intercept": clf.intercept_.tolist(),
        "log_prior": np.log(prior).tolist(),
        "log_trans": np.log(trans).tolist(),
        "log_start": np.log(start).tolist(),
    }


def predict(model: dict, X: np.ndarray, viterbi: bool = True) -> np.ndarray:
    from tasks.blocks import decode_lines

    return np.array(decode_lines(model, X.tolist(), viterbi=viterbi), dtype=np.int64)


# --- scoring (score.py's metric) ----------------------------------------------------------------


def _case_grams(text: str) -> Counter:
    t = TOKEN.findall(text or "")
    return grams(t)


def prf(pred: str, gold: str) -> tuple[float, float]:
    p, g = _case_grams(pred), _case_grams(gold)
    if not p and not g:
        return 1.0, 1.0
    tp = sum((p & g).values())
    return (tp / sum(p.values()) if p else 0.0), (tp / sum(g.values()) if g else 0.0)


def score(pages: list[dict], preds: list[np.ndarray]) -> dict[str, float]:
    ps, rs, leaks, cps, crs = [], [], [], [], []
    for p, yhat in zip(pages, preds, strict=True):
        art = "\n".join(t for t, y in zip(p["texts"], yhat, strict=True) if y == ARTICLE)
        com = "\n".join(t for t, y in zip(p["texts"], yhat, strict=True) if y == COMMENT)
        P, R = prf(art, p["article"])
        ps.append(P)
        rs.append(R)
        if p["comments"]:
            only = _case_grams(p["comments"]) - _case_grams(p["article"])
            leaks.append(sum((only & _case_grams(art)).values()) / max(1, sum(only.values())))
            cp, cr = prf(com, p["comments"])
            cps.append(cp)
            crs.append(cr)
    P, R = float(np.mean(ps)), float(np.mean(rs))
    return {
        "F1": 2 * P * R / (P + R) if P + R else 0.0,
        "P": P,
        "R": R,
        "leak": float(np.mean(leaks)),
        "cP": float(np.mean(cps)),
        "cR": float(np.mean(crs)),
    }


def fmt(s: dict[str, float]) -> str:
    return "  ".join(f"{k} {v:.3f}" for k, v in s.items())


def grouped_folds(pages: list[dict], k: int) -> list[list[int]]:
    """Pages split into k folds by site: a site's pages are all in one fold (sites sorted, dealt round-robin
    by descending size so folds are balanced)."""
    by_site: dict[str, list[int]] = {}
    for i, p in enumerate(pages):
        by_site.setdefault(p["site"], []).append(i)
    folds: list[list[int]] = [[] for _ in range(k)]
    for site in sorted(by_site, key=lambda s: (-len(by_site[s]), s)):
        min(folds, key=len).extend(by_site[site])
    return folds


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "tasks" / "data" / "dump_lines.json")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--c", type=float, default=1.0)
    a = ap.parse_args()
    pages = load(a.data)
    oracle = score(pages, [p["y"] for p in pages])
    print(f"{len(pages)} pages, {len({p['site'] for p in pages})} sites, {sum(len(p['y']) for p in pages)} lines")
    print(f"oracle (gold line labels): {fmt(oracle)}")
    folds = grouped_folds(pages, a.folds)
    preds: list[np.ndarray | None] = [None] * len(pages)
    preds_nv: list[np.ndarray | None] = [None] * len(pages)
    for f in folds:
        test = set(f)
        model = fit([p for i, p in enumerate(pages) if i not in test], a.c)
        for i in f:
            preds[i] = predict(model, pages[i]["X"])
            preds_nv[i] = predict(model, pages[i]["X"], viterbi=False)
    print(f"CV by site ({a.folds} folds), per line only: {fmt(score(pages, preds_nv))}")
    print(f"CV by site ({a.folds} folds), with Viterbi:  {fmt(score(pages, preds))}")
    model = fit(pages, a.c)
    print(f"fit on all pages (training fit, not a forecast): {fmt(score(pages, [predict(model, p['X']) for p in pages]))}")
    model["about"] = (
        "newslake dump line model: multinomial logistic regression over tasks.blocks.LINE_FEATURES "
        "(standardised with mean/scale) + Viterbi over log_trans/log_start; built by train/blocks.py"
    )
    a.out.write_text(json.dumps(model, indent=None, separators=(",", ":")) + "\n")
    print(f"wrote {a.out} ({a.out.stat().st_size} bytes)")
    w = np.array(model["coef"])
    for k, lab in enumerate(LINE_LABELS):
        top = sorted(zip(w[k], LINE_FEATURES, strict=True), key=lambda x: -abs(x[0]))[:8]
        print(f"  {lab}: " + ", ".join(f"{n} {v:+.2f}" for v, n in top))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

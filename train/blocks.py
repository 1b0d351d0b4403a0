"""Train the dump line model (tasks/data/dump_lines.json) from the labelled plain-text dumps.

  pip install -e '.[train]'
  python train/blocks.py --data DATASETS [--out tasks/data/dump_lines.json] [--folds 5] [--every 1]
                         [--ablate] [--no-write] [--thread-starts]

In:  `<data>/dragnet-dev/dumps/<id>.txt` (a page's visible blocks, one a line) and `gold.jsonl` (the page's
     article and reader comments). Each dump is read as `clean_dump_text` reads it (known chrome set
     aside, lines split and rejoined, the hand rules' labels), each line is labelled by its token 4-gram
     containment in the gold article / gold comment-only text (`label_lines`) and featurised by
     `tasks.blocks.dump_line_features`.
Out: a gradient-boosted tree model (scikit-learn's HistGradientBoostingClassifier, 3 classes chrome /
     article / comment) exported as JSON trees that `tasks.blocks.predict_lines` walks with numpy;
     printed: the cross-validation scores with folds grouped by site (registered domain of the page's
     canonical URL: no site is in both the training and the test part), the fit on the whole set, and the
     features by total split gain.

Deterministic: sorted inputs, fixed seed, single-threaded fit (set OMP_NUM_THREADS=1 for bit-identical
output across machines).
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
import xxhash

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

from eval_cleaning import decode  # noqa: E402  (the pages' decoding, as the scorer does it)

from tasks.blocks import (  # noqa: E402
    DUMP_LINE_FEATURES,
    LINE_LABELS,
    OVERRIDES,
    SHIPPED_OVERRIDES,
    apply_line_model,
    dump_line_features,
    label_blocks,
    line_scores,
    predict_lines,
    segment_lines,
    split_blocks,
)
from tasks.clean import _article_text, _comments_text, _set_aside  # noqa: E402  (clean_dump_text's own steps)
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


def load(data: Path, every: int = 1) -> list[dict]:
    root = data / "dragnet-dev"
    pages = []
    cfg = CleanConfig()
    for line in (root / "gold.jsonl").read_text(encoding="utf-8").split("\n"):
        if not line.strip():
            continue
        g = json.loads(line)
        dump = root / "dumps" / f"{g['id']}.txt"
        if not dump.is_file():
            continue
        rest, _ = _set_aside(decode(dump.read_bytes()), frozenset(), frozenset())
        blocks = split_blocks(rest)
        texts = [b.text for b in blocks]
        res = label_blocks(blocks, cfg)
        pages.append(
            {
                "id": g["id"],
                "site": site_of(root / "html" / f"{g['id']}.html"),
                "texts": texts,
                "X": np.array(dump_line_features(blocks, res.repeats), dtype=np.float64).reshape(len(blocks), len(DUMP_LINE_FEATURES)),
                "y": np.array(label_lines(texts, g["article"], g["comments"]), dtype=np.int64),
                "article": g["article"],
                "comments": g["comments"],
                "rest": rest,
            }
        )
    pages.sort(key=lambda p: p["id"])
    return pages[::every]


# --- model ------------------------------------------------------------------------------------


PARAMS = {"max_iter": 80, "learning_rate": 0.1, "max_leaf_nodes": 31, "max_depth": 8, "min_samples_leaf": 40, "l2_regularization": 1.0}
# The scorer averages P and R over pages, so a page's two-line comment thread counts as much as a
# 200-line one; with one weight per line the trees learned the long threads and missed the short ones.
# Each line weighs 1 / (lines of its gold class in its page) ** PAGE_BALANCE: every page's article,
# chrome and comments weigh the same in the fit (site-grouped CV, line labels: comments R 0.626 -> 0.708
# with PAGE_BALANCE 1; bench/RESULTS.md "page-balanced").
PAGE_BALANCE = 1.0
# Decision biases added to the class scores (chrome, article, comment) and the comment-region penalty of
# `tasks.blocks.segment_lines`, chosen on the site-grouped CV predictions of the page-balanced trees
# (a small grid; the same choice on both halves of the sites): balancing leans towards article recall,
# the article bias takes it back to precision.
DECISION_BIAS = (0.0, -1.5, 0.25)
THREAD_PENALTY = 3.0


def page_weights(y: np.ndarray) -> np.ndarray:
    w = np.ones(len(y))
    for k in range(len(LINE_LABELS)):
        m = y == k
        if m.any():
            w[m] = 1.0 / m.sum() ** PAGE_BALANCE
    return w


def fit(pages: list[dict]):
    from sklearn.ensemble import HistGradientBoostingClassifier

    X = np.vstack([p["X"] for p in pages])
    y = np.concatenate([p["y"] for p in pages])
    w = np.concatenate([page_weights(p["y"]) for p in pages])
    clf = HistGradientBoostingClassifier(**PARAMS, early_stopping=False, random_state=SEED)
    clf.fit(X, y, sample_weight=w * len(w) / w.sum())
    return clf


def export(clf) -> dict:
    """The fitted trees as plain lists (per tree: class, depth, and per node feature, threshold, children,
    leaf flag, value); rows go left when feature <= threshold (no missing values: every feature is set)."""
    trees = []
    for it in clf._predictors:
        for k, pred in enumerate(it):
            nd = pred.nodes
            trees.append(
                {
                    "class": k,
                    "depth": int(nd["depth"].max()) + 1,
                    "feature": nd["feature_idx"].astype(int).tolist(),
                    "threshold": [float(x) for x in nd["num_threshold"]],
                    "left": nd["left"].astype(int).tolist(),
                    "right": nd["right"].astype(int).tolist(),
                    "leaf": nd["is_leaf"].astype(int).tolist(),
                    "value": [round(float(x), 6) for x in nd["value"]],
                }
            )
    return {
        "labels": list(LINE_LABELS),
        "features": list(DUMP_LINE_FEATURES),
        "params": {**PARAMS, "page_balance": PAGE_BALANCE},
        "baseline": [float(x) for x in np.ravel(clf._baseline_prediction)],
        "bias": list(DECISION_BIAS),
        "thread_penalty": THREAD_PENALTY,
        "trees": trees,
    }


def gains(clf) -> np.ndarray:
    g = np.zeros(len(DUMP_LINE_FEATURES))
    for it in clf._predictors:
        for pred in it:
            nd = pred.nodes
            inner = nd["is_leaf"] == 0
            np.add.at(g, nd["feature_idx"][inner], nd["gain"][inner])
    return g / g.sum()


def predict(model: dict, X: np.ndarray) -> np.ndarray:
    """Line labels as the cleaner decides them from the model alone: biased scores, page segmentation."""
    return np.array(segment_lines(line_scores(model, X.tolist()), model["thread_penalty"]), dtype=np.int64)


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
    """`score_texts` over the (article, comments) texts the line labels `preds` select."""
    outs = []
    for p, yhat in zip(pages, preds, strict=True):
        art = "\n".join(t for t, y in zip(p["texts"], yhat, strict=True) if y == ARTICLE)
        com = "\n".join(t for t, y in zip(p["texts"], yhat, strict=True) if y == COMMENT)
        outs.append((art, com))
    return score_texts(pages, outs)


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


def cleaner_texts(page: dict, model: dict, overrides: frozenset[str]) -> tuple[str, str]:
    """(article, comments) of a page as clean_dump_text makes them, with `model` and `overrides`."""
    res = label_blocks(split_blocks(page["rest"]), CleanConfig())
    apply_line_model(res, model, overrides)
    return _article_text(res, None)[0], _comments_text(res)


def score_texts(pages: list[dict], outs: list[tuple[str, str]]) -> dict[str, float]:
    """Article P/R/F1, comment leak and comments P/R of (article, comments) texts against the pages' gold."""
    ps, rs, leaks, cps, crs = [], [], [], [], []
    for p, (art, com) in zip(pages, outs, strict=True):
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
    return {"F1": 2 * P * R / (P + R) if P + R else 0.0, "P": P, "R": R, "leak": float(np.mean(leaks)), "cP": float(np.mean(cps)), "cR": float(np.mean(crs))}


def ablate(pages: list[dict], fold_models: list[dict], fold_of: list[int]) -> None:
    """The cleaner (rules + line model) on every page with the model of the fold that did not see the
    page's site, under the shipped overrides, each one removed, each unshipped one added, and none;
    printed per variant for all pages and for two halves of the sites (a sign that holds on both is not
    one site's)."""
    half = [int(xxhash.xxh32_intdigest(p["site"].encode()) % 2) for p in pages]
    variants = [("shipped", SHIPPED_OVERRIDES)]
    variants += [(f"- {o}", SHIPPED_OVERRIDES - {o}) for o in OVERRIDES if o in SHIPPED_OVERRIDES]
    variants += [(f"+ {o}", SHIPPED_OVERRIDES | {o}) for o in OVERRIDES if o not in SHIPPED_OVERRIDES]
    variants += [("model only (no override)", frozenset()), ("every override", frozenset(OVERRIDES))]
    for name, ov in variants:
        outs = [cleaner_texts(p, fold_models[fold_of[i]], ov) for i, p in enumerate(pages)]
        s = score_texts(pages, outs)
        h = [score_texts([p for p, x in zip(pages, half, strict=True) if x == k], [o for o, x in zip(outs, half, strict=True) if x == k]) for k in (0, 1)]
        print(f"ablate {name:<26} {fmt(s)} | halves F1 {h[0]['F1']:.3f}/{h[1]['F1']:.3f} leak {h[0]['leak']:.3f}/{h[1]['leak']:.3f} cP {h[0]['cP']:.3f}/{h[1]['cP']:.3f} cR {h[0]['cR']:.3f}/{h[1]['cR']:.3f}", flush=True)


def grid(pages: list[dict], fold_models: list[dict], fold_of: list[int]) -> None:
    """Line-label CV scores for a grid of article biases and comment-region penalties (how DECISION_BIAS
    and THREAD_PENALTY were chosen), on all pages and on two halves of the sites."""
    half = [int(xxhash.xxh32_intdigest(p["site"].encode()) % 2) for p in pages]
    raw = [line_scores({**fold_models[fold_of[i]], "bias": [0.0] * len(LINE_LABELS)}, p["X"].tolist()) for i, p in enumerate(pages)]
    for ba, bm in ((0.0, 0.0), (-1.0, 0.0), (-1.5, 0.0), (-1.5, 0.25), (-1.5, 0.5), (-2.0, 0.0)):
        for pen in (0.0, 3.0):
            bias = np.array([DECISION_BIAS[0], ba, bm])
            preds = [np.array(segment_lines(r + bias, pen), dtype=np.int64) for r in raw]
            h = [score([p for p, x in zip(pages, half, strict=True) if x == k], [q for q, x in zip(preds, half, strict=True) if x == k]) for k in (0, 1)]
            print(f"grid article bias {ba:+.1f} comment bias {bm:+.2f} penalty {pen:.0f}: {fmt(score(pages, preds))} | halves F1 {h[0]['F1']:.3f}/{h[1]['F1']:.3f} cR {h[0]['cR']:.3f}/{h[1]['cR']:.3f}", flush=True)


def thread_starts(pages: list[dict]) -> None:
    """Model-free: where the rules' comment-thread start (first line they call comment) falls, and the gold
    labels of the words the rules put in comments after it, by the long-line (>= 10 words) words before
    the start and by the start's place against the main run of long lines (the run with most words, gaps
    of up to 2 short lines). Pages whose rules find no thread are left out."""
    bins = {}
    for p in pages:
        blocks = label_blocks(split_blocks(p["rest"]), CleanConfig()).blocks
        start = next((i for i, b in enumerate(blocks) if b.label == "comment"), None)
        if start is None:
            continue
        words = [b.words for b in blocks]
        runs: list[list[int]] = []
        gap = 99
        for i, w in enumerate(words):
            if w >= 10:
                if gap > 2 or not runs:
                    runs.append([i, i, 0])
                runs[-1][1], runs[-1][2], gap = i, runs[-1][2] + w, 0
            else:
                gap += 1
        main = max(runs, key=lambda r: (r[2], -r[0])) if runs else [0, 0, 0]
        before = sum(w for w in words[:start] if w >= 10)
        after = [0, 0, 0]
        for b, y in zip(blocks, p["y"], strict=True):
            if b.label == "comment":
                after[y] += b.words
        gold_article = sum(b.words for b, y in zip(blocks, p["y"], strict=True) if y == ARTICLE)
        place = "before" if start <= main[0] else "inside" if start <= main[1] else "after"
        lo = max(e for e in (0, 20, 50, 100, 200, 400) if before >= e)
        for key in (f"main run: start {place} it", f"long-line words before start >= {lo}"):
            row = bins.setdefault(key, [0, 0, 0, 0, 0])
            row[0] += 1
            row[1:4] = [a + b for a, b in zip(row[1:4], after, strict=True)]
            row[4] += after[ARTICLE] > 0.5 * gold_article
    print("rules' thread start (pages | words the rules call comment after it, by gold chrome / article / comment | pages with most of their gold article in it):")
    for key in sorted(bins, key=lambda k: (not k.startswith("main"), int(k.split()[-1]) if k[-1].isdigit() else 0, k)):
        r = bins[key]
        print(f"  {key:<38} {r[0]:5d} | {r[1]:7d} {r[2]:7d} {r[3]:7d} | {r[4]:4d}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "tasks" / "data" / "dump_lines.json")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--every", type=int, default=1, help="use every n-th page (quick runs; the shipped model uses all)")
    ap.add_argument("--no-cv", action="store_true")
    ap.add_argument("--ablate", action="store_true", help="also score the cleaner with each rule override on/off, fold models (slow)")
    ap.add_argument("--no-write", action="store_true", help="do not fit on all pages nor write the model")
    ap.add_argument("--cv", action="store_true", help="the site-grouped CV figures only (the honest forecast): same as --no-write")
    ap.add_argument("--thread-starts", action="store_true", help="only the model-free report of where the rules' comment-thread start falls")
    ap.add_argument("--grid", action="store_true", help="also score article biases x comment-region penalties on the CV predictions")
    a = ap.parse_args()
    a.no_write = a.no_write or a.cv
    pages = load(a.data, a.every)
    oracle = score(pages, [p["y"] for p in pages])
    print(f"{len(pages)} pages, {len({p['site'] for p in pages})} sites, {sum(len(p['y']) for p in pages)} lines")
    print(f"oracle (gold line labels): {fmt(oracle)}")
    if a.thread_starts:
        thread_starts(pages)
        return 0
    if not a.no_cv:
        preds: list[np.ndarray | None] = [None] * len(pages)
        fold_models: list[dict] = []
        fold_of = [0] * len(pages)
        for k, f in enumerate(grouped_folds(pages, a.folds)):
            test = set(f)
            model = export(fit([p for i, p in enumerate(pages) if i not in test]))
            fold_models.append(model)
            for i in f:
                preds[i] = predict(model, pages[i]["X"])
                fold_of[i] = k
        print(f"CV by site ({a.folds} folds), line labels alone: {fmt(score(pages, preds))}", flush=True)
        if a.grid:
            grid(pages, fold_models, fold_of)
        outs = [cleaner_texts(p, fold_models[fold_of[i]], SHIPPED_OVERRIDES) for i, p in enumerate(pages)]
        print(f"CV by site ({a.folds} folds), the cleaner (rules + model, shipped overrides): {fmt(score_texts(pages, outs))}", flush=True)
        if a.ablate:
            ablate(pages, fold_models, fold_of)
    if a.no_write:
        return 0
    clf = fit(pages)
    model = export(clf)
    check = clf.predict(pages[0]["X"])
    if not np.array_equal(check, np.array(predict_lines({**model, "bias": [0.0] * len(LINE_LABELS)}, pages[0]["X"].tolist()))):
        raise SystemExit(f"{a.out}: exported trees disagree with scikit-learn on page {pages[0]['id']}")
    print(f"fit on all pages (training fit, not a forecast): {fmt(score(pages, [predict(model, p['X']) for p in pages]))}")
    model["about"] = (
        "newslake dump line model: gradient-boosted trees (scikit-learn HistGradientBoostingClassifier) over "
        "tasks.blocks.DUMP_LINE_FEATURES, classes chrome/article/comment; built by train/blocks.py"
    )
    a.out.write_text(json.dumps(model, indent=None, separators=(",", ":")) + "\n")
    print(f"wrote {a.out} ({a.out.stat().st_size} bytes, {len(model['trees'])} trees)")
    g = gains(clf)
    top = sorted(zip(g, DUMP_LINE_FEATURES, strict=True), reverse=True)[:15]
    print("features by share of split gain: " + ", ".join(f"{n} {v:.3f}" for v, n in top))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

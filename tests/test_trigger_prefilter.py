"""The trigger patterns' substring prefilter (`tasks.events._required`): every string a pattern
matches holds one string of each of its required sets, so skipping a pattern whose sets are not all
in the sentence never loses a match."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tasks.events import _ANCHORED, _REQUIRED, _compiled, _pattern_matches, _required
from tasks.records import split_sentences

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize(
    ("rx", "sets"),
    [
        (r"\bcapsi[sz]ed\b", [{"capsised", "capsized"}]),
        (r"(?<!grand\s)\b(?:slam(?:s|med)?|lambast(?:s|ed)?)\b", [{"slam", "lambast"}]),
        (r"\b(?:was|were)\s+(?:fired|dismissed)\b", [{"dismissed", "fired"}, {"was", "were"}]),
        (r"\bextradit(?:ed|ion)\b", [{"extradited", "extradition"}]),
        (r"\b(?:\w+\s+)?talks\b", [{"talks"}]),
        (r"\b\w+\b", []),  # nothing required: the pattern always runs
    ],
)
def test_required_sets(rx: str, sets: list[set[str]]) -> None:
    assert [set(s) for s in _required(rx)] == sets


def _texts() -> list[str]:
    pinned = json.loads((ROOT / "tests/pinned/pinned_texts.json").read_text(encoding="utf-8"))
    texts = [t["text"] if isinstance(t, dict) else t for t in pinned["texts"]]
    return texts + [p.read_text(encoding="utf-8") for p in sorted((ROOT / "seeds").glob("*.txt"))]


def test_every_match_holds_its_required_strings() -> None:
    matches = 0
    for text in _texts():
        for a, b in split_sentences(text):
            sentence = text[a:b]
            for req, (_anchors, _t, alt) in zip(_REQUIRED, _ANCHORED, strict=True):
                rx = _compiled(alt)
                for m in rx.finditer(sentence):
                    matches += 1
                    low = m.group(0).lower()
                    assert all(any(s in low for s in group) for group in req), (rx.pattern, m.group(0))
    assert matches > 30  # the texts exercise the patterns


def test_prefiltered_matches_equal_running_every_pattern() -> None:
    for text in _texts():
        for a, b in split_sentences(text):
            sentence = text[a:b]
            found = sorted(
                (m.start(), order, t, m.end())
                for order, (_a, t, alt) in enumerate(_ANCHORED)
                for m in _compiled(alt).finditer(sentence)
            )
            expect, end = [], -1
            for start, _order, t, stop in found:
                if start >= end and stop > start:
                    expect.append((t, start, stop))
                    end = stop
            assert [(t, m.start(), m.end()) for t, m in _pattern_matches(sentence)] == expect

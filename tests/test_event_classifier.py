"""The sentence event-type classifier (tasks/event_classifier.py) and how the triggers use it."""

from __future__ import annotations

import zlib

import numpy as np
import pytest

from tasks.event_classifier import HASH_BITS, featurize, hashed, labels, load_model, sentence_type
from tasks.events import find_triggers, trigger_candidates, typed_triggers
from tasks.schema import EVENT_ONTOLOGY


def test_shipped_model_shape_and_labels_are_ontology_types():
    weights, names = load_model()
    assert weights.shape == (1 << HASH_BITS, len(names))
    assert set(names) <= set(EVENT_ONTOLOGY)
    assert {"agree", "assault", "protest", "arrest", "disaster"} <= set(names)
    assert np.isfinite(weights).all()


def test_features_are_stable_across_processes():
    # crc32, not Python's salted hash(): the same sentence gives the same indices everywhere
    mask = (1 << HASH_BITS) - 1
    assert hashed(["w:protest", "bias"]).tolist() == [
        zlib.crc32(b"w:protest") & mask,
        zlib.crc32(b"bias") & mask,
    ]


def test_featurize_marks_intent_negation_and_first_trigger():
    s = "Rebels said they will release the hostages but did not withdraw from the town."
    trig, verbs = trigger_candidates(s)
    feats = featurize(s, trig, verbs)
    assert "w:rebel" in feats and "b:will_release" in feats
    types = [t[0] for t in trig]
    assert f"f:{types[0]}" in feats
    assert any(f.startswith("i:") for f in feats)  # "will release"
    assert any(f.startswith("n:") for f in feats)  # "did not withdraw"


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        (
            "Thousands of protesters marched through the capital on Sunday demanding the president's resignation.",
            "protest",
        ),
        ("Police arrested three men suspected of smuggling weapons across the border.", "arrest"),
        ("An earthquake of magnitude 6.1 struck the region, killing at least 20 people.", "disaster"),
        ("Warplanes bombed rebel positions near the city, killing 12 fighters.", "assault"),
        ("The two governments signed an agreement to reopen the border crossing.", "agree"),
    ],
)
def test_clear_sentences_get_their_type(sentence, expected):
    trig, verbs = trigger_candidates(sentence)
    assert sentence_type(sentence, trig, verbs)[0] == expected


def test_typed_triggers_keep_one_classifier_type_and_leave_other_types():
    s = "Police arrested two protesters after clashes, and Manchester United beat Chelsea 2-1 on Saturday."
    got = typed_triggers(s)
    known = set(labels())
    assert sum(t[0] in known for t in got) == 1
    assert "sport_result" in {t[0] for t in got}
    # the other types' triggers are find_triggers' own
    assert [t for t in got if t[0] not in known] == [t for t in find_triggers(s) if t[0] not in known]


def test_training_optimiser_reaches_the_minimum_of_a_convex_loss():
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from train.events import lbfgs

    a = np.diag(np.arange(1.0, 21.0))
    b = np.linspace(-1.0, 1.0, 20)

    def f(x):
        return 0.5 * x @ a @ x - b @ x, a @ x - b

    x = lbfgs(f, np.zeros(20), max_iter=200)
    assert np.allclose(x, np.linalg.solve(a, b), atol=1e-5)


@pytest.mark.parametrize(
    ("sentence", "trigger_word", "etype", "expected"),
    [
        # PLOVER's codebook types a trigger by the mood it is told in (CAMEO 03 "express intent to")
        ("German Foreign Minister Oskar Fischer will visit Albania in June.", "visit", "consult", "agree"),
        ("King Hassan said he would be ready to host a meeting.", "host", "consult", "agree"),
        ("Gbagbo announced that he will extend the curfew in Abidjan.", "curfew", "coerce", "threaten"),
        ("Russia said that Sudan must return a helicopter.", "return", "retreat", "request"),
        ("The U.S. said it would not meet the hostage-takers' demands.", "meet", "consult", "reject"),
        # told as done: no codebook type
        ("Fischer visited Albania in June.", "visited", "consult", None),
    ],
)
def test_codebook_type_of_a_trigger_by_its_mood(sentence, trigger_word, etype, expected):
    from tasks.event_classifier import _codebook_type

    start = sentence.index(trigger_word)
    trig = (etype, start, start + len(trigger_word), trigger_word, "")
    assert _codebook_type(sentence, trig) == expected

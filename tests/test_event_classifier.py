"""The sentence event-type classifier (tasks/event_classifier.py) and how the triggers use it."""

from __future__ import annotations

import zlib

import numpy as np
import pytest

from tasks.event_classifier import HASH_BITS, featurize, hashed, labels, load_model, sentence_type
from tasks.events import find_triggers, trigger_candidates, typed_triggers
from tasks.schema import EVENT_ONTOLOGY

PLOVER = frozenset(t for t, (p, _c) in EVENT_ONTOLOGY.items() if p)


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
        # the mood's cue may stand three words before the trigger, hyphenated words counted as one
        ("Gbagbo said he will extend the night-time curfew in Abidjan.", "curfew", "coerce", "threaten"),
        ("NATO said it would tighten the naval blockade of Serbia.", "blockade", "coerce", "threaten"),
        ("Mubarak said the US must be ready to mediate.", "mediate", "consult", "request"),
        # four words between the cue and the trigger: too far to be its mood
        ("Gbagbo will take many other steps and a curfew.", "curfew", "coerce", None),
    ],
)
def test_codebook_type_of_a_trigger_by_its_mood(sentence, trigger_word, etype, expected):
    from tasks.event_classifier import _codebook_type

    start = sentence.index(trigger_word)
    trig = (etype, start, start + len(trigger_word), trigger_word, "")
    assert _codebook_type(sentence, trig) == expected


@pytest.mark.parametrize(
    ("sentence", "etype", "trigger"),
    [
        # an easing verb with a coercive measure as its object is the concession (CAMEO 081-083)
        ("Serbia lifted a night curfew in Montenegro on Sunday.", "concede", "lifted a night curfew"),
        ("Bashir shortened by one hour the nightly curfew.", "concede", "shortened by one hour the nightly curfew"),
        ("The government accepted demands from the rebels.", "concede", "accepted demands"),
        ("The union called off a four-day strike.", "concede", "called off a four-day strike"),
        # an eased blockade, a declared ceasefire, demobilised fighters: military de-escalation (087)
        ("The army lifted a day-old blockade on lorries.", "retreat", "lifted a day-old blockade"),
        ("Hizbollah declared a unilateral ceasefire on Wednesday.", "retreat", "declared a unilateral ceasefire"),
        ("A third of the guerrillas have been demobilized.", "retreat", "demobilized"),
        # stopping aid, talks or a visit is a sanction (CAMEO 16)
        ("Japan said it had halted economic aid to Serbia.", "sanction", "halted economic aid"),
        ("A French minister has cancelled a planned visit to Haiti.", "sanction", "cancelled a planned visit"),
        ("Syrian officers ended mediation efforts between the militias.", "sanction", "ended mediation"),
        # raised alert, reinforced forces: mobilisation (CAMEO 15)
        ("Israeli troops remained on alert in the West Bank.", "mobilize", "remained on alert"),
        ("Israel has strengthened its forces in Lebanon.", "mobilize", "strengthened its forces"),
    ],
)
def test_trigger_patterns_of_yielding_and_sanctions(sentence, etype, trigger):
    assert (etype, trigger) in [(t[0], t[3]) for t in find_triggers(sentence)]


def test_a_refused_concession_is_a_rejection():
    # the mood recodes the trigger: the concession's own bonus does not stand against it
    s = "The Israeli government is refusing to lift the curfew on Palestinians in the West Bank."
    trig, verbs = trigger_candidates(s)
    assert sentence_type(s, trig, verbs)[0] == "reject"
    # "refusing" is a REJECT trigger of its own; without it the mood alone recodes the concession
    trig = [t for t in trig if t[0] != "reject"]
    assert trig[0][0] == "concede"
    assert sentence_type(s, trig, verbs)[0] == "reject"


@pytest.mark.parametrize(
    "sentence",
    [
        # an intended act made conditional is a threat (CAMEO 13 "... unless")
        "The government said it will withdraw its soldiers from the region unless the council renews the mandate.",
        "Oslo said it would cut aid to the province unless the fighting stops.",
        "The union may suspend talks with the ministry if wages are not raised by March.",
        # a trigger that is itself the cue of intent: the announced act, in that mood
        "The ministry plans to impose restrictions on foreign journalists from next month.",
    ],
)
def test_codebook_threats(sentence):
    trig, verbs = trigger_candidates(sentence)
    assert sentence_type(sentence, trig, verbs, PLOVER)[0] == "threaten"


@pytest.mark.parametrize(
    ("sentence", "etype"),
    [
        ("The envoy undertook a mediation mission between the two factions.", "consult"),
        ("The rebels dismissed an appeal by the president to lay down their weapons.", "reject"),
        ("Rome announced a suspension of air links with the island on Monday.", "sanction"),
        ("Farmers blocked the main highway into the capital for six hours.", "protest"),
        ("The navies of the two countries began war games in the Baltic Sea.", "cooperate"),
        ("Police rescued 12 hostages from a farmhouse near the border.", "aid"),
    ],
)
def test_acts_the_codebook_names(sentence, etype):
    assert etype in {t[0] for t in trigger_candidates(sentence)[0]}

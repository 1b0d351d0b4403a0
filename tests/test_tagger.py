"""The entity tagger (tasks/tagger.py) and `find_entities`: tokeniser, decoding, and the committed model
on handwritten sentences of the kinds news text has (no data-set text here)."""

from __future__ import annotations

import io

import numpy as np
import pytest

from tasks import tagger as tg
from tasks.entities import find_entities


def words(text: str) -> list[list[str]]:
    return [[t[2] for t in sent] for sent in tg.tokenise(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Trump’s tariffs", [["Trump", "’s", "tariffs"]]),
        ("They don't know.", [["They", "do", "n't", "know", "."]]),
        (
            "the U.S. and Mr. Smith of Acme Inc. said",
            [["the", "U.S.", "and", "Mr.", "Smith", "of", "Acme", "Inc.", "said"]],
        ),
        ("Jean-Yves Le Gall, O'Brien and AT&T", [["Jean-Yves", "Le", "Gall", ",", "O'Brien", "and", "AT&T"]]),
        ("“We won,” she said (AP).", [["“", "We", "won", ",", "”", "she", "said", "(", "AP", ")", "."]]),
        (
            "Costs rose 3.5% to $1,200 on 1996-08-22.",
            [["Costs", "rose", "3.5", "%", "to", "$", "1,200", "on", "1996-08-22", "."]],
        ),
        ("He left. She stayed.\nNEW LINE", [["He", "left", "."], ["She", "stayed", "."], ["NEW", "LINE"]]),
        ("a 26-year-old", [["a", "26-year-old"]]),
        (
            "Acme Inc. said it bought Beta Corp.",
            [["Acme", "Inc.", "said", "it", "bought", "Beta", "Corp", "."]],
        ),
        ("in Tampa, Fla., and ST. LOUIS", [["in", "Tampa", ",", "Fla.", ",", "and", "ST.", "LOUIS"]]),
    ],
)
def test_tokenise_splits_like_conll(text, expected):
    assert words(text) == expected


def test_token_offsets_point_into_the_text():
    text = "Ursula von der Leyen’s plan\r\n  reached Brussels… “Yes”, said Nguyễn Xuân Phúc."
    for sent in tg.tokenise(text):
        for start, end, tok in sent:
            assert text[start:end] == tok and tok.strip() == tok


def test_spans_from_tags_iob2_and_stray_inside():
    assert tg.spans_from_tags(["B-PER", "I-PER", "O", "B-LOC", "B-LOC", "I-ORG", "O"]) == [
        (0, 2, "PER"),
        (3, 4, "LOC"),
        (4, 5, "LOC"),
        (5, 6, "ORG"),
    ]
    assert tg.spans_from_tags(["O", "O"]) == []


def test_merge_particles_joins_persons_across_lowercase_particles_only():
    ws = ["Ursula", "von", "der", "Leyen", "met", "Le", "Gall"]
    assert tg.merge_particles([(0, 1, "PER"), (3, 4, "PER")], ws) == [(0, 4, "PER")]
    assert tg.merge_particles([(0, 1, "PER"), (5, 7, "PER")], ws) == [(0, 1, "PER"), (5, 7, "PER")]
    assert tg.merge_particles([(0, 1, "ORG"), (3, 4, "PER")], ws) == [(0, 1, "ORG"), (3, 4, "PER")]


def test_tidy_spans_drops_titles_before_persons():
    ws = ["Mr.", "Tusk", "met", "President", "Lech", "Kaczynski", "and", "Dr", "."]
    spans = [(0, 2, "PER"), (3, 6, "PER"), (7, 8, "PER")]
    assert tg.tidy_spans(spans, ws) == [(1, 2, "PER"), (4, 6, "PER")]
    assert tg.tidy_spans([(3, 4, "ORG")], ws) == [(3, 4, "ORG")]


def test_caps_mode_for_capitals_and_title_case_headlines():
    lex = {"says": 0, "will": 0, "rise": 0, "on": 0, "tariffs": 0, "smith": 2}
    assert tg.is_caps_sentence(["TRUMP", "SAYS", "TARIFFS", "WILL", "RISE"], lex)
    assert tg.is_caps_sentence(["Trump", "Says", "Tariffs", "Will", "Rise"], lex)
    assert not tg.is_caps_sentence(["Trump", "says", "tariffs", "will", "rise"], lex)
    assert not tg.is_caps_sentence(["Manchester", "United", "2", "Smith", "1"], lex)


def test_decoding_matches_a_brute_force_search():
    """Our Viterbi over cached type scores finds the best-scoring label sequence (tiny random model)."""
    rng = np.random.default_rng(7)
    labels = ["O", "B-PER", "I-PER"]
    lex: dict[str, int] = {}
    keys = ["Ann", "met", "Bo"]
    attrs = sorted(
        {a for k in [tg.BOS, tg.EOS, *keys] for f in tg.type_features(k, lex).values() for a in f} | {"bias"}
    )
    state = rng.normal(size=(len(attrs), 3)).astype(np.float32)
    trans = rng.normal(size=(3, 3)).astype(np.float32)
    model = tg.Tagger(labels, {a: i for i, a in enumerate(attrs)}, state, trans, lex)
    attr_i = {a: i for i, a in enumerate(attrs)}
    em = np.array(
        [
            [state[[attr_i[a] for a in toks]].sum(axis=0)[y] for y in range(3)]
            for toks in tg.token_attributes(keys, lambda k: tg.type_features(k, lex))
        ]
    )
    best = max(
        ((a, b, c) for a in range(3) for b in range(3) for c in range(3)),
        key=lambda p: em[0, p[0]] + em[1, p[1]] + em[2, p[2]] + trans[p[0], p[1]] + trans[p[1], p[2]],
    )
    assert model.tag_keys([keys, keys[:1]]) == [[labels[y] for y in best], [labels[int(em[0].argmax())]]]


def test_model_round_trips_through_its_file():
    model = tg.load_tagger()
    buf = io.BytesIO()
    attrs = sorted(model.attr_index, key=model.attr_index.get)
    tg.save_model(
        buf,
        model.labels,
        attrs,
        model.state,
        model.trans,
        model.lexicon,
        {"test": True},
        model.names,
        model.places,
    )
    buf.seek(0)
    again = tg.read_model(buf)
    assert again.names == model.names and again.places == model.places and again.places
    text = "Angela Merkel met Emmanuel Macron in Berlin."
    assert again.tag(text) == model.tag(text)


def ents(text: str) -> set[tuple[str, str]]:
    return {(text[s:e], label) for s, e, label in find_entities(text)}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Angela Merkel met Emmanuel Macron in Berlin on Tuesday.",
            {("Angela Merkel", "person"), ("Emmanuel Macron", "person"), ("Berlin", "location")},
        ),
        (
            "Donald Trump’s tariffs worried investors in China.",
            {("Donald Trump", "person"), ("China", "location")},
        ),
        (
            "Shares of Microsoft rose after the company's results, Reuters reported.",
            {("Microsoft", "organisation"), ("Reuters", "organisation")},
        ),
        (
            "European Commission President Ursula von der Leyen spoke in Strasbourg.",
            {
                ("European Commission", "organisation"),
                ("Ursula von der Leyen", "person"),
                ("Strasbourg", "location"),
            },
        ),
        (
            "The CNES head, Jean-Yves Le Gall, said the launch from Kourou would go ahead.",
            {("CNES", "organisation"), ("Jean-Yves Le Gall", "person"), ("Kourou", "location")},
        ),
        (
            "“We will win,” said Nguyễn Xuân Phúc, the prime minister of Vietnam.",
            {("Nguyễn Xuân Phúc", "person")},
        ),
    ],
)
def test_find_entities_on_hard_cases(text, expected):
    assert expected <= ents(text)


def test_headlines_in_capitals_and_title_case():
    assert ents("Volkswagen Says Profit Fell in Germany") == {
        ("Volkswagen", "organisation"),
        ("Germany", "location"),
    }
    assert ents("TOYOTA TO RECALL 1,000 CARS IN JAPAN") == {("TOYOTA", "organisation"), ("JAPAN", "location")}
    assert ("JAPAN", "location") in ents("SOCCER - JAPAN BEAT SYRIA IN ASIAN CUP")


def test_find_entities_spans_are_ordered_disjoint_and_trimmed():
    text = "  Boris Johnson flew to Washington.\n\nThe White House said Joe Biden would meet him.\n"
    spans = find_entities(text)
    assert spans, "no entity found"
    last = 0
    for start, end, label in spans:
        assert last <= start < end <= len(text)
        assert text[start:end] == text[start:end].strip()
        assert label in (tg.PERSON, tg.ORGANISATION, tg.LOCATION, tg.MISC)
        last = end
    assert find_entities("") == [] and find_entities("   \n ") == []


def test_document_attributes_carry_body_evidence_to_a_caps_headline():
    sents = [
        ["PRESIDENT", "TRUMP", "VISITS", "OHIO"],
        ["Later", ",", "President", "Trump", "said", "the", "visit", "went", "well", "."],
    ]
    attrs = tg.document_attributes(sents, [True, False])
    assert attrs[0][1] == ("D:cm", "D:n=said", "D:p=president", "D:rl")
    assert attrs[0][3] == ()  # "OHIO": nothing else in the document says anything about it
    assert attrs[1][5] == ()  # lower-case words get no document attributes
    assert "D:lo" in tg.document_attributes([["Visit", "now"], ["the", "visit", "."]], [False, False])[0][0]


def test_place_gazetteer_attributes_reach_the_tagger():
    model = tg.load_tagger()
    assert model.places.get(("kyiv",)) == "LOC" and model.places.get(("abu", "dhabi")) == "LOC"
    sents = [["Talks", "in", "Abu", "Dhabi", "and", "kyiv"]]  # lower case starts no name
    extras = tg.token_extras(model.names, model._longest, sents, [False], model.places, model._places_longest)
    assert "P:B-LOC" in extras[0][2] and "P:I-LOC" in extras[0][3] and "P:B-LOC" not in extras[0][5]
    assert "P:B-LOC" in model.attr_index  # the model learned a weight for it


def test_name_attributes_mark_the_longest_known_name():
    names = {("new", "york"): "LOC", ("new", "york", "times"): "ORG", ("york",): "LOC"}
    sents = [["The", "New", "York", "Times", "said", "new", "york", "was", "calm", "."], ["NEW", "YORK"]]
    got = tg.name_attributes(sents, [False, True], names.get, tg.longest_names(names))
    assert got[0][:4] == [(), ("G:B-ORG",), ("G:I-ORG",), ("G:I-ORG",)]
    assert got[0][5:7] == [(), ()]  # lower-case words do not start a name
    assert got[1] == [("G:B-LOC",), ("G:I-LOC",)]


def test_long_texts_are_cut_and_decoded_in_bounded_batches():
    run_on = " ".join(["word"] * 400)
    assert [len(s) for s in tg.tokenise(run_on)] == [150, 150, 100]
    text = "Nothing happened here today.\n" * 300 + "Angela Merkel visited Berlin."
    spans = find_entities(text)
    assert {(text[s:e], label) for s, e, label in spans} == {
        ("Angela Merkel", "person"),
        ("Berlin", "location"),
    }


def test_threads_sharing_one_tagger_get_the_same_spans():
    from concurrent.futures import ThreadPoolExecutor

    texts = [f"Angela Merkel met Word{i}son in Berlin{i}. Reuters{i} said." for i in range(300)]
    fresh = tg.read_model(tg.resources.files("tasks").joinpath(tg.MODEL_FILE).open("rb"))
    expected = [fresh.tag(t) for t in texts]
    shared = tg.read_model(tg.resources.files("tasks").joinpath(tg.MODEL_FILE).open("rb"))
    with ThreadPoolExecutor(4) as pool:
        assert list(pool.map(shared.tag, texts)) == expected


@pytest.mark.parametrize("caps", [False, True])
def test_split_type_features_are_exactly_the_training_features(caps):
    """The fast scoring path (shared part cached, own part looked up) sees the attributes training saw."""
    from collections import Counter

    lex = {"the": 0, "paris": 2, "may": 1, "jean-yves": 2}
    for w in [
        "the",
        "Paris",
        "PARIS",
        "May",
        "Jean-Yves",
        "1,200",
        "U.S.",
        "’s",
        "x",
        "Nguyễn",
        "26-year-old",
        "AT&T",
    ]:
        key = tg.word_key(w, caps)
        shared, own, low = tg.split_type_features(key, lex)
        got = tg.shared_type_features(shared)
        for o, attrs in tg.own_type_features(own, low).items():
            got[o] = got.get(o, []) + attrs
        want = tg.type_features(key, lex)
        assert {o: Counter(a) for o, a in got.items() if a} == {
            o: Counter(a) for o, a in want.items() if a
        }, w
    for pad in (tg.BOS, tg.EOS):
        shared, own, low = tg.split_type_features(pad, lex)
        assert (own, low) == ([], "") and tg.shared_type_features(shared) == tg.type_features(pad, lex)


def test_cached_type_scores_equal_the_sum_of_attribute_weights():
    model = tg.load_tagger()
    keys = ["Kourou", "\x01KOUROU", "said", "1996-08-22", tg.BOS]
    got = model._type_scores(keys)
    for k, key in enumerate(keys):
        for j, o in enumerate(tg.OFFSETS):
            rows = [
                model.attr_index[a]
                for a in tg.type_features(key, model.lexicon).get(o, ())
                if a in model.attr_index
            ]
            assert np.allclose(got[k, j], model.state[rows].sum(axis=0), atol=1e-5), (key, o)


def test_tagging_some_sentences_equals_tagging_the_document():
    """`within` decodes only some sentences, with the whole document's attributes: same spans."""
    from tasks.entities import tag_sentences
    from tasks.records import split_sentences

    text = (
        "GALL TO LEAD CNES\n\nJean-Yves Le Gall will lead the agency, officials said in Paris. "
        "Le Gall replaces Yannick d'Escatha. Shares of Airbus rose in Toulouse."
    )
    whole = find_entities(text)
    spans = split_sentences(text)
    per = tag_sentences(text, [spans[0], spans[2]])
    want0 = [
        (s - spans[0][0], e - spans[0][0], lab)
        for s, e, lab in whole
        if spans[0][0] <= s and e <= spans[0][1]
    ]
    want2 = [
        (s - spans[2][0], e - spans[2][0], lab)
        for s, e, lab in whole
        if spans[2][0] <= s and e <= spans[2][1]
    ]
    assert per == [want0, want2] and want0 and want2
    # the same extents; labels may differ where `consistent_labels` needs an undecoded sentence:
    # the headline's lone "GALL" makes the whole document's "Jean-Yves Le Gall" a person
    assert [x[:2] for x in tg.tag(text, [(spans[1][0], spans[1][1])])] == [
        x[:2] for x in whole if spans[1][0] <= x[0] < spans[1][1]
    ]
    assert tag_sentences(text, []) == []


def test_sentence_spans_keep_initials_in_brackets_and_dotted_acronyms():
    from tasks.records import split_sentences

    text = "Somerset 83 (P. Simmons 4-38). The U.N. Security Council met. He left."
    assert [text[s:e] for s, e in split_sentences(text)] == [
        "Somerset 83 (P. Simmons 4-38).",
        "The U.N. Security Council met.",
        "He left.",
    ]


@pytest.mark.parametrize(
    ("text", "expected", "absent"),
    [
        # titles become no part of the name, and a title alone is no person
        (
            "Palestinian President Mahmoud Abbas met Israeli Prime Minister Ehud Olmert in Jerusalem.",
            {("Mahmoud Abbas", "person"), ("Ehud Olmert", "person"), ("Jerusalem", "location")},
            {"Palestinian President Mahmoud Abbas", "Prime Minister Ehud Olmert"},
        ),
        ("The Palestinian President said talks would resume.", set(), {"Palestinian President", "President"}),
        (
            "In 1995, French Elle editor Bauby suffered a stroke.",
            {("Bauby", "person")},
            {"French Elle editor Bauby"},
        ),
        ("MLA John Rustad said the province would appeal.", {("John Rustad", "person")}, {"MLA John Rustad"}),
        (
            "CNSA Administrator Zhang Kejian and Roscosmos head Dmitry Rogozin signed the agreement.",
            {("CNSA", "organisation"), ("Zhang Kejian", "person"), ("Dmitry Rogozin", "person")},
            {"CNSA Administrator Zhang Kejian"},
        ),
        (
            "Senator Elizabeth Warren criticised Goldman Sachs on Tuesday.",
            {("Elizabeth Warren", "person")},
            set(),
        ),
        (
            "The ceremony was attended by King Charles and Queen Camilla at Westminster Abbey.",
            {("Charles", "person"), ("Camilla", "person")},
            {"King Charles", "Queen Camilla"},
        ),
        # possessives
        (
            "Trump’s lawyers said Mr. Trump's taxes were private.",
            {("Trump", "person")},
            {"Trump’s", "Trump's", "Mr. Trump"},
        ),
        ("Pete Sampras’ record of 14 grand slams stands.", {("Pete Sampras", "person")}, {"Pete Sampras’"}),
        # particles and non-English names
        (
            "Luiz Inácio Lula da Silva won the election in Brazil, beating Jair Bolsonaro.",
            {("Luiz Inácio Lula da Silva", "person"), ("Brazil", "location"), ("Jair Bolsonaro", "person")},
            {"Silva"},
        ),
        (
            "Sheikh Mohammed bin Rashid Al Maktoum opened the show.",
            {("Mohammed bin Rashid Al Maktoum", "person")},
            set(),
        ),
        (
            "“I will not resign,” Søren Kierkegaard told the Danish newspaper Politiken in Copenhagen.",
            {("Søren Kierkegaard", "person"), ("Politiken", "organisation"), ("Copenhagen", "location")},
            set(),
        ),
        (
            "Jürgen Klopp and Zlatan Ibrahimović met.",
            {("Jürgen Klopp", "person"), ("Zlatan Ibrahimović", "person")},
            set(),
        ),
        # a surname alone, after the full name, is the same person
        (
            "Sonia Gandhi spoke. Later Gandhi was taken to hospital.",
            {("Gandhi", "person"), ("Sonia Gandhi", "person")},
            set(),
        ),
    ],
)
def test_real_news_hard_cases(text, expected, absent):
    got = ents(text)
    assert expected <= got
    assert not {s for s, _ in got} & absent


def test_title_case_headline_without_two_common_words_is_read_in_caps_mode():
    lex = {"wins": 0, "as": 0}
    assert tg.is_caps_sentence("Obama Wins Iowa Caucus as Clinton Trails".split(), lex)
    assert not tg.is_caps_sentence("Obama wins Iowa caucus as Clinton trails".split(), lex)
    # result lines are not headlines
    assert not tg.is_caps_sentence("Surrey 468 ( Lewis 94 , Butcher 70 , Kersey Wins )".split(), lex)


def test_office_titles_split_organisation_spans_but_not_names_holding_them():
    ws = [
        "B.C.",
        "Premier",
        "David",
        "Eby",
        "and",
        "MLA",
        "John",
        "Rustad",
        "at",
        "Prince",
        "Edward",
        "Island",
    ]
    assert tg.tidy_spans([(0, 4, "ORG"), (5, 8, "ORG"), (9, 12, "LOC")], ws) == [
        (0, 1, "ORG"),
        (2, 4, "PER"),
        (6, 8, "PER"),
        (9, 12, "LOC"),
    ]
    ws = ["Governor", "Phillip", "Tower", "and", "President", "Smith", "said"]
    assert tg.tidy_spans([(0, 3, "LOC"), (4, 6, "PER")], ws) == [(0, 3, "LOC"), (5, 6, "PER")]
    # a lone "King" is a surname; a lone "President" is no one
    assert tg.tidy_spans([(0, 1, "PER")], ["King", "said"]) == [(0, 1, "PER")]
    assert tg.tidy_spans([(1, 2, "PER")], ["The", "President", "said"]) == []


def test_company_words_end_organisations():
    ws = ["Juniper", "Networks", "and", "Acme", "Holdings", "in", "West", "Bank"]
    assert tg.tidy_spans([(0, 2, "PER"), (3, 5, "LOC"), (6, 8, "LOC")], ws) == [
        (0, 2, "ORG"),
        (3, 5, "ORG"),
        (6, 8, "LOC"),
    ]


def test_head_words_say_what_a_name_is():
    ws = ["Business", "Wire", "Jim", "Archdekin", "Recreation", "Centre", "Mary", "Hitchcock", "Hospital"]
    assert tg.tidy_spans([(0, 2, "LOC"), (2, 6, "PER"), (6, 9, "PER")], ws) == [
        (0, 2, "ORG"),
        (2, 6, "LOC"),
        (6, 9, "ORG"),
    ]


def test_consistent_labels_make_a_lone_surname_the_person():
    text = "Sonia Gandhi left. Gandhi Ltd rose. Gandhi said."
    spans = [(0, 12, "person"), (19, 29, "organisation"), (36, 42, "organisation")]
    assert tg.consistent_labels(text, spans) == [
        (0, 12, "person"),
        (19, 29, "organisation"),
        (36, 42, "person"),
    ]
    # "Lebed Chechnya" (a surname and a place run together) teaches nothing: "Lebed" is a person alone
    text = "Lebed Chechnya said. Lebed left Chechnya."
    spans = [(0, 14, "person"), (21, 26, "person"), (32, 40, "location")]
    assert tg.consistent_labels(text, spans) == spans


def test_span_margin_is_the_score_gap_to_the_best_relabelling_of_the_span():
    """`span_margin` = score(decoded path) - the best score of the same path with the span's tokens
    all O or another type (checked by scoring every relabelling by hand, random model)."""
    rng = np.random.default_rng(11)
    labels = ["O", "B-LOC", "I-LOC", "B-PER", "I-PER"]
    trans = rng.normal(size=(5, 5)).astype(np.float32)
    model = tg.Tagger(labels, {"bias": 0}, np.zeros((1, 5), np.float32), trans, {})
    em = rng.normal(size=(4, 5)).astype(np.float32)
    path = [0, 3, 4, 0]  # "x B-PER I-PER x"

    def total(p: list[int]) -> float:
        return float(sum(em[t, y] for t, y in enumerate(p)) + sum(trans[p[t - 1], p[t]] for t in range(1, len(p))))

    alternatives = [[0, 0, 0, 0], [0, 1, 2, 0]]
    expected = total(path) - max(map(total, alternatives))
    assert model.span_margin(em, path, 1, 3) == pytest.approx(expected, abs=1e-4)


def test_margins_are_reported_for_decoded_spans_without_changing_them():
    text = "Sam Mitchell, the coach of the Toronto Raptors, said on Sunday that the team played well in Leeds."
    margins: dict = {}
    model = tg.load_tagger()
    spans = model.tag(text, margins=margins)
    assert spans == model.tag(text)
    assert margins and set(margins) <= {(s, e) for s, e, _ in spans}
    assert all(m >= -1e-4 for _label, m in margins.values())  # the decoded path is the best one
    assert margins[(0, 12)][0] == tg.PERSON and margins[(0, 12)][1] > 5  # a sure full name

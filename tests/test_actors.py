"""Actor coding (kind, country, sector, aliases) and event modes: the hard cases of issues 15 and 16."""

from datetime import date

import pytest

from tasks.entities import entity_rows, find_actors, learn_document, load_gazetteer
from tasks.events import event_mode, extract_mentions, find_triggers


def _actors(text: str) -> dict[str, tuple]:
    gaz = load_gazetteer()
    ctx = learn_document(text, gaz)
    return {a.name: (a.kind, a.country, a.sector) for a in find_actors(text, gaz, ctx)}


@pytest.mark.parametrize(
    ("text", "name", "expected"),
    [
        ("Israeli soldiers arrested more than 100 Palestinians on Saturday.", "Israeli soldiers", ("group", "ISR", "military")),
        ("Israeli soldiers arrested more than 100 Palestinians on Saturday.", "Palestinians", ("group", "PSE", "civilian")),
        ("Sudan's government on Sunday lifted a state of emergency.", "Sudan's government", ("group", "SDN", "government")),
        ("French President Emmanuel Macron arrived in Beijing.", "Emmanuel Macron", ("person", "FRA", "government")),
        ("French President Emmanuel Macron arrived in Beijing.", "Beijing", ("location", "CHN", None)),
        ("Police arrested three protesters in London.", "police", ("group", None, "police")),
        ("The talks in Washington involved the U.S. and Britain.", "United States", ("country", "USA", None)),
        ("The talks in Washington involved the U.S. and Britain.", "United Kingdom", ("country", "GBR", None)),
        ("The United Nations called for calm.", "United Nations", ("organisation", None, "igo")),
    ],
)
def test_actor_kind_country_sector(text, name, expected):
    got = _actors(text)
    assert got.get(name) == expected, got


def test_lower_case_words_are_not_countries():
    assert not any(k == "country" for k, _c, _s in _actors("They ate turkey in a chad of paper.").values())


def test_acronym_and_surname_aliases_from_the_document():
    text = "The Kenya Marine Research Institute (KMRI) and ESA Director General Josef Aschbacher met. Aschbacher said KMRI agreed."
    gaz = load_gazetteer()
    ctx = learn_document(text, gaz)
    later = {a.name: a for a in find_actors("Aschbacher said KMRI agreed.", gaz, ctx)}
    assert "Josef Aschbacher" in later and "Aschbacher" in later["Josef Aschbacher"].aliases
    assert later["Josef Aschbacher"].role == "ESA Director General" and later["Josef Aschbacher"].sector == "government"
    assert "KMRI" in later and "Kenya Marine Research Institute" in later["KMRI"].aliases
    assert later["KMRI"].country == "KEN"


def test_entity_rows_keep_kind_country_sector_aliases():
    actors = [{"name": "Emmanuel Macron", "kind": "person", "country": "FRA", "sector": "government", "aliases": ["Macron"]}]
    [row] = entity_rows([("e1", actors, ["d1"]), ("e2", actors, ["d2"])], {"e1": 2}, "r")
    assert (row["kind"], row["country"], row["sector"], row["aliases"]) == ("person", "FRA", "government", ["Macron"])
    assert row["n_mentions"] == 3 and row["n_documents"] == 2


@pytest.mark.parametrize(
    ("sentence", "mode"),
    [
        ("The two leaders met in Paris on Monday.", "actual"),
        ("The two leaders will meet in Paris next week.", "planned"),
        ("The two leaders did not meet in Paris on Monday.", "negated"),
        ("The two leaders could meet in Paris on Monday if talks go well.", "hypothetical"),
        ("Officials said the two leaders met in Paris on Monday.", "reported"),
    ],
)
def test_event_modes(sentence, mode):
    [(etype, tstart, _e, _t, _c)] = [t for t in find_triggers(sentence) if t[0] == "consult"]
    assert event_mode(sentence, tstart, False) == mode


@pytest.mark.parametrize(
    ("sentence", "etype"),
    [
        ("A tram derailed in Croydon on Wednesday, killing seven.", "accident"),
        ("Police launched an investigation on Monday.", "accuse"),
        ("Apple unveiled its new iPhone on Tuesday.", "product_release"),
        ("Arsenal beat Chelsea 2-1 on Sunday.", "sport_result"),
        ("The chief executive resigned on Friday.", "resignation"),
        ("Police arrested a 23-year-old man on Thursday.", "arrest"),
        ("An earthquake struck central Italy on Wednesday.", "disaster"),
    ],
)
def test_news_types(sentence, etype):
    assert etype in {t[0] for t in find_triggers(sentence)}


def test_no_actual_event_after_publication_and_lede_events_get_the_publication_date():
    text = "Tram crash kills seven in Croydon\n\nA tram derailed in Glasgow, police said.\n\nThe two mayors will meet on 3 December 2016."
    ms = extract_mentions("d", text, date(2016, 11, 10), True)
    assert any(m.event_type == "accident" and m.date_value == "2016-11-10" and m.date_text == "" for m in ms)
    assert all(m.mode == "planned" for m in ms if date.fromisoformat(m.date_value[:10]) > date(2016, 11, 10))
    assert sum(m.is_main for m in ms) == 1
    crash = next(m for m in ms if m.trigger == "derailed")
    assert crash.location == "Glasgow" and crash.location_country == "GBR"


def test_a_written_out_given_name_keeps_its_own_person_not_a_namesake_of_the_document():
    # issue 16.2: the text names "President Bill Clinton", so its surname reference "Clinton" is he;
    # "Hillary Clinton" (or "Hillary Rodham Clinton") is another person of that surname
    text = (
        "Former President Bill Clinton campaigned in Iowa.\n"
        "Barack Obama's surprise win over Hillary Clinton in the Iowa caucuses stunned the party.\n"
        "Obama thanked Hillary Rodham Clinton.\n"
        "Clinton said the race was not over."
    )
    gaz = load_gazetteer()
    ctx = learn_document(text, gaz)
    lines = text.split("\n")
    names = [{a.name for a in find_actors(s, gaz, ctx) if a.kind == "person"} for s in lines]
    assert "Bill Clinton" in names[0]
    assert "Bill Clinton" not in names[1] and any(n.startswith("Hillary") for n in names[1])
    assert "Bill Clinton" not in names[2]
    assert names[3] == {"Bill Clinton"}  # a surname alone: the person the document named in full

"""Entity recognition and actor coding: who is named in a text, and the actor index.

In:  clean text (a sentence, or a whole document to learn its names from).
Out: `Actor`s found in a sentence: canonical name, kind (`schema.ACTOR_KINDS`), role (title),
     country (ISO 3166 alpha-3) and sector (`schema.ACTOR_SECTORS`), and the aliases the document
     uses for them. Sources, first match wins where they overlap: the document's own names (titled
     persons, acronyms it defines: `learn_document`), the space gazetteer (a small extra list),
     the PETRARCH2 actor dictionary (countries, demonyms, places, institutions, office-holders,
     IGOs/NGOs, armed groups, agents such as "police"; `tasks/data/petrarch2/`), then the spans of
     `find_entities`. A country or demonym before an agent codes the agent ("Israeli soldiers":
     group, ISR, military). The `entities` table rows are rebuilt from the events' actors
     (`entity_rows`).
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from importlib import resources

from tasks import tagger


def find_entities(text: str) -> list[tuple[int, int, str]]:
    """Named entities of raw text: (start, end, label), character offsets (end exclusive), in text
    order, not overlapping; labels `person`, `organisation`, `location` and `misc` (nationalities,
    events, products...). The trained tagger of `tasks/tagger.py`; give it a whole document: what the
    rest of the text says about a word (a headline's "TRUMP", the body's "President Trump") is used."""
    return document_evidence(text, tagger.tag(text))


def document_evidence(text: str, spans: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """The tagger's spans relabelled by what the whole document says about them: `team_names` (the
    one extent it changes), `organisation_evidence`, `given_name_evidence`, `venue_labels`."""
    spans = organisation_evidence(text, team_names(text, weekday_trimmed(text, spans)))
    spans = acronym_labels(text, venue_labels(text, given_name_evidence(text, apposition_evidence(text, spans))))
    spans = caps_split(text, lower_word_cut(text, spans))
    return work_labels(text, storm_labels(text, determiner_labels(text, initial_labels(text, spans))))


# lower-case nouns of works, shows and animals written right before a name ("the film Juno", "the
# show Sunrise", "polar bear Knut"), and of products and events right after one: after a possessive
# ("the OLPC's XO laptop", "Microsoft's Zune player") or after "the" ("the Macworld conference", "the
# CES trade show"); the name is a thing, no actor
_WORK_BEFORE = re.compile(
    r"(?:(?:\b(?:the|a|an|his|her|its|their)|['’]s)[^\S\n]+(?:(?:hit|new|latest|breakfast|morning|animated|comedy|debut|TV|television|reality|popular|upcoming|documentary)[^\S\n]+)?"
    r"(?:film|movie|show|series|sitcom|album|song|novel|book|musical|opera)"
    r"|\b(?:polar bear|bear cub|panda|gorilla|elephant|penguin|chimpanzee|orangutan|walrus))[^\S\n]+[\"“‘']?$"
)
_ANIMALS = r"(?:bear|cub|panda|gorilla|elephant|penguin|chimpanzee|orangutan|walrus)"
# "Knut the polar bear", "Knut, Berlin's polar bear cub"
_ANIMAL_AFTER = re.compile(
    rf",?[^\S\n]+(?:(?:the|a|an|its|[A-Z][\w-]*['’]s)[^\S\n]+)?(?:(?:famous|baby|young|orphaned|polar|giant)[^\S\n]+)*{_ANIMALS}\b"
)
_PRODUCT_AFTER = re.compile(
    r"[^\S\n]+(?:laptops?|phones?|handsets?|smartphones?|consoles?|media players?|tablets?|browser|software|operating system|chips?|processors?)\b"
)
_EVENT_AFTER = re.compile(r"[^\S\n]+(?:conference|expo|exposition|convention|trade show|keynote)\b")
# "Macworld San Francisco -- the trade show where ...", "CES, the annual electronics show"
_EVENT_APPOSITION = re.compile(
    r"[^\S\n]*(?:,|--|–|—)[^\S\n]*the[^\S\n]+(?:(?:annual|biggest|largest|yearly|giant|[a-z]+-industry|electronics|technology|consumer electronics)[^\S\n]+)*(?:trade show|conference|expo|exposition|convention|trade fair)\b"
)
# an award or a thing after an indefinite article before punctuation or a preposition ("winning an
# OBE, while", "gets an OBE for his charitable work"; not "a Microsoft spokesman")
_INDEFINITE_BEFORE = re.compile(r"(?:^|[^\w-])an? $")
_AFTER_THING = re.compile(r"(?:[^\S\n]*[,.;:!?)]|[^\S\n]+(?:for|from|and|or|in|at|on|with|to)\b)")


def _all_quoted(text: str, surface: str) -> bool:
    """Every occurrence of `surface` in `text` is a whole quotation ('"Peace Mom" Cindy Sheehan',
    'for "La Vie En Rose"'): a title or a nickname, no name."""
    i, n = text.find(surface), 0
    while i != -1:
        j = i + len(surface)
        if not (i and text[i - 1] in "\"“") or not re.match(r"[.,!?]?[\"”]", text[j : j + 2]):
            return False
        n += 1
        i = text.find(surface, j)
    return n > 0


def work_labels(text: str, spans: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """A span tagged a person, organisation or place (1-3 words) that the document writes as a work,
    a show, an animal, a product or an event (`_WORK_BEFORE`, `_ANIMAL_AFTER`, `_PRODUCT_AFTER` after
    a possessive, `_EVENT_AFTER` after "the"; known places left alone: "the Bali conference")
    becomes `misc`, every span of that surface."""
    t = tagger.load_tagger()
    thing: dict[str, bool] = {}
    for s, e, label in spans:
        surface = text[s:e]
        if label not in (tagger.PERSON, tagger.ORGANISATION, tagger.LOCATION) or surface in thing or len(surface.split()) > 3:
            continue
        thing[surface] = False
        key = tuple(tagger.norm_word(w) for w in surface.split())
        place = label == tagger.LOCATION or key in t.places or t.names.get(key) == "LOC"
        # (an institution's own meeting is no event name: "the Conservative Party conference")
        event_ok = not place and not _has_org_head(surface) and not surface.endswith(("Party", "Parties"))
        for i in _finds(text, surface):
            j = i + len(surface)
            if not (i and _is_name_char(text[i - 1])) and not _is_name_char(text[j : j + 1] or " "):
                before = text[max(0, i - 60) : i]
                if (
                    _WORK_BEFORE.search(before)
                    or _ANIMAL_AFTER.match(text, j)
                    or (not place and text[max(0, i - 3) : i] in ("'s ", "’s ") and _PRODUCT_AFTER.match(text, j))
                    or (event_ok and text[max(0, i - 4) : i] in ("the ", "The ") and _EVENT_AFTER.match(text, j))
                    or (event_ok and _EVENT_APPOSITION.match(text, j))
                    # (a word the tagger's training names know is left: CoNLL++ writes "an Oscar" a person)
                    or (" " not in surface and not place and key not in t.names and _INDEFINITE_BEFORE.search(before) and _AFTER_THING.match(text, j))
                ):
                    thing[surface] = True
                    break
        if not thing[surface] and label != tagger.PERSON and _all_quoted(text, surface):
            thing[surface] = True
    if not any(thing.values()):
        return spans
    return [(s, e, tagger.MISC if thing.get(text[s:e]) and label != tagger.MISC else label) for s, e, label in spans]


def _caps_word(word: str) -> bool:
    return word.isupper() and sum(c.isalpha() for c in word) >= 2


_MONTH_NAMES = frozenset("january february march april may june july august september october november december".split())


def caps_split(text: str, spans: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """A span of a mixed-case line whose words switch between capitals and mixed case is a byline
    or a dateline glued to a name: one span per run ("By CP TORONTO --": CP, and TORONTO, a place
    the lists know; "By LESLIE BREFELD Summit Daily News January 17": the writer (a person, after
    "By") and the paper, its month cut off; "Tacoma News Tribune ELAINE THOMPSON ...": a photo
    credit, a person between names); an all-caps span ending in a place the lists know, not
    known as a whole, is a name and a caps dateline ("CP TORONTO"). A time's "PM" ("10:23 PM
    TORONTO") is dropped. Lines in capitals or Title Case are left alone."""
    t = tagger.load_tagger()
    out: list[tuple[int, int, str]] = []
    for s, e, label in spans:
        plain = text[s:e].split()
        if label == tagger.MISC or len(plain) < 2 or not any(map(_caps_word, plain)):
            out.append((s, e, label))
            continue
        words = list(re.finditer(r"\S+", text[s:e]))
        caps = [_caps_word(w.group()) for w in words]
        all_caps = all(caps)
        if all_caps:
            # "CP TORONTO": a caps name and a caps dateline's place (the lists know the place, not the whole)
            whole = tuple(tagger.norm_word(w.group()) for w in words)
            if (tagger.norm_word(words[-1].group()),) not in t.places or whole in t.places or whole in t.names:
                out.append((s, e, label))
                continue
            caps[-1] = False  # the place is a run of its own
        elif not any(caps[k] and caps[k + 1] for k in range(len(caps) - 1)):
            out.append((s, e, label))  # one caps word in a name: "US Army", "BBC News", "UN Security Council"
            continue
        byline = text[max(0, s - 3) : s] in ("By ", "by ")
        if caps[0] and not byline and not all_caps:
            out.append((s, e, label))  # a brand in capitals opening a name: "NAMCO BANDAI Games America Inc"
            continue
        a, b = text.rfind("\n", 0, s) + 1, text.find("\n", e)
        if tagger.is_caps_sentence(text[a : b if b != -1 else len(text)].split(), t.lexicon):
            out.append((s, e, label))
            continue
        start = 0
        for k in range(1, len(words) + 1):
            if k < len(words) and caps[k] == caps[k - 1]:
                continue
            run = words[start:k]
            if not caps[start] and len(run) >= 2 and run[-1].group().lower() in _MONTH_NAMES:
                run = run[:-1]  # "Summit Daily News January 17"
            key = tuple(tagger.norm_word(w.group()) for w in run)
            rs, re_ = s + run[0].start(), s + run[-1].end()
            if key in t.places:
                out.append((rs, re_, tagger.LOCATION))
            elif len(run) == 1 and len(run[0].group()) <= 2 and re.search(r"\d\s*$", text[max(0, rs - 4) : rs]):
                pass  # "10:23 PM": a time's
            elif caps[start] and 2 <= len(run) <= 3 and (byline or start > 0):
                out.append((rs, re_, tagger.PERSON))  # a byline's writer, a photo credit between names
            else:
                out.append((rs, re_, label))
            start = k
    return out


_STORM_NAMED = re.compile(r"\b(?:[Tt]yphoon|[Hh]urricane|[Cc]yclone|[Tt]ropical [Ss]torm|[Tt]ropical [Dd]epression|[Ss]uper [Tt]yphoon)[^\S\n]+([A-Z][a-z]+)\b")


_STORM_WORDS = ("yphoon", "urricane", "yclone", "ropical")


def storm_labels(text: str, spans: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """A storm's name is no person or place: a span the document writes after "Typhoon",
    "Hurricane", "Cyclone", "Tropical Storm" ("the threat of Mitag" where the text has "typhoon
    Mitag"), or one starting with such a word ("Cyclone Sidr"), is `misc`."""
    if not any(w in text for w in _STORM_WORDS) or not _STORM_NAMED.search(text):  # (a plain search first: most texts name no storm)
        return spans
    names = {m.group(1) for m in _STORM_NAMED.finditer(text)}
    out: list[tuple[int, int, str]] = []
    for s, e, label in spans:
        words = text[s:e].split()
        if label != tagger.MISC and (text[s:e] in names or (len(words) >= 2 and words[-1] in names and _STORM_NAMED.fullmatch(" ".join(words)))):
            label = tagger.MISC
        out.append((s, e, label))
    return out


# lower-case words that stand inside names ("Bank of England", "Ludwig van Beethoven", "Rock and Roll")
_NAME_CONNECTORS = frozenset(
    "of and the for on in at upon to a an de du des da di do dos das del della van von der den el la le al bin ibn y e et und".split()
)


def lower_word_cut(text: str, spans: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """A span holding a lower-case word that names do not hold (not "of", "de", "van", ...) is a
    headline or a page line glued to a name: it keeps the capitalised words after the last such word
    ("Rupee at 39.28 against US dollar Press Trust of India" -> "Press Trust of India"), where two
    or more words are left."""
    out: list[tuple[int, int, str]] = []
    for s, e, label in spans:
        surface = text[s:e]
        plain = surface.split()
        if len(plain) > 2 and any(w.islower() and w.isalpha() and w not in _NAME_CONNECTORS for w in plain[:-2]):
            words = list(re.finditer(r"\S+", surface))
            cut = max((k for k, m in enumerate(words[:-1]) if m.group().isalpha() and m.group().islower() and m.group() not in _NAME_CONNECTORS), default=-1)
            if cut >= 0:
                rest = words[cut + 1 :]
                if len(rest) >= 2 and rest[0].group()[:1].isupper():  # (one word left: "UConn visits No.")
                    s = s + rest[0].start()
        out.append((s, e, label))
    return out


# last words of street names: a span ending in one is an address's street, a place ("995 Peter
# Robertson Blvd.", tagged a person), whatever its other words
_STREET_HEADS = frozenset("street st. avenue ave. ave blvd. blvd boulevard road rd. drive lane highway parkway".split())
# a given name, a one-letter middle initial written without its full stop, a surname: "Elan V McAllister"
_INITIAL_NAME = re.compile(r"[A-Z][a-z]+ [A-Z]\.? (?:Mc|Mac|O['’])?[A-Z][a-z]+(?:-[A-Z][a-z]+)?")


def initial_labels(text: str, spans: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Labels a span's shape says: one of two or more words ending in a street word is a place (an
    address: "Peter Robertson Blvd."); an organisation or place of three words with a one-letter
    middle initial is a person ("producers Adam Epstein, Allan S Gordon and Elan V McAllister"), unless
    the tagger's lists know it."""
    t = tagger.load_tagger()
    out: list[tuple[int, int, str]] = []
    for s, e, label in spans:
        surface = text[s:e]
        words = surface.split()
        if len(words) >= 2 and words[-1].lower() in _STREET_HEADS and label in (tagger.PERSON, tagger.ORGANISATION):
            label = tagger.LOCATION
        elif len(words) == 3 and label in (tagger.ORGANISATION, tagger.LOCATION) and _INITIAL_NAME.fullmatch(surface):
            key = tuple(tagger.norm_word(w) for w in words)
            if key not in t.places and key not in t.names:
                label = tagger.PERSON
        out.append((s, e, label))
    return out


_DETERMINER_BEFORE = re.compile(r"(?:^|\W)(?:the|her|his|their|its|our|my|your) $")


def determiner_labels(text: str, spans: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """A one-word span tagged a person that the document writes after a determiner or possessive
    before a punctuation mark or "and"/"or" ("her Grammys.", "to the Grammys and Oscars": an award,
    a thing; not "the Clinton administration", "the Bush White House", where it modifies a name or a
    noun) is no person: it becomes
    `misc`, every span of that word."""
    not_person: dict[str, bool] = {}
    for s, e, label in spans:
        surface = text[s:e]
        if label != tagger.PERSON or " " in surface or surface in not_person:
            continue
        not_person[surface] = False
        for i in _finds(text, surface):
            j = i + len(surface)
            if not _is_name_char(text[j : j + 1] or " ") and _DETERMINER_BEFORE.search(text, max(0, i - 7), i):
                nxt = _NEXT_WORD.match(text, j)
                if nxt is None or nxt.group(1) in ("and", "or"):  # punctuation or the text's end next
                    not_person[surface] = True
                    break
    if not any(not_person.values()):
        return spans
    return [(s, e, tagger.MISC if label == tagger.PERSON and not_person.get(text[s:e]) else label) for s, e, label in spans]


_WEEKDAYS = frozenset("monday tuesday wednesday thursday friday saturday sunday".split())


def weekday_trimmed(text: str, spans: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """A span of two or more words ending in a weekday loses it ("a 1-0 win over Mali Thursday": no
    name ends in a weekday); what is left, one word the place lists know, is that place."""
    t = tagger.load_tagger()
    out: list[tuple[int, int, str]] = []
    for s, e, label in spans:
        words = text[s:e].split()
        if len(words) >= 2 and words[-1].lower() in _WEEKDAYS:
            e = s + text[s:e].rstrip().rfind(words[-1])  # the weekday's start
            e = s + len(text[s:e].rstrip())  # and the space before it
            if len(words) == 2 and (tagger.norm_word(words[0]),) in t.places:
                label = tagger.LOCATION
        out.append((s, e, label))
    return out


_ACRONYM = re.compile(r"[A-Z]{2,5}")


def acronym_labels(text: str, spans: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """A one-word acronym tagged a place in mixed-case text that the place lists do not know is an
    organisation ("the first $100 million deal in NHL history"; "US", "UAE" and a caps dateline's
    "LONDON" stay places)."""
    t = tagger.load_tagger()
    out: list[tuple[int, int, str]] = []
    for s, e, label in spans:
        if label == tagger.LOCATION and _ACRONYM.fullmatch(text, s, e):
            key = (tagger.norm_word(text[s:e]),)
            a, b = text.rfind("\n", 0, s) + 1, text.find("\n", e)
            line = text[a : b if b != -1 else len(text)]
            if (
                key not in t.places
                and key not in t.names
                and sum(c.islower() for c in line) > sum(c.isupper() for c in line)
                and tagger.state_abbreviation(text, s, e) is None  # "Quincy, MA 02269": Massachusetts
            ):
                label = tagger.ORGANISATION
        out.append((s, e, label))
    return out


# plural last words of places, not of teams: "Golan Heights", "Niagara Falls", "Virgin Islands"
_PLURAL_PLACE_HEADS = frozenset(
    "islands isles mountains hills falls heights springs rapids plains highlands lowlands lakes keys woods "
    "fields gardens docks downs flats sands shores narrows alps glades meadows lands territories states "
    "provinces regions emirates".split()
)
_PLURAL_DAYS = frozenset("mondays tuesdays wednesdays thursdays fridays saturdays sundays".split())
_PLURAL_AFTER = re.compile(r" ([A-Z][a-z]{2,}s)\b(?![-'’]\w)(?! +[A-Z])")


# "St James' Park", "St Mary's Hospital": a possessive's apostrophe the tagger stopped at, then the
# head word of a place or an institution
_POSSESSIVE_HEAD = re.compile(r"(?:['’]s?) (Park|Street|Road|Square|Bridge|Gate|Lane|Field|Church|Cathedral|Hospital|College|School)\b")
_INSTITUTION_HEADS = frozenset(["Hospital", "College", "School"])


def team_names(text: str, spans: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """A place span followed by one capitalised plural word that the tagger left out and running text
    does not write in lower case is one organisation with it: a team, a paper, an airline by its
    place ("the New Jersey Nets", "New Orleans Saints", "Los Angeles Times", "Kenya Airways"; not
    "Golan Heights", "the West Indies", nor a word before another capitalised one)."""
    lexicon = tagger.load_tagger().lexicon
    out: list[tuple[int, int, str]] = []
    for k, (s, e, label) in enumerate(spans):
        nxt = spans[k + 1][0] if k + 1 < len(spans) else len(text)
        m = _POSSESSIVE_HEAD.match(text, e) if label in (tagger.LOCATION, tagger.PERSON, tagger.ORGANISATION) else None
        if m is not None and m.end() <= nxt and text[s:e].split()[0].rstrip(".") in ("St", "Saint", "Ste"):
            # the saint's place: "St James' Park" (a stadium), "St Mary's Hospital"
            head = m.group(1)
            out.append((s, m.end(), tagger.ORGANISATION if head in _INSTITUTION_HEADS else tagger.LOCATION))
            continue
        if label == tagger.LOCATION:
            m = _PLURAL_AFTER.match(text, e)
            if m is not None and m.end() <= nxt:
                w = m.group(1).lower()
                if w not in _PLURAL_PLACE_HEADS and lexicon.get(w) != 0 and w not in _PLURAL_DAYS:
                    out.append((s, m.end(), tagger.ORGANISATION))
                    continue
        out.append((s, e, label))
    return out


# lower-case nouns that, written right after a name, say the name is an organisation: "Newsweek
# magazine", "Winn-Dixie stores", "Radiohead band" (a place before them is only where the thing is:
# "a Texas company"; so known places are left alone)
_ORG_NOUNS = frozenset(
    "magazine newspaper tabloid daily weekly broadcaster network channel website band label company firm "
    "corporation conglomerate retailer chain stores brand airline carrier subsidiary bank insurer club "
    "franchise studio studios publisher group site".split()
)
_NEXT_WORD = re.compile(r"\s+(\w+)")
_WEB_SUFFIX = re.compile(r"\.(?:com|org|net|co|ca|uk|cn|de|fr|au|in|info|biz)\b")
# last words of a place that no organisation noun after it makes an organisation ("the Bonny River
# channel"), and venues a tagged organisation ending in them is ("Nungambakkam Tennis Stadium"; no
# CoNLL++ train or dev name ends in these)
_VENUE_HEADS = frozenset("stadium arena racecourse ballpark velodrome speedway".split())
_PLACE_LAST = _VENUE_HEADS | frozenset(
    "river lake mountain mountains island islands bay valley creek sea ocean gulf peninsula canyon desert strait".split()
)


def organisation_evidence(text: str, spans: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Document evidence that a span tagged a person or a place is an organisation, applied to every
    span of that surface: the text writes it before an organisation noun ("Newsweek magazine",
    `_ORG_NOUNS`), or a one-word span is a word of a multi-word organisation span ("Mirror" of
    "Trinity Mirror Southern Ltd."). Known places (the tagger's gazetteer and training names) are
    left as they are ("a Texas company", "Bank of England")."""
    t = tagger.load_tagger()
    cand: dict[str, bool] = {}
    known_person: set[str] = set()
    for s, e, label in spans:
        if label in (tagger.PERSON, tagger.LOCATION):
            surface = text[s:e]
            key = tuple(tagger.norm_word(w) for w in surface.split())
            if key not in t.places and t.names.get(key) != "LOC" and key[-1] not in _PLACE_LAST:
                cand[surface] = False
                if t.names.get(key) == "PER":
                    known_person.add(surface)
    if not cand:
        return spans
    for surface in cand:
        for i in _finds(text, surface):
            j = i + len(surface)
            if not (i and _is_name_char(text[i - 1])) and text[j : j + 1].isspace():
                nxt = _NEXT_WORD.match(text, j)
                if nxt is not None and nxt.group(1) in _ORG_NOUNS:
                    cand[surface] = True
                    break
            elif not (i and _is_name_char(text[i - 1])) and _WEB_SUFFIX.match(text, j):
                cand[surface] = True  # "a report on ChinaCourt.org", "Thomas Cook.com": a website
                break
    org_words = {w for s, e, label in spans if label == tagger.ORGANISATION for w in text[s:e].split()[:-1] if " " in text[s:e]}
    person_words = {w for s, e, label in spans if label == tagger.PERSON and " " in text[s:e] for w in text[s:e].split()}
    for surface in cand:
        if " " not in surface and surface in org_words and surface not in person_words and surface not in known_person:
            cand[surface] = True
    if not any(cand.values()):
        return spans
    return [(s, e, tagger.ORGANISATION if cand.get(text[s:e]) else label) for s, e, label in spans]


@functools.cache
def _given_names() -> frozenset[str]:
    """Normalised first words of the tagger's multi-word training person names that begin no other
    training name and no more gazetteer places than person names ("jose", "anna", "will"; not
    "san", "new", "paris", "al")."""
    t = tagger.load_tagger()
    per = Counter(k[0] for k, lab in t.names.items() if len(k) > 1 and lab == "PER")
    other = {k[0] for k, lab in t.names.items() if lab != "PER"}
    places = Counter(k[0] for k in t.places if len(k) > 1)
    return frozenset(w for w, n in per.items() if w not in other and places[w] <= n)


_CAP_WORD_BEFORE = re.compile(r"([A-Z][a-zà-ÿ]+)\s+$")


def given_name_evidence(text: str, spans: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """A span tagged a place or an organisation that is a person by the document's own writing: a
    one-word span the text also writes right after a given name ("Calderon" where the text has
    "Ramon Calderon", "Blackmon" after "Will Blackmon", in sentences the tagger may not have
    decoded), or a two-word span in mixed case whose first word is a given name ("Anna Ushenina"
    tagged a place). Names the tagger's lists know as places or organisations stay as they are."""
    t = tagger.load_tagger()
    given = _given_names()
    out: list[tuple[int, int, str]] = []
    person_of: dict[str, bool] = {}
    for s, e, label in spans:
        if label not in (tagger.LOCATION, tagger.ORGANISATION):
            out.append((s, e, label))
            continue
        surface = text[s:e]
        words = surface.split()
        key = tuple(tagger.norm_word(w) for w in words)
        # (a one-word training name is no bar: CoNLL++ train has "Calderon" as a place)
        known = key in t.places or (key in t.names if len(words) > 1 else t.names.get(key) == "ORG")
        if known or not all(w[:1].isupper() and not w.isupper() for w in words) or _WEB_SUFFIX.match(text, e):
            out.append((s, e, label))  # (a website's name: "Thomas Cook.com")
            continue
        if len(words) == 2:
            is_person = key[0] in given and (key[1],) not in t.places and key[1] not in _PLACE_LAST
        elif len(words) == 1:
            if surface not in person_of:
                person_of[surface] = False
                for i in _finds(text, surface):
                    j = i + len(surface)
                    if not _is_name_char(text[j : j + 1] or " ") and (i == 0 or not _is_name_char(text[i - 1])):
                        m = _CAP_WORD_BEFORE.search(text, max(0, i - 30), i)
                        if m is not None and tagger.norm_word(m.group(1)) in given:
                            person_of[surface] = True
                            break
            is_person = person_of[surface]
        else:
            is_person = False
        out.append((s, e, tagger.PERSON if is_person else label))
    return out


# ", the head coach at ...", ", a former minister": an apposition of a person's title after a name
_APPOSITION = re.compile(r",[^\S\n]+(?:(?:the|a|an|his|her|its|their|former|then|now)[^\S\n]+)*((?:[a-z][\w-]*[^\S\n]+){0,2}[a-z][\w-]*)")


def apposition_evidence(text: str, spans: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """A two-word span tagged a place, starting with a place the lists know but unknown as a whole,
    that the document writes before an apposition naming a person's title is that person ("Austin
    and Houston Nutt, the head coach at Ole Miss": not Houston, a place); every span of it."""
    t = tagger.load_tagger()
    cand: dict[str, bool] = {}
    for s, e, label in spans:
        words = text[s:e].split()
        if label != tagger.LOCATION or len(words) != 2 or not all(w[:1].isupper() and not w.isupper() for w in words):
            continue
        key = tuple(tagger.norm_word(w) for w in words)
        if key not in t.places and key[:1] in t.places and key[1:] not in t.places and not tagger.is_name_head(words[1]) and key[1] not in _PLACE_LAST:
            cand.setdefault(text[s:e], False)
    for surface in cand:
        for i in _finds(text, surface):
            m = _APPOSITION.match(text, i + len(surface))
            if m is not None and any(tagger.is_title_or_modifier(w) for w in m.group(1).split()):
                cand[surface] = True
                break
    if not any(cand.values()):
        return spans
    return [(s, e, tagger.PERSON if cand.get(text[s:e]) else label) for s, e, label in spans]


def venue_labels(text: str, spans: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """A tagged organisation of two or more words ending in a venue word is a place
    ("Nungambakkam Tennis Stadium", "Staples Center" excepted: "center" also ends institutions); so
    is a tagged person of three or more ("Rod Laver Arena": a venue named after a person; "Bruce
    Arena" stays a person)."""
    out = []
    for s, e, label in spans:
        words = text[s:e].split()
        if len(words) >= 2 and words[-1].lower() in _VENUE_HEADS and (label == tagger.ORGANISATION or (label == tagger.PERSON and len(words) >= 3)):
            label = tagger.LOCATION
        out.append((s, e, label))
    return out


@dataclass(frozen=True, slots=True)
class Actor:
    name: str
    kind: str  # schema.ACTOR_KINDS
    role: str = "participant"
    start: int = -1  # offset of the mention in the sentence (for nearest-actor choices)
    end: int = -1
    country: str | None = None  # ISO 3166 alpha-3
    sector: str | None = None  # schema.ACTOR_SECTORS
    aliases: tuple[str, ...] = ()  # surface forms of this actor in the document


@dataclass(frozen=True, slots=True)
class Gazetteer:
    regex: re.Pattern[str]  # every alias, longest first, in one alternation (one pass per sentence)
    numbered: re.Pattern[str]  # numbered missions: Chang'e-5, Tianwen-1, Apollo 11, ...
    alias_to: Mapping[str, tuple[str, str]]  # alias (straight apostrophes) -> (canonical name, kind)
    country_of: Mapping[str, str]
    cities: frozenset[str]

    def lookup(self, surface: str) -> tuple[str, str] | None:
        return self.alias_to.get(surface.replace("’", "'"))


def _alternation(names: Iterable[str]) -> str:
    alts = sorted(set(names), key=lambda a: (-len(a), a))
    return "|".join(re.escape(a.replace("’", "'")).replace("'", "['’]") for a in alts)


@functools.lru_cache(maxsize=1)
def load_gazetteer() -> Gazetteer:
    data = json.loads(resources.files("tasks").joinpath("data/gazetteer.json").read_text(encoding="utf-8"))
    alias_to: dict[str, tuple[str, str]] = {}
    country_of: dict[str, str] = {}
    for kind, key in (("organisation", "organisations"), ("mission", "missions"), ("country", "countries")):
        for e in data[key]:
            for a in [e["name"], *e["aliases"]]:
                alias_to.setdefault(a.replace("’", "'"), (e["name"], kind))
            if kind == "organisation" and e.get("country"):
                country_of[e["name"]] = e["country"]
            if kind == "country":
                country_of[e["name"]] = e["name"]
    # the lookahead of every alias's first letter fails fast at most positions (the alternation is
    # ~300 names): ~4x faster, the same matches
    firsts = "".join(sorted({re.escape(c) for a in alias_to for c in ((a[0], "’") if a[0] == "'" else (a[0],))}))
    regex = re.compile(rf"(?=[{firsts}])(?<![\w-])(?:" + _alternation(alias_to) + r")(?![\w-])")
    numbered = re.compile(
        r"\b(?P<base>Chang['’]e|Tianwen|Shenzhou|Tianzhou|Apollo|Luna|Artemis|Chandrayaan|Mangalyaan|Hayabusa|Soyuz MS)[- ]?(?P<num>\d{1,2}|I{1,3}|IV)\b(?!\.\d)"
    )
    return Gazetteer(regex, numbered, alias_to, country_of, frozenset(data["cities"]))


TITLE_WORDS = (
    r"(?:(?:new|former|acting|deputy|vice|then)\s+)?(?:Director[- ]General|Director|Administrator|Deputy Administrator|President|Vice[- ]President|Leader|"
    r"Secretary[- ]General|Secretary|Chief(?: Executive)?|Head|CEO|Chairman|Chairwoman|Chair|Minister|Commissioner|Spokesperson|Spokesman|Spokeswoman|"
    r"Representative|Ambassador|Premier|Prime Minister|Professor|Dr\.?|Mr\.?|Ms\.?|Mrs\.?|Commander|Astronaut|astronaut|International Relations Administrator)"
)
_NAME_TOKEN = r"[A-Z][a-zà-ÿ]+(?:[-'’][A-Z]?[a-zà-ÿ]+)*"
# a name and its title never run over a line break ("Today's Leader Post\n\nLatest News\n\nAustin
# leaves": page furniture, not the title "Leader" before a person "Post Latest News Austin")
_SP = r"[^\S\n]+"
NAME = rf"{_NAME_TOKEN}(?:{_SP}(?:(?:Le|La|De|Van|Von|Da|Di|de|van|von|der|le|la|bin|al){_SP})?{_NAME_TOKEN}){{1,3}}"
PERSON_PATTERNS = (
    # ESA Director General Josef Aschbacher / CNSA Leader Zhang Kejian
    # (the lookahead lists every possible first letter: a quick fail at most positions, 2.3x faster)
    re.compile(rf"(?=[A-Znfadvt])(?P<title>(?:(?:[A-Z]{{2,}}['’]?s?|[A-Z][a-z]+){_SP})?{TITLE_WORDS}){_SP}(?P<name>{NAME})"),
    # Zhang Kejian, Administrator of the CNSA / Karl Bergquist, ESA’s International Relations Administrator
    re.compile(rf"(?P<name>{NAME}),\s+(?:the\s+)?(?P<title>(?:[A-Z][\w’']*\s+){{0,3}}{TITLE_WORDS}(?:\s+(?:of|at)\s+(?:the\s+)?[A-Z][\w’'-]*(?:\s+[A-Z][\w’'-]*)*)?)"),
    # Name said / tweeted / told
    re.compile(rf"(?P<name>{NAME}){_SP}(?:said|says|told|tweeted|stated|noted|explained|added|announced)\b"),
)
NOT_PERSON_WORDS = frozenset(
    ["The", "This", "That", "These", "Those", "Their", "They", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday", "January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December", "Space", "Agency", "Administration", "National", "Station", "Mission", "Program", "Programme", "Plan", "Earth", "Moon", "Mars", "Lunar", "Research", "International", "European", "Chinese", "China", "Europe", "President", "Republic", "Joint", "Declaration", "Cooperation", "Director", "General", "Leader", "Source", "Link", "On", "In", "At", "By", "For", "With", "From", "Of", "And", "But", "As", "Some", "What", "When", "Where", "Who", "How", "Apparently", "Under", "Finally", "Additionally"]
)
ACRONYM_DEF_RE = re.compile(r"(?P<full>(?:[A-Z][\w'’-]*\s+(?:(?:of|for|and|the|de|du|in)\s+)*){1,8}[A-Z][\w'’-]*)\s+\((?P<acr>[A-Z][A-Za-z0-9&-]{1,9})\)")
# "the ICC (International Cricket Council)": an acronym defined after it, its full name in brackets
ACRONYM_AFTER_RE = re.compile(r"\b(?P<acr>[A-Z][A-Z0-9&]{1,9})\s+\((?P<full>(?:[A-Z][\w'’-]*\s+(?:(?:of|for|and|the|de|du|in)\s+)*){1,8}[A-Z][\w'’-]*)\)")
_ACRONYM_HINT_RE = re.compile(r"\s\([A-Z]")  # in every definition of both kinds
ORG_HEAD_RE = re.compile(r"\b(Agency|Administration|Institute|Institution|Organi[sz]ation|Cent(?:er|re)|Office|Ministry|Academy|University|Corporation|Company|Council|Commission|Authority|Laborator(?:y|ies)|Observatory|Society|Association|Bureau|Department|Foundation|Group|Federation)\b")
_HEAD_ENDS = re.compile(r"$|\s+(?:of|for|on|in|and)\b")  # after an institution's head word


def _has_org_head(full: str) -> bool:
    """Does a defined acronym's full name end in an institution's head word, or hold one before
    "of"/"for"... ("Aircraft Crashes Record Office", "University of Mississippi", "Office of
    Management and Budget"; not "Office Open XML", a document format)?"""
    return any(_HEAD_ENDS.match(full, m.end()) for m in ORG_HEAD_RE.finditer(full))


PRONOUN_SUBJECT_RE = re.compile(r"^\W*(?:Their|They|Them|The two (?:parties|agencies|sides|leaders|heads|organi[sz]ations)|Both (?:agencies|parties|sides|leaders)|The parties|The agencies|The leaders)\b")


_HONORIFICS = frozenset(["Mr", "Mrs", "Ms", "Miss", "Dr", "Sir", "Dame", "Prof"])


def _split_title(name: str) -> tuple[str, str]:
    """(title, name) of a matched person name: the words up to the last one that is a title, a title
    modifier or a PETRARCH2 agent ("Minister", "Health Minister", "Police Chief", "Special
    Representative") are a title, not part of the name ("Minister Chua Soi Lek said" -> "Chua Soi
    Lek"; two words stay a name: "Martin Luther King"); so are the stop words of
    `NOT_PERSON_WORDS` at either end (dropped). A possessive inside ends a name: "Blackburn's Mark
    Hughes" -> "Mark Hughes"; "Ban Ki-moon’s Special Representative" (nothing but a title after
    it) -> "Ban Ki-moon"."""
    toks = name.split()
    title: list[str] = []
    poss = max((j for j, t in enumerate(toks[:-1]) if strip_possessive(t) != t), default=-1)
    if poss >= 0:
        after = toks[poss + 1 :]
        after = after[max((j for j, w in enumerate(after) if _is_title_word(w)), default=-1) + 1 :]
        if len(after) >= 2:
            title, toks = toks[poss + 1 : len(toks) - len(after)], after
        else:
            toks = [*toks[:poss], strip_possessive(toks[poss])]
    lexicon = tagger.load_tagger().lexicon
    while toks and toks[0].rstrip(".") in _HONORIFICS:
        title, toks = [*title, toks[0]], toks[1:]  # "Mr Hall said": the name is "Hall"
    while toks and (toks[0] in NOT_PERSON_WORDS or (len(toks) >= 2 and lexicon.get(toks[0].lower()) == 0)):
        toks = toks[1:]  # "Later Hillary Clinton said": a sentence's first word that running text writes in lower case
    # up to the last title word that leaves two words: "Special Representative Joachim Rücker"
    last = max((j for j in range(len(toks) - 2) if _is_title_word(toks[j])), default=-1)
    if last >= 0:
        title, toks = [*title, *toks[: last + 1]], toks[last + 1 :]
    while toks and toks[-1] in NOT_PERSON_WORDS:
        toks = toks[:-1]
    if toks:
        toks[-1] = strip_possessive(toks[-1])  # "President Pervez Musharraf's decree"
    return " ".join(title), " ".join(toks)


def _is_title_word(word: str) -> bool:
    """A title or agent word before a name: the tagger's titles and modifiers, or a one-word
    agent of the PETRARCH2 dictionary ("minister", "spokesman", "police")."""
    if tagger.is_title_or_modifier(word):
        return True
    if "-" in word.strip("-") and all(tagger.is_title_or_modifier(p) for p in word.split("-")):
        return True  # "Secretary-General", "Director-General" (not "Ki-moon", "Jean-Marie")
    entry = load_dictionary().single.get(_token_key(word)[0])
    return entry is not None and entry.kind == "group"


@dataclass(slots=True)
class DocContext:
    """What a document has taught us: acronym definitions and persons (for surname references)."""

    acronyms: dict[str, str] = field(default_factory=dict)  # acronym -> full name (orgs outside the gazetteer)
    persons: dict[str, tuple[str, str]] = field(default_factory=dict)  # full name or token -> (full name, role)
    surface_to: dict[str, tuple[str, str, str]] = field(default_factory=dict)  # surface -> (name, kind, role)
    codes: dict[str, tuple[str | None, str | None]] = field(default_factory=dict)  # name -> (country, sector)
    countries: frozenset[str] | None = None  # ISO codes of the countries the document names (None: not known)
    text: str = ""  # the document (for `full_name`)
    full_names: dict[str, str | None] = field(default_factory=dict)  # one-word person surface -> full name (cache)
    gazetteer_named: frozenset[str] | None = None  # gazetteer entries the document names by a strong alias

    def matches(self, sentence: str) -> list[tuple[str, int, int]]:
        """(surface, start, end) of the document's names in `sentence`: whole words (not inside a
        longer word or hyphenated name), leftmost first, the longest surface at a position, not
        overlapping. Plain substring search: a regex compiled per document cost ~10% of extraction."""
        hits: list[tuple[int, int, str]] = []
        for surface in self.surface_to:
            i = sentence.find(surface)
            while i != -1:
                j = i + len(surface)
                if not (i and _is_name_char(sentence[i - 1])) and not (j < len(sentence) and _is_name_char(sentence[j])):
                    hits.append((i, -j, surface))
                i = sentence.find(surface, i + 1)
        out: list[tuple[str, int, int]] = []
        end = 0
        for i, neg_j, surface in sorted(hits):
            if i >= end:
                out.append((surface, i, -neg_j))
                end = -neg_j
        return out


def _finds(text: str, surface: str):
    """Every start of `surface` in `text`, overlapping ones too (a plain string search: a regex
    compiled per document cost ~20% of tagging)."""
    i = text.find(surface)
    while i != -1:
        yield i
        i = text.find(surface, i + 1)


def _is_name_char(c: str) -> bool:  # the [\w-] of a name boundary
    return c.isalnum() or c == "_" or c == "-"


def learn_document(text: str, gaz: Gazetteer) -> DocContext:
    ctx = DocContext(text=text)
    # every definition has a space, "(" and a capital: most texts have none (the regexes try up to
    # 8 words at every capitalised word)
    defined = bool(_ACRONYM_HINT_RE.search(text))
    defs = [(m.group("full"), m.group("acr")) for m in ACRONYM_DEF_RE.finditer(text)] if defined else []
    defs += [(m.group("full"), m.group("acr")) for m in ACRONYM_AFTER_RE.finditer(text)] if defined else []
    for full, acr in defs:
        full = full.strip()
        full = re.sub(r"^(?:The|the|of|and)\s+", "", full)
        if gaz.lookup(acr) is None and gaz.lookup(full) is None and _has_org_head(full):
            ctx.acronyms[acr] = full
    for rx in PERSON_PATTERNS:
        for m in rx.finditer(text):
            lead, name = _split_title(m.group("name"))
            if len(name.split()) < 2 or gaz.lookup(name) is not None or gaz.lookup(name.split()[0]) is not None:
                continue
            if all(_is_title_word(w) for w in name.split()):
                continue  # "Prime Minister Helen Clark" also matches as "Prime Minister": a title, no person
            if tagger.is_name_head(name.split()[-1]):
                continue  # "White House said", "Business Wire reported": an institution, a place, a medium
            role = " ".join(m.group("title").split()) if "title" in m.groupdict() and m.group("title") else lead
            prev = ctx.persons.get(name)
            if prev is None or (not prev[1] and role):
                ctx.persons[name] = (name, role)
    for full, (canon, role) in list(ctx.persons.items()):
        tok = surname_of(full)
        if len(tok) > 2 and tok not in NOT_PERSON_WORDS:
            ctx.persons.setdefault(tok, (canon, role))  # the surname, not the given names ("Andy")
    for surface, (canon, role) in ctx.persons.items():
        ctx.surface_to[surface] = (canon, "person", role or "participant")
    for acr, full in ctx.acronyms.items():
        ctx.surface_to.setdefault(acr, (acr, "organisation", "participant"))
        ctx.surface_to.setdefault(full, (acr, "organisation", "participant"))
    dic = load_dictionary()
    ctx.countries = countries_named(text, dic)
    strong = set()
    for m in gaz.regex.finditer(text):
        canon, kind = gaz.lookup(m.group(0))
        if not _weak_alias(m.group(0), canon, kind):
            strong.add(canon)
    ctx.gazetteer_named = frozenset(strong)
    for canon, role in set(ctx.persons.values()):
        ctx.codes[canon] = _person_codes(canon, role, gaz, dic)
    for acr, full in ctx.acronyms.items():
        ctx.codes[acr] = (dic.code_of(_token_key(full.split()[0])[0]), None)
    return ctx


_NAME_WORD = r"[A-Z][a-zà-ÿ]+(?:[-'’][A-Z]?[a-zà-ÿ]+)*"


def full_name(ctx: DocContext, word: str) -> str | None:
    """The one full name of the document that a person named by one word stands for: "Hillary" ->
    "Hillary Clinton", "Clinton" -> "Hillary Clinton" when the text writes that name (the word and
    one or two capitalised words after it, or one before it) and no other ("Bill Clinton" too: None,
    the word stays as written). Words that running text writes in lower case ("Obama
    Administration", "The Clinton") and titles ("Senator Clinton") are no part of a name."""
    if word in ctx.full_names:
        return ctx.full_names[word]
    lexicon = tagger.load_tagger().lexicon

    def name_word(w: str) -> bool:
        return _may_be_given_name(w, lexicon) and w not in NOT_PERSON_WORDS

    def in_headline(i: int) -> bool:  # a Title Case line capitalises any word: "Clinton Slams Rival"
        a, b = ctx.text.rfind("\n", 0, i) + 1, ctx.text.find("\n", i)
        words = ctx.text[a : b if b != -1 else len(ctx.text)].split()
        return tagger.is_caps_sentence(words, lexicon) or all(w[:1].isupper() for w in words if len(w) > 3 and w[:1].isalpha())

    w = re.escape(word)
    forms: set[str] = set()
    for m in re.finditer(rf"(?<![\w'’-])(?:({_NAME_WORD})[ \t]+{w}|{w}((?:[ \t]+{_NAME_WORD}){{1,2}}))(?![\w-])", ctx.text):
        if in_headline(m.start()):
            continue
        if m.group(1) is not None:
            if name_word(m.group(1)):
                forms.add(f"{m.group(1)} {word}")
        else:
            after = m.group(2).split()
            poss = next((k for k, w in enumerate(after) if strip_possessive(w) != w), None)
            if poss is not None:  # "Harbhajan Singh's suspension": the name ends at the possessive
                after = [*after[:poss], strip_possessive(after[poss])]
            if name_word(after[0]):
                after = after if len(after) < 2 or name_word(after[1]) else after[:1]
                forms.add(" ".join([word, *after]))
    # "Hillary Rodham Clinton" and "Hillary Clinton" are one person: the longest form holding the others' words
    longest = sorted(forms, key=lambda f: (-len(f.split()), f))
    out = None
    if longest and all(set(f.split()) <= set(longest[0].split()) for f in longest):
        out = longest[0]
    ctx.full_names[word] = out
    return out


def surname_of(name: str) -> str:
    """The word a later reference uses for a person: the last word ("Aschbacher" of "Josef
    Aschbacher"); never a given name, which other persons of the text may share."""
    return name.split()[-1] if name.split() else ""


def strip_possessive(surface: str) -> str:
    """ "Suharto's" -> "Suharto", "Microsoft’s" -> "Microsoft" (not "Rolls'" nor "Co's" inside a name)."""
    return surface[:-2] if len(surface) > 3 and surface[-2:] in ("'s", "’s") else surface


def countries_named(text: str, dic: ActorDictionary) -> frozenset[str]:
    """ISO codes of every country the text names by a capitalised country name or demonym
    ("Indonesia's", "Palestinian", "South Korean")."""
    toks = [_token_key(t)[0] for t in TOKEN_RE.findall(text) if t[0].isupper()]
    found = {dic.country_code[t] for t in toks if t in dic.country_code}
    found.update(dic.country_code[f"{a} {b}"] for a, b in zip(toks, toks[1:], strict=False) if f"{a} {b}" in dic.country_code)
    return frozenset(found)


def tag_sentences(text: str, spans: list[tuple[int, int]]) -> list[list[tuple[int, int, str]]]:
    """`find_entities` spans of some sentences of a document, in sentence offsets: the document
    is tagged as a whole (its other sentences inform the tagger's document attributes, as
    `find_entities(text)` would; CoNLL++ dev F1 0.923 against 0.894 sentence by sentence) but only
    the sentences overlapping `spans` (sorted (start, end) ranges of `text`) are decoded. A span
    crossing a sentence's edge is left out of it."""
    if not spans:
        return []
    order = sorted(range(len(spans)), key=lambda k: spans[k])
    out: list[list[tuple[int, int, str]]] = [[] for _ in spans]
    found = document_evidence(text, tagger.tag(text, [spans[k] for k in order]))
    f = 0
    for k in order:
        start, end = spans[k]
        while f < len(found) and found[f][0] < start:
            f += 1
        g = f
        while g < len(found) and found[g][0] < end:
            s, e, label = found[g]
            if e <= end:
                out[k].append((s - start, e - start, label))
            g += 1
    return out


def _person_codes(name: str, role: str, gaz: Gazetteer, dic: ActorDictionary) -> tuple[str | None, str | None]:
    """(country, sector) of a titled person: "French President" -> FRA, government; "ESA Director
    General" -> ESA's country; else what the dictionary knows of the name."""
    country = None
    first = role.split()[0] if role else ""
    if first:
        country = dic.code_of(_token_key(first)[0])
        if country is None and gaz.lookup(first.rstrip("’'s")):
            canon, kind = gaz.lookup(first.rstrip("’'s"))
            country = dic.code_of(canon) if kind == "country" else _gazetteer_country(canon, gaz, dic)
    sector = title_sector(role) if role else None
    if country is None or sector is None:
        toks = tuple(_token_key(t)[0] for t in TOKEN_RE.findall(name))
        for phrase, entry in dic.by_first.get(toks[0], ()) if toks else ():
            if phrase == toks and entry.kind == "person":
                country, sector = country or entry.country, sector or entry.sector
                break
    return country, sector


def aliases_in(ctx: DocContext, name: str) -> tuple[str, ...]:
    """The surface forms the document uses for canonical `name` (full name, surname, acronym)."""
    return tuple(sorted(s for s, (n, _k, _r) in ctx.surface_to.items() if n == name))


# --- the PETRARCH2 actor dictionary ---------------------------------------------------------------

TOKEN_RE = re.compile(r"\w+(?:[-'’.]\w+)*")
MONTHS_RE = re.compile(r"(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec|Mon|Tue|Wed|Thu|Fri|Sat|Sun)\.?$")  # "Dec." is not an actor
NAMED_KINDS = frozenset({"person", "organisation", "country", "location"})
# Agents that are actors on their own, without a country ("police arrested", "protesters marched").
STANDALONE_SECTORS = frozenset({"police", "military", "rebel", "opposition", "criminal", "civilian", "refugees", "labour", "judiciary", "media", "health", "education"})


@dataclass(frozen=True, slots=True)
class Entry:
    name: str
    kind: str
    country: str | None
    sector: str | None


@dataclass(frozen=True, slots=True)
class ActorDictionary:
    by_first: Mapping[str, tuple[tuple[tuple[str, ...], Entry], ...]]  # first token -> phrases, longest first
    country_code: Mapping[str, str]  # lower-case country name or demonym -> ISO alpha-3
    by_two: Mapping[tuple[str, str], tuple[tuple[tuple[str, ...], Entry], ...]]  # first two tokens -> longer phrases
    single: Mapping[str, Entry]  # one-token phrases

    def code_of(self, name: str) -> str | None:
        return self.country_code.get(name.lower().replace("’", "'"))


# last words of a phrase naming a leader's government: the dictionary's "bush administration" is
# listed as the person
_GOVERNMENT_HEADS = frozenset("administration administrations government governments regime regimes cabinet presidency".split())


@functools.lru_cache(maxsize=1)
def load_dictionary() -> ActorDictionary:
    """The vendored actor dictionary (tasks/data/petrarch2/actors.tsv, built by train/actor_dictionary.py)."""
    text = resources.files("tasks").joinpath("data/petrarch2/actors.tsv").read_text(encoding="utf-8")
    by_first: dict[str, list[tuple[tuple[str, ...], Entry]]] = defaultdict(list)
    country_code: dict[str, str] = {}
    entries: dict[tuple[str, str, str, str], Entry] = {}
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        phrase, name, kind, country, sector = line.split("\t")
        if kind == "person" and phrase.split()[-1] in _GOVERNMENT_HEADS:
            # "bush administration" -> George Bush: a leader's government is an organisation of its
            # own, named by the phrase ("Bush administration"), no alias of the person
            words = phrase.split()[1:] if phrase.startswith("the ") else phrase.split()
            name, kind, sector = " ".join([w.capitalize() for w in words[:-1]] + words[-1:]), "organisation", "government"
        key = (name, kind, country, sector)
        e = entries.get(key)
        if e is None:
            e = entries[key] = Entry(name, kind, country or None, sector or None)
        toks = tuple(phrase.split())
        by_first[toks[0]].append((toks, e))
        if kind == "country":
            country_code[phrase] = country
    frozen = {k: tuple(sorted(v, key=lambda p: -len(p[0]))) for k, v in by_first.items()}
    by_two: dict[tuple[str, str], list] = defaultdict(list)
    single: dict[str, Entry] = {}
    for phrases in frozen.values():
        for toks, e in phrases:
            if len(toks) == 1:
                single[toks[0]] = e
            else:
                by_two[toks[:2]].append((toks, e))
    return ActorDictionary(frozen, country_code, dict(by_two), single)


@functools.lru_cache(maxsize=1 << 16)  # the same words recur across a document's sentences and documents
def _token_key(tok: str) -> tuple[str, bool]:
    """Dictionary key of a text token (lower case, straight apostrophe, possessive and final dot
    dropped) and whether it was a possessive ("Sudan's")."""
    k = tok.lower().replace("’", "'")
    poss = k.endswith("'s")
    if poss:
        k = k[:-2]
    return k.rstrip("."), poss


# Titles -> sector of the person holding them (first match wins).
TITLE_SECTORS = (
    (re.compile(r"(?<!director )(?<!secretary )(?<!attorney )(?<!director-)(?<!secretary-)\bgeneral\b(?! manager| secretary)|commander|admiral|colonel|\bmajor\b|lieutenant|sergeant|marshal"
                r"|(?:army|navy|naval|marine|air force|military)\s+captain|\b(?-i:Captain|Capt)\b", re.I), "military"),
    (re.compile(r"police|sheriff|constable|detective", re.I), "police"),
    (re.compile(r"judge|justice|prosecutor|attorney", re.I), "judiciary"),
    (re.compile(r"senator|lawmaker|congress|\bMP\b|speaker|representative|deputy", re.I), "legislature"),
    (re.compile(r"\bCEO\b|chief executive|chairman|chairwoman|founder|executive|managing director|chief financial", re.I), "business"),
    (re.compile(r"professor|researcher|scientist", re.I), "education"),
    (re.compile(r"coach|manager|striker|captain", re.I), "civilian"),
    (re.compile(r"president|prime minister|premier|minister|secretary|chancellor|governor|mayor|ambassador|king|queen|spokes|administrator|director|commissioner|envoy", re.I), "government"),
)


def title_sector(title: str) -> str | None:
    for rx, sector in TITLE_SECTORS:
        if rx.search(title):
            return sector
    return None


def _gazetteer_country(name: str, gaz: Gazetteer, dic: ActorDictionary) -> str | None:
    c = gaz.country_of.get(name)
    return dic.code_of(c) if c else None


GAZ_SECTORS = {"organisation": "government", "mission": "government"}  # the space list: agencies and their missions


def _dictionary_actors(sentence: str, dic: ActorDictionary) -> tuple[list[Actor], list[Actor]]:
    """Dictionary phrases in a sentence, longest first at each token: (country + agent composites
    such as "Israeli soldiers" or "Sudan's government", every other match)."""
    toks = [(m.start(), m.end(), *_token_key(m.group(0))) for m in TOKEN_RE.finditer(sentence)]
    hits: list[tuple[int, int, int, int, Entry]] = []  # first token, after last token, start, end, entry
    i = 0
    first = dic.by_first  # the first token of every phrase: most tokens start none
    while i < len(toks):
        s0, _e0, key, poss0 = toks[i]
        if key not in first:
            i += 1
            continue
        cands = list(dic.by_two.get((key, toks[i + 1][2]), ())) if i + 1 < len(toks) and not poss0 else []
        one = dic.single.get(key)
        if one is not None:
            cands.append(((key,), one))
        for phrase, entry in cands:
            n = len(phrase)
            if i + n > len(toks) or any(toks[i + k][2] != phrase[k] for k in range(2, n)):
                continue
            if entry.kind in NAMED_KINDS and not sentence[s0].isupper() and not (n > 1 and key in tagger.PARTICLES and sentence[toks[i + 1][0]].isupper()):
                continue  # "turkey", not Turkey; but "al Qaeda", "de Beers"
            if any(toks[i + k][3] for k in range(n - 1)):
                continue  # a possessive inside the phrase ends it
            hits.append((i, i + n, s0, toks[i + n - 1][1], entry))
            i += n
            break
        else:
            i += 1
    composites: list[Actor] = []
    singles: list[Actor] = []
    j = 0
    while j < len(hits):
        ti, tn, s, e, entry = hits[j]
        nxt = hits[j + 1] if j + 1 < len(hits) else None
        surface = sentence[s:e]
        if entry.kind == "country" and nxt and nxt[4].kind == "group" and nxt[0] == tn:
            end = nxt[3]
            more = _NAME_AFTER.match(sentence, end)
            agent = sentence[nxt[2] : end]
            if more is not None and agent[:1].isupper() and not _may_capitalise(sentence, s) and not tagger.is_title_or_modifier(strip_possessive(agent)):
                # a capitalised agent word before more capitalised words is a word of a longer name,
                # no agent: an organisation of the country where the name ends in an institution's
                # head ("the centrist Polish People's Party", "South African Police Service"), else
                # left to the tagger ("Australian Women's Hardcourt championships", "British Airways
                # Flight 38")
                text = sentence[s : more.end()]
                last = text.split()[-1]
                if tagger.is_name_head(last) or last.lower() in _COMPOSITE_NAME_HEADS:
                    composites.append(Actor(text, "organisation", "participant", s, more.end(), entry.country, _agent_sector(text, dic), (text,)))
                j += 2
                continue
            text = sentence[s:end]
            kind = "group"
            if agent[:1].isupper() and not agent.isupper() and not _may_capitalise(sentence, s) and nxt[4].sector == "business" and " " not in agent.strip():
                # a company's capitalised word after its country ("the British Airways plane"): an organisation
                kind = "organisation"
            composites.append(Actor(text, kind, "participant", s, end, entry.country, nxt[4].sector, (text,)))
            j += 2
            continue
        if entry.kind == "group" and entry.sector not in STANDALONE_SECTORS:
            pass  # "the president", "officials": a named actor is near; alone they say nothing
        elif entry.kind == "group" and surface[0].isupper() and not _may_capitalise(sentence, s) and not any(map(tagger.is_title_or_modifier, surface.split())):
            pass  # "the Raiders", "Intellectual Deep South Watch": a name, not the agent (titles are capitalised)
        elif entry.kind == "group" and " " not in surface.strip() and tagger.is_title_or_modifier(surface):
            pass  # "deputy", "chief" alone: a word of a title ("deputy prime minister", "bin Laden's deputy")
        elif entry.kind == "group" and _modifies_noun(sentence, surface, e):
            pass  # "the U.N. refugee agency", "its business customer subsidiary": an agent word as a modifier
        elif entry.kind == "group":
            surface = strip_possessive(surface)  # "his mother's memorial": the agent is "mother"
            sector = entry.sector
            if entry.name == "advocate" and _CAUSE_BEFORE.search(sentence, max(0, s - 30), s):
                sector = "civilian"  # "human rights advocates", "consumer advocates": campaigners, no lawyers
            singles.append(Actor(surface.lower(), "group", "participant", s, e, None, sector, (surface,)))
        elif entry.kind == "country" and surface.endswith("s") and surface[-2:-1] not in "'’" and surface.lower() != entry.name.lower() and not surface.isupper():
            # a plural demonym ("Palestinians"): the people, not the state
            composites.append(Actor(surface, "group", "participant", s, e, entry.country, "civilian", (surface,)))
        else:
            surface = strip_possessive(surface)
            # an acronym keeps the text's capitals ("IAEA", not the dictionary's "Iaea")
            same = re.sub(r"\W+", "", surface.lower()) == re.sub(r"\W+", "", entry.name.lower())
            exact = surface.lower() == entry.name.lower() or (same and "." not in surface + entry.name)
            name = surface if surface.isupper() and exact else entry.name  # "AT&T", not "At T"; "U.N." keeps its stop
            singles.append(Actor(name, entry.kind, "participant", s, e, entry.country, entry.sector, (surface,)))
        j += 1
    return composites, singles


_COMPOSITE_NAME_HEADS = frozenset("service front movement union congress alliance forces army force".split())
_NAME_AFTER = re.compile(r"(?:[^\S\n]+[A-Z][a-z][\w'’-]*)+")  # capitalised words after a name's start

# institution nouns an agent word in the singular may modify: "the refugee agency", "a customer
# subsidiary" (not agents: "police officers" is the police; not places: "a police station" is)
_MODIFIED_NOUNS = _ORG_NOUNS | frozenset(
    "agency agencies office unit division department commission council committee organisation organization "
    "association program programme service services fund charity outfit team side squad attack attacks "
    "student students campus".split()
)
# a cause's lower-case noun right before "advocate(s)": a campaigner, not a lawyer
_CAUSE_BEFORE = re.compile(r"\b(?:rights|consumer|privacy|safety|health|patient|patients|gun|child|children's|environmental|animal|immigrant|peace|democracy)[^\S\n]+$")


def _modifies_noun(sentence: str, surface: str, end: int) -> bool:
    """Is the one-word agent `surface` (ending at `end`) a singular modifier of an institution noun
    right after it ("refugee agency")? Plurals and possessives are agents ("workers union" aside)."""
    if " " in surface.strip() or surface.endswith(("s", "'", "’")):
        return False
    nxt = _NEXT_WORD.match(sentence, end)
    return nxt is not None and nxt.start() == end and nxt.group(1) in _MODIFIED_NOUNS


def _weak_alias(surface: str, canon: str, kind: str) -> bool:
    """A gazetteer alias of a mission that may be an ordinary word: one word in Title Case, not the
    mission's own name ("Smile" for SMILE, "Hope" for the Hope probe)."""
    return kind == "mission" and " " not in surface and not surface.isupper() and surface != canon


# head nouns that say what an organisation is, whatever other words its name holds
INSTITUTION_SECTORS = {"university": "education", "college": "education", "school": "education", "academy": "education", "hospital": "health", "clinic": "health"}


def _agent_sector(name: str, dic: ActorDictionary) -> str | None:
    """The sector of the last PETRARCH2 agent word in an organisation's name: "British Transport
    Police" -> police, "Vandenberg Air Force Base" -> military, "Transport Workers Union" -> labour."""
    keys = [_token_key(m.group(0))[0] for m in TOKEN_RE.finditer(name)]
    head = next((INSTITUTION_SECTORS[k] for k in keys if k in INSTITUTION_SECTORS), None)
    if head is not None:
        return head  # "University of Mississippi Rebels" is a university (its team), no rebel group
    sector = None
    for i, k in enumerate(keys):
        two = next((e for p, e in dic.by_two.get((k, keys[i + 1]), ()) if len(p) == 2), None) if i + 1 < len(keys) else None
        entry = two or dic.single.get(k)
        if entry is not None and entry.kind == "group" and entry.sector:
            sector = entry.sector
    return sector


def _may_capitalise(sentence: str, i: int) -> bool:
    """May a common word at sentence[i] be written with a capital? At the sentence's start (after
    quotes, brackets, dashes), in a headline in capitals or Title Case (most words capitalised)."""
    if not any(c.isalnum() for c in sentence[:i]):
        return True
    words = [w for w in sentence.split() if w[:1].isalpha()]
    return len(words) > 1 and sum(w[0].isupper() for w in words) >= 0.7 * len(words)


def find_actors(
    sentence: str, gaz: Gazetteer, ctx: DocContext, use_tagger: bool = True, tagged: list[tuple[int, int, str]] | None = None
) -> list[Actor]:
    """Actors named in one sentence (canonical names, deduplicated), with kind, role, country and sector.

    Document-specific names (persons, acronyms defined in the text) win over the gazetteer and the
    dictionary where they overlap; longest match first. Named kinds must start with a capital letter
    in the text (so "turkey" and "chad" are not countries); agents match in lower case, capitalised
    only where any word may be (a sentence's start, a headline: "the Raiders" is a team). A tagged
    name with more words wins over a dictionary or gazetteer name inside it and takes its country
    (and an organisation's sector). `tagged`: the sentence's `find_entities` spans when the caller
    tagged many sentences in one call (faster).
    """
    dic = load_dictionary()
    found: list[Actor] = []
    taken: list[tuple[int, int]] = []

    def free(s: int, e: int) -> bool:
        return not any(s < te and ts < e for ts, te in taken)

    def add(a: Actor) -> None:
        if free(a.start, a.end):
            taken.append((a.start, a.end))
            found.append(a)

    for surface, s, e in ctx.matches(sentence):
        name, kind, role = ctx.surface_to[surface]
        if kind == "person" and " " not in surface and _other_given_name(sentence, s, name):
            continue  # "Hillary Clinton" where the text's "Clinton" is "President Bill Clinton": her namesake
        country, sector = ctx.codes.get(name, (None, None))
        add(Actor(name, kind, role, s, e, country, sector, aliases_in(ctx, name)))
    composites, singles = _dictionary_actors(sentence, dic)
    for a in composites:  # "Israeli soldiers" before the gazetteer's "Israeli"
        add(a)
    for m in gaz.numbered.finditer(sentence):
        base = m.group("base").replace("’", "'")
        name = f"{base}-{m.group('num')}" if not base.startswith(("Apollo", "Artemis", "Soyuz")) else f"{base} {m.group('num')}"
        add(Actor(name, "mission", "participant", m.start(), m.end(), None, None, (m.group(0),)))
    spans = [] if not (use_tagger or tagged is not None) else (find_entities(sentence) if tagged is None else tagged)
    # persons and organisations only: a place span holding a country ("South Lebanon", or an
    # organisation the tagger took for a place) leaves the country its actor
    named = [(s, e, len(sentence[s:e].split())) for s, e, label in spans if label in (tagger.PERSON, tagger.ORGANISATION) and " " in sentence[s:e]]
    codes_in: dict[int, tuple[str | None, str | None]] = {}  # start of a tagger span -> codes of a name inside it

    def longer_name(a: Actor) -> int | None:
        """Start of a tagged name with more words than `a` that holds it ("Andy Murray" holds the
        dictionary's Murray river, "British Transport Police" the country word "British")."""
        words = len(sentence[a.start : a.end].split())
        return next((s for s, e, n in named if s <= a.start and a.end <= e and n > words), None)

    for m in gaz.regex.finditer(sentence):
        canon, kind = gaz.lookup(m.group(0))
        if ctx.gazetteer_named is not None and _weak_alias(m.group(0), canon, kind) and canon not in ctx.gazetteer_named:
            continue  # "Smile" (an alias of the SMILE mission) in a text that never names SMILE
        country = dic.code_of(canon) if kind == "country" else _gazetteer_country(canon, gaz, dic)
        a = Actor(canon, kind, "participant", m.start(), m.end(), country, GAZ_SECTORS.get(kind), (m.group(0),))
        inside = longer_name(a) if kind == "country" else None
        if inside is not None:
            codes_in.setdefault(inside, (country, None))
            continue
        add(a)
    persons_tagged = {(s, e) for s, e, label in spans if label == tagger.PERSON}
    misc_tagged = [(s, e) for s, e, label in spans if label == tagger.MISC]
    for a in singles:
        if a.kind == "location" and (a.start, a.end) in persons_tagged:
            continue  # "Murray left for the Czech Republic": the tagger's person, not the river
        if a.kind == "location" and any(s <= a.start and a.end <= e for s, e in misc_tagged) and _is_nationality(sentence[a.start : a.end]):
            continue  # "the former Welsh International", "The Spaniard": a nationality, no place
        inside = longer_name(a) if a.kind in NAMED_KINDS else None
        if inside is not None:
            # a longer name wins: "Murray" (a river) inside "Andy Murray", "Bharat" inside "Bharat
            # Sanchar Nigam Limited"; the country of a place and the codes of an organisation inside
            # an organisation are its own ("Bank of England": GBR, "Microsoft Corp.": business)
            # (not a place that is the name's last word, unless after "of": "Kent Austin" is no
            # Texan organisation, a person the tagger took for one; "Bank of England" is British)
            end = next(e for s, e, _n in named if s == inside)
            last_word = a.end >= end and not sentence[inside : a.start].endswith(" of ")
            if (
                a.kind in ("country", "location", "organisation")
                and (a.country or a.sector)
                and inside not in codes_in
                and not (a.kind == "location" and last_word)
            ):
                codes_in[inside] = (a.country, a.sector if a.kind == "organisation" else None)
            continue
        if (
            a.kind == "organisation"
            and a.country
            and ctx.countries is not None
            and a.country not in ctx.countries
            and " " not in a.aliases[0]
            and a.aliases[0].endswith("s")
        ):
            # a one-word plural the dictionary names a group by ("Tigers": a rebel group of SWZ) is
            # a team or a band in a text that never names that country ("the Tigers were bounding")
            a = replace(a, country=None, sector=None)
        if a.kind == "person" and a.country and ctx.countries is not None and a.country not in ctx.countries:
            # a namesake: the dictionary's "Dipak Patel" is a Zambian minister, the text's a cricketer;
            # its country and sector hold only when the document names that country
            a = replace(a, country=None, sector=None)
        add(a)
    if spans:
        for s, e, label in spans:
            if not free(s, e):
                continue
            surface = sentence[s:e]
            kind = {"person": "person", "organisation": "organisation", "location": "location"}.get(label)
            if kind is None or len(surface) < 2 or MONTHS_RE.match(surface):
                continue
            first = surface.split()[0]
            country, sector = None, None
            if kind == "person" and _ORDINAL_FIRST.match(surface) and not tagger.is_title_or_modifier(surface.split()[1]):
                # "Twentieth Century Fox", "First Publishing": an ordinal starts no person's name
                kind = "organisation"
            elif kind == "location" and _STATE_TEAM.fullmatch(surface) and sentence[max(0, s - 4) : s].lower() != "the " and (
                tuple(tagger.norm_word(w) for w in surface.split()) not in tagger.load_tagger().places
            ):
                # "for San Jose State", "over Michigan State": a state university (and its teams), not a place
                kind = "organisation"
            believers = _religion_word(surface)
            if believers is not None:
                # "Shiite", "Sunnis" (tagged a place or an organisation): a religion's believers, a group
                add(Actor(believers, "group", "participant", s, e, None, "religion", (surface,)))
                continue
            if kind in ("organisation", "location") and " " not in surface and ctx.text and not _may_capitalise(sentence, s):
                full = full_name(ctx, surface)
                if full is not None and ctx.surface_to.get(full, ("", "", ""))[1] == "person":
                    # "a front for Thaksin" (tagged an organisation) where the text names "former Prime
                    # Minister Thaksin Shinawatra": one word of a person the document knows is that person
                    kind = "person"
            if kind == "organisation":
                inner_country, inner_sector = codes_in.get(s, (None, None))
                country = dic.code_of(_token_key(first)[0]) or inner_country
                sector = inner_sector or _agent_sector(surface, dic)
            name, aliases = surface, (surface,)
            state = tagger.state_abbreviation(sentence, s, e) if kind == "location" and len(surface) <= 6 else None
            if state is not None:  # "Lombard, Ill.": Illinois, USA
                name, country = state
            elif kind == "location":
                country = (tagger.state_after(sentence, e) or (None, None))[1]  # "Lombard, Ill.": USA
            if kind == "person":
                known = ctx.surface_to.get(surface)
                full = full_name(ctx, surface) if known is None and " " not in surface and ctx.text else None
                if known and known[1] == "person":
                    name, aliases = known[0], aliases_in(ctx, known[0])
                elif full is not None:
                    # a given name or surname alone where the document writes one full name with it
                    name, aliases = full, tuple(sorted({full, surface, *aliases_in(ctx, full)}))
                elif (glued := _glued_person(ctx, surface)) is not None:
                    name, aliases = glued, tuple(sorted({glued, surface.split()[-1], *aliases_in(ctx, glued)}))
                elif len(surface.split()) > 1:
                    # later sentences may name this person by surname: the document learns it
                    ctx.surface_to.setdefault(surface, (surface, "person", "participant"))
                    ctx.surface_to.setdefault(surface.split()[-1], (surface, "person", "participant"))
                    aliases = aliases_in(ctx, surface)
            add(Actor(name, kind, "participant", s, e, country, sector, aliases))
    orgs_tagged = {(s, e) for s, e, label in spans if label == tagger.ORGANISATION}
    for i, a in enumerate(found):
        if a.kind != "location" or not (" " not in sentence[a.start : a.end] or a.country):
            continue
        if a.country is None and _PLURAL_NAME.fullmatch(sentence, a.start, a.end) and _plural_no_place(sentence[a.start : a.end]):
            # a capitalised plural alone, no place the lists know ("the Rams, currently rock-bottom",
            # "Rays Lock Up Pena"): a team or a band by its nickname, not a place
            found[i] = replace(a, kind="organisation", sector=None)
            continue
        if is_team_context(sentence, a.start, a.end) or ((a.start, a.end) in orgs_tagged and _organisation_place(sentence, a.start, a.end)):
            # a place name that a sports context makes a team ("Toronto beat Boston 101-95", "a 2-0
            # win over ten-man Reading"), or that the tagger reads as an organisation where no
            # preposition, dateline or office title says place ("Columbus netminder Pascal Leclaire";
            # not "a court in Liverpool", "TORONTO (AP) -", "Ontario Premier Dalton McGuinty"): a club
            # named by its city, a government by its capital; it keeps the place's country
            found[i] = replace(a, kind="organisation", sector=None)
    t = tagger.load_tagger()
    for i, a in enumerate(found):
        if a.kind != "location" or " " in sentence[a.start : a.end]:
            continue
        for b in found:
            between = sentence[b.end : a.start] if b.end <= a.start else sentence[a.end : b.start]
            if (
                b.kind == "organisation"
                and between in (" and ", " or ", " & ", " vs ", " vs. ", " v ")
                and " " not in sentence[b.start : b.end]
                and (tagger.norm_word(sentence[b.start : b.end]),) in t.places
            ):
                # "when Pittsburgh and Buffalo meet": a place joined to a team named by its place is one too
                found[i] = replace(a, kind="organisation", sector=None)
                break
    by_start = sorted(found, key=lambda a: a.start)
    for k in range(1, len(by_start) - 1):
        left, a, right = by_start[k - 1], by_start[k], by_start[k + 1]
        if (
            a.kind in ("organisation", "person")
            and a.country is None
            and a.sector is None
            and left.kind == right.kind == "location"
            and sentence[left.end : a.start] in (", ", " and ")
            and sentence[a.end : right.start] in (", ", " and ")
        ):
            # "provinces of Catanduanes, Camarines Norte and Polillo Island": a name listed between
            # places is one (the tagger read an organisation or a person)
            found[found.index(a)] = replace(a, kind="location")
    person_at = {a.start: i for i, a in enumerate(found) if a.kind == "person"}
    for a in list(found):
        k = person_at.get(a.end + 1, person_at.get(a.end))
        if a.kind in ("group", "organisation") and a.country is not None and k is not None and tagger.is_title_or_modifier(sentence[a.start : a.end].split()[-1]):
            # "Pakistani President" before "Pervez Musharraf": the person's title, country and sector
            p = found[k]
            # (the title's own sector first: "Pakistan captain" is a player, the dictionary's agent "captain" an officer)
            title = sentence[a.start : a.end]
            found[k] = replace(p, role=p.role if p.role != "participant" else title, country=p.country or a.country, sector=p.sector or title_sector(title) or a.sector)
    person_starts = set(person_at)
    out: dict[tuple[str, str], Actor] = {}
    for a in sorted(found, key=lambda a: a.start):
        if a.kind == "group" and (a.end + 1 in person_starts or a.end in person_starts) and (
            a.country is None or tagger.is_title_or_modifier(sentence[a.start : a.end].split()[-1])
        ):
            continue  # "Director General" of "ESA Director General Josef Aschbacher": a title, not an actor
        if a.kind == "organisation" and (a.end + 1 in person_starts or a.end in person_starts) and tagger.is_title_or_modifier(sentence[a.start : a.end].split()[-1]):
            continue  # "Homeland Security Secretary Michael Chertoff": the dictionary's office is his title
        out.setdefault((a.name, a.kind), a)
    return list(out.values())


_NAME_WORDS_BEFORE = re.compile(r"(?:[A-Z][a-zà-ÿ]+[ \t]+){1,2}$")


def _may_be_given_name(word: str, lexicon: Mapping[str, int]) -> bool:
    """May a capitalised word before a surname be a given name: not one running text writes in lower
    case (the lexicon's 0: "Will", "Assails" in a Title Case line) nor a title ("President")?"""
    return lexicon.get(word.lower(), 1) != 0 and not tagger.is_title_or_modifier(word)


def _other_given_name(sentence: str, start: int, name: str) -> bool:
    """Does a given name other than `name`'s own stand right before the one-word person reference
    at `start` ("Hillary Clinton", "Hillary Rodham Clinton" where `name` is "Bill Clinton")? Then
    the words name another person of that surname. Words that running text writes in lower case
    ("Will Clinton run?") and titles are no given names."""
    m = _NAME_WORDS_BEFORE.search(sentence, max(0, start - 40), start)
    if m is None:
        return False
    lexicon = tagger.load_tagger().lexicon
    given = _given_names()
    own = {tagger.norm_word(w) for w in name.split()}
    for w in m.group(0).split():
        key = tagger.norm_word(w)
        if key in given and key not in own and _may_be_given_name(w, lexicon):
            return True
    return False


_ORDINAL_FIRST = re.compile(
    r"(?:First|Second|Third|Fourth|Fifth|Sixth|Seventh|Eighth|Ninth|Tenth|Eleventh|Twelfth|Twentieth|Twenty-First|Twenty-first)[^\S\n]+[A-Z]"
)
_STATE_TEAM = re.compile(r"(?:[A-Z][a-z]+[^\S\n]+){1,2}State")


def _glued_person(ctx: DocContext, surface: str) -> str | None:
    """The full name a person span stands for when its words before the surname are common words a
    Title Case line glued to it ("Mother Assails Huckabee Says ...": "Assails Huckabee"; "Movie Buzz
    DiCaprio"): the one full name the document writes with that surname ("Mike Huckabee"), when
    every word before it is one running text writes in lower case or a verb's -s form no list
    knows (no given name, no title); else None ("Hillary Clinton"
    stays, whatever other Clinton the text names)."""
    words = surface.split()
    if len(words) < 2 or not ctx.text:
        return None
    lexicon = tagger.load_tagger().lexicon
    given = _given_names()

    def common(w: str) -> bool:  # a word running text writes in lower case, or one of no list, no given name
        case = lexicon.get(w.lower())
        if not (w.isalpha() and w[:1].isupper() and w[1:].islower()) or tagger.is_title_or_modifier(w):
            return False  # ("ELAINE THOMPSON": a byline's name in capitals)
        # (a word of no list: only a Title Case headline's verb, "Assails", "Denies"; an unknown
        # given name, "Dodi Fayed", "Tramon Williams", is another person of that surname)
        return case == 0 or (case is None and w.endswith("s") and not w.endswith("ss") and tagger.norm_word(w) not in given)

    if not all(map(common, words[:-1])):
        return None
    surname = strip_possessive(words[-1])
    # the text's other "Given Surname" forms (not this span's own: a page may glue the headline to
    # its body on one line, where full_name counts "Assails Huckabee" as a form too)
    forms = {
        m.group(0)
        for m in re.finditer(rf"(?<![\w'’-])({_NAME_WORD})[ \t]+{re.escape(surname)}(?![\w-])", ctx.text)
        if m.group(1) != words[-2] and _may_be_given_name(m.group(1), lexicon) and m.group(1) not in NOT_PERSON_WORDS
    }
    return forms.pop() if len(forms) == 1 else None


def _religion_word(surface: str) -> str | None:
    """The believers a one-word span names when it is a religion's word or its plural ("Shiites" ->
    "Shiite", "Sunni", "Muslims"; tagger._RELIGIONS), else None."""
    word = strip_possessive(surface)
    if " " in word or not word[:1].isupper():
        return None
    low = word.lower()
    if low.endswith("s") and low[:-1] in tagger._RELIGIONS:
        return word[:-1]
    return word if low in tagger._RELIGIONS else None


def _is_nationality(surface: str) -> bool:
    """Is a one-word dictionary place a nationality word by the tagger's training names ("Welsh",
    "Briton", "Spaniard": MISC there; not "Portland")?"""
    return " " not in surface and tagger.load_tagger().names.get((tagger.norm_word(surface),)) == "MISC"


# sports results: a score ("2-0", "106-98"; not years, times or dates) and the words next to a
# place named as a team. Strong words make a team on their own ("beat Leeds", "Toronto coach");
# weak ones only in a sentence with a score ("win over Reading", "a balanced Phoenix attack").
_SCORE = re.compile(r"(?<![\d.,:/-])\d{1,3}-\d{1,3}(?!\d|[.,:/-]\d)")
_TEAM_MODIFIERS = r"(?:(?:the|[\w]+-man|bottom|top|bottom-placed|top-placed|placed|struggling|lowly|high-flying|unbeaten|visiting|rivals?)\s+){0,3}$"
_TEAM_STRONG_BEFORE = re.compile(
    r"\b(?:beat|beats|beating|defeated|defeating|edged|edging|routed|thrashed|hammered|downed|outlasted|"
    r"(?:lost|losing|fell|falling) to|at home to|(?:drew|draw|drawing) with)\s+" + _TEAM_MODIFIERS
)
_TEAM_WEAK_BEFORE = re.compile(r"\b(?:over|against|vs\.?|v\.?|versus|hosts?|hosting|hosted|visiting|visit)\s+" + _TEAM_MODIFIERS)
_TEAM_STRONG_AFTER = re.compile(
    r"(?:['’]s)?\s+(?:beat|beats|defeated|edged|routed|thrashed|hammered|downed|outlasted|coach|manager|boss|"
    r"striker|goalkeeper|midfielder|defender|quarterback|fans|supporters)\b"
)
_TEAM_WEAK_AFTER = re.compile(
    r"(?:['’]s)?\s+(?:won|lost|drew|held|scored|trailed|led|leads|made|rallied|attack|defence|defense|offense|winning|losing|"
    r"offence|players|squad|side|win|victory|defeat|loss)\b"
)


_PLACE_PREPOSITIONS = frozenset("in at from near outside inside across to into through toward towards around of".split())


# after a dateline's place: its source in brackets and a dash ("Boston (eCanadaNow) -", "Paris (AFP) --")
_DATELINE_AFTER = re.compile(r"[^\S\n]*\([^()\n]{1,40}\)[^\S\n]*(?:-|–|—)")


_PLURAL_NAME = re.compile(r"[A-Z][a-z]{2,}s")


def _plural_no_place(word: str) -> bool:
    """Is a capitalised word a plural's form ("Rams", "Rays") that no place list knows, alone or as
    its singular, nor the actor dictionary, no plural place head ("Highlands", "Keys"), not ending
    in -es ("Wales", "Catanduanes": a place's own -s)?"""
    low = word.lower()
    if low.endswith(("ss", "us", "is", "os", "as", "es")) or low in _PLURAL_PLACE_HEADS:
        return False
    entry = load_dictionary().single.get(low)
    if entry is not None and entry.kind in ("country", "location"):
        return False
    places = tagger.load_tagger().places
    return (tagger.norm_word(word),) not in places and (tagger.norm_word(word[:-1]),) not in places


def _organisation_place(sentence: str, start: int, end: int) -> bool:
    """May a place name the tagger reads as an organisation be one: not written in capitals (a
    dateline), not after a preposition of place, not before an office title?"""
    surface = sentence[start:end]
    if surface.isupper():
        return False
    if _DATELINE_AFTER.match(sentence, end) and not any(c.isalnum() for c in sentence[sentence.rfind("\n", 0, start) + 1 : start]):
        return False  # "Boston (eCanadaNow) - Rosie O'Donnell ...": a dateline's place, before its source
    before = sentence[:start].split()
    if before and before[-1].lower() in _PLACE_PREPOSITIONS:
        return False
    after = sentence[end:].split()
    return not (after and tagger.is_title_or_modifier(after[0]))


def is_team_context(sentence: str, start: int, end: int) -> bool:
    """Is the place name sentence[start:end] a sports team by the words around it: "Toronto beat
    Boston", "lost to Leeds", "the Toronto coach" anywhere, "a 2-0 win over ten-man Reading",
    "Portsmouth made the best possible start ... with a 2-0 win", "a balanced Phoenix attack, as the
    Suns beat the Lakers, 106-98" only in a sentence with a score. (Countries are no teams here:
    national sides keep the country, as CoNLL labels them.)"""
    before = sentence[max(0, start - 60) : start]
    if _TEAM_STRONG_BEFORE.search(before) or _TEAM_STRONG_AFTER.match(sentence, end):
        return True
    if not _SCORE.search(sentence):
        return False
    return bool(_TEAM_WEAK_BEFORE.search(before) or _TEAM_WEAK_AFTER.match(sentence, end))


def entity_rows(
    events: Iterable[tuple[str, Iterable[Mapping], Iterable[str]]], mentions_per_event: Mapping[str, int], run_id: str
) -> list[dict]:
    """The actor index, rebuilt from all events, given as (event_id, actor dicts (the `actors`
    column: name, kind, country, sector, aliases), doc_ids): one row per (kind, canonical name), with
    its most frequent country and sector and every alias seen."""
    from tasks.schema import record_hash

    agg: dict[tuple[str, str], dict] = {}
    for event_id, actors, doc_ids in events:
        for a in actors:
            cur = agg.setdefault((a["kind"], a["name"]), {"docs": set(), "mentions": 0, "country": Counter(), "sector": Counter(), "aliases": set()})
            cur["docs"].update(doc_ids)
            cur["mentions"] += mentions_per_event.get(event_id, 1)
            if a.get("country"):
                cur["country"][a["country"]] += 1
            if a.get("sector"):
                cur["sector"][a["sector"]] += 1
            cur["aliases"].update(a.get("aliases") or ())
    gaz = load_gazetteer()
    aliases_of: dict[str, set[str]] = defaultdict(set)
    for alias, (canon, _kind) in gaz.alias_to.items():
        aliases_of[canon].add(alias)
    rows = []
    for (kind, name), v in sorted(agg.items()):
        row = {
            "entity_id": hashlib.sha256(f"{kind}|{name}".encode()).hexdigest()[:16],
            "name": name,
            "kind": kind,
            "country": _most_common(v["country"]),
            "sector": _most_common(v["sector"]),
            "aliases": sorted((aliases_of.get(name, set()) | v["aliases"]) - {name}),
            "n_mentions": int(v["mentions"]),
            "n_documents": len(v["docs"]),
            "run_id": run_id,
        }
        row["record_hash"] = record_hash(row)
        rows.append(row)
    return rows


def _most_common(c: Counter) -> str | None:
    return min(c.items(), key=lambda kv: (-kv[1], kv[0]))[0] if c else None

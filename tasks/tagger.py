"""The named-entity tagger behind `tasks.entities.find_entities`: persons, organisations, locations.

In:  raw text (a document, a sentence, a headline; any case, curly or straight quotes, newlines).
Out: `tag(text)` -> spans `(start, end, label)`, character offsets (end exclusive), labels
     `person`, `organisation`, `location` and `misc` (nationalities, events, products...).

The model is a linear-chain CRF trained by `train/entities.py` (CRFsuite, L-BFGS) on CoNLL++ train,
stored as plain arrays in `tasks/data/ner_model.npz` (model card: `tasks/data/README.md`). Inference is
ours, numpy only, and exact: every feature of a token is a feature of one word *type* at one relative
position (-2..+2), so a type's weight vector per position is computed once and cached, a token's
emission scores are five row look-ups, and Viterbi runs over all sentences of a text at once. Two
kinds of attributes look beyond the word: what the rest of the text says about a capitalised word
(`document_attributes`: give `tag` a whole document, not one sentence at a time) and a name list
learned from the training text (`name_attributes`).

Tokenisation follows CoNLL-2003 (Penn-like): punctuation split off, "U.S." and "Mr." kept whole,
clitics split ("Trump’s" -> "Trump" "’s", "don't" -> "do" "n't"), hyphenated words kept whole.
Sentences end at newlines and at . ! ? before a capitalised token. A sentence in capitals, or a Title
Case headline (several capitalised common words), is tagged in "caps mode": its words lose their case
features and keep what the training text says about their usual case.
"""

from __future__ import annotations

import functools
import json
import re
import threading
from collections import Counter
from collections.abc import Callable, Container, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from itertools import repeat

import numpy as np

PERSON = "person"
ORGANISATION = "organisation"
LOCATION = "location"
MISC = "misc"
LABEL_OF = {"PER": PERSON, "ORG": ORGANISATION, "LOC": LOCATION, "MISC": MISC}  # CoNLL type -> our label

MODEL_FILE = "data/ner_model.npz"
OFFSETS = (-2, -1, 0, 1, 2)
BOS, EOS = "\x02BOS", "\x02EOS"  # padding types before / after a sentence
CAPS = "\x01"  # key prefix of a word in a caps-mode sentence

# words written with a full stop that is not a sentence end ("Mr. Smith", "Jan. 6")
ABBREVIATIONS = frozenset(
    "Mr Mrs Ms Dr Prof St Ste Mt Ft Gen Col Lt Sgt Capt Cmdr Adm Gov Sen Rep Rev Hon "
    "Pres Sec No vs Jan Feb Mar Apr Jun Jul Aug Sep Sept Oct Nov Dec Ave Blvd approx dept est fig".split()
)
# ... and those that often end a sentence: their full stop is theirs only when the sentence goes on
# ("Acme Inc. said" -> "Inc."; "bought Acme Inc." -> "Inc" "." as CoNLL writes it; "Tampa, Fla.")
FINAL_ABBREVIATIONS = frozenset(
    "Inc Corp Co Ltd Plc Bros Jr Sr etc al Ala Ariz Ark Calif Colo Conn Fla Ga Ill Kan Ky La Md Mass Mich Minn "
    "Mo Mont Neb Nev Okla Ore Pa Tenn Tex Va Vt Wis Wyo".split()
)
_CLITIC = r"(?:[sSdDmM]|re|RE|ve|VE|ll|LL)"
# (?=\S) first: no token starts at a space, and the test spares every alternative there (~1.6x faster)
TOKEN_RE = re.compile(
    rf"""
    (?=\S)(?:
    (?:https?://|www\.)[^\s"<>]*[^\s"<>.,;:!?)\]'’”]                # URLs
  | (?:[^\W\d_]\.){{2,}}(?![^\W\d_])                               # U.S.  a.m.  F.C.
  | [A-Z]\.(?=\s+[A-Z])                                            # initials: J. Smith
  | (?:\d+|(?<![\w.])(?=\.\d))(?:[.,:/]\d+)*(?:-\w+)*(?:st|nd|rd|th|s)?(?![^\W_])   # 1,000 3.5 .596 1996-08-22 26-year-old
  | ['’]{_CLITIC}\b                                                # 's 're 'll
  | \w+(?:(?:-|&|['’](?!{_CLITIC}\b))\w+)*                          # words: Jean-Yves  O'Brien  AT&T  (don't: below)
  | -{{2,}} | \.{{2,}} | [^\w\s]
    )""",
    re.VERBOSE,
)
# The tokens of a line with the white space before each, found by one `findall` (offsets are summed
# lengths: every character that is no space starts or continues a token). Its first alternative is
# a plain word that no other alternative can take (no URL, acronym, initial, number or clitic starts
# a run of ASCII letters followed by none of \w . - & ' ’ : /): most tokens, tried first, the same
# tokens (the other alternatives tried in order at every position cost twice as much).
_SPACED_TOKEN_RE = re.compile(
    r"(\s*)((?=\S)(?:[A-Za-z]+(?![\w.\-&'’:/])|" + TOKEN_RE.pattern.split("(?=\\S)(?:", 1)[1] + ")",
    re.VERBOSE,
)
MAX_SENTENCE_TOKENS = 150  # longer runs are cut (the longest sentence of CoNLL++ train has 113 tokens)
BATCH_SENTENCES = 256  # sentences decoded together (memory: sentences x longest x labels)
_LINE_RE = re.compile(r"[^\n\r]+")
_QUOTES = str.maketrans(
    {
        "’": "'",
        "‘": "'",
        "‚": "'",
        "‛": "'",
        "“": '"',
        "”": '"',
        "„": '"',
        "«": '"',
        "»": '"',
        "–": "-",
        "—": "--",
    }
)
_DIGITS = str.maketrans("0123456789", "0000000000")
_SENTENCE_END = frozenset([".", "!", "?", "...", '."', '?"', '!"'])
# titles before a name, never part of a person span (written with or without the full stop); alone,
# a span of these is no person ("The President said")
TITLES = frozenset(
    "Mr Mrs Ms Miss Mx Dr Prof Professor Sir Dame Sen Senator Rep Representative Gov Governor President "
    "Vice-President Chancellor Premier Minister Secretary Ambassador Judge Justice Gen General Lt Col Colonel "
    "Capt Captain Cmdr Commander Adm Admiral Sgt Sergeant Rev Reverend Fr Father Pope Rabbi Imam Sheikh "
    "MR MRS MS DR PRESIDENT SENATOR".split()
)
_TITLE_WORDS = frozenset(
    w.lower()
    for w in (
        *TITLES,
        *"MLA MP MEP MPP MK TD Mayor Chairman Chairwoman Chair CEO CFO COO Director Administrator Commissioner "
        "Spokesman Spokeswoman Spokesperson Coach Defenceman Defenseman Goalkeeper Striker Midfielder "
        "Quarterback Pitcher Officer Chief Inspector Superintendent Detective Constable Attorney Prosecutor "
        "Councillor Councilor Alderman Congressman Congresswoman Lawmaker Envoy Deputy Leader Speaker "
        "King Queen Prince Princess Emperor Empress Crown Lord Lady Ayatollah Cardinal Bishop Archbishop "
        "Sheik Emir Sultan Grand Mufti Lieutenant Major Marshal Field Brigadier Corporal "
        "Sec Supt Insp Det Cllr Amb Sgt Maj Brig Lieut Gen".split(),
    )
)
# titles that, inside an organisation or location span, mark the words after them as a person
# ("MLA John Rustad", "CNSA Administrator Zhang Kejian"); royal and military titles are left out:
# "Prince Edward Island", "Queen Elizabeth Hospital", "Fort Major Street"
_OFFICE_TITLES = frozenset(
    "mr mrs ms dr prof professor sen senator rep representative gov governor president vice-president "
    "premier minister chancellor mayor mla mp mep mpp secretary ambassador judge administrator director "
    "ceo cfo chairman chairwoman spokesman spokeswoman spokesperson commissioner coach defenceman defenseman "
    "congressman congresswoman lawmaker envoy".split()
)
# words that may stand in a title before its head: "Managing Director", "Prime Minister", "Vice Chairman"
_TITLE_MODIFIERS = frozenset(
    "managing executive general chief deputy vice senior acting interim former prime foreign finance defence "
    "defense interior health trade state junior assistant associate principal first".split()
)
# last words of organisation and place names that hold an office title ("Governor Phillip Tower")
_NAME_HEADS = frozenset(
    "university college school institute hospital county street road avenue square island islands airport "
    "stadium park bridge tower hall centre center party council committee commission bank group inc corp "
    "ltd co association foundation department ministry agency office court club league cup open "
    "championship championships trophy award prize memorial".split()
)


def _is_title(word: str) -> bool:
    return word.rstrip(".").lower() in _TITLE_WORDS


def is_title_or_modifier(word: str) -> bool:
    """A title ("Minister", "Sen.") or a word that may stand in one ("Deputy", "Foreign")."""
    return _is_title(word) or word.lower() in _TITLE_MODIFIERS


# lowercase name particles: "Ursula von der Leyen", "Luiz Inácio Lula da Silva", "Osama bin Laden"
PARTICLES = frozenset(
    [
        "von",
        "van",
        "der",
        "den",
        "de",
        "del",
        "della",
        "di",
        "da",
        "das",
        "dos",
        "du",
        "le",
        "la",
        "bin",
        "ibn",
        "al",
        "ter",
        "zu",
    ]
)


def _sentence_goes_on(line: str, i: int) -> bool:
    """After a full stop at line[i - 1]: does the sentence continue (a lower-case word, a comma...)?"""
    rest = line[i : i + 40].lstrip()
    return bool(rest) and not (rest[0].isupper() or rest[0] in "\"“‘'(")


def tokenise(text: str) -> list[list[tuple[int, int, str]]]:
    """Sentences of tokens `(start, end, surface)` with character offsets into `text`."""
    sentences: list[list[tuple[int, int, str]]] = []
    ends, quotes, abbreviations, finals = _SENTENCE_END, "\"“‘'(", ABBREVIATIONS, FINAL_ABBREVIATIONS
    for line_m in _LINE_RE.finditer(text):
        line = line_m.group()
        base = line_m.start()
        n = len(line)
        sent: list[tuple[int, int, str]] = []
        prev = ""
        skip = 0
        pos = 0
        for space, tok in _SPACED_TOKEN_RE.findall(line):
            s = pos + len(space)
            e = pos = s + len(tok)
            if s < skip:  # the full stop of an abbreviation, already taken
                continue
            if e < n and line[e] == ".":
                word = tok.capitalize() if tok.isupper() else tok  # "ST. LOUIS" in a headline
                if word in abbreviations or (word in finals and _sentence_goes_on(line, e + 1)):
                    tok += "."
                    e = skip = e + 1
            # a sentence ends after . ! ? when the next token starts a new one
            if prev in ends and sent and (tok[0].isupper() or tok[0] in quotes or tok[0].isdigit()):
                sentences.append(sent)
                sent = []
            if (
                ("'" in tok or "’" in tok)
                and len(tok) > 3
                and tok[-3] in "nN"
                and tok[-1] in "tT"
                and tok[-2] in "'’"
            ):
                sent.append((base + s, base + e - 3, tok[:-3]))  # do|n't
                sent.append((base + e - 3, base + e, tok[-3:]))
            else:
                sent.append((base + s, base + e, tok))
            prev = tok
            if len(sent) >= MAX_SENTENCE_TOKENS:  # a list or table with no full stop: cut it
                sentences.append(sent)
                sent = []
        if sent:
            sentences.append(sent)
    return sentences


_SHAPE = str.maketrans(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", "X" * 26 + "x" * 26 + "d" * 10
)
_RUNS = re.compile(r"(?<=(.))\1+")  # the repeats of a character (removed: "Xxxx" -> "Xx")


def _norm(word: str) -> str:
    """Lower case, curly quotes and dashes made plain (they are all outside ASCII)."""
    low = word.lower()
    return low if low.isascii() else low.translate(_QUOTES)


def norm_word(word: str) -> str:
    """A word as the name lists key it (lower case, plain quotes and dashes)."""
    return _norm(word)


def shape(word: str) -> str:
    """Collapsed word shape: "Xx", "X", "x", "d", "Xx-Xx", "X.X.", "d,d" ..."""
    if word.isascii():
        return _RUNS.sub("", word.translate(_SHAPE))[:8]
    out: list[str] = []
    for c in word:
        s = "X" if c.isupper() else "x" if c.islower() else "d" if c.isdigit() else c
        if not out or out[-1] != s:
            out.append(s)
    return "".join(out)[:8]


_HAS_LETTER = re.compile(r"[^\W\d_]")


def is_caps_sentence(words: Sequence[str], lexicon: dict[str, int]) -> bool:
    """A sentence whose case says nothing about names: all capitals, or a Title Case headline (at
    least two capitalised words after the first that the training text writes in lower case, or
    one such word and every word of four letters or more capitalised)."""
    letters = [w for w in words if w[0].isalpha() or (len(w) > 1 and _HAS_LETTER.search(w))]
    if not letters:
        return False
    if all(not any(c.islower() for c in w) for w in letters) and sum(len(w) > 1 for w in letters) >= 2:
        return True
    # both tests below need a capitalised common word after the first: most sentences have none
    common = sum(1 for w in letters[1:] if w[0].isupper() and lexicon.get(w.lower(), -1) == 0)
    if not common:
        return False
    if common >= 2 and common * 4 >= len(letters):
        return True
    long_words = long_caps = 0
    for w in letters[1:]:
        if len(w) > 3:
            long_words += 1
            long_caps += w[0].isupper()
    # "Obama Wins Iowa Caucus as Clinton Trails": every longer word capitalised, one of them common
    return (
        common >= 1
        and long_words >= 4
        and long_caps == long_words
        and letters[0][0].isupper()
        and not any(w[0].isdigit() for w in words)  # result lines: "G. Kersey 63, J. Ratcliffe 63"
    )


def word_key(word: str, caps: bool) -> str:
    key = word if word.isascii() else word.translate(_QUOTES)
    return CAPS + key if caps else key


def type_features(key: str, lexicon: dict[str, int]) -> dict[int, list[str]]:
    """The CRF attributes a word type contributes to the token at each relative position.

    Offset 0 has the word's own identity, shape, affixes and usual case; neighbours at +-1 their
    word, shape and case class; +-2 their word and shape. `lexicon` maps a lowercased word to the
    case it has in running training text (0 lower, 1 mixed, 2 capitalised)."""
    if key[0] == "\x02":
        return {o: [f"{o}:{key[1:]}"] for o in OFFSETS if (o < 0) == (key == BOS) and o != 0}
    caps = key[0] == CAPS
    w = key[1:] if caps else key
    low = w.lower().translate(_DIGITS)
    lex = lexicon.get(w.lower())
    lexf = f"c={lex}" if lex is not None else "c=?"
    own = [f"l={low}", lexf]
    if caps:
        own.append("caps")
        sh = "C" if any(c.isalpha() for c in w) else shape(w)
        if any(c.isdigit() for c in w):
            sh += "d"
    else:
        sh = shape(w)
        own.append(f"w={w.translate(_DIGITS)}")
        if len(w) > 1 and w.isupper():
            own.append("upper")
        elif w[:1].isupper():
            own.append("title")
    own.append(f"s={sh}")
    n = len(low)
    for k in (1, 2, 3, 4):
        if n > k:
            own.append(f"p{k}={low[:k]}")
            own.append(f"x{k}={low[-k:]}")
    if n > 5:
        own.append(f"x5={low[-5:]}")
    own.append(f"n={min(n, 8)}")
    if "-" in w:
        own.append("hyph")
        parts = low.split("-")
        own.append(f"h0={parts[0]}")
        own.append(f"h1={parts[-1]}")
    near = [f"l={low}", f"s={sh}", lexf]
    if not caps and w[:1].isupper():
        near.append("title")
    far = [f"l={low}", f"s={sh}"]
    return {
        0: own,
        -1: [f"-1:{f}" for f in near],
        1: [f"1:{f}" for f in near],
        -2: [f"-2:{f}" for f in far],
        2: [f"2:{f}" for f in far],
    }


def split_type_features(key: str, lexicon: dict[str, int]) -> tuple[tuple, list[str], str]:
    """`type_features` in parts, for fast scoring: a key of the attributes many types share (shape,
    usual case, flags, length: `shared_type_features` turns it into them), the attributes of this
    word alone at offset 0 (its forms and affixes), and its normalised form, whose "l=" attribute
    is all it adds at the other offsets. Together they are exactly `type_features(key, lexicon)`
    (`own_type_features` puts them back together; a test checks it)."""
    if key[0] == "\x02":
        return (key,), [], ""
    caps = key[0] == CAPS
    w = key[1:] if caps else key
    wl = w.lower()
    low = wl.translate(_DIGITS)
    lex = lexicon.get(wl)
    if caps:
        sh = "C" if any(c.isalpha() for c in w) else shape(w)
        if any(c.isdigit() for c in w):
            sh += "d"
        own_flag = near_title = ""
    else:
        sh = shape(w)
        initial = w[:1].isupper()
        own_flag = "upper" if len(w) > 1 and w.isupper() else "title" if initial else ""
        near_title = "title" if initial else ""
    n = len(low)
    hyph = "-" in w
    own = [f"l={low}"]
    if not caps:
        own.append(f"w={w.translate(_DIGITS)}")
    if n > 1:
        own += (f"p1={low[:1]}", f"x1={low[-1:]}")
        if n > 2:
            own += (f"p2={low[:2]}", f"x2={low[-2:]}")
            if n > 3:
                own += (f"p3={low[:3]}", f"x3={low[-3:]}")
                if n > 4:
                    own += (f"p4={low[:4]}", f"x4={low[-4:]}")
                    if n > 5:
                        own.append(f"x5={low[-5:]}")
    if hyph:
        parts = low.split("-")
        own += (f"h0={parts[0]}", f"h1={parts[-1]}")
    shared = (caps, sh, "?" if lex is None else lex, own_flag, near_title, min(n, 8), hyph)
    return shared, own, low


def own_type_features(own: list[str], low: str) -> dict[int, list[str]]:
    """The word-specific attributes of `split_type_features` per offset."""
    if not low:
        return {}
    return {0: own, -1: [f"-1:l={low}"], 1: [f"1:l={low}"], -2: [f"-2:l={low}"], 2: [f"2:l={low}"]}


def shared_type_features(shared: tuple) -> dict[int, list[str]]:
    """The attributes behind a key of `split_type_features` (the part many word types share)."""
    if len(shared) == 1:  # sentence padding
        key = shared[0]
        return {o: [f"{o}:{key[1:]}"] for o in OFFSETS if (o < 0) == (key == BOS) and o != 0}
    caps, sh, lex, own_flag, near_title, n, hyph = shared
    lexf = f"c={lex}"
    own = [lexf]
    if caps:
        own.append("caps")
    if own_flag:
        own.append(own_flag)
    own += (f"s={sh}", f"n={n}")
    if hyph:
        own.append("hyph")
    near = [f"s={sh}", lexf, *((near_title,) if near_title else ())]
    return {
        0: own,
        -1: [f"-1:{f}" for f in near],
        1: [f"1:{f}" for f in near],
        -2: [f"-2:s={sh}"],
        2: [f"2:s={sh}"],
    }


def sentence_keys(words: Sequence[str], lexicon: dict[str, int], caps: bool | None = None) -> list[str]:
    if caps is None:
        caps = is_caps_sentence(words, lexicon)
    return [word_key(w, caps) for w in words]


def document_attributes(
    sentences: Sequence[Sequence[str]], caps: Sequence[bool], only: Sequence[int] | None = None
) -> list[list[tuple[str, ...]]]:
    """Per token, what the rest of the document says about its word (capitalised words and words of
    caps-mode sentences only; empty tuples elsewhere): written capitalised mid-sentence (D:cm) or in
    lower case (D:lo) somewhere in running text, as the first / middle / last word of a capitalised
    run (D:rf, D:rm, D:rl), and the words seen before (D:p=) and after (D:n=) it. Surface evidence
    only, no predictions: a headline's "TRUMP" learns from the body's "President Trump said".
    `only`: the indices of the sentences whose tokens are wanted (all sentences still inform the
    attributes), one row each in that order."""
    rows = range(len(sentences)) if only is None else only
    # the words whose attributes are asked for: only what the document says about them is gathered
    wanted = {
        _norm(w)
        for i in rows
        for w in sentences[i]
        if w[0].isalpha() and (caps[i] or w[0].isupper())
    }
    seen: dict[str, set[str]] = {}
    lower: set[str] = set()
    for words, c in zip(sentences, caps, strict=True):
        if c:
            continue
        n = len(words)
        for i, w in enumerate(words):
            first = w[0]
            if not first.isalpha():
                continue
            if not first.isupper():
                lower.add(w if w.isascii() else w.translate(_QUOTES))
                continue
            low = _norm(w)
            if low not in wanted:
                continue
            st = seen.get(low)
            if st is None:
                st = seen[low] = set()
            prev_cap = next_cap = False
            if i:
                st.add("D:cm")
                prev = words[i - 1]
                st.add("D:p=" + _norm(prev))
                prev_cap = prev[0].isupper()
            if i + 1 < n:
                nxt = words[i + 1]
                st.add("D:n=" + _norm(nxt))
                next_cap = nxt[0].isupper()
            if prev_cap or next_cap:
                st.add("D:rm" if prev_cap and next_cap else "D:rl" if prev_cap else "D:rf")
    memo: dict[str, tuple[str, ...]] = {}

    def attrs_of(w: str) -> tuple[str, ...]:
        attrs = memo.get(w)
        if attrs is None:
            low = _norm(w)
            attrs = memo[w] = (*sorted(seen.get(low, ())), *(("D:lo",) if low in lower else ()))
        return attrs

    return [
        [attrs_of(w) if w[0].isalpha() else () for w in sentences[i]]
        if caps[i]
        else [attrs_of(w) if w[0].isupper() and w[0].isalpha() else () for w in sentences[i]]
        for i in rows
    ]


def token_attributes(keys: Sequence[str], feats: Callable[[str], dict[int, list[str]]]) -> list[list[str]]:
    """Every token's attributes (the training view of what `Tagger` sums from its cache)."""
    n = len(keys)
    padded = [BOS, BOS, *keys, EOS, EOS]
    out: list[list[str]] = []
    for i in range(n):
        attrs: list[str] = ["bias"]
        for o in OFFSETS:
            attrs.extend(feats(padded[i + 2 + o]).get(o, ()))
        out.append(attrs)
    return out


def spans_from_tags(tags: Sequence[str]) -> list[tuple[int, int, str]]:
    """IOB2 tags (an I- after another type also opens a span) -> token spans (first, last + 1, type)."""
    spans: list[tuple[int, int, str]] = []
    start, cur = -1, ""
    for i, t in enumerate([*tags, "O"]):
        typ = t[2:] if t != "O" else ""
        if cur and (t == "O" or t[0] == "B" or typ != cur):
            spans.append((start, i, cur))
            cur = ""
        if typ and not cur:
            start, cur = i, typ
    return spans


def name_attributes(
    sentences: Sequence[Sequence[str]],
    caps: Sequence[bool],
    lookup: Callable[[tuple[str, ...]], str | None],
    longest: Mapping[str, int],
    prefix: str = "G",
) -> list[list[tuple[str, ...]]]:
    """Per token, its place in the longest known name starting at a capitalised word (left to right,
    not overlapping): ("G:B-PER",), ("G:I-PER",) ... `lookup` gives a lower-cased word tuple's type
    (names learned from training text; at training time each document is matched against the
    names of the *other* documents, so the attribute is as reliable there as on new text);
    `longest` maps a name's first word to the longest name starting with it; `prefix` names the list
    ("G": names of the training text, "P": the place gazetteer)."""
    out: list[list[tuple[str, ...]]] = []
    for words, c in zip(sentences, caps, strict=True):
        n = len(words)
        row: list[tuple[str, ...]] = [()] * n
        i = 0
        while i < n:
            w = words[i]
            k_max = min(longest.get(_norm(w), 0), n - i) if w[0].isalpha() and (c or w[0].isupper()) else 0
            if k_max:
                lows = [_norm(x) for x in words[i : i + k_max]]
                for k in range(k_max, 0, -1):
                    typ = lookup(tuple(lows[:k]))
                    if typ:
                        row[i] = (f"{prefix}:B-{typ}",)
                        for j in range(i + 1, i + k):
                            row[j] = (f"{prefix}:I-{typ}",)
                        i += k
                        break
                else:
                    i += 1
            else:
                i += 1
        out.append(row)
    return out


def longest_names(names: Iterable[tuple[str, ...]]) -> dict[str, int]:
    """First word -> length of the longest name starting with it."""
    out: dict[str, int] = {}
    for p in names:
        out[p[0]] = max(out.get(p[0], 0), len(p))
    return out


def token_extras(
    names: Mapping[tuple[str, ...], str],
    longest: Mapping[str, int],
    sentences: Sequence[Sequence[str]],
    caps: Sequence[bool],
    places: Mapping[tuple[str, ...], str] | None = None,
    places_longest: Mapping[str, int] | None = None,
    only: Sequence[int] | None = None,
) -> list[list[tuple[str, ...]]]:
    """Document, name-list and place-gazetteer attributes of every token (what
    `Tagger.add_document_scores` adds); `only`: of the sentences with these indices (one row each,
    in that order; the document attributes still learn from all sentences)."""
    out = document_attributes(sentences, caps, only)
    if only is not None:  # the name lists look at one sentence at a time
        sentences, caps = [sentences[i] for i in only], [caps[i] for i in only]
    if names:
        gaz = name_attributes(sentences, caps, names.get, longest)
        out = [[d + g for d, g in zip(dr, gr, strict=True)] for dr, gr in zip(out, gaz, strict=True)]
    if places:
        gaz = name_attributes(sentences, caps, places.get, places_longest or {}, "P")
        out = [[d + g for d, g in zip(dr, gr, strict=True)] for dr, gr in zip(out, gaz, strict=True)]
    return out


@dataclass(slots=True)
class Tagger:
    labels: list[str]  # CRF labels: O, B-PER, I-PER, ...
    attr_index: dict[str, int]
    state: np.ndarray  # (n_attributes, n_labels) weights
    trans: np.ndarray  # (n_labels, n_labels) weights, [previous, next]
    lexicon: dict[str, int]
    names: dict[tuple[str, ...], str] = field(default_factory=dict)  # lower-cased name -> PER/ORG/LOC/MISC
    places: dict[tuple[str, ...], str] = field(default_factory=dict)  # lower-cased place name -> "LOC"
    max_cache: int = 500_000  # word types kept (~180 bytes each)
    _row: dict[str, int] = field(init=False, default_factory=dict)  # word key -> row of _table
    _table: np.ndarray = field(init=False)  # (rows, 5, n_labels): a type's scores at offsets -2..+2
    _weights: np.ndarray = field(init=False)  # state plus one zero row (for types with no known attribute)
    _bias: np.ndarray = field(init=False)
    _outside: int = field(init=False)
    _longest: dict[str, int] = field(init=False)
    _places_longest: dict[str, int] = field(init=False)
    _shared: dict[tuple, np.ndarray] = field(
        init=False, default_factory=dict
    )  # split_type_features key -> scores
    _lock: threading.Lock = field(init=False, default_factory=threading.Lock)

    def __post_init__(self) -> None:
        n_l = len(self.labels)
        self._weights = np.vstack([self.state, np.zeros((1, n_l), dtype=self.state.dtype)])
        self._bias = (
            self.state[self.attr_index["bias"]] if "bias" in self.attr_index else np.zeros(n_l, np.float32)
        )
        self._table = np.zeros((1024, len(OFFSETS), n_l), dtype=np.float32)
        self._outside = self.labels.index("O")
        self._longest = longest_names(self.names)
        self._places_longest = longest_names(self.places)

    def prescore_lexicon(self) -> int:
        """Score the word types of the case lexicon in the case running training text writes them
        ("the", "Paris"; ~10k types, ~0.2 CPU s): what most news text is made of, so the first
        documents a process tags find their common words cached. Returns the number of types."""
        keys: list[str] = []
        for w, case in sorted(self.lexicon.items()):
            if case < 2:
                keys.append(w)
            if case > 0:
                keys.append(w[:1].upper() + w[1:])
        keys = keys[: self.max_cache // 2]
        with self._lock:
            self._rows(keys)
        return len(keys)

    def _type_scores(self, keys: list[str]) -> np.ndarray:
        """(len(keys), 5, n_labels): each type's scores at offsets -2..+2 (one lock per call: the
        cache is shared by the threads of a process)."""
        with self._lock:
            rows = self._rows(keys)  # before reading _table: it may grow it
            return self._table[rows]

    def _rows(self, keys: list[str]) -> np.ndarray:
        """Rows of `_table` for `keys`; the types not seen yet are scored in one batch: the weights
        of the attributes they share with many types (`split_type_features`) come from a small
        cache, only their own words and affixes are looked up."""
        row = self._row
        missing = [k for k in dict.fromkeys(keys) if k not in row]
        if missing:
            if len(row) + len(missing) > self.max_cache:
                row.clear()
                missing = list(dict.fromkeys(keys))
            get, zero = self.attr_index.get, len(self._weights) - 1
            lexicon, shared_scores = self.lexicon, self._shared
            rows: list[int] = []  # offset 0: the attributes of each type, one group per type
            starts: list[int] = []
            near: list[int] = []  # offsets -2, -1, 1, 2: one "l=" attribute each
            shared_of: list[np.ndarray] = []
            for key in missing:
                shared, own, low = split_type_features(key, lexicon)
                vec = shared_scores.get(shared)
                if vec is None:
                    vec = shared_scores[shared] = self._score_attributes(shared_type_features(shared))
                shared_of.append(vec)
                starts.append(len(rows))
                rows.append(zero)  # every group non-empty, for reduceat
                if low:
                    rows.extend(map(get, own, repeat(zero, len(own))))  # unknown attributes score 0
                    near += (
                        get("-2:l=" + low, zero),
                        get("-1:l=" + low, zero),
                        get("1:l=" + low, zero),
                        get("2:l=" + low, zero),
                    )
                else:
                    near += (zero, zero, zero, zero)
            sums = np.stack(shared_of)  # (n, 5, n_labels)
            sums[:, 2] += np.add.reduceat(self._weights[rows], starts, axis=0)
            sums[:, (0, 1, 3, 4)] += self._weights[near].reshape(len(missing), 4, -1)
            first = len(row)
            if first + len(missing) > len(self._table):
                grown = np.zeros(
                    (max(2 * len(self._table), first + len(missing)), *self._table.shape[1:]), np.float32
                )
                grown[:first] = self._table[:first]
                self._table = grown
            self._table[first : first + len(missing)] = sums
            for i, key in enumerate(missing):
                row[key] = first + i
        return np.array(list(map(row.__getitem__, keys)), dtype=np.intp)

    def _score_attributes(self, feats: dict[int, list[str]]) -> np.ndarray:
        """(5, n_labels): the summed weights of attributes per offset (unknown ones score 0)."""
        out = np.zeros((len(OFFSETS), len(self.labels)), dtype=np.float32)
        for j, o in enumerate(OFFSETS):
            for a in feats.get(o, ()):
                r = self.attr_index.get(a)
                if r is not None:
                    out[j] += self.state[r]
        return out

    def emissions(self, sentences: list[list[str]]) -> tuple[np.ndarray, np.ndarray]:
        """State scores of sentences of word keys: (n_sentences, longest, n_labels), and the lengths."""
        flat: list[str] = []
        starts: list[int] = []
        for keys in sentences:
            flat += (BOS, BOS)
            starts.append(len(flat))
            flat += keys
            flat += (EOS, EOS)
        g = self._type_scores(flat)  # (N, 5, L)
        n = len(flat)
        em = np.zeros((n, g.shape[2]), dtype=np.float32)
        em[2 : n - 2] = self._bias
        for j, o in enumerate(OFFSETS):
            # the token at p gets the offset-o scores of the type at p + o
            em[2 : n - 2] += g[2 + o : n - 2 + o, j]
        lengths = np.array([len(k) for k in sentences], dtype=np.intp)
        t_max = int(lengths.max())
        idx = np.array(starts, dtype=np.intp)[:, None] + np.arange(t_max)[None, :]
        valid = np.arange(t_max)[None, :] < lengths[:, None]
        out = em[np.where(valid, idx, 0)]
        out[~valid] = 0.0
        return out, lengths

    def add_document_scores(self, em: np.ndarray, doc_attrs: list[list[tuple[str, ...]]]) -> None:
        """Add the scores of `document_attributes` to emissions `em` (in place): each distinct
        attribute tuple is summed once, then added to all its tokens in one call."""
        get = self.attr_index.get
        vec_of: dict[tuple[str, ...], int] = {}
        groups: list[list[int]] = []
        where_s: list[int] = []
        where_t: list[int] = []
        which: list[int] = []
        for s, row in enumerate(doc_attrs):
            for i, attrs in enumerate(row):
                if not attrs:
                    continue
                k = vec_of.get(attrs)
                if k is None:
                    known = [r for r in map(get, attrs) if r is not None]
                    k = vec_of[attrs] = len(groups) if known else -1
                    if known:
                        groups.append(known)
                if k >= 0:
                    where_s.append(s)
                    where_t.append(i)
                    which.append(k)
        if not which:
            return
        flat = [r for g in groups for r in g]
        starts = np.cumsum([0, *(len(g) for g in groups[:-1])])
        vecs = np.add.reduceat(self.state[flat], starts, axis=0)
        em[where_s, where_t] += vecs[which]

    def viterbi(self, em: np.ndarray, lengths: np.ndarray) -> np.ndarray:
        """Best label index per token, (n_sentences, longest); all sentences decoded together (past
        its end a sentence's scores run on unused: its best last label is taken at its own end).
        Two numpy calls a step: the transitions plus the next emissions are added for all steps at
        once beforehand, and the maximum runs over the outer axis (the previous label), which numpy
        does row by row, 2x faster than over an inner one; the back pointers of all steps come from
        one argmax afterwards and the paths are followed back in plain Python."""
        n_s, t_max, n_l = em.shape
        ends = lengths.tolist()
        em_t = em.transpose(1, 0, 2)  # (t_max, n_s, next)
        trans = self.trans[None, :, None, :]  # (1, previous, 1, next)
        step = trans + em_t[1:, None, :, :]  # (t_max - 1, previous, n_s, next)
        delta = np.empty((t_max, n_s, n_l), dtype=np.float32)  # best score ending in each label
        delta[0] = em_t[0]
        cand = np.empty((n_l, n_s, n_l), dtype=np.float32)
        prev = delta.transpose(0, 2, 1)[:, :, :, None]  # (t_max, previous, n_s, 1) views of delta
        add, reduce = np.add, np.maximum.reduce
        for t in range(1, t_max):
            add(prev[t - 1], step[t - 1], out=cand)
            reduce(cand, axis=0, out=delta[t])
        final = delta[lengths - 1, np.arange(n_s)].argmax(axis=1).tolist()
        paths = np.zeros((n_s, t_max), dtype=np.intp)
        if t_max == 1:
            paths[:, 0] = final
            return paths
        # a sentence whose best last label is O and whose O points back to O at each of its steps
        # is all O: only the others get back pointers and are followed back
        o = self._outside
        back_o = (delta[:-1] + self.trans[None, None, :, o]).argmax(axis=2)  # (t_max - 1, n_s)
        stays = (back_o == o) | (np.arange(1, t_max)[:, None] >= lengths[None, :])
        follow = np.flatnonzero((np.array(final) != o) | ~stays.all(axis=0))
        paths[:, :] = o
        if not len(follow):
            return paths
        back = (delta[:-1, follow, None, :] + self.trans.T[None, None]).argmax(
            axis=3
        )  # (t_max - 1, followed, next)
        for k, s in enumerate(follow.tolist()):
            bs = back[:, k].tolist()
            y = final[s]
            n = ends[s]
            path = [y] * n
            for t in range(n - 1, 0, -1):
                y = bs[t - 1][y]
                path[t - 1] = y
            paths[s, :n] = path
        return paths

    def tag_keys(self, sentences: list[list[str]]) -> list[list[str]]:
        """CRF labels of sentences given as word keys (`sentence_keys`)."""
        if not sentences:
            return []
        paths = self.viterbi(*self.emissions(sentences))
        labels = self.labels
        return [[labels[y] for y in paths[s, : len(keys)]] for s, keys in enumerate(sentences)]

    def span_margin(self, em: np.ndarray, path: Sequence[int], a: int, b: int) -> float:
        """The Viterbi margin of the decoded span tokens a..b-1 of one sentence (`em`: its emission
        scores, `path`: its decoded label indices): the score of the decoded path minus the best of
        the same path with the span's tokens relabelled, all `O` (no name) or one other type (B-, I-).
        0 for a tie; the larger, the surer the tagger is of both the span and its type."""
        trans, labels = self.trans, self.labels

        def score(seq: Sequence[int]) -> float:
            s = float(sum(em[a + k, y] for k, y in enumerate(seq)))
            prev = path[a - 1] if a > 0 else None
            for y in seq:
                if prev is not None:
                    s += float(trans[prev, y])
                prev = y
            if b < len(path):
                s += float(trans[prev, path[b]])
            return s

        typ = labels[path[a]][2:]
        alts = [[self._outside] * (b - a)]
        for other in sorted({lab[2:] for lab in labels if lab != "O"} - {typ}):
            alts.append([labels.index("B-" + other)] + [labels.index("I-" + other)] * (b - a - 1))
        return score(path[a:b]) - max(map(score, alts))

    def tag(
        self,
        text: str,
        within: Sequence[tuple[int, int]] | None = None,
        margins: dict[tuple[int, int], tuple[str, float]] | None = None,
    ) -> list[tuple[int, int, str]]:
        """Entity spans of `text`: (start, end, label), in text order, not overlapping.

        `within`: character ranges (sorted, not overlapping) to decode; only the sentences that
        overlap one are tagged, but every sentence of `text` informs the document attributes, so a
        sentence gets the same spans as when the whole text is tagged (and costs far less when few
        sentences are wanted), but for `consistent_labels`, which sees the decoded sentences only.

        `margins`: when given, filled with (start, end) -> (label, `span_margin`) for each span the
        decoder found as it is output by the span rules (same tokens, same type; the document rules
        after them may still relabel it); costs nothing when not asked for."""
        sentences = tokenise(text)
        if not sentences:
            return []
        words = [[t[2] for t in sent] for sent in sentences]
        caps = [is_caps_sentence(w, self.lexicon) for w in words]
        chosen = range(len(sentences)) if within is None else _overlapping(sentences, within)
        # attributes of the decoded sentences only (each row: chosen[k]); all sentences inform them
        extras = dict(zip(chosen, token_extras(self.names, self._longest, words, caps, self.places, self._places_longest, chosen), strict=True))
        labels = self.labels
        out: list[tuple[int, int, str]] = []
        body: str | None = None
        for first in range(0, len(chosen), BATCH_SENTENCES):  # bounded arrays for any text length
            batch = chosen[first : first + BATCH_SENTENCES]
            em, lengths = self.emissions([sentence_keys(words[i], self.lexicon, caps[i]) for i in batch])
            self.add_document_scores(em, [extras[i] for i in batch])
            paths = self.viterbi(em, lengths)
            for s in np.flatnonzero((paths != self._outside).any(axis=1)):
                i = batch[s]
                sent = sentences[i]
                tags = [labels[y] for y in paths[s, : len(sent)]]
                title_case = caps[i] and any(c.islower() for w in words[i] for c in w)
                decoded = set(spans_from_tags(tags)) if margins is not None else set()
                for a, b, typ in tidy_spans(spans_from_tags(tags), words[i], self.lexicon, self.names):
                    if b - a == 1 and (
                        words[i][a].lower().rstrip(".") in _NOT_NAMES or _is_furniture(text, words[i], a, self.lexicon)
                    ):
                        continue
                    if a == 0 and typ != "LOC" and b + 1 < len(words[i]) and words[i][b] == "," and words[i][a].isupper() and len(words[i][a]) > 2 and words[i][b + 1][:1].isupper() and all(w.isupper() for w in words[i][a:b]):
                        typ = "LOC"  # a dateline: "NEWCASTLE, England - Newcastle manager ..."
                    if words[i][a].lower() in _HOLIDAY_FIRST and tuple(_norm(w) for w in words[i][a:b]) in _HOLIDAYS:
                        continue
                    if (title_case or (not caps[i] and _in_title_run(words[i], a, b, self.lexicon))):
                        if body is None:  # the document's running text: its sentences that are no headline
                            body = "\n".join(" ".join(w) for w, c in zip(words, caps, strict=True) if not c)
                        if self._headline_only(body, words[i], a, b, not caps[i]):
                            continue
                    out.append((sent[a][0], sent[b - 1][1], LABEL_OF[typ]))
                    if (a, b, typ) in decoded:
                        margins[(sent[a][0], sent[b - 1][1])] = (LABEL_OF[typ], self.span_margin(em[s], paths[s, : len(sent)].tolist(), a, b))
        spans = consistent_labels(text, split_possessives(text, out), _Known(self.names, self.places))
        return state_abbreviations(text, list_labels(text, article_names(text, spans)))

    def _headline_only(self, body: str, words: Sequence[str], a: int, b: int, in_body: bool) -> bool:
        """A span of a headline that the document's running text (`body`: its sentences that are no
        headline) never names and no name list knows: in a headline every word is capitalised, so the
        tagger sees no case evidence and reads fragments as names ("Toddler People", "Derby Confirm
        Savage Interest"); a name the headline shares with the body ("Obama Wins Iowa") occurs again
        and stays. A multi-word name's last word alone in the body counts ("Clinton" for a headline's
        "Hillary Clinton")."""
        key = tuple(_norm(w) for w in words[a:b])
        if key in self.names or key in self.places:
            return False
        own = " ".join(words) if in_body else ""  # the span's own sentence is no evidence

        def elsewhere(form: str) -> bool:
            return _count_word(body, form) > (_count_word(own, form) if own else 0)

        if elsewhere(" ".join(words[a:b])):
            return False
        return not (b - a > 1 and len(words[b - 1]) > 2 and elsewhere(words[b - 1]))


_US = "USA"
_CA = "CAN"
# states and provinces as news abbreviates them after a place ("Lombard, Ill.", "Elie, Man.") and as
# postal codes before a ZIP ("Quincy, MA 02269"): surface -> (name, ISO 3166 alpha-3)
_AP_STATES = {
    "Ala.": "Alabama", "Ariz.": "Arizona", "Ark.": "Arkansas", "Calif.": "California", "Cal.": "California",
    "Colo.": "Colorado", "Conn.": "Connecticut", "Del.": "Delaware", "Fla.": "Florida", "Ga.": "Georgia",
    "Ill.": "Illinois", "Ind.": "Indiana", "Kan.": "Kansas", "Kans.": "Kansas", "Ky.": "Kentucky",
    "La.": "Louisiana", "Md.": "Maryland", "Mass.": "Massachusetts", "Mich.": "Michigan", "Minn.": "Minnesota",
    "Miss.": "Mississippi", "Mo.": "Missouri", "Mont.": "Montana", "Neb.": "Nebraska", "Nev.": "Nevada",
    "N.H.": "New Hampshire", "N.J.": "New Jersey", "N.M.": "New Mexico", "N.Y.": "New York",
    "N.C.": "North Carolina", "N.D.": "North Dakota", "Okla.": "Oklahoma", "Ore.": "Oregon", "Pa.": "Pennsylvania",
    "Penn.": "Pennsylvania", "R.I.": "Rhode Island", "S.C.": "South Carolina", "S.D.": "South Dakota",
    "Tenn.": "Tennessee", "Tex.": "Texas", "Vt.": "Vermont", "Va.": "Virginia", "Wash.": "Washington",
    "W.Va.": "West Virginia", "Wis.": "Wisconsin", "Wisc.": "Wisconsin", "Wyo.": "Wyoming", "D.C.": "District of Columbia",
}
_AP_PROVINCES = {
    "Alta.": "Alberta", "B.C.": "British Columbia", "Man.": "Manitoba", "N.B.": "New Brunswick",
    "Nfld.": "Newfoundland and Labrador", "N.S.": "Nova Scotia", "Ont.": "Ontario", "P.E.I.": "Prince Edward Island",
    "Que.": "Quebec", "Sask.": "Saskatchewan",
}
_POSTAL_STATES = dict(
    zip(
        "AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY DC".split(),
        (
            "Alabama|Alaska|Arizona|Arkansas|California|Colorado|Connecticut|Delaware|Florida|Georgia|Hawaii|Idaho|"
            "Illinois|Indiana|Iowa|Kansas|Kentucky|Louisiana|Maine|Maryland|Massachusetts|Michigan|Minnesota|"
            "Mississippi|Missouri|Montana|Nebraska|Nevada|New Hampshire|New Jersey|New Mexico|New York|"
            "North Carolina|North Dakota|Ohio|Oklahoma|Oregon|Pennsylvania|Rhode Island|South Carolina|South Dakota|"
            "Tennessee|Texas|Utah|Vermont|Virginia|Washington|West Virginia|Wisconsin|Wyoming|District of Columbia"
        ).split("|"),
        strict=True,
    )
)
_POSTAL_PROVINCES = {
    "AB": "Alberta", "BC": "British Columbia", "MB": "Manitoba", "NB": "New Brunswick", "NL": "Newfoundland and Labrador",
    "NS": "Nova Scotia", "ON": "Ontario", "PE": "Prince Edward Island", "QC": "Quebec", "SK": "Saskatchewan",
}
STATE_ABBREVIATIONS: dict[str, tuple[str, str]] = {
    **{k: (v, _US) for k, v in _AP_STATES.items()},
    **{k: (v, _CA) for k, v in _AP_PROVINCES.items()},
    **{k: (v, _US) for k, v in _POSTAL_STATES.items()},
    **{k: (v, _CA) for k, v in _POSTAL_PROVINCES.items()},
}
_POSTAL = frozenset((*_POSTAL_STATES, *_POSTAL_PROVINCES))
_AP_LONGEST = max(map(len, (*_AP_STATES, *_AP_PROVINCES)))
# candidates, cheap to find: a capital letter after a comma ("Lombard, Ill.", "Quincy, MA 02269")
_AFTER_COMMA_CAPITAL = re.compile(r", ([A-Z][A-Za-z.]{1,5})")
_ZIP_AFTER = re.compile(r"\s+\d{5}\b")
_PARTY_CANDIDATE = re.compile(r"(?<![\w-])[RDI]-([A-Z][A-Za-z.]{1,5})")


def _abbreviation_at(text: str, i: int, token: str) -> str | None:
    """The state or province abbreviation starting at text[i] (`token`: the letters and stops
    there): an AP form followed by a space or punctuation, or a postal code before a ZIP code."""
    for k in range(min(len(token), _AP_LONGEST), 1, -1):
        form = token[:k]
        if form in STATE_ABBREVIATIONS and form not in _POSTAL and (i + k == len(text) or text[i + k] in " \t\n,:;)"):
            return form
    if token[:2] in _POSTAL and (len(token) == 2 or not token[2].isalpha()) and _ZIP_AFTER.match(text, i + 2):
        return token[:2]
    return None


def _states_after_places(text: str, lo: int = 0, hi: int | None = None) -> list[tuple[int, int, str]]:
    """(start, end, form) of each state abbreviation written after a capitalised word and a comma."""
    out: list[tuple[int, int, str]] = []
    for m in _AFTER_COMMA_CAPITAL.finditer(text, lo, len(text) if hi is None else hi):
        before = text.rfind(" ", 0, m.start()) + 1
        if not text[before : before + 1].isupper():
            continue
        form = _abbreviation_at(text, m.start(1), m.group(1))
        if form is not None:
            out.append((m.start(1), m.start(1) + len(form), form))
    return out


def state_abbreviation(text: str, start: int, end: int) -> tuple[str, str] | None:
    """(name, country) of a state or province abbreviation at text[start:end] (its full stop may
    follow the span) written after a place and a comma ("Lombard, Ill.", "Quincy, MA 02269"),
    else None."""
    for s, e, form in _states_after_places(text, max(0, start - 2), min(len(text), start + 8)):
        if s == start and e in (end, end + 1):
            return STATE_ABBREVIATIONS[form]
    return None


def state_after(text: str, end: int) -> tuple[str, str] | None:
    """(name, country) of the state or province abbreviation that follows a place ending at
    `end` ("Lombard" of "Lombard, Ill."), else None."""
    if text[end : end + 2] != ", ":
        return None
    found = _states_after_places(text, end, min(len(text), end + 10))
    return STATE_ABBREVIATIONS[found[0][2]] if found and found[0][0] == end + 2 else None


def state_abbreviations(text: str, spans: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """News abbreviations of US states and Canadian provinces: after a place and a comma a place
    (CoNLL labels "Tampa, Fla." a place; the tagger reads "MA" or "Man" as an organisation or a
    person, or misses "Conn." in a dateline), and so is the organisation or misc span just before
    it ("Quincy, MA"; not a person); a party-state tag ("Sen. Mel Martinez, R-Fla.,") is no name."""
    party = [
        m.start()
        for m in _PARTY_CANDIDATE.finditer(text)
        if _abbreviation_at(text, m.start(1), m.group(1)) or m.group(1)[:2] in _POSTAL
        or m.group(1).rstrip(".") + "." in STATE_ABBREVIATIONS
    ]
    states = _states_after_places(text)
    if not party and not states:
        return spans
    before_state = {s - 2 for s, _e, _f in states}
    out: list[tuple[int, int, str]] = []
    for s, e, label in spans:
        if s in party:
            continue
        if label != LOCATION and state_abbreviation(text, s, e) is not None:
            label = LOCATION
        elif label in (ORGANISATION, MISC) and e in before_state:
            label = LOCATION  # "Quincy, MA 02269": the place the state follows
        out.append((s, e, label))
    taken = [(s, e) for s, e, _label in out]
    new = [(s, e, LOCATION) for s, e, _f in states if not any(s < te and ts < e for ts, te in taken)]
    return sorted(out + new) if new else out


def _in_title_run(words: Sequence[str], a: int, b: int, lexicon: Mapping[str, int]) -> bool:
    """Is words[a:b] inside a run of capitalised words that holds, outside the span, at least two
    words that running text writes in lower case: a Title Case headline glued to other text on one
    line ("Report: ValueClick Lead-Gen Practices Still Flawed Jan 15 ...")? Small function words may
    stand inside the run ("Sees Virtualization in SMBs")."""
    if (a == 0 or not words[a - 1][:1].isupper()) and (b == len(words) or not words[b][:1].isupper()):
        return False  # the common case, quickly: no capitalised word next to the span

    def capital(j: int) -> bool:
        return words[j][:1].isupper()

    lo = a
    while lo > 0 and (capital(lo - 1) or (words[lo - 1] in _RUN_GLUE and lo > 1 and capital(lo - 2))):
        lo -= 1
    hi = b
    while hi < len(words) and (capital(hi) or (words[hi] in _RUN_GLUE and hi + 1 < len(words) and capital(hi + 1))):
        hi += 1
    common = sum(1 for j in (*range(lo, a), *range(b, hi)) if capital(j) and lexicon.get(words[j].lower()) == 0)
    return common >= 2


_RUN_GLUE = frozenset("of in on at to for and the a an with by from".split())


# one-word spans that name nothing: company forms alone ("remained a PLC"), time zones ("EST") and
# name suffixes ("Jr")
_NOT_NAMES = frozenset("jr sr inc corp ltd plc llc gmbh pty bhd est edt cst cdt mst mdt pst pdt gmt utc bst cet aest aedt".split())


def _is_furniture(text: str, words: Sequence[str], a: int, lexicon: Mapping[str, int]) -> bool:
    """A one-word line of page furniture ("Advertisement", "Comments", "Related"): the sentence is
    that word alone (and punctuation), and the word is a common word, written in lower case in
    running text (`lexicon`) or in this document, or it is named nowhere else in the document (a
    name alone on its line, in no sentence, is no actor of anything the text reports)."""
    if any(j != a and any(c.isalnum() for c in w) for j, w in enumerate(words)):
        return False
    word = words[a]
    low = word.lower()
    if lexicon.get(low) == 0 or _count_word(text, low) > 0:
        return True
    # "KOMPAS": a newspaper's name heading its section
    return len(words) == 1 and not word.isupper() and _count_word(text.lower(), low) < 2


def _count_word(text: str, word: str) -> int:
    """Occurrences of `word` in `text` as a whole word (plain search: no regex compiled per word)."""
    n, i = 0, text.find(word)
    while i != -1:
        j = i + len(word)
        if not (i and (text[i - 1].isalnum() or text[i - 1] in "_-")) and not (j < len(text) and (text[j].isalnum() or text[j] in "_-")):
            n += 1
        i = text.find(word, i + 1)
    return n


@dataclass(frozen=True, slots=True)
class _Known:
    """Name keys the tagger's lists know (training names, places)."""

    names: Mapping[tuple[str, ...], str]
    places: Mapping[tuple[str, ...], str]

    def __contains__(self, key: object) -> bool:
        return key in self.names or key in self.places


def consistent_labels(
    text: str, spans: list[tuple[int, int, str]], known: Container[tuple[str, ...]] | None = None
) -> list[tuple[int, int, str]]:
    """A one-word span that is the last word of a multi-word person span of the same text is that
    person ("Gandhi" tagged an organisation after "Sonia Gandhi"; labels only, never extents), unless
    that span's first word is itself a person alone ("Lebed Chechnya": a surname and a place run
    together). On CoNLL++ dev +0.001 F1; a majority vote over equal surfaces cost 0.002, a multi-word
    span ending with a person's name made a person 0.0008 (the document attributes carry most of it).
    With `known` (the name lists), the other way too: a two- or three-word span in mixed case whose
    last word the text names alone as a person is that person ("Nicolas Anelka" tagged a place next
    to "Anelka"), unless the lists know the span."""
    surf = [_norm(text[s:e]).split() for s, e, _ in spans]
    alone = {ws[0] for ws, (_, _, lab) in zip(surf, spans, strict=True) if lab == PERSON and len(ws) == 1}
    last = {
        ws[-1]
        for ws, (_, _, lab) in zip(surf, spans, strict=True)
        if lab == PERSON and len(ws) > 1 and ws[0] not in alone
    }
    if known is not None and alone:
        # "Nicolas Anelka" tagged a place where the text also names "Anelka" alone as a person: the
        # whole is that person (not a name the lists know as a place or organisation)
        spans = [
            (s, e, PERSON)
            if lab != PERSON and 1 < len(ws) <= 3 and ws[-1] in alone and ws[0] not in alone and tuple(ws) not in known
            and all(w[:1].isupper() and not w.isupper() for w in text[s:e].split())  # not "ROMANIA COMELF", "Counties XI"
            else (s, e, lab)
            for ws, (s, e, lab) in zip(surf, spans, strict=True)
        ]
    if not last:
        return spans
    return [
        (s, e, PERSON if lab != PERSON and len(ws) == 1 and ws[0] in last else lab)
        for ws, (s, e, lab) in zip(surf, spans, strict=True)
    ]


_ARTICLE_BEFORE = re.compile(r"(?:^|[\s(\"“‘])[Tt]he\s+$")
_WORD_AFTER = re.compile(r"[ \t]+([a-z][\w'’-]*)")
# lower-case words that may follow a team, band or company named with "the" as its verb: "the Bulls
# beat", "the Beatles played" (a noun after a person is the person's: "the Bush administration")
_VERBS_AFTER = frozenset(
    "said says say beat beats won win wins lost lose loses have has had are were was is will would can could "
    "did do does play plays played took take takes made make makes went go goes came come comes got get gets "
    "need needs face faces host hosts visit visits signed announced released".split()
)


_LIST_GLUE = re.compile(r"\s*(?:,|,?\s+(?:and|or))\s+")
_SCORED = frozenset(["person", "organisation", "location"])


def list_labels(text: str, spans: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """An enumeration names things of one kind: in a list of three or more names joined by commas,
    "and", "or" ("Mindoro, Marinduque, Romblon and Palawan"; "Microsoft, Google and Yahoo") where at
    least two and two thirds share a label, a one-word name with another label takes it. On
    CoNLL++ dev +0.0006 F1 ("Magna", "Mobil" organisations in lists of clubs and companies)."""
    out = list(spans)
    i = 0
    while i < len(out):
        j = i
        while j + 1 < len(out) and _LIST_GLUE.fullmatch(text, out[j][1], out[j + 1][0]):
            j += 1
        if j - i >= 2:
            group = range(i, j + 1)
            votes = Counter(out[k][2] for k in group if out[k][2] in _SCORED)
            if votes:
                label, n = votes.most_common(1)[0]
                if n >= 2 and n * 3 >= 2 * (j - i + 1):
                    for k in group:
                        s, e, lab = out[k]
                        if lab != label and lab in _SCORED and " " not in text[s:e]:
                            out[k] = (s, e, label)
        i = j + 1
    return out


def article_names(text: str, spans: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """A person span the text writes after "the", as a noun of its own ("said the Aguilas Cibaenas,",
    "the Bulls beat", "the Beatles played"), names a team, band or company: no person takes an
    article ("the Bush administration" is a person's, and stays). Every span of the document with
    that surface, or ending in it ("Blue Bulls" after "the Bulls"), is an organisation."""
    found: set[str] = set()
    for s, e, label in spans:
        if label != PERSON or not _ARTICLE_BEFORE.search(text, max(0, s - 5), s):
            continue
        nxt = _WORD_AFTER.match(text, e)
        if nxt is None or nxt.group(1) in _VERBS_AFTER or nxt.group(1).endswith("ed"):
            found.add(text[s:e])
    if not found:
        return spans
    return [
        (s, e, ORGANISATION)
        if label == PERSON and (text[s:e] in found or text[s:e].rsplit(None, 1)[-1] in found)
        else (s, e, label)
        for s, e, label in spans
    ]


def _overlapping(
    sentences: Sequence[Sequence[tuple[int, int, str]]], ranges: Sequence[tuple[int, int]]
) -> list[int]:
    """Indices of the token sentences that overlap one of `ranges` (both in text order)."""
    out: list[int] = []
    r = 0
    for i, sent in enumerate(sentences):
        s, e = sent[0][0], sent[-1][1]
        while r < len(ranges) and ranges[r][1] <= s:
            r += 1
        if r == len(ranges):
            break
        if ranges[r][0] < e:
            out.append(i)
    return out


def tidy_spans(
    spans: list[tuple[int, int, str]],
    words: Sequence[str],
    lexicon: Mapping[str, int] | None = None,
    names: Mapping[tuple[str, ...], str] | None = None,
) -> list[tuple[int, int, str]]:
    """Titles out of names (CoNLL's convention: "Mr. Tusk" -> "Tusk"; titles are rare in its Reuters
    text, common in today's news): a person span starts after its last title word ("Palestinian
    President Mahmoud Abbas" -> "Mahmoud Abbas"; "The President" alone is no person, a lone "King"
    is a surname); an organisation or location span holding an office title followed by a name is
    split, the name a person ("MLA John Rustad", "CNSA Administrator Zhang Kejian" -> "CNSA" +
    "Zhang Kejian"). Then person spans are joined across lowercase name particles. With `lexicon`,
    a sentence's first word that running text writes in lower case is dropped from a longer span
    ("Later Gandhi" -> "Gandhi"), unless the span is a known name (`names`: "Far East"). A person or
    place span ending in a company or media word is an organisation ("Juniper Networks", "Business
    Wire"); a person span ending in an institution or facility word is an organisation or a place
    ("Jim Archdekin Recreation Centre")."""
    out: list[tuple[int, int, str]] = []
    for a, b, typ in _split_at_commas(join_saints(spans, words, lexicon), words):
        if b - a > 1 and b < len(words) and (
            (words[b - 1] == "Web" and words[b].lower() in ("site", "sites", "page", "pages"))
            or (typ == "PER" and words[b] == ":" and lexicon is not None and lexicon.get(words[b - 1].lower(), 2) <= 1)
        ):
            b -= 1  # "the ACRO Web site", "Director: Andrew Piddington Cast: Jonas Ball": no word of the name
        if b - a == 1 and typ == "PER" and words[a].lower() in _RELIGIONS:
            continue  # "Two Muslim militants": a faith, no person
        based = max((j for j in range(a, b - 1) if words[j].lower().endswith(_BASED)), default=-1)
        if based >= a:
            a = based + 1  # "California-based Fisker Automotive", "St. Louis-based ...": the place is no part of the name
        if b - a > 1 and words[b - 1].lower() in _EVENT_HEADS:
            typ = "MISC"  # "RWC Final", "Davis Cup", "Australian Open": an event, no actor
        elif typ in ("ORG", "PER") and b - a > 1 and (words[b - 1].lower() in _NATURAL_HEADS or words[a].rstrip(".").lower() in _NATURAL_STARTS):
            typ = "LOC"  # "Nechako River", "Mount Everest"
        if typ in ("PER", "LOC") and b - a > 1:
            head = words[b - 1].lower()
            if head in _COMPANY_HEADS or head in _MEDIA_HEADS or (typ == "PER" and head in _ORG_HEADS):
                typ = "ORG"
            elif typ == "PER" and head in _PLACE_HEADS:
                typ = "LOC"
        if lexicon is not None and b - a > 1 and (a == 0 or words[a - 1] in _OPENERS):
            first = words[a]
            if (
                first[:1].isupper()
                and not first.isupper()
                and first != "The"  # "The Hague", "The Netherlands", but "The Commerce Department"
                and lexicon.get(first.lower()) == 0
                and not (names and tuple(_norm(w) for w in words[a:b]) in names)  # "Far East"
            ):
                a += 1
        if typ == "PER":
            # a common lower-case word inside a name ends what came before it: "French Elle editor
            # Bauby" -> "Bauby" (not particles: "Kengo wa Dondo", "Zine al-Abidine Ben Ali")
            cut = -1
            if lexicon is not None:
                cut = max(
                    (
                        j
                        for j in range(a, b - 1)
                        if words[j][:1].islower()
                        and len(words[j]) > 2
                        and "-" not in words[j]
                        and words[j] not in PARTICLES
                        and lexicon.get(words[j], 0) == 0
                    ),
                    default=-1,
                )
            if cut >= a:
                a = cut + 1
            core = b  # the name without its suffixes: "Martin Luther King Jr." ends in "King"
            while core - a > 1 and words[core - 1].lower().rstrip(".") in _NAME_SUFFIXES:
                core -= 1
            last = max((j for j in range(a, core) if _is_title(words[j])), default=-1)
            if last == core - 1:  # nothing after the title(s): a title alone, or a surname such as "King"
                if all(_is_title(w) or w.rstrip(".") in TITLES for w in words[a:b]) and any(
                    w.rstrip(".") in TITLES or w.rstrip(".").lower() in _OFFICE_TITLES for w in words[a:b]
                ):
                    continue
                last = max((j for j in range(a, core - 1) if _is_title(words[j])), default=-1)
            if last >= a:
                a = last + 1
            out.append((a, b, typ))
            continue
        if (
            a
            and not words[a - 1].isupper()
            and words[a - 1].rstrip(".").lower() in _OFFICE_TITLES
            and (not out or out[-1][1] < a)
            and b - a <= 3
            and words[b - 1].lower() not in _NAME_HEADS
            and all(w[:1].isupper() for w in words[a:b])
        ):  # "Senator [Elizabeth Warren]" tagged a place: the title says person
            out.append((a, b, "PER"))
            continue
        split = _office_split(a, b, words)
        if split is None:
            out.append((a, b, typ))
        else:
            head_end, name_start = split
            if head_end > a:
                out.append((a, head_end, typ))
            out.append((name_start, b, "PER"))
    return merge_particles(out, words)


# abbreviations that open a name ("St. Michael's", "Ste. Marie", "Mt. Kenya", "Ft. Worth"): a
# name never ends with one when a capitalised word follows it
_SAINTS = frozenset("st. ste. mt. ft.".split())


def join_saints(
    spans: list[tuple[int, int, str]], words: Sequence[str], lexicon: Mapping[str, int] | None = None
) -> list[tuple[int, int, str]]:
    """A name is not cut at an abbreviation that opens a name ("Mississauga St." + "Michael" of
    "Mississauga St. Michael's Majors"): a span ending in "St."/"Ste."/"Mt."/"Ft." runs on over the
    capitalised words after it (and an inner possessive followed by one), swallowing the spans
    there (an organisation among them makes the whole one); a span just after such an
    abbreviation takes it in ("Mt." + "Kilimanjaro"); the abbreviation alone is no name. The word
    right after the abbreviation must be a name, not a word running text writes in lower case
    ("Main St. The house": the street ends there)."""
    n = len(words)

    def saint(j: int) -> bool:
        return 0 <= j < n and words[j].lower() in _SAINTS

    def name_word(j: int) -> bool:
        return j < n and words[j][:1].isupper() and (lexicon is None or lexicon.get(words[j].lower()) != 0)

    out: list[tuple[int, int, str]] = []
    k = 0
    while k < len(spans):
        a, b, typ = spans[k]
        k += 1
        if saint(a - 1) and (not out or out[-1][1] < a - 1) and name_word(a):
            a -= 1
        if saint(b - 1) and name_word(b):
            labels = [typ]
            while b < n and (
                words[b][:1].isupper() or (words[b] in ("'s", "’s", "'", "’") and b + 1 < n and words[b + 1][:1].isupper())
            ):
                b += 1
                while k < len(spans) and spans[k][0] < b:  # a span inside the run joins it
                    b = max(b, spans[k][1])
                    labels.append(spans[k][2])
                    k += 1
            typ = "ORG" if "ORG" in labels else typ
        if b - a == 1 and saint(a):
            continue
        out.append((a, b, typ))
    return out


_BASED = ("-based", "-born", "-owned", "-led")
_NAME_SUFFIXES = frozenset("jr sr ii iii iv".split())
_RELIGIONS = frozenset("muslim muslims christian christians jewish jew jews hindu hindus buddhist sikh catholic protestant sunni shiite shia islamic".split())
# words after a comma that still belong to the name before it: "Acme, Inc.", "Martin Luther King, Jr."
_AFTER_COMMA = frozenset("inc inc. ltd ltd. llc corp corp. co. plc jr jr. sr sr. ii iii".split())


def _split_at_commas(spans: list[tuple[int, int, str]], words: Sequence[str]) -> list[tuple[int, int, str]]:
    """A span holding a comma is two names ("Consumer Electronics Show, Logitech"), each part with
    the label (not a company form or suffix after it: "Acme, Inc.")."""
    out: list[tuple[int, int, str]] = []
    for a, b, typ in spans:
        start = a
        for j in range(a, b):
            if words[j] == "," and j + 1 < b and words[j + 1].lower() not in _AFTER_COMMA:
                if j > start:
                    out.append((start, j, typ))
                start = j + 1
        out.append((start, b, typ))
    return out


def split_possessives(text: str, spans: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """A possessive inside a span ends a name when the document names what follows it on its own:
    "Ebay’s Skype" -> "Ebay" + "Skype" (each keeps the label) when "Skype" occurs elsewhere without
    "Ebay’s"; "Queen's Park", "Lord's" and "St. Michael's Majors" (names that hold the possessive,
    a saint's) stay whole."""
    out: list[tuple[int, int, str]] = []
    for s, e, label in spans:
        surface = text[s:e]
        m = _INNER_POSSESSIVE.search(surface)
        if m is not None and not _SAINT_BEFORE.search(surface, 0, m.start()):
            after = surface[m.end() :]
            n_after = len(re.findall(rf"(?<![\w'’-]){re.escape(after)}(?![\w-])", text))
            if n_after > text.count(surface):
                out.append((s, s + m.start(), label))
                out.append((s + m.end(), e, label))
                continue
        out.append((s, e, label))
    return out


_INNER_POSSESSIVE = re.compile(r"['’][sS]\s+(?=[A-Z])")
_SAINT_BEFORE = re.compile(r"\b(?:St|Ste|ST|STE)\.\s+[\w-]+$")  # "St. Michael's Majors": a saint's possessive is the name's


# last words of company names: a person or place span ending in one is an organisation
# ("Juniper Networks", "Acme Holdings"); CoNLL++ train has these only as organisations
_COMPANY_HEADS = frozenset(
    "inc inc. corp corp. ltd ltd. plc llc co. gmbh ag networks systems technologies holdings airlines "
    "motors communications software labs laboratories pharmaceuticals semiconductor electronics limited "
    "automotive enterprises industries productions records entertainment studios films pictures".split()
)
# last words of media names ("Business Wire", "Washington Post"): a place or person span ending in
# one is an organisation
_MEDIA_HEADS = frozenset(
    "wire news times post herald journal gazette telegraph tribune press rail railways".split()
)
# a person span ending in one of these is no person: organisations and places by their head word
# ("Jim Archdekin Recreation Centre", "Mary Hitchcock Hospital")
_ORG_HEADS = frozenset(
    "university college school institute hospital council committee commission party association "
    "foundation ministry department agency office court club league bank group house".split()
)
def is_name_head(word: str) -> bool:
    """Is `word` the last word of an organisation, medium or place rather than of a person ("White
    House", "Business Wire", "Juniper Networks", "Nechako River")?"""
    w = word.lower()
    return w in _ORG_HEADS or w in _COMPANY_HEADS or w in _MEDIA_HEADS or w in _PLACE_HEADS or w in _NATURAL_HEADS


_PLACE_HEADS = frozenset(  # not "hall", "park": surnames ("John Hall", "Park Ji-sung")
    "centre center stadium airport street road avenue square bridge tower island county river "
    "lake mountain".split()
)
# last words of events ("RWC Final", "Davis Cup") and of natural features ("Nechako River")
_NATURAL_STARTS = frozenset("mount mt lake cape".split())
_EVENT_HEADS = frozenset("show expo festival summit awards final finals semi-final semi-finals semifinal semifinals quarter-final quarter-finals quarterfinal quarterfinals cup open championship championships olympics tournament".split())
_NATURAL_HEADS = frozenset("river lake mountain mountains island islands bay valley creek sea ocean gulf peninsula canyon desert".split())
# holidays are dates (tasks/dates.py), not places or persons: "Christmas", "Christmas Day"
_HOLIDAYS = frozenset(
    tuple(h.split())
    for h in ("christmas", "christmas day", "christmas eve", "easter", "easter sunday", "thanksgiving", "thanksgiving day",
              "halloween", "ramadan", "hanukkah", "diwali", "new year", "new year's", "new year's day", "new year's eve",
              "boxing day", "valentine's day", "independence day", "labor day", "labour day", "memorial day", "eid")
)
_HOLIDAY_FIRST = frozenset(h[0] for h in _HOLIDAYS)
_OPENERS = frozenset(['"', "“", "‘", "'", "(", "[", "-", "--", ":"])


def _office_split(a: int, b: int, words: Sequence[str]) -> tuple[int, int] | None:
    """(end of the part before the title, start of the name) when words[a:b] is "[Org] Title Name"."""
    for j in range(b - 2, a - 1, -1):
        if words[j].rstrip(".").lower() not in _OFFICE_TITLES:
            continue
        name = words[j + 1 : b]
        start = j + 1
        if len(name) >= 4 and name[0] == "of" and all(w[:1].isupper() for w in name[1:]):
            # "Secretary of State Condoleezza Rice", "Minister of Foreign Affairs Sergei Lavrov": the
            # title runs on over "of ..."; the name is its last two words
            start, name = b - 2, words[b - 2 : b]
        honorific = words[j].rstrip(".") in TITLES
        if (len(name) < 2 and not honorific) or any(_is_title(w) for w in name):
            return None
        if not all(w[:1].isupper() for w in name) or name[-1].lower() in _NAME_HEADS:
            return None
        k = j
        while k > a and (words[k - 1].lower() in _TITLE_MODIFIERS or _is_title(words[k - 1])):
            k -= 1
        return k, start
    return None


def merge_particles(spans: list[tuple[int, int, str]], words: Sequence[str]) -> list[tuple[int, int, str]]:
    """Join a person span and the capitalised span after it when only lowercase name particles
    separate them ("Ursula" von der "Leyen", "Luiz Inácio Lula" da "Silva", "Mohammed" bin "Rashid Al
    Maktoum"): the whole is the person (the tagger often takes the part after a particle for an
    organisation or place)."""
    out: list[tuple[int, int, str]] = []
    for span in spans:
        if out and out[-1][2] == "PER" and (span[2] == "PER" or span[1] - span[0] <= 3):
            gap = words[out[-1][1] : span[0]]
            if (
                gap
                and all(w in PARTICLES for w in gap)
                and all(w[:1].isupper() for w in words[span[0] : span[1]])
            ):
                out[-1] = (out[-1][0], span[1], "PER")
                continue
        out.append(span)
    return out


def save_model(
    path: str,
    labels: list[str],
    attrs: list[str],
    state: np.ndarray,
    trans: np.ndarray,
    lexicon: dict[str, int],
    meta: dict,
    names: dict[tuple[str, ...], str] | None = None,
    places: Iterable[tuple[str, ...]] = (),
) -> None:
    words = sorted(lexicon)
    name_lines = sorted(f"{typ}\t{' '.join(p)}" for p, typ in (names or {}).items())
    place_lines = sorted({" ".join(p) for p in places})
    np.savez_compressed(
        path,
        labels=np.frombuffer("\n".join(labels).encode(), dtype=np.uint8),
        attrs=np.frombuffer("\n".join(attrs).encode(), dtype=np.uint8),
        state=state.astype(np.float16),
        trans=trans.astype(np.float32),
        lex_words=np.frombuffer("\n".join(words).encode(), dtype=np.uint8),
        lex_case=np.array([lexicon[w] for w in words], dtype=np.uint8),
        names=np.frombuffer("\n".join(name_lines).encode(), dtype=np.uint8),
        places=np.frombuffer("\n".join(place_lines).encode(), dtype=np.uint8),
        meta=np.frombuffer(json.dumps(meta, sort_keys=True).encode(), dtype=np.uint8),
    )


def _strings(arr: np.ndarray) -> list[str]:
    return arr.tobytes().decode().split("\n") if arr.size else []


def read_model(path_or_file) -> Tagger:
    with np.load(path_or_file, allow_pickle=False) as z:
        labels = _strings(z["labels"])
        attrs = _strings(z["attrs"])
        state = z["state"].astype(np.float32)
        trans = z["trans"].astype(np.float32)
        lexicon = dict(zip(_strings(z["lex_words"]), (int(c) for c in z["lex_case"]), strict=True))
        names = (
            {tuple(p.split(" ")): typ for typ, p in (ln.split("\t") for ln in _strings(z["names"]))}
            if "names" in z
            else {}
        )
        places = {tuple(p.split(" ")): "LOC" for p in _strings(z["places"])} if "places" in z else {}
    if state.shape != (len(attrs), len(labels)) or trans.shape != (len(labels), len(labels)):
        raise ValueError(f"{path_or_file}: model arrays do not match its attribute and label lists")
    return Tagger(labels, {a: i for i, a in enumerate(attrs)}, state, trans, lexicon, names, places)


@functools.lru_cache(maxsize=1)
def load_tagger() -> Tagger:
    """The committed model (`tasks/data/ner_model.npz`), loaded once per process, its lexicon's
    word types scored (`Tagger.prescore_lexicon`)."""
    with resources.files("tasks").joinpath(MODEL_FILE).open("rb") as f:
        model = read_model(f)
    model.prescore_lexicon()
    return model


def tag(text: str, within: Sequence[tuple[int, int]] | None = None) -> list[tuple[int, int, str]]:
    return load_tagger().tag(text, within)


def case_lexicon(sentences: Iterable[Sequence[str]], min_count: int = 2) -> dict[str, int]:
    """How each word is written in running text (not sentence-initial, not in all-caps lines):
    0 always lower case, 2 always capitalised, 1 both. Words seen fewer than `min_count` times are left out."""
    counts: dict[str, list[int]] = {}
    for words in sentences:
        letters = [w for w in words if any(c.isalpha() for c in w)]
        if not letters or all(not any(c.islower() for c in w) for w in letters):
            continue
        for w in words[1:]:
            if not w[:1].isalpha():
                continue
            c = counts.setdefault(w.lower(), [0, 0])
            c[1 if w[0].isupper() else 0] += 1
    lex: dict[str, int] = {}
    for w, (lower, upper) in counts.items():
        if lower + upper < min_count:
            continue
        lex[w] = 0 if upper * 20 <= lower else 2 if lower * 20 <= upper else 1
    return lex

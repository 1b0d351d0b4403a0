"""Clean text -> dated, typed event mentions -> events merged across documents.

In:  clean documents (id, clean text, publication date), the run date, the duplicate clusters and the
     events stored by earlier runs.
Out: `Mention`s (one per event trigger with a date, evidence sentence and offsets) and `Event`s
     (mentions of the same type, compatible date and overlapping actors merged; stored event ids
     reused so re-runs and later reports update an event instead of adding one). Triggers with no
     date, and events below `min_confidence`, are not published.

The temporal tagger `find_dates` is ours: absolute dates by regex (dateparser only as a fallback
for odd metadata strings), years inferred from the document and weekday consistency, relative
expressions resolved against the reference date (the publication date when known, else the run
date, which makes relative expressions untrustworthy and lowers their confidence).
"""

from __future__ import annotations

import calendar
import functools
import hashlib
import json
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from importlib import resources

# --- dates -------------------------------------------------------------------------------------

MONTH_NAMES = {m.lower(): i for i, m in enumerate(calendar.month_name) if m}
MONTH_NAMES.update({m.lower(): i for i, m in enumerate(calendar.month_abbr) if m})
MONTH_NAMES["sept"] = 9
WEEKDAYS = {d.lower(): i for i, d in enumerate(calendar.day_name)}
WEEKDAYS.update({d.lower(): i for i, d in enumerate(calendar.day_abbr)})
WEEKDAYS.update({"tues": 1, "thur": 3, "thurs": 3, "weds": 2})

_MON = r"(?P<{g}>January|February|March|April|May|June|July|August|September|October|November|December|Jan\.?|Feb\.?|Mar\.?|Apr\.?|Jun\.?|Jul\.?|Aug\.?|Sept?\.?|Oct\.?|Nov\.?|Dec\.?)"
_WD = r"(?:(?P<wd>Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|Mon|Tues?|Wed|Thur?s?|Fri|Sat|Sun)\.?,?\s+(?:the\s+)?)?"
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>(?:1[89]|20|21)\d{2})"
_NOT_NUM_AFTER = r"(?![\d%]|\s?(?:kg|km|m|tonnes|tons|percent|people|satellites)\b)"

DATE_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(rx))
    for name, rx in (
        ("iso", r"\b(?P<year>(?:19|20|21)\d{2})-(?P<mnum>[01]\d)-(?P<day>[0-3]\d)\b"),
        # Monday, September 28, 2020 / April 1st / March 1 / Nov. 5, 2019
        ("mdy", r"(?<![\w])(?=[A-Z])" + _WD + _MON.format(g="mon") + r"\s+" + _DAY + r"(?:\s*[-–]\s*[0-3]?\d)?\b(?:,?\s+" + _YEAR + r")?" + _NOT_NUM_AFTER),
        # Tuesday, 13 January / 5 November 2019 / the 1st of April
        ("dmy", r"(?<![\w])(?=[A-Z0-9])" + _WD + _DAY + r"(?:\s*[-–]\s*[0-3]?\d)?\s+(?:of\s+)?" + _MON.format(g="mon") + r"\b(?:,?\s+" + _YEAR + r")?" + _NOT_NUM_AFTER),
        # 01/04/2021, 1.4.2021 (day first unless impossible)
        ("numeric", r"\b(?P<a>[0-3]?\d)[/.](?P<b>[01]?\d)[/.](?P<year>(?:19|20)\d{2})\b"),
        # early/mid/late June 2022, June 2022, in June
        ("month", r"(?<![\w])(?=[A-Za-z])(?:\b(?P<mod>early|mid|late|end of|beginning of|start of)[\s-]+)?" + _MON.format(g="mon") + r"(?:\s+(?:of\s+)?" + _YEAR + r")?\b" + _NOT_NUM_AFTER),
        ("relative_day", r"\b(?P<rel>today|yesterday|tomorrow)\b"),
        ("relative_weekday", r"\b(?:(?P<dir>last|next|this|on|coming|past)\s+)(?P<wdonly>Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b"),
        ("relative_month", r"\b(?P<dir>last|next|this|past|coming)\s+(?:(?P<unit>month|year)|" + _MON.format(g="mon") + r")\b"),
        ("year_end", r"\b(?:by\s+)?(?:the\s+)?(?P<edge>end|beginning|start|middle)\s+of\s+(?:the\s+|this\s+)?(?:(?P<nextyear>next\s+)?year|" + _YEAR + r")\b"),
        ("this_year", r"\b(?P<when>later|earlier)\s+this\s+year\b"),
        ("ago", r"\b(?P<n>\d+|one|two|three|four|five|six|seven|eight|nine|ten)\s+(?P<agounit>days?|months?|years?)\s+ago\b"),
        ("year", r"(?<![\d.,$€£#/-])\b" + _YEAR + r"\b(?![-–/]\d)(?!s\b)(?!'s)" + _NOT_NUM_AFTER),
    )
)
# Words every match of a pattern contains (case as in the pattern): texts without any skip its scan.
_PATTERN_NEEDS = {
    "relative_day": ("today", "yesterday", "tomorrow"),
    "relative_weekday": ("day",),
    "year_end": ("end", "beginning", "start", "middle"),
    "this_year": ("this",),
    "ago": ("ago",),
}
RANGE_RE = re.compile(r"\b(?:19|20|21)\d{2}\s*[-–]\s*(?:(?:19|20|21)\d{2}|\d{2})\b(?![-–/]\d)")
NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10}
FUTURE_CUES = re.compile(
    r"\b(will|shall|scheduled|planned|plans?|planning|expected|expects|set (?:to|for)|due (?:to|in|for)|upcoming|intends?|"
    r"aims? to|going to|targeting|targeted|slated|would|next|launch date|is to be|are to be)\b",
    re.I,
)


@dataclass(frozen=True, slots=True)
class DateMention:
    start: int
    end: int
    text: str
    value: str  # ISO: YYYY-MM-DD, YYYY-MM or YYYY
    precision: str  # day | month | year
    confidence: float
    flags: tuple[str, ...] = ()

    @property
    def date(self) -> date:
        parts = [int(p) for p in self.value.split("-")] + [1, 1]
        return date(parts[0], parts[1], parts[2])


def _month(s: str) -> int:
    return MONTH_NAMES[s.lower().rstrip(".")]


def _valid(y: int, m: int, d: int) -> bool:
    try:
        date(y, m, d)
        return True
    except ValueError:
        return False


def _iso(y: int, m: int | None = None, d: int | None = None) -> str:
    if m is None:
        return f"{y:04d}"
    if d is None:
        return f"{y:04d}-{m:02d}"
    return f"{y:04d}-{m:02d}-{d:02d}"


def _is_future(text: str, start: int, end: int, sentence_bounds: tuple[int, int]) -> bool:
    s, _ = sentence_bounds
    before = text[max(s, start - 80) : start]
    return bool(FUTURE_CUES.search(before))


def _sentence_bounds(text: str, pos: int) -> tuple[int, int]:
    s = max(text.rfind(". ", 0, pos), text.rfind("\n", 0, pos))
    e_candidates = [i for i in (text.find(". ", pos), text.find("\n", pos)) if i != -1]
    return (s + 1 if s >= 0 else 0), (min(e_candidates) if e_candidates else len(text))


@dataclass(slots=True)
class _Raw:
    start: int
    end: int
    kind: str
    groups: dict[str, str | None]


def _scan(text: str) -> list[_Raw]:
    """All date-like spans, longest first, non-overlapping; ranges like 2021-2025 removed."""
    taken: list[tuple[int, int]] = [m.span() for m in RANGE_RE.finditer(text)]
    found: list[_Raw] = []
    cands = []
    for kind, rx in DATE_PATTERNS:
        needs = _PATTERN_NEEDS.get(kind)
        if needs and not any(w in text for w in needs):
            continue  # a word every match contains is absent: skip the scan
        for m in rx.finditer(text):
            if m.end() > m.start():
                cands.append(_Raw(m.start(), m.end(), kind, m.groupdict()))
    cands.sort(key=lambda r: (-(r.end - r.start), r.start))
    for r in cands:
        if any(r.start < e and s < r.end for s, e in taken):
            continue
        if r.kind == "month" and not r.groups.get("year") and not r.groups.get("mod"):
            # A bare month name: only after "in"/"since"/"until"/"by"/"from" ("May" is also a verb).
            head = text[max(0, r.start - 7) : r.start].lower()
            if not re.search(r"\b(in|since|until|by|from|of|early|late|mid)\s+$", head):
                continue
        if r.kind == "month" and r.groups.get("mon", "").lower().startswith("may") and not r.groups.get("year") and r.groups.get("mod") is None:
            continue
        taken.append((r.start, r.end))
        found.append(r)
    found.sort(key=lambda r: r.start)
    return found


def _resolve_yearless(
    month: int,
    day: int | None,
    weekday: int | None,
    future: bool,
    ref: date,
    anchor: date | None,
    max_back: int,
) -> tuple[int, float, tuple[str, ...]] | None:
    """Pick the year of a date written without one. Returns (year, confidence, flags)."""
    dd = day or 1
    years = [y for y in range(ref.year - max_back, ref.year + 2) if _valid(y, month, dd)]
    if not years:
        return None
    if weekday is not None and day is not None:
        fits = [y for y in years if date(y, month, day).weekday() == weekday]
        if future:
            after = [y for y in fits if date(y, month, day) >= ref]
            if after:
                return after[0], 0.8, ("weekday_year",)
        before = [y for y in fits if date(y, month, day) <= ref]
        if before:
            return before[-1], 0.8, ("weekday_year",)
        flags: tuple[str, ...] = ("weekday_mismatch",)
    else:
        flags = ()
    if future:
        lower = max(ref, anchor) if anchor else ref
        after = [y for y in years if date(y, month, dd) >= lower.replace(day=1) if day is None] if day is None else [
            y for y in years if date(y, month, dd) >= lower
        ]
        if after:
            return after[0], 0.7 if not flags else 0.4, flags
    if anchor is not None:
        # The document was written after its latest explicit past date: the first occurrence
        # after that anchor (not after the reference) is the most plausible.
        after_anchor = [y for y in years if anchor <= date(y, month, dd) <= ref]
        if after_anchor:
            return after_anchor[0], 0.75 if not flags else 0.4, (*flags, "year_from_document")
    before = [y for y in years if date(y, month, dd) <= ref]
    if before:
        return before[-1], 0.7 if not flags else 0.4, flags
    return years[0], 0.3, (*flags, "no_year_fits")


def find_dates(
    text: str,
    reference_date: date,
    *,
    reference_is_publication: bool = True,
    max_year_back: int = 30,
) -> list[DateMention]:
    """Temporal expressions in `text`, normalised to ISO values with precision and confidence.

    `reference_date` is the document's publication date when known (then relative expressions are
    trusted), else the run date (`reference_is_publication=False`: relative expressions get low
    confidence, and yearless dates take their year from the latest explicit past date in the text).
    Ranges ("2021-2025") and decades ("the 2030s") are not dates.
    """
    ref = reference_date
    raws = _scan(text)
    out: list[DateMention] = []
    # Pass 1: explicit (year-bearing) dates, to find the document's anchor.
    explicit: list[tuple[_Raw, DateMention]] = []
    for r in raws:
        g = r.groups
        y = int(g["year"]) if g.get("year") else None
        span = text[r.start : r.end]
        if r.kind == "iso" and _valid(y, int(g["mnum"]), int(g["day"])):
            explicit.append((r, DateMention(r.start, r.end, span, _iso(y, int(g["mnum"]), int(g["day"])), "day", 0.95)))
        elif r.kind in ("mdy", "dmy") and y is not None:
            m, d = _month(g["mon"]), int(g["day"])
            if _valid(y, m, d):
                flags: tuple[str, ...] = ()
                conf = 0.95
                if g.get("wd") and date(y, m, d).weekday() != WEEKDAYS[g["wd"].lower().rstrip(".")]:
                    flags, conf = ("weekday_mismatch",), 0.6
                explicit.append((r, DateMention(r.start, r.end, span, _iso(y, m, d), "day", conf, flags)))
        elif r.kind == "numeric":
            a, b = int(g["a"]), int(g["b"])
            day_first = a > 12 or b <= 12  # European order unless impossible
            d, m = (a, b) if day_first else (b, a)
            if _valid(y, m, d):
                explicit.append((r, DateMention(r.start, r.end, span, _iso(y, m, d), "day", 0.7 if a <= 12 and b <= 12 else 0.9)))
        elif r.kind == "month" and y is not None:
            explicit.append((r, DateMention(r.start, r.end, span, _iso(y, _month(g["mon"])), "month", 0.9)))
        elif r.kind == "year_end" and y is not None:
            explicit.append((r, DateMention(r.start, r.end, span, _iso(y), "year", 0.85)))
        elif r.kind == "year" and y is not None:
            head = text[max(0, r.start - 12) : r.start].lower()
            conf = 0.8 if re.search(r"\b(in|by|since|until|till|for|of|from|before|after|early|late|mid|during|around|year)\s+$", head) else 0.6
            explicit.append((r, DateMention(r.start, r.end, span, _iso(y), "year", conf)))
    anchor = None
    for r, dm in explicit:
        bounds = _sentence_bounds(text, r.start)
        if dm.date <= ref and not _is_future(text, r.start, r.end, bounds):
            anchor = max(anchor, dm.date) if anchor else dm.date
    explicit_by_start = {r.start: dm for r, dm in explicit}
    rel_conf = 0.8 if reference_is_publication else 0.3
    # Pass 2: everything, in text order.
    for r in raws:
        if r.start in explicit_by_start:
            out.append(explicit_by_start[r.start])
            continue
        g = r.groups
        span = text[r.start : r.end]
        future = _is_future(text, r.start, r.end, _sentence_bounds(text, r.start))
        anchor_here = None if reference_is_publication else anchor
        if r.kind in ("mdy", "dmy"):
            m, d = _month(g["mon"]), int(g["day"])
            wd = WEEKDAYS[g["wd"].lower().rstrip(".")] if g.get("wd") else None
            got = _resolve_yearless(m, d, wd, future, ref, anchor_here, max_year_back)
            if got:
                y, conf, flags = got
                if reference_is_publication and "weekday_mismatch" not in flags:
                    conf = max(conf, 0.85)
                out.append(DateMention(r.start, r.end, span, _iso(y, m, d), "day", conf, flags))
        elif r.kind == "month":
            m = _month(g["mon"])
            got = _resolve_yearless(m, None, None, future, ref, anchor_here, max_year_back)
            if got:
                y, conf, flags = got
                out.append(DateMention(r.start, r.end, span, _iso(y, m), "month", min(conf, rel_conf + 0.1), flags))
        elif r.kind == "relative_day":
            delta = {"today": 0, "yesterday": -1, "tomorrow": 1}[g["rel"].lower()]
            out.append(DateMention(r.start, r.end, span, (ref + timedelta(days=delta)).isoformat(), "day", rel_conf))
        elif r.kind == "relative_weekday":
            wd = WEEKDAYS[g["wdonly"].lower()]
            direction = g["dir"].lower()
            if direction in ("next", "coming") or (direction in ("on", "this") and future):
                delta = (wd - ref.weekday()) % 7 or 7
            else:
                delta = -((ref.weekday() - wd) % 7 or 7)
            out.append(DateMention(r.start, r.end, span, (ref + timedelta(days=delta)).isoformat(), "day", rel_conf))
        elif r.kind == "relative_month":
            direction = g["dir"].lower()
            step = {"last": -1, "past": -1, "next": 1, "coming": 1, "this": 0}[direction]
            if g.get("unit") == "year":
                out.append(DateMention(r.start, r.end, span, _iso(ref.year + step), "year", rel_conf))
            elif g.get("unit") == "month":
                mi = ref.year * 12 + ref.month - 1 + step
                out.append(DateMention(r.start, r.end, span, _iso(mi // 12, mi % 12 + 1), "month", rel_conf))
            else:
                m = _month(g["mon"])
                if step < 0:
                    y = ref.year if m < ref.month else ref.year - 1
                elif step > 0:
                    y = ref.year if m > ref.month else ref.year + 1
                else:
                    y = ref.year
                out.append(DateMention(r.start, r.end, span, _iso(y, m), "month", rel_conf))
        elif r.kind == "year_end":
            y = ref.year + (1 if g.get("nextyear") else 0)
            out.append(DateMention(r.start, r.end, span, _iso(y), "year", rel_conf))
        elif r.kind == "this_year":
            out.append(DateMention(r.start, r.end, span, _iso(ref.year), "year", rel_conf))
        elif r.kind == "ago":
            n = int(g["n"]) if g["n"].isdigit() else NUMBER_WORDS[g["n"].lower()]
            unit = g["agounit"].lower().rstrip("s")
            if unit == "day":
                out.append(DateMention(r.start, r.end, span, (ref - timedelta(days=n)).isoformat(), "day", rel_conf))
            elif unit == "month":
                mi = ref.year * 12 + ref.month - 1 - n
                out.append(DateMention(r.start, r.end, span, _iso(mi // 12, mi % 12 + 1), "month", rel_conf))
            else:
                out.append(DateMention(r.start, r.end, span, _iso(ref.year - n), "year", rel_conf))
    return out


@functools.lru_cache(maxsize=4096)
def parse_absolute_date(s: str) -> date | None:
    """A metadata date string ("October 2, 2020", "2020-10-02T10:00Z", "02/10/2020") -> date, else None."""
    s = s.strip()
    if not s:
        return None
    try:
        return date.fromisoformat(s[:10])
    except ValueError:
        pass
    for dm in find_dates(s, date(2100, 1, 1)):
        if dm.precision == "day" and "year" not in dm.flags and re.search(r"\d{4}", dm.text):
            return dm.date
    import dateparser  # fallback for formats we do not cover; imported lazily (slow import)

    parsed = dateparser.parse(s, settings={"STRICT_PARSING": True, "RETURN_AS_TIMEZONE_AWARE": False})
    return parsed.date() if parsed else None


# --- gazetteer and actors ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Actor:
    name: str
    kind: str  # organisation | person | mission | country
    role: str = "participant"
    start: int = -1  # offset of the mention in the sentence (for nearest-actor choices)
    end: int = -1


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
    regex = re.compile(r"(?<![\w-])(?:" + _alternation(alias_to) + r")(?![\w-])")
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
NAME = rf"{_NAME_TOKEN}(?:\s+(?:(?:Le|La|De|Van|Von|Da|Di|de|van|von|der|le|la|bin|al)\s+)?{_NAME_TOKEN}){{1,3}}"
PERSON_PATTERNS = (
    # ESA Director General Josef Aschbacher / CNSA Leader Zhang Kejian
    # (the lookahead lists every possible first letter: a quick fail at most positions, 2.3x faster)
    re.compile(rf"(?=[A-Znfadvt])(?P<title>(?:[A-Z]{{2,}}['’]?s?\s+)?{TITLE_WORDS})\s+(?P<name>{NAME})"),
    # Zhang Kejian, Administrator of the CNSA / Karl Bergquist, ESA’s International Relations Administrator
    re.compile(rf"(?P<name>{NAME}),\s+(?:the\s+)?(?P<title>(?:[A-Z][\w’']*\s+){{0,3}}{TITLE_WORDS}(?:\s+(?:of|at)\s+(?:the\s+)?[A-Z][\w’'-]*(?:\s+[A-Z][\w’'-]*)*)?)"),
    # Name said / tweeted / told
    re.compile(rf"(?P<name>{NAME})\s+(?:said|says|told|tweeted|stated|noted|explained|added|announced)\b"),
)
NOT_PERSON_WORDS = frozenset(
    ["The", "This", "That", "These", "Those", "Their", "They", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday", "January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December", "Space", "Agency", "Administration", "National", "Station", "Mission", "Program", "Programme", "Plan", "Earth", "Moon", "Mars", "Lunar", "Research", "International", "European", "Chinese", "China", "Europe", "President", "Republic", "Joint", "Declaration", "Cooperation", "Director", "General", "Leader", "Source", "Link", "On", "In", "At", "By", "For", "With", "From", "Of", "And", "But", "As", "Some", "What", "When", "Where", "Who", "How", "Apparently", "Under", "Finally", "Additionally"]
)
ACRONYM_DEF_RE = re.compile(r"(?P<full>(?:[A-Z][\w'’-]*\s+(?:(?:of|for|and|the|de|du|in)\s+)*){1,8}[A-Z][\w'’-]*)\s+\((?P<acr>[A-Z][A-Za-z0-9&-]{1,9})\)")
ORG_HEAD_RE = re.compile(r"\b(Agency|Administration|Institute|Institution|Organi[sz]ation|Cent(?:er|re)|Office|Ministry|Academy|University|Corporation|Company|Council|Commission|Authority|Laborator(?:y|ies)|Observatory|Society|Association|Bureau|Department|Foundation|Group|Federation)\b")
PRONOUN_SUBJECT_RE = re.compile(r"^\W*(?:Their|They|Them|The two (?:parties|agencies|sides|leaders|heads|organi[sz]ations)|Both (?:agencies|parties|sides|leaders)|The parties|The agencies|The leaders)\b")


def _clean_name(name: str) -> str:
    toks = name.split()
    while toks and toks[0] in NOT_PERSON_WORDS:
        toks = toks[1:]
    while toks and toks[-1] in NOT_PERSON_WORDS:
        toks = toks[:-1]
    return " ".join(toks)


@dataclass(slots=True)
class DocContext:
    """What a document has taught us: acronym definitions and persons (for surname references)."""

    acronyms: dict[str, str] = field(default_factory=dict)  # acronym -> full name (orgs outside the gazetteer)
    persons: dict[str, tuple[str, str]] = field(default_factory=dict)  # full name or token -> (full name, role)
    surface_to: dict[str, tuple[str, str, str]] = field(default_factory=dict)  # surface -> (name, kind, role)

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


def _is_name_char(c: str) -> bool:  # the [\w-] of a name boundary
    return c.isalnum() or c == "_" or c == "-"


def learn_document(text: str, gaz: Gazetteer) -> DocContext:
    ctx = DocContext()
    for m in ACRONYM_DEF_RE.finditer(text):
        full, acr = m.group("full").strip(), m.group("acr")
        full = re.sub(r"^(?:The|the|of|and)\s+", "", full)
        if gaz.lookup(acr) is None and gaz.lookup(full) is None and ORG_HEAD_RE.search(full):
            ctx.acronyms[acr] = full
    for rx in PERSON_PATTERNS:
        for m in rx.finditer(text):
            name = _clean_name(m.group("name"))
            if len(name.split()) < 2 or gaz.lookup(name) is not None or gaz.lookup(name.split()[0]) is not None:
                continue
            role = " ".join(m.group("title").split()) if "title" in m.groupdict() and m.group("title") else ""
            prev = ctx.persons.get(name)
            if prev is None or (not prev[1] and role):
                ctx.persons[name] = (name, role)
    for full, (canon, role) in list(ctx.persons.items()):
        for tok in full.split():
            if len(tok) > 2 and tok not in NOT_PERSON_WORDS:
                ctx.persons.setdefault(tok, (canon, role))
    for surface, (canon, role) in ctx.persons.items():
        ctx.surface_to[surface] = (canon, "person", role or "participant")
    for acr, full in ctx.acronyms.items():
        ctx.surface_to.setdefault(acr, (acr, "organisation", "participant"))
        ctx.surface_to.setdefault(full, (acr, "organisation", "participant"))
    return ctx


def find_actors(sentence: str, gaz: Gazetteer, ctx: DocContext) -> list[Actor]:
    """Organisations, persons, missions and countries named in one sentence (canonical names, deduplicated).

    Document-specific names (persons, acronyms defined in the text) win over the gazetteer where
    they overlap; full names before surnames (longest match first).
    """
    found: list[Actor] = []
    taken: list[tuple[int, int]] = []

    def add(name: str, kind: str, s: int, e: int, role: str = "participant") -> None:
        if any(s < te and ts < e for ts, te in taken):
            return
        taken.append((s, e))
        found.append(Actor(name, kind, role, s, e))

    for surface, s, e in ctx.matches(sentence):
        name, kind, role = ctx.surface_to[surface]
        add(name, kind, s, e, role)
    for m in gaz.numbered.finditer(sentence):
        base = m.group("base").replace("’", "'")
        name = f"{base}-{m.group('num')}" if not base.startswith(("Apollo", "Artemis", "Soyuz")) else f"{base} {m.group('num')}"
        add(name, "mission", m.start(), m.end())
    for m in gaz.regex.finditer(sentence):
        canon, kind = gaz.lookup(m.group(0))
        add(canon, kind, m.start(), m.end())
    out: dict[tuple[str, str], Actor] = {}
    for a in sorted(found, key=lambda a: a.start):
        out.setdefault((a.name, a.kind), a)
    return list(out.values())


# --- sentences and triggers --------------------------------------------------------------------

ABBREVIATIONS = frozenset(
    ["mr", "mrs", "ms", "dr", "st", "jr", "sr", "prof", "gen", "sen", "rep", "gov", "lt", "col", "capt", "sgt", "inc", "ltd", "co", "corp", "vs", "no", "nos", "fig", "mm", "mme", "mlle", "messrs", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "u.s", "u.k", "e.g", "i.e", "etc", "approx", "dept", "est", "al"]
)
_SENT_END_RE = re.compile(r"[.!?…][\"”’)\]]*\s+(?=[\"“‘(\[]?[A-Z0-9])|\n+")


def split_sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) spans of the sentences of `text`; paragraph breaks always end a sentence."""
    spans = []
    start = 0
    for m in _SENT_END_RE.finditer(text):
        end = m.start() + 1 if text[m.start()] != "\n" else m.start()
        before = text[start:end].rstrip(".!?…\"”’)] ").split()
        last = before[-1].lower().rstrip(".") if before else ""
        if text[m.start()] == "." and (last in ABBREVIATIONS or (len(last) == 1 and last.isalpha())):
            continue
        seg = text[start:end]
        if seg.strip():
            lead = len(seg) - len(seg.lstrip())
            spans.append((start + lead, end))
        start = m.end()
    if text[start:].strip():
        lead = len(text[start:]) - len(text[start:].lstrip())
        spans.append((start + lead, len(text.rstrip())))
    return spans


TRIGGERS: dict[str, tuple[re.Pattern[str], ...]] = {
    t: tuple(re.compile(rx, re.I) for rx in rxs)
    for t, rxs in {
        "meeting": (
            r"\bmet\b(?:\s+with)?",
            r"\bmeet(?:s|ing)?\s+with\b",
            r"\bmeeting\b(?!s)",
            r"\bheld\s+(?:a|an|their)\s+(?:[\w-]+\s+){0,3}(?:call|talks|discussion|meeting|conversation|summit|consultation|dialogue)\b",
            r"\bvideo\s*(?:call|conference)\b",
            r"\b(?:official|state|working)\s+visit\b",
            r"\bvisited\b",
            r"\bsummit\b",
            r"\btalks\s+(?:with|between)\b",
            r"\bgathering\b",
        ),
        "agreement": (
            r"\bsign(?:ed|ing|s)\b",
            r"\bagreement\b",
            r"\bmemorandum\b",
            r"\bMoU\b",
            r"\b(?:joint\s+)?declaration\b",
            r"\baccord\b",
            r"\btreaty\b",
            r"\bagreed\s+to\s+(?:cooperate|collaborate|work together)\b",
            r"\bintention\s+to\s+(?:cooperate|collaborate)\b",
            r"\bletter\s+of\s+intent\b",
        ),
        "launch": (
            r"\blaunch(?:ed|es|ing)?\b",
            r"\blift(?:ed|s)?\s*off\b",
            r"\bblast(?:ed|s)?\s+off\b",
        ),
        "mission_milestone": (
            r"\blanded\b",
            r"\b(?:soft[- ])?landing\b",
            r"\btouch(?:ed)?\s+down\b",
            r"\bdelivered\b",
            r"\breturned\b",
            r"\bdocked\b",
            r"\barrived\b",
            r"\bentered\s+(?:lunar\s+|Mars\s+|martian\s+)?orbit\b",
            r"\borbit(?:al)?\s+insertion\b",
            r"\bsplash(?:ed)?\s*down\b",
        ),
        "appointment": (
            r"\btook\s+(?:up\s+)?(?:the\s+|his\s+|her\s+)?(?:post|office|helm|role|position)\b",
            r"\bentered\s+(?:the\s+)?(?:post|office)\b",
            r"\bappointed\b",
            r"\bnamed\s+(?:as\s+)?(?:the\s+)?(?:new\s+)?(?:director|head|chief|president|administrator|leader)\b",
            r"\b(?:became|becomes)\s+(?:the\s+)?(?:new\s+)?(?:director|head|chief|president|administrator)\b",
            r"\bstep(?:ped|s)\s+down\b",
            r"\bresign(?:ed|s)\b",
            r"\bsworn\s+in\b",
            r"\bassumed\s+(?:the\s+)?(?:post|office|role)\b",
            r"\btakes?\s+office\b",
        ),
        "statement": (
            r"\bannounced\b",
            r"\bpress\s+release\b",
            r"\bstatement\b",
            r"\bdeclared\b",
        ),
    }.items()
}
CAMEO = {"meeting": "040", "agreement": "057", "statement": "010"}
RELATIVE_CLAUSE_RE = re.compile(r",\s+(?:who|which|whose|where)\b[^,;]*(?:,|$)")
LOCATION_RE = re.compile(r"\b(?:in|at)\s+(?P<loc>[A-Z][\w'’-]+(?:[\s,]+(?:D\.C\.|[A-Z][\w'’-]+))?)")


@dataclass(frozen=True, slots=True)
class Mention:
    doc_id: str
    event_type: str
    date_value: str
    date_precision: str
    date_text: str
    planned: bool
    actors: tuple[Actor, ...]
    location: str | None
    sentence: str
    char_start: int
    char_end: int
    trigger: str
    confidence: float


def _regions(sentence: str) -> list[tuple[int, int, bool]]:
    """(start, end, is_relative_clause) regions of a sentence."""
    regs = [(m.start(), m.end(), True) for m in RELATIVE_CLAUSE_RE.finditer(sentence)]
    return regs


def _region_of(pos: int, regions: list[tuple[int, int, bool]]) -> int:
    for i, (s, e, _) in enumerate(regions):
        if s <= pos < e:
            return i
    return -1  # main clause


def extract_mentions(
    doc_id: str,
    text: str,
    reference_date: date,
    reference_is_publication: bool,
    max_year_back: int = 30,
) -> list[Mention]:
    """Event mentions in one clean text: trigger + date in the same clause, actors, location, evidence."""
    gaz = load_gazetteer()
    dates = find_dates(text, reference_date, reference_is_publication=reference_is_publication, max_year_back=max_year_back)
    if not dates:
        return []
    ctx = learn_document(text, gaz)
    sentences = split_sentences(text)
    actor_cache: dict[int, list[Actor]] = {}

    def actors_of(i: int) -> list[Actor]:
        if i not in actor_cache:
            actor_cache[i] = find_actors(text[sentences[i][0] : sentences[i][1]], gaz, ctx)
        return actor_cache[i]

    def sentence_actors(i: int, sentence: str) -> list[Actor]:
        """The sentence's actors; "Their/The two parties/..." or no named party: those of the last
        sentence (up to 3 back) that named an organisation or person."""
        actors = actors_of(i)
        pronoun = bool(PRONOUN_SUBJECT_RE.search(sentence))
        if pronoun or not any(a.kind in ("organisation", "person") for a in actors):
            prev = next((actors_of(j) for j in range(i - 1, max(-1, i - 4), -1) if any(a.kind in ("organisation", "person") for a in actors_of(j))), [])
            if pronoun or not any(a.kind == "country" for a in actors):
                have = {(x.name, x.kind) for x in actors}
                actors = actors + [replace(a, start=-1, end=-1) for a in prev if a.kind in ("organisation", "person") and (a.name, a.kind) not in have]
        return actors

    out: list[Mention] = []
    for i, (s_start, s_end) in enumerate(sentences):
        sdates = [d for d in dates if s_start <= d.start and d.end <= s_end]
        if not sdates:
            continue
        sentence = text[s_start:s_end]
        regions = _regions(sentence)
        seen: set[tuple[str, str]] = set()
        actors: list[Actor] | None = None
        for etype, rxs in TRIGGERS.items():
            for rx in rxs:
                for tm in rx.finditer(sentence):
                    treg = _region_of(tm.start(), regions)
                    usable = [d for d in sdates if _region_of(d.start - s_start, regions) in (treg, -1) and (treg != -1 or _region_of(d.start - s_start, regions) == -1)]
                    if not usable:
                        continue
                    dm = min(usable, key=lambda d: abs((d.start - s_start) - tm.start()))
                    if abs((dm.start - s_start) - tm.start()) > 160:
                        continue
                    key = (etype, dm.value)
                    if key in seen:
                        continue
                    seen.add(key)
                    if actors is None:
                        actors = sentence_actors(i, sentence)
                    ev_actors = _event_actors(etype, sentence, tm.start(), treg, regions, actors)
                    future_cue = bool(FUTURE_CUES.search(sentence[max(0, tm.start() - 60) : tm.end() + 40]))
                    planned = dm.date > reference_date or (future_cue and etype in ("launch", "mission_milestone", "meeting"))
                    conf = round(dm.confidence * (0.9 if any(a.kind != "country" for a in ev_actors) else 0.6), 3)
                    out.append(
                        Mention(
                            doc_id=doc_id,
                            event_type=etype,
                            date_value=dm.value,
                            date_precision=dm.precision,
                            date_text=dm.text,
                            planned=planned,
                            actors=tuple(ev_actors),
                            location=_location(sentence, tm.start(), gaz),
                            sentence=sentence,
                            char_start=s_start,
                            char_end=s_end,
                            trigger=tm.group(0),
                            confidence=conf,
                        )
                    )
    return out


def _event_actors(
    etype: str, sentence: str, tpos: int, treg: int, regions: list[tuple[int, int, bool]], actors: list[Actor]
) -> list[Actor]:
    """Actors of one trigger: the antecedent of a relative clause, or the sentence's actors."""
    if treg != -1:
        rs = regions[treg][0]
        before = [a for a in actors if 0 <= a.end <= rs and a.kind in ("person", "mission", "organisation")]
        if before:
            head = max(before, key=lambda a: a.end)
            keep = [head]
            if head.kind == "person":
                keep += [a for a in actors if a.kind == "organisation" and a.name in head.role]
            return keep
    if etype in ("launch", "mission_milestone"):
        missions = [a for a in actors if a.kind == "mission" and a.start >= 0]
        if missions:
            nearest = min(missions, key=lambda a: abs(a.start - tpos))
            return [a for a in actors if a.kind != "mission"] + [nearest]
    return list(actors)


def _location(sentence: str, tpos: int, gaz: Gazetteer) -> str | None:
    best = None
    for m in LOCATION_RE.finditer(sentence):
        loc = m.group("loc")
        for cand in (loc, loc.split(",")[0].split()[0] if loc.split() else loc):
            if cand in gaz.cities:
                dist = abs(m.start() - tpos)
                if dist <= 120 and (best is None or dist < best[0]):
                    best = (dist, cand)
                break
    return best[1] if best else None


# --- merging into events -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Event:
    event_id: str
    event_type: str
    event_date: date
    date_precision: str
    date_text: str
    planned: bool
    actors: tuple[Actor, ...]
    location: str | None
    summary: str
    doc_ids: tuple[str, ...]
    n_sources: int
    confidence: float


def _expanded(actors: Iterable[Actor], gaz: Gazetteer) -> set[str]:
    """Actor names plus the countries of organisations: 'Europe and China' overlaps 'ESA and CNSA'."""
    out = set()
    for a in actors:
        out.add(a.name)
        if a.kind == "organisation" and a.name in gaz.country_of:
            out.add(gaz.country_of[a.name])
    return out


def event_id_for(etype: str, value: str, actors: Iterable[Actor]) -> str:
    key_actors = sorted({a.name for a in actors if a.kind == "organisation"}) or sorted({a.name for a in actors})
    return hashlib.sha256(f"{etype}|{value}|{'|'.join(key_actors)}".encode()).hexdigest()[:16]


def _merge_actors(groups: Iterable[Iterable[Actor]]) -> tuple[Actor, ...]:
    merged: dict[tuple[str, str], Actor] = {}
    for actors in groups:
        for a in actors:
            k = (a.name, a.kind)
            cur = merged.get(k)
            if cur is None or (cur.role == "participant" and a.role != "participant"):
                merged[k] = Actor(a.name, a.kind, a.role)
    order = {"organisation": 0, "person": 1, "mission": 2, "country": 3}
    return tuple(sorted(merged.values(), key=lambda a: (order.get(a.kind, 9), a.name)))


def summarise(etype: str, value: str, actors: Sequence[Actor], location: str | None, planned: bool) -> str:
    names = [a.name for a in actors if a.kind != "country"] or [a.name for a in actors]
    who = ", ".join(names[:4]) + (" and others" if len(names) > 4 else "")
    where = f" in {location}" if location else ""
    plan = "planned " if planned else ""
    return f"{plan}{etype.replace('_', ' ')}: {who or 'unknown actors'}{where} ({value})"


def event_key(e: Event) -> tuple[str, str]:
    """(type, date value at its precision) of an event: what `merge_events` groups on. Mentions and
    events with different keys never merge, so a run can merge key partitions one at a time."""
    d, p = e.event_date, e.date_precision
    return e.event_type, _iso(d.year, d.month if p != "year" else None, d.day if p == "day" else None)


def mention_key(m: Mention) -> tuple[str, str]:
    return m.event_type, m.date_value


def key_partition(key: tuple[str, str], parts: int) -> int:
    """Stable partition (0..parts-1) of a merge key, the same in every process and run."""
    return int.from_bytes(hashlib.blake2b(f"{key[0]}|{key[1]}".encode(), digest_size=8).digest(), "little") % parts


def merge_events(
    mentions: Iterable[Mention],
    canonical_of: Mapping[str, str],
    stored: Iterable[Event] = (),
    min_confidence: float = 0.5,
) -> tuple[list[Event], dict[int, str]]:
    """Group mentions into events: same type and date value, overlapping (expanded) actors.

    A group that matches a stored event (same type/date, overlapping actors) keeps the stored id and
    its documents. `n_sources` counts distinct duplicate clusters (`canonical_of`), so copies of one
    article count once. Returns the events and mention index -> event_id.
    """
    gaz = load_gazetteer()
    ms = list(mentions)
    by_key: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, m in enumerate(ms):
        by_key[mention_key(m)].append(i)
    stored_by_key: dict[tuple[str, str], list[Event]] = defaultdict(list)
    for e in stored:
        stored_by_key[event_key(e)].append(e)
    events: list[Event] = []
    assign: dict[int, str] = {}
    for (etype, value), idxs in sorted(by_key.items()):
        groups: list[list[int]] = []
        for i in idxs:
            exp = _expanded(ms[i].actors, gaz)
            target = next((g for g in groups if any(exp & _expanded(ms[j].actors, gaz) or not exp for j in g)), None)
            if target is None:
                groups.append([i])
            else:
                target.append(i)
        for g in groups:
            gm = [ms[i] for i in g]
            actors = _merge_actors(m.actors for m in gm)
            exp = _expanded(actors, gaz)
            match = next((e for e in stored_by_key.get((etype, value), []) if exp & _expanded(e.actors, gaz)), None)
            doc_ids = sorted({m.doc_id for m in gm} | set(match.doc_ids if match else ()))
            if match:
                actors = _merge_actors([match.actors, actors])
            confidence = max([m.confidence for m in gm] + ([match.confidence] if match else []))
            if confidence < min_confidence:
                continue
            best = max(gm, key=lambda m: m.confidence)
            locs = [m.location for m in gm if m.location]
            location = max(set(locs), key=locs.count) if locs else (match.location if match else None)
            planned = all(m.planned for m in gm)
            eid = match.event_id if match else event_id_for(etype, value, actors)
            n_sources = len({canonical_of.get(d, d) for d in doc_ids})
            events.append(
                Event(
                    event_id=eid,
                    event_type=etype,
                    event_date=DateMention(0, 0, "", value, best.date_precision, 1.0).date,
                    date_precision=best.date_precision,
                    date_text=best.date_text,
                    planned=planned,
                    actors=actors,
                    location=location,
                    summary=summarise(etype, value, actors, location, planned),
                    doc_ids=tuple(doc_ids),
                    n_sources=n_sources,
                    confidence=round(confidence, 3),
                )
            )
            for i in g:
                assign[i] = eid
    return events, assign


def extract_events(
    docs: Iterable[tuple[str, str, date | None]], run_date: date, max_year_back: int = 30
) -> list[Mention]:
    """Batch function: (doc_id, clean_text, published) -> mentions. Reference date = publication date
    when known (bounded above by the run date), else the run date."""
    out: list[Mention] = []
    for doc_id, text, published in docs:
        ref = min(published, run_date) if published else run_date
        out.extend(extract_mentions(doc_id, text, ref, published is not None, max_year_back))
    return out


# --- rows for the warehouse --------------------------------------------------------------------


def _actor_dicts(actors: Iterable[Actor]) -> list[dict]:
    return [{"name": a.name, "kind": a.kind, "role": a.role} for a in actors]


def event_row(e: Event, run_id: str) -> dict:
    from tasks.schema import record_hash

    row = {
        "event_id": e.event_id,
        "event_type": e.event_type,
        "cameo_code": CAMEO.get(e.event_type),
        "event_date": e.event_date,
        "date_precision": e.date_precision,
        "date_text": e.date_text,
        "planned": e.planned,
        "actors": _actor_dicts(e.actors),
        "location": e.location,
        "summary": e.summary,
        "doc_ids": list(e.doc_ids),
        "n_sources": e.n_sources,
        "confidence": float(e.confidence),
        "run_id": run_id,
    }
    row["record_hash"] = record_hash(row)
    return row


def event_from_row(row: dict) -> Event:
    return Event(
        event_id=row["event_id"],
        event_type=row["event_type"],
        event_date=row["event_date"],
        date_precision=row["date_precision"],
        date_text=row["date_text"] or "",
        planned=row["planned"],
        actors=tuple(Actor(a["name"], a["kind"], a["role"] or "participant") for a in row["actors"]),
        location=row["location"],
        summary=row["summary"],
        doc_ids=tuple(row["doc_ids"]),
        n_sources=row["n_sources"],
        confidence=row["confidence"],
    )


def mention_row(m: Mention, event_id: str, run_id: str) -> dict:
    from tasks.schema import record_hash

    row = {
        "event_id": event_id,
        "doc_id": m.doc_id,
        "sentence": m.sentence,
        "char_start": m.char_start,
        "char_end": m.char_end,
        "trigger": m.trigger,
        "run_id": run_id,
    }
    row["record_hash"] = record_hash(row)
    return row


def entity_rows(
    events: Iterable[tuple[str, Iterable[tuple[str, str]], Iterable[str]]], mentions_per_event: Mapping[str, int], run_id: str
) -> list[dict]:
    """The actor index, rebuilt from all events, given as (event_id, (kind, name) of each actor,
    doc_ids) — the three columns of the `events` table it needs: one row per (kind, canonical name)."""
    from tasks.schema import record_hash

    agg: dict[tuple[str, str], dict] = {}
    for event_id, actors, doc_ids in events:
        for kind, name in actors:
            cur = agg.setdefault((kind, name), {"docs": set(), "mentions": 0})
            cur["docs"].update(doc_ids)
            cur["mentions"] += mentions_per_event.get(event_id, 1)
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
            "aliases": sorted(aliases_of.get(name, set()) | ({name.split()[-1]} if kind == "person" else set()) - {name}),
            "n_mentions": int(v["mentions"]),
            "n_documents": len(v["docs"]),
            "run_id": run_id,
        }
        row["record_hash"] = record_hash(row)
        rows.append(row)
    return rows

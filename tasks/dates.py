"""The temporal tagger: date mentions in text, normalised to ISO values with precision and confidence.

In:  a text and its reference date (the publication date when known, else the run date).
Out: `DateMention`s (span, ISO value YYYY-MM-DD / YYYY-MM / YYYY, precision, confidence, flags, and
     `after_reference`: the mention lies wholly after the reference date, i.e. it is planned or
     forecast when the reference is the publication date). With `periods=True` also the periods
     the calendar values cannot express (weeks, quarters, halves, seasons, decades, centuries), as
     TimeML-style values ("2023-W09", "2023-Q1", "2023-SU", "199", "19") with their first and last day.

Absolute dates by regex (dateparser only as a fallback for odd metadata strings); yearless dates and
bare weekdays resolved by the tense of their clause (past -> the latest one not after the reference,
future -> the first one not before it, neither -> the nearest, with the past preferred); relative
expressions ("last month", "a year ago", "earlier this month", "Wednesday night", "the past week")
resolved against the reference date; "that year" against the latest year the text named. When the
reference is only the run date, relative expressions are untrustworthy and get a low confidence, and
yearless dates take their year from the latest explicit past date in the text.
"""

from __future__ import annotations

import calendar
import functools
import re
from dataclasses import dataclass
from datetime import date, timedelta

MONTH_NAMES = {m.lower(): i for i, m in enumerate(calendar.month_name) if m}
MONTH_NAMES.update({m.lower(): i for i, m in enumerate(calendar.month_abbr) if m})
MONTH_NAMES["sept"] = 9
WEEKDAYS = {d.lower(): i for i, d in enumerate(calendar.day_name)}
WEEKDAYS.update({d.lower(): i for i, d in enumerate(calendar.day_abbr)})
WEEKDAYS.update({"tues": 1, "thur": 3, "thurs": 3, "weds": 2})

PRECISIONS = ("day", "month", "year")  # of `value`; periods (periods=True) carry their own kind
PERIOD_KINDS = ("week", "quarter", "half", "season", "decade", "century")
SEASONS = {"spring": "SP", "summer": "SU", "fall": "FA", "autumn": "FA", "winter": "WI"}
# first and last month of each season (northern hemisphere; winter runs into the next year)
SEASON_MONTHS = {"SP": (3, 5), "SU": (6, 8), "FA": (9, 11), "WI": (12, 14)}
ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "1st": 1, "2nd": 2, "3rd": 3, "4th": 4}
NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
                "eleven": 11, "twelve": 12, "a": 1, "an": 1}
_UNITS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9}
_TEENS = {"ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
          "seventeen": 17, "eighteen": 18, "nineteen": 19}
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
DECADE_WORDS = {w: v for w, v in _TENS.items() if v >= 20} | {"twenties": 20, "thirties": 30, "forties": 40, "fifties": 50,
                                                               "sixties": 60, "seventies": 70, "eighties": 80, "nineties": 90}

_MON = r"(?P<{g}>January|February|March|April|May|June|July|August|September|October|November|December|Jan\.?|Feb\.?|Mar\.?|Apr\.?|Jun\.?|Jul\.?|Aug\.?|Sept?\.?|Oct\.?|Nov\.?|Dec\.?)"
_WD = r"(?:(?P<wd>Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|Mon|Tues?|Wed|Thur?s?|Fri|Sat|Sun)\.?,?\s+(?:the\s+)?)?"
_WDFULL = r"(?P<wdonly>Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>(?:1[89]|20|21)\d{2})"
_NOT_NUM_AFTER = r"(?![\d%]|\s?(?:kg|km|m|tonnes|tons|percent|people|satellites)\b)"
_N = r"(?P<n>\d+|(?i:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|an?))"
_SPELLED_YEAR = (
    r"(?P<c>(?i:eighteen|nineteen|twenty))[\s-]+(?:(?P<t>(?i:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety))"
    r"(?:[\s-]+(?P<u>(?i:one|two|three|four|five|six|seven|eight|nine)))?|(?P<teen>(?i:ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen)))"
    r"|(?i:the\s+year\s+)two\s+thousand(?:\s+and)?(?:[\s-]+(?P<u2>(?i:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)))?"
)

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
        # early/mid/late June 2022, June 2022, in June, June last year, January this year
        ("month", r"(?<![\w])(?=[A-Za-z])(?:\b(?P<mod>(?i:early|mid|late|end of|beginning of|start of))[\s-]+)?" + _MON.format(g="mon")
         + r"(?:\s+(?:of\s+)?" + _YEAR + r"|\s+(?P<rely>(?i:last|next|this))\s+year)?\b" + _NOT_NUM_AFTER),
        ("month_spelled", r"(?<![\w])" + _MON.format(g="mon") + r"\s+(?:of\s+)?(?:" + _SPELLED_YEAR + r")\b"),
        ("spelled_year", r"(?<![\w-])(?:" + _SPELLED_YEAR + r")\b(?![\s-]+(?i:percent|people|dollars|years|hundred|thousand))"),
        ("relative_day", r"(?<![\w-])(?P<rel>(?i:today|yesterday|tomorrow|tonight))\b"),
        ("the_day_before", r"\b(?i:the\s+day\s+(?P<dir>before|after)\s+(?P<rel>yesterday|tomorrow))\b"),
        ("part_of_day", r"\b(?:(?i:early|late|later|earlier)\s+)?(?P<dir>(?i:this|last))\s+(?P<part>(?i:morning|afternoon|evening|night))\b"),
        # (early) Friday (morning), last Tuesday, next Friday, 10 p.m. Wednesday
        ("weekday", r"(?<![\w-])(?:(?P<dir>(?i:last|next|this|coming|past|previous|following))\s+)?(?:(?P<wmod>(?i:early|late|earlier|later))\s+)?"
         + _WDFULL + r"(?:\s+(?P<part>morning|afternoon|evening|night))?\b"),
        ("relative_unit", r"\b(?:(?P<edge>(?i:earlier|later|early|late))\s+(?:(?i:in\s+))?)?(?:(?i:the\s+))?(?P<dir>(?i:last|next|this|past|coming|previous|current|same))\s+(?P<unit>(?i:month|year|week))\b(?!-)"),
        ("relative_month", r"\b(?P<dir>(?i:last|next|this|past|coming))\s+" + _MON.format(g="mon") + r"\b"),
        ("year_end", r"\b(?:(?i:by)\s+)?(?:(?i:the)\s+)?(?P<edge>(?i:end|beginning|start|middle))\s+(?i:of)\s+(?:(?i:the|this)\s+)?(?:(?P<nextyear>(?i:next)\s+)?(?P<unit>(?i:year|month))|" + _YEAR + r")\b"),
        ("year_end_word", r"(?<![\w-])(?:(?i:around|by|at|before|after)\s+)?(?P<y>(?i:year[-\s]end|year's\s+end))\b"),
        ("year_ago", r"(?<![\w-])(?P<y>(?i:year-(?:ago|earlier)))\b"),
        ("that_year", r"\b(?:(?i:earlier|later)\s+)?(?i:that\s+(?:same\s+)?year|the\s+same\s+year|the\s+following\s+year|the\s+previous\s+year|the\s+year\s+before)\b"),
        ("ago", r"(?<![\w-])" + _N + r"\s+(?P<agounit>(?i:days?|weeks?|months?|years?|decades?))\s+(?:(?i:or\s+so\s+))?(?P<agodir>(?i:ago|earlier|before))\b"),
        ("holiday", r"\b(?:(?P<dir>(?i:last|next|this|past|coming))\s+)?(?P<hol>Thanksgiving(?:\s+Day)?|Christmas(?:\s+(?:Day|Eve))?|New\s+Year's\s+(?:Day|Eve)|Election\s+Day|Independence\s+Day|Halloween|Valentine's\s+Day|Easter(?:\s+(?:Sunday|Monday))?|Good\s+Friday|Memorial\s+Day|Labor\s+Day|Boxing\s+Day)\b"),
        ("the_year", r"\b(?:(?i:for|of|in|during|through|throughout|over)\s+)(?P<y>the\s+(?:(?:current|full|fiscal|current\s+fiscal|whole|entire)\s+)?year)\b(?!\s*(?:\d|of\b|before\b|after\b|earlier\b|ago\b|when\b|in\s+which\b))"),
        ("year", r"(?<![\d.,$€£#/])(?<![\d]-)\b" + _YEAR + r"\b(?![-–/]\d|\.\d)(?!s\b)(?!'s)" + _NOT_NUM_AFTER),
    )
)
# Periods (`periods=True`): not expressible as a day, month or year.
PERIOD_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (name, re.compile(rx))
    for name, rx in (
        ("week", r"\b(?:(?P<edge>(?i:earlier|later|early|late))\s+)?(?:(?i:the)\s+)?(?P<dir>(?i:last|next|this|past|coming|previous|current))\s+(?P<unit>(?i:week|weekend))\b"),
        ("quarter", r"\b(?:(?i:the\s+))?(?:(?P<dir>(?i:last|next|this|current|latest|previous))\s+)?(?:(?i:fiscal)\s+)?(?:(?P<ord>(?i:first|second|third|fourth|1st|2nd|3rd|4th))[\s-]+)?"
         r"(?P<unit>(?i:quarter|half))(?:\s+(?i:of\s+)?(?:(?P<rely>(?i:last|next|this))\s+year|" + _YEAR + r"))?\b"),
        ("quarter_code", r"\b(?P<q>[QH][1-4])\s*(?:(?P<year>(?:19|20)\d{2})|'(?P<yy>\d{2}))?\b"),
        (
            "season",
            r"\b(?:(?P<dir>(?i:last|next|this|past|coming))\s+|(?P<prep>(?i:in|during|by|until|till|since|over|through|throughout|early|late|mid))[\s-]+(?:(?i:the)\s+)?)?"
            r"(?P<season>(?i:spring|summer|fall|autumn|winter))(?:\s+(?:(?i:of\s+))?(?:" + _YEAR + r"|(?P<rely>(?i:last|next|this))\s+year))?\b",
        ),
        ("decade", r"\b(?:(?i:the\s+))?(?:(?P<mod>(?i:early|mid|late))[\s-]+)?(?:(?P<dec>(?:1[89]|20)\d0)'?s|'(?P<dec2>\d0)s|(?P<decw>(?i:twenties|thirties|forties|fifties|sixties|seventies|eighties|nineties)))\b"),
        ("decade_rel", r"\b(?i:the\s+)(?P<dir>(?i:last|past|next|coming))\s+(?P<unit>(?i:decade|century))\b"),
        ("century", r"\b(?i:the\s+)(?P<ord>\d{2})(?i:st|nd|rd|th)\s+(?i:century)\b|\b(?i:the\s+)(?P<ordw>(?i:nineteenth|twentieth|twenty-first|eighteenth))\s+(?i:century)\b"),
        ("this_century", r"\b(?i:this|the\s+current|the\s+last|last|the\s+next|next)\s+(?i:century|decade)\b"),
    )
)
# Scanning every pattern over the whole text costs ~5 ms per 2,000 characters (patterns that start with
# an optional word or a lookbehind defeat re's first-character search). Each pattern instead names
# substrings that every one of its matches contains, found with str.find; the pattern runs only in
# windows of `_WINDOW` characters around them (longer than any match reaches on either side of its
# trigger). A trigger with a capital is looked for as written, where the pattern wants that word
# capitalised (month and weekday names: "March", not "market"; "Monday", not "today"), the others in
# the lowercased text. Fewer, tighter triggers give fewer windows, never other matches: every match
# holds one of its kind's triggers, so its window holds it whole.
_MONTH_T = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_MONTH_CAP_T = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")  # _MON is case-sensitive
_WEEKDAY_T = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")  # _WDFULL is case-sensitive
_YEAR_T = ("18", "19", "20", "21")
_TRIGGERS: dict[str, tuple[str, ...]] = {
    "iso": _YEAR_T,
    "mdy": _MONTH_CAP_T,
    "dmy": _MONTH_CAP_T,
    "numeric": _YEAR_T,
    "month": _MONTH_CAP_T,
    "month_spelled": _MONTH_CAP_T,
    "spelled_year": ("eighteen", "nineteen", "twenty", "thousand"),
    "relative_day": ("today", "yesterday", "tomorrow", "tonight"),
    "the_day_before": ("yesterday", "tomorrow"),
    "part_of_day": ("morning", "afternoon", "evening", "night"),
    "weekday": _WEEKDAY_T,
    "relative_unit": ("year", "month", "week"),
    "relative_month": _MONTH_CAP_T,
    "year_end": ("end", "beginning", "start", "middle"),
    "year_end_word": ("year",),
    "year_ago": ("year-",),
    "holiday": ("thanksgiving", "christmas", "new year", "election", "independence", "halloween", "valentine", "easter", "good friday", "memorial", "labor day", "boxing"),
    "the_year": ("year",),
    "that_year": ("year",),
    "ago": ("ago", "earlier", "before"),
    "year": _YEAR_T,
    "week": ("week",),
    "quarter": ("quarter", "half"),
    "quarter_code": ("q1", "q2", "q3", "q4", "h1", "h2"),
    "season": ("spring", "summer", "fall", "autumn", "winter"),
    "decade": ("0s", "0's", "ties"),
    "decade_rel": ("decade", "century"),
    "century": ("century",),
    "this_century": ("decade", "century"),
}
_WINDOW = 64


def _windows(text: str, kinds: tuple[str, ...]) -> dict[str, list[tuple[int, int]]]:
    """Pattern kind -> merged (start, end) windows of `_WINDOW` characters around its triggers."""
    low = text.lower()
    n = len(text)
    hits: dict[str, list[int]] = {}
    for kind in kinds:
        for t in _TRIGGERS[kind]:
            if t not in hits:
                where = text if t != t.lower() else low
                pos = []
                i = where.find(t)
                while i != -1:
                    pos.append(i)
                    i = where.find(t, i + len(t))
                hits[t] = pos
    out: dict[str, list[tuple[int, int]]] = {}
    done: dict[tuple[str, ...], list[tuple[int, int]]] = {}  # kinds with the same triggers share windows
    for kind in kinds:
        if _TRIGGERS[kind] in done:
            out[kind] = done[_TRIGGERS[kind]]
            continue
        starts = sorted(p for t in _TRIGGERS[kind] for p in hits[t])
        w: list[tuple[int, int]] = []
        for p in starts:
            a, b = max(0, p - _WINDOW), min(n, p + _WINDOW + 12)
            if w and a <= w[-1][1]:
                w[-1] = (w[-1][0], b)
            else:
                w.append((a, b))
        out[kind] = done[_TRIGGERS[kind]] = w
    return out


RANGE_RE = re.compile(r"\b(?:19|20|21)\d{2}\s*[-–]\s*(?:(?:19|20|21)\d{2}|\d{2})\b(?![-–/]\d)")
FUTURE_CUES = re.compile(
    r"\b(will|shall|scheduled|planned|plans?|planning|expected|expects|set (?:to|for)|due (?:to|in|for)|upcoming|intends?|"
    r"aims? to|going to|targeting|targeted|slated|would|next|launch date|is to be|are to be)\b",
    re.I,
)
# Tense of the clause around a date without a year or a bare weekday. Future: will, shall, 'll,
# be going to/set to/due to/scheduled, expected/planned to, upcoming; "would" only as "would be
# held"-style plans is too weak to count. Past: said/was/were/had/did and -ed verbs.
_FUTURE_TENSE = re.compile(
    r"\b(?:(?:will|shall|would|could|might|must|should)(?:\s+(?:not\s+)?(?:be|have\s+been)\s+\w+)?|won't|wo n't|going\s+to|(?:is|are|was|were)\s+(?:set|due|scheduled|slated|expected|to\s+be)|scheduled|slated|"
    r"upcoming|plans?|planning|planned|intends?\s+to|expects?\s+to|aims?\s+to|set\s+to|due\s+to|"
    r"to\s+(?:be\s+)?(?:held|start|begin|open|launch|meet|vote|decide|announce|release|leave|return|travel|visit|resume))\b"
    r"|\w'll\b",
    re.I,
)
_PAST_TENSE = re.compile(
    r"\b(?:said|says|was|were|had|did|told|reported|announced|ago|earlier|last|met|went|came|took|gave|held|made|left|began|"
    r"won|lost|fell|rose|found|saw|sent|spent|struck|ran|got|shot|broke|brought|bought|caught|drove|flew|fled|fought|grew|"
    r"heard|kept|led|paid|sold|spoke|stood|thought|threw|wrote|became|chose|drew|knew|meant|sank|swore|woke|wore|hit|"
    r"(?!(?:need|speed|feed|seed|breed|bed|red|shed|hundred|united|limited|related|based|advanced|expected|scheduled|planned|proposed|supposed)\b)[a-z]{3,}ed)\b",
    re.I,
)
# The word right before the date: "since March" is past; "by/until/as early as Jan. 14" is a deadline
# or a plan ("soon": the next occurrence when it is at most half a year ahead).
_SINCE_RE = re.compile(r"\b(?:since|ago)\s+(?:the\s+)?$", re.I)
_SOON_RE = re.compile(r"\b(?:by|until|till|as\s+soon\s+as|as\s+early\s+as|no\s+later\s+than|expires?|expiring)\s+(?:the\s+)?(?:\d{1,2}(?::\d\d)?\s*[ap]\.?m\.?\s+(?:[A-Z]{3}\s+)?)?$", re.I)
FLAG_FUTURE_TENSE = "future_tense"
FLAG_PAST_TENSE = "past_tense"


@dataclass(frozen=True, slots=True)
class DateMention:
    start: int
    end: int
    text: str
    value: str  # ISO: YYYY-MM-DD, YYYY-MM or YYYY; a period's TimeML value ("2023-Q1") when precision is a PERIOD_KIND
    precision: str  # day | month | year, or a PERIOD_KIND (only with periods=True)
    confidence: float
    flags: tuple[str, ...] = ()
    after_reference: bool = False  # every day of it lies after the reference date (planned/forecast)
    first: date | None = None  # first and last day of the period it names (None: from value)
    last: date | None = None

    @property
    def date(self) -> date:
        """The first day it names (a period's first day)."""
        if self.first is not None:
            return self.first
        parts = [int(p) for p in self.value.split("-")] + [1, 1]
        return date(parts[0], parts[1], parts[2])

    @property
    def last_day(self) -> date:
        """The last day it names."""
        if self.last is not None:
            return self.last
        return interval(self.value, self.precision)[1]

    @property
    def is_period(self) -> bool:
        return self.precision in PERIOD_KINDS


def interval(value: str, precision: str) -> tuple[date, date]:
    """First and last day of an ISO value at a calendar precision ("2023-02", "month" -> Feb 1..28)."""
    parts = [int(p) for p in value.split("-")]
    if precision == "year":
        return date(parts[0], 1, 1), date(parts[0], 12, 31)
    if precision == "month":
        y, m = parts[0], parts[1]
        return date(y, m, 1), date(y, m, calendar.monthrange(y, m)[1])
    d = date(parts[0], parts[1], parts[2])
    return d, d


def is_after(mention: DateMention, reference: date) -> bool:
    """Whether every day the mention names lies after `reference` (a planned or forecast date when
    `reference` is the publication date): "2023-04" is after 2023-03-04, "2023-03" is not."""
    return mention.date > reference


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


def _add_months(y: int, m: int, k: int) -> tuple[int, int]:
    mi = y * 12 + m - 1 + k
    return mi // 12, mi % 12 + 1


def _is_future(text: str, start: int, end: int, sentence_bounds: tuple[int, int]) -> bool:
    s, _ = sentence_bounds
    before = text[max(s, start - 80) : start]
    return bool(FUTURE_CUES.search(before))


def _sentence_bounds(text: str, pos: int) -> tuple[int, int]:
    s = max(text.rfind(". ", 0, pos), text.rfind("\n", 0, pos))
    e_candidates = [i for i in (text.find(". ", pos), text.find("\n", pos)) if i != -1]
    return (s + 1 if s >= 0 else 0), (min(e_candidates) if e_candidates else len(text))


def tense(text: str, start: int, end: int) -> str | None:
    """The tense of a date's clause: "past" (right after "since"), "soon" (right after "by", "until",
    "as early as": a deadline), else "future" or "past" by the cue nearest the date within its
    sentence (before it, up to 60 characters, else after it, up to 40), else None."""
    s, e = _sentence_bounds(text, start)
    before = text[max(s, start - 60) : start]
    near = before[-24:]
    if _SINCE_RE.search(near):
        return "past"
    if _SOON_RE.search(near):
        return "soon"
    best: tuple[int, str] | None = None
    for rx, name in ((_FUTURE_TENSE, "future"), (_PAST_TENSE, "past")):
        for m in rx.finditer(before):
            if best is None or m.end() > best[0]:
                best = (m.end(), name)
    if best:
        return best[1]
    after = text[end : min(e, end + 40)]
    first: tuple[int, str] | None = None
    for rx, name in ((_FUTURE_TENSE, "future"), (_PAST_TENSE, "past")):
        m = rx.search(after)
        if m and (first is None or m.start() < first[0]):
            first = (m.start(), name)
    return first[1] if first else None


@dataclass(slots=True)
class _Raw:
    start: int
    end: int
    kind: str
    groups: dict[str, str | None]


def _scan(text: str, patterns: tuple[tuple[str, re.Pattern[str]], ...] = DATE_PATTERNS) -> list[_Raw]:
    """All date-like spans, longest first, non-overlapping; ranges like 2021-2025 removed."""
    occupied = bytearray(len(text))  # 1 where a span was taken: overlap tests in C
    for m in RANGE_RE.finditer(text):
        occupied[m.start() : m.end()] = b"\x01" * (m.end() - m.start())
    found: list[_Raw] = []
    cands = []
    windows = _windows(text, tuple(k for k, _ in patterns))
    for kind, rx in patterns:
        seen: set[int] = set()
        for a, b in windows.get(kind, ()):
            for m in rx.finditer(text, a, b):
                if m.end() > m.start() and m.start() not in seen:
                    seen.add(m.start())
                    a_, b_ = m.span("y") if kind == "the_year" else m.span()
                    cands.append(_Raw(a_, b_, kind, m.groupdict()))
    cands.sort(key=lambda r: (-(r.end - r.start), r.start))
    for r in cands:
        if occupied.find(1, r.start, r.end) != -1:
            continue
        bare_month = r.kind == "month" and not (r.groups.get("year") or r.groups.get("mod") or r.groups.get("rely"))
        if bare_month and not _bare_month_ok(text, r):
            continue
        if r.kind == "relative_day" and r.groups["rel"].lower() == "today" and _GENERIC_TODAY_RE.match(text, r.end):
            continue  # "today's youth": the present in general, not a date
        occupied[r.start : r.end] = b"\x01" * (r.end - r.start)
        found.append(r)
    found.sort(key=lambda r: r.start)
    return found


_PREP_BEFORE_MONTH = re.compile(r"\b(in|since|until|till|by|from|of|early|late|mid|through|before|after|during)\s+$", re.I)
_PREP_BEFORE_MAY = re.compile(r"\b(in|since|until|till|through|during|early|late|mid)\s+$", re.I)
_GENERIC_TODAY_RE = re.compile(
    r"'s\s+(?:world|youth|society|generation|children|kids|standards|young|teenagers|technology|computers|economy|"
    r"market|families|students|women|men|people|culture|media|politics|climate|environment)\b",
    re.I,
)


def _bare_month_ok(text: str, r: _Raw) -> bool:
    """A month name without day, year or modifier is a date only in context: "May" right after
    "in/since/until/during" (it is also a verb and a name), abbreviations only after a preposition,
    a full capitalised name after a preposition or mid-sentence not before a capitalised word
    ("March Madness", "August Busch")."""
    mon = r.groups.get("mon") or ""
    head = text[max(0, r.start - 8) : r.start]
    if mon.lower().startswith("may"):
        return bool(_PREP_BEFORE_MAY.search(head)) and not text.startswith("'s", r.end)
    after_prep = bool(_PREP_BEFORE_MONTH.search(head))
    if not mon[0].isupper() or "." in mon or len(mon) <= 3:
        return after_prep
    if after_prep:
        return True
    nxt = text[r.end : r.end + 2]
    before = text[: r.start].rstrip()
    sent_start = not before or before[-1] in ".!?\n\"'`"
    return not (sent_start or (len(nxt) == 2 and nxt[0] == " " and nxt[1].isupper()))


def _nth_weekday(y: int, m: int, wd: int, n: int) -> date:
    """The n-th (1-based; -1: last) weekday `wd` of month m of year y."""
    if n > 0:
        d = date(y, m, 1)
        return d + timedelta(days=(wd - d.weekday()) % 7 + 7 * (n - 1))
    d = date(y, m, calendar.monthrange(y, m)[1])
    return d - timedelta(days=(d.weekday() - wd) % 7)


def _easter(y: int) -> date:
    """Gregorian Easter Sunday (anonymous computus)."""
    a, b, c = y % 19, y // 100, y % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    m_ = (32 + 2 * e + 2 * i - h - k) % 7
    n = (a + 11 * h + 22 * m_) // 451
    month = (h + m_ - 7 * n + 114) // 31
    day = (h + m_ - 7 * n + 114) % 31 + 1
    return date(y, month, day)


def holiday_date(name: str, y: int) -> date | None:
    """The date of a (mostly US/UK) holiday in year y, or None for an unknown name."""
    n = " ".join(name.lower().split())
    fixed = {"christmas": (12, 25), "christmas day": (12, 25), "christmas eve": (12, 24), "new year's day": (1, 1),
             "new year's eve": (12, 31), "independence day": (7, 4), "halloween": (10, 31), "valentine's day": (2, 14),
             "boxing day": (12, 26)}
    if n in fixed:
        return date(y, *fixed[n])
    if n.startswith("thanksgiving"):
        return _nth_weekday(y, 11, 3, 4)
    if n == "election day":
        return _nth_weekday(y, 11, 0, 1) + timedelta(days=1)
    if n == "memorial day":
        return _nth_weekday(y, 5, 0, -1)
    if n == "labor day":
        return _nth_weekday(y, 9, 0, 1)
    if n.startswith("easter"):
        return _easter(y) + timedelta(days=1 if n.endswith("monday") else 0)
    if n == "good friday":
        return _easter(y) - timedelta(days=2)
    return None


def _resolve_yearless(
    month: int,
    day: int | None,
    weekday: int | None,
    future: bool,
    ref: date,
    anchor: date | None,
    max_back: int,
    when: str | None = None,
    far_weekday: bool = True,
) -> tuple[int, float, tuple[str, ...]] | None:
    """Pick the year of a date written without one. Returns (year, confidence, flags).

    `when` is the clause's tense ("past", "future" or None) when the reference is the publication
    date: past -> the latest occurrence not after the reference, future -> the first not before it,
    neither -> the past one unless the next one is much closer (within `_NEAR_DAYS` while the past one
    is over 4 months back: "the deadline is Jan. 14" a week before)."""
    dd = day or 1
    years = [y for y in range(ref.year - max_back, ref.year + 2) if _valid(y, month, dd)]
    if not years:
        return None
    if weekday is not None and day is not None:
        fits = [y for y in years if date(y, month, day).weekday() == weekday]
        near = [y for y in fits if abs(y - ref.year) <= 1]
        if near and not far_weekday:
            fits = near
        if future:
            after = [y for y in fits if date(y, month, day) >= ref]
            if after:
                return after[0], 0.8, ("weekday_year",)
        before = [y for y in fits if date(y, month, day) <= ref]
        nxt = [y for y in fits if date(y, month, day) > ref]
        if near and not far_weekday and when is None and nxt and (not before or (date(nxt[0], month, day) - ref).days < (ref - date(before[-1], month, day)).days):
            return nxt[0], 0.8, ("weekday_year",)
        if before and (near or far_weekday):
            return before[-1], 0.8, ("weekday_year",)
        if nxt and near:
            return nxt[0], 0.7, ("weekday_year",)
        flags: tuple[str, ...] = ("weekday_mismatch",)
    else:
        flags = ()
    if when == "soon":
        nxt_soon = [y for y in years if ref < date(y, month, dd) <= ref + timedelta(days=183)]
        if nxt_soon:
            return nxt_soon[0], 0.7 if not flags else 0.4, flags
    if future:
        lower = max(ref, anchor) if anchor else ref
        if day is None:
            after = [y for y in years if date(y, month, 1) >= lower.replace(day=1)]
        else:
            after = [y for y in years if date(y, month, dd) >= lower]
        if after:
            return after[0], 0.7 if not flags else 0.4, flags
    if anchor is not None:
        # The document was written after its latest explicit past date: the first occurrence
        # after that anchor (not after the reference) is the most plausible.
        after_anchor = [y for y in years if anchor <= date(y, month, dd) <= ref]
        if after_anchor:
            return after_anchor[0], 0.75 if not flags else 0.4, (*flags, "year_from_document")
    if day is None:
        before = [y for y in years if (y, month) <= (ref.year, ref.month)]
        nxt = [y for y in years if (y, month) > (ref.year, ref.month)]
        gap_back = (ref.year - before[-1]) * 12 + ref.month - month if before else 99
        gap_fwd = (nxt[0] - ref.year) * 12 + month - ref.month if nxt else 99
        if when is None and nxt and gap_fwd <= 1 and gap_back >= 6:
            return nxt[0], 0.6 if not flags else 0.4, flags
    else:
        before = [y for y in years if date(y, month, dd) <= ref]
        nxt = [y for y in years if date(y, month, dd) > ref]
        gap_back = (ref - date(before[-1], month, dd)).days if before else 9999
        gap_fwd = (date(nxt[0], month, dd) - ref).days if nxt else 9999
        if when is None and nxt and gap_fwd <= _NEAR_DAYS and gap_back >= 120:
            return nxt[0], 0.6 if not flags else 0.4, flags
    if before:
        return before[-1], 0.7 if not flags else 0.4, flags
    return years[0], 0.3, (*flags, "no_year_fits")


_NEAR_DAYS = 60


def _spelled_year(g: dict[str, str | None], span: str) -> int | None:
    if g.get("c"):
        century = {"eighteen": 1800, "nineteen": 1900, "twenty": 2000}[g["c"].lower()]
        if g.get("teen"):
            return century + _TEENS[g["teen"].lower()]
        return century + _TENS[g["t"].lower()] + (_UNITS[g["u"].lower()] if g.get("u") else 0)
    if "thousand" in span.lower():
        return 2000 + (NUMBER_WORDS.get((g.get("u2") or "").lower(), 0))
    return None


def _week_start(d: date) -> date:
    return d - timedelta(days=d.weekday())


def _period(r: _Raw, span: str, ref: date, conf: float, years_seen: list[tuple[int, int]]) -> DateMention | None:
    """A period mention (week, quarter, half, season, decade, century) -> DateMention with its TimeML
    value and first/last day, or None when it names none."""
    g = r.groups
    step = {"last": -1, "past": -1, "previous": -1, "next": 1, "coming": 1, "this": 0, "current": 0, "latest": 0, None: 0}

    def mention(value: str, kind: str, first: date, last: date) -> DateMention:
        return DateMention(r.start, r.end, span, value, kind, conf, (), first > ref, first, last)

    if r.kind == "week":
        k = step[(g.get("dir") or "").lower() or None]
        monday = _week_start(ref) + timedelta(weeks=k)
        iso_y, iso_w, _ = monday.isocalendar()
        if (g.get("unit") or "").lower() == "weekend":
            sat = monday + timedelta(days=5)
            return mention(f"{iso_y:04d}-W{iso_w:02d}-WE", "week", sat, sat + timedelta(days=1))
        return mention(f"{iso_y:04d}-W{iso_w:02d}", "week", monday, monday + timedelta(days=6))
    if r.kind in ("quarter", "quarter_code"):
        if r.kind == "quarter_code":
            unit = "quarter" if g["q"][0] == "Q" else "half"
            n = int(g["q"][1])
            y = int(g["year"]) if g.get("year") else (1900 + int(g["yy"]) if g.get("yy") and int(g["yy"]) > 50 else 2000 + int(g["yy"])) if g.get("yy") else ref.year
            if unit == "half" and n > 2:
                return None
        else:
            unit = g["unit"].lower()
            size = 3 if unit == "quarter" else 6
            cur = (ref.month - 1) // size + 1
            if g.get("year"):
                y = int(g["year"])
            elif g.get("rely"):
                y = ref.year + step[g["rely"].lower()]
            else:
                y = ref.year
            if g.get("ord"):
                n = ORDINALS[g["ord"].lower()]
                if unit == "half" and n > 2:
                    return None
                if not g.get("year") and not g.get("rely") and (g.get("dir") or "").lower() == "last":
                    y -= 1  # "last second quarter"? rare; "last year's" is handled above
            elif g.get("dir") or r.groups.get("year") is None:
                k = step[(g.get("dir") or "").lower() or None]
                if (g.get("dir") or "").lower() == "latest":
                    k = -1  # the latest reported quarter is the last completed one
                idx = y * (12 // size) + cur - 1 + k
                y, n = idx // (12 // size), idx % (12 // size) + 1
            else:
                return None
        size = 3 if unit == "quarter" else 6
        first = date(y, (n - 1) * size + 1, 1)
        lm = n * size
        last = date(y, lm, calendar.monthrange(y, lm)[1])
        return mention(f"{y:04d}-{'Q' if unit == 'quarter' else 'H'}{n}", unit, first, last)
    if r.kind == "season":
        if not (g.get("dir") or g.get("prep") or g.get("year") or g.get("rely")):
            return None  # "a fall in prices", "a spring": the nouns
        code = SEASONS[g["season"].lower()]
        direction = (g.get("dir") or "").lower()
        if g.get("year"):
            y = int(g["year"])
        elif g.get("rely"):
            y = ref.year + step[g["rely"].lower()]
        else:
            # the season of this year, stepped to the last/next one not containing the reference
            y = ref.year
            m1, m2 = SEASON_MONTHS[code]
            start = date(y, m1, 1)
            if direction in ("last", "past") and start > ref - timedelta(days=1):
                y -= 1
            elif direction in ("next", "coming") and start <= ref:
                y += 1
            elif direction in ("", "this") and code == "WI" and ref.month <= 3:
                y -= 1  # "this winter" in February is the one that began in December
        m1, m2 = SEASON_MONTHS[code]
        first = date(y, m1, 1)
        ly, lm = _add_months(y, m2, 0) if m2 <= 12 else (y + 1, m2 - 12)
        last = date(ly, lm, calendar.monthrange(ly, lm)[1])
        return mention(f"{y:04d}-{code}", "season", first, last)
    if r.kind == "decade":
        if g.get("dec"):
            start = int(g["dec"])
        else:
            two = int(g["dec2"]) if g.get("dec2") else DECADE_WORDS[g["decw"].lower()]
            # '90s / the nineties: the latest such decade not after the reference
            start = (ref.year // 100) * 100 + two
            if start > ref.year:
                start -= 100
        return mention(f"{start // 10:03d}", "decade", date(start, 1, 1), date(start + 9, 12, 31))
    if r.kind == "decade_rel":
        unit = g["unit"].lower()
        k = step[g["dir"].lower()]
        if unit == "decade":
            start = (ref.year // 10 + k) * 10
            return mention(f"{start // 10:03d}", "decade", date(start, 1, 1), date(start + 9, 12, 31))
        start = (ref.year // 100 + k) * 100
        return mention(f"{start // 100:02d}", "century", date(start, 1, 1), date(start + 99, 12, 31))
    if r.kind == "century":
        if g.get("ord"):
            c = int(g["ord"])
        else:
            c = {"eighteenth": 18, "nineteenth": 19, "twentieth": 20, "twenty-first": 21}[g["ordw"].lower()]
        start = (c - 1) * 100
        return mention(f"{c - 1:02d}", "century", date(start, 1, 1), date(start + 99, 12, 31))
    if r.kind == "this_century":
        low = span.lower()
        k = -1 if "last" in low else 1 if "next" in low else 0
        if "decade" in low:
            start = (ref.year // 10 + k) * 10
            return mention(f"{start // 10:03d}", "decade", date(start, 1, 1), date(start + 9, 12, 31))
        start = (ref.year // 100 + k) * 100
        return mention(f"{start // 100:02d}", "century", date(start, 1, 1), date(start + 99, 12, 31))
    return None


def find_dates(
    text: str,
    reference_date: date,
    *,
    reference_is_publication: bool = True,
    max_year_back: int = 30,
    periods: bool = False,
) -> list[DateMention]:
    """Temporal expressions in `text`, normalised to ISO values with precision and confidence.

    `reference_date` is the document's publication date when known (then relative expressions are
    trusted), else the run date (`reference_is_publication=False`: relative expressions get low
    confidence, and yearless dates take their year from the latest explicit past date in the text).
    Ranges ("2021-2025") are not dates. Periods that no day, month or year expresses (weeks, quarters,
    halves, seasons, decades: "last fall", "the third quarter", "the 1990s") are returned only with
    `periods=True`, with precision = their kind and a TimeML value. A date in a past-tense clause is
    never resolved after the reference date; `after_reference` marks every mention that lies after it.
    """
    ref = reference_date
    raws = _scan(text, DATE_PATTERNS + PERIOD_PATTERNS) if periods else _scan(text)
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
        elif r.kind == "month_spelled" and (sy := _spelled_year(g, span)):
            explicit.append((r, DateMention(r.start, r.end, span, _iso(sy, _month(g["mon"])), "month", 0.85)))
        elif r.kind == "spelled_year" and (sy := _spelled_year(g, span)):
            explicit.append((r, DateMention(r.start, r.end, span, _iso(sy), "year", 0.75)))
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
    years_seen = sorted((r.start, dm.date.year) for r, dm in explicit)
    rel_conf = 0.8 if reference_is_publication else 0.3
    # Pass 2: everything, in text order.
    for r in raws:
        if r.start in explicit_by_start:
            out.append(explicit_by_start[r.start])
            continue
        g = r.groups
        span = text[r.start : r.end]
        if reference_is_publication:
            when = tense(text, r.start, r.end)
            future = when == "future"
        else:
            when = None
            future = _is_future(text, r.start, r.end, _sentence_bounds(text, r.start))
        anchor_here = None if reference_is_publication else anchor
        tense_flags: tuple[str, ...] = (FLAG_FUTURE_TENSE,) if when in ("future", "soon") else (FLAG_PAST_TENSE,) if when == "past" else ()

        def add(value: str, precision: str, conf: float, flags: tuple[str, ...] = (), r: _Raw = r, span: str = span, tf: tuple[str, ...] = tense_flags) -> None:
            out.append(DateMention(r.start, r.end, span, value, precision, conf, (*flags, *tf)))

        if r.kind in ("mdy", "dmy"):
            m, d = _month(g["mon"]), int(g["day"])
            wd = WEEKDAYS[g["wd"].lower().rstrip(".")] if g.get("wd") else None
            got = _resolve_yearless(m, d, wd, future, ref, anchor_here, max_year_back, when, far_weekday=not reference_is_publication)
            if got:
                y, conf, flags = got
                if reference_is_publication and "weekday_mismatch" not in flags:
                    conf = max(conf, 0.85)
                add(_iso(y, m, d), "day", conf, flags)
        elif r.kind == "month":
            m = _month(g["mon"])
            if g.get("rely"):
                add(_iso(ref.year + {"last": -1, "next": 1, "this": 0}[g["rely"].lower()], m), "month", rel_conf)
                continue
            got = _resolve_yearless(m, None, None, future, ref, anchor_here, max_year_back, when)
            if got:
                y, conf, flags = got
                add(_iso(y, m), "month", min(conf, rel_conf + 0.1), flags)
        elif r.kind in ("relative_day", "the_day_before"):
            delta = {"today": 0, "yesterday": -1, "tomorrow": 1, "tonight": 0}[g["rel"].lower()]
            if r.kind == "the_day_before":
                delta += -1 if g["dir"].lower() == "before" else 1
            add((ref + timedelta(days=delta)).isoformat(), "day", rel_conf)
        elif r.kind == "part_of_day":
            delta = -1 if g["dir"].lower() == "last" and g["part"].lower() in ("night", "evening") else 0
            add((ref + timedelta(days=delta)).isoformat(), "day", rel_conf)
        elif r.kind == "weekday":
            wd = WEEKDAYS[g["wdonly"].lower()]
            direction = (g.get("dir") or "").lower()
            back = (ref.weekday() - wd) % 7
            fwd = (wd - ref.weekday()) % 7
            if direction in ("next", "coming", "following"):
                delta = fwd or 7
            elif direction in ("last", "past", "previous"):
                delta = -(back or 7)
            elif (future or when == "soon") and when != "past":
                delta = fwd  # "will meet Friday": the coming one (the reference day itself when it is one)
            else:
                delta = -back  # news reports the past: the latest such day, never after the reference
            add((ref + timedelta(days=delta)).isoformat(), "day", rel_conf)
        elif r.kind == "relative_unit":
            direction = g["dir"].lower()
            unit = g["unit"].lower()
            step = {"last": -1, "past": -1, "previous": -1, "next": 1, "coming": 1, "this": 0, "current": 0, "same": 0}[direction]
            if unit == "week":
                if periods:
                    monday = _week_start(ref) + timedelta(weeks=step)
                    iso_y, iso_w, _ = monday.isocalendar()
                    out.append(DateMention(r.start, r.end, span, f"{iso_y:04d}-W{iso_w:02d}", "week", rel_conf, tense_flags, monday > ref, monday, monday + timedelta(days=6)))
                continue
            if direction == "same":
                continue  # "the same year/month": anaphoric, resolved below only for years
            if unit == "year":
                add(_iso(ref.year + step), "year", rel_conf)
            else:
                add(_iso(*_add_months(ref.year, ref.month, step)), "month", rel_conf)
        elif r.kind == "relative_month":
            step = {"last": -1, "past": -1, "next": 1, "coming": 1, "this": 0}[g["dir"].lower()]
            m = _month(g["mon"])
            if step < 0:
                y = ref.year if m < ref.month else ref.year - 1
            elif step > 0:
                y = ref.year if m > ref.month else ref.year + 1
            else:
                y = ref.year
            add(_iso(y, m), "month", rel_conf)
        elif r.kind == "year_end":
            if (g.get("unit") or "").lower() == "month":
                add(_iso(ref.year, ref.month), "month", rel_conf)
            else:
                add(_iso(ref.year + (1 if g.get("nextyear") else 0)), "year", rel_conf)
        elif r.kind == "holiday":
            direction = (g.get("dir") or "").lower()
            cands = [d for y in (ref.year - 1, ref.year, ref.year + 1) if (d := holiday_date(g["hol"], y))]
            past = [d for d in cands if d <= ref]
            nxt = [d for d in cands if d > ref]
            if direction in ("next", "coming") or (direction != "last" and (future or when == "soon") and nxt):
                pick = nxt[0] if nxt else None
            elif direction == "this":
                pick = next((d for d in cands if d.year == ref.year), None)
            elif direction not in ("last", "past") and when is None and nxt and (nxt[0] - ref).days <= _NEAR_DAYS and (not past or (ref - past[-1]).days >= 120):
                pick = nxt[0]
            else:
                pick = past[-1] if past else None
            if pick is not None:
                add(pick.isoformat(), "day", rel_conf)
        elif r.kind == "the_year":
            add(_iso(ref.year), "year", min(rel_conf, 0.6))
        elif r.kind == "year_end_word":
            add(_iso(ref.year), "year", rel_conf)
        elif r.kind == "year_ago":
            add(_iso(ref.year - 1), "year", rel_conf)
        elif r.kind == "that_year":
            prior = [y for s, y in years_seen if s < r.start]
            if prior:
                low = span.lower()
                k = 1 if "following" in low else -1 if ("previous" in low or "before" in low) else 0
                add(_iso(prior[-1] + k), "year", min(rel_conf, 0.6), ("year_from_document",))
        elif r.kind == "ago":
            n = int(g["n"]) if g["n"].isdigit() else NUMBER_WORDS[g["n"].lower()]
            unit = g["agounit"].lower().rstrip("s")
            if unit == "day":
                add((ref - timedelta(days=n)).isoformat(), "day", rel_conf)
            elif unit == "week":
                add((ref - timedelta(weeks=n)).isoformat(), "day", rel_conf * 0.8)
            elif unit == "month":
                add(_iso(*_add_months(ref.year, ref.month, -n)), "month", rel_conf)
            elif unit == "decade":
                add(_iso(ref.year - 10 * n), "year", rel_conf * 0.8)
            else:
                add(_iso(ref.year - n), "year", rel_conf)
        elif r.kind in ("week", "quarter", "quarter_code", "season", "decade", "decade_rel", "century", "this_century"):
            pm = _period(r, span, ref, rel_conf if not g.get("year") else 0.85, years_seen)
            if pm is not None:
                out.append(DateMention(pm.start, pm.end, pm.text, pm.value, pm.precision, pm.confidence, tense_flags, pm.after_reference, pm.first, pm.last))
    return [m if m.is_period else _with_after(m, ref) for m in out if m.is_period or _YEAR_OK_RE.match(m.value)]


_YEAR_OK_RE = re.compile(r"^[1-9]\d{3}(?:-|$)")  # "30000 years ago" or "3000 years ago" in 2100 is no calendar date


def _with_after(m: DateMention, ref: date) -> DateMention:
    after = m.date > ref
    if after == m.after_reference:
        return m
    return DateMention(m.start, m.end, m.text, m.value, m.precision, m.confidence, m.flags, after, m.first, m.last)


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


def parse_published(value: object) -> date | None:
    """A JSONL `published` value (ISO date/datetime string or epoch seconds) -> date, None if unusable."""
    if value is None or value == "":
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        from datetime import UTC, datetime

        try:
            return datetime.fromtimestamp(value, tz=UTC).date()
        except (OverflowError, OSError, ValueError):
            return None
    if isinstance(value, str):
        s = value.strip()
        try:
            return date.fromisoformat(s[:10])
        except ValueError:
            return parse_absolute_date(s)
    return None

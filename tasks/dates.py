"""The temporal tagger: date mentions in text, normalised to ISO values with precision and confidence.

In:  a text and its reference date (the publication date when known, else the run date).
Out: `DateMention`s (span, ISO value YYYY-MM-DD / YYYY-MM / YYYY, precision, confidence, flags).

Absolute dates by regex (dateparser only as a fallback for odd metadata strings), years inferred from
the document and weekday consistency, relative expressions resolved against the reference date (when
it is only the run date, relative expressions are untrustworthy and get a low confidence).
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

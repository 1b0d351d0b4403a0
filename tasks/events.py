"""Clean text -> dated, typed event mentions -> events merged across documents.

In:  clean documents (id, clean text, publication date), the run date, the duplicate clusters and the
     events stored by earlier runs.
Out: `Mention`s (one per event trigger with a date, evidence sentence and offsets) and `Event`s
     (mentions of the same type, compatible date and overlapping actors merged; stored event ids
     reused so re-runs and later reports update an event instead of adding one). Triggers with no
     date, and events below `min_confidence`, are not published.

Dates come from `tasks.dates`, actors from `tasks.entities`, sentences from `tasks.records`.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date

from tasks.dates import FUTURE_CUES, DateMention, _iso, find_dates
from tasks.entities import PRONOUN_SUBJECT_RE, Actor, Gazetteer, find_actors, learn_document, load_gazetteer
from tasks.records import split_sentences

# --- triggers ----------------------------------------------------------------------------------

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

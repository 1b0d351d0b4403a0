"""The events, entities and dates of a fixed set of texts (tests/pinned/pinned_texts.json, written for
this test) are pinned in tests/pinned/pinned_outputs.json: speed work on the events stage, the tagger
and the temporal tagger must leave every field of every output unchanged.

A change that is meant to change outputs (quality work) rewrites the pinned file, and the diff shows
what changed:  python tests/test_pinned_outputs.py --write
"""

from __future__ import annotations

import dataclasses
import json
import sys
from datetime import date
from pathlib import Path

DATA = Path(__file__).resolve().parent / "pinned"  # not tests/data: test_flow runs the pipeline over that folder
TEXTS = DATA / "pinned_texts.json"
PINNED = DATA / "pinned_outputs.json"
RUN_DATE = date(2025, 1, 1)


def _plain(x):
    if dataclasses.is_dataclass(x):
        return {f.name: _plain(getattr(x, f.name)) for f in dataclasses.fields(x)}
    if isinstance(x, (list, tuple)):
        return [_plain(v) for v in x]
    if isinstance(x, date):
        return x.isoformat()
    return x


def outputs() -> dict[str, dict]:
    """Per text: its event mentions (`extract_events`), entity spans (`find_entities`) and date
    mentions (`find_dates`, as the events stage calls it and with periods)."""
    from tasks.dates import find_dates
    from tasks.entities import find_entities
    from tasks.events import extract_events

    out = {}
    for t in json.loads(TEXTS.read_text(encoding="utf-8"))["texts"]:
        published = date.fromisoformat(t["published"]) if t["published"] else None
        ref = published or RUN_DATE
        out[t["id"]] = {
            "events": _plain(extract_events([(t["id"], t["text"], published)], RUN_DATE)),
            "entities": _plain(find_entities(t["text"])),
            "dates": _plain(find_dates(t["text"], ref, reference_is_publication=published is not None)),
            "periods": _plain(find_dates(t["text"], ref, periods=True)),
        }
    return out


def test_outputs_of_the_pinned_texts_are_unchanged():
    pinned = json.loads(PINNED.read_text(encoding="utf-8"))
    got = json.loads(json.dumps(outputs()))
    assert got.keys() == pinned.keys()
    assert sum(len(v["events"]) for v in pinned.values()) >= 10  # the texts do exercise the stage
    for doc_id in pinned:
        for part in ("events", "entities", "dates", "periods"):
            assert got[doc_id][part] == pinned[doc_id][part], f"{PINNED.name}: {doc_id} {part} changed (rewrite with --write if meant)"


if __name__ == "__main__" and sys.argv[1:] == ["--write"]:
    PINNED.write_text(json.dumps(outputs(), indent=1, ensure_ascii=False) + "\n", encoding="utf-8")

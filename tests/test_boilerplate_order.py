"""Same input, same tables, whichever run saw a document first (issues 19.4, 19.5): boilerplate learned
by a later run re-derives the stored documents it changes, so a document's clean text depends on the
boilerplate of all the runs, not on the run or batch it was first cleaned in."""

from __future__ import annotations

import json
import random

import pytest
from conftest import RUN_DATE

from flows.pipeline import news_pipeline
from tasks import clean as clean_stage
from tasks.blocks import block_fingerprint
from tasks.config import CleanConfig, PipelineConfig
from tasks.records import RawDoc, text_hash
from tasks.storage import Warehouse

PROMO = "Sponsored: visit the Aurora gift shop for mission patches and posters"
WORDS = (
    "orbit lander probe crater engine antenna payload budget station module rover council survey sample "
    "telescope capsule booster review schedule consortium radar sensor camera trajectory mission satellite "
    "rocket laboratory facility committee report study dataset prototype campaign milestone framework "
    "partnership agreement programme network experiment instrument spectrometer demonstrator contract crew"
).split()


def _page(i: int, promo: bool) -> str:
    """A plain-text page: a title, three paragraphs of its own (no two pages near duplicates) and, if
    `promo`, the sponsored line."""
    rng = random.Random(i)
    paras = []
    for k in range(3):
        words = [rng.choice(WORDS) for _ in range(40)]
        paras.append(f"Page {i} paragraph {k}: the agency said the " + " ".join(words) + " would be reviewed in March.")
    lines = [f"Agency review number {i} of the year", *paras]
    if promo:
        lines.insert(2, PROMO)
    return "\n".join(lines) + "\n"


def _raw(text: str, **kw) -> RawDoc:
    base = dict(doc_id="d1", source_id="s/p.txt", source_uri="file:///in/s/p.txt", content_type="text/plain",
                content_sha256="x", text=text, encoding="utf-8", site_key="s")
    return RawDoc(**{**base, **kw})


def test_touched_by_looks_at_dump_lines_and_html_article_blocks():
    fp = block_fingerprint(PROMO)
    page = _page(1, promo=True)
    assert clean_stage.touched_by("text/plain", page, "", frozenset({fp}), frozenset())
    assert clean_stage.touched_by("text/plain", page, "", frozenset(), frozenset({fp}))
    assert not clean_stage.touched_by("text/plain", _page(1, promo=False), "", frozenset({fp}), frozenset({fp}))
    # HTML: only run-wide boilerplate applies, to the article's blocks
    assert clean_stage.touched_by("text/html", "<p>...</p>", f"Title\n\n{PROMO}", frozenset(), frozenset({fp}))
    assert not clean_stage.touched_by("text/html", "<p>...</p>", f"Title\n\n{PROMO}", frozenset({fp}), frozenset())


@pytest.mark.parametrize(
    "kw",
    [
        {},  # a loose file: no title of its own
        {"source_uri": "https://example.org/a", "title": "A title the record carries"},  # a JSONL record with a title
        {"source_uri": "https://example.org/a"},  # a JSONL record without one (the cleaner finds it)
    ],
)
def test_stored_raw_gives_back_the_record_a_document_was_cleaned_from(kw):
    cfg = CleanConfig()
    fp = frozenset({block_fingerprint(PROMO)})
    raw = _raw(_page(3, promo=True), **kw)
    doc = clean_stage.clean_document(raw, cfg, fp)
    row = clean_stage.document_row(doc, "r1", __import__("datetime").datetime(2026, 11, 21))
    back = clean_stage.stored_raw(row, cfg, fp, frozenset())
    assert back is not None and back.title == raw.title
    again = clean_stage.clean_document(back, cfg, fp)
    assert clean_stage.document_row(again, "r1", row["ingested_at"])["record_hash"] == row["record_hash"]


def _docs(wh: Warehouse) -> dict[str, str]:
    return {r["doc_id"]: r["record_hash"] for r in wh.read("documents", columns=["doc_id", "record_hash"]).to_pylist()}


@pytest.mark.slow
def test_boilerplate_learned_by_a_later_run_rederives_the_documents_it_changes(tmp_path):
    """Run 1 sees the sponsored line on 2 pages of a site (under the 3 needed), run 2 on 3 more: run 2
    learns it and cleans run 1's 2 pages again. The documents then equal one run over all 5 pages,
    and every stored document cleans to its stored text with the stored boilerplate."""
    site = tmp_path / "in" / "site"
    site.mkdir(parents=True)
    for i in (0, 1):
        (site / f"p{i}.txt").write_text(_page(i, promo=True))
    (site / "p9.txt").write_text(_page(9, promo=False))  # not touched by the line
    seq, one = str(tmp_path / "seq"), str(tmp_path / "one")
    inputs = [str(tmp_path / "in")]
    r1 = news_pipeline(inputs=inputs, warehouse=seq, run_date=RUN_DATE, workers=1)
    wh = Warehouse(seq)
    assert not any(r["fingerprint"] == block_fingerprint(PROMO) for r in wh.read("boilerplate").to_pylist())
    before = _docs(wh)
    for i in (2, 3, 4):
        (site / f"p{i}.txt").write_text(_page(i, promo=True))
    r2 = news_pipeline(inputs=inputs, warehouse=seq, run_date=RUN_DATE, workers=1)
    assert r2["counts"]["documents"] == 3 and r2["counts"]["unchanged"] == r1["counts"]["documents"]
    assert r2["counts"]["rederived"] == 2  # p0, p1 (p9 has no such line)
    after = _docs(wh)
    changed = {d for d in before if before[d] != after[d]}
    assert len(changed) == 2
    assert all(PROMO not in r["clean_text"] for r in wh.read("documents", columns=["clean_text"]).to_pylist())
    # one run over the same pages gives the same documents and everything derived from them (not the
    # same `boilerplate.n_documents`: run 1's two sightings, under the threshold, were not kept)
    news_pipeline(inputs=inputs, warehouse=one, run_date=RUN_DATE, workers=1)
    from test_crash import snapshot

    got, want = snapshot(wh), snapshot(Warehouse(one))
    for t in ("documents", "segments", "dedup_index", "duplicates", "events", "event_mentions", "entities"):
        assert got[t] == want[t], t
    assert {r[:2] for r in got["boilerplate"][0]} == {r[:2] for r in want["boilerplate"][0]}
    # the invariant: every stored document is what cleaning its raw text with the stored boilerplate gives
    cfg = PipelineConfig().clean
    learned = clean_stage.SiteBoilerplate(
        cfg.site_boilerplate_min_docs,
        ((r["site_key"], r["fingerprint"], r["n_documents"]) for r in wh.read("boilerplate").to_pylist()),
        shared_min_docs=cfg.shared_boilerplate_min_docs,
    ).fingerprints
    for row in wh.read("documents").to_pylist():
        raw = clean_stage.stored_raw(row, cfg, learned.get(row["site_key"], frozenset()), learned.get(clean_stage.RUN_WIDE, frozenset()))
        doc = clean_stage.clean_document(raw, cfg, learned.get(row["site_key"], frozenset()), learned.get(clean_stage.RUN_WIDE, frozenset()))
        assert text_hash(doc.clean_text) == row["text_hash"], json.dumps(row["source_id"])

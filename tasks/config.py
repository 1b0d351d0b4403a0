"""Frozen per-stage configs with documented defaults.

Everything a stage needs that is not a record comes in through these: thresholds, hash seeds and the
run date (the reference for relative dates). Stage logic never reads the clock or the environment.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class IngestConfig:
    max_bytes: int = 20_000_000  # a file (or decompressed stream) larger than this is quarantined
    max_expansion_ratio: float = 100.0  # a streamed .jsonl.gz whose lines expand past 1 MiB and this many times the bytes read is a bomb (news JSONL: ~3-10x)
    min_chars: int = 1  # decoded text shorter than this (after stripping) is `empty_input`
    binary_control_ratio: float = 0.10  # share of control bytes above which bytes are `binary_content`
    batch_size: int = 2000  # records per batch handed to the next stage
    # A file's (path, size, mtime) is recorded with its content hash only when its mtime is this much
    # older than the run's listing: a write in the same clock tick as the recorded one (coarse file
    # system clocks tick in up to 2 s) could otherwise change the bytes and keep the fingerprint.
    fingerprint_min_age_s: float = 2.0


@dataclass(frozen=True, slots=True)
class CleanConfig:
    min_content_words: int = 8  # a paragraph with fewer words is never `content` by length alone
    url_density_max: float = 0.25  # share of characters inside URLs above which a block is navigation
    site_boilerplate_min_docs: int = 3  # a block seen next to this many different articles of one site is boilerplate
    shared_boilerplate_min_docs: int = 10  # ... or next to this many different articles of any sites of a run
    site_boilerplate_max_blocks: int = 5_000_000  # distinct blocks counted (12 bytes each) before singletons are forgotten
    near_repeat_jaccard: float = 0.85  # word-set Jaccard at which a block repeats an earlier one
    # HTML: trafilatura's settings and the block rules after it, as measured on the labelled sets
    # (bench/eval_cleaning.py, bench/ablate_html.py; figures in bench/RESULTS.md).
    html_focus: str = "precision"  # trafilatura's focus: "precision", "balanced" or "recall"
    html_fast: bool = False  # True: trafilatura's main pass only, its fallbacks only when it finds little
    html_fallback_min_chars: int = 300  # ... (with html_fast) the fallbacks run when the main pass finds less
    # Skip trafilatura's readability comparison on pages where it provably cannot change the result (the
    # main pass holds over half the page's text: html_page.sure_main_text); same output, ~13% less time.
    html_skip_sure_fallbacks: bool = True
    html_include_tables: bool = True  # text inside <table> may be article text
    html_comment_regions: bool = True  # cut comment containers out of the page (their text: the comments)
    html_block_rules: tuple[str, ...] = ("chrome",)  # of html_page.HTML_BLOCK_RULES; the others cost F1 (bench/RESULTS.md)
    html_full_pass_max_chars: int = 3_000_000  # larger pages get the main pass only (bounds the work per page)
    max_attribute_chars: int = 1_000_000  # a longer attribute value (inline blobs) is quarantined (pathological_html)
    min_clean_chars: int = 40  # documents with less clean text than this are quarantined


@dataclass(frozen=True, slots=True)
class DedupConfig:
    # Measured on bench/bench_dedup.py --realistic (real article text, spun/truncated/commented copies):
    # word 2-shingles keep spun copies (5-15% of words replaced) above the threshold where 3-shingles do
    # not, and 2-row bands find the pairs near the threshold (README, bench/RESULTS.md).
    num_perm: int = 128  # MinHash permutations
    shingle_words: int = 2  # words per shingle
    bands: int = 64  # LSH bands (rows per band = num_perm / bands)
    jaccard_threshold: float = 0.45  # estimated Jaccard a candidate pair must reach to be a near duplicate
    containment_threshold: float = 0.8  # ... or this share of the shorter text inside the longer (truncated copies, comments appended)
    order_containment_threshold: float = 0.95  # a pair verified by containment alone must also show this share of the shorter text's values inside the longer by their order (`order_containment`: exact for a text wholly inside; a title and one sentence of which only the sentence is inside, true 0.86, estimated 0.88 median, passed 0.8 39 times in 40, 0.95 3 times)
    containment_min_jaccard: float = 0.18  # containment is only considered above this estimated Jaccard (24 of 128 values; 0.15 let a 53-shingle text whose true containment was 0.64 in (estimated 0.85))
    containment_min_shingles: int = 45  # ... and when the shorter text has this many distinct shingles
    member_min_jaccard: float = 0.2  # every two members of a cluster reach this estimated Jaccard ...
    member_min_containment: float = 0.5  # ... or this containment (no member unrelated to another)
    repeat_share_max: float = 0.7  # a text whose signature shows under this share of its shingles distinct counts those (repeated paragraphs)
    min_words: int = 30  # documents shorter than this are matched exactly only (site chrome false merges)
    seed: int = 1  # seed of the hash permutations; changing it invalidates the stored index


@dataclass(frozen=True, slots=True)
class EventsConfig:
    min_confidence: float = 0.5  # events below this confidence are not published
    max_year_back: int = 30  # how far back a weekday/year inference may look


@dataclass(frozen=True, slots=True)
class PipelineConfig:
    ingest: IngestConfig = field(default_factory=IngestConfig)
    clean: CleanConfig = field(default_factory=CleanConfig)
    dedup: DedupConfig = field(default_factory=DedupConfig)
    events: EventsConfig = field(default_factory=EventsConfig)
    max_reject_share: float = 0.5  # the run fails (after writing quarantine) when more inputs are rejected
    max_batches_in_flight: int = 2  # batches in flight at least (at least workers + 1 are; memory: this many batches)
    worker_chunk_docs: int = 250  # documents per job on a worker process (a batch is spread over the workers)
    batch_timeout_s: float = 3600.0  # a batch whose CPU stages take longer on a worker process fails the run (worker killed)
    document_timeout_s: float = 120.0  # one document's cleaning + event extraction past this is quarantined (`timeout`); 0: no limit
    slow_source_id: str = ""  # fault injection for tests: this source's processing sleeps past document_timeout_s

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> PipelineConfig:
        """Build from a (partial) nested dict, e.g. `{"dedup": {"jaccard_threshold": 0.6}}`.

        Unknown keys raise ValueError naming the key, so a typo in a deployment parameter is not ignored.
        """
        data = dict(data or {})
        kwargs: dict[str, Any] = {}
        sections = {"ingest": IngestConfig, "clean": CleanConfig, "dedup": DedupConfig, "events": EventsConfig}
        for key, value in data.items():
            if key in sections:
                sub = sections[key]
                names = {f.name for f in dataclasses.fields(sub)}
                unknown = set(value) - names
                if unknown:
                    raise ValueError(f"unknown config key(s) in {key!r}: {sorted(unknown)}")
                kwargs[key] = sub(**value)
            elif key in ("max_reject_share", "batch_timeout_s", "document_timeout_s"):
                kwargs[key] = float(value)
            elif key in ("max_batches_in_flight", "worker_chunk_docs"):
                kwargs[key] = int(value)
            elif key == "slow_source_id":
                kwargs[key] = str(value)
            else:
                raise ValueError(f"unknown config key {key!r}")
        return cls(**kwargs)

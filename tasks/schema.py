"""The data contract: one pyarrow schema per warehouse table, every field described.

Writes are checked against these schemas before they happen (`check_table`), because deltalake casts
silently on write ("42" -> 42, 3.7 -> 3). The descriptions are the single source for
`warehouse/README.md` (a test fails when a column here is not documented there).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime

import pyarrow as pa
import xxhash

# Closed vocabularies, declared once and used in code, tables and tests.
SEGMENT_LABELS = ("title", "content", "boilerplate", "comment", "duplicate", "metadata")
DUPLICATE_METHODS = ("exact", "near", "unique")
# Event ontology: the 16 PLOVER categories (PLOVER manual 0.8, lower-cased) and the occurrence types
# real news reports that PLOVER leaves out. type -> (PLOVER category or "" for newslake's news
# extension, CAMEO root code or "" where CAMEO has none). Example sentences: warehouse/README.md.
EVENT_ONTOLOGY: dict[str, tuple[str, str]] = {
    "agree": ("AGREE", "03"),
    "consult": ("CONSULT", "04"),
    "support": ("SUPPORT", "05"),
    "cooperate": ("COOPERATE", "06"),
    "aid": ("AID", "07"),
    "concede": ("CONCEDE", "08"),
    "retreat": ("RETREAT", "08"),
    "request": ("REQUEST", "10"),
    "accuse": ("ACCUSE", "11"),
    "reject": ("REJECT", "12"),
    "threaten": ("THREATEN", "13"),
    "protest": ("PROTEST", "14"),
    "mobilize": ("MOBILIZE", "15"),
    "sanction": ("SANCTION", "16"),
    "coerce": ("COERCE", "17"),
    "assault": ("ASSAULT", "19"),
    # news occurrences outside PLOVER
    "statement": ("", "01"),
    "accident": ("", ""),
    "disaster": ("", ""),
    "crime": ("", ""),
    "arrest": ("", "17"),
    "trial": ("", "11"),
    "election": ("", ""),
    "appointment": ("", ""),
    "resignation": ("", ""),
    "launch": ("", ""),
    "product_release": ("", ""),
    "mission_milestone": ("", ""),
    "business_deal": ("", "06"),
    "business_results": ("", ""),
    "sport_result": ("", ""),
    "death": ("", ""),
}
EVENT_TYPES = tuple(EVENT_ONTOLOGY)
# How the text presents an event: it happened, is planned, did not happen, might happen, or is
# asserted by someone the article quotes (reported speech).
EVENT_MODES = ("actual", "planned", "negated", "hypothetical", "reported")
DATE_PRECISIONS = ("day", "month", "year")
ACTOR_KINDS = ("person", "organisation", "country", "location", "group", "mission")
# Actor sectors (roles), after the CAMEO/PLOVER sector codes (GOV, MIL, COP, BUS, JRN, IGO, REB, CVL...).
ACTOR_SECTORS = (
    "government", "military", "police", "intelligence", "judiciary", "legislature", "party", "opposition",
    "rebel", "elite", "business", "media", "health", "education", "religion", "labour", "agriculture",
    "civilian", "refugees", "criminal", "ngo", "igo",
)
QUARANTINE_STAGES = ("ingest", "clean")
# Reason codes of the quarantine table: code -> meaning (documented in warehouse/README.md).
QUARANTINE_REASONS = {
    "empty_input": "file or record has no text (0 bytes or whitespace only)",
    "binary_content": "bytes are not text (NUL bytes or many control characters)",
    "undecodable": "bytes decode in no known text encoding",
    "malformed_json": "a JSONL line is not a JSON object",
    "missing_text": "a JSONL record has neither `text` nor `html`",
    "oversize_input": "file is larger than ingest.max_bytes",
    "decompression_bomb": "a .gz stream expands past ingest.max_bytes (stopped while reading)",
    "unsupported_format": "a file whose format newslake does not read",
    "read_error": "the file could not be read (permissions, vanished, I/O error)",
    "parse_error": "the parser failed on the document",
    "pathological_html": "HTML with an attribute longer than clean.max_attribute_chars (an inline blob that would stall the parser); depth alone is never a reason",
    "empty_after_clean": "no article text left after cleaning",
    "unreadable_path": "a folder that cannot be listed (its files are not read), or an entry that cannot be examined",
    "dangling_symlink": "a symlink whose target does not exist",
    "symlink_loop": "symlinks that point at each other or at themselves, or a symlinked folder inside itself",
    "not_a_regular_file": "a FIFO, socket or device in the input (never opened: reading could block)",
    "duplicate_source_id": "a record whose document id (URL or source id) another input of the same run already has; the first is kept, not overwritten",
    "truncated_input": "a .gz stream or WARC record that ends before its declared end (partial text is not published)",
    "timeout": "cleaning or event extraction of the document took longer than `document_timeout_s`",
}
RUN_STATUSES = ("completed", "failed")

ACTOR_TYPE = pa.struct(
    [
        pa.field("name", pa.string()),
        pa.field("kind", pa.string()),
        pa.field("role", pa.string()),
        pa.field("country", pa.string()),
        pa.field("sector", pa.string()),
        pa.field("aliases", pa.list_(pa.field("element", pa.string()))),
    ]
)


class SchemaError(ValueError):
    """A batch about to be written does not match its table's schema."""


@dataclass(frozen=True, slots=True)
class TableSpec:
    name: str
    grain: str
    keys: tuple[str, ...]
    columns: tuple[tuple[str, pa.DataType, bool, str], ...]  # name, type, nullable, description

    @property
    def schema(self) -> pa.Schema:
        return pa.schema(
            [pa.field(n, t, nullable=nullable, metadata={"description": d}) for n, t, nullable, d in self.columns]
        )

    @property
    def column_names(self) -> list[str]:
        return [c[0] for c in self.columns]


def _list(t: pa.DataType) -> pa.DataType:
    # Delta stores list items as "element"; naming it so keeps written and read-back schemas identical.
    return pa.list_(pa.field("element", t))


TS = pa.timestamp("us", tz="UTC")

DOCUMENTS = TableSpec(
    name="documents",
    grain="one row per source document (input file, JSONL record or WARC response record)",
    keys=("doc_id",),
    columns=(
        ("doc_id", pa.string(), False, "Stable id: first 16 hex chars of sha256 over the source identity (URL or source_id)."),
        ("source_id", pa.string(), False, "Path relative to the input root for files; the record `id` (or `file:line`) for JSONL; the WARC-Record-ID for WARC."),
        ("source_uri", pa.string(), True, "Original URL when known (JSONL `url`, WARC-Target-URI), else a file:// URI of the input file."),
        ("content_type", pa.string(), False, "`text/plain` or `text/html`: the format the text was parsed from."),
        ("content_sha256", pa.string(), False, "sha256 of the raw bytes of the record (file bytes, the JSONL line, or the WARC HTTP payload)."),
        ("title", pa.string(), True, "Article title (metadata, `<title>`/og:title, or the detected title line)."),
        ("author", pa.string(), True, "Author from the page's metadata (JSON-LD, `article:author`, `sailthru.author`, `parsely-*`, Dublin Core, microdata), a byline element or a byline line near the headline (\"By Doug Messier\", \"Par …\", \"Posted by …\", \"Author: …\", a name in capitals under it), else the agency a wire dateline credits (\"WASHINGTON (Reuters) -\"); on a page whose headline is not found, its only \"By …\" line or wire-dateline paragraph; a metadata author naming an outlet (\"ABC News\") gives way to a person's visible byline."),
        ("site_name", pa.string(), True, "Site name (og:site_name, JSON-LD publisher, `application-name` and app-name `<meta>`s, or the title's end part when it is a domain or an outlet's name: \"… - NOLA.com\", \"… | Hindustan Times\"; else the host of the page's own address — canonical link, og:url, `<base href>`, the record's URL — such as `nytimes.com`)."),
        ("published_date", pa.date32(), True, "Publication date: the JSONL `published` field, else the page's metadata (JSON-LD `datePublished`, `article:published_time`, `sailthru.date`, Dublin Core, `<time datetime>` or a `<time>`'s text), a dated URL (path or query), its date line nearest the headline (a short line with a full date in one of several languages; dates inside sentences, and numeric dates whose day/month order nothing on the page tells — a weekday or time zone next to it, the page's other numeric dates, the page's language (en-US month first; en-GB, es, fr, de... day first), or one reading lying within 45 days of a date the page writes with a month name or a wire dateline's yearless date — are not used), else a date standing as a part of the page's title, else another CMS's date `<meta>` (\"created\") holding a full date; null when none (its events then keep only the dates that write their year or take it from the text's own dates: never one resolved against the run date)."),
        ("language", pa.string(), True, "ISO 639-1 code (`en`, `de`, `ko`, `ja`, `ru`, `id`, ...): the page's declared language (`<html lang>`, `content-language`, `og:locale`, JSON-LD `inLanguage`), else from the clean text (stop words when sure, else py3langid, 97 languages); null for text under 40 characters or too uncertain."),
        ("raw_text", pa.string(), False, "Decoded input text (HTML source for HTML inputs)."),
        ("clean_text", pa.string(), False, "Title and article body, paragraphs separated by a blank line; boilerplate, comments and repeats removed."),
        ("comments_text", pa.string(), False, "Reader comments split off the page, one comment block per paragraph (empty if none)."),
        ("site_key", pa.string(), False, "Host of the URL, or the source folder when there is no URL: the unit of site boilerplate learning."),
        ("text_hash", pa.string(), False, "xxh64 of the normalised clean text: equal values are exact duplicates."),
        ("encoding", pa.string(), False, "Character encoding the bytes were decoded with."),
        ("extra", pa.string(), True, "JSON object of other input fields kept from JSONL records, or the WARC crawl date and file (null when none)."),
        ("run_id", pa.string(), False, "Run that wrote (or last changed) this row."),
        ("ingested_at", TS, False, "When the row was written (UTC)."),
        ("record_hash", pa.string(), False, "Hash of the row's content columns; merges skip rows whose hash is unchanged."),
    ),
)

SEGMENTS = TableSpec(
    name="segments",
    grain="one row per block (line or paragraph) of a document's text, in reading order",
    keys=("doc_id", "seq"),
    columns=(
        ("doc_id", pa.string(), False, "Document the block belongs to."),
        ("seq", pa.int32(), False, "0-based position of the block in the document."),
        ("label", pa.string(), False, "`title`, `content`, `boilerplate`, `comment`, `duplicate` or `metadata`."),
        ("text", pa.string(), False, "The block's text (after rejoining broken paragraphs)."),
        ("reason", pa.string(), False, "The rule or feature that decided the label (e.g. `url_density`, `promotion`, `after_comment_start`; learned boilerplate: `site_boilerplate`, `shared_boilerplate` (run-wide), `known_chrome` (consent/newsletter/share pattern))."),
        ("run_id", pa.string(), False, "Run that wrote this row."),
        ("record_hash", pa.string(), False, "Hash of the row's content columns."),
    ),
)

DUPLICATES = TableSpec(
    name="duplicates",
    grain="one row per document: its duplicate cluster and canonical copy",
    keys=("doc_id",),
    columns=(
        ("doc_id", pa.string(), False, "Document."),
        ("cluster_id", pa.string(), False, "Cluster of exact/near duplicates (the canonical document's id)."),
        ("canonical_doc_id", pa.string(), False, "The cluster's canonical copy (every member is verified against it): a stored canonical wins, else earliest published, else the copy with most verified neighbours."),
        ("is_canonical", pa.bool_(), False, "True for the canonical copy (and for unique documents)."),
        ("method", pa.string(), False, "`exact` (same normalised text), `near` (MinHash-LSH, verified) or `unique`."),
        ("similarity", pa.float64(), False, "Estimated Jaccard similarity (word 2-shingles) to the canonical copy; 1.0 for exact and unique."),
        ("run_id", pa.string(), False, "Run that wrote this row."),
        ("record_hash", pa.string(), False, "Hash of the row's content columns."),
    ),
)

DEDUP_INDEX = TableSpec(
    name="dedup_index",
    grain="one row per document with its MinHash signature: the cross-run near-duplicate index",
    keys=("doc_id",),
    columns=(
        ("doc_id", pa.string(), False, "Document."),
        ("text_hash", pa.string(), False, "xxh64 of the normalised clean text."),
        ("n_words", pa.int32(), False, "Words in the normalised clean text (short documents are matched exactly only)."),
        ("published_date", pa.date32(), True, "Publication date (used to choose canonical copies)."),
        ("signature", pa.binary(), True, "MinHash signature (one-permutation, densified): `num_perm` little-endian uint32 values; null for short documents."),
        ("canonical_doc_id", pa.string(), False, "Canonical copy of the document's cluster when it was indexed."),
        ("run_id", pa.string(), False, "Run that wrote this row."),
        ("record_hash", pa.string(), False, "Hash of the row's content columns."),
    ),
)

EVENTS = TableSpec(
    name="events",
    grain="one row per real-world event, merged across all documents that report it",
    keys=("event_id",),
    columns=(
        ("event_id", pa.string(), False, "Stable id from (type, date, key actors); later reports of the same event update this row."),
        ("event_type", pa.string(), False, "Closed vocabulary: the 16 PLOVER categories lower-cased (`agree`, `consult`, ... `assault`) and news occurrences (`accident`, `election`, `sport_result`, ...); see the ontology table above."),
        ("cameo_code", pa.string(), True, "CAMEO root code (two digits, `04` consult, `19` fight) of the type or of the CAMEO verb pattern that fired; null where CAMEO has none."),
        ("mode", pa.string(), False, "`actual`, `planned`, `negated`, `hypothetical` or `reported` (asserted by a quoted speaker)."),
        ("event_date", pa.date32(), True, "Date of the event; first day of the month/year for month/year precision."),
        ("date_precision", pa.string(), True, "`day`, `month` or `year`."),
        ("date_text", pa.string(), True, "The date expression as written in the evidence sentence (empty when the date is the article's publication date)."),
        ("planned", pa.bool_(), False, "True when `mode` is `planned` (scheduled or future relative to the document's reference date)."),
        ("source_actor", ACTOR_TYPE, True, "Who did it: name, kind, role, country (ISO 3166 alpha-3), sector; null when not named."),
        ("target_actor", ACTOR_TYPE, True, "To whom: same fields as `source_actor`; null when there is none."),
        ("actors", _list(ACTOR_TYPE), False, "Every actor of the event: name (canonical), kind (`person|organisation|country|location|group|mission`), role (title or `participant`), country, sector, aliases (surface forms in the documents)."),
        ("location", pa.string(), True, "Where the event happened (\"in Paris\"), null when not stated."),
        ("location_country", pa.string(), True, "ISO 3166 alpha-3 code of the location's country, when known."),
        ("summary", pa.string(), False, "One-line summary: type, actors and date."),
        ("doc_ids", _list(pa.string()), False, "Every document reporting the event (duplicates included)."),
        ("n_sources", pa.int32(), False, "Independent sources: distinct duplicate clusters among `doc_ids`."),
        ("confidence", pa.float64(), False, "0..1: trigger, date and actor evidence combined (max over mentions)."),
        ("run_id", pa.string(), False, "Run that wrote (or last changed) this row."),
        ("record_hash", pa.string(), False, "Hash of the row's content columns."),
    ),
)

EVENT_MENTIONS = TableSpec(
    name="event_mentions",
    grain="one row per evidence sentence of an event in a document",
    keys=("event_id", "doc_id", "char_start"),
    columns=(
        ("event_id", pa.string(), False, "Event the sentence reports."),
        ("doc_id", pa.string(), False, "Document containing the sentence."),
        ("sentence", pa.string(), False, "The evidence sentence."),
        ("char_start", pa.int32(), False, "Start offset of the sentence in `documents.clean_text`."),
        ("char_end", pa.int32(), False, "End offset (exclusive) of the sentence in `documents.clean_text`."),
        ("trigger", pa.string(), False, "The word(s) that signalled the event (\"met with\", \"signing\")."),
        ("trigger_start", pa.int32(), False, "Start offset of the trigger in `documents.clean_text`."),
        ("mode", pa.string(), False, "Mode of this mention (`actual`, `planned`, `negated`, `hypothetical`, `reported`)."),
        ("is_main", pa.bool_(), False, "True for the document's main event (one mention per document)."),
        ("confidence", pa.float64(), False, "0..1 confidence of this mention."),
        ("run_id", pa.string(), False, "Run that wrote this row."),
        ("record_hash", pa.string(), False, "Hash of the row's content columns."),
    ),
)

ENTITIES = TableSpec(
    name="entities",
    grain="one row per actor (person, organisation, country, location, group, mission) of the events",
    keys=("entity_id",),
    columns=(
        ("entity_id", pa.string(), False, "Stable id from (kind, canonical name)."),
        ("name", pa.string(), False, "Canonical name (dictionary name, the full name of a person, an acronym's expansion's acronym)."),
        ("kind", pa.string(), False, "`person`, `organisation`, `country`, `location`, `group` (agents such as police, protesters) or `mission`."),
        ("country", pa.string(), True, "ISO 3166 alpha-3 code of the actor's country (the most frequent one seen), when known."),
        ("sector", pa.string(), True, "Sector (`government`, `military`, `business`, `media`, `ngo`, `igo`, `rebel`, `civilian`, ...), when known."),
        ("aliases", _list(pa.string()), False, "Surface forms seen in the documents or known (acronyms, full names, surnames)."),
        ("n_mentions", pa.int32(), False, "Mentions across the corpus (this run's documents merged with earlier runs)."),
        ("n_documents", pa.int32(), False, "Documents mentioning the entity."),
        ("run_id", pa.string(), False, "Run that wrote (or last changed) this row."),
        ("record_hash", pa.string(), False, "Hash of the row's content columns."),
    ),
)

QUARANTINE = TableSpec(
    name="quarantine",
    grain="one row per rejected input (file, record or document) and reason",
    keys=("quarantine_id",),
    columns=(
        ("quarantine_id", pa.string(), False, "Stable id from (source_id, stage, reason, content_sha256)."),
        ("source_id", pa.string(), False, "Input that was rejected (path, `file:line` for JSONL lines)."),
        ("stage", pa.string(), False, "Stage that rejected it: `ingest` or `clean`."),
        ("reason", pa.string(), False, "Reason code from a closed vocabulary (see warehouse/README.md)."),
        ("detail", pa.string(), False, "Human-readable detail naming the file and the problem."),
        ("excerpt", pa.string(), False, "First bytes/characters of the input (escaped), to act on it."),
        ("content_sha256", pa.string(), False, "sha256 of the rejected bytes."),
        ("run_id", pa.string(), False, "Run that wrote this row."),
        ("quarantined_at", TS, False, "When the row was written (UTC)."),
    ),
)

BOILERPLATE = TableSpec(
    name="boilerplate",
    grain="one row per (site, block fingerprint) that recurs next to different articles of a site, or of any sites of a run (`site_key` `*`)",
    keys=("site_key", "fingerprint"),
    columns=(
        ("site_key", pa.string(), False, "Host, or source folder when there is no host; `*` for blocks learned run-wide (any site, and records without URL)."),
        ("fingerprint", pa.string(), False, "xxh64 of the normalised block text."),
        ("example", pa.string(), False, "The block text (first 200 characters)."),
        ("n_documents", pa.int32(), False, "Different articles (documents with another longest line) next to which the block was seen (all runs)."),
        ("run_id", pa.string(), False, "Run that wrote (or last changed) this row."),
        ("record_hash", pa.string(), False, "Hash of the row's content columns."),
    ),
)

INPUTS = TableSpec(
    name="inputs",
    grain="one row per multi-record input file (JSONL, WARC) whose every record a run has finished",
    keys=("source_id",),
    columns=(
        ("source_id", pa.string(), False, "The file, relative to its input root."),
        ("content_sha256", pa.string(), False, "SHA-256 of the file's bytes (as stored, compressed or not)."),
        ("n_records", pa.int64(), False, "Records (lines, responses) read from it: each is a document, a quarantine row or was unchanged."),
        ("run_id", pa.string(), False, "Run that finished the file with this content."),
        ("record_hash", pa.string(), False, "Hash of the row's content columns."),
    ),
)

INPUT_FILES = TableSpec(
    name="input_files",
    grain="one row per input file path, with the size and modification time it had when a run last judged it by its content hash",
    keys=("path",),
    columns=(
        ("path", pa.string(), False, "The file's absolute path (undecodable name bytes as \\xNN)."),
        ("source_id", pa.string(), False, "The file, relative to its input root."),
        ("size_bytes", pa.int64(), False, "Its size in bytes when the run listed it."),
        ("mtime_ns", pa.int64(), False, "Its modification time when the run listed it (ns since the epoch)."),
        ("content_sha256", pa.string(), False, "The content hash ingest judged it by: of its bytes (gunzipped for a `.gz` page), of the stored bytes for JSONL/WARC files."),
        ("run_id", pa.string(), False, "Run that recorded this fingerprint."),
        ("record_hash", pa.string(), False, "Hash of the row's content columns."),
    ),
)

RUNS = TableSpec(
    name="runs",
    grain="one row per pipeline run; written last, it publishes the run",
    keys=("run_id",),
    columns=(
        ("run_id", pa.string(), False, "Run id (UTC start time plus a random suffix)."),
        ("flow_run_id", pa.string(), True, "Prefect flow run id."),
        ("started_at", TS, False, "Run start (UTC)."),
        ("finished_at", TS, False, "Run end (UTC)."),
        ("status", pa.string(), False, "`completed` or `failed`."),
        ("params", pa.string(), False, "JSON: inputs, warehouse, run_date and config of the run."),
        ("counts", pa.string(), False, "JSON: documents in, quarantined, duplicates, events, ... for the run."),
        ("table_versions", pa.string(), False, "JSON: table -> Delta version after this run; pin these for a consistent read."),
    ),
)

TABLES: dict[str, TableSpec] = {
    t.name: t
    for t in (DOCUMENTS, SEGMENTS, DUPLICATES, DEDUP_INDEX, EVENTS, EVENT_MENTIONS, ENTITIES, QUARANTINE, BOILERPLATE, INPUTS, INPUT_FILES, RUNS)
}


def _same_type(a: pa.DataType, b: pa.DataType) -> bool:
    if pa.types.is_list(a) and pa.types.is_list(b):
        return _same_type(a.value_type, b.value_type)
    if pa.types.is_struct(a) and pa.types.is_struct(b):
        return a.num_fields == b.num_fields and all(
            a.field(i).name == b.field(i).name and _same_type(a.field(i).type, b.field(i).type)
            for i in range(a.num_fields)
        )
    return a.equals(b)


def check_table(name: str, table: pa.Table) -> pa.Table:
    """Return `table` with columns in contract order, or raise SchemaError naming table and column.

    No casting: a wrong type is a bug upstream, and deltalake would cast it silently.
    """
    spec = TABLES[name]
    missing = [c for c in spec.column_names if c not in table.column_names]
    extra = [c for c in table.column_names if c not in spec.column_names]
    if missing or extra:
        raise SchemaError(f"table {name!r}: missing columns {missing}, unexpected columns {extra}")
    for col, typ, nullable, _ in spec.columns:
        got = table.schema.field(col).type
        if not _same_type(got, typ):
            raise SchemaError(f"table {name!r}, column {col!r}: expected {typ}, got {got}")
        if not nullable and table.column(col).null_count:
            raise SchemaError(f"table {name!r}, column {col!r}: {table.column(col).null_count} null value(s) in a non-null column")
    return table.select(spec.column_names).cast(spec.schema)


def _python_types(t: pa.DataType) -> tuple[type, ...]:
    if pa.types.is_boolean(t):
        return (bool,)
    if pa.types.is_integer(t):
        return (int,)
    if pa.types.is_floating(t):
        return (float, int)
    if pa.types.is_string(t):
        return (str,)
    if pa.types.is_binary(t):
        return (bytes,)
    if pa.types.is_timestamp(t):
        return (datetime,)
    if pa.types.is_date(t):
        return (date,)
    if pa.types.is_list(t):
        return (list, tuple)
    return (dict,)


def to_table(name: str, rows: list[dict]) -> pa.Table:
    """Build a batch for `name` from row dicts with the contract's types, then check it.

    Python values are type-checked per column first: pyarrow's own conversion truncates 3.7 into an
    int64 column without a word, and deltalake would cast "42" into an int column.
    """
    spec = TABLES[name]
    if not rows:
        return spec.schema.empty_table()
    columns = {}
    for col, typ, _, _ in spec.columns:
        values = [r.get(col) for r in rows]
        allowed = _python_types(typ)
        bad = {type(v).__name__ for v in values if v is not None and not isinstance(v, allowed)}
        # bool is an int subclass: keep it out of int columns, and datetimes out of date columns.
        if pa.types.is_integer(typ) and any(isinstance(v, bool) for v in values):
            bad.add("bool")
        if pa.types.is_date(typ) and any(isinstance(v, datetime) for v in values):
            bad.add("datetime")
        if bad:
            raise SchemaError(f"table {name!r}, column {col!r}: expected {typ}, got Python {sorted(bad)}")
        columns[col] = pa.array(values, type=typ)
    return check_table(name, pa.Table.from_pydict(columns, schema=spec.schema))


def table_chunks(name: str, rows: Iterable[dict], chunk_rows: int = 10_000) -> Iterator[pa.Table]:
    """`to_table` over a stream of rows, `chunk_rows` at a time: at most one chunk of row dicts is in
    memory (a dict row costs ~10x its Arrow form; 100k index rows as dicts would be ~100 MB)."""
    buf: list[dict] = []
    for row in rows:
        buf.append(row)
        if len(buf) >= chunk_rows:
            yield to_table(name, buf)
            buf = []
    if buf:
        yield to_table(name, buf)


NOT_HASHED = frozenset({"run_id", "ingested_at", "quarantined_at", "record_hash"})


def record_hash(row: dict) -> str:
    """xxh64 over a row's content columns (not run id or timestamps): unchanged rows hash the same."""
    content = {k: v for k, v in row.items() if k not in NOT_HASHED}
    return xxhash.xxh64_hexdigest(json.dumps(content, sort_keys=True, default=str, ensure_ascii=False).encode())


def markdown_catalog() -> str:
    """The table catalog of warehouse/README.md, generated from the contract (a test keeps them equal)."""
    out = []
    for spec in TABLES.values():
        out += [f"### `{spec.name}`", "", f"Grain: {spec.grain}. Key: {', '.join(f'`{k}`' for k in spec.keys)}.", ""]
        out += ["| column | type | null | meaning |", "|---|---|---|---|"]
        for col, typ, nullable, desc in spec.columns:
            cell = desc.replace("|", "\\|")
            out.append(f"| `{col}` | {typ} | {'yes' if nullable else 'no'} | {cell} |")
        out.append("")
    return "\n".join(out).rstrip() + "\n"


if __name__ == "__main__":
    print(markdown_catalog(), end="")

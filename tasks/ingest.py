"""bytes -> raw records: list inputs, sniff the format, parse txt / html / jsonl (optionally gzipped).

In:  paths (files or folders) and an IngestConfig.
Out: `RawDoc` records and `Reject`s. Every input file or JSONL line ends as exactly one of the two:
     bad input (empty, binary, undecodable, malformed, oversize) becomes a Reject with a reason code
     from `schema.QUARANTINE_REASONS`; nothing is dropped silently. Hidden files (".name") are not
     inputs, as in git or rsync.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import stat
import zlib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit

from tasks.config import IngestConfig
from tasks.dates import parse_published
from tasks.records import RawDoc, Reject, Rejected

TEXT_EXTS = {".txt", ".text"}
HTML_EXTS = {".html", ".htm", ".xhtml"}
JSONL_EXTS = {".jsonl", ".ndjson"}
TYPOGRAPHIC = frozenset("’‘“”–—…€«»°£§©®™•·\u00a0")
KNOWN_JSONL_FIELDS = {"id", "url", "title", "text", "html", "published"}


@dataclass(frozen=True, slots=True, eq=False)
class Known:
    """What earlier runs ingested, for incremental runs: (source_id, sha256) of files and the sha256 of
    every record (JSONL lines), documents and quarantine alike; and (source_id, sha256) -> records of
    the JSONL/WARC files finished whole (the `inputs` table), which are skipped without being parsed.
    Empty = process everything."""

    files: frozenset[tuple[str, str]] = frozenset()
    records: frozenset[str] = frozenset()
    inputs: Mapping[tuple[str, str], int] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.files or self.records or self.inputs)


@dataclass(frozen=True, slots=True)
class Unchanged:
    """An input (file, JSONL line, WARC record, or a whole JSONL/WARC file of `n` records) already
    ingested with the same content: not processed again."""

    source_id: str
    n: int = 1


@dataclass(frozen=True, slots=True)
class InputDone:
    """The end of a JSONL/WARC file read record by record: its hash and record count (an `inputs` row
    once the run finishes)."""

    source_id: str
    content_sha256: str
    n_records: int


@dataclass(frozen=True, slots=True)
class InputFile:
    path: str  # absolute path
    source_id: str  # path relative to the input root, with forward slashes
    site_key: str  # root name + sub folder: the site unit when there is no URL
    size: int


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def make_doc_id(source_uri: str | None, source_id: str) -> str:
    """Stable document id from the source identity: the URL when there is one, else the source id."""
    identity = f"url:{source_uri}" if source_uri and not source_uri.startswith("file:") else f"src:{source_id}"
    return hashlib.sha256(identity.encode("utf-8")).hexdigest()[:16]


def excerpt_of(data: bytes | str, n: int = 200) -> str:
    if isinstance(data, bytes):
        data = data[:n].decode("utf-8", "backslashreplace")
    return data[:n].encode("unicode_escape").decode("ascii")[: 2 * n]


def site_key_of(url: str | None, fallback: str) -> str:
    if url:
        host = urlsplit(url).hostname or ""
        if host:
            return host.lower().removeprefix("www.")
    return fallback


# --- listing -----------------------------------------------------------------------------------


def list_inputs(paths: Iterable[str | os.PathLike]) -> list[InputFile]:
    """Every non-hidden file under `paths`, sorted, with its source id relative to its input root.

    A path that does not exist raises FileNotFoundError naming it (a typo should stop the run).
    A file reached twice (two roots, a symlink) is listed once, under its real path.
    """
    found: dict[str, InputFile] = {}
    for p in paths:
        root = Path(p)
        if not root.exists():
            raise FileNotFoundError(f"input path does not exist: {root}")
        if root.is_file():
            real = str(root.resolve())
            found.setdefault(real, InputFile(real, root.name, root.parent.resolve().name, root.stat().st_size))
            continue
        base_name = root.resolve().name
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            folder = Path(os.path.relpath(dirpath, root)).as_posix()
            site = base_name if folder == "." else f"{base_name}/{folder}"
            real_dir = os.path.realpath(dirpath)  # once per directory: resolving every file cost ~0.1 ms each
            for name in sorted(f for f in filenames if not f.startswith(".")):
                path = os.path.join(dirpath, name)
                st = os.lstat(path)
                if stat.S_ISLNK(st.st_mode):
                    real, size = os.path.realpath(path), os.stat(path).st_size
                else:
                    real, size = os.path.join(real_dir, name), st.st_size
                rel = name if folder == "." else f"{folder}/{name}"
                found.setdefault(real, InputFile(real, rel, site, size))
    return sorted(found.values(), key=lambda i: i.source_id)


# --- bytes -> text -----------------------------------------------------------------------------


def read_bytes(path: str, cfg: IngestConfig) -> bytes:
    """Read a file, gunzipping `.gz` while reading; stop as soon as the size limit is passed."""
    limit = cfg.max_bytes
    with open(path, "rb") as fh:
        if not path.endswith(".gz"):
            data = fh.read(limit + 1)
            if len(data) > limit:
                raise Rejected("oversize_input", f"{path}: larger than ingest.max_bytes={limit}")
            return data
        d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        out = bytearray()
        try:
            while chunk := fh.read(65536):
                # max_length bounds what one call may expand to: a bomb is stopped mid-stream.
                out += d.decompress(chunk, limit + 1 - len(out))
                while d.unconsumed_tail and len(out) <= limit:
                    out += d.decompress(d.unconsumed_tail, limit + 1 - len(out))
                if len(out) > limit:
                    raise Rejected("decompression_bomb", f"{path}: expands past ingest.max_bytes={limit}")
                if d.eof:
                    break
        except zlib.error as exc:
            raise Rejected("undecodable", f"{path}: broken gzip stream ({exc})") from exc
        return bytes(out)


_NOT_CONTROL = bytes(b for b in range(256) if not (b < 9 or 13 < b < 32))


def looks_binary(data: bytes, cfg: IngestConfig) -> bool:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 with BOM has NULs but is text
        return False
    sample = data[:8192]
    if b"\x00" in sample:
        return True
    control = len(sample.translate(None, _NOT_CONTROL))  # C-speed count of control bytes
    return control / max(1, len(sample)) > cfg.binary_control_ratio


def decode(data: bytes, cfg: IngestConfig) -> tuple[str, str]:
    """bytes -> (text, encoding). UTF-8 first, then charset detection; Latin-1 text is text."""
    if not data.strip():
        raise Rejected("empty_input", "0 bytes or whitespace only")
    if looks_binary(data, cfg):
        raise Rejected("binary_content", "NUL bytes or control characters: not a text file")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes  # imported lazily: only non-UTF-8 inputs pay for it

    best = from_bytes(data).best()
    if best is None:
        raise Rejected("undecodable", "no text encoding fits the bytes")
    # Detectors guess badly on short Western text ("crème" -> cp1250 "crčme"). Prefer Windows-1252 when
    # it yields only letters and typographic punctuation and most letters are ASCII (Cyrillic in
    # cp1251 also decodes to letters, but almost none of them ASCII).
    if best.encoding not in ("cp1252", "latin_1", "iso8859_15"):
        try:
            western = data.decode("cp1252")
        except UnicodeDecodeError:
            western = None
        if western is not None:
            extra = [c for c in western if ord(c) > 127]
            letters = sum(c.isalpha() for c in western)
            if all(c.isalpha() or c in TYPOGRAPHIC for c in extra) and len(extra) < 0.3 * max(1, letters):
                return western, "cp1252"
    return str(best), best.encoding


def sniff_format(path: str, text: str) -> str:
    """`txt`, `html` or `jsonl`, from the extension first, then from the content."""
    name = path.lower().removesuffix(".gz")
    ext = os.path.splitext(name)[1]
    if ext in TEXT_EXTS:
        return "txt"
    if ext in HTML_EXTS:
        return "html"
    if ext in JSONL_EXTS:
        return "jsonl"
    head = text.lstrip()[:1000].lower()
    if head.startswith(("<!doctype html", "<html")) or ("<body" in head or "<p>" in head or "<div" in head):
        return "html"
    if head.startswith("{"):
        return "jsonl"
    return "txt"


# --- records -----------------------------------------------------------------------------------


def _file_record(f: InputFile, text: str, encoding: str, digest: str, fmt: str) -> RawDoc:
    uri = Path(f.path).as_uri()
    return RawDoc(
        doc_id=make_doc_id(None, f.source_id),
        source_id=f.source_id,
        source_uri=uri,
        content_type="text/html" if fmt == "html" else "text/plain",
        content_sha256=digest,
        text=text,
        encoding=encoding,
        site_key=f.site_key,
    )


def parse_jsonl_line(line: bytes, lineno: int, f: InputFile, cfg: IngestConfig) -> RawDoc:
    """One JSONL line -> RawDoc, or Rejected (malformed_json, missing_text, undecodable)."""
    digest = sha256_hex(line)
    try:
        text_line, _ = decode(line, cfg)
        obj = json.loads(text_line)
    except Rejected:
        raise
    except (json.JSONDecodeError, RecursionError) as exc:
        raise Rejected("malformed_json", f"{f.source_id} line {lineno}: {exc}") from exc
    if not isinstance(obj, dict):
        raise Rejected("malformed_json", f"{f.source_id} line {lineno}: a JSON {type(obj).__name__}, not an object")
    body = obj.get("html") if isinstance(obj.get("html"), str) and obj.get("html").strip() else None
    content_type = "text/html"
    if body is None:
        body = obj.get("text") if isinstance(obj.get("text"), str) else None
        content_type = "text/plain"
    if body is None or not body.strip():
        raise Rejected("missing_text", f"{f.source_id} line {lineno}: no non-empty `text` or `html` field")
    rid = obj.get("id")
    source_id = str(rid) if rid not in (None, "") else f"{f.source_id}:{lineno}"
    url = obj.get("url") if isinstance(obj.get("url"), str) and obj.get("url") else None
    extra = {k: v for k, v in obj.items() if k not in KNOWN_JSONL_FIELDS}
    title = obj.get("title") if isinstance(obj.get("title"), str) and obj.get("title").strip() else None
    return RawDoc(
        doc_id=make_doc_id(url, source_id),
        source_id=source_id,
        source_uri=url,
        content_type=content_type,
        content_sha256=digest,
        text=body,
        encoding="utf-8",
        site_key=site_key_of(url, f.site_key),
        title=title.strip() if title else None,
        published=parse_published(obj.get("published")),
        extra=json.dumps(extra, ensure_ascii=False, sort_keys=True, default=str) if extra else None,
    )


def ingest_file(f: InputFile, cfg: IngestConfig, known: Known = Known()) -> Iterator[RawDoc | Reject | Unchanged]:
    """One input file -> its records and rejects (a JSONL file yields one item per non-blank line).

    Inputs whose content hash is in `known` yield `Unchanged` instead (incremental runs).
    """

    def reject(reason: str, detail: str, data: bytes | str = b"", digest: str = "", sid: str = f.source_id) -> Reject:
        return Reject(sid, "ingest", reason, detail, excerpt_of(data), digest or sha256_hex(data if isinstance(data, bytes) else data.encode()))

    try:
        data = read_bytes(f.path, cfg)
    except Rejected as r:
        yield reject(r.reason, r.detail)
        return
    except OSError as exc:
        yield reject("read_error", f"{f.source_id}: {exc.strerror or exc}")
        return
    digest = sha256_hex(data)
    if (f.source_id, digest) in known.files:
        yield Unchanged(f.source_id)
        return
    ext = os.path.splitext(f.path.lower().removesuffix(".gz"))[1]
    is_jsonl = ext in JSONL_EXTS or (
        ext not in TEXT_EXTS | HTML_EXTS and data.lstrip()[:1] == b"{" and data.rstrip()[-1:] == b"}"
    )
    if is_jsonl:
        # the bytes are already here: read them through the same line reader as streamed files
        for unit in _stream_jsonl(f, cfg, known, io.BytesIO(data)):
            if isinstance(unit, RecordUnit):
                docs, rejects, _ = ingest([unit], cfg)
                yield from docs
                yield from rejects
            else:
                yield unit
        return
    try:
        text, encoding = decode(data, cfg)
    except Rejected as r:
        yield reject(r.reason, f"{f.source_id}: {r.detail}", data, digest)
        return
    if len(text.strip()) < cfg.min_chars:
        yield reject("empty_input", f"{f.source_id}: no text", data, digest)
        return
    yield _file_record(f, text, encoding, digest, sniff_format(f.path, text))


# --- streaming large inputs: JSONL(.gz) and WARC(.gz) are read record by record -----------------

STREAM_JSONL_EXTS = (".jsonl", ".ndjson", ".jsonl.gz", ".ndjson.gz")
WARC_EXTS = (".warc", ".warc.gz")


@dataclass(frozen=True, slots=True)
class RecordUnit:
    """One record of a multi-record input (a JSONL line, a WARC response), as read by `iter_units`."""

    file: InputFile
    kind: str  # jsonl | warc
    index: int  # 1-based line number / record number
    data: bytes  # the line / the HTTP payload
    meta: tuple[tuple[str, str], ...] = ()  # WARC: record id, target URI, date, HTTP content type

    @property
    def size(self) -> int:
        return len(self.data)


def _open_stream(path: str):
    import gzip

    return gzip.open(path, "rb") if path.endswith(".gz") else open(path, "rb")  # noqa: SIM115


def _stream_jsonl(f: InputFile, cfg: IngestConfig, known: Known, fh: IO[bytes] | None = None) -> Iterator[RecordUnit | Reject | Unchanged]:
    """Lines of a JSONL(.gz) file, read with a per-line size limit: a line (or a gzip bomb expanding
    into one) longer than `max_bytes` is stopped while reading and quarantined. `fh`: read these
    bytes instead of opening the file (a file already read whole)."""
    n = 0
    try:
        with fh if fh is not None else _open_stream(f.path) as fh:
            lineno = 0
            while True:
                line = fh.readline(cfg.max_bytes + 1)
                if not line:
                    break
                lineno += 1
                if len(line) > cfg.max_bytes and not line.endswith(b"\n"):
                    while (rest := fh.readline(1 << 20)) and not rest.endswith(b"\n"):
                        pass  # skip the rest of the oversize line without keeping it
                    yield Reject(f"{f.source_id}:{lineno}", "ingest", "oversize_input", f"{f.source_id} line {lineno}: longer than ingest.max_bytes={cfg.max_bytes}", excerpt_of(line), sha256_hex(line[:65536]))
                    n += 1
                    continue
                line = line.rstrip(b"\r\n")
                if not line.strip():
                    continue
                n += 1
                if known.records and sha256_hex(line) in known.records:
                    yield Unchanged(f"{f.source_id}:{lineno}")
                    continue
                yield RecordUnit(f, "jsonl", lineno, line)
    except (OSError, EOFError, zlib.error) as exc:
        yield Reject(f.source_id, "ingest", "undecodable" if f.path.endswith(".gz") else "read_error", f"{f.source_id}: stopped reading after {n} records ({exc})", "", "")
        return
    if n == 0:
        yield Reject(f.source_id, "ingest", "empty_input", f"{f.source_id}: JSONL file with no records", "", sha256_hex(b""))


def _stream_warc(f: InputFile, cfg: IngestConfig, known: Known) -> Iterator[RecordUnit | Reject | Unchanged]:
    """Response records of a WARC(.gz) file (request, metadata and warcinfo records are not pages)."""
    from warcio.archiveiterator import ArchiveIterator

    n = 0
    try:
        with open(f.path, "rb") as fh:
            for rec in ArchiveIterator(fh):
                if rec.rec_type != "response":
                    continue
                n += 1
                rid = rec.rec_headers.get_header("WARC-Record-ID") or f"{f.source_id}#{n}"
                uri = rec.rec_headers.get_header("WARC-Target-URI") or ""
                ctype = (rec.http_headers.get_header("Content-Type") if rec.http_headers else "") or ""
                payload = rec.content_stream().read(cfg.max_bytes + 1)
                if len(payload) > cfg.max_bytes:
                    yield Reject(rid, "ingest", "oversize_input", f"{f.source_id} record {n} ({uri}): larger than ingest.max_bytes={cfg.max_bytes}", excerpt_of(payload), sha256_hex(payload[:65536]))
                    continue
                if known.records and sha256_hex(payload) in known.records:
                    yield Unchanged(rid)
                    continue
                meta = (("id", rid), ("uri", uri), ("date", rec.rec_headers.get_header("WARC-Date") or ""), ("content_type", ctype))
                yield RecordUnit(f, "warc", n, payload, meta)
    except Exception as exc:  # warcio raises its own types on malformed archives
        yield Reject(f.source_id, "ingest", "undecodable", f"{f.source_id}: malformed WARC after {n} records ({type(exc).__name__}: {exc})", "", "")
        return
    if n == 0:
        yield Reject(f.source_id, "ingest", "empty_input", f"{f.source_id}: WARC file with no response records", "", sha256_hex(b""))


def file_sha256(path: str) -> str:
    """SHA-256 of a file's bytes, read in blocks."""
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def iter_units(
    files: Iterable[InputFile], cfg: IngestConfig, known: Known = Known()
) -> Iterator[InputFile | RecordUnit | Reject | Unchanged | InputDone]:
    """The stream of work: whole files (read by `ingest`), and the records of JSONL/WARC files read
    lazily, so memory does not grow with the size of one input file. A JSONL/WARC file is hashed
    first: one finished by an earlier run with the same bytes is a single `Unchanged` (of all its
    records) and is not parsed; otherwise its records are followed by an `InputDone`."""
    for f in files:
        name = f.path.lower()
        stream = _stream_jsonl if name.endswith(STREAM_JSONL_EXTS) else _stream_warc if name.endswith(WARC_EXTS) else None
        if stream is None:
            yield f
            continue
        try:
            digest = file_sha256(f.path)
        except OSError as exc:
            yield Reject(f.source_id, "ingest", "read_error", f"{f.source_id}: {exc.strerror or exc}", "", "")
            continue
        n_done = known.inputs.get((f.source_id, digest))
        if n_done is not None:
            yield Unchanged(f.source_id, n_done)
            continue
        n = 0
        for unit in stream(f, cfg, known):
            n += 1
            yield unit
        yield InputDone(f.source_id, digest, n)


def warc_record(unit: RecordUnit, cfg: IngestConfig) -> RawDoc:
    """A WARC response record -> RawDoc: source_id = WARC-Record-ID, source_uri = WARC-Target-URI,
    the WARC-Date kept as `crawl_date` in `extra`. Non-text payloads raise unsupported_format."""
    meta = dict(unit.meta)
    ctype = meta.get("content_type", "").lower()
    rid = meta["id"]
    if ctype and not any(t in ctype for t in ("html", "text", "xml")):
        raise Rejected("unsupported_format", f"{unit.file.source_id} record {unit.index} ({meta.get('uri')}): content type {ctype}")
    data = unit.data
    charset = re.search(r"charset=([\w-]+)", ctype)
    text = None
    if charset:
        try:
            text, encoding = data.decode(charset.group(1)), charset.group(1).lower()
        except (LookupError, UnicodeDecodeError):
            text = None
    if text is None:
        text, encoding = decode(data, cfg)
    if not text.strip():
        raise Rejected("empty_input", f"{unit.file.source_id} record {unit.index}: empty payload")
    uri = meta.get("uri") or None
    fmt = "html" if "html" in ctype or sniff_format(".html", text) == "html" else "txt"
    return RawDoc(
        doc_id=make_doc_id(uri, rid),
        source_id=rid,
        source_uri=uri,
        content_type="text/html" if fmt == "html" else "text/plain",
        content_sha256=sha256_hex(data),
        text=text,
        encoding=encoding,
        site_key=site_key_of(uri, unit.file.site_key),
        extra=json.dumps({"crawl_date": meta.get("date"), "warc_file": unit.file.source_id}, sort_keys=True),
    )


def ingest(
    items: Iterable[InputFile | RecordUnit | Reject | Unchanged | InputDone], cfg: IngestConfig, known: Known = Known()
) -> tuple[list[RawDoc], list[Reject], int]:
    """Batch function: files and stream records -> (records, rejects, number of unchanged inputs skipped).

    Every file (and JSONL line, WARC response) is exactly one of: a record, a reject, or unchanged
    since a run that already stored it as a document or quarantine row.
    """
    docs: list[RawDoc] = []
    rejects: list[Reject] = []
    unchanged = 0

    def add(item) -> None:
        nonlocal unchanged
        if isinstance(item, RawDoc):
            docs.append(item)
        elif isinstance(item, Reject):
            rejects.append(item)
        elif isinstance(item, Unchanged):
            unchanged += item.n
        # InputDone markers carry no record (the flow takes them out of the stream for `inputs`)

    for it in items:
        if isinstance(it, InputFile):
            for item in ingest_file(it, cfg, known):
                add(item)
        elif isinstance(it, RecordUnit):
            sid = f"{it.file.source_id}:{it.index}" if it.kind == "jsonl" else dict(it.meta).get("id", it.file.source_id)
            try:
                add(parse_jsonl_line(it.data, it.index, it.file, cfg) if it.kind == "jsonl" else warc_record(it, cfg))
            except Rejected as r:
                detail = r.detail if it.file.source_id in r.detail else f"{it.file.source_id} line {it.index}: {r.detail}"
                add(Reject(sid, "ingest", r.reason, detail, excerpt_of(it.data), sha256_hex(it.data)))
        else:
            add(it)
    return docs, rejects, unchanged


def quarantine_row(r: Reject, run_id: str, now: datetime) -> dict:
    qid = hashlib.sha256(f"{r.source_id}|{r.stage}|{r.reason}|{r.content_sha256}".encode()).hexdigest()[:16]
    return {
        "quarantine_id": qid,
        "source_id": r.source_id,
        "stage": r.stage,
        "reason": r.reason,
        "detail": r.detail,
        "excerpt": r.excerpt,
        "content_sha256": r.content_sha256,
        "run_id": run_id,
        "quarantined_at": now,
    }


def input_row(d: InputDone, run_id: str) -> dict:
    from tasks.schema import record_hash

    row = {"source_id": d.source_id, "content_sha256": d.content_sha256, "n_records": d.n_records, "run_id": run_id}
    row["record_hash"] = record_hash(row)
    return row

"""bytes -> raw records: list inputs, sniff the format, parse txt / html / jsonl (optionally gzipped).

In:  paths (files or folders) and an IngestConfig.
Out: `RawDoc` records and `Reject`s. Every input file or JSONL line ends as exactly one of the two:
     bad input (empty, binary, undecodable, malformed, oversize) becomes a Reject with a reason code
     from `schema.QUARANTINE_REASONS`; nothing is dropped silently. Hidden files (".name") are not
     inputs, as in git or rsync.
"""

from __future__ import annotations

import errno
import hashlib
import io
import json
import os
import re
import stat
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

from tasks.config import IngestConfig
from tasks.records import RawDoc, Reject, Rejected

TEXT_EXTS = {".txt", ".text"}
HTML_EXTS = {".html", ".htm", ".xhtml"}
JSONL_EXTS = {".jsonl", ".ndjson"}
TYPOGRAPHIC = frozenset("’‘“”–—…€«»°£§©®™•·\u00a0")
KNOWN_JSONL_FIELDS = {"id", "url", "title", "text", "html", "published"}


@dataclass(frozen=True, slots=True)
class FileStat:
    """A file's fingerprint as a run listed it, and the content hash ingest judged it by (an
    `input_files` row): a later file at the same path with the same size and modification time is
    taken to hold the same bytes, so its hash is not computed again."""

    path: str  # as stored: `text_name` of the absolute path
    source_id: str
    size_bytes: int
    mtime_ns: int
    content_sha256: str


@dataclass(frozen=True, slots=True, eq=False)
class Known:
    """What earlier runs ingested, for incremental runs: (source_id, sha256) of files and the sha256 of
    every record (JSONL lines), documents and quarantine alike; and (source_id, sha256) -> records of
    the JSONL/WARC files finished whole (the `inputs` table), which are skipped without being parsed.
    `stats`: stored path -> the `FileStat` a run recorded (`stat_digest`). Empty = process everything."""

    files: frozenset[tuple[str, str]] = frozenset()
    records: frozenset[str] = frozenset()
    inputs: Mapping[tuple[str, str], int] = field(default_factory=dict)
    stats: Mapping[str, FileStat] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.files or self.records or self.inputs)

    def stat_digest(self, f: InputFile) -> str | None:
        """The content hash recorded for `f` when its path, size and modification time (ns) are the
        ones recorded with it, else None (then the file is read and hashed). The hash alone decides
        nothing: the file is unchanged only if that hash is also among what earlier runs finished."""
        if not f.mtime_ns or f.problem is not None:
            return None
        st = self.stats.get(text_name(f.path))
        return st.content_sha256 if st is not None and (st.size_bytes, st.mtime_ns) == (f.size, f.mtime_ns) else None


@dataclass(frozen=True, slots=True)
class Unchanged:
    """An input (file, JSONL line, WARC record, or a whole JSONL/WARC file of `n` records) already
    ingested with the same content: not processed again."""

    source_id: str
    n: int = 1
    content_sha256: str = field(default="", compare=False)  # a whole file's: the hash it was found unchanged by


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
    source_id: str  # path relative to the input root, with forward slashes (undecodable name bytes as \xNN)
    site_key: str  # root name + sub folder: the site unit when there is no URL
    size: int
    problem: tuple[str, str] | None = None  # (reason, detail): a listed path that is never opened
    mtime_ns: int = 0  # modification time when listed (0: unknown, no fingerprint)

    @property
    def is_gzip(self) -> bool:
        return self.path.endswith(".gz")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def make_doc_id(source_uri: str | None, source_id: str) -> str:
    """Stable document id from the source identity: the URL when there is one, else the source id."""
    identity = f"url:{source_uri}" if source_uri and not source_uri.startswith("file:") else f"src:{source_id}"
    return hashlib.sha256(identity.encode("utf-8", "backslashreplace")).hexdigest()[:16]


def text_name(name: str) -> str:
    """A file or folder name as valid text: bytes that are not UTF-8 (which `os` hands back as
    surrogate escapes, and which no table can store) are written as `\\xNN`."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return os.fsencode(name).decode("utf-8", "backslashreplace")
    return name


_SURROGATE = re.compile("[\ud800-\udfff]")


def without_surrogates(value: Any) -> Any:
    """`value` (a parsed JSON value) with lone UTF-16 surrogates (`"\\ud800"`, valid JSON but not
    text) replaced by U+FFFD in every string, keys included."""
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, list):
        return [without_surrogates(v) for v in value]
    if isinstance(value, dict):
        return {without_surrogates(k): without_surrogates(v) for k, v in value.items()}
    return value


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


_KINDS = ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"))


def _kind(mode: int) -> str:
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def list_inputs(paths: Iterable[str | os.PathLike]) -> list[InputFile]:
    """Every non-hidden file under `paths`, sorted, with its source id relative to its input root.

    A path that does not exist raises FileNotFoundError naming it (a typo should stop the run).
    A file reached twice (two roots, a symlink) is listed once, under its real path, by its own name
    rather than a link's. Symlinked folders are followed (a link back into its own ancestry is a
    `symlink_loop`). Nothing is opened here: paths that cannot be inputs are listed with a `problem`
    (dangling or looping symlinks, FIFOs, sockets, devices, folders that cannot be listed) and become
    quarantine rows, so listing never blocks and never fails on one bad entry.
    """
    found: dict[str, InputFile] = {}

    def problem(key: str, source_id: str, site: str, reason: str, detail: str) -> None:
        found.setdefault("\0" + key, InputFile(key, source_id, site, 0, (reason, f"{source_id}: {detail}")))

    for p in paths:
        root = Path(p)
        try:
            st = root.stat()
        except FileNotFoundError:
            raise FileNotFoundError(f"input path does not exist: {root}") from None
        except OSError as exc:
            raise FileNotFoundError(f"input path cannot be read: {root} ({exc.strerror or exc})") from None
        name = text_name(root.name)
        if stat.S_ISREG(st.st_mode):
            real = str(root.resolve())
            found.setdefault(real, InputFile(real, name, text_name(root.parent.resolve().name), st.st_size, mtime_ns=st.st_mtime_ns))
            continue
        if not stat.S_ISDIR(st.st_mode):
            problem(str(root), name, name, "not_a_regular_file", f"{_kind(st.st_mode)}, not read")
            continue
        _walk(str(root), "", text_name(root.resolve().name), found, problem)
    return sorted(found.values(), key=lambda i: i.source_id)


def _walk(root: str, folder0: str, base: str, found: dict[str, InputFile], problem: Callable[..., None]) -> None:
    """List the folder `root` into `found` (see `list_inputs`): real entries first, then symlinked
    files and folders, so that a file reached both ways is named by its real place."""
    visited: set[str] = set()
    deferred: list[tuple[str, str, frozenset[str]]] = []  # symlinked folders, walked after the real tree
    real_root = os.path.realpath(root)

    def shown(target: str) -> str:
        """A link target for messages: relative to the input root, never an absolute path."""
        rel = os.path.relpath(os.path.join(os.path.dirname(target), os.path.basename(target)), real_root)
        return "a path outside the input" if rel.startswith("..") else text_name(Path(rel).as_posix())

    def walk(dirpath: str, folder: str, ancestors: frozenset[str]) -> None:
        site = base if not folder else f"{base}/{folder}"
        real_dir = os.path.realpath(dirpath)  # once per directory: resolving every file cost ~0.1 ms each
        visited.add(real_dir)
        ancestors = ancestors | {real_dir}
        try:
            with os.scandir(dirpath) as it:
                entries = sorted(e.name for e in it if not e.name.startswith("."))
        except OSError as exc:
            sid = f"{folder}/" if folder else "./"
            problem(dirpath, sid, site, "unreadable_path", f"folder cannot be listed ({exc.strerror or exc}); its files are not read")
            return
        links: list[tuple[str, str]] = []
        subdirs: list[tuple[str, str]] = []
        for name in entries:
            path = os.path.join(dirpath, name)
            rel = text_name(name) if not folder else f"{folder}/{text_name(name)}"
            try:
                lst = os.lstat(path)
            except OSError as exc:  # vanished since the folder was read
                problem(path, rel, site, "unreadable_path", exc.strerror or str(exc))
                continue
            if stat.S_ISLNK(lst.st_mode):
                links.append((path, rel))
            elif stat.S_ISDIR(lst.st_mode):
                subdirs.append((path, rel))
            elif stat.S_ISREG(lst.st_mode):
                found.setdefault(os.path.join(real_dir, name), InputFile(os.path.join(real_dir, name), rel, site, lst.st_size, mtime_ns=lst.st_mtime_ns))
            else:
                problem(path, rel, site, "not_a_regular_file", f"{_kind(lst.st_mode)}, not read")
        for path, rel in subdirs:
            walk(path, rel, ancestors)
        for path, rel in links:
            try:
                st = os.stat(path)
            except FileNotFoundError:
                target = os.path.join(os.path.realpath(os.path.dirname(path)), os.readlink(path))
                problem(path, rel, site, "dangling_symlink", f"symlink to {shown(os.path.normpath(target))!r}, which does not exist")
                continue
            except OSError as exc:
                if exc.errno == errno.ELOOP:
                    problem(path, rel, site, "symlink_loop", "symlinks that point at each other (or at themselves)")
                else:
                    problem(path, rel, site, "unreadable_path", exc.strerror or str(exc))
                continue
            real = os.path.realpath(path)
            if stat.S_ISDIR(st.st_mode):
                if real in ancestors:
                    problem(path, f"{rel}/", site, "symlink_loop", f"symlinked folder leads back to {shown(real)!r}, a folder it is in")
                elif real not in visited:
                    deferred.append((path, rel, ancestors))
            elif stat.S_ISREG(st.st_mode):
                found.setdefault(real, InputFile(real, rel, site, st.st_size, mtime_ns=st.st_mtime_ns))
            else:
                problem(path, rel, site, "not_a_regular_file", f"symlink to {_kind(st.st_mode)}, not read")

    walk(root, folder0, frozenset())
    while deferred:
        path, rel, ancestors = deferred.pop(0)
        if os.path.realpath(path) not in visited:
            walk(path, rel, ancestors)


# --- bytes -> text -----------------------------------------------------------------------------


def open_regular(path: str) -> IO[bytes]:
    """Open a file for reading only if it is a regular file: opened non-blocking and checked on the
    open descriptor, so a FIFO or device put in place of a listed file never blocks the run."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise Rejected("not_a_regular_file", f"{_kind(mode)}, not read")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_bytes(path: str, cfg: IngestConfig, name: str | None = None) -> bytes:
    """Read a file, gunzipping `.gz` while reading (every member of a multi-member gzip); stop as
    soon as the size limit is passed. A gzip stream that ends before its end marker is
    `truncated_input`. `name`: how messages name the file (its source id), default the path."""
    limit = cfg.max_bytes
    name = name or path
    with open_regular(path) as fh:
        if not path.endswith(".gz"):
            # read(n) allocates n bytes up front: a read of the limit (20 MB) per file cost ~4x the read
            # of a small file itself. The size the file has now, then whatever it grew by since.
            expect = min(os.fstat(fh.fileno()).st_size, limit)
            data = fh.read(expect + 1)
            if len(data) > expect:
                data += fh.read(limit + 1 - len(data))
            if len(data) > limit:
                raise Rejected("oversize_input", f"{name}: larger than ingest.max_bytes={limit}")
            return data
        d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        out = bytearray()
        pending = fh.read(65536)
        if not pending:
            return b""  # a 0-byte file: empty, not truncated
        try:
            while chunk := pending or fh.read(65536):
                pending = b""
                # max_length bounds what one call may expand to: a bomb is stopped mid-stream.
                out += d.decompress(chunk, limit + 1 - len(out))
                while d.unconsumed_tail and len(out) <= limit:
                    out += d.decompress(d.unconsumed_tail, limit + 1 - len(out))
                if len(out) > limit:
                    raise Rejected("decompression_bomb", f"{name}: expands past ingest.max_bytes={limit}")
                if d.eof:  # the end of one member: another may follow (concatenated gzip files)
                    pending = d.unused_data or fh.read(65536)
                    if not pending.strip(b"\0"):
                        return bytes(out)
                    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
        except zlib.error as exc:
            raise Rejected("undecodable", f"{name}: broken gzip stream ({exc})") from exc
        raise Rejected("truncated_input", f"{name}: gzip stream ends early, after {len(out)} bytes of text")


_NOT_CONTROL = bytes(b for b in range(256) if not (b < 9 or 13 < b < 32))


def utf16_without_bom(data: bytes) -> str | None:
    """The text of UTF-16 bytes that carry no byte-order mark, or None: in UTF-16 text of Latin
    script nearly every other byte is NUL (the high byte), which would otherwise read as binary."""
    sample = data[:8192]
    if len(sample) < 4:
        return None
    even, odd = sample[0::2], sample[1::2]
    for zeros, codec in ((odd, "utf-16-le"), (even, "utf-16-be")):
        other = even if zeros is odd else odd
        if zeros.count(0) >= 0.6 * len(zeros) and other.count(0) <= 0.02 * len(other):
            try:
                text = data[: len(data) // 2 * 2].decode(codec)
            except UnicodeDecodeError:
                return None
            head = text[:4096]
            printable = sum(c.isprintable() or c in "\n\r\t" for c in head)
            return text if printable >= 0.95 * max(1, len(head)) else None
    return None


def looks_binary(data: bytes, cfg: IngestConfig) -> bool:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 with BOM has NULs but is text
        return False
    sample = data[:8192]
    if b"\x00" in sample:
        return True
    control = len(sample.translate(None, _NOT_CONTROL))  # C-speed count of control bytes
    return control / max(1, len(sample)) > cfg.binary_control_ratio


def decode(data: bytes, cfg: IngestConfig) -> tuple[str, str]:
    """bytes -> (text, encoding). UTF-8 first, then charset detection; Latin-1 text is text; UTF-16
    with or without a byte-order mark is text."""
    if not data.strip():
        raise Rejected("empty_input", "0 bytes or whitespace only")
    if b"\x00" in data[:8192] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text16 = utf16_without_bom(data)
        if text16 is not None:
            if not text16.strip():
                raise Rejected("empty_input", "UTF-16 text of whitespace only")
            return text16, "utf-16"
    if looks_binary(data, cfg):
        raise Rejected("binary_content", "NUL bytes or control characters: not a text file")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as exc:
            raise Rejected("undecodable", f"broken UTF-16 ({exc.reason} at byte {exc.start})") from exc
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
        origin=f.source_id,
    )


def _published(value: Any) -> date | None:
    """A record's `published` value as a date (`tasks.dates.parse_published`, imported when a record
    has one: the temporal tagger's patterns are compiled at its import)."""
    if value is None:
        return None
    from tasks.dates import parse_published

    return parse_published(value)


def parse_jsonl_line(line: bytes, lineno: int, f: InputFile, cfg: IngestConfig) -> RawDoc:
    """One JSONL line -> RawDoc, or Rejected (malformed_json, missing_text, undecodable)."""
    digest = sha256_hex(line)
    try:
        text_line, _ = decode(line, cfg)
        obj = json.loads(text_line)
    except Rejected:
        raise
    except (ValueError, RecursionError) as exc:  # ValueError: also integers past Python's 4,300 digits
        raise Rejected("malformed_json", f"{f.source_id} line {lineno}: {str(exc)[:200]}") from exc
    if "\\u" in text_line:  # an escaped lone surrogate ("\\ud800") parses but is not text
        obj = without_surrogates(obj)
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
        published=_published(obj.get("published")),
        extra=json.dumps(extra, ensure_ascii=False, sort_keys=True, default=str) if extra else None,
        origin=f"{f.source_id}:{lineno}",
    )


def ingest_file(f: InputFile, cfg: IngestConfig, known: Known = Known()) -> Iterator[RawDoc | Reject | Unchanged]:
    """One input file -> its records and rejects (a JSONL file yields one item per non-blank line).

    Inputs whose content hash is in `known` yield `Unchanged` instead (incremental runs).
    """

    def reject(reason: str, detail: str, data: bytes | str = b"", digest: str = "", sid: str = f.source_id) -> Reject:
        return Reject(sid, "ingest", reason, detail, excerpt_of(data), digest or sha256_hex(data if isinstance(data, bytes) else data.encode()))

    if f.problem is not None:  # listed but never opened (a dangling symlink, a FIFO, ...)
        digest = sha256_hex(b"")
        if (f.source_id, digest) in known.files:
            yield Unchanged(f.source_id)
        else:
            yield reject(f.problem[0], f.problem[1], digest=digest)
        return
    listed = known.stat_digest(f)
    if listed is not None and (f.source_id, listed) in known.files:
        yield Unchanged(f.source_id, 1, listed)  # same path, size and mtime as when finished: not read
        return
    try:
        data = read_bytes(f.path, cfg, f.source_id)
    except Rejected as r:
        # the stored bytes' hash: a rerun recognises the same rejected file without a new row
        raw_digest = _raw_sha256(f)
        if raw_digest and (f.source_id, raw_digest) in known.files:
            yield Unchanged(f.source_id, 1, raw_digest)
            return
        detail = r.detail if r.detail.startswith(f.source_id) else f"{f.source_id}: {r.detail}"
        yield reject(r.reason, detail, digest=raw_digest)
        return
    except OSError as exc:
        yield reject("read_error", f"{f.source_id}: {exc.strerror or exc}")
        return
    digest = sha256_hex(data)
    if (f.source_id, digest) in known.files:
        yield Unchanged(f.source_id, 1, digest)
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


def _open_stream(path: str) -> tuple[IO[bytes], IO[bytes]]:
    """(the decompressed stream, the raw file): how many stored bytes were read is `raw.tell()`."""
    import gzip

    raw = open_regular(path)
    return (gzip.GzipFile(fileobj=raw, mode="rb") if path.endswith(".gz") else raw), raw


def read_lines(
    fh: IO[bytes], max_bytes: int, block: int = 1 << 20, check: Callable[[int], None] | None = None
) -> Iterator[tuple[int, bytes, bool]]:
    """(line number, line without its line end, too_long) for every non-blank line of `fh`.

    Read in blocks of `block` bytes, so blank lines cost no Python work (a gzip of 128 MiB of
    newlines is skipped at C speed). A line longer than `max_bytes` is yielded cut to `max_bytes + 1`
    bytes with too_long=True and the rest of it is skipped without being kept. `check(n)` runs after
    every block is split and before its lines are yielded, with the bytes read so far outside
    over-long lines; it may raise to stop reading.
    """
    lineno = 0
    buf = b""
    skipping = False  # inside a line that was too long: drop bytes up to its end
    kept = 0
    while chunk := fh.read(block):
        out: list[tuple[int, bytes, bool]] = []
        if skipping:
            nl = chunk.find(b"\n")
            if nl < 0:
                continue
            chunk, skipping = chunk[nl + 1 :], False
        kept += len(chunk)
        data = buf + chunk
        last = data.rfind(b"\n")
        if last >= 0:
            complete, buf = data[:last], data[last + 1 :]
            if not complete.strip():  # only blank lines: counted, not split
                lineno += complete.count(b"\n") + 1
            else:
                for line in complete.split(b"\n"):
                    lineno += 1
                    if len(line) > max_bytes:
                        out.append((lineno, line[: max_bytes + 1], True))
                        kept -= len(line)
                    elif line.strip():
                        out.append((lineno, line.rstrip(b"\r"), False))
        else:
            buf = data
        if len(buf) > max_bytes:
            lineno += 1
            out.append((lineno, buf[: max_bytes + 1], True))
            kept -= len(buf)
            buf, skipping = b"", True
        if check is not None:
            check(kept)
        yield from out
    if buf.strip():
        lineno += 1
        yield lineno, buf.rstrip(b"\r"), False


def _stream_jsonl(f: InputFile, cfg: IngestConfig, known: Known, fh: IO[bytes] | None = None) -> Iterator[RecordUnit | Reject | Unchanged]:
    """Lines of a JSONL(.gz) file, read with a per-line size limit: a line (or a gzip bomb expanding
    into one) longer than `max_bytes` is stopped while reading and quarantined. A .gz stream whose
    lines (over-long ones aside) expand past 1 MiB and more than `max_expansion_ratio` times the
    bytes read from disk (a bomb of newlines or of tiny lines) is stopped there; one that ends early is `truncated_input`
    (the records before it are kept). `fh`: read these bytes instead of opening the file (a file
    already read whole)."""
    n = 0
    raw: IO[bytes] | None = None
    try:
        if fh is None:
            fh, raw = _open_stream(f.path)
        stream = fh

        def check(out: int) -> None:
            stored = max(1, raw.tell())
            if out >= 1 << 20 and out > cfg.max_expansion_ratio * stored:
                raise Rejected(
                    "decompression_bomb",
                    f"{f.source_id}: expands {out // stored}x (more than ingest.max_expansion_ratio="
                    f"{cfg.max_expansion_ratio:g}), stopped after {out} bytes and {n} records",
                )

        gz = raw is not None and f.is_gzip
        for lineno, line, too_long in read_lines(stream, cfg.max_bytes, check=check if gz else None):
            n += 1
            if too_long:
                yield Reject(f"{f.source_id}:{lineno}", "ingest", "oversize_input", f"{f.source_id} line {lineno}: longer than ingest.max_bytes={cfg.max_bytes}", excerpt_of(line), sha256_hex(line[:65536]))
                continue
            if known.records and sha256_hex(line) in known.records:
                yield Unchanged(f"{f.source_id}:{lineno}")
                continue
            yield RecordUnit(f, "jsonl", lineno, line)
    except Rejected as r:
        yield Reject(f.source_id, "ingest", r.reason, r.detail if r.detail.startswith(f.source_id) else f"{f.source_id}: {r.detail}", "", "")
        return
    except EOFError as exc:
        yield Reject(f.source_id, "ingest", "truncated_input", f"{f.source_id}: the gzip stream ends early, after {n} records ({exc})", "", "")
        return
    except (OSError, zlib.error) as exc:
        yield Reject(f.source_id, "ingest", "undecodable" if f.is_gzip else "read_error", f"{f.source_id}: stopped reading after {n} records ({exc.strerror if isinstance(exc, OSError) and exc.strerror else exc})", "", "")
        return
    finally:
        if fh is not None:
            fh.close()
        if raw is not None:
            raw.close()
    if n == 0:
        yield Reject(f.source_id, "ingest", "empty_input", f"{f.source_id}: JSONL file with no records", "", sha256_hex(b""))


def _stream_warc(f: InputFile, cfg: IngestConfig, known: Known) -> Iterator[RecordUnit | Reject | Unchanged]:
    """Response records of a WARC(.gz) file (request, metadata and warcinfo records are not pages)."""
    from warcio.archiveiterator import ArchiveIterator

    n = 0
    try:
        with open_regular(f.path) as fh:
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
                if getattr(rec.raw_stream, "limit", 0):  # bytes the record declares but the file lacks
                    yield Reject(rid, "ingest", "truncated_input", f"{f.source_id} record {n} ({uri}): the record ends early ({len(payload)} bytes of payload read)", excerpt_of(payload), sha256_hex(payload))
                    continue
                if known.records and sha256_hex(payload) in known.records:
                    yield Unchanged(rid)
                    continue
                meta = (("id", rid), ("uri", uri), ("date", rec.rec_headers.get_header("WARC-Date") or ""), ("content_type", ctype))
                yield RecordUnit(f, "warc", n, payload, meta)
    except Rejected as r:
        yield Reject(f.source_id, "ingest", r.reason, f"{f.source_id}: {r.detail}", "", "")
        return
    except Exception as exc:  # warcio raises its own types on malformed archives
        yield Reject(f.source_id, "ingest", "undecodable", f"{f.source_id}: malformed WARC after {n} records ({type(exc).__name__}: {exc})", "", "")
        return
    if n == 0:
        yield Reject(f.source_id, "ingest", "empty_input", f"{f.source_id}: WARC file with no response records", "", sha256_hex(b""))


def file_sha256(path: str) -> str:
    """SHA-256 of a file's bytes, read in blocks (a regular file only: see `open_regular`)."""
    with open_regular(path) as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def _raw_sha256(f: InputFile) -> str:
    """SHA-256 of a file's stored bytes, or "" when it cannot be read."""
    try:
        return file_sha256(f.path)
    except (OSError, Rejected):
        return ""


def file_stat(f: InputFile, digest: str) -> FileStat:
    """`f`'s fingerprint as listed, with the content hash ingest judged it by."""
    return FileStat(text_name(f.path), f.source_id, f.size, f.mtime_ns, digest)


_EMPTY_SHA256 = sha256_hex(b"")


def judged_digest(f: InputFile, items: list) -> str | None:
    """The content hash `ingest_file`'s outcome for `f` was decided by (its one document, reject or
    `Unchanged`), or None when there is none to trust: no fingerprint (mtime unknown, a listed
    problem), a file that gave several records (JSONL without its extension), or a reject for a file
    that could not be read (`read_error`, whose hash is of nothing: the file may become readable)."""
    if not f.mtime_ns or f.problem is not None or len(items) != 1:
        return None
    item = items[0]
    if isinstance(item, RawDoc):
        digest = item.content_sha256 if item.source_id == f.source_id else ""
    elif isinstance(item, Reject):
        digest = item.content_sha256 if item.reason != "read_error" else ""
    else:
        digest = item.content_sha256
    return digest if digest and (digest != _EMPTY_SHA256 or f.size == 0) else None


def fingerprints_to_record(
    found: Mapping[str, FileStat], stored: Mapping[str, FileStat], listed_ns: int, cfg: IngestConfig
) -> list[FileStat]:
    """The fingerprints a run found (`found`, by path) that are not stored as they are, and whose
    modification time is at least `fingerprint_min_age_s` before the listing (`listed_ns`): a write
    after the listing then gets another mtime, whatever the file system clock's tick. Sorted by path."""
    limit = listed_ns - int(cfg.fingerprint_min_age_s * 1e9)
    out = [st for st in found.values() if st.mtime_ns <= limit and stored.get(st.path) != st]
    return sorted(out, key=lambda st: st.path)


def iter_units(
    files: Iterable[InputFile],
    cfg: IngestConfig,
    known: Known = Known(),
    stats: dict[str, FileStat] | None = None,
) -> Iterator[InputFile | RecordUnit | Reject | Unchanged | InputDone]:
    """The stream of work: whole files (read by `ingest`), and the records of JSONL/WARC files read
    lazily, so memory does not grow with the size of one input file. A JSONL/WARC file is hashed
    first: one finished by an earlier run with the same bytes is a single `Unchanged` (of all its
    records) and is not parsed; otherwise its records are followed by an `InputDone`. A file whose
    path, size and mtime are the ones recorded with a finished hash (`Known.stat_digest`) is not even
    hashed. `stats`, when given, gets each JSONL/WARC file's `FileStat` (path -> fingerprint)."""
    for f in files:
        name = f.path.lower()
        stream = _stream_jsonl if name.endswith(STREAM_JSONL_EXTS) else _stream_warc if name.endswith(WARC_EXTS) else None
        if stream is None or f.problem is not None:  # never opened here (see `ingest_file`)
            yield f
            continue
        digest = known.stat_digest(f)
        n_done = known.inputs.get((f.source_id, digest)) if digest else None
        if n_done is None:
            try:
                digest = file_sha256(f.path)
            except OSError as exc:
                yield Reject(f.source_id, "ingest", "read_error", f"{f.source_id}: {exc.strerror or exc}", "", "")
                continue
            except Rejected as r:
                yield Reject(f.source_id, "ingest", r.reason, f"{f.source_id}: {r.detail}", "", "")
                continue
            n_done = known.inputs.get((f.source_id, digest))
        if stats is not None and f.mtime_ns:
            stats[f.path] = file_stat(f, digest)
        if n_done is not None:
            yield Unchanged(f.source_id, n_done, digest)
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
        origin=f"{unit.file.source_id}#{unit.index}",
    )


def ingest(
    items: Iterable[InputFile | RecordUnit | Reject | Unchanged | InputDone],
    cfg: IngestConfig,
    known: Known = Known(),
    seen: Mapping[str, str] | None = None,
    stats: dict[str, FileStat] | None = None,
) -> tuple[list[RawDoc], list[Reject], int]:
    """Batch function: files and stream records -> (records, rejects, number of unchanged inputs skipped).

    Every file (and JSONL line, WARC response) is exactly one of: a record, a reject, or unchanged
    since a run that already stored it as a document or quarantine row. A record whose document id
    was already read in this run (`seen`: doc_id -> where it was read, from earlier batches, or an
    earlier record of this batch) is a `duplicate_source_id` reject: the first one read is kept,
    never overwritten by the second. `stats`, when given, gets the `FileStat` of every whole file
    whose outcome its content hash decided (`judged_digest`), by path.
    """
    docs: list[RawDoc] = []
    rejects: list[Reject] = []
    unchanged = 0
    seen = seen or {}
    here: dict[str, str] = {}

    def add(item) -> None:
        nonlocal unchanged
        if isinstance(item, RawDoc):
            first = seen.get(item.doc_id) or here.get(item.doc_id)
            if first is None:
                here[item.doc_id] = item.origin or item.source_id
                docs.append(item)
                return
            where = item.origin or item.source_id
            rejects.append(
                Reject(
                    where, "ingest", "duplicate_source_id",
                    f"{where}: document id {item.doc_id} (source {item.source_id!r}) was already read from {first} in this run; the first is kept",
                    excerpt_of(item.text), item.content_sha256,
                )
            )
        elif isinstance(item, Reject):
            rejects.append(item)
        elif isinstance(item, Unchanged):
            unchanged += item.n
        # InputDone markers carry no record (the flow takes them out of the stream for `inputs`)

    for it in items:
        if isinstance(it, InputFile):
            items = list(ingest_file(it, cfg, known))
            if stats is not None and (digest := judged_digest(it, items)):
                stats[it.path] = file_stat(it, digest)
            for item in items:
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


def input_file_row(st: FileStat, run_id: str) -> dict:
    """An `input_files` row."""
    from tasks.schema import record_hash

    row = {
        "path": st.path, "source_id": st.source_id, "size_bytes": st.size_bytes, "mtime_ns": st.mtime_ns,
        "content_sha256": st.content_sha256, "run_id": run_id,
    }
    row["record_hash"] = record_hash(row)
    return row

"""A folder of hostile inputs (issue 19), built in a temporary directory, and what each unit must become.

`build(root)` writes it and returns {unit: expected outcome}: `"document"` or a quarantine reason
code. A unit is a file, a JSONL line or a WARC response record (as `documents.source_id` /
`quarantine.source_id` name it). Built by the tests, so nothing hostile is committed (FIFOs, sockets,
loops and undecodable names would break a checkout).
"""

from __future__ import annotations

import gzip
import io
import json
import os
import socket
from pathlib import Path

ARTICLE = (
    "The European Space Agency and the China National Space Administration met in Paris on 12 March "
    "2024 to discuss a joint lunar mission. Officials said the talks covered science payloads, launch "
    "dates and data sharing, and that a formal agreement could be signed later in the year.\n"
)


def _article(tag: str) -> str:
    return f"{tag.capitalize()} report.\n\n{ARTICLE}{tag} closes the article with one more sentence about the mission plans.\n"


def _warc(records: list[tuple[str, str, bytes]], truncate_last: int = 0) -> bytes:
    """An uncompressed WARC of response records (record id, target URI, HTML payload); the last
    record loses `truncate_last` bytes at the end."""
    out = io.BytesIO()
    for rid, uri, body in records:
        http = b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" + body
        head = (
            "WARC/1.0\r\nWARC-Type: response\r\n"
            f"WARC-Record-ID: {rid}\r\nWARC-Target-URI: {uri}\r\nWARC-Date: 2024-05-01T10:00:00Z\r\n"
            "Content-Type: application/http; msgtype=response\r\n"
            f"Content-Length: {len(http)}\r\n\r\n"
        ).encode()
        out.write(head + http + b"\r\n\r\n")
    data = out.getvalue()
    return data[: len(data) - truncate_last] if truncate_last else data


def _html(tag: str) -> bytes:
    paras = "".join(f"<p>{line}</p>" for line in _article(tag).split("\n") if line)
    return f"<html><head><title>{tag}</title></head><body><article>{paras}</article></body></html>".encode()


def build(root: Path, unreadable_dir: bool = True) -> dict[str, str]:
    """Write the hostile folder under `root` (created) and return unit -> expected outcome."""
    root.mkdir(parents=True)
    exp: dict[str, str] = {}

    (root / "good.txt").write_text(_article("good"))
    exp["good.txt"] = "document"
    # symlinks: dangling, a loop of two, a self-loop, one to a device
    (root / "dangling.txt").symlink_to(root / "missing-target.txt")
    exp["dangling.txt"] = "dangling_symlink"
    (root / "loop_a.txt").symlink_to(root / "loop_b.txt")
    (root / "loop_b.txt").symlink_to(root / "loop_a.txt")
    exp["loop_a.txt"] = exp["loop_b.txt"] = "symlink_loop"
    (root / "self.txt").symlink_to(root / "self.txt")
    exp["self.txt"] = "symlink_loop"
    (root / "null.txt").symlink_to("/dev/null")
    exp["null.txt"] = "not_a_regular_file"
    # a name that is not UTF-8
    with open(os.path.join(os.fsencode(root), b"bad_name_\xff\xfe.txt"), "w") as fh:
        fh.write(_article("badname"))
    exp["bad_name_\\xff\\xfe.txt"] = "document"
    # a FIFO and a socket: never opened
    os.mkfifo(root / "pipe.txt")
    exp["pipe.txt"] = "not_a_regular_file"
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(root / "sock.txt"))
    sock.close()
    exp["sock.txt"] = "not_a_regular_file"
    # JSONL: a 5,000-digit integer, a lone surrogate, duplicate ids
    lines = [
        '{"id": "bigint", "text": "x", "n": ' + "9" * 5000 + "}",
        json.dumps({"id": "surrogate", "text": _article("surrogate").replace("mission", "mission \ud800", 1)}),
        json.dumps({"id": "same", "text": _article("first copy")}),
        json.dumps({"id": "same", "text": _article("second copy, different text")}),
        json.dumps({"id": "good.txt", "text": _article("an id equal to a file path")}),
        json.dumps({"id": "cross", "text": _article("cross one")}),
    ]
    (root / "records.jsonl").write_text("\n".join(lines) + "\n")
    exp.update({"records.jsonl:1": "malformed_json", "surrogate": "document", "same": "document"})
    exp.update({"records.jsonl:4": "duplicate_source_id", "records.jsonl:5": "duplicate_source_id", "cross": "document"})
    (root / "zz_more.jsonl").write_text(json.dumps({"id": "cross", "text": _article("cross two")}) + "\n")
    exp["zz_more.jsonl:1"] = "duplicate_source_id"
    # gzip: truncated, a bomb of newlines, empty, two members
    (root / "cut.txt.gz").write_bytes(gzip.compress(_article("cut").encode() * 50)[:-40])
    exp["cut.txt.gz"] = "truncated_input"
    bomb = io.BytesIO()
    with gzip.GzipFile(fileobj=bomb, mode="wb", compresslevel=9) as gz:
        gz.write(json.dumps({"id": "before-bomb", "text": _article("bomb")}).encode() + b"\n")
        for _ in range(16):
            gz.write(b"\n" * (1 << 20))
    (root / "newlines.jsonl.gz").write_bytes(bomb.getvalue())
    exp["newlines.jsonl.gz"] = "decompression_bomb"
    (root / "zero.txt.gz").write_bytes(b"")
    exp["zero.txt.gz"] = "empty_input"
    (root / "members.txt.gz").write_bytes(gzip.compress(_article("member one").encode()) + gzip.compress(b"Second member text.\n"))
    exp["members.txt.gz"] = "document"
    # text encodings
    (root / "utf16_nobom.txt").write_bytes(_article("utf16").encode("utf-16-le"))
    exp["utf16_nobom.txt"] = "document"
    (root / "utf16_odd.txt").write_bytes(b"\xff\xfe" + "odd".encode("utf-16-le") + b"\x00")
    exp["utf16_odd.txt"] = "undecodable"
    # WARC: two records with one target URI, and a truncated record
    (root / "crawl.warc").write_bytes(
        _warc(
            [
                ("<urn:uuid:1>", "https://example.org/a", _html("warc a")),
                ("<urn:uuid:2>", "https://example.org/a", _html("warc a recrawled")),
                ("<urn:uuid:3>", "https://example.org/b", _html("warc b")),
            ]
        )
    )
    exp.update({"<urn:uuid:1>": "document", "crawl.warc#2": "duplicate_source_id", "<urn:uuid:3>": "document"})
    (root / "cut.warc").write_bytes(
        _warc([("<urn:uuid:4>", "https://example.org/c", _html("warc c")), ("<urn:uuid:5>", "https://example.org/d", _html("warc d"))], 30)
    )
    exp.update({"<urn:uuid:4>": "document", "<urn:uuid:5>": "truncated_input"})
    # folders: a symlinked folder outside the root (followed), one pointing back up (a loop)
    outside = root.parent / f"{root.name}-outside"
    outside.mkdir()
    (outside / "linked.txt").write_text(_article("linked"))
    (root / "linked_dir").symlink_to(outside, target_is_directory=True)
    exp["linked_dir/linked.txt"] = "document"
    (root / "sub").mkdir()
    (root / "sub" / "up").symlink_to(root, target_is_directory=True)
    exp["sub/up/"] = "symlink_loop"
    (root / "sub" / "x.txt").mkdir()  # a folder named like a file: walked, holds nothing
    if unreadable_dir:
        (root / "locked").mkdir()
        (root / "locked" / "inside.txt").write_text(_article("locked"))
        os.chmod(root / "locked", 0)
        exp["locked/"] = "unreadable_path"
    return exp


def lock_scandir(monkeypatch, folder_name: str = "locked") -> None:
    """Make `folder_name` unlistable for the ingest module even when running as root (who may
    read a mode-000 folder): os.scandir raises PermissionError as it would for other users."""
    import tasks.ingest as ingest_mod

    real = os.scandir

    def scandir(path="."):
        if isinstance(path, (str, os.PathLike)) and os.path.basename(os.fspath(path).rstrip("/")) == folder_name:
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real(path)

    monkeypatch.setattr(ingest_mod.os, "scandir", scandir)

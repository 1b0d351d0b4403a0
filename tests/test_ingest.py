import gzip
import json

import pytest
from conftest import DATA, SEEDS

from tasks.config import IngestConfig
from tasks.ingest import decode, ingest, list_inputs, make_doc_id, read_bytes
from tasks.records import Rejected
from tasks.schema import QUARANTINE_REASONS

CFG = IngestConfig()


def _by_source(items):
    return {i.source_id: i for i in items}


def test_seeds_are_documents_with_stable_ids():
    docs, rejects, _ = ingest(list_inputs([SEEDS]), CFG)
    assert rejects == []
    assert sorted(d.source_id for d in docs) == sorted(p.name for p in SEEDS.glob("*.txt"))
    d = docs[0]
    assert d.doc_id == make_doc_id(None, d.source_id) and len(d.doc_id) == 16
    assert len(d.content_sha256) == 64 and d.content_type == "text/plain"
    again, _, _ = ingest(list_inputs([SEEDS]), CFG)
    assert [x.doc_id for x in again] == [x.doc_id for x in docs]


def test_fixture_folder_every_input_accounted_for():
    files = list_inputs([DATA])
    docs, rejects, _ = ingest(files, CFG)
    docs_by, rej_by = _by_source(docs), _by_source(rejects)
    # good inputs
    assert docs_by["latin1.txt"].text.startswith("Café owners")
    assert docs_by["truncated.html"].content_type == "text/html"
    r1 = docs_by["r1"]
    assert r1.source_uri == "https://example.org/news/solar-farm" and r1.title == "Solar Farm Opens on Former Mine"
    assert str(r1.published) == "2024-05-06" and json.loads(r1.extra) == {"lang_hint": "en"}
    assert docs_by["r2"].content_type == "text/html" and str(docs_by["r2"].published) == "2024-05-04"
    assert "records.jsonl:3" in docs_by  # no id -> file:line
    # broken inputs, with reasons and line numbers
    assert rej_by["empty.txt"].reason == "empty_input"
    assert rej_by["binary.txt"].reason == "binary_content"
    assert rej_by["broken.jsonl:2"].reason == "malformed_json" and "line 2" in rej_by["broken.jsonl:2"].detail
    assert rej_by["broken.jsonl:3"].reason == "malformed_json"
    assert rej_by["broken.jsonl:4"].reason == "missing_text"
    assert {"ok1", "ok2"} <= set(docs_by)
    # nothing lost: every file is either a document or a reject
    sources = {d.source_id.split(":")[0] for d in docs} | {r.source_id.split(":")[0] for r in rejects}
    file_names = {f.source_id for f in files}
    jsonl_ids = {"r1", "r2", "ok1", "ok2"}
    assert file_names - {"records.jsonl", "broken.jsonl"} <= sources
    assert jsonl_ids <= set(docs_by)
    for r in rejects:
        assert r.reason in QUARANTINE_REASONS and r.source_id.split(":")[0] in r.detail


def test_hidden_files_are_not_inputs(tmp_path):
    (tmp_path / ".DS_Store").write_bytes(b"\x00\x01")
    (tmp_path / "a.txt").write_text("A short article about something that happened today in the city.")
    assert [f.source_id for f in list_inputs([tmp_path])] == ["a.txt"]


def test_missing_input_path_raises_naming_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope"):
        list_inputs([tmp_path / "nope"])


def test_gzip_input_and_decompression_bomb_stopped_while_reading(tmp_path):
    ok = tmp_path / "ok.txt.gz"
    ok.write_bytes(gzip.compress(b"A gzipped article that is perfectly fine to read.\n"))
    bomb = tmp_path / "bomb.txt.gz"
    bomb.write_bytes(gzip.compress(b"A" * 5_000_000))
    cfg = IngestConfig(max_bytes=100_000)
    assert read_bytes(str(ok), cfg).startswith(b"A gzipped")
    with pytest.raises(Rejected) as info:
        read_bytes(str(bomb), cfg)
    assert info.value.reason == "decompression_bomb"
    docs, rejects, _ = ingest(list_inputs([tmp_path]), cfg)
    assert [d.source_id for d in docs] == ["ok.txt.gz"]
    assert [(r.source_id, r.reason) for r in rejects] == [("bomb.txt.gz", "decompression_bomb")]


def test_oversize_file_is_quarantined(tmp_path):
    (tmp_path / "big.txt").write_text("word " * 1000)
    docs, rejects, _ = ingest(list_inputs([tmp_path]), IngestConfig(max_bytes=1000))
    assert not docs and rejects[0].reason == "oversize_input"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("Ünïcödé text".encode(), "Ünïcödé text"),
        ("Café crème au lait".encode("latin-1"), "Café crème au lait"),
        ("\ufeffBOM text".encode(), "BOM text"),
        ("UTF-16 text with a BOM".encode("utf-16"), "UTF-16 text with a BOM"),
    ],
)
def test_decode_detects_encodings(data, expected):
    text, _enc = decode(data, CFG)
    assert text == expected


@pytest.mark.parametrize(("data", "reason"), [(b"", "empty_input"), (b"  \n\t ", "empty_input"), (b"\x00\x01\x02abc", "binary_content")])
def test_decode_rejects(data, reason):
    with pytest.raises(Rejected) as info:
        decode(data, CFG)
    assert info.value.reason == reason


def test_known_inputs_are_unchanged_and_changed_ones_reprocessed(tmp_path):
    from tasks.ingest import Known, sha256_hex

    (tmp_path / "a.txt").write_text("First article text, long enough to be a document of its own.")
    (tmp_path / "b.txt").write_text("Second article text, also long enough to be a document.")
    lines = ['{"id": "r1", "text": "Record one has some text."}', '{"id": "r2", "text": "Record two has other text."}']
    (tmp_path / "c.jsonl").write_text("\n".join(lines) + "\n")
    docs, rejects, unchanged = ingest(list_inputs([tmp_path]), CFG)
    assert len(docs) == 4 and unchanged == 0
    known = Known(
        files=frozenset((d.source_id, d.content_sha256) for d in docs),
        records=frozenset(d.content_sha256 for d in docs),
    )
    docs2, _, unchanged2 = ingest(list_inputs([tmp_path]), CFG, known)
    assert docs2 == [] and unchanged2 == 4
    (tmp_path / "b.txt").write_text("Second article text, now edited by the site after publication.")
    (tmp_path / "c.jsonl").write_text(lines[0] + "\n" + '{"id": "r2", "text": "Record two was corrected."}\n')
    docs3, _, unchanged3 = ingest(list_inputs([tmp_path]), CFG, known)
    assert sorted(d.source_id for d in docs3) == ["b.txt", "r2"] and unchanged3 == 2
    assert sha256_hex(lines[0].encode()) in known.records


def test_warc_records_stream_with_ids_uris_and_crawl_dates():
    from tasks.ingest import RecordUnit, iter_units

    items = list(iter_units(list_inputs([DATA / "pages.warc.gz"]), CFG))
    docs, rejects, _ = ingest(items, CFG)
    assert [d.source_uri for d in docs] == ["https://news.example.org/2024/05/probe", "https://blog.example.net/post/42"]
    assert all(d.source_id.startswith("<urn:uuid:") and d.content_type == "text/html" for d in docs)
    assert json.loads(docs[0].extra)["crawl_date"].startswith("20") and docs[1].encoding == "iso-8859-1"
    assert "Café science" in docs[1].text and docs[1].site_key == "blog.example.net"
    assert [r.reason for r in rejects] == ["unsupported_format"]  # the PNG response
    broken = list(iter_units(list_inputs([DATA / "broken.warc.gz"]), CFG))
    assert isinstance(broken[0], RecordUnit)  # the complete record before the damage is kept
    assert broken[1].reason == "undecodable" and "broken.warc.gz" in broken[1].detail
    assert len(broken) == 3 and broken[2].n_records == 2  # then the end-of-file marker


def test_jsonl_gz_streams_and_stops_a_bomb_line_while_reading(tmp_path):
    from tasks.ingest import RecordUnit, iter_units
    from tasks.records import Reject

    lines = [json.dumps({"id": f"r{i}", "text": f"Record number {i} with enough text to be a document."}) for i in range(5)]
    bomb = '{"id": "bomb", "text": "' + "A" * 3_000_000 + '"}'
    (tmp_path / "big.jsonl.gz").write_bytes(gzip.compress(("\n".join(lines[:2] + [bomb] + lines[2:]) + "\n").encode()))
    cfg = IngestConfig(max_bytes=100_000, batch_size=2)
    items = list(iter_units(list_inputs([tmp_path]), cfg))
    assert sum(isinstance(i, RecordUnit) for i in items) == 5
    [bad] = [i for i in items if isinstance(i, Reject)]
    assert bad.reason == "oversize_input" and bad.source_id == "big.jsonl.gz:3" and "line 3" in bad.detail
    docs, rejects, _ = ingest(items, cfg)
    assert [d.source_id for d in docs] == [f"r{i}" for i in range(5)] and len(rejects) == 1


def test_a_finished_multi_record_file_is_skipped_whole_when_its_bytes_are_unchanged(tmp_path):
    from tasks.ingest import InputDone, Known, RecordUnit, Unchanged, file_sha256, iter_units

    path = tmp_path / "feed.jsonl"
    path.write_text("".join(json.dumps({"id": f"r{i}", "text": f"Record {i} with enough text."}) + "\n" for i in range(4)) + "not json\n")
    first = list(iter_units(list_inputs([tmp_path]), CFG))
    assert sum(isinstance(i, RecordUnit) for i in first) == 5
    assert first[-1] == InputDone("feed.jsonl", file_sha256(str(path)), 5)  # the bad line is a record too
    known = Known(inputs={("feed.jsonl", first[-1].content_sha256): 5})
    assert list(iter_units(list_inputs([tmp_path]), CFG, known)) == [Unchanged("feed.jsonl", 5)]
    assert ingest([Unchanged("feed.jsonl", 5)], CFG) == ([], [], 5)
    path.write_text(path.read_text() + json.dumps({"id": "r9", "text": "One more record, appended later."}) + "\n")
    again = list(iter_units(list_inputs([tmp_path]), CFG, known))  # changed bytes: read record by record
    assert sum(isinstance(i, RecordUnit) for i in again) == 6 and again[-1].n_records == 6


def test_list_inputs_names_sources_relative_to_the_root_and_lists_each_real_file_once(tmp_path):
    root = tmp_path / "crawl"
    (root / "site" / "2026").mkdir(parents=True)
    (root / ".git").mkdir()
    (root / "a.txt").write_text("a")
    (root / "site" / "2026" / "b.html").write_text("<p>b</p>")
    (root / ".hidden.txt").write_text("h")
    (root / ".git" / "c.txt").write_text("c")
    (root / "site" / "link.txt").symlink_to(root / "a.txt")  # the same file again
    files = list_inputs([root, root / "a.txt"])
    assert [(f.source_id, f.site_key, f.size) for f in files] == [("a.txt", "crawl", 1), ("site/2026/b.html", "crawl/site/2026", 8)]
    assert files[0].path == str((root / "a.txt").resolve())
    alone = list_inputs([root / "site" / "link.txt"])  # a file root: named by itself, its folder as site
    assert [(f.source_id, f.site_key, f.path) for f in alone] == [("link.txt", "site", str((root / "a.txt").resolve()))]


def _outcomes(files, cfg=CFG):
    from tasks.ingest import InputDone, iter_units

    docs, rejects, _ = ingest([u for u in iter_units(files, cfg) if not isinstance(u, InputDone)], cfg)
    got = {d.source_id: "document" for d in docs}
    for r in rejects:
        assert r.source_id not in got, f"{r.source_id} is two units"
        got[r.source_id] = r.reason
    return got, docs, rejects


def test_hostile_folder_every_unit_is_one_document_or_one_quarantine_row(tmp_path, monkeypatch):
    """Issue 19: symlinks (dangling, loops, to a device, folders), FIFOs, sockets, a non-UTF-8 name,
    JSON oddities, duplicate ids, truncated and bomb gzips, UTF-16 without BOM, truncated WARC records."""
    import hostile

    expected = hostile.build(tmp_path / "in")
    hostile.lock_scandir(monkeypatch)  # root may read a mode-000 folder: make it unlistable anyway
    files = list_inputs([tmp_path / "in"])  # returns at once: nothing is opened while listing
    got, docs, rejects = _outcomes(files)
    assert got == expected
    assert len({d.doc_id for d in docs}) == len(docs)  # no document overwrites another
    assert len({r.source_id for r in rejects}) == len(rejects)
    for r in rejects:
        assert r.reason in QUARANTINE_REASONS and str(tmp_path) not in r.detail, r.detail  # relative paths only
    by_id = {d.source_id: d for d in docs}
    assert "\ufffd" in by_id["surrogate"].text and "\ud800" not in by_id["surrogate"].text
    assert by_id["utf16_nobom.txt"].text.startswith("Utf16 report.")
    assert "Second member text." in by_id["members.txt.gz"].text  # every gzip member is read
    assert by_id["same"].text.startswith("First copy report.")  # the first copy is kept


def test_duplicate_ids_are_checked_against_earlier_batches_of_the_run():
    from tasks.ingest import RecordUnit

    f = list_inputs([DATA / "records.jsonl"])[0]
    line = json.dumps({"id": "x", "text": "A record about a launch with enough words."}).encode()
    docs, rejects, _ = ingest([RecordUnit(f, "jsonl", 7, line)], CFG, seen={make_doc_id(None, "x"): "a.jsonl:1"})
    assert docs == [] and [(r.source_id, r.reason) for r in rejects] == [("records.jsonl:7", "duplicate_source_id")]
    assert "a.jsonl:1" in rejects[0].detail


def test_a_fifo_replacing_a_listed_file_is_not_opened_for_reading(tmp_path):
    import os

    (tmp_path / "a.txt").write_text("An article that is replaced by a FIFO after listing.")
    files = list_inputs([tmp_path])
    (tmp_path / "a.txt").unlink()
    os.mkfifo(tmp_path / "a.txt")
    _, rejects, _ = ingest(files, CFG)  # would block forever in open() without O_NONBLOCK
    assert [(r.source_id, r.reason) for r in rejects] == [("a.txt", "not_a_regular_file")]


def test_a_jsonl_gz_of_tiny_lines_is_stopped_as_a_bomb(tmp_path):
    from tasks.ingest import iter_units

    with gzip.open(tmp_path / "tiny.jsonl.gz", "wb") as fh:
        for _ in range(8):
            fh.write(b"{}\n" * (1 << 20))
    items = list(iter_units(list_inputs([tmp_path]), CFG))
    assert [getattr(i, "reason", None) for i in items[:-1]] == ["decompression_bomb"]  # no 8M quarantine rows


def test_read_bytes_reads_the_whole_file_up_to_the_limit(tmp_path):
    import dataclasses

    small = dataclasses.replace(CFG, max_bytes=64)
    f = tmp_path / "a.txt"
    for data in (b"", b"x" * 10, b"y" * 64):
        f.write_bytes(data)
        assert read_bytes(str(f), small) == data
    f.write_bytes(b"z" * 65)
    with pytest.raises(Rejected) as info:
        read_bytes(str(f), small)
    assert info.value.reason == "oversize_input"


def test_counting_pass_says_when_every_input_is_unchanged(tmp_path):
    from flows.pipeline import count_blocks
    from tasks.clean import SiteBoilerplate
    from tasks.config import PipelineConfig
    from tasks.ingest import Known

    cfg = PipelineConfig()
    (tmp_path / "a.txt").write_text("First article text, long enough to be a document of its own.")
    (tmp_path / "b.txt").write_text("Second article text, also long enough to be a document.")
    docs, _, _ = ingest(list_inputs([tmp_path]), CFG)
    known = Known(files=frozenset((d.source_id, d.content_sha256) for d in docs), records=frozenset(d.content_sha256 for d in docs))

    def counted(k):
        return count_blocks(list_inputs([tmp_path]), cfg, k, {}, SiteBoilerplate(cfg.clean.site_boilerplate_min_docs))[:3]

    _, ids, unchanged = counted(Known())
    assert len(ids) == 2 and unchanged is None  # two new documents
    _, ids, unchanged = counted(known)
    assert ids == set() and unchanged == 2  # nothing for the batch phase
    (tmp_path / "b.txt").write_text("Second article text, now edited by the site after publication.")
    _, ids, unchanged = counted(known)
    assert len(ids) == 1 and unchanged is None
    (tmp_path / "b.txt").write_bytes(b"\x00\x01\x02 binary")  # a reject is work too (a quarantine row)
    assert counted(known)[2] is None


# --- file fingerprints: (path, size, mtime_ns) recorded with the content hash ----------------------


def _finished(docs, rejects=()):
    """What a run that stored `docs` and `rejects` knows (documents and quarantine alike)."""
    from tasks.ingest import Known

    done = [(d.source_id, d.content_sha256) for d in [*docs, *rejects]]
    return Known(files=frozenset(done), records=frozenset(h for _, h in done))


def _aged(path, seconds=60):
    """Give `path` a modification time `seconds` in the past (a fingerprint is recorded only then)."""
    import os

    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns - seconds * 10**9))


def _fingerprinted(tmp_path, known):
    """Ingest the folder recording fingerprints; returns (docs, rejects, unchanged, the fingerprints
    to record by path, `known` with them)."""
    import dataclasses
    import time

    from tasks.ingest import fingerprints_to_record

    listed = time.time_ns()
    found: dict = {}
    docs, rejects, n = ingest(list_inputs([tmp_path]), CFG, known, stats=found)
    stats = {st.path: st for st in fingerprints_to_record(found, known.stats, listed, CFG)}
    return docs, rejects, n, stats, dataclasses.replace(known, stats={**known.stats, **stats})


def test_a_file_with_its_recorded_size_and_mtime_is_unchanged_without_being_read(tmp_path, monkeypatch):
    import dataclasses

    import tasks.ingest as ingest_module

    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text("First article text, long enough to be a document of its own.")
    b.write_text("Second article text, also long enough to be a document.")
    _aged(a), _aged(b)
    docs, _, _, stats, _ = _fingerprinted(tmp_path, _finished([]))
    assert len(docs) == 2 and {st.source_id for st in stats.values()} == {"a.txt", "b.txt"}
    assert {st.content_sha256 for st in stats.values()} == {d.content_sha256 for d in docs}
    known = dataclasses.replace(_finished(docs), stats=stats)
    reads = []
    real = ingest_module.read_bytes
    monkeypatch.setattr(ingest_module, "read_bytes", lambda path, cfg, name=None: reads.append(path) or real(path, cfg, name))
    docs2, rejects2, unchanged = ingest(list_inputs([tmp_path]), CFG, known)
    assert (docs2, rejects2, unchanged, reads) == ([], [], 2, [])
    # the same fingerprint with a hash no run finished decides nothing: the file is read
    only_a = dataclasses.replace(known, files=frozenset(k for k in known.files if k[0] == "a.txt"))
    docs3, _, unchanged3 = ingest(list_inputs([tmp_path]), CFG, only_a)
    assert [d.source_id for d in docs3] == ["b.txt"] and unchanged3 == 1 and len(reads) == 1


def test_a_touched_but_identical_file_is_read_found_unchanged_and_its_new_mtime_recorded(tmp_path):
    import dataclasses
    import os

    a = tmp_path / "a.txt"
    a.write_text("First article text, long enough to be a document of its own.")
    _aged(a, 120)
    docs, _, _, stats, _ = _fingerprinted(tmp_path, _finished([]))
    known = dataclasses.replace(_finished(docs), stats=stats)
    old = stats[str(a)]
    os.utime(a, ns=(old.mtime_ns, old.mtime_ns + 30 * 10**9))  # touched, still older than the listing
    docs2, rejects2, unchanged, stats2, _ = _fingerprinted(tmp_path, known)
    assert (docs2, rejects2, unchanged) == ([], [], 1)
    assert stats2[str(a)].mtime_ns == old.mtime_ns + 30 * 10**9 and stats2[str(a)].content_sha256 == old.content_sha256
    # same size, other bytes, other mtime: read, a changed document
    a.write_text("First article text, long enough to be a document of its OWN.")
    _aged(a, 10)
    docs3, _, unchanged3 = ingest(list_inputs([tmp_path]), CFG, known)
    assert len(docs3) == 1 and docs3[0].content_sha256 != old.content_sha256 and unchanged3 == 0


def test_fingerprints_are_recorded_only_for_files_older_than_the_listing_and_not_unreadable_ones(tmp_path):
    import time

    from tasks.ingest import fingerprints_to_record

    old, new, empty = tmp_path / "old.txt", tmp_path / "new.txt", tmp_path / "empty.txt"
    old.write_text("An article written a while ago, long enough to be a document.")
    _aged(old)
    new.write_text("An article written just now, in the same clock tick as the run.")
    empty.write_text("")
    _aged(empty)
    found: dict = {}
    docs, rejects, _ = ingest(list_inputs([tmp_path]), CFG, stats=found)
    assert len(docs) == 2 and [r.reason for r in rejects] == ["empty_input"]
    assert set(found) == {str(old), str(new), str(empty)}  # a reject's hash decides its re-run too
    recorded = fingerprints_to_record(found, {}, time.time_ns(), CFG)
    assert [st.source_id for st in recorded] == ["empty.txt", "old.txt"]  # not the one written now
    assert fingerprints_to_record(found, {st.path: st for st in recorded}, time.time_ns(), CFG) == []  # stored as is


def test_a_finished_jsonl_file_with_its_recorded_fingerprint_is_not_hashed(tmp_path, monkeypatch):
    import dataclasses

    import tasks.ingest as ingest_module
    from tasks.ingest import InputDone, Known, iter_units

    path = tmp_path / "records.jsonl"
    path.write_text(json.dumps({"id": "r1", "text": "A record about a launch, long enough to be a document."}) + "\n")
    _aged(path)
    found: dict = {}
    units = list(iter_units(list_inputs([tmp_path]), CFG, Known(), found))
    done = next(u for u in units if isinstance(u, InputDone))
    assert found[str(path)].content_sha256 == done.content_sha256
    known = Known(inputs={(done.source_id, done.content_sha256): done.n_records}, stats=found)
    hashed = []
    real = ingest_module.file_sha256
    monkeypatch.setattr(ingest_module, "file_sha256", lambda p: hashed.append(p) or real(p))
    again = list(iter_units(list_inputs([tmp_path]), CFG, known))
    assert [(u.source_id, u.n) for u in again] == [("records.jsonl", 1)] and hashed == []
    # a bigger file under the same path: hashed and read again
    with path.open("a") as fh:
        fh.write(json.dumps({"id": "r2", "text": "A second record, also long enough to be a document."}) + "\n")
    again = list(iter_units(list_inputs([tmp_path]), CFG, dataclasses.replace(known)))
    assert hashed == [str(path)] and sum(isinstance(u, ingest_module.RecordUnit) for u in again) == 2

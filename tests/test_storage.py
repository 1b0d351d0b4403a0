import json
from datetime import UTC, datetime

import duckdb
import pandas as pd
import polars as pl
import pyarrow as pa
import pytest
from deltalake import DeltaTable

from tasks.schema import SchemaError, record_hash, to_table
from tasks.storage import TABLE_CONFIGURATION, Warehouse, WarehouseError, dedupe_on_keys


def seg(doc_id, seq, text, run_id="r1"):
    row = {"doc_id": doc_id, "seq": seq, "label": "content", "text": text, "reason": "paragraph", "run_id": run_id}
    row["record_hash"] = record_hash(row)
    return row


def test_merge_is_idempotent_and_versions_carry_run_ids(tmp_path):
    wh = Warehouse(str(tmp_path))
    rows = [seg("a", 0, "x"), seg("a", 1, "y"), seg("b", 0, "z")]
    m1 = wh.merge("segments", to_table("segments", rows), "r1")
    assert m1["num_target_rows_inserted"] == 3
    v1 = wh.version("segments")
    m2 = wh.merge("segments", to_table("segments", [seg("a", 0, "x", "r2"), seg("a", 1, "y", "r2"), seg("b", 0, "z", "r2")]), "r2")
    assert m2["num_target_rows_inserted"] == 0 and m2["num_target_rows_updated"] == 0
    assert wh.read("segments").num_rows == 3
    assert wh.history("segments")[0]["newslake.run_id"] in ("r1", "r2")
    assert wh.version("segments") >= v1
    # a changed row is updated, not added
    wh.merge("segments", to_table("segments", [seg("a", 1, "y2", "r3")]), "r3")
    t = wh.read("segments").to_pandas().set_index(["doc_id", "seq"])
    assert t.loc[("a", 1), "text"] == "y2" and len(t) == 3


def test_merge_deletes_stale_children_of_changed_documents(tmp_path):
    wh = Warehouse(str(tmp_path))
    wh.merge("segments", to_table("segments", [seg("a", 0, "x"), seg("a", 1, "y"), seg("b", 0, "z")]), "r1")
    wh.merge("segments", to_table("segments", [seg("a", 0, "x2")]), "r2", stale=("doc_id", ["a"]))
    t = wh.read("segments").to_pylist()
    assert sorted((r["doc_id"], r["seq"], r["text"]) for r in t) == [("a", 0, "x2"), ("b", 0, "z")]


def test_duplicate_keys_in_source_are_collapsed(tmp_path):
    wh = Warehouse(str(tmp_path))
    table = to_table("segments", [seg("a", 0, "first"), seg("a", 0, "second")])
    assert dedupe_on_keys(table, ("doc_id", "seq")).column("text").to_pylist() == ["second"]
    wh.merge("segments", table, "r1")
    assert wh.read("segments").column("text").to_pylist() == ["second"]


def test_schema_checked_before_write(tmp_path):
    wh = Warehouse(str(tmp_path))
    bad = pa.table({"doc_id": ["a"], "seq": ["0"]})
    with pytest.raises(SchemaError, match="segments"):
        wh.merge("segments", bad, "r1")
    assert not wh.exists("segments") or wh.read("segments").num_rows == 0


def test_tables_keep_old_versions_readable(tmp_path):
    wh = Warehouse(str(tmp_path))
    wh.merge("segments", to_table("segments", [seg("a", 0, "v1")]), "r1")
    v = wh.version("segments")
    wh.merge("segments", to_table("segments", [seg("a", 0, "v2")]), "r2")
    dt = DeltaTable(wh.uri("segments"))
    assert dt.metadata().configuration["delta.logRetentionDuration"] == TABLE_CONFIGURATION["delta.logRetentionDuration"]
    assert wh.read("segments", version=v).column("text").to_pylist() == ["v1"]
    assert wh.read("segments").column("text").to_pylist() == ["v2"]


def test_runs_pin_consistent_versions(tmp_path):
    wh = Warehouse(str(tmp_path))
    wh.merge("segments", to_table("segments", [seg("a", 0, "v1")]), "r1")
    now = datetime.now(UTC)
    row = {"run_id": "r1", "flow_run_id": None, "started_at": now, "finished_at": now, "status": "completed",
           "params": "{}", "counts": "{}", "table_versions": f'{{"segments": {wh.version("segments")}}}'}
    wh.append("runs", to_table("runs", [row]), "r1")
    wh.merge("segments", to_table("segments", [seg("a", 0, "v2")]), "r2")  # a later, unpublished write
    pinned = wh.table_at_run("segments", "r1")
    assert pinned.to_pyarrow_table().column("text").to_pylist() == ["v1"]
    assert wh.run()["run_id"] == "r1"
    with pytest.raises(WarehouseError, match="nope"):
        wh.run("nope")


def test_the_latest_run_is_the_one_published_last_not_the_one_started_last(tmp_path):
    """Issue 19.4: run B starts after run A but publishes first; once A publishes, A is the latest."""
    wh = Warehouse(str(tmp_path))
    t0 = datetime(2026, 1, 1, tzinfo=UTC)

    def publish(run_id: str, started_minute: int, segments_version: int) -> None:
        row = {"run_id": run_id, "flow_run_id": None, "started_at": t0.replace(minute=started_minute), "finished_at": datetime.now(UTC),
               "status": "completed", "params": "{}", "counts": "{}", "table_versions": f'{{"segments": {segments_version}}}'}
        wh.append("runs", to_table("runs", [row]), run_id)

    wh.merge("segments", to_table("segments", [seg("a", 0, "v1")]), "B")
    publish("B", 5, wh.version("segments"))  # started later, finished first
    assert wh.run()["run_id"] == "B"
    wh.merge("segments", to_table("segments", [seg("b", 0, "v1")]), "A")
    publish("A", 1, wh.version("segments"))
    assert [r["run_id"] for r in wh.runs()] == ["B", "A"] and wh.run()["run_id"] == "A"
    assert wh.arrow("segments").num_rows == 2  # readers see what both published


def test_read_back_with_every_reader(tmp_path):
    wh = Warehouse(str(tmp_path))
    wh.merge("segments", to_table("segments", [seg("a", 0, "x"), seg("b", 0, "z")]), "r1")
    dt = DeltaTable(wh.uri("segments"))
    assert len(dt.to_pandas()) == 2
    assert pd.DataFrame(dt.to_pyarrow_table().to_pandas()).shape[0] == 2
    con = duckdb.connect()
    con.register("segments", dt.to_pyarrow_dataset())
    assert con.execute("select count(*) from segments").fetchall() == [(2,)]
    assert pl.read_delta(wh.uri("segments")).height == 2


def test_missing_table_error_names_it(tmp_path):
    with pytest.raises(WarehouseError, match="documents"):
        Warehouse(str(tmp_path)).table("documents")


def test_duckdb_filters_work_on_merge_written_tables(tmp_path):
    """delta-rs merges write string_view Parquet; Warehouse.dataset keeps DuckDB's filter pushdown working."""
    wh = Warehouse(str(tmp_path))
    wh.merge("segments", to_table("segments", [seg("a", 0, "x"), seg("b", 0, "z")]), "r1")
    con = duckdb.connect()
    con.register("segments", wh.dataset("segments"))
    assert con.execute("select seq from segments where doc_id = 'b'").fetchall() == [(0,)]
    now = datetime.now(UTC)
    row = {"run_id": "r1", "flow_run_id": None, "started_at": now, "finished_at": now, "status": "completed",
           "params": "{}", "counts": "{}", "table_versions": f'{{"segments": {wh.version("segments")}}}'}
    wh.append("runs", to_table("runs", [row]), "r1")
    con2 = wh.duckdb()
    assert con2.execute("select text from segments where doc_id = 'a'").fetchall() == [("x",)]
    assert con2.execute("select count(*) from runs where status = 'completed'").fetchall() == [(1,)]


def test_write_stream_appends_first_then_merges_in_one_commit_per_call(tmp_path):
    wh = Warehouse(str(tmp_path))
    calls = []

    def chunks(rows, size=2):
        def make():
            calls.append(1)
            for i in range(0, len(rows), size):
                yield to_table("segments", rows[i : i + size])

        return make

    first = [seg("a", i, f"t{i}") for i in range(5)]
    assert wh.write_stream("segments", chunks(first), "r1") == 5
    assert wh.version("segments") == 1  # created (v0), one append (v1)
    assert wh.history("segments")[0]["operation"] == "WRITE"
    # second call: a merge of a stream: one changed row updated, one new inserted, unchanged untouched
    second = [seg("a", 0, "t0", "r2"), seg("a", 1, "changed", "r2"), seg("b", 0, "new", "r2")]
    assert wh.write_stream("segments", chunks(second), "r2") == 3
    assert wh.version("segments") == 2 and wh.history("segments")[0]["operation"] == "MERGE"
    t = {(r["doc_id"], r["seq"]): r for r in wh.read("segments").to_pylist()}
    assert len(t) == 6 and t[("a", 1)]["text"] == "changed" and t[("b", 0)]["run_id"] == "r2"
    assert t[("a", 0)]["run_id"] == "r1"  # same record_hash: not rewritten
    # stale children of a changed document go, as with `merge`
    wh.write_stream("segments", chunks([seg("a", 0, "t0", "r3")]), "r3", stale=("doc_id", ["a"]))
    assert sorted(k for k in {(r["doc_id"], r["seq"]) for r in wh.read("segments").to_pylist()}) == [("a", 0), ("b", 0)]
    # nothing to write: no empty commit
    v = wh.version("segments")
    assert wh.write_stream("segments", chunks([]), "r4") == 0 and wh.version("segments") == v


def test_write_stream_checks_every_chunk_and_leaves_the_table_as_it_was(tmp_path):
    wh = Warehouse(str(tmp_path))
    wh.write_stream("segments", lambda: iter([to_table("segments", [seg("a", 0, "x")])]), "r1")
    v = wh.version("segments")

    def bad():
        yield to_table("segments", [seg("b", 0, "y")])
        yield pa.table({"doc_id": ["c"], "seq": ["0"]})  # a later chunk breaks the contract

    with pytest.raises(SchemaError, match="segments"):
        wh.write_stream("segments", bad, "r2")
    assert wh.version("segments") == v and wh.read("segments").column("doc_id").to_pylist() == ["a"]


def test_write_stream_refuses_a_key_repeated_across_chunks(tmp_path):
    wh = Warehouse(str(tmp_path))
    chunks = [to_table("segments", [seg("a", 0, "x")]), to_table("segments", [seg("b", 0, "y"), seg("a", 0, "x2")])]
    with pytest.raises(WarehouseError, match=r"segments.*\('a', 0\)"):
        wh.write_stream("segments", lambda: iter(chunks), "r1")
    assert wh.read("segments").num_rows == 0


def index_rows(n, run_id="r1"):
    from datetime import date

    rows = []
    for i in range(n):
        row = {
            "doc_id": f"doc-{i:05d}",
            "text_hash": f"{i * 7919:016x}",
            "n_words": 10 + i % 50,
            "published_date": None if i % 3 == 0 else date(2020 + i % 7, 1 + i % 12, 1 + i % 28),
            "signature": bytes(8),
            "canonical_doc_id": f"doc-{i - i % 4:05d}",
            "run_id": run_id,
        }
        row["record_hash"] = record_hash({k: (v.hex() if isinstance(v, bytes) else v) for k, v in row.items()})
        rows.append(row)
    return rows


def _add_actions(table_dir):
    out = []
    for log in sorted((table_dir / "_delta_log").glob("*.json")):
        out += [json.loads(line)["add"] for line in log.read_text().splitlines() if '"add"' in line]
    return out


def test_local_appends_carry_the_file_statistics_delta_rs_writes(tmp_path):
    from deltalake import write_deltalake

    data = to_table("dedup_index", index_rows(300))
    wh = Warehouse(str(tmp_path / "ours"))
    wh.append("dedup_index", data, "r1")
    write_deltalake(str(tmp_path / "ref"), data)  # delta-rs's own writer, same rows
    (ours,), (ref,) = _add_actions(tmp_path / "ours" / "dedup_index"), _add_actions(tmp_path / "ref")
    ours, ref = json.loads(ours["stats"]), json.loads(ref["stats"])
    assert ours["numRecords"] == ref["numRecords"] == 300
    columns = {"doc_id", "text_hash", "n_words", "published_date", "canonical_doc_id", "run_id", "record_hash"}
    for part in ("minValues", "maxValues", "nullCount"):
        assert set(ours[part]) == columns, part
        assert {c: ref[part][c] for c in columns} == ours[part], part
    assert ours["nullCount"]["published_date"] == 100
    assert wh.read("dedup_index").sort_by("doc_id").equals(data.sort_by("doc_id"))


def test_local_append_rolls_files_and_removes_them_when_a_chunk_fails(tmp_path, monkeypatch):
    from tasks import storage

    monkeypatch.setattr(storage, "FILE_TARGET_BYTES", 1)  # every batch closes its file
    wh = Warehouse(str(tmp_path))
    rows = index_rows(30)
    chunks = [to_table("dedup_index", rows[i : i + 10]) for i in range(0, 30, 10)]
    assert wh.write_stream("dedup_index", lambda: iter(chunks), "r1") == 30
    adds = _add_actions(tmp_path / "dedup_index")
    assert wh.version("dedup_index") == 1 and len(adds) == 3  # three files, one commit
    assert [json.loads(a["stats"])["numRecords"] for a in adds] == [10, 10, 10]
    assert sorted(wh.read("dedup_index").column("doc_id").to_pylist()) == [r["doc_id"] for r in rows]

    def bad():
        yield to_table("segments", [seg("b", 0, "y")])
        yield pa.table({"doc_id": ["c"], "seq": ["0"]})  # breaks the contract after a file was written

    with pytest.raises(SchemaError, match="segments"):
        wh.write_stream("segments", bad, "r1")
    assert wh.version("segments") == 0 and wh.read("segments").num_rows == 0
    assert list((tmp_path / "segments").glob("*.parquet")) == []  # the written file is gone


def test_file_statistics_leave_out_bounds_of_long_text(tmp_path):
    wh = Warehouse(str(tmp_path))
    long_text = "é" * 40 + " a paragraph"  # 92 bytes
    wh.append("segments", to_table("segments", [seg("a" * 70, 0, long_text), seg("b", 1, "short")]), "r1")
    (add,) = _add_actions(tmp_path / "segments")
    stats = json.loads(add["stats"])
    assert "text" not in stats["minValues"] and "text" not in stats["maxValues"]  # the longest text is 92 bytes
    assert stats["minValues"]["doc_id"] == "a" * 64 and stats["maxValues"]["doc_id"] == "b"  # a 64-byte prefix bounds it
    assert stats["minValues"]["seq"] == 0 and stats["maxValues"]["seq"] == 1 and stats["nullCount"]["text"] == 0
    assert wh.read("segments").num_rows == 2

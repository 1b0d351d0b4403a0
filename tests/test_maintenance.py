"""Warehouse maintenance without Prefect: vacuum keeps what published runs read, optimize and rollback
publish new versions as maintenance runs, the schema check names what to run, DuckDB is sandboxed."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import duckdb
import pyarrow as pa
import pytest
from deltalake import DeltaTable

from tasks.schema import TABLES, record_hash, to_table
from tasks.storage import Warehouse, WarehouseError, recorded_schema, schema_fingerprint


def seg(doc_id, seq, text, run_id):
    row = {"doc_id": doc_id, "seq": seq, "label": "content", "text": text, "reason": "paragraph", "run_id": run_id}
    row["record_hash"] = record_hash(row)
    return row


def publish(wh: Warehouse, run_id: str, finished: datetime | None = None) -> dict:
    now = finished or datetime.now(UTC)
    versions = {"segments": wh.version("segments")}
    row = {"run_id": run_id, "flow_run_id": None, "started_at": now, "finished_at": now, "status": "completed",
           "params": "{}", "counts": json.dumps({"documents": 1}), "table_versions": json.dumps(versions)}
    wh.append("runs", to_table("runs", [row]), run_id)
    return versions


def texts(wh: Warehouse, run_id: str | None = None) -> list[str]:
    return sorted(wh.arrow("segments", run_id).column("text").to_pylist())


@pytest.fixture
def three_runs(tmp_path):
    """Runs r1, r2, r3 each rewrite segment a/0; between r2 and r3 an unpublished intermediate write."""
    wh = Warehouse(str(tmp_path / "wh"))
    old = datetime.now(UTC) - timedelta(days=40)
    wh.merge("segments", to_table("segments", [seg("a", 0, "one", "r1"), seg("b", 0, "bee", "r1")]), "r1")
    publish(wh, "r1", old)
    wh.merge("segments", to_table("segments", [seg("a", 0, "two", "r2")]), "r2")
    publish(wh, "r2", old + timedelta(days=1))
    wh.merge("segments", to_table("segments", [seg("a", 0, "between", "r3")]), "r3")
    wh.merge("segments", to_table("segments", [seg("a", 0, "three", "r3")]), "r3")
    publish(wh, "r3")
    return wh


def test_vacuum_keeps_every_published_run_readable_by_default(three_runs):
    wh = three_runs
    removed = wh.vacuum()
    assert removed["segments"] == 1  # only the file of the unpublished intermediate version
    for rid, want in (("r1", ["bee", "one"]), ("r2", ["bee", "two"]), ("r3", ["bee", "three"])):
        assert texts(wh, rid) == want
    assert wh.vacuum()["segments"] == 0  # nothing left to remove


def test_vacuum_retention_drops_old_runs_but_never_the_latest(three_runs):
    wh = three_runs
    assert wh.vacuum(keep_runs=1, dry_run=True)["segments"] == 3
    assert texts(wh, "r1") == ["bee", "one"]  # dry run removed nothing
    wh.vacuum(keep_runs=1)
    assert texts(wh, "r3") == ["bee", "three"]
    with pytest.raises(Exception):  # noqa: B017 - deltalake raises its own error for a file that is gone
        texts(wh, "r1")


def test_vacuum_by_age_keeps_recent_runs(three_runs):
    wh = three_runs
    kept = [r["run_id"] for r in wh.kept_runs(older_than_days=7)]
    assert kept == ["r3"]
    kept = [r["run_id"] for r in wh.kept_runs(older_than_days=60)]
    assert kept == ["r1", "r2", "r3"]
    wh.vacuum(older_than_days=39.5)  # r2 finished 39 days ago, r1 40
    assert texts(wh, "r2") == ["bee", "two"] and texts(wh, "r3") == ["bee", "three"]


def test_rollback_restores_a_runs_versions_as_a_new_version(three_runs):
    wh = three_runs
    before = wh.version("segments")
    out = wh.rollback("r1")
    assert wh.version("segments") == before + 1  # history kept: a new version, not a rewind
    assert texts(wh) == ["bee", "one"]  # readers of the latest published run see r1's data
    latest = wh.run()
    assert latest["run_id"] == out["run_id"] and json.loads(latest["params"])["operation"] == "rollback"
    assert json.loads(latest["counts"]) == {"documents": 1}
    assert texts(wh, "r3") == ["bee", "three"]  # and r3 is still readable
    with pytest.raises(WarehouseError, match="nope"):
        wh.rollback("nope")


def test_optimize_compacts_and_publishes_same_rows(three_runs):
    wh = three_runs
    for i in range(3):  # appends of new keys: one small file each
        wh.append("segments", to_table("segments", [seg(f"n{i}", 0, f"new {i}", "r4")]), "r4")
    publish(wh, "r4")
    n_files = len(DeltaTable(wh.uri("segments")).file_uris())
    rows = texts(wh)
    out = wh.optimize()
    assert out["tables"]["segments"]["files_removed"] >= 2
    assert len(DeltaTable(wh.uri("segments")).file_uris()) < n_files
    assert texts(wh) == rows and wh.run()["run_id"] == out["run_id"]


def test_optimize_refuses_unpublished_commits(three_runs):
    wh = three_runs
    wh.merge("segments", to_table("segments", [seg("c", 0, "killed", "r4")]), "r4")  # a killed run's commit
    with pytest.raises(WarehouseError, match="segments.*newslake run"):
        wh.optimize()


def test_row_counts_come_from_the_log(three_runs):
    assert three_runs.row_counts(["segments"]) == {"segments": 2}
    assert three_runs.row_counts(["segments"], "r1") == {"segments": 2}


def test_schema_version_recorded_and_checked(tmp_path):
    wh = Warehouse(str(tmp_path / "wh"))
    wh.ensure("segments")
    assert recorded_schema(DeltaTable(wh.uri("segments"))) == schema_fingerprint(TABLES["segments"].schema)
    status = {s["table"]: s for s in wh.schema_status()}
    assert status["segments"]["status"] == "ok" and status["documents"]["status"] == "missing"


def _old_table(wh: Warehouse, table: str, drop: str, extra: pa.Field | None = None) -> None:
    """Create `table` as an older newslake would have: without column `drop` (and with `extra`)."""
    fields = [f for f in TABLES[table].schema if f.name != drop] + ([extra] if extra else [])
    DeltaTable.create(wh.uri(table), schema=pa.schema(fields))


def test_upgrade_adds_new_nullable_columns(tmp_path):
    wh = Warehouse(str(tmp_path / "wh"))
    new = next(f.name for f in TABLES["documents"].schema if f.nullable)
    _old_table(wh, "documents", drop=new)
    status = {s["table"]: s for s in wh.schema_status()}
    assert status["documents"]["status"] == "upgradable" and new in status["documents"]["detail"]
    assert status["documents"]["recorded"] is None
    assert wh.upgrade() == ["documents"]
    status = {s["table"]: s for s in wh.schema_status()}
    assert status["documents"]["status"] == "ok"
    assert status["documents"]["recorded"] == status["documents"]["contract"]
    assert new in DeltaTable(wh.uri("documents")).schema().to_arrow().names


def test_incompatible_table_tells_the_user_to_rebuild(tmp_path):
    wh = Warehouse(str(tmp_path / "wh"))
    _old_table(wh, "segments", drop="label", extra=pa.field("old_column", pa.string()))
    status = {s["table"]: s for s in wh.schema_status()}
    assert status["segments"]["status"] == "incompatible"
    assert "old_column" in status["segments"]["detail"] and "label" in status["segments"]["detail"]
    with pytest.raises(WarehouseError, match="Rebuild"):
        wh.upgrade()


@pytest.mark.parametrize(
    "sql",
    [
        "select * from read_csv('/etc/passwd')",
        "select * from glob('/etc/*')",
        "copy (select 1 as x) to '{tmp}/out.csv'",
        "attach '{tmp}/other.duckdb' as other",
        "install httpfs",
        "load httpfs",
        "set enable_external_access = true",
    ],
)
def test_duckdb_refuses_files_and_extensions(three_runs, tmp_path, sql):
    con = three_runs.duckdb()
    assert con.sql("select count(*) from segments").fetchall() == [(2,)]
    with pytest.raises((duckdb.PermissionException, duckdb.InvalidInputException)):
        con.execute(sql.format(tmp=tmp_path))
    assert not (tmp_path / "out.csv").exists() and not (tmp_path / "other.duckdb").exists()


def test_duckdb_allow_files_opens_them_again(three_runs, tmp_path):
    con = three_runs.duckdb(allow_files=True)
    con.execute(f"copy (select * from segments) to '{tmp_path}/out.csv'")
    assert (tmp_path / "out.csv").read_text().count("\n") == 3


def _index_rows(wh: Warehouse, run_id: str = "r1") -> None:
    """Two documents' dedup_index rows, signed by this newslake."""
    from tasks.config import DedupConfig
    from tasks.dedup import DedupInput, index_row, sign

    words = " ".join(f"word{i}" for i in range(60))
    entries = sign([DedupInput("a", words, None), DedupInput("b", words + " more", None)], DedupConfig())
    wh.merge("dedup_index", to_table("dedup_index", [index_row(e, run_id) for e in entries]), run_id)


def test_index_signature_scheme_recorded_and_checked(tmp_path):
    from tasks.config import DedupConfig
    from tasks.dedup import signature_scheme

    scheme = signature_scheme(DedupConfig())
    wh = Warehouse(str(tmp_path / "wh"))
    _index_rows(wh)  # an index written before schemes were recorded (or by an earlier newslake)
    status = {s["table"]: s for s in wh.schema_status(scheme)}
    assert status["dedup_index"]["status"] == "incompatible"
    assert "not recorded" in status["dedup_index"]["detail"] and scheme in status["dedup_index"]["detail"]
    assert {s["table"]: s for s in wh.schema_status()}["dedup_index"]["status"] == "ok"  # columns alone match

    wh.record_signatures(scheme)
    assert wh.signatures() == scheme
    assert recorded_schema(DeltaTable(wh.uri("dedup_index"))) == schema_fingerprint(TABLES["dedup_index"].schema)
    assert {s["table"]: s for s in wh.schema_status(scheme)}["dedup_index"]["status"] == "ok"

    other = signature_scheme(DedupConfig(seed=2))
    status = {s["table"]: s for s in wh.schema_status(other)}
    assert status["dedup_index"]["status"] == "incompatible" and f"scheme {scheme}" in status["dedup_index"]["detail"]


def test_upgrade_keeps_the_recorded_signature_scheme(tmp_path):
    wh = Warehouse(str(tmp_path / "wh"))
    fields = [f for f in TABLES["dedup_index"].schema if f.name != "published_date"]
    DeltaTable.create(wh.uri("dedup_index"), schema=pa.schema(fields))  # an older contract
    wh.record_signatures("oph1-k2-p128-s1")
    assert wh.upgrade() == ["dedup_index"]
    assert wh.signatures() == "oph1-k2-p128-s1"
    assert recorded_schema(DeltaTable(wh.uri("dedup_index"))) == schema_fingerprint(TABLES["dedup_index"].schema)

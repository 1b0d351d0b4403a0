from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow as pa
import pytest

from tasks.schema import TABLES, SchemaError, check_table, record_hash, to_table

ROOT = Path(__file__).resolve().parent.parent


def _runs_row(**kw):
    row = {
        "run_id": "r1",
        "flow_run_id": None,
        "started_at": datetime(2026, 1, 1, tzinfo=UTC),
        "finished_at": datetime(2026, 1, 1, tzinfo=UTC),
        "status": "completed",
        "params": "{}",
        "counts": "{}",
        "table_versions": "{}",
    }
    row.update(kw)
    return row


def test_to_table_builds_contract_types():
    t = to_table("runs", [_runs_row()])
    assert t.schema.field("started_at").type == pa.timestamp("us", tz="UTC")
    assert t.num_rows == 1


@pytest.mark.parametrize(
    ("table", "column", "value"),
    [
        ("segments", "seq", "42"),  # deltalake would cast "42" -> 42
        ("segments", "seq", 3.7),  # and 3.7 -> 3
        ("segments", "seq", True),
        ("documents", "published_date", datetime(2020, 1, 1)),
        ("duplicates", "similarity", "0.9"),
    ],
)
def test_to_table_refuses_wrong_python_types(table, column, value):
    row = {c: None for c in TABLES[table].column_names}
    row[column] = value
    with pytest.raises(SchemaError, match=f"{table}.*{column}"):
        to_table(table, [row])


def test_check_table_names_missing_column_and_nulls():
    t = to_table("runs", [_runs_row()])
    with pytest.raises(SchemaError, match="missing columns \\['status'\\]"):
        check_table("runs", t.drop(["status"]))
    bad = t.set_column(t.schema.get_field_index("status"), "status", pa.array([None], pa.string()))
    with pytest.raises(SchemaError, match="status.*null"):
        check_table("runs", bad)


def test_record_hash_ignores_run_id_and_timestamps():
    a = {"doc_id": "d", "text": "x", "run_id": "r1", "ingested_at": datetime.now(UTC)}
    b = {"doc_id": "d", "text": "x", "run_id": "r2", "ingested_at": datetime(2000, 1, 1)}
    c = {"doc_id": "d", "text": "y", "run_id": "r1"}
    assert record_hash(a) == record_hash(b)
    assert record_hash(a) != record_hash(c)


def test_every_table_has_described_columns_and_keys():
    for name, spec in TABLES.items():
        assert spec.keys and all(k in spec.column_names for k in spec.keys), name
        for col, _typ, _null, desc in spec.columns:
            assert len(desc) > 5, (name, col)
    assert date  # imported for parametrized types


def test_warehouse_readme_documents_every_table_and_column():
    from pathlib import Path

    from tasks.schema import QUARANTINE_REASONS, markdown_catalog

    readme = (Path(__file__).resolve().parent.parent / "warehouse" / "README.md").read_text()
    start, end = readme.index("<!-- catalog:start"), readme.index("<!-- catalog:end -->")
    section = readme[readme.index("\n", start) + 1 : end]
    assert section == markdown_catalog(), "warehouse/README.md is stale: regenerate with `python -m tasks.schema`"
    for name, spec in TABLES.items():
        for col in spec.column_names:
            assert f"| `{col}` |" in section, (name, col)
    for reason in QUARANTINE_REASONS:
        assert f"| `{reason}` |" in readme


def test_every_event_type_is_documented_with_an_example():
    from tasks.schema import EVENT_ONTOLOGY

    text = (ROOT / "warehouse" / "README.md").read_text(encoding="utf-8")
    for etype, (plover, cameo) in EVENT_ONTOLOGY.items():
        row = next((line for line in text.splitlines() if line.startswith(f"| `{etype}` |")), None)
        assert row is not None, etype
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert cells[1] == (plover or "—") and cells[2] == (cameo or "—") and len(cells[3]) > 20, row

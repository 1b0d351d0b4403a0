"""End-to-end: real Prefect flow runs (ephemeral API) into temporary warehouses on seeds/ and fixtures."""

import contextlib
import json
import os
import shutil
import subprocess
import sys

import duckdb
import polars as pl
import pytest
from conftest import DATA, GOLD, RUN_DATE, SEEDS
from deltalake import DeltaTable
from quality import ngram_f1

from flows.cli import main
from flows.pipeline import RejectBudgetExceeded, news_pipeline
from tasks.config import DedupConfig
from tasks.dedup import signature_scheme
from tasks.schema import TABLES
from tasks.storage import Warehouse, WarehouseError

pytestmark = pytest.mark.slow
GOLD_CLEAN = json.loads((GOLD / "seeds_clean.json").read_text())["documents"]
CONTENT_TABLES = ("documents", "segments", "duplicates", "events", "event_mentions")


def _counts(wh: Warehouse) -> dict[str, int]:
    return {t: wh.read(t).num_rows for t in TABLES}


def test_seed_run_writes_every_table(seed_run):
    wh_dir, summary = seed_run
    wh = Warehouse(str(wh_dir))
    counts = _counts(wh)
    assert summary["status"] == "completed"
    assert counts["documents"] == 5 and counts["quarantine"] == 0 and counts["runs"] == 1
    assert counts["segments"] > 50 and counts["duplicates"] == 5 and counts["dedup_index"] == 5
    assert counts["events"] >= 5 and counts["event_mentions"] >= counts["events"] and counts["entities"] > 0
    run = wh.run()
    versions = json.loads(run["table_versions"])
    assert set(CONTENT_TABLES) <= set(versions)
    assert json.loads(run["counts"])["documents"] == 5
    assert json.loads(run["params"])["run_date"] == RUN_DATE
    # every row carries the run that wrote it
    for t in CONTENT_TABLES:
        assert set(wh.read(t, columns=["run_id"]).column("run_id").to_pylist()) == {summary["run_id"]}, t


def test_seed_run_quality_floors(seed_run):
    wh = Warehouse(str(seed_run[0]))
    docs = {r["source_id"]: r for r in wh.read("documents").to_pylist()}
    f1 = [ngram_f1(docs[sid]["clean_text"], g["clean_text"])[2] for sid, g in GOLD_CLEAN.items()]
    assert sum(f1) / len(f1) >= 0.90
    _, recall, _ = ngram_f1(docs["001_d90a3442fa7c3b49.txt"]["comments_text"], GOLD_CLEAN["001_d90a3442fa7c3b49.txt"]["comments_text"])
    assert recall >= 0.8
    events = wh.read("events").to_pylist()
    meeting = [e for e in events if e["event_type"] == "consult" and str(e["event_date"]) == "2021-04-01"]
    assert len(meeting) == 1 and meeting[0]["n_sources"] == 2
    assert {a["name"] for a in meeting[0]["actors"]} >= {"ESA", "CNSA"}
    mentions = wh.read("event_mentions").to_pylist()
    for m in mentions:  # offsets point into the document's clean text
        text = next(d["clean_text"] for d in docs.values() if d["doc_id"] == m["doc_id"])
        assert text[m["char_start"] : m["char_end"]] == m["sentence"]


def test_every_table_reads_back_with_pandas_duckdb_polars(seed_run):
    wh = Warehouse(str(seed_run[0]))
    for t in TABLES:
        dt = DeltaTable(wh.uri(t))
        n = len(dt.to_pandas())
        ds = dt.to_pyarrow_dataset()
        con = duckdb.connect()
        con.register(t, ds)
        assert con.execute(f"select count(*) from {t}").fetchall() == [(n,)], t
        assert pl.read_delta(wh.uri(t)).height == n, t
        assert dt.schema().to_arrow() is not None


def test_rerun_is_idempotent_and_detects_exact_duplicates(tmp_path):
    inputs = tmp_path / "in"
    shutil.copytree(SEEDS, inputs)
    shutil.copy(SEEDS / "000_268cf9d23be273d3.txt", inputs / "mirror_of_000.txt")
    wh_dir = tmp_path / "wh"
    first = news_pipeline(inputs=[str(inputs)], warehouse=str(wh_dir), run_date=RUN_DATE)
    wh = Warehouse(str(wh_dir))
    before = _counts(wh)
    dups = {r["doc_id"]: r for r in wh.read("duplicates").to_pylist()}
    docs = {r["source_id"]: r["doc_id"] for r in wh.read("documents", columns=["source_id", "doc_id"]).to_pylist()}
    a, b = dups[docs["000_268cf9d23be273d3.txt"]], dups[docs["mirror_of_000.txt"]]
    assert a["cluster_id"] == b["cluster_id"] and a["method"] == b["method"] == "exact"
    assert first["counts"]["exact_duplicates"] == 1
    # E1 is reported by 000, its mirror and 001: the mirror does not count as another source
    e1 = [e for e in wh.read("events").to_pylist() if e["event_type"] == "consult" and str(e["event_date"]) == "2021-04-01"]
    assert len(e1) == 1 and len(e1[0]["doc_ids"]) == 3 and e1[0]["n_sources"] == 2

    second = news_pipeline(inputs=[str(inputs)], warehouse=str(wh_dir), run_date=RUN_DATE)
    after = _counts(wh)
    assert second["status"] == "completed"
    assert {t: after[t] for t in CONTENT_TABLES} == {t: before[t] for t in CONTENT_TABLES}
    assert after["runs"] == before["runs"] + 1
    # content tables were not rewritten: the same version serves both runs
    v1, v2 = (json.loads(r["table_versions"]) for r in wh.runs())
    assert all(v1[t] == v2[t] for t in CONTENT_TABLES)
    # the index records its signature scheme; a run signing another way refuses to compare with it
    assert wh.signatures() == signature_scheme(DedupConfig())
    with pytest.raises(WarehouseError, match="dedup_index holds signatures of scheme oph1-k2-p128-s1, this run signs with oph1-k2-p128-s5"):
        news_pipeline(inputs=[str(inputs)], warehouse=str(wh_dir), run_date=RUN_DATE, config={"dedup": {"seed": 5}}, full_refresh=True)
    assert _counts(wh)["dedup_index"] == before["dedup_index"]


def test_bad_inputs_are_quarantined_and_accounted_for(tmp_path):
    wh_dir = tmp_path / "wh"
    summary = news_pipeline(inputs=[str(DATA)], warehouse=str(wh_dir), run_date=RUN_DATE)
    wh = Warehouse(str(wh_dir))
    q = {r["source_id"]: r for r in wh.read("quarantine").to_pylist()}
    docs = {r["source_id"] for r in wh.read("documents", columns=["source_id"]).to_pylist()}
    assert q["binary.txt"]["reason"] == "binary_content" and q["empty.txt"]["reason"] == "empty_input"
    assert q["broken.jsonl:2"]["reason"] == "malformed_json" and "line 2" in q["broken.jsonl:2"]["detail"]
    assert q["broken.jsonl:4"]["reason"] == "missing_text"
    assert "deep_nesting.html" in docs  # 400 levels deep: read (huge_tree), not quarantined for its depth
    # nothing lost: each input file, and each non-blank JSONL line, is a document or a quarantine row
    accounted = docs | set(q)
    assert {p.name for p in DATA.iterdir() if p.suffix not in (".jsonl", ".gz")} <= accounted
    # WARC: each response record is a document or a quarantine row, keyed by its WARC-Record-ID
    from warcio.archiveiterator import ArchiveIterator

    with open(DATA / "pages.warc.gz", "rb") as fh:
        ids = [r.rec_headers.get_header("WARC-Record-ID") for r in ArchiveIterator(fh) if r.rec_type == "response"]
    assert len(ids) == 3 and set(ids) <= accounted
    assert sum(i in docs for i in ids) == 2 and q[ids[2]]["reason"] == "unsupported_format"
    assert q["broken.warc.gz"]["reason"] == "undecodable"
    assert any(d.startswith("<urn:uuid:") for d in docs - set(ids))  # the record before the damage
    for p in DATA.glob("*.jsonl"):
        n_lines = sum(1 for ln in p.read_text().splitlines() if ln.strip())
        from_file = {s for s in accounted if s.startswith(p.name + ":")} | (docs & _ids(p))
        assert len(from_file) == n_lines, p.name
    assert summary["counts"]["records_in"] == len(docs) + len(q)


def _ids(path):
    out = set()
    for ln in path.read_text().splitlines():
        with contextlib.suppress(ValueError, KeyError, TypeError):
            out.add(str(json.loads(ln)["id"]))
    return out


def test_reject_budget_fails_run_after_writing_quarantine(tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    shutil.copy(DATA / "binary.txt", inputs / "binary.txt")
    shutil.copy(DATA / "empty.txt", inputs / "empty.txt")
    shutil.copy(SEEDS / "004_fd3fa128bb4be166.txt", inputs / "good.txt")
    wh_dir = tmp_path / "wh"
    with pytest.raises(RejectBudgetExceeded, match="2 of 3 inputs rejected"):
        news_pipeline(inputs=[str(inputs)], warehouse=str(wh_dir), run_date=RUN_DATE, config={"max_reject_share": 0.5})
    wh = Warehouse(str(wh_dir))
    assert wh.read("quarantine").num_rows == 2
    assert [r["status"] for r in wh.runs()] == ["failed"]


def test_cli_tables_history_and_errors(seed_run, capsys, tmp_path):
    wh_dir = str(seed_run[0])
    assert main(["tables", "--warehouse", wh_dir]) == 0
    out = capsys.readouterr().out
    for t in TABLES:
        assert t in out
    assert main(["history", "documents", "--warehouse", wh_dir]) == 0
    assert seed_run[1]["run_id"] in capsys.readouterr().out
    assert main(["run", "--input", str(tmp_path / "missing"), "--warehouse", str(tmp_path / "wh")]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"newslake: --input {tmp_path / 'missing'}: no such file or directory"]


@pytest.mark.parametrize("cmd", [[], ["run"], ["tables"], ["history"], ["clean"]])
def test_cli_help(cmd, capsys):
    with pytest.raises(SystemExit) as info:
        main([*cmd, "--help"])
    assert info.value.code == 0
    assert "usage: newslake" in capsys.readouterr().out


def test_cli_clean_prints_article_comments_and_json(capsys):
    assert main(["clean", str(SEEDS / "001_d90a3442fa7c3b49.txt")]) == 0
    assert capsys.readouterr().out.startswith("Europe and China discussing future space cooperation\n\n")
    assert main(["clean", "--comments", str(SEEDS / "001_d90a3442fa7c3b49.txt")]) == 0
    assert capsys.readouterr().out.startswith("This is worrisome.")
    assert main(["clean", "--json", str(SEEDS / "003_d763cce60e32b853.txt")]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["author"] == "Doug Messier" and {s["label"] for s in data["segments"]} >= {"title", "content", "metadata", "boilerplate"}


def test_cli_run_subprocess_is_clean(tmp_path):
    """`newslake run` as a user runs it: exit 0, a summary, and no ERROR line or traceback."""
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_LOGGING_LEVEL"}
    env["PREFECT_HOME"] = str(tmp_path / "prefect")
    proc = subprocess.run(
        [sys.executable, "-m", "flows.cli", "run", "--input", str(SEEDS), "--warehouse", str(tmp_path / "wh"), "--run-date", RUN_DATE],
        capture_output=True, text=True, timeout=300, env=env,
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-2000:]
    assert "ERROR" not in out and "Traceback" not in out, out[-2000:]
    assert "documents       5" in proc.stdout and "table versions" in proc.stdout


def test_readme_reading_examples_run(seed_run, monkeypatch, capsys):
    """The README's pandas / DuckDB / Polars snippets run as written against a seed warehouse."""
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    section = readme[readme.index("## Reading the tables") : readme.index("## Layout")]
    blocks = re.findall(r"```python\n(.*?)```", section, re.S)
    assert len(blocks) >= 3
    monkeypatch.chdir(seed_run[0].parent)  # the folder holding `warehouse/`
    for code in blocks:
        exec(compile(code, "README.md", "exec"), {})
    out = capsys.readouterr().out
    assert "2021-04-01" in out and "consult" in out  # the ESA-CNSA meetings are found

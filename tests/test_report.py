"""The analysts' side: the Python API at a run, `newslake query`, `newslake report` (and that scraped
text stays inert in it)."""

from __future__ import annotations

import json
import re
import shutil

import pandas as pd
import polars as pl
import pytest
from conftest import RUN_DATE, SEEDS

from flows.cli import main
from flows.pipeline import news_pipeline
from flows.report import gather, render
from tasks.storage import Warehouse, WarehouseError

pytestmark = pytest.mark.slow

ESA_CNSA_MEETINGS = (
    "select e.event_date, e.summary, d.source_id from events e join event_mentions m using (event_id) "
    "join documents d using (doc_id) where e.event_type = 'consult' "
    "and list_has_all([a.name for a in e.actors], ['ESA', 'CNSA']) order by e.event_date, d.source_id"
)


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    """Run 1 on three seeds, run 2 adds the other two: reads must be able to pin either run."""
    tmp = tmp_path_factory.mktemp("analyst")
    inputs = tmp / "in"
    inputs.mkdir()
    seeds = sorted(SEEDS.glob("*.txt"))
    for f in seeds[:3]:
        shutil.copy(f, inputs / f.name)
    wh_dir = tmp / "warehouse"
    r1 = news_pipeline(inputs=[str(inputs)], warehouse=str(wh_dir), run_date=RUN_DATE)
    for f in seeds[3:]:
        shutil.copy(f, inputs / f.name)
    r2 = news_pipeline(inputs=[str(inputs)], warehouse=str(wh_dir), run_date=RUN_DATE)
    return wh_dir, r1["run_id"], r2["run_id"]


def test_python_api_reads_tables_at_a_run(two_runs):
    wh_dir, run1, run2 = two_runs
    wh = Warehouse(str(wh_dir))
    assert [r["run_id"] for r in wh.runs()] == [run1, run2]
    assert len(wh.pandas("documents")) == 5 and len(wh.pandas("documents", run_id=run1)) == 3
    assert isinstance(wh.polars("events"), pl.DataFrame) and wh.polars("events", run_id=run1).height < wh.polars("events").height
    assert wh.dataset("documents", run_id=run1).count_rows() == 3
    con1, con2 = wh.duckdb(run1), wh.duckdb()
    assert con1.execute("select count(*) from documents").fetchall() == [(3,)]
    assert con2.execute("select count(*) from documents").fetchall() == [(5,)]
    assert len(wh.pandas("documents", version=0)) == 0
    with pytest.raises(WarehouseError, match="nope"):
        wh.pandas("events", run_id="nope")


def test_query_answers_the_analysts_question(two_runs, capsys, tmp_path):
    wh_dir, run1, _ = two_runs
    assert main(["query", ESA_CNSA_MEETINGS, "--warehouse", str(wh_dir)]) == 0
    out = capsys.readouterr().out
    assert "2021-04-01" in out and "2026-01-13" in out
    assert "000_268cf9d23be273d3.txt" in out and "001_d90a3442fa7c3b49.txt" in out and "004_fd3fa128bb4be166.txt" in out
    # pinned to run 1 (seeds 000-002): the 2026 meeting (seed 004) is not there yet
    assert main(["query", ESA_CNSA_MEETINGS, "--run", run1, "--warehouse", str(wh_dir)]) == 0
    assert "2026-01-13" not in capsys.readouterr().out
    csv = tmp_path / "m.csv"
    assert main(["query", ESA_CNSA_MEETINGS, "--format", "csv", "--output", str(csv), "--warehouse", str(wh_dir)]) == 0
    assert pd.read_csv(csv).shape[0] == 3  # 2021-04-01 from 000 and 001, 2026-01-13 from 004
    assert capsys.readouterr().out.startswith("3 rows written")
    assert main(["query", "select event_id, event_type from events", "--format", "jsonl", "--warehouse", str(wh_dir)]) == 0
    lines = [json.loads(x) for x in capsys.readouterr().out.strip().splitlines()]
    assert len({x["event_type"] for x in lines}) >= 2
    assert main(["query", "select event_id, event_type from events", "--format", "json", "--warehouse", str(wh_dir)]) == 0
    assert json.loads(capsys.readouterr().out) == lines
    pq = tmp_path / "e.parquet"
    assert main(["query", "select * from events", "--format", "parquet", "--output", str(pq), "--warehouse", str(wh_dir)]) == 0
    assert len(pd.read_parquet(pq)) == len(Warehouse(str(wh_dir)).pandas("events"))
    assert main(["query", "select * from no_such_table", "--warehouse", str(wh_dir)]) == 1


def test_report_has_summary_timeline_and_actor_table(two_runs, tmp_path, capsys):
    wh_dir, run1, run2 = two_runs
    out = tmp_path / "report.html"
    assert main(["report", "--output", str(out), "--warehouse", str(wh_dir)]) == 0
    html = out.read_text()
    events = Warehouse(str(wh_dir)).pandas("events")
    assert run2 in html and 'id="timeline"' in html
    assert html.count('<g class="event">') == events["event_date"].notna().sum()
    assert 'class="actor-matrix"' in html and "<th>CNSA</th>" in html and "<th>ESA</th>" in html
    assert re.search(r"<script", html, re.I) is None
    assert re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html, re.I) is None  # nothing fetched at view time
    old = render(gather(Warehouse(str(wh_dir)), run1))
    assert run1 in old and old.count('<g class="event">') < html.count('<g class="event">')


def test_report_stays_inert_with_hostile_pages(tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    payload = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    (inputs / "evil.txt").write_text(
        f"ESA and CNSA {payload} Sign A Pact\n\n"
        f"On March 3, 2021 ESA and CNSA signed an agreement in Paris {payload} about lunar science and data exchange.\n"
    )
    (inputs / "evil.html").write_text(
        f"<html><head><title>{payload.replace('<', '&lt;')} Evil page</title></head><body><article><h1>Evil &lt;script&gt;alert(2)&lt;/script&gt;</h1>"
        f"<p>On March 4, 2021 NASA and JAXA signed a memorandum in Tokyo &lt;img src=x onerror=alert(3)&gt; on lunar rovers and sample analysis.</p>"
        f"<p>The agencies said further cooperation would follow in the coming years, with a joint working group.</p></article></body></html>"
    )
    wh_dir = tmp_path / "wh"
    news_pipeline(inputs=[str(inputs)], warehouse=str(wh_dir), run_date=RUN_DATE)
    html = render(gather(Warehouse(str(wh_dir))))
    # the payloads are in the data ...
    titles = " ".join(Warehouse(str(wh_dir)).pandas("documents")["title"].fillna(""))
    assert "<script>" in titles
    # ... and only escaped in the page: no script element, no event-handler attribute, no markup injected
    assert re.search(r"<script", html, re.I) is None
    assert re.search(r"<[^>]*\son\w+\s*=", html, re.I) is None
    assert re.search(r"<img", html, re.I) is None
    assert "&lt;script&gt;" in html
    assert "script-src" not in html and "default-src 'none'" in html  # CSP forbids scripts anyway

"""The report page from synthetic run data (no Prefect): readable at thousands of events, any events
schema (with or without mode / source_actor / target_actor), dates at their precision, titles and
sites instead of file names, evidence sentences, escaped hostile text."""

from __future__ import annotations

import random
import re
from datetime import UTC, date, datetime, timedelta

from flows.report import ReportData, date_label, normalise_event, render, share

RUN = {
    "run_id": "20261121T063138Z-7b7549", "flow_run_id": "f-1", "status": "completed",
    "started_at": datetime(2026, 11, 21, 6, 31, 38, 123456, tzinfo=UTC),
    "finished_at": datetime(2026, 11, 21, 6, 32, 1, 654321, tzinfo=UTC),
    "params": "{}", "counts": '{"records_in": 3, "documents_inserted": 3, "quarantine_reasons": {"empty_input": 1}}',
    "table_versions": '{"documents": 1, "events": 1}',
}
HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def doc(i: int, title: str | None = None, site: str | None = "BBC News") -> dict:
    return {"doc_id": f"d{i}", "source_id": f"{'ab' * 32}{i}.html", "source_uri": f"https://www.bbc.co.uk/news/{i}",
            "title": title if title is not None else f"Article {i}", "site_name": site, "site_key": "bbc.co.uk",
            "published_date": date(2019, 11, 18), "content_type": "text/html", "raw_chars": 1000, "clean_chars": 400, "n_comments": 0}


def new_event(i: int, etype: str, d: date | None, precision: str = "day", mode: str = "actual", src: str = "ESA", tgt: str = "CNSA") -> dict:
    actor = {"name": src, "kind": "organisation", "role": "participant", "country": None, "sector": None, "aliases": []}
    target = {**actor, "name": tgt}
    return {"event_id": f"e{i}", "event_type": etype, "event_date": d, "date_precision": precision, "mode": mode,
            "planned": mode == "planned", "source_actor": actor, "target_actor": target, "actors": [actor, target],
            "location": "Paris", "location_country": "FRA", "summary": f"{etype} {src} {tgt}", "doc_ids": [f"d{i % 3}"], "n_sources": 1 + i % 3}


def old_event(i: int, etype: str, d: date, precision: str = "day") -> dict:
    return {"event_id": f"o{i}", "event_type": etype, "event_date": d, "date_precision": precision, "planned": False,
            "actors": [{"name": "ESA", "kind": "organisation", "role": "participant"}, {"name": "CNSA", "kind": "organisation", "role": "participant"}],
            "location": None, "summary": "meeting ESA CNSA", "doc_ids": ["d0"], "n_sources": 2}


def data(events: list[dict], docs: list[dict] | None = None, evidence: dict | None = None) -> ReportData:
    return ReportData(run=RUN, documents=docs or [doc(0), doc(1), doc(2)], duplicates=[], quarantine=[{"reason": "empty_input"}],
                      events=[normalise_event(e) for e in events], evidence=evidence or {})


def test_dates_shown_at_their_precision_and_never_wrapped():
    assert date_label(date(2019, 1, 1), "year") == "2019"
    assert date_label(date(2019, 3, 1), "month") == "Mar 2019"
    assert date_label(date(2019, 3, 25), "day") == "2019-03-25"
    html = render(data([new_event(0, "agree", date(2019, 1, 1), "year"), new_event(1, "consult", date(2019, 3, 25))]))
    assert '<span class="date">2019</span>' in html and '<span class="date">2019-03-25</span>' in html
    assert "2019-01-01" not in html  # a year-precision event is not "1 January"
    assert ".date {" in html and "white-space: nowrap" in html
    assert 'rx="3"' in html  # the year-precision event is a span in the timeline


def test_titles_sites_evidence_and_human_labels():
    ev = {"e0": {"sentence": "ESA and CNSA agreed on Monday to share lunar data.", "doc_id": "d0"}}
    html = render(data([new_event(0, "business_deal", date(2019, 11, 18))], evidence=ev))
    assert "Article 0 — BBC News" in html and "abab" not in html  # no 64-hex file names
    assert "ESA and CNSA agreed on Monday to share lunar data." in html
    assert "Business deal" in html and "Inputs read" in html and "New documents" in html
    assert "records_in" not in html and "2026-11-21 06:31:38 UTC" in html and ".123456" not in html
    assert "Empty input: 1" in html


def test_font_stack_has_cjk_fallbacks():
    html = render(data([], docs=[doc(0, title="韓国の新しい大統領が就任 — 한국")]))
    assert "Noto Sans CJK JP" in html and "Noto Sans CJK KR" in html and "Microsoft YaHei" in html
    assert "韓国の新しい大統領が就任" in html


def test_no_negative_zero_share():
    assert share(-1, 1000) == "0%" and share(0, 1000) == "0%" and share(500, 1000) == "50%" and share(1, 0) == ""


def test_old_events_schema_still_renders_with_actor_pairs():
    html = render(data([old_event(0, "meeting", date(2021, 4, 1)), old_event(1, "meeting", date(2021, 4, 2))]))
    assert 'class="actor-matrix"' in html and "<th>CNSA</th>" in html and "<th>ESA</th>" in html
    assert "Actors named together" in html and html.count('<g class="event">') == 2


def test_directed_pairs_when_source_and_target_exist():
    html = render(data([new_event(i, "accuse", date(2020, 1, 1 + i), src="Russia", tgt="Ukraine") for i in range(3)]))
    assert "Source → target actors" in html and "Russia → Ukraine: Accuse 3" in html
    row = re.search(r'<table class="pairs">.*?</table>', html, re.S).group(0)
    assert "<td>Russia</td><td>Accuse 3</td><td>Ukraine</td><td>3</td>" in row


def test_thousands_of_events_stay_readable():
    rng = random.Random(1)
    types = ["agree", "consult", "accuse", "protest", "assault", "election", "sport_result", "business_results",
             "accident", "crime", "appointment", "launch", "statement", "trial"]
    actors = [f"Actor {i}" for i in range(60)]
    start = date(2018, 1, 1)
    events = [
        new_event(i, rng.choice(types), start + timedelta(days=rng.randrange(900)), rng.choice(["day"] * 8 + ["month", "year"]),
                  rng.choice(["actual", "planned", "reported"]), *rng.sample(actors, 2))
        for i in range(3000)
    ]
    html = render(data(events))
    assert len(html) < 3_000_000
    assert '<g class="event">' not in html and "too many for a point timeline" in html
    assert 'id="by-type"' in html and 'id="by-mode"' in html and 'id="network"' in html
    cells = re.findall(r"<title>([^<]*): (\d+) events?</title></rect>", html)
    assert "per month" in html  # 900 days: monthly bins
    charted = sum(1 for e in events if e["date_precision"] != "year")
    assert sum(int(n) for _, n in cells) == 2 * charted  # each day/month-dated event once in each chart
    assert "events dated only to a month or year are left out" in html
    table = re.search(r'<table class="events">.*?</table>', html, re.S).group(0)
    assert table.count("<tr>") == 501  # header + the 500 reported by most sources, not 3,000 rows
    assert html.count('<g class="node">') == 24


def test_hostile_text_is_escaped_everywhere():
    ev = {"e0": {"sentence": HOSTILE, "doc_id": "d0"}}
    events = [new_event(0, "agree", date(2020, 1, 1), src=HOSTILE, tgt="CNSA")]
    html = render(data(events, docs=[doc(0, title=HOSTILE, site=HOSTILE)], evidence=ev))
    assert re.search(r"<script", html, re.I) is None and "<img" not in html
    assert "&lt;script&gt;" in html


def test_input_folder_is_not_shown_as_a_site():
    from flows.report import doc_label

    local = {**doc(5), "site_name": None, "source_uri": None, "site_key": "html"}
    assert doc_label(local) == "Article 5"
    assert doc_label({**local, "source_uri": "https://www.nytimes.com/x"}) == "Article 5 — nytimes.com"
    assert doc_label({**local, "title": None}) == local["source_id"]  # no title: the file is all there is


def test_one_sided_events_pair_their_known_actor_with_the_others():
    e = new_event(0, "consult", date(2021, 4, 1))
    e["target_actor"] = None
    e["actors"].append({"name": "ESA", "kind": "organisation", "role": "participant", "country": None, "sector": None, "aliases": []})
    html = render(data([e]))
    assert "<th>ESA</th>" in html and "<th>CNSA</th>" in html
    assert "<td>ESA</td><td>Consult 1</td><td>CNSA</td><td>1</td>" in html or "<td>CNSA</td><td>Consult 1</td><td>ESA</td><td>1</td>" in html

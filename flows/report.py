"""`newslake report`: a self-contained static HTML page about one published run.

Run summary, documents cleaned (share of text removed, comments split off), duplicate clusters,
quarantine by reason, an events timeline (inline SVG: no script, no network at view time) and an
actor x actor table of meetings and agreements. Everything taken from documents (titles, text,
actor names) is scraped, hostile text: it is escaped with `html.escape` wherever it is written,
and the page carries no JavaScript and a Content-Security-Policy that forbids scripts.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date
from html import escape
from typing import Any

from tasks.storage import Warehouse

TYPE_COLOURS = {
    "meeting": "#1f77b4",
    "agreement": "#2ca02c",
    "launch": "#d62728",
    "mission_milestone": "#9467bd",
    "appointment": "#ff7f0e",
    "statement": "#7f7f7f",
}


@dataclass(frozen=True, slots=True)
class ReportData:
    run: dict[str, Any]
    documents: list[dict[str, Any]]
    duplicates: list[dict[str, Any]]
    quarantine: list[dict[str, Any]]
    events: list[dict[str, Any]]


def gather(wh: Warehouse, run_id: str | None = None) -> ReportData:
    """Every table the report needs, as of one published run (the latest by default)."""
    run = wh.run(run_id)
    rid = run["run_id"]
    docs = wh.arrow("documents", rid).select(["doc_id", "source_id", "title", "raw_text", "clean_text", "comments_text", "content_type"]).to_pylist()
    return ReportData(
        run=run,
        documents=docs,
        duplicates=wh.arrow("duplicates", rid).to_pylist(),
        quarantine=wh.arrow("quarantine", rid).to_pylist(),
        events=wh.arrow("events", rid).to_pylist(),
    )


def _e(x: Any) -> str:
    return escape("" if x is None else str(x), quote=True)


def _table(headers: list[str], rows: list[list[Any]], cls: str = "") -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{_e(c)}</td>" for c in r) + "</tr>" for r in rows)
    return f'<table class="{_e(cls)}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def timeline_svg(events: list[dict[str, Any]], width: int = 960) -> str:
    """Events by date (x) and type (lane), labelled with their actors; inline SVG with <title> tooltips."""
    dated = sorted((e for e in events if e.get("event_date")), key=lambda e: e["event_date"])
    lanes = [t for t in TYPE_COLOURS if any(e["event_type"] == t for e in dated)] or ["meeting"]
    lane_h, left, top = 70, 150, 30
    height = top + lane_h * len(lanes) + 40
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" id="timeline" role="img" aria-label="Events timeline" width="{width}" height="{height}" viewBox="0 0 {width} {height}">']
    if not dated:
        parts.append(f'<text x="{left}" y="{top + 20}">No dated events in this run.</text></svg>')
        return "".join(parts)
    lo, hi = dated[0]["event_date"].toordinal(), dated[-1]["event_date"].toordinal()
    span = max(1, hi - lo)

    def x_of(d: date) -> float:
        return left + (width - left - 220) * (d.toordinal() - lo) / span  # room for the last label

    for i, lane in enumerate(lanes):
        y = top + i * lane_h + lane_h / 2
        parts.append(f'<line x1="{left}" y1="{y}" x2="{width - 20}" y2="{y}" stroke="#ddd"/>')
        parts.append(f'<text x="10" y="{y + 4}" font-size="13" fill="{TYPE_COLOURS[lane]}">{_e(lane.replace("_", " "))}</text>')
    years = range(dated[0]["event_date"].year, dated[-1]["event_date"].year + 1)
    for yr in years:
        d = date(yr, 1, 1)
        if lo <= d.toordinal() <= hi or yr == years[0]:
            x = x_of(max(d, dated[0]["event_date"]))
            parts.append(f'<text x="{x:.1f}" y="{height - 12}" font-size="12" fill="#555">{yr}</text>')
    # Labels: greedy layout in three slots per lane (above, below, further above) so that labels of
    # events close in time do not overwrite each other.
    slot_dy = (-9, 20, -21)
    slot_end: dict[int, list[float]] = defaultdict(lambda: [float("-inf")] * len(slot_dy))
    for e in dated:
        lane = lanes.index(e["event_type"]) if e["event_type"] in lanes else 0
        x = x_of(e["event_date"])
        y = top + lane * lane_h + lane_h / 2
        r = 5 + 2 * min(4, (e.get("n_sources") or 1) - 1)
        actors = ", ".join(a["name"] for a in e["actors"] if a["kind"] in ("organisation", "person", "mission"))[:60]
        tip = f"{e['event_date']} {e['event_type']}: {e.get('summary') or ''}"
        fill = "white" if e.get("planned") else TYPE_COLOURS.get(e["event_type"], "#333")
        ends = slot_end[lane]
        slot = next((i for i, end in enumerate(ends) if end < x), min(range(len(ends)), key=ends.__getitem__))
        label_x = x + r + 3
        ends[slot] = label_x + 6.2 * len(actors)
        parts.append(
            f'<g class="event"><title>{_e(tip)}</title>'
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r}" fill="{fill}" stroke="{TYPE_COLOURS.get(e["event_type"], "#333")}" stroke-width="2"/>'
            f'<text x="{label_x:.1f}" y="{y + slot_dy[slot]:.1f}" font-size="11">{_e(actors)}</text></g>'
        )
    parts.append("</svg>")
    return "".join(parts)


def actor_matrix(events: list[dict[str, Any]]) -> tuple[list[str], list[list[Any]]]:
    """Organisations x organisations: how many meetings / agreements they share."""
    pairs: dict[tuple[str, str], Counter] = defaultdict(Counter)
    orgs: Counter = Counter()
    for e in events:
        if e["event_type"] not in ("meeting", "agreement"):
            continue
        names = sorted({a["name"] for a in e["actors"] if a["kind"] == "organisation"})
        for n in names:
            orgs[n] += 1
        for i, a in enumerate(names):
            for b in names[i + 1 :]:
                pairs[(a, b)][e["event_type"]] += 1
    top = [n for n, _ in orgs.most_common(12)]
    rows = []
    for a in top:
        row: list[Any] = [a]
        for b in top:
            c = pairs.get((a, b)) or pairs.get((b, a))
            row.append("" if a == b or not c else f"{c['meeting']} meet / {c['agreement']} agr")
        rows.append(row)
    return ["", *top], rows


def render(data: ReportData) -> str:
    run = data.run
    counts = json.loads(run["counts"]) if isinstance(run["counts"], str) else run["counts"]
    versions = json.loads(run["table_versions"]) if isinstance(run["table_versions"], str) else run["table_versions"]
    raw_chars = sum(len(d["raw_text"] or "") for d in data.documents)
    clean_chars = sum(len(d["clean_text"] or "") for d in data.documents)
    with_comments = sum(1 for d in data.documents if d["comments_text"])
    by_doc = {d["doc_id"]: d for d in data.documents}
    clusters: dict[str, list[dict]] = defaultdict(list)
    for r in data.duplicates:
        clusters[r["cluster_id"]].append(r)
    multi = sorted((c for c in clusters.values() if len(c) > 1), key=len, reverse=True)
    q_reasons = Counter(q["reason"] for q in data.quarantine)
    matrix_head, matrix_rows = actor_matrix(data.events)
    summary_rows = [[k, v] for k, v in counts.items() if not isinstance(v, dict)]
    doc_rows = [
        [
            d["source_id"],
            d["title"] or "",
            d["content_type"],
            f"{1 - len(d['clean_text']) / max(1, len(d['raw_text'])):.0%}",
            len(d["comments_text"].split("\n\n")) if d["comments_text"] else 0,
        ]
        for d in sorted(data.documents, key=lambda d: d["source_id"])[:200]
    ]
    dup_rows = [
        [
            (by_doc.get(c[0]["canonical_doc_id"]) or {}).get("source_id", c[0]["canonical_doc_id"]),
            len(c),
            ", ".join((by_doc.get(r["doc_id"]) or {}).get("source_id", r["doc_id"]) for r in c if not r["is_canonical"])[:300],
            ", ".join(sorted({r["method"] for r in c})),
        ]
        for c in multi[:100]
    ]
    event_rows = [
        [
            e["event_date"],
            e["date_precision"],
            e["event_type"] + (" (planned)" if e["planned"] else ""),
            ", ".join(a["name"] for a in e["actors"]),
            e["location"] or "",
            e["n_sources"],
            ", ".join((by_doc.get(d) or {}).get("source_id", d) for d in e["doc_ids"])[:300],
        ]
        for e in sorted(data.events, key=lambda e: (e["event_date"] or date.min, e["event_type"]))
    ]
    legend = " ".join(f'<span class="key" style="border-color:{c}">{_e(t.replace("_", " "))}</span>' for t, c in TYPE_COLOURS.items())
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>newslake run {_e(run["run_id"])}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em; color: #222; max-width: 1100px; }}
table {{ border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 13px; }}
th, td {{ border: 1px solid #ccc; padding: 3px 7px; text-align: left; vertical-align: top; }}
th {{ background: #f3f3f3; }}
.key {{ border-left: 12px solid; padding: 0 8px; margin-right: 6px; font-size: 12px; }}
.muted {{ color: #777; font-size: 12px; }}
</style></head><body>
<h1>newslake run <code>{_e(run["run_id"])}</code></h1>
<p>Status <b>{_e(run["status"])}</b>, started {_e(run["started_at"])}, finished {_e(run["finished_at"])}.
Prefect flow run <code>{_e(run.get("flow_run_id") or "-")}</code>.</p>
<h2 id="summary">Run summary</h2>
{_table(["measure", "value"], summary_rows, "summary")}
<h2 id="timeline-h">Events timeline</h2>
<p>{legend} <span class="muted">filled: happened; hollow: planned; size: number of sources</span></p>
{timeline_svg(data.events)}
<h2 id="actors">Who met or agreed with whom</h2>
{_table(matrix_head, matrix_rows, "actor-matrix") if matrix_rows else "<p>No meetings or agreements.</p>"}
<h2 id="events">Events ({len(data.events)})</h2>
{_table(["date", "precision", "type", "actors", "location", "sources", "documents"], event_rows, "events")}
<h2 id="documents">Documents cleaned ({len(data.documents)})</h2>
<p>{raw_chars:,} characters in, {clean_chars:,} kept as article text ({1 - clean_chars / max(1, raw_chars):.0%} removed as
boilerplate, comments or repeats); comments split off in {with_comments} documents.</p>
{_table(["source", "title", "type", "text removed", "comments"], doc_rows, "documents")}
<h2 id="duplicates">Duplicate clusters ({len(multi)})</h2>
{_table(["canonical", "copies", "other copies", "method"], dup_rows, "duplicates") if dup_rows else "<p>No duplicates.</p>"}
<h2 id="quarantine">Quarantine ({len(data.quarantine)})</h2>
{_table(["reason", "inputs"], [[k, v] for k, v in q_reasons.most_common()], "quarantine") if q_reasons else "<p>Nothing quarantined.</p>"}
<h2 id="versions">Table versions</h2>
{_table(["table", "version"], sorted(versions.items()), "versions")}
<p class="muted">Generated by newslake from the warehouse; pinned to the table versions above.</p>
</body></html>
"""


def write_report(wh: Warehouse, run_id: str | None, output: str) -> str:
    html = render(gather(wh, run_id))
    with open(output, "w", encoding="utf-8") as fh:
        fh.write(html)
    return output

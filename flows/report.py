"""`newslake report`: a self-contained static HTML page about one published run.

Run summary (human labels), events by type and by mode over time (inline SVG heat maps that stay
readable at thousands of events), a point timeline for small runs (month and year precision drawn as
spans, not as the 1st), who did what to whom (a network of the most active actors, the top
source -> target pairs and an actor x actor table), the events with their evidence sentence and the
titles and sites reporting them, documents cleaned, duplicate clusters and quarantine by reason.

Everything taken from documents (titles, text, actor names) is scraped, hostile text: it is escaped
with `html.escape` wherever it is written, and the page carries no JavaScript and a
Content-Security-Policy that forbids scripts. Columns the events schema does not have (older
warehouses: no `mode`, `source_actor`, `target_actor`) are derived from what is there (`planned`,
`actors`) or left out.
"""

from __future__ import annotations

import json
import math
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime
from html import escape
from typing import Any

from tasks.schema import QUARANTINE_REASONS
from tasks.storage import Warehouse

# Colours for event types, by frequency rank in the run (colour-blind friendly, Okabe-Ito + Tableau).
PALETTE = (
    "#0072b2", "#e69f00", "#009e73", "#d55e00", "#cc79a7", "#56b4e9", "#8c564b", "#f0c400",
    "#7f7f7f", "#17becf", "#bcbd22", "#9467bd",
)
OTHER_COLOUR = "#b0b0b0"
MAX_TYPES = 12  # types drawn in their own colour and row; the rest are "other"
POINT_TIMELINE_MAX = 300  # more dated events than this: the heat maps only (points would be a blur)
EVENT_ROWS_MAX = 500
DOC_ROWS_MAX = 200
MODES = ("actual", "planned", "negated", "hypothetical", "reported")
FONT_STACK = (
    'system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Helvetica Neue", Arial, '
    '"Noto Sans CJK SC", "Noto Sans CJK JP", "Noto Sans CJK KR", "Source Han Sans SC", "PingFang SC", '
    '"Hiragino Sans", "Microsoft YaHei", "Malgun Gothic", "Noto Sans Arabic", "Noto Sans Devanagari", sans-serif'
)

# Human labels of the run counts (`runs.counts`); unknown keys get their snake_case turned into words.
COUNT_LABELS = {
    "records_in": "Inputs read",
    "unchanged": "Unchanged since an earlier run (skipped)",
    "documents": "Documents written",
    "documents_inserted": "New documents",
    "documents_updated": "Changed documents",
    "quarantined": "Quarantined inputs",
    "duplicates": "Duplicate documents",
    "exact_duplicates": "Exact duplicates",
    "near_duplicates": "Near duplicates",
    "events": "Events written",
    "event_mentions": "Event mentions",
}
STATUS_LABELS = {"completed": "completed", "failed": "failed (reject budget exceeded)"}


@dataclass(frozen=True, slots=True)
class ReportData:
    run: dict[str, Any]
    documents: list[dict[str, Any]]  # doc_id, source_id, title, site, published_date, content_type, raw_chars, clean_chars, n_comments
    duplicates: list[dict[str, Any]]
    quarantine: list[dict[str, Any]]
    events: list[dict[str, Any]]  # normalised by `normalise_event`
    evidence: dict[str, dict[str, Any]]  # event_id -> {sentence, doc_id}


def gather(wh: Warehouse, run_id: str | None = None) -> ReportData:
    """Every table the report needs, as of one published run (the latest by default). Article texts
    are reduced to their lengths as they are read."""
    import pyarrow as pa
    import pyarrow.compute as pc

    run = wh.run(run_id)
    rid = run["run_id"]
    dt = wh.table("documents", wh.resolve_version("documents", rid))
    names = set(pa.schema(dt.schema().to_arrow()).names)
    wanted = [c for c in ("doc_id", "source_id", "source_uri", "title", "site_name", "site_key", "published_date", "content_type") if c in names]
    docs: list[dict[str, Any]] = []
    for batch in wh.dataset("documents", run_id=rid).to_batches(columns=[*wanted, "raw_text", "clean_text", "comments_text"]):
        raw = pc.utf8_length(batch.column("raw_text").cast(pa.string())).to_pylist()
        clean = pc.utf8_length(batch.column("clean_text").cast(pa.string())).to_pylist()
        comments = batch.column("comments_text").to_pylist()
        meta = batch.select(wanted).to_pylist()
        for m, r, c, com in zip(meta, raw, clean, comments, strict=True):
            m.update(raw_chars=r or 0, clean_chars=c or 0, n_comments=len(com.split("\n\n")) if com else 0)
            docs.append(m)
    evidence: dict[str, dict[str, Any]] = {}
    if wh.exists("event_mentions"):
        m = wh.arrow("event_mentions", rid)
        cols = [c for c in ("event_id", "doc_id", "sentence", "is_main", "confidence") if c in m.column_names]
        for row in m.select(cols).to_pylist():
            best = evidence.get(row["event_id"])
            rank = (bool(row.get("is_main")), row.get("confidence") or 0.0)
            if best is None or rank > best["rank"]:
                evidence[row["event_id"]] = {"sentence": row.get("sentence"), "doc_id": row["doc_id"], "rank": rank}
    return ReportData(
        run=run,
        documents=docs,
        duplicates=wh.arrow("duplicates", rid).to_pylist() if wh.exists("duplicates") else [],
        quarantine=wh.arrow("quarantine", rid).select(["reason"]).to_pylist() if wh.exists("quarantine") else [],
        events=[normalise_event(e) for e in wh.arrow("events", rid).to_pylist()] if wh.exists("events") else [],
        evidence=evidence,
    )


def normalise_event(e: dict[str, Any]) -> dict[str, Any]:
    """One event row (any schema version) -> the fields the report draws."""
    mode = e.get("mode") or ("planned" if e.get("planned") else "actual")
    actors = [a for a in (e.get("actors") or []) if a and a.get("name")]
    src = (e.get("source_actor") or {}).get("name") if e.get("source_actor") else None
    tgt = (e.get("target_actor") or {}).get("name") if e.get("target_actor") else None
    return {
        "event_id": e["event_id"],
        "type": e["event_type"],
        "date": e.get("event_date"),
        "precision": e.get("date_precision") or "day",
        "mode": mode,
        "source": src,
        "target": tgt,
        "actors": [a["name"] for a in actors],
        "actor_kinds": {a["name"]: a.get("kind") for a in actors},
        "location": e.get("location"),
        "location_country": e.get("location_country"),
        "n_sources": e.get("n_sources") or 1,
        "doc_ids": list(e.get("doc_ids") or []),
        "summary": e.get("summary"),
    }


# --- small formatting helpers -------------------------------------------------------------------


def _e(x: Any) -> str:
    return escape("" if x is None else str(x), quote=True)


def _table(headers: list[str], rows: list[list[Any]], cls: str = "", raw_cols: frozenset[int] = frozenset()) -> str:
    """A table; cells are escaped text, except columns in `raw_cols` (HTML built here from escaped parts)."""
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(f"<td>{c if i in raw_cols else _e(c)}</td>" for i, c in enumerate(r)) + "</tr>" for r in rows
    )
    return f'<table class="{_e(cls)}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def label(key: str) -> str:
    """snake_case -> words ("mission_milestone" -> "Mission milestone")."""
    return key.replace("_", " ").strip().capitalize()


def date_label(d: date | None, precision: str | None) -> str:
    """A date at its precision: 2019 for a year, Mar 2019 for a month, 2019-03-25 for a day."""
    if d is None:
        return ""
    if precision == "year":
        return str(d.year)
    if precision == "month":
        return d.strftime("%b %Y")
    return d.isoformat()


def when(ts: Any) -> str:
    """A timestamp to the second, in UTC."""
    if isinstance(ts, datetime):
        return (ts.astimezone(UTC) if ts.tzinfo else ts).strftime("%Y-%m-%d %H:%M:%S UTC")
    return "" if ts is None else str(ts)


def share(part: float, whole: float) -> str:
    """A percentage with no "-0%" (rounding never shows a negative zero)."""
    if whole <= 0:
        return ""
    v = 100 * part / whole
    return f"{max(v, 0):.0f}%" if v > -0.5 else f"{v:.0f}%"


def doc_label(d: dict[str, Any] | None, fallback: str = "") -> str:
    """Title and site of a document (its source id only when it has no title)."""
    if not d:
        return fallback
    title = " ".join((d.get("title") or "").split())
    site = site_of(d)
    if len(title) > 90:
        title = title[:89] + "…"
    if title:
        return f"{title} — {site}" if site else title
    return d.get("source_id") or fallback


def site_of(d: dict[str, Any]) -> str:
    """The site's name, else the URL's host; a `site_key` that is only the input folder is no site."""
    key = d.get("site_key") or ""
    return d.get("site_name") or _host(d.get("source_uri")) or (key if "." in key and "/" not in key else "")


def _host(url: str | None) -> str:
    if not url or "://" not in url:
        return ""
    from urllib.parse import urlsplit

    return (urlsplit(url).hostname or "").removeprefix("www.")


def type_colours(events: list[dict[str, Any]]) -> dict[str, str]:
    """Event type -> colour, the most frequent types first; types past MAX_TYPES share OTHER_COLOUR."""
    ranked = [t for t, _ in Counter(e["type"] for e in events).most_common()]
    return {t: (PALETTE[i] if i < MAX_TYPES else OTHER_COLOUR) for i, t in enumerate(ranked)}


# --- events over time -----------------------------------------------------------------------------


PRECISION_RANK = {"day": 0, "month": 1, "year": 2}


def time_bins(events: list[dict[str, Any]]) -> tuple[str, list[date]]:
    """The bin width for the heat maps (day, month or year: at most ~60 columns) and the bins."""
    dated = [e["date"] for e in events if e["date"]]
    if not dated:
        return "year", []
    lo, hi = min(dated), max(dated)
    if (hi - lo).days <= 62:
        unit = "day"
    elif (hi.year - lo.year) * 12 + hi.month - lo.month < 60:
        unit = "month"
    else:
        unit = "year"
    bins, d = [], _bin_of(lo, unit)
    while d <= hi:
        bins.append(d)
        d = _next_bin(d, unit)
    return unit, bins


def _bin_of(d: date, unit: str) -> date:
    return d if unit == "day" else d.replace(day=1) if unit == "month" else date(d.year, 1, 1)


def _next_bin(d: date, unit: str) -> date:
    if unit == "day":
        return date.fromordinal(d.toordinal() + 1)
    if unit == "month":
        return date(d.year + (d.month == 12), d.month % 12 + 1, 1)
    return date(d.year + 1, 1, 1)


def heatmap_svg(events: list[dict[str, Any]], key: str, rows: list[str], colours: dict[str, str], svg_id: str, width: int = 1040) -> tuple[str, int]:
    """Rows (`key` values: types or modes) x time bins, each cell shaded by its number of events
    (<title> tooltips carry the counts). Events dated less precisely than a bin are left out and
    counted in the returned number."""
    unit, bins = time_bins(events)
    counts: dict[tuple[str, date], int] = Counter()
    left_out = 0
    for e in events:
        if not e["date"]:
            continue
        if PRECISION_RANK.get(e["precision"], 0) > PRECISION_RANK[unit]:
            left_out += 1
            continue
        counts[(e[key] if e[key] in rows else "other", _bin_of(e["date"], unit))] += 1
    rows = [r for r in rows if any(counts.get((r, b)) for b in bins)] + (["other"] if any(k[0] == "other" for k in counts) else [])
    if not bins or not rows:
        return f'<svg xmlns="http://www.w3.org/2000/svg" id="{svg_id}" width="{width}" height="30"><text x="10" y="20">No dated events.</text></svg>', left_out
    left, top, row_h = 170, 8, 22
    cell_w = max(4.0, min(40.0, (width - left - 20) / len(bins)))
    height = top + row_h * len(rows) + 36
    peak = max(counts.values())
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" id="{svg_id}" role="img" width="{width}" height="{height}" viewBox="0 0 {width} {height}">']
    for i, r in enumerate(rows):
        y = top + i * row_h
        colour = colours.get(r, OTHER_COLOUR)
        parts.append(f'<text x="{left - 8}" y="{y + 15}" text-anchor="end" font-size="12" fill="#333">{_e(label(r))}</text>')
        for j, b in enumerate(bins):
            n = counts.get((r, b), 0)
            x = left + j * cell_w
            if n:
                opacity = 0.15 + 0.85 * math.log1p(n) / math.log1p(peak)
                parts.append(
                    f'<rect x="{x:.1f}" y="{y + 2}" width="{max(1.0, cell_w - 1):.1f}" height="{row_h - 4}" fill="{colour}" fill-opacity="{opacity:.2f}">'
                    f"<title>{_e(label(r))}, {_e(date_label(b, unit))}: {n} event{'s' if n != 1 else ''}</title></rect>"
                )
            else:
                parts.append(f'<rect x="{x:.1f}" y="{y + 2}" width="{max(1.0, cell_w - 1):.1f}" height="{row_h - 4}" fill="#f4f4f4"/>')
    # axis labels: at most ~12, on bin starts
    step = max(1, math.ceil(len(bins) / 12))
    for j in range(0, len(bins), step):
        x = left + j * cell_w
        parts.append(f'<text x="{x:.1f}" y="{height - 14}" font-size="11" fill="#555">{_e(date_label(bins[j], unit))}</text>')
    parts.append("</svg>")
    return "".join(parts), left_out


def timeline_svg(events: list[dict[str, Any]], colours: dict[str, str], width: int = 1040) -> str:
    """Events by date (x) and type (lane), labelled with their actors; day-precision events are
    points, month and year precision are spans over the month or year. Inline SVG, <title> tooltips."""
    dated = sorted((e for e in events if e["date"]), key=lambda e: e["date"])
    lanes = [t for t in colours if any(e["type"] == t for e in dated)][:MAX_TYPES] or ["none"]
    lane_h, left, top = 60, 170, 20
    height = top + lane_h * len(lanes) + 40
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" id="timeline" role="img" aria-label="Events timeline" width="{width}" height="{height}" viewBox="0 0 {width} {height}">']
    if not dated:
        parts.append(f'<text x="{left}" y="{top + 20}">No dated events in this run.</text></svg>')
        return "".join(parts)
    ends = [_span(e)[1] for e in dated]
    lo, hi = dated[0]["date"].toordinal(), max(ends).toordinal()
    span = max(1, hi - lo)

    def x_of(d: date) -> float:
        return left + (width - left - 200) * (d.toordinal() - lo) / span  # room for the last label

    for i, lane in enumerate(lanes):
        y = top + i * lane_h + lane_h / 2
        parts.append(f'<line x1="{left}" y1="{y}" x2="{width - 20}" y2="{y}" stroke="#ddd"/>')
        parts.append(f'<text x="{left - 8}" y="{y + 4}" text-anchor="end" font-size="12" fill="{colours.get(lane, OTHER_COLOUR)}">{_e(label(lane))}</text>')
    first, last = dated[0]["date"].year, max(ends).year
    step = max(1, math.ceil((last - first + 1) / 12))
    for yr in range(first, last + 1, step):
        x = x_of(max(date(yr, 1, 1), dated[0]["date"]))
        parts.append(f'<text x="{x:.1f}" y="{height - 12}" font-size="12" fill="#555">{yr}</text>')
    # Labels: greedy layout in three slots per lane so labels of events close in time do not overlap.
    slot_dy = (-9, 20, -21)
    slot_end: dict[int, list[float]] = defaultdict(lambda: [float("-inf")] * len(slot_dy))
    for e in dated:
        lane = lanes.index(e["type"]) if e["type"] in lanes else len(lanes) - 1
        start, end = _span(e)
        x, x_end = x_of(start), x_of(end)
        y = top + lane * lane_h + lane_h / 2
        colour = colours.get(e["type"], OTHER_COLOUR)
        r = 4 + 2 * min(4, e["n_sources"] - 1)
        names = [n for n in [e["source"], e["target"]] if n] or e["actors"]
        text = ", ".join(dict.fromkeys(names))[:50]
        tip = f"{date_label(e['date'], e['precision'])} {label(e['type'])} ({e['mode']}): {e['summary'] or ''}"
        fill = "white" if e["mode"] in ("planned", "hypothetical", "negated") else colour
        ends_ = slot_end[lane]
        slot = next((i for i, end_x in enumerate(ends_) if end_x < x), min(range(len(ends_)), key=ends_.__getitem__))
        label_x = max(x, x_end) + r + 3
        ends_[slot] = label_x + 6.2 * len(text)
        shape = (
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r}" fill="{fill}" stroke="{colour}" stroke-width="2"/>'
            if e["precision"] == "day"
            else f'<rect x="{x:.1f}" y="{y - 4:.1f}" width="{max(3.0, x_end - x):.1f}" height="8" rx="3" fill="{fill}" fill-opacity="0.6" stroke="{colour}"/>'
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2" fill="{colour}"/>'
        )
        parts.append(
            f'<g class="event"><title>{_e(tip)}</title>{shape}'
            f'<text x="{label_x:.1f}" y="{y + slot_dy[slot]:.1f}" font-size="11">{_e(text)}</text></g>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _span(e: dict[str, Any]) -> tuple[date, date]:
    d = e["date"]
    if e["precision"] == "year":
        return date(d.year, 1, 1), date(d.year, 12, 31)
    if e["precision"] == "month":
        return d.replace(day=1), date.fromordinal(_next_bin(d.replace(day=1), "month").toordinal() - 1)
    return d, d


# --- who did what to whom -------------------------------------------------------------------------


def actor_pairs(events: list[dict[str, Any]]) -> list[tuple[str, str, Counter]]:
    """(source, target, types) for every pair of actors in one event: `source_actor` -> `target_actor`
    when the event has both; with one side only, that side and each other organisation, person,
    country or group of the event; with neither (older schemas), each pair of them in name order.
    Most events first."""
    pairs: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for e in events:
        if e["source"] and e["target"] and e["source"] != e["target"]:
            pairs[(e["source"], e["target"])][e["type"]] += 1
            continue
        names = sorted({n for n in e["actors"] if e["actor_kinds"].get(n) in ("organisation", "person", "country", "group", None)})
        side = e["source"] or e["target"]
        if side:  # one side known: it with each other actor named in the event
            for n in names:
                if n != side:
                    pairs[(side, n) if e["source"] else (n, side)][e["type"]] += 1
            continue
        for i, a in enumerate(names):
            for b in names[i + 1 :]:
                pairs[(a, b)][e["type"]] += 1
    return sorted(((a, b, c) for (a, b), c in pairs.items()), key=lambda p: (-sum(p[2].values()), p[0], p[1]))


def network_svg(pairs: list[tuple[str, str, Counter]], colours: dict[str, str], max_nodes: int = 24, size: int = 720) -> str:
    """The most connected actors on a circle, an edge per pair (width: events, colour: the pair's
    most frequent type, an arrow head when directed by source/target)."""
    degree: Counter = Counter()
    for a, b, c in pairs:
        n = sum(c.values())
        degree[a] += n
        degree[b] += n
    nodes = [n for n, _ in degree.most_common(max_nodes)]
    if len(nodes) < 2:
        return '<svg xmlns="http://www.w3.org/2000/svg" id="network" width="400" height="30"><text x="10" y="20">Too few actors for a network.</text></svg>'
    cx = cy = size / 2
    radius = size / 2 - 150
    pos = {n: (cx + radius * math.cos(2 * math.pi * i / len(nodes) - math.pi / 2), cy + radius * math.sin(2 * math.pi * i / len(nodes) - math.pi / 2)) for i, n in enumerate(nodes)}
    edges = [(a, b, c) for a, b, c in pairs if a in pos and b in pos][:80]
    peak = max(sum(c.values()) for _, _, c in edges) if edges else 1
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" id="network" role="img" aria-label="Actor network" width="{size + 200}" height="{size}" viewBox="-100 0 {size + 200} {size}">']
    for a, b, c in reversed(edges):  # strongest drawn last, on top
        (x1, y1), (x2, y2) = pos[a], pos[b]
        n = sum(c.values())
        t = c.most_common(1)[0][0]
        w = 1 + 5 * n / peak
        tip = f"{a} → {b}: " + ", ".join(f"{label(k)} {v}" for k, v in c.most_common())
        parts.append(f'<g class="edge"><title>{_e(tip)}</title><line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{colours.get(t, OTHER_COLOUR)}" stroke-width="{w:.1f}" stroke-opacity="0.55"/></g>')
    for n in nodes:
        x, y = pos[n]
        r = 4 + 8 * math.sqrt(degree[n] / degree[nodes[0]])
        anchor = "start" if x >= cx else "end"
        dx = r + 4 if x >= cx else -(r + 4)
        parts.append(
            f'<g class="node"><title>{_e(n)}: {degree[n]} event links</title><circle cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" fill="#333"/>'
            f'<text x="{x + dx:.1f}" y="{y + 4:.1f}" text-anchor="{anchor}" font-size="12">{_e(n[:40])}</text></g>'
        )
    parts.append("</svg>")
    return "".join(parts)


def actor_matrix(pairs: list[tuple[str, str, Counter]], top_n: int = 12) -> tuple[list[str], list[list[Any]]]:
    """The most connected actors x the same: events linking each pair (either direction)."""
    degree: Counter = Counter()
    link: dict[frozenset, int] = Counter()
    for a, b, c in pairs:
        n = sum(c.values())
        degree[a] += n
        degree[b] += n
        link[frozenset((a, b))] += n
    top = [n for n, _ in degree.most_common(top_n)]
    rows = [[a, *("" if a == b or not link.get(frozenset((a, b))) else link[frozenset((a, b))] for b in top)] for a in top]
    return ["", *top], rows


# --- the page -------------------------------------------------------------------------------------


def render(data: ReportData) -> str:
    run = data.run
    counts = _json(run.get("counts"))
    versions = _json(run.get("table_versions"))
    params = _json(run.get("params"))
    by_doc = {d["doc_id"]: d for d in data.documents}
    colours = type_colours(data.events)
    raw_chars = sum(d["raw_chars"] for d in data.documents)
    clean_chars = sum(d["clean_chars"] for d in data.documents)
    with_comments = sum(1 for d in data.documents if d["n_comments"])

    order = {k: i for i, k in enumerate(COUNT_LABELS)}
    summary_rows = [
        [COUNT_LABELS.get(k, label(k)), f"{v:,}" if isinstance(v, int) else v]
        for k, v in sorted(counts.items(), key=lambda kv: (order.get(kv[0], len(order)), kv[0]))
        if not isinstance(v, dict)
    ]
    reasons = counts.get("quarantine_reasons") or {}
    if reasons:
        summary_rows.append(["Quarantined by reason", ", ".join(f"{label(k)}: {v}" for k, v in sorted(reasons.items()))])

    type_rows = [t for t in colours][:MAX_TYPES]
    by_type, type_left = heatmap_svg(data.events, "type", type_rows, colours, "by-type")
    mode_colours = dict(zip(MODES, ("#0072b2", "#e69f00", "#d55e00", "#cc79a7", "#009e73"), strict=True))
    by_mode, _ = heatmap_svg(data.events, "mode", list(MODES), mode_colours, "by-mode")
    unit, _ = time_bins(data.events)
    dated = sum(1 for e in data.events if e["date"])
    type_counts = Counter(e["type"] for e in data.events)
    mode_counts = Counter(e["mode"] for e in data.events)

    pairs = actor_pairs(data.events)
    matrix_head, matrix_rows = actor_matrix(pairs)
    directed = any(e["source"] and e["target"] for e in data.events)
    pair_rows = [
        [a, ", ".join(f"{label(t)} {n}" for t, n in c.most_common(4)), b, sum(c.values())]
        for a, b, c in pairs[:50]
    ]

    ranked = sorted(data.events, key=lambda e: (-e["n_sources"], -(e["date"] or date.min).toordinal(), e["type"]))
    shown = ranked[:EVENT_ROWS_MAX]
    event_rows = []
    for e in sorted(shown, key=lambda e: (e["date"] or date.min, e["type"])):
        ev = data.evidence.get(e["event_id"]) or {}
        sentence = " ".join((ev.get("sentence") or "").split())
        reporters = [doc_label(by_doc.get(d), d) for d in e["doc_ids"][:3]]
        more = len(e["doc_ids"]) - len(reporters)
        others = [n for n in e["actors"] if n not in (e["source"], e["target"])]
        who = [_e(e["source"] or ""), _e(e["target"] or "")] if directed else []
        event_rows.append(
            [
                f'<span class="date">{_e(date_label(e["date"], e["precision"]))}</span>',
                _e(label(e["type"])),
                _e(e["mode"]),
                *who,
                _e(", ".join(others[:6])),
                _e(", ".join(x for x in (e["location"], e["location_country"]) if x)),
                _e(e["n_sources"]),
                f'<span class="evidence">{_e(sentence[:300] + ("…" if len(sentence) > 300 else ""))}</span>',
                "<br>".join(_e(r) for r in reporters) + (f'<br><span class="muted">and {more} more</span>' if more > 0 else ""),
            ]
        )

    docs_sorted = sorted(data.documents, key=lambda d: (doc_label(d).lower(), d["source_id"]))
    doc_rows = [
        [
            " ".join((d.get("title") or "").split())[:120] or d["source_id"],
            site_of(d),
            f'<span class="date">{_e(d["published_date"].isoformat() if d.get("published_date") else "")}</span>',
            _e("HTML" if d.get("content_type") == "text/html" else "text"),
            _e(share(d["raw_chars"] - d["clean_chars"], d["raw_chars"])),
            _e(d["n_comments"]),
        ]
        for d in docs_sorted[:DOC_ROWS_MAX]
    ]
    doc_rows = [[_e(r[0]), _e(r[1]), *r[2:]] for r in doc_rows]

    clusters: dict[str, list[dict]] = defaultdict(list)
    for r in data.duplicates:
        clusters[r["cluster_id"]].append(r)
    multi = sorted((c for c in clusters.values() if len(c) > 1), key=len, reverse=True)
    dup_rows = [
        [
            doc_label(by_doc.get(c[0]["canonical_doc_id"]), c[0]["canonical_doc_id"]),
            len(c),
            "; ".join(doc_label(by_doc.get(r["doc_id"]), r["doc_id"]) for r in c if not r["is_canonical"])[:400],
            ", ".join(sorted({r["method"] for r in c})),
        ]
        for c in multi[:100]
    ]
    q_reasons = Counter(q["reason"] for q in data.quarantine)
    started, finished = run.get("started_at"), run.get("finished_at")
    took = f" ({(finished - started).total_seconds():,.1f} s)" if isinstance(started, datetime) and isinstance(finished, datetime) else ""
    operation = params.get("operation")
    op_note = (
        f"<p>Maintenance run: <b>{_e(operation)}</b>" + (f" to run <code>{_e(params.get('to_run'))}</code>" if params.get("to_run") else "")
        + f"; the figures below are those of run <code>{_e(params.get('basis_run'))}</code>.</p>"
        if operation else ""
    )
    legend = " ".join(f'<span class="key" style="border-color:{c}">{_e(label(t))} ({type_counts[t]:,})</span>' for t, c in list(colours.items())[:MAX_TYPES])
    timeline = (
        timeline_svg(data.events, colours)
        if dated <= POINT_TIMELINE_MAX
        else f'<p class="muted">{dated:,} dated events: too many for a point timeline; see the charts above and the events table.</p>'
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>newslake run {_e(run["run_id"])}</title>
<style>
body {{ font-family: {FONT_STACK}; margin: 2em; color: #222; max-width: 1280px; line-height: 1.4; }}
h1 {{ font-size: 1.6em; }} h2 {{ margin-top: 1.6em; border-bottom: 1px solid #ddd; }}
table {{ border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 13px; }}
th, td {{ border: 1px solid #ccc; padding: 3px 7px; text-align: left; vertical-align: top; }}
table.events, table.documents {{ width: 100%; table-layout: fixed; }}
table.documents td {{ overflow-wrap: anywhere; }}
/* events: automatic layout, so a column is never narrower than its longest word (names are not cut
   mid-word; evidence and titles, which may hold a URL, may break anywhere); the widths below are what
   each column gets when the text allows */
table.events {{ table-layout: auto; }} table.events td {{ overflow-wrap: break-word; }}
table.events td:nth-last-child(-n+2) {{ overflow-wrap: anywhere; }} table.events td:nth-last-child(1) {{ min-width: 9em; }} table.events td:nth-last-child(2) {{ min-width: 12em; }}
table.events th:nth-child(1) {{ width: 6.5em; }} table.events th:nth-child(2), table.events th:nth-child(3) {{ width: 5.5em; }}
table.events th:nth-last-child(3) {{ width: 4em; }} table.events th:nth-last-child(1) {{ width: 11em; }}
table.events th:nth-last-child(2) {{ width: 30%; }}
table.documents th:nth-child(3), table.documents th:nth-child(4) {{ width: 7em; }}
th {{ background: #f3f3f3; }}
td:has(> .date), .date {{ white-space: nowrap; }}
table.summary td:nth-child(2), table.pairs td:nth-child(4), table.actor-matrix td {{ text-align: right; }}
table.actor-matrix td:first-child {{ text-align: left; white-space: nowrap; }}
.evidence {{ font-style: italic; color: #333; }}
.key {{ border-left: 12px solid; padding: 0 8px; margin-right: 6px; font-size: 12px; white-space: nowrap; }}
.muted {{ color: #777; font-size: 12px; }}
svg text {{ font-family: {FONT_STACK}; }}
</style></head><body>
<h1>newslake run <code>{_e(run["run_id"])}</code></h1>
<p>Status <b>{_e(STATUS_LABELS.get(run["status"], run["status"]))}</b>; started {_e(when(started))}, finished {_e(when(finished))}{_e(took)}.
Prefect flow run <code>{_e(run.get("flow_run_id") or "-")}</code>.</p>
{op_note}
<h2 id="summary">Run summary</h2>
{_table(["measure", "value"], summary_rows, "summary")}
<h2 id="over-time">Events over time ({len(data.events):,} events, {dated:,} dated)</h2>
<p>{legend}</p>
<h3>By type, per {unit}</h3>
{by_type}
<h3>By mode, per {unit}</h3>
<p class="muted">{_e(", ".join(f"{m}: {mode_counts[m]:,}" for m in MODES if mode_counts[m]))}</p>
{by_mode}
{f'<p class="muted">{type_left:,} events dated only to a month or year are left out of these {unit} charts (they are in the table below).</p>' if type_left else ""}
<h2 id="timeline-h">Timeline</h2>
<p class="muted">filled: happened; hollow: planned, hypothetical or negated; bars: dated to a month or year only; size: number of sources.</p>
{timeline}
<h2 id="actors">Who did what to whom</h2>
<p class="muted">{"Source → target actors of each event (with one side known: that actor and the others the event names)" if directed else "Actors named together in an event (the events carry no source/target actors)"}; the {min(24, len({n for a, b, _ in pairs for n in (a, b)}))} most connected actors.</p>
{network_svg(pairs, colours)}
{_table(["who", "did what (events)", "to / with whom" if directed else "with whom", "events"], pair_rows, "pairs") if pair_rows else "<p>No pairs of actors.</p>"}
<h3>Most connected actors</h3>
{_table(matrix_head, matrix_rows, "actor-matrix") if matrix_rows else "<p>No actors.</p>"}
<h2 id="events">Events ({len(data.events):,}{f"; the {EVENT_ROWS_MAX} reported by most sources shown" if len(data.events) > EVENT_ROWS_MAX else ""})</h2>
{_table(["date", "type", "mode", *(["who", "to whom", "other actors"] if directed else ["actors"]), "where", "sources", "evidence", "reported by"], event_rows, "events", frozenset(range(10)))}
<h2 id="documents">Documents cleaned ({len(data.documents):,}{f"; {DOC_ROWS_MAX} shown" if len(data.documents) > DOC_ROWS_MAX else ""})</h2>
<p>{raw_chars:,} characters in, {clean_chars:,} kept as article text ({share(raw_chars - clean_chars, raw_chars) or "0%"} removed as
boilerplate, comments or repeats); comments split off in {with_comments:,} documents.</p>
{_table(["title", "site", "published", "format", "text removed", "comments"], doc_rows, "documents", frozenset(range(6)))}
<h2 id="duplicates">Duplicate clusters ({len(multi):,})</h2>
{_table(["canonical copy", "copies", "other copies", "method"], dup_rows, "duplicates") if dup_rows else "<p>No duplicates.</p>"}
<h2 id="quarantine">Quarantine ({len(data.quarantine):,})</h2>
{_table(["reason", "meaning", "inputs"], [[k, QUARANTINE_REASONS.get(k, ""), v] for k, v in q_reasons.most_common()], "quarantine") if q_reasons else "<p>Nothing quarantined.</p>"}
<h2 id="versions">Table versions</h2>
{_table(["table", "version"], sorted(versions.items()), "versions")}
<p class="muted">Generated by newslake from the warehouse; pinned to the table versions above.</p>
</body></html>
"""


def _json(v: Any) -> dict:
    if isinstance(v, str):
        try:
            return json.loads(v)
        except json.JSONDecodeError:
            return {}
    return v or {}


def write_report(wh: Warehouse, run_id: str | None, output: str) -> str:
    html = render(gather(wh, run_id))
    with open(output, "w", encoding="utf-8") as fh:
        fh.write(html)
    return output

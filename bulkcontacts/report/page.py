"""``report.html``: one self-contained page (inline SVG and CSS, no script, nothing fetched) telling what a
job's runs did: the headline, throughput against the limit, latency, rejections, the run segments, verify."""

from __future__ import annotations

import time
from html import escape
from pathlib import Path

from bulkcontacts.errors import UsageError
from bulkcontacts.report.charts import fan_out_chart, latency_chart, limit_shown, segments_chart, throughput_chart
from bulkcontacts.report.data import RunRecord, load_run
from bulkcontacts.report.series import clock
from bulkcontacts.report.svg import bar_chart
from bulkcontacts.state.atomic import write_atomic

STYLE = """
:root { color-scheme: light dark; --fg: #1b1f24; --muted: #57606a; --bg: #ffffff; --panel: #f6f8fa;
  --grid: #d0d7de; --c1: #0969da; --c2: #1a7f37; --c3: #8250df; --c4: #bc4c00; --bad: #cf222e; --warn: #9a6700; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6edf3; --muted: #9da7b3; --bg: #0d1117; --panel: #161b22;
  --grid: #30363d; --c1: #4493f8; --c2: #3fb950; --c3: #a371f7; --c4: #db6d28; --bad: #f85149; --warn: #d29922; } }
body { font: 15px/1.5 system-ui, sans-serif; color: var(--fg); background: var(--bg); margin: 2rem auto;
  max-width: 1000px; padding: 0 1rem; }
h1 { font-size: 1.6rem; margin-bottom: .2rem; } h2 { font-size: 1.2rem; margin-top: 2rem; }
.muted { color: var(--muted); }
.headline { display: grid; grid-template-columns: repeat(auto-fill, minmax(170px, 1fr)); gap: .6rem; padding: 0; }
.headline li { list-style: none; background: var(--panel); border-radius: 6px; padding: .5rem .8rem; }
.headline b { display: block; font-size: 1.3rem; }
.ok { color: var(--c2); } .bad { color: var(--bad); }
table { border-collapse: collapse; width: 100%; } th, td { text-align: left; padding: .3rem .5rem;
  border-bottom: 1px solid var(--grid); vertical-align: top; } td.n, th.n { text-align: right; }
.chart { width: 100%; height: auto; } .legend span { margin-right: 1.2rem; white-space: nowrap; }
.legend i { display: inline-block; width: 1.4em; height: .25em; vertical-align: middle; margin-right: .3em; }
svg text { fill: var(--fg); font-size: 12px; } svg .tick { fill: var(--muted); } svg .label { font-size: 13px; }
svg .grid { stroke: var(--grid); stroke-width: 1; } svg .axis { stroke: var(--muted); }
svg .line { stroke-width: 2; } .s-requests { stroke: var(--c1); background: var(--c1); }
.s-created, .s-done { stroke: var(--c2); background: var(--c2); }
.s-limit { stroke: var(--bad); background: var(--bad); }
.s-p50 { stroke: var(--c1); background: var(--c1); } .s-p95 { stroke: var(--c4); background: var(--c4); }
.s-in_flight { stroke: var(--c3); background: var(--c3); }
svg .mark-429 { fill: var(--bad); } svg .band-breaker { fill: var(--warn); opacity: .25; }
svg .rule { stroke: var(--muted); stroke-dasharray: 3 3; } svg .rule-label { fill: var(--muted); }
svg .bar { fill: var(--c1); } svg .bar-bad { fill: var(--bad); } svg .bar-ok { fill: var(--c2); }
svg .bar-warn { fill: var(--warn); } svg .span { opacity: .35; } svg .span-complete { fill: var(--c2); }
svg .span-interrupted, svg .span-refused { fill: var(--warn); } svg .span-killed { fill: var(--bad); }
"""

LEGENDS = {
    "fetch": [("requests", "requests started"), ("done", "pages fetched"), ("limit", "rate limit")],
    "send": [("requests", "requests started"), ("created", "rows created"), ("limit", "rate limit")],
    "latency": [("p50", "median"), ("p95", "95th percentile")],
    "fan-out": [("in_flight", "page requests under way")],
}
VERIFY_KINDS = {"created": "ok", "missing": "bad", "mismatched": "bad", "extra": "warn", "invalid": "warn"}


def _legend(kind: str, *, marks: bool = False) -> str:
    items = "".join(f'<span><i class="s-{name}"></i>{escape(label)}</span>' for name, label in LEGENDS[kind])
    extra = "<span>▼ 429</span><span>▮ breaker open</span>" if marks else ""
    return f'<p class="legend">{items}{extra}<span>┊ resumed</span></p>'


def _tiles(tiles: list[tuple[str, str, str]]) -> str:
    cells = "".join(f'<li><b class="{kind}">{escape(value)}</b>{escape(name)}</li>' for name, value, kind in tiles)
    return f'<ul class="headline">{cells}</ul>'


def _count_tiles(record: RunRecord) -> list[tuple[str, str, str]]:
    counts = record.counts
    if record.is_export:
        records = counts.get("records", counts.get("records_fetched", 0))
        return [
            ("pages", f"{counts.get('pages', 0):,}", ""),
            ("records", f"{records:,}", ""),
            ("duplicates dropped", f"{counts.get('duplicates_dropped', 0):,}", ""),
        ]
    rejected = counts.get("rejected", 0)
    tiles = [
        ("rows", f"{counts.get('total_rows', 0):,}", ""),
        ("created", f"{counts.get('created', 0):,}", "ok"),
        ("rejected", f"{rejected:,}", "bad" if rejected else ""),
    ]
    unlooked = counts.get("in_doubt_decided_without_lookup", 0)
    if unlooked:
        tiles.append(("in doubt, not looked up", f"{unlooked:,}", "bad"))
    return tiles


def _in_doubt(record: RunRecord) -> str:
    """What the rows decided without a look-up mean, and what to do (the counts are summary.json's)."""
    counts = record.counts
    assumed = counts.get("created:in_doubt_assumed", 0)
    gave_up = counts.get("rejected:gave_up_in_doubt", 0)
    found = counts.get("created:in_doubt_found", 0)
    lines = []
    if assumed:
        lines.append(
            f"{assumed:,} rows are counted as created without an id (<code>created:in_doubt_assumed</code>): "
            "their first answer was lost, the next said duplicate, and with no <code>[sink] token</code> they "
            "could not be looked up."
        )
    if gave_up:
        lines.append(
            f"{gave_up:,} rows were given up after an answer was lost (<code>gave_up_in_doubt</code>): they "
            "may exist in the channel."
        )
    if lines:
        lines.append(
            "Run <code>bulkcontacts verify</code> to check each against the channel, and set "
            "<code>[sink] token</code> so that the next run looks such rows up instead."
        )
    if found:
        lines.append(f"{found:,} rows whose answer was lost were looked up and found (their ids are recorded).")
    return "".join(f'<p class="muted">{line}</p>' for line in lines)


def _pace_tiles(record: RunRecord) -> list[tuple[str, str, str]]:
    """Time, rate against the limit, retries, 429s: of the last phase (a migration's send)."""
    figures = record.figures(record.phases()[-1]) if record.segments else record.summary.get("timeline", {})
    tiles = [("time fetching" if record.is_export else "time sending", clock(figures.get("seconds", 0.0)), "")]
    if figures.get("limit"):
        limit = limit_shown(figures["limit"], figures.get("limit_window", 1.0))
        tiles.append((f"of the {limit} limit", f"{figures.get('rate_ratio') or 0:.0%}", ""))
    throttled = figures.get("throttled", 0)
    tiles += [("retries", f"{figures.get('retries', 0):,}", ""), ("429s", f"{throttled:,}", "bad" if throttled else "")]
    accounted = bool(record.summary.get("accounted_for"))
    name = "export complete" if record.is_export else "every row accounted for"
    return [*tiles, (name, "yes" if accounted else "no", "ok" if accounted else "bad")]


def _headline(record: RunRecord) -> str:
    summary = record.summary
    advice = summary.get("advice")
    return (
        f"<p>Last run: <b>{escape(str(summary.get('status', '')))}</b> — {escape(str(summary.get('message', '')))}</p>"
        + (f'<p class="muted">{escape(str(advice))}</p>' if advice else "")
        + _tiles(_count_tiles(record) + _pace_tiles(record))
        + ("" if record.is_export else _in_doubt(record))
    )


def _phase_sections(record: RunRecord) -> str:
    parts = []
    for phase in record.phases():
        segments = [segment for segment in record.segments if segment.phase == phase]
        figures = record.figures(phase)
        latency = figures["latency_ms"]
        parts.append(
            f"<h2>{'Fetching pages' if phase == 'fetch' else 'Sending rows'}</h2>"
            f'<p class="muted">{figures["requests"]:,} requests in {clock(figures["seconds"])}: '
            f"{figures['achieved_rate']:,}/s against a limit of {figures['limit'] or 0:,.0f}/s; latency median "
            f"{latency['p50']:,} ms, 95th percentile {latency['p95']:,} ms.</p>"
            + _legend(phase, marks=True)
            + throughput_chart(f"throughput-{phase}", phase, segments)
            + _legend("latency")
            + latency_chart(f"latency-{phase}", phase, segments)
        )
        if phase == "fetch":
            parts.append(_legend("fan-out") + fan_out_chart("fan-out", segments))
    return "".join(parts)


def _rejections(record: RunRecord) -> str:
    found = record.rejections()
    if not found:
        return ""
    bars = [(code, count, "bad") for code, count, _ in found]
    rows = []
    for code, count, example in found:
        shown = "" if example is None else f"row {example['row']:,}: {example['reason']}"
        values = "" if example is None else "; ".join(f"{name}={value}" for name, value in example["values"].items())
        rows.append(
            f'<tr><td>{escape(code)}</td><td class="n">{count:,}</td><td>{escape(shown)}'
            f'<br><span class="muted">{escape(values)}</span></td></tr>'
        )
    path = escape(record.summary.get("files", {}).get("rejected", ""))
    description = f"{len(found)} reason(s); rows rejected: " + ", ".join(f"{c} {n:,}" for c, n, _ in found)
    return (
        f'<h2>Rejections by reason</h2><p class="muted">Every rejected row, with its reason: <code>{path}</code></p>'
        + bar_chart("rejections", "Rejections by reason", description, bars)
        + '<table id="rejections-table"><thead><tr><th>reason code</th><th class="n">rows</th><th>first example</th>'
        "</tr></thead><tbody>" + "".join(rows) + "</tbody></table>"
    )


def _segments(record: RunRecord) -> str:
    if not record.segments:
        return ""
    rows = "".join(
        f"<tr><td>{place + 1}</td><td>{escape(segment.phase)}{_in_shards(segment.shards)}</td>"
        f"<td>{time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(segment.started_at))}</td>"
        f'<td class="n">{clock(segment.seconds)}</td><td class="n">{segment.done:,} {escape(segment.unit)}</td>'
        f"<td>{escape(segment.status)}</td><td>{escape(segment.message or _killed(segment.status))}</td></tr>"
        for place, segment in enumerate(record.segments)
    )
    return (
        "<h2>Run segments</h2>"
        + segments_chart(record.segments)
        + '<table id="segments-table"><thead><tr><th>run</th><th>phase</th><th>started</th><th class="n">ran</th>'
        '<th class="n">done</th><th>ended</th><th>why</th></tr></thead><tbody>' + rows + "</tbody></table>"
    )


def _in_shards(shards: int) -> str:
    return f" ({shards} shards)" if shards > 1 else ""


def _shards(record: RunRecord) -> str:
    """A sharded run: each shard's rows and how it ended (the last run's word for each)."""
    if not record.shards:
        return ""
    rows = []
    for shard in record.shards:
        counts = shard.get("counts") or {}
        start, end = record.spans[shard["index"]] if shard["index"] < len(record.spans) else (0, 0)
        rows.append(
            f'<tr><td>{shard["index"]:04d}</td><td class="n">{start:,}–{end - 1:,}</td>'
            f'<td class="n">{counts.get("created", 0):,}</td><td class="n">{counts.get("rejected", 0):,}</td>'
            f"<td>{escape(str(shard.get('status')))}</td><td>{escape(str(shard.get('message') or ''))}</td></tr>"
        )
    return (
        f'<h2>Shards</h2><p class="muted">{len(record.shards)} shards, each its rows in order; their files merged '
        'into the job\'s own.</p><table id="shards-table"><thead><tr><th>shard</th><th class="n">rows</th>'
        '<th class="n">created</th><th class="n">rejected</th><th>ended</th><th>why</th></tr></thead><tbody>'
        + "".join(rows)
        + "</tbody></table>"
    )


def _killed(status: str) -> str:
    return "no end was recorded: the process was killed (or the machine stopped)" if status == "killed" else ""


def _verify(record: RunRecord) -> str:
    if record.verify is None:
        return ""
    counts: dict[str, int] = record.verify.get("counts", {})
    bars = [(name, int(counts.get(name, 0)), kind) for name, kind in VERIFY_KINDS.items()]
    verdict = (
        "every valid row is in the channel as sent" if record.verify.get("ok") else "rows are missing or different"
    )
    checked = time.strftime("%Y-%m-%d %H:%M", time.localtime(float(record.verify.get("finished_at", 0))))
    description = "Reconciliation of the channel with the source: " + ", ".join(f"{n} {v:,}" for n, v, _ in bars)
    return f'<h2>Verify</h2><p>{escape(verdict)} <span class="muted">(checked {checked})</span></p>' + bar_chart(
        "verify", "Verify's reconciliation", description, bars
    )


def render(record: RunRecord) -> str:
    title = f"{record.job}: run report"
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>"
        f'<h1>{escape(title)}</h1><p class="muted">{escape(str(record.state_path))} · written '
        f"{time.strftime('%Y-%m-%d %H:%M:%S')}</p>"
        + _headline(record)
        + _phase_sections(record)
        + _rejections(record)
        + _segments(record)
        + _shards(record)
        + _verify(record)
        + "</body></html>"
    )


def write_report(state_path: Path, output: Path | None = None) -> Path:
    """Write the job's report (``report.html`` in its state directory unless ``output`` says where)."""
    record = load_run(state_path)
    target = output or state_path / "report.html"
    try:
        write_atomic(target, render(record).encode("utf-8"))
    except OSError as error:
        raise UsageError(f"cannot write the report to {target}: {error.strerror}; pick another --output") from None
    return target

"""Charts as inline SVG: no script, no network, colours from the page's stylesheet (light and dark), each with
a title and a description for screen readers, and axes with labels."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from html import escape

from bulkcontacts.report.series import clock, nice_ceiling, time_ticks

WIDTH, HEIGHT = 960, 260
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 16, 44
TICKS = 5


@dataclass
class Line:
    name: str  # the series' name: its CSS class (``s-<name>``) and ``data-series``
    label: str
    points: list[tuple[float, float]]
    dashed: bool = False


@dataclass
class Chart:
    key: str  # the element id
    title: str
    description: str
    x_label: str
    y_label: str
    x_max: float
    lines: list[Line]
    marks: list[tuple[float, str]] = field(default_factory=list)  # (x, what): 429s
    bands: list[tuple[float, float]] = field(default_factory=list)  # (from, to): the breaker was open
    rules: list[tuple[float, str]] = field(default_factory=list)  # (x, label): resume points


@dataclass(frozen=True)
class Frame:
    """The plot area and its scales."""

    x_max: float
    y_max: float

    def x(self, value: float) -> float:
        return LEFT + value / (self.x_max or 1.0) * (WIDTH - LEFT - RIGHT)

    def y(self, value: float) -> float:
        return TOP + (1 - value / self.y_max) * (HEIGHT - TOP - BOTTOM)


def _open_svg(key: str, title: str, description: str, height: int = HEIGHT) -> str:
    return (
        f'<svg id="{escape(key)}" class="chart" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-labelledby="{key}-title {key}-desc" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{key}-title">{escape(title)}</title><desc id="{key}-desc">{escape(description)}</desc>'
    )


def _axes(frame: Frame, x_label: str, y_label: str, y_format: Callable[[float], str]) -> list[str]:
    parts = []
    for step in range(TICKS + 1):
        value = frame.y_max * step / TICKS
        y = frame.y(value)
        parts.append(f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>')
        parts.append(f'<text class="tick" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{y_format(value)}</text>')
    for value in time_ticks(frame.x_max):
        x = frame.x(value)
        parts.append(
            f'<text class="tick" x="{x:.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle">{clock(value)}</text>'
        )
    parts.append(
        f'<line class="axis" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{HEIGHT - BOTTOM}" y2="{HEIGHT - BOTTOM}"/>'
        f'<line class="axis" x1="{LEFT}" x2="{LEFT}" y1="{TOP}" y2="{HEIGHT - BOTTOM}"/>'
        f'<text class="label" x="{(LEFT + WIDTH - RIGHT) / 2}" y="{HEIGHT - 6}" text-anchor="middle">'
        f"{escape(x_label)}</text>"
        f'<text class="label" transform="rotate(-90)" x="{-(TOP + HEIGHT - BOTTOM) / 2}" y="14" '
        f'text-anchor="middle">{escape(y_label)}</text>'
    )
    return parts


def number(value: float) -> str:
    return f"{value:,.0f}" if value >= 10 or value == int(value) else f"{value:,.1f}"


def line_chart(chart: Chart) -> str:
    """Lines over run time, with bands (breaker open), rules (resumes) and marks (429s) on top."""
    top = max((y for line in chart.lines for _, y in line.points), default=0.0)
    frame = Frame(chart.x_max, nice_ceiling(top * 1.08))
    parts = [_open_svg(chart.key, chart.title, chart.description)]
    for start, end in chart.bands:
        x0, x1 = frame.x(start), frame.x(end)
        parts.append(
            f'<rect class="band-breaker" x="{x0:.1f}" y="{TOP}" width="{max(1.0, x1 - x0):.1f}" '
            f'height="{HEIGHT - TOP - BOTTOM}"><title>circuit breaker open {clock(start)}–{clock(end)}</title></rect>'
        )
    parts += _axes(frame, chart.x_label, chart.y_label, number)
    for line in chart.lines:
        points = " ".join(f"{frame.x(x):.1f},{frame.y(y):.1f}" for x, y in line.points)
        dash = ' stroke-dasharray="6 4"' if line.dashed else ""
        parts.append(
            f'<polyline class="line s-{line.name}" data-series="{line.name}" data-points="{len(line.points)}" '
            f'fill="none"{dash} points="{points}"><title>{escape(line.label)}</title></polyline>'
        )
    parts += _rules(frame, chart.rules)
    parts.append(f'<g class="marks" data-series="throttled" data-points="{len(chart.marks)}">')
    for x, what in chart.marks:
        parts.append(
            f'<path class="mark-429" d="M{frame.x(x):.1f},{TOP + 8} l-5,-8 h10 z"><title>{escape(what)}</title></path>'
        )
    parts.append("</g></svg>")
    return "".join(parts)


def _rules(frame: Frame, rules: list[tuple[float, str]]) -> list[str]:
    parts = []
    for x, label in rules:
        at = frame.x(x)
        parts.append(
            f'<line class="rule" data-rule="resume" x1="{at:.1f}" x2="{at:.1f}" y1="{TOP}" y2="{HEIGHT - BOTTOM}"/>'
            f'<text class="rule-label" x="{at + 4:.1f}" y="{TOP + 22}">{escape(label)}</text>'
        )
    return parts


def bar_chart(key: str, title: str, description: str, bars: list[tuple[str, int, str]]) -> str:
    """Horizontal bars, one per (label, value, class), longest first as given."""
    row, left = 26, 240
    height = TOP + row * len(bars) + 8
    top = max((value for _, value, _ in bars), default=0) or 1
    parts = [_open_svg(key, title, description, height)]
    for place, (label, value, kind) in enumerate(bars):
        y = TOP + place * row
        width = (WIDTH - left - 120) * value / top
        parts.append(
            f'<text class="tick" x="{left - 8}" y="{y + 15}" text-anchor="end">{escape(label)}</text>'
            f'<rect class="bar bar-{kind}" data-value="{value}" x="{left}" y="{y}" width="{max(width, 1.0):.1f}" '
            f'height="{row - 8}"><title>{escape(label)}: {value:,}</title></rect>'
            f'<text class="tick" x="{left + width + 6:.1f}" y="{y + 15}">{value:,}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


@dataclass(frozen=True)
class Span:
    start: float  # wall-clock seconds (epoch)
    end: float
    label: str
    kind: str  # how it ended: the CSS class ``span-<kind>``


def span_chart(key: str, title: str, description: str, spans: list[Span]) -> str:
    """Spans on a wall-clock axis, one row each (the run segments, and the time between them)."""
    row, left = 30, 120
    height = TOP + row * len(spans) + 28
    first = min((span.start for span in spans), default=0.0)
    length = max((span.end for span in spans), default=1.0) - first or 1.0
    scale = (WIDTH - left - RIGHT) / length
    parts = [_open_svg(key, title, description, height)]
    for place, span in enumerate(spans):
        y, x = TOP + place * row, left + (span.start - first) * scale
        parts.append(
            f'<text class="tick" x="{left - 8}" y="{y + 16}" text-anchor="end">run {place + 1}</text>'
            f'<rect class="span span-{span.kind}" data-status="{span.kind}" x="{x:.1f}" y="{y}" '
            f'width="{max((span.end - span.start) * scale, 2.0):.1f}" height="{row - 10}">'
            f"<title>{escape(span.label)}</title></rect>"
            f'<text class="tick" x="{min(x + 4, WIDTH - 300):.1f}" y="{y + 34 - 18}" dx="2">{escape(span.label)}</text>'
        )
    parts.append(
        f'<text class="label" x="{left}" y="{height - 6}">wall clock, {clock(length)} from the first start '
        "to the last end</text></svg>"
    )
    return "".join(parts)

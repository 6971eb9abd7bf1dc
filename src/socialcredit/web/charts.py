"""Charts drawn on the server as inline SVG: no script, no image request, readable by a
screen reader (each chart is an image with a title and a description, and the page shows
its figures in a table beside it).

Geometry only: the caller gives the words, already in the visitor's language.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from markupsafe import Markup, escape

__all__ = ["Bar", "Mark", "Point", "bar_chart", "line_chart"]

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 56, 28, 16, 40
LABEL_GAP = 56
INK, GRID, LINE, NEGATIVE, POSITIVE = "#1a1a1a", "#767676", "#0b4f8a", "#b3261e", "#1b6e20"


@dataclass(frozen=True)
class Point:
    """A value at a moment, with its axis label."""

    at: datetime
    value: int
    label: str


@dataclass(frozen=True)
class Mark:
    """Something that happened at a moment: an entry, drawn as a tick on the time axis."""

    at: datetime
    negative: bool
    label: str


@dataclass(frozen=True)
class Bar:
    """One bar: its label and its count."""

    label: str
    value: int


def _frame(id_: str, title: str, description: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-labelledby="{id_}-title {id_}-desc" class="chart">'
        f'<title id="{id_}-title">{escape(title)}</title>'
        f'<desc id="{id_}-desc">{escape(description)}</desc>'
    )


def _scale(low: float, high: float, start: float, end: float) -> tuple[float, float]:
    """The slope and offset that map [low, high] onto [start, end]."""
    span = (high - low) or 1.0
    slope = (end - start) / span
    return slope, start - low * slope


def _labelled(points: Sequence[Point], x: Callable[[datetime], float]) -> list[Point]:
    """The points to label on the time axis: the last, and about six more, none crowded."""
    every = max(1, len(points) // 6)
    shown = [points[-1]]
    for i in range(len(points) - 2, -1, -1):
        if i % every == 0 and x(shown[-1].at) - x(points[i].at) >= LABEL_GAP:
            shown.append(points[i])
    return shown


def line_chart(
    id_: str,
    points: Sequence[Point],
    marks: Sequence[Mark],
    bands: Sequence[tuple[str, int]],
    *,
    title: str,
    description: str,
) -> Markup:
    """A line of values over time, with a tick for each mark and a dashed line at each
    band's lower bound that falls inside the range drawn."""
    if not points:
        return Markup("")
    values = [p.value for p in points]
    pad = max(10, (max(values) - min(values)) // 5)
    low, high = min(values) - pad, max(values) + pad
    first, last = points[0].at.timestamp(), points[-1].at.timestamp()
    if first == last:
        first -= 86400
    ax, bx = _scale(first, last, LEFT, WIDTH - RIGHT)
    ay, by = _scale(low, high, HEIGHT - BOTTOM, TOP)

    def x(moment: datetime) -> float:
        return round(ax * moment.timestamp() + bx, 1)

    def y(value: float) -> float:
        return round(ay * value + by, 1)

    parts = [_frame(id_, title, description)]
    base = HEIGHT - BOTTOM
    parts.append(
        f'<line x1="{LEFT}" y1="{base}" x2="{WIDTH - RIGHT}" y2="{base}" stroke="{INK}"/>'
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{base}" stroke="{INK}"/>'
    )
    for name, lower in bands:
        if low < lower < high:
            parts.append(
                f'<line x1="{LEFT}" y1="{y(lower)}" x2="{WIDTH - RIGHT}" y2="{y(lower)}" '
                f'stroke="{GRID}" stroke-dasharray="4 4"/>'
                f'<text x="{WIDTH - RIGHT - 4}" y="{y(lower) - 4}" text-anchor="end" '
                f'font-size="12" fill="{INK}">{escape(name)} ≥ {lower}</text>'
            )
    for value in (low + pad, high - pad):
        parts.append(
            f'<text x="{LEFT - 6}" y="{y(value) + 4}" text-anchor="end" font-size="12" '
            f'fill="{INK}">{value}</text>'
        )
    for point in _labelled(points, x):
        parts.append(
            f'<text x="{x(point.at)}" y="{base + 18}" text-anchor="middle" font-size="12" '
            f'fill="{INK}">{escape(point.label)}</text>'
        )
    for mark in marks:
        colour = NEGATIVE if mark.negative else POSITIVE
        parts.append(
            f"<g><title>{escape(mark.label)}</title>"
            f'<line x1="{x(mark.at)}" y1="{base}" x2="{x(mark.at)}" y2="{base - 14}" '
            f'stroke="{colour}" stroke-width="3"/>'
            f'<circle cx="{x(mark.at)}" cy="{base - 18}" r="4" fill="{colour}"/></g>'
        )
    path = " ".join(f"{x(p.at)},{y(p.value)}" for p in points)
    parts.append(f'<polyline points="{path}" fill="none" stroke="{LINE}" stroke-width="2.5"/>')
    for point in points:
        parts.append(
            f'<circle cx="{x(point.at)}" cy="{y(point.value)}" r="3" fill="{LINE}">'
            f"<title>{escape(point.label)}: {point.value}</title></circle>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def bar_chart(id_: str, bars: Sequence[Bar], *, title: str, description: str) -> Markup:
    """Vertical bars, one per label, each with its count above it."""
    if not bars:
        return Markup("")
    top = max(b.value for b in bars) or 1
    slot = (WIDTH - LEFT - RIGHT) / len(bars)
    base = HEIGHT - BOTTOM
    parts = [_frame(id_, title, description)]
    parts.append(f'<line x1="{LEFT}" y1="{base}" x2="{WIDTH - RIGHT}" y2="{base}" stroke="{INK}"/>')
    for i, bar in enumerate(bars):
        height = round((base - TOP - 16) * bar.value / top, 1)
        left = round(LEFT + i * slot + slot * 0.15, 1)
        middle = round(LEFT + i * slot + slot / 2, 1)
        parts.append(
            f'<rect x="{left}" y="{base - height}" width="{round(slot * 0.7, 1)}" '
            f'height="{height}" fill="{LINE}"/>'
            f'<text x="{middle}" y="{base - height - 4}" text-anchor="middle" font-size="12" '
            f'fill="{INK}">{bar.value}</text>'
            f'<text x="{middle}" y="{base + 18}" text-anchor="middle" font-size="12" '
            f'fill="{INK}">{escape(bar.label)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))

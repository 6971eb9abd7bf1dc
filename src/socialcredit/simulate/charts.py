"""Charts as inline SVG: stacked bars, lines and horizontal bars, with axes and a legend.

Drawn here rather than by a charting library: a library would bring JavaScript or a browser
to render, fetch nothing offline at best, and rarely give byte-identical output; a few lines
of SVG do all three. Each chart carries its title for screen readers.
"""

from __future__ import annotations

from html import escape

__all__ = ["bars", "line_chart", "stacked_bars"]

_PALETTE = ("#1b7837", "#5aae61", "#a6dba0", "#d9b365", "#e66101", "#b2182b", "#762a83", "#4d4d4d")
_LINES = ("#0b5394", "#b2182b", "#1b7837", "#6a3d9a")
_W, _H, _LEFT, _RIGHT, _TOP, _BOTTOM = 720, 300, 56, 150, 16, 40  # size and margins


def _num(value: float) -> str:
    return f"{value:.1f}".removesuffix(".0")


def _svg(slug: str, title: str, body: list[str]) -> str:
    head = (
        f'<svg viewBox="0 0 {_W} {_H}" width="{_W}" '
        f'height="{_H}" role="img" aria-labelledby="{slug}-t">'
        f'<title id="{slug}-t">{escape(title)}</title>'
    )
    return head + "".join(body) + "</svg>"


def _axes(labels: list[str], top: float, percent: bool) -> list[str]:
    plot_w, plot_h = _W - _LEFT - _RIGHT, _H - _TOP - _BOTTOM
    parts = [f'<rect x="{_LEFT}" y="{_TOP}" width="{plot_w}" height="{plot_h}" class="frame"/>']
    for i in range(5):
        value = top * i / 4
        y = _TOP + plot_h - plot_h * i / 4
        text = f"{value * 100:.0f}%" if percent else f"{value:,.2f}".rstrip("0").rstrip(".")
        parts.append(f'<line x1="{_LEFT}" x2="{_LEFT + plot_w}" y1="{_num(y)}" y2="{_num(y)}"/>')
        parts.append(f'<text x="{_LEFT - 6}" y="{_num(y + 4)}" text-anchor="end">{text}</text>')
    every = max(1, -(-len(labels) // 12))
    step = plot_w / max(len(labels), 1)
    for i, label in enumerate(labels):
        if i % every == 0:
            x = _LEFT + step * (i + 0.5)
            parts.append(
                f'<text x="{_num(x)}" y="{_H - _BOTTOM + 16}" text-anchor="middle">'
                f"{escape(label)}</text>"
            )
    return parts


def _legend(names: list[str], colours: list[str]) -> list[str]:
    parts, x = [], _W - _RIGHT + 14
    for i, (name, colour) in enumerate(zip(names, colours, strict=True)):
        y = _TOP + 4 + i * 20
        parts.append(f'<rect x="{x}" y="{y}" width="12" height="12" fill="{colour}"/>')
        parts.append(f'<text x="{x + 18}" y="{y + 11}">{escape(name)}</text>')
    return parts


def _nice(top: float) -> float:
    # The smallest of 1, 2, 4, 6, 8 times a power of ten at or above `top`: quarters of it
    # are round numbers.
    if top <= 0:
        return 1.0
    power = 10 ** (len(str(int(top))) - 1)
    return float(next(power * f for f in (1, 2, 4, 6, 8, 10) if power * f >= top))


def stacked_bars(slug: str, title: str, labels: list[str], series: dict[str, list[float]]) -> str:
    """Shares stacked to 100% per label, one colour per series (first at the bottom)."""
    plot_w, plot_h = _W - _LEFT - _RIGHT, _H - _TOP - _BOTTOM
    step = plot_w / max(len(labels), 1)
    colours = [_PALETTE[i % len(_PALETTE)] for i in range(len(series))]
    body = _axes(labels, 1.0, percent=True)
    for i in range(len(labels)):
        base = 0.0
        for colour, values in zip(colours, series.values(), strict=True):
            height = plot_h * values[i]
            y = _TOP + plot_h - base - height
            body.append(
                f'<rect x="{_num(_LEFT + step * i + step * 0.1)}" y="{_num(y)}" '
                f'width="{_num(step * 0.8)}" height="{_num(height)}" fill="{colour}"/>'
            )
            base += height
    return _svg(slug, title, body + _legend(list(series), colours))


def line_chart(slug: str, title: str, labels: list[str], series: dict[str, list[float]]) -> str:
    """One line per series over the labels, from zero up."""
    plot_w, plot_h = _W - _LEFT - _RIGHT, _H - _TOP - _BOTTOM
    step = plot_w / max(len(labels), 1)
    top = _nice(max((v for values in series.values() for v in values), default=0))
    colours = [_LINES[i % len(_LINES)] for i in range(len(series))]
    body = _axes(labels, top, percent=False)
    for colour, values in zip(colours, series.values(), strict=True):
        points = " ".join(
            f"{_num(_LEFT + step * (i + 0.5))},{_num(_TOP + plot_h - plot_h * v / top)}"
            for i, v in enumerate(values)
        )
        body.append(f'<polyline points="{points}" fill="none" stroke="{colour}" class="line"/>')
    return _svg(slug, title, body + _legend(list(series), colours))


def bars(slug: str, title: str, labels: list[str], values: list[float]) -> str:
    """Horizontal bars, one per label, longest scale at the largest value."""
    row, left = 24, 300
    height = _TOP * 2 + row * max(len(labels), 1)
    top = max(values, default=0) or 1
    body = [f'<svg viewBox="0 0 {_W} {height}" width="{_W}" ']
    body.append(f'height="{height}" role="img" aria-labelledby="{slug}-t">')
    body.append(f'<title id="{slug}-t">{escape(title)}</title>')
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = _TOP + row * i
        width = (_W - left - 80) * value / top
        body.append(f'<text x="{left - 8}" y="{y + 15}" text-anchor="end">{escape(label)}</text>')
        body.append(
            f'<rect x="{left}" y="{y + 3}" width="{_num(width)}" height="16" fill="{_LINES[0]}"/>'
        )
        body.append(f'<text x="{_num(left + width + 6)}" y="{y + 15}">{value:,.0f}</text>')
    return "".join(body) + "</svg>"


# --- the page ------------------------------------------------------------------------------

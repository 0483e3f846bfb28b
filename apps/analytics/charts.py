"""Server-side SVG charts: no JavaScript, nothing inline but the SVG itself (CSP-safe), and readable
without colour: each series has its own marker shape and dash pattern, points carry <title>
tooltips, and the caller always shows the same numbers in a table next to the chart.

    line_chart(labels=["2026-01", ...], series=[{"label": "Enterprise", "values": [71.2, None, ...]}],
               y_min=0, y_max=100, y_suffix="%", bands=[(0, 40, "red"), ...], title="...")

None values leave a gap. Colours come from CSS classes (chart__series--N, chart__band--red).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT = 640, 240
LEFT, RIGHT, TOP, BOTTOM = 44, 12, 12, 36
MARKERS = ("circle", "square", "triangle", "diamond", "cross")
DASHES = ("", "6 3", "2 3", "8 3 2 3", "1 2")


def _marker(shape: str, x: float, y: float) -> str:
    if shape == "circle":
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5"'
    if shape == "square":
        return f'<rect x="{x - 3.5:.1f}" y="{y - 3.5:.1f}" width="7" height="7"'
    if shape == "triangle":
        return (
            f'<polygon points="{x:.1f},{y - 4.5:.1f} {x + 4.5:.1f},{y + 3.5:.1f} {x - 4.5:.1f},{y + 3.5:.1f}"'
        )
    if shape == "diamond":
        return (
            f'<polygon points="{x:.1f},{y - 5:.1f} {x + 5:.1f},{y:.1f} {x:.1f},{y + 5:.1f} '
            f'{x - 5:.1f},{y:.1f}"'
        )
    return (
        f'<path d="M{x - 4:.1f},{y - 4:.1f} L{x + 4:.1f},{y + 4:.1f} M{x - 4:.1f},{y + 4:.1f} '
        f'L{x + 4:.1f},{y - 4:.1f}" stroke-width="2"'
    )


def _ticks(y_min: float, y_max: float, count: int = 4) -> list[float]:
    """About `count` gridlines at round steps (1, 2, 2.5 or 5 times a power of ten)."""
    span = (y_max - y_min) / count or 1
    power = 10 ** math.floor(math.log10(span))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= span)
    first = math.ceil(y_min / step) * step
    ticks, value = [], first
    while value <= y_max + 1e-9:
        ticks.append(value)
        value += step
    return ticks


def _number(value: float) -> str:
    return f"{value:.0f}" if abs(value - round(value)) < 1e-9 else f"{value:.1f}"


def line_chart(
    *,
    labels: Sequence[str],
    series: Sequence[dict],
    title: str,
    y_min: float = 0,
    y_max: float = 100,
    y_suffix: str = "",
    bands: Sequence[tuple[float, float, str]] = (),
) -> SafeString:
    """An accessible SVG line chart. `series` items: {"label": str, "values": [float | None]}."""
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    span = (y_max - y_min) or 1
    count = max(len(labels), 1)

    def x_at(i: int) -> float:
        return LEFT + (plot_w * (i + 0.5) / count)

    def y_at(value: float) -> float:
        clamped = min(max(value, y_min), y_max)
        return TOP + plot_h * (1 - (clamped - y_min) / span)

    title_id = _slug(title)
    # Numbers are formatted here; every piece of text goes through escape().
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="{title_id}">'
        f'<title id="{title_id}">{escape(title)}</title>'
    ]
    for low, high, name in bands:
        top, bottom = y_at(high), y_at(low)
        parts.append(
            f'<rect class="chart__band chart__band--{escape(name)}" x="{LEFT}" y="{top:.1f}" '
            f'width="{plot_w}" height="{bottom - top:.1f}"></rect>'
        )
    for tick in _ticks(y_min, y_max):
        y = y_at(tick)
        parts.append(
            f'<line class="chart__grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"></line>'
            f'<text class="chart__axis" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">'
            f"{_number(tick)}{escape(y_suffix)}</text>"
        )
    # At most ~8 x labels, so a year of months or a half-year of weeks stays legible.
    every = max(1, -(-len(labels) // 8))
    for i, label in enumerate(labels):
        if (len(labels) - 1 - i) % every == 0:  # counted from the latest, so it is always labelled
            parts.append(
                f'<text class="chart__axis" x="{x_at(i):.1f}" y="{HEIGHT - BOTTOM + 18}" '
                f'text-anchor="middle">{escape(label)}</text>'
            )
    for index, item in enumerate(series):
        marker, dash = MARKERS[index % len(MARKERS)], DASHES[index % len(DASHES)]
        css = f"chart__series chart__series--{index % 5}"
        segments, current = [], []
        for i, value in enumerate(item["values"]):
            if value is None:
                if current:
                    segments.append(current)
                current = []
                continue
            current.append((x_at(i), y_at(value)))
        if current:
            segments.append(current)
        for segment in segments:
            if len(segment) > 1:
                points = " ".join(f"{x:.1f},{y:.1f}" for x, y in segment)
                dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
                parts.append(f'<polyline class="{css}" points="{points}" fill="none"{dash_attr}></polyline>')
        closing = {"circle": "</circle>", "square": "</rect>", "cross": "</path>"}.get(marker, "</polygon>")
        for i, value in enumerate(item["values"]):
            if value is None:
                continue
            tip = escape(f"{item['label']}, {labels[i]}: {_number(value)}{y_suffix}")
            parts.append(
                f'{_marker(marker, x_at(i), y_at(value))} class="{css} chart__marker">'
                f"<title>{tip}</title>{closing}"
            )
    parts.append("</svg>")
    legend = format_html_join(
        "",
        '<li><span class="chart__key chart__key--{}" aria-hidden="true">{}</span> {}</li>',
        (
            (index % 5, _legend_symbol(MARKERS[index % len(MARKERS)]), item["label"])
            for index, item in enumerate(series)
        ),
    )
    if len(series) > 1:
        parts.append(str(format_html('<ul class="chart__legend cluster">{}</ul>', legend)))
    return mark_safe("".join(parts))  # noqa: S308  (numbers formatted here, text escaped above)  # nosec B308, B703


def _legend_symbol(marker: str) -> str:
    return {"circle": "●", "square": "■", "triangle": "▲", "diamond": "◆", "cross": "✕"}[marker]


def _slug(text: str) -> str:
    return "chart-" + "".join(c if c.isalnum() else "-" for c in text.lower())[:40]

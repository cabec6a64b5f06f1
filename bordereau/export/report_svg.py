"""Inline SVG charts for the activity report: no plotting library, no external resource.

Every text is escaped; each chart carries a ``<title>`` for screen readers and prints in
black and white (dark fills, values written next to the bars).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

BLUE = "#1f5f8b"
RED = "#a93226"
GREY = "#95a5a6"
GRID = "#d5dbe1"
INK = "#1b2631"
CHAR_PX = 6.6  # mean width of a 12 px sans-serif character
WIDTH = 720


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    text: str  # what is written at the end of the bar
    colour: str = BLUE
    hint: str = ""  # extra text of the tooltip


def french_number(value: float, decimals: int = 1) -> str:
    """``1234.5`` → ``1 234,5`` (no-break thin space between thousands)."""
    text = f"{value:,.{decimals}f}" if value % 1 or decimals == 0 else f"{value:,.0f}"
    return text.replace(",", "\u202f").replace(".", ",")


def percent(share: float | None) -> str:
    return "–" if share is None else french_number(round(share * 100), 0) + "\u00a0%"


def _step(maximum: float) -> float:
    """A round tick step giving at most five intervals."""
    for power in range(0, 12):
        for base in (1, 2, 5):
            step = base * 10**power
            if maximum / step <= 5:
                return float(step)
    return float(10**12)


def _short(text: str, chars: int) -> str:
    return text if len(text) <= chars else text[: max(chars - 1, 1)].rstrip() + "…"


def _svg(height: float, title: str, body: list[str]) -> Markup:
    return Markup(
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height:.0f}" role="img" '
        f'preserveAspectRatio="xMinYMin meet"><title>{escape(title)}</title>'
        + "".join(body) + "</svg>"
    )


def _text(x: float, y: float, text: str, anchor: str = "start", size: int = 12,
          colour: str = INK, weight: str = "normal") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}" font-size="{size}" '
            f'fill="{colour}" font-weight="{weight}">{escape(text)}</text>')


def _wrap(text: str, chars: int, lines: int = 2) -> list[str]:
    """Up to ``lines`` lines of at most ``chars`` characters, cut between words."""
    out: list[str] = []
    rest = text
    while rest and len(out) < lines - 1 and len(rest) > chars:
        cut = rest.rfind(" ", 0, chars + 1)
        cut = cut if cut > 0 else chars
        out.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    out.append(_short(rest, chars))
    return out


def hbar_chart(bars: Sequence[Bar], title: str, *, scale_max: float | None = None,
               unit: str = "") -> Markup:
    """Horizontal bars, one per category, labels on the left (two lines at most), values on
    the right."""
    if not bars:
        return Markup('<p class="empty">Aucune donnée sur la période.</p>')
    line, bar_h, top, bottom, right = 14, 15, 6, 26, 70
    longest = max(len(b.label) for b in bars)
    label_w = min(max(longest * CHAR_PX + 14, 110), 360)
    chars = int((label_w - 14) / CHAR_PX)
    labels = [_wrap(b.label, chars) for b in bars]
    rows = [10 + line * len(lines) for lines in labels]
    plot_w = WIDTH - label_w - right
    maximum = scale_max if scale_max is not None else max(max(b.value for b in bars), 1)
    step = scale_max / 4 if scale_max is not None else _step(maximum)
    maximum = math.ceil(maximum / step) * step if scale_max is None else maximum
    axis_y = top + sum(rows)
    body: list[str] = []
    for n in range(round(maximum / step) + 1):
        x = label_w + plot_w * n * step / maximum
        body.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{axis_y}" '
                    f'stroke="{GRID}" stroke-width="1"/>')
        body.append(_text(x, axis_y + 16, french_number(n * step, 0) + unit, "middle", 11))
    y0 = float(top)
    for bar, lines, row in zip(bars, labels, rows, strict=True):
        middle = y0 + row / 2
        w = plot_w * bar.value / maximum if maximum else 0
        tip = escape(bar.label + (f" — {bar.hint}" if bar.hint else "") + f" : {bar.text}")
        body.append(f"<g><title>{tip}</title>")
        first = middle + 4 - line * (len(lines) - 1) / 2
        for n, text in enumerate(lines):
            body.append(_text(label_w - 8, first + line * n, text, "end"))
        body.append(f'<rect x="{label_w:.1f}" y="{middle - bar_h / 2:.1f}" '
                    f'width="{max(w, 0):.1f}" height="{bar_h}" fill="{bar.colour}"/>')
        body.append(_text(label_w + w + 5, middle + 4, bar.text, weight="bold"))
        body.append("</g>")
        y0 += row
    body.append(f'<line x1="{label_w:.1f}" y1="{top}" x2="{label_w:.1f}" y2="{axis_y}" '
                f'stroke="{INK}" stroke-width="1"/>')
    return _svg(axis_y + bottom, title, body)


def column_chart(columns: Sequence[tuple[str, str, str, int]], title: str) -> Markup:
    """Vertical bars in time order: (label, second label line, tooltip, count). The second
    line (the year) is written under the first column and under each January."""
    if not columns:
        return Markup('<p class="empty">Aucune donnée sur la période.</p>')
    left, right, top, bottom, height = 40, 10, 18, 44, 250
    plot_w, plot_h = WIDTH - left - right, height - top - bottom
    top_count = max(max(c[3] for c in columns), 1)
    step = _step(top_count)
    maximum = math.ceil(top_count / step) * step
    slot = plot_w / len(columns)
    every = max(1, math.ceil(len(columns) / 18))
    body: list[str] = []
    for n in range(round(maximum / step) + 1):
        y = top + plot_h - plot_h * n * step / maximum
        body.append(f'<line x1="{left}" y1="{y:.1f}" x2="{WIDTH - right}" y2="{y:.1f}" '
                    f'stroke="{GRID}" stroke-width="1"/>')
        body.append(_text(left - 6, y + 4, french_number(n * step, 0), "end", 11))
    for index, (short, second, long, count) in enumerate(columns):
        h = plot_h * count / maximum
        x = left + slot * index + slot * 0.15
        body.append(f"<g><title>{escape(long)} : {count}</title>")
        body.append(f'<rect x="{x:.1f}" y="{top + plot_h - h:.1f}" width="{slot * 0.7:.1f}" '
                    f'height="{h:.1f}" fill="{BLUE}"/>')
        if count and slot >= 14:
            body.append(_text(x + slot * 0.35, top + plot_h - h - 4, str(count), "middle", 11,
                              weight="bold"))
        body.append("</g>")
        if index % every == 0:
            cx = left + slot * (index + 0.5)
            body.append(_text(cx, top + plot_h + 15, short, "middle", 11))
            if second and (index == 0 or short == "janv." or every > 1):
                body.append(_text(cx, top + plot_h + 29, second, "middle", 11, GREY))
    body.append(f'<line x1="{left}" y1="{top + plot_h}" x2="{WIDTH - right}" '
                f'y2="{top + plot_h}" stroke="{INK}" stroke-width="1"/>')
    return _svg(height, title, body)


def stacked_bar(parts: Sequence[tuple[str, int, str]], title: str) -> Markup:
    """One bar split in parts (label, count, colour) with a legend under it."""
    total = sum(count for _, count, _ in parts)
    if not total:
        return Markup('<p class="empty">Aucune donnée sur la période.</p>')
    body: list[str] = []
    x, top, bar_h = 0.0, 4, 28
    for label, count, colour in parts:
        w = WIDTH * count / total
        if w:
            body.append(f'<g><title>{escape(label)} : {count}</title><rect x="{x:.1f}" '
                        f'y="{top}" width="{w:.1f}" height="{bar_h}" fill="{colour}" '
                        'stroke="#ffffff" stroke-width="1"/></g>')
            if w > 46:
                body.append(_text(x + w / 2, top + 19, percent(count / total), "middle", 12,
                                  "#ffffff", "bold"))
        x += w
    lx = 0.0
    for label, count, colour in parts:
        text = f"{label} : {count} ({percent(count / total)})"
        body.append(f'<rect x="{lx:.1f}" y="{top + bar_h + 12}" width="12" height="12" '
                    f'fill="{colour}"/>')
        body.append(_text(lx + 17, top + bar_h + 22, text))
        lx += 17 + len(text) * CHAR_PX + 24
    return _svg(top + bar_h + 32, title, body)

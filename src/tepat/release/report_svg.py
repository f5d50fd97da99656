"""Horizontal bar charts as inline SVG, drawn in Python (no JavaScript, no external files).

Horizontal bars keep labels readable on a 360-px phone: every row has its label on the left and
its value written after the bar, so nothing depends on colour alone. Colours come from CSS
classes in the report's stylesheet. Coordinates are rounded to one decimal, so the same rows
always give the same markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tepat.release.report_format import esc

WIDTH = 400
ROW = 26
BAR = 18
HEADING = 26
TOP = 22
BOTTOM = 6
MAX_LABEL = 20
# Text is 14 user units (set in the stylesheet); this is a generous average glyph width for the
# system sans-serif fonts, used to size the label and value columns to their longest text.
CHAR = 8.4
GAP = 10


@dataclass(frozen=True)
class Bar:
    """One bar: ``label`` on the left, ``text`` after the bar, ``tooltip`` on hover."""

    label: str
    value: float | None
    text: str
    tooltip: str
    series: str = ""


@dataclass(frozen=True)
class Heading:
    """A group heading row in a grouped chart."""

    label: str


@dataclass(frozen=True)
class RefLine:
    """A dashed vertical reference line at ``value`` with a short ``label`` above it."""

    value: float
    label: str


def _n(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _short(label: str) -> str:
    return label if len(label) <= MAX_LABEL else label[: MAX_LABEL - 1] + "…"


def hbar_chart(
    rows: Sequence[Bar | Heading],
    *,
    chart_id: str,
    css_class: str,
    title: str,
    ref: RefLine | None = None,
) -> str:
    """An SVG bar chart, one row per bar, scaled to the largest value (or the reference line).

    Every bar is a ``<rect class="bar {css_class}-bar ...">`` with a ``<title>`` tooltip, so
    tests and styles can find the bars of one chart by class.
    """
    values = [row.value for row in rows if isinstance(row, Bar) and row.value is not None]
    top = max([*values, ref.value if ref else 0.0, 0.0])
    scale_max = top if top > 0 else 1.0
    bars = [row for row in rows if isinstance(row, Bar)]
    label_width = round(max((len(_short(bar.label)) for bar in bars), default=0) * CHAR + GAP)
    value_width = round(max((len(bar.text) for bar in bars), default=0) * CHAR + GAP)
    area = WIDTH - label_width - value_width
    height = TOP + sum(HEADING if isinstance(row, Heading) else ROW for row in rows) + BOTTOM
    title_id = f"{chart_id}-title"
    parts = [
        f'<svg class="chart {esc(css_class)}" id="{esc(chart_id)}" width="100%" '
        f'viewBox="0 0 {WIDTH} {height}" role="img" aria-labelledby="{esc(title_id)}">',
        f'<title id="{esc(title_id)}">{esc(title)}</title>',
        f'<line class="axis" x1="{label_width}" y1="{TOP - 4}" x2="{label_width}" '
        f'y2="{height - BOTTOM}"/>',
    ]
    texts: list[str] = []
    y = float(TOP)
    for row in rows:
        if isinstance(row, Heading):
            texts.append(
                f'<text class="grp" x="0" y="{_n(y + HEADING - 7)}">{esc(_short(row.label))}</text>'
            )
            y += HEADING
            continue
        mid = y + ROW / 2
        label = _short(row.label)
        label_title = f"<title>{esc(row.label)}</title>" if label != row.label else ""
        texts.append(
            f'<text class="lbl" x="{label_width - 6}" y="{_n(mid + 5)}" text-anchor="end">'
            f"{label_title}{esc(label)}</text>"
        )
        end = float(label_width)
        if row.value is not None:
            length = max(row.value, 0.0) / scale_max * area
            end += length
            series = f" s-{esc(row.series)}" if row.series else ""
            parts.append(
                f'<rect class="bar {esc(css_class)}-bar{series}" x="{label_width}" '
                f'y="{_n(mid - BAR / 2)}" width="{_n(length)}" height="{BAR}">'
                f"<title>{esc(row.tooltip)}</title></rect>"
            )
        texts.append(
            f'<text class="val" x="{_n(end + 4)}" y="{_n(mid + 5)}">{esc(row.text)}</text>'
        )
        y += ROW
    if ref is not None:
        x = label_width + ref.value / scale_max * area
        parts.append(
            f'<line class="ref" x1="{_n(x)}" y1="{TOP - 4}" x2="{_n(x)}" y2="{height - BOTTOM}"/>'
            f'<text class="ref-lbl" x="{_n(x)}" y="{TOP - 9}" text-anchor="middle">'
            f"{esc(ref.label)}</text>"
        )
    parts.extend(texts)
    parts.append("</svg>")
    return "".join(parts)

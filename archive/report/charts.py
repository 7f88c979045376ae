"""Bar charts as SVG written here, so the report draws with no script and no library.

Each bar is a ``rect`` of class ``bar`` carrying ``data-label`` and ``data-count`` and a
``title`` a browser shows on hover: the figures stay readable by people and by tests.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from archive.summary import Count

BAR = 18  # height of a horizontal bar, px
LABEL = 220  # width kept for labels of horizontal bars, px
WIDTH = 760


def horizontal_bars(counts: Sequence[Count], title: str) -> str:
    """One labelled bar per count, longest first as given."""
    if not counts:
        return '<p class="empty">nothing to draw</p>'
    top = max(c.count for c in counts) or 1
    span = WIDTH - LABEL - 60
    height = len(counts) * (BAR + 4) + 4
    parts = [_open(WIDTH, height, title)]
    for i, c in enumerate(counts):
        y = 4 + i * (BAR + 4)
        width = max(1, round(span * c.count / top))
        parts.append(
            f'<text x="{LABEL - 6}" y="{y + BAR - 5}" text-anchor="end">{escape(_short(c.value))}'
            "</text>"
            f'<rect class="bar" x="{LABEL}" y="{y}" width="{width}" height="{BAR}" '
            f'data-label="{escape(c.value)}" data-count="{c.count}">'
            f"<title>{escape(c.value)}: {c.count}</title></rect>"
            f'<text x="{LABEL + width + 4}" y="{y + BAR - 5}">{c.count}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def vertical_bars(counts: Sequence[Count], title: str) -> str:
    """One bar per count in the order given (months), with a label at each year's start."""
    if not counts:
        return '<p class="empty">nothing to draw</p>'
    top = max(c.count for c in counts) or 1
    plot, base = 200, 220
    step = max(4.0, min(60.0, (WIDTH - 40) / len(counts)))
    width = round(40 + step * len(counts))
    parts = [_open(width, base + 24, title)]
    parts.append(f'<text x="2" y="14">{top}</text>')
    for i, c in enumerate(counts):
        x = 36 + i * step
        height = max(1, round(plot * c.count / top))
        parts.append(
            f'<rect class="bar" x="{x:.1f}" y="{base - height}" width="{max(step - 1, 2):.1f}" '
            f'height="{height}" data-label="{escape(c.value)}" data-count="{c.count}">'
            f"<title>{escape(c.value)}: {c.count}</title></rect>"
        )
        if step >= 50 or i == 0 or c.value.endswith("-01"):
            parts.append(f'<text x="{x:.1f}" y="{base + 16}">{escape(c.value)}</text>')
    parts.append(f'<line x1="34" y1="{base}" x2="{width}" y2="{base}" class="axis"/></svg>')
    return "".join(parts)


def _open(width: int, height: int, title: str) -> str:
    return (
        f'<svg class="chart" width="{width}" '
        f'height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>'
    )


def _short(label: str, limit: int = 32) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"

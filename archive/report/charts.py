"""Bar charts drawn by pygal as SVG on the server, so the report draws with no script.

pygal writes the SVG; three things it does by default are undone, because a report makes no
request and is the same bytes for the same release: it links its tooltip script from a CDN
(``js=()``), writes an inline config script and a comment dated today (both removed by an XML
filter), and names the chart with a random uuid (set from the title instead). It serialises with
the standard library's ElementTree, not lxml, so the bytes do not hang on which one is installed.

Each bar is a ``rect`` of class ``bar`` carrying ``data-label`` and ``data-count`` (pygal's
per-value ``node`` attributes) under a ``title`` a browser shows on hover, and the counts are
printed beside the bars: the figures stay readable by people and by tests.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import partial
from xml.etree import ElementTree

import pygal
from pygal.etree import etree as pygal_etree
from pygal.style import Style

from archive.summary import Count

WIDTH = 760
BAR = 22  # height given to each horizontal bar, px
PRINTED = 24  # at most this many vertical bars get their count printed on them
STYLE = Style(
    background="transparent",
    plot_background="transparent",
    foreground="#222",
    foreground_strong="#222",
    foreground_subtle="#888",
    colors=("#3b6ea8",),
    font_family="system-ui, sans-serif",
    label_font_size=11,
    major_label_font_size=11,
    value_font_size=11,
    guide_stroke_color="#ccc",
    major_guide_stroke_color="#ccc",
    opacity="1",
    opacity_hover="1",
)


def horizontal_bars(counts: Sequence[Count], title: str) -> str:
    """One labelled bar per count, the first given at the top."""
    if not counts:
        return '<p class="empty">nothing to draw</p>'
    shown = list(reversed(counts))  # pygal draws a horizontal chart's first value lowest
    top = max(1, max(c.count for c in counts))
    chart = pygal.HorizontalBar(
        _config(),
        height=len(counts) * BAR + 50,
        x_labels=[_short(c.value) for c in shown],  # in full in each bar's label and title
        print_values=True,
        print_values_position="top",
        range=(0, top * 1.15),  # room for the counts printed past the bars
        y_labels=_ticks(top),
    )
    return _svg(chart, shown, title, counts_after_bars=True)


def vertical_bars(counts: Sequence[Count], title: str) -> str:
    """One bar per count in the order given (months), with a label at each year's start."""
    if not counts:
        return '<p class="empty">nothing to draw</p>'
    few = len(counts) <= PRINTED
    top = max(1, max(c.count for c in counts))
    chart = pygal.Bar(
        _config(),
        height=260,
        x_labels=[c.value for c in counts],
        x_labels_major=[c.value for i, c in enumerate(counts) if i == 0 or _starts_year(c)],
        show_minor_x_labels=few,
        truncate_label=-1,
        print_values=few,
        print_values_position="top",
        y_labels=_ticks(top),
    )
    return _svg(chart, counts, title)


def _config() -> pygal.Config:
    return pygal.Config(
        width=WIDTH,
        explicit_size=True,
        style=STYLE,
        classes=["pygal-chart", "chart"],
        show_legend=False,
        show_x_guides=False,
        js=(),
        disable_xml_declaration=True,
        value_formatter=_number,
        margin=6,
        spacing=6,
    )


def _svg(
    chart: pygal.graph.graph.Graph,
    counts: Sequence[Count],
    title: str,
    counts_after_bars: bool = False,
) -> str:
    chart.uuid = _slug(title) or "chart"  # the id pygal scopes the chart's style sheet to
    chart.add(
        title,
        [
            {
                "value": c.count,
                "node": {"class": "bar", "data-label": c.value, "data-count": str(c.count)},
                "tooltip": f"{c.value}: {c.count}",
            }
            for c in counts
        ],
    )
    chart.add_xml_filter(partial(_finished, title=title, counts_after_bars=counts_after_bars))
    pygal_etree.to_etree()
    return chart.render(is_unicode=True)


def _finished(
    root: ElementTree.Element, title: str, counts_after_bars: bool
) -> ElementTree.Element:
    """The chart with no script, comment or ``desc`` (data for pygal's tooltip script, not
    loaded), named for screen readers by ``title``; printed counts begin where their
    horizontal bars end rather than straddle them."""
    for parent in list(root.iter()):
        for child in list(parent):
            if child.tag is ElementTree.Comment or child.tag in ("script", "desc"):
                parent.remove(child)
    if counts_after_bars:
        for text in root.iter("text"):
            if "value" in text.get("class", "").split():
                text.set("text-anchor", "start")
    root.set("role", "img")
    root.set("aria-label", title)
    named = root.find("title")
    if named is not None:
        named.text = title
    return root


def _ticks(top: int) -> list[int]:
    """Whole counts from 0 past ``top`` in steps of 1, 2 or 5 times a power of ten, about 5."""
    step = 1
    while top / step > 6:
        step = step * 5 // 2 if str(step).startswith("2") else step * 2
    return list(range(0, top + step, step))


def _number(value: float) -> str:
    return f"{value:,.0f}"


def _starts_year(count: Count) -> bool:
    return count.value.endswith("-01")


def _slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")


def _short(label: str, most: int = 32) -> str:
    """``label`` cut to ``most`` characters: pygal sizes a horizontal chart's margin by its
    labels and does not cut them, so a long outlet name would squeeze the bars off the chart."""
    return label if len(label) <= most else label[: most - 1] + "\u2026"

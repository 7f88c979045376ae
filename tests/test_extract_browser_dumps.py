"""Text captures as text-mode browsers save pages (``w3m -dump``, ``lynx -dump``): hard-wrapped
at a fixed width, so a long headline runs over two lines; Lynx's first block lists the page's
``<link>`` elements after a ``#``. The captures are fictional, wrapped by ``textwrap``."""

from __future__ import annotations

import textwrap

import pytest

from archive.extract.lines import split_lines
from archive.extract.spans import wrap_width
from archive.extract.text import extract_text_capture
from archive.model import Hints

HEADLINE = (
    "Tarn Valley ferry crews agree new winter timetable after weeks of talks with the council"
)
STORY = (
    "The ferry operators of the Tarn Valley reached an agreement with the district council on "
    "Tuesday evening, ending a dispute over the winter timetable that had left island residents "
    "uncertain about crossings for most of the autumn. Under the new schedule the first boat "
    "will leave the harbour at half past six, and the last will return shortly before ten. "
    "Councillor Maren Oddsdottir said the deal protected the early crossing that nurses and "
    "teachers rely on, while the operators said the later return would be reviewed in March."
)


def _dump(*blocks: str, width: int = 76, indent: str = "") -> str:
    """``blocks`` wrapped at ``width`` as a text browser wraps them, one blank line between."""
    return "\n\n".join(
        textwrap.fill(b, width, initial_indent=indent, subsequent_indent=indent) for b in blocks
    )


def _title_entry(x):
    (entry,) = [p for p in x.provenance if p.field == "title"]
    return entry


def test_a_headline_wrapped_over_two_lines_is_the_whole_headline():
    text = _dump(HEADLINE, "By Ada Quill", STORY, STORY)
    assert text.split("\n")[0] != HEADLINE  # wrapped: the test needs a headline over two lines
    x = extract_text_capture(text, Hints(), language=False)
    assert x.title == HEADLINE
    entry = _title_entry(x)
    assert " ".join(text[entry.start : entry.end].split()) == HEADLINE
    assert "wrapped over 2 lines" in entry.evidence
    headline = [s for s in x.spans if s.kind == "headline"]
    assert [(s.start, s.end) for s in headline] == [(0, text.index("\n\nBy Ada"))]
    assert x.authors == ("Ada Quill",)
    assert x.text.startswith("The ferry operators")


def test_an_unwrapped_headline_does_not_take_the_line_below_it():
    # the same headline and a standfirst in one block, but the capture's lines run to any
    # length: no wrapping, so the line below is the standfirst, as before
    stand = "Island residents had waited since September for a decision on the crossings."
    text = f"{HEADLINE}\n{stand}\n\nBy Ada Quill\n\n{STORY}\n\n{STORY}"
    assert wrap_width(split_lines(text)) is None
    x = extract_text_capture(text, Hints(), language=False)
    assert x.title == HEADLINE
    assert x.standfirst == stand


def test_a_headline_that_ends_its_line_takes_no_line_below():
    # the line below would have fitted on the headline's line: the text was not wrapped there
    head = "Ferry crews agree new winter timetable"
    below = "after weeks of talks"
    text = f"{head}\n{below}\n\nBy Ada Quill\n\n" + _dump(STORY, STORY)
    x = extract_text_capture(text, Hints(), language=False)
    assert x.title == head


@pytest.mark.parametrize("width", [72, 76, 80])
def test_the_width_a_capture_is_wrapped_at_is_read_off_its_lines(width):
    lines = split_lines(_dump(STORY, STORY, STORY, width=width))
    found = wrap_width(lines)
    assert found is not None and width - 15 <= found <= width


def test_lynx_link_list_is_no_headline():
    site = "Tarn Valley Echo"
    links = f"#{site} » Feed {site} » Comments Feed {site} » {HEADLINE} Comments Feed alternate"
    text = _dump(links, indent="   ") + "\n\n" + _dump(HEADLINE, "By Ada Quill", STORY, STORY)
    x = extract_text_capture(text, Hints(), language=False)
    assert x.title == HEADLINE
    assert [s.rule for s in x.spans][0] == "header:link-list"
    assert "alternate" not in x.text


def test_a_hashtag_at_the_start_of_an_unindented_capture_is_kept():
    text = "#Harbour ferry returns after the storm\n\n" + STORY
    x = extract_text_capture(text, Hints(), language=False)
    assert all(s.rule != "header:link-list" for s in x.spans)

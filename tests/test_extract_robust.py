"""Any text at all: extraction never fails and its spans always tile the capture."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from archive.extract import BODY_KINDS, extract_text_capture
from archive.model import SPAN_KINDS, Hints
from archive.text.normalize import body_text, normalize_text

PIECES = st.sampled_from(
    [
        "By Ada Quill",
        "Friday 07 January 2022 17:37 GMT",
        "Oops!",
        "  Something went wrong.",
        "Leave a Reply",
        "Your support helps us to tell the story",
        "(Name/Agency)",
        "Pictured:",
        "PORT ELLIS, May 2, 2021 (Agency) — The ferry sailed at dawn.",
        "Read more: x",
        "©",
        "The harbour council met on Tuesday to talk about the ferry and the new pier.",
        "",
        "Tuesday",
        "04/05/2021",
        "«Quote»",
        "İstanbul",
        "ß",
        "\u00a0",
        "a-b-c-d-e slug text",
    ]
)


@settings(derandomize=True, database=None, max_examples=200, deadline=None)
@given(st.lists(st.one_of(PIECES, st.text(max_size=60)), max_size=25))
def test_extraction_is_total_and_spans_tile(pieces):
    text = normalize_text("\n".join(pieces))
    x = extract_text_capture(text, Hints(), language=False)
    pos = 0
    for span in x.spans:
        assert span.kind in SPAN_KINDS
        assert pos <= span.start < span.end <= len(text)
        assert text[pos : span.start].strip() == ""
        pos = span.end
    assert text[pos:].strip() == ""
    assert x.text == body_text(text[s.start : s.end] for s in x.spans if s.kind in BODY_KINDS)
    assert x.published_at is None or x.published_at.utcoffset().total_seconds() == 0

"""A page title without the site's name it carries (``archive.extract.titles``), and the title
of a text capture that starts with its page's title: the part kept is where its offsets say."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from archive.extract import extract_text_capture
from archive.extract.outlets import name_key
from archive.extract.titles import title_kept, title_without_names
from archive.model import Hints

WORDS = ["Ferry", "back", "Tarn", "Valley", "Echo", "The", "Harbour", "Courier", "News", "a"]
SEPARATORS = [" | ", " - ", " — ", ": ", "：", " · ", "|", "  |  ", " / "]
SITES = ["Tarn Valley Echo", "The Harbour Courier", "News", "Echo"]

parts = st.lists(st.sampled_from(WORDS), min_size=1, max_size=4).map(" ".join)


@st.composite
def titles(draw) -> str:
    pieces = draw(st.lists(parts, min_size=1, max_size=4))
    title = pieces[0]
    for piece in pieces[1:]:
        title += draw(st.sampled_from(SEPARATORS)) + piece
    return draw(st.sampled_from(["", " ", "\t"])) + title + draw(st.sampled_from(["", " "]))


names = st.lists(st.sampled_from(SITES), max_size=3).map(
    lambda sites: [(name_key(site), f"outlet {site!r}") for site in sites]
)


@given(titles(), names, st.booleans())
def test_the_part_kept_is_where_its_offsets_say(title, named, loose):
    start, end, cuts = title_kept(title, named, loose=loose)
    assert 0 <= start <= end <= len(title)
    if loose:
        assert title_without_names(title, named) == (title[start:end], cuts)
    else:
        assert len(cuts) <= 1
    if cuts:  # a cut leaves words, and no space at either end
        kept = title[start:end]
        assert kept == kept.strip() and any(ch.isalnum() for ch in kept)
    else:
        assert (start, end) == (0, len(title))


@given(titles(), st.sampled_from(SITES + [None]))
def test_a_text_captures_title_is_the_text_its_provenance_bounds(first, outlet):
    text = first.strip() + "\n\nBy Jane Holm\n\nThe ferry to Tarn Island resumed service on "
    text += "Wednesday after a four-day pause caused by the storm."
    x = extract_text_capture(text, Hints(outlet=outlet), language=False)
    if x.title is None:
        return
    (p,) = [p for p in x.provenance if p.field == "title"]
    assert " ".join(text[p.start : p.end].split()) == x.title
    assert text[p.start : p.end] in p.evidence

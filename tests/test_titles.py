"""A page title without the site's name it carries (``archive.extract.titles``), and the title
of a text capture that starts with its page's title: the part kept is where its offsets say."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from archive.extract import extract_text_capture
from archive.extract import text as text_module
from archive.extract.html import extract_html
from archive.extract.outlets import name_key, name_keys
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
    start, end, cuts, cut_names = title_kept(title, named, loose=loose)
    assert 0 <= start <= end <= len(title)
    # each name cut is where it says, outside the part kept: one of the names given (loose, it
    # may carry a desk's words after it)
    assert len(cut_names) == len(cuts)
    for s, e in cut_names:
        assert e <= start or s >= end
        assert loose or name_key(title[s:e]) in {key for key, _ in named}
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


STORY = (
    "The ferry operators of the Tarn Valley reached an agreement with the district council on "
    "Tuesday evening, ending a dispute over the winter timetable that had left island residents "
    "uncertain about crossings for most of the autumn."
)


CUT = "Ferry crews agree a new timetable"


@pytest.mark.parametrize(
    ("first", "url", "title"),
    [
        # the host's own first label names a site within a shared domain
        (f"{CUT} - The Valley Times", "https://valleytimes.media.example/a/1", CUT),
        # an address has no accents: "Écho de la Vallée" is echodelavallee
        (f"{CUT} - Écho de la Vallée", "https://www.echodelavallee.example/a/1", CUT),
        # before the title, the host's word is a section's kicker
        (f"Sports: {CUT}", "https://sports.bugle.example/2024/final", f"Sports: {CUT}"),
        # a label of five letters or fewer is a section's or a language's, not the site's name
        (f"{CUT} - Sport", "https://sport.bugle.example/2024/final", f"{CUT} - Sport"),
        ("It: Chapter Two review", "https://it.films.example/review", "It: Chapter Two review"),
        (f"{CUT} - Live", "https://live.bugle.example/2024/election", f"{CUT} - Live"),
        # after a colon, the host's word may be the title's own
        (
            "Climate Change: The Science",
            "https://science.bugle.example/a",
            "Climate Change: The Science",
        ),
    ],
)
def test_the_site_name_its_address_spells_is_cut_from_a_text_captures_title(first, url, title):
    x = extract_text_capture(f"{first}\n\n{STORY}", Hints(url=url), language=False)
    assert x.title == title


@pytest.mark.parametrize(
    ("first", "url", "title"),
    [
        # a domain name at a title's end is a site's name, whatever the address
        (f"{CUT} | valleygazette.gov", "https://archive.valleygazette.example/a/1", CUT),
        (f"{CUT} - Valley-Gazette.co.uk", None, CUT),
        (f"{CUT} | Tal-Bücher.de", None, CUT),  # an address in letters of any script
        # first, or after a colon, a company named so may be the story's own words
        (f"ValleyGazette.com: {CUT}", None, f"ValleyGazette.com: {CUT}"),
        (f"{CUT}: ValleyGazette.com", None, f"{CUT}: ValleyGazette.com"),
        # words with a full stop that no public suffix ends, or one in capitals, are too
        (f"{CUT} | U.S.", None, f"{CUT} | U.S."),
        ("Getting started - Node.js", None, "Getting started - Node.js"),
        ("What is new in version 9 - ASP.NET", None, "What is new in version 9 - ASP.NET"),
        # a domain name inside a part is the story's
        (f"{CUT} | Why I left booking.com", None, f"{CUT} | Why I left booking.com"),
    ],
)
def test_a_domain_name_is_cut_from_a_title(first, url, title):
    x = extract_text_capture(f"{first}\n\n{STORY}", Hints(url=url), language=False)
    assert x.title == title
    assert x.outlet is None  # the name is cut, not taken for the outlet
    page = f'<html><head><meta property="og:title" content="{first}"></head><body><article><p>'
    page += f"{STORY * 3}</p></article></body></html>"
    html = extract_html(page.encode(), Hints(url=url)).extraction
    assert html.title == title


@pytest.mark.parametrize(
    ("first", "title"),
    [
        # a page's title that says its headline twice, as a text browser prints it
        (f"{CUT} {CUT}", CUT),
        (f"{CUT} {CUT} | The Tarn Valley Echo", CUT),
        # three words or fewer said twice, a sentence said twice (a chant, a song), or a
        # phrase and more are the title's own
        ("Ferry ahoy Ferry ahoy", "Ferry ahoy Ferry ahoy"),
        ("Run Boy Run Run Boy Run", "Run Boy Run Run Boy Run"),
        (f"{CUT} {CUT} again", f"{CUT} {CUT} again"),
    ],
)
def test_a_title_said_twice_is_kept_once(first, title):
    capture = f"{first}\n\nBy Ann Lee\n\n{STORY}"
    x = extract_text_capture(capture, Hints(url=SHORT), language=False)
    said = [p for p in x.provenance if p.field == "title"]
    assert x.title == title
    assert " ".join(capture[said[0].start : said[0].end].split()) == title


@pytest.mark.parametrize(
    ("title", "once"),
    [
        ("Ferry crews agree timetable Ferry crews agree timetable", 27),
        ("Keep the ferry running! Keep the ferry running!", None),  # a chant's sentence
        ("Keep the ferry running. Keep the ferry running.", None),
        ("Ferry crews agree timetable ferry crews agree timetable", None),  # not the same words
    ],
)
def test_where_a_title_said_twice_ends_once(title, once):
    assert text_module._first_of_two(title, 0, len(title)) == once


def test_accented_and_plain_spellings_share_a_key():
    assert name_key("Libération") == name_key("liberation") == "liberation"
    assert name_key("El País") == "elpais"
    assert name_key("朝日新聞") == "朝日新聞"
    # every mark on a Latin letter, not only the first ("ổ" has two)
    assert name_key("Tuổi Trẻ") == "tuoitre"


def test_a_host_label_is_no_outlet_of_a_page():
    page = (
        b"<html><head><title>Storm warning issued for the valley - Weather</title></head><body>"
        b"<h1>Storm warning issued for the valley</h1><p>"
        + STORY.encode() * 3
        + b"</p></body></html>"
    )
    url = "https://weather.bugle.example/2024/storm"
    assert extract_html(page, Hints(url=url)).extraction.outlet != "Weather"


def test_signs_and_voicing_marks_in_names():
    assert name_key("Bugle™") == name_key("Bugle") == "bugle"
    assert name_key("ガメラ") != name_key("カメラ")
    assert name_key("ＮＨＫ") == "nhk"


@pytest.mark.parametrize(
    ("name", "keys"),
    [
        ("The New York Times", ("newyorktimes", "nytimes")),
        ("San Francisco Chronicle", ("sanfranciscochronicle", "sfchronicle")),
        ("Tarn Valley Echo", ("tarnvalleyecho", "tvecho")),
        ("Lowfield Area Valley Echo", ("lowfieldareavalleyecho", "lavalleyecho", "lavecho")),
        # never initials alone ("Free Trial" would name ft.com), nor one ("Music Live" mlive.com)
        ("Financial Times", ("financialtimes",)),
        ("Lowfield Gazette", ("lowfieldgazette",)),
        # nor before a rest under four letters, or a word any line may end with
        ("Tarn Valley Bee", ("tarnvalleybee",)),
        ("Unions Strike Today", ("unionsstriketoday",)),
        ("Tarn Valley Daily", ("tarnvalleydaily",)),
        ("Tarn Valley Now", ("tarnvalleynow",)),
        ("Asia Pacific News", ("asiapacificnews",)),
        # a sign has no initial: no shortened key runs past it
        ("Arts & Letters Review", ("artslettersreview",)),
        ("Lowfield Tarn & Valley Review", ("lowfieldtarnvalleyreview", "ltvalleyreview")),
        ("Courier", ("courier",)),
        ("One Two Three Four Five Six Seven", ("onetwothreefourfivesixseven",)),
        ("", ()),
        ("—— ——", ()),
    ],
)
def test_the_keys_an_address_may_shorten_a_name_to(name, keys):
    assert name_keys(name) == keys


@given(st.lists(st.sampled_from(WORDS), min_size=1, max_size=8).map(" ".join))
def test_every_shortened_key_keeps_its_last_words_whole_after_two_initials(name):
    keys = name_keys(name)
    assert keys[:1] == (name_key(name),)[: len(keys)]
    words = name.split()[1:] if name.split()[0].casefold() == "the" else name.split()
    for key in keys[1:]:
        assert 3 <= len(words) <= 6 and len(key) < len(keys[0])
        assert any(
            key == "".join(name_key(w)[0] for w in words[:at]) + name_key(" ".join(words[at:]))
            for at in range(2, len(words))
        )


SHORT = "https://www.tvecho.example/news/2024/06/03/ferry"


@pytest.mark.parametrize(
    ("first", "title"),
    [
        (f"{CUT} | Tarn Valley Echo", CUT),
        (f"{CUT} | The Tarn Valley Echo", CUT),
        # a story's words are kept: only the name alone is cut
        (f"{CUT} | Tarn Valley Echo Sport", f"{CUT} | Tarn Valley Echo Sport"),
    ],
)
def test_a_name_its_address_shortens_is_cut_from_a_title(first, title):
    """An address spells "Los Angeles Times" latimes: "Story | Los Angeles Times" at
    latimes.com kept the site's name in its title, in text and in HTML alike."""
    x = extract_text_capture(f"{first}\n\n{STORY}", Hints(url=SHORT), language=False)
    assert x.title == title
    page = f'<html><head><meta property="og:title" content="{first}"></head><body><article><p>'
    page += f"{STORY * 3}</p></article></body></html>"
    html = extract_html(page.encode(), Hints(url=SHORT)).extraction
    assert html.title == title

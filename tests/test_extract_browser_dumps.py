"""Text captures as text-mode browsers save pages (``w3m -dump``, ``lynx -dump``): hard-wrapped
at a fixed width, so a long headline runs over two lines; Lynx's first block lists the page's
``<link>`` elements after a ``#``. The captures are fictional, wrapped by ``textwrap``."""

from __future__ import annotations

import textwrap

import pytest
from hypothesis import given
from hypothesis import strategies as st

from archive.extract.lines import split_lines, wordset
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


# A headline that fills a wrapped capture's line, with a line below it that is not its rest.
FULL = "Harbour council approves a new winter ferry timetable for the island routes"


@pytest.mark.parametrize("label", ["Opinion", "Staff reporter", "Five minute read", "Analysis"])
def test_a_label_below_a_full_headline_is_not_its_rest(label):
    assert 70 <= len(FULL) <= 76  # the label's first word would not have fit after it
    text = f"{FULL}\n{label}\nBy Ada Quill | 3 June 2024\n\n" + _dump(STORY, STORY, STORY)
    x = extract_text_capture(text, Hints(), language=False)
    assert x.title == FULL


def test_a_standfirst_below_a_full_headline_stays_the_standfirst():
    head = "Councillors unanimously approve controversial harbourside redevelopment"
    stand = "Residents call the decision long overdue."
    text = f"{head}\n{stand}\n\nBy Ada Quill\n\n" + _dump(STORY, STORY, STORY)
    x = extract_text_capture(text, Hints(), language=False)
    assert x.title == head
    assert x.standfirst == stand


def test_names_below_a_headline_of_a_capture_of_one_line_paragraphs_are_not_its_rest():
    head = "Harbour Council Approves New Winter Ferry Timetable for the Tarn Valley Routes"
    paragraphs = [
        "The ferry operators reached an agreement with the council on Tuesday night.",
        "Crossings will start at half past six and end shortly before ten each day.",
        "Island residents had waited since September for the council to decide this.",
        "Nurses and teachers rely on the early boat to reach the mainland on time.",
        "The operators said the later return would be looked at again in March.",
        "A council spokesperson said the timetable would be published on Friday.",
    ]
    text = f"{head}\nAda Quill and Tomas Brenn\n\n" + "\n\n".join(paragraphs)
    x = extract_text_capture(text, Hints(), language=False)
    assert x.title == head


def test_a_key_points_list_is_no_wrapping():
    points = [
        "* The first crossing leaves the harbour at half past six on every weekday",
        "* The last boat returns shortly before ten, except on Sundays and holidays",
        "* Island residents can buy season tickets at the harbour office from Monday",
        "* The council will review the later crossings again in the spring meeting",
        "* Nurses and teachers keep the reserved seats on the early morning crossing",
    ]
    lines = split_lines(f"{FULL}\nAnalysis\n\nKey points:\n" + "\n".join(points))
    assert wrap_width(lines) is None


def test_a_date_below_a_wrapped_headline_is_read_as_the_story_starts():
    head = (
        "Will the island ferry timetable survive another winter of storms and unprecedented cuts?"
    )
    lead = "TARNBY, 3 March 2021 (Reuters) - " + STORY
    text = _dump(head, lead, STORY)
    assert text.index("\n") < len(head)  # the headline is wrapped
    x = extract_text_capture(text, Hints(), language=False)
    assert x.title == head
    assert x.published_at is not None and x.published_at.date().isoformat() == "2021-03-03"


def test_an_indented_hashtag_headline_is_no_link_list():
    head = "#IslandFerries: crews agree a new winter timetable after talks"
    text = _dump(head, indent="   ") + "\n\n   By Ada Quill\n\n" + _dump(STORY, STORY, indent="   ")
    x = extract_text_capture(text, Hints(), language=False)
    assert all(s.rule != "header:link-list" for s in x.spans)
    assert x.title == head


@pytest.mark.parametrize(
    ("glued", "published", "modified"),
    [("Updated", None, "2021-03-03"), ("Published", "2021-03-03", None)],
)
def test_a_name_run_into_the_date_word_after_it_ends_there(glued, published, modified):
    # a page whose style sheet set the name and "Updated ..." apart, dumped without it
    text = (
        f"Harbour ferry returns to service after the storm\n\nBy Ada Quill{glued} 3 March 2021"
        " 14:05\n\n" + _dump(STORY, STORY)
    )
    x = extract_text_capture(text, Hints(), language=False)
    assert x.authors == ("Ada Quill",)
    assert (_day(x.published_at), _day(x.modified_at)) == (published, modified)


def _day(moment) -> str | None:
    return moment.date().isoformat() if moment is not None else None


@pytest.mark.parametrize(
    "top", ["(BUTTON) Open Navigation Menu", "Let us know you agree to cookies"]
)
def test_a_button_or_a_cookie_prompt_above_the_story_is_no_headline(top):
    head = "Tarn Valley ferry crews agree new winter timetable"
    text = f"{top}\n\n{head}\n\nBy Ada Quill\n\n" + _dump(STORY, STORY)
    x = extract_text_capture(text, Hints(), language=False)
    assert x.title == head
    assert x.spans[0].kind.startswith("furniture-")


@pytest.mark.parametrize(
    "head",
    [
        # title case, its rest two capitalised words (no bare name here)
        "Volunteers Repaint the Orwen Lighthouse Lamp Room After Another Long Winter of Salt "
        "Damage",
        # sentence case, its rest a year
        "Volunteers repaint the Orwen lighthouse lamp room for the first time since records began "
        "in 2024",
    ],
)
def test_the_rest_of_a_wrapped_headline_in_its_own_case_is_joined(head):
    text = _dump(head, "By Jonas Pell", STORY, STORY)
    assert text.index("\n") < len(head)
    x = extract_text_capture(text, Hints(), language=False)
    assert x.title == head
    assert x.authors == ("Jonas Pell",)


def test_lynx_wraps_an_unindented_headline_wider_than_its_indented_text():
    head = "Energy Department rejects the request to name its climate change workers, who"
    assert len(head) == 77  # Lynx's 77 columns with no margin; its text has 74 with one
    text = f"{head}\nremain worried\n\n   By Ada Quill\n\n" + _dump(
        STORY, STORY, width=74, indent="   "
    )
    x = extract_text_capture(text, Hints(), language=False)
    assert x.title == f"{head} remain worried"


@pytest.mark.parametrize(
    "head",
    [
        "#FeedOrwen: harbour food bank feeds two hundred families after storm",
        "#OrwenFerries: council picks the alternate route for the winter crossings",
    ],
)
def test_an_indented_hashtag_headline_naming_feeds_is_no_link_list(head):
    text = _dump(head, indent="   ") + "\n\n   By Ada Quill\n\n" + _dump(STORY, STORY, indent="   ")
    x = extract_text_capture(text, Hints(), language=False)
    assert x.title == head


POEM = """The harbour lights are burning low beneath the winter sky tonight
And every boat that leaves the quay is carrying someone home again
The ferryman is singing songs his father taught him long ago
While gulls are circling overhead above the cold and restless sea
The island waits in darkness for the morning crossing once again
And all the children of the town are dreaming of the summer days"""


@pytest.mark.parametrize(
    "block",
    [
        POEM,
        "\n".join(f"{n}. {line}" for n, line in enumerate(POEM.split("\n"), 1)),
        # one-sentence paragraphs a line each, in one block
        "\n".join(line + "." for line in POEM.split("\n")),
    ],
)
def test_one_block_of_lines_is_no_wrapping(block):
    lines = split_lines(f"Harbour Lights\n\n{block}\n\nBy Ada Quill")
    assert wrap_width(lines) is None


def test_a_name_run_into_its_byline_is_one_author():
    # a picture's name, then the byline; the date below makes the bare name a byline
    text = "Harbour ferry returns to service\n\nJonas Pell By Jonas Pell\nPublished 3 March 2021"
    x = extract_text_capture(text + "\n\n" + _dump(STORY, STORY), Hints(), language=False)
    assert x.authors == ("Jonas Pell",)


def test_a_title_cased_headline_may_keep_its_prepositions_in_lower_case():
    head = (
        "Volunteers Repaint the Orwen Lighthouse Lamp Room with Help from Local Harbour "
        "Fishermen and Schools"
    )
    text = _dump(head, "By Jonas Pell", STORY, STORY)
    # the URL names the headline's first line: the header reads it as the headline
    url = "https://echo.example/2024/volunteers-repaint-orwen-lighthouse-lamp-room"
    x = extract_text_capture(text, Hints(url=url), language=False)
    assert x.title == head


@pytest.mark.parametrize(
    "head",
    [
        "Harbour Council Stands By Mayor Jonas Pell",
        "Tarn Rovers Beaten By Orwen City",
        "Ferry Service Saved By Late Council Vote",
    ],
)
def test_a_headline_with_by_in_it_is_no_byline(head):
    x = extract_text_capture(_dump(head, STORY, STORY), Hints(), language=False)
    assert x.title == head
    assert x.authors == ()


@pytest.mark.parametrize(
    ("line", "authors"),
    [
        ("By Ada Quill By Ada Quill", ("Ada Quill",)),
        ("By Ada Quill and By Jonas Pell", ("Ada Quill", "Jonas Pell")),
    ],
)
def test_by_repeated_in_a_byline_names_no_one_twice(line, authors):
    text = "Harbour ferry returns to service\n\n" + _dump(line, STORY, STORY)
    x = extract_text_capture(text, Hints(), language=False)
    assert x.authors == authors


def test_a_story_line_about_cookies_stays_in_the_body():
    line = "At the spring fair the scouts and the bakers agree to cookies instead of cake."
    text = _dump("Harbour ferry returns to service", "By Jonas Pell", STORY, line, STORY)
    x = extract_text_capture(text, Hints(), language=False)
    assert "agree to cookies instead of cake" in x.text


WORDS = sorted(
    wordset(
        """
        Harbour Council ferry Tarn Valley lighthouse Orwen crews agree the new winter timetable
        after weeks of talks with and Mountain Peak storm | - By residents island Q4 2024
        """
    )
)


@given(
    st.lists(st.sampled_from(WORDS), min_size=4, max_size=24),
    st.integers(min_value=50, max_value=90),
    st.sampled_from(["", "   "]),
    st.sampled_from(["By Ada Quill", "Opinion", "3 March 2021", ""]),
)
def test_a_wrapped_captures_title_is_the_text_its_provenance_bounds(words, width, indent, below):
    head = " ".join(words)
    text = _dump(head, *([below] if below else []), STORY, STORY, width=width, indent=indent)
    x = extract_text_capture(text, Hints(), language=False)
    bounds = [(s.start, s.end) for s in x.spans]
    assert bounds == sorted(bounds)
    assert all(a[1] <= b[0] for a, b in zip(bounds, bounds[1:], strict=False))
    if x.title is None:
        return
    p = _title_entry(x)
    assert " ".join(text[p.start : p.end].split()) == x.title
    assert text[p.start : p.end] in p.evidence
    assert x.title in " ".join(text.split())


@pytest.mark.parametrize(
    ("line", "below"),
    [
        # a headline may end in a name, a place or "in": what starts with a capital below it
        # is a label, a name or a standfirst, not its rest
        ("Council approves a new ferry timetable after winter talks in Port Orwen", "Jonas Pell"),
        ("Council approves a new ferry timetable after winter talks in Port Orwen", "Opinion"),
        ("Island residents stock up on supplies as the first winter storm closes in", "Analysis"),
        (
            "Island residents stock up on supplies as the first winter storm closes in",
            "Will the ferries still run on time this winter?",
        ),
    ],
)
def test_a_capital_below_a_sentence_cased_headline_is_not_its_rest(line, below):
    text = f"{line}\n{below}\n\nBy Ada Quill\n\n" + _dump(STORY, STORY)
    assert extract_text_capture(text, Hints(), language=False).title == line


def test_a_standfirst_in_lower_case_below_a_wrapped_headline_keeps_the_headline():
    head = "Harbour council approves a new winter ferry timetable for the island routes"
    stand = "eBay sellers on the island say parcels will reach the mainland sooner in winter."
    text = f"{head}\n{stand}\n\nBy Ada Quill\n\n" + _dump(STORY, STORY)
    assert extract_text_capture(text, Hints(), language=False).title == head


def test_a_paragraph_wrapped_at_the_top_is_no_headline_and_keeps_its_first_line():
    first = "The harbour council met on Tuesday evening to discuss the new winter timetable and"
    rest = "resolved to keep the early crossing that nurses and teachers rely on all year."
    text = f"{first}\n{rest}\n\n" + _dump(STORY, STORY, width=len(first))
    x = extract_text_capture(text, Hints(), language=False)
    assert x.title is None
    assert x.text.startswith(f"{first} {rest}")


@pytest.mark.parametrize(
    "head",
    [
        "YouTube star opens a harbour café for the ferry crews of Orwen",
        "GlaxoSmithKline and AstraZeneca cut the price of asthma inhalers",
    ],
)
def test_brands_written_run_together_stay_in_a_headline(head):
    x = extract_text_capture(f"{head}\n\nBy Ada Quill\n\n{STORY}", Hints(), language=False)
    assert x.title == head
    assert x.authors == ("Ada Quill",)


def test_a_standfirst_in_a_wrapped_headlines_block_keeps_the_headline():
    head = "Harbour council approves a new winter ferry timetable for the island routes"
    stand = "eBay sellers on the island say their parcels will reach the mainland sooner."
    text = f"{head}\n{stand}\n\n" + _dump(STORY, STORY, width=len(head))
    assert extract_text_capture(text, Hints(), language=False).title == head

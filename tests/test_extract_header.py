"""Header fields and spans: title, standfirst, authors; furniture never becomes an author."""

from __future__ import annotations

import dataclasses

import pytest

from archive.extract import explain, extract_text_capture
from archive.extract.header import byline
from archive.model import Hints

BODY = (
    "\n\nThe ferry to Tarn Island resumed service on Wednesday after a four-day pause caused by "
    "the storm.\n\nThe operator said the timetable would return to normal next week."
)


@pytest.mark.parametrize(
    ("line", "authors"),
    [
        ("By Jane Holm", ("Jane Holm",)),
        ("By Jane Holm and Per Ask, Political Reporters", ("Jane Holm", "Per Ask")),
        ("By Jane Holm in Port Ellis", ("Jane Holm",)),
        ("By JANE HOLM", ("Jane Holm",)),
        ("By Jane Holm | Tarn Valley Echo | 3 March 2021", ("Jane Holm",)),
        ("By Coastline Press Agency", ()),
        ("By Staff Reporter", ()),
        ("Words by Ines van der Berg", ("Ines van der Berg",)),
        # one organisation's name holding "and": it gave the author "Pellworth Fire"
        ("By Pellworth Fire and Rescue", ()),
        ("By Tarn Bay Harbour and Marine", ()),
    ],
)
def test_byline_people(line, authors):
    found = byline(line)
    assert found.authors == authors
    if not authors:
        assert "byline-organisation-dropped" in found.flags


@pytest.mark.parametrize(
    "line", ["By the end of the day the ferry had sailed.", "By Friday evening, crews had left."]
)
def test_sentences_starting_with_by_are_not_bylines(line):
    assert byline(line) is None


def test_outlet_and_agency_are_never_authors():
    text = "Ferry back on time\n\nBy Tarn Valley Echo and Mara Voss\n3 March 2021" + BODY
    hints = Hints(
        url="https://tve.example/a", domain_outlets=(("tve.example", "Tarn Valley Echo"),)
    )
    x = extract_text_capture(text, hints, language=False)
    assert x.authors == ("Mara Voss",)
    caption = "Ferry back on time\n\nMara Voss\n3 March 2021 10:00 GMT\nA ferry. Northwind Pictures"
    x = extract_text_capture(caption + BODY, Hints(), language=False)
    assert x.authors == ("Mara Voss",)
    assert "Northwind" not in x.text


def test_bare_name_needs_a_dateline_beside_it():
    x = extract_text_capture("Ferry back on time\n\nMara Voss" + BODY, Hints(), language=False)
    assert x.authors == ()


def test_no_headline_when_the_capture_opens_with_the_story():
    text = (
        "PORT ELLIS — The ferry to Tarn Island resumed service on Wednesday after a four-day "
        "pause caused by the storm that closed the harbour." + BODY
    )
    x = extract_text_capture(text, Hints(), language=False)
    assert x.title is None and "title-not-found" in x.flags
    assert x.text.startswith("PORT ELLIS")


def test_language_is_bcp47_and_deterministic():
    text = (
        "Neue Fähre für den Tarnsee\n\nDie Gemeinde hat am Freitag eine neue Fähre in Betrieb "
        "genommen. Das Schiff bietet Platz für vierzig Fahrgäste und zwölf Fahrräder."
    )
    results = {extract_text_capture(text, Hints()).language for _ in range(3)}
    assert results == {"de"}
    short = extract_text_capture("Ferry back on time\n\nIt sailed.", Hints())
    assert short.language is None and "language-unknown" in short.flags


def test_explain_marks_spans_and_evidence():
    text = "Ferry back on time\n\nBy Mara Voss\n3 March 2021 10:00 GMT" + BODY
    x = extract_text_capture(text, Hints(), language=False)
    rendered = explain(text, dataclasses.asdict(x))
    assert "[headline headline:first-line 0-18]" in rendered
    assert "[byline byline:by" in rendered
    assert "published_at: 2021-03-03T10:00:00+00:00" in rendered
    assert "<- dateline @" in rendered and "<- byline @" in rendered
    assert rendered.splitlines()[-1] == ", ".join(x.flags)


def test_a_capture_of_furniture_alone_has_no_title():
    """A comment prompt was the first line left after the furniture, and became the title."""
    text = (
        "We use cookies to improve your experience. Accept all cookies\n\n"
        "Comments (0)\n\nBe the first to comment\n\n"
        "© 2021 Tarn Valley Media Ltd. All rights reserved.\n"
    )
    x = extract_text_capture(text, Hints(), language=False)
    assert x.title is None and "title-not-found" in x.flags and x.text == ""

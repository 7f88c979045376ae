"""Header fields and spans: title, standfirst, authors; furniture never becomes an author."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

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
        # a social handle after the name, run into it or not (Vox Media's pages print them so)
        ("By Ada Quill@adaquill", ("Ada Quill",)),
        ("by Bo Chen @bochen_tve", ("Bo Chen",)),
        ("By Jane Holm for Tarn Valley Echo | 3 March 2021", ("Jane Holm",)),
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


def _title_evidence(x) -> tuple[str, int, int]:
    (p,) = [p for p in x.provenance if p.field == "title"]
    return p.evidence, p.start, p.end


@pytest.mark.parametrize(
    ("first", "url", "outlet", "title", "cut"),
    [
        # the address names the site: its name is cut, at the end or at the start
        (
            "Ferry back on winter timetable | Tarn Valley Echo",
            "https://www.tarnvalleyecho.example/news/ferry-back",
            None,
            "Ferry back on winter timetable",
            "suffix '| Tarn Valley Echo' removed (capture URL 'tarnvalleyecho')",
        ),
        (
            "Tarn Valley Echo - Ferry back on winter timetable",
            "https://tarnvalleyecho.example/ferry",
            None,
            "Ferry back on winter timetable",
            "prefix 'Tarn Valley Echo -' removed",
        ),
        # a desk after the site's name ("| CNN Politics"): in a text, the name and what
        # follows may be the story's words ("Exclusive: Echo poll finds"), so it stays
        (
            "Ferry back on winter timetable - Echo Travel",
            "https://echo.example/travel/ferry",
            None,
            "Ferry back on winter timetable - Echo Travel",
            None,
        ),
        # the capture log's outlet names it, where the address does not
        (
            "Ferry back on winter timetable — The Harbour Courier",
            None,
            "The Harbour Courier",
            "Ferry back on winter timetable",
            "suffix '— The Harbour Courier' removed (outlet 'The Harbour Courier')",
        ),
        # a part no name of the site says stays: a colon, a dash, a section inside the title
        (
            "Tarn Valley: ferry back on winter timetable",
            "https://tarnvalleyecho.example/ferry",
            None,
            "Tarn Valley: ferry back on winter timetable",
            None,
        ),
        (
            "Ferry back on winter timetable | Travel",
            "https://tarnvalleyecho.example/ferry",
            None,
            "Ferry back on winter timetable | Travel",
            None,
        ),
    ],
)
def test_a_title_line_loses_the_sites_name_it_carries(first, url, outlet, title, cut):
    """A saved page often starts with the title its page had: the site's name beside the
    story's title was taken as part of the headline."""
    text = first + "\n\nBy Jane Holm" + BODY
    x = extract_text_capture(text, Hints(url=url, outlet=outlet), language=False)
    assert x.title == title
    evidence, start, end = _title_evidence(x)
    assert text[start:end] == title and evidence.startswith("headline:")
    assert (cut in evidence) if cut else ("removed" not in evidence)


def test_a_page_title_gives_way_to_the_headline_that_repeats_it():
    """ "Story | Site" above the site's menus, then the story's own headline: the headline is
    the line that repeats the title's first part, and the menus between are furniture."""
    text = (
        "Night ferry trial extended for the summer | Tarn Valley Echo\n\n"
        "Home\nNews\nSport\nWeather\n\n"
        "Night ferry trial extended for the summer" + BODY
    )
    x = extract_text_capture(text, Hints(), language=False)
    evidence, start, end = _title_evidence(x)
    assert x.title == "Night ferry trial extended for the summer"
    assert evidence.startswith("headline:page-title: ") and start > text.index("Weather")
    assert x.text.startswith("The ferry to Tarn Island") and "Weather" not in x.text
    # the site's banner of the day between the two is the page's top, not the story's date
    banner = text.replace("Home\n", "Thursday 4 March 2021\n\nHome\n").replace(
        "the summer\n\nThe ferry", "the summer\n\n3 March 2021\n\nThe ferry"
    )
    z = extract_text_capture(banner, Hints(), language=False)
    assert z.title == x.title and z.published_at.day == 3
    # the site's name the page's title carries names the outlet, as the address says it
    assert x.outlet is None  # no address: "Tarn Valley Echo" may be any name
    url = "https://www.tarnvalleyecho.example/2021/03/03/night-ferry"
    named = extract_text_capture(text, Hints(url=url), language=False)
    assert named.title == x.title and named.outlet == "Tarn Valley Echo"
    (site,) = [p for p in named.provenance if p.field == "outlet"]
    assert site.method == "site-name" and site.evidence.startswith("site-name:page-title: ")
    assert text[site.start : site.end] == "Tarn Valley Echo" and site.end < text.index("Home")
    elsewhere = extract_text_capture(text, Hints(url="https://news.example/night"), language=False)
    assert elsewhere.outlet is None  # another address: the name is not shown to be the site's
    # a first part said again only in the story, below its byline, is no headline
    later = "Night ferry trial | Tarn Valley Echo\n\nBy Jane Holm" + BODY + "\n\nNight ferry trial"
    y = extract_text_capture(later, Hints(), language=False)
    assert _title_evidence(y)[0].startswith("headline:first-line: ")


LONG = (
    "\n\nThe ferry to Tarn Island resumed service on Wednesday after a four-day pause caused "
    "by the storm that closed the harbour.\n\nThe operator said the winter timetable would "
    "run until April, with two extra sailings at weekends for the island's school."
)


@pytest.mark.parametrize(
    ("text", "url", "wrong"),
    [
        # a bare byline repeating the title's start
        ("Jane Holm – why I left the harbour board\n\nJane Holm\n\n3 March 2021", None, "Jane"),
        # a topic label repeating the first words of a title whose story part has a dash
        # (the story part, the longest before a separator, is the headline)
        (
            "Storm Bella – what we know so far | Tarn Valley Echo\n\nHome\nNews\n\n"
            "Storm Bella\n\nStorm Bella – what we know so far",
            None,
            "Storm Bella",
        ),
        # a name, then the rest of the headline: no site's part after the dash
        (
            "Mary Ann Holm – why I left the harbour board\n\nMary Ann Holm\n\n3 March 2021",
            None,
            "Mary Ann Holm",
        ),
        # the site first, its logo line below
        (
            "Tarn Valley Echo - Ferry back on winter timetable\n\nTarn Valley Echo\n\n"
            "Ferry back on winter timetable",
            "https://tarnvalleyecho.example/ferry-back",
            "Tarn Valley Echo",
        ),
        # the day's date banner
        ("March 3, 2021 | Tarn Valley Echo\n\nHome\nNews\n\nMarch 3, 2021", None, "March 3"),
        # a subheading of a story of short paragraphs
        (
            "Night Ferry - the last crossing\n\nThe boat left at ten.\n\nNobody spoke on "
            "deck.\n\nNight ferry\n\nThe captain waved once.",
            None,
            "Night ferry",
        ),
    ],
)
def test_a_page_title_gives_way_only_to_a_headline(text, url, wrong):
    """A line repeating the title's first words is the headline only when those words could be
    one: not a byline, a date, the site's name, a label of two words."""
    x = extract_text_capture(text + LONG, Hints(url=url), language=False)
    evidence = _title_evidence(x)[0] if x.title else ""
    assert x.title != wrong
    if evidence.startswith("headline:page-title"):
        assert x.title == "Storm Bella – what we know so far"


def test_a_title_repeated_below_the_story_or_past_the_pages_top_is_no_headline():
    top = "Night ferry trial extended for the summer | Tarn Valley Echo\n\n"
    story = (
        "The night ferry to Tarn Island will keep sailing until September after a trial that "
        "carried more passengers than the council expected over the spring months."
    )
    below_story = top + story + "\n\nNight ferry trial extended for the summer" + LONG
    x = extract_text_capture(below_story, Hints(), language=False)
    assert not _title_evidence(x)[0].startswith("headline:page-title")
    # a news site's menus fill hundreds of lines between its title and the story's headline
    # (real pages saved with their title first: a hundred and more)
    menus = "\n".join(f"Section {n}" for n in range(300))
    after_menus = top + menus + "\n\nNight ferry trial extended for the summer" + LONG
    y = extract_text_capture(after_menus, Hints(), language=False)
    assert y.title == "Night ferry trial extended for the summer"
    assert _title_evidence(y)[0].startswith("headline:page-title: ")
    assert y.text.startswith("The ferry to Tarn Island") and "Section" not in y.text
    # a story of short paragraphs, lists and crossheads, then a list of the most read with
    # the title again, another story's byline and date under it: no page's top stands there
    section = (
        "The night ferry to Tarn Island will keep sailing until September.\n\n"
        "What changes\n\n- A later boat leaves at 23:40 on Fridays\n- Bikes travel free\n\n"
        "The council agreed on Tuesday evening."
    )
    most_read = (
        "\n\nMost read\n\nNight ferry trial extended for the summer\nBy Olaf Brandt\n"
        "14 June 2019\n\nHarbour wall repairs begin\n"
    )
    for story in ("\n\n".join([section] * 17), "\n\n".join(section.split("\n\n")[::3] * 48)):
        page = top + "3 March 2021\n\n" + story + most_read
        w = extract_text_capture(page, Hints(), language=False)
        assert not _title_evidence(w)[0].startswith("headline:page-title")
        assert w.authors == () and w.published_at.year == 2021
        assert w.text.count("Bikes travel free") == story.count("Bikes travel free")
    # past a thousand lines it is no page's top
    endless = "\n".join(f"Section {n}" for n in range(1001))
    far = top + endless + "\n\nNight ferry trial extended for the summer" + LONG
    z = extract_text_capture(far, Hints(), language=False)
    assert not z.title or not _title_evidence(z)[0].startswith("headline:page-title")


@pytest.mark.parametrize(
    ("headline", "hints"),
    [
        # the name of another outlet of the table, in the story's words
        (
            "UK weather: Sun and showers",
            Hints(
                url="https://harbourcourier.example/weather/x",
                domain_outlets=(("harbourcourier.example", "Harbour Courier"), ("sun.ex", "Sun")),
            ),
        ),
        # the address's name without its "the", with words after it
        ("Review: Star Wars Andor", Hints(url="https://www.thestar.example/ent/review")),
        # the site's own name, with words after it
        (
            "Exclusive: Tarn Valley Echo poll finds",
            Hints(url="https://tarnvalleyecho.example/news/poll"),
        ),
    ],
)
def test_a_headline_keeps_words_that_only_look_like_the_sites_name(headline, hints):
    x = extract_text_capture(headline + "\n\nBy Jane Holm" + LONG, hints, language=False)
    assert x.title == headline


def test_a_credit_written_with_an_ellipsis_is_no_headline():
    """The New York Times' copied text puts "Credit...Name/Agency" under its picture, right
    above the byline: it was read as the headline."""
    text = (
        "Ferry back on winter timetable after slipway repairs\n\n"
        "Credit...Ola Berg/Tarn Valley Echo\n\nBy Jane Holm\n\nMarch 3, 2021" + BODY
    )
    x = extract_text_capture(text, Hints(), language=False)
    assert x.title == "Ferry back on winter timetable after slipway repairs"
    assert x.authors == ("Jane Holm",)
    assert any(s.kind == "credit" for s in x.spans)
    y = extract_text_capture(text.replace("Credit...", "Credit… "), Hints(), language=False)
    assert y.title == x.title and y.authors == x.authors
    # a story's sentence that starts so stays in the story
    said = "Credit... where it is due, said the mayor."
    z = extract_text_capture(x.title + "\n\nBy Jane Holm" + LONG + "\n\n" + said, Hints())
    assert said in z.text


def test_a_layout_copy_holds_every_field_and_shares_no_list():
    """The header is read again from a copy taken before it (``spans._copy``), which names
    the layout's fields one by one: a field added to ``Layout`` must be added there too."""
    from archive.extract import spans

    values = {
        f.name: ([f.name] if f.default is dataclasses.MISSING else 7)
        for f in dataclasses.fields(spans.Layout)
    }
    lay = spans.Layout(**values)
    copied = spans._copy(lay)
    assert copied == lay
    for f in dataclasses.fields(spans.Layout):
        value = getattr(copied, f.name)
        assert not isinstance(value, list) or value is not getattr(lay, f.name)


@pytest.mark.parametrize("count", ["56 comments", "Comments (27)", "reader comments", "Comment"])
def test_a_count_of_comments_by_the_byline_leaves_the_story_in_the_body(count):
    """A story's top may link to its comments ("56 comments") between its byline and its first
    paragraph: the comment section starts below the story, not there (the whole story was
    taken for comments)."""
    story = (
        "Harbour wall repairs begin\n\nBy Ada Quill\n3 March 2021\n\n* Print\n* E-mail\nShare\n"
        f"{count}\n\n"
        "Work on the harbour wall at Tarn began on Monday, three months after the storm that "
        "broke a section of it and closed the north quay to fishing boats.\n\n"
        "The council said the repairs would cost less than first feared and finish in May.\n\n"
    )
    comments = (
        "Comments\n\nJo from Tarn: about time too, the quay has been shut for months.\n\n"
        "Sam: the old wall stood for a century, let us hope this one does as well.\n"
    )
    x = extract_text_capture(story + comments, Hints(), language=False)
    assert x.text.startswith("Work on the harbour wall at Tarn began on Monday")
    assert x.text.endswith("finish in May.")
    kinds = {
        (story + comments)[s.start : s.end].split("\n")[0]: s.kind
        for s in x.spans
        if s.kind.startswith("furniture")
    }
    assert kinds["Comments"] == "furniture-comments"
    assert kinds["Jo from Tarn: about time too, the quay has been shut for months."] == (
        "furniture-comments"
    )


def test_a_comment_heading_with_no_other_below_the_story_opens_the_section():
    """A video's page: a short description, then its comments under one heading, the first of
    them a long paragraph: the comments are not taken for the story."""
    text = (
        "Tarn harbour at dawn\n\nBy Ada Quill\n3 March 2021\n\nThe boats come in at six.\n\n"
        "Comments\n\n"
        "Lovely to see the old quay again after all these years away from home, I used to "
        "watch the boats come in with my grandfather every morning before school started.\n\n"
        "Sam: the old wall stood for a century.\n"
    )
    x = extract_text_capture(text, Hints(), language=False)
    assert "grandfather" not in x.text and "Sam" not in x.text
    assert "The boats come in at six." in x.text


def test_a_story_of_short_paragraphs_keeps_its_comments_out_of_the_body():
    """The story's top holds sentences of more than sixty words above the comment count: the
    count opens the section, though no paragraph of twenty words came before it (a reader's
    long comment below it is no paragraph of the story). A story of fewer words above such a
    count is not told from a page's top (its menus' prompts and notices), and the section
    then opens at a comment line below the first long paragraph."""
    text = (
        "Harbour wall repairs begin\n\nBy Ada Quill\n3 March 2021\n\n"
        "Work on the harbour wall at Tarn began on Monday after weeks of delay.\n\n"
        "The council said the repairs would finish in May if the weather held.\n\n"
        "Boats will use the south quay until then, the harbour master said.\n\n"
        "Fishing crews have asked for longer opening hours at the south quay.\n\n"
        "The harbour café will stay open through the works, its owner said.\n\n"
        "A public meeting on the plans is set for Thursday at the church hall.\n\n"
        "3 Comments\n\nJo Farrow\n4 March 2021 at 9:12 am\n"
        "About time too, the quay has been shut for months and the boats have had to queue at "
        "the south end every single morning since the storm.\n\n"
        "Sam Reed\n4 March 2021 at 10:40 am\nLet us hope this one lasts as long as the old one.\n\n"
        "Leave a Reply\n\nYour email address will not be published.\n"
    )
    x = extract_text_capture(text, Hints(), language=False)
    assert x.text.endswith("at the church hall.") and "Farrow" not in x.text


def test_a_link_to_comments_not_saved_leaves_the_story_in_the_body():
    """Comments loaded by a script: the capture holds only their count, above the story."""
    text = (
        "Harbour wall repairs begin\n\nBy Ada Quill\n3 March 2021\n\n* Print\n* E-mail\nShare\n"
        "56 comments\n\n"
        "Work on the harbour wall at Tarn began on Monday, three months after the storm that "
        "broke a section of it and closed the north quay to fishing boats.\n\n"
        "The council said the repairs would cost less than first feared and finish in May.\n"
    )
    x = extract_text_capture(text, Hints(), language=False)
    assert "began on Monday" in x.text and x.text.endswith("finish in May.")


def test_a_comment_forms_prompt_opens_the_section_a_story_line_alike_does_not():
    """The form under a story ("Add your comment", its fields and policy) is no part of it; a
    story's sentence that starts with such words ("Add a comment above every function...") is:
    "Add a Comment" and "Post Your Comment" stay story, whose how-to paragraphs, list items and
    headlines may start so (review)."""
    top = "Five habits of tidy programmers\n\nBy Ada Quill\n3 March 2021\n\n"
    story = (
        "Work on the harbour wall at Tarn began on Monday, three months after the storm that "
        "broke a section of it and closed the north quay to fishing boats.\n\n"
    )
    form = "Add your comment\n\nName\nWe welcome thoughtful comments from readers.\n\nEmail\n"
    x = extract_text_capture(top + story + form, Hints(), language=False)
    assert x.text.endswith("to fishing boats.") and "welcome" not in x.text
    how_to = (
        "Add a comment above every function that explains what it returns and why it exists, "
        "the studio's lead told us, even when the answer seems obvious.\n\n"
        "Post your comments on a colleague's code as questions, not as orders, she said.\n\n"
        "Name your branches for what they change.\n"
    )
    y = extract_text_capture(top + story + how_to, Hints(), language=False)
    assert y.text.endswith("for what they change.") and "Add a comment above" in y.text


def test_a_row_of_links_laid_out_apart_is_no_headline():
    """A text rendering sets a table's cells or a row of links apart by wide gaps; a heading's
    words stand one space apart."""
    row = "Harbour Office        Ferry Timetables        Download the island map"
    story = (
        "\n\nWork on the harbour wall at Tarn began on Monday, three months after the storm "
        "that broke a section of it and closed the north quay to fishing boats.\n"
    )
    assert extract_text_capture(row + story, Hints(), language=False).title is None
    heading = " ".join(row.split())
    assert extract_text_capture(heading + story, Hints(), language=False).title == heading
    # over a byline and a date: the row is the page's top, the byline and date still read
    dated = extract_text_capture(
        row + "\n\nBy Ada Quill\n3 March 2021" + story, Hints(), language=False
    )
    assert dated.title is None and dated.authors == ("Ada Quill",)
    assert dated.published_at.day == 3 and dated.text.startswith("Work on the harbour wall")


def test_a_share_bars_items_above_its_name_are_the_bar_too():
    """A share bar printed one item a line may list its items before the line it is known by:
    "* Print / * E-mail / Share" stays out of the body, as the items after it do."""
    text = (
        "Harbour wall repairs begin\n\nBy Ada Quill\n3 March 2021\n\n* Print\n* E-mail\nShare\n\n"
        "Work on the harbour wall at Tarn began on Monday, three months after the storm that "
        "broke a section of it and closed the north quay to fishing boats.\n"
    )
    x = extract_text_capture(text, Hints(), language=False)
    assert x.text.startswith("Work on the harbour wall") and "Print" not in x.text
    kinds = {text[s.start : s.end]: s.rule for s in x.spans}
    assert kinds["* Print"] == "share:bar-item"


def test_a_story_line_of_share_words_above_a_share_line_stays_story():
    """A line of dialogue made of a share word ('"Listen."') right above "Share this story"
    ends a sentence: the story's, not the bar's (review)."""
    text = (
        "The Bells of Wendle\nBy Mara Quill\n"
        "The harbour town of Wendle had not heard its own bells in thirty years, and when the "
        "old tower rang again on a grey Tuesday morning, people stopped in the street.\n"
        "The churchwarden, Ida Penn, climbed the last flight of stairs and turned to the "
        'volunteers.\n"Listen."\nShare this story\n'
        "Below them the smallest bell swung once, then again, and the gulls rose off the "
        "harbour wall all at once.\n"
    )
    x = extract_text_capture(text, Hints(), language=False)
    assert '"Listen."' in x.text


@pytest.mark.parametrize(
    ("label", "headline"),
    [
        ("Politik · Jane Holm, Per Ask", "Was heißt Fährbetrieb für Sie, Frau Holm?"),
        ("Harbour Talk • Episode 32", "Before and after the ferry came back to Tarn Island"),
    ],
)
@pytest.mark.parametrize("byline", ["", "\n\nBy Ada Quill"])
def test_a_line_of_labels_over_the_headline_is_a_kicker(label, headline, byline):
    """A kicker may name a section and its authors, or a show and its episode, set apart by a
    middle dot or a bullet: a real page's section and two authors so ("Politik · ...") were
    its title in four renderings, above its headline."""
    x = extract_text_capture(f"{label}\n\n{headline}{byline}{BODY}", Hints(), language=False)
    assert x.title == headline and x.standfirst is None
    assert label not in x.text and x.text.startswith("The ferry")
    (kicker,) = [s for s in x.spans if s.kind == "furniture-other"]
    assert (kicker.start, kicker.end) == (0, len(label))


def test_a_headline_with_a_middle_dot_stays_the_headline():
    """The label test reads short lines only: a headline may set a place apart so."""
    headline = "Tarn Valley · Ferry returns to the island after four months in the yard"
    x = extract_text_capture(f"{headline}{BODY}", Hints(), language=False)
    assert x.title == headline


@pytest.mark.parametrize(
    ("line", "authors"),
    [
        # a wrapped paragraph's line: a word's full stop ends a sentence inside it
        ("Fährleute. In der Hafenstadt Lindholm, sagte die Sprecherin", None),
        ("Harbour. In der Nacht, sagte er", None),
        # an initial's or a short abbreviation's full stop is a name's
        ("Ann M. Lee", ("Ann M. Lee",)),
        ("Wm. Ann Lee", ("Wm. Ann Lee",)),
        ("W.E.B. Du Bois", ("W.E.B. Du Bois",)),
        ("J.R.R. Holm and Ann Lee", ("J.R.R. Holm", "Ann Lee")),
        ("Ann Lee and Capt. Bo Chen", ("Ann Lee", "Capt. Bo Chen")),
        ("Chas. Holm", ("Chas. Holm",)),
        # an initial's full stop before a particle that is an article too
        ("Ursula K. Le Holm", ("Ursula K. Le Holm",)),
        ("Anna J. La Rosa", ("Anna J. La Rosa",)),
        ("Jane Holm, Tarn Valley Echo", ("Jane Holm",)),
    ],
)
def test_a_bare_name_holds_no_sentences_end(line, authors):
    from archive.extract.header import bare_byline

    found = bare_byline(line)
    assert (found.authors if found else None) == authors


@pytest.mark.parametrize("name", ["W.E.B. Du Bois", "Ursula K. Le Holm"])
def test_a_headline_over_a_byline_of_initials_keeps_both(name):
    text = f"Ferry returns to Tarn Island after four months\n\nBy {name}\n\n3 March 2021{BODY}"
    x = extract_text_capture(text, Hints(), language=False)
    assert x.title == "Ferry returns to Tarn Island after four months"
    assert x.authors == (name,)


@pytest.mark.parametrize(
    "text",
    [
        # over a paragraph's first line, wrapped: the section and the headline on one line
        "Opinion · Council stands firm on harbour\n\nThe council met on Tuesday to discuss the "
        "harbour plan, which had\nbeen delayed for years by disputes over funding, and residents "
        "said\nthey were pleased.",
        # a part of more words than a label's: a section and the headline, over a standfirst
        "Live • Election results as counting goes on\n\nFollow the latest updates from every "
        "district tonight\n\n3 March 2021\n\nThe count began at ten and went on past midnight.",
    ],
)
def test_a_section_and_its_headline_on_one_line_are_no_labels(text):
    x = extract_text_capture(text, Hints(), language=False)
    assert x.title == text.split("\n", 1)[0]


@pytest.mark.parametrize(
    ("line", "published"),
    [
        ("By Ada Quill@adaquill  3 May 2021, 10:20 GMT", datetime(2021, 5, 3, 10, 20, tzinfo=UTC)),
        ("by Ada Quill @adaquill 3 May 2021", datetime(2021, 5, 3, tzinfo=UTC)),
        # the part right after the names is the date; a count of comments follows it
        ("By Ada Quill | 3 May 2021 | 4 comments", datetime(2021, 5, 3, tzinfo=UTC)),
    ],
)
def test_the_date_on_a_bylines_line_after_a_handle_or_before_a_count(line, published):
    text = f"Harbour ferry returns on Sundays\n\n{line}{BODY}"
    x = extract_text_capture(text, Hints(), language=False)
    assert x.authors == ("Ada Quill",)
    assert x.published_at == published


# A saved page's menus above its headline, which the address's slug names: the header is read
# from that line on, below the cluster search of a capture's first lines.
MENUS = "\n".join(
    ("Home", "News", "Sport", "Business", "Weather", "Culture", "Travel", "Opinion", "Podcasts")
)
SLUG_URL = "https://tve.example/news/harbour-ferry-returns-on-sundays"
HEADLINE = "Harbour ferry returns on Sundays"


def _below_menus(header_lines: str, body: str = BODY):
    text = f"{MENUS}\n\n{HEADLINE}\n\n{header_lines}{body}"
    return extract_text_capture(text, Hints(url=SLUG_URL), language=False)


@pytest.mark.parametrize(
    ("between", "standfirst", "body_start"),
    [
        # a comment count, then the dek: both stay where they were, in the body (a count is not
        # told from a short post's line); only a dek alone under the headline is its standfirst
        (
            "New, 12 comments\n\nThe island’s link runs again after four years",
            None,
            "New, 12 comments\n\nThe island’s link",
        ),
        # the dek, a sentence, alone between the headline and the byline
        ("The island’s link runs again after four years.", "dek.", "The ferry to Tarn Island"),
        # a label and a picture's caption
        (
            "Listen to this story\n\nThe ferry at the harbour steps. (Photo: Ivo Brandt)",
            None,
            "The ferry to Tarn Island",  # (the label is an audio player's furniture)
        ),
    ],
)
def test_the_header_is_read_past_a_dek_and_a_count_to_the_byline_below(
    between, standfirst, body_start
):
    x = _below_menus(f"{between}\n\nBy Ada Quill@adaquill  3 May 2021, 10:20 GMT")
    assert x.title == HEADLINE
    assert x.authors == ("Ada Quill",)
    assert x.published_at == datetime(2021, 5, 3, 10, 20, tzinfo=UTC)
    dek = "The island’s link runs again after four years"
    assert x.standfirst == {"dek.": dek + ".", None: None}[standfirst]
    assert x.text.startswith(body_start)
    assert "By Ada Quill" not in x.text


def test_the_header_is_read_past_a_dates_label_and_a_newsrooms_name():
    x = _below_menus("Published\n\n3 May 2021")
    assert x.published_at == datetime(2021, 5, 3, tzinfo=UTC)
    assert x.text.startswith("Published\n\nThe ferry to Tarn Island")
    x = _below_menus("By Ada Quill\n\nTarn Valley Herald\n\n3 May 2021")
    assert x.authors == ("Ada Quill",)  # the newsroom is no second reporter
    assert x.published_at == datetime(2021, 5, 3, tzinfo=UTC)
    assert x.text.startswith("The ferry to Tarn Island")
    newsroom = [s for s in x.spans if s.rule == "header:newsroom"]
    assert len(newsroom) == 1


@pytest.mark.parametrize("top", ["", f"{MENUS}\n\n"])
def test_a_newsroom_under_a_byline_is_no_second_author(top):
    text = f"{top}{HEADLINE}\n\nBy Ann Lee\n\nTarn Valley Echo\n\n3 May 2021{BODY}"
    x = extract_text_capture(text, Hints(url=SLUG_URL), language=False)
    assert x.authors == ("Ann Lee",)
    assert x.published_at == datetime(2021, 5, 3, tzinfo=UTC)


@pytest.mark.parametrize(
    "lines",
    [
        # a short post over its footer, and its blog's links
        "Back at last!\n\nPosted by Ada Quill on 3 May 2021\n\nLabels: ferry, island",
        # a poem over its byline and date
        "Grey gulls and a cold wind\n\non the quay at dusk\n\nthe ferry sleeps\n\nBy Ada Quill"
        "\n\n3 May 2021",
    ],
)
def test_lines_read_past_stay_in_the_body(lines):
    x = _below_menus(lines)
    first = lines.split("\n")[0]
    assert x.text.startswith(first)
    assert x.standfirst is None


@pytest.mark.parametrize(
    ("lines", "authors"),
    [
        # a related list's heading above a byline at the capture's top: the byline is read
        ("Related topics\n\nFerries\n\nBy Ada Quill\n\n3 May 2021", ("Ada Quill",)),
        # bare names, an Oxford comma's list, a name with an accent, a place after the names
        ("Ann Lee, Bo Chen, and Cy Dunn\n\n3 May 2021", ("Ann Lee", "Bo Chen")),
        ("Ann Lee and Bo Chen, in Ashcombe\n\n3 May 2021", ("Ann Lee", "Bo Chen")),
    ],
)
def test_bylines_read_before_stay_read(lines, authors):
    x = extract_text_capture(f"{HEADLINE}\n\n{lines}{BODY}", Hints(), language=False)
    assert x.title == HEADLINE
    assert x.authors == authors
    assert x.published_at == datetime(2021, 5, 3, tzinfo=UTC)


@pytest.mark.parametrize(
    "lines",
    [
        # a list of other stories under a heading no furniture rule knows: a teaser's headline,
        # then its byline and date
        "Top stories\n\nFerry fares to rise in June\n\nBy Bo Chen\n\n2 May 2021",
        "Latest\n\nFerry fares to rise in June\n\nPublished 2 May 2021",
        # a book's title under its section's, then its publication
        "Book of the week\n\nThe Salt Ledger\n\nPublished 12 June 2021",
        # an event's name with a newspaper's word in it, under the byline, then its date
        "By Ann Lee\n\nPress Night\n\n12 June 2021",
        "By Ann Lee\n\nTimes Square\n\n12 June 2021",
    ],
)
def test_two_lines_or_an_event_are_not_read_past(lines):
    x = _below_menus(lines)
    assert x.published_at is None
    assert "Bo Chen" not in x.authors


@pytest.mark.parametrize("top", ["", f"{MENUS}\n\n"])
def test_a_second_reporter_between_the_byline_and_the_date_is_read(top):
    text = f"{top}{HEADLINE}\n\nBy Ann Lee\n\nBo Chen\n\n3 May 2021{BODY}"
    x = extract_text_capture(text, Hints(url=SLUG_URL), language=False)
    assert x.authors == ("Ann Lee", "Bo Chen")
    assert x.published_at == datetime(2021, 5, 3, tzinfo=UTC)


def test_a_bylines_by_set_apart_is_passed_as_a_count_is():
    lines = "The island’s link runs again after four years.\n\nBy\n\nby Ada Quill\n\n3 May 2021"
    x = _below_menus(lines)
    assert x.authors == ("Ada Quill",)
    assert x.published_at == datetime(2021, 5, 3, tzinfo=UTC)


@pytest.mark.parametrize(
    "lines",
    ["Updated:\n\n3 May 2021\n\n4 May 2021", "Updated:\n\n3 May 2021\n\nBy Ann Lee | 4 May 2021"],
)
def test_a_page_changed_before_it_was_published_has_neither_date(lines):
    x = extract_text_capture(f"{HEADLINE}\n\n{lines}{BODY}", Hints(), language=False)
    assert x.published_at is None and x.modified_at is None
    assert "date-conflict" in x.flags
    assert not [p for p in x.provenance if p.field in ("published_at", "modified_at")]


def test_labels_set_one_under_another_name_no_date_each():
    lines = "Published\n\nUpdated\n\n3 May 2021\n\n4 May 2021"
    x = extract_text_capture(f"{HEADLINE}\n\n{lines}{BODY}", Hints(), language=False)
    assert x.published_at != datetime(2021, 5, 4, tzinfo=UTC)
    assert x.modified_at != datetime(2021, 5, 3, tzinfo=UTC)


@pytest.mark.parametrize(
    ("between", "body_start"),
    [
        # the story's own short paragraphs, one a sentence: "4 May" is a date in its timeline
        ("A timeline of the talks.\n\nShort note.", "A timeline"),
        # a byline, then a sentence: the story has begun below the byline
        ("By Ada Quill\n\nHere is how it happened.", "Here is"),
        # a related list's heading right under the headline: the line below is its item
        ("Most read\n\nFerry fares to rise in June", "Ferry fares"),
        # a date the header could not read: the header's date is not known, so none below it
        ("Updated 2 hours ago\n\nHere is how it happened", "Here is"),
        # a change's label: its date is no publication's
        ("Updated:", "Updated:"),
        # two sentences of some length: the story has begun
        (
            "The island’s link runs again after four years, the council says.\n\n"
            "Crossings will run twice a day from the harbour steps in summer.",
            "The island’s link",
        ),
        # a comment count, then a list of other stories: its date is theirs
        ("New, 12 comments\n\nMore from Tarn Valley Echo", "New, 12 comments"),
        # a story's lead-in
        (
            "PORT ELLIS — The ferry to Tarn Island sailed again on Sunday morning, the first "
            "time in four years.",
            "PORT ELLIS",
        ),
    ],
)
def test_the_header_is_not_read_past_an_update_label_a_story_or_a_list(between, body_start):
    x = _below_menus(f"{between}\n\n4 May 2021")
    assert x.published_at is None
    assert x.text.startswith(body_start)  # what was not read past stays in the body


@pytest.mark.parametrize(
    "label",
    [
        # a label of another date than the publication's: an event's, a life's, a change's in
        # a language whose words for it are not known, a story's own timeline
        "Event date:",
        "Born",
        "Timeline",
        "Aggiornato il",
        "Reviewed by Bo Chen",
        # under a byline, a subheading of the story, a title-cased label, a picture's credit
        "By Ada Quill\n\nKey points",
        "By Ada Quill\n\nIn Memoriam",
        "By Ada Quill\n\nPhoto Ivo Brandt",
        # an embedded post's author and handle
        "Ferry's back!\n\nAda Quill @adaquill",
        # a date the header cannot read, below the dek
        "The island’s link runs again after four years\n\n2 hours ago",
    ],
)
def test_a_date_under_another_label_than_a_publications_is_not_read_past_to(label):
    x = _below_menus(f"{label}\n\n12 June 2021")
    assert x.published_at is None
    assert "12 June 2021" in x.text


@pytest.mark.parametrize(
    "footer", ["3 May 2021", "Posted by Ada Quill on 3 May 2021", "By Ada Quill | 3 May 2021"]
)
def test_a_posts_footer_over_its_comments_leaves_the_post(footer):
    comments = (
        "\n\n12 comments\n\nBo Chen\n\nLovely to see the ferry back again after all this time."
        "\n\nIvo Brandt\n\nAbout time the council sorted this out, frankly."
    )
    x = _below_menus(f"Great day at the harbour\n\n{footer}", body=comments)
    assert x.text.startswith("Great day at the harbour")
    assert "Bo Chen" not in x.authors


@pytest.mark.parametrize("dates", ["12 June 2021 – 14 June 2021", "12 June 2021 – 14 June"])
def test_a_bylines_dates_are_no_event_range(dates):
    text = f"{HEADLINE}\n\nBy Ada Quill | {dates} | Tarn Island Green{BODY}"
    x = extract_text_capture(text, Hints(), language=False)
    assert x.authors == ("Ada Quill",)
    assert x.published_at is None


@pytest.mark.parametrize(
    "line",
    [
        "Record Crowds for Harbour Festival",
        "By Royal Appointment for Tarn Bakery",
        "By Royal Appointment for Tarn Bakery | Tarn Valley Echo",
    ],
)
def test_a_headline_with_for_in_it_is_no_byline(line):
    x = extract_text_capture(f"{line}\n\n3 May 2021{BODY}", Hints(), language=False)
    assert x.title == line
    assert x.authors == ()


@pytest.mark.parametrize(
    ("line", "authors", "published"),
    [
        # an address's "@" is no handle: the date after it is read as before
        ("By Ada Quill, ada.quill@tve.example | 3 May 2021", ("Ada Quill",), "2021-05-03"),
        ("By Ada Quill, ada.quill@tve-news.example | 3 May 2021", ("Ada Quill",), "2021-05-03"),
        # a handle after each of two names
        ("By Ada Quill @adaquill and Bo Chen @bochen | 3 May 2021", ("Ada Quill", "Bo Chen"),
         "2021-05-03"),
        # a handle, then the reporter's role
        ("By Ada Quill @adaquill Senior Writer", ("Ada Quill",), None),
    ],
)  # fmt: skip
def test_handles_end_names_where_no_other_name_follows(line, authors, published):
    x = extract_text_capture(f"{HEADLINE}\n\n{line}{BODY}", Hints(), language=False)
    assert x.authors == authors
    day = x.published_at.date().isoformat() if x.published_at else None
    assert day == published


@pytest.mark.parametrize(
    "header_lines",
    [
        # a kicker with "Modified" in it over the date and the headline
        "Genetically Modified Crops\n\n3 May 2021\n\nHarbour ferry returns on Sundays",
        # a label over a date that says its own
        "Harbour ferry returns on Sundays\n\nUPDATED\n\nPublished 3 May 2021",
    ],
)
def test_only_a_change_label_alone_makes_the_date_below_it_the_changes(header_lines):
    x = extract_text_capture(header_lines + BODY, Hints(), language=False)
    assert x.published_at == datetime(2021, 5, 3, tzinfo=UTC)
    assert x.modified_at is None


def test_a_date_below_an_update_label_is_the_changes():
    text = f"{HEADLINE}\n\nUpdated:\n\n4 May 2021{BODY}"
    x = extract_text_capture(text, Hints(), language=False)
    assert x.published_at is None
    assert x.modified_at == datetime(2021, 5, 4, tzinfo=UTC)


@pytest.mark.parametrize(
    ("line", "authors"),
    [
        ("Ann Lee and Bo Chen", ("Ann Lee", "Bo Chen")),
        ("Ines van der Berg", ("Ines van der Berg",)),
        ("Jane Holm in Ashcombe", ("Jane Holm",)),
        # a name and a handle is as often an embedded post's as a byline
        ("Jane Holm@janeholm", None),
        # a headline or a teaser naming people, beside a date: no byline
        ("Ann Lee and Bo Chen’s long goodbye to the island", None),
        ("Ada Quill with additional reporting by Bo Chen", ("Ada Quill",)),
        # a name and the agencies' credit
        ("Jane Holm and agencies", ("Jane Holm",)),
    ],
)
def test_a_bare_name_is_names_alone(line, authors):
    from archive.extract.header import bare_byline

    found = bare_byline(line)
    assert (found.authors if found else None) == authors

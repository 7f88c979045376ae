"""Outlet: capture log > URL registrable domain through the table > self-reference."""

from __future__ import annotations

import pytest

from archive.extract import (
    PSL_VERSION,
    extract_text_capture,
    outlet_from_domain,
    registrable_domain,
)
from archive.extract.outlets import self_references
from archive.model import Hints

BODY = (
    "\n\nThe ferry to Tarn Island resumed service on Wednesday after a four-day pause caused "
    "by the storm."
)


@pytest.mark.parametrize(
    ("url", "domain"),
    [
        ("https://www.harbour-courier.co.uk/news/1", "harbour-courier.co.uk"),
        ("http://news.tarnvalleyecho.example:8080/a?b=c", "tarnvalleyecho.example"),
        ("HTTPS://Lowfield-Gazette.COM./x", "lowfield-gazette.com"),
        ("lowfield-gazette.com/path", "lowfield-gazette.com"),
        ("https://co.uk/", None),
        ("https://192.0.2.7/page", None),
        ("not a url", None),
    ],
)
def test_registrable_domain(url, domain):
    assert registrable_domain(url) == domain


def test_outlet_from_domain_prefers_the_most_specific_key():
    table = {"meridian.example": "Meridian Ledger", "sport.meridian.example": "Meridian Sport"}
    assert outlet_from_domain("https://sport.meridian.example/x", table) == (
        "Meridian Sport",
        "sport.meridian.example -> sport.meridian.example",
    )
    assert outlet_from_domain("https://www.meridian.example/x", table)[0] == "Meridian Ledger"
    assert outlet_from_domain("https://elsewhere.example/x", table) is None
    assert outlet_from_domain("https://meridian.example/x", [("meridian.example", "M")])[0] == "M"


def test_psl_version_names_the_bundled_list():
    assert PSL_VERSION.count(".") >= 3


def test_capture_log_outranks_domain_and_self_reference():
    text = "Stay up to date with notifications from The Harbour Courier\n\nFerry back" + BODY
    hints = Hints(
        outlet="Tarn Valley Echo",
        url="https://lowfield.example/a",
        evidence="log line 3",
        domain_outlets=(("lowfield.example", "Lowfield Gazette"),),
    )
    x = extract_text_capture(text, hints, language=False)
    assert x.outlet == "Tarn Valley Echo"
    assert [(p.method, p.evidence) for p in x.provenance if p.field == "outlet"] == [
        ("capture-log", "log line 3")
    ]
    x = extract_text_capture(
        text, Hints(url=hints.url, domain_outlets=hints.domain_outlets), language=False
    )
    assert x.outlet == "Lowfield Gazette"
    x = extract_text_capture(text, Hints(), language=False)
    assert x.outlet == "The Harbour Courier"
    (p,) = [p for p in x.provenance if p.field == "outlet"]
    assert p.method == "self-reference" and text[p.start : p.end] == "The Harbour Courier"


def test_a_name_in_the_story_is_not_a_self_reference():
    text = "Ferry back\n\nThe captain told the Harbour Courier she was relieved." + BODY
    x = extract_text_capture(text, Hints(), language=False)
    assert x.outlet is None and "outlet-unknown" in x.flags


def test_conflicting_self_references_give_no_outlet():
    text = (
        "Support The Copperhill Standard and make a one-off contribution today.\n\nFerry back"
        + BODY
        + "\n\n© 2021 Westmere Chronicle"
    )
    x = extract_text_capture(text, Hints(), language=False)
    assert x.outlet is None
    assert "outlet-self-reference-conflict" in x.flags


@pytest.mark.parametrize(
    "promo",
    [
        "Sign up to First Edition, our free morning newsletter",
        "Subscribe to The Daily Brief podcast on your phone",
        "Subscribe to Tide Times, our weekly email",
        "Subscribe to Harbour Desk, Courier’s daily newsletter on the port",  # as Fortune's
        "Subscribe to Harbour Desk, the Courier’s daily newsletter",
    ],
)
def test_a_newsletter_or_podcast_signed_up_to_is_not_the_outlet(promo):
    """It was taken for the publication (self-reference:support-name)."""
    x = extract_text_capture("Ferry back" + BODY + "\n\n" + promo, Hints(), language=False)
    assert x.outlet is None and "outlet-unknown" in x.flags
    top = "Stay up to date with notifications from The Harbour Courier\n\n"
    x = extract_text_capture(top + "Ferry back" + BODY + "\n\n" + promo, Hints(), language=False)
    assert x.outlet == "The Harbour Courier"  # not a conflict with the newsletter's name


@pytest.mark.parametrize(
    "link", ["* Support Public Radio", "Support local news", "Support The Independent Journalism"]
)
def test_a_cause_asked_to_support_is_not_the_outlet(link):
    """npr.org's menu links "Support Public Radio": it named the outlet "Public Radio"."""
    x = extract_text_capture("Ferry back" + BODY + "\n\n" + link, Hints(), language=False)
    assert x.outlet is None and "outlet-unknown" in x.flags


def test_a_cause_named_otherwise_or_known_is_still_an_outlet():
    """Only a support plea names a cause: a copyright line names a company, and an outlet of
    the domain table is one whatever its words."""
    text = "Ferry back" + BODY + "\n\n© 2021 Independent Television"
    known = Hints(domain_outlets=(("itv.example", "Independent Television"),))
    x = extract_text_capture(text, known, language=False)
    assert x.outlet == "Independent Television"
    assert [r[0] for r in self_references("© 2024 Independent Media")] == ["Independent Media"]
    plea = "Ferry back" + BODY + "\n\nSupport Independent Television"
    assert extract_text_capture(plea, known, language=False).outlet == "Independent Television"


@pytest.mark.parametrize(
    "plea, name",
    [
        ("Support the Bulletin of the Atomic Scientists", "The Bulletin"),
        ("Thank you for reading Reader's Digest", "Reader's Digest"),
        ("Support The Guardian and download our app", "The Guardian"),
        ("Support The Tyee, and get our free email updates", "The Tyee"),
        ("Welcome to The Guardian app", "The Guardian"),
        ("Support The Harbour Courier " + "-" * 400, "The Harbour Courier"),
        ("Support The Free Press", "The Free Press"),
        ("Support Public Radio Harbour", "Public Radio Harbour"),
        ("Support The Independent", "The Independent"),
    ],
)
def test_an_outlet_named_beside_a_product_word_is_still_the_outlet(plea, name):
    """Only a product said right after the name is one ("..., our newsletter"): the first
    rule read eight words on and refused these; on a run of hyphens it backtracked for
    minutes (its word and separator classes both held "-")."""
    assert [found[0] for found in self_references(plea)] == [name]


# A story of a site whose address spells its name: its masthead or its title line may show it.
STORY = (
    "Ferry returns to Tarn Island after the storm\n\nBy Ada Quill\n3 March 2021\n\n"
    "The ferry to Tarn Island resumed service on Wednesday after a four-day pause caused by "
    "the storm, its operator said."
)
COURIER = "https://www.tarnvalleycourier.example/news/ferry-returns-to-tarn-island"


def site_named(text: str, url: str | None = COURIER, **hints):
    x = extract_text_capture(text, Hints(url=url, **hints), language=False)
    return x, [p for p in x.provenance if p.field == "outlet"]


@pytest.mark.parametrize(
    ("masthead", "name"),
    [
        ("Tarn Valley Courier", "Tarn Valley Courier"),
        ("The Tarn Valley Courier", "The Tarn Valley Courier"),
        ("* Tarn Valley Courier", "Tarn Valley Courier"),  # a menu's first link, as Lynx lists
        ("TarnValleyCourier.example", "TarnValleyCourier.example"),
    ],
)
def test_a_masthead_the_address_spells_names_the_outlet(masthead, name):
    """A text named its outlet only in its own words (a prompt, a plea): the site's name over
    the story, which its address spells, was left unread (outlet coverage 0.004-0.012 on the
    real text sets)."""
    text = f"{masthead}\nNews\nSport\n\n{STORY}"
    x, found = site_named(text)
    assert x.outlet == name and "outlet-unknown" not in x.flags
    assert [(p.method, text[p.start : p.end]) for p in found] == [("site-name", name)]
    assert "tarnvalleycourier" in found[0].evidence
    assert x.title == "Ferry returns to Tarn Island after the storm"
    assert x.authors == ("Ada Quill",)


LOWFIELD = "https://www.lowfield.example/news/ferry-returns-to-tarn-island"


@pytest.mark.parametrize(
    ("text", "url"),
    [
        (f"Tarn Valley Courier\n\n{STORY}", LOWFIELD),  # another site's address
        (f"News\n\n{STORY}\n\nTarn Valley Courier", COURIER),  # below the story
        # between the headline and the byline: the story's header, not the masthead above it
        (STORY.replace("\n\nBy Ada", "\n\nTarn Valley Courier\n\nBy Ada"), COURIER),
        (f"© Tarn Valley Courier\n\n{STORY}", COURIER),  # a copyright holder is a company
        (f"[TarnValleyCourier_]\n\n{STORY}", COURIER),  # an image's placeholder (w3m)
        (f"#Tarn Valley Courier\n\n{STORY}", COURIER),  # a feed link's title (Lynx)
        (f"tarnvalleycourier\n\n{STORY}", COURIER),
        # a platform's name over a post, and words that name no site though an address does
        (f"Medium\n\n{STORY}", "https://medium.com/@adaquill/ferry-returns-4b1c"),
        (f"Yahoo\n\n{STORY}", "https://www.yahoo.com/news/ferry-returns-093000123.html"),
        (f"News\n\n{STORY}", "https://www.news.example/ferry-returns"),
        (f"Home\n\n{STORY}", "https://home.example/ferry-returns"),
        (f"Weather\n\n{STORY}", "https://weather.example/news/ferry-returns"),
        (f"PressReader\n\n{STORY}", "https://www.pressreader.com/uk/tarn-valley-courier/x"),
        # longer than a masthead's name: a tagline's or a story's line
        (
            f"Tarn Valley and Lowfield District Evening Courier\n\n{STORY}",
            "https://tarnvalleyandlowfielddistricteveningcourier.example/ferry",
        ),
    ],
)
def test_a_name_the_address_does_not_back_above_the_story_is_no_outlet(text, url):
    x, found = site_named(text, url)
    assert x.outlet is None and found == [] and "outlet-unknown" in x.flags


SHORTENED = "https://www.tvcourier.example/2021/03/03/ferry"
HEADLINE = "Ferry returns to Tarn Island after the storm"


@pytest.mark.parametrize(
    ("masthead", "url"),
    [
        ("Tarn Valley Courier", SHORTENED),
        ("The Tarn Valley Courier", SHORTENED),
        ("The Tarn Valley Courier", COURIER),  # spelt whole: four words read as a headline too
    ],
)
@pytest.mark.parametrize("byline", ["", "\n\nBy Ada Quill"])
def test_a_masthead_the_address_spells_or_shortens_is_the_outlet_not_the_headline(
    masthead, url, byline
):
    """An address writes a name's first words by their initials (nytimes.com, latimes.com):
    "The New York Times" over a story at nytimes.com was taken for its headline, and the
    headline for its first paragraph."""
    text = f"{masthead}\n\n{HEADLINE}{byline}{BODY}"
    x, found = site_named(text, url)
    assert x.title == HEADLINE
    assert x.text == BODY.strip()
    assert x.outlet == masthead and "courier" in found[0].evidence
    assert [(p.method, text[p.start : p.end]) for p in found] == [("site-name", masthead)]


@pytest.mark.parametrize(
    ("line", "url"),
    [
        # the address's initials and last word, spelt by the story's headline: its byline,
        # not a headline, is below it
        ("Tarn Valley Ferry Echo", "https://www.tvferryecho.example/2021/03/03/ferry"),
        # a word any day's headline may end with is no shortened name's ("... Today" at
        # usatoday.com, "... News" at apnews.com)
        ("Unions Strike Again Today", "https://www.usatoday.example/story/1"),
        ("Asia Pacific Ferry News", "https://www.apfnews.example/story/1"),
    ],
)
@pytest.mark.parametrize("below", ["\n\nBy Ada Quill", "\n\nAnalysis\n\nBy Ada Quill", ""])
def test_a_headline_spelling_the_address_shortened_stays_the_headline(line, url, below):
    """Below the headline, its byline (past a label) or its story's first sentence."""
    x, found = site_named(f"{line}{below}{BODY}", url)
    assert x.title == line and x.outlet is None and found == []
    assert x.authors == (("Ada Quill",) if below else ())


def test_a_dates_banner_needs_a_masthead_over_a_headline():
    """A date over a headline that spells the address shortened, over its byline, is the
    story's date, as over any headline: not the banner of the day a masthead carries."""
    text = f"Wednesday 3 March 2021\n\nTarn Valley Ferry Echo\n\nBy Ada Quill{BODY}"
    x, found = site_named(text, "https://www.tvferryecho.example/news/ferry")
    assert x.outlet is None and x.published_at.date().isoformat() == "2021-03-03"


def test_a_word_that_names_no_site_is_no_masthead_though_the_address_spells_it():
    """ "News" at news.com.au is a section's label: the date above it stays the story's."""
    text = f"March 3, 2021\n\nNews\n\n{HEADLINE}{BODY}"
    x, found = site_named(text, "https://www.news.example/travel/ferry")
    assert x.title == HEADLINE and x.published_at.date().isoformat() == "2021-03-03"
    assert x.outlet is None and found == []


def test_the_page_titles_shortened_site_part_is_no_story_part():
    """A page's title line "Site - Story" over the site's menus and logo: its site's part is
    no story part, and the logo line repeating it no headline (the rule reads "Story | Site";
    the other order gives no title)."""
    text = f"Tarn Valley Courier - {HEADLINE}\n\nHome\n\nTarn Valley Courier\n\n{HEADLINE}{BODY}"
    x, _ = site_named(text, SHORTENED)
    assert x.title is None


def test_a_site_name_without_its_addresss_the_is_the_masthead():
    """theglobeandmail.com spells "The Globe and Mail" with its "The"; the name compared
    without it was no masthead, and became the headline."""
    url = "https://www.thetarnvalleycourier.example/2021/03/03/ferry"
    x, found = site_named(f"The Tarn Valley Courier\n\n{HEADLINE}{BODY}", url)
    assert x.title == HEADLINE and x.outlet == "The Tarn Valley Courier"


def test_a_date_over_a_shortened_masthead_is_the_days_banner():
    text = f"Wednesday 3 March 2021\nThe Tarn Valley Courier\n\n{HEADLINE}{BODY}"
    x, _ = site_named(text, "https://www.tvcourier.example/news/ferry")
    assert x.title == HEADLINE and x.published_at is None
    (banner,) = [s for s in x.spans if s.rule == "header:date-banner"]
    assert text[banner.start : banner.end] == "Wednesday 3 March 2021"
    x, _ = site_named(text, LOWFIELD)  # a name the address does not shorten: a kicker's date
    assert not [s for s in x.spans if s.rule == "header:date-banner"]


def test_a_shortened_name_above_a_bylined_headline_is_the_masthead():
    text = f"The Tarn Valley Courier\n\n{HEADLINE}\n\nBy Ada Quill{BODY}"
    x, _ = site_named(text, SHORTENED)
    assert [(s.kind, s.rule) for s in x.spans[:2]] == [
        ("furniture-other", "header:masthead"),
        ("headline", "headline:above-byline"),
    ]


@pytest.mark.parametrize(
    ("first", "title"),
    [
        (f"{HEADLINE} - Tarn Valley Courier", HEADLINE),
        # at its start, the same initials may be the headline's own words: not cut
        (f"Tarn Valley Courier - {HEADLINE}", f"Tarn Valley Courier - {HEADLINE}"),
    ],
)
def test_a_title_lines_shortened_site_part(first, title):
    x, _ = site_named(f"{first}{BODY}", SHORTENED)
    assert x.title == title


@pytest.mark.parametrize(
    ("masthead", "url"),
    [
        # initials alone never name a site: "Free Trial" over a page at ft.com is a menu's
        ("Tarn Courier", "https://www.tc.example/2021/03/03/ferry"),
        # the shortened name must be the address's whole label
        ("Tarn Valley Courier", "https://www.tvcourierdaily.example/2021/03/03/ferry"),
        ("Tarn Valley Courier", "https://www.vcourier.example/2021/03/03/ferry"),
    ],
)
def test_initials_that_are_not_the_address_name_no_outlet(masthead, url):
    x, found = site_named(f"{masthead}\n\n{HEADLINE}{BODY}", url)
    assert x.outlet is None and found == []


@pytest.mark.parametrize(
    "title_line",
    [
        "Ferry returns to Tarn Island | Tarn Valley Courier",
        "Tarn Valley Courier | Ferry returns to Tarn Island",
    ],
)
def test_the_title_line_names_the_outlet_its_address_spells(title_line):
    """A saved page starts with its title, "Story | Site": the cut site's name is the outlet."""
    text = f"{title_line}\n\n{STORY.split(chr(10), 2)[2]}"
    x, found = site_named(text)
    assert x.title == "Ferry returns to Tarn Island"
    assert x.outlet == "Tarn Valley Courier" and "outlet-unknown" not in x.flags
    assert [(p.method, text[p.start : p.end]) for p in found] == [
        ("site-name", "Tarn Valley Courier")
    ]
    x, found = site_named(text, LOWFIELD)
    assert x.outlet is None and x.title == title_line


@pytest.mark.parametrize("space", ["\u00a0", "  ", "\t"])
def test_a_site_name_written_with_odd_spaces_is_stored_folded_and_located_as_written(space):
    name = f"Tarn{space}Valley Courier"
    for text in (
        f"Ferry returns to Tarn Island | {name}\n\n{STORY.split(chr(10), 2)[2]}",
        f"{name}\n\n{STORY}",
    ):
        x, found = site_named(text)
        assert x.outlet == "Tarn Valley Courier"
        (entry,) = found
        assert text[entry.start : entry.end] == name and name in entry.evidence


@pytest.mark.parametrize(
    "end",
    [
        "© Tarn Valley Courier",
        "@TarnValleyCourier",
        "#TarnValleyCourier",
        '"Tarn Valley Courier"',
        "[Tarn Valley Courier]",
        "Tarn Valley Courier ›",
        "tarnvalleycourier",
    ],
)
def test_a_title_part_not_written_as_a_name_names_no_outlet(end):
    """The title's part is held to a masthead's form: a copyright holder's, a handle, a tag,
    a bracket or an address's spelling is no site's name as it writes it."""
    text = f"Ferry returns to Tarn Island | {end}\n\n{STORY.split(chr(10), 2)[2]}"
    x, found = site_named(text)
    assert x.outlet is None and found == [] and "outlet-unknown" in x.flags


def test_a_copyright_holder_of_another_name_leaves_the_site_name_the_outlet():
    """A copyright line names a company, most often not as its publication is named: on the
    real text sets, a holder's conflict with the site's name took 15 of 27 right outlets
    ("© 2016 The Slate Group" under "Slate")."""
    masthead = f"Tarn Valley Courier\n\n{STORY}"
    x, found = site_named(f"{masthead}\n\n© 2021 Westmere Media Group. All rights reserved.")
    assert x.outlet == "Tarn Valley Courier" and [p.method for p in found] == ["site-name"]


def test_a_stronger_source_or_a_conflict_outranks_the_masthead():
    text = f"Tarn Valley Courier\n\n{STORY}"
    x, found = site_named(text, outlet="Courier Group", evidence="log line 2")
    assert x.outlet == "Courier Group" and [p.method for p in found] == ["capture-log"]
    plea = "Support The Harbour Courier and make a one-off contribution today."
    x, found = site_named(f"{plea}\n\n{text}")
    assert x.outlet == "The Harbour Courier" and [p.method for p in found] == ["self-reference"]
    x, found = site_named(f"{text}\n\n{plea}\n\n© 2021 Westmere Chronicle")
    assert x.outlet is None and "outlet-self-reference-conflict" in x.flags
    titled = f"Ferry returns | Tarn Valley Courier\n\n{STORY.split(chr(10), 2)[2]}"
    x, found = site_named(f"{titled}\n\n{plea}\n\n© 2021 Westmere Chronicle")
    assert x.outlet is None and "outlet-self-reference-conflict" in x.flags


@pytest.mark.parametrize(
    "promo",
    [
        "Subscribe to Our Newsletter",
        "Sign up to Your Morning Briefing",
        "Support Our Journalism",
        "Subscribe to Our YouTube Channel",
        "Subscribe to Our Free Daily Email Newsletter",
    ],
)
def test_an_invitation_to_our_newsletter_names_no_outlet(promo):
    """Every real text set named one page's outlet "Our Newsletter"."""
    x = extract_text_capture("Ferry back" + BODY + "\n\n" + promo, Hints(), language=False)
    assert x.outlet is None and "outlet-unknown" in x.flags


@pytest.mark.parametrize(
    ("plea", "name"),
    [
        ("Support This American Life today", "This American Life"),
        ("Welcome to Your Local Guardian", "Your Local Guardian"),
        ("Subscribe to My Modern Met", "My Modern Met"),
    ],
)
def test_a_publication_named_with_a_possessive_is_still_one(plea, name):
    assert [found[0] for found in self_references(plea)] == [name]


def test_a_personal_sites_name_is_its_outlet_and_still_its_authors():
    """The site's name backs the outlet, not the dropping of a byline that names it: a
    personal site's masthead is its author's name."""
    text = f"Ada Quill\n\n{STORY}"
    x, found = site_named(text, "https://adaquill.example/2021/ferry")
    assert x.outlet == "Ada Quill" and [p.method for p in found] == ["site-name"]
    assert x.authors == ("Ada Quill",) and "byline-outlet-dropped" not in x.flags

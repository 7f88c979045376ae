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
